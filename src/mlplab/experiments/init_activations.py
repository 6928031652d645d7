"""Activations and gradients of a 10 x 500 network at initialisation, by activation and init.

DD2424 lecture 5 (the 10-layer, 500-unit tanh example) and CS7015 lecture 9 / Balasubramanian
lecture 4.5 (``Var(a_k) = (n Var(w))^k Var(x)``).  With no bias, ``s_k = W_k h_{k-1}`` and
``Var(s_k) = n Var(w) E[h_{k-1}^2]``: ``E[h^2] = Var(s)`` for tanh in its linear range, and
``Var(s) / 2`` for ReLU (half of a symmetric input is zeroed), so

    Var(s_k) = (n Var(w))^k Var(x)             tanh, small activations
    Var(s_k) = (n Var(w))^k Var(x) / 2^(k-1)   ReLU, any scale (ReLU is positively homogeneous)
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np

import mlplab as ml
from mlplab.diagnostics import DiagnosticsRecorder
from mlplab.experiments.base import Claim, Result, Table, Timer, mean_spread
from mlplab.report import plot_histogram_grid, save_figure

NAME = "init-activations"
TITLE = "what the weight scale does to activations and gradients at initialisation"
SOURCE = "DD2424 lecture 5 (10 x 500 tanh network); CS7015 lecture 9; Balasubramanian lecture 4.5"
ACTIVATIONS = ("tanh", "sigmoid", "relu")
INITS = {"N(0, 0.01^2)": "normal:0.01", "N(0, 1)": "normal:1", "1/sqrt(n) (Xavier)": "lecun_normal",
         "Glorot uniform": "xavier_uniform", "He": "he_normal"}
SHOWN = [("tanh", "N(0, 0.01^2)"), ("tanh", "N(0, 1)"), ("tanh", "1/sqrt(n) (Xavier)"),
         ("relu", "1/sqrt(n) (Xavier)"), ("relu", "He")]


def weight_variance(init: str, n_in: int, n_out: int) -> float:
    """``Var(w)`` of each initializer (the formulas of mlplab.init)."""
    if init.startswith("normal:"):
        return float(init.split(":")[1]) ** 2
    return {"lecun_normal": 1.0 / n_in, "xavier_uniform": 2.0 / (n_in + n_out), "he_normal": 2.0 / n_in}[init]


def predicted_std(activation: str, init: str, n: int, var_x: float, layers: int) -> np.ndarray | None:
    """sqrt(Var(s_k)) for k = 1..layers where the prediction applies (else None)."""
    gain = n * weight_variance(init, n, n)
    k = np.arange(1, layers + 1)
    if activation == "relu":
        return np.sqrt(gain ** k * var_x / 2.0 ** (k - 1))
    if activation == "tanh" and init == "normal:0.01":
        return np.sqrt(gain ** k * var_x)
    return None


def run(out: Path, seeds: int = 5, quick: bool = False) -> Result:
    timer = Timer()
    n, depth, examples = 500, 10, 500 if quick else 1000
    result = Result(NAME, TITLE, SOURCE, seeds, quick)
    records: dict[tuple[str, str], list[dict]] = {}
    for seed in range(seeds):
        rng = np.random.default_rng([seed, 1])          # not the weights' stream: x and W1 would correlate
        x, y = rng.standard_normal((examples, n)), rng.integers(0, 10, examples)
        recorder = DiagnosticsRecorder(x, y)
        for activation in ACTIVATIONS:
            for label, init in INITS.items():
                net = ml.mlp(n, [n] * depth, 10, activation=activation, init=init, dtype="float64", seed=seed)
                record = recorder.record(net)
                record["var_x"] = float(x.var())
                records.setdefault((activation, label), []).append(record)

    def per_seed(key: tuple[str, str], stat: str) -> list[np.ndarray]:
        return [r[stat] for r in records[key]]

    # the table: activation std at layers 1, 5, 10 and the saturated fraction, seed means
    rows = []
    for (activation, label), recs in records.items():
        std = np.mean([r["act/std"] for r in recs], axis=0)
        sat = np.mean([r["act/saturated"] for r in recs], axis=0)
        grads = np.mean([r["act_grad/norm"] for r in recs], axis=0)
        rows.append([activation, label, std[0], std[4], std[9], float(np.nanmean(sat[1:])) if activation != "relu"
                     else math.nan, grads[0] / grads[-1]])
    result.tables.append(Table("Activation std by layer (mean over seeds), saturation beyond layer 1, and how "
                               "dJ/dh at layer 1 compares with layer 10",
                               ["activation", "init", "std h1", "std h5", "std h10", "saturated (layers 2-10)",
                                "|dJ/dh1| / |dJ/dh10|"], rows))

    # claim: the analytic prediction (an expectation over weight draws), where it applies
    mean_errors, seed_errors, worst = [], [], ("", 0.0)
    pred_rows = []
    for (activation, label), recs in records.items():
        predicted = predicted_std(activation, INITS[label], n, 1.0, depth)
        if predicted is None:
            continue
        ratios = np.array([r["pre/std"] / predicted_std(activation, INITS[label], n, r["var_x"], depth)
                           for r in recs])
        error = float(np.max(np.abs(ratios.mean(axis=0) - 1.0)))
        mean_errors.append(error)
        seed_errors.append(float(np.max(np.abs(ratios - 1.0))))
        if error >= worst[1]:
            worst = (f"{activation} {label}", error)
        measured = np.mean([r["pre/std"] for r in recs], axis=0)
        pred_rows.append([activation, label, predicted[0], measured[0], predicted[9], measured[9], error])
    result.tables.append(Table("Pre-activation std: predicted sqrt(Var(s_k)) and measured (mean over seeds)",
                               ["activation", "init", "predicted s1", "measured s1", "predicted s10",
                                "measured s10", "worst layer's error"], pred_rows))
    result.claims.append(Claim(
        "Var(s_k) = (n Var(w))^k Var(x) (tanh, small weights) and with the factor 1/2 per ReLU layer: measured "
        "per-layer std (mean over seeds) within 10% of the prediction",
        f"worst relative error over layers and configurations {max(mean_errors):.3f} ({worst[0]}); a single "
        f"seed's worst {max(seed_errors):.3f} (the prediction is an expectation over weight draws: one draw of "
        f"10 layers of 500 units wanders by a few % per layer)", max(mean_errors) <= 0.10))

    # the same relation one layer at a time: E[s_k^2] = n Var(w) E[h_{k-1}^2], from the measured layer below
    step_errors = []
    for (activation, label), recs in records.items():
        if predicted_std(activation, INITS[label], n, 1.0, depth) is None:
            continue
        gain = n * weight_variance(INITS[label], n, n)
        for r in recs:
            below = np.concatenate([[r["var_x"]], (r["act/std"] ** 2 + r["act/mean"] ** 2)[:-1]])
            measured = r["pre/std"] ** 2 + r["pre/mean"] ** 2
            step_errors.append(float(np.max(np.abs(np.sqrt(measured / (gain * below)) - 1.0))))
    result.claims.append(Claim(
        "... one layer at a time (E[s_k^2] = n Var(w) E[h_{k-1}^2] from the measured layer below): within 10% at "
        "every layer, for every seed", f"worst relative error of the std {max(step_errors):.3f}",
        max(step_errors) <= 0.10))

    # claim: small weights make activations and gradients vanish layer by layer (tanh)
    small = records[("tanh", "N(0, 0.01^2)")]
    shrink = [float(r["act/std"][-1] / r["act/std"][0]) for r in small]
    monotone = all(bool(np.all(np.diff(r["act/std"]) < 0)) for r in small)
    grad_ratio = [float(r["act_grad/norm"][0] / r["act_grad/norm"][-1]) for r in small]
    result.claims.append(Claim(
        "tanh with N(0, 0.01^2) weights: activations shrink layer after layer, and so do the gradients going back",
        f"std h10 / std h1 = {mean_spread(shrink)}, every layer below the one before: {monotone}; "
        f"|dJ/dh1| / |dJ/dh10| = {mean_spread(grad_ratio)}",
        monotone and max(shrink) < 1e-4 and max(grad_ratio) < 1e-4))

    saturated = [float(np.mean(r["act/saturated"][1:])) for r in records[("tanh", "N(0, 1)")]]
    result.claims.append(Claim("tanh with N(0, 1) weights: almost all units saturate (|tanh| > 0.99)",
                               f"saturated fraction, layers 2-10: {mean_spread(saturated)}", min(saturated) > 0.85))

    healthy = [(float(r["act/std"][-1]), float(np.max(r["act/saturated"])))
               for label in ("1/sqrt(n) (Xavier)", "Glorot uniform") for r in records[("tanh", label)]]
    result.claims.append(Claim(
        "Xavier initialisation keeps tanh activations in a healthy range (not vanished, not saturated)",
        f"std h10 {mean_spread([s for s, _ in healthy])}, largest saturated fraction of any layer "
        f"{max(f for _, f in healthy):.3f}", all(0.1 < s < 0.95 and f < 0.1 for s, f in healthy)))

    relu_xavier = [float(r["pre/std"][-1] / r["pre/std"][0]) for r in records[("relu", "1/sqrt(n) (Xavier)")]]
    result.claims.append(Claim("... but it shrinks ReLU activations (by 1/sqrt(2) per layer)",
                               f"std s10 / std s1 = {mean_spread(relu_xavier)} (prediction 2^-4.5 = 0.044)",
                               max(relu_xavier) < 0.1))
    relu_he = [float(r["pre/std"][-1] / r["pre/std"][0]) for r in records[("relu", "He")]]
    result.claims.append(Claim("He initialisation keeps ReLU activations at a constant scale (std s10 / std s1 "
                               "between 0.7 and 1.4: one draw wanders a few % per layer)",
                               f"std s10 / std s1 = {mean_spread(relu_he)}", all(0.7 < v < 1.4 for v in relu_he)))

    # figures (seed 0): activation and gradient histograms per layer, and std against the prediction
    columns = [f"layer {k}" for k in range(1, depth + 1)]
    for quantity, file, log, caption in (
            ("act", "activations.png", False, "Histograms of each layer's activations at initialisation (seed 0); "
                                              "one row per activation and init, x-range shared along a row"),
            ("act_grad", "gradients.png", True, "Histograms of dJ/dh at each layer (non-zero values, log counts)")):
        rows_hist = [(f"{a}, {label}", records[(a, label)][0][f"{quantity}/hist"],
                      records[(a, label)][0][f"{quantity}/edges"]) for a, label in SHOWN]
        save_figure(plot_histogram_grid(rows_hist, columns, log), out / file)
        result.figures.append((file, caption))
    save_figure(_plot_prediction(records, n, depth), out / "prediction.png")
    result.figures.append(("prediction.png", "Per-layer pre-activation std (points: measured, seed 0) against "
                                             "Var(s_k) = (n Var(w))^k Var(x) / 2^(k-1) for ReLU and the linear-range "
                                             "prediction for tanh with small weights (lines)"))
    result.seconds = timer.seconds()
    return result


def _plot_prediction(records: dict, n: int, depth: int):
    from mlplab.report import pyplot
    plt = pyplot()
    fig, ax = plt.subplots(figsize=(7, 4))
    k = np.arange(1, depth + 1)
    shown = [(key, recs) for key, recs in records.items()
             if predicted_std(key[0], INITS[key[1]], n, 1.0, depth) is not None]
    for i, ((activation, label), recs) in enumerate(shown):
        predicted = predicted_std(activation, INITS[label], n, recs[0]["var_x"], depth)
        marker = "os^vDx"[i % 6]                    # Xavier and Glorot coincide for square layers
        ax.semilogy(k, predicted, "-", color=f"C{i}", alpha=0.6)
        ax.semilogy(k, recs[0]["pre/std"], marker, color=f"C{i}", label=f"{activation}, {label}", markersize=5,
                    fillstyle="none")
    ax.set_xlabel("layer k")
    ax.set_ylabel("std of s_k")
    ax.grid(alpha=0.3, which="both")
    ax.legend(fontsize=7)
    fig.tight_layout()
    return fig
