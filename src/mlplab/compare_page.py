"""The ``mlplab compare`` page: its figures, its HTML sections and its style.

:mod:`mlplab.compare` reads and checks the runs; this module only draws and writes what they hold:
the training curves overlaid, the configs side by side, the final metrics, the findings, and the
per-layer statistics at one common epoch.  Figures are embedded as base64 PNG, so that the page opens
from the file system with no server and no network.
"""

from __future__ import annotations

import base64
import html
import io
import math
from typing import TYPE_CHECKING, Any

from mlplab.findings import ORDER, SEVERE as SEVERE_CODES
from mlplab.naming import layer_range
from mlplab.report import pyplot

if TYPE_CHECKING:              # a type only: mlplab.compare imports this module
    from mlplab.compare import ComparedRun as Run

# the codes that mean a run is broken, listed first, in the order mlplab diagnose lists them
SEVERE = tuple(code for code in ORDER if code in SEVERE_CODES)
# (key in a Diagnostics.table row, title, what to look for) for the per-layer table
LAYER_STATS = (
    ("act_std", "activation std", "falls layer after layer when activations vanish, grows when they explode "
                                  "(CS7015 lecture 9, module 9.4: Var(s_k) = [n Var(w)]^k Var(x))"),
    ("act_saturated", "saturated", "share of sigmoid or tanh outputs on their flat ends, where the gradient is "
                                   "near 0 (n/a: other activations)"),
    ("act_dead", "dead", "share of units that are 0 for every probe example (ReLU units that no longer learn)"),
    ("grad_norm", "|dJ/dh|", "norm of the gradient reaching each activation layer's output"),
    ("dW_norm", "|dJ/dW|", "norm of each weight layer's gradient: vanishing gradients shrink towards the input"),
    ("update_ratio", "update/weight", "||change of W|| / ||W|| over one step; about 1e-3 is customary (small at "
                                      "the end of a cosine schedule, where the rate is near 0)"),
)


# -- figures -------------------------------------------------------------------------------------
def _diverged(run: Run) -> dict[str, Any] | None:
    diverged = run.summary.get("diverged")
    return diverged if isinstance(diverged, dict) else None


def png_base64(fig: Any) -> str:
    """The figure as a base64 PNG (for a data: URI); the figure is closed."""
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=100)
    pyplot().close(fig)
    return base64.b64encode(buffer.getvalue()).decode("ascii")


def plot_curves(runs: list[Run]) -> Any:
    """Loss and accuracy per epoch, one colour per run; solid training, dashed validation."""
    plt = pyplot()
    from matplotlib.lines import Line2D
    from matplotlib.ticker import MaxNLocator
    fig, axes = plt.subplots(1, 2, figsize=(11, 4))
    for ax, metric in zip(axes, ("loss", "accuracy")):
        for run in runs:
            for split, style in (("train", "-"), ("val", "--")):
                points = [(row["epoch"], row[f"{split}_{metric}"]) for row in run.history
                          if f"{split}_{metric}" in row]
                if points:
                    ax.plot(*zip(*points), style, color=run.colour, marker=".")
        values = [v for line in ax.get_lines() for v in line.get_ydata() if v > 0 and math.isfinite(v)]
        if metric == "loss" and values and max(values) > 100 * min(values):
            ax.set_yscale("log")            # a run whose loss blew up would flatten the others
        ax.set_xlabel("epoch")
        ax.set_ylabel(metric)
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.grid(alpha=0.3)
    handles = [Line2D([], [], color=run.colour, label=run.label + (" (diverged)" if _diverged(run) else ""))
               for run in runs] + [
        Line2D([], [], color="grey", linestyle="-", label="training"),
        Line2D([], [], color="grey", linestyle="--", label="validation")]
    axes[1].legend(handles=handles, fontsize=8)
    fig.tight_layout()
    return fig


