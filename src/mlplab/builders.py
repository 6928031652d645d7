"""What a run config builds: the network, the optimizer, and the run's one-line description.

Kept apart from :mod:`mlplab.run` (which trains) so that the report can rebuild a run's initial
network without importing the training machinery: no module imports the other back."""

from __future__ import annotations

from typing import Any

import numpy as np

from mlplab import optim
from mlplab.network import Sequential, default_init, mlp

LSUV_BATCH = 500


def build_network(config: dict[str, Any], n_in: int, n_out: int, X: np.ndarray | None = None) -> Sequential:
    """The config's network; ``init = "lsuv"`` (data-driven) needs ``X``, preprocessed training rows,
    of which the first ``LSUV_BATCH`` are the batch it normalises on."""
    lsuv = config["init"] == "lsuv"
    net = mlp(n_in, config["hidden"], n_out, activation=config["activation"],
              init=None if config["init"] in ("auto", "lsuv") else config["init"], bias_init=config["bias_init"],
              batchnorm=config["batchnorm"], dropout=config["dropout"], seed=config["seed"], dtype=config["dtype"],
              maxout_pieces=config["maxout_pieces"], bn_momentum=config["bn_momentum"])
    if lsuv:
        if X is None:
            raise ValueError("init 'lsuv' needs training data to normalise on")
        from mlplab.init import lsuv as lsuv_init
        lsuv_init(net, X[:LSUV_BATCH], seed=config["seed"])
    return net


def resolved_init(config: dict[str, Any]) -> str:
    """The init a run uses: ``init`` itself, or for ``"auto"`` the activation's default (He for the
    rectifiers, Xavier for sigmoid and tanh, LeCun for maxout; :func:`mlplab.network.default_init`)."""
    return default_init(config["activation"]) if config["init"] == "auto" else config["init"]


def describe_run(config: dict[str, Any], n_in: int, n_out: int, n_train: int) -> str:
    """The run's first line: the network with its normalisation and dropout, the init it resolved to,
    the optimiser and the budget, so that nothing switched on by a default goes unsaid."""
    sizes = "-".join(str(n) for n in (n_in, *config["hidden"], n_out))
    init = resolved_init(config) + (" (auto)" if config["init"] == "auto" else "")
    norm = "batch norm" if config["batchnorm"] else "no batch norm"
    dropout = f"dropout {config['dropout']:g}" if config["dropout"] else "no dropout"
    opt = config["optimizer"] + (f" momentum {config['momentum']:g}" if config["optimizer"] == "sgd" and
                                 config["momentum"] else "")
    extras = [f"l2 {config['l2']:g}"] * bool(config["l2"]) + [f"weight decay {config['weight_decay']:g}"] * bool(
        config["weight_decay"]) + [f"pre-training {config['pretrain']}"] * (config["pretrain"] != "none")
    return (f"{config['data']}: {sizes} {config['activation']} net, init {init}, {norm}, {dropout}; {opt} lr "
            f"{config['lr']:g} ({config['schedule']}), batch {config['batch_size']}, {config['epochs']} epochs on "
            f"{n_train:,} examples" + "".join(f", {e}" for e in extras))


def build_optimizer(config: dict[str, Any]) -> optim.Optimizer:
    name, common = config["optimizer"], {"lr": config["lr"], "weight_decay": config["weight_decay"],
                                         "max_grad_norm": config["max_grad_norm"] or None}
    if name == "sgd":
        return optim.SGD(momentum=config["momentum"], nesterov=config["nesterov"], **common)
    if name == "rmsprop":
        return optim.RMSProp(momentum=config["momentum"], **common)
    if name in ("adam", "adamw"):
        return optim.OPTIMIZERS[name](beta1=config["beta1"], beta2=config["beta2"], **common)
    if name == "adagrad":
        return optim.AdaGrad(**common)
    # validate() refuses unknown names first; a new optimizer must be wired here, never fall into another
    raise ValueError(f"optimizer {name!r} has no builder; valid: sgd, rmsprop, adam, adamw, adagrad")
