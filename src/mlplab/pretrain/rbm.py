"""A restricted Boltzmann machine on a Dense layer's weights, trained by contrastive divergence.

Binary hidden units ``h`` (k of them), visible units ``v`` (d), the layer's ``W`` (k, d) and
``b`` (k) as the hidden bias, and a visible bias ``a`` (d) of the RBM's own (Hinton &
Salakhutdinov 2006)::

    p(h_j = 1 | v) = sigma(b_j + W_j. v)
    Bernoulli visible:  p(v_i = 1 | h) = sigma(a_i + W_.i^T h)
    Gaussian visible (unit variance, standardised data):  v_i | h ~ N(a_i + W_.i^T h, 1)

CD-k (Hinton 2002) from the data ``v_0``: ``p_0 = p(h | v_0)``; then k times: sample binary
``h ~ p(h | v)``, reconstruct ``v`` as its expectation (the probabilities, or the Gaussian mean:
less sampling noise, as Hinton's practical guide advises), and ``p_k = p(h | v_k)``.  The
log-likelihood gradient estimate over a batch of ``n``::

    dW = (p_0^T v_0 - p_k^T v_k) / n      db = mean(p_0 - p_k)      da = mean(v_0 - v_k)

``grads`` holds its negative, so every mlplab optimizer (which descends) can take the step.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from mlplab import backend as B
from mlplab.layers import Dense, sigmoid
from mlplab.validation import check_choice, check_positive_int


class RBM:
    """An RBM sharing ``dense``'s ``W`` and ``b`` (trained in place); ``visible`` is
    ``"bernoulli"`` or ``"gaussian"``; ``k`` Gibbs steps per update."""

    def __init__(self, dense: Dense, visible: str = "bernoulli", k: int = 1,
                 rng: int | np.random.Generator | None = 0) -> None:
        if not isinstance(dense, Dense):
            raise TypeError(f"dense must be a Dense layer, got {type(dense).__name__}")
        self.dense = dense
        self.visible = check_choice("visible", visible, ("bernoulli", "gaussian"))
        self.k = check_positive_int("k", k)
        self.rng = B.make_rng(rng)
        self.a = B.asarray(np.zeros(dense.in_features, dtype=dense.dtype))
        self.params = {"W": dense.W, "b": dense.b, "a": self.a}
        self.grads = {name: B.xp.zeros_like(value) for name, value in self.params.items()}

    def hidden_probs(self, v: Any) -> Any:
        """``p(h = 1 | v) = sigma(v W^T + b)``: also what the next layer is trained on."""
        return sigmoid(v @ self.dense.W.T + self.dense.b)

    def visible_mean(self, h: Any) -> Any:
        """``E[v | h]``: ``sigma(h W + a)`` (Bernoulli) or ``h W + a`` (Gaussian)."""
        s = h @ self.dense.W + self.a
        return sigmoid(s) if self.visible == "bernoulli" else s

    def sample_hidden(self, p: Any) -> Any:
        """Binary states with ``P(h_j = 1) = p_j``: ``u < p`` for uniform ``u``."""
        return B.ops().as_mask(B.asarray(self.rng.random(tuple(p.shape))) < p, p)   # uniforms from the host

    def loss_and_grads(self, v0: Any) -> float:
        """One CD-k estimate on the batch ``v0``: fills ``grads`` (negated) and returns the
        reconstruction error ``1/n sum_i ||v0_i - v_1i||^2`` of the first Gibbs step."""
        n = v0.shape[0]
        p0 = self.hidden_probs(v0)
        p, v = p0, v0
        for step in range(self.k):
            v = self.visible_mean(self.sample_hidden(p))
            if step == 0:
                error = float(B.xp.sum((v0 - v) ** 2)) / n
            p = self.hidden_probs(v)
        xp = B.xp
        B.ops().gemm_at_b(p, v, self.grads["W"])          # negative phase ...
        self.grads["W"] -= p0.T @ v0                      # ... minus the positive: -dW * n
        self.grads["W"] /= n
        self.grads["b"][...] = xp.mean(p - p0, axis=0)
        self.grads["a"][...] = xp.mean(v - v0, axis=0)
        return error

    def step_loss(self, x: Any) -> float:
        return self.loss_and_grads(x)

    def reconstruct(self, v: Any) -> Any:
        """The mean-field reconstruction ``E[v | p(h | v)]`` (deterministic, for reporting)."""
        return self.visible_mean(self.hidden_probs(v))
