"""Optimizers that update parameter arrays in place, learning-rate schedules, gradient clipping.

Each update follows ``torch.optim``'s documented algorithm step for step, so trajectories
match PyTorch to round-off.  ``weight_decay`` (PyTorch's ``g <- g + wd * p``, applied to every
param it is given) is offered for parity; DD2424 lecture 4's L2 term on weights only is
:func:`mlplab.losses.weight_penalty` (``wd = 2 lambda``).
"""

from __future__ import annotations

import math
from abc import ABC, abstractmethod
from typing import Any

from mlplab import backend as B
from mlplab.validation import check_choice, check_number, check_positive_int


class Optimizer(ABC):
    """Base: keeps per-parameter state keyed by the parameter's name."""

    def __init__(self, lr: float, weight_decay: float = 0.0, max_grad_norm: float | None = None) -> None:
        self.lr = check_number("lr", lr, low=0.0, low_open=True)
        self.weight_decay = check_number("weight_decay", weight_decay, low=0.0)
        self.max_grad_norm = None if max_grad_norm is None else check_number(
            "max_grad_norm", max_grad_norm, low=0.0, low_open=True)
        self.state: dict[str, dict[str, Any]] = {}
        self.steps = 0

    def step(self, params: dict[str, Any], grads: dict[str, Any]) -> None:
        """Update every array of ``params`` in place from the same-named array of ``grads``."""
        if params.keys() != grads.keys():
            raise ValueError(f"params and grads must have the same keys, got {sorted(params)} and {sorted(grads)}")
        if self.max_grad_norm is not None:
            clip_grad_norm(grads, self.max_grad_norm)
        self.begin_step()
        self.update(params, grads)

    def begin_step(self) -> None:
        """Count a new step (Adam's bias corrections use the count); ``step`` does it for you."""
        self.steps += 1

    def update(self, params: dict[str, Any], grads: dict[str, Any]) -> None:
        """Apply the current step to some of the params: ``step`` = ``begin_step`` + ``update`` all."""
        for name, p in params.items():
            self._update(p, grads[name], self.state.setdefault(name, {}))

    @abstractmethod
    def _update(self, p: Any, g: Any, state: dict[str, Any]) -> None:
        """Apply one step to ``p`` in place through the backend's ops (``state``: this param's slots)."""

    def state_arrays(self) -> dict[str, Any]:
        """The state flattened to ``"param|slot" -> array`` (for checkpoints)."""
        return {f"{name}|{slot}": value for name, slots in self.state.items() for slot, value in slots.items()}

    def load_state_arrays(self, arrays: dict[str, Any], steps: int) -> None:
        self.state = {}
        for key, value in arrays.items():
            name, _, slot = key.partition("|")
            self.state.setdefault(name, {})[slot] = B.asarray(value)
        self.steps = steps

    def state_dict(self) -> dict[str, Any]:
        """Everything a resumed run needs of the optimizer (PyTorch's idea): ``type``, ``steps``,
        ``lr`` and ``state``, the slots as :meth:`state_arrays`."""
        return {"type": type(self).__name__, "steps": self.steps, "lr": self.lr, "state": self.state_arrays()}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        """Restore a :meth:`state_dict` of the same optimizer type."""
        if state["type"] != type(self).__name__:
            raise ValueError(f"state_dict is {state['type']}'s, not {type(self).__name__}'s")
        self.load_state_arrays(state["state"], int(state["steps"]))
        self.lr = float(state["lr"])


class SGD(Optimizer):
    """Mini-batch gradient descent with optional (Nesterov) momentum (PyTorch's form)::

        v <- momentum v + (1 - dampening) g       (v = g on the first step)
        p <- p - lr (g + momentum v)   if nesterov    else    p <- p - lr v
    """

    def __init__(self, lr: float = 0.01, momentum: float = 0.0, nesterov: bool = False, dampening: float = 0.0,
                 weight_decay: float = 0.0, max_grad_norm: float | None = None) -> None:
        super().__init__(lr, weight_decay, max_grad_norm)
        self.momentum = check_number("momentum", momentum, low=0.0, high=1.0, high_open=True)
        self.dampening = check_number("dampening", dampening, low=0.0, high=1.0)
        if nesterov and (self.momentum == 0.0 or self.dampening != 0.0):
            raise ValueError(f"nesterov=True needs momentum > 0 and dampening = 0, got momentum={momentum}, "
                             f"dampening={dampening}")
        self.nesterov = bool(nesterov)

    def _update(self, p, g, state):
        B.ops().sgd(p, g, state, lr=self.lr, weight_decay=self.weight_decay, momentum=self.momentum,
                    dampening=self.dampening, nesterov=self.nesterov)


