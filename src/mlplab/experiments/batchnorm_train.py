"""Training runs and per-run statistics of the batch norm experiment (see :mod:`.batchnorm`).

One run trains ``ml.mlp`` with plain SGD, batches of 60, for an exact number of updates, and
records the test (and training) accuracy at chosen updates and, when asked, the 15/50/85th
percentiles of every unit's input to the last sigmoid (Ioffe & Szegedy's Figure 1b-c), measured on
a fixed probe batch normalised by its own batch statistics (as :func:`mlplab.diagnostics.probe`).  A run that diverges (NaN or
infinite loss, :class:`~mlplab.train.TrainingDiverged`) counts as a chance-level classifier from
the update where it diverged on: the same rule for both nets.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Sequence

import numpy as np

import mlplab as ml
from mlplab.layers import Sigmoid, Tanh
from mlplab.train import Callback, Trainer, TrainingDiverged, accuracy

BATCH = 60                  # Ioffe & Szegedy's mini-batch (their Section 4.1)
CHANCE = 0.1                # what a diverged run counts as: a 10-class guess


@dataclass
class Data:
    """A training set, a test set, and the probe rows whose hidden inputs Figure 1b-c follows."""

    X: np.ndarray
    y: np.ndarray
    X_test: np.ndarray
    y_test: np.ndarray
    probe: np.ndarray


@dataclass
class Net:
    """An architecture and its initialisation (``ml.mlp`` arguments)."""

    hidden: tuple[int, ...]
    activation: str
    init: str


@dataclass
class Run:
    """What one training run left: test and training accuracy at ``steps``, the final ones, and the
    percentiles ``(checkpoints, 3, units)`` of the last squashing layer's inputs at ``percentile_steps``."""

    steps: list[int] = field(default_factory=list)
    accuracy: list[float] = field(default_factory=list)
    train_curve: list[float] = field(default_factory=list)     # training accuracy at ``steps``
    percentile_steps: list[int] = field(default_factory=list)
    percentiles: list[np.ndarray] = field(default_factory=list)
    final: float = math.nan
    train_accuracy: float = math.nan        # on the training set at the end (1 = memorised)
    diverged_at: int | None = None


class _Enough(Exception):
    """Raised by :class:`_Watch` once the run has made its updates (epochs are not whole here)."""


class _Watch(Callback):
    def __init__(self, data: Data, run: Run, updates: int, steps: Sequence[int], percentile_steps: Sequence[int]):
        self.data, self.run, self.updates = data, run, updates
        self.steps, self.percentile_steps = set(steps), set(percentile_steps)

    def on_batch_end(self, trainer: Trainer, step: int, loss: float) -> None:
        net = trainer.net
        if step in self.steps:
            self.run.steps.append(step)
            self.run.accuracy.append(accuracy(net, self.data.X_test, self.data.y_test))
            self.run.train_curve.append(accuracy(net, self.data.X, self.data.y))
        if step in self.percentile_steps:
            self.run.percentile_steps.append(step)
            self.run.percentiles.append(unit_percentiles(net, self.data.probe))
        if step >= self.updates:
            raise _Enough


def last_squashing_layer(net: ml.Sequential) -> int:
    """The index of the last sigmoid/tanh layer (its input is what Figure 1b-c follows)."""
    return max(i for i, layer in enumerate(net.layers) if isinstance(layer, (Sigmoid, Tanh)))


def unit_percentiles(net: ml.Sequential, probe: np.ndarray) -> np.ndarray:
    """The 15th, 50th and 85th percentile over ``probe`` of each unit's input to the last squashing
    layer, shape ``(3, units)``.

    Train mode: batch norm normalises the probe by the probe's own batch statistics, so a BN net
    whose weights do not move gives the same percentiles at every checkpoint (test mode would use
    running statistics, which move on their own with momentum 0.1 and batches of 60 and give the
    BN net a drift floor the plain net lacks).  The running statistics are restored afterwards
    (as :func:`mlplab.diagnostics.probe` does): measuring changes nothing."""
    saved = {name: buffer.copy() for name, buffer in net.buffers.items()}
    try:
        inputs = np.asarray(net.forward_until(probe, last_squashing_layer(net), train=True), dtype=np.float64)
    finally:
        for name, value in saved.items():
            net.buffers[name][...] = value
    return np.percentile(inputs, [15, 50, 85], axis=0)


