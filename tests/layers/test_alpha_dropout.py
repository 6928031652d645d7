import numpy as np
import pytest

import mlplab as ml
from tests.conftest import assert_rel_close
from tests.layers.helpers import check_layer

DROPPED = -1.0507009873554805 * 1.6732632423543772


def _affine_constants(y, x):
    """(a, b, value of a dropped unit) of an alpha-dropout output ``y`` of ``x`` (x has no repeats)."""
    values, counts = np.unique(y, return_counts=True)
    dropped_value = values[np.argmax(counts)]              # every dropped unit shares one value
    kept = y != dropped_value
    a, b = np.polyfit(x[kept], y[kept], 1)                  # survivors: y = a x + b exactly
    return a, b, dropped_value, kept


@pytest.mark.parametrize("p", [0.25, 0.5])
def test_alpha_dropout_matches_torch_affine_correction(p, torch, on):
    x = np.linspace(-2, 2, 4000).reshape(40, 100)
    ours = on.n(ml.layers.AlphaDropout(p, rng=0, dtype="float64").forward(on.a(x), train=True))
    theirs = torch.nn.functional.alpha_dropout(torch.from_numpy(x), p, training=True).numpy()
    a, b, dropped, kept = _affine_constants(ours, x)
    a_t, b_t, dropped_t, kept_t = _affine_constants(theirs, x)
    assert_rel_close([a, b, dropped], [a_t, b_t, dropped_t], rtol=1e-10)
    assert abs(kept.mean() - (1 - p)) < 0.03 and abs(kept_t.mean() - (1 - p)) < 0.03
    # the constants themselves (Klambauer et al. 2017, their section "new dropout technique")
    a_paper = ((1 - p) * (1 + p * DROPPED ** 2)) ** -0.5
    assert_rel_close([a, b, dropped], [a_paper, -a_paper * p * DROPPED, a_paper * DROPPED - a_paper * p * DROPPED])


def test_alpha_dropout_keeps_mean_0_and_variance_1_and_is_identity_at_test(rng):
    x = rng.normal(size=(500, 400))
    layer = ml.layers.AlphaDropout(0.2, rng=1, dtype="float64")
    y = layer.forward(x, train=True)
    assert abs(y.mean()) < 0.01 and abs(y.var() - 1) < 0.01
    assert layer.forward(x, train=False) is x
    assert ml.layers.AlphaDropout(0.0).forward(x, train=True) is x
    assert layer.backward(x) is x                                 # test mode: identity backward too


def test_alpha_dropout_gradient_matches_central_differences(on, rng):
    check_layer(ml.layers.AlphaDropout(0.4, rng=3, dtype="float64"), rng.normal(size=(6, 5)), rng)


def test_alpha_dropout_masks_are_the_same_on_every_backend(on):
    x = np.ones((5, 8), dtype=np.float32)
    a = on.n(ml.layers.AlphaDropout(0.5, rng=7).forward(on.a(x)))
    with ml.backend.use("numpy"):
        b = ml.layers.AlphaDropout(0.5, rng=7).forward(x)
    np.testing.assert_array_equal(a, b)
    assert ml.layers.AlphaDropout.stochastic


@pytest.mark.parametrize("p", [-0.1, 1.0])
def test_alpha_dropout_refuses_bad_rates(p):
    with pytest.raises(ValueError, match="p must be"):
        ml.layers.AlphaDropout(p)
