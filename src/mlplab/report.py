"""Figures and a self-contained HTML report for a run directory.

``write_report(run_dir)`` draws, with matplotlib, the training curves (``metrics.csv``), and
from the recorded diagnostics (:mod:`mlplab.diagnostics`): a grid of per-layer activation
histograms and one of gradient histograms (one panel per layer, a shared x-range per row,
log-scale counts for gradients, as DD2424 lecture 4 plots them) before training and at the
last record; the 15/50/85th percentiles of each layer's pre-activation over training (Ioffe
& Szegedy, Figure 1); dead and saturated fractions over training; gradient norms and the
update-to-weight ratio over training; and, for 2-D data, the decision regions with the test
points.  The PNGs go to ``figures/`` and are also embedded in ``report.html`` as data URIs,
so the page opens from the file system with no server and no network.
"""

from __future__ import annotations

import base64
import csv
import html
import io
import json
import os
from pathlib import Path
from typing import Any

import numpy as np

from mlplab.atomic import write_text_atomic
from mlplab.diagnostics import Diagnostics, read_diagnostics

FIGURE_DPI = 100


def pyplot() -> Any:
    """matplotlib.pyplot on the file-only Agg backend (imported on first use: training never loads it)."""
    import matplotlib
    matplotlib.use("Agg")                 # files only: no display, no GUI toolkit
    import matplotlib.pyplot as plt
    return plt


def read_metrics(run_dir: Path, name: str = "metrics.csv") -> list[dict[str, float]]:
    path = run_dir / name
    if not path.is_file():
        return []
    with open(path, newline="") as f:
        return [{k: float(v) for k, v in row.items() if v not in ("", None)} for row in csv.DictReader(f)]


# -- the figures: each returns a matplotlib Figure ------------------------------------------------
def plot_curves(history: list[dict[str, float]], diverged: dict[str, Any] | None = None) -> Any:
    """Loss and accuracy per epoch for the training, validation and test splits; a run that
    diverged gets a red line at the epoch where its loss became NaN/inf."""
    plt = pyplot()
    fig, (left, right) = plt.subplots(1, 2, figsize=(11, 3.8))
    epochs = [row["epoch"] for row in history]
    for split, style in (("train", "-"), ("val", "--"), ("test", ":")):
        if history and f"{split}_loss" in history[0]:
            left.plot(epochs, [row[f"{split}_loss"] for row in history], style, marker=".", label=split)
            right.plot(epochs, [row[f"{split}_accuracy"] for row in history], style, marker=".", label=split)
    if diverged is not None:
        for ax in (left, right):
            ax.axvline(diverged["epoch"], color="red", linewidth=2,
                       label=f"loss {diverged['loss']} at step {diverged['step']}")
        left.set_xlim(0, diverged["epoch"] + 0.5)
    for ax, title in ((left, "loss"), (right, "accuracy")):
        ax.set_xlabel("epoch")
        ax.set_title(title)
        ax.grid(alpha=0.3)
        ax.legend()
    fig.tight_layout()
    return fig


def plot_pretraining(rows: list[dict[str, float]]) -> Any:
    """Each hidden block's reconstruction error over its pre-training epochs."""
    plt = pyplot()
    fig, ax = plt.subplots(figsize=(6, 3.4))
    for block in sorted({int(row["block"]) for row in rows}):
        mine = [row for row in rows if int(row["block"]) == block]
        ax.plot([row["epoch"] for row in mine], [row["reconstruction_error"] for row in mine], marker=".",
                label=f"block {block}")
    ax.set_xlabel("epoch")
    ax.set_title("greedy pre-training: reconstruction error per block")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=7)
    fig.tight_layout()
    return fig


def plot_histograms(diag: Diagnostics, quantity: str, log_counts: bool) -> Any:
    """One panel per layer (columns) for the first and last record (rows), x-range shared per row."""
    layers = diag.index["weight_layers" if quantity == "dW" else "activation_layers"]
    rows = [(f"epoch {diag.epochs[r]}", diag.arrays[f"{quantity}/hist"][r], diag.arrays[f"{quantity}/edges"][r])
            for r in sorted({0, len(diag.epochs) - 1})]
    return plot_histogram_grid(rows, [f"layer {layer['index']} {layer['type']}" for layer in layers], log_counts)


