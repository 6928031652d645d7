"""A run directory: the files a run writes there, written whole or not at all, and read back.

A run directory holds ``config.toml`` (the resolved config: ``mlplab train --config`` takes it
back), ``preprocess.npz``, ``metrics.csv`` (a row per epoch, rewritten as the run goes),
``checkpoints/last.npz``, ``model.npz``, ``summary.json``, and with diagnostics on (the default)
``diagnostics.npz`` + ``diagnostics.json`` (see :mod:`mlplab.diagnostics`).

What goes into those files is :mod:`mlplab.run`'s business; this module knows only the folder:
which names are a run's (so ``--overwrite`` removes exactly those), how to make it ready for a new
run, how a table is written so that a reader never sees half of it, and how a finished run is
loaded.  It imports nothing of :mod:`mlplab.run`, so that the report can read a run without it.
"""

from __future__ import annotations

import csv
import os
import shutil
import tempfile
from pathlib import Path
from typing import Any

from mlplab.config import read_toml, resolve
from mlplab.data import Preprocessor
from mlplab.network import Sequential, load, read_npz
from mlplab.runlock import LOCK_FILE, RunInUse, RunLock
from mlplab.train import METRIC_KEYS, Callback, Trainer

CHECKPOINT = Path("checkpoints") / "last.npz"
PRETRAIN_CHECKPOINT = Path("checkpoints") / "pretrain.npz"     # greedy pre-training's progress, until it ends

# What a run writes into its folder: `--overwrite` removes exactly these, and leaves anything else.
RUN_FILES = ("config.toml", "preprocess.npz", "metrics.csv", "pretrain.csv", "checkpoints", "model.npz",
             "summary.json", "diagnostics.npz", "diagnostics.json", "report.html", "figures")


def write_csv(path: Path, rows: list[dict[str, Any]], fields: list[str] | None = None) -> None:
    """Write ``rows`` as CSV to a temporary name, then rename: a reader never sees half a table.
    ``fields`` defaults to every key, in order of first appearance; others are ignored."""
    fields = fields or list(dict.fromkeys(key for row in rows for key in row))
    tmp = path.with_suffix(path.suffix + ".tmp")
    with open(tmp, "w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=fields, extrasaction="ignore")
        writer.writeheader()
        writer.writerows(rows)
    os.replace(tmp, path)


class RunDirectoryWriter(Callback):
    """Rewrites ``metrics.csv`` after every epoch, so an interrupted run keeps its curve."""

    def __init__(self, out: Path) -> None:
        self.path = out / "metrics.csv"

    def on_epoch_end(self, trainer: Trainer, epoch: int, metrics: dict[str, float]) -> None:
        write_csv(self.path, trainer.history, list(METRIC_KEYS))


def prepare_output(out: Path, overwrite: bool = False, lock: RunLock | None = None) -> bool:
    """Make sure ``out`` can take a new run: refuse a non-empty folder unless ``overwrite`` (then
    the previous run's files go), create it, take its ``lock`` (refused while another process
    holds it) before removing or writing anything, and prove it writable.  Returns whether it was created."""
    if out.exists() and not out.is_dir():
        raise ValueError(f"out {str(out)!r} exists and is not a folder")
    if not overwrite and out.is_dir() and any(path.name != LOCK_FILE for path in out.iterdir()):
        raise ValueError(f"out {str(out)!r} already exists and is not empty; pass --overwrite (API: "
                         f"overwrite=True) to replace the run there, or choose another --out")
    created = False
    try:
        try:
            out.mkdir(parents=True)
            created = True                    # by this process: mkdir is atomic, so two never both think so
        except FileExistsError:
            if not out.is_dir():
                raise ValueError(f"out {str(out)!r} exists and is not a folder") from None
        if lock is not None:
            lock.acquire(out)
        if overwrite:
            remove_run_files(out)
        (out / CHECKPOINT.parent).mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=out):          # creating a folder is not the same as writing in it
            pass
    except RunInUse:
        raise                  # the folder is the other process's: leave it alone, even one created here
    except OSError as err:
        if created:
            shutil.rmtree(out, ignore_errors=True)
        raise ValueError(f"out {str(out)!r} is not writable: {err.strerror or err}") from None
    return created


def remove_run_files(out: Path) -> None:
    """Remove the files a run writes (:data:`RUN_FILES`) from ``out``; anything else there stays."""
    for name in RUN_FILES:
        path = out / name
        if path.is_dir() and not path.is_symlink():
            shutil.rmtree(path)
        elif path.exists() or path.is_symlink():
            path.unlink()


def remove_stale_temporaries(out: Path) -> None:
    """Remove the half-written temporaries a killed process left in ``out`` (before a resume writes there)."""
    for stale in [*out.glob("*.tmp"), *out.glob(".mlplab-*.tmp"), *(out / CHECKPOINT.parent).glob(".mlplab-*.tmp")]:
        stale.unlink(missing_ok=True)


def load_run(run_dir: str | os.PathLike) -> tuple[dict[str, Any], Sequential, Preprocessor]:
    """The config, trained model and preprocessing of a finished run."""
    run_dir = Path(run_dir)
    if not (run_dir / "model.npz").is_file():
        raise FileNotFoundError(f"run_dir {str(run_dir)!r} holds no model.npz (is it a finished mlplab run?)")
    config = resolve(read_toml(run_dir / "config.toml"), {})
    pre = Preprocessor.from_arrays(read_npz(run_dir / "preprocess.npz", "preprocessing file"))
    return config, load(run_dir / "model.npz"), pre
