"""The statistics of the dead-relu experiment on constructed cases whose answers are known."""

import numpy as np
import pytest

import mlplab as ml
from mlplab.experiments import dead_relu_measure as M
from mlplab.experiments import dead_relu_runs as runs
from mlplab.layers import Dense


def test_dead_is_by_the_sign_of_the_preactivation_on_every_example():
    s = np.array([[-1.0, 0.0, 2.0, -3.0],
                  [-2.0, 0.0, -1.0, 0.5]])
    assert M.dead_mask(s).tolist() == [True, True, False, False]
    assert M.dead_share([s, np.array([[1.0, -1.0]])]) == pytest.approx(3 / 6)


def test_revived_and_gap_closed_on_a_known_case():
    units = np.array([0, 1, 2])
    top_pushed = np.array([-2.0, -2.0, -1.0])
    after = np.array([[-2.0, -1.0, 0.5],          # unit 0 has not moved, unit 1 climbed half way, unit 2 is back
                      [-3.0, -1.5, -4.0]])
    assert M.revived_share(after, units) == pytest.approx(1 / 3)
    assert M.gap_closed(top_pushed, after, units) == pytest.approx((0.0 + 0.5 + 1.5) / 3)


def test_push_dead_puts_the_largest_preactivation_margin_sds_below_zero_and_leaves_other_units():
    rng = np.random.default_rng(0)
    layer = Dense(5, 4, init="he_normal", rng=1, dtype="float64")
    x = rng.normal(size=(50, 5))
    s = layer.forward(x).copy()
    units = np.array([1, 3])
    M.push_dead(layer, s, units, margin=1.5)
    after = layer.forward(x)
    np.testing.assert_allclose(after[:, units].max(axis=0), -1.5 * s[:, units].std(axis=0))
    np.testing.assert_allclose(after[:, [0, 2]], s[:, [0, 2]])
    assert M.dead_mask(after)[units].all()


def test_centredness_is_one_for_constant_outputs_and_zero_for_symmetric_ones():
    assert M.centredness(np.full((10, 3), 2.5)) == pytest.approx(1.0)
    assert M.centredness(np.array([[1.0, -2.0], [-1.0, 2.0]])) == pytest.approx(0.0)
    assert M.centredness(np.zeros((4, 2))) == 0.0
    # a ReLU of a standard normal: E[h] / sqrt(E[h^2]) = (1/sqrt(2 pi)) / sqrt(1/2) = 1/sqrt(pi)
    s = np.random.default_rng(0).normal(size=(200000, 1))
    assert M.centredness(np.maximum(s, 0)) == pytest.approx(1 / np.sqrt(np.pi), abs=0.005)


def test_maxout_dead_pieces_and_saturated_units():
    z = np.zeros((2, 3, 3))
    z[0, :, 0], z[1, :, 0] = [1, 2, 3], [0, 0, 0]            # unit 0: piece 0 always wins -> piece 1 dead
    z[0, :, 1], z[1, :, 1] = [1, -1, 1], [0, 0, 0]           # unit 1: both pieces win somewhere
    z[0, :, 2], z[1, :, 2] = [5, 5, 5], [-1, -2, -3]         # unit 2: piece 1 dead, output constant 5
    assert M.maxout_dead_piece_share(z) == pytest.approx(2 / 3)
    h = z.max(axis=0)
    assert M.maxout_saturated_share(h) == pytest.approx(1 / 3)


def test_choose_rate_takes_the_onset_of_dying_and_falls_back_to_the_middle():
    rates = [0.1, 0.2, 0.3, 0.4]
    assert M.choose_rate(rates, [0.0, 0.05, 0.3, 0.6], [True] * 4) == 0.3
    assert M.choose_rate(rates, [0.0, 0.05, 0.3, 0.6], [True, True, False, True]) == 0.4
    assert M.choose_rate(rates, [0.0, 0.05, 0.97, 1.0], [True] * 4) == 0.2     # none within 10-90%


def test_preactivations_are_the_affine_outputs_and_maxout_pieces():
    x = np.random.default_rng(0).normal(size=(7, 6)).astype("float32")
    net = ml.mlp(6, [5, 4], 3, activation="relu", seed=0)
    pres, posts = M.preactivations(net, x)
    first = net.layers[0]
    np.testing.assert_allclose(pres[0], x @ first.W.T + first.b, rtol=1e-5, atol=1e-6)
    assert [p.shape for p in pres] == [(7, 5), (7, 4)] and len(posts) == 2
    np.testing.assert_allclose(posts[0], np.maximum(pres[0], 0))
    maxout = ml.mlp(6, [5, 4], 3, activation="maxout", seed=0)
    pres, posts = M.preactivations(maxout, x)
    assert [p.shape for p in pres] == [(2, 7, 5), (2, 7, 4)] and [h.shape for h in posts] == [(7, 5), (7, 4)]
    np.testing.assert_allclose(posts[1], maxout.forward_until(x, 2), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("activation, comes_back", [("relu", False), ("elu", True)])
def test_a_pushed_first_layer_unit_stays_dead_with_relu_and_comes_back_with_elu(activation, comes_back):
    """The live mechanism the claims rest on, on a small problem: a first-layer ReLU unit pushed just
    below 0 gets no gradient and never moves; an ELU unit still gets exp(s) of it and climbs back."""
    rng = np.random.default_rng(0)
    X = rng.normal(size=(400, 8)).astype("float32")
    y = (X[:, 0] + X[:, 1] > 0).astype(int)
    setup = runs.Setup(X, y, X, y, hidden=(16,), batch=50, base_rate=0.5, updates=40, recovery_updates=200,
                       pushed=8, margin=0.1, track_every=100, tracked=400)
    net = setup.net(activation, seed=0)
    assert setup.train(net, setup.base_rate, setup.updates, seed=0)
    bias = np.array(net.layers[0].b)
    found = runs.push_and_recover(setup, net, seed=0)
    assert found.dead_after_push == [1.0]
    if comes_back:
        assert found.revived[0] > 0 and found.gap[0] > 0
    else:
        pushed = np.sort(np.random.default_rng([0, 15]).choice(16, 8, replace=False))
        kept = np.setdiff1d(np.arange(16), pushed)
        assert found.revived == [0.0] and found.gap == [0.0]
        assert not np.allclose(np.array(net.layers[0].b)[kept], bias[kept])      # the others did train
