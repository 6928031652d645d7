"""Where it all began: Rosenblatt's Perceptron (1957) and Widrow and Hoff's ADALINE (1960).

DD2424 lecture 4 opens its history of neural networks with these two single-unit linear models:

- the **Perceptron** classifies with ``g(x) = +1 if w.x + b > 0 else -1`` and, for each training
  example it gets wrong, takes the step ``w <- w + lr y x``, ``b <- b + lr y`` (SGD on the
  Perceptron loss ``max(0, -y (w.x + b))``, taken only on mistakes);
- **ADALINE** fits the linear output ``y_hat = w.x + b`` to the labels by the Widrow-Hoff (LMS)
  rule ``w <- w + lr (y - y_hat) x``, ``b <- b + lr (y - y_hat)`` on every example (SGD on the
  squared error ``(y - y_hat)^2``, the factor 2 folded into ``lr``), and classifies by its sign.

Both take labels in {-1, +1} ({0, 1} is accepted and mapped, 0 -> -1; ``predict`` answers in the
labels it was fitted on), visit the training set in the seeded order
``default_rng([seed, epoch]).permutation(n)`` (the :class:`~mlplab.train.Trainer`'s), start from
``w = 0, b = 0``, and keep per-epoch ``mistakes_`` (examples misclassified when visited, before
their own step), ``loss_`` (their loss over the whole training set after the epoch) and ``path_``
(the weights ``(w, b)`` after the epoch, for watching where they go).

These are host-side teaching models: one example at a time in a Python loop over NumPy vectors,
on any backend (the array API would buy nothing for a loop of scalar steps).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Any

import numpy as np

from mlplab import backend as B
from mlplab.train.events import TrainingDiverged
from mlplab.validation import check_float_array, check_number, check_positive_int, shown


def check_binary_labels(name: str, y: Any, n: int) -> tuple[np.ndarray, bool]:
    """``y`` as float64 labels in {-1, +1} of shape ``(n,)``, and whether it came as {0, 1}.

    {0, 1} maps 0 -> -1; a label outside {-1, +1} and {0, 1}, or a mix of -1 and 0, is refused
    naming the first such value."""
    labels = np.asarray(y)
    if labels.dtype.kind not in "biuf":
        raise TypeError(f"{name} must hold the labels -1/+1 or 0/1, got dtype {labels.dtype}")
    if labels.shape != (n,):
        raise ValueError(f"{name} must have shape ({n},) to match X, got {labels.shape}")
    labels = labels.astype(np.float64)
    bad = labels[~np.isin(labels, (-1.0, 0.0, 1.0))]
    if bad.size:
        raise ValueError(f"{name} must hold the labels -1/+1 or 0/1, got {shown(bad[0])}")
    zero_one = bool((labels == 0).any())
    if zero_one and (labels == -1).any():
        raise ValueError(f"{name} must hold the labels -1/+1 or 0/1, not both: got -1 and 0")
    return (np.where(labels == 0, -1.0, labels) if zero_one else labels), zero_one


class _LinearUnit(ABC):
    """What the Perceptron and ADALINE share: arguments, input checks, the epoch loop, prediction."""

    rule = ""

    def __init__(self, lr: float, epochs: int = 100, seed: int = 0) -> None:
        self.lr = check_number("lr", lr, low=0.0, low_open=True)
        self.epochs = check_positive_int("epochs", epochs)
        if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
            raise ValueError(f"seed must be an integer >= 0, got {shown(seed)}")
        self.seed = int(seed)
        self.w: np.ndarray | None = None
        self.b = 0.0
        self.mistakes_: list[int] = []
        self.loss_: list[float] = []
        self.path_: list[np.ndarray] = []
        self.zero_one_ = False

    def _check_X(self, X: Any, fitted: bool) -> np.ndarray:
        X = B.to_numpy(check_float_array("X", X, ndim=2, dtype=np.float64))
        if not fitted and X.shape[0] < 1:
            raise ValueError(f"X must have at least one row, got shape {X.shape}")
        if fitted and X.shape[1] != self.w.shape[0]:
            raise ValueError(f"X must have {self.w.shape[0]} columns (as when fitted), got {X.shape[1]}")
        return X

    def fit(self, X: Any, y: Any) -> "_LinearUnit":
        """Run up to ``epochs`` passes of the rule over ``(X, y)`` from ``w = 0, b = 0``; returns self."""
        X = self._check_X(X, fitted=False)
        y, self.zero_one_ = check_binary_labels("y", y, X.shape[0])
        self.w, self.b = np.zeros(X.shape[1]), 0.0
        self.mistakes_, self.loss_, self.path_ = [], [], []
        for epoch in range(self.epochs):
            mistakes = 0
            with np.errstate(over="ignore", invalid="ignore"):     # a divergence is caught below, once
                for i in np.random.default_rng([self.seed, epoch]).permutation(X.shape[0]):
                    mistakes += self._step(X[i], y[i])
            self.mistakes_.append(mistakes)
            self.loss_.append(self._loss(X, y))
            self.path_.append(np.append(self.w, self.b))
            if not np.isfinite(self.loss_[-1]):
                raise TrainingDiverged(f"{type(self).__name__} diverged in epoch {epoch + 1} (training loss "
                                       f"{self.loss_[-1]}): lr={shown(self.lr)} is too large for these inputs",
                                       epoch=epoch + 1, step=epoch + 1, lr=self.lr, loss=self.loss_[-1])
            if self._done(mistakes):
                break
        return self

    @abstractmethod
    def _step(self, x: np.ndarray, y: float) -> bool:
        """One example's update; True if it was a mistake."""

    @abstractmethod
    def _loss(self, X: np.ndarray, y: np.ndarray) -> float:
        """The epoch's training loss on ``(X, y)``."""

    def _done(self, mistakes: int) -> bool:
        return False

    def decision_function(self, X: Any) -> np.ndarray:
        """The linear output ``X w + b``."""
        if self.w is None:
            raise RuntimeError(f"this {type(self).__name__} is not fitted yet: call fit(X, y) first")
        return self._check_X(X, fitted=True) @ self.w + self.b

    def predict(self, X: Any) -> np.ndarray:
        """+1 where ``w.x + b > 0``, else -1 (0 instead of -1 when fitted on {0, 1} labels)."""
        positive = self.decision_function(X) > 0
        return np.where(positive, 1, 0 if self.zero_one_ else -1)

    def score(self, X: Any, y: Any) -> float:
        """The share of ``X``'s rows whose label ``predict`` gets right."""
        X = B.to_numpy(check_float_array("X", X, ndim=2, dtype=np.float64))
        labels, _ = check_binary_labels("y", y, X.shape[0])
        return float(np.mean(np.where(self.decision_function(X) > 0, 1.0, -1.0) == labels))

    def __repr__(self) -> str:
        return f"{type(self).__name__}(lr={self.lr:g}, epochs={self.epochs}, seed={self.seed})"