def train(data: Data, net_spec: Net, batchnorm: bool, lr: float, updates: int, seed: int,
          steps: Sequence[int] = (), percentile_steps: Sequence[int] = ()) -> Run:
    """``updates`` plain-SGD updates of batches of 60; seed ``seed`` draws both the weights and the
    batch order, so a net with and one without batch norm on one seed start from the same weights."""
    net = ml.mlp(data.X.shape[1], list(net_spec.hidden), 10, activation=net_spec.activation, init=net_spec.init,
                 batchnorm=batchnorm, seed=seed)
    run = Run()
    if 0 in percentile_steps:
        run.percentile_steps.append(0)
        run.percentiles.append(unit_percentiles(net, data.probe))
    epochs = -(-updates // (data.X.shape[0] // BATCH)) + 1
    trainer = Trainer(net, ml.optim.SGD(lr=lr), batch_size=BATCH, epochs=epochs, seed=seed,
                      callbacks=[_Watch(data, run, updates, steps, percentile_steps)])
    try:
        trainer.fit(data.X, data.y)
    except _Enough:
        run.final = accuracy(net, data.X_test, data.y_test)
        run.train_accuracy = accuracy(net, data.X, data.y)
    except TrainingDiverged as err:
        run.diverged_at = err.step
        run.final = run.train_accuracy = CHANCE
        run.accuracy += [CHANCE for s in sorted(steps) if s >= err.step]
        run.train_curve += [CHANCE for s in sorted(steps) if s >= err.step]
        run.steps += [s for s in sorted(steps) if s >= err.step]
    if not math.isfinite(run.final):               # a loss can stay finite while the outputs saturate to NaN
        run.final = CHANCE
    return run


# -- statistics of one run ---------------------------------------------------------------------
def updates_to_reach(steps: Sequence[int], accuracies: Sequence[float], target: float, budget: int) -> float:
    """The first recorded update at which test accuracy is >= ``target``; ``budget`` if never
    (a censored value: it understates how slow a net that never got there was)."""
    for step, acc in zip(steps, accuracies):
        if acc >= target:
            return float(step)
    return float(budget)


def unit_drifts(steps: Sequence[int], percentiles: Sequence[np.ndarray], start: int,
                end: float = math.inf) -> np.ndarray:
    """How far each unit's median input moves between updates ``start`` and ``end``, relative to
    its spread::

        drift_u = (max_t m_u(t) - min_t m_u(t)) / mean_t (p85_u(t) - p15_u(t)),   start <= t <= end

    (``m_u`` the median, ``p15``/``p85`` the percentiles of unit u's input over the probe).  0 for a
    distribution that stays put; scale-free, so a unit whose inputs merely grow does not count."""
    t = np.asarray(steps)
    keep = (t >= start) & (t <= end)
    p = np.asarray(percentiles)[keep]                       # (t, 3, units)
    spread = np.maximum((p[:, 2] - p[:, 0]).mean(axis=0), 1e-12)
    return (p[:, 1].max(axis=0) - p[:, 1].min(axis=0)) / spread


def typical_unit(drifts: np.ndarray) -> int:
    """The unit of median drift (the upper median for an even count): half the layer drifts less."""
    return int(np.argsort(drifts, kind="stable")[len(drifts) // 2])


def largest_good_rate(rates: Sequence[float], reached: Sequence[bool]) -> float:
    """The largest rate of the increasing grid ``rates`` up to which every rate reached the target
    (the top of the working range before the first failure); half the lowest rate if that failed.
    ``reached`` may be shorter than ``rates`` (a sweep stops at its first failure); when no rate
    failed the value is the last rate tried, a lower bound."""
    good = rates[0] / 2
    for rate, ok in zip(rates, reached):
        if not ok:
            break
        good = rate
    return float(good)
