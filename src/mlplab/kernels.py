"""Fused element-wise kernels for the optimizer updates, compiled by Numba when it is installed.

NumPy runs ``v = m v + g; p -= lr v`` as four passes over memory, each with its own
temporary; for a 1.4-million-weight network that was ~20% of an epoch.  A compiled loop
does each update in one pass.  The loops are serial on purpose: a second thread pool
(Numba's) beside OpenBLAS's made every matrix product several times slower here.

Each kernel is the same equation as the NumPy code in :mod:`mlplab.optim` (which stays the
reference and the fallback: CuPy arrays, non-contiguous arrays, no Numba, or ``ENABLED =
False``); the tests check both against ``torch.optim``.
"""

from __future__ import annotations

import importlib.util
import math
from typing import Any

import numpy as np

ENABLED = importlib.util.find_spec("numba") is not None
"""Set to False to run the plain NumPy updates (for comparison)."""

_compiled: dict[str, Any] = {}


def usable(*arrays: Any) -> bool:
    """True when the fused kernels can run on these arrays (NumPy, C-contiguous, one float dtype)."""
    return ENABLED and all(isinstance(a, np.ndarray) and a.flags.c_contiguous and a.dtype == arrays[0].dtype
                           for a in arrays)


def _kernel(name: str) -> Any:
    """Compile (once, cached on disk by Numba) on first use: importing Numba costs ~100 MiB."""
    if name not in _compiled:
        from numba import njit
        _compiled[name] = njit(cache=True, nogil=True)(_LOOPS[name])
    return _compiled[name]


def _sgd_loop(p, g, v, lr, weight_decay, momentum, dampening, nesterov, first):  # pragma: no cover - compiled
    for i in range(p.size):
        gi = g[i] + weight_decay * p[i]
        if momentum != 0:
            vi = gi if first else momentum * v[i] + (1 - dampening) * gi
            v[i] = vi
            gi = gi + momentum * vi if nesterov else vi
        p[i] -= lr * gi


def _adam_loop(p, g, m, v, step_size, beta1, beta2, eps, sqrt_bc2, weight_decay, decay_factor):  # pragma: no cover
    for i in range(p.size):
        gi = g[i] + weight_decay * p[i]
        pi = p[i] * decay_factor
        mi = beta1 * m[i] + (1 - beta1) * gi
        vi = beta2 * v[i] + (1 - beta2) * gi * gi
        m[i] = mi
        v[i] = vi
        p[i] = pi - step_size * mi / (math.sqrt(vi) / sqrt_bc2 + eps)


_LOOPS = {"sgd": _sgd_loop, "adam": _adam_loop}


def sgd(p: np.ndarray, g: np.ndarray, v: np.ndarray, *, lr: float, weight_decay: float, momentum: float,
        dampening: float, nesterov: bool, first: bool) -> None:
    """One SGD step on ``p`` in place (``v``: the momentum buffer, unused when momentum is 0)."""
    t = p.dtype.type
    _kernel("sgd")(p.reshape(-1), g.reshape(-1), v.reshape(-1), t(lr), t(weight_decay), t(momentum), t(dampening),
         bool(nesterov), bool(first))


def adam(p: np.ndarray, g: np.ndarray, m: np.ndarray, v: np.ndarray, *, lr: float, beta1: float, beta2: float,
         eps: float, step: int, weight_decay: float, decoupled_weight_decay: float) -> None:
    """One Adam/AdamW step on ``p`` in place, PyTorch's arrangement of the bias corrections."""
    t = p.dtype.type
    _kernel("adam")(p.reshape(-1), g.reshape(-1), m.reshape(-1), v.reshape(-1), t(lr / (1.0 - beta1 ** step)), t(beta1),
          t(beta2), t(eps), t(math.sqrt(1.0 - beta2 ** step)), t(weight_decay), t(1.0 - lr * decoupled_weight_decay))