def plot_layers(runs: list[Run], names: list[str], epoch: int) -> Any:
    """Activation std and |dJ/dW| per layer at ``epoch``, one line per run (log scale; a value of
    exactly 0, which a log axis cannot show, is a triangle on the bottom edge)."""
    plt = pyplot()
    fig, axes = plt.subplots(1, 2, figsize=(11, 4))
    for ax, key, title in zip(axes, ("act_std", "dW_norm"), ("activation std", "|dJ/dW|")):
        shown = [n for n in names if any(key in run.layers.get(n, {}) for run in runs)]
        for run in runs:
            values = [(i, run.layers[n][key]) for i, n in enumerate(shown) if key in run.layers.get(n, {})]
            points = [(i, v) for i, v in values if v > 0]
            if points:
                ax.plot(*zip(*points), "-o", color=run.colour, label=run.label)
            for i, _ in (p for p in values if p[1] == 0):
                ax.plot(i, 0, "v", color=run.colour, markersize=9, transform=ax.get_xaxis_transform(), clip_on=False)
        ax.set_yscale("log")
        tilt = len(shown) > 6
        ax.set_xticks(range(len(shown)), shown, rotation=45 if tilt else 0, ha="right" if tilt else "center")
        ax.set_xlabel("layer")
        ax.set_ylabel(f"{title} (log scale)")
        ax.set_title(f"{title} at epoch {epoch}")
        ax.grid(alpha=0.3)
        if any(line.get_label()[0] != "_" for line in ax.get_lines()):
            ax.legend(fontsize=8)
    fig.tight_layout()
    return fig


