"""Batch normalisation: Ioffe & Szegedy's MNIST replication (their Figure 1) and the notes' claims.

DD2424 lecture 4 ("Benefits of Batch Normalization"): BN reduces the strong dependence on the
initialisation, allows higher learning rates and acts as a form of regularisation; Ioffe & Szegedy
2015: BN trains faster and ends higher (Figure 1a) and keeps a unit's input distribution steadier
(Figure 1b-c); CS7015 lecture 9, module 9.5 gives the setting of a comparison ("we will now compare
the performance with and without batch normalization on MNIST data using 2 layers") and no result;
Balasubramanian lecture 30: BN allows higher rates.  Four parts, every one with a baseline that learns:

1. Ioffe & Szegedy 2015, Figure 1, at their budget: 3 hidden layers of 100 sigmoids, small
   Gaussian weights N(0, 0.01^2), batches of 60, 50,000 SGD updates, with and without BN
   (``Dense -> BN -> sigmoid``).  1a: test accuracy against updates; 1b-c: the 15/50/85th
   percentiles of a typical last-layer sigmoid's input over training, on a probe batch normalised
   by its own batch statistics.
2. The 2-layer comparison in CS7015's setting: two hidden layers of tanh units, Xavier weights,
   each net at its own rate tuned on a validation split.
3. A learning-rate sweep on a geometric grid up to where each net fails: the largest rate at
   which a net still reaches a target test accuracy, per seed, paired.
4. Bad initialisations, too small and too large, picked on a validation split by a rule fixed in
   advance; whether they hurt the BN net less (the paired difference of the two nets' losses of
   accuracy against Xavier weights), given the precondition that they hurt the baseline at all.
"""

from __future__ import annotations

import dataclasses
import math
from pathlib import Path

import numpy as np

from mlplab.experiments.base import Result, Table, Timer, load_split, mean_spread
from mlplab.experiments.batchnorm_report import figures, notes
# (SEEDS and QUICK_SEEDS are read here by mlplab.experiments.default_seeds)
from mlplab.experiments.batchnorm_setup import (BAD_INITS, DATA, DRIFT_END, DRIFT_START, FIT, FULL, INIT_LR,
                                                OTHER_INITS, PAPER_LR, PAPER_NET, PAPER_SEEDS, PAPER_TARGET, PROBE,
                                                QUICK, QUICK_SEEDS, SEEDS, SWEEP_NET, SWEEP_TARGET, TWO_LAYER_LR,
                                                TWO_LAYER_NET, Budget)
from mlplab.experiments.batchnorm_train import (Data, Net, Run, largest_good_rate, train, typical_unit, unit_drifts,
                                                updates_to_reach)
from mlplab.experiments.verdict import Claim

NAME = "batchnorm"
TITLE = ("batch norm on Ioffe & Szegedy's MNIST net at their 50,000 updates, the notes' 2-layer net, "
         "a rate sweep to failure and a bad initialisation")
SOURCE = ("Ioffe & Szegedy 2015, Figure 1; DD2424 lecture 4 (benefits of batch normalization); CS7015 lecture 9, "
          "module 9.5 (the setting); Balasubramanian lecture 30")


def run(out: Path, seeds: int = SEEDS, quick: bool = False) -> Result:
    timer = Timer()
    budget = QUICK if quick else FULL
    result = Result(NAME, TITLE, SOURCE, seeds, quick)
    data = _data()
    paper_seeds = min(seeds, PAPER_SEEDS)
    paper = {bn: [_paper_run(data, bn, budget, seed) for seed in range(paper_seeds)] for bn in (False, True)}
    paper_claims(result, paper, budget)
    two = {bn: [_two_layer_run(data, bn, budget, seed) for seed in range(seeds)] for bn in (False, True)}
    two_layer_claims(result, two, budget)
    sweep = {bn: [_sweep(data, bn, budget, seed) for seed in range(seeds)] for bn in (False, True)}
    sweep_claims(result, sweep, budget)
    good, bad = _init_runs(data, sweep, budget, seeds, others=not quick)
    init_claims(result, good, bad, budget, [r.final for r in paper[False]])
    figures(result, out, paper, budget, drift_window(budget.paper_updates))
    notes(result, budget, paper_seeds)
    result.seconds = timer.seconds()
    return result


