"""Random initialisation breaks the symmetry of a constant-initialised net (CS7015 lecture 9, module 9.4).

If every weight into a layer starts equal, every unit of the layer computes the same output,
receives the same gradient and takes the same step (CS7015 9.4: ``grad w11 = grad w21``;
Balasubramanian lecture 30, section 4.5: "both neurons evolve symmetrically throughout
training"), so the wide net computes what a net of ONE unit per hidden layer computes.  That is a
theorem (checked here, not claimed).  The claims test its consequences: a tiny random perturbation
of the constant start (0.01 + N(0, 1e-6) per weight) grows during training instead of dying out,
so the net leaves the width-1 net it started next to, and that symmetry-broken net, at the
constant net's scale, beats the constant one in test accuracy (so the gain is the broken symmetry,
not Xavier's scale).

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

The distance of a net from its collapse, in weight space (:func:`distance_to_collapse`): the
largest |difference| between a hidden unit's weights (in, bias, out) and its layer's mean unit,

    d = max over hidden layers l, units j:  |W_l[j, :] - mean_j W_l|,  |b_l[j] - mean_j b_l|,
                                           |W_(l+1)[:, j] - mean_j W_(l+1)[:, j]|

exactly 0 for a constant net at any time, ~ eps at init for the perturbed one.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import numpy as np

import mlplab as ml
from mlplab import backend as B
from mlplab.experiments import symmetry_report as report
from mlplab.experiments.base import Result, StepLosses, Timer, add_figure, load_split, plot_loss_curves
# (SEEDS and QUICK_SEEDS are read here by mlplab.experiments.default_seeds)
from mlplab.experiments.symmetry_setup import (ARMS, BATCH, CONSTANT, DEPTH, DIVERGED_LOG10, FLOOR, FULL,
                                               GROWTH_DECADES, LR, MOMENTUM, NOISE, QUICK, QUICK_SEEDS, RATES, SEEDS,
                                               WIDTH, Trace)
from mlplab.experiments.verdict import Claim
from mlplab.layers import Dense
from mlplab.layers.base import Layer
from mlplab.train import Callback, Trainer, TrainingDiverged, accuracy

NAME = "symmetry"
TITLE = ("a constant-initialised net is a width-1 net; a tiny random perturbation grows, breaks the symmetry and "
         "buys accuracy")
SOURCE = ("CS7015 lecture 9 (module 9.4, 'symmetry breaking problem'); Balasubramanian lecture 30 (section 4.5, "
          "'any constant initialization')")


class ScaledDense(Layer):
    """A Dense layer whose weights are stored divided by fixed factors ``a_W``, ``a_b``:

        y = x (a_W P_W)^T + a_b P_b        dJ/dP_W = a_W G^T x    dJ/dP_b = a_b G^T 1    dJ/dx = G (a_W P_W)

    so a step ``P <- P - lr dJ/dP`` moves the effective weight ``W = a P`` by ``a^2 lr dJ/dW``
    (and momentum, linear in the gradient, keeps that factor): a per-layer learning rate."""

    weight_names = ("W",)
    affine = True             # has in_features and out_features: it opens a block and sets the net's input width

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


def perturbed_net(n_in: int, seed: int, noise: float = NOISE) -> ml.Sequential:
    """The constant net with every weight (not the biases, which stay 0) moved by N(0, noise^2):
    ``W = CONSTANT + noise z``.  Same scale as the constant net, its units no longer copies."""
    net = wide_net(f"constant:{CONSTANT}", n_in, seed)
    rng = np.random.default_rng([seed, 15])              # its own stream: the batches use ``seed``
    for layer in net.layers:
        if isinstance(layer, Dense):
            W = B.to_numpy(layer.W)
            layer.W[...] = B.xp.asarray(W + noise * rng.standard_normal(W.shape), dtype=layer.dtype)
    return net


def distance_to_collapse(net: ml.Sequential) -> float:
    """How far ``net`` is from a net whose hidden units are copies (module docstring): the largest
    |difference| between a hidden unit's incoming weights, bias or outgoing weights and the mean of
    its layer's units.  NaN for a net without plain Dense layers (a collapse)."""
    dense = [layer for layer in net.layers if isinstance(layer, Dense)]
    if len(dense) < 2:
        return math.nan
    parts = []
    for into, out_of in zip(dense[:-1], dense[1:]):     # the hidden layer between them
        W_in, b, W_out = B.to_numpy(into.W), B.to_numpy(into.b), B.to_numpy(out_of.W)
        parts += [np.abs(W_in - W_in.mean(axis=0)).max(), np.abs(b - b.mean()).max(),
                  np.abs(W_out - W_out.mean(axis=1, keepdims=True)).max()]
    return float(max(parts))


