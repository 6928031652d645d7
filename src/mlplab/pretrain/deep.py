"""The deep autoencoder of Hinton & Salakhutdinov (2006), and PCA to compare it with.

``deep_autoencoder([784, 1000, 500, 250, 30])`` is the encoder ``784-1000-500-250-30`` (sigmoid
hidden units, a linear 30-unit code) and the mirrored decoder ``30-250-500-1000-784`` (sigmoid
hidden units, logits out: the reconstruction is ``sigma`` of them, for inputs in [0, 1]).
Pre-training trains the encoder's blocks greedily (:mod:`mlplab.pretrain.greedy`) and then
*unrolls* them: each decoder layer starts as the transpose of its encoder layer, with the
bias its layer's autoencoder (or RBM) learned for the reconstruction.  Fine-tuning trains the
whole stack end to end on ``1/m sum_i sum_j loss(x_hat_ij, x_ij)``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from mlplab import backend as B
from mlplab.layers import Dense, sigmoid
from mlplab.losses import reconstruction_error
from mlplab.network import ACTIVATIONS, Sequential
from mlplab.optim import make_optimizer
from mlplab.pretrain.fit import fit_unsupervised
from mlplab.pretrain.greedy import LayerReport, pretrain_blocks
from mlplab.pretrain.rbm import RBM
from mlplab.validation import check_choice, check_positive_int


def deep_autoencoder(sizes: list[int], activation: str = "sigmoid", init: str = "xavier_normal",
                     seed: int | np.random.Generator | None = 0, dtype: Any = "float32") -> Sequential:
    """Encoder ``sizes[0] -> ... -> sizes[-1]`` (linear code) and its mirror image as decoder."""
    sizes = [check_positive_int(f"sizes[{i}]", s) for i, s in enumerate(sizes)]
    if len(sizes) < 2:
        raise ValueError(f"sizes must list the input and at least a code size, got {sizes}")
    choices = [name for name in ACTIVATIONS if name not in ("maxout", "prelu")]
    make_activation = ACTIVATIONS[check_choice("activation", activation, choices)]
    rng = B.make_rng(seed)
    path = sizes + sizes[-2::-1]                  # 784 1000 500 250 30 250 500 1000 784
    code = len(sizes) - 2                         # index of the affine map into the code
    layers: list[Any] = []
    for i, (n_in, n_out) in enumerate(zip(path[:-1], path[1:])):
        layers.append(Dense(n_in, n_out, init=init, rng=rng, dtype=dtype))
        if i != code and i != len(path) - 2:      # the code and the output stay linear
            layers.append(make_activation(dtype=dtype))
    return Sequential(layers)


def encoder_blocks(model: Sequential) -> list[tuple[list[int], list[Any]]]:
    """The encoder half's blocks ``Dense [activation]`` (the last one, into the code, is linear)."""
    dense = [i for i, layer in enumerate(model.layers) if isinstance(layer, Dense)]
    half = dense[:len(dense) // 2]
    blocks = []
    for i, start in enumerate(half):
        end = half[i + 1] if i + 1 < len(half) else start + 1
        blocks.append((list(range(start, end)), [model.layers[j] for j in range(start, end)]))
    return blocks


def unroll(model: Sequential, reports: list[LayerReport]) -> None:
    """Set each decoder layer to its encoder layer's transpose and learned reconstruction bias."""
    dense = [layer for layer in model.layers if isinstance(layer, Dense)]
    encoder, decoder = dense[:len(dense) // 2], dense[len(dense) // 2:][::-1]
    for enc, dec, report in zip(encoder, decoder, reports):
        dec.W[...] = enc.W.T
        dec.b[...] = report.model.a if isinstance(report.model, RBM) else report.model.c


def pretrain_autoencoder(model: Sequential, X: Any, method: str = "autoencoder", **kwargs: Any) -> list[LayerReport]:
    """Greedy pre-training of the encoder blocks (see :func:`mlplab.pretrain.pretrain` for the
    options), then :func:`unroll`."""
    reports = pretrain_blocks(encoder_blocks(model), model.check_input(X), method, **kwargs)
    unroll(model, reports)
    return reports


class _Reconstruction:
    """The whole autoencoder's objective in the shape :func:`fit_unsupervised` takes."""

    def __init__(self, model: Sequential, loss: str) -> None:
        self.model, self.loss = model, loss
        self.params, self.grads = model.params, model.grads

    def step_loss(self, x: Any) -> float:
        value, grad = reconstruction_error(self.model.forward(x, train=True, check=False), x, self.loss)
        self.model.backward(grad, input_grad=False)
        return value


def fine_tune_autoencoder(model: Sequential, X: Any, epochs: int, lr: float = 1e-3, optimizer: str = "adam",
                          batch_size: int = 100, loss: str = "bce", seed: int = 0,
                          on_epoch: Callable[[int, float], None] | None = None) -> list[float]:
    """Train the whole stack end to end to reconstruct ``X``; returns the objective per epoch."""
    check_choice("loss", loss, ("mse", "bce"))
    return fit_unsupervised(_Reconstruction(model, loss), model.check_input(X), check_positive_int("epochs", epochs),
                            make_optimizer(optimizer, lr=lr), check_positive_int("batch_size", batch_size), seed,
                            on_epoch, phase="fine-tuning, ")


def reconstruct(model: Sequential, X: Any, loss: str = "bce", batch_size: int = 1000) -> Any:
    """``x_hat`` for every row of ``X`` (``sigma`` of the logits for the cross-entropy loss)."""
    n = X.shape[0]
    out = B.xp.concat([model.forward(X[i:min(i + batch_size, n), ...], train=False)
                            for i in range(0, n, batch_size)])
    return sigmoid(out) if loss == "bce" else out


def pixel_mse(X: Any, X_hat: Any) -> float:
    """Mean squared error per entry, ``mean((x_hat - x)^2)``."""
    diff = np.asarray(B.to_numpy(X_hat), dtype=np.float64) - np.asarray(B.to_numpy(X), dtype=np.float64)
    return float(np.mean(diff * diff))


def pca_reconstruction(X_train: np.ndarray, X_test: np.ndarray, k: int) -> np.ndarray:
    """``X_test`` projected on the top-``k`` principal components of ``X_train`` and back
    (centred with the training mean; components from the eigenvectors of the covariance)."""
    k = check_positive_int("k", k)
    X_train = np.asarray(X_train, dtype=np.float64)
    mean = X_train.mean(axis=0)
    centred = X_train - mean
    covariance = centred.T @ centred / X_train.shape[0]
    _, vectors = np.linalg.eigh(covariance)           # ascending eigenvalues
    top = vectors[:, ::-1][:, :k]
    codes = (np.asarray(X_test, dtype=np.float64) - mean) @ top
    return codes @ top.T + mean
