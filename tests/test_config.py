"""The typed configuration (issue 18, item 4): one frozen RunConfig whose choices come from the
registries, which the CLI, TOML files and sweeps are generated from and checked against, for the
deep autoencoder as for training, and factories that read the registries."""

from __future__ import annotations

import dataclasses
import json
import math
import subprocess
import sys
from pathlib import Path

import pytest

from mlplab import backend, init, optim
from mlplab.builders import SCHEDULE_ARGS, build_network, build_optimizer, build_schedule, describe_run
from mlplab.cli_parser import build_parser
from mlplab.config import KEYS, RunConfig, dumps_toml, read_toml, resolve, valid_values
from mlplab.network import ACTIVATIONS
from mlplab.norms import NORMS, Norm
from mlplab.pretrain.greedy import METHODS
from mlplab.sweep import expand, read_spec, run_sweep

SRC = Path(__file__).resolve().parents[1] / "src" / "mlplab"


# -- the registries are the choices ------------------------------------------------------------
REGISTRIES = {            # field -> (the registry's names, one name known to be there)
    "activation": (lambda: list(ACTIVATIONS), "leaky_relu"),
    "optimizer": (lambda: list(optim.OPTIMIZERS), "adamw"),
    "pretrain_optimizer": (lambda: list(optim.OPTIMIZERS), "rmsprop"),
    "schedule": (lambda: list(optim.SCHEDULES), "cyclic"),
    "norm": (lambda: list(NORMS), "batch"),
    "pretrain": (lambda: ["none", *METHODS], "rbm"),
    "dtype": (lambda: list(backend.DTYPES), "float64"),
}


@pytest.mark.parametrize("field", sorted(REGISTRIES))
def test_every_registry_entry_is_a_valid_choice_and_nothing_else(field):
    names, known = REGISTRIES[field]
    assert known in names()                                   # the expectation is not empty by accident
    assert valid_values(field) == names()
    for name in names():
        if field == "pretrain" and name == "rbm":            # an RBM takes sigmoid units without batch norm
            assert RunConfig.defaults().replace(pretrain=name)[field] == name
        assert RunConfig.defaults().replace(**{field: name})[field] == name
    with pytest.raises(ValueError, match=f"config key '{field}': unknown value 'no-such'"):
        RunConfig.defaults().replace(**{field: "no-such"})


def test_init_takes_every_initialiser_name_and_spec_form():
    named = [name for name in init.NAMES if "<" not in name]
    assert "he_normal" in named and valid_values("init") == ["auto", "lsuv", *init.NAMES]
    for name in [*named, "normal:0.02", "orthogonal:1.5", "auto", "lsuv"]:
        assert RunConfig.defaults().replace(init=name).init == name
    with pytest.raises(ValueError, match="unknown init 'kaiming'"):
        RunConfig.defaults().replace(init="kaiming")


def test_an_entry_added_to_a_registry_is_a_choice_a_flag_value_and_a_built_network(monkeypatch):
    """The norm field reads NORMS each time: issue 19's layer norm needs no edit of the config."""
    monkeypatch.setitem(NORMS, "batch-again", Norm({"batchnorm": True}, "batch norm, again"))
    config = RunConfig.defaults().merge({"norm": "batch-again", "hidden": "8"})
    assert [type(layer).__name__ for layer in build_network(config, 4, 2).layers] == \
        ["Dense", "BatchNorm", "ReLU", "Dense"]
    assert ", batch norm, again," in describe_run(config, 4, 2, 10)
    args = build_parser().parse_args(["train", "--norm", "batch-again"])
    assert args.norm == "batch-again"


def test_build_optimizer_reads_the_registry_and_the_keys_each_class_takes(monkeypatch):
    config = RunConfig.defaults().replace(momentum=0.5, nesterov=True, max_grad_norm=2.0)
    sgd = build_optimizer(config)
    assert type(sgd) is optim.SGD and (sgd.momentum, sgd.nesterov, sgd.max_grad_norm) == (0.5, True, 2.0)
    config = RunConfig.defaults().replace(optimizer="adam", beta1=0.8, max_grad_norm=2.0)
    adam = build_optimizer(config)
    assert type(adam) is optim.Adam and adam.beta1 == 0.8
    assert build_optimizer(config.replace(max_grad_norm=0.0)).max_grad_norm is None       # 0: off

    class Lion(optim.SGD):                        # a new optimizer: registered, never wired in a builder
        def __init__(self, lr: float, beta1: float = 0.9) -> None:
            super().__init__(lr)
            self.beta1 = beta1
    monkeypatch.setitem(optim.OPTIMIZERS, "lion", Lion)
    lion = build_optimizer(config.replace(optimizer="lion", lr=0.3, max_grad_norm=0.0))
    assert type(lion) is Lion and (lion.lr, lion.beta1) == (0.3, 0.8)


