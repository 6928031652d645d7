"""Figures of the training as a whole: loss and accuracy per epoch, the learning rate, pre-training.

Validation metrics are drawn per epoch; the test set appears only as the one evaluation after
training (a star), unless the run asked for it every epoch (``--test-every-epoch``): looking at the
test set while training turns it into a second validation set.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Sequence

import numpy as np

from mlplab.report.common import layer_colors, legend_beside, pyplot

BEST_STYLE = {"color": "0.35", "linestyle": "--", "linewidth": 1.0}


@dataclass(frozen=True)
class BestEpoch:
    """The epoch with the best validation loss (or training loss when there is no validation split)."""

    epoch: int
    value: float
    criterion: str          # "lowest validation loss" / "lowest training loss"

    def label(self) -> str:
        return f"best epoch {self.epoch} ({self.criterion} {self.value:.4g})"


def best_epoch(history: list[dict[str, float]]) -> BestEpoch | None:
    """The epoch of the lowest validation loss (what ``--patience`` watches), else of the lowest training loss."""
    for key, criterion in (("val_loss", "lowest validation loss"), ("train_loss", "lowest training loss")):
        rows = [row for row in history if np.isfinite(row.get(key, np.nan))]
        if rows:
            row = min(rows, key=lambda r: r[key])
            return BestEpoch(int(row["epoch"]), float(row[key]), criterion)
    return None


def plot_curves(history: list[dict[str, float]], diverged: dict[str, Any] | None = None,
                final_test: dict[str, float] | None = None, best: BestEpoch | None = None) -> Any:
    """Loss and accuracy per epoch for the training and validation sets; the per-epoch test columns
    only where the run recorded them (``--test-every-epoch``), else ``final_test``
    (``{"test_loss", "test_accuracy"}``, from ``summary.json``) as one star after the last epoch.
    ``best`` is marked with a dashed line; a diverged run gets a red line at the epoch of its NaN/inf."""
    plt = pyplot()
    fig, (left, right) = plt.subplots(1, 2, figsize=(11, 3.8))
    epochs = [row["epoch"] for row in history]
    lines = [("train", "-", "C0", "training"), ("val", "--", "C1", "validation")]
    if any("test_loss" in row for row in history):
        lines.append(("test", ":", "C3", "test (every epoch: --test-every-epoch)"))
    for split, style, color, label in lines:
        for ax, metric in ((left, "loss"), (right, "accuracy")):
            points = [(row["epoch"], row[f"{split}_{metric}"]) for row in history if f"{split}_{metric}" in row]
            if points:
                ax.plot(*zip(*points), style, color=color, marker=".", label=label)
    if final_test and history and not any("test_loss" in row for row in history):
        for ax, metric in ((left, "test_loss"), (right, "test_accuracy")):
            if metric in final_test:
                ax.plot([epochs[-1]], [final_test[metric]], "*", color="C3", markersize=11,
                        label="test (once, after training)")
    if best is not None:
        for ax in (left, right):
            ax.axvline(best.epoch, **BEST_STYLE, label=best.label())
    if diverged is not None:
        for ax in (left, right):
            ax.axvline(diverged["epoch"], color="red", linewidth=2,
                       label=f"loss {diverged['loss']} at update {diverged['step']}")
        left.set_xlim(0, diverged["epoch"] + 0.5)
    for ax, ylabel in ((left, "cross-entropy loss"), (right, "accuracy (share correct)")):
        ax.set_xlabel("epoch")
        ax.set_ylabel(ylabel)
        ax.grid(alpha=0.3)
        if ax.get_legend_handles_labels()[0]:
            ax.legend(fontsize=7)
    left.set_title("loss")
    right.set_title("accuracy")
    fig.tight_layout()
    return fig


def plot_learning_rate(epochs: Sequence[float], rates: Sequence[float], best: BestEpoch | None = None,
                       schedule: str = "") -> Any:
    """The learning rate against training time in epochs (one point per update, or per epoch), with
    ``best`` marked: a best epoch long before the rate decayed says the end of training added little."""
    plt = pyplot()
    fig, ax = plt.subplots(figsize=(7, 3.2))
    ax.plot(epochs, rates, "-" if len(rates) > 50 else ".-", color="C0",
            label=f"learning rate ({schedule})" if schedule else "learning rate")
    if best is not None:
        ax.axvline(best.epoch, **BEST_STYLE, label=best.label())
    ax.set_xlabel("epoch")
    ax.set_ylabel("learning rate")
    ax.set_ylim(bottom=0)
    ax.ticklabel_format(axis="y", style="sci", scilimits=(-3, 3))
    ax.grid(alpha=0.3)
    ax.legend(fontsize=7)
    ax.set_title("learning-rate schedule")
    fig.tight_layout()
    return fig


def plot_pretraining(rows: list[dict[str, float]]) -> Any:
    """Each hidden block's reconstruction error over its pre-training epochs."""
    plt = pyplot()
    fig, ax = plt.subplots(figsize=(7, 3.4))
    blocks = sorted({int(row["block"]) for row in rows})
    for block, color in zip(blocks, layer_colors(len(blocks))):
        mine = [row for row in rows if int(row["block"]) == block]
        ax.plot([row["epoch"] for row in mine], [row["reconstruction_error"] for row in mine], marker=".",
                color=color, label=f"hidden {block}")      # pre-training counts its blocks from 1
    ax.set_xlabel("epoch")
    ax.set_ylabel("reconstruction error")
    ax.set_title("greedy pre-training: each block's own epochs, one block after another")
    ax.grid(alpha=0.3)
    legend_beside(fig, ax)
    fig.tight_layout()
    return fig
