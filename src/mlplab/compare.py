"""Two to eight runs side by side on one self-contained HTML page (``mlplab compare``).

How a student sees batch norm against no batch norm, or Xavier against He, in runs of their own:
the training curves overlaid (``metrics.csv``), the configs side by side with the keys that differ
first and highlighted (``config.toml``), the final metrics and findings (``summary.json``), and the
per-layer statistics of every run at one common epoch (``diagnostics.json``/``.npz``), with a figure
of each layer's activation std and weight gradient per run. Figures are embedded as base64 PNG:
the page opens from the file system with no server and no network.

This module reads and checks the runs, before anything is drawn; :mod:`mlplab.compare_page` draws
the figures and writes the page's HTML.
"""

from __future__ import annotations

import os
from functools import cached_property
from pathlib import Path
from typing import Any

from mlplab.atomic import write_text_atomic
from mlplab.compare_page import as_text, render_page
from mlplab.diagnostics import Diagnostics
from mlplab.naming import short_name
from mlplab.report import pyplot
from mlplab.runs import Run

MIN_RUNS, MAX_RUNS = 2, 8
NOT_COMPARED = ("out",)          # where a run was written is not a difference between the runs


class ComparedRun(Run):
    """A run on the page: :class:`mlplab.runs.Run` read once (the page is one snapshot of the files),
    with what the page gives it: the argument that named it, a label, a colour, its per-layer rows."""

    def __init__(self, arg: str | os.PathLike) -> None:
        super().__init__(arg)
        self.arg = str(arg)                                         # as the user gave it
        self.label = self.colour = ""
        self.layers: dict[str, dict[str, Any]] = {}                 # short layer name -> merged table row

    # config.toml as written (any mlplab version's keys: runs are compared, not re-run)
    stored_config = cached_property(Run.stored_config.fget)
    summary = cached_property(Run.summary.fget)
    history = cached_property(Run.history.fget)
    diag = cached_property(Run.diagnostics.fget)


# -- reading and checking the runs ---------------------------------------------------------------
def load_run(arg: str | os.PathLike) -> ComparedRun:
    """Read one run folder; a folder that is not a finished run is a ValueError naming it."""
    path = Path(arg)
    where = f"RUN {str(arg)!r}"
    if not path.is_dir():
        raise ValueError(f"{where} is not a folder")
    for name in ("config.toml", "summary.json"):
        if not (path / name).is_file():
            raise ValueError(f"{where} is not a finished mlplab run (no {name})")
    run = ComparedRun(arg)
    try:
        run.stored_config, run.summary, run.diag, run.history       # read now, each file once
    except (ValueError, OSError) as err:    # broken TOML, JSON, diagnostics (decode errors are ValueErrors)
        raise ValueError(f"{where}: cannot read it ({err})") from None
    if not isinstance(run.summary, dict):
        raise ValueError(f"{where}: summary.json holds no JSON object")
    return run


def load_runs(run_dirs: list[str | os.PathLike]) -> list[ComparedRun]:
    """The runs, after the checks of their number, their folders and duplicates."""
    if not MIN_RUNS <= len(run_dirs) <= MAX_RUNS:
        given = ", ".join(repr(str(r)) for r in run_dirs) or "none"
        raise ValueError(f"RUN: compare takes {MIN_RUNS} to {MAX_RUNS} runs, got {len(run_dirs)} ({given})")
    seen: dict[Path, str] = {}
    for arg in run_dirs:
        real = Path(arg).resolve()
        if real in seen:
            raise ValueError(f"RUN {str(arg)!r} is the same run as {seen[real]!r}: each run once")
        seen[real] = str(arg)
    return [load_run(arg) for arg in run_dirs]