@pytest.mark.parametrize("optimizer, key", [("sgd", "amsgrad"), ("adam", "nesterov"), ("nadam", "amsgrad"),
                                            ("rmsprop", "nesterov")])
def test_a_switch_only_other_optimizers_read_is_refused_not_ignored(optimizer, key):
    with pytest.raises(ValueError) as refused:
        RunConfig.defaults().replace(optimizer=optimizer, **{key: True})
    assert str(refused.value).startswith(f"config key {key!r} is not read by optimizer {optimizer!r} (got True); "
                                         "turn it off")
    assert RunConfig.defaults().replace(optimizer=optimizer, **{key: False}).optimizer == optimizer


def test_numeric_keys_of_other_optimizers_are_left_to_the_one_that_reads_them():
    # a recipe's momentum = 0.0 (dead-relu) with --optimizer adam, or a sweep's base section over an optimizer grid
    assert RunConfig.defaults().replace(momentum=0.0, optimizer="adam").momentum == 0.0
    assert RunConfig.defaults().replace(beta2=0.99, optimizer="sgd").beta2 == 0.99
    assert RunConfig.defaults().replace(optimizer="adam", amsgrad=True).amsgrad is True


def test_build_schedule_builds_each_registered_schedule_with_the_plans_update_count():
    assert set(SCHEDULE_ARGS) == set(optim.SCHEDULES)
    config = RunConfig.defaults().replace(epochs=4, lr=0.1, lr_min=0.001, gamma=0.5, step_epochs=2)
    for name, cls in optim.SCHEDULES.items():
        assert type(build_schedule(config.replace(schedule=name), 10)) is cls
    cosine = build_schedule(config, 10)
    assert cosine(0) == pytest.approx(0.1) and cosine(40) == pytest.approx(0.001) and cosine(39) > 0.001
    exponential = build_schedule(config.replace(schedule="exponential"), 10)
    assert exponential(10) == pytest.approx(0.05)                      # gamma is per epoch of 10 updates
    step = build_schedule(config.replace(schedule="step"), 10)
    assert (step(19), step(20)) == (pytest.approx(0.1), pytest.approx(0.05))


# -- one frozen, typed config --------------------------------------------------------------------
def test_the_config_is_frozen_typed_and_replace_gives_a_new_one():
    config = RunConfig.defaults()
    with pytest.raises(dataclasses.FrozenInstanceError):
        config.lr = 1.0                                               # type: ignore[misc]
    other = config.replace(hidden="64,32", epochs="3", batchnorm="true")
    assert (other.hidden, other.epochs, other.norm, other.batchnorm) == ((64, 32), 3, "batch", True)
    assert (config.hidden, config.epochs, config.norm) == ((1000, 500, 250), 20, "none")
    assert other["hidden"] == [64, 32] and {**other}["norm"] == "batch"          # read as config.toml records it
    assert hash(other) == hash(RunConfig.defaults().replace(hidden=[64, 32], epochs=3, norm="batch"))


@pytest.mark.parametrize("command", ["train", "autoencoder"])
def test_to_dict_goes_through_toml_and_back_unchanged(tmp_path, command):
    changes = {"hidden": [12, 6], "lr": 0.02, "seed": 4}
    changes.update({"norm": "batch", "tensorboard": "tb", "label_column": "3"} if command == "train" else {"code": 5})
    config = RunConfig.defaults(command).merge(changes)
    path = tmp_path / "config.toml"
    path.write_text(dumps_toml(config.to_dict()))
    assert RunConfig.from_toml(path, command) == config
    assert RunConfig.from_dict(json.loads(json.dumps(config.to_dict()))) == config        # config.json too


