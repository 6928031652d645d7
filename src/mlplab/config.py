"""The run configuration: one frozen, typed :class:`RunConfig` behind the command-line flags, TOML files,
sweeps and the run directory's ``config.toml``.

Every field carries its help text, ``--help`` section, range and the commands that read it
(:mod:`mlplab.config_schema`); a field with a closed set of values reads it from the registry that
builds it (activations, initialisers, norms, optimizers, schedules, pre-training methods), so a new
registry entry is a valid value, a flag choice and a sweep value without touching this file.  The
deep autoencoder's keys are fields too (``code``): ``command = "autoencoder"`` picks its defaults and
the keys its runs read, so nothing downstream asks which command it is.

The checks that need more than one key live in :mod:`mlplab.config_checks`.

The dict-based functions of earlier versions (``KEYS``, ``resolve``, ``read_toml``, ``validate``,
``coerce``, ``dumps_toml``) remain, built on ``RunConfig``; and a ``RunConfig`` reads as the mapping
``config.toml`` records (``config["lr"]``), so code that took the dict takes it unchanged.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from mlplab import backend, init
from mlplab.config_checks import check_command_keys, check_optimizer_keys, check_together
from mlplab.config_schema import Key, Setting, check_bounds, check_toml_type, coerce as coerce_value
from mlplab.config_schema import dumps_toml, load_toml, setting
from mlplab.data import NAMES as DATASETS
from mlplab.data.preprocess import MODES as PREPROCESS_MODES
from mlplab.network import ACTIVATIONS
from mlplab.norms import NORMS
from mlplab.optim import OPTIMIZERS, SCHEDULES
from mlplab.pretrain.autoencoder import CORRUPTIONS
from mlplab.pretrain.greedy import METHODS as PRETRAIN_METHODS

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

# The commands a config runs as, each with the defaults that differ from ``mlplab train``'s.  The
# deep autoencoder (Hinton & Salakhutdinov 2006) is sigmoid units, pre-trained, fine-tuned with Adam.
COMMANDS: dict[str, dict[str, Any]] = {
    "train": {},
    "autoencoder": {"activation": "sigmoid", "pretrain": "autoencoder", "pretrain_epochs": 2, "pretrain_lr": 1e-3,
                    "epochs": 10, "lr": 1e-3, "out": "runs/autoencoder"},
}

# Keys older runs record that a field now holds: name -> (field, value of the field for each alias value, help).
ALIASES: dict[str, tuple[str, dict[bool, str], str]] = {
    "batchnorm": ("norm", {True: "batch", False: "none"},
                  "batch normalization after each hidden affine map (the key runs record beside norm: "
                  "--batchnorm is --norm batch, --no-batchnorm --norm none)")}

BOTH = ("train", "autoencoder")
NONNEG: Any = (0, None, False, False)          # >= 0
POSITIVE: Any = (0, None, True, False)         # > 0
AT_LEAST_1: Any = (1, None, False, False)
UNIT_OPEN: Any = (0, 1, False, True)           # [0, 1)


@dataclass(frozen=True)
class RunFields:
    """The keys of a run, each with its default (``mlplab train``'s) and :class:`Setting`, in the
    order files and ``--help`` list them.  :class:`RunConfig` adds how a config is built, checked and read."""

    command: str = setting("train", "which run the config is for", "output", choices=lambda: COMMANDS,
                           commands=BOTH, flag=False)
    data: str = setting("fashion-mnist", "a dataset's name or the path of an .npz / .csv file", "data",
                        commands=BOTH, listed=lambda: [*DATASETS, "PATH.npz", "PATH.csv"])
    data_dir: str | None = setting(None, "folder with MNIST/Fashion-MNIST IDX files (else $MLPLAB_DATA, Debian's "
                                   "location)", "data", kind=str, commands=BOTH)
    label_column: str | None = setting(None, "a .csv file's label column: a header name or an index, negative from "
                                       "the end (default: the last column, refused when it does not look like class "
                                       "labels)", "data", kind=str)
    preprocess: str = setting("auto", "auto: scale images to [0,1], standardize other data", "data",
                              choices=lambda: ("auto", *PREPROCESS_MODES))
    val_fraction: float = setting(0.1, "stratified share of the training set held out for validation (0: none)",
                                  "data", bounds=UNIT_OPEN)
    train_limit: int = setting(0, "use only the first N training examples after shuffling (0: all)", "data",
                               bounds=NONNEG, commands=BOTH)
    hidden: tuple[int, ...] = setting((1000, 500, 250), "hidden layer sizes, comma-separated (autoencoder: the "
                                      "encoder's; the decoder mirrors them)", "network", commands=BOTH)
    code: int = setting(30, "autoencoder: size of the linear code layer (and PCA's number of components)",
                        "network", bounds=AT_LEAST_1, commands=("autoencoder",))
    activation: str = setting("relu", "hidden non-linearity", "network", choices=lambda: ACTIVATIONS, commands=BOTH)
    init: str = setting("auto", "weight init (auto: by activation; lsuv: orthogonal, rescaled to unit variance on "
                        "500 training rows)", "network", listed=lambda: ["auto", "lsuv", *init.NAMES])
    bias_init: float = setting(0.0, "initial bias (CS7015 lecture 9, module 9.3, advises 0.01 for ReLU)", "network")
    norm: str = setting("none", "normalization after each hidden affine map", "network", choices=lambda: NORMS)
    bn_momentum: float = setting(0.1, "BatchNorm running-statistics momentum (PyTorch's meaning)", "network",
                                 bounds=(0, 1, False, False))
    dropout: float = setting(0.0, "dropout rate after each hidden block (0: none)", "regularisation",
                             bounds=UNIT_OPEN)
    maxout_pieces: int = setting(2, "pieces per maxout unit", "network", bounds=AT_LEAST_1)
    optimizer: str = setting("sgd", "optimizer", "optimisation", choices=lambda: OPTIMIZERS)
    lr: float = setting(0.05, "learning rate (the peak rate for cosine and cyclic schedules; autoencoder: Adam's "
                        "fine-tuning rate)", "optimisation", bounds=POSITIVE, commands=BOTH)
    momentum: float = setting(0.9, "SGD / RMSProp momentum", "optimisation", bounds=NONNEG)
    nesterov: bool = setting(False, "Nesterov momentum (SGD)", "optimisation")
    beta1: float = setting(0.9, "Adam / NAdam beta1", "optimisation", bounds=UNIT_OPEN)
    beta2: float = setting(0.999, "Adam / NAdam beta2", "optimisation", bounds=UNIT_OPEN)
    amsgrad: bool = setting(False, "Adam / AdamW: divide by the largest second moment so far (AMSGrad)",
                            "optimisation")
    weight_decay: float = setting(0.0, "optimizer weight decay on every parameter (PyTorch's); see --l2",
                                  "regularisation", bounds=NONNEG)
    max_grad_norm: float = setting(0.0, "clip the global gradient norm to this (0: off)", "optimisation",
                                   bounds=NONNEG)
    schedule: str = setting("cosine", "learning-rate schedule", "optimisation", choices=lambda: SCHEDULES)
    lr_min: float = setting(0.0, "cosine (and cosine_restarts) floor / cyclic eta_min", "optimisation",
                            bounds=NONNEG)
    step_epochs: int = setting(10, "step schedule: epochs between decays; cyclic: epochs per half cycle (n_s); "
                               "cosine_restarts: epochs of the first cycle (T_0)", "optimisation", bounds=AT_LEAST_1)
    t_mult: int = setting(1, "cosine_restarts: each cycle this many times longer than the one before (T_mult)",
                          "optimisation", bounds=AT_LEAST_1)
    gamma: float = setting(0.1, "step / exponential schedule decay factor (exponential: per epoch)", "optimisation",
                           bounds=POSITIVE)
    batch_size: int = setting(100, "mini-batch size", "optimisation", bounds=AT_LEAST_1, commands=BOTH)
    epochs: int = setting(20, "training epochs (autoencoder: end-to-end fine-tuning epochs)", "optimisation",
                          bounds=AT_LEAST_1, commands=BOTH)
    l2: float = setting(0.0, "DD2424 lecture 4's lambda: J = loss + lambda * sum ||W||^2 over weight matrices",
                        "regularisation", bounds=NONNEG)
    l1: float = setting(0.0, "L1 penalty lambda1 * sum |W| over weight matrices", "regularisation", bounds=NONNEG)
    patience: int = setting(0, "early stopping after this many epochs without a better validation loss (0: off)",
                            "regularisation", bounds=NONNEG)
    pretrain: str = setting("none", "greedy layer-wise pre-training of the hidden layers before training",
                            "pre-training", choices=lambda: ("none", *PRETRAIN_METHODS), commands=BOTH)
    pretrain_epochs: int = setting(5, "pre-training epochs per hidden layer", "pre-training", bounds=AT_LEAST_1,
                                   commands=BOTH)
    pretrain_lr: float = setting(0.001, "pre-training learning rate (each layer gets a fresh optimizer)",
                                 "pre-training", bounds=POSITIVE, commands=BOTH)
    pretrain_optimizer: str = setting("adam", "pre-training optimizer", "pre-training", choices=lambda: OPTIMIZERS)
    pretrain_tied: bool = setting(True, "autoencoder decoders use W^T (tied) instead of a matrix of their own",
                                  "pre-training")
    # "none" is the plain autoencoder's (no) noise: pretrain = "autoencoder" says that
    pretrain_corruption: str = setting("mask", "denoising: the input noise", "pre-training",
                                       choices=lambda: [c for c in CORRUPTIONS if c != "none"])
    pretrain_noise: float = setting(0.3, "denoising: share of inputs masked, or the Gaussian noise std",
                                    "pre-training", bounds=NONNEG)
    cd_k: int = setting(1, "rbm: Gibbs steps per update (CD-k)", "pre-training", bounds=AT_LEAST_1)
    freeze_pretrained: bool = setting(False, "fine-tune only the output layer: the pre-trained layers stay fixed",
                                      "pre-training")
    diagnostics: str = setting("every=1", "per-layer statistics every N epochs on a fixed probe batch of M "
                               "examples (default 1000), or none", "diagnostics",
                               listed=lambda: ["every=N[,probe=M]", "off"])
    test_every_epoch: bool = setting(False, "also evaluate the test set after every epoch (off: validation during "
                                     "training, the test set once at the end)", "diagnostics")
    tensorboard: str | None = setting(None, "also write TensorBoard event files (scalars per epoch, per-layer "
                                      "histograms of each diagnostics record) into this folder; needs pip install "
                                      "'mlplab[tensorboard]'", "output", kind=str)
    report: bool = setting(True, "write report.html (figures, config, results) into the run directory at the end",
                           "output")
    seed: int = setting(0, "seed of the initialisation, the data order, dropout and the splits", "optimisation",
                        bounds=NONNEG, commands=BOTH)
    dtype: str = setting("float32", "floating point precision", "network", choices=lambda: backend.DTYPES,
                         commands=BOTH)
    out: str = setting("runs/latest", "run directory to write", "output", commands=BOTH)


@dataclass(frozen=True)
class RunConfig(RunFields, Mapping[str, Any]):
    """Everything one run is told.  Built by :meth:`defaults`, :meth:`from_dict`, :meth:`from_toml`
    and :meth:`merge` / :meth:`replace`; every way in converts and checks each value, and a refusal
    names the key and the value (``lr must be > 0, got -0.1``)."""

    # -- building -----------------------------------------------------------------------------
    def __post_init__(self) -> None:
        for field in dataclasses.fields(self):
            meta = _setting(field)
            value = coerce_value(field.name, meta.kind, getattr(self, field.name), meta.valid())
            if value is None and field.default is not None:
                raise ValueError(f"config key {field.name!r} must be {meta.kind.__name__}, got None")
            object.__setattr__(self, field.name, value)
            if meta.bounds is not None:
                check_bounds(field.name, value, meta.bounds)
        check_command_keys(self)
        check_optimizer_keys(self)
        check_together(self)

    @classmethod
    def defaults(cls, command: str = "train") -> RunConfig:
        """The config of a plain ``mlplab COMMAND`` run."""
        coerce_value("command", str, command, tuple(COMMANDS))
        return cls(command=command, **COMMANDS[command])

    @classmethod
    def of(cls, config: RunConfig | Mapping[str, Any]) -> RunConfig:
        """``config`` itself, or the config a dict of keys describes (as :meth:`from_dict`)."""
        return config if isinstance(config, RunConfig) else cls.from_dict(config)

    @classmethod
    def from_dict(cls, values: Mapping[str, Any], command: str | None = None) -> RunConfig:
        """The command's defaults (``values["command"]``, else ``command``, else train) with ``values`` over them."""
        command = values.get("command") or command or "train"
        return cls.defaults(command).merge(values)

    @classmethod
    def from_toml(cls, path: str | os.PathLike, command: str = "train") -> RunConfig:
        """A config file over the defaults of ``command`` (a file that says another command is refused)."""
        return cls.defaults(command).merge_file(path)

    def merge(self, values: Mapping[str, Any]) -> RunConfig:
        """This config with ``values`` over it: Python values or flag strings (``"32,16"``, ``"true"``);
        an old key (``batchnorm``) sets the field that holds it now (``norm``)."""
        values = dict(values)
        valid = self.accepted(self.command)
        unknown = sorted(set(values) - set(valid) - {"command"})
        if unknown:
            raise ValueError(f"unknown config key(s) {', '.join(unknown)}; valid: {', '.join(valid)}")
        if values.get("command", self.command) != self.command:
            raise ValueError(f"config key 'command' is {values['command']!r}, but this is a {self.command} config "
                             f"(mlplab {values['command']} runs it)")
        for alias, (name, meaning, _) in ALIASES.items():
            flag = coerce_value(alias, bool, values.pop(alias, None))
            if flag is None:
                continue
            if name in values:          # both (as config.toml records them): they must say the same
                if (coerce_value(name, str, values[name]) == meaning[True]) != flag:
                    raise ValueError(f"config keys {alias!r} and {name!r} disagree: {alias} is {flag}, but {name} "
                                     f"is {values[name]!r}")
            elif flag or getattr(self, name) == meaning[True]:      # --no-batchnorm leaves a layer norm alone
                values[name] = meaning[flag]
        return dataclasses.replace(self, **values)

    def replace(self, **values: Any) -> RunConfig:
        """This config with some keys changed (``config.replace(epochs=3, hidden=[64])``)."""
        return self.merge(values)

    def merge_file(self, path: str | os.PathLike) -> RunConfig:
        """This config with a TOML file's keys over it; unknown keys and values of the wrong TOML type are
        refused, naming the file, the key and the value."""
        return self.merge(read_toml(path, self.command))

    # -- reading ------------------------------------------------------------------------------
    @classmethod
    def names(cls, command: str = "train") -> tuple[str, ...]:
        """The keys a ``command`` run reads, in the order files and ``--help`` list them."""
        return tuple(f.name for f in dataclasses.fields(cls) if command in _setting(f).commands and
                     _setting(f).flag)

    @classmethod
    def accepted(cls, command: str = "train") -> tuple[str, ...]:
        """:meth:`names`, with the older keys that stand for one of them (``batchnorm`` after ``norm``)."""
        found: list[str] = []
        for name in cls.names(command):
            found.append(name)
            found += [alias for alias, (field, *_) in ALIASES.items() if field == name]
        return tuple(found)

    def to_dict(self) -> dict[str, Any]:
        """What ``config.toml`` (and an autoencoder's ``config.json``) records: the keys this command
        reads, lists as lists, ``batchnorm`` beside ``norm`` (the key every stored run has), and the
        command when it is not ``train`` (so a train run's file keeps its keys as they always were)."""
        found: dict[str, Any] = {} if self.command == "train" else {"command": self.command}
        for name in self.accepted(self.command):
            if name in ALIASES:
                field, meaning, _ = ALIASES[name]
                found[name] = next(flag for flag, value in meaning.items() if value == getattr(self, field)) \
                    if getattr(self, field) in meaning.values() else False
            else:
                value = getattr(self, name)
                found[name] = list(value) if isinstance(value, tuple) else value
        return found

    @property
    def batchnorm(self) -> bool:
        """Whether the hidden blocks have batch norm (the key older runs record)."""
        return self.norm == "batch"

    def __getitem__(self, name: str) -> Any:
        found = self.to_dict()
        if name not in found:
            raise KeyError(name)
        return found[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self.to_dict())

    def __len__(self) -> int:
        return len(self.to_dict())


def _setting(field: dataclasses.Field) -> Setting:
    return field.metadata["setting"]


def _fields() -> dict[str, dataclasses.Field]:
    return {f.name: f for f in dataclasses.fields(RunConfig)}


def keys(command: str = "train") -> dict[str, Key]:
    """The keys of a ``command`` run as ``--help`` shows them: default (the command's), type, help, choices."""
    fields, defaults = _fields(), RunConfig.defaults(command).to_dict()
    found = {}
    for name in RunConfig.accepted(command):
        if name in ALIASES:
            target, _, text = ALIASES[name]
            found[name] = Key(defaults[name], bool, text, group=_setting(fields[target]).group)
            continue
        meta = _setting(fields[name])
        found[name] = Key(defaults[name], meta.kind, meta.help, meta.valid(), meta.group)
    return found


KEYS: dict[str, Key] = keys("train")


def valid_values(name: str, command: str = "train") -> list[str] | None:
    """The values key ``name`` takes, as ``--help`` lists them: its choices; for ``data`` the dataset
    names (or a file's path), for ``init`` the initialisers' spec forms; None for a number, a path or a flag."""
    field = _fields().get(name)
    if field is None:
        return None
    meta = _setting(field)
    if meta.choices is not None:
        return list(meta.valid() or ())
    return meta.listed() if meta.listed is not None else None


# -- the dict-based functions of earlier versions, on RunConfig --------------------------------
def coerce(name: str, value: Any) -> Any:
    """Convert ``value`` (from TOML or a flag string) to key ``name``'s type, with a clear error."""
    key = keys()[name]
    value = coerce_value(name, key.kind, value, key.choices)
    return list(value) if isinstance(value, tuple) else value


def read_toml(path: str | os.PathLike, command: str | None = None) -> dict[str, Any]:
    """A config file's own keys, converted; unknown keys and values of the wrong TOML type are refused,
    naming the file, the key and the value.  ``command``: the run the file must be for (None: any)."""
    table = load_toml(path)
    where = repr(str(path))
    said = table.get("command", "train")
    if not isinstance(said, str) or said not in COMMANDS:
        raise ValueError(f"config {where}: key 'command' must be one of {', '.join(COMMANDS)}, got {said!r}")
    if command is not None and said != command:
        raise ValueError(f"config {where} is an {said} config (command = {said!r}); run it with mlplab {said}")
    valid = RunConfig.accepted(said)
    unknown = sorted(set(table) - set(valid) - {"command"})
    if unknown:
        raise ValueError(f"config {where}: unknown key(s) {', '.join(unknown)}; valid: {', '.join(valid)}")
    known = keys(said)
    for name, value in table.items():
        if name != "command":
            check_toml_type(where, name, known[name].kind, value)
    found = {name: value if name == "command" else coerce_value(name, known[name].kind, value, known[name].choices)
             for name, value in table.items()}
    return {name: list(value) if isinstance(value, tuple) else value for name, value in found.items()}


def resolve(file_values: Mapping[str, Any], flag_values: Mapping[str, Any]) -> dict[str, Any]:
    """Defaults, overridden by the file, overridden by the flags: the checked config as a dict."""
    return RunConfig.from_dict(file_values).merge(flag_values).to_dict()


def validate(config: Mapping[str, Any]) -> Mapping[str, Any]:
    """Check every value of a config before anything runs or is written (raises, naming the key and the value)."""
    RunConfig.of(config)
    return config


__all__ = ["RunConfig", "RunFields", "GROUPS", "COMMANDS", "ALIASES", "Key", "KEYS", "keys", "valid_values", "coerce",
           "read_toml", "resolve", "validate", "dumps_toml"]
