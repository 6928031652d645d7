"""Test-mode evaluation in batches: the loss and accuracy the loop reports for a split."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from mlplab import backend as B
from mlplab.losses import LOSSES
from mlplab.network import Sequential
from mlplab.train.update import correct


def evaluate_batches(net: Sequential, X: Any, y: Any, loss_fn: Callable = LOSSES["softmax_cross_entropy"],
                     batch_size: int = 2000, transform: Callable[[Any], Any] | None = None) -> tuple[float, float]:
    """Mean loss and accuracy of ``net`` in test mode over already-validated data, in batches
    (each batch passed through ``transform`` first, when given)."""
    total_loss, hits, n = 0.0, 0, X.shape[0]
    for start in range(0, n, batch_size):
        stop = min(start + batch_size, n)
        xb, yb = X[start:stop, ...], y[start:stop, ...]
        out = net.forward(xb if transform is None else B.asarray(transform(xb)), train=False, check=False)
        loss, _ = loss_fn(out, yb)
        total_loss += loss * xb.shape[0]
        if yb.ndim == 1:                 # class labels (float targets have no accuracy)
            hits += correct(out, yb)
    return total_loss / n, hits / n if y.ndim == 1 else math.nan


def accuracy(net: Sequential, X: Any, y: Sequence[int] | np.ndarray, batch_size: int = 2000) -> float:
    """Fraction of rows of ``X`` whose most probable class is ``y``."""
    return float((B.to_numpy(net.predict(X, batch_size)) == np.asarray(y)).mean())
