import numpy as np
import pytest

import mlplab as ml
from tests.conftest import assert_rel_close
from tests.layers.helpers import check_layer


def _bn(rng, dim=5, momentum=0.1):
    from mlplab import backend as B
    bn = ml.layers.BatchNorm(dim, momentum=momentum, dtype="float64")
    bn.gamma[...] = B.asarray(rng.uniform(0.5, 2.0, size=dim))      # non-trivial gamma/beta
    bn.beta[...] = B.asarray(rng.normal(size=dim))
    return bn


def test_batchnorm_normalises_with_the_biased_batch_variance(rng):
    bn = ml.layers.BatchNorm(3, dtype="float64")
    x = rng.normal(3.0, 2.0, size=(8, 3))
    y = bn.forward(x, train=True)
    np.testing.assert_allclose(y.mean(axis=0), 0, atol=1e-12)
    np.testing.assert_allclose(y.var(axis=0), x.var(axis=0) / (x.var(axis=0) + 1e-5), rtol=1e-12)
    np.testing.assert_allclose(bn.buffers["running_mean"], 0.1 * x.mean(axis=0), rtol=1e-12)
    np.testing.assert_allclose(bn.buffers["running_var"], 0.9 + 0.1 * x.var(axis=0, ddof=1), rtol=1e-12)


@pytest.mark.parametrize("train", [True, False])
def test_batchnorm_gradients_match_central_differences(train, on, rng):
    bn = _bn(rng)
    on.set(bn.buffers["running_mean"], rng.normal(size=5))
    on.set(bn.buffers["running_var"], rng.uniform(0.5, 2, size=5))
    net = ml.Sequential([bn])
    x = rng.normal(1.0, 3.0, size=(6, 5))
    if train:
        check_layer(bn, x, rng)
    else:   # test mode: the running statistics are constants
        target = rng.normal(size=(6, 5))
        loss = lambda out, t: (float((on.n(out) * t).sum()), t.copy())   # noqa: E731
        net.forward(x, train=False)
        dx = net.backward(on.a(target))
        eps = 1e-6
        numeric = np.zeros_like(x)
        for idx in np.ndindex(x.shape):
            xp, xm = x.copy(), x.copy()
            xp[idx] += eps
            xm[idx] -= eps
            numeric[idx] = (loss(net.forward(xp, train=False), target)[0]
                            - loss(net.forward(xm, train=False), target)[0]) / (2 * eps)
        assert_rel_close(dx, numeric, rtol=1e-6)


@pytest.mark.parametrize("momentum", [0.1, 0.35])
def test_batchnorm_matches_torch_in_train_and_eval_mode(momentum, torch, on, rng):
    bn = _bn(rng, momentum=momentum)
    ref = torch.nn.BatchNorm1d(5, momentum=momentum, eps=1e-5)
    with torch.no_grad():
        ref.weight.copy_(torch.from_numpy(on.n(bn.gamma)))
        ref.bias.copy_(torch.from_numpy(on.n(bn.beta)))
    for step in range(4):   # several training steps move the running statistics
        x = rng.normal(step, 1 + step, size=(7, 5))
        dy = rng.normal(size=(7, 5))
        ref.train()
        xt = torch.tensor(x, requires_grad=True)
        yt = ref(xt)
        yt.backward(torch.from_numpy(dy))
        assert_rel_close(bn.forward(on.a(x), train=True), yt.detach().numpy())
        assert_rel_close(bn.backward(on.a(dy)), xt.grad.numpy())
        assert_rel_close(bn.grads["gamma"], ref.weight.grad.numpy())
        assert_rel_close(bn.grads["beta"], ref.bias.grad.numpy())
        ref.weight.grad = None
        ref.bias.grad = None
    assert_rel_close(bn.buffers["running_mean"], ref.running_mean.numpy())
    assert_rel_close(bn.buffers["running_var"], ref.running_var.numpy())
    ref.eval()
    x = rng.normal(size=(6, 5))
    dy = rng.normal(size=(6, 5))
    xt = torch.tensor(x, requires_grad=True)
    yt = ref(xt)
    yt.backward(torch.from_numpy(dy))
    assert_rel_close(bn.forward(on.a(x), train=False), yt.detach().numpy())
    assert_rel_close(bn.backward(on.a(dy)), xt.grad.numpy())
    assert_rel_close(bn.grads["gamma"], ref.weight.grad.numpy())
    assert_rel_close(bn.grads["beta"], ref.bias.grad.numpy())


def test_batchnorm_refuses_a_training_batch_of_one(rng):
    bn = ml.layers.BatchNorm(4)
    with pytest.raises(ValueError, match="expected more than 1 value per feature when training"):
        bn.forward(rng.normal(size=(1, 4)).astype(np.float32), train=True)
    assert bn.forward(rng.normal(size=(1, 4)).astype(np.float32), train=False).shape == (1, 4)


@pytest.mark.parametrize("kwargs, message", [({"momentum": 1.5}, "momentum must be <= 1.0"),
                                             ({"eps": 0.0}, "eps must be > 0.0"),
                                             ({"dim": 0}, "dim must be a positive integer")])
def test_batchnorm_refuses_bad_settings(kwargs, message):
    with pytest.raises(ValueError, match=message):
        ml.layers.BatchNorm(**{"dim": 3, **kwargs})


@pytest.mark.parametrize("dtype, rtol", [("float64", 1e-12), ("float32", 2e-5)])
def test_two_pass_kernels_equal_the_numpy_equations(dtype, rtol, monkeypatch, rng):
    """Training-mode BN runs through mlplab.kernels when it is built; it must equal the NumPy code."""
    if not ml.kernels.ENABLED:
        pytest.skip(reason="the C extension mlplab._fused is not built: the fused kernels are off")
    x = rng.normal(2.0, 3.0, size=(9, 6)).astype(dtype)
    dy = rng.normal(size=(9, 6)).astype(dtype)
    results = []
    for enabled in (True, False):
        monkeypatch.setattr(ml.kernels, "ENABLED", enabled)
        bn = ml.layers.BatchNorm(6, momentum=0.3, dtype=dtype)
        bn.gamma[...] = np.linspace(0.5, 2.0, 6)
        bn.beta[...] = np.linspace(-1.0, 1.0, 6)
        y = bn.forward(x, train=True)
        dx = bn.backward(dy)
        results.append((y, dx, bn.grads["gamma"].copy(), bn.grads["beta"].copy(),
                        bn.buffers["running_mean"].copy(), bn.buffers["running_var"].copy()))
    for fused, plain in zip(*results):
        assert fused.dtype == np.dtype(dtype)
        np.testing.assert_allclose(fused, plain, rtol=rtol, atol=rtol)
