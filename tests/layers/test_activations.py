import warnings

import numpy as np
import pytest

import mlplab as ml
from tests.conftest import assert_rel_close
from tests.layers.helpers import check_layer

L = ml.layers


def _away_from_kinks(rng, shape):
    """Inputs at least 0.05 away from 0, where the rectifiers bend."""
    x = rng.normal(size=shape)
    return np.where(np.abs(x) < 0.05, np.sign(x) * 0.05 + x, x)


@pytest.mark.parametrize("make", [L.Sigmoid, L.Tanh, L.Softsign, L.ReLU, lambda **k: L.LeakyReLU(0.1, **k), L.ELU,
                                  lambda **k: L.ELU(alpha=0.7, **k), L.PReLU, lambda **k: L.PReLU(dim=5, **k)],
                         ids=["sigmoid", "tanh", "softsign", "relu", "leaky", "elu", "elu0.7", "prelu-shared",
                              "prelu-per-unit"])
def test_activation_gradients_match_central_differences(make, on, rng):
    layer = make(dtype="float64")
    if isinstance(layer, L.PReLU):
        on.set(layer.alpha, rng.uniform(0.1, 0.4, size=layer.alpha.shape))
    check_layer(layer, _away_from_kinks(rng, (6, 5)), rng)


def _assert_matches_torch(torch, layer, module, rng, shape=(6, 5)):
    """The layer on the active backend against torch autograd on the CPU."""
    from mlplab import backend as B
    x = _away_from_kinks(rng, shape)
    dy = rng.normal(size=shape)
    xt = torch.tensor(x, requires_grad=True)
    yt = module(xt)
    yt.backward(torch.from_numpy(dy))
    assert_rel_close(layer.forward(B.asarray(x)), yt.detach().numpy())
    assert_rel_close(layer.backward(B.asarray(dy)), xt.grad.numpy())


def test_sigmoid_tanh_leaky_elu_match_torch(torch, on, rng):
    _assert_matches_torch(torch, L.Sigmoid(dtype="float64"), torch.sigmoid, rng)
    _assert_matches_torch(torch, L.Tanh(dtype="float64"), torch.tanh, rng)
    _assert_matches_torch(torch, L.ReLU(dtype="float64"), torch.relu, rng)
    _assert_matches_torch(torch, L.LeakyReLU(0.2, dtype="float64"), torch.nn.LeakyReLU(0.2), rng)
    _assert_matches_torch(torch, L.ELU(1.3, dtype="float64"), torch.nn.ELU(1.3), rng)
    _assert_matches_torch(torch, L.Softsign(dtype="float64"), torch.nn.Softsign(), rng)


@pytest.mark.parametrize("per_unit", [False, True])
def test_prelu_matches_torch_including_the_slope_gradient(per_unit, torch, on, rng):
    dim = 5 if per_unit else 1
    layer = L.PReLU(dim=dim, init=0.3, dtype="float64")
    module = torch.nn.PReLU(num_parameters=dim, init=0.3)
    _assert_matches_torch(torch, layer, module, rng)
    assert_rel_close(layer.grads["alpha"], module.weight.grad.numpy())


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("make", [L.Sigmoid, L.Tanh, L.ELU, L.ReLU, L.PReLU])
def test_activations_stay_finite_for_huge_inputs(make, dtype):
    x = np.array([[-1e4, -50.0, 0.0, 50.0, 1e4]], dtype=dtype)
    layer = make(dtype=dtype)
    with warnings.catch_warnings():
        warnings.simplefilter("error")      # an overflow warning fails the test
        y = layer.forward(x)
        dx = layer.backward(np.ones_like(x))
    assert y.dtype == np.dtype(dtype) and np.isfinite(y).all() and np.isfinite(dx).all()
    if make is L.Sigmoid:
        assert y[0, 0] == 0.0 and y[0, -1] == 1.0 and y[0, 2] == 0.5
    if make is L.ELU:
        assert y[0, 0] == -1.0 and y[0, -1] == 1e4


def test_prelu_shape_mismatch_is_named(rng):
    with pytest.raises(ValueError, match="PReLU\\(dim=4\\) got an input with 5 features"):
        L.PReLU(dim=4).forward(rng.normal(size=(3, 5)))


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_relu_kernel_equals_the_numpy_equations_nan_included(dtype, monkeypatch, rng):
    if not ml.kernels.ENABLED:
        pytest.skip(reason="the C extension mlplab._fused is not built: the fused kernels are off")
    x = rng.standard_normal((7, 5)).astype(dtype)
    x[0, :3] = [0.0, -0.0, np.nan]
    dy = rng.standard_normal((7, 5)).astype(dtype)
    results = []
    for enabled in (True, False):
        monkeypatch.setattr(ml.kernels, "ENABLED", enabled)
        layer = L.ReLU(dtype=dtype)
        results.append((layer.forward(x), layer.backward(dy)))
    (y, dx), (y_ref, dx_ref) = results
    np.testing.assert_array_equal(y, y_ref)              # NaN in the same places, zeros for s <= 0
    np.testing.assert_array_equal(dx, dx_ref)
    assert np.isnan(y[0, 2]) and (dx[x <= 0] == 0).all()