class AdaGrad(Optimizer):
    """Duchi et al. 2011: ``G <- G + g^2``, ``p <- p - lr g / (sqrt(G) + eps)``."""

    def __init__(self, lr: float = 0.01, eps: float = 1e-10, initial_accumulator_value: float = 0.0,
                 weight_decay: float = 0.0, max_grad_norm: float | None = None) -> None:
        super().__init__(lr, weight_decay, max_grad_norm)
        self.eps = check_number("eps", eps, low=0.0)
        self.initial_accumulator_value = check_number("initial_accumulator_value", initial_accumulator_value, low=0.0)

    def _update(self, p, g, state):
        B.ops().adagrad(p, g, state, lr=self.lr, eps=self.eps,
                        initial_accumulator_value=self.initial_accumulator_value, weight_decay=self.weight_decay)


class RMSProp(Optimizer):
    """Tieleman & Hinton 2012: ``r <- alpha r + (1 - alpha) g^2``,
    ``p <- p - lr g / (sqrt(r) + eps)`` (with ``momentum``: ``v <- momentum v + g / (sqrt(r) + eps)``,
    ``p <- p - lr v``)."""

    def __init__(self, lr: float = 0.01, alpha: float = 0.99, eps: float = 1e-8, momentum: float = 0.0,
                 weight_decay: float = 0.0, max_grad_norm: float | None = None) -> None:
        super().__init__(lr, weight_decay, max_grad_norm)
        self.alpha = check_number("alpha", alpha, low=0.0, high=1.0)
        self.eps = check_number("eps", eps, low=0.0)
        self.momentum = check_number("momentum", momentum, low=0.0, high=1.0, high_open=True)

    def _update(self, p, g, state):
        B.ops().rmsprop(p, g, state, lr=self.lr, alpha=self.alpha, eps=self.eps, momentum=self.momentum,
                        weight_decay=self.weight_decay)


class Adam(Optimizer):
    """Kingma & Ba 2015, with PyTorch's arrangement of the bias corrections::

        m <- b1 m + (1 - b1) g        v <- b2 v + (1 - b2) g^2
        p <- p - lr / (1 - b1^t) * m / (sqrt(v) / sqrt(1 - b2^t) + eps)

    ``decoupled=True`` gives AdamW: ``p <- p (1 - lr wd)`` instead of adding ``wd p`` to ``g``.
    ``amsgrad=True`` (Reddi et al. 2018) divides by ``v_max <- max(v_max, v)``, the largest second
    moment so far, in place of ``v``, so a coordinate's step size never grows back (slot ``v_max``).
    """

    def __init__(self, lr: float = 0.001, beta1: float = 0.9, beta2: float = 0.999, eps: float = 1e-8,
                 weight_decay: float = 0.0, decoupled: bool = False, max_grad_norm: float | None = None,
                 amsgrad: bool = False) -> None:
        super().__init__(lr, 0.0 if decoupled else weight_decay, max_grad_norm)
        self.beta1 = check_number("beta1", beta1, low=0.0, high=1.0, high_open=True)
        self.beta2 = check_number("beta2", beta2, low=0.0, high=1.0, high_open=True)
        self.eps = check_number("eps", eps, low=0.0)
        self.decoupled_weight_decay = check_number("weight_decay", weight_decay, low=0.0) if decoupled else 0.0
        self.amsgrad = bool(amsgrad)

    def _update(self, p, g, state):
        B.ops().adam(p, g, state, lr=self.lr, beta1=self.beta1, beta2=self.beta2, eps=self.eps, step=self.steps,
                     weight_decay=self.weight_decay, decoupled_weight_decay=self.decoupled_weight_decay,
                     amsgrad=self.amsgrad)

    def load_state_arrays(self, arrays: dict[str, Any], steps: int) -> None:
        """As the base class; slots of AMSGrad's running maximum and the flag must agree, since a
        missing ``v_max`` would restart at 0 and silently change the steps that follow."""
        has_max = any(key.endswith("|v_max") for key in arrays)
        if steps and arrays and has_max != self.amsgrad:
            raise ValueError(f"the saved state is {type(self).__name__}'s with amsgrad={has_max}, not "
                             f"amsgrad={self.amsgrad}")
        super().load_state_arrays(arrays, steps)


class AdamW(Adam):
    """Adam with decoupled weight decay (Loshchilov & Hutter 2019), PyTorch's ``AdamW``."""

    def __init__(self, lr: float = 0.001, beta1: float = 0.9, beta2: float = 0.999, eps: float = 1e-8,
                 weight_decay: float = 0.01, max_grad_norm: float | None = None, amsgrad: bool = False) -> None:
        super().__init__(lr, beta1, beta2, eps, weight_decay, decoupled=True, max_grad_norm=max_grad_norm,
                         amsgrad=amsgrad)


