"""Two runs at once: each run's epoch time when started together with a twin, over its time alone.

Two ``mlplab train`` processes on a 2-core machine used to take 7.8x their time alone each: both
started one OpenBLAS thread per core, and OpenBLAS's threads busy-wait for each other between the
pieces of a product, so four spinning threads fought over two cores.  ``mlplab train`` now shares
the cores with the other mlplab runs it finds running (:mod:`mlplab.threads`); ``--threads 2``
reproduces the old behaviour, and PyTorch (its default threads, one per core) is measured beside.
"""

from __future__ import annotations

import csv
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
# condition: (label, how a run is started)
CONDITIONS = {
    "mlplab": "mlplab train (default: notices the other run)",
    "mlplab-threads2": "mlplab train --threads 2 (each takes both cores: the old default)",
    "pytorch": "PyTorch, its default threads",
}


def mlplab_command(out: Path, epochs: int, train_limit: int, extra: list[str]) -> list[str]:
    """The issue's main configuration as `mlplab train` flags, timed by the run's own metrics.csv."""
    return [sys.executable, "-m", "mlplab.cli", "train", "--data", "fashion-mnist", "--hidden", "1000,500,250",
            "--activation", "relu", "--init", "he_normal", "--optimizer", "sgd", "--lr", "0.05", "--momentum", "0.9",
            "--schedule", "constant", "--batch-size", "100", "--epochs", str(epochs), "--train-limit", str(train_limit),
            "--val-fraction", "0", "--diagnostics", "off", "--no-report", "--quiet", "--out", str(out), *extra]


def start(condition: str, scratch: Path, k: int, epochs: int, train_limit: int) -> tuple[subprocess.Popen, Path]:
    out = scratch / f"{condition}-{k}"
    if condition == "pytorch":
        command = [sys.executable, str(HERE / "speed.py"), "--worker", "pytorch", "--config", "main",
                   "--epochs", str(epochs), "--train-limit", str(train_limit)]
    else:
        command = mlplab_command(out, epochs, train_limit, ["--threads", "2"] if condition == "mlplab-threads2" else [])
    return subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True), out


def epoch_seconds(condition: str, process: subprocess.Popen, out: Path) -> list[float]:
    stdout, stderr = process.communicate()
    if process.returncode != 0:
        raise RuntimeError(f"{condition} failed (exit {process.returncode}):\n{stderr[-2000:]}")
    if condition == "pytorch":
        return json.loads(stdout.strip().splitlines()[-1])["epoch_seconds"]
    with open(out / "metrics.csv") as f:
        return [float(row["seconds"]) for row in csv.DictReader(f)]


def measure(condition: str, together: int, epochs: int, train_limit: int) -> list[float]:
    """Start ``together`` runs at once; the median epoch time of each."""
    with tempfile.TemporaryDirectory(prefix="speed-shared-") as scratch:
        started = [start(condition, Path(scratch), k, epochs, train_limit) for k in range(together)]
        return [statistics.median(epoch_seconds(condition, p, out)) for p, out in started]


def run_shared(rounds: int, epochs: int, train_limit: int, log=print) -> dict:
    """Per condition and round: the epoch time alone, and both runs' epoch times started together."""
    results: dict[str, list[dict]] = {c: [] for c in CONDITIONS}
    for r in range(rounds):
        for condition in CONDITIONS:
            alone = measure(condition, 1, epochs, train_limit)[0]
            pair = measure(condition, 2, epochs, train_limit)
            results[condition].append({"alone": alone, "together": pair})
            log(f"round {r + 1} two at once  {condition:16s} alone {alone:.2f} s  together "
                f"{', '.join(f'{t:.2f}' for t in pair)} s  ({max(pair) / alone:.1f}x)")
    return {"epochs": epochs, "train_limit": train_limit, "cores": len(os.sched_getaffinity(0)),
            "date": time.strftime("%Y-%m-%d"), "results": results}


def slowdown(runs: list[dict]) -> float:
    """The slower twin's epoch time over the time alone, median over rounds."""
    return statistics.median(max(r["together"]) / r["alone"] for r in runs)


def shared_table(shared: dict) -> list[str]:
    lines = [f"Two processes started together on this {shared['cores']}-core machine, each training the main "
             f"configuration ({shared['epochs']} epoch(s) of {shared['train_limit']:,} images; `mlplab train` with "
             "its own flags, PyTorch through `speed.py --worker pytorch`). Times are median epoch seconds; the "
             "slowdown is the slower twin's epoch over the time alone, median over rounds "
             f"({len(next(iter(shared['results'].values())))}).", "",
             "| runs | alone s | together s | slowdown | goal |", "|---|---|---|---|---|"]
    for condition, label in CONDITIONS.items():
        runs = shared["results"].get(condition)
        if not runs:
            continue
        alone = statistics.median(r["alone"] for r in runs)
        together = statistics.median(max(r["together"]) for r in runs)
        goal = "<= 2.5x" if condition == "mlplab" else ""
        lines.append(f"| {label} | {alone:.2f} | {together:.2f} | {slowdown(runs):.1f}x | {goal} |")
    return lines