def plot_histogram_grid(rows: list[tuple[str, Any, Any]], columns: list[str], log_counts: bool) -> Any:
    """A grid of histograms: ``rows`` of ``(label, counts (layers, bins), edges)``, one panel per
    layer, the x-range shared along a row (the seeds' per-layer figures)."""
    plt = pyplot()
    from matplotlib.ticker import MaxNLocator
    fig, axes = plt.subplots(len(rows), len(columns), figsize=(2.1 * len(columns) + 1, 2.0 * len(rows) + 0.6),
                             squeeze=False, sharex="row")
    for r, (label, counts, edges) in enumerate(rows):
        for c, title in enumerate(columns):
            ax = axes[r, c]
            ax.stairs(counts[c], edges, fill=True, alpha=0.75)
            if log_counts:
                ax.set_yscale("log")
            ax.tick_params(labelsize=7)
            ax.xaxis.set_major_locator(MaxNLocator(4))
            ax.ticklabel_format(axis="x", style="sci", scilimits=(-2, 3))   # tiny gradients stay legible
            ax.set_title(f"{title}\n{label}", fontsize=8)
    fig.tight_layout()
    return fig


def save_figure(fig: Any, path: Path) -> None:
    """Write ``fig`` as a PNG (integer epoch ticks) and close it."""
    _png(fig, path)


def plot_percentiles(diag: Diagnostics) -> Any:
    """The 15/50/85th percentiles of each activation layer's input over training."""
    plt = pyplot()
    layers = diag.index["activation_layers"]
    fig, axes = plt.subplots(1, len(layers), figsize=(2.6 * len(layers) + 1, 2.8), squeeze=False)
    for col, layer in enumerate(layers):
        ax = axes[0, col]
        for q, style in (("p15", "--"), ("p50", "-"), ("p85", "--")):
            ax.plot(diag.epochs, diag.arrays[f"pre/{q}"][:, col], style, color="C0", label=q)
        ax.set_title(f"layer {layer['index']} {layer['type']} input", fontsize=8)
        ax.set_xlabel("epoch", fontsize=8)
        ax.tick_params(labelsize=7)
    axes[0, 0].legend(fontsize=7)
    fig.tight_layout()
    return fig


def _per_layer_over_training(diag: Diagnostics, layers: str, panels: list[tuple[str, str]], log: bool) -> Any:
    """Side-by-side panels, one line per layer of ``diag.index[layers]``: each panel plots the
    array named in ``panels`` (``(array, title)``) against the recorded epochs."""
    plt = pyplot()
    fig, axes = plt.subplots(1, len(panels), figsize=(11, 3.4), squeeze=False)
    for ax, (name, title) in zip(axes[0], panels):
        if np.isnan(diag.arrays[name]).all():           # e.g. saturation of rectifiers: not defined
            ax.set_title(title)
            ax.text(0.5, 0.5, "not defined for these layers", ha="center", va="center", transform=ax.transAxes)
            ax.set_xticks([])
            ax.set_yticks([])
            continue
        for col, layer in enumerate(diag.index[layers]):
            ax.plot(diag.epochs, diag.arrays[name][:, col], marker=".", label=f"layer {layer['index']} {layer['type']}")
        if log:
            ax.set_yscale("log")
        else:
            ax.set_ylim(-0.02, 1.02)
        ax.set_title(title)
        ax.set_xlabel("epoch")
        ax.grid(alpha=0.3, which="both")
        ax.legend(fontsize=7)
    fig.tight_layout()
    return fig


def plot_fractions(diag: Diagnostics) -> Any:
    """Dead and saturated fractions of each activation layer over training."""
    return _per_layer_over_training(diag, "activation_layers", [
        ("act/dead", "dead units (0 for every probe example)"),
        ("act/saturated", "saturated (sigmoid <0.01 or >0.99, |tanh| >0.99)")], log=False)


def plot_gradient_norms(diag: Diagnostics) -> Any:
    """||dJ/dW|| and the update-to-weight ratio of each weight layer over training (log scale)."""
    return _per_layer_over_training(diag, "weight_layers", [
        ("dW/norm", "||dJ/dW|| on the probe batch"),
        ("dW/update_ratio", "||W_after - W_before|| / ||W_before|| of one step")], log=True)


