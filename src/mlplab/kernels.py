"""Fused element-wise kernels: optimizer updates, batch norm, ReLU (C, in ``_fused.c``).

NumPy runs ``v = m v + g; p -= lr v`` as four passes over memory, each with its own
temporary; for a 1.4-million-weight network that was ~20% of an epoch.  A compiled loop
does each update in one pass.  The loops are serial on purpose: a second thread pool beside
OpenBLAS's made every matrix product several times slower here.  (Numba did the same job
as fast, but importing it cost ~150 MiB of resident memory; the C loops cost nothing.)

Each kernel is the same equation as the NumPy code in :mod:`mlplab.optim`, which stays the
reference and the fallback: CuPy arrays, non-contiguous arrays, the extension not built,
or ``ENABLED = False``.  The tests check both against ``torch.optim``.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

try:
    from mlplab import _fused
except ImportError:  # pragma: no cover - the extension is optional (no compiler at install time)
    _fused = None

ENABLED = _fused is not None
"""Set to False to run the plain NumPy updates (for comparison)."""


def usable(*arrays: Any) -> bool:
    """True when the fused kernels can run on these arrays (NumPy, C-contiguous, writable, one float dtype)."""
    return ENABLED and all(isinstance(a, np.ndarray) and a.flags.c_contiguous and a.flags.writeable
                           and a.dtype == arrays[0].dtype and a.dtype.kind == "f" for a in arrays)


def sgd(p: np.ndarray, g: np.ndarray, v: np.ndarray, *, lr: float, weight_decay: float, momentum: float,
        dampening: float, nesterov: bool, first: bool) -> None:
    """One SGD step on ``p`` in place (``v``: the momentum buffer, unused when momentum is 0)."""
    _fused.sgd(p, g, v, lr, weight_decay, momentum, dampening, bool(nesterov), bool(first))


def adam(p: np.ndarray, g: np.ndarray, m: np.ndarray, v: np.ndarray, *, lr: float, beta1: float, beta2: float,
         eps: float, step: int, weight_decay: float, decoupled_weight_decay: float) -> None:
    """One Adam/AdamW step on ``p`` in place, PyTorch's arrangement of the bias corrections."""
    _fused.adam(p, g, m, v, lr / (1.0 - beta1 ** step), beta1, beta2, eps, math.sqrt(1.0 - beta2 ** step),
                weight_decay, 1.0 - lr * decoupled_weight_decay)


def relu_forward(x: np.ndarray) -> np.ndarray:
    """``max(x, 0)`` in one pass (NaN stays NaN)."""
    y = np.empty_like(x)
    _fused.relu_forward(x, y)
    return y


def relu_backward(dy: np.ndarray, y: np.ndarray) -> np.ndarray:
    """``dy * [y > 0]`` in one pass, from the forward output ``y``."""
    dx = np.empty_like(dy)
    _fused.relu_backward(dy, y, dx)
    return dx


def batchnorm_forward(x: np.ndarray, gamma: np.ndarray, beta: np.ndarray, eps: float
                      ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Training-mode batch norm in two passes over ``x``: returns ``y, s_hat, mu, var, inv_std``."""
    n, d = x.shape
    y, s_hat = np.empty_like(x), np.empty_like(x)
    mu, var, inv_std = (np.empty(d, dtype=x.dtype) for _ in range(3))
    _fused.bn_forward(x, n, gamma, beta, s_hat, y, mu, var, inv_std, eps)
    return y, s_hat, mu, var, inv_std


def batchnorm_backward(dy: np.ndarray, s_hat: np.ndarray, gamma: np.ndarray, inv_std: np.ndarray,
                       dgamma: np.ndarray, dbeta: np.ndarray) -> np.ndarray:
    """Its backward pass in two passes over ``dy``: fills ``dgamma``, ``dbeta``; returns ``dx``."""
    dx = np.empty_like(dy)
    _fused.bn_backward(dy, dy.shape[0], s_hat, gamma, inv_std, dx, dgamma, dbeta)
    return dx
