"""Weight normalisation (Salimans & Kingma 2016): an affine map whose weight rows are ``g v / ||v||``."""

from __future__ import annotations

from typing import Any

import numpy as np

from mlplab import backend as B
from mlplab.init import InitSpec
from mlplab.layers.base import Layer
from mlplab.layers.dense import init_affine


class WeightNormDense(Layer):
    """``y = x W^T + b`` with ``W_k = g_k v_k / ||v_k||`` for each output row ``k``: the length of a
    unit's weight vector (``g``) is learned apart from its direction (``v``), as
    ``torch.nn.utils.parametrizations.weight_norm(Linear, dim=0)``.

    ``v`` is drawn by ``init`` exactly as :class:`Dense` draws ``W`` (same generator, same order) and
    ``g = ||v||``, so the layer starts as the same function as a Dense layer given the same seed.
    Backward, from the affine map's ``dJ/dW = G^T x`` (DD2424 lecture 4)::

        dJ/dg_k = dJ/dW_k . v_k / ||v_k||
        dJ/dv_k = g_k / ||v_k|| (dJ/dW_k - dJ/dg_k v_k / ||v_k||)      dJ/db = G^T 1     dJ/dx = G W

    L2 (``weight_names``) covers ``g``: ``||W||^2 = sum_k g_k^2``, so ``lambda sum g^2`` IS the
    lecture's ``lambda ||W||^2`` on the effective weights, with the same gradient; a penalty on
    ``v`` would leave the function alone and only shrink ``||v||`` (raising the effective step).
    """

    weight_names = ("g",)
    affine = True
    onnx_op = "Gemm"        # exported with W computed

    def __init__(self, in_features: int, out_features: int, init: InitSpec = "xavier_uniform",
                 bias_init: InitSpec = 0.0, rng: int | np.random.Generator | None = None,
                 dtype: Any = None) -> None:
        super().__init__(dtype)
        self.v, self.b = init_affine(self, in_features, out_features, init, bias_init, rng, weight="v")
        norm = B.xp.sqrt(B.xp.sum(self.v * self.v, axis=1))
        # a zero row (init="zeros", as load uses) would give 0/0: g = 1 there, and load overwrites g
        self.g = self._add_param("g", B.xp.where(norm > 0, norm, B.xp.ones_like(norm)))
        self._dW = B.xp.zeros_like(self.v)      # dJ/dW, the step between the affine map and (g, v)
        self._x: Any = None

    def weight(self) -> Any:
        """The effective weight ``W = g v / ||v||`` (shape ``(out, in)``)."""
        return B.ops().weight_norm(self.g, self.v)[0]

    def weight_grad(self) -> Any:
        """``dJ/dW`` of the effective weight from the last backward pass (what a Dense layer's ``grads["W"]`` is)."""
        return self._dW

    def forward(self, x: Any, train: bool = True) -> Any:
        self._x = x
        self._W, self._norm = B.ops().weight_norm(self.g, self.v)
        return B.ops().affine(x, self._W, self.b)

    def backward(self, dy: Any) -> Any:
        return self._backward(dy, True)

    def backward_params(self, dy: Any) -> None:
        self._backward(dy, False)

    def _backward(self, dy: Any, input_grad: bool) -> Any:
        self._check_backward(dy, (self._x.shape[0], self.out_features))
        dx = B.ops().affine_backward(dy, self._x, self._W, self._dW, self.grads["b"], input_grad=input_grad)
        B.ops().backprop_weight_norm(self._dW, self.g, self.v, self._norm, self.grads["g"], self.grads["v"])
        return dx

    def data_init(self, x: Any, eps: float = 1e-12) -> Any:
        """Salimans & Kingma's data-dependent initialisation (their section 3): with ``t = x v^T / ||v||``
        on the batch ``x``, set ``g = 1 / std(t)`` and ``b = -mean(t) / std(t)`` per unit, so that
        this batch's pre-activations have mean 0 and standard deviation 1 per unit.  Returns them."""
        xp = B.xp
        t = B.ops().affine(x, B.ops().weight_norm(xp.ones_like(self.g), self.v)[0], xp.zeros_like(self.b))
        mean = xp.mean(t, axis=0)
        std = xp.sqrt(xp.mean((t - mean) * (t - mean), axis=0) + eps)
        self.g[...] = 1.0 / std
        self.b[...] = -mean / std
        return (t - mean) / std

    def output_dim(self, input_dim: int) -> int:
        return self.out_features

    def config(self) -> dict[str, Any]:
        return {"in_features": self.in_features, "out_features": self.out_features, **super().config()}


def data_init(net: Any, x: Any) -> list[int]:
    """Data-dependent initialisation of every :class:`WeightNormDense` of ``net`` in turn, from the
    input: each is initialised on the batch as it arrives through the layers before it (test mode:
    no running statistic moves).  Returns the indices of the layers it initialised."""
    out = net.check_input(x)
    done = []
    for i, layer in enumerate(net.layers):
        if isinstance(layer, WeightNormDense):
            layer.data_init(out)
            done.append(i)
        out = layer.forward(out, train=False)
    return done
