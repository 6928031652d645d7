"""Batch normalisation on Ioffe & Szegedy's MNIST network, as the seeds retell it (DD2424 lecture 4, CS7015 lecture 9).

Three hidden layers of 100 sigmoid units, small random Gaussian weights, batches of 60, with
and without batch norm: test accuracy against updates, and the 15/50/85th percentiles of one
last-layer sigmoid's input over training (their Figure 1); then sweeps of the learning rate and
of a bad (large) initialisation.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

import mlplab as ml
from mlplab.diagnostics import probe
from mlplab.experiments.base import Claim, Result, Table, Timer, load_split, mean_spread
from mlplab.layers import Sigmoid
from mlplab.train import Callback, Trainer, TrainingDiverged, accuracy

NAME = "batchnorm"
TITLE = "batch norm trains faster and better, keeps a unit's input distribution steady, tolerates high rates and bad inits"
SOURCE = "DD2424 lecture 4 and CS7015 lecture 9 (batch normalization, after Ioffe & Szegedy 2015, Figure 1)"


class Watch(Callback):
    """Every ``every`` updates: test accuracy, and the percentiles of unit 0's input to the last sigmoid layer."""

    def __init__(self, every: int, X_test, y_test, x_probe, y_probe) -> None:
        self.every, self.X_test, self.y_test = every, X_test, y_test
        self.x_probe, self.y_probe = x_probe, y_probe
        self.steps: list[int] = []
        self.accuracy: list[float] = []
        self.percentiles: list[np.ndarray] = []
        self.final = float("nan")

    def on_train_end(self, trainer) -> None:
        self.final = accuracy(trainer.net, self.X_test, self.y_test)

    def on_batch_end(self, trainer, step, loss) -> None:
        if step % self.every == 0:
            net = trainer.net
            self.steps.append(step)
            self.accuracy.append(accuracy(net, self.X_test, self.y_test))
            last = max(i for i, layer in enumerate(net.layers) if isinstance(layer, Sigmoid))
            seen = probe(net, self.x_probe, self.y_probe)
            self.percentiles.append(np.percentile(np.asarray(seen.inputs[last])[:, 0], [15, 50, 85]))


def train(X, y, Xt, yt, batchnorm: bool, lr: float, init: str, epochs: int, seed: int, every: int) -> Watch | None:
    net = ml.mlp(X.shape[1], [100, 100, 100], 10, activation="sigmoid", init=init, batchnorm=batchnorm, seed=seed)
    watch = Watch(every, Xt, yt, X[:1000], y[:1000])
    try:
        Trainer(net, ml.optim.SGD(lr=lr), batch_size=60, epochs=epochs, seed=seed, callbacks=[watch]).fit(X, y)
    except TrainingDiverged:
        return None
    return watch


