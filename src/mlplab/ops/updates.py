"""The optimizer updates, in place on ``p`` (torch.optim's algorithms): part of
:class:`mlplab.ops.Ops`, written against the array API standard."""

from __future__ import annotations

import math
from types import ModuleType
from typing import Any


class UpdateOps:
    """The optimizer updates, in place on ``p`` (torch.optim's algorithms)."""

    xp: ModuleType
    device: Any

    def sgd(self, p: Any, g: Any, state: dict[str, Any], *, lr: float, weight_decay: float, momentum: float,
            dampening: float, nesterov: bool) -> None:
        """``v <- momentum v + (1 - dampening) g`` (``v = g`` on the first step), then
        ``p <- p - lr (g + momentum v)`` with Nesterov or ``p <- p - lr v``; ``g`` includes ``wd p``."""
        if weight_decay:
            g = g + weight_decay * p
        if momentum:
            v = state.get("velocity")
            if v is None:
                v = state["velocity"] = self.xp.asarray(g, copy=True)
            else:
                v *= momentum
                v += (1.0 - dampening) * g
            g = g + momentum * v if nesterov else v
        p -= lr * g

    def adagrad(self, p: Any, g: Any, state: dict[str, Any], *, lr: float, eps: float,
                initial_accumulator_value: float, weight_decay: float) -> None:
        """``G <- G + g^2``, ``p <- p - lr g / (sqrt(G) + eps)``."""
        if weight_decay:
            g = g + weight_decay * p
        if "sum_sq" not in state:
            state["sum_sq"] = self.xp.full_like(p, initial_accumulator_value)
        G = state["sum_sq"]
        G += g * g
        p -= lr * g / (self.xp.sqrt(G) + eps)

    def rmsprop(self, p: Any, g: Any, state: dict[str, Any], *, lr: float, alpha: float, eps: float,
                momentum: float, weight_decay: float) -> None:
        """``r <- alpha r + (1 - alpha) g^2``, step ``g / (sqrt(r) + eps)`` (through a velocity with momentum)."""
        if weight_decay:
            g = g + weight_decay * p
        if "mean_sq" not in state:
            state["mean_sq"] = self.xp.zeros_like(p)
        r = state["mean_sq"]
        r *= alpha
        r += (1.0 - alpha) * g * g
        step = g / (self.xp.sqrt(r) + eps)
        if momentum:
            if "velocity" not in state:
                state["velocity"] = self.xp.zeros_like(p)
            v = state["velocity"]
            v *= momentum
            v += step
            step = v
        p -= lr * step

    def adam(self, p: Any, g: Any, state: dict[str, Any], *, lr: float, beta1: float, beta2: float, eps: float,
             step: int, weight_decay: float, decoupled_weight_decay: float, amsgrad: bool = False) -> None:
        """``m <- b1 m + (1-b1) g``, ``v <- b2 v + (1-b2) g^2``,
        ``p <- p - lr/(1-b1^t) m / (sqrt(v)/sqrt(1-b2^t) + eps)`` (PyTorch's arrangement);
        AdamW first shrinks ``p <- p (1 - lr wd)``.  ``amsgrad``: :meth:`amsgrad_moment` stands for ``v``."""
        xp = self.xp
        if weight_decay:
            g = g + weight_decay * p
        if decoupled_weight_decay:
            p *= 1.0 - lr * decoupled_weight_decay
        m, v = self.adam_moments(g, state, beta1, beta2)
        if amsgrad:
            v = self.amsgrad_moment(v, state)
        denom = xp.sqrt(v) / math.sqrt(1.0 - beta2 ** step) + eps
        p -= (lr / (1.0 - beta1 ** step)) * m / denom

    def adam_moments(self, g: Any, state: dict[str, Any], beta1: float, beta2: float) -> tuple[Any, Any]:
        """Adam's and NAdam's running moments, in place in ``state``: ``m <- b1 m + (1-b1) g``,
        ``v <- b2 v + (1-b2) g^2`` (both start at 0)."""
        if "m" not in state:
            state["m"], state["v"] = self.xp.zeros_like(g), self.xp.zeros_like(g)
        m, v = state["m"], state["v"]
        m *= beta1
        m += (1.0 - beta1) * g
        v *= beta2
        v += (1.0 - beta2) * g * g
        return m, v

    def amsgrad_moment(self, v: Any, state: dict[str, Any]) -> Any:
        """Reddi et al. 2018: ``v_max <- max(v_max, v)`` (``v_max`` starts at 0, as PyTorch's does),
        kept in ``state["v_max"]`` and returned for Adam to divide by in place of ``v``."""
        v_max = state.get("v_max")
        if v_max is None:
            v_max = self.xp.zeros_like(v)
        state["v_max"] = v_max = self.xp.maximum(v_max, v)
        return v_max

    def nadam(self, p: Any, g: Any, state: dict[str, Any], *, lr: float, beta1: float, beta2: float, eps: float,
              step: int, mu: float, mu_next: float, mu_product: float, weight_decay: float) -> None:
        """Dozat 2016 in PyTorch's form: ``m``, ``v`` as Adam's, then with ``P_t = mu_1 ... mu_t``
        (``mu_product``, this step's ``mu`` included) and ``d = sqrt(v / (1-b2^t)) + eps``::

            p <- p - lr (1-mu_t)/(1-P_t) g / d - lr mu_{t+1}/(1-P_t mu_{t+1}) m / d

        the Nesterov look-ahead: the gradient's share of this step plus the momentum of the next."""
        xp = self.xp
        if weight_decay:
            g = g + weight_decay * p
        m, v = self.adam_moments(g, state, beta1, beta2)
        denom = xp.sqrt(v / (1.0 - beta2 ** step)) + eps
        p += (-lr * (1.0 - mu) / (1.0 - mu_product)) * g / denom
        p += (-lr * mu_next / (1.0 - mu_product * mu_next)) * m / denom

    def axpy(self, alpha: float, x: Any, y: Any) -> None:
        """``y <- alpha x + y`` in place."""
        y += alpha * x
