import numpy as np
import pytest

from mlplab.layers import Dense
from mlplab.pretrain import RBM


class Draws:
    """A stand-in generator that hands out the uniforms written in the test."""

    def __init__(self, *arrays):
        self.arrays = list(arrays)

    def random(self, shape):
        value = np.asarray(self.arrays.pop(0), dtype=np.float64)
        assert value.shape == tuple(shape)
        return value


def sigma(z):
    return 1.0 / (1.0 + np.exp(-z))


def test_one_cd1_step_on_a_tiny_rbm_equals_the_hand_computation():
    """2 hidden, 3 visible Bernoulli units, one example v0 = (1, 0, 1)."""
    dense = Dense(3, 2, dtype="float64")
    dense.W[...] = [[0.5, -1.0, 0.25], [-0.5, 0.75, 1.0]]
    dense.b[...] = [0.1, -0.2]
    rbm = RBM(dense, visible="bernoulli", k=1)
    rbm.rng = Draws([[0.3, 0.9]])
    rbm.a[...] = [0.0, 0.2, -0.1]
    v0 = np.array([[1.0, 0.0, 1.0]])
    error = rbm.loss_and_grads(v0)
    # by hand: p(h | v0) = sigma(W v0 + b) = sigma(0.85, 0.3) = (0.7006, 0.5744)
    p0 = sigma(np.array([0.5 + 0.25 + 0.1, -0.5 + 1.0 - 0.2]))
    np.testing.assert_allclose(p0, [0.700567, 0.574443], atol=1e-6)
    # uniforms (0.3, 0.9): h0 = (1, 0) because 0.3 < 0.7006 and 0.9 >= 0.5744
    # p(v | h0) = sigma(W^T h0 + a) = sigma(0.5, -0.8, 0.15)
    v1 = sigma(np.array([0.5, -1.0 + 0.2, 0.25 - 0.1]))
    p1 = sigma(np.array([0.5 * v1[0] - 1.0 * v1[1] + 0.25 * v1[2] + 0.1,
                         -0.5 * v1[0] + 0.75 * v1[1] + 1.0 * v1[2] - 0.2]))
    dW = np.outer(p0, v0[0]) - np.outer(p1, v1)             # the ascent direction
    np.testing.assert_allclose(rbm.grads["W"], -dW, rtol=1e-12)
    np.testing.assert_allclose(rbm.grads["b"], -(p0 - p1), rtol=1e-12)
    np.testing.assert_allclose(rbm.grads["a"], -(v0[0] - v1), rtol=1e-12)
    assert error == pytest.approx(((v0[0] - v1) ** 2).sum())


def test_gaussian_visible_units_reconstruct_with_the_linear_mean():
    dense = Dense(2, 1, dtype="float64")
    dense.W[...] = [[2.0, -1.0]]
    rbm = RBM(dense, visible="gaussian")
    rbm.rng = Draws([[0.1]])                                        # h = 1
    rbm.a[...] = [0.5, 0.5]
    rbm.loss_and_grads(np.array([[1.0, 1.0]]))
    v1 = np.array([2.5, -0.5])                                      # W^T h + a, no squashing
    np.testing.assert_allclose(rbm.grads["a"], -(np.array([1.0, 1.0]) - v1))


def test_cd_training_lowers_the_reconstruction_error():
    from mlplab.optim import SGD
    rng = np.random.default_rng(0)
    prototypes = rng.random((3, 12)) < 0.5
    v = (prototypes[rng.integers(0, 3, 300)] ^ (rng.random((300, 12)) < 0.05)).astype(np.float64)
    rbm = RBM(Dense(12, 6, init="normal:0.01", rng=1, dtype="float64"), k=1, rng=2)
    opt = SGD(lr=0.1, momentum=0.5)
    errors = []
    for epoch in range(30):
        batch_errors = []
        for i in range(0, 300, 20):
            batch_errors.append(rbm.loss_and_grads(v[i:i + 20]))
            opt.step(rbm.params, rbm.grads)
        errors.append(np.mean(batch_errors))
    assert errors[-1] < 0.5 * errors[0], errors


def test_bad_settings_are_named():
    with pytest.raises(ValueError, match="visible"):
        RBM(Dense(2, 2), visible="poisson")
    with pytest.raises(ValueError, match="k must be a positive integer"):
        RBM(Dense(2, 2), k=0)
    with pytest.raises(TypeError, match="dense must be a Dense layer"):
        RBM("W")