def run(out: Path, seeds: int = 5, quick: bool = False) -> Result:
    timer = Timer()
    result = Result(NAME, TITLE, SOURCE, seeds, quick)
    sets = {"digits": (None, 20)} if quick else {"mnist-5k": (None, 30), "fashion-mnist": (None, 3)}
    lr, small = 0.5, "normal:0.01"
    curves: dict[tuple[str, bool], list[Watch]] = {}
    for data, (n_train, epochs) in sets.items():
        X, y, Xt, yt = load_split(data, n_train)
        every = max((X.shape[0] // 60 * epochs) // 40, 1)
        for seed in range(seeds):
            for bn in (False, True):
                watch = train(X, y, Xt, yt, bn, lr, small, epochs, seed, every)
                if watch is not None:
                    curves.setdefault((data, bn), []).append(watch)
    rows, faster, higher, steadier = [], [], [], []
    for data in sets:
        plain, normed = curves.get((data, False), []), curves.get((data, True), [])
        early = len(plain[0].accuracy) // 10 if plain else 0
        acc = {bn: [w.final for w in curves.get((data, bn), [])] for bn in (False, True)}
        first = {bn: [w.accuracy[early] for w in curves.get((data, bn), [])] for bn in (False, True)}
        drift = {bn: [_drift(w) for w in curves.get((data, bn), [])] for bn in (False, True)}
        for bn in (False, True):
            steps = curves[(data, bn)][0].steps if curves.get((data, bn)) else [0]
            rows.append([data, "yes" if bn else "no", f"{mean_spread(first[bn])} (update {steps[early]})",
                         mean_spread(acc[bn]), mean_spread(drift[bn])])
        faster.append((data, first[False], first[True]))
        higher.append((data, acc[False], acc[True]))
        steadier.append((data, drift[False], drift[True]))
    result.tables.append(Table(f"3 x 100 sigmoid, N(0, 0.01^2) weights, batch 60, plain SGD lr {lr}",
                               ["data", "batch norm", "test accuracy early", "test accuracy at the end",
                                "drift of the unit's median input (2nd half, / its 15-85 range)"], rows))
    result.claims.append(Claim("With batch norm the network trains faster (test accuracy after 10% of the updates)",
                               "; ".join(f"{d}: without {mean_spread(a)}, with {mean_spread(b)}" for d, a, b in faster),
                               all(a and b and min(b) > max(a) for _, a, b in faster)))
    result.claims.append(Claim("... and reaches a higher test accuracy",
                               "; ".join(f"{d}: without {mean_spread(a)}, with {mean_spread(b)}" for d, a, b in higher),
                               all(a and b and np.mean(b) > np.mean(a) for _, a, b in higher)))
    result.claims.append(Claim("The input distribution of a last-layer sigmoid stays steady with batch norm (its median "
                               "moves less, relative to its 15-85 range, over the second half of training)",
                               "; ".join(f"{d}: without {mean_spread(a)}, with {mean_spread(b)}" for d, a, b in steadier),
                               all(a and b and np.mean(b) < np.mean(a) for _, a, b in steadier)))
    # sweeps on the first data set: learning rates, and a bad initialisation
    data = next(iter(sets))
    X, y, Xt, yt = load_split(data, sets[data][0])
    epochs = max(sets[data][1] // 2, 1)
    sweep_rows, high_rate, bad_init = [], {}, {}
    rates = (0.5, 5.0) if quick else (0.1, 0.5, 2.0, 5.0)
    for rate in rates:
        for bn in (False, True):
            accs = [w.final if w else float("nan") for w in
                    (train(X, y, Xt, yt, bn, rate, small, epochs, seed, 10 ** 9) for seed in range(seeds))]
            sweep_rows.append([f"lr {rate}, N(0, 0.01^2)", "yes" if bn else "no", mean_spread(accs)])
            if rate == rates[-1]:
                high_rate[bn] = accs
    for bn in (False, True):
        accs = [w.final if w else float("nan") for w in
                (train(X, y, Xt, yt, bn, lr, "normal:1", epochs, seed, 10 ** 9) for seed in range(seeds))]
        sweep_rows.append([f"lr {lr}, N(0, 1) (bad init)", "yes" if bn else "no", mean_spread(accs)])
        bad_init[bn] = accs
    result.tables.append(Table(f"Sweeps on {data}, {epochs} epochs (NaN: the run diverged)",
                               ["setting", "batch norm", "test accuracy"], sweep_rows))
    result.claims.append(Claim(f"Batch norm tolerates a higher learning rate (lr {rates[-1]})",
                               f"without {mean_spread(high_rate[False])}, with {mean_spread(high_rate[True])}",
                               np.nanmin(high_rate[True]) > np.nanmax(np.nan_to_num(high_rate[False], nan=0.0))))
    result.claims.append(Claim("... and a bad initialisation (N(0, 1) weights)",
                               f"without {mean_spread(bad_init[False])}, with {mean_spread(bad_init[True])}",
                               np.nanmin(bad_init[True]) > np.nanmax(np.nan_to_num(bad_init[False], nan=0.0))))
    _figures(curves, sets, out, result)
    result.seconds = timer.seconds()
    return result


def _drift(watch: Watch) -> float:
    p = np.array(watch.percentiles)
    half = p[len(p) // 2:]
    return float((half[:, 1].max() - half[:, 1].min()) / max(np.mean(half[:, 2] - half[:, 0]), 1e-12))


def _figures(curves, sets, out: Path, result: Result) -> None:
    from mlplab.report import pyplot, save_figure
    plt = pyplot()
    fig, axes = plt.subplots(1, 1 + len(sets), figsize=(5 * (1 + len(sets)), 3.6), squeeze=False)
    for data in sets:
        for bn, style in ((False, "--"), (True, "-")):
            for w in curves.get((data, bn), [])[:1]:
                axes[0, 0].plot(w.steps, w.accuracy, style, label=f"{data}, BN {'on' if bn else 'off'}")
    axes[0, 0].set_xlabel("update")
    axes[0, 0].set_title("test accuracy (seed 0)")
    axes[0, 0].legend(fontsize=7)
    axes[0, 0].grid(alpha=0.3)
    for k, data in enumerate(sets, start=1):
        for bn, color in ((False, "C1"), (True, "C0")):
            for w in curves.get((data, bn), [])[:1]:
                p = np.array(w.percentiles)
                for q, style in ((0, "--"), (1, "-"), (2, "--")):
                    axes[0, k].plot(w.steps, p[:, q], style, color=color,
                                    label=f"BN {'on' if bn else 'off'}" if q == 1 else None)
        axes[0, k].set_title(f"{data}: unit 0's input to the last sigmoid, 15/50/85%")
        axes[0, k].set_xlabel("update")
        axes[0, k].legend(fontsize=7)
        axes[0, k].grid(alpha=0.3)
    fig.tight_layout()
    save_figure(fig, out / "batchnorm.png")
    result.figures.append(("batchnorm.png", "Test accuracy against updates, and the 15th/50th/85th percentiles of one "
                                            "last-layer sigmoid input over training (Ioffe & Szegedy's Figure 1)"))
