"""Moving arrays, gathering rows, masks and the loss: part of :class:`mlplab.ops.Ops`, written against
the array API standard."""

from __future__ import annotations

from types import ModuleType
from typing import Any

import numpy as np


class ArrayOps:
    """Moving arrays, gathering rows, masks and the loss."""

    xp: ModuleType
    device: Any

    def asarray(self, array: Any) -> Any:
        """Host data (a NumPy array) as this backend's array, on its device."""
        if self.device is None:
            return self.xp.asarray(array)
        return self.xp.asarray(array, device=self.device)

    def take_rows(self, X: Any, index: np.ndarray) -> Any:
        """The rows ``X[index]`` (a mini-batch), for a host integer ``index``."""
        return self.xp.take(X, self.asarray(index), axis=0)

    def as_mask(self, condition: Any, like: Any) -> Any:
        """A boolean array as 0/1 in ``like``'s dtype (the standard multiplies no bools by floats)."""
        return self.xp.astype(condition, like.dtype)

    def sum_squares(self, a: Any) -> float:
        """``sum a^2`` as a Python float."""
        return float(self.xp.sum(a * a))

    def one_hot(self, labels: Any, classes: int, dtype: Any) -> Any:
        """Rows of the identity: ``one_hot[i, labels_i] = 1``."""
        xp = self.xp
        columns = xp.arange(classes) if self.device is None else xp.arange(classes, device=self.device)
        return xp.astype(xp.reshape(labels, (-1, 1)) == columns, dtype)

    def softmax_cross_entropy(self, log_p: Any, labels: Any) -> tuple[float, Any]:
        """From ``log p = log_softmax(s)``: the mean of ``-log p_y`` and its gradient ``(p - onehot(y)) / n``."""
        xp = self.xp
        n, classes = log_p.shape
        picked = xp.take_along_axis(log_p, xp.reshape(labels, (-1, 1)), axis=1)    # log p_y: the label's entry only
        onehot = self.one_hot(labels, classes, log_p.dtype)
        return -float(xp.mean(picked)), (xp.exp(log_p) - onehot) / n
