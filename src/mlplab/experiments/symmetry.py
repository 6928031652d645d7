"""A constant-initialised net is a width-1 net, through all of training (CS7015 lecture 9, module 9.4).

If every weight into a layer starts equal, every unit of the layer computes the same output,
receives the same gradient and takes the same step (CS7015 9.4: ``grad w11 = grad w21``;
Balasubramanian lecture 30, section 4.5: "both neurons evolve symmetrically throughout
training").  The consequence tested here: the wide net computes exactly what a net of ONE unit
per hidden layer computes, so its width buys nothing.

The width-1 copy ("collapse") of a net whose hidden layers have H identical units: with
``c_in`` = H when a layer's input is a hidden layer (else 1) and ``c_out`` = H when its output
is (else 1),

    W' = c_in * (the mean of W over its copies)        b' = the mean of b over its copies

(the next layer sums H equal inputs, so its weight is H times one of them).  Plain SGD on the
wide net moves each of the ``c_in c_out`` copies of a weight by ``lr dJ/dW_copy``, and
``dJ/dW_copy = (c_in / (c_in c_out)) dJ/dW'``, so the width-1 net follows the wide one only
when each of its weights has the rate

    lr' = lr * c_in / c_out       (biases: lr / c_out)

i.e. lr/H for the first layer and the hidden biases, lr for hidden-to-hidden weights and H lr
for the output weights.  :class:`ScaledDense` gives a width-1 layer those rates under the
engine's unchanged optimizer: it keeps ``P = W' / a`` and computes with ``a P``, so SGD on
``P`` at rate lr is SGD on ``W'`` at rate ``a^2 lr`` (``a^2 = c_in / c_out``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

import mlplab as ml
from mlplab import backend as B
from mlplab.experiments.base import (Result, StepLosses, Table, Timer, add_figure, load_split, mean_spread,
                                     plot_loss_curves)
from mlplab.experiments.verdict import Claim
from mlplab.layers import Dense
from mlplab.layers.base import Layer
from mlplab.train import Callback, Trainer, TrainingDiverged, accuracy

NAME = "symmetry"
TITLE = ("a constant-initialised net computes what a width-1 net computes, through training; random init's width "
         "buys accuracy")
SOURCE = ("CS7015 lecture 9 (module 9.4, 'symmetry breaking problem'); Balasubramanian lecture 30 (section 4.5, "
          "'any constant initialization')")
SEEDS = 10
QUICK_SEEDS = 3

WIDTH, DEPTH = 64, 2                  # 784-64-64-10 tanh
CONSTANT = 0.01                       # every weight of the constant net (biases 0): its units are not saturated
LR, MOMENTUM, BATCH = 0.1, 0.9, 100
FULL = {"n_train": 10000, "epochs": 5}
QUICK = {"n_train": 10000, "epochs": 2}
AGREE_LOG10 = -6.0                    # "to 1e-6": issue 15's tolerance in float64 (rounding is ~1e-15)
FLOOR = 1e-18                         # an exact 0 difference counts as 1e-18 (log10 needs a positive number)
DIVERGED_LOG10 = 3.0                  # a run that diverged counts as disagreeing by 1000 ...
CHANCE = 0.1                          # ... and as chance-level test accuracy


class ScaledDense(Layer):
    """A Dense layer whose weights are stored divided by fixed factors ``a_W``, ``a_b``:

        y = x (a_W P_W)^T + a_b P_b        dJ/dP_W = a_W G^T x    dJ/dP_b = a_b G^T 1    dJ/dx = G (a_W P_W)

    so a step ``P <- P - lr dJ/dP`` moves the effective weight ``W = a P`` by ``a^2 lr dJ/dW``
    (and momentum, linear in the gradient, keeps that factor): a per-layer learning rate."""

    weight_names = ("W",)

    def __init__(self, W: np.ndarray, b: np.ndarray, a_W: float, a_b: float, dtype: Any = "float64") -> None:
        super().__init__(dtype)
        self.out_features, self.in_features = W.shape
        self.a_W, self.a_b = float(a_W), float(a_b)
        self.W = self._add_param("W", B.xp.asarray(W / self.a_W, dtype=self.dtype))
        self.b = self._add_param("b", B.xp.asarray(b / self.a_b, dtype=self.dtype))
        self._x: Any = None

    def effective(self) -> tuple[np.ndarray, np.ndarray]:
        """The weights the layer computes with: ``(a_W P_W, a_b P_b)``."""
        return self.a_W * B.to_numpy(self.W), self.a_b * B.to_numpy(self.b)

    def forward(self, x: Any, train: bool = True) -> Any:
        self._x = x
        return x @ (self.a_W * self.W).T + self.a_b * self.b

    def backward(self, dy: Any) -> Any:
        self._check_backward(dy, (self._x.shape[0], self.out_features))
        self.grads["W"][...] = self.a_W * (dy.T @ self._x)
        self.grads["b"][...] = self.a_b * dy.sum(axis=0)
        return dy @ (self.a_W * self.W)

    def output_dim(self, input_dim: int) -> int:
        return self.out_features

    def config(self) -> dict[str, Any]:
        return {"in_features": self.in_features, "out_features": self.out_features, "a_W": self.a_W,
                "a_b": self.a_b, **super().config()}


def collapse(net: ml.Sequential, per_layer_rates: bool = True) -> ml.Sequential:
    """The width-1 net of ``net`` (see the module docstring): each Dense layer becomes a
    :class:`ScaledDense` with ``W' = c_in * mean over copies``, ``b' = mean over copies`` and the
    rates ``lr c_in / c_out`` (weights), ``lr / c_out`` (biases); activations are kept.  Exact for
    a net whose hidden units are copies; for any other net it is the net of its averaged units.
    ``per_layer_rates=False`` gives every layer the rate lr (to show that the rates matter)."""
    dense = [i for i, layer in enumerate(net.layers) if isinstance(layer, Dense)]
    layers: list[Layer] = []
    for i, layer in enumerate(net.layers):
        if not isinstance(layer, Dense):
            layers.append(type(layer)(dtype=layer.dtype))
            continue
        W, b = B.to_numpy(layer.W), B.to_numpy(layer.b)
        c_in = W.shape[1] if i != dense[0] else 1              # the input is a hidden layer: its units are copies
        c_out = W.shape[0] if i != dense[-1] else 1
        if c_out > 1:
            W, b = W.mean(axis=0, keepdims=True), b.mean(keepdims=True)
        if c_in > 1:
            W = c_in * W.mean(axis=1, keepdims=True)
        a_W, a_b = (math.sqrt(c_in / c_out), 1 / math.sqrt(c_out)) if per_layer_rates else (1.0, 1.0)
        layers.append(ScaledDense(W, b, a_W, a_b, dtype=layer.dtype))
    return ml.Sequential(layers)


def wide_net(init: str, n_in: int, seed: int) -> ml.Sequential:
    """784-64-64-10 tanh in float64; ``init`` is an engine init name (``constant:0.01``, ``xavier_normal``)."""
    return ml.mlp(n_in, [WIDTH] * DEPTH, 10, activation="tanh", init=init, dtype="float64", seed=seed)


@dataclass
class Trace:
    """What one training run left: every update's loss, the test-set logits after every epoch."""

    losses: list[float] = field(default_factory=list)
    logits: list[np.ndarray] = field(default_factory=list)
    accuracy: float = CHANCE
    diverged: bool = False
    unit_spread: float = math.nan          # after training, wide nets only (see :func:`unit_spread`)


