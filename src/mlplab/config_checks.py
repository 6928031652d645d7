"""The combinations of values a run refuses: checks that need more than one key of a
:class:`mlplab.config.RunConfig` (each single value is checked by its field's range and choices).

Each refusal is one line that names the keys and the values, and what to pass instead.
"""

from __future__ import annotations

import dataclasses
import inspect
from typing import TYPE_CHECKING

from mlplab import init
from mlplab.diagnostics import parse_spec
from mlplab.norms import NORMS
from mlplab.optim import OPTIMIZERS
from mlplab.validation import check_positive_int

if TYPE_CHECKING:
    from mlplab.config import RunConfig


def optimizer_keys(name: str) -> frozenset[str]:
    """The constructor parameters of optimizer ``name`` (SGD: lr, momentum, nesterov, ...)."""
    return frozenset(inspect.signature(OPTIMIZERS[name]).parameters)


def check_command_keys(config: RunConfig) -> None:
    """A key the command does not read keeps its default: a run never silently ignores a value."""
    read = set(config.names(config.command)) | {"command"}
    for field in dataclasses.fields(config):
        value = getattr(config, field.name)
        if field.name not in read and value != field.default:
            raise ValueError(f"config key {field.name!r} is not read by {config.command} runs (got {value!r}); "
                             f"their keys: {', '.join(config.accepted(config.command))}")


def check_optimizer_keys(config: RunConfig) -> None:
    """A switch that only other optimizers read stays off (``amsgrad`` with SGD, ``nesterov`` with Adam):
    the run would ignore it silently otherwise.  Numeric keys (``momentum``, ``beta1``, ...) are left
    alone: a recipe's or a sweep's base section sets them for whichever optimizer a run picks."""
    if "optimizer" not in config.names(config.command):
        return
    taken = optimizer_keys(config.optimizer)
    others = frozenset().union(*(optimizer_keys(name) for name in OPTIMIZERS)) - taken
    for field in dataclasses.fields(config):
        value = getattr(config, field.name)
        if field.name in others and field.metadata["setting"].kind is bool and value:
            own = ", ".join(key for key in config.names(config.command) if key in taken)
            raise ValueError(f"config key {field.name!r} is not read by optimizer {config.optimizer!r} (got "
                             f"{value!r}); turn it off or choose an optimizer that reads it; {config.optimizer!r} "
                             f"reads: {own}")


def check_together(config: RunConfig) -> None:
    """The checks that need more than one value, or a parser of their own."""
    for i, size in enumerate(config.hidden):
        check_positive_int(f"hidden[{i}]", size)
    if config.init not in ("auto", "lsuv"):
        init.get(config.init)          # its error lists the valid names
    if config.schedule in ("cosine", "cosine_restarts") and config.lr_min > config.lr:
        raise ValueError(f"lr_min {config.lr_min!r} must not exceed lr {config.lr!r} ({config.schedule} schedule)")
    if config.pretrain != "none" and config.activation == "maxout":
        raise ValueError(f"pretrain {config.pretrain!r} needs Dense hidden blocks; activation 'maxout' has none")
    if config.pretrain != "none" and config.norm == "weight":
        raise ValueError(f"pretrain {config.pretrain!r} needs Dense hidden blocks; norm 'weight' makes them "
                         f"WeightNormDense, which greedy pre-training does not train; pass another norm")
    if config.init == "lsuv" and config.norm == "weight":
        raise ValueError("init 'lsuv' rescales Dense weights; norm 'weight' has WeightNormDense layers, whose "
                         "data-dependent init (mlplab.layers.weightnorm.data_init) is its counterpart; pass "
                         "another init or another norm")
    if config.pretrain == "rbm" and config.norm != "none":
        raise ValueError(f"pretrain 'rbm' cannot pre-train a network with {NORMS[config.norm].label} (an RBM has no "
                         f"place for it); pass --norm none (--no-batchnorm) or another pretrain method")
    parse_spec(config.diagnostics)
