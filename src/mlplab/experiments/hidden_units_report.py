"""The hidden-units experiment's tables and decision-boundary figures (the runs and the claims are in
:mod:`mlplab.experiments.hidden_units`)."""

from __future__ import annotations

from typing import Any

import numpy as np

from mlplab.experiments.base import Table, mean_spread
from mlplab.experiments.hidden_units_setup import (BIG_WIDTH, CONFIGS, EPOCHS, LR, N_TEST, N_TRAIN, N_VAL,
                                                   NOISE, SMALL_WIDTHS, SQUARE, Config, NetRun, SeedSummary, Split,
                                                   config_label, predictions)
from mlplab.report import pyplot


def accuracy_table(seeds: list[SeedSummary]) -> Table:
    """Per config: the first init's accuracies and how often validation picked it."""
    rows = []
    for config in CONFIGS:
        arm = "small" if config[1] == 0.0 and config[0] in SMALL_WIDTHS else "big" if config[1] else "control"
        picked = sum(config in (s.small, s.big) for s in seeds)
        rows.append([config_label(config), arm, f"{picked} of {len(seeds)}" if arm != "control" else "-",
                     *(mean_spread([1 - getattr(s, split)[config] for s in seeds])
                       for split in ("train_err", "val_err", "test_err"))])
    return Table(f"Two moons (noise {NOISE}), {N_TRAIN} training / {N_VAL} validation / {N_TEST} test points per "
                 f"data seed; one hidden ReLU layer, Adam lr {LR}, {EPOCHS} full-batch updates for every net; "
                 f"accuracy of the first init, mean ± std (min..max) over data seeds",
                 ["net", "arm", "picked on validation", "train accuracy", "validation accuracy", "test accuracy"],
                 rows)


def disagreement_table(seeds: list[SeedSummary]) -> Table:
    """Two inits' disagreement on the data's support and, for contrast, on the old off-support square."""
    m3, plain = (SMALL_WIDTHS[0], 0.0), (BIG_WIDTH, 0.0)
    arms = [("m = 3, no L2", [(s, m3) for s in seeds]),
            ("m = 100, no L2", [(s, plain) for s in seeds]),
            ("m = 100, lambda picked on validation", [(s, s.big) for s in seeds])]
    rows = [[label, mean_spread([s.disagree_test[c] for s, c in pairs]),
             mean_spread([s.disagree_square[c] for s, c in pairs])] for label, pairs in arms]
    rows += [[f"{config_label(c)} (data seed 0 only)", f"{seeds[0].disagree_test[c]:.4f}",
              f"{seeds[0].disagree_square[c]:.4f}"] for c in CONFIGS if c in seeds[0].disagree_test]
    return Table("Share of points where two initialisations of one net predict different classes (a pair with a "
                 "diverged init counts 0.5), mean ± std (min..max) over data seeds",
                 ["net", "on the 2,000 test points (claims 3 and 5)", f"on [-{SQUARE}, {SQUARE}]^2 (off-support, "
                  "the old measure)"], rows)


def expectation(config: Config, big_pick: Config) -> str:
    """What the figure of ``config`` should show, fixed before the run (M3 of the review)."""
    m, l2 = config
    if config == big_pick:
        return ("expected: the two boundaries coincide inside the data (validated L2 removes the init "
                "dependence), a smooth curve between the moons without islands")
    if l2 == 0.0 and m in (SMALL_WIDTHS[0], BIG_WIDTH):
        return ("expected (the slide \"Result depends on parameter initialization\"): the two boundaries differ "
                "inside the data" + ("; few units, so a boundary of few straight pieces" if m == SMALL_WIDTHS[0]
                                     else "; a wiggly boundary bending around single training points"))
    if l2 == 0.0:
        return "expected (the slide): the two boundaries differ somewhere inside the data, as at every m"
    if l2 > big_pick[1]:
        return "expected: the two boundaries coincide; stronger L2 than validation's pick, so a smoother boundary"
    return "expected: weaker L2 than validation's pick, so the boundaries may differ inside the data as without L2"


def plot_boundary(runs: NetRun, split: Split, title: str, resolution: int = 200) -> Any:
    """Init 1's decision regions (filled, solid boundary) and init 2's boundary (dashed), over the box
    holding the training and test points (the data's support)."""
    points = np.concatenate([split.X_train, split.X_test])
    lo, hi = points.min(axis=0), points.max(axis=0)
    gx, gy = np.meshgrid(np.linspace(lo[0], hi[0], resolution), np.linspace(lo[1], hi[1], resolution))
    grid = np.column_stack([gx.ravel(), gy.ravel()]).astype(np.float32)
    first, second = (predictions(net, grid).reshape(gx.shape) for net in runs.nets[:2])
    fig, ax = pyplot().subplots(figsize=(5.2, 4.6))
    ax.contourf(gx, gy, first, levels=[-0.5, 0.5, 1.5], colors=["tab:blue", "tab:orange"], alpha=0.25)
    ax.contour(gx, gy, first, levels=[0.5], colors="k", linewidths=1.0)
    if second.min() != second.max():
        ax.contour(gx, gy, second, levels=[0.5], colors="k", linewidths=1.0, linestyles="--")
    ax.scatter(split.X_test[:, 0], split.X_test[:, 1], c=np.where(split.y_test == 0, "tab:blue", "tab:orange"),
               s=2, alpha=0.25, linewidths=0)
    ax.scatter(split.X_train[:, 0], split.X_train[:, 1], c=np.where(split.y_train == 0, "tab:blue", "tab:orange"),
               s=16, edgecolors="k", linewidths=0.5)
    for label, colour in (("class 0", "tab:blue"), ("class 1", "tab:orange")):
        ax.scatter([], [], c=colour, s=16, edgecolors="k", linewidths=0.5, label=f"{label} (training point)")
    ax.plot([], [], "k-", lw=1, label="boundary, init 1")
    ax.plot([], [], "k--", lw=1, label="boundary, init 2")
    ax.set_xlabel("x1 (standardised on the training points)")
    ax.set_ylabel("x2 (standardised on the training points)")
    ax.set_title(title, fontsize=10)
    return fig