class _TestLogits(Callback):
    def __init__(self, X: np.ndarray, trace: Trace) -> None:
        self.X, self.trace = X, trace

    def on_epoch_end(self, trainer: Any, epoch: int, metrics: dict[str, float]) -> None:
        self.trace.logits.append(B.to_numpy(trainer.net.forward(self.X, train=False)).copy())


def train(net: ml.Sequential, data: tuple[np.ndarray, ...], epochs: int, seed: int) -> Trace:
    """Momentum SGD on ``net`` (same batches for every net of a seed); a diverged run is marked."""
    X, y, Xt, yt = data
    trace, steps = Trace(), StepLosses()
    trainer = Trainer(net, ml.optim.SGD(lr=LR, momentum=MOMENTUM), batch_size=BATCH, epochs=epochs, seed=seed,
                      callbacks=[steps, _TestLogits(Xt, trace)])
    try:
        trainer.fit(X, y)
    except TrainingDiverged:
        trace.diverged = True
    trace.losses = steps.losses
    if not trace.diverged:
        trace.accuracy = accuracy(net, Xt, yt)
        trace.unit_spread = unit_spread(net)
    return trace


def unit_spread(net: ml.Sequential) -> float:
    """The largest |difference| between any hidden unit's weights (in and out) and the first unit's
    of its layer: exactly 0 while the units are copies; NaN for a net without plain Dense layers."""
    dense = [layer for layer in net.layers if isinstance(layer, Dense)]
    if len(dense) < 2:
        return math.nan
    spreads = [float(np.abs(B.to_numpy(layer.W) - B.to_numpy(layer.W)[:1]).max()) for layer in dense[:-1]]
    spreads += [float(np.abs(B.to_numpy(layer.W) - B.to_numpy(layer.W)[:, :1]).max()) for layer in dense[1:]]
    return max(spreads)


