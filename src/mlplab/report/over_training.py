"""Per-layer statistics over training, one line (or panel) per layer, coloured by depth.

The update-to-weight ratio ``||W_after - W_before|| / ||W_before||`` of one step is drawn against
the customary band: a ratio near 1e-3 is the rule of thumb of Karpathy's CS231n notes ("Neural
Networks Part 3"); the band 1e-4..1e-2 is one decade either side.  Far below it a layer barely
moves; far above, its weights are rewritten every few steps.  An update taken at a learning rate of
(practically) 0, the last steps of a cosine schedule, measures the schedule and not the layer, and
would squash the axis by orders of magnitude: records at a rate below 1% of the run's peak are left out.
"""

from __future__ import annotations

from typing import Any, Sequence

import numpy as np

from mlplab.diagnostics import Diagnostics, layer_name
from mlplab.naming import short_name
from mlplab.report.common import layer_colors, legend_beside, pyplot

RATIO_BAND = (1e-4, 1e-2)
RATIO_TARGET = 1e-3
# A rate below this share of the run's peak counts as 0: a cosine schedule's last update runs at
# (pi / T)^2 / 4 of the peak for T updates, under 1% from T = 16 on, and its ratio says only that.
NEGLIGIBLE_LR = 1e-2


def _names(layers: list[dict[str, Any]]) -> list[str]:
    return [short_name(layer_name(layer)) for layer in layers]


