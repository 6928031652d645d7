"""Greedy layer-wise unsupervised pre-training (CS7015 lecture 9, module 9.2; Hinton & Salakhutdinov 2006).

Train the first hidden block to reconstruct ``x`` from ``h1``, fix it, train the second to
reconstruct ``h1`` from ``h2``, and so on to the last hidden block; the output layer is left
as initialised.  Fine-tuning afterwards is ordinary supervised training of the whole network
(:class:`mlplab.train.Trainer`, optionally with ``freeze=``): nothing is re-initialised.

Choices: a block is ``Dense [BatchNorm] activation [Dropout]`` as :func:`mlplab.mlp` builds
it.  Dropout is off while pre-training (the denoising corruption is the noise).  Batch norm is
part of an autoencoder's encoder: trained with it on batch statistics (its running
statistics move as in training), and applied in test mode when the block's output becomes the
next block's data.  An RBM has no place for batch norm, so ``method="rbm"`` refuses networks
that have it; the next RBM is trained on the hidden probabilities ``p(h | v)``.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from mlplab import backend as B
from mlplab.layers import BatchNorm, Dense, Dropout, Maxout
from mlplab.network import Sequential
from mlplab.optim import make_optimizer
from mlplab.pretrain.autoencoder import LayerAutoencoder
from mlplab.pretrain.rbm import RBM
from mlplab.validation import check_choice, check_number, check_positive_int

METHODS = ("autoencoder", "denoising", "rbm")


@dataclass
class LayerReport:
    """How one block's pre-training went: the mean objective of every epoch."""

    block: int
    layers: list[int]
    method: str
    loss: str
    errors: list[float] = field(default_factory=list)
    seconds: float = 0.0
    model: Any = None          # the LayerAutoencoder or RBM (its decoder bias unrolls a deep autoencoder)


def hidden_blocks(net: Sequential) -> list[list[int]]:
    """Layer indices of each hidden block ``Dense [BatchNorm] [activation]`` (Dropout left out);
    the last Dense (the output layer) is not a block."""
    blocks: list[list[int]] = []
    for i, layer in enumerate(net.layers):
        if isinstance(layer, Maxout):
            raise ValueError("pre-training needs Dense blocks; a Maxout network has none (layer "
                             f"{i} is Maxout)")
        if isinstance(layer, Dense):
            blocks.append([i])
        elif not isinstance(layer, Dropout) and blocks:
            blocks[-1].append(i)
    if not blocks or len(blocks[-1]) != 1:
        raise ValueError("the network must end with an output Dense layer after its hidden blocks")
    return blocks[:-1]


def fit_unsupervised(model: Any, X: Any, epochs: int, optimizer: Any, batch_size: int, seed: int,
                     on_epoch: Callable[[int, float], None] | None = None) -> list[float]:
    """Mini-batch descent on ``model.step_loss(batch)`` (which fills ``model.grads``) with an
    mlplab optimizer; returns the mean objective of every epoch (seeded order per epoch)."""
    errors = []
    n = X.shape[0]
    for epoch in range(epochs):
        order = np.random.default_rng([seed, epoch]).permutation(n)
        total = 0.0
        for start in range(0, n, batch_size):
            index = order[start:start + batch_size]
            if index.size < 2:
                continue                                   # batch norm needs two examples
            loss = model.step_loss(X[index])
            if not math.isfinite(loss):
                raise FloatingPointError(f"pre-training diverged: the objective became {loss} in epoch "
                                         f"{epoch + 1} (learning rate {optimizer.lr:g})")
            optimizer.step(model.params, model.grads)
            total += loss * index.size
        errors.append(total / n)
        if on_epoch is not None:
            on_epoch(epoch + 1, errors[-1])
    return errors


def _per_block(name: str, value: Any, count: int, check: Callable[[str, Any], Any]) -> list[Any]:
    values = list(value) if isinstance(value, (list, tuple)) else [value] * count
    if len(values) != count:
        raise ValueError(f"{name} must be one value or one per hidden block ({count}), got {len(values)}")
    return [check(f"{name}[{i}]", v) for i, v in enumerate(values)]


def _in_unit_interval(X: Any) -> bool:
    return bool(float(X.min()) >= 0.0 and float(X.max()) <= 1.0)


