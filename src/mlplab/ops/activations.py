"""The non-linearities: forward, and backward from what forward kept: part of :class:`mlplab.ops.Ops`,
written against the array API standard."""

from __future__ import annotations

from types import ModuleType
from typing import Any


class ActivationOps:
    """The non-linearities: forward, and backward from what forward kept."""

    xp: ModuleType
    device: Any

    def sigmoid(self, x: Any) -> Any:
        """``1 / (1 + exp(-x))`` without overflow: with ``e = exp(-|x|) <= 1``,
        ``sigma(x) = 1 / (1 + e)`` for ``x >= 0`` and ``e / (1 + e)`` for ``x < 0``."""
        xp = self.xp
        e = xp.exp(-xp.abs(x))
        return xp.where(x >= 0, xp.ones_like(e), e) / (1.0 + e)

    def backprop_sigmoid(self, dy: Any, y: Any) -> Any:
        return dy * y * (1.0 - y)

    def tanh(self, x: Any) -> Any:
        return self.xp.tanh(x)

    def backprop_tanh(self, dy: Any, y: Any) -> Any:
        return dy * (1.0 - y * y)

    def relu(self, x: Any) -> Any:
        """``max(x, 0)``, NaN kept (a diverged batch must still show as NaN at the output), -inf to 0."""
        return self.xp.where(x <= 0, self.xp.zeros_like(x), x)

    def backprop_relu(self, dy: Any, y: Any) -> Any:
        """``dy [y > 0]`` from the forward output (``y > 0`` exactly where the input was)."""
        return self.xp.where(y > 0, dy, self.xp.zeros_like(dy))

    def leaky_relu(self, x: Any, alpha: Any) -> tuple[Any, Any]:
        """``x`` where positive, ``alpha x`` elsewhere; also returns the mask ``x > 0``."""
        positive = x > 0
        return self.xp.where(positive, x, alpha * x), positive

    def backprop_leaky_relu(self, dy: Any, positive: Any, alpha: Any) -> Any:
        return self.xp.where(positive, dy, alpha * dy)

    def elu(self, x: Any, alpha: float) -> tuple[Any, Any]:
        """``x`` where positive, ``alpha (exp(x) - 1)`` elsewhere (``expm1`` of ``min(x, 0)``: no overflow)."""
        xp = self.xp
        positive = x > 0
        return xp.where(positive, x, alpha * xp.expm1(xp.where(positive, xp.zeros_like(x), x))), positive

    def backprop_elu(self, dy: Any, y: Any, positive: Any, alpha: float) -> Any:
        return self.xp.where(positive, dy, dy * (y + alpha))

    def selu(self, x: Any, scale: float, alpha: float) -> tuple[Any, Any]:
        """``scale x`` where positive, ``scale alpha (exp(x) - 1)`` elsewhere; also the mask ``x > 0``."""
        y, positive = self.elu(x, alpha)
        return scale * y, positive

    def backprop_selu(self, dy: Any, y: Any, positive: Any, scale: float, alpha: float) -> Any:
        """``dy scale`` where positive, ``dy (y + scale alpha)`` elsewhere (from the output ``y``)."""
        return self.xp.where(positive, scale * dy, dy * (y + scale * alpha))