def copies_spread(net: ml.Sequential) -> float:
    """The largest |difference| between any hidden unit's weights (in and out) and the FIRST unit's of
    its layer: exactly 0 while the units are bitwise copies (a mean over units would add rounding)."""
    dense = [layer for layer in net.layers if isinstance(layer, Dense)]
    spreads = [float(np.abs(B.to_numpy(layer.W) - B.to_numpy(layer.W)[:1]).max()) for layer in dense[:-1]]
    spreads += [float(np.abs(B.to_numpy(layer.W) - B.to_numpy(layer.W)[:, :1]).max()) for layer in dense[1:]]
    return max(spreads)


def growth_decades(distances: list[float], diverged: bool) -> float:
    """Claim 1's statistic: log10(distance after training / distance at init); a diverged run counts
    as a perturbation that did not grow (0), an exact 0 as FLOOR."""
    if diverged or not distances or not all(math.isfinite(d) for d in distances):
        return 0.0
    return math.log10(max(distances[-1], FLOOR) / max(distances[0], FLOOR))


class _Watch(Callback):
    """Records the test logits after every epoch and the distance to the collapse after every update."""

    def __init__(self, X: np.ndarray, trace: Trace) -> None:
        self.X, self.trace = X, trace

    def on_batch_end(self, trainer: Any, step: int, loss: float) -> None:
        self.trace.distances.append(distance_to_collapse(trainer.net))

    def on_epoch_end(self, trainer: Any, epoch: int, metrics: dict[str, float]) -> None:
        self.trace.logits.append(B.to_numpy(trainer.net.forward(self.X, train=False)).copy())


def train(net: ml.Sequential, data: tuple[np.ndarray, ...], epochs: int, seed: int) -> Trace:
    """Momentum SGD on ``net`` (same batches for every net of a seed); a diverged run is marked."""
    X, y, Xt, yt = data
    trace, steps = Trace(distances=[distance_to_collapse(net)]), StepLosses()
    trainer = Trainer(net, ml.optim.SGD(lr=LR, momentum=MOMENTUM), batch_size=BATCH, epochs=epochs, seed=seed,
                      callbacks=[steps, _Watch(Xt, trace)])
    try:
        trainer.fit(X, y)
    except TrainingDiverged:
        trace.diverged = True
    trace.losses = steps.losses
    if not trace.diverged:
        trace.accuracy = accuracy(net, Xt, yt)
        if len([layer for layer in net.layers if isinstance(layer, Dense)]) > 1:
            trace.copies = copies_spread(net)
    return trace


def largest_difference(a: Trace, b: Trace) -> float:
    """max over training of |loss_a - loss_b| (every update) and |logits_a - logits_b| (test set, every epoch)."""
    if a.diverged or b.diverged or len(a.losses) != len(b.losses):
        return math.inf
    losses = float(np.max(np.abs(np.subtract(a.losses, b.losses))))
    logits = max(float(np.max(np.abs(p - q))) for p, q in zip(a.logits, b.logits))
    return max(losses, logits)


def log10_difference(difference: float) -> float:
    """The checks' statistic: log10 of the largest difference (0 counts as 1e-18; a diverged run as 1e3)."""
    if not math.isfinite(difference):
        return DIVERGED_LOG10
    return math.log10(max(difference, FLOOR))


