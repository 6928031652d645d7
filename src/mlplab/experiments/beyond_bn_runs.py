"""Training runs and measurements of the beyond-batch-norm experiment (see :mod:`.beyond_bn`).

One run trains a 20-layer ``ml.mlp`` of one arm (no normalisation, batch, layer or weight norm,
SELU) with Adam at one batch size for a fixed number of training examples, and records its
per-update training loss and its final test and training accuracy.  A run that diverges (NaN or
infinite loss, :class:`~mlplab.train.TrainingDiverged`) counts as a chance-level classifier
(accuracy 0.1) whose loss is ln 10 from the update where it diverged on: the same rule for every arm.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

import mlplab as ml
from mlplab import backend as B
from mlplab.experiments.base import StepLosses
from mlplab.experiments.beyond_bn_setup import CHANCE, CHANCE_LOSS, DEPTH, INIT_BATCH, N_TRAIN, PROBE, WIDTH, rate
from mlplab.layers.weightnorm import data_init
from mlplab.train import Trainer, TrainingDiverged, accuracy


@dataclass
class Data:
    X: np.ndarray
    y: np.ndarray
    X_test: np.ndarray
    y_test: np.ndarray


@dataclass
class Run:
    """What one training run left."""

    losses: list[float] = field(default_factory=list)   # the minibatch loss of every update
    final: float = math.nan                # test accuracy on the 10,000 test images
    train_accuracy: float = math.nan
    diverged_at: int | None = None
    stats: np.ndarray | None = None        # activation_stats after training, when asked for


def build(spec: dict, seed: int, X_init: np.ndarray, depth: int = DEPTH) -> ml.Sequential:
    """The arm's 784 -> depth x 64 -> 10 net; seed ``seed`` draws the weights (the same draw for the
    plain and the weight-normalised net: ``v`` is drawn as ``W`` is)."""
    kwargs = dict(spec)
    init_on_data = kwargs.pop("data_init", False)
    net = ml.mlp(X_init.shape[1], [WIDTH] * depth, 10, seed=seed, **kwargs)
    if init_on_data:
        data_init(net, X_init)         # Salimans & Kingma's, section 3: g, b from the batch
    return net


def train(data: Data, spec: dict, batch: int, examples: int, seed: int, depth: int = DEPTH,
          stats: bool = False) -> Run:
    """Adam at :func:`rate` ``(batch)`` over ``examples // N_TRAIN`` epochs of batches of ``batch``; seed ``seed``
    draws the weights and the batch order, so every arm on one seed starts from one weight draw and
    sees the same examples in the same order (batch sizes aside)."""
    net = build(spec, seed, data.X[:INIT_BATCH], depth)
    steps = StepLosses()
    trainer = Trainer(net, ml.optim.Adam(lr=rate(batch)), batch_size=batch, epochs=examples // N_TRAIN, seed=seed,
                      callbacks=[steps])
    run = Run(losses=steps.losses)
    updates = (examples // N_TRAIN) * (N_TRAIN // batch)
    try:
        trainer.fit(data.X, data.y)
        run.final = accuracy(net, data.X_test, data.y_test)
        run.train_accuracy = accuracy(net, data.X, data.y)
    except TrainingDiverged as err:
        run.diverged_at = err.step
    losses = np.asarray(run.losses[:updates], dtype=np.float64)
    if run.diverged_at is not None or not np.isfinite(losses).all() or not math.isfinite(run.final):
        first_bad = np.flatnonzero(~np.isfinite(losses))
        cut = int(first_bad[0]) if first_bad.size else min(len(losses), run.diverged_at or len(losses))
        run.losses = losses[:cut].tolist() + [CHANCE_LOSS] * (updates - cut)
        run.final = run.train_accuracy = CHANCE
        run.diverged_at = cut if run.diverged_at is None else run.diverged_at
    else:
        run.losses = losses.tolist()
        if stats:
            run.stats = activation_stats(net, data.X[:PROBE])     # the images init_stats measures
    return run


def activation_stats(net: ml.Sequential, probe: np.ndarray) -> np.ndarray:
    """Per hidden layer of an unnormalised net, shape ``(layers, 3)``: the mean over its units of
    ``mu_u`` and of ``var_u`` (unit u's activation mean and variance over ``probe``, test mode), and

        d = mean_u sqrt(mu_u^2 + (var_u - 1)^2),

    the distance from Klambauer et al.'s fixed point (0, 1).  The activation layers are the
    parameter-free ones (an unnormalised ``ml.mlp`` without dropout has no others)."""
    rows = []
    out = net.check_input(probe)
    for layer in net.layers:
        out = layer.forward(out, False)
        if not layer.params:
            a = B.to_numpy(out).astype(np.float64)
            mu, var = a.mean(axis=0), a.var(axis=0)
            rows.append((mu.mean(), var.mean(), np.sqrt(mu ** 2 + (var - 1) ** 2).mean()))
    return np.asarray(rows)


def init_stats(data: Data, spec: dict, seed: int, probe: int) -> np.ndarray:
    """:func:`activation_stats` of the arm's 20-layer net as initialised by seed ``seed``, on the first
    ``probe`` training images."""
    return activation_stats(build(spec, seed, data.X[:INIT_BATCH]), data.X[:probe])


def early_loss(losses: list[float], share: int) -> float:
    """The mean minibatch training loss over the first ``1/share`` of a run's updates (lower is faster:
    the area under the early training curve, which does not hang on one noisy minibatch)."""
    k = max(1, len(losses) // share)
    return float(np.mean(losses[:k]))


def ratio_to_fixed_point(stats: np.ndarray) -> float:
    """``d_last / d_first``: below 1 when the last hidden layer is nearer (0, 1) than the first."""
    return float(stats[-1, 2] / stats[0, 2])
