import numpy as np
import pytest

import mlplab as ml
from tests.layers.helpers import check_layer


def test_dropout_is_inverted_and_identity_at_test_time(rng):
    layer = ml.layers.Dropout(0.3, rng=0, dtype="float64")
    x = np.ones((400, 500))
    y = layer.forward(x, train=True)
    kept = y != 0
    assert abs(kept.mean() - 0.7) < 0.01                       # Bernoulli(1 - p) mask
    p_realised = round(0.3 * 65536) / 65536                    # the rate on the 16-bit grid
    np.testing.assert_allclose(y[kept], 1 / (1 - p_realised), rtol=1e-15)   # survivors scaled by 1 / (1 - p)
    assert abs(p_realised - 0.3) < 1e-5
    assert abs(y.mean() - 1.0) < 0.01                          # E[y] = x
    np.testing.assert_allclose(layer.backward(np.full_like(x, 2.0)), 2.0 * kept / (1 - p_realised), rtol=1e-15)
    assert layer.forward(x, train=False) is x


def test_dropout_gradient_matches_central_differences(on, rng):
    check_layer(ml.layers.Dropout(0.5, rng=3, dtype="float64"), rng.normal(size=(6, 5)), rng)


def test_dropout_masks_are_reproducible_from_the_seed_on_every_backend(on):
    x = np.ones((5, 8), dtype=np.float32)
    a = on.n(ml.layers.Dropout(0.5, rng=7).forward(on.a(x)))
    with ml.backend.use("numpy"):
        b = ml.layers.Dropout(0.5, rng=7).forward(x)          # the same host generator on every backend
    np.testing.assert_array_equal(a, b)
    assert 0 < (a == 0).sum() < a.size


@pytest.mark.parametrize("p", [-0.1, 1.0, 2])
def test_dropout_refuses_bad_rates(p):
    with pytest.raises(ValueError, match="p must be"):
        ml.layers.Dropout(p)