def run(out: Path, seeds: int = SEEDS, quick: bool = False) -> Result:
    timer = Timer()
    result = Result(NAME, TITLE, SOURCE, seeds, quick)
    budget = QUICK if quick else FULL
    data = load_split("fashion-mnist", budget["n_train"], dtype="float64")
    n_in = data[0].shape[1]
    traces: dict[str, list[Trace]] = {arm: [] for arm in ARMS}
    for seed in range(seeds):
        constant, random = wide_net(f"constant:{CONSTANT}", n_in, seed), wide_net("xavier_normal", n_in, seed)
        nets = {"constant collapsed": collapse(constant), "constant collapsed, one rate": collapse(constant, False),
                "random collapsed": collapse(random), "constant wide": constant, "random wide": random,
                "perturbed wide": perturbed_net(n_in, seed)}
        for arm in ARMS:
            traces[arm].append(train(nets[arm], data, budget["epochs"], seed))
    stat = {pair: [log10_difference(largest_difference(a, b)) for a, b in zip(traces[pair[0]], traces[pair[1]])]
            for pair in (("constant wide", "constant collapsed"), ("random wide", "random collapsed"),
                         ("constant wide", "constant collapsed, one rate"))}
    acc = {arm: [t.accuracy for t in traces[arm]] for arm in ARMS}
    growth = [growth_decades(t.distances, t.diverged) for t in traces["perturbed wide"]]
    _claims(result, growth, acc)
    report.tables(result, stat, acc, traces, budget)
    curves = {arm: traces[arm][0].losses for arm in ("constant wide", "constant collapsed", "perturbed wide",
                                                     "random wide")}
    fig = plot_loss_curves(curves)
    fig.axes[0].lines[1].set_linestyle("--")                 # the collapse, drawn over the wide net it equals
    fig.axes[0].legend()
    add_figure(result, fig, out, "loss.png",
               "Training loss per update, seed 0: the constant-initialised 64-64 net (blue) and its width-1 collapse "
               f"(orange, dashed; trained with the per-layer rates {RATES}) are one curve; the constant net "
               f"perturbed by N(0, {NOISE:g}) per weight (green) and the Xavier-initialised net (red) go lower. Look "
               "for: the dashed line lying on the blue one; where the green leaves it.")
    add_figure(result, report.plot_distances(traces["perturbed wide"]), out, "distance.png",
               f"The perturbed net (every weight {CONSTANT} + N(0, {NOISE:g})): its distance from its width-1 "
               "collapse (the largest |difference| between a hidden unit's weights and its layer's mean unit) after "
               "every update, one line per seed, log scale; dotted: 1,000 times the init distance of seed 0 (claim "
               "1's threshold). Look for: whether the lines grow from ~1e-6 past the dotted line, and when.")
    result.notes += report.notes(stat, traces)
    result.seconds = timer.seconds()
    return result


def _accuracies(acc: dict[str, list[float]], *arms: str) -> str:
    return ", ".join(f"{arm} net {np.mean(acc[arm]):.4f}" for arm in arms)


def _claims(result: Result, growth: list[float], acc: dict[str, list[float]]) -> None:
    result.claims.append(Claim.from_samples(
        "Random initialisation breaks the symmetry: a constant-initialised net perturbed by tiny random noise "
        "(every weight 0.01 + N(0, 1e-6)) moves away from its width-1 collapse during training: the asymmetry grows "
        "more than 1,000-fold instead of dying out",
        "per seed: log10 of the perturbed net's distance from its width-1 collapse (largest |difference| between a "
        "hidden unit's weights and its layer's mean unit) after training over the same at init; a diverged run "
        "counts as 0 (no growth); threshold 3 decades (mlplab's, fixed before the run: the notes give only the "
        "direction)",
        growth, GROWTH_DECADES, ">",
        baseline=f"test accuracy (mean over seeds): {_accuracies(acc, 'perturbed wide', 'constant wide')}"))
    result.claims.append(Claim.from_paired(
        "The symmetry-broken net beats the constant net of the same scale: the gain comes from breaking the "
        "symmetry, not from the random init's scale",
        "per seed: test accuracy (Fashion-MNIST, all 10,000 test images) of the perturbed net (0.01 + N(0, 1e-6)) "
        "minus the constant net (0.01), same seed and batches; threshold 0 (the notes give only the direction)",
        acc["perturbed wide"], acc["constant wide"], 0.0, ">",
        baseline=f"baseline: constant-initialised net (= a width-1 net) {np.mean(acc['constant wide']):.4f} test "
                 f"accuracy (chance 0.1); perturbed net {np.mean(acc['perturbed wide']):.4f}"))
    result.claims.append(Claim.from_paired(
        "Random initialisation's extra width buys test accuracy: the random-initialised (Xavier) net beats the "
        "constant-initialised one of the same width",
        "per seed: test accuracy (Fashion-MNIST, all 10,000 test images) of the Xavier-initialised net minus the "
        "constant-initialised net, same seed and batches; threshold 0 (the notes give only the direction)",
        acc["random wide"], acc["constant wide"], 0.0, ">",
        baseline=f"baseline: constant-initialised net (= a width-1 net) {np.mean(acc['constant wide']):.4f} test "
                 f"accuracy (chance 0.1); Xavier-initialised net {np.mean(acc['random wide']):.4f}"))
