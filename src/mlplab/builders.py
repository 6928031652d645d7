"""What a run config builds: the network, the optimizer, the schedule, and the run's one-line description.

Every factory reads a registry (:data:`mlplab.norms.NORMS`, :data:`mlplab.optim.OPTIMIZERS`,
:data:`mlplab.optim.SCHEDULES`): a name the registry has is built, and there is no chain of ``if``s
over names that a new entry could fall through.  Kept apart from :mod:`mlplab.run` (which trains)
so that the report can rebuild a run's initial network without importing the training machinery."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import numpy as np

from mlplab import optim
from mlplab.config import RunConfig
from mlplab.config_checks import optimizer_keys
from mlplab.init import lsuv
from mlplab.network import Sequential, default_init, mlp
from mlplab.norms import NORMS

LSUV_BATCH = 500


def build_network(config: RunConfig | Mapping[str, Any], n_in: int, n_out: int,
                  X: np.ndarray | None = None) -> Sequential:
    """The config's network; ``init = "lsuv"`` (data-driven) needs ``X``, preprocessed training rows,
    of which the first ``LSUV_BATCH`` are the batch it normalises on."""
    config = RunConfig.of(config)
    if config.init == "lsuv" and X is None:
        raise ValueError("init 'lsuv' needs training data to normalise on")
    net = mlp(n_in, list(config.hidden), n_out, activation=config.activation,
              init=None if config.init in ("auto", "lsuv") else config.init, bias_init=config.bias_init,
              dropout=config.dropout, seed=config.seed, dtype=config.dtype, maxout_pieces=config.maxout_pieces,
              bn_momentum=config.bn_momentum, **NORMS[config.norm].mlp_args)
    if config.init == "lsuv":
        lsuv(net, X[:LSUV_BATCH], seed=config.seed)
    return net


def resolved_init(config: RunConfig | Mapping[str, Any]) -> str:
    """The init a run uses: ``init`` itself, or for ``"auto"`` the activation's default (He for the
    rectifiers, Xavier for sigmoid and tanh, LeCun for maxout; :func:`mlplab.network.default_init`)."""
    return default_init(config["activation"]) if config["init"] == "auto" else config["init"]


def describe_run(config: RunConfig | Mapping[str, Any], n_in: int, n_out: int, n_train: int) -> str:
    """The run's first line: the network with its normalisation and dropout, the init it resolved to,
    the optimiser and the budget, so that nothing switched on by a default goes unsaid."""
    config = RunConfig.of(config)
    sizes = "-".join(str(n) for n in (n_in, *config.hidden, n_out))
    init = resolved_init(config) + (" (auto)" if config.init == "auto" else "")
    dropout = f"dropout {config.dropout:g}" if config.dropout else "no dropout"
    settings = optimizer_settings(config.optimizer)
    momentum = "momentum" in settings and config.momentum     # SGD's and RMSProp's
    opt = config.optimizer + (f" momentum {config.momentum:g}" if momentum else "") + (
        " amsgrad" if "amsgrad" in settings and config.amsgrad else "")
    extras = [f"l2 {config.l2:g}"] * bool(config.l2) + [f"weight decay {config.weight_decay:g}"] * bool(
        config.weight_decay) + [f"pre-training {config.pretrain}"] * (config.pretrain != "none")
    return (f"{config.data}: {sizes} {config.activation} net, init {init}, {NORMS[config.norm].label}, {dropout}; "
            f"{opt} lr {config.lr:g} ({config.schedule}), batch {config.batch_size}, {config.epochs} epochs on "
            f"{n_train:,} examples" + "".join(f", {e}" for e in extras))


def optimizer_settings(name: str) -> tuple[str, ...]:
    """The config keys optimizer ``name`` takes: the parameters of its class that are config keys
    (SGD: lr, momentum, nesterov, weight_decay, max_grad_norm; Adam: lr, beta1, beta2, ...)."""
    taken = optimizer_keys(name)
    return tuple(key for key in RunConfig.names() if key in taken)


def build_optimizer(config: RunConfig | Mapping[str, Any]) -> optim.Optimizer:
    """The config's optimizer, from :data:`mlplab.optim.OPTIMIZERS` with the keys its class takes."""
    config = RunConfig.of(config)
    values = {key: getattr(config, key) for key in optimizer_settings(config.optimizer)}
    if "max_grad_norm" in values:
        values["max_grad_norm"] = values["max_grad_norm"] or None          # the config's 0 means off
    return optim.OPTIMIZERS[config.optimizer](**values)


# Each schedule's constructor arguments from the config and the updates an epoch: keyed as
# optim.SCHEDULES is (a test checks that every schedule there has its arguments here).
SCHEDULE_ARGS: dict[str, Callable[[RunConfig, int], dict[str, Any]]] = {
    "constant": lambda c, n: {"lr": c.lr},
    "step": lambda c, n: {"lr": c.lr, "step_size": c.step_epochs * n, "gamma": c.gamma},
    "exponential": lambda c, n: {"lr": c.lr, "gamma": c.gamma ** (1.0 / n)},        # gamma is per epoch
    "cosine": lambda c, n: {"lr": c.lr, "total_steps": c.epochs * n, "min_lr": c.lr_min},
    "cyclic": lambda c, n: {"eta_min": c.lr_min or c.lr / 100, "eta_max": c.lr, "n_s": c.step_epochs * n},
    # SGDR's restarts fall on epoch boundaries: T_0 is step_epochs epochs, the floor is lr_min
    "cosine_restarts": lambda c, n: {"lr": c.lr, "T_0": c.step_epochs * n, "T_mult": c.t_mult, "min_lr": c.lr_min},
}


def build_schedule(config: RunConfig | Mapping[str, Any], steps_per_epoch: int) -> optim.Schedule:
    """The config's learning-rate schedule for ``steps_per_epoch`` updates an epoch (the batch plan's count)."""
    config = RunConfig.of(config)
    return optim.SCHEDULES[config.schedule](**SCHEDULE_ARGS[config.schedule](config, steps_per_epoch))


__all__ = ["LSUV_BATCH", "build_network", "resolved_init", "describe_run", "optimizer_settings", "build_optimizer",
           "SCHEDULE_ARGS", "build_schedule"]
