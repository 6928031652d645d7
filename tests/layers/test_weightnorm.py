import numpy as np
import pytest

import mlplab as ml
from tests.conftest import assert_rel_close
from tests.layers.helpers import check_layer


def _wn(on, rng, n_in=4, n_out=3):
    layer = ml.layers.WeightNormDense(n_in, n_out, rng=5, dtype="float64")
    on.set(layer.g, rng.uniform(0.5, 2.0, size=n_out))           # g no longer ||v||
    on.set(layer.b, rng.normal(size=n_out))
    return layer


def test_weightnorm_rows_have_length_g_and_start_as_the_dense_layer_of_the_same_seed(rng):
    wn = ml.layers.WeightNormDense(6, 4, rng=3, dtype="float64")
    dense = ml.layers.Dense(6, 4, rng=3, dtype="float64")
    np.testing.assert_array_equal(wn.v, dense.W)                   # v drawn as Dense draws W
    np.testing.assert_allclose(wn.weight(), dense.W, rtol=1e-15)   # g = ||v||: W = v at the start
    x = rng.normal(size=(5, 6))
    np.testing.assert_allclose(wn.forward(x), dense.forward(x), rtol=1e-13)
    wn.g[...] = [1.0, 2.0, 3.0, 0.5]
    wn.v *= 7.0                                                     # the scale of v does not matter
    np.testing.assert_allclose(np.linalg.norm(wn.weight(), axis=1), [1.0, 2.0, 3.0, 0.5], rtol=1e-14)
    assert wn.weight_names == ("g",) and wn.affine


def test_weightnorm_gradients_match_central_differences(on, rng):
    check_layer(_wn(on, rng), rng.normal(size=(6, 4)), rng)


def test_weightnorm_matches_torch_parametrization_forward_backward_and_after_training_steps(torch, on, rng):
    layer = _wn(on, rng)
    ref = torch.nn.Linear(4, 3)
    with torch.no_grad():
        ref.weight.copy_(torch.from_numpy(on.n(layer.v)))
        ref.bias.copy_(torch.from_numpy(on.n(layer.b)))
    ref = torch.nn.utils.parametrizations.weight_norm(ref, dim=0)
    g_ref, v_ref = ref.parametrizations.weight.original0, ref.parametrizations.weight.original1
    with torch.no_grad():
        g_ref.copy_(torch.from_numpy(on.n(layer.g)).reshape(3, 1))
    lr = 0.2
    for step in range(5):
        x = rng.normal(size=(6, 4))
        dy = rng.normal(size=(6, 3))
        xt = torch.tensor(x, requires_grad=True)
        yt = ref(xt)
        yt.backward(torch.from_numpy(dy))
        assert_rel_close(layer.forward(on.a(x)), yt.detach().numpy())
        assert_rel_close(layer.backward(on.a(dy)), xt.grad.numpy())
        assert_rel_close(layer.grads["g"], g_ref.grad.numpy().ravel())
        assert_rel_close(layer.grads["v"], v_ref.grad.numpy())
        assert_rel_close(layer.grads["b"], ref.bias.grad.numpy())
        with torch.no_grad():
            for p in ref.parameters():
                p -= lr * p.grad
                p.grad = None
        for name in ("g", "v", "b"):
            layer.params[name] -= lr * layer.grads[name]
    assert_rel_close(layer.g, g_ref.detach().numpy().ravel())
    assert_rel_close(layer.v, v_ref.detach().numpy())
    assert_rel_close(layer.weight(), ref.weight.detach().numpy())


def test_backward_params_fills_the_same_gradients(rng):
    a = ml.layers.WeightNormDense(4, 3, rng=1, dtype="float64")
    b = ml.layers.WeightNormDense(4, 3, rng=1, dtype="float64")
    x, dy = rng.normal(size=(5, 4)), rng.normal(size=(5, 3))
    a.forward(x)
    b.forward(x)
    a.backward(dy)
    assert b.backward_params(dy) is None
    for name in a.grads:
        np.testing.assert_array_equal(a.grads[name], b.grads[name])


def test_data_init_gives_pre_activations_of_mean_0_and_std_1_on_its_batch(on, rng):
    layer = ml.layers.WeightNormDense(8, 5, init="normal:0.05", rng=2, dtype="float64")
    x = rng.normal(2.0, 3.0, size=(50, 8))
    layer.data_init(on.a(x))
    s = on.n(layer.forward(on.a(x)))
    np.testing.assert_allclose(s.mean(axis=0), 0, atol=1e-12)
    np.testing.assert_allclose(s.std(axis=0), 1, rtol=1e-10)
    s_other = on.n(layer.forward(on.a(rng.normal(2.0, 3.0, size=(400, 8)))))   # and roughly so on new data
    assert np.all(np.abs(s_other.std(axis=0) - 1) < 0.25)


def test_network_data_init_normalises_every_weightnorm_layer_in_turn(rng):
    net = ml.mlp(6, [10, 10], 3, norm="weight", seed=0, dtype="float64")
    x = rng.normal(1.0, 4.0, size=(40, 6))
    done = ml.layers.weightnorm.data_init(net, x)
    assert done == [0, 2]                                          # the hidden affine maps
    for i in done:
        s = net.forward_until(x, i + 1)
        np.testing.assert_allclose(s.mean(axis=0), 0, atol=1e-10)
        np.testing.assert_allclose(s.std(axis=0), 1, rtol=1e-8)


def test_weightnorm_refuses_bad_sizes():
    with pytest.raises(ValueError, match="out_features must be a positive integer"):
        ml.layers.WeightNormDense(3, 0)