class NAdam(Optimizer):
    """Adam with Nesterov momentum (Dozat 2016), PyTorch's ``NAdam``: the momentum coefficient warms
    up as ``mu_t = b1 (1 - 0.96^(t psi) / 2)`` (``psi = momentum_decay``), and with
    ``P_t = mu_1 mu_2 ... mu_t`` (PyTorch's ``mu_product``) and ``d = sqrt(v / (1 - b2^t)) + eps``::

        m <- b1 m + (1 - b1) g        v <- b2 v + (1 - b2) g^2
        p <- p - lr (1 - mu_t) / (1 - P_t) g / d - lr mu_{t+1} / (1 - P_t mu_{t+1}) m / d

    ``P_t`` is a function of the step count alone, so it is kept here (not per parameter) and
    recomputed, product by product as it was built, when a checkpoint's state is loaded.  It is a
    float64 Python float: PyTorch keeps it in its default dtype, float32 unless
    ``torch.set_default_dtype(torch.float64)``, which is what the comparison test sets.
    """

    def __init__(self, lr: float = 0.002, beta1: float = 0.9, beta2: float = 0.999, eps: float = 1e-8,
                 momentum_decay: float = 0.004, weight_decay: float = 0.0,
                 max_grad_norm: float | None = None) -> None:
        super().__init__(lr, weight_decay, max_grad_norm)
        self.beta1 = check_number("beta1", beta1, low=0.0, high=1.0, high_open=True)
        self.beta2 = check_number("beta2", beta2, low=0.0, high=1.0, high_open=True)
        self.eps = check_number("eps", eps, low=0.0)
        self.momentum_decay = check_number("momentum_decay", momentum_decay, low=0.0)
        self.mu_product = 1.0

    def mu(self, t: int) -> float:
        """The momentum coefficient of step ``t`` (1-based), PyTorch's expression to the last rounding."""
        return self.beta1 * (1.0 - 0.5 * (0.96 ** (float(t) * self.momentum_decay)))

    def begin_step(self) -> None:
        super().begin_step()
        self.mu_product *= self.mu(self.steps)

    def load_state_arrays(self, arrays: dict[str, Any], steps: int) -> None:
        super().load_state_arrays(arrays, steps)
        self.mu_product = 1.0
        for t in range(1, steps + 1):       # the same products in the same order: a resume is bit-identical
            self.mu_product *= self.mu(t)

    def _update(self, p, g, state):
        B.ops().nadam(p, g, state, lr=self.lr, beta1=self.beta1, beta2=self.beta2, eps=self.eps, step=self.steps,
                      mu=self.mu(self.steps), mu_next=self.mu(self.steps + 1), mu_product=self.mu_product,
                      weight_decay=self.weight_decay)


OPTIMIZERS: dict[str, type[Optimizer]] = {"sgd": SGD, "adagrad": AdaGrad, "rmsprop": RMSProp, "adam": Adam,
                                          "adamw": AdamW, "nadam": NAdam}


def make_optimizer(name: str, **kwargs: Any) -> Optimizer:
    """Build an optimizer by name (a key of :data:`OPTIMIZERS`: ``sgd``, ``adagrad``, ``rmsprop``, ``adam``,
    ``adamw``, ``nadam``)."""
    return OPTIMIZERS[check_choice("optimizer", name, OPTIMIZERS)](**kwargs)


def clip_grad_norm(grads: dict[str, Any], max_norm: float) -> float:
    """Scale all gradients in place so their global L2 norm is at most ``max_norm``
    (PyTorch's ``clip_grad_norm_``: factor ``max_norm / (norm + 1e-6)`` when below 1).
    Returns the norm before clipping."""
    max_norm = check_number("max_norm", max_norm, low=0.0, low_open=True)
    total = math.sqrt(sum(B.ops().sum_squares(g) for g in grads.values()))
    factor = max_norm / (total + 1e-6)
    if factor < 1.0:
        for g in grads.values():
            g *= factor
    return total


# -- learning-rate schedules: callables step -> lr ------------------------------------------
class Schedule(ABC):
    """A learning rate as a function of the update count ``t`` (0-based)."""

    @abstractmethod
    def __call__(self, t: int) -> float:
        """The learning rate for update ``t``."""


class ConstantLR(Schedule):
    def __init__(self, lr: float) -> None:
        self.lr = check_number("lr", lr, low=0.0, low_open=True)

    def __call__(self, t: int) -> float:
        return self.lr


