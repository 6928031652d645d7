"""The zig-zag half of the ``activations`` experiment (CS7015 lecture 9, module 9.3; DD2424 lecture 4).

The notes' argument: a unit fed by sigmoid outputs ``h_j in (0, 1)`` gets, for one example, the
weight gradient

    dJ/dw_ij = delta_i h_j          (delta_i = dJ/ds_i, one number per example)

so all its incoming weights' gradients share the sign of ``delta_i``: the weights can only move
all up or all down, and reaching an optimum in a mixed-sign direction takes a zig-zag path.
For one example this is the definition of a positive ``h``, not evidence.  A mini-batch update is
a sum over examples, ``dW_i. = -lr sum_n delta_ni h_n``, whose entries can take both signs when
the ``delta_ni`` do.  Against the control, the centred sigmoid ``sigma(s) - 1/2`` (same derivative
as the sigmoid, so the one difference is the offset 1/2 in the unit's inputs), the one-sign share
is structurally 0 (128 zero-centred inputs are never all of one sign), so the comparison uses how
far each update leans toward the all-ones direction (:func:`ones_cosine`), whose null is not 0.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from mlplab import backend as B
from mlplab.layers import Dense
from mlplab.layers.activations import Sigmoid, Tanh, sigmoid
from mlplab.layers.base import Layer
from mlplab.network import Sequential
from mlplab.report import pyplot
from mlplab.train import Callback


class CentredSigmoid(Layer):
    """``h = sigma(s) - 1/2``, in (-1/2, 1/2); backward ``dJ/ds = dJ/dh * sigma(s) (1 - sigma(s))``,
    the sigmoid's own derivative (the constant shift has none)."""

    def forward(self, x: Any, train: bool = True) -> Any:
        self._sigma = sigmoid(x)
        return self._sigma - 0.5

    def backward(self, dy: Any) -> Any:
        self._check_backward(dy, self._sigma.shape)
        return dy * self._sigma * (1.0 - self._sigma)


ARMS = {"sigmoid": Sigmoid, "centred sigmoid": CentredSigmoid, "tanh": Tanh}


def zigzag_net(arm: str, hidden: int, seed: int, n_in: int = 784, n_out: int = 10) -> Sequential:
    """``n_in -> hidden (arm) -> n_out``, Glorot-normal weights from ``seed`` whatever the arm, so
    the arms start from the same weights (equal init); the output units are the units fed by the
    arm's outputs."""
    rng = B.make_rng(seed)
    first = Dense(n_in, hidden, init="xavier_normal", rng=rng)
    last = Dense(hidden, n_out, init="xavier_normal", rng=rng)
    return Sequential([first, ARMS[arm](), last])


def one_sign_share(delta: np.ndarray) -> float:
    """The share of rows (units) of an update ``delta`` of shape ``(units, inputs)`` whose entries
    are all > 0 or all < 0: the units whose incoming weights all moved up or all moved down."""
    delta = np.asarray(delta)
    return float(((delta > 0).all(axis=1) | (delta < 0).all(axis=1)).mean())


def ones_cosine(delta: np.ndarray) -> float:
    """Mean over rows (units) of an update ``delta`` (units x inputs) of the |cosine| between the row
    and the all-ones direction:

        c_i = |sum_j d_ij| / (||d_i.|| sqrt(m))       (1: all entries equal; ~sqrt(2 / (pi m)) at random)

    Unlike the one-sign share this is not structurally 0 for zero-centred inputs, so it measures how
    far a unit's updates lean toward "all up or all down" rather than whether they are exactly so.
    Rows that did not move count as 0."""
    delta = np.asarray(delta, dtype=np.float64)
    norms = np.linalg.norm(delta, axis=1) * math.sqrt(delta.shape[1])
    return float(np.mean(np.abs(delta.sum(axis=1)) / np.where(norms > 0, norms, np.inf)))


