import numpy as np
import pytest

import mlplab as ml
from tests.conftest import assert_rel_close
from tests.layers.helpers import check_layer


def _ln(on, rng, dim=5):
    ln = ml.layers.LayerNorm(dim, dtype="float64")
    on.set(ln.gamma, rng.uniform(0.5, 2.0, size=dim))      # non-trivial gamma/beta
    on.set(ln.beta, rng.normal(size=dim))
    return ln


def test_layernorm_normalises_each_example_over_its_features_in_train_and_test(rng):
    ln = ml.layers.LayerNorm(6, dtype="float64")
    x = rng.normal(3.0, 2.0, size=(4, 6)) * np.arange(1, 5)[:, None]     # rows on different scales
    for train in (True, False):                                          # no batch statistics: the same
        y = ln.forward(x, train=train)
        np.testing.assert_allclose(y.mean(axis=1), 0, atol=1e-12)
        np.testing.assert_allclose(y.var(axis=1), x.var(axis=1) / (x.var(axis=1) + 1e-5), rtol=1e-12)
    np.testing.assert_allclose(ln.forward(x[:1], train=True), y[:1], rtol=1e-14)   # one example alone: same


def test_layernorm_gradients_match_central_differences(on, rng):
    check_layer(_ln(on, rng), rng.normal(1.0, 3.0, size=(6, 5)), rng)


def test_layernorm_matches_torch_forward_backward_and_after_training_steps(torch, on, rng):
    ln = _ln(on, rng)
    ref = torch.nn.LayerNorm(5, eps=1e-5)
    with torch.no_grad():
        ref.weight.copy_(torch.from_numpy(on.n(ln.gamma)))
        ref.bias.copy_(torch.from_numpy(on.n(ln.beta)))
    lr = 0.3
    for step in range(5):
        x = rng.normal(step, 1 + step, size=(7, 5))
        dy = rng.normal(size=(7, 5))
        xt = torch.tensor(x, requires_grad=True)
        ref(xt).backward(torch.from_numpy(dy))
        y = ln.forward(on.a(x), train=step % 2 == 0)
        assert_rel_close(y, ref(torch.from_numpy(x)).detach().numpy())
        assert_rel_close(ln.backward(on.a(dy)), xt.grad.numpy())
        assert_rel_close(ln.grads["gamma"], ref.weight.grad.numpy())
        assert_rel_close(ln.grads["beta"], ref.bias.grad.numpy())
        with torch.no_grad():                        # a plain gradient step on both sides
            for p in ref.parameters():
                p -= lr * p.grad
                p.grad = None
        ln.gamma -= lr * ln.grads["gamma"]
        ln.beta -= lr * ln.grads["beta"]
    assert_rel_close(ln.gamma, ref.weight.detach().numpy())
    assert_rel_close(ln.beta, ref.bias.detach().numpy())


def test_layernorm_refuses_bad_settings_and_a_wrong_width(rng):
    with pytest.raises(ValueError, match="eps must be > 0.0"):
        ml.layers.LayerNorm(3, eps=0.0)
    with pytest.raises(ValueError, match="dim must be a positive integer"):
        ml.layers.LayerNorm(0)
    with pytest.raises(ValueError, match=r"LayerNorm\(dim=3\) got an input with 4 features"):
        ml.layers.LayerNorm(3).forward(rng.normal(size=(2, 4)).astype(np.float32))
