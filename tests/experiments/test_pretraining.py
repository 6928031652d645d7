"""The pre-training experiment's own statistics, rules and claim wiring, on constructed cases."""

from dataclasses import replace

import numpy as np
import pytest

from mlplab.experiments import pretraining as P
from mlplab.experiments import pretraining_claims
from mlplab.experiments.base import Result
from mlplab.experiments.pretraining import Data, best_rate, deepest_trainable, judged_depth, mean_image_error, train_arm
from mlplab.experiments.pretraining_setup import (CHANCE, FULL, LONG, MARGIN, NEAR_ZERO, QUICK, SMALL_TOP, Arm,
                                                  ae_epochs, judged_arms, per_seed_slopes)


def test_slope_is_the_least_squares_slope_per_seed():
    depths = [1, 2, 3, 4]
    # seed 0: gain = 0.02 * depth; seed 1: flat; seed 2: falls by 0.01 per layer, plus a constant
    gains = np.array([[0.02 * d, 0.05, 0.3 - 0.01 * d] for d in depths])
    assert per_seed_slopes(depths, gains) == pytest.approx([0.02, 0.0, -0.01])
    # uneven depths (the full run's 1 and 4): the slope of the two points
    assert per_seed_slopes([1, 4], np.array([[0.0], [0.09]])) == pytest.approx([0.03])


def test_deepest_trainable_needs_every_seed_every_shallower_depth_and_both_starts():
    errors = {1: [0.1, 0.2], 2: [0.3, 0.45], 3: [0.2, 0.55], 4: [0.1, 0.1]}
    assert deepest_trainable(errors) == 2          # depth 3 fails on one seed; depth 4 does not count after it
    assert deepest_trainable({1: [0.6, 0.1]}) == 0
    assert deepest_trainable({1: [0.1], 4: [0.49], 5: [0.89]}) == 4     # a sweep that skips depths
    assert deepest_trainable({1: [0.5]}) == 0                           # "below", not "at"
    # the pre-trained start failing at depth 4 (one seed at chance) stops the judged depth at 3
    random = {1: [0.1], 2: [0.1], 3: [0.2], 4: [0.3]}
    assert deepest_trainable(random, {1: [0.1], 2: [0.1], 3: [0.1], 4: [0.1, 0.89]}) == 3


def test_judged_depth_falls_back_to_where_the_random_start_trains_best_never_to_chance():
    random = {1: [0.55, 0.6], 2: [0.3, 0.52], 3: [0.9, 0.9]}
    assert judged_depth(random, {d: [0.1] for d in random}) == 2
    # the shallowest depth at chance is not taken just because it is the shallowest
    assert judged_depth({1: [0.9], 2: [0.6]}, {1: [0.1], 2: [0.1]}) == 2
    assert judged_depth({1: [0.1], 2: [0.2]}, {1: [0.1], 2: [0.2]}) == 2


def test_best_rate_takes_the_lowest_validation_error_and_the_smaller_rate_on_a_tie():
    assert best_rate((0.01, 0.03, 0.1), [0.3, 0.2, 0.25]) == 0.03
    assert best_rate((0.01, 0.03, 0.1), [0.2, 0.3, 0.2]) == 0.01


def test_tune_extends_the_grid_one_step_beyond_the_edge_it_picks(monkeypatch):
    tried = []

    def fake(arm, lr, data, setup, seed, cache=None):
        tried.append(lr)
        return P.Outcome(lr, lr, lr)            # validation error grows with the rate: the lowest edge wins
    monkeypatch.setattr(P, "train_arm", fake)
    rate, val = P.tune(Arm(1), None, FULL)
    assert rate == FULL.outer[0] and sorted(tried) == sorted(FULL.rates + (FULL.outer[0],))
    tried.clear()
    rate, _ = P.tune(Arm(1, top="large"), None, FULL)
    assert rate == FULL.adam_rates[0] and sorted(tried) == sorted(FULL.adam_rates)       # the full run: no Adam extension
    tried.clear()
    assert P.tune(Arm(1, top="large"), None, QUICK)[0] == QUICK.adam_rates[0] and len(tried) == len(QUICK.adam_rates)


def test_top_layers_replace_only_the_last_hidden_layer():
    assert Arm(3, top="large").hidden(FULL) == [FULL.width, FULL.width, FULL.top]
    assert Arm(2, top="small").hidden(FULL) == [FULL.width, SMALL_TOP]
    assert Arm(2).hidden(QUICK) == [QUICK.width] * 2


@pytest.mark.parametrize("setup", [FULL, QUICK])
def test_every_judged_comparison_has_equal_total_updates(setup):
    for depth in setup.depths:
        a = judged_arms(depth)
        pre = a["pre"].total_updates(setup)
        assert pre == setup.updates + setup.pretrain_epochs * depth * setup.steps
        for key in ("random", "relu", "bn"):
            assert a[key].total_updates(setup) == pre, key
            assert a[key].epochs(setup) * setup.steps == pre, key          # all of it supervised
        assert a["small_random"].total_updates(setup) == a["small_pre"].total_updates(setup)
        assert a["secondary"].total_updates(setup) == setup.updates < pre   # the unjudged equal-fine-tuning row
        assert a["large"].total_updates(setup) == LONG * setup.updates
        assert a["small_pre"].epochs(setup) == LONG * setup.epochs
    layers = len(setup.ae_sizes) - 1
    assert ae_epochs(setup, False) == ae_epochs(setup, True) + setup.ae_pretrain_epochs * layers