def pretrain(net: Sequential, X: Any, method: str = "autoencoder", *, epochs: int | list[int] = 5,
             lr: float | list[float] = 1e-3, optimizer: str = "adam", batch_size: int = 100, tied: bool = True,
             loss: str = "auto", corruption: str = "mask", noise: float = 0.3, cd_k: int = 1,
             visible: str = "auto", seed: int = 0, on_epoch: Callable[[int, int, float], None] | None = None
             ) -> list[LayerReport]:
    """Pre-train ``net``'s hidden blocks in place on the (preprocessed) inputs ``X``, one after another.

    ``method``: ``autoencoder``, ``denoising`` (``corruption`` ``mask`` or ``gaussian`` at
    level ``noise``) or ``rbm`` (CD-``cd_k``).  ``epochs`` and ``lr`` are one value or one per
    block; each block gets a fresh ``optimizer`` (by name).  ``loss`` ``auto`` picks the
    sigmoid cross-entropy for a block whose input lies in [0, 1], else the squared error;
    ``visible`` ``auto`` picks Bernoulli units for such input, else Gaussian.
    ``on_epoch(block, epoch, error)`` reports progress.
    """
    blocks = hidden_blocks(net)
    return pretrain_blocks([(block, [net.layers[i] for i in block]) for block in blocks], net.check_input(X),
                           method, epochs=epochs, lr=lr, optimizer=optimizer, batch_size=batch_size, tied=tied,
                           loss=loss, corruption=corruption, noise=noise, cd_k=cd_k, visible=visible, seed=seed,
                           on_epoch=on_epoch)


def pretrain_blocks(blocks: list[tuple[list[int], list[Any]]], data: Any, method: str = "autoencoder", *,
                    epochs: int | list[int] = 5, lr: float | list[float] = 1e-3, optimizer: str = "adam",
                    batch_size: int = 100, tied: bool = True, loss: str = "auto", corruption: str = "mask",
                    noise: float = 0.3, cd_k: int = 1, visible: str = "auto", seed: int = 0,
                    on_epoch: Callable[[int, int, float], None] | None = None) -> list[LayerReport]:
    """:func:`pretrain` on explicit blocks ``(layer indices, layers)``, each starting with a Dense
    layer (an activation-free block is a linear code layer, as in the deep autoencoder)."""
    method = check_choice("method", method, METHODS)
    epochs_per = _per_block("epochs", epochs, len(blocks), check_positive_int)
    lr_per = _per_block("lr", lr, len(blocks), lambda n, v: check_number(n, v, low=0.0, low_open=True))
    batch_size = check_positive_int("batch_size", batch_size)
    check_choice("loss", loss, ("auto", "mse", "bce"))
    check_choice("visible", visible, ("auto", "bernoulli", "gaussian"))
    if method == "rbm" and any(isinstance(layer, BatchNorm) for _, layers in blocks for layer in layers):
        raise ValueError("method 'rbm' cannot pre-train a network with batch norm (an RBM has no place for it); "
                         "use 'autoencoder' or 'denoising', or a network without batchnorm")
    rng = np.random.default_rng(seed)
    reports = []
    for number, (indices, layers) in enumerate(blocks):
        unit = _in_unit_interval(data)
        started = time.perf_counter()
        if method == "rbm":
            kind = visible if visible != "auto" else ("bernoulli" if unit else "gaussian")
            model: Any = RBM(layers[0], visible=kind, k=cd_k, rng=rng)
            loss_name = f"CD-{cd_k}, {kind} visible units"
        else:
            kind = loss if loss != "auto" else ("bce" if unit else "mse")
            model = LayerAutoencoder(layers, tied=tied, loss=kind, rng=rng,
                                     corruption=corruption if method == "denoising" else "none",
                                     noise=noise if method == "denoising" else 0.0)
            loss_name = kind
        report = LayerReport(number + 1, list(indices), method, loss_name)
        callback = None if on_epoch is None else (lambda e, err, b=number + 1: on_epoch(b, e, err))
        report.errors = fit_unsupervised(model, data, epochs_per[number], make_optimizer(optimizer, lr=lr_per[number]),
                                         batch_size, seed + 1000 * (number + 1), callback)
        report.model = model
        data = _next_data(model, data, batch_size=2000)
        report.seconds = time.perf_counter() - started
        reports.append(report)
    return reports


def _next_data(model: Any, data: Any, batch_size: int) -> Any:
    """The trained block's output for every example (test mode), in batches."""
    encode = model.hidden_probs if isinstance(model, RBM) else model.encode
    return B.xp.concatenate([encode(data[i:i + batch_size]) for i in range(0, data.shape[0], batch_size)])
