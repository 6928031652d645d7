"""Batch normalisation (Ioffe & Szegedy 2015; DD2424 lecture 4), with PyTorch's semantics."""

from __future__ import annotations

from typing import Any

from mlplab import backend as B
from mlplab import kernels
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
        xp = B.xp
        self.gamma = self._add_param("gamma", xp.ones(self.dim, dtype=self.dtype))
        self.beta = self._add_param("beta", xp.zeros(self.dim, dtype=self.dtype))
        self.buffers["running_mean"] = xp.zeros(self.dim, dtype=self.dtype)
        self.buffers["running_var"] = xp.ones(self.dim, dtype=self.dtype)
        self._s_hat: Any = None
        self._inv_std: Any = None
        self._train = True

    def forward(self, x: Any, train: bool = True) -> Any:
        xp = B.xp
        n = x.shape[0]
        if train:
            if n < 2:
                raise ValueError(f"BatchNorm: expected more than 1 value per feature when training, "
                                 f"got input of shape {tuple(x.shape)}")
            if kernels.usable(x, self.gamma):        # the same equations in two passes (mlplab.kernels)
                out, self._s_hat, mu, var, self._inv_std = kernels.batchnorm_forward(x, self.gamma, self.beta,
                                                                                     self.eps)
                self._update_running(mu, var, n)
                self._train = True
                return out
            mu = x.mean(axis=0)
            centred = x - mu
            var = xp.einsum("ij,ij->j", centred, centred) / n      # one pass, no temporary
            self._update_running(mu, var, n)
        else:
            centred = x - self.buffers["running_mean"]
            var = self.buffers["running_var"]
        self._inv_std = 1.0 / xp.sqrt(var + self.eps)
        centred *= self._inv_std                                   # in place: centred becomes s_hat
        self._s_hat = centred
        self._train = train
        out = self._s_hat * self.gamma
        out += self.beta
        return out

    def _update_running(self, mu: Any, var: Any, n: int) -> None:
        m = self.momentum
        self.buffers["running_mean"] *= 1.0 - m
        self.buffers["running_mean"] += m * mu
        self.buffers["running_var"] *= 1.0 - m
        self.buffers["running_var"] += (m * n / (n - 1)) * var     # unbiased, as PyTorch keeps it

    def backward(self, dy: Any) -> Any:
        """DD2424's "putting everything together", simplified with ``s_hat``::

            dJ/dgamma = sum_i g_i * s_hat_i       dJ/dbeta = sum_i g_i
            G_i = g_i * gamma                     (= dJ/ds_hat_i)
            dJ/ds_i = (v_b+eps)^(-1/2) / n * (n G_i - sum_j G_j - s_hat_i sum_j G_j s_hat_j)
                    = c * (g_i - dJ/dbeta / n - s_hat_i * dJ/dgamma / n),   c = gamma (v_b+eps)^(-1/2)

        (DD2424 lecture 4's ``dJ/dv_b`` and ``dJ/dmu_b`` terms, summed).  In test mode the
        statistics are constants and ``dJ/ds_i = c * g_i``.
        """
        xp = B.xp
        self._check_backward(dy, self._s_hat.shape)
        dgamma, dbeta = self.grads["gamma"], self.grads["beta"]
        if self._train and kernels.usable(dy, self._s_hat):
            return kernels.batchnorm_backward(dy, self._s_hat, self.gamma, self._inv_std, dgamma, dbeta)
        xp.einsum("ij,ij->j", dy, self._s_hat, out=dgamma)
        xp.sum(dy, axis=0, out=dbeta)
        c = self.gamma * self._inv_std
        dx = dy * c
        if self._train:
            n = dy.shape[0]
            dx -= self._s_hat * (c * dgamma / n)
            dx -= c * dbeta / n
        return dx

    def config(self) -> dict[str, Any]:
        return {"dim": self.dim, "momentum": self.momentum, "eps": self.eps, **super().config()}
