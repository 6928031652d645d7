"""One hidden block of a network trained as a (denoising) autoencoder (CS7015 lecture 9, module 9.2).

The block's own layers are the encoder, so training it trains the network's weights in place::

    h     = block(x~)                 x~ = x, or x corrupted (denoising)
    r     = h W^T_dec + c             untied: a decoder matrix of its own, shape (d, k)
    r     = h W + c                   tied: the encoder's W (k, d), used transposed
    x_hat = r (MSE)  or  sigma(r) (cross-entropy, for inputs in [0, 1])
    J     = 1/m sum_i sum_j loss(x_hat_ij, x_ij)          against the clean x

Backward, with ``G = dJ/dr`` from :func:`mlplab.losses.reconstruction_error`::

    dJ/dc = G^T 1          dJ/dh = G W_dec  (untied)   or   G W^T  (tied)
    dJ/dW_dec = G^T h      (untied)
    dJ/dW = (encoder's G_s^T x~) + h^T G                  (tied: both uses of W add up)

where the encoder part comes from the block's layers' own backward passes.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from mlplab import backend as B
from mlplab.init import initialize
from mlplab.layers import Dense, sigmoid
from mlplab.losses import reconstruction_error
from mlplab.validation import check_choice, check_number, dtype_name

CORRUPTIONS = ("none", "mask", "gaussian")


def corrupt(x: Any, kind: str, level: float, rng: np.random.Generator) -> Any:
    """Denoising autoencoders' input noise (Vincent et al. 2008): ``mask`` sets each entry to 0
    with probability ``level``; ``gaussian`` adds N(0, level^2) noise; ``none`` returns ``x``."""
    if kind == "none" or level == 0:
        return x
    host = np.dtype(dtype_name(x))                   # drawn on the host: the same noise on every backend
    if kind == "mask":
        return x * B.asarray((rng.random(tuple(x.shape)) >= level).astype(host))
    return x + B.asarray(rng.standard_normal(tuple(x.shape)).astype(host) * host.type(level))


class LayerAutoencoder:
    """The block ``layers`` (``Dense [BatchNorm] [activation]``) as the encoder of an autoencoder."""

    def __init__(self, layers: list[Any], tied: bool = True, loss: str = "mse", corruption: str = "none",
                 noise: float = 0.0, rng: int | np.random.Generator | None = 0) -> None:
        if not layers or not isinstance(layers[0], Dense):
            raise ValueError(f"an autoencoder block must start with a Dense layer, got "
                             f"{[type(layer).__name__ for layer in layers]}")
        self.layers, self.dense = layers, layers[0]
        self.tied = bool(tied)
        self.loss = check_choice("loss", loss, ("mse", "bce"))
        self.corruption = check_choice("corruption", corruption, CORRUPTIONS)
        self.noise = check_number("noise", noise, low=0.0, high=1.0 if corruption == "mask" else None,
                                  high_open=corruption == "mask")
        self.rng = B.make_rng(rng)
        d, dtype = self.dense.in_features, self.dense.dtype
        self.c = B.asarray(np.zeros(d, dtype=dtype))             # the reconstruction's bias
        # params and grads ARE the layers' arrays (keyed "i.name"), plus the decoder's own
        self.params: dict[str, Any] = {f"{i}.{name}": value for i, layer in enumerate(layers)
                                       for name, value in layer.params.items()}
        self.grads: dict[str, Any] = {f"{i}.{name}": value for i, layer in enumerate(layers)
                                      for name, value in layer.grads.items()}
        self.params["c"], self.grads["c"] = self.c, B.xp.zeros_like(self.c)
        if not self.tied:
            self.W_dec = initialize("xavier_uniform", (d, self.dense.out_features), self.rng, dtype)
            self.params["W_dec"], self.grads["W_dec"] = self.W_dec, B.xp.zeros_like(self.W_dec)

    def encode(self, x: Any, train: bool = False) -> Any:
        """The block's output ``h`` (test mode by default: what the next layer is trained on)."""
        h = x
        for layer in self.layers:
            h = layer.forward(h, train=train)
        return h

    def decode_logits(self, h: Any) -> Any:
        """``r = h W + c`` (tied) or ``h W_dec^T + c``."""
        r = h @ self.dense.W if self.tied else h @ self.W_dec.T
        r += self.c
        return r

    def reconstruct(self, x: Any) -> Any:
        """``x_hat`` for ``x`` in test mode (the decoder's sigmoid applied for the cross-entropy loss)."""
        r = self.decode_logits(self.encode(x))
        return sigmoid(r) if self.loss == "bce" else r

    def loss_and_grads(self, x: Any, x_input: Any | None = None) -> float:
        """``J`` for clean ``x`` (the encoder reads ``x_input``, its corrupted copy, when given);
        fills ``grads``."""
        x_in = x if x_input is None else x_input
        h = self.encode(x_in, train=True)
        loss, G = reconstruction_error(self.decode_logits(h), x, self.loss)
        self.grads["c"][...] = B.xp.sum(G, axis=0)
        if self.tied:
            dh = G @ self.dense.W.T
            decoder_dW = h.T @ G
        else:
            dh = G @ self.W_dec
            B.ops().gemm_at_b(G, h, self.grads["W_dec"])
        for layer in reversed(self.layers[1:]):
            dh = layer.backward(dh)
        self.dense.backward_params(dh)          # dJ/dx of the (frozen) input is not needed
        if self.tied:
            self.grads["0.W"] += decoder_dW
        return loss

    def step_loss(self, x: Any) -> float:
        """One objective evaluation on a batch with fresh corruption (what training minimises)."""
        return self.loss_and_grads(x, corrupt(x, self.corruption, self.noise, self.rng))

    def has_batchnorm(self) -> bool:
        return any(layer.running_stats for layer in self.layers)
