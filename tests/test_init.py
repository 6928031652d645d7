import math

import numpy as np
import pytest

import mlplab as ml
from mlplab.init import initialize

N = 1000


def _draw(spec, shape=(N, N), seed=0):
    return initialize(spec, shape, np.random.default_rng(seed), np.float64)


@pytest.mark.parametrize("spec, std", [
    ("normal:0.01", 0.01),
    ("xavier_normal", math.sqrt(2 / (N + N))),
    ("lecun_normal", 1 / math.sqrt(N)),
    ("he_normal", math.sqrt(2 / N)),
])
def test_normal_initializers_have_their_formula_std(spec, std):
    W = _draw(spec)
    assert abs(W.std() / std - 1) < 0.02
    assert abs(W.mean()) < 0.02 * std


@pytest.mark.parametrize("spec, bound", [
    ("uniform:0.3", 0.3),
    ("xavier_uniform", math.sqrt(6 / (N + N))),
    ("he_uniform", math.sqrt(6 / N)),
    ("standard_uniform", 1 / math.sqrt(N)),
])
def test_uniform_initializers_have_their_formula_bound(spec, bound):
    W = _draw(spec)
    assert np.abs(W).max() <= bound
    assert abs(np.abs(W).max() / bound - 1) < 0.02
    assert abs(W.std() / (bound / math.sqrt(3)) - 1) < 0.02    # U(-a, a) has std a / sqrt(3)


def test_fans_come_from_the_weight_shape():
    W = _draw("he_normal", shape=(200, 800))                    # (out, in): fan_in = 800
    assert abs(W.std() / math.sqrt(2 / 800) - 1) < 0.02
    W = _draw("xavier_normal", shape=(200, 800))
    assert abs(W.std() / math.sqrt(2 / 1000) - 1) < 0.02


@pytest.mark.parametrize("shape", [(N, N), (300, 500), (500, 300)])
def test_orthogonal_has_orthonormal_rows_or_columns(shape):
    W = _draw("orthogonal", shape=shape)
    gram = W @ W.T if shape[0] <= shape[1] else W.T @ W
    np.testing.assert_allclose(gram, np.eye(min(shape)), atol=1e-6)
    np.testing.assert_allclose(_draw("orthogonal:2", shape=shape), 2 * W, rtol=1e-12)


def test_constant_init_makes_identical_hidden_units(rng):
    """CS7015 9.4: with equal weights every hidden unit computes, and learns, the same thing."""
    net = ml.mlp(4, [6], 3, activation="sigmoid", init="constant:0.2", dtype="float64")
    x = rng.normal(size=(5, 4))
    h = net.forward_until(x, 2)
    np.testing.assert_array_equal(h, np.repeat(h[:, :1], 6, axis=1))
    _, d = ml.losses.softmax_cross_entropy(net.forward(x), np.array([0, 1, 2, 0, 1]))
    net.backward(d)
    gW = net.grads["0.W"]
    np.testing.assert_allclose(gW, np.repeat(gW[:1], 6, axis=0), rtol=1e-12)


def test_callable_initializer_and_numbers():
    W = initialize(lambda shape, rng: np.full(shape, 3.0), (2, 3), np.random.default_rng(0), np.float32)
    assert W.dtype == np.float32 and (W == 3).all()
    assert (initialize(0.01, (4,), np.random.default_rng(0), np.float64) == 0.01).all()


@pytest.mark.parametrize("spec, message", [
    ("glorot", "unknown init 'glorot'; valid: he_normal"),
    ("normal", "init 'normal' needs a value"),
    ("normal:abc", "'abc' is not a number"),
    ("normal:-1", "must be finite and >= 0"),
])
def test_bad_initializer_names_are_explained(spec, message):
    with pytest.raises(ValueError, match=message):
        _draw(spec, shape=(2, 2))


def test_callable_returning_the_wrong_shape_is_refused():
    with pytest.raises(ValueError, match=r"returned shape \(2,\), expected \(3, 2\)"):
        initialize(lambda shape, rng: np.zeros(2), (3, 2), np.random.default_rng(0), np.float32)


@pytest.mark.parametrize("activation", ["relu", "tanh", "maxout"])
def test_lsuv_gives_unit_output_variance_per_layer(activation, rng):
    net = ml.mlp(20, [50, 40, 30], 5, activation=activation, init="normal:0.01", dtype="float64", seed=0)
    x = rng.normal(size=(200, 20))
    variances = ml.lsuv(net, x, tol=0.02)
    weighted = [i for i, layer in enumerate(net.layers) if "W" in layer.params]
    assert len(variances) == len(weighted) == 4
    for index in weighted:
        assert abs(net.forward_until(x, index + 1).var() - 1.0) <= 0.02


def test_lsuv_changes_no_running_statistics(rng):
    net = ml.mlp(10, [20], 3, batchnorm=True, dtype="float64")
    ml.lsuv(net, rng.normal(size=(50, 10)))
    np.testing.assert_array_equal(net.buffers["1.running_mean"], 0)