class StepLR(Schedule):
    """``lr * gamma ** floor(t / step_size)``."""

    def __init__(self, lr: float, step_size: int, gamma: float = 0.1) -> None:
        self.lr = check_number("lr", lr, low=0.0, low_open=True)
        self.step_size = check_positive_int("step_size", step_size)
        self.gamma = check_number("gamma", gamma, low=0.0, low_open=True)

    def __call__(self, t: int) -> float:
        return self.lr * self.gamma ** (t // self.step_size)


class ExponentialLR(Schedule):
    """``lr * gamma ** t``."""

    def __init__(self, lr: float, gamma: float) -> None:
        self.lr = check_number("lr", lr, low=0.0, low_open=True)
        self.gamma = check_number("gamma", gamma, low=0.0, low_open=True)

    def __call__(self, t: int) -> float:
        return self.lr * self.gamma ** t


class CosineLR(Schedule):
    """``min_lr + (lr - min_lr) (1 + cos(pi t / total)) / 2``, then ``min_lr`` (Loshchilov & Hutter 2017)."""

    def __init__(self, lr: float, total_steps: int, min_lr: float = 0.0) -> None:
        self.lr = check_number("lr", lr, low=0.0, low_open=True)
        self.total_steps = check_positive_int("total_steps", total_steps)
        self.min_lr = check_number("min_lr", min_lr, low=0.0, high=self.lr)

    def __call__(self, t: int) -> float:
        progress = min(t, self.total_steps) / self.total_steps
        return self.min_lr + (self.lr - self.min_lr) * 0.5 * (1.0 + math.cos(math.pi * progress))


class CyclicLR(Schedule):
    """The triangular cyclical rate DD2424 uses (Smith 2017), half-cycle ``n_s`` updates::

        eta_t = eta_min + (t - 2 l n_s) / n_s (eta_max - eta_min)          for 2l n_s <= t <= (2l+1) n_s
        eta_t = eta_max - (t - (2l+1) n_s) / n_s (eta_max - eta_min)       for (2l+1) n_s <= t <= 2(l+1) n_s
    """

    def __init__(self, eta_min: float, eta_max: float, n_s: int) -> None:
        self.eta_min = check_number("eta_min", eta_min, low=0.0, low_open=True)
        self.eta_max = check_number("eta_max", eta_max, low=self.eta_min)
        self.n_s = check_positive_int("n_s", n_s)

    def __call__(self, t: int) -> float:
        position = t % (2 * self.n_s)
        rise = position if position <= self.n_s else 2 * self.n_s - position
        return self.eta_min + rise / self.n_s * (self.eta_max - self.eta_min)


class CosineWarmRestarts(Schedule):
    """SGDR (Loshchilov & Hutter 2017), PyTorch's ``CosineAnnealingWarmRestarts`` stepped once per
    update: cycle ``i`` lasts ``T_i = T_0 T_mult^i`` updates, and ``t_cur`` updates into it::

        lr_t = min_lr + (lr - min_lr) (1 + cos(pi t_cur / T_i)) / 2

    so the rate falls from ``lr`` towards ``min_lr`` and jumps back to ``lr`` at every restart."""

    def __init__(self, lr: float, T_0: int, T_mult: int = 1, min_lr: float = 0.0) -> None:  # noqa: N803 (torch's)
        self.lr = check_number("lr", lr, low=0.0, low_open=True)
        self.T_0 = check_positive_int("T_0", T_0)
        self.T_mult = check_positive_int("T_mult", T_mult)
        self.min_lr = check_number("min_lr", min_lr, low=0.0, high=self.lr)

    def position(self, t: int) -> tuple[int, int]:
        """``(t_cur, T_i)``: where update ``t`` (0-based) falls in its cycle, in exact integers."""
        if self.T_mult == 1:
            return t % self.T_0, self.T_0
        t_cur, T_i = t, self.T_0
        while t_cur >= T_i:            # as many passes as restarts so far: logarithmic in t
            t_cur, T_i = t_cur - T_i, T_i * self.T_mult
        return t_cur, T_i

    def __call__(self, t: int) -> float:
        t_cur, T_i = self.position(t)
        return self.min_lr + (self.lr - self.min_lr) * (1 + math.cos(math.pi * t_cur / T_i)) / 2


SCHEDULES: dict[str, type[Schedule]] = {"constant": ConstantLR, "step": StepLR, "exponential": ExponentialLR,
                                        "cosine": CosineLR, "cyclic": CyclicLR, "cosine_restarts": CosineWarmRestarts}
