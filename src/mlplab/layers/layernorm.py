"""Layer normalisation (Ba, Kiros & Hinton 2016), with ``torch.nn.LayerNorm``'s semantics."""

from __future__ import annotations

from typing import Any

from mlplab import backend as B
from mlplab.layers.base import Layer
from mlplab.validation import check_number, check_positive_int


class LayerNorm(Layer):
    """Normalise each example over its ``dim`` features, then scale and shift.

    For one example's scores ``s_1..s_d`` (the same in training and at test: no batch statistics,
    no running statistics, so it works at any batch size, one example included)::

        mu = 1/d sum_j s_j        v = 1/d sum_j (s_j - mu)^2   (biased, as torch)
        s_hat_j = (s_j - mu) / sqrt(v + eps)        y_j = gamma_j s_hat_j + beta_j

    Backward, with ``G_j = dJ/dy_j gamma_j`` and means over the features of one example::

        dJ/dgamma = sum over the batch of dJ/dy * s_hat       dJ/dbeta = sum over the batch of dJ/dy
        dJ/ds_j = (v + eps)^(-1/2) (G_j - mean(G) - s_hat_j mean(G s_hat))

    Batch norm's equations (DD2424 lecture 4) with the roles of the batch and the features swapped.
    """

    onnx_op = "LayerNormalization"

    def __init__(self, dim: int, eps: float = 1e-5, dtype: Any = None) -> None:
        super().__init__(dtype)
        self.dim = check_positive_int("dim", dim)
        self.eps = check_number("eps", eps, low=0.0, low_open=True)
        self.gamma = self._add_param("gamma", self._full(self.dim, 1.0))
        self.beta = self._add_param("beta", self._full(self.dim, 0.0))
        self._s_hat: Any = None
        self._inv_std: Any = None

    def forward(self, x: Any, train: bool = True) -> Any:
        if x.shape[-1] != self.dim:
            raise ValueError(f"LayerNorm(dim={self.dim}) got an input with {x.shape[-1]} features")
        out, self._s_hat, self._inv_std = B.ops().layernorm(x, self.gamma, self.beta, self.eps)
        return out

    def backward(self, dy: Any) -> Any:
        self._check_backward(dy, self._s_hat.shape)
        return B.ops().backprop_layernorm(dy, self._s_hat, self.gamma, self._inv_std, self.grads["gamma"],
                                          self.grads["beta"])

    def config(self) -> dict[str, Any]:
        return {"dim": self.dim, "eps": self.eps, **super().config()}
