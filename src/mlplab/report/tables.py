"""The report's HTML tables: results and configuration, the model summary, the per-layer statistics."""

from __future__ import annotations

import html
from typing import Any

import numpy as np

from mlplab.diagnostics import Diagnostics
from mlplab.naming import block_names, short_name


def format_value(value: Any) -> str:
    """A cell: floats to 4 significant digits (NaN as "-"), lists joined by commas."""
    if isinstance(value, float):
        return "-" if value != value else f"{value:.4g}"
    if isinstance(value, list):
        return ", ".join(map(str, value))
    return str(value)


def key_value_table(rows: list[tuple[str, Any]]) -> str:
    cells = "".join(f"<tr><th>{html.escape(str(k))}</th><td>{html.escape(format_value(v))}</td></tr>"
                    for k, v in rows)
    return f"<table class='kv'>{cells}</table>"


# -- the model summary ---------------------------------------------------------------------------
def model_summary_rows(net: Any) -> list[dict[str, Any]]:
    """One row per layer in network order: its block's full name, the layer, its output shape
    (``batch`` first) and its number of trained parameters."""
    names = block_names(net.layers)
    width = net.in_features
    rows = []
    for i, (layer, name) in enumerate(zip(net.layers, names)):
        if width is not None:
            width = layer.output_dim(width)
        rows.append({"index": i, "block": name, "layer": type(layer).__name__,
                     "shape": f"(batch, {width})" if width is not None else "?",
                     "params": int(sum(int(np.size(p)) for p in layer.params.values())),
                     "param_shapes": ", ".join(f"{k} {'×'.join(map(str, np.shape(v)))}"
                                               for k, v in layer.params.items()),
                     "buffers": int(sum(int(np.size(b)) for b in layer.buffers.values()))})
    return rows


def model_summary_table(net: Any) -> str:
    """Layers grouped by block as a student counts them, output shapes, parameter counts and the total."""
    rows = model_summary_rows(net)
    body = []
    for row in rows:
        first = row["index"] == 0 or rows[row["index"] - 1]["block"] != row["block"]
        span = sum(1 for other in rows if other["block"] == row["block"])
        block = (f"<td rowspan='{span}' class='block'>{html.escape(row['block'])}</td>" if first else "")
        body.append(f"<tr>{block}<td class='left'>{row['layer']}</td><td>{row['shape']}</td>"
                    f"<td>{row['params']:,}</td><td class='left'>{html.escape(row['param_shapes'])}</td></tr>")
    total = sum(row["params"] for row in rows)
    buffers = sum(row["buffers"] for row in rows)
    extra = f" (plus {buffers:,} batch-norm running statistics, not trained)" if buffers else ""
    return (f"<table class='layers summary' id='model-summary'><tr><th>block</th><th>layer</th><th>output shape</th>"
            f"<th>parameters</th><th>shapes</th></tr>{''.join(body)}"
            f"<tr class='total'><th colspan='3'>total</th><td><b>{total:,}</b></td><td class='left'>"
            f"trained parameters{html.escape(extra)}</td></tr></table>")


# -- the per-layer statistics --------------------------------------------------------------------
LAYER_COLUMNS = [("act_mean", "output mean", "mean of the activation layer's output"),
                 ("act_std", "output std", "standard deviation of the output: falling layer by layer means vanishing"),
                 ("pre_p15", "input p15", "15th percentile of the pre-activation"),
                 ("pre_p50", "input p50", "median of the pre-activation"),
                 ("pre_p85", "input p85", "85th percentile of the pre-activation"),
                 ("act_saturated", "saturated", "share of outputs in a sigmoid's or tanh's flat ends"),
                 ("act_dead", "dead", "share of units that output 0 for every probe example"),
                 ("act_zero_fraction", "zeros", "share of outputs exactly 0"),
                 ("grad_norm", "|dJ/dh|", "norm of the gradient at the layer's output"),
                 ("dW_norm", "|dJ/dW|", "norm of the weight gradient"),
                 ("update_ratio", "update/weight", "||update|| / ||W|| of one step (about 1e-3 is customary)")]


def block_rows(diag: Diagnostics, epoch: int | None = None) -> list[dict[str, Any]]:
    """The statistics of :meth:`Diagnostics.table` merged per block (a weight layer and its activation)
    and put in network order."""
    merged: dict[str, dict[str, Any]] = {}
    for row in sorted(diag.table(epoch), key=lambda r: r["layer"]):
        block = merged.setdefault(row["name"], {"name": row["name"], "layer": row["layer"]})
        block.update({k: v for k, v in row.items() if k not in ("name", "layer", "type")})
        if "act_std" in row:
            block["activation"] = row["type"]
    return sorted(merged.values(), key=lambda r: r["layer"])


def layer_table(diag: Diagnostics, epoch: int | None = None, rate_near_zero: bool = False) -> str:
    """One row per block in network order, named in full; a column none of the blocks defines is left out.
    ``rate_near_zero``: the record's update was taken at a learning rate of practically 0 (the end of a
    cosine schedule), so its update/weight ratios are marked as saying nothing about the layers."""
    rows = block_rows(diag, epoch)
    relu = any(row.get("activation") == "ReLU" for row in rows)     # only a ReLU outputs exact zeros for a batch
    columns = [(key, title, tip) for key, title, tip in LAYER_COLUMNS
               if any(key in row and row[key] == row[key] for row in rows) and (relu or key != "act_dead")]
    head = "<th>block</th>" + "".join(f"<th title='{html.escape(tip)}'>{title}</th>" for _, title, tip in columns)
    def cell(row: dict[str, Any], key: str) -> str:
        text = format_value(row[key]) if key in row else ""
        return f"{text} (lr≈0)" if text and key == "update_ratio" and rate_near_zero else text

    body = "".join(f"<tr><td class='block' title='{html.escape(short_name(row['name']))}'>{html.escape(row['name'])}"
                   "</td>" + "".join(f"<td>{cell(row, key)}</td>" for key, _, _ in columns) + "</tr>" for row in rows)
    return f"<table class='layers' id='layer-table'><tr>{head}</tr>{body}</table>"