def plot_percentiles(diag: Diagnostics, per_row: int = 5) -> Any:
    """The 15/50/85th percentiles of each activation layer's input over training, one panel per layer,
    ``per_row`` panels to a row (a deep net wraps instead of shrinking)."""
    plt = pyplot()
    layers = diag.index["activation_layers"]
    cols = min(per_row, len(layers))
    rows = -(-len(layers) // cols)
    fig, axes = plt.subplots(rows, cols, figsize=(2.3 * cols + 1.2, 2.6 * rows + 0.3), squeeze=False)
    for ax in axes.ravel()[len(layers):]:
        ax.set_visible(False)                      # the unused end of the last row
    for col, (layer, name, color) in enumerate(zip(layers, _names(layers), layer_colors(len(layers)))):
        ax = axes.ravel()[col]
        p15, p50, p85 = (diag.arrays[f"pre/{q}"][:, col] for q in ("p15", "p50", "p85"))
        if np.isnan(p50).all():          # maxout has no single pre-activation
            ax.text(0.5, 0.5, "no single input\n(maxout)", ha="center", va="center", transform=ax.transAxes)
        ax.fill_between(diag.epochs, p15, p85, color=color, alpha=0.25, label="15th-85th percentile")
        ax.plot(diag.epochs, p50, "-", color=color, label="median")
        ax.set_title(f"{name} ({layer['type']}) input", fontsize=8)
        ax.set_xlabel("epoch", fontsize=8)
        ax.tick_params(labelsize=7)
        ax.ticklabel_format(axis="y", style="sci", scilimits=(-2, 3))
        ax.grid(alpha=0.3)
        if col % cols == 0:
            ax.set_ylabel("pre-activation value", fontsize=8)
    axes[0, 0].legend(fontsize=7)
    fig.tight_layout()
    return fig


def fraction_panels(diag: Diagnostics) -> list[tuple[str, str]]:
    """The fractions that mean something for this network: dead units where there are ReLUs (only a
    ReLU outputs exact zeros for a whole batch), saturation where there are sigmoid or tanh layers."""
    types = {layer["type"] for layer in diag.index["activation_layers"]}
    panels = []
    if "ReLU" in types:
        panels.append(("act/dead", "dead units (0 on every probe example)"))
    if types & {"Sigmoid", "Tanh"} and not np.isnan(diag.arrays["act/saturated"]).all():
        panels.append(("act/saturated", "saturated outputs (sigmoid <0.01 or >0.99, |tanh| >0.99)"))
    return panels


def plot_fractions(diag: Diagnostics) -> Any | None:
    """Dead and/or saturated fractions of each activation layer over training; None when neither is
    defined for this network (an ELU net, say): no empty panel."""
    panels = fraction_panels(diag)
    if not panels:
        return None
    plt = pyplot()
    layers = diag.index["activation_layers"]
    fig, axes = plt.subplots(1, len(panels), figsize=(5.5 * len(panels) + 1.5, 3.4), squeeze=False)
    for ax, (array, title) in zip(axes[0], panels):
        for col, (name, color) in enumerate(zip(_names(layers), layer_colors(len(layers)))):
            values = diag.arrays[array][:, col]
            if not np.isnan(values).all():           # a layer for which the fraction is not defined: no line
                ax.plot(diag.epochs, values, marker=".", color=color, label=name)
        ax.set_ylim(-0.02, 1.02)
        ax.set_title(title, fontsize=9)
        ax.set_xlabel("epoch")
        ax.set_ylabel("share of the layer")
        ax.grid(alpha=0.3)
    legend_beside(fig, axes[0, -1])
    fig.tight_layout()
    return fig


def plot_gradient_norms(diag: Diagnostics) -> Any:
    """||dJ/dW|| of each weight layer on the probe batch over training (log scale)."""
    plt = pyplot()
    layers = diag.index["weight_layers"]
    fig, ax = plt.subplots(figsize=(7.5, 3.6))
    for col, (name, color) in enumerate(zip(_names(layers), layer_colors(len(layers)))):
        ax.plot(diag.epochs, diag.arrays["dW/norm"][:, col], marker=".", color=color, label=name)
    ax.set_yscale("log")
    ax.set_xlabel("epoch")
    ax.set_ylabel("||dJ/dW|| (log scale)")
    ax.set_title("gradient norm of each weight layer")
    ax.grid(alpha=0.3, which="both")
    legend_beside(fig, ax)
    fig.tight_layout()
    return fig


def kept_records(rates: Sequence[float | None]) -> list[bool]:
    """Which records' update ratios to draw: not those whose update was taken at a learning rate below
    ``NEGLIGIBLE_LR`` of the run's peak (0 included); an unknown rate (None) is kept."""
    known = [r for r in rates if r is not None and np.isfinite(r)]
    peak = max(known, default=0.0)
    return [r is None or not np.isfinite(r) or (r > 0 and r >= NEGLIGIBLE_LR * peak) for r in rates]


def plot_update_ratios(diag: Diagnostics, rates: Sequence[float | None] | None = None) -> Any:
    """||W_after - W_before|| / ||W_before|| of one update per weight layer over training (log scale),
    over the shaded band 1e-4..1e-2 and a line at 1e-3; ``rates`` (the learning rate of each record's
    update) leaves out the records taken at a rate of practically 0."""
    plt = pyplot()
    layers = diag.index["weight_layers"]
    keep = np.array(kept_records(rates if rates is not None else [None] * len(diag.epochs)), dtype=bool)
    epochs = np.asarray(diag.epochs)[keep]
    ratios = np.asarray(diag.arrays["dW/update_ratio"], dtype=np.float64)[keep]
    fig, ax = plt.subplots(figsize=(7.5, 3.6))
    ax.axhspan(*RATIO_BAND, color="green", alpha=0.09, label="1e-4 to 1e-2")
    ax.axhline(RATIO_TARGET, color="green", linestyle=":", linewidth=1.2, label="1e-3 (rule of thumb)")
    for col, (name, color) in enumerate(zip(_names(layers), layer_colors(len(layers)))):
        ax.plot(epochs, ratios[:, col], marker=".", color=color, label=name)
    ax.set_yscale("log")
    measured = ratios[np.isfinite(ratios) & (ratios > 0)]
    lo = min(RATIO_BAND[0], float(measured.min()) if measured.size else RATIO_BAND[0])
    hi = max(RATIO_BAND[1], float(measured.max()) if measured.size else RATIO_BAND[1])
    ax.set_ylim(lo / 2, hi * 2)
    ax.set_xlabel("epoch")
    ax.set_ylabel("||update|| / ||W|| (log scale)")
    left_out = int((~keep).sum())
    ax.set_title("size of one update relative to the weights" +
                 (f" ({left_out} record{'s' * (left_out > 1)} at learning rate ~0 left out)" if left_out else ""),
                 fontsize=10)
    ax.grid(alpha=0.3, which="both")
    legend_beside(fig, ax)
    fig.tight_layout()
    return fig
