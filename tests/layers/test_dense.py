import numpy as np
import pytest

import mlplab as ml
from tests.conftest import assert_rel_close
from tests.layers.helpers import check_layer


def test_dense_forward_is_the_seeds_affine_map(rng):
    layer = ml.layers.Dense(4, 3, init="normal:1", rng=0, dtype="float64")
    x = rng.normal(size=(5, 4))
    expected = np.stack([layer.W @ xi + layer.b for xi in x])   # s = W x + b, one example at a time
    np.testing.assert_allclose(layer.forward(x), expected, rtol=1e-14)
    assert layer.W.shape == (3, 4) and layer.b.shape == (3,)


def test_dense_gradients_match_central_differences(on, rng):
    layer = ml.layers.Dense(5, 4, init="normal:0.5", bias_init="normal:0.5", rng=1, dtype="float64")
    check_layer(layer, rng.normal(size=(6, 5)), rng)


def test_dense_matches_torch_linear(torch, on, rng):
    layer = ml.layers.Dense(7, 4, bias_init="normal:0.1", rng=2, dtype="float64")
    x = rng.normal(size=(6, 7))
    dy = rng.normal(size=(6, 4))
    lin = torch.nn.Linear(7, 4)
    with torch.no_grad():
        lin.weight.copy_(torch.from_numpy(on.n(layer.W)))
        lin.bias.copy_(torch.from_numpy(on.n(layer.b)))
    xt = torch.tensor(x, requires_grad=True)
    yt = lin(xt)
    yt.backward(torch.from_numpy(dy))
    assert_rel_close(layer.forward(on.a(x)), yt.detach().numpy())
    assert_rel_close(layer.backward(on.a(dy)), xt.grad.numpy())
    assert_rel_close(layer.grads["W"], lin.weight.grad.numpy())
    assert_rel_close(layer.grads["b"], lin.bias.grad.numpy())


def test_dense_default_dtype_is_float32(rng):
    layer = ml.layers.Dense(3, 2)
    assert layer.W.dtype == np.float32 and layer.forward(rng.normal(size=(2, 3)).astype(np.float32)).dtype == np.float32


@pytest.mark.parametrize("bad", [0, -3, 2.5, "4"])
def test_dense_refuses_bad_sizes(bad):
    with pytest.raises(ValueError, match=f"in_features must be a positive integer, got {bad!r}"):
        ml.layers.Dense(bad, 3)


def test_dense_backward_with_wrong_shape_names_it(rng):
    layer = ml.layers.Dense(3, 2, dtype="float64")
    layer.forward(rng.normal(size=(4, 3)))
    with pytest.raises(ValueError, match=r"dy must have shape \(4, 2\)"):
        layer.backward(np.zeros((4, 3)))
