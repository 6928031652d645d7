"""``write_report(run_dir)``: the figures of a run, each with a caption saying what to look for, and
the self-contained ``report.html`` that shows them (PNGs embedded as data URIs: the page opens from
the file system with no server and no network)."""

from __future__ import annotations

import base64
import html
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from mlplab.atomic import write_text_atomic
from mlplab.diagnostics import has_weight
from mlplab.naming import block_names, short_name
from mlplab.report import classifier, curves, histograms, over_training
from mlplab.report.common import save_figure
from mlplab.report.findings_section import findings_html, run_findings
from mlplab.report.inputs import RunInputs
from mlplab.report.tables import key_value_table, layer_table, model_summary_table

STYLE = """
body { font-family: sans-serif; margin: 2em auto; max-width: 1200px; color: #222; padding: 0 1em; }
h1 { font-size: 1.5em; } h2 { font-size: 1.15em; margin-top: 1.6em; border-bottom: 1px solid #ccc; }
table { border-collapse: collapse; font-size: 0.85em; } td, th { border: 1px solid #ddd; padding: 3px 8px; }
table.kv th { text-align: left; background: #f4f4f4; } table.layers td { text-align: right; }
table.layers td.block, table.layers td.left { text-align: left; } tr.total { background: #f4f4f4; }
figure { margin: 1.2em 0; } figcaption { font-size: 0.9em; color: #444; max-width: 60em; } img { max-width: 100%; }
.headline { font-size: 1.25em; margin: 0.8em 0; } .columns { display: flex; gap: 3em; flex-wrap: wrap; }
.diverged { color: #b00020; font-weight: bold; } .muted { color: #666; } .ok { color: #1b5e20; }
.finding { border-left: 4px solid #e0a000; background: #fff8e1; padding: 0.4em 0.9em; margin: 0.6em 0; }
.finding.severe { border-left-color: #b00020; background: #fdecea; }
.finding-headline { font-weight: bold; margin: 0.2em 0; } .finding.severe .finding-headline { color: #b00020; }
.finding dl { display: grid; grid-template-columns: 6em 1fr; gap: 0.15em 0.8em; margin: 0.3em 0; font-size: 0.9em; }
.finding dt { color: #555; } .finding dd { margin: 0; }
"""


@dataclass
class Figure:
    """One figure of the page: its file/anchor name, the matplotlib figure and its one-line caption."""

    name: str
    figure: Any
    caption: str


def report_sections(run_dir: str | os.PathLike) -> list[tuple[str, list[Figure]]]:
    """The report's figures, by section (``[(title, [Figure(name, figure, caption), ...]), ...]``), for
    a notebook to show without writing anything."""
    run = RunInputs.read(Path(run_dir))
    return _sections(run, curves.best_epoch(run.history))


def _sections(run: RunInputs, best: curves.BestEpoch | None) -> list[tuple[str, list[Figure]]]:
    return [("Training", training_figures(run, best)), ("The test set", test_set_figures(run)),
            ("Inside the network", inside_figures(run))]


def write_report(run_dir: str | os.PathLike) -> Path:
    """Draw the figures of a run into ``run_dir/figures`` and write ``run_dir/report.html``."""
    run = RunInputs.read(Path(run_dir))
    figures_dir = run.run_dir / "figures"
    figures_dir.mkdir(exist_ok=True)
    best = curves.best_epoch(run.history)
    sections = _sections(run, best)
    body = []
    for title, figures in sections:
        blocks = [_figure_html(figure, figures_dir) for figure in figures]
        if blocks:
            body.append(f"<h2>{title}</h2>{''.join(blocks)}")
    if run.dataset_problem:
        body.append(f"<p class='muted'>No test-set figures: {html.escape(run.dataset_problem)}</p>")
    page = f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>mlplab run {html.escape(run.run_dir.name)}</title>