def largest_difference(a: Trace, b: Trace) -> float:
    """max over training of |loss_a - loss_b| (every update) and |logits_a - logits_b| (test set, every epoch)."""
    if a.diverged or b.diverged or len(a.losses) != len(b.losses):
        return math.inf
    losses = float(np.max(np.abs(np.subtract(a.losses, b.losses))))
    logits = max(float(np.max(np.abs(p - q))) for p, q in zip(a.logits, b.logits))
    return max(losses, logits)


def log10_difference(difference: float) -> float:
    """The claims' statistic: log10 of the largest difference (0 counts as 1e-18; a diverged run as 1e3)."""
    if not math.isfinite(difference):
        return DIVERGED_LOG10
    return math.log10(max(difference, FLOOR))


def run(out: Path, seeds: int = SEEDS, quick: bool = False) -> Result:
    timer = Timer()
    result = Result(NAME, TITLE, SOURCE, seeds, quick)
    budget = QUICK if quick else FULL
    data = load_split("fashion-mnist", budget["n_train"], dtype="float64")
    n_in = data[0].shape[1]
    arms = ("constant wide", "constant collapsed", "constant collapsed, one rate", "random wide",
            "random collapsed")
    traces: dict[str, list[Trace]] = {arm: [] for arm in arms}
    for seed in range(seeds):
        constant, random = wide_net(f"constant:{CONSTANT}", n_in, seed), wide_net("xavier_normal", n_in, seed)
        nets = {"constant collapsed": collapse(constant), "constant collapsed, one rate": collapse(constant, False),
                "random collapsed": collapse(random), "constant wide": constant, "random wide": random}
        for arm in arms:
            traces[arm].append(train(nets[arm], data, budget["epochs"], seed))
    stat = {pair: [log10_difference(largest_difference(a, b)) for a, b in zip(traces[pair[0]], traces[pair[1]])]
            for pair in (("constant wide", "constant collapsed"), ("random wide", "random collapsed"),
                         ("constant wide", "constant collapsed, one rate"))}
    acc = {arm: [t.accuracy for t in traces[arm]] for arm in arms}
    _claims(result, stat, acc)
    _table(result, stat, acc, traces, budget)
    curves = {arm: traces[arm][0].losses for arm in ("constant wide", "constant collapsed", "random wide")}
    fig = plot_loss_curves(curves)
    fig.axes[0].lines[1].set_linestyle("--")                 # the collapse, drawn over the wide net it equals
    add_figure(result, fig, out, "loss.png",
               "Training loss per update, seed 0: the constant-initialised 64-64 net (blue) and its width-1 collapse "
               "(orange, dashed) are one curve (they differ by less than 1e-6); the randomly initialised net of the "
               "same width (green) goes lower. Look for: the dashed line lying on the blue one, the green below both.")
    result.notes += _notes(stat, traces)
    result.seconds = timer.seconds()
    return result


def _claims(result: Result, stat: dict[tuple[str, str], list[float]], acc: dict[str, list[float]]) -> None:
    statistic = ("per seed: log10 of the largest |difference| between the wide net and its width-1 collapse over "
                 "training (the loss of every update; the 10,000 test images' logits after every epoch), float64; "
                 "threshold 1e-6 (issue 15's tolerance; float64 rounding is ~1e-15)")
    constant = stat[("constant wide", "constant collapsed")]
    result.claims.append(Claim.from_samples(
        "A constant-initialised 784-64-64-10 tanh net computes exactly what its width-1 collapse computes, through "
        "training: outputs and loss curve agree to 1e-6, so its width buys nothing",
        statistic, constant, AGREE_LOG10, "<",
        baseline=f"test accuracy: constant-initialised wide net {np.mean(acc['constant wide']):.4f}, its width-1 "
                 f"collapse {np.mean(acc['constant collapsed']):.4f} (mean over seeds)"))
    result.claims.append(Claim.from_samples(
        "Control: a randomly initialised (Xavier) net of the same width does not compute what its width-1 collapse "
        "(the net of its averaged units) computes, so the measure can fail",
        statistic, stat[("random wide", "random collapsed")], AGREE_LOG10, ">",
        baseline=f"test accuracy: random wide net {np.mean(acc['random wide']):.4f}, its width-1 collapse "
                 f"{np.mean(acc['random collapsed']):.4f}"))
    result.claims.append(Claim.from_paired(
        "Random initialisation's extra width buys test accuracy: the random-initialised wide net beats the "
        "constant-initialised one of the same width",
        "per seed: test accuracy (Fashion-MNIST, all 10,000 test images) of the Xavier-initialised net minus the "
        "constant-initialised net, same seed and batches; threshold 0 (the notes give only the direction)",
        acc["random wide"], acc["constant wide"], 0.0, ">",
        baseline=f"baseline: constant-initialised wide net (= a width-1 net) {np.mean(acc['constant wide']):.4f} "
                 f"test accuracy (chance 0.1); random-initialised wide net {np.mean(acc['random wide']):.4f}"))


