"""Element-wise non-linearities (CS7015 lecture 9, module 9.3; DD2424 lecture 4).

Each caches only what its derivative needs: Sigmoid and Tanh their output,
the rectifiers their input.
"""

from __future__ import annotations

from typing import Any

from mlplab import backend as B
from mlplab.layers.base import Layer
from mlplab.validation import check_number, check_positive_int


def sigmoid(x: Any) -> Any:
    """``1 / (1 + exp(-x))`` without overflow (see :meth:`mlplab.ops.Ops.sigmoid`)."""
    return B.ops().sigmoid(x)


class Sigmoid(Layer):
    """``h = sigma(s)``; backward ``dJ/ds = dJ/dh * h (1 - h)`` (DD2424: ``sigma'(s) = sigma(s)(1 - sigma(s))``)."""

    onnx_op = "Sigmoid"

    def forward(self, x: Any, train: bool = True) -> Any:
        self._y = B.ops().sigmoid(x)
        return self._y

    def backward(self, dy: Any) -> Any:
        self._check_backward(dy, self._y.shape)
        return B.ops().backprop_sigmoid(dy, self._y)


class Tanh(Layer):
    """``h = tanh(s)``; backward ``dJ/ds = dJ/dh * (1 - h^2)``."""

    onnx_op = "Tanh"

    def forward(self, x: Any, train: bool = True) -> Any:
        self._y = B.ops().tanh(x)
        return self._y

    def backward(self, dy: Any) -> Any:
        self._check_backward(dy, self._y.shape)
        return B.ops().backprop_tanh(dy, self._y)


class Softsign(Layer):
    """``h = s / (1 + |s|)`` (Glorot & Bengio 2010); backward ``dJ/ds = dJ/dh / (1 + |s|)^2``.

    Like tanh it is odd and bounded by 1, but it approaches its asymptotes polynomially, so it
    saturates more gently."""

    onnx_op = "Softsign"

    def forward(self, x: Any, train: bool = True) -> Any:
        self._denominator = 1.0 + B.xp.abs(x)
        return x / self._denominator

    def backward(self, dy: Any) -> Any:
        self._check_backward(dy, self._denominator.shape)
        return dy / (self._denominator * self._denominator)


class ReLU(Layer):
    """``h = max(0, s)``; backward ``dJ/ds = dJ/dh * [s > 0]`` (the subgradient 0 at s = 0).

    ``h > 0`` exactly where ``s > 0``, so the output is all the backward pass keeps; the
    NumPy's ops run each direction as one compiled pass.
    """

    onnx_op = "Relu"

    def forward(self, x: Any, train: bool = True) -> Any:
        self._y = B.ops().relu(x)
        return self._y

    def backward(self, dy: Any) -> Any:
        self._check_backward(dy, self._y.shape)
        return B.ops().backprop_relu(dy, self._y)


class LeakyReLU(Layer):
    """``h = s`` for ``s > 0``, ``alpha s`` otherwise; backward multiplies by 1 or ``alpha``."""

    onnx_op = "LeakyRelu"

    def __init__(self, alpha: float = 0.01, dtype: Any = None) -> None:
        super().__init__(dtype)
        self.alpha = check_number("alpha", alpha)

    def forward(self, x: Any, train: bool = True) -> Any:
        out, self._positive = B.ops().leaky_relu(x, self.alpha)
        return out

    def backward(self, dy: Any) -> Any:
        self._check_backward(dy, self._positive.shape)
        return B.ops().backprop_leaky_relu(dy, self._positive, self.alpha)

    def config(self) -> dict[str, Any]:
        return {"alpha": self.alpha, **super().config()}


class PReLU(Layer):
    """Parametric ReLU (He et al. 2015): ``h = s`` for ``s > 0``, ``alpha s`` otherwise,
    with a learned slope ``alpha``, shared (``dim=1``) or one per unit (``dim=features``).

    Backward: ``dJ/ds = dJ/dh * (1 or alpha)`` and
    ``dJ/dalpha = sum over the batch (and the units, if shared) of dJ/dh * s * [s <= 0]``.
    """

    onnx_op = "PRelu"

    def __init__(self, dim: int = 1, init: float = 0.25, dtype: Any = None) -> None:
        super().__init__(dtype)
        self.dim = check_positive_int("dim", dim)
        self.init = check_number("init", init)
        self.alpha = self._add_param("alpha", self._full(self.dim, self.init))

    def forward(self, x: Any, train: bool = True) -> Any:
        if self.dim != 1 and x.shape[1] != self.dim:
            raise ValueError(f"PReLU(dim={self.dim}) got an input with {x.shape[1]} features")
        self._x = x
        out, self._positive = B.ops().leaky_relu(x, self.alpha)
        return out

    def backward(self, dy: Any) -> Any:
        xp = B.xp
        self._check_backward(dy, self._x.shape)
        negative_part = xp.where(self._positive, xp.zeros_like(dy), dy * self._x)
        self.grads["alpha"][...] = xp.sum(negative_part) if self.dim == 1 else xp.sum(negative_part, axis=0)
        return B.ops().backprop_leaky_relu(dy, self._positive, self.alpha)

    def config(self) -> dict[str, Any]:
        return {"dim": self.dim, "init": self.init, **super().config()}


class ELU(Layer):
    """Exponential linear unit (Clevert et al. 2016): ``h = s`` for ``s > 0``,
    ``alpha (exp(s) - 1)`` otherwise; backward multiplies by 1 or ``h + alpha``.

    ``expm1`` is taken of ``min(s, 0)`` so that large positive inputs never overflow.
    """

    onnx_op = "Elu"

    def __init__(self, alpha: float = 1.0, dtype: Any = None) -> None:
        super().__init__(dtype)
        self.alpha = check_number("alpha", alpha)

    def forward(self, x: Any, train: bool = True) -> Any:
        self._y, self._positive = B.ops().elu(x, self.alpha)
        return self._y

    def backward(self, dy: Any) -> Any:
        self._check_backward(dy, self._y.shape)
        return B.ops().backprop_elu(dy, self._y, self._positive, self.alpha)

    def config(self) -> dict[str, Any]:
        return {"alpha": self.alpha, **super().config()}


SELU_ALPHA = 1.6732632423543772848170429916717
"""Klambauer et al. 2017's alpha_01 (their eq. 14), to full double precision (torch uses the same)."""
SELU_SCALE = 1.0507009873554804934193349852946
"""Klambauer et al. 2017's lambda_01: with SELU_ALPHA, the mean 0, variance 1 fixed point."""


class SELU(Layer):
    """Scaled exponential linear unit (Klambauer et al. 2017): ``h = lambda s`` for ``s > 0``,
    ``lambda alpha (exp(s) - 1)`` otherwise; backward multiplies by ``lambda`` or ``h + lambda alpha``.

    ``lambda`` and ``alpha`` are chosen so that, for inputs with mean 0 and variance 1 through
    LeCun-normal weights, the activations keep mean 0 and variance 1 layer after layer (the
    "self-normalising" fixed point).
    """

    onnx_op = "Selu"

    def forward(self, x: Any, train: bool = True) -> Any:
        self._y, self._positive = B.ops().selu(x, SELU_SCALE, SELU_ALPHA)
        return self._y

    def backward(self, dy: Any) -> Any:
        self._check_backward(dy, self._y.shape)
        return B.ops().backprop_selu(dy, self._y, self._positive, SELU_SCALE, SELU_ALPHA)