<style>{STYLE}</style></head><body>
<h1>mlplab run <code>{html.escape(str(run.run_dir))}</code></h1>
{_headline(run)}
{findings_html(*run_findings(run.run_dir, run.summary))}
<div class="columns"><div><h2>Results</h2>{key_value_table(_results(run, best))}</div>
<div><h2>Configuration</h2><details><summary>{len(run.config)} keys (<code>config.toml</code>; <code>mlplab train
--config</code> takes it back)</summary>{key_value_table(list(run.config.items()))}</details></div></div>
{_model_section(run)}
{''.join(body) or '<p>No metrics or diagnostics were recorded.</p>'}
{_layer_section(run)}
</body></html>
"""
    out = run.run_dir / "report.html"
    write_text_atomic(out, page)
    return out


# -- the figures, section by section --------------------------------------------------------------
def training_figures(run: RunInputs, best: curves.BestEpoch | None) -> list[Figure]:
    figures = []
    if run.pretraining:
        figures.append(Figure("pretraining", curves.plot_pretraining(run.pretraining),
                              f"Greedy layer-wise pre-training ({run.config.get('pretrain')}): each hidden block's "
                              "reconstruction error over its own epochs; look for every block's error falling before "
                              "supervised training starts (CS7015 lecture 9, module 9.1)."))
    diverged = run.diverged
    if run.history or diverged:
        test_note = ("the test set was evaluated every epoch (--test-every-epoch), dotted"
                     if any("test_loss" in row for row in run.history)
                     else "the star is the test set, evaluated once, after training")
        best_note = f"the dashed line marks the best epoch, {best.epoch} ({best.criterion})" if best else ""
        caption = ("Loss and accuracy per epoch on the training and validation sets: look for validation loss "
                   "turning up while training loss still falls (overfitting); " + "; ".join(
                       note for note in (best_note, test_note) if note) + ".")
        if diverged:
            caption += f" The red line marks the epoch in which the loss became {diverged['loss']}."
        figures.append(Figure("curves", curves.plot_curves(run.history, diverged, run.final_test, best), caption))
    epochs, rates = run.learning_rate_curve()
    if rates:
        figures.append(Figure("learning-rate", curves.plot_learning_rate(epochs, rates, best, run.config["schedule"]),
                              f"The learning rate of every update ({run.config['schedule']} schedule)"
                              + (f" with the best epoch, {best.epoch}, dashed" if best else "") +
                              ": look for where the best epoch falls; long before the rate comes down, the epochs "
                              "after it were spent without improving the validation loss."))
    return figures


def test_set_figures(run: RunInputs) -> list[Figure]:
    """Confusion matrix, per-class accuracy, misclassified images, first-layer weights, decision regions."""
    predictions = run.test_predictions
    if predictions is None:
        return []
    dataset, (net, pre) = run.dataset, run.model_and_preprocessing
    figures = [
        Figure("confusion-matrix", classifier.plot_confusion_matrix(predictions),
               "Test-set confusion matrix (rows: the true class, columns: the predicted one; the colour is the share "
               "of the row): look for large counts off the diagonal, the pairs of classes the network mixes up."),
        Figure("per-class-accuracy", classifier.plot_per_class_accuracy(predictions),
               "Test accuracy of each class; the dashed line is the accuracy over all classes: look for the "
               "classes far below it, and find their confusions in the matrix above."),
    ]
    shape = dataset.image_shape
    if shape is not None and int(np.prod(shape)) == dataset.n_features:
        shown = len(classifier.most_confident_mistakes(predictions))
        figures.append(Figure("misclassified", classifier.plot_misclassified(dataset.X_test, predictions, shape,
                                                                             dataset.pixel_max),
                              f"The {shown} test images the network got wrong most confidently, with the true and "
                              "the predicted label (and the probability it gave): look for mistakes a person "
                              "would make too, and for labels that look wrong."))
        first = next((i for i, layer in enumerate(net.layers) if has_weight(layer)), None)
        if first is not None:
            figures.append(_first_layer_figure(run, net, first, shape))
    if net.in_features == 2:
        figures.append(Figure("decision-regions",
                              classifier.plot_decision_regions(net, pre, dataset.X_test, dataset.y_test,
                                                               class_names=predictions.class_names),
                              "The class the network predicts over the plane of its two inputs, with the test points: "
                              "look for boundaries that follow the data rather than islands around single points."))
    return figures


def _first_layer_figure(run: RunInputs, net: Any, first: int, shape: tuple[int, int]) -> Figure:
    """The first weight layer's units as images: what training changed since the (seeded, rebuilt)
    initialisation where it can be rebuilt, else the weights themselves."""
    name = short_name(block_names(net.layers)[first])
    W = np.asarray(net.layers[first].weight(), dtype=np.float64)     # a WeightNormDense's g v / ||v||
    units = min(classifier.FILTERS, W.shape[-2])
    initial = run.initial_network()
    look = ("look for strokes and parts of the classes; noise means the layer learned little")
    if initial is not None:
        change = W - np.asarray(initial.layers[first].weight(), dtype=np.float64)
        return Figure("first-layer-weights", classifier.plot_first_layer_weights(
            change, shape, name, what="change in the incoming weights since initialisation"),
            f"What training changed in the incoming weights of {units} {name} units (trained minus initial, the "
            f"initial weights rebuilt from the seed), drawn as {shape[0]}x{shape[1]} images (red: more excited by "
            f"ink there, blue: less; each unit on its own scale): {look}.")
    return Figure("first-layer-weights", classifier.plot_first_layer_weights(W, shape, name),
                  f"The incoming weights of {units} {name} units drawn as {shape[0]}x{shape[1]} images (red: "
                  f"excited by ink there, blue: inhibited; each unit on its own scale): {look}, though a random "
                  "init's noise stays in them.")


def inside_figures(run: RunInputs) -> list[Figure]:
    """The diagnostics: histograms, percentiles, dead/saturated fractions, gradient norms, update ratios."""
    diag = run.diag
    if diag is None:
        return []
    figures = []
    last = diag.epochs[-1]
    if diag.index["activation_layers"]:
        has_zeros = bool(np.nan_to_num(diag.arrays["act/zero_fraction"][[0, -1]]).any())
        figures += [
            Figure("activations", histograms.plot_histograms(diag, "act", log_counts=False),
                   f"Each layer's output on the probe batch before training and at epoch {last}, on one x-range, with "
                   "its standard deviation: look for panels narrowing layer after layer (vanishing activations) or "
                   "piling up at the ends (saturation)." + (" Exact zeros are left out of the bars and their share is "
                                                            "written in the panel (DD2424 lecture 4 plots the non-zero "
                                                            "activations)." if has_zeros else "")),
            Figure("gradients", histograms.plot_histograms(diag, "act_grad", log_counts=True),
                   "The non-zero gradients dJ/dh at each layer's output (counts on a log scale, one x-range): look "
                   "for panels that narrow towards hidden 1 (vanishing gradients) or widen (exploding ones)."),
            Figure("percentiles", over_training.plot_percentiles(diag),
                   "The 15th, 50th and 85th percentiles of each layer's input over training (Ioffe & Szegedy 2015, "
                   "Figure 1): look for bands that drift or spread, the changing input a layer has to follow."),
        ]
        fractions = over_training.plot_fractions(diag)
        if fractions is not None:
            kinds = [title.split(" (")[0] for _, title in over_training.fraction_panels(diag)]
            figures.append(Figure("fractions", fractions,
                                  f"The share of {' and of '.join(kinds)} in each layer over training: look for lines "
                                  "climbing towards 1, units that no longer pass a gradient (CS7015 lecture 9, "
                                  "module 9.3)."))
    if diag.index["weight_layers"]:
        rates = run.record_learning_rates()
        left_out = rates.count(None) < len(rates) and not all(over_training.kept_records(rates))
        figures += [
            Figure("gradient-norms", over_training.plot_gradient_norms(diag),
                   "The norm of each weight layer's gradient over training (log scale): look for orders of magnitude "
                   "between hidden 1 and the output layer (vanishing or exploding gradients)."),
            Figure("update-ratios", over_training.plot_update_ratios(diag, rates),
                   "The size of one update relative to the weights, ||update||/||W||, per weight layer (log scale); "
                   "the dotted line is 1e-3, the rule of thumb of Karpathy's CS231n notes, shaded a decade either "
                   "side: look for layers far below the band (they barely learn) or above it (too large a rate)."
                   + (" Updates taken at a learning rate of practically 0 (below 1/100 of the peak, the end of a "
                      "cosine schedule) are left out: they measure the schedule, not the layer." if left_out else "")),
        ]
    return figures


# -- the rest of the page -----------------------------------------------------------------------
def _figure_html(figure: Figure, figures_dir: Path) -> str:
    data = base64.b64encode(save_figure(figure.figure, figures_dir / f"{figure.name}.png")).decode("ascii")
    return (f"<figure id='{figure.name}'><img alt='{figure.name}' src='data:image/png;base64,{data}'>"
            f"<figcaption>{html.escape(figure.caption)}</figcaption></figure>")


def _headline(run: RunInputs) -> str:
    diverged, summary = run.diverged, run.summary
    if diverged:
        return (f"<p class='headline diverged'>Training diverged: the loss became {html.escape(diverged['loss'])}"
                f" in epoch {diverged['epoch']} at update {diverged['step']} (learning rate {diverged['lr']:g}). "
                f"The checkpoint of the last completed epoch is kept in <code>checkpoints/last.npz</code>.</p>")
    if "test_accuracy" in summary:
        return (f"<p class='headline'>Final test accuracy: <b>{summary['test_accuracy']:.4f}</b> "
                f"(test loss {summary['test_loss']:.4f}) after {summary['epochs']} epochs.</p>")
    return ""


def _results(run: RunInputs, best: curves.BestEpoch | None) -> list[tuple[str, Any]]:
    summary = run.summary
    rows = [(k, summary[k]) for k in ("network", "init", "test_accuracy", "test_loss", "val_accuracy", "epochs",
                                      "steps", "train_seconds", "stopped_early", "data", "n_train", "n_test",
                                      "mlplab_version") if k in summary]
    if best is not None:
        rows.insert(min(5, len(rows)), ("best epoch", f"{best.epoch} ({best.criterion} {best.value:.4g})"))
    return rows


def _model_section(run: RunInputs) -> str:
    net = run.network
    if net is None:
        return ""
    source = "model.npz" if (run.run_dir / "model.npz").is_file() else "checkpoints/last.npz"
    return (f"<h2>The model</h2><p>Layers grouped into blocks as the lectures count them (<code>{source}</code>); "
            f"a Dense layer has in × out weights and out biases.</p>{model_summary_table(net)}")


def _layer_section(run: RunInputs) -> str:
    diag = run.diag
    if diag is None:
        return ""
    last = diag.index["records"][-1]
    near_zero = not over_training.kept_records(run.record_learning_rates())[-1]
    note = (" The update/weight ratios of this record come from an update at a learning rate of practically 0 "
            "(the end of the schedule): they say nothing about the layers." if near_zero else "")
    return (f"<h2>Per layer at epoch {last['epoch']}</h2><p>Probe batch of {diag.index['probe_size']} training "
            f"examples, blocks in network order (<code>mlplab inspect</code> shows any recorded epoch; hover a "
            f"column's title for what it measures).{note}</p>{layer_table(diag, rate_near_zero=near_zero)}")
