"""Beyond batch normalisation: layer norm, weight norm and SELU on a 20-layer net.

CS7015 lecture 9 closes module 9.5 with "2016-17: Still exciting times": even better optimisation
methods, data-driven initialisation methods, "beyond batch normalization".

Three claims of the papers that came after batch norm, each tested on Fashion-MNIST with a
784 -> 20 x 64 -> 10 ReLU net (SELU: the same with SELU units and LeCun-normal weights), trained
with Adam at one rate for the same number of training examples at every batch size:

1. Ba, Kiros & Hinton 2016 (layer normalisation): batch norm depends on the batch statistics and
   so degrades at tiny batches, while layer norm, which normalises each example over its units,
   does not.  Arms: none, batch, layer, weight norm and SELU at batch sizes 2, 8, 32 and 128.
2. Klambauer, Unterthiner, Mayr & Hochreiter 2017 (self-normalising networks): with LeCun-normal
   weights, SELU's activations approach mean 0 and variance 1 layer after layer; a ReLU net's do
   not.  Measured at initialisation on Fashion-MNIST images (scaled to [0, 1], not standardised:
   the first layer starts far from (0, 1)) and after training.
3. Salimans & Kingma 2016 (weight normalisation): reparameterising ``W = g v / ||v||`` speeds
   early training over the plain ``W``, same weight draw, rate and batches; with their
   data-dependent initialisation, and with torch's ``g = ||v||`` (the plain net's very function).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from mlplab.experiments.base import Result, Table, Timer, load_split, mean_spread
from mlplab.experiments.beyond_bn_report import figures, notes
# (SEEDS and QUICK_SEEDS are read here by mlplab.experiments.default_seeds)
from mlplab.experiments.beyond_bn_setup import (ARMS, DATA, EARLY_BATCH, EARLY_SHARE, FULL, INIT_DRAWS, LABELS, LARGE,
                                                N_TRAIN, PLAIN_WEIGHT, PROBE, QUICK, QUICK_SEEDS, SEEDS, SMALL, Budget,
                                                cells)
from mlplab.experiments.beyond_bn_runs import Data, Run, early_loss, init_stats, ratio_to_fixed_point, train
from mlplab.experiments.verdict import Claim

NAME = "beyond-bn"
TITLE = ("beyond batch norm: layer norm and batch norm at tiny batches, SELU's self-normalisation, "
         "weight norm's early speed, on a 20-layer net")
SOURCE = ("CS7015 lecture 9, module 9.5 (\"2016-17: Still exciting times ... Beyond batch normalization\"); "
          "Ba, Kiros & Hinton 2016; "
          "Klambauer et al. 2017; Salimans & Kingma 2016")

Grid = dict[tuple[str, int], list[Run]]     # (arm, batch size) -> one run per seed


def run(out: Path, seeds: int = SEEDS, quick: bool = False) -> Result:
    timer = Timer()
    budget = QUICK if quick else FULL
    result = Result(NAME, TITLE, SOURCE, seeds, quick)
    X, y, X_test, y_test = load_split(DATA, N_TRAIN)
    data = Data(X, y, X_test, y_test)
    grid: Grid = {}
    for arm, batch in cells(budget):
        stats = batch == EARLY_BATCH and arm in ("selu", "none")
        grid[arm, batch] = [train(data, ARMS[arm], batch, budget.examples, s, budget.depth, stats)
                            for s in range(seeds)]
    grid["weight-plain", EARLY_BATCH] = [train(data, PLAIN_WEIGHT, EARLY_BATCH, budget.examples, s, budget.depth)
                                         for s in range(seeds)]
    # forward passes only, so as many weight draws in quick as in full (the claims' n is the same)
    at_init = {arm: [init_stats(data, ARMS[arm], s, PROBE) for s in range(INIT_DRAWS)] for arm in ("selu", "none")}
    batch_claims(result, grid)
    selu_claims(result, grid, at_init)
    weight_claims(result, grid)
    result.tables.append(accuracy_table(grid, budget))
    figures(result, out, grid, at_init, budget)
    notes(result, budget, seeds)
    result.seconds = timer.seconds()
    return result


def finals(grid: Grid, arm: str, batch: int) -> list[float]:
    return [r.final for r in grid[arm, batch]]


def batch_claims(result: Result, grid: Grid) -> None:
    """Claim 1: per seed, the drop of test accuracy from batch 128 to batch 2, batch norm's against
    layer norm's (a paired difference of differences), and each norm's drop alone."""
    bn_small, bn_large = np.array(finals(grid, "batch", SMALL)), np.array(finals(grid, "batch", LARGE))
    ln_small, ln_large = np.array(finals(grid, "layer", SMALL)), np.array(finals(grid, "layer", LARGE))
    context = (f"test accuracy at batch {SMALL} / {LARGE}: batch norm {mean_spread(bn_small)} / "
               f"{mean_spread(bn_large)}, layer norm {mean_spread(ln_small)} / {mean_spread(ln_large)}")
    if ("none", SMALL) in grid and ("none", LARGE) in grid:       # the full run's grid has the baseline there
        context += (f", no normalisation {mean_spread(finals(grid, 'none', SMALL))} / "
                    f"{mean_spread(finals(grid, 'none', LARGE))}")
    context += f"; no normalisation at batch {EARLY_BATCH}: {mean_spread(finals(grid, 'none', EARLY_BATCH))}"
    result.claims += [
        Claim.from_paired(
            "Batch norm degrades at tiny batches while layer norm does not (Ba et al. 2016): going from batches "
            "of 128 to batches of 2, with the same examples seen, batch norm loses more test accuracy than "
            "layer norm",
            "per seed, (batch norm's test accuracy at batch 128 - at batch 2) - (layer norm's at 128 - at 2), "
            "on the 10,000 test images; threshold 0 (the paper gives a direction only)",
            bn_large - bn_small, ln_large - ln_small, 0.0, ">", baseline=context),
        Claim.from_paired(
            "Batch norm degrades at tiny batches: its test accuracy at batches of 2 is below its accuracy at "
            "batches of 128 (Ba et al. 2016)",
            "per seed, batch norm's test accuracy at batch 2 - at batch 128; threshold 0 (direction only)",
            bn_small, bn_large, 0.0, "<", baseline=context),
        Claim.from_paired(
            "Layer norm does not degrade at tiny batches: its test accuracy at batches of 2 is at least its "
            "accuracy at batches of 128 (Ba et al. 2016, Figure 3)",
            "per seed, layer norm's test accuracy at batch 2 - at batch 128; threshold 0 (direction only: "
            "reproduced only if batch 2 is better, inconclusive if the two are alike)",
            ln_small, ln_large, 0.0, ">", baseline=context),
    ]


def selu_claims(result: Result, grid: Grid, at_init: dict[str, list[np.ndarray]]) -> None:
    """Claim 2: d_20 / d_1 (the last hidden layer's distance from (0, 1) over the first's) for
    SELU at initialisation, against the ReLU net's, and SELU's after training."""
    selu = [ratio_to_fixed_point(s) for s in at_init["selu"]]
    relu = [ratio_to_fixed_point(s) for s in at_init["none"]]
    trained = [r.stats for r in grid["selu", EARLY_BATCH]]
    stat = ("d_l = mean over layer l's units of sqrt(mu_u^2 + (var_u - 1)^2), unit u's activation mean and "
            "variance over 1,000 training images")
    first_last = lambda runs: " / ".join(mean_spread([s[i, 2] for s in runs]) for i in (0, -1))  # noqa: E731
    context = (f"d_1 / d_last at initialisation: SELU {first_last(at_init['selu'])}, ReLU (He init) "
               f"{first_last(at_init['none'])}")
    trained_ok = [s for s in trained if s is not None]      # a diverged run has no activations to measure
    trained_ratio = [ratio_to_fixed_point(s) for s in trained_ok]
    result.claims += [
        Claim.from_samples(
            "SELU's activations approach mean 0 and variance 1 layer after layer (Klambauer et al. 2017): at "
            "initialisation, on Fashion-MNIST images, the 20th hidden layer is nearer (0, 1) than the first",
            f"per weight draw (seeds 0-{INIT_DRAWS - 1}), d_20 / d_1 of the SELU net (LeCun-normal weights), {stat}; "
            "geometric mean; threshold 1 "
            "(the paper's fixed point attracts: direction only)",
            selu, 1.0, "<", log=True, baseline=context),
        Claim.from_paired(
            "An unnormalised ReLU net's activations do not approach mean 0 and variance 1 as the SELU net's do "
            "(Klambauer et al. 2017)",
            f"per weight draw (seeds 0-{INIT_DRAWS - 1}), (d_20 / d_1 of the ReLU net, He-normal weights) / "
            f"(d_20 / d_1 of the SELU net), {stat}; "
            "geometric mean; threshold 1 (direction only)",
            relu, selu, 1.0, ">", log=True, baseline=context),
        Claim.from_samples(
            "SELU's activations still approach mean 0 and variance 1 layer after layer after training "
            "(Klambauer et al. 2017: the fixed point attracts for weights near their initial normalisation)",
            f"per seed, d_last / d_1 (the last hidden layer's over the first's) of the SELU net after training with "
            f"batches of 32, {stat}; geometric mean; threshold 1 (direction only)",
            trained_ratio, 1.0, "<", log=True,
            baseline=f"d_1 / d_last after training: {first_last(trained_ok)}; "
                     f"SELU's test accuracy {mean_spread(finals(grid, 'selu', EARLY_BATCH))}; "
                     f"{len(trained) - len(trained_ok)} diverged runs left out"),
    ]


def weight_claims(result: Result, grid: Grid) -> None:
    """Claim 3: the mean training loss over the first quarter of the updates at batch 32, the
    weight-normalised net over the plain one, paired by seed (same weight draw, rate and batches)."""
    plain = [early_loss(r.losses, EARLY_SHARE) for r in grid["none", EARLY_BATCH]]
    for arm, how in (("weight", "with Salimans & Kingma's data-dependent initialisation"),
                     ("weight-plain", "initialised as torch's weight_norm does (g = ||v||: the plain net's "
                                      "function at the start)")):
        wn = [early_loss(r.losses, EARLY_SHARE) for r in grid[arm, EARLY_BATCH]]
        result.claims.append(Claim.from_paired(
            f"Weight normalisation speeds early training over the plain parameterisation (Salimans & Kingma "
            f"2016), {how}",
            "per seed, (mean minibatch training loss over the first quarter of the updates, weight-normalised "
            "net) / (the same, plain net), batches of 32, the same weight draw, rate (Adam, 0.0012) and batches; "
            "geometric mean; threshold 1 (direction only)",
            wn, plain, 1.0, "<", log=True,
            baseline=f"early training loss: plain {mean_spread(plain)}, weight norm {mean_spread(wn)}; final test "
                     f"accuracy: plain {mean_spread(finals(grid, 'none', EARLY_BATCH))}, weight norm "
                     f"{mean_spread(finals(grid, arm, EARLY_BATCH))}"))


def accuracy_table(grid: Grid, budget: Budget) -> Table:
    """Every arm's final test accuracy at every batch size it ran (mean ± sd (min..max) over seeds)."""
    arms = [a for a in (*ARMS, "weight-plain") if any(k[0] == a for k in grid)]
    rows = []
    for arm in arms:
        row: list = [LABELS[arm]]
        for batch in budget.batches:
            runs = grid.get((arm, batch))
            row.append("-" if runs is None else mean_spread([r.final for r in runs]) +
                       (f" [{sum(r.diverged_at is not None for r in runs)} diverged]"
                        if any(r.diverged_at is not None for r in runs) else ""))
        rows.append(row)
    return Table(f"Test accuracy after {budget.examples:,} training examples (Adam, rate 3e-4 x sqrt(batch / 2)), "
                 "by batch size",
                 ["arm", *[f"batch {b} ({budget.examples // b:,} updates)" for b in budget.batches]], rows)