def check_out(out: str | os.PathLike) -> Path:
    """The page's path, refused before any work when it cannot be written."""
    path = Path(out)
    if path.is_dir():
        raise ValueError(f"--out {str(out)!r} is a folder; give a file name, e.g. {str(path / 'compare.html')!r}")
    if not path.parent.is_dir():
        raise ValueError(f"--out {str(out)!r}: folder {str(path.parent)!r} does not exist")
    return path


def common_epoch(runs: list[ComparedRun], epoch: int | None = None) -> int | None:
    """``epoch`` after checking every run with diagnostics recorded it; else the last epoch all recorded
    (None: no run has diagnostics, or they share no epoch)."""
    with_diag = [run for run in runs if run.diag is not None]
    if epoch is not None:
        if isinstance(epoch, bool) or not isinstance(epoch, int) or epoch < 0:
            raise ValueError(f"--epoch must be a whole number >= 0, got {epoch!r}")
        if not with_diag:
            raise ValueError(f"--epoch {epoch}: none of the runs recorded diagnostics")
        for run in with_diag:
            if epoch not in run.diag.epochs:
                raise ValueError(f"--epoch {epoch} was not recorded by {run.arg!r} (recorded epochs: "
                                 f"{', '.join(map(str, run.diag.epochs))})")
        return epoch
    shared = set.intersection(*(set(run.diag.epochs) for run in with_diag)) if with_diag else set()
    return max(shared) if shared else None


def compared_keys(runs: list[ComparedRun]) -> list[str]:
    """Every run's config keys, in order of first appearance, less those that are no difference between
    the runs (:data:`NOT_COMPARED`)."""
    return list(dict.fromkeys(k for run in runs for k in run.stored_config if k not in NOT_COMPARED))


def differing_keys(runs: list[ComparedRun]) -> list[str]:
    """Config keys whose values are not the same in every run (a key missing from a run differs)."""
    keys = compared_keys(runs)
    return [k for k in keys if len({repr(run.stored_config.get(k, "<missing>")) for run in runs}) > 1]


def label_runs(runs: list[ComparedRun], differing: list[str]) -> None:
    """Short legend labels: the folder names when they tell the runs apart, else the differing values."""
    candidates = [[run.path.resolve().name for run in runs],
                  [", ".join(f"{k}={as_text(run.stored_config.get(k, '-'))}" for k in differing[:3]) for run in runs],
                  ["/".join(run.path.resolve().parts[-2:]) for run in runs]]
    labels = next((c for c in candidates if all(c) and len(set(c)) == len(c)),
                  [f"run {i + 1}" for i in range(len(runs))])
    from matplotlib.colors import to_hex
    for i, (run, label) in enumerate(zip(runs, labels)):
        run.label, run.colour = label, to_hex(pyplot().get_cmap("tab10")(i))     # 8 distinct colours


def layer_rows(diag: Diagnostics, epoch: int) -> dict[str, dict[str, Any]]:
    """The record at ``epoch``, one merged row per block ("hidden 2"): its activation and weight layer."""
    rows: dict[str, dict[str, Any]] = {}
    for row in diag.table(epoch):
        rows.setdefault(short_name(row["name"]), {}).update(row)
    return rows


def compare_runs(run_dirs: list[str | os.PathLike], out: str | os.PathLike, epoch: int | None = None) -> Path:
    """Write the comparison page of ``run_dirs`` (2 to 8 run folders) to ``out``; returns its path.

    Per-layer statistics are taken at ``epoch`` (default: the last epoch every run with diagnostics
    recorded). Every check runs before anything is drawn or written: bad input is a ValueError
    naming the argument and its value, and leaves no file.
    """
    runs = load_runs(list(run_dirs))
    path = check_out(out)
    at = common_epoch(runs, epoch)
    differing = differing_keys(runs)
    label_runs(runs, differing)
    if at is not None:
        for run in runs:
            if run.diag is not None:
                run.layers = layer_rows(run.diag, at)
    page = render_page(runs, compared_keys(runs), differing, at, asked=epoch is not None)
    write_text_atomic(path, page)
    return path
