"""The depth-init experiment's measures on constructed cases: the signal ratio, the ReLU net's
halving per layer that the claims test, the stall statistic and updates-to-target."""

import math

import numpy as np
import pytest

import mlplab as ml
from mlplab.experiments.depth_init import (CHANCE_ERROR, TARGET_LOSS, WINDOW, error_percent, hidden_stds,
                                           signal_ratio, steps_to_target)


def test_signal_ratio_of_a_net_that_doubles_its_signal_per_layer():
    net = ml.mlp(4, [4] * 5, 3, activation="relu", seed=0)
    for k, layer in enumerate(l for l in net.layers if hasattr(l, "W")):
        layer.W[...] = 0.0
        if k < 5:                                   # hidden layers: s1 = x, s_(l+1) = 2 relu(s_l)
            np.fill_diagonal(layer.W, 1.0 if k == 0 else 2.0)
    X = np.random.default_rng(0).uniform(0.5, 1.0, size=(50, 4)).astype(np.float32)
    stds = hidden_stds(net, X)
    assert len(stds) == 5 and signal_ratio(stds) == pytest.approx(2.0 ** 4, rel=1e-5)


@pytest.mark.parametrize("init, per_layer", [("lecun_normal", 2 ** -0.5), ("he_normal", 1.0)])
def test_relu_layers_scale_the_signal_as_the_variance_argument_predicts(init, per_layer):
    """Var(w) = 1/n halves E[s^2] per ReLU layer (std x 2^-1/2); 2/n keeps it: over 9 layers
    2^-4.5 and 1, to the finite-width scatter of one wide draw."""
    X = np.random.default_rng(1).normal(size=(400, 256)).astype(np.float32)
    ratios = [signal_ratio(hidden_stds(ml.mlp(256, [512] * 10, 10, activation="relu", init=init, seed=s), X))
              for s in range(3)]
    assert np.exp(np.mean(np.log(ratios))) == pytest.approx(per_layer ** 9, rel=0.2)


def test_steps_to_target_counts_a_run_that_never_gets_there_as_the_budget():
    flat = [math.log(10)] * 300
    assert steps_to_target(flat, 300) == 300.0
    assert steps_to_target(flat[:5], 300) == 300.0                  # shorter than the running-mean window
    falling = [math.log(10)] * 100 + [1.0] * 200
    # the running mean of WINDOW losses reaches TARGET_LOSS a few updates after the drop at 100
    expected = 100 + math.ceil(WINDOW * (math.log(10) - TARGET_LOSS) / (math.log(10) - 1.0))
    assert steps_to_target(falling, 300) == pytest.approx(expected, abs=1)


def test_a_net_that_always_answers_one_class_has_chance_error():
    net = ml.mlp(3, [4], 10, activation="relu", init="zeros", seed=0)
    net.layers[-1].b[...] = np.eye(10)[0]                          # logits favour class 0 for every input
    X, y = np.zeros((100, 3), dtype=np.float32), np.repeat(np.arange(10), 10)
    assert error_percent(net, X, y) == pytest.approx(CHANCE_ERROR)