def _data() -> Data:
    X, y, X_test, y_test = load_split(DATA)
    return Data(X, y, X_test, y_test, probe=X[:PROBE])


# -- 1. Ioffe & Szegedy's Figure 1 -------------------------------------------------------------
def drift_window(updates: int) -> tuple[int, int]:
    """Figure 1b-c's claim window in updates: from 1% to 10% of the budget (fixed before the run:
    after the initial weights; early training, before the net without BN has memorised its
    training set and stopped moving on most seeds, though not before it fits 99% of it)."""
    return round(updates * DRIFT_START), round(updates * DRIFT_END)


def _checkpoints(updates: int, even: int, logs: int) -> tuple[list[int], list[int]]:
    """Accuracy checkpoints (dense early, on a log grid of ``logs`` points, plus ``even`` evenly
    spaced ones) and the percentile checkpoints (the initial weights, 10 evenly spaced ones up to
    the window's end, and the ``even`` evenly spaced ones)."""
    log = np.unique(np.geomspace(5, updates, logs).astype(int))
    spaced = [round(updates * k / even) for k in range(1, even + 1)]
    _, end = drift_window(updates)
    early = [round(end * k / 10) for k in range(1, 11)]
    return sorted(set(log.tolist()) | set(spaced) | {end}), sorted({0, *early, *spaced})


def _paper_run(data: Data, bn: bool, budget: Budget, seed: int) -> Run:
    steps, percentile_steps = _checkpoints(budget.paper_updates, budget.checkpoints, budget.log_checkpoints)
    return train(data, PAPER_NET, bn, PAPER_LR, budget.paper_updates, seed, steps, percentile_steps)


def typical_drift(run_: Run, start: int, end: float = math.inf) -> float:
    """Figure 1b-c's statistic for one run: the drift of its typical unit between ``start`` and ``end``."""
    drifts = unit_drifts(run_.percentile_steps, run_.percentiles, start, end)
    return float(drifts[typical_unit(drifts)])


def _at(run_: Run, step: int) -> float:
    """Training accuracy at checkpoint ``step`` (a diverged run's is chance)."""
    return run_.train_curve[run_.steps.index(step)]


