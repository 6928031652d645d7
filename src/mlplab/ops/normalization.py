"""Batch normalisation (Ioffe & Szegedy 2015; DD2424 lecture 4) and layer normalisation (Ba et al.
2016): part of :class:`mlplab.ops.Ops`, written against the array API standard."""

from __future__ import annotations

from types import ModuleType
from typing import Any


class NormalizationOps:
    """Batch normalisation (Ioffe & Szegedy 2015; DD2424 lecture 4) and layer normalisation (Ba et al. 2016)."""

    xp: ModuleType
    device: Any

    def batchnorm(self, x: Any, gamma: Any, beta: Any, eps: float) -> tuple[Any, Any, Any, Any, Any]:
        """Training mode: returns ``y, s_hat, mu, var, inv_std`` with the biased batch variance."""
        xp = self.xp
        mu = xp.mean(x, axis=0)
        centred = x - mu
        var = xp.mean(centred * centred, axis=0)
        inv_std = 1.0 / xp.sqrt(var + eps)
        s_hat = centred * inv_std
        return s_hat * gamma + beta, s_hat, mu, var, inv_std

    def batchnorm_inference(self, x: Any, gamma: Any, beta: Any, mean: Any, var: Any, eps: float
                            ) -> tuple[Any, Any, Any]:
        """Test mode (the running statistics): returns ``y, s_hat, inv_std``."""
        inv_std = 1.0 / self.xp.sqrt(var + eps)
        s_hat = (x - mean) * inv_std
        return s_hat * gamma + beta, s_hat, inv_std

    def backprop_batchnorm(self, dy: Any, s_hat: Any, gamma: Any, inv_std: Any, dgamma: Any, dbeta: Any,
                           train: bool) -> Any:
        """Fills ``dgamma = sum_i dy_i s_hat_i``, ``dbeta = sum_i dy_i``; returns
        ``c (dy - dbeta/n - s_hat dgamma/n)`` with ``c = gamma inv_std`` (``c dy`` in test mode)."""
        xp = self.xp
        dgamma[...] = xp.sum(dy * s_hat, axis=0)
        dbeta[...] = xp.sum(dy, axis=0)
        c = gamma * inv_std
        if not train:
            return dy * c
        n = dy.shape[0]
        return c * (dy - dbeta / n - s_hat * (dgamma / n))

    def layernorm(self, x: Any, gamma: Any, beta: Any, eps: float) -> tuple[Any, Any, Any]:
        """Each row normalised over its features (biased variance): returns ``y, x_hat, inv_std``
        with ``inv_std`` of shape ``(n, 1)``."""
        xp = self.xp
        centred = x - xp.mean(x, axis=-1, keepdims=True)
        inv_std = 1.0 / xp.sqrt(xp.mean(centred * centred, axis=-1, keepdims=True) + eps)
        x_hat = centred * inv_std
        return x_hat * gamma + beta, x_hat, inv_std

    def backprop_layernorm(self, dy: Any, x_hat: Any, gamma: Any, inv_std: Any, dgamma: Any, dbeta: Any) -> Any:
        """Fills ``dgamma = sum_i dy_i x_hat_i``, ``dbeta = sum_i dy_i``; returns, per row with
        ``G = dy gamma``, ``inv_std (G - mean(G) - x_hat mean(G x_hat))`` (the means over features)."""
        xp = self.xp
        dgamma[...] = xp.sum(dy * x_hat, axis=0)
        dbeta[...] = xp.sum(dy, axis=0)
        G = dy * gamma
        return inv_std * (G - xp.mean(G, axis=-1, keepdims=True)
                          - x_hat * xp.mean(G * x_hat, axis=-1, keepdims=True))
