"""The shipped recipes and the one set of defaults (CLI, TOML, ml.mlp, the estimators)."""

import inspect
import subprocess
import sys

import pytest

import mlplab as ml
from mlplab.config import KEYS, read_toml, resolve
from mlplab.recipes import find, recipes, shows
from mlplab.run import describe_run, resolved_init
from mlplab.sklearn import MLPClassifier


def test_every_recipe_reads_and_says_what_it_shows():
    assert {"fashion-mnist", "vanishing-tanh", "dead-relu", "saturated-sigmoid"} <= set(recipes())
    for name, path in recipes().items():
        config = resolve(read_toml(path), {})
        assert config["out"] == f"runs/{'demo' if name == 'fashion-mnist' else name}"
        assert len(shows(path)) > 40, name


def test_the_demo_recipe_is_the_network_the_demo_always_trained():
    config = resolve(read_toml(find("fashion-mnist")), {})
    assert (config["hidden"], config["activation"], config["batchnorm"], config["dropout"]) == \
        ([1000, 500, 250], "relu", True, 0.2)
    assert (config["optimizer"], config["lr"], config["momentum"], config["schedule"], config["epochs"]) == \
        ("sgd", 0.05, 0.9, "cosine", 20)


def test_a_config_name_that_is_neither_file_nor_recipe_is_refused():
    with pytest.raises(ValueError, match="neither a file nor a shipped recipe; recipes: dead-relu"):
        find("no-such-recipe")


def test_one_set_of_defaults_a_plain_network():
    assert KEYS["batchnorm"].default is False and KEYS["dropout"].default == 0.0
    mlp = inspect.signature(ml.mlp).parameters      # batchnorm=None: no spelling given, norm decides
    assert mlp["norm"].default is None and not mlp["batchnorm"].default and mlp["dropout"].default == 0.0
    assert not any(type(layer).__name__ in ("BatchNorm", "LayerNorm", "Dropout", "WeightNormDense")
                   for layer in ml.mlp(4, [8, 8], 2).layers)
    estimator = MLPClassifier()
    assert estimator.batchnorm is False and estimator.norm is None and estimator.dropout == 0.0


def test_the_first_line_states_the_network_and_what_auto_resolved_to():
    config = resolve({}, {"activation": "tanh", "hidden": "32,16", "batchnorm": True, "dropout": 0.3})
    assert resolved_init(config) == "xavier_normal"
    line = describe_run(config, 64, 10, 1000)
    assert line.startswith("fashion-mnist: 64-32-16-10 tanh net, init xavier_normal (auto), batch norm, dropout 0.3;")
    plain = describe_run(resolve({}, {"init": "normal:0.01"}), 784, 10, 50)
    assert "init normal:0.01, no batch norm, no dropout" in plain


def test_mlplab_recipes_lists_them(tmp_path):
    result = subprocess.run([sys.executable, "-m", "mlplab.cli", "recipes"], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    for name in recipes():
        assert f"{name}  (" in result.stdout
    assert "mlplab train --config NAME" in result.stdout
