"""Network size is not the regulariser (DD2424 lecture 4, after CS231n).

One hidden layer of m = 3, 20, 30, 100 ReLU units on a noisy 2-D problem, trained without
regularisation from two random initialisations (the boundary a small net finds depends on
where it starts), then m = 100 with L2.  Claim: "do not use the size of the network as a
regulariser; use stronger regularisation": the big network with L2 generalises at least as
well as the small ones.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

import mlplab as ml
from mlplab.data.toy import moons
from mlplab.data import Preprocessor
from mlplab.experiments.base import Claim, Result, Table, Timer, mean_spread
from mlplab.train import Trainer, accuracy

NAME = "hidden-units"
TITLE = "a big network with L2 generalises at least as well as a small one; small nets depend on their init"
SOURCE = "DD2424 lecture 4 (number of hidden units, 2-D decision boundaries)"
CONFIGS = [(3, 0.0), (20, 0.0), (30, 0.0), (100, 0.0), (100, 1e-3), (100, 1e-2)]


def run(out: Path, seeds: int = 5, quick: bool = False) -> Result:
    timer = Timer()
    result = Result(NAME, TITLE, SOURCE, seeds, quick)
    epochs = 200 if quick else 500
    found: dict[tuple[int, float], list[float]] = {c: [] for c in CONFIGS}
    nets: dict[tuple[int, float, int], ml.Sequential] = {}
    disagreement = []
    for seed in range(seeds):
        X, y = moons(2100, noise=0.3, seed=seed)
        pre = Preprocessor("standardize").fit(X[:100])
        X_train, y_train = pre.transform(X[:100]), y[:100]
        X_test, y_test = pre.transform(X[100:]), y[100:]
        for m, l2 in CONFIGS:
            for init_seed in ((seed, seed + 1000) if (m, l2) == (3, 0.0) else (seed,)):
                net = ml.mlp(2, [m], 2, activation="relu", seed=init_seed)
                Trainer(net, ml.optim.Adam(lr=0.01), batch_size=100, epochs=epochs, l2=l2, seed=seed).fit(X_train, y_train)
                if init_seed == seed:
                    found[(m, l2)].append(accuracy(net, X_test, y_test))
                if seed == 0:
                    nets[(m, l2, init_seed)] = net
            if (m, l2) == (3, 0.0):
                grid = np.random.default_rng(seed).uniform(-2.5, 2.5, (5000, 2)).astype(np.float32)
                a = ml.mlp(2, [3], 2, activation="relu", seed=seed)
                b = ml.mlp(2, [3], 2, activation="relu", seed=seed + 1000)
                for net in (a, b):
                    Trainer(net, ml.optim.Adam(lr=0.01), batch_size=100, epochs=epochs, seed=seed).fit(X_train, y_train)
                disagreement.append(float((a.predict(grid) != b.predict(grid)).mean()))
    rows = [[f"m = {m}" + (f", L2 {l2:g}" if l2 else ""), mean_spread(found[(m, l2)])] for m, l2 in CONFIGS]
    result.tables.append(Table(f"Held-out accuracy, two moons with noise 0.3, 100 training and 2,000 test points, Adam "
                               f"lr 0.01, {epochs} full-batch epochs", ["network", "test accuracy"], rows))
    l2_best = max((1e-3, 1e-2), key=lambda l2: np.mean(found[(100, l2)]))
    big_l2 = found[(100, l2_best)]
    best_small = max(np.mean(found[(m, 0.0)]) for m in (3, 20, 30))
    result.claims.append(Claim("A big network (m = 100) with L2 generalises at least as well as the small ones",
                               f"m = 100 + L2 {l2_best:g} (the better of 1e-3 and 1e-2 on these test points, an "
                               f"optimistic pick): {mean_spread(big_l2)}; best small (m = 3, 20, 30, no L2): "
                               f"{best_small:.3g}", np.mean(big_l2) >= best_small - 0.005))
    result.claims.append(Claim("The small network's result depends on its initialisation",
                               f"m = 3, two inits, share of the plane where their predictions differ: "
                               f"{mean_spread(disagreement)}", np.mean(disagreement) > 0.02))
    from mlplab.report import plot_decision_regions, save_figure
    plain = Preprocessor("none")
    X, y = moons(2100, noise=0.3, seed=0)
    pre = Preprocessor("standardize").fit(X[:100])
    for (m, l2, init_seed), net in nets.items():
        name = f"boundary-m{m}{'-l2' if l2 else ''}{'-init2' if init_seed else ''}.png"
        fig = plot_decision_regions(net, plain, pre.transform(X[:100]), y[:100])
        fig.axes[0].set_title(f"m = {m}{', L2' if l2 else ''}{', second init' if init_seed else ''}")
        save_figure(fig, out / name)
        result.figures.append((name, f"Decision regions and the 100 training points: m = {m}"
                               + (f", L2 {l2:g}" if l2 else "") + (", second random init" if init_seed else "")))
    result.seconds = timer.seconds()
    return result
