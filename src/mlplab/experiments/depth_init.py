"""A 30-layer ReLU network: 1/sqrt(n_in) initialisation makes the signal vanish, He's trains (He et al. 2015).

With ReLU each layer halves E[h^2] (half the units are zeroed), so with Var(w) = 1/n the
signal shrinks by 1/sqrt(2) per layer: 2^-14.5 ~ 4e-5 after 30 layers, and the gradients
shrink with it on the way back.  Var(w) = 2/n (He) keeps both at scale.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

import mlplab as ml
from mlplab.diagnostics import DiagnosticsRecorder
from mlplab.experiments.base import (Claim, Result, StepLosses, Table, Timer, add_figure, load_split, mean_spread,
                                     plot_loss_curves)
from mlplab.train import Trainer

NAME = "depth-init"
TITLE = "a 30-layer ReLU MLP stalls with 1/sqrt(n_in) initialisation and trains with He's"
SOURCE = "CS7015 lecture 9 (He initialisation); Balasubramanian lecture 4.5; He et al. 2015"
INITS = {"1/sqrt(n) (lecun_normal)": "lecun_normal", "He (he_normal)": "he_normal"}


def run(out: Path, seeds: int = 5, quick: bool = False) -> Result:
    timer = Timer()
    result = Result(NAME, TITLE, SOURCE, seeds, quick)
    X, y, Xt, yt = load_split("digits" if quick else "fashion-mnist", None if quick else 10000)
    width, depth, epochs = (128, 30, 15) if quick else (128, 30, 5)
    found: dict[str, dict[str, list[float]]] = {label: {"signal": [], "grad": [], "first": [], "last": []}
                                                for label in INITS}
    curves: dict[str, list[float]] = {}
    for seed in range(seeds):
        for label, init in INITS.items():
            net = ml.mlp(X.shape[1], [width] * depth, 10, activation="relu", init=init, seed=seed)
            record = DiagnosticsRecorder(X[:500], y[:500]).record(net)
            found[label]["signal"].append(float(record["pre/std"][-1] / record["pre/std"][0]))
            found[label]["grad"].append(float(record["dW/norm"][0] / record["dW/norm"][-1]))
            losses = StepLosses()
            Trainer(net, ml.optim.SGD(lr=0.01, momentum=0.9), epochs=epochs, seed=seed, callbacks=[losses]).fit(X, y)
            window = max(len(losses.losses) // 20, 1)
            found[label]["first"].append(float(np.mean(losses.losses[:window])))
            found[label]["last"].append(float(np.mean(losses.losses[-window:])))
            if seed == 0:
                curves[label] = losses.losses
    result.tables.append(Table(f"{depth} ReLU layers of {width} units, {'digits' if quick else 'Fashion-MNIST (10,000)'}, "
                               f"SGD lr 0.01 momentum 0.9, {epochs} epochs",
                               ["init", "std s30 / std s1 at init", "|dJ/dW1| / |dJ/dW_out| at init",
                                "loss, first 5% of steps", "loss, last 5%"],
                               [[label, mean_spread(v["signal"]), mean_spread(v["grad"]), mean_spread(v["first"]),
                                 mean_spread(v["last"])] for label, v in found.items()]))
    lecun, he = found["1/sqrt(n) (lecun_normal)"], found["He (he_normal)"]
    result.claims.append(Claim("1/sqrt(n_in) initialisation: the signal vanishes through 30 ReLU layers "
                               "(prediction 2^-14.5 = 4.3e-5)", f"std s30 / std s1 = {mean_spread(lecun['signal'])}",
                               max(lecun["signal"]) < 1e-3))
    result.claims.append(Claim("He initialisation keeps it at scale (within a factor 5: one draw of 30 layers "
                               "wanders)", f"std s30 / std s1 = {mean_spread(he['signal'])}",
                               all(0.2 < v < 5 for v in he["signal"])))
    stall = [last / first for first, last in zip(lecun["first"], lecun["last"])]
    learn = [last / first for first, last in zip(he["first"], he["last"])]
    result.claims.append(Claim("... so with 1/sqrt(n_in) learning stalls while He's initialisation trains",
                               f"loss at the end / at the start: 1/sqrt(n) {mean_spread(stall)}, He {mean_spread(learn)}",
                               min(stall) > 0.98 and max(learn) < 0.8))
    add_figure(result, plot_loss_curves(curves), out, "loss.png",
               f"Training loss of the {depth}-layer ReLU network, seed 0")
    result.seconds = timer.seconds()
    return result
