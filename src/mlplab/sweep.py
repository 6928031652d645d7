"""Sweeps: a grid (and/or list) of training configurations x seeds, each cell an ordinary run.

A spec is a TOML file::

    name = "activations"
    seeds = [0, 1, 2]            # every configuration runs once per seed
    [base]                       # the keys of `mlplab train`, shared by every cell
    data = "mnist-5k"
    epochs = 5
    [grid]                       # the cartesian product of these lists
    activation = ["sigmoid", "tanh", "relu"]
    lr = [0.01, 0.1]
    [[cells]]                    # and/or explicit configurations, added after the grid
    activation = "elu"
    lr = 0.05

``command = "autoencoder"`` at the top makes every cell an ``mlplab autoencoder`` run (the deep
autoencoder against PCA) instead of ``mlplab train``; its keys are then the ones an autoencoder
:class:`~mlplab.config.RunConfig` reads (``hidden``, ``code``, ``pretrain``, ``epochs``, ...) and its
table the two test errors.  A cell is a ``RunConfig``; :data:`COMMANDS` says how each command's cell
runs and which of its summary's numbers the table shows.

Cell ``k`` of a configuration is the run directory ``OUT/runs/<config id>/seed<k>``; a cell
whose ``summary.json`` exists is finished and is skipped on a re-run, so a killed sweep
resumes; a cell that was running continues from its last checkpoint (when its ``config.toml``
is the spec's).  Results (mean, std and n of the final metrics per configuration) go to
``OUT/results.csv`` and ``OUT/results.md``.  Executors: ``local`` (a process pool, one BLAS
thread per worker so the workers do not fight over the cores) and ``ray`` (tasks on a Ray
cluster, or a local Ray instance; ``pip install mlplab[ray]``).
"""

from __future__ import annotations

import csv
import itertools
import json
import math
import multiprocessing
import os
import re
import signal
import statistics
import sys
import tomllib
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

from mlplab import blas
from mlplab.atomic import write_text_atomic
from mlplab.config import RunConfig
from mlplab.run import train_run
from mlplab.run_autoencoder import autoencoder_run
from mlplab.rundir import CHECKPOINT, write_csv
from mlplab.train import TrainingDiverged
from mlplab.validation import check_choice, check_positive_int

SPEC_KEYS = {"name", "command", "seeds", "base", "grid", "cells"}


def _train_cell(config: RunConfig) -> dict[str, Any]:
    """A train cell; one whose folder holds a checkpoint of this config continues from it.  A run
    that diverges is a result, not a crash of the sweep: its summary says ``diverged`` and where."""
    resume = resumable(config)
    try:
        return train_run(config, progress=False, resume=resume, overwrite=not resume)
    except TrainingDiverged:                  # train_run recorded where in the cell's summary.json
        return json.loads((Path(config.out) / "summary.json").read_text())


def _autoencoder_cell(config: RunConfig) -> dict[str, Any]:
    return autoencoder_run(config, progress=False)


@dataclass(frozen=True)
class Command:
    """How a sweep runs a cell of one command, and what its table shows: ``metrics`` are the summary's
    numbers gathered (mean, std, n); ``columns`` the Markdown table's (title, metric, digits), where a
    metric that is not gathered (``diverged``) is shown as counted."""
    run: Callable[[RunConfig], dict[str, Any]]
    metrics: tuple[str, ...]
    columns: tuple[tuple[str, str, int], ...]


COMMANDS: dict[str, Command] = {
    "train": Command(_train_cell, ("test_accuracy", "test_loss", "val_accuracy", "val_accuracy_epoch1", "epochs",
                                   "train_seconds"),
                     (("diverged", "diverged", 0), ("test accuracy", "test_accuracy", 4),
                      ("test loss", "test_loss", 4), ("epochs", "epochs", 1))),
    "autoencoder": Command(_autoencoder_cell, ("test_mse", "pca_test_mse", "test_mse_before_fine_tuning",
                                               "wall_seconds"),
                           (("autoencoder test MSE per pixel", "test_mse", 5),
                            ("PCA test MSE per pixel", "pca_test_mse", 5))),
}
METRICS = {name: command.metrics for name, command in COMMANDS.items()}     # as earlier versions named them


def command_keys(command: str) -> set[str]:
    """The keys a cell of ``command`` may set: the ones its :class:`RunConfig` reads."""
    return set(RunConfig.accepted(command))


@dataclass
class Cell:
    config_id: str                  # e.g. "activation=tanh,lr=0.1"
    overrides: dict[str, Any]
    seed: int
    config: RunConfig               # the full config of its run

    @property
    def out(self) -> Path:
        return Path(self.config["out"])

    @property
    def done(self) -> bool:
        return (self.out / "summary.json").is_file()


