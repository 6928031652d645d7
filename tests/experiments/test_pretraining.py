"""The pre-training experiment's own statistics and rules, on constructed cases."""

import numpy as np
import pytest

from mlplab.experiments.pretraining import (CHANCE, FULL, QUICK, Arm, Data, best_rate, deepest_trainable,
                                            mean_image_error, per_seed_slopes, train_arm)
from mlplab.experiments.pretraining import replace


def test_slope_is_the_least_squares_slope_per_seed():
    depths = [1, 2, 3, 4]
    # seed 0: gain = 0.02 * depth; seed 1: flat; seed 2: falls by 0.01 per layer, plus a constant
    gains = np.array([[0.02 * d, 0.05, 0.3 - 0.01 * d] for d in depths])
    assert per_seed_slopes(depths, gains) == pytest.approx([0.02, 0.0, -0.01])
    # uneven depths (the quick run's 1 and 4): the slope of the two points
    assert per_seed_slopes([1, 4], np.array([[0.0], [0.09]])) == pytest.approx([0.03])


def test_deepest_trainable_needs_every_seed_and_every_shallower_depth():
    errors = {1: [0.1, 0.2], 2: [0.3, 0.45], 3: [0.2, 0.55], 4: [0.1, 0.1]}
    assert deepest_trainable(errors) == 2          # depth 3 fails on one seed; depth 4 does not count after it
    assert deepest_trainable({1: [0.6, 0.1]}) == 0
    assert deepest_trainable({1: [0.1], 4: [0.49], 5: [0.89]}) == 4     # a sweep that skips depths
    assert deepest_trainable({1: [0.5]}) == 0                           # "below", not "at"


def test_best_rate_takes_the_lowest_validation_error_and_the_smaller_rate_on_a_tie():
    assert best_rate((0.01, 0.03, 0.1), [0.3, 0.2, 0.25]) == 0.03
    assert best_rate((0.01, 0.03, 0.1), [0.2, 0.3, 0.2]) == 0.01


def test_large_top_layer_replaces_only_the_last_hidden_layer():
    assert Arm(3, large_top=True).hidden(FULL) == [FULL.width, FULL.width, FULL.top]
    assert Arm(1, large_top=True).hidden(FULL) == [FULL.top]
    assert Arm(2).hidden(QUICK) == [QUICK.width] * 2


def test_quick_stores_a_rate_for_every_arm_it_can_need():
    stored = dict(QUICK.stored_rates)
    deepest = max(QUICK.depths)
    needed = [Arm(d, p) for d in QUICK.depths for p in (False, True)]
    needed += [Arm(deepest, activation="relu"), Arm(deepest, batchnorm=True)]
    assert all(arm in stored for arm in needed)
    assert all(rate in QUICK.rates for rate in stored.values())


def _tiny_data(n: int = 40, seed: int = 0) -> Data:
    rng = np.random.default_rng(seed)
    X = rng.random((n, 784)).astype(np.float32)
    y = rng.integers(0, 10, n)
    return Data(X, y, X, y, X, y)


def test_a_diverged_run_counts_as_chance():
    setup = replace(QUICK, n_train=40, width=8, batch=20, epochs=2)
    outcome = train_arm(Arm(1, activation="relu"), 1e30, _tiny_data(), setup, seed=0)
    assert outcome.diverged and (outcome.train, outcome.val, outcome.test) == (CHANCE, CHANCE, CHANCE)
    fine = train_arm(Arm(1), 0.1, _tiny_data(), setup, seed=0)
    assert not fine.diverged and fine.test < CHANCE + 0.1


def test_mean_image_error_is_the_variance_around_the_training_mean():
    data = _tiny_data()
    expected = float(((data.X_test - data.X.mean(axis=0)) ** 2).mean())
    assert mean_image_error(data) == pytest.approx(expected, rel=1e-5)