class Perceptron(_LinearUnit):
    """Rosenblatt's Perceptron (DD2424 lecture 4): on a mistake, ``y (w.x + b) <= 0``,

        w <- w + lr y x        b <- b + lr y

    and nothing otherwise.  A point on the line counts as a mistake (from ``w = 0`` every point is
    one), so an epoch without mistakes leaves every training point strictly on its side, and
    training stops there (``converged_``).  ``loss_`` is the mean Perceptron loss
    ``max(0, -y (w.x + b))`` after each epoch; ``updates_`` the number of steps taken.  Novikoff's
    theorem: on data separable with margin ``gamma`` by a unit vector, in inputs ``(x, 1)`` of norm
    at most ``R``, the updates number at most ``(R / gamma)^2``, whatever ``lr``."""

    def __init__(self, lr: float = 1.0, epochs: int = 100, seed: int = 0) -> None:
        super().__init__(lr, epochs, seed)

    def _step(self, x: np.ndarray, y: float) -> bool:
        if y * (x @ self.w + self.b) > 0:
            return False
        self.w += self.lr * y * x
        self.b += self.lr * y
        return True

    def _loss(self, X: np.ndarray, y: np.ndarray) -> float:
        return float(np.mean(np.maximum(0.0, -y * (X @ self.w + self.b))))

    def _done(self, mistakes: int) -> bool:
        return mistakes == 0

    @property
    def converged_(self) -> bool:
        """Whether an epoch went by without a mistake (the training set is separated)."""
        return bool(self.mistakes_) and self.mistakes_[-1] == 0

    @property
    def updates_(self) -> int:
        """The steps taken: one per mistake."""
        return int(sum(self.mistakes_))


class Adaline(_LinearUnit):
    """Widrow and Hoff's ADALINE (DD2424 lecture 4): on every example, with ``y_hat = w.x + b``,

        w <- w + lr (y - y_hat) x        b <- b + lr (y - y_hat)

    the LMS rule, SGD on ``(y - y_hat)^2`` (its factor 2 folded into ``lr``).  It heads for the
    least-squares fit of the labels by a linear function, and at a constant rate hovers within
    O(lr) of it.  ``loss_`` is the mean squared error ``(y - y_hat)^2`` over the training set after
    each epoch; ``mistakes_`` counts the examples whose sign was wrong when visited.  A rate too
    large for the inputs (above ~2 / the largest eigenvalue of E[x x^T]) diverges: TrainingDiverged."""

    def __init__(self, lr: float = 0.01, epochs: int = 100, seed: int = 0) -> None:
        super().__init__(lr, epochs, seed)

    def _step(self, x: np.ndarray, y: float) -> bool:
        error = y - (x @ self.w + self.b)
        self.w += self.lr * error * x
        self.b += self.lr * error
        return bool((y - error > 0) != (y > 0))           # wrong by predict's rule (0 counts as -1)

    def _loss(self, X: np.ndarray, y: np.ndarray) -> float:
        with np.errstate(over="ignore", invalid="ignore"):
            return float(np.mean((y - (X @ self.w + self.b)) ** 2))


__all__ = ["Perceptron", "Adaline", "check_binary_labels"]
