import warnings

import numpy as np
import pytest

import mlplab as ml
from tests.conftest import assert_rel_close

CE = ml.losses.softmax_cross_entropy


def test_cross_entropy_is_the_batch_mean_of_minus_log_p(rng):
    logits = rng.normal(size=(5, 4))
    labels = np.array([0, 3, 1, 1, 2])
    p = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    loss, grad = CE(logits, labels)
    assert loss == pytest.approx(-np.log(p[np.arange(5), labels]).mean(), rel=1e-14)
    onehot = np.eye(4)[labels]
    np.testing.assert_allclose(grad, (p - onehot) / 5, rtol=1e-13)    # g = (p - y) / n


def test_cross_entropy_matches_torch(torch, on, rng):
    logits = rng.normal(size=(6, 5)) * 3
    labels = rng.integers(0, 5, size=6)
    lt = torch.tensor(logits, requires_grad=True)
    ref = torch.nn.functional.cross_entropy(lt, torch.from_numpy(labels))
    ref.backward()
    loss, grad = CE(on.a(logits), on.a(labels))
    assert_rel_close(loss, ref.item())
    assert_rel_close(grad, lt.grad.numpy())


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_cross_entropy_is_finite_for_huge_logits(dtype):
    logits = np.array([[1e4, -1e4, 0.0], [-1e4, -1e4, 1e4]], dtype=dtype)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        loss, grad = CE(logits, np.array([1, 2]))
        p = ml.losses.softmax(logits)
    assert loss == pytest.approx(1e4, rel=1e-6)       # -log p = 2e4 for row 0, 0 for row 1
    assert np.isfinite(grad).all() and np.isfinite(p).all()


def test_mse_and_bce_match_torch(torch, on, rng):
    pred = rng.normal(size=(4, 3))
    target = rng.uniform(size=(4, 3))
    pt = torch.tensor(pred, requires_grad=True)
    ref = torch.nn.functional.mse_loss(pt, torch.from_numpy(target))
    ref.backward()
    loss, grad = ml.losses.mean_squared_error(on.a(pred), on.a(target))
    assert_rel_close(loss, ref.item())
    assert_rel_close(grad, pt.grad.numpy())
    pt = torch.tensor(pred * 20, requires_grad=True)
    ref = torch.nn.functional.binary_cross_entropy_with_logits(pt, torch.from_numpy(target))
    ref.backward()
    loss, grad = ml.losses.sigmoid_binary_cross_entropy(on.a(pred * 20), on.a(target))
    assert_rel_close(loss, ref.item())
    assert_rel_close(grad, pt.grad.numpy())


def test_weight_penalty_covers_weights_only(rng):
    net = ml.mlp(3, [4], 2, activation="prelu", batchnorm=True, dtype="float64", bias_init=0.5)
    for g in net.grads.values():
        g[...] = 0
    value = ml.losses.weight_penalty(net, l2=0.1, l1=0.01)
    W0, W3 = net.params["0.W"], net.params["3.W"]
    expected = 0.1 * ((W0 ** 2).sum() + (W3 ** 2).sum()) + 0.01 * (np.abs(W0).sum() + np.abs(W3).sum())
    assert value == pytest.approx(expected, rel=1e-13)
    np.testing.assert_allclose(net.grads["0.W"], 0.2 * W0 + 0.01 * np.sign(W0), rtol=1e-14)
    for name in ("0.b", "1.gamma", "1.beta", "2.alpha", "3.b"):
        assert not net.grads[name].any(), name


@pytest.mark.parametrize("labels, error, message", [
    (np.array([0, 3]), ValueError, r"labels must lie in \[0, 3\), got 3"),
    (np.array([-1, 0]), ValueError, r"labels must lie in \[0, 3\), got -1"),
    (np.array([0.0, 1.0]), TypeError, "labels must hold integer class labels"),
    (np.array([0, 1, 2]), ValueError, r"labels must have shape \(2,\)"),
])
def test_cross_entropy_refuses_bad_labels(labels, error, message):
    with pytest.raises(error, match=message):
        CE(np.zeros((2, 3)), labels)


def test_losses_refuse_nan_and_mismatched_targets():
    with pytest.raises(ValueError, match="logits contains (nan|inf) at row"):
        CE(np.array([[0.0, np.nan]]), np.array([0]))
    with pytest.raises(ValueError, match="targets must have the shape of the predictions"):
        ml.losses.mean_squared_error(np.zeros((2, 3)), np.zeros((3, 2)))
    with pytest.raises(ValueError, match=r"targets must lie in \[0, 1\]"):
        ml.losses.sigmoid_binary_cross_entropy(np.zeros((1, 2)), np.array([[0.0, 2.0]]))
    with pytest.raises(ValueError, match="l2 must be >= 0.0, got -0.1"):
        ml.losses.weight_penalty(ml.mlp(2, [2], 2), l2=-0.1)


def test_the_trainers_unchecked_cross_entropy_is_the_same_loss_and_lets_nan_through(on, rng):
    """The trainer's batches were checked once at the edge, so it skips the per-batch checks (a host round
    trip each on a GPU): the same loss and gradient, and NaN logits give a NaN loss instead of an error."""
    logits, labels = rng.normal(size=(6, 5)) * 3, rng.integers(0, 5, size=6)
    checked, unchecked = CE(on.a(logits), on.a(labels)), ml.losses.UNCHECKED[CE](on.a(logits), on.a(labels))
    assert checked[0] == unchecked[0]
    np.testing.assert_array_equal(on.n(checked[1]), on.n(unchecked[1]))
    logits[2, 1] = np.nan
    with pytest.raises(ValueError, match="logits contains nan at row 2, column 1"):
        CE(on.a(logits), on.a(labels))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert np.isnan(ml.losses.UNCHECKED[CE](on.a(logits), on.a(labels))[0])
