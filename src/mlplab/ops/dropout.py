"""Dropout's and alpha dropout's masks, drawn from a host generator: part of :class:`mlplab.ops.Ops`,
written against the array API standard."""

from __future__ import annotations

import math
from types import ModuleType
from typing import Any

import numpy as np


class DropoutOps:
    """Dropout's and alpha dropout's masks, drawn from a host generator."""

    xp: ModuleType
    device: Any

    def dropout_mask(self, rng: np.random.Generator, shape: tuple[int, ...], threshold: int, scale: Any,
                     dtype: Any) -> Any:
        """``[bits >= threshold] * scale`` for 16 random bits per unit from the host generator
        ``rng`` (the same stream on every backend: a seed gives the same masks everywhere)."""
        bits = np.frombuffer(rng.bytes(2 * math.prod(shape)), dtype=np.uint16).reshape(shape)
        return self.asarray(np.where(bits >= threshold, np.asarray(scale, dtype=dtype), np.zeros((), dtype=dtype)))

    def alpha_dropout_mask(self, rng: np.random.Generator, shape: tuple[int, ...], threshold: int, a: Any,
                           dropped: Any, b: Any, dtype: Any) -> tuple[Any, Any]:
        """The affine map alpha dropout applies, ``y = x scale + shift``: ``scale = a m`` and
        ``shift = a dropped (1 - m) + b`` for the keep mask ``m`` drawn as :meth:`dropout_mask` draws it."""
        keep = self.dropout_mask(rng, shape, threshold, 1.0, dtype)
        scale = a * keep
        return scale, (a * dropped) * (1.0 - keep) + b
