"""Figures and notes of the batch norm experiment (see :mod:`.batchnorm`)."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from mlplab.experiments import batchnorm_setup as bn_
from mlplab.experiments.base import Result, add_figure
from mlplab.experiments.batchnorm_setup import Budget
from mlplab.experiments.batchnorm_train import Run, typical_unit, unit_drifts
from mlplab.report import pyplot


def figures(result: Result, out: Path, paper: dict[bool, list[Run]], budget: Budget,
            window: tuple[int, int]) -> None:
    """Figure 1a (test accuracy against updates, both nets) and Figure 1b-c (one file per net)."""
    plt = pyplot()
    fig, ax = plt.subplots(figsize=(6.5, 3.8))
    for bn, color in ((False, "C1"), (True, "C0")):
        for k, r in enumerate(paper[bn]):
            ax.plot(r.steps, r.accuracy, color=color, lw=1.2 if k == 0 else 0.5, alpha=1 if k == 0 else 0.5,
                    label=f"{'with' if bn else 'without'} BN" if k == 0 else None)
    ax.axhline(bn_.PAPER_TARGET, color="k", lw=0.6, ls=":")
    ax.set_xscale("log")
    ax.set_xlabel("update")
    ax.set_ylabel("test accuracy")
    ax.set_title("3 x 100 sigmoid, N(0, 0.01^2) weights (Figure 1a)")
    ax.legend()
    add_figure(result, fig, out, "batchnorm-accuracy.png",
               "Figure 1a: test accuracy against updates (log axis), every seed (seed 0 bold), without BN "
               "(orange) and with BN (blue); the dotted line is the target the 'faster' claim times. Look for "
               "the blue curves rising earlier and ending higher.")
    start, end = window
    for bn in (False, True):
        r = paper[bn][0]
        drifts = unit_drifts(r.percentile_steps, r.percentiles, start, end)
        unit = typical_unit(drifts)
        p = np.asarray(r.percentiles)[:, :, unit]
        fig, ax = plt.subplots(figsize=(5.5, 3.4))
        for q, style, label in ((2, ":", "85th"), (1, "-", "50th"), (0, "--", "15th")):
            ax.plot(r.percentile_steps, p[:, q], style, color="C0" if bn else "C1", label=f"{label} percentile")
        ax.axvspan(start, end, color="0.85", zorder=0)
        ax.set_xlabel("update")
        ax.set_ylabel("input to the sigmoid")
        ax.set_title(f"{'with' if bn else 'without'} BN: unit {unit} of the last hidden layer (seed 0)")
        ax.legend(fontsize=7)
        add_figure(result, fig, out, f"batchnorm-unit-{'bn' if bn else 'plain'}.png",
                   f"Figure 1{'c' if bn else 'b'}, {'with' if bn else 'without'} BN: the 15/50/85th percentiles "
                   f"over {bn_.PROBE} training images (batch norm on their own batch statistics) of the input to "
                   f"unit {unit} of the last hidden layer (seed 0), the typical unit: the median of the 100 by drift "
                   f"of its median input in the grey window, the claim's (drift {drifts[unit]:.3g}). Look for how "
                   "much the three lines move inside the grey window (early training); later the net without BN has "
                   "memorised its training set and stops moving.")


def notes(result: Result, budget: Budget, paper_seeds: int) -> None:
    result.notes += [
        f"Seeds: the Figure 1 part (50,000 updates of 60 examples) runs {bn_.PAPER_SEEDS} seeds per net, not "
        f"{bn_.SEEDS}: one seed of it costs ~80 s (two nets x ~40 s), over a minute, and the contract asks for 10 "
        "seeds only where a seed costs under a minute, never fewer than 5 (this run: "
        f"{paper_seeds}). The header's seed count is the other parts'; read each claim's n. MNIST-5k has 4,000 "
        "training images where the paper had 60,000, so both nets overfit and end lower than the paper's ~97-98%. "
        f"The quick run makes {bn_.QUICK.paper_updates:,} updates in the Figure 1 part, "
        f"{bn_.QUICK.two_layer_updates} (one epoch: both 2-layer claims are read after it) in the 2-layer part "
        f"and {bn_.QUICK.sweep_updates} in the rate sweep (grid {', '.join(f'{r:g}' for r in bn_.QUICK.rates)}) "
        "and the initialisation part; the other notes' numbers are the full run's.",
        "Figure 1b-c, changed after review: the percentiles were first measured in test mode, where the BN net "
        "uses running statistics that move on their own (momentum 0.1, batches of 60) and give it a drift floor "
        "of ~0.1 even with frozen weights, which the plain net lacks. They are now measured on the probe "
        "normalised by its own batch statistics (train mode, running statistics restored, as "
        "mlplab.diagnostics.probe), and a test checks that a BN net with frozen weights drifts 0. The claim's "
        "window was the second half of training; there the net without BN has memorised its 4,000 images "
        "(training accuracy 1) and stops moving, so the first review's second-half verdict (not reproduced) "
        "measured memorisation, not covariate shift. The window is now 1% to 10% of the updates, fixed before "
        "this revision's runs, after the earlier run's second-half result was seen: it leaves out the initial "
        "weights. It was meant to end before the net without BN fits its training set; this revision's first "
        "full run showed that it does not on most seeds (99% training accuracy at ~2,300-7,300 updates without "
        "BN, ~1,000 with BN; the crossings and the training accuracy at the window's end are in the table), so "
        "the claim text was corrected after that run to state the verdict's limits (early training only) and "
        "the window was kept, not moved to fit the result. The second half and "
        "the whole run after the window's start are kept as context, not claims.",
        f"Learning rates: Figure 1's rate {bn_.PAPER_LR:g} (the paper gives none) was chosen by the rewrite's "
        "author before the first full run, on a validation split, for the net without batch norm only (seed 0, "
        "50,000 updates: validation accuracy 0.851, 0.870, 0.873, 0.880, 0.892, 0.910, 0.092 at rates 0.1, 0.3, "
        "1, 2, 3, 5, 10; 3 and 5 rerun on seeds 1-2: means 0.894 and 0.907); the BN net gets the same rate, "
        "which if anything favours the baseline, so claims 1-2 are conservative and kept.",
        "The 2-layer nets' rates were tuned after review, each net on one validation split (a fixed random "
        "3,000 / 1,000 split of the 4,000 training images, permutation seed 0; the test set unused), 1,340 updates, "
        f"seeds 0 and 1, grid 0.01, 0.03, 0.1, 0.3, 1, 3, the best mean validation accuracy: "
        f"{TUNING_2LAYER} The rewrite had tuned only the net without BN (on a split it did not record).",
        "The bad initialisations were re-picked after review, on the validation split above with seeds 100-102 "
        "(not the test set, not seeds 0-2), net without BN, lr 2, 1,000 updates, by a rule fixed before the "
        "pilot: on each side the mildest candidate (too small: N(0, 0.01^2), then N(0, 0.001^2); too large: "
        "N(0, 1), N(0, 3^2), N(0, 10^2)) whose mean validation accuracy is at least 0.10 below Xavier's. "
        f"{TUNING_INIT} The rewrite had picked them on test accuracy with the full run's seeds 0-2. N(0, 1), its "
        "first choice, stays in the table as a reported row (full run only: the quick run leaves it out for time). CS7015 lecture 9, module 9.4 names both failures: "
        "saturation for large weights, vanishing signals for small ones.",
        f"Targets: 85% (Figure 1a's 'faster') and {bn_.SWEEP_TARGET:.0%} (the rate sweep) were set by the rewrite's "
        "author in its commit (9baf9f4), which records no pilot for the 85% and sets the 80% beside a 2-seed "
        "sweep pilot (the net without BN failing from lr 8-16, the BN net from lr 32-64, both above 80% at low "
        "rates); they are unchanged here, so they were fixed before this revision's runs but not before every "
        "result had been seen.",
        f"The rate sweep, the initialisation comparison (at lr {bn_.INIT_LR:g}) and their {bn_.SWEEP_TARGET:.0%} "
        "target use the 3 x 100 sigmoid net with Xavier weights, so that both nets learn at low rates within the "
        "short budget and the sweep probes the top of the range; the grid's top, 256, lies above both nets' "
        "failures.",
    ]


# the pilots' numbers (validation accuracy, means over the random seeds), quoted in the notes
TUNING_2LAYER = ("without BN 0.898, 0.908, 0.923, 0.930, 0.917, 0.099 (lr 0.3, as the rewrite had), with BN 0.905, "
                 "0.914, 0.917, 0.930, 0.936, 0.930 (lr 1).")
TUNING_INIT = ("Validation accuracy: Xavier 0.914; N(0, 0.01^2) 0.459 (0.455 below: picked); N(0, 1) 0.882 (0.032 "
               "below: not bad enough), N(0, 3^2) 0.711 (0.203 below: picked); N(0, 0.001^2) 0.400 and N(0, 10^2) "
               "0.203 were not needed. The picks are the rewrite's.")