def test_a_train_runs_file_keeps_its_keys_and_an_old_one_loads(tmp_path):
    keys = list(RunConfig.defaults().to_dict())
    assert "command" not in keys and "code" not in keys and keys.index("batchnorm") == keys.index("norm") + 1
    old = tmp_path / "old.toml"                  # as every stored run wrote it: batchnorm, no norm
    old.write_text('data = "digits"\nhidden = [32]\nbatchnorm = true\n')
    assert RunConfig.from_toml(old).norm == "batch"
    assert resolve(read_toml(old), {"batchnorm": "false"})["norm"] == "none"     # a flag over a file
    both = tmp_path / "both.toml"
    both.write_text('batchnorm = true\nnorm = "none"\n')
    with pytest.raises(ValueError, match="config keys 'batchnorm' and 'norm' disagree: batchnorm is True, but norm "
                                         "is 'none'"):
        RunConfig.from_toml(both)


def test_batchnorm_false_beside_another_norm_is_consistent(monkeypatch):
    """Issue 19's norms record batchnorm = false beside norm = "layer": that file loads back as it was."""
    monkeypatch.setitem(NORMS, "layer", Norm({}, "layer norm"))
    layer = RunConfig.defaults().replace(norm="layer")
    assert layer.to_dict()["batchnorm"] is False and RunConfig.from_dict(layer.to_dict()) == layer
    assert layer.replace(batchnorm=False).norm == "layer" and layer.replace(batchnorm=True).norm == "batch"
    assert RunConfig.defaults().replace(norm="batch").replace(batchnorm=False).norm == "none"


@pytest.mark.parametrize("text, message", [
    ('learning_rate = 0.1\n', r"unknown key\(s\) learning_rate; valid: data, data_dir"),
    ('activation = "swish"\n', r"config key 'activation': unknown value 'swish'; valid: sigmoid, tanh"),
    ('optimizer = "lbfgs"\n', r"config key 'optimizer': unknown value 'lbfgs'; valid: sgd, adagrad"),
    ('norm = "group"\n', r"config key 'norm': unknown value 'group'; valid: none, batch"),
    ('epochs = "ten"\n', r"key 'epochs' must be int, got str 'ten'"),
    ('lr = -0.5\n', r"lr must be > 0, got -0.5"),
    ('code = 8\n', r"unknown key\(s\) code"),                       # an autoencoder key, not a train key
    ('command = "autoencoder"\n', r"is an autoencoder config .*run it with mlplab autoencoder"),
])
def test_a_bad_toml_file_is_refused_naming_the_key_and_the_value(tmp_path, text, message):
    path = tmp_path / "bad.toml"
    path.write_text(text)
    with pytest.raises(ValueError, match=message):
        RunConfig.from_toml(path)


def test_an_autoencoder_config_has_its_own_defaults_and_refuses_training_keys():
    config = RunConfig.defaults("autoencoder")
    assert (config.activation, config.pretrain, config.lr, config.epochs, config.code, config.out) == \
        ("sigmoid", "autoencoder", 1e-3, 10, 30, "runs/autoencoder")
    assert "norm" not in config.to_dict() and config.to_dict()["command"] == "autoencoder"
    with pytest.raises(ValueError, match="unknown config key.*dropout"):
        config.replace(dropout=0.5)
    with pytest.raises(ValueError, match="config key 'norm' is not read by autoencoder runs .got 'batch'"):
        dataclasses.replace(config, norm="batch")
    with pytest.raises(ValueError, match="code must be >= 1, got 0"):
        config.replace(code=0)


def test_the_autoencoder_flags_are_its_config_keys_with_its_defaults(capsys):
    parser = build_parser()
    with pytest.raises(SystemExit):
        parser.parse_args(["autoencoder", "--help"])
    text = " ".join(capsys.readouterr().out.split())
    for name in RunConfig.accepted("autoencoder"):
        assert f"--{name.replace('_', '-')} " in text, name
    assert "--code CODE autoencoder: size of the linear code layer" in text and "(default: sigmoid)" in text
    assert "--dropout" not in text and "--norm" not in text
    train_flags = {a.dest for a in parser._subparsers._group_actions[0].choices["train"]._actions}
    assert set(KEYS) <= train_flags and "code" not in train_flags and "command" not in train_flags


