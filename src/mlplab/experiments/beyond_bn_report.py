"""Figures and notes of the beyond-batch-norm experiment (see :mod:`.beyond_bn`)."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from mlplab.experiments.base import Result, add_figure
from mlplab.experiments.beyond_bn_runs import Run
from mlplab.experiments.beyond_bn_setup import (ARMS, DEPTH, EARLY_BATCH, EARLY_SHARE, LABELS, N_TRAIN, WIDTH,
                                                Budget)
from mlplab.report import pyplot


def figures(result: Result, out: Path, grid: dict[tuple[str, int], list[Run]], at_init: dict[str, list[np.ndarray]],
            budget: Budget) -> None:
    _accuracy_by_batch(result, out, grid, budget)
    _fixed_point(result, out, grid, at_init)
    _early_loss(result, out, grid)


def _accuracy_by_batch(result: Result, out: Path, grid: dict, budget: Budget) -> None:
    fig, ax = pyplot().subplots(figsize=(6.5, 4))
    for k, arm in enumerate(ARMS):
        batches = [b for b in budget.batches if (arm, b) in grid]
        acc = np.array([[r.final for r in grid[arm, b]] for b in batches])
        ax.errorbar(batches, acc.mean(axis=1), yerr=acc.std(axis=1, ddof=1), marker="o", capsize=3,
                    color=f"C{k}", label=LABELS[arm])
    ax.set_xscale("log", base=2)
    ax.set_xticks(list(budget.batches), [str(b) for b in budget.batches])
    ax.axhline(0.1, color="k", lw=0.6, ls=":")
    ax.set_xlabel("batch size (the same training examples seen at each)")
    ax.set_ylabel("test accuracy (mean ± sd over seeds)")
    ax.set_title(f"{budget.depth} hidden layers of {WIDTH}, Adam, {budget.examples:,} examples")
    add_figure(result, fig, out, "beyond-bn-batch-size.png",
               "Test accuracy against batch size for each arm (mean and standard deviation over seeds; the dotted "
               "line is chance). Look for batch norm's line falling towards chance at batch 2 while layer norm's "
               "stays level (Ba et al. 2016).")


def _fixed_point(result: Result, out: Path, grid: dict, at_init: dict[str, list[np.ndarray]]) -> None:
    fig, (ax_mean, ax_var) = pyplot().subplots(1, 2, figsize=(9, 3.8))
    trained = [r.stats for r in grid["selu", EARLY_BATCH] if r.stats is not None]
    curves = [("SELU at initialisation", at_init["selu"], "C4", "-"), ("ReLU at initialisation", at_init["none"],
              "C0", "-")]
    if trained:
        curves.append(("SELU after training", trained, "C4", "--"))
    for label, stats, color, style in curves:
        s = np.asarray(stats)                           # (seeds, layers, 3)
        layers = np.arange(1, s.shape[1] + 1)
        ax_mean.plot(layers, s[:, :, 0].mean(axis=0), style, color=color, label=label)
        ax_var.plot(layers, s[:, :, 1].mean(axis=0), style, color=color, label=label)
    ax_mean.axhline(0, color="k", lw=0.6, ls=":")
    ax_var.axhline(1, color="k", lw=0.6, ls=":")
    ax_mean.set_xlabel("hidden layer")
    ax_var.set_xlabel("hidden layer")
    ax_mean.set_ylabel("mean over units of the activation mean")
    ax_var.set_ylabel("mean over units of the activation variance")
    add_figure(result, fig, out, "beyond-bn-selu-fixed-point.png",
               "The activations' mean (left) and variance (right) layer by layer over 1,000 Fashion-MNIST training "
               "images, averaged over units and seeds. Look for whether the SELU lines move towards 0 and 1 (the dotted "
               "lines) with depth while the ReLU lines keep the scale the input gave them, as Klambauer et al. 2017 "
               "predict, at initialisation (solid) and after training (dashed).")


def _early_loss(result: Result, out: Path, grid: dict) -> None:
    fig, ax = pyplot().subplots(figsize=(6.5, 4))
    window = 10
    for arm, color in (("none", "C0"), ("weight", "C3"), ("weight-plain", "C1")):
        losses = np.mean([r.losses for r in grid[arm, EARLY_BATCH]], axis=0)
        running = np.convolve(losses, np.ones(window) / window, mode="valid")
        ax.plot(np.arange(window, window + running.size), running, color=color,
                label=LABELS[arm] if arm != "none" else "plain (no normalisation)")
    updates = len(grid["none", EARLY_BATCH][0].losses)
    ax.axvspan(0, updates // EARLY_SHARE, color="0.88", zorder=0)
    ax.set_yscale("log")
    ax.set_xlabel(f"update (batches of {EARLY_BATCH})")
    ax.set_ylabel(f"training loss (mean over seeds, running mean of {window})")
    add_figure(result, fig, out, "beyond-bn-weight-norm.png",
               "Training loss of the plain and the weight-normalised nets at batch 32 (the same weight draws, rate and "
               "batches), averaged over seeds. The grey band is the early window the claim averages over: look for "
               "whether the weight-normalised curves lie below the plain one there, as Salimans & Kingma 2016 "
               "predict.")


def notes(result: Result, budget: Budget, seeds: int) -> None:
    result.notes += [
        f"The net: 784 -> {DEPTH} hidden layers of {WIDTH} -> 10, ReLU with He-normal weights (SELU: LeCun-normal, "
        "mlplab's default for it); batch and layer norm sit after each hidden affine map, before the activation; "
        "weight norm replaces each hidden Dense by WeightNormDense. The width, 64, was fixed before any run (no "
        "other width was tried): every arm learns Fashion-MNIST with it (the table), and the batch-of-2 runs, most of "
        "the experiment's time, cost per layer rather than per unit, so a wider net would cost more for little.",
        "A difference from Salimans & Kingma: their data-dependent initialisation covers every layer, the output "
        "layer included; mlplab's norm='weight' keeps the output layer a plain Dense (He-normal), so here the "
        "initialisation normalises the hidden layers only (and the initial logits are larger than the plain "
        "net's: the early loss of the data-initialised net starts higher, the figure). Their main supervised net is "
        "convolutional, on CIFAR-10; this is a 20-layer ReLU MLP on Fashion-MNIST trained with Adam.",
        f"The fair budget: every run sees the same {budget.examples:,} training examples ({budget.examples // N_TRAIN} "
        f"epochs of a fixed {N_TRAIN:,}-image subset), as Ba et al.'s Figure 3 compares batch sizes by epochs. "
        "The optimiser is Adam, at the rate 3e-4 x sqrt(batch / 2) for every arm (3e-4, 6e-4, 1.2e-3, 2.4e-3 at "
        "batches 2, 8, 32, 128): the square-root scaling rule of adaptive methods keeps the update's noise alike "
        "across batch sizes. Chosen after seeing results, on seed 0 alone, before any claim was computed: plain "
        "SGD with the rate proportional to the batch (momentum 0.9) left the plain net near 30% at batches 32 and "
        "128; Adam at 0.001 everywhere left layer norm at chance at batch 2 (0.10) and batch norm at 0.50 at 128; "
        "Adam at 3e-4 everywhere left batch norm at 0.17 at 128 (its 128 updates too few at that rate). The rule "
        "is the first one tried that lets every arm learn at batch 128 and layer norm at batch 2.",
        "Test accuracy is measured in test mode on the 10,000 test images: batch norm uses its running statistics, "
        "gathered from batches of the run's size: at batch 2 these are noisy too, one source of error besides the "
        "noisy batch statistics of training.",
        "Claim 2 is a consequence, not the definition: the inputs are scaled to [0, 1] (mean 0.29, variance 0.12), "
        "so the first layer starts far from (0, 1); Klambauer et al.'s attraction is proved for weights whose "
        "per-unit sums are 0 and sums of squares 1, which 64 random LeCun-normal weights meet only on average, and "
        "after training not at all; a SELU net whose activations kept their input's scale, or drifted, would put the "
        "ratio at or above 1.",
        "The ReLU-net figures and the first two claims of claim 2 use 20 weight draws at initialisation whatever "
        "the number of random seeds (forward passes only); claim 2c measures the SELU nets trained at batch 32.",
        "Claim 3's weight-normalised nets draw v as the plain net draws W (same seed); with g = ||v|| they start as "
        "the very function the plain net starts as, so any difference is the reparameterisation's effect on the "
        "updates; the data-dependent initialisation normalises the pre-activations on 500 training images.",
        "A diverged run (NaN or infinite loss) counts as a chance-level classifier (accuracy 0.1, loss ln 10 from "
        "the update where it diverged); it has no activations to measure and is left out of claim 2c (the count "
        "shows in the claim's context).",
        f"Seeds: {seeds}; seed s draws the weights and the batch order of every arm, so the arms are paired by seed. "
        "The full run has 6 seeds, not 10, because one seed (5 arms x 4 batch sizes, 8,192 Adam updates per arm at "
        "batch 2) costs over a minute single-threaded.",
        "Read with a cold review of the first stored run: claim 1c tests 'layer norm does not degrade' as "
        "'batch 2 is at least as good as batch 128' against the null 0, so with no effect it can only come out "
        "inconclusive; a non-inferiority margin would need a tolerance the paper does not give, and one chosen now "
        "would be chosen after the result, so 1a (batch norm's drop against layer norm's, paired) carries the "
        "paper's contrast. At batch 2 batch norm normalises each unit over two examples, which gives exactly +-1 "
        "whatever the input: its collapse there is arithmetic; batch 8 (in the table) is the non-degenerate case. "
        "The arms differ in parameters (batch and layer norm add 128 per hidden layer, weight norm 64) and, at a fixed "
        "number of examples, batch 2 takes 64 times the updates of batch 128 (the plain net's flat accuracy shows "
        "that this alone changes little here). Claim 3a's statistic includes where the loss starts, so the "
        "data-dependent init and the reparameterisation are confounded there; 3b (g = ||v||, the plain net's "
        "function at the start) is the clean test. Adam's per-parameter scaling overlaps with what weight norm does "
        "for conditioning under SGD, which the paper used. The figure captions were made neutral after the review.",
    ]
    if budget.depth != DEPTH:
        result.notes.append(f"Quick run: {budget.depth} hidden layers (claim 2's nets at initialisation keep "
                            f"{DEPTH}), {budget.examples:,} examples; batch and layer norm at batches 2 and 128, every "
                            "arm at 32 (the cells the claims read).")
