"""A checkpoint is the union of each component's own state, in one ``.npz`` written atomically.

    network      params and buffers (``param:``/``buffer:`` arrays, as a model file: it loads as one)
    optimizer    ``Optimizer.state_dict()``: its type, step count, rate (``__trainer__``) and slots (``optim:``)
    schedule     its plan (``mlplab.lr_plan``), so a resumed run continues it
    dropout      the generators of the ``layer.stochastic`` layers, by layer index
    loop         ``LoopState`` (epoch, update, history, an epoch stopped midway) and ``EarlyStopping``
                 (its counters; the best weights as ``best:`` arrays)

The JSON parts sit in ``__trainer__``: :func:`checkpoint_state` reads them without building a trainer.
"""

from __future__ import annotations

import json
import os
from typing import Any

import numpy as np

from mlplab import backend as B
from mlplab.atomic import write_npz_atomic
from mlplab.network import Sequential, assign_model_arrays, model_arrays, read_npz
from mlplab.optim import Optimizer


def generator_states(net: Sequential) -> dict[str, Any]:
    """The bit-generator state of every ``stochastic`` layer (dropout), keyed by layer index."""
    return {str(i): layer.rng.bit_generator.state for i, layer in enumerate(net.layers) if layer.stochastic}


def load_generator_states(net: Sequential, states: dict[str, Any]) -> None:
    for i, layer in enumerate(net.layers):
        if layer.stochastic:
            layer.rng.bit_generator.state = states[str(i)]


def save_checkpoint(path: str | os.PathLike, net: Sequential, optimizer: Optimizer, schedule: Any,
                    parts: dict[str, dict[str, Any]]) -> None:
    """Write the union: the network, the optimizer, the schedule's plan, the dropout generators and
    the loop's ``parts`` (name -> state_dict, whose ``"arrays"`` go under ``name:``)."""
    opt = optimizer.state_dict()
    header: dict[str, Any] = {"optimizer": opt["type"], "optimizer_steps": opt["steps"], "lr": opt["lr"],
                              "rng_states": generator_states(net),
                              "schedule_plan": getattr(schedule, "plan", None)}   # a PlannedSchedule's record
    arrays = model_arrays(net)
    arrays.update({f"optim:{k}": B.to_numpy(v) for k, v in opt["state"].items()})
    for name, state in parts.items():
        header.update({k: v for k, v in state.items() if k != "arrays"})
        arrays.update({f"{name}:{k}": B.to_numpy(v) for k, v in state.get("arrays", {}).items()})
    arrays["__trainer__"] = np.array(json.dumps(header))
    write_npz_atomic(path, arrays)


def load_checkpoint(path: str | os.PathLike, net: Sequential, optimizer: Optimizer,
                    parts: dict[str, Any]) -> dict[str, Any]:
    """Restore what :func:`save_checkpoint` wrote into ``net``, ``optimizer`` and each of ``parts``
    (name -> object with ``load_state_dict``); returns the JSON header."""
    path = os.fspath(path)
    arrays = read_npz(path, "checkpoint")
    if "__trainer__" not in arrays:
        raise ValueError(f"path {path!r} is not an mlplab checkpoint (no '__trainer__' entry)")
    if json.loads(str(arrays["__architecture__"]))["layers"] != net.architecture():
        raise ValueError(f"checkpoint {path!r} holds a different architecture than the network being trained")
    header = json.loads(str(arrays["__trainer__"]))
    if header["optimizer"] != type(optimizer).__name__:
        raise ValueError(f"checkpoint {path!r} was trained with {header['optimizer']}, not {type(optimizer).__name__}")
    assign_model_arrays(net, arrays, path)
    optimizer.load_state_dict({"type": header["optimizer"], "steps": header["optimizer_steps"], "lr": header["lr"],
                               "state": _prefixed(arrays, "optim:")})
    load_generator_states(net, header["rng_states"])
    for name, part in parts.items():
        part.load_state_dict({**header, "arrays": _prefixed(arrays, f"{name}:")})
    return header


def _prefixed(arrays: dict[str, Any], prefix: str) -> dict[str, Any]:
    return {k[len(prefix):]: v for k, v in arrays.items() if k.startswith(prefix)}


def checkpoint_state(path: str | os.PathLike) -> dict[str, Any]:
    """The loop state a checkpoint holds (``epoch``, ``step``, ``history``, ``schedule_plan``, ...),
    read without building a trainer."""
    arrays = read_npz(path, "checkpoint")
    if "__trainer__" not in arrays:
        raise ValueError(f"path {os.fspath(path)!r} is not an mlplab checkpoint (no '__trainer__' entry)")
    return json.loads(str(arrays["__trainer__"]))
