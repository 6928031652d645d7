"""The training runs of the ``dead-relu`` experiment: each returns plain numbers and whether the run
failed (:func:`~.dead_relu_measure.run_failed`: NaN loss, chance-level training accuracy or exploded
weights); :mod:`mlplab.experiments.dead_relu` leaves failed runs out of every comparison and counts them."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

import mlplab as ml
from mlplab.experiments import dead_relu_measure as M
from mlplab.layers import LeakyReLU, PReLU
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
        """``activation`` may be ``"leaky_relu_0.25"``: a Leaky ReLU with PReLU's initial slope, fixed
        (its Dense layers draw the same weights as the PReLU net of the same seed: PReLU draws nothing)."""
        slope = None
        if activation == "leaky_relu_0.25":
            activation, slope = "leaky_relu", 0.25
        init = self.maxout_init if activation == "maxout" else None
        net = ml.mlp(self.X.shape[1], list(self.hidden), 10, activation=activation, init=init, bias_init=bias,
                     seed=seed, prelu_per_unit=True)
        for layer in net.layers:
            if slope is not None and isinstance(layer, LeakyReLU):
                layer.alpha = slope
        return net

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


def largest_weight(net: ml.Sequential) -> float:
    """``max |theta|`` over every parameter of ``net`` (inf when any is not finite)."""
    values = [np.asarray(v) for v in net.params.values()]
    if not all(np.isfinite(v).all() for v in values):
        return math.inf
    return float(max(np.abs(v).max() for v in values))


def train_accuracy(net: ml.Sequential, last_hidden: np.ndarray, y: np.ndarray) -> float:
    """Training accuracy from the last hidden layer's outputs (already computed: saves a forward pass);
    the output layer is a plain Dense (no dropout or batch norm in these nets)."""
    logits = np.asarray(net.layers[-1].forward(last_hidden, train=False))
    if not np.isfinite(logits).all():
        return math.nan
    return float((logits.argmax(axis=1) == y).mean())


def trained(setup: Setup, activation: str, seed: int, rate: float, bias: float = 0.0,
            light: bool = False) -> dict[str, Any]:
    """One net trained for ``setup.updates`` at ``rate``: its dead shares per layer, centredness per
    layer, test and training accuracy, largest weight (and Maxout's piece statistics), and whether
    it failed; NaN everywhere when the loss diverged.  ``light``: only whether it failed and its
    training accuracy (the rate selection's other arms)."""
    net = setup.net(activation, seed, bias)
    ok = setup.train(net, rate, setup.updates, seed)
    nan = [math.nan] * len(setup.hidden)
    if not ok:
        return {"net": None, "diverged": True, "failed": True, "accuracy": math.nan, "train_accuracy": math.nan,
                "max_weight": math.inf, "dead": nan, "centred": nan, "dead_piece": nan, "saturated": nan}
    top = largest_weight(net)
    if light:
        train_acc = accuracy(net, setup.X, setup.y)
        return {"net": None, "diverged": False, "failed": M.run_failed(False, train_acc, top), "accuracy": math.nan,
                "train_accuracy": train_acc, "max_weight": top, "dead": nan}
    pres, posts = M.preactivations(net, setup.X)
    train_acc = train_accuracy(net, posts[-1], setup.y)
    found = {"net": net, "diverged": False, "failed": M.run_failed(False, train_acc, top),
             "accuracy": accuracy(net, setup.Xt, setup.yt), "train_accuracy": train_acc, "max_weight": top,
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

    def __init__(self, x: np.ndarray, units: list[np.ndarray], every: int, tops: list[np.ndarray]) -> None:
        self.x, self.units, self.every, self.tops = x, units, every, tops
        self.steps: list[int] = []
        self.shares: list[list[float]] = []
        self.gaps: list[list[float]] = []

    def record(self, net: ml.Sequential, step: int) -> None:
        pres, _ = M.preactivations(net, self.x)
        self.steps.append(step)
        self.shares.append([M.revived_share(s, u) for s, u in zip(pres, self.units)])
        self.gaps.append([M.gap_closed(t, s, u) for t, s, u in zip(self.tops, pres, self.units)])

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
    gap_curve: list[list[float]] = field(default_factory=list)  # (records, layers) gap closed
    steps: list[int] = field(default_factory=list)
    moved: list[float] = field(default_factory=list)            # max |change| of the pushed units' w and b
    slopes_pushed: list[np.ndarray] = field(default_factory=list)
    slopes_kept: list[np.ndarray] = field(default_factory=list)
    failed: bool = False


def push_and_recover(setup: Setup, net: ml.Sequential, seed: int) -> Recovery:
    """Drive ``setup.pushed`` units of each hidden layer of the trained ``net`` dead (layer by layer,
    since the second layer's pre-activations depend on the first's outputs), then train on at the
    base rate for ``setup.recovery_updates`` and measure which came back."""
    rng = np.random.default_rng([seed, 15])          # the same units for every activation of a seed (paired)
    layers = [layer for _, layer in M.hidden_layers(net)]
    units = [np.sort(rng.choice(layer.out_features, setup.pushed, replace=False)) for layer in layers]
    for depth, layer in enumerate(layers):
        pres, _ = M.preactivations(net, setup.X)      # each layer sees the pushed layers before it
        s, u = pres[depth], units[depth]
        shift = s[:, u].max(axis=0) + setup.margin * s[:, u].std(axis=0)
        M.push_dead(layer, s, u, setup.margin)
        s[:, u] -= shift                              # what one more forward pass would give (s = w . h + b)
    found = Recovery(dead_after_push=[float(M.dead_mask(s)[u].mean()) for s, u in zip(pres, units)],
                     accuracy_pushed=accuracy(net, setup.Xt, setup.yt))
    top_pushed = [s[:, u].max(axis=0) for s, u in zip(pres, units)]
    before = [np.concatenate([np.asarray(l.W)[u], np.asarray(l.b)[u, None]], axis=1).copy()
              for l, u in zip(layers, units)]
    tracker = RevivalTracker(setup.X[:setup.tracked], units, setup.track_every,
                             [s[:setup.tracked, u].max(axis=0) for s, u in zip(pres, units)])
    tracker.record(net, 0)
    if not setup.train(net, setup.base_rate, setup.recovery_updates, seed + 10_000, (tracker,)):
        found.failed = True
        return found
    pres, posts = M.preactivations(net, setup.X)
    if M.run_failed(False, train_accuracy(net, posts[-1], setup.y), largest_weight(net)):
        found.failed = True
        return found
    found.moved = [float(np.abs(np.concatenate([np.asarray(l.W)[u], np.asarray(l.b)[u, None]], axis=1) - b).max())
                   for l, u, b in zip(layers, units, before)]
    found.revived = [M.revived_share(s, u) for s, u in zip(pres, units)]
    found.gap = [M.gap_closed(t, s, u) for t, s, u in zip(top_pushed, pres, units)]
    found.accuracy_after = accuracy(net, setup.Xt, setup.yt)
    found.curve, found.gap_curve, found.steps = tracker.shares, tracker.gaps, tracker.steps
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