def paper_claims(result: Result, paper: dict[bool, list[Run]], budget: Budget) -> None:
    n = budget.paper_updates
    start, end = drift_window(n)
    reach = {bn: [updates_to_reach(r.steps, r.accuracy, PAPER_TARGET, n) for r in runs] for bn, runs in paper.items()}
    fit = {bn: [updates_to_reach(r.steps, r.train_curve, FIT, n) for r in runs] for bn, runs in paper.items()}
    final = {bn: [r.final for r in runs] for bn, runs in paper.items()}
    drift = {bn: [typical_drift(r, start, end) for r in runs] for bn, runs in paper.items()}
    second = {bn: [typical_drift(r, n // 2) for r in runs] for bn, runs in paper.items()}
    whole = {bn: [typical_drift(r, start) for r in runs] for bn, runs in paper.items()}
    at_end = {bn: [_at(r, end) for r in runs] for bn, runs in paper.items()}
    arms = f"final test accuracy without BN {mean_spread(final[False])}, with BN {mean_spread(final[True])}"
    rate = ("at the rate tuned on a validation split for the net without BN only, which if anything favours it; "
            "Figure 1's part runs 5 seeds, not 10, as one seed of it costs over a minute")
    result.claims += [
        Claim.from_paired(
            "Ioffe & Szegedy, Figure 1a: with batch norm the 3 x 100 sigmoid net trains faster",
            f"per seed (paired), updates the net without BN needs to first reach {PAPER_TARGET:.0%} test accuracy "
            "over those the BN net needs (a run that never reaches it counts as the whole budget, which flatters "
            f"the slower net), {rate}; the paper gives a direction only, so the threshold is the null ratio 1",
            reach[False], reach[True], 1.0, ">", log=True,
            baseline=f"{arms}; updates to {PAPER_TARGET:.0%}: without {mean_spread(reach[False])}, "
                     f"with {mean_spread(reach[True])}; updates to {FIT:.0%} training accuracy: without "
                     f"{mean_spread(fit[False])}, with {mean_spread(fit[True])}"),
        Claim.from_paired(
            "Ioffe & Szegedy, Figure 1a: ... and ends with a higher test accuracy",
            f"per seed (paired), final test accuracy with BN minus without, {rate}; the paper gives a direction "
            "only: threshold 0", final[True], final[False], 0.0, ">", baseline=arms),
        Claim.from_paired(
            "Ioffe & Szegedy, Figure 1b-c: early in training, the input distribution of a typical last-layer "
            "sigmoid stays steadier with batch norm",
            "per seed (paired), ratio BN / no BN of the typical unit's drift from 1% to 10% of the updates (the "
            "range of its median input over its mean 15-85th percentile spread, on 500 training images that batch "
            "norm normalises by their own batch statistics; typical: the median unit of the 100 by that drift); "
            "the window, fixed before the run, leaves out the initial weights and covers early training only, in "
            "which both nets come to fit their 4,000 training images (the BN net first; see the table), after "
            "which the net without BN stops moving: the verdict says nothing about later training; "
            f"{rate}; a direction only: threshold ratio 1",
            drift[True], drift[False], 1.0, "<", log=True,
            baseline=f"{arms}; drift without {mean_spread(drift[False])}, with {mean_spread(drift[True])}; "
                     f"training accuracy at the window's end: without {mean_spread(at_end[False])}, "
                     f"with {mean_spread(at_end[True])}"),
    ]
    rows = []
    for bn in (False, True):
        rows.append(["yes" if bn else "no", mean_spread(final[bn]), mean_spread([r.train_accuracy for r in paper[bn]]),
                     mean_spread(reach[bn]), mean_spread(fit[bn]), mean_spread(at_end[bn]), mean_spread(drift[bn]),
                     mean_spread(second[bn]), mean_spread(whole[bn]),
                     sum(r.diverged_at is not None for r in paper[bn])])
    result.tables.append(Table(
        f"Ioffe & Szegedy's net: 3 x 100 sigmoid, {PAPER_NET.init} weights, batches of 60, SGD lr {PAPER_LR}, "
        f"{n:,} updates on {DATA}, {len(paper[False])} seeds; drifts on the probe's own batch statistics",
        ["batch norm", "final test accuracy", "final training accuracy", f"updates to {PAPER_TARGET:.0%} test accuracy",
         f"updates to {FIT:.0%} training accuracy", f"training accuracy at update {end:,}",
         f"typical unit's drift, updates {start:,}-{end:,} (the claim)",
         f"drift, updates {n // 2:,}-{n:,} (context)", f"drift, updates {start:,}-{n:,} (context)",
         "diverged runs"], rows))


# -- 2. the 2-layer comparison in CS7015's setting --------------------------------------------
def _two_layer_run(data: Data, bn: bool, budget: Budget, seed: int) -> Run:
    per_epoch = data.X.shape[0] // 60 + 1
    return train(data, TWO_LAYER_NET, bn, TWO_LAYER_LR[bn], budget.two_layer_updates, seed, steps=[per_epoch])


def two_layer_claims(result: Result, two: dict[bool, list[Run]], budget: Budget) -> None:
    early = {bn: [r.accuracy[0] for r in runs] for bn, runs in two.items()}
    final = {bn: [r.final for r in runs] for bn, runs in two.items()}
    arms = (f"final test accuracy without BN {mean_spread(final[False])} (lr {TWO_LAYER_LR[False]:g}), with BN "
            f"{mean_spread(final[True])} (lr {TWO_LAYER_LR[True]:g}); after one epoch: without "
            f"{mean_spread(early[False])}, with {mean_spread(early[True])}")
    setting = ("2 tanh layers on MNIST, CS7015 lecture 9 module 9.5's setting; the slide names this comparison "
               "but states no result")
    result.claims += [
        Claim.from_paired(
            f"Ioffe & Szegedy, DD2424 lecture 4 ({setting}): batch norm learns faster",
            "per seed (paired), test accuracy after one epoch with BN minus without, each net at its own rate "
            "tuned on one validation split (notes); the direction is Ioffe & Szegedy's (Figure 1a), who give no "
            "threshold: threshold 0", early[True], early[False], 0.0, ">", baseline=arms),
        Claim.from_paired(
            "DD2424 lecture 4 (batch norm 'acts as a form of regularization'), Ioffe & Szegedy: ... and ends with "
            "a higher test accuracy",
            "per seed (paired), final test accuracy with BN minus without, each net at its own rate tuned on one "
            "validation split (notes); a direction only: threshold 0",
            final[True], final[False], 0.0, ">", baseline=arms),
    ]


# -- 3. the learning-rate sweep ----------------------------------------------------------------
def _sweep(data: Data, bn: bool, budget: Budget, seed: int) -> list[Run]:
    """Runs up the rate grid until the first one that misses the target (or the grid's end)."""
    runs = []
    for rate in budget.rates:
        runs.append(train(data, SWEEP_NET, bn, rate, budget.sweep_updates, seed))
        if runs[-1].final < SWEEP_TARGET:
            break
    return runs


def sweep_claims(result: Result, sweep: dict[bool, list[list[Run]]], budget: Budget) -> None:
    good = {bn: [largest_good_rate(budget.rates, [r.final >= SWEEP_TARGET for r in runs]) for runs in seeds]
            for bn, seeds in sweep.items()}
    k = budget.rates.index(INIT_LR)       # a rate both nets handle: their accuracies beside the claim
    at_base = {bn: [runs[k].final for runs in seeds if len(runs) > k] for bn, seeds in sweep.items()}
    result.claims.append(Claim.from_paired(
        "DD2424 lecture 4, Balasubramanian lecture 30: batch norm allows higher learning rates",
        f"per seed (paired), log2 of the largest rate on a doubling grid up to which the net still reaches "
        f"{SWEEP_TARGET:.0%} test accuracy, BN minus no BN (a diverged run counts as chance, 10%; a net that never "
        "fails on the grid counts as its top rate, which understates it); the grid is tuned for neither net; a "
        "direction only: threshold 0",
        np.log2(good[True]), np.log2(good[False]), 0.0, ">",
        baseline=f"test accuracy at lr {INIT_LR:g}: without BN {mean_spread(at_base[False])}, with BN "
                 f"{mean_spread(at_base[True])}; largest good rate without {mean_spread(good[False])}, "
                 f"with {mean_spread(good[True])}"))
    rows = []
    for k, rate in enumerate(budget.rates):
        row = [f"{rate:g}"]
        for bn in (False, True):
            runs = [seeds[k] for seeds in sweep[bn] if len(seeds) > k]
            if not runs:
                row += ["(not run: every seed had failed below)", ""]
                continue
            reached = sum(r.final >= SWEEP_TARGET for r in runs)
            diverged = sum(r.diverged_at is not None for r in runs)
            row += [mean_spread([r.final for r in runs]), f"{reached} of {len(runs)} ({diverged} diverged)"]
        rows.append(row)
    result.tables.append(Table(
        f"Learning-rate sweep: 3 x 100 sigmoid, Xavier weights, {budget.sweep_updates:,} updates; each seed climbs "
        "the grid until its first miss",
        ["learning rate", "test accuracy without BN", f"reached {SWEEP_TARGET:.0%} without BN",
         "test accuracy with BN", f"reached {SWEEP_TARGET:.0%} with BN"], rows))


# -- 4. bad initialisations -------------------------------------------------------------------
Arms = dict[bool, list[float]]


def _init_runs(data: Data, sweep: dict[bool, list[list[Run]]], budget: Budget, seeds: int,
               others: bool = True) -> tuple[Arms, dict[str, Arms]]:
    """Test accuracy per seed with Xavier weights (the sweep's runs at ``INIT_LR``, rerun for a seed
    whose sweep stopped below it) and with each bad initialisation, both nets, and with each
    reported-only one when ``others`` (the full run; quick leaves them out for time)."""
    k = budget.rates.index(INIT_LR)
    good = {bn: [runs[k].final if len(runs) > k else train(data, SWEEP_NET, bn, INIT_LR, budget.sweep_updates,
                                                            seed).final
                 for seed, runs in enumerate(sweep[bn])] for bn in (False, True)}
    bad = {}
    for _, init, _ in BAD_INITS + (OTHER_INITS if others else ()):
        net = Net(SWEEP_NET.hidden, SWEEP_NET.activation, init)
        bad[init] = {bn: [train(data, net, bn, INIT_LR, budget.sweep_updates, seed).final for seed in range(seeds)]
                     for bn in (False, True)}
    return good, bad


def init_claims(result: Result, good: Arms, bad: dict[str, Arms], budget: Budget,
                paper_final_plain: list[float]) -> None:
    """Per bad initialisation: its precondition (it hurts the net without BN, paired CI above 0: a
    table row, not a claim) and the claim that it hurts the BN net less, made inconclusive by code
    when the precondition fails on the data."""
    seeds = len(good[False])
    rows = [["Xavier (the reference)", mean_spread(good[False]), mean_spread(good[True]), "", ""]]
    checks = []
    for side, init, label in (spec for spec in BAD_INITS + OTHER_INITS if spec[1] in bad):
        loss = {bn: np.subtract(good[bn], bad[init][bn]) for bn in (False, True)}
        rows.append([f"{label} ({side})", mean_spread(bad[init][False]), mean_spread(bad[init][True]),
                     mean_spread(loss[False].tolist()), mean_spread(loss[True].tolist())])
        hurts = Claim.from_paired("", "", good[False], bad[init][False], 0.0, ">")
        holds = hurts.verdict == "reproduced"
        checks.append([label, f"{hurts.estimate:.3g}", f"[{hurts.ci95[0]:.3g}, {hurts.ci95[1]:.3g}]", hurts.n,
                       ("holds" if holds else "fails") if (side, init, label) in BAD_INITS else
                       f"{'holds' if holds else 'fails'} (reported only)"])
        if (side, init, label) not in BAD_INITS:
            continue
        arms = (f"test accuracy, Xavier / {label} weights: without BN {mean_spread(good[False])} / "
                f"{mean_spread(bad[init][False])}; with BN {mean_spread(good[True])} / {mean_spread(bad[init][True])}")
        if init == PAPER_NET.init and paper_final_plain:
            arms += (f"; at lr {PAPER_LR:g} and Figure 1's {budget.paper_updates:,} updates the same weights reach "
                     f"{mean_spread(paper_final_plain)} without BN: their cost here is early slowness")
        claim = Claim.from_paired(
            f"DD2424 lecture 4, CS7015 lecture 9 module 9.4-9.5: batch norm reduces the dependence on the "
            f"initialisation ({side}: {label})",
            f"per seed (paired), the accuracy {label} weights cost the net without BN minus what they cost the "
            "BN net, against Xavier weights; precondition (table): they cost the net without BN accuracy, else "
            "the verdict is inconclusive; a direction only: threshold 0", loss[False], loss[True], 0.0, ">",
            baseline=arms)
        if not holds:
            claim = dataclasses.replace(claim, verdict="inconclusive",
                                        baseline=f"precondition failed (see its table), so inconclusive; {arms}")
        result.claims.append(claim)
    result.tables.append(Table(
        "Preconditions of the initialisation claims: the bad weights hurt the net without BN (per seed, paired, "
        "its test accuracy with Xavier weights minus with the bad ones; holds when the 95% interval lies above 0)",
        ["weights", "accuracy lost without BN", "95% CI", "n", "precondition"], checks))
    result.tables.append(Table(
        f"Initialisation: 3 x 100 sigmoid, lr {INIT_LR:g}, {budget.sweep_updates:,} updates, {seeds} seeds",
        ["weights", "test accuracy without BN", "test accuracy with BN", "accuracy lost without BN",
         "accuracy lost with BN"], rows))
