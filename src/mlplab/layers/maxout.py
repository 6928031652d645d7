"""Maxout units (Goodfellow et al. 2013; CS7015 lecture 9)."""

from __future__ import annotations

from typing import Any

import numpy as np

from mlplab import backend as B
from mlplab.init import InitSpec, initialize
from mlplab.layers.base import Layer
from mlplab.validation import check_positive_int


class Maxout(Layer):
    """``h_j = max_k (x @ W[k].T + b[k])_j`` over ``pieces`` affine maps.

    ``W`` has shape ``(pieces, out, in)``, ``b`` shape ``(pieces, out)``.  Backward routes
    ``G = dJ/dh`` to the winning piece only: with ``M_k = [k wins]``,

        dJ/dW[k] = (G * M_k)^T x      dJ/db[k] = sum_i (G * M_k)_i      dJ/dx = sum_k (G * M_k) W[k]
    """

    weight_names = ("W",)
    affine = True
    onnx_op = "Max"         # of one Gemm per piece

    def __init__(self, in_features: int, out_features: int, pieces: int = 2, init: InitSpec = "xavier_uniform",
                 bias_init: InitSpec = 0.0, rng: int | np.random.Generator | None = None, dtype: Any = None) -> None:
        super().__init__(dtype)
        self.in_features = check_positive_int("in_features", in_features)
        self.out_features = check_positive_int("out_features", out_features)
        self.pieces = check_positive_int("pieces", pieces)
        rng = B.make_rng(rng)
        self.W = self._add_param("W", initialize(init, (self.pieces, self.out_features, self.in_features),
                                                 rng, self.dtype))
        self.b = self._add_param("b", initialize(bias_init, (self.pieces, self.out_features), rng, self.dtype))

    def forward(self, x: Any, train: bool = True) -> Any:
        xp = B.xp
        z = xp.matmul(x, xp.permute_dims(self.W, (0, 2, 1))) + self.b[:, None, :]   # (pieces, n, out)
        self._x = x
        self._winner = xp.argmax(z, axis=0)                                          # (n, out)
        return xp.take_along_axis(z, self._winner[None, ...], axis=0)[0, ...]

    def backward(self, dy: Any) -> Any:
        return self._backward(dy, input_grad=True)

    def backward_params(self, dy: Any) -> None:
        self._backward(dy, input_grad=False)

    def _backward(self, dy: Any, input_grad: bool) -> Any:
        ops = B.ops()
        self._check_backward(dy, self._winner.shape)
        dx = None
        for k in range(self.pieces):
            routed = dy * ops.as_mask(self._winner == k, dy)
            piece_dx = ops.affine_backward(routed, self._x, self.W[k, ...], self.grads["W"][k, ...],
                                           self.grads["b"][k, ...], input_grad)
            if input_grad:
                dx = piece_dx if dx is None else dx + piece_dx
        return dx

    def output_dim(self, input_dim: int) -> int:
        return self.out_features

    def config(self) -> dict[str, Any]:
        return {"in_features": self.in_features, "out_features": self.out_features, "pieces": self.pieces,
                **super().config()}
