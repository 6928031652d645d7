"""Constant initialisations never break the symmetry between hidden units (CS7015 lecture 9).

If every weight into a layer starts equal, every unit of the layer computes the same output,
receives the same gradient and takes the same step: the units stay copies of each other for
ever, and the layer is one unit wide.  Random initialisation breaks the tie.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

import mlplab as ml
from mlplab.experiments.base import Claim, Result, Table, Timer, load_split, mean_spread
from mlplab.layers import Dense
from mlplab.train import Trainer, accuracy

NAME = "symmetry"
TITLE = "zero and constant initialisations keep every hidden unit identical; random ones break the tie"
SOURCE = "CS7015 lecture 9 (module 9.4, 'symmetry breaking problem')"
INITS = {"zeros": "zeros", "constant 0.5": "constant:0.5", "random (xavier_normal)": "xavier_normal"}


def unit_spread(net: ml.Sequential) -> float:
    """Over the hidden Dense layers: the largest difference between any unit's incoming weights
    and the first unit's, relative to the largest weight (0 when all units are copies)."""
    spreads = []
    for layer in [layer for layer in net.layers if isinstance(layer, Dense)][:-1]:
        W = np.column_stack([layer.W, layer.b])
        spreads.append(float(np.abs(W - W[0]).max() / max(np.abs(W).max(), 1e-300)))
    return max(spreads)


def run(out: Path, seeds: int = 5, quick: bool = False) -> Result:
    timer = Timer()
    result = Result(NAME, TITLE, SOURCE, seeds, quick)
    X, y, Xt, yt = load_split("digits", dtype="float64")
    epochs = 3 if quick else 20
    spreads: dict[str, list[float]] = {label: [] for label in INITS}
    accs: dict[str, list[float]] = {label: [] for label in INITS}
    for seed in range(seeds):
        for label, init in INITS.items():
            net = ml.mlp(64, [32, 32], 10, activation="tanh", init=init, dtype="float64", seed=seed)
            Trainer(net, ml.optim.SGD(lr=0.1, momentum=0.9), epochs=epochs, seed=seed).fit(X, y)
            spreads[label].append(unit_spread(net))
            accs[label].append(accuracy(net, Xt, yt))
    result.tables.append(Table(f"After {epochs} epochs on the 8x8 digits (64-32-32-10 tanh, SGD momentum 0.9, no "
                               "dropout)", ["init", "largest difference between units (relative)", "test accuracy"],
                               [[label, mean_spread(spreads[label]), mean_spread(accs[label])] for label in INITS]))
    constant = spreads["zeros"] + spreads["constant 0.5"]
    result.claims.append(Claim("With zero or constant weights every hidden unit of a layer stays identical through "
                               "training", f"largest difference between units, relative to the largest weight: "
                               f"{max(constant):.2g} over {len(constant)} runs", max(constant) < 1e-9))
    random = spreads["random (xavier_normal)"]
    result.claims.append(Claim("Random initialisation breaks the symmetry", f"the same measure: {mean_spread(random)}",
                               min(random) > 0.1))
    result.claims.append(Claim("... and only then does the network use its width", f"test accuracy: constant "
                               f"{mean_spread(accs['constant 0.5'])}, random {mean_spread(accs['random (xavier_normal)'])}",
                               min(accs["random (xavier_normal)"]) > max(accs["constant 0.5"] + accs["zeros"])))
    result.seconds = timer.seconds()
    return result
