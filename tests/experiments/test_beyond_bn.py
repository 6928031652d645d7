"""The beyond-bn experiment's statistics and setup, on constructed cases (see mlplab.experiments.beyond_bn)."""

import math

import numpy as np
import pytest

import mlplab as ml
from mlplab.experiments import beyond_bn_runs as runs
from mlplab.experiments.beyond_bn_setup import (ARMS, BATCHES, CHANCE, CHANCE_LOSS, EARLY_BATCH, FULL, LARGE, N_TRAIN,
                                                PLAIN_WEIGHT, QUICK, SMALL, cells, rate)

SELU_LAMBDA, SELU_ALPHA = 1.0507009873554804934193349852946, 1.6732632423543772848170429916717


def _selu(x):
    return SELU_LAMBDA * np.where(x > 0, x, SELU_ALPHA * np.expm1(np.minimum(x, 0)))


def test_activation_stats_are_per_unit_moments_of_the_activations_and_their_distance_from_0_1():
    net = ml.mlp(2, [2], 3, activation="selu", seed=0, dtype="float64")
    net.layers[0].params["W"][...] = np.eye(2)          # the activations are SELU(x), column by column
    net.layers[0].params["b"][...] = 0.0
    x = np.array([[-2.0, 0.5], [0.0, 1.5], [1.0, -0.3], [3.0, 2.0]])
    stats = runs.activation_stats(net, x)
    a = _selu(x)
    mu, var = a.mean(axis=0), a.var(axis=0)
    assert stats.shape == (1, 3)                         # one hidden layer: one activation layer
    np.testing.assert_allclose(stats[0], [mu.mean(), var.mean(), np.mean(np.sqrt(mu ** 2 + (var - 1) ** 2))],
                               rtol=1e-12)


def test_the_ratio_compares_the_last_layer_with_the_first_and_early_loss_averages_the_first_share():
    stats = np.array([[0.3, 0.2, 0.8], [0.1, 0.9, 0.5], [0.0, 1.0, 0.2]])
    assert runs.ratio_to_fixed_point(stats) == pytest.approx(0.25)
    assert runs.early_loss([4.0, 2.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0], 4) == pytest.approx(3.0)
    assert runs.early_loss([5.0, 1.0], 4) == 5.0         # at least one update


@pytest.fixture(scope="module")
def images():
    return np.random.default_rng(0).uniform(0, 1, (200, 784)).astype(np.float32)


def test_weight_norm_arm_is_initialised_on_the_data_and_the_plain_one_is_the_plain_net(images):
    """Claim 3's premises: the data-initialised net's hidden pre-activations on the batch have mean 0
    and std 1 per unit; with g = ||v|| the weight-normalised net computes what the plain net computes."""
    wn = runs.build(ARMS["weight"], 3, images, depth=3)
    out = images
    for layer in wn.layers[:-1]:
        if "v" in layer.params:
            t = layer.forward(out, False)
            np.testing.assert_allclose(t.mean(axis=0), 0, atol=1e-4)
            np.testing.assert_allclose(t.std(axis=0), 1, atol=1e-3)
        out = layer.forward(out, False)
    plain, same = runs.build(ARMS["none"], 3, images, depth=3), runs.build(PLAIN_WEIGHT, 3, images, depth=3)
    np.testing.assert_allclose(same.forward(images, False), plain.forward(images, False), rtol=1e-4, atol=1e-5)
    assert not np.allclose(wn.forward(images, False), plain.forward(images, False), atol=1e-2)


def test_a_diverged_run_counts_as_chance_from_the_update_where_it_diverged(monkeypatch):
    rng = np.random.default_rng(1)
    data = runs.Data(rng.normal(size=(N_TRAIN, 784)).astype(np.float32), rng.integers(0, 10, N_TRAIN),
                     rng.normal(size=(50, 784)).astype(np.float32), rng.integers(0, 10, 50))
    monkeypatch.setattr(runs, "rate", lambda batch: 1e30)   # Adam's step is about the rate: overflow at once
    run = runs.train(data, ARMS["none"], 128, N_TRAIN, seed=0, depth=2, stats=True)
    assert run.diverged_at is not None and run.final == run.train_accuracy == CHANCE and run.stats is None
    assert len(run.losses) == N_TRAIN // 128 and all(math.isfinite(v) for v in run.losses)
    assert run.losses[run.diverged_at:] == [CHANCE_LOSS] * (N_TRAIN // 128 - run.diverged_at)


def test_the_rate_follows_the_square_root_rule_and_quick_trains_the_cells_the_claims_read():
    assert [rate(b) for b in BATCHES] == pytest.approx([3e-4, 6e-4, 1.2e-3, 2.4e-3])
    assert cells(FULL) == [(arm, b) for arm in ARMS for b in BATCHES]
    quick = set(cells(QUICK))
    assert {(arm, b) for arm in ("batch", "layer") for b in (SMALL, LARGE)} <= quick
    assert {(arm, EARLY_BATCH) for arm in ARMS} <= quick
    assert QUICK.examples % (N_TRAIN) == 0 and FULL.examples % N_TRAIN == 0
