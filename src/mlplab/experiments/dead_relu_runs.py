"""The training runs of the ``dead-relu`` experiment: each returns plain numbers (NaN where a run
diverged; :mod:`mlplab.experiments.dead_relu` says what a diverged run counts as)."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

import mlplab as ml
from mlplab.experiments import dead_relu_measure as M
from mlplab.layers import PReLU
from mlplab.train import Callback, Trainer, TrainingDiverged, accuracy


@dataclass
class Setup:
    """What every run shares: the data, the architecture and the budgets in updates."""

    X: np.ndarray
    y: np.ndarray
    Xt: np.ndarray
    yt: np.ndarray
    hidden: tuple[int, ...] = (128, 128)
    batch: int = 100
    base_rate: float = 0.05
    updates: int = 500             # training before any measurement (a whole number of epochs)
    recovery_updates: int = 1000   # training after the push
    pushed: int = 32               # units pushed dead in each hidden layer
    margin: float = 1.0            # the largest pushed pre-activation ends this many of its stds below 0
    track_every: int = 100
    tracked: int = 2000            # training images the revival curve is measured on (the end: all of them)
    maxout_init: str = "lecun_normal"

    def epochs(self, updates: int) -> int:
        per_epoch = -(-self.X.shape[0] // self.batch)
        if updates % per_epoch:
            raise ValueError(f"{updates} updates is not a whole number of epochs of {per_epoch}")
        return updates // per_epoch

    def net(self, activation: str, seed: int, bias: float = 0.0) -> ml.Sequential:
        init = self.maxout_init if activation == "maxout" else None
        return ml.mlp(self.X.shape[1], list(self.hidden), 10, activation=activation, init=init, bias_init=bias,
                      seed=seed, prelu_per_unit=True)

    def train(self, net: ml.Sequential, rate: float, updates: int, seed: int, callbacks: tuple = ()) -> bool:
        """Plain SGD for ``updates``; False when the loss became NaN or infinite."""
        try:
            Trainer(net, ml.optim.SGD(lr=rate), batch_size=self.batch, epochs=self.epochs(updates), seed=seed,
                    callbacks=list(callbacks)).fit(self.X, self.y)
        except TrainingDiverged:
            return False
        return True


def prelu_slopes(net: ml.Sequential) -> list[np.ndarray]:
    """The learned slope ``alpha`` of every PReLU layer, in order."""
    return [np.asarray(layer.alpha, dtype=np.float64).copy() for layer in net.layers if isinstance(layer, PReLU)]


def trained(setup: Setup, activation: str, seed: int, rate: float, bias: float = 0.0) -> dict[str, Any]:
    """One net trained for ``setup.updates`` at ``rate``: its dead shares per layer, centredness per
    layer, test accuracy (and Maxout's piece statistics); NaN everywhere when it diverged."""
    net = setup.net(activation, seed, bias)
    ok = setup.train(net, rate, setup.updates, seed)
    nan = [math.nan] * len(setup.hidden)
    if not ok:
        return {"net": None, "diverged": True, "accuracy": math.nan, "dead": nan, "centred": nan,
                "dead_piece": nan, "saturated": nan}
    pres, posts = M.preactivations(net, setup.X)
    found = {"net": net, "diverged": False, "accuracy": accuracy(net, setup.Xt, setup.yt),
             "centred": [M.centredness(h) for h in posts]}
    if activation == "maxout":
        found["dead"] = nan
        found["dead_piece"] = [M.maxout_dead_piece_share(z) for z in pres]
        found["saturated"] = [M.maxout_saturated_share(h) for h in posts]
    else:
        found["dead"] = [float(M.dead_mask(s).mean()) for s in pres]
        found["pres"] = pres
        if activation == "relu":     # what Leaky ReLU and ELU would make of the ReLU net's own pre-activations
            found["leaky_on_relu"] = [M.centredness(np.where(s > 0, s, 0.01 * s)) for s in pres]
            found["elu_on_relu"] = [M.centredness(np.where(s > 0, s, np.expm1(np.minimum(s, 0)))) for s in pres]
    return found


class RevivalTracker(Callback):
    """Every ``every`` updates: the share of each layer's pushed units active again on ``x``."""

    def __init__(self, x: np.ndarray, units: list[np.ndarray], every: int) -> None:
        self.x, self.units, self.every = x, units, every
        self.steps: list[int] = []
        self.shares: list[list[float]] = []

    def record(self, net: ml.Sequential, step: int) -> None:
        pres, _ = M.preactivations(net, self.x)
        self.steps.append(step)
        self.shares.append([M.revived_share(s, u) for s, u in zip(pres, self.units)])

    def on_batch_end(self, trainer: Any, step: int, loss: float) -> None:
        if step % self.every == 0:
            self.record(trainer.net, step)


@dataclass
class Recovery:
    """What the push-and-recover run of one activation and seed found (per hidden layer)."""

    dead_after_push: list[float] = field(default_factory=list)
    revived: list[float] = field(default_factory=list)
    gap: list[float] = field(default_factory=list)
    accuracy_pushed: float = math.nan
    accuracy_after: float = math.nan
    curve: list[list[float]] = field(default_factory=list)      # (records, layers) shares active again
    steps: list[int] = field(default_factory=list)
    slopes_pushed: list[np.ndarray] = field(default_factory=list)
    slopes_kept: list[np.ndarray] = field(default_factory=list)
    diverged: bool = False


def push_and_recover(setup: Setup, net: ml.Sequential, seed: int) -> Recovery:
    """Drive ``setup.pushed`` units of each hidden layer of the trained ``net`` dead (layer by layer,
    since the second layer's pre-activations depend on the first's outputs), then train on at the
    base rate for ``setup.recovery_updates`` and measure which came back."""
    rng = np.random.default_rng([seed, 15])          # the same units for every activation of a seed (paired)
    layers = [layer for _, layer in M.hidden_layers(net)]
    units = [np.sort(rng.choice(layer.out_features, setup.pushed, replace=False)) for layer in layers]
    for depth, layer in enumerate(layers):
        pres, _ = M.preactivations(net, setup.X)
        M.push_dead(layer, pres[depth], units[depth], setup.margin)
    pres, _ = M.preactivations(net, setup.X)
    found = Recovery(dead_after_push=[float(M.dead_mask(s)[u].mean()) for s, u in zip(pres, units)],
                     accuracy_pushed=accuracy(net, setup.Xt, setup.yt))
    top_pushed = [s[:, u].max(axis=0) for s, u in zip(pres, units)]
    tracker = RevivalTracker(setup.X[:setup.tracked], units, setup.track_every)
    tracker.record(net, 0)
    if not setup.train(net, setup.base_rate, setup.recovery_updates, seed + 10_000, (tracker,)):
        found.diverged = True
        return found
    pres, _ = M.preactivations(net, setup.X)
    found.revived = [M.revived_share(s, u) for s, u in zip(pres, units)]
    found.gap = [M.gap_closed(t, s, u) for t, s, u in zip(top_pushed, pres, units)]
    found.accuracy_after = accuracy(net, setup.Xt, setup.yt)
    found.curve, found.steps = tracker.shares, tracker.steps
    slopes = prelu_slopes(net)
    if slopes:
        kept = [np.setdiff1d(np.arange(a.size), u) for a, u in zip(slopes, units)]
        found.slopes_pushed = [a[u] for a, u in zip(slopes, units)]
        found.slopes_kept = [a[k] for a, k in zip(slopes, kept)]
    return found


def maxout_init_check(X: np.ndarray, y: np.ndarray, init: str, seed: int, updates: int,
                      hidden: tuple[int, ...] = (256, 256)) -> dict[str, Any]:
    """The ``activations`` experiment's Maxout setting (784-256-256-10, SGD lr 0.05 momentum 0.9,
    batch 100) for ``updates`` updates with weight init ``init``: did it diverge, at which update,
    and the rms of each layer's output at the start (on the first 1,000 images)."""
    net = ml.mlp(X.shape[1], list(hidden), 10, activation="maxout", init=init, seed=seed)
    h, rms = X[:1000], []
    for layer in net.layers:
        h = layer.forward(h, train=False)
        rms.append(float(np.sqrt(np.mean(np.square(h, dtype=np.float64)))))
    epochs = -(-updates // -(-X.shape[0] // 100))
    try:
        Trainer(net, ml.optim.SGD(lr=0.05, momentum=0.9), batch_size=100, epochs=epochs, seed=seed).fit(X, y)
    except TrainingDiverged as err:
        return {"diverged": True, "step": err.step, "rms": rms}
    return {"diverged": False, "step": math.nan, "rms": rms}