# -- the page ------------------------------------------------------------------------------------
def as_text(value: Any) -> str:
    """A config or summary value as the page shows it (also the legend labels' values)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return "n/a" if math.isnan(value) else f"{value:.4g}"
    if isinstance(value, list):
        return ", ".join(map(str, value))
    return str(value)


def _e(value: Any) -> str:
    return html.escape(as_text(value))


def _tr(head: str, cells: list[str], css: str = "", key: str = "") -> str:
    """A table row: a header cell, then one cell per run (each already HTML)."""
    attributes = (f" class='{css}'" if css else "") + (f" data-key='{_e(key)}'" if key else "")
    return f"<tr{attributes}><th>{head}</th>{''.join(cells)}</tr>"


def _head(runs: list[Run], first: str) -> str:
    return f"<tr><th>{first}</th>" + "".join(
        f"<th title='{_e(run.path)}'><span class='swatch' style='background:{run.colour}'></span>{_e(run.label)}</th>"
        for run in runs) + "</tr>"


def _config_section(runs: list[Run], keys: list[str], differing: list[str]) -> str:
    def value(run: Run, key: str) -> str:
        text = _e(run.stored_config[key]) if key in run.stored_config else "<i>not recorded</i>"
        if key == "init" and run.stored_config.get(key) == "auto" and "init" in run.summary:
            text += f" → {_e(run.summary['init'])}"          # what "auto" resolved to
        return f"<td>{text}</td>"

    def row(key: str, css: str) -> str:
        return _tr(_e(key), [value(run, key) for run in runs], css, key)
    same = [k for k in keys if k not in differing]
    lead = (f"<p>{len(differing)} setting(s) differ: <b>{_e(', '.join(differing))}</b>.</p>" if differing
            else "<p>The configs are identical (only the output folders differ).</p>")
    return (f"<h2>Configuration</h2>{lead}<table class='side'>{_head(runs, 'key')}"
            + "".join(row(k, "differs") for k in differing) + "</table>"
            + f"<details><summary>{len(same)} settings the same in every run</summary><table class='side'>"
            + _head(runs, "key") + "".join(row(k, "same") for k in same) + "</table></details>")


def _metrics_section(runs: list[Run]) -> str:
    accuracies = [run.summary.get("test_accuracy") for run in runs]
    best = max((a for a in accuracies if isinstance(a, (int, float))), default=None)

    def accuracy(run: Run) -> str:
        diverged = _diverged(run)
        if diverged:
            return (f"<span class='diverged'>diverged in epoch {_e(diverged.get('epoch'))} (loss "
                    f"{_e(diverged.get('loss'))})</span>")
        value = run.summary.get("test_accuracy")
        return f"<b>{_e(value)}</b>" if value == best and value is not None else _e(value if value is not None else "-")
    rows = [("test accuracy", accuracy)] + [
        (title, lambda run, k=key: _e(run.summary.get(k, "-")))
        for title, key in (("test loss", "test_loss"), ("validation accuracy (last epoch)", "val_accuracy"),
                           ("epochs", "epochs"), ("stopped early", "stopped_early"),
                           ("train seconds", "train_seconds"), ("init (as resolved)", "init"),
                           ("network", "network"), ("data", "data"), ("training examples", "n_train"))]
    body = "".join(_tr(title, [f"<td>{cell(run)}</td>" for run in runs]) for title, cell in rows)
    return (f"<h2>Final metrics</h2><p>The test set is evaluated once, at the end (<code>summary.json</code>); "
            f"the best test accuracy is in bold.</p><table class='side'>{_head(runs, '')}{body}</table>")


def _findings_section(runs: list[Run]) -> str:
    found = {run.label: run.summary.get("findings") for run in runs}
    by_code: dict[str, dict[str, dict[str, Any]]] = {}
    for run in runs:
        for finding in found[run.label] or []:
            if isinstance(finding, dict):
                by_code.setdefault(str(finding.get("code", "?")), {})[run.label] = finding
    codes = sorted(by_code, key=lambda c: SEVERE.index(c) if c in SEVERE else len(SEVERE) + list(by_code).index(c))
    missing = [run.label for run in runs if not isinstance(found[run.label], list)]
    note = (f"<p>Findings not recorded for {_e(', '.join(missing))} (made before mlplab recorded findings in "
            f"<code>summary.json</code>; <code>mlplab diagnose RUN</code> reads a run's diagnostics).</p>"
            if missing else "")
    if not codes:
        none = "<p>No findings in any run that recorded them.</p>" if len(missing) < len(runs) else ""
        return f"<h2>Findings</h2>{none}{note}"

    def cell(run: Run, code: str) -> str:
        if not isinstance(found[run.label], list):
            return "<td class='absent'>not recorded</td>"
        finding = by_code[code].get(run.label)
        if finding is None:
            return "<td class='absent'>none</td>"
        where = layer_range(list(finding.get("layers") or []))
        return (f"<td title='{_e(finding.get('threshold', ''))}'>{'<b>' + _e(where) + '</b>: ' if where else ''}"
                f"{_e(finding.get('measured', ''))}</td>")
    body = ""
    for code in codes:
        advice = next(iter(by_code[code].values())).get("advice", "")
        body += (_tr(_e(code), [cell(run, code) for run in runs], "severe" if code in SEVERE else "")
                 + f"<tr class='advice'><td colspan='{len(runs) + 1}'>{_e(advice)}</td></tr>")
    return (f"<h2>Findings</h2><p>What <code>mlplab diagnose</code> read in each run (hover over a cell for the "
            f"rule that fired); severe ones first.</p><table class='side findings'>{_head(runs, 'finding')}"
            f"{body}</table>{note}")


def _layers_section(runs: list[Run], epoch: int | None, figure: str, asked: bool) -> str:
    lacking = [run.label for run in runs if run.diag is None]
    note = (f"<p>No diagnostics recorded by {_e(', '.join(lacking))} (trained with <code>--diagnostics off</code>)"
            f".</p>" if lacking else "")
    if epoch is None:
        if len(lacking) < len(runs):
            note += "<p>The runs' diagnostics share no recorded epoch: no common epoch to compare.</p>"
        return f"<h2>Per layer</h2>{note}"
    names = sorted({n for run in runs for n in run.layers}, key=layer_order)
    with_diag = [run for run in runs if run.diag is not None]
    probe = ", ".join(f"{run.diag.index.get('probe_size', '?')}" for run in with_diag)
    body = ""
    for key, title, meaning in (("name", "block", ""), *LAYER_STATS):     # a section per statistic
        shown = [n for n in names if any(key in run.layers.get(n, {}) for run in runs)]
        if shown:
            body += (f"<tr class='section'><th colspan='{len(runs) + 1}'>{_e(title)} <span>{_e(meaning)}</span>"
                     "</th></tr>")
        css = " class='name'" if key == "name" else ""
        body += "".join(_tr(_e(n), [f"<td{css}>{_e(run.layers[n][key])}</td>" if key in run.layers.get(n, {})
                                    else "<td class='absent'></td>" for run in runs]) for n in shown)
    return (f"<h2>Per layer at epoch {epoch}</h2><p>Recorded on each run's probe batch of training examples "
            f"({_e(probe)}); epoch {epoch} is {'the one asked for' if asked else 'the last one every run recorded'}"
            f" (<code>--epoch N</code> picks another; 0: before training).</p>{note}{figure}"
            f"<table class='side layers'>{_head(runs, 'layer')}{body}</table>")


STYLE = """
body { font-family: sans-serif; margin: 2em auto; max-width: 1200px; color: #222; }
h1 { font-size: 1.5em; } h2 { font-size: 1.15em; margin-top: 1.6em; border-bottom: 1px solid #ccc; }
table { border-collapse: collapse; font-size: 0.85em; } td, th { border: 1px solid #ddd; padding: 3px 8px; }
th { text-align: left; background: #f4f4f4; } table.layers td { text-align: right; }
table.layers td.name { text-align: left; }
tr.differs th, tr.differs td { background: #fff3b0; font-weight: bold; } td.absent { color: #999; }
tr.section th { background: #e4e8f0; } tr.section span { font-weight: normal; font-size: 0.9em; color: #555; }
tr.severe th { color: #b00020; } tr.advice td { font-size: 0.9em; color: #555; }
.swatch { display: inline-block; width: 0.9em; height: 0.9em; margin-right: 0.4em; vertical-align: middle; }
figure { margin: 1em 0; } figcaption { font-size: 0.85em; color: #555; } img { max-width: 100%; }
.diverged { color: #b00020; font-weight: bold; } details { margin-top: 0.6em; }
"""


def _figure(name: str, fig: Any, caption: str) -> str:
    return (f"<figure id='{name}'><img alt='{name}' src='data:image/png;base64,{png_base64(fig)}'>"
            f"<figcaption>{html.escape(caption)}</figcaption></figure>")


def layer_order(name: str) -> tuple[int, float, str]:
    """Blocks in network order: hidden 1, 2, ..., then output (old runs' "layer i (Type)" by i)."""
    role, _, number = name.partition(" ")
    if role == "hidden" and number.isdigit():
        return (1, int(number), "")
    if role == "output":
        return (2, 0, "")
    digits = number.split(" ")[0]
    return (0 if role == "input" else 3, int(digits) if digits.isdigit() else math.inf, name)


def render_page(runs: list[Run], keys: list[str], differing: list[str], at: int | None, asked: bool) -> str:
    """The whole page for labelled ``runs``: ``keys`` are the config keys compared (``differing`` among
    them first), ``at`` the epoch of the per-layer statistics (None: no common one), ``asked`` whether
    the user chose it."""
    runs_list = "".join(f"<li><span class='swatch' style='background:{run.colour}'></span><b>{_e(run.label)}</b>: "
                        f"<code>{_e(run.path.resolve())}</code></li>" for run in runs)
    curves = _figure("curves", plot_curves(runs), "Loss and accuracy per epoch, one colour per run; solid lines "
                     "training, dashed validation. Look for the run that learns faster, and for validation parting "
                     "from training (overfitting).")
    figure = ""
    names = sorted({n for run in runs for n in run.layers}, key=layer_order)
    if names:
        figure = _figure("layers", plot_layers(runs, names, at), "Activation std and weight-gradient norm per "
                         "layer, one line per run. Look for a line that falls layer after layer (vanishing) or rises "
                         "(exploding), against one that stays level, as batch norm or a fitting init keeps it (DD2424 "
                         "lecture 4: the 10x500 network's activation histograms per layer). A triangle on the bottom "
                         "edge is a value of exactly 0 (every unit dead, or no gradient at all).")
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>mlplab compare: {_e(', '.join(r.label for r in runs))}</title>
<style>{STYLE}</style></head><body>
<h1>mlplab compare: {len(runs)} runs</h1><ul>{runs_list}</ul>
<h2>Training curves</h2>{curves}
{_config_section(runs, keys, differing)}
{_metrics_section(runs)}
{_findings_section(runs)}
{_layers_section(runs, at, figure, asked)}
</body></html>
"""
