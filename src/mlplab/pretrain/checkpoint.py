"""Greedy pre-training's checkpoint: enough to resume it mid-block, bit for bit.

One ``.npz`` (written atomically after every epoch and on Ctrl-C) holds the union of the parts' states:

    __pretrain__      JSON: the block in progress, the finished blocks' reports, the loop's
                      ``LoopState``, the optimizer's ``state_dict`` (slots as ``optim:`` arrays) and the
                      shared generator's state (corruption noise, Gibbs samples, decoder initialisation)
    block{k}:NAME     every block model's params built so far (its layers' weights, decoder bias, ...)
    buffer:I.NAME     the blocks' layers' buffers (batch norm's running statistics), by network layer index
"""

from __future__ import annotations

import json
import os
from typing import Any

import numpy as np

from mlplab import backend as B
from mlplab.atomic import write_npz_atomic
from mlplab.network import read_npz
from mlplab.optim import Optimizer
from mlplab.train import LoopState

FORMAT = "mlplab pre-training checkpoint 1"


def save_pretraining(path: str | os.PathLike, blocks: list[tuple[list[int], list[Any]]], models: list[Any],
                     reports: list[dict[str, Any]], optimizer: Optimizer, state: LoopState,
                     rng: np.random.Generator) -> None:
    """Write block ``len(models) - 1``'s progress (``state``, ``optimizer``) and everything before it."""
    opt = optimizer.state_dict()
    header = {"format": FORMAT, "block": len(models) - 1, "reports": reports, "loop": state.state_dict(),
              "optimizer": {k: v for k, v in opt.items() if k != "state"}, "rng": rng.bit_generator.state,
              "layers": [indices for indices, _ in blocks]}
    arrays: dict[str, Any] = {"__pretrain__": np.array(json.dumps(header))}
    arrays.update({f"optim:{k}": B.to_numpy(v) for k, v in opt["state"].items()})
    for number, model in enumerate(models):
        arrays.update({f"block{number}:{k}": B.to_numpy(v) for k, v in model.params.items()})
    for indices, layers in blocks:
        for index, layer in zip(indices, layers):
            arrays.update({f"buffer:{index}.{k}": B.to_numpy(v) for k, v in layer.buffers.items()})
    write_npz_atomic(path, arrays)


def read_pretraining(path: str | os.PathLike, blocks: list[tuple[list[int], list[Any]]]) -> tuple[dict, dict]:
    """The header and arrays of a checkpoint :func:`save_pretraining` wrote for these ``blocks``."""
    path = os.fspath(path)
    arrays = read_npz(path, "pre-training checkpoint")
    if "__pretrain__" not in arrays:
        raise ValueError(f"path {path!r} is not an mlplab pre-training checkpoint (no '__pretrain__' entry)")
    header = json.loads(str(arrays["__pretrain__"]))
    if header["layers"] != [indices for indices, _ in blocks]:
        raise ValueError(f"pre-training checkpoint {path!r} holds blocks {header['layers']}, "
                         f"not this network's {[indices for indices, _ in blocks]}")
    return header, arrays


def restore_block(number: int, model: Any, arrays: dict[str, Any], path: str | os.PathLike) -> None:
    """Put block ``number``'s saved params into ``model`` (in place: they are the network's arrays)."""
    for key, value in model.params.items():
        stored = arrays.get(f"block{number}:{key}")
        if stored is None or stored.shape != tuple(value.shape):
            raise ValueError(f"pre-training checkpoint {os.fspath(path)!r}: block {number + 1}'s {key!r} is missing "
                             f"or has another shape")
        value[...] = B.asarray(stored)


def restore_buffers(arrays: dict[str, Any], blocks: list[tuple[list[int], list[Any]]]) -> None:
    """Every block's buffers (batch norm's running statistics: the finished blocks encode with them)."""
    for indices, layers in blocks:
        for index, layer in zip(indices, layers):
            for key, value in layer.buffers.items():
                value[...] = B.asarray(arrays[f"buffer:{index}.{key}"])


def restore_progress(header: dict, arrays: dict[str, Any], optimizer: Optimizer, state: LoopState,
                     rng: np.random.Generator) -> None:
    """The block in progress's optimizer and loop state, and the shared generator."""
    optimizer.load_state_dict({**header["optimizer"], "state": {k[len("optim:"):]: v for k, v in arrays.items()
                                                                  if k.startswith("optim:")}})
    state.load_state_dict(header["loop"])
    rng.bit_generator.state = header["rng"]
