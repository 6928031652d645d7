"""The run configuration: one table of keys shared by the command-line flags and TOML files."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any


# The sections of ``mlplab train --help`` (and of a config file's documentation), in the order shown.
GROUPS: dict[str, str] = {
    "data": "what to train on, and how it is split and preprocessed",
    "network": "the layers, their initialisation and precision",
    "optimisation": "the update rule, its rate schedule, batches, epochs and the random seed",
    "regularisation": "penalties, dropout and early stopping",
    "pre-training": "greedy layer-wise pre-training before training (CS7015 lecture 9, module 9.2)",
    "output": "what the run writes, and where",
    "diagnostics": "what is measured inside the network while it trains",
}


@dataclass(frozen=True)
class Key:
    """One config key: its default, type, help text, closed set of values (if any), and the
    :data:`GROUPS` section it belongs to."""
    default: Any
    kind: type
    help: str
    choices: tuple[str, ...] | None = None
    group: str = ""


KEYS: dict[str, Key] = {
    "data": Key("fashion-mnist", str, "a dataset's name or the path of an .npz / .csv file", group="data"),
    "data_dir": Key(None, str, "folder with MNIST/Fashion-MNIST IDX files (else $MLPLAB_DATA, Debian's location)",
                    group="data"),
    "label_column": Key(None, str, "a .csv file's label column: a header name or an index, negative from the end "
                                   "(default: the last column, refused when it does not look like class labels)",
                        group="data"),
    "preprocess": Key("auto", str, "auto: scale images to [0,1], standardize other data",
                      ("auto", "none", "scale", "standardize", "scale+standardize"), group="data"),
    "val_fraction": Key(0.1, float, "stratified share of the training set held out for validation (0: none)",
                        group="data"),
    "train_limit": Key(0, int, "use only the first N training examples after shuffling (0: all)", group="data"),
    "hidden": Key([1000, 500, 250], list, "hidden layer sizes, comma-separated", group="network"),
    "activation": Key("relu", str, "hidden non-linearity",
                      ("sigmoid", "tanh", "softsign", "relu", "leaky_relu", "prelu", "elu", "maxout"), group="network"),
    "init": Key("auto", str, "weight init (auto: by activation; lsuv: orthogonal, rescaled to unit variance on 500 "
                             "training rows)", group="network"),
    "bias_init": Key(0.0, float, "initial bias (CS7015 lecture 9, module 9.3, advises 0.01 for ReLU)", group="network"),
    "batchnorm": Key(False, bool, "batch normalization after each hidden affine map", group="network"),
    "bn_momentum": Key(0.1, float, "BatchNorm running-statistics momentum (PyTorch's meaning)", group="network"),
    "dropout": Key(0.0, float, "dropout rate after each hidden block (0: none)", group="regularisation"),
    "maxout_pieces": Key(2, int, "pieces per maxout unit", group="network"),
    "optimizer": Key("sgd", str, "optimizer", ("sgd", "adagrad", "rmsprop", "adam", "adamw"), group="optimisation"),
    "lr": Key(0.05, float, "learning rate (the peak rate for cosine and cyclic schedules)", group="optimisation"),
    "momentum": Key(0.9, float, "SGD / RMSProp momentum", group="optimisation"),
    "nesterov": Key(False, bool, "Nesterov momentum (SGD)", group="optimisation"),
    "beta1": Key(0.9, float, "Adam beta1", group="optimisation"),
    "beta2": Key(0.999, float, "Adam beta2", group="optimisation"),
    "weight_decay": Key(0.0, float, "optimizer weight decay on every parameter (PyTorch's); see --l2",
                        group="regularisation"),
    "max_grad_norm": Key(0.0, float, "clip the global gradient norm to this (0: off)", group="optimisation"),
    "schedule": Key("cosine", str, "learning-rate schedule", ("constant", "step", "exponential", "cosine", "cyclic"),
                    group="optimisation"),
    "lr_min": Key(0.0, float, "cosine floor / cyclic eta_min", group="optimisation"),
    "step_epochs": Key(10, int, "step schedule: epochs between decays; cyclic: epochs per half cycle (n_s)",
                       group="optimisation"),
    "gamma": Key(0.1, float, "step / exponential schedule decay factor (exponential: per epoch)", group="optimisation"),
    "batch_size": Key(100, int, "mini-batch size", group="optimisation"),
    "epochs": Key(20, int, "training epochs", group="optimisation"),
    "l2": Key(0.0, float, "DD2424 lecture 4's lambda: J = loss + lambda * sum ||W||^2 over weight matrices",
              group="regularisation"),
    "l1": Key(0.0, float, "L1 penalty lambda1 * sum |W| over weight matrices", group="regularisation"),
    "patience": Key(0, int, "early stopping after this many epochs without a better validation loss (0: off)",
                    group="regularisation"),
    "pretrain": Key("none", str, "greedy layer-wise pre-training of the hidden layers before training",
                    ("none", "autoencoder", "denoising", "rbm"), group="pre-training"),
    "pretrain_epochs": Key(5, int, "pre-training epochs per hidden layer", group="pre-training"),
    "pretrain_lr": Key(0.001, float, "pre-training learning rate (each layer gets a fresh optimizer)",
                       group="pre-training"),
    "pretrain_optimizer": Key("adam", str, "pre-training optimizer", ("sgd", "adagrad", "rmsprop", "adam", "adamw"),
                              group="pre-training"),
    "pretrain_tied": Key(True, bool, "autoencoder decoders use W^T (tied) instead of a matrix of their own",
                         group="pre-training"),
    "pretrain_corruption": Key("mask", str, "denoising: the input noise", ("mask", "gaussian"), group="pre-training"),
    "pretrain_noise": Key(0.3, float, "denoising: share of inputs masked, or the Gaussian noise std",
                          group="pre-training"),
    "cd_k": Key(1, int, "rbm: Gibbs steps per update (CD-k)", group="pre-training"),
    "freeze_pretrained": Key(False, bool, "fine-tune only the output layer: the pre-trained layers stay fixed",
                             group="pre-training"),
    "diagnostics": Key("every=1", str, "per-layer statistics every N epochs on a fixed probe batch of M examples "
                                       "(default 1000), or none", group="diagnostics"),
    "test_every_epoch": Key(False, bool, "also evaluate the test set after every epoch (off: validation during "
                                         "training, the test set once at the end)", group="diagnostics"),
    "tensorboard": Key(None, str, "also write TensorBoard event files (scalars per epoch, per-layer histograms of "
                                  "each diagnostics record) into this folder; needs pip install 'mlplab[tensorboard]'",
                       group="output"),
    "report": Key(True, bool, "write report.html (figures, config, results) into the run directory at the end",
                  group="output"),
    "seed": Key(0, int, "seed of the initialisation, the data order, dropout and the splits", group="optimisation"),
    "dtype": Key("float32", str, "floating point precision", ("float32", "float64"), group="network"),
    "out": Key("runs/latest", str, "run directory to write", group="output"),
}


def valid_values(name: str) -> list[str] | None:
    """The values key ``name`` takes, as ``--help`` lists them: its choices; for ``data`` the dataset
    names (or a file's path), for ``init`` the initialisers' spec forms; None for a number, a path or a flag."""
    key = KEYS[name]
    if key.choices:
        return list(key.choices)
    if name == "data":
        from mlplab.data.datasets import NAMES as DATASETS
        return [*DATASETS, "PATH.npz", "PATH.csv"]
    if name == "init":
        from mlplab.init import NAMES as INITS
        return ["auto", "lsuv", *INITS]
    if name == "diagnostics":
        return ["every=N[,probe=M]", "off"]
    return None


def coerce(name: str, value: Any) -> Any:
    """Convert ``value`` (from TOML or a flag string) to the key's type, with a clear error."""
    key = KEYS[name]
    if value is None:
        return None
    try:
        if key.kind is list:
            if isinstance(value, str):
                value = [part for part in value.replace(" ", "").split(",") if part]
            if isinstance(value, int) and not isinstance(value, bool):
                value = [value]
            if not isinstance(value, list):
                raise TypeError
            if any(isinstance(v, bool) or (isinstance(v, float) and not v.is_integer()) for v in value):
                raise TypeError
            value = [int(v) for v in value]
        elif key.kind is bool:
            if isinstance(value, str):
                lowered = value.lower()
                if lowered not in ("true", "false", "1", "0", "yes", "no"):
                    raise ValueError
                value = lowered in ("true", "1", "yes")
            elif not isinstance(value, bool):
                raise TypeError
        elif key.kind is int:
            if isinstance(value, bool) or (isinstance(value, float) and not value.is_integer()):
                raise TypeError
            value = int(value)
        elif key.kind is float:
            if isinstance(value, bool):
                raise TypeError
            value = float(value)
        else:
            value = str(value)
    except (TypeError, ValueError):
        raise ValueError(f"config key {name!r} must be {key.kind.__name__}, got {value!r}") from None
    if key.choices and value not in key.choices:
        raise ValueError(f"config key {name!r}: unknown value {value!r}; valid: {', '.join(key.choices)}")
    return value


def read_toml(path: str | Path) -> dict[str, Any]:
    """Read a config file; unknown keys are an error that names them."""
    path = Path(path)
    try:
        with open(path, "rb") as f:
            table = tomllib.load(f)
    except FileNotFoundError:
        raise FileNotFoundError(f"config: no file at {str(path)!r}") from None
    except tomllib.TOMLDecodeError as err:
        raise ValueError(f"config {str(path)!r} is not valid TOML: {err}") from None
    except UnicodeDecodeError as err:
        raise ValueError(f"config {str(path)!r} is not valid TOML: not UTF-8 text ({err.reason} at byte "
                         f"{err.start})") from None
    except IsADirectoryError:
        raise ValueError(f"config {str(path)!r} is a folder, not a TOML file") from None
    unknown = sorted(set(table) - set(KEYS))
    if unknown:
        raise ValueError(f"config {str(path)!r}: unknown key(s) {', '.join(unknown)}; valid: {', '.join(KEYS)}")
    for name, value in table.items():        # TOML has types: a file's value must already be of the right one
        kind = KEYS[name].kind
        expected = {float: (int, float), list: (list, int), int: (int,), bool: (bool,), str: (str,)}[kind]
        if name == "label_column":                  # a header name or an index
            expected = (str, int)
        if not isinstance(value, expected) or (kind is not bool and isinstance(value, bool)):
            raise ValueError(f"config {str(path)!r}: key {name!r} must be {kind.__name__}, "
                             f"got {type(value).__name__} {value!r}")
    return {name: coerce(name, value) for name, value in table.items()}


def resolve(file_values: dict[str, Any], flag_values: dict[str, Any]) -> dict[str, Any]:
    """Defaults, overridden by the file, overridden by the flags given on the command line."""
    config = {name: key.default for name, key in KEYS.items()}
    config.update(file_values)
    config.update({k: coerce(k, v) for k, v in flag_values.items()})
    return config


# The ranges every numeric key must lie in: (low, high, low_open, high_open); None = unbounded.
RANGES: dict[str, tuple[float | None, float | None, bool, bool]] = {
    "val_fraction": (0, 1, False, True), "train_limit": (0, None, False, False),
    "bn_momentum": (0, 1, False, False), "dropout": (0, 1, False, True), "maxout_pieces": (1, None, False, False),
    "lr": (0, None, True, False), "momentum": (0, None, False, False), "beta1": (0, 1, False, True),
    "beta2": (0, 1, False, True), "weight_decay": (0, None, False, False), "max_grad_norm": (0, None, False, False),
    "lr_min": (0, None, False, False), "step_epochs": (1, None, False, False), "gamma": (0, None, True, False),
    "batch_size": (1, None, False, False), "epochs": (1, None, False, False), "l2": (0, None, False, False),
    "l1": (0, None, False, False), "patience": (0, None, False, False), "pretrain_epochs": (1, None, False, False),
    "pretrain_lr": (0, None, True, False), "pretrain_noise": (0, None, False, False), "cd_k": (1, None, False, False),
    "seed": (0, None, False, False), "bias_init": (None, None, False, False),
}


def validate(config: dict[str, Any]) -> dict[str, Any]:
    """Check every value of a resolved config before anything runs or is written; the error
    names the key and the value (``lr must be > 0, got -0.1``)."""
    from mlplab import init
    from mlplab.validation import check_number, check_positive_int
    unknown = sorted(set(config) - set(KEYS))
    if unknown:
        raise ValueError(f"unknown config key(s) {', '.join(unknown)}; valid: {', '.join(KEYS)}")
    for name, (low, high, low_open, high_open) in RANGES.items():
        check_number(name, config[name], low=low, high=high, low_open=low_open, high_open=high_open)
    for name, key in KEYS.items():
        if key.choices and config[name] not in key.choices:
            raise ValueError(f"unknown {name} {config[name]!r}; valid: {', '.join(key.choices)}")
    for i, size in enumerate(config["hidden"]):
        check_positive_int(f"hidden[{i}]", size)
    if config["init"] not in ("auto", "lsuv"):
        init.get(config["init"])          # its error lists the valid names
    if config["schedule"] == "cosine" and config["lr_min"] > config["lr"]:
        raise ValueError(f"lr_min {config['lr_min']!r} must not exceed lr {config['lr']!r} (cosine schedule)")
    if config["pretrain"] != "none" and config["activation"] == "maxout":
        raise ValueError(f"pretrain {config['pretrain']!r} needs Dense hidden blocks; activation 'maxout' has none")
    if config["pretrain"] == "rbm" and config["batchnorm"]:
        raise ValueError("pretrain 'rbm' cannot pre-train a network with batch norm (an RBM has no place for it); "
                         "pass --no-batchnorm or another pretrain method")
    from mlplab.diagnostics import parse_spec
    parse_spec(config["diagnostics"])
    return config


def dumps_toml(config: dict[str, Any], comments: list[str] | None = None) -> str:
    """The flat config as TOML (``None`` values are left out: TOML has no null), after ``comments``
    written as ``#`` lines (e.g. what ``init = "auto"`` resolved to)."""
    lines = [f"# {line}" for line in comments or []]
    for name, value in config.items():
        if value is None:
            continue
        if isinstance(value, bool):
            text = "true" if value else "false"
        elif isinstance(value, (int, float)):
            text = repr(value)
        elif isinstance(value, list):
            text = "[" + ", ".join(str(int(v)) for v in value) + "]"
        else:
            text = '"' + str(value).replace("\\", "\\\\").replace('"', '\\"') + '"'
        lines.append(f"{name} = {text}")
    return "\n".join(lines) + "\n"
