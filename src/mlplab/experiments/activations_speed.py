"""The speed half of the ``activations`` experiment: every activation at the rate that reaches the
target training loss in the fewest updates, compared with ReLU in updates to that target, paired by
seed (CS7015 lecture 9, module 9.3; DD2424 lecture 4; Krizhevsky et al. 2012, Figure 1)."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any, Iterable

import numpy as np

import mlplab as ml
from mlplab.experiments.activations_common import (ACTIVATIONS, BATCH, GRID_SEEDS, KRIZHEVSKY_FACTOR, MOMENTUM,
                                                   QUICK_ACTIVATIONS, QUICK_BUDGET, QUICK_SPEED_RATES, SEVERAL,
                                                   SPEED_BUDGET, SPEED_HIDDEN, SPEED_RATES, SPEED_TARGETS, TARGET,
                                                   WINDOW, Data, Run, choose_rate, train, updates_to_target,
                                                   updates_until)
from mlplab.experiments.base import Result, Table, add_figure, mean_spread, plot_loss_curves
from mlplab.experiments.verdict import Claim, mean_ci95
from mlplab.network import Sequential


# -- speed of convergence ---------------------------------------------------------------------------------------------
def speed_net(data: Data, activation: str, seed: int) -> Sequential:
    """784-128-128-10 (mlp's default init: He for the rectifiers, Glorot for sigmoid/tanh)."""
    return ml.mlp(data.X.shape[1], list(SPEED_HIDDEN), 10, activation=activation, seed=seed)


def speed_run(data: Data, activation: str, rate: float, seed: int, updates: int) -> Run:
    """One compared run: SGD with momentum for exactly ``updates`` updates."""
    return train(speed_net(data, activation, seed), ml.optim.SGD(lr=rate, momentum=MOMENTUM), data, updates, seed)


def speed_grid(result: Result, data: Data, activations: Iterable[str]) -> dict[str, float]:
    """Each activation's rate: the fewest mean updates to the target over GRID_SEEDS (Krizhevsky et al.
    chose each net's rate to train as fast as possible), each grid run stopping at the target."""
    rates, grid = {}, {}
    for activation in activations:
        rates[activation], grid[activation] = choose_rate(
            lambda rate, seed: updates_until(speed_net(data, activation, seed),
                                             ml.optim.SGD(lr=rate, momentum=MOMENTUM), data, SPEED_BUDGET, seed),
            SPEED_RATES)
    result.tables.append(Table(
        f"Speed rate grid: updates to training loss {TARGET} (SGD momentum {MOMENTUM}, batch {BATCH}, mean of seeds "
        f"{GRID_SEEDS}, never or diverged: {SPEED_BUDGET + 1}); the fewest is each activation's rate (ties: the "
        "smaller rate)", ["activation", *[f"lr {r}" for r in SPEED_RATES], "chosen"],
        [[a, *[grid[a][r] for r in SPEED_RATES], rates[a]] for a in rates]))
    stale = {a: rates[a] for a in QUICK_SPEED_RATES if rates[a] != QUICK_SPEED_RATES[a]}
    if stale:
        result.notes.append(f"The grid chose {stale}, but --quick uses QUICK_SPEED_RATES = {QUICK_SPEED_RATES}: "
                            "update the constant.")
    edge = [a for a in rates if rates[a] in (SPEED_RATES[0], SPEED_RATES[-1])]
    if edge:
        result.notes.append(f"The chosen speed rate is at the edge of the grid for {', '.join(edge)}.")
    return rates


SPEED_STATISTIC = ("per-seed ratio ({} / ReLU) of updates until the training loss (running mean of "
                   f"{WINDOW} updates) is <= {TARGET}, each activation at the rate that reached it in the fewest "
                   "updates on grid seeds; a run that does not get there within the budget (or diverges first) "
                   "counts as the budget + 1; threshold {}")
LECTURES = "CS7015 lecture 9, module 9.3; DD2424 lecture 4"


def speed_claims(found: dict[str, dict[str, Any]], rates: dict[str, float]) -> list[Claim]:
    """Claims 7-10: the ratio (other / ReLU) of updates to the target, > 1 when ReLU is faster."""
    relu = found["relu"]

    def baseline(other: str) -> str:
        o = found[other]
        return (f"{other} (baseline) test accuracy {np.mean(o['acc']):.3f} at lr {rates[other]}, ReLU "
                f"{np.mean(relu['acc']):.3f} at lr {rates['relu']} (mean over seeds); updates to target: {other} "
                f"{mean_spread(o['updates'])}, ReLU {mean_spread(relu['updates'])}")

    tanh = found["tanh"]["updates"]
    return [
        Claim.from_paired(
            f"ReLU converges faster than sigmoid (direction only; the lectures' 'much' is not quantified; {LECTURES}), "
            "each at its own best rate", SPEED_STATISTIC.format("sigmoid", "1 (direction only)"),
            found["sigmoid"]["updates"], relu["updates"], 1.0, ">", log=True, baseline=baseline("sigmoid")),
        Claim.from_paired(
            f"ReLU converges faster than tanh (direction only; the lectures' 'much' is not quantified; {LECTURES}), "
            "each at its own best rate", SPEED_STATISTIC.format("tanh", "1 (direction only)"),
            tanh, relu["updates"], 1.0, ">", log=True, baseline=baseline("tanh")),
        Claim.from_paired(
            "Krizhevsky et al.'s 6x (a 4-layer CNN on CIFAR-10, cited by the notes) carries over to a 784-128-128-10 "
            "MLP on Fashion-MNIST: ReLU reaches the target in six times fewer updates than tanh, each at its own "
            "best rate", SPEED_STATISTIC.format("tanh", "6 (Krizhevsky et al. 2012, Figure 1: six times fewer "
                                                        "epochs to 25% training error on CIFAR-10)"),
            tanh, relu["updates"], KRIZHEVSKY_FACTOR, ">", log=True, baseline=baseline("tanh")),
        Claim.from_paired(
            "Networks with ReLUs learn several times faster than equivalents with saturating neurons (Krizhevsky "
            "et al. 2012, section 3.1), here ReLU against tanh, each at its own best rate",
            SPEED_STATISTIC.format("tanh", "2 (our reading of 'several times'; the paper gives no number)"),
            tanh, relu["updates"], SEVERAL, ">", log=True, baseline=baseline("tanh")),
    ]


def speed_targets(result: Result, found: dict[str, dict[str, Any]], budget: int) -> None:
    """The ratio (other / ReLU) at several targets: its size depends on where the target is set."""
    rows = []
    for target in SPEED_TARGETS:
        row: list[Any] = [target]
        for other in ("sigmoid", "tanh"):
            ratios = [updates_to_target(a, budget, target) / updates_to_target(b, budget, target)
                      for a, b in zip(found[other]["curves"], found["relu"]["curves"])]
            mean, low, high = (math.exp(v) for v in mean_ci95(np.log(ratios)))
            row.append(f"{mean:.3g} [{low:.3g}, {high:.3g}]")
        row.append(sum(updates_to_target(c, budget, target) > budget
                       for a in ("sigmoid", "tanh", "relu") for c in found[a]["curves"]))
        rows.append(row)
    result.tables.append(Table(
        f"Speed: the ratio of updates to a target training loss (running mean of {WINDOW}) at several targets "
        f"(geometric mean over seeds [95% interval]; a miss counts as {budget + 1}, which caps the ratio)",
        ["target", "sigmoid / ReLU", "tanh / ReLU", "runs that missed the target"], rows))


def speed(result: Result, out: Path, data: Data, seeds: int, quick: bool) -> None:
    """Claims 7-10: ReLU against sigmoid and tanh in updates to the target, each at its own best rate."""
    activations = QUICK_ACTIVATIONS if quick else ACTIVATIONS
    budget = QUICK_BUDGET if quick else SPEED_BUDGET
    rates = dict(QUICK_SPEED_RATES) if quick else speed_grid(result, data, activations)
    found = {a: {"updates": [], "acc": [], "final": [], "diverged": 0, "curves": []} for a in activations}
    for seed in range(seeds):
        for activation in activations:
            run = speed_run(data, activation, rates[activation], seed, budget)
            f = found[activation]
            f["updates"].append(run.updates(budget))
            f["acc"].append(run.test_accuracy)
            f["final"].append(float(np.mean(run.losses[-WINDOW:])) if not run.diverged else math.nan)
            f["diverged"] += run.diverged
            f["curves"].append(run.losses)
    result.claims.extend(speed_claims(found, rates))
    speed_targets(result, found, budget)
    result.tables.append(Table(
        f"Speed net: 784-{SPEED_HIDDEN[0]}-{SPEED_HIDDEN[1]}-10 (He init for the rectifiers, Glorot for "
        f"sigmoid/tanh), SGD momentum {MOMENTUM}, batch {BATCH}, {budget} updates, each activation at its "
        "chosen rate",
        ["activation", "rate", f"updates to loss {TARGET} (never: {budget + 1})",
         f"final training loss (last {WINDOW} updates)", "test accuracy", "runs diverged"],
        [[a, rates[a], mean_spread(f["updates"]), mean_spread(f["final"]), mean_spread(f["acc"]), f["diverged"]]
         for a, f in found.items()]))
    curves = {f"{a} (lr {rates[a]})": found[a]["curves"][0] for a in activations}
    add_figure(result, plot_loss_curves(curves, target=TARGET, window=WINDOW), out, "speed-curves.png",
               f"Speed net (784-{SPEED_HIDDEN[0]}-{SPEED_HIDDEN[1]}-10, seed 0): training loss per update for each "
               f"activation at its own rate; the dotted line is the target {TARGET}. Look at where each line crosses "
               "it, ReLU's against tanh's and sigmoid's.")