def _table(result: Result, stat: dict[tuple[str, str], list[float]], acc: dict[str, list[float]],
           traces: dict[str, list[Trace]], budget: dict[str, int]) -> None:
    rows = []
    for arm, pair in (("constant wide", None), ("constant collapsed", ("constant wide", "constant collapsed")),
                      ("constant collapsed, one rate", ("constant wide", "constant collapsed, one rate")),
                      ("random wide", None), ("random collapsed", ("random wide", "random collapsed"))):
        final = [t.losses[-1] if t.losses and not t.diverged else math.nan for t in traces[arm]]
        spread = "-" if "collapsed" in arm else mean_spread([t.unit_spread for t in traces[arm]])
        rows.append([arm, "1" if "collapsed" in arm else str(WIDTH), mean_spread(acc[arm]), mean_spread(final),
                     mean_spread(stat[pair]) if pair else "-", spread, sum(t.diverged for t in traces[arm])])
    result.tables.append(Table(
        f"784-{WIDTH}-{WIDTH}-10 tanh nets, float64, Fashion-MNIST ({budget['n_train']:,} training images, "
        f"{budget['epochs']} epochs, batches of {BATCH}), SGD lr {LR} momentum {MOMENTUM}; constant init: every weight "
        f"{CONSTANT}, biases 0; random: xavier_normal",
        ["net", "hidden width", "test accuracy", "last update's loss", "log10 largest difference to the wide net",
         "largest difference between its units after training", "diverged"], rows))


def _notes(stat: dict[tuple[str, str], list[float]], traces: dict[str, list[Trace]]) -> list[str]:
    one_rate = stat[("constant wide", "constant collapsed, one rate")]
    agree = stat[("constant wide", "constant collapsed")]
    worst = int(np.argmax(agree))
    return [
        "Why not the old claims: 'every unit stays identical' and 'random init breaks the tie' held by construction "
        "(zero weights give zero hidden gradients; any random matrix differs between rows). The consequence tested "
        "instead is that the constant net IS a width-1 net, and what that costs in accuracy.",
        "The collapse needs per-layer learning rates (module docstring): the width-1 net with the same weights but one "
        f"rate lr for every layer drifts away from the wide net (log10 largest difference {mean_spread(one_rate)}). "
        "'Width buys nothing' is exact only for the width-1 net with rates lr/H (first layer, hidden biases), lr "
        "(hidden-to-hidden) and H lr (output weights).",
        f"The agreement is float64 rounding, amplified by training: the constant net's units stay bitwise copies "
        f"(largest difference between them after training: "
        f"{max(t.unit_spread for t in traces['constant wide']):.3g}), but the wide net sums 64 equal terms where the "
        f"width-1 net multiplies by 64, and training amplifies the last-digit differences; the worst seed ({worst}) "
        f"reached 10^{agree[worst]:.2f}. A longer budget would let that drift pass 1e-6 without any unit differing.",
        "Zero initialisation is the special case CONSTANT = 0; it is not a claim here because with tanh every hidden "
        "unit outputs 0 and receives 0 gradient, so the wide and width-1 nets agree by construction (only the output "
        "biases learn: chance-level accuracy).",
        f"The constant {CONSTANT} (biases 0) was chosen before the first run so that the first layer is not saturated "
        "(pre-activation ~ 0.01 * 784 * 0.29 = 2.2 for the mean image) and the width-1 net can learn; the claims' "
        "thresholds (1e-6, 0) were fixed before it. Changed after seeing results: the first quick run (3,000 images, "
        "2 epochs: 60 updates) left the constant net at chance (11.7% test accuracy), a baseline that never started; "
        "a look at 2 seeds of the full budget (constants 0.01, 0.001, 0; rates 0.1, 0.01) kept 0.01 and 0.1 (36-40% "
        "accuracy), and quick's budget was raised to 10,000 images, 2 epochs (200 updates). No threshold changed.",
        "Divergence: a run whose loss became NaN/inf counts as disagreeing by 1e3 (log10 = 3) and as chance accuracy "
        f"0.1; diverged runs: {sum(t.diverged for arm in traces.values() for t in arm)}.",
    ]
