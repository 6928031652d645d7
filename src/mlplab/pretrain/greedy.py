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

import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from mlplab import backend as B
from mlplab.layers import Dense, Maxout
from mlplab.network import Sequential
from mlplab.optim import make_optimizer
from mlplab.pretrain.autoencoder import LayerAutoencoder
from mlplab.pretrain.checkpoint import (read_pretraining, restore_block, restore_buffers, restore_progress,
                                      save_pretraining)
from mlplab.pretrain.fit import fit_unsupervised
from mlplab.pretrain.rbm import RBM
from mlplab.train import LoopState
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
        elif not layer.stochastic and blocks:           # dropout is off while pre-training
            blocks[-1].append(i)
    if not blocks or len(blocks[-1]) != 1:
        raise ValueError("the network must end with an output Dense layer after its hidden blocks")
    return blocks[:-1]


def _per_block(name: str, value: Any, count: int, check: Callable[[str, Any], Any]) -> list[Any]:
    values = list(value) if isinstance(value, (list, tuple)) else [value] * count
    if len(values) != count:
        raise ValueError(f"{name} must be one value or one per hidden block ({count}), got {len(values)}")
    return [check(f"{name}[{i}]", v) for i, v in enumerate(values)]


def _in_unit_interval(X: Any) -> bool:
    return bool(float(B.xp.min(X)) >= 0.0 and float(B.xp.max(X)) <= 1.0)


def pretrain(net: Sequential, X: Any, method: str = "autoencoder", *, epochs: int | list[int] = 5,
             lr: float | list[float] = 1e-3, optimizer: str = "adam", batch_size: int = 100, tied: bool = True,
             loss: str = "auto", corruption: str = "mask", noise: float = 0.3, cd_k: int = 1,
             visible: str = "auto", seed: int = 0, on_epoch: Callable[[int, int, float], None] | None = None,
             checkpoint_path: str | os.PathLike | None = None, resume_from: str | os.PathLike | None = None
             ) -> list[LayerReport]:
    """Pre-train ``net``'s hidden blocks in place on the (preprocessed) inputs ``X``, one after another.

    ``method``: ``autoencoder``, ``denoising`` (``corruption`` ``mask`` or ``gaussian`` at
    level ``noise``) or ``rbm`` (CD-``cd_k``).  ``epochs`` and ``lr`` are one value or one per
    block; each block gets a fresh ``optimizer`` (by name).  ``loss`` ``auto`` picks the
    sigmoid cross-entropy for a block whose input lies in [0, 1], else the squared error;
    ``visible`` ``auto`` picks Bernoulli units for such input, else Gaussian.
    ``on_epoch(block, epoch, error)`` reports progress.  The mini-batches run through the training
    loop (:mod:`mlplab.pretrain.fit`): Ctrl-C stops after the update under way, and with a
    ``checkpoint_path`` the progress is saved after every epoch and on Ctrl-C; ``resume_from`` such a
    checkpoint ends with the weights an uninterrupted call gives.
    """
    blocks = hidden_blocks(net)
    return pretrain_blocks([(block, [net.layers[i] for i in block]) for block in blocks], net.check_input(X),
                           method, epochs=epochs, lr=lr, optimizer=optimizer, batch_size=batch_size, tied=tied,
                           loss=loss, corruption=corruption, noise=noise, cd_k=cd_k, visible=visible, seed=seed,
                           on_epoch=on_epoch, checkpoint_path=checkpoint_path, resume_from=resume_from)


