"""Per-layer histograms before and after training (DD2424 lecture 4's figures), readable by a student.

One panel per layer (columns), one row per record (before training, the last epoch), and one
x-range for the whole figure: a layer whose values narrow from one row to the next, or from one
column to the next, shows it at a glance.  Rectifier outputs are mostly exact zeros; a bar at 0
that holds half the values flattens everything else, so the zeros are taken out of the bars and
their share is written in the panel, as DD2424 lecture 4 plots the "non-zero activations".
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Sequence

import numpy as np

from mlplab.diagnostics import Diagnostics, layer_name
from mlplab.naming import short_name
from mlplab.report.common import layer_colors, pyplot

X_LABELS = {"act": "output value", "pre": "input value (pre-activation)", "act_grad": "dJ/dh (non-zero)",
            "dW": "dJ/dW (non-zero)"}
WIDE = 6              # more layers than this: one row per layer


@dataclass(frozen=True)
class HistogramRow:
    """One record's histograms: ``counts`` (layers, bins) over the shared ``edges``; ``zeros`` the share
    of exact zeros per layer that were taken out of the counts (None: nothing taken out)."""

    label: str
    counts: np.ndarray
    edges: np.ndarray
    zeros: np.ndarray | None = None
    stds: np.ndarray | None = None          # each layer's standard deviation (zeros included), to write in its panel


def without_zeros(counts: np.ndarray, edges: np.ndarray, zero_fraction: float) -> np.ndarray:
    """``counts`` of all values with the exact zeros taken out of the bin 0 falls in.

    The recorder bins every value and counts the zeros separately (``zero_fraction``), so the
    non-zero histogram is exact: the zeros sit in the bin ``diagnostics.histogram`` puts 0 in."""
    counts = np.asarray(counts, dtype=np.float64).copy()
    total = counts.sum()
    if not zero_fraction > 0 or total == 0 or not edges[0] <= 0.0 <= edges[-1]:
        return counts
    n = edges.size - 1
    where = int(np.clip(int((0.0 - edges[0]) * (n / (edges[-1] - edges[0]))), 0, n - 1))
    counts[where] = max(counts[where] - round(zero_fraction * total), 0.0)
    return counts


def histogram_rows(diag: Diagnostics, quantity: str) -> list[HistogramRow]:
    """The rows of the figure of ``quantity`` (``"act"``, ``"pre"``, ``"act_grad"``, ``"dW"``): the record
    before training and the last one.  For outputs, exact zeros come out of the bars."""
    rows = []
    for r in sorted({0, len(diag.epochs) - 1}):
        counts = np.asarray(diag.arrays[f"{quantity}/hist"][r], dtype=np.float64)
        edges = np.asarray(diag.arrays[f"{quantity}/edges"][r], dtype=np.float64)
        zeros = None
        if quantity == "act" and f"{quantity}/zero_fraction" in diag.arrays:
            zeros = np.nan_to_num(np.asarray(diag.arrays[f"{quantity}/zero_fraction"][r], dtype=np.float64))
            if zeros.any():
                counts = np.stack([without_zeros(c, edges, z) for c, z in zip(counts, zeros)])
            else:
                zeros = None
        epoch = diag.epochs[r]
        stds = diag.arrays.get(f"{quantity}/std")
        rows.append(HistogramRow("before training" if r == 0 and epoch == 0 else f"epoch {epoch}",
                                 counts, edges, zeros, None if stds is None else np.asarray(stds[r], dtype=np.float64)))
    return rows


def panel_title(layer: dict[str, Any]) -> str:
    """"hidden 2 (ReLU)"; a run recorded before layers had names keeps its fallback "layer 6 (ReLU)"."""
    name = layer_name(layer)
    return f"{short_name(name)} ({layer['type']})" if ":" in name else name


def plot_histograms(diag: Diagnostics, quantity: str, log_counts: bool) -> Any:
    """The per-layer histograms of ``quantity`` before training and at the last record."""
    layers = diag.index["weight_layers" if quantity == "dW" else "activation_layers"]
    titles = [panel_title(layer) for layer in layers]
    return plot_histogram_grid(histogram_rows(diag, quantity), titles, log_counts, X_LABELS.get(quantity, "value"))


def plot_histogram_grid(rows: Sequence[HistogramRow | tuple[str, Any, Any]], columns: list[str], log_counts: bool,
                        xlabel: str = "value") -> Any:
    """A grid of histograms, one panel per layer (``columns``) and record (``rows``), all on one x-range.

    ``rows`` holds :class:`HistogramRow` (or ``(label, counts (layers, bins), edges)``).  Each layer keeps
    its colour from the report's depth colormap; a panel says the values' standard deviation when known
    (a collapsed layer's spike looks the same at 1e-3 and at 1e-6) and the share of zeros taken out.
    Past ``WIDE`` layers the grid turns: one row per layer, the records side by side, so that a deep
    net's panels stay legible instead of shrinking to slivers."""
    from matplotlib.ticker import MaxNLocator
    plt = pyplot()
    rows = [row if isinstance(row, HistogramRow) else HistogramRow(*row) for row in rows]
    lo = min(float(row.edges[0]) for row in rows)
    hi = max(float(row.edges[-1]) for row in rows)
    turned = len(columns) > WIDE
    shape = (len(columns), len(rows)) if turned else (len(rows), len(columns))
    size = (3.2 * len(rows) + 1.6, 1.45 * len(columns) + 0.6) if turned else \
        (2.0 * len(columns) + 1.2, 2.1 * len(rows) + 0.5)
    fig, axes = plt.subplots(*shape, figsize=size, squeeze=False, sharex=True)
    colors = layer_colors(len(columns))
    count_label = "count" + (" (log)" if log_counts else "")
    for r, row in enumerate(rows):
        for c, title in enumerate(columns):
            ax = axes[c, r] if turned else axes[r, c]
            ax.stairs(row.counts[c], row.edges, fill=True, color=colors[c], alpha=0.8)
            if log_counts and row.counts[c].any():
                ax.set_yscale("log")
            notes = [] if row.stds is None or not np.isfinite(row.stds[c]) else [f"std {row.stds[c]:.2g}"]
            if row.zeros is not None and row.zeros[c] > 0:
                notes.append(f"exact zeros: {row.zeros[c]:.0%}\n(not in the bars)")
            if notes:
                ax.text(0.97, 0.93, "\n".join(notes), transform=ax.transAxes, ha="right", va="top", fontsize=7,
                        bbox={"facecolor": "white", "alpha": 0.8, "lw": 0})
            if not row.counts[c].any():
                ax.text(0.5, 0.5, "no non-zero values", transform=ax.transAxes, ha="center", va="center", fontsize=7)
            ax.tick_params(labelsize=7)
            ax.xaxis.set_major_locator(MaxNLocator(4))
            ax.ticklabel_format(axis="x", style="sci", scilimits=(-2, 3))   # tiny gradients stay legible
            if turned:
                if c == 0:
                    ax.set_title(row.label, fontsize=9)
                if r == 0:
                    ax.set_ylabel(f"{title}\n{count_label}", fontsize=7)
                if c == len(columns) - 1:
                    ax.set_xlabel(xlabel, fontsize=8)
            else:
                if r == 0:
                    ax.set_title(title, fontsize=8)
                if c == 0:
                    ax.set_ylabel(f"{row.label}\n{count_label}", fontsize=8)
                if r == len(rows) - 1:
                    ax.set_xlabel(xlabel, fontsize=8)
    axes[0, 0].set_xlim(lo, hi)                 # shared by every panel (sharex)
    fig.tight_layout()
    return fig
