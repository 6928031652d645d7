"""The affine map ``s = W x + b`` (DD2424 lecture 4)."""

from __future__ import annotations

from typing import Any

import numpy as np

from mlplab import backend as B
from mlplab.init import InitSpec, initialize
from mlplab.layers.base import Layer
from mlplab.validation import check_positive_int


def init_affine(layer: Layer, in_features: int, out_features: int, init: InitSpec, bias_init: InitSpec,
                rng: int | np.random.Generator | None, weight: str) -> tuple[Any, Any]:
    """Check and record an affine layer's sizes and inits, then draw its ``(out, in)`` weight param
    (named ``weight``) and its bias ``b`` from one generator, weight first; returns both."""
    layer.in_features = check_positive_int("in_features", in_features)
    layer.out_features = check_positive_int("out_features", out_features)
    layer.init, layer.bias_init = init, bias_init
    rng = B.make_rng(rng)
    W = layer._add_param(weight, initialize(init, (layer.out_features, layer.in_features), rng, layer.dtype))
    return W, layer._add_param("b", initialize(bias_init, (layer.out_features,), rng, layer.dtype))


class Dense(Layer):
    """Fully-connected layer: ``y = x @ W.T + b`` for a batch ``x`` of shape ``(n, in)``.

    ``W`` has shape ``(out, in)`` (DD2424 lecture 4's ``s = W x + b``, PyTorch's layout).
    Backward, for the batch ``G = dJ/dy`` of shape ``(n, out)`` (DD2424 lecture 4):

        dJ/dW = G^T x        dJ/db = G^T 1_n        dJ/dx = G W

    The 1/n of the mean loss is already inside ``G``.
    """

    weight_names = ("W",)
    affine = True
    onnx_op = "Gemm"

    def __init__(self, in_features: int, out_features: int, init: InitSpec = "xavier_uniform",
                 bias_init: InitSpec = 0.0, rng: int | np.random.Generator | None = None,
                 dtype: Any = None) -> None:
        super().__init__(dtype)
        self.W, self.b = init_affine(self, in_features, out_features, init, bias_init, rng, weight="W")
        self._x: Any = None

    def forward(self, x: Any, train: bool = True) -> Any:
        self._x = x
        return B.ops().affine(x, self.W, self.b)

    def backward(self, dy: Any) -> Any:
        self._check_backward(dy, (self._x.shape[0], self.out_features))
        return B.ops().affine_backward(dy, self._x, self.W, self.grads["W"], self.grads["b"])

    def backward_params(self, dy: Any) -> None:
        self._check_backward(dy, (self._x.shape[0], self.out_features))
        B.ops().affine_backward(dy, self._x, self.W, self.grads["W"], self.grads["b"], input_grad=False)

    def output_dim(self, input_dim: int) -> int:
        return self.out_features

    def config(self) -> dict[str, Any]:
        return {"in_features": self.in_features, "out_features": self.out_features, **super().config()}
