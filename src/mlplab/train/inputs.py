"""The training data checked once, at the edge, so the loop's batches need no check of their own."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from mlplab import backend as B
from mlplab.network import Sequential
from mlplab.validation import check_float_array, check_labels

Split = tuple[np.ndarray, np.ndarray]


def n_outputs(net: Sequential) -> int:
    """The width of the network's last affine layer: the number of classes."""
    return int(next(layer for layer in reversed(net.layers) if layer.affine).out_features)


def prepare_split(name: str, split: Split | None, net: Sequential, transform: Callable[[Any], Any] | None,
                  classifies: bool) -> Split | None:
    """``(X, y)`` validated for ``net`` (``name`` in messages) and moved to the backend: ``X`` converted
    once unless each batch is ``transform``-ed on the fly; integer labels, or float targets when the
    loss does not ``classify``."""
    if split is None:
        return None
    X, y = split
    if transform is None:                       # one conversion (and finite check), never one per epoch
        X = check_float_array(f"{name} X", X, dtype=net.dtype)
        X = np.ascontiguousarray(X) if B.is_host(X) else X
    if X.ndim != 2 or X.shape[0] == 0:
        raise ValueError(f"{name} X must be a non-empty 2-D array, got shape {X.shape}")
    # validated once here, so batches skip the check; untransformed X is checked already but for its width
    for start in range(0, X.shape[0] if transform is not None else 1, 10000):
        rows = X[start:min(start + 10000, X.shape[0]), ...]
        try:
            net.check_input(rows if transform is None else transform(rows))
        except ValueError as err:
            raise ValueError(f"{name} X rows from {start}: {err}") from None
    if not classifies:           # regression / reconstruction: float targets, one row per example
        y = check_float_array(f"{name} targets", y, dtype=net.dtype)
        if y.shape[0] != X.shape[0]:
            raise ValueError(f"{name} targets must have {X.shape[0]} rows to match X, got shape {y.shape}")
        return _on_backend(X, transform), B.asarray(y)
    y = np.asarray(B.to_numpy(y))
    if y.ndim != 1 or y.shape[0] != X.shape[0]:
        raise ValueError(f"{name} labels must have shape ({X.shape[0]},) to match X, got shape {y.shape}")
    check_labels(f"{name} labels", y, X.shape[0], n_outputs(net))
    return _on_backend(X, transform), B.asarray(y)


def _on_backend(X: Any, transform: Callable[[Any], Any] | None) -> Any:
    """``X`` where the loop reads its batches: on the backend's device, or, when each batch is
    ``transform``-ed (raw uint8 images, say), on the host, where the transform runs before the
    batch moves (as a PyTorch DataLoader prepares batches on the CPU)."""
    return X if transform is not None else B.asarray(X)
