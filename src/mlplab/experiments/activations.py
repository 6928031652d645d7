"""The same network with each activation function (CS7015 lecture 9, module 9.3; DD2424 lecture 5).

Claims: the ReLU family converges much faster than sigmoid; sigmoid outputs are not
zero-centred, so every weight into a unit of the next layer gets a gradient of one sign for a
given example (dJ/dW_ij = delta_i h_j with h_j > 0), which forces zig-zag updates.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

import mlplab as ml
from mlplab.diagnostics import DiagnosticsRecorder, probe
from mlplab.experiments.base import (Claim, Result, StepLosses, Table, Timer, add_figure, load_split, mean_spread,
                                     plot_loss_curves, steps_to)
from mlplab.layers import Dense
from mlplab.train import Trainer, TrainingDiverged, accuracy

NAME = "activations"
TITLE = "ReLU-family units train much faster than sigmoid; sigmoid outputs are not zero-centred"
SOURCE = "CS7015 lecture 9 (module 9.3); DD2424 lecture 5"
ACTIVATIONS = ("sigmoid", "tanh", "relu", "leaky_relu", "prelu", "elu", "maxout")
TARGET = 0.6          # training loss (running mean of 20 updates) that counts as "reached"


def same_sign_rows(net: ml.Sequential, x, y) -> float:
    """For the second hidden Dense layer: the share of (example, unit) pairs whose per-example
    weight-gradient row dJ/dW_i. = delta_i h has entries of one sign (h: the first block's output)."""
    seen = probe(net, x, y)
    dense = [i for i, layer in enumerate(net.layers) if isinstance(layer, Dense) or hasattr(layer, "pieces")]
    h = np.asarray(seen.inputs[dense[1]])
    one_sign = (h > 0).all(axis=1) | (h < 0).all(axis=1)          # per example: delta_i h has one sign
    return float(one_sign.mean())


def run(out: Path, seeds: int = 5, quick: bool = False) -> Result:
    timer = Timer()
    result = Result(NAME, TITLE, SOURCE, seeds, quick)
    X, y, Xt, yt = load_split("digits" if quick else "fashion-mnist", None if quick else 20000)
    epochs = 10 if quick else 5
    found: dict[str, dict[str, Any]] = {a: {"steps": [], "acc": [], "sat": [], "dead": [], "sign": []}
                                        for a in ACTIVATIONS}
    curves: dict[str, list[float]] = {}
    for seed in range(seeds):
        for activation in ACTIVATIONS:
            net = ml.mlp(X.shape[1], [256, 256], 10, activation=activation, seed=seed)      # init matched by mlp
            losses, recorder = StepLosses(), DiagnosticsRecorder(X[:1000], y[:1000], every=epochs)
            f = found[activation]
            try:
                Trainer(net, ml.optim.SGD(lr=0.05, momentum=0.9), epochs=epochs, seed=seed,
                        callbacks=[losses, recorder]).fit(X, y)
            except TrainingDiverged:
                for key in ("steps", "acc", "sat", "dead", "sign"):
                    f[key].append(np.nan)
                f["diverged"] = f.get("diverged", 0) + 1
                continue
            last = recorder.records[-1]
            f["steps"].append(steps_to(losses.losses, TARGET))
            f["acc"].append(accuracy(net, Xt, yt))
            f["sat"].append(float(np.nanmean(last["act/saturated"])) if activation in ("sigmoid", "tanh") else np.nan)
            f["dead"].append(float(np.mean(last["act/dead"])))
            f["sign"].append(same_sign_rows(net, X[:500], y[:500]))
            if seed == 0:
                curves[activation] = losses.losses
    rows = [[a, mean_spread(v["steps"]), mean_spread(v["acc"]), mean_spread(v["sat"]), mean_spread(v["dead"]),
             mean_spread(v["sign"]), v.get("diverged", 0)] for a, v in found.items()]
    result.tables.append(Table(f"784-256-256-10 on {'digits' if quick else 'Fashion-MNIST (20,000 images)'}, SGD lr "
                               f"0.05 momentum 0.9, batch 100, {epochs} epochs, init by activation (He for the "
                               "rectifiers, Glorot for sigmoid/tanh)",
                               ["activation", f"updates to training loss {TARGET}", "test accuracy",
                                "saturated (end)", "dead (end)", "examples whose next-layer weight gradients share "
                                "one sign", "runs diverged"], rows))
    sigmoid_steps = found["sigmoid"]["steps"]
    relu_family = [s for a in ("relu", "leaky_relu", "prelu", "elu") for s in found[a]["steps"]]
    slow = np.nanmean(sigmoid_steps) if not np.isnan(sigmoid_steps).all() else np.inf
    result.claims.append(Claim(f"ReLU-family units converge much faster than sigmoid units (updates until the "
                               f"training loss reaches {TARGET}; at least 2x fewer)",
                               f"sigmoid {mean_spread(sigmoid_steps)} (NaN: never within {epochs} epochs), "
                               f"ReLU family {mean_spread(relu_family)}",
                               not np.isnan(relu_family).any() and 2 * max(relu_family) <= slow))
    result.claims.append(Claim("Sigmoid outputs are not zero-centred: for an example, all weight gradients into a unit "
                               "of the next layer share one sign (tanh's do not)",
                               f"share of examples with one-sign gradient rows: sigmoid "
                               f"{mean_spread(found['sigmoid']['sign'])}, tanh {mean_spread(found['tanh']['sign'])}",
                               np.nanmin(found["sigmoid"]["sign"]) == 1.0 and np.nanmax(found["tanh"]["sign"]) < 0.01))
    add_figure(result, plot_loss_curves(curves, target=TARGET, log=True), out, "curves.png",
               "Training loss per update for each activation (seed 0)")
    result.seconds = timer.seconds()
    return result
