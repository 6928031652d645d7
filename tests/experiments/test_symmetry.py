"""The symmetry experiment's measures on constructed cases: the width-1 collapse of a net whose
hidden units are copies computes what the net computes, at init and through SGD, only with the
per-layer rates; a random net is not its collapse."""

import math

import numpy as np
import pytest

import mlplab as ml
from mlplab.experiments.symmetry import (FLOOR, ScaledDense, Trace, collapse, largest_difference,
                                         log10_difference)
from mlplab.train import Trainer


def _data(n=120, d=7, classes=3, seed=0):
    rng = np.random.default_rng(seed)
    return rng.normal(size=(n, d)), rng.integers(0, classes, size=n)


def _net(init, width=5, seed=0):
    return ml.mlp(7, [width, width], 3, activation="tanh", init=init, dtype="float64", seed=seed)


def _fit(net, X, y, epochs=3):
    Trainer(net, ml.optim.SGD(lr=0.1, momentum=0.9), batch_size=20, epochs=epochs, seed=0).fit(X, y)
    return net.forward(X, train=False)


def test_the_collapse_of_a_constant_net_has_its_outputs_at_init():
    X, _ = _data()
    net = _net("constant:0.3")
    assert np.abs(collapse(net).forward(X) - net.forward(X)).max() < 1e-12


def test_the_collapse_follows_the_constant_net_through_sgd_only_with_the_per_layer_rates():
    X, y = _data()
    wide = _fit(_net("constant:0.3"), X, y)
    assert np.abs(_fit(collapse(_net("constant:0.3")), X, y) - wide).max() < 1e-10
    # one rate for every layer: the same function at init, another path through training
    assert np.abs(_fit(collapse(_net("constant:0.3"), per_layer_rates=False), X, y) - wide).max() > 1e-3


def test_a_random_net_is_not_its_collapse():
    X, _ = _data()
    net = _net("xavier_normal")
    assert np.abs(collapse(net).forward(X) - net.forward(X)).max() > 1e-2


def test_scaled_dense_gradient_and_step_are_those_of_its_effective_weights():
    rng = np.random.default_rng(1)
    W, b, x, g = rng.normal(size=(2, 3)), rng.normal(size=2), rng.normal(size=(4, 3)), rng.normal(size=(4, 2))
    layer = ScaledDense(W, b, a_W=3.0, a_b=0.5)
    assert np.allclose(layer.forward(x), x @ W.T + b)
    dx = layer.backward(g)
    assert np.allclose(dx, g @ W)
    # dJ/dP = a dJ/dW, so a step of lr on P moves W = a P by a^2 lr dJ/dW
    assert np.allclose(layer.grads["W"], 3.0 * g.T @ x) and np.allclose(layer.grads["b"], 0.5 * g.sum(axis=0))
    layer.W -= 0.1 * layer.grads["W"]
    assert np.allclose(layer.effective()[0], W - 9.0 * 0.1 * g.T @ x)


def test_the_statistic_floors_exact_agreement_and_penalises_divergence():
    assert log10_difference(0.0) == math.log10(FLOOR)
    assert log10_difference(1e-7) == pytest.approx(-7)
    assert log10_difference(math.inf) == 3.0
    a = Trace(losses=[1.0, 0.5], logits=[np.zeros((2, 2))])
    b = Trace(losses=[1.0, 0.5 + 1e-4], logits=[np.full((2, 2), 1e-3)])
    assert largest_difference(a, b) == pytest.approx(1e-3)
    assert largest_difference(a, Trace(losses=[1.0], diverged=True)) == math.inf


def test_distance_to_collapse_is_zero_for_copies_and_the_noise_scale_for_a_perturbed_net():
    from mlplab.experiments.symmetry import copies_spread, distance_to_collapse
    net = _net("constant:0.3")
    assert distance_to_collapse(net) < 1e-15 and copies_spread(net) == 0.0
    dense = [layer for layer in net.layers if hasattr(layer, "W")]
    dense[1].W[2, :] += 1e-3                      # unit 2 of the second hidden layer: its incoming weights
    assert distance_to_collapse(net) == pytest.approx(1e-3 * (1 - 1 / 5))
    assert distance_to_collapse(collapse(net)) != distance_to_collapse(collapse(net))  # NaN: no plain Dense


def test_the_perturbed_net_starts_at_the_noise_scale_and_the_constant_net_stays_at_zero():
    from mlplab.experiments.symmetry import CONSTANT, distance_to_collapse, perturbed_net, wide_net
    net = perturbed_net(784, seed=0, noise=1e-6)
    assert 1e-6 < distance_to_collapse(net) < 1e-5            # the max of ~50,000 |N(0, 1e-6)| deviations
    assert abs(float(np.mean(net.layers[0].W)) - CONSTANT) < 1e-7
    assert distance_to_collapse(wide_net("constant:0.01", 784, 0)) < 1e-15


def test_growth_decades_counts_a_diverged_run_as_no_growth():
    from mlplab.experiments.symmetry import growth_decades
    assert growth_decades([1e-6, 1e-4, 1e-1], diverged=False) == pytest.approx(5)
    assert growth_decades([1e-6, math.nan], diverged=False) == 0.0
    assert growth_decades([1e-6, 1.0], diverged=True) == 0.0