def test_the_autoencoder_command_refuses_a_bad_value_in_one_line(tmp_path):
    result = subprocess.run([sys.executable, "-m", "mlplab.cli", "autoencoder", "--code", "0", "--out",
                             str(tmp_path / "ae")], capture_output=True, text=True, timeout=120)
    assert result.returncode == 2 and result.stderr.strip() == "mlplab autoencoder: error: code must be >= 1, got 0"
    assert not (tmp_path / "ae").exists()


# -- sweeps: the autoencoder with no special case ------------------------------------------------
def test_the_sweep_and_the_command_line_never_ask_which_command_it_is():
    for module in ("sweep.py", "cli.py", "cli_parser.py", "config.py", "builders.py"):
        text = (SRC / module).read_text()
        assert '== "autoencoder"' not in text and "!= \"autoencoder\"" not in text, module


def test_an_autoencoder_sweep_spec_is_checked_and_run_as_its_config_says(tmp_path):
    spec = tmp_path / "ae.toml"
    spec.write_text('command = "autoencoder"\nseeds = [3]\n[base]\ndata = "digits"\nhidden = [16]\n'
                    'pretrain = "none"\nepochs = 1\nbatch_size = 64\n[grid]\ncode = [2, 6]\n')
    cells = expand(read_spec(spec), tmp_path / "out")
    assert [(c.config.command, c.config.code, c.config.seed, c.config.lr) for c in cells] == \
        [("autoencoder", 2, 3, 1e-3), ("autoencoder", 6, 3, 1e-3)]
    rows = run_sweep(spec, tmp_path / "out", workers=1)
    assert [row["config"] for row in rows] == ["code=2", "code=6"]
    # the code size reached each run: PCA with 6 components reconstructs better than with 2
    assert rows[1]["pca_test_mse_mean"] < rows[0]["pca_test_mse_mean"] and not math.isnan(rows[0]["test_mse_mean"])
    recorded = json.loads((tmp_path / "out" / "runs" / "code=6" / "seed3" / "config.json").read_text())
    assert RunConfig.from_dict(recorded) == cells[1].config
    bad = tmp_path / "bad.toml"
    bad.write_text('command = "autoencoder"\n[grid]\ncode = [4, 0]\n')
    with pytest.raises(ValueError, match="code must be >= 1, got 0"):
        expand(read_spec(bad), tmp_path / "never")


def test_the_command_line_lays_defaults_file_and_flags_in_that_order(tmp_path):
    from mlplab.cli import config_from_args
    ae = tmp_path / "ae.toml"
    ae.write_text('command = "autoencoder"\ndata = "digits"\nhidden = [32]\ncode = 8\nepochs = 4\n')
    args = build_parser().parse_args(["autoencoder", "--config", str(ae), "--epochs", "2"])
    config = config_from_args(args, "autoencoder")
    assert (config.command, config.data, config.hidden, config.code, config.epochs, config.lr) == \
        ("autoencoder", "digits", (32,), 8, 2, 1e-3)
    with pytest.raises(ValueError, match="is an autoencoder config .*run it with mlplab autoencoder"):
        config_from_args(build_parser().parse_args(["train", "--config", str(ae)]), "train")
    train = tmp_path / "t.toml"
    train.write_text('batchnorm = true\nlr = 0.2\n')
    args = build_parser().parse_args(["train", "--config", str(train), "--no-batchnorm"])
    assert (config_from_args(args, "train").norm, config_from_args(args, "train").lr) == ("none", 0.2)


@pytest.mark.parametrize("keys, message", [
    ({"norm": "weight", "pretrain": "autoencoder"}, r"pretrain 'autoencoder' needs Dense hidden blocks; norm 'weight'"),
    ({"norm": "weight", "init": "lsuv"}, r"init 'lsuv' rescales Dense weights; norm 'weight'"),
])
def test_weight_norm_refuses_what_would_skip_its_layers(keys, message):
    """Greedy pre-training and LSUV look for Dense layers; with weight norm there are none, and they would
    run without touching a hidden layer: refused, naming both keys."""
    with pytest.raises(ValueError, match=message):
        RunConfig.defaults("train").merge(keys)
    RunConfig.defaults("train").merge({**keys, "norm": "layer"})         # the same with layer norm is fine