def _synthetic(depths, seeds=4):
    """Every arm's errors a distinct constant plus a seed offset, so a claim's estimate names its arms."""
    test, train, rates = {}, {}, {}
    arms = [Arm(d, p, matched=not p) for d in depths for p in (False, True)]
    arms += [arm for d in depths for arm in judged_arms(d).values()]
    for i, arm in enumerate(dict.fromkeys(arms)):
        test[arm] = 0.1 + 0.01 * i + 0.001 * np.arange(seeds) * (i % 3)
        train[arm] = 0.05 + 0.002 * i + 0.0001 * np.arange(seeds) * (i % 3)
        rates[arm] = 0.1
    return test, train, rates


def test_the_claims_compare_the_arms_they_name():
    depths, judged = (1, 2, 3, 4), 3
    test, train, rates = _synthetic(depths)
    result = Result("pretraining", "t", "s", 4, False)
    pretraining_claims.classifier_claims(result, FULL, test, train, rates, judged)
    a = judged_arms(judged)
    c1, c2, c3, c4, c5, c6 = result.claims
    assert c1.estimate == pytest.approx(np.mean(test[a["pre"]] - test[a["random"]]))      # not the secondary
    assert c1.estimate != pytest.approx(np.mean(test[a["pre"]] - test[a["secondary"]]))
    gains = np.array([test[Arm(d, matched=True)] - test[Arm(d, True)] for d in (1, 2, 3)])   # depths <= judged
    assert c2.estimate == pytest.approx(per_seed_slopes([1, 2, 3], gains).mean())
    assert c3.estimate == pytest.approx(train[a["large"]].mean()) and c3.threshold == NEAR_ZERO
    assert c4.estimate == pytest.approx(np.mean(train[a["small_pre"]] - train[a["small_random"]]))
    for claim, key in ((c5, "relu"), (c6, "bn")):
        assert claim.estimate == pytest.approx(np.mean(test[a[key]] - test[a["pre"]]))
        assert claim.threshold == MARGIN and claim.direction == "<"
    assert "equal total updates" in c1.claim and "equal total updates" in c1.statistic


def test_the_autoencoder_claims_divide_by_the_random_start_and_by_pca():
    result = Result("pretraining", "t", "s", 3, False)
    ae = {True: [(0.02, []), (0.03, []), (0.025, [])], False: [(0.04, []), (0.05, []), (0.05, [])]}
    pretraining_claims.autoencoder_claims(result, FULL, ae, 0.025, 0.09)
    ratio, pca = result.claims
    assert ratio.estimate == pytest.approx(np.exp(np.mean(np.log([0.5, 0.6, 0.5]))))
    assert pca.estimate == pytest.approx(np.exp(np.mean(np.log([0.8, 1.2, 1.0]))))


def test_quick_stores_a_rate_for_every_arm_it_can_need():
    stored = dict(QUICK.stored_rates)
    needed = [Arm(d, p, matched=not p) for d in QUICK.depths for p in (False, True)]
    needed += list(judged_arms(max(QUICK.depths)).values())
    assert all(arm in stored for arm in needed)
    assert all(rate in QUICK.rates + QUICK.outer + QUICK.adam_rates + QUICK.adam_outer for rate in stored.values())


def _tiny_data(n: int = 40, seed: int = 0) -> Data:
    rng = np.random.default_rng(seed)
    X = rng.random((n, 784)).astype(np.float32)
    y = rng.integers(0, 10, n)
    return Data(X, y, X, y, X, y)


def test_a_diverged_run_counts_as_chance():
    setup = replace(QUICK, n_train=40, width=8, batch=20, epochs=2)
    outcome = train_arm(Arm(1, activation="relu"), 1e30, _tiny_data(), setup, seed=0)
    assert outcome.diverged and (outcome.train, outcome.val, outcome.test) == (CHANCE, CHANCE, CHANCE)
    assert not train_arm(Arm(1), 0.1, _tiny_data(), setup, seed=0).diverged


def test_a_diverged_pretraining_counts_as_chance_instead_of_crashing(monkeypatch):
    def diverge(*args, **kwargs):
        raise FloatingPointError("overflow in the autoencoder")
    monkeypatch.setattr(P, "pretrain", diverge)
    setup = replace(QUICK, n_train=40, width=8, batch=20, epochs=2)
    outcome = train_arm(Arm(1, True), 0.1, _tiny_data(), setup, seed=0)
    assert outcome.diverged and outcome.test == CHANCE


def test_mean_image_error_is_the_variance_around_the_training_mean():
    data = _tiny_data()
    expected = float(((data.X_test - data.X.mean(axis=0)) ** 2).mean())
    assert mean_image_error(data) == pytest.approx(expected, rel=1e-5)
