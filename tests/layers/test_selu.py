import numpy as np

import mlplab as ml
from tests.conftest import assert_rel_close
from tests.layers.helpers import check_layer


def test_selu_constants_are_klambauer_et_al_to_full_precision():
    from mlplab.layers.activations import SELU_ALPHA, SELU_SCALE
    assert SELU_ALPHA == 1.6732632423543772 and SELU_SCALE == 1.0507009873554805
    # the fixed point: for s ~ N(0, 1), E[selu(s)] = 0 and E[selu(s)^2] = 1 (Gauss-Hermite, 80 nodes)
    nodes, weights = np.polynomial.hermite_e.hermegauss(80)
    y = ml.backend.to_numpy(ml.layers.SELU(dtype="float64").forward(nodes))
    weights = weights / weights.sum()
    assert abs(weights @ y) < 2e-3 and abs(weights @ (y * y) - 1) < 2e-3   # the kink limits the quadrature


def test_selu_gradient_matches_central_differences(on, rng):
    x = rng.normal(size=(6, 5))
    x[np.abs(x) < 1e-3] = 0.5                     # away from the kink, where differences straddle it
    check_layer(ml.layers.SELU(dtype="float64"), x, rng)


def test_selu_matches_torch_forward_and_backward(torch, on, rng):
    x = rng.normal(scale=3.0, size=(7, 6))
    dy = rng.normal(size=(7, 6))
    xt = torch.tensor(x, requires_grad=True)
    yt = torch.nn.SELU()(xt)
    yt.backward(torch.from_numpy(dy))
    layer = ml.layers.SELU(dtype="float64")
    assert_rel_close(layer.forward(on.a(x)), yt.detach().numpy())
    assert_rel_close(layer.backward(on.a(dy)), xt.grad.numpy())


def test_selu_does_not_overflow_on_large_inputs():
    y = ml.backend.to_numpy(ml.layers.SELU(dtype="float32").forward(np.array([[1e4, -1e4]], dtype=np.float32)))
    assert np.isfinite(y).all() and abs(y[0, 1] + 1.0507009873554805 * 1.6732632423543772) < 1e-6