def path_ratio(path: np.ndarray, start: np.ndarray, end: np.ndarray) -> float:
    """Mean over units of (path length) / (net displacement) of each unit's incoming weights:

        r_i = sum_t ||w_i(t+1) - w_i(t)|| / ||w_i(T) - w_i(0)||    (1 = a straight path)

    A zig-zag (all up, then all down) adds length without displacement."""
    displacement = np.linalg.norm(np.asarray(end) - np.asarray(start), axis=1)
    return float(np.mean(np.asarray(path) / np.maximum(displacement, 1e-12)))


@dataclass
class UpdateRecorder(Callback):
    """Watches one Dense layer's weights ``W`` (units x inputs) across every update: the one-sign
    share of each update ``W(t+1) - W(t)`` and each unit's path length."""

    layer: Any
    shares: list[float] = field(default_factory=list)
    cosines: list[float] = field(default_factory=list)
    path: Any = None
    start: Any = None
    _before: Any = None

    def on_train_begin(self, trainer: Any) -> None:
        self.start = np.array(self.layer.W, dtype=np.float64)
        self.path = np.zeros(self.start.shape[0])

    def on_batch_begin(self, trainer: Any, step: int) -> None:
        self._before = np.array(self.layer.W, dtype=np.float64)

    def on_batch_end(self, trainer: Any, step: int, loss: float) -> None:
        delta = np.asarray(self.layer.W, dtype=np.float64) - self._before
        self.shares.append(one_sign_share(delta))
        self.cosines.append(ones_cosine(delta))
        self.path += np.linalg.norm(delta, axis=1)

    def share(self) -> float:
        """The one-sign share over every (update, unit) pair recorded."""
        return float(np.mean(self.shares)) if self.shares else 0.0

    def cosine(self) -> float:
        """The mean |cos(update row, all-ones)| over every (update, unit) pair recorded."""
        return float(np.mean(self.cosines)) if self.cosines else 0.0

    def ratio(self) -> float:
        return path_ratio(self.path, self.start, np.asarray(self.layer.W, dtype=np.float64))


def toy_task(n: int = 2000, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Two sigmoid outputs ``h = sigma(a)``, ``a ~ N(0, 2^2)`` each, labelled ``[h1 - h2 + noise > 0]``:
    the best weights of a unit fed by ``h`` point along (+, -), the direction a one-sign update
    can never take (the notes' picture)."""
    rng = np.random.default_rng(seed)
    h = 1.0 / (1.0 + np.exp(-2.0 * rng.standard_normal((n, 2))))
    y = (h[:, 0] - h[:, 1] + 0.1 * rng.standard_normal(n) > 0).astype(np.int64)
    return h.astype(np.float64), y


def plot_toy_paths(paths: dict[str, np.ndarray]) -> Any:
    """The weight path (w1, w2) of a two-input unit, one line per input kind, from the shared start."""
    fig, ax = pyplot().subplots(figsize=(5.5, 5))
    for label, path in paths.items():
        ax.plot(path[:, 0], path[:, 1], lw=0.8, marker=".", ms=2, label=label)
        ax.plot(path[-1, 0], path[-1, 1], "o", ms=5, color=ax.lines[-1].get_color())
    start = next(iter(paths.values()))[0]
    ax.plot(start[0], start[1], "ks", ms=6, label="start (both)")
    ax.axhline(0, color="k", lw=0.5)
    ax.axvline(0, color="k", lw=0.5)
    ax.set_xlabel("w1 (weight from input h1)")
    ax.set_ylabel("w2 (weight from input h2)")
    ax.set_aspect("equal", adjustable="datalim")
    return fig


class WeightPath(Callback):
    """The incoming weights of one unit (row ``unit`` of a Dense layer's ``W``) before training and
    after every update."""

    def __init__(self, layer: Any, unit: int) -> None:
        self.layer, self.unit = layer, unit
        self.points: list[np.ndarray] = []

    def on_train_begin(self, trainer: Any) -> None:
        self.points = [np.array(self.layer.W[self.unit], dtype=np.float64)]

    def on_batch_end(self, trainer: Any, step: int, loss: float) -> None:
        self.points.append(np.array(self.layer.W[self.unit], dtype=np.float64))
