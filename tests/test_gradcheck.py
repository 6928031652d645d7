"""Whole-network central-difference checks: every activation, 1 to 5 hidden layers, with and
without batch norm, with L2 and L1, on batches of several examples, in float64."""

from __future__ import annotations

import numpy as np
import pytest

import mlplab as ml
from mlplab.gradcheck import relative_error

TOL = 1e-6
ACTIVATIONS = ["sigmoid", "tanh", "softsign", "relu", "leaky_relu", "prelu", "elu", "maxout"]


def _data(rng, n=6, d=5, classes=3):
    return rng.normal(size=(n, d)), rng.integers(0, classes, size=n)


@pytest.mark.parametrize("activation", ACTIVATIONS)
@pytest.mark.parametrize("depth", [1, 2, 3, 4, 5])
@pytest.mark.parametrize("batchnorm", [False, True])
def test_whole_network_matches_central_differences(activation, depth, batchnorm, rng):
    _check_whole_network(activation, depth, batchnorm, rng)


@pytest.mark.parametrize("activation", ACTIVATIONS)
@pytest.mark.parametrize("batchnorm", [False, True])
def test_whole_network_matches_central_differences_on_every_backend(activation, batchnorm, on, rng):
    """The same check with three hidden layers, run on each backend (array_api_strict, torch, ...)."""
    net = _check_whole_network(activation, 3, batchnorm, rng)
    assert type(net.layers[0].W).__module__.split(".")[0] == {"array_api_strict": "array_api_strict",
                                                              "torch": "torch", "cupy": "cupy"}.get(on.name, "numpy")


def _check_whole_network(activation: str, depth: int, batchnorm: bool, rng):
    x, y = _data(rng)
    net = ml.mlp(5, [6] * depth, 3, activation=activation, batchnorm=batchnorm, dtype="float64", seed=depth,
                 bias_init=0.01, prelu_per_unit=depth % 2 == 0)
    errors = ml.gradcheck(net, ml.losses.softmax_cross_entropy, x, y, l2=0.05, l1=0.01, check_input=True)
    assert set(errors) == set(net.params) | {"input"}
    assert max(errors.values()) <= TOL, errors
    return net


def test_network_with_dropout_and_nontrivial_bn(on, rng):
    x, y = _data(rng, n=8)
    net = ml.mlp(5, [7, 6], 3, activation="elu", batchnorm=True, dropout=0.3, dtype="float64", seed=3)
    for layer in net.layers:
        if isinstance(layer, ml.layers.BatchNorm):
            on.set(layer.gamma, rng.uniform(0.5, 2.0, size=layer.dim))
            on.set(layer.beta, rng.normal(size=layer.dim))
    errors = ml.gradcheck(net, ml.losses.softmax_cross_entropy, x, y, l2=0.01, check_input=True)
    assert max(errors.values()) <= TOL, errors


def test_gradcheck_detects_a_wrong_gradient(rng):
    """The checker itself must fail loudly when backward is wrong."""
    x, y = _data(rng)
    net = ml.mlp(5, [6], 3, activation="tanh", dtype="float64", seed=0)
    original = net.layers[1].backward
    net.layers[1].backward = lambda dy: original(dy) * 1.01   # a 1% error in tanh'
    errors = ml.gradcheck(net, ml.losses.softmax_cross_entropy, x, y)
    assert errors["0.W"] > 1e-3 and errors["2.W"] <= TOL


def test_gradcheck_samples_large_parameters(rng):
    x, y = _data(rng, d=40)
    net = ml.mlp(40, [30], 3, dtype="float64", seed=0)
    errors = ml.gradcheck(net, ml.losses.softmax_cross_entropy, x, y, max_entries=50)
    assert max(errors.values()) <= TOL


def test_gradcheck_leaves_bn_running_statistics_unchanged(rng):
    x, y = _data(rng)
    net = ml.mlp(5, [6], 3, batchnorm=True, dtype="float64", seed=0)
    before = {k: v.copy() for k, v in net.buffers.items()}
    ml.gradcheck(net, ml.losses.softmax_cross_entropy, x, y)
    for k, v in net.buffers.items():
        np.testing.assert_array_equal(v, before[k])


def test_gradcheck_refuses_float32():
    net = ml.mlp(5, [6], 3)
    with pytest.raises(ValueError, match="net must be float64"):
        ml.gradcheck(net, ml.losses.softmax_cross_entropy, np.zeros((4, 5)), np.zeros(4, dtype=int))


def test_relative_error_definition():
    assert relative_error(np.array([1.0, 2.0]), np.array([1.0, 2.2])) == pytest.approx(0.2 / 2.2)
    assert relative_error(np.array([0.0]), np.array([1e-12]), floor=1e-8) == pytest.approx(1e-4)


@pytest.mark.parametrize("norm, activation", [("layer", "relu"), ("layer", "tanh"), ("weight", "relu"),
                                              ("weight", "sigmoid"), ("none", "selu"), ("layer", "selu"),
                                              ("weight", "selu")])
def test_issue_19_norms_and_selu_match_central_differences_on_every_backend(norm, activation, on, rng):
    """Layer norm, weight norm and SELU (alpha dropout with it) in whole networks, with L2 and L1 on."""
    x, y = _data(rng, n=8)
    net = ml.mlp(5, [6, 7, 6], 3, activation=activation, norm=norm, dropout=0.2 if activation == "selu" else 0.0,
                 dtype="float64", seed=4, bias_init=0.01)
    for layer in net.layers:                       # gamma, beta and g away from their initial values
        for name in ("gamma", "beta", "g"):
            if name in layer.params:
                on.set(layer.params[name], rng.uniform(0.5, 2.0, size=layer.params[name].shape))
    errors = ml.gradcheck(net, ml.losses.softmax_cross_entropy, x, y, l2=0.05, l1=0.01, check_input=True)
    assert set(errors) == set(net.params) | {"input"}
    assert max(errors.values()) <= TOL, errors
