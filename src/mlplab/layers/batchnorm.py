"""Batch normalisation (Ioffe & Szegedy 2015; DD2424 lecture 4), with PyTorch's semantics."""

from __future__ import annotations

from typing import Any

from mlplab import backend as B
from mlplab.layers.base import Layer
from mlplab.validation import check_number, check_positive_int


class BatchNorm(Layer):
    """Normalise each feature over the batch, then scale and shift.

    Training, for the scores ``s_1..s_n`` of a batch (DD2424 lecture 4)::

        mu_b = 1/n sum_i s_i          v_b = 1/n sum_i (s_i - mu_b)^2   (biased)
        s_hat_i = (v_b + eps)^(-1/2) (s_i - mu_b)
        y_i = gamma * s_hat_i + beta

    and the running statistics move as in PyTorch::

        running_mean <- (1 - momentum) running_mean + momentum mu_b
        running_var  <- (1 - momentum) running_var  + momentum v_b n / (n - 1)   (unbiased)

    With ``train=False`` the running statistics replace ``mu_b`` and ``v_b``.
    """

    running_stats = ("running_mean", "running_var")
    onnx_op = "BatchNormalization"

    def __init__(self, dim: int, momentum: float = 0.1, eps: float = 1e-5, dtype: Any = None) -> None:
        super().__init__(dtype)
        self.dim = check_positive_int("dim", dim)
        self.momentum = check_number("momentum", momentum, low=0.0, high=1.0)
        self.eps = check_number("eps", eps, low=0.0, low_open=True)
        self.gamma = self._add_param("gamma", self._full(self.dim, 1.0))
        self.beta = self._add_param("beta", self._full(self.dim, 0.0))
        self.buffers["running_mean"] = self._full(self.dim, 0.0)
        self.buffers["running_var"] = self._full(self.dim, 1.0)
        self._s_hat: Any = None
        self._inv_std: Any = None
        self._train = True

    def forward(self, x: Any, train: bool = True) -> Any:
        self._train = train
        if not train:
            out, self._s_hat, self._inv_std = B.ops().batchnorm_inference(
                x, self.gamma, self.beta, self.buffers["running_mean"], self.buffers["running_var"], self.eps)
            return out
        n = x.shape[0]
        if n < 2:
            raise ValueError(f"BatchNorm: expected more than 1 value per feature when training, "
                             f"got input of shape {tuple(x.shape)}")
        out, self._s_hat, mu, var, self._inv_std = B.ops().batchnorm(x, self.gamma, self.beta, self.eps)
        m = self.momentum                          # PyTorch keeps the unbiased variance
        running_mean, running_var = self.buffers["running_mean"], self.buffers["running_var"]
        running_mean *= 1.0 - m
        running_mean += m * mu
        running_var *= 1.0 - m
        running_var += (m * n / (n - 1)) * var
        return out

    def backward(self, dy: Any) -> Any:
        """DD2424's "putting everything together", simplified with ``s_hat``::

            dJ/dgamma = sum_i g_i * s_hat_i       dJ/dbeta = sum_i g_i
            G_i = g_i * gamma                     (= dJ/ds_hat_i)
            dJ/ds_i = (v_b+eps)^(-1/2) / n * (n G_i - sum_j G_j - s_hat_i sum_j G_j s_hat_j)
                    = c * (g_i - dJ/dbeta / n - s_hat_i * dJ/dgamma / n),   c = gamma (v_b+eps)^(-1/2)

        (DD2424 lecture 4's ``dJ/dv_b`` and ``dJ/dmu_b`` terms, summed).  In test mode the
        statistics are constants and ``dJ/ds_i = c * g_i``.
        """
        self._check_backward(dy, self._s_hat.shape)
        return B.ops().backprop_batchnorm(dy, self._s_hat, self.gamma, self._inv_std, self.grads["gamma"],
                                          self.grads["beta"], self._train)

    def config(self) -> dict[str, Any]:
        return {"dim": self.dim, "momentum": self.momentum, "eps": self.eps, **super().config()}