def pretrain_blocks(blocks: list[tuple[list[int], list[Any]]], data: Any, method: str = "autoencoder", *,
                    epochs: int | list[int] = 5, lr: float | list[float] = 1e-3, optimizer: str = "adam",
                    batch_size: int = 100, tied: bool = True, loss: str = "auto", corruption: str = "mask",
                    noise: float = 0.3, cd_k: int = 1, visible: str = "auto", seed: int = 0,
                    on_epoch: Callable[[int, int, float], None] | None = None,
                    checkpoint_path: str | os.PathLike | None = None,
                    resume_from: str | os.PathLike | None = None) -> list[LayerReport]:
    """:func:`pretrain` on explicit blocks ``(layer indices, layers)``, each starting with a Dense
    layer (an activation-free block is a linear code layer, as in the deep autoencoder)."""
    method = check_choice("method", method, METHODS)
    epochs_per = _per_block("epochs", epochs, len(blocks), check_positive_int)
    lr_per = _per_block("lr", lr, len(blocks), lambda n, v: check_number(n, v, low=0.0, low_open=True))
    batch_size = check_positive_int("batch_size", batch_size)
    check_choice("loss", loss, ("auto", "mse", "bce"))
    check_choice("visible", visible, ("auto", "bernoulli", "gaussian"))
    if method == "rbm" and any(layer.running_stats for _, layers in blocks for layer in layers):
        raise ValueError("method 'rbm' cannot pre-train a network with batch norm (an RBM has no place for it); "
                         "use 'autoencoder' or 'denoising', or a network without batchnorm")
    rng = np.random.default_rng(seed)
    header, arrays = read_pretraining(resume_from, blocks) if resume_from is not None else ({"block": -1}, {})
    if resume_from is not None:
        restore_buffers(arrays, blocks)
    path = None if checkpoint_path is None else os.fspath(checkpoint_path)
    reports: list[LayerReport] = []
    models: list[Any] = []
    done: list[dict[str, Any]] = []                 # the finished blocks' errors and seconds, for the checkpoint
    for number, (indices, layers) in enumerate(blocks):
        started = time.perf_counter()
        model, loss_name = _block_model(method, layers, _in_unit_interval(data), rng, tied, loss, corruption, noise,
                                        cd_k, visible)
        models.append(model)
        report = LayerReport(number + 1, list(indices), method, loss_name, model=model)
        if number <= header["block"]:               # built as before the checkpoint, then given its weights
            restore_block(number, model, arrays, resume_from)
        if number < header["block"]:                # finished before the checkpoint: nothing to train
            report.errors, report.seconds = header["reports"][number]["errors"], header["reports"][number]["seconds"]
        else:
            opt, state = make_optimizer(optimizer, lr=lr_per[number]), LoopState(seed + 1000 * (number + 1))
            if number == header["block"]:
                restore_progress(header, arrays, opt, state, rng)
            save = None if path is None else (
                lambda opt=opt, state=state: save_pretraining(path, blocks, models, done, opt, state, rng))
            callback = None if on_epoch is None else (lambda e, err, b=number + 1: on_epoch(b, e, err))
            report.errors = fit_unsupervised(model, data, epochs_per[number], opt, batch_size, state.seed, callback,
                                             state=state, save=save, checkpoint_path=path,
                                             phase=f"pre-training block {number + 1}, ")
            report.seconds = time.perf_counter() - started
        done.append({"errors": report.errors, "seconds": report.seconds})
        data = _next_data(model, data, batch_size=2000)
        reports.append(report)
    return reports


def _block_model(method: str, layers: list[Any], unit: bool, rng: np.random.Generator, tied: bool, loss: str,
                 corruption: str, noise: float, cd_k: int, visible: str) -> tuple[Any, str]:
    """The block's RBM or autoencoder, and the name of its objective (``unit``: its input lies in [0, 1])."""
    if method == "rbm":
        kind = visible if visible != "auto" else ("bernoulli" if unit else "gaussian")
        return RBM(layers[0], visible=kind, k=cd_k, rng=rng), f"CD-{cd_k}, {kind} visible units"
    kind = loss if loss != "auto" else ("bce" if unit else "mse")
    return LayerAutoencoder(layers, tied=tied, loss=kind, rng=rng,
                            corruption=corruption if method == "denoising" else "none",
                            noise=noise if method == "denoising" else 0.0), kind


def _next_data(model: Any, data: Any, batch_size: int) -> Any:
    """The trained block's output for every example (test mode), in batches."""
    encode = model.hidden_probs if isinstance(model, RBM) else model.encode
    n = data.shape[0]
    return B.xp.concat([encode(data[i:min(i + batch_size, n), ...]) for i in range(0, n, batch_size)])