def plot_decision_regions(net: Any, pre: Any, X: np.ndarray, y: np.ndarray, resolution: int = 300) -> Any:
    """The predicted class over a grid covering ``X`` (2-D raw features), with the points on top."""
    plt = pyplot()
    lo, hi = X.min(axis=0), X.max(axis=0)
    pad = 0.08 * (hi - lo)
    gx, gy = np.meshgrid(np.linspace(lo[0] - pad[0], hi[0] + pad[0], resolution),
                         np.linspace(lo[1] - pad[1], hi[1] + pad[1], resolution))
    grid = np.column_stack([gx.ravel(), gy.ravel()])
    classes = np.asarray(net.predict(pre.transform(grid, net.dtype))).reshape(gx.shape)
    fig, ax = plt.subplots(figsize=(5.2, 4.8))
    n_classes = int(max(classes.max(), y.max())) + 1
    ax.contourf(gx, gy, classes, levels=np.arange(n_classes + 1) - 0.5, cmap="tab10", alpha=0.3,
                vmin=0, vmax=9)
    ax.scatter(X[:, 0], X[:, 1], c=y, cmap="tab10", vmin=0, vmax=9, s=9, edgecolors="k", linewidths=0.3)
    ax.set_title("decision regions, test points")
    fig.tight_layout()
    return fig


# -- the page ------------------------------------------------------------------------------------
def _png(fig: Any, path: Path) -> bytes:
    from matplotlib.ticker import MaxNLocator
    for ax in fig.axes:
        if ax.get_xlabel() == "epoch":
            ax.xaxis.set_major_locator(MaxNLocator(integer=True))     # epochs are whole numbers
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=FIGURE_DPI)
    pyplot().close(fig)
    data = buffer.getvalue()
    path.write_bytes(data)
    return data


def _table(rows: list[tuple[str, Any]]) -> str:
    cells = "".join(f"<tr><th>{html.escape(str(k))}</th><td>{html.escape(_format(v))}</td></tr>" for k, v in rows)
    return f"<table class='kv'>{cells}</table>"


def _format(value: Any) -> str:
    if isinstance(value, float):
        return "-" if value != value else f"{value:.4g}"
    if isinstance(value, list):
        return ", ".join(map(str, value))
    return str(value)


def _layer_table(diag: Diagnostics) -> str:
    rows = diag.table()
    columns = [("act_mean", "mean"), ("act_std", "std"), ("pre_p15", "input p15"), ("pre_p50", "input p50"),
               ("pre_p85", "input p85"), ("act_saturated", "saturated"), ("act_dead", "dead"),
               ("act_zero_fraction", "zeros"), ("grad_norm", "|dJ/dh|"), ("dW_norm", "|dJ/dW|"),
               ("update_ratio", "update/weight")]
    head = "".join(f"<th>{title}</th>" for title in ["layer", "type"] + [t for _, t in columns])
    body = "".join("<tr>" + f"<td>{row['layer']}</td><td>{row['type']}</td>" +
                   "".join(f"<td>{_format(row[key]) if key in row else ''}</td>" for key, _ in columns) + "</tr>"
                   for row in rows)
    return f"<table class='layers'><tr>{head}</tr>{body}</table>"


STYLE = """
body { font-family: sans-serif; margin: 2em auto; max-width: 1200px; color: #222; }
h1 { font-size: 1.5em; } h2 { font-size: 1.15em; margin-top: 1.6em; border-bottom: 1px solid #ccc; }
table { border-collapse: collapse; font-size: 0.85em; } td, th { border: 1px solid #ddd; padding: 3px 8px; }
table.kv th { text-align: left; background: #f4f4f4; } table.layers td { text-align: right; }
figure { margin: 1em 0; } figcaption { font-size: 0.85em; color: #555; } img { max-width: 100%; }
.headline { font-size: 1.25em; margin: 0.8em 0; } .columns { display: flex; gap: 3em; flex-wrap: wrap; }
.diverged { color: #b00020; font-weight: bold; }
"""