def read_spec(path: str | os.PathLike) -> dict[str, Any]:
    """Read and check a sweep spec: unknown sections or config keys are named."""
    path = Path(path)
    try:
        spec = tomllib.loads(path.read_text())
    except FileNotFoundError:
        raise FileNotFoundError(f"spec: no file at {str(path)!r}") from None
    except tomllib.TOMLDecodeError as err:
        raise ValueError(f"spec {str(path)!r} is not valid TOML: {err}") from None
    unknown = sorted(set(spec) - SPEC_KEYS)
    if unknown:
        raise ValueError(f"spec {str(path)!r}: unknown entries {', '.join(unknown)}; "
                         f"valid: {', '.join(sorted(SPEC_KEYS))}")
    command = spec.setdefault("command", "train")
    if command not in COMMANDS:
        raise ValueError(f"spec {str(path)!r}: unknown command {command!r}; valid: {', '.join(COMMANDS)}")
    valid = command_keys(command)
    tables = [("base", spec.get("base", {}))] + [("grid", spec.get("grid", {}))] + \
             [(f"cells[{i}]", cell) for i, cell in enumerate(spec.get("cells", []))]
    for where, table in tables:
        # a sweep sets seed and out per cell; one tensorboard folder for every cell would be cleared by each
        bad = sorted(set(table) - valid) + [k for k in ("out", "seed", "tensorboard") if k in table]
        if bad:
            raise ValueError(f"spec {str(path)!r}: {where} has keys that are not {command} keys, or that a sweep "
                             f"cannot take (seed and out: it sets them per cell; tensorboard: every cell would "
                             f"write, and clear, one folder): {', '.join(bad)}")
    for key, values in spec.get("grid", {}).items():
        if not isinstance(values, list) or not values:
            raise ValueError(f"spec {str(path)!r}: grid.{key} must be a non-empty list, got {values!r}")
    seeds = spec.get("seeds", [0])
    if not isinstance(seeds, list) or not seeds or not all(isinstance(s, int) and s >= 0 for s in seeds):
        raise ValueError(f"spec {str(path)!r}: seeds must be a non-empty list of non-negative integers, got {seeds!r}")
    if not spec.get("grid") and not spec.get("cells"):
        spec["cells"] = [{}]
    return spec


def _value_slug(value: Any) -> str:
    if isinstance(value, list):                  # hidden sizes: [128] * 30 -> 128x30
        return f"{value[0]}x{len(value)}" if value and len(set(value)) == 1 else "-".join(map(str, value))
    return str(value)


def _slug(overrides: dict[str, Any]) -> str:
    if not overrides:
        return "base"
    text = ",".join(f"{k}={_value_slug(v)}" for k, v in overrides.items())
    return re.sub(r"[^A-Za-z0-9_.,=+-]", "_", text)


def expand(spec: dict[str, Any], out: str | os.PathLike) -> list[Cell]:
    """Every (configuration, seed) cell of the spec, with its config (checked: a bad value names its
    key) and run directory."""
    grid = spec.get("grid", {})
    configurations = [dict(zip(grid, values)) for values in itertools.product(*grid.values())] if grid else []
    configurations += [dict(cell) for cell in spec.get("cells", [])]
    cells = []
    base = RunConfig.defaults(spec.get("command", "train")).merge(spec.get("base", {}))
    for overrides in configurations:
        config_id = _slug(overrides)
        for seed in spec.get("seeds", [0]):
            config = base.merge(overrides).replace(seed=seed, out=str(Path(out) / "runs" / config_id / f"seed{seed}"))
            cells.append(Cell(config_id, {k: config[k] for k in overrides}, seed, config))
    return cells


def run_cell(config: RunConfig) -> dict[str, Any]:
    """Run one cell (in a worker) as its command does and return its summary."""
    return COMMANDS[config.command].run(config)


def resumable(config: RunConfig) -> bool:
    """Whether a cell's folder holds a checkpoint of this very config (a sweep killed while the cell
    ran): it then continues from there, bit-identically, instead of starting again."""
    out = Path(config.out)
    if not (out / CHECKPOINT).is_file():
        return False
    try:
        saved = RunConfig.from_toml(out / "config.toml", config.command)
    except (OSError, ValueError):
        return False
    return saved == config


ONE_THREAD = {"OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1"}


def blas_threads(config: Any = None) -> int | None:
    """OpenBLAS's thread count in this process (the tests ask a worker through ``run_local``)."""
    return blas.threads()


def run_local(configs: list[Any], workers: int, on_done: Callable[[int], None],
              task: Callable[[Any], Any] = run_cell) -> list[Any]:
    # Workers are fresh interpreters that inherit the environment when they start: OpenBLAS reads
    # it as NumPy loads, before any initializer could run, so it is set here until the pool is done.
    saved = {name: os.environ.get(name) for name in ONE_THREAD}
    os.environ.update(ONE_THREAD)
    pool = ProcessPoolExecutor(max_workers=workers, mp_context=multiprocessing.get_context("spawn"))
    previous = signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))    # a killed sweep takes its workers along
    try:
        futures = {pool.submit(task, config): i for i, config in enumerate(configs)}
        results = []
        for future in futures:
            results.append(future.result())
            on_done(futures[future])
    except BaseException:
        for process in list(getattr(pool, "_processes", {}).values()):
            process.terminate()                     # their unfinished cells have no summary.json: redone on resume
        pool.shutdown(wait=False, cancel_futures=True)
        raise
    finally:
        signal.signal(signal.SIGTERM, previous)
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
    pool.shutdown()
    return results


