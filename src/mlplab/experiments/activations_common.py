"""What both halves of the ``activations`` experiment share: the data, the rate grids, the training
loop with its budget in whole epochs, and updates-to-target."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Callable, Iterable

import numpy as np

from mlplab.experiments.base import StepLosses, load_split, steps_to
from mlplab.network import Sequential
from mlplab.train import Callback, Trainer, TrainingDiverged, accuracy, evaluate_batches

ACTIVATIONS = ("sigmoid", "tanh", "relu", "leaky_relu", "prelu", "elu", "maxout")
QUICK_ACTIVATIONS = ("sigmoid", "tanh", "relu")      # the ones the claims compare

BATCH = 100
VALIDATION = 10_000       # training images held out to choose rates
TARGET = 0.45             # training loss (running mean of WINDOW updates) that counts as converged
WINDOW = 50
CHANCE = 0.1              # the test accuracy a diverged run counts as (10 classes)
GRID_SEEDS = (100, 101)   # rate choice: seeds apart from the compared ones

ZIGZAG_ARMS = ("sigmoid", "centred sigmoid")
ZIGZAG_HIDDEN = 128
ZIGZAG_RATES = (0.3, 1.0, 3.0, 10.0)     # plain SGD: the update is -lr times the gradient
ZIGZAG_LOW_RATE = 1.0                     # below both arms' best: where pilots saw the zig-zag cost updates
ZIGZAG_GRID_SEEDS = (100, 101, 102)
ZIGZAG_BUDGET = 1000
MOST = 0.5                # "all up or all down" in most updates: a share above one half

SPEED_HIDDEN = (128, 128)
SPEED_RATES = (0.01, 0.03, 0.1, 0.3, 1.0)
MOMENTUM = 0.9            # Krizhevsky et al. 2012 trained with momentum 0.9
SPEED_BUDGET = 1000
KRIZHEVSKY_FACTOR = 6.0   # Krizhevsky et al. 2012, Figure 1: ReLU reaches 25% training error 6x sooner than tanh
SEVERAL = 2.0             # "several times faster" (Krizhevsky et al. 2012, section 3.1), read as at least 2x
SPEED_TARGETS = (0.6, 0.5, TARGET, 0.4)   # the ratio at other targets (a table, not claims)

# --quick skips the rate grids and uses the rates the full run's grids chose (docs/experiments/activations),
# with a shorter budget of whole epochs (train() refuses anything else)
QUICK_BUDGET = 600
QUICK_ZIGZAG_RATES = {"sigmoid": 3.0, "centred sigmoid": 3.0}
QUICK_SPEED_RATES = {"sigmoid": 0.3, "tanh": 0.03, "relu": 0.03}


@dataclass
class Data:
    X: np.ndarray
    y: np.ndarray
    Xv: np.ndarray
    yv: np.ndarray
    Xt: np.ndarray
    yt: np.ndarray


def fashion() -> Data:
    """Fashion-MNIST in [0, 1], centred on the training images' mean; VALIDATION images held out
    (a fixed draw) and the whole 10,000-image test set."""
    X, y, Xt, yt = load_split("fashion-mnist")
    order = np.random.default_rng(0).permutation(y.size)
    val, train = order[:VALIDATION], np.sort(order[VALIDATION:])
    mean = X[train].mean(axis=0)
    return Data(X[train] - mean, y[train], X[val] - mean, y[val], Xt - mean, yt)


@dataclass
class Run:
    """One training run: the loss of every update, and how it ended."""

    losses: list[float]
    diverged: bool
    test_accuracy: float
    val_loss: float

    def updates(self, budget: int) -> float:
        return updates_to_target(self.losses, budget)


def updates_to_target(losses: list[float], budget: int, target: float = TARGET, window: int = WINDOW) -> float:
    """The first update after which the mean of the last ``window`` training losses is <= ``target``;
    a run that never gets there within ``budget`` updates (or diverged first) counts as ``budget + 1``."""
    hit = steps_to(losses, target, window) if len(losses) >= window else math.nan
    return float(budget + 1) if math.isnan(hit) or hit > budget else hit


def epochs_and_images(updates: int, n: int) -> tuple[int, int]:
    """The fewest whole epochs of ``updates`` mini-batch updates on the first images of ``n``, and how
    many images that is (``updates / epochs`` batches)."""
    epochs = math.ceil(updates * BATCH / n)
    if updates % epochs:
        raise ValueError(f"{updates} updates do not split into {epochs} whole epochs")
    return epochs, updates // epochs * BATCH


def quick_images(n: int = 60_000 - VALIDATION) -> int:
    return epochs_and_images(QUICK_BUDGET, n)[1]


def train(net: Sequential, optimizer: Any, data: Data, updates: int, seed: int, callbacks: Iterable[Callback] = (),
          validate: bool = False, test: bool = True) -> Run:
    """Exactly ``updates`` mini-batch updates on the first images of the training split (whole epochs
    of ``updates / epochs`` batches).  A diverged run counts as chance accuracy and infinite
    validation loss."""
    epochs, n = epochs_and_images(updates, data.y.size)
    losses = StepLosses()
    try:
        Trainer(net, optimizer, batch_size=BATCH, epochs=epochs, seed=seed,
                callbacks=[losses, *callbacks]).fit(data.X[:n], data.y[:n])
    except TrainingDiverged:
        return Run(losses.losses, True, CHANCE, math.inf)
    val_loss = evaluate_batches(net, data.Xv, data.yv)[0] if validate else math.nan
    return Run(losses.losses, False, accuracy(net, data.Xt, data.yt) if test else math.nan, val_loss)


def choose_rate(make: Callable[[float, int], float], rates: Iterable[float], seeds: Iterable[int] = GRID_SEEDS
                ) -> tuple[float, dict[float, float]]:
    """The rate of lowest mean score over ``seeds`` (ties: the smaller rate), and every rate's mean.
    ``make(rate, seed)`` trains one grid run and returns its score (lower is better; a diverged run
    must score worst: infinite validation loss, or the budget + 1 updates)."""
    seeds = tuple(seeds)
    scores = {rate: float(np.mean([make(rate, seed) for seed in seeds])) for rate in rates}
    return min(scores, key=lambda r: (scores[r], r)), scores


class _Reached(Exception):
    """Raised by :class:`StopAtTarget` to end a grid run once its count is known."""


class StopAtTarget(Callback):
    """Ends training (by raising :class:`_Reached`) once the running mean of the last ``window``
    losses is <= ``target``: a grid run only needs its updates to the target, not the rest."""

    def __init__(self, target: float = TARGET, window: int = WINDOW) -> None:
        self.target, self.window, self.losses = target, window, []

    def on_batch_end(self, trainer: Any, step: int, loss: float) -> None:
        self.losses.append(loss)
        if len(self.losses) >= self.window and np.mean(self.losses[-self.window:]) <= self.target:
            raise _Reached


def updates_until(net: Sequential, optimizer: Any, data: Data, budget: int, seed: int) -> float:
    """Updates to the target (the budget + 1 if never, or if the run diverged), stopping at it."""
    stop = StopAtTarget()
    try:
        train(net, optimizer, data, budget, seed, [stop], test=False)
    except _Reached:
        pass
    return updates_to_target(stop.losses, budget)