def write_report(run_dir: str | os.PathLike) -> Path:
    """Draw the figures of a run into ``run_dir/figures`` and write ``run_dir/report.html``."""
    from mlplab.config import read_toml
    run_dir = Path(run_dir)
    if not (run_dir / "config.toml").is_file():
        raise FileNotFoundError(f"run_dir {str(run_dir)!r} holds no config.toml (is it an mlplab run directory?)")
    config = read_toml(run_dir / "config.toml")
    summary_path = run_dir / "summary.json"
    summary = json.loads(summary_path.read_text()) if summary_path.is_file() else {}
    history = read_metrics(run_dir)
    diag = read_diagnostics(run_dir) if (run_dir / "diagnostics.json").is_file() else None
    figures_dir = run_dir / "figures"
    figures_dir.mkdir(exist_ok=True)
    figures: list[tuple[str, Any, str]] = []
    pretraining = read_metrics(run_dir, "pretrain.csv")
    if pretraining:
        figures.append(("pretraining", plot_pretraining(pretraining),
                        f"Greedy layer-wise pre-training ({config.get('pretrain')}): each hidden block's "
                        "reconstruction error, block after block, before supervised fine-tuning."))
    diverged = summary.get("diverged") if isinstance(summary.get("diverged"), dict) else None
    if history or diverged:
        figures.append(("curves", plot_curves(history, diverged),
                        "Loss and accuracy per epoch." + (" The red line marks the epoch in which the loss became "
                                                          f"{diverged['loss']}." if diverged else "")))
    if diag is not None and diag.index["activation_layers"]:
        figures += [
            ("activations", plot_histograms(diag, "act", log_counts=False),
             "Histograms of each activation layer's output on the probe batch, before training (top) and at the "
             "last record (bottom); the x-range is shared along a row."),
            ("gradients", plot_histograms(diag, "act_grad", log_counts=True),
             "Histograms of the non-zero dJ/dh of each activation layer's output (counts on a log scale)."),
            ("percentiles", plot_percentiles(diag),
             "The 15th, 50th and 85th percentiles of each activation layer's input over training "
             "(Ioffe & Szegedy 2015, Figure 1)."),
            ("fractions", plot_fractions(diag), "Dead and saturated units over training."),
        ]
    if diag is not None and diag.index["weight_layers"]:
        figures.append(("gradient-norms", plot_gradient_norms(diag),
                        "Gradient norms and the size of one update relative to the weights, per weight layer."))
    boundary = _decision_regions(run_dir)
    if boundary is not None:
        figures.append(("decision-regions", boundary, "What the network predicts over the plane of the two inputs."))
    blocks = []
    for name, fig, caption in figures:
        data = base64.b64encode(_png(fig, figures_dir / f"{name}.png")).decode("ascii")
        blocks.append(f"<figure id='{name}'><img alt='{name}' src='data:image/png;base64,{data}'>"
                      f"<figcaption>{html.escape(caption)}</figcaption></figure>")
    headline = ""
    if diverged:
        headline = (f"<p class='headline diverged'>Training diverged: the loss became {html.escape(diverged['loss'])}"
                    f" in epoch {diverged['epoch']} at update {diverged['step']} (learning rate {diverged['lr']:g}). "
                    f"The checkpoint of the last completed epoch is kept in <code>checkpoints/last.npz</code>.</p>")
    elif "test_accuracy" in summary:
        headline = (f"<p class='headline'>Final test accuracy: <b>{summary['test_accuracy']:.4f}</b> "
                    f"(test loss {summary['test_loss']:.4f}) after {summary['epochs']} epochs.</p>")
    results = [(k, summary[k]) for k in ("test_accuracy", "test_loss", "val_accuracy", "epochs", "steps",
                                         "train_seconds", "stopped_early", "data", "n_train", "n_test",
                                         "mlplab_version") if k in summary]
    layer_section = ""
    if diag is not None:
        last = diag.index["records"][-1]
        layer_section = (f"<h2>Per layer at epoch {last['epoch']}</h2><p>Probe batch of "
                         f"{diag.index['probe_size']} training examples (<code>mlplab inspect</code> shows any "
                         f"recorded epoch).</p>{_layer_table(diag)}")
    page = f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>mlplab run {html.escape(run_dir.name)}</title>
<style>{STYLE}</style></head><body>
<h1>mlplab run <code>{html.escape(str(run_dir))}</code></h1>
{headline}
<div class="columns"><div><h2>Results</h2>{_table(results)}</div>
<div><h2>Configuration</h2><details><summary>{len(config)} keys (<code>config.toml</code>; <code>mlplab train
--config</code> takes it back)</summary>{_table(list(config.items()))}</details></div></div>
<h2>Figures</h2>
{''.join(blocks) or '<p>No metrics or diagnostics were recorded.</p>'}
{layer_section}
</body></html>
"""
    out = run_dir / "report.html"
    write_text_atomic(out, page)
    return out


def _decision_regions(run_dir: Path) -> Any:
    """The decision-region figure when the run's data has two features (else None)."""
    if not (run_dir / "model.npz").is_file():
        return None
    from mlplab.data import load_dataset
    from mlplab.run import load_run
    config, net, pre = load_run(run_dir)
    if net.in_features != 2:
        return None
    dataset = load_dataset(config["data"], config["data_dir"], seed=config["seed"])
    return plot_decision_regions(net, pre, dataset.X_test, dataset.y_test)