def run_ray(configs: list[RunConfig], address: str | None, on_done: Callable[[int], None]) -> None:
    try:
        import ray
    except ImportError:
        raise ValueError("executor 'ray' needs Ray: pip install 'mlplab[ray]'") from None
    started_here = not ray.is_initialized()
    if started_here:
        ray.init(address=address, include_dashboard=False, log_to_driver=False,
                 runtime_env={"env_vars": ONE_THREAD})
    try:
        task = ray.remote(num_cpus=1)(run_cell)
        pending = {task.remote(config): i for i, config in enumerate(configs)}
        while pending:
            ready, _ = ray.wait(list(pending), num_returns=1)
            for ref in ready:
                ray.get(ref)
                on_done(pending.pop(ref))
    finally:
        if started_here:
            ray.shutdown()


def run_sweep(spec_path: str | os.PathLike, out: str | os.PathLike, executor: str = "local", workers: int | None = None,
              address: str | None = None, log: Callable[[str], None] = lambda text: None) -> list[dict[str, Any]]:
    """Run every unfinished cell of the spec, then gather the table; returns its rows."""
    check_choice("executor", executor, ("local", "ray"))
    spec = read_spec(spec_path)
    out = Path(out)
    cells = expand(spec, out)
    todo = [cell for cell in cells if not cell.done]
    resumed = sum(resumable(cell.config) for cell in todo)
    log(f"sweep {spec.get('name', Path(spec_path).stem)!r}: {len(cells)} cells, {len(cells) - len(todo)} already "
        f"finished, {len(todo)} to run ({executor})" + (f", {resumed} from a checkpoint" if resumed else ""))
    out.mkdir(parents=True, exist_ok=True)
    (out / "spec.toml").write_text(Path(spec_path).read_text())
    configs = [cell.config for cell in todo]

    def done(i: int) -> None:
        log(f"  done {todo[i].config_id} seed {todo[i].seed}")

    if todo:
        if executor == "local":
            run_local(configs, check_positive_int("workers", workers or os.cpu_count() or 1), done)
        else:
            run_ray(configs, address, done)
    return gather(cells, out, spec["command"])


def gather(cells: list[Cell], out: Path, command: str = "train") -> list[dict[str, Any]]:
    """Per configuration: mean, std and n of each final metric over its seeds; written as CSV and Markdown."""
    by_config: dict[str, list[Cell]] = {}
    for cell in cells:
        by_config.setdefault(cell.config_id, []).append(cell)
    rows = []
    for config_id, group in by_config.items():
        summaries = [_summary(c.out) for c in group if c.done]
        row: dict[str, Any] = {"config": config_id, **group[0].overrides, "n": len(summaries),
                               "diverged": sum(bool(s.get("diverged")) for s in summaries)}
        for metric in COMMANDS[command].metrics:
            values = [float(s[metric]) for s in summaries if s.get(metric) is not None]
            row[f"{metric}_mean"] = statistics.mean(values) if values else math.nan
            row[f"{metric}_std"] = statistics.stdev(values) if len(values) > 1 else math.nan
        rows.append(row)
    write_csv(out / "results.csv", rows)
    write_text_atomic(out / "results.md", results_markdown(rows, command))
    return rows


def _summary(run_dir: Path) -> dict[str, Any]:
    """A finished cell's summary, plus its validation accuracy after the first epoch (how fast it starts)."""
    summary = json.loads((run_dir / "summary.json").read_text())
    if summary.get("diverged") or not (run_dir / "metrics.csv").is_file():
        return summary
    with open(run_dir / "metrics.csv", newline="") as f:
        first = next(csv.DictReader(f), {})
    if first.get("val_accuracy"):
        summary["val_accuracy_epoch1"] = float(first["val_accuracy"])
    return summary


def results_markdown(rows: list[dict[str, Any]], command: str = "train") -> str:
    """The table people read: the command's columns (train: accuracy and loss; autoencoder: its and
    PCA's test error) as mean ± std over the runs that did not diverge; no timings (they differ between runs)."""
    columns = COMMANDS[command].columns
    lines = ["| " + " | ".join(["configuration", "n", *(title for title, _, _ in columns)]) + " |",
             "|" + "---|" * (2 + len(columns))]
    for row in rows:
        def cell(metric: str, digits: int) -> str:
            if f"{metric}_mean" not in row:           # counted, not averaged
                return str(row[metric])
            mean, std = row[f"{metric}_mean"], row[f"{metric}_std"]
            return "-" if math.isnan(mean) else (f"{mean:.{digits}f}" if math.isnan(std)
                                                 else f"{mean:.{digits}f} ± {std:.{digits}f}")
        lines.append("| " + " | ".join([row["config"], str(row["n"]), *(cell(metric, digits)
                                                                          for _, metric, digits in columns)]) + " |")
    return "\n".join(lines) + "\n"


__all__ = ["read_spec", "expand", "run_sweep", "gather", "results_markdown", "Cell"]
