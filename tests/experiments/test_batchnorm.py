"""The batch norm experiment's statistics on constructed cases, and its training run's bookkeeping."""

import numpy as np
import pytest

import mlplab as ml
from mlplab.experiments import batchnorm as bn_
from mlplab.experiments.base import Result
from mlplab.experiments.batchnorm_train import (CHANCE, Data, Net, Run, largest_good_rate, last_squashing_layer,
                                                train, typical_unit, unit_drifts, unit_percentiles, updates_to_reach)


def test_updates_to_reach_is_the_first_crossing_or_the_budget():
    steps, accs = [10, 20, 40, 80], [0.1, 0.5, 0.9, 0.85]
    assert updates_to_reach(steps, accs, 0.85, 100) == 40
    assert updates_to_reach(steps, accs, 0.5, 100) == 20
    assert updates_to_reach(steps, accs, 0.95, 100) == 100          # never: the whole budget (censored)


def test_unit_drift_is_the_median_range_over_the_mean_spread_after_start():
    steps = [0, 10, 20, 30]
    # unit 0 never moves; unit 1's median goes 0, 1, 3 after step 10 with a 15-85 spread of 2;
    # unit 2 moves a lot, but only before step 10, which is left out
    p = np.zeros((4, 3, 3))
    p[:, 0, :], p[:, 2, :] = -1.0, 1.0                              # spread 2 everywhere
    p[:, 1, 1] = [5.0, 0.0, 1.0, 3.0]
    p[:, 1, 2] = [9.0, 0.0, 0.0, 0.0]
    drifts = unit_drifts(steps, p, start=10)
    assert drifts == pytest.approx([0.0, 1.5, 0.0])
    # a unit whose whole distribution is scaled by 10 drifts the same: the measure is scale-free
    assert unit_drifts(steps, 10 * p, start=10) == pytest.approx(drifts)


def test_unit_drift_window_has_an_end():
    p = np.zeros((4, 3, 1))
    p[:, 0], p[:, 2] = -1.0, 1.0
    p[:, 1, 0] = [0.0, 0.0, 1.0, 9.0]
    assert unit_drifts([0, 10, 20, 30], p, start=10, end=20) == pytest.approx([0.5])


def test_typical_unit_is_the_median_one():
    assert typical_unit(np.array([5.0, 1.0, 3.0])) == 2
    assert typical_unit(np.array([4.0, 1.0, 3.0, 2.0])) == 2         # upper median of an even count


@pytest.mark.parametrize("reached, expected", [
    ([True, True, False, True], 2.0),      # the top of the working range before the first failure
    ([True, True, True, True], 8.0),       # never failed: the grid's top (a lower bound)
    ([True, True], 2.0),                   # a sweep that was not run to the end
    ([False, True], 0.5),                  # failed at the lowest rate: half of it
])
def test_largest_good_rate(reached, expected):
    assert largest_good_rate([1.0, 2.0, 4.0, 8.0], reached) == expected


def _tiny_data(seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(300, 12)).astype(np.float32)
    y = (X[:, :10].argmax(axis=1)).astype(np.int64)
    return Data(X, y, X[:100], y[:100], probe=X[:50])


def test_train_makes_exactly_the_updates_and_records_the_checkpoints():
    data = _tiny_data()
    run = train(data, Net((8,), "sigmoid", "xavier_normal"), True, 0.5, updates=13, seed=0,
                steps=[1, 5, 13], percentile_steps=[0, 5, 13])
    assert run.steps == [1, 5, 13] and len(run.accuracy) == 3 and run.diverged_at is None
    assert run.percentile_steps == [0, 5, 13] and np.asarray(run.percentiles).shape == (3, 3, 8)
    assert run.final == run.accuracy[-1]


def test_a_diverged_run_counts_as_chance_from_where_it_diverged():
    data = _tiny_data()
    data.X = data.X * 1e3                                            # huge inputs and rate: NaN in a few updates
    run = train(data, Net((8,), "relu", "normal:10"), False, 1e30, updates=50, seed=0, steps=[1, 25, 50])
    assert run.diverged_at is not None and run.final == CHANCE
    assert run.steps == [1, 25, 50][-len(run.steps):] and len(run.accuracy) == len(run.steps)
    assert run.accuracy[-1] == CHANCE


def test_percentiles_of_a_bn_net_leave_its_running_statistics_alone():
    data = _tiny_data()
    net = ml.mlp(12, [8, 8], 10, activation="sigmoid", batchnorm=True, seed=0)
    net.forward(data.X[:60], train=True)
    before = {k: v.copy() for k, v in net.buffers.items()}
    p = unit_percentiles(net, data.probe)
    assert p.shape == (3, 8) and (p[0] <= p[1]).all() and (p[1] <= p[2]).all()
    assert all(np.array_equal(before[k], v) for k, v in net.buffers.items())


def test_a_bn_net_with_frozen_weights_drifts_zero_on_the_probes_own_statistics():
    """Batches pass in train mode (the running statistics move, momentum 0.1) but no weight moves:
    the probe's percentiles must not move; in test mode (running statistics) they would."""
    data = _tiny_data()
    net = ml.mlp(12, [8, 8], 10, activation="sigmoid", batchnorm=True, seed=0)
    rng = np.random.default_rng(1)
    own, running = [], []
    for _ in range(6):
        for _ in range(5):
            net.forward(data.X[rng.choice(300, 60, replace=False)], train=True)
        own.append(unit_percentiles(net, data.probe))
        running.append(np.percentile(net.forward_until(data.probe, last_squashing_layer(net)), [15, 50, 85], axis=0))
    steps = list(range(6))
    assert unit_drifts(steps, own, 0).max() < 1e-6
    assert np.median(unit_drifts(steps, running, 0)) > 1e-3        # the floor test mode would add


def test_the_quick_budget_keeps_what_the_claims_need():
    """--quick cuts updates and checkpoints only: its sweep still contains the initialisation's rate
    (the Xavier reference is the sweep's run there), its grid rises, and Figure 1's accuracy
    checkpoints still cover the claim window's end and the last update."""
    for budget in (bn_.FULL, bn_.QUICK):
        assert bn_.INIT_LR in budget.rates and list(budget.rates) == sorted(budget.rates)
        steps, percentile_steps = bn_._checkpoints(budget.paper_updates, budget.checkpoints, budget.log_checkpoints)
        start, end = bn_.drift_window(budget.paper_updates)
        assert {end, budget.paper_updates} <= set(steps) and 0 < start < end
        assert sum(start <= s <= end for s in percentile_steps) >= 10      # the drift window's own checkpoints
    assert bn_.QUICK_SEEDS >= 3 and bn_.QUICK.log_checkpoints < bn_.FULL.log_checkpoints == 25


# -- each claim's orientation: synthetic runs where batch norm is better must reproduce, and the
# mirrored case must not ----------------------------------------------------------------------
BUDGET = bn_.Budget(1000, 100, 100, (1.0, 2.0, 4.0, 8.0), 10, 25)


def _paper_run(better: bool, seed: int) -> Run:
    steps, pst = bn_._checkpoints(BUDGET.paper_updates, BUDGET.checkpoints, BUDGET.log_checkpoints)
    rate = 0.02 if better else 0.002                                  # the better net rises 10x faster
    acc = [min(0.95, 1 - 0.9 * np.exp(-rate * s)) + 0.001 * seed for s in steps]
    rng = np.random.default_rng(seed)
    move = 0.01 if better else 1.0                                    # how far medians move per update share
    per = []
    for s in pst:
        p = np.zeros((3, 20))
        p[1] = move * (s / 100) * (1 + 0.1 * rng.random(20))
        p[0], p[2] = p[1] - 1, p[1] + 1
        per.append(p)
    return Run(steps=list(steps), accuracy=acc, train_curve=acc, percentile_steps=list(pst), percentiles=per,
               final=acc[-1] + (0.01 if better else 0.0), train_accuracy=1.0)


@pytest.mark.parametrize("bn_better, verdict", [(True, "reproduced"), (False, "not reproduced")])
def test_paper_claims_orientation(bn_better, verdict):
    result = Result("t", "t", "t", 3, True)
    paper = {bn: [_paper_run(bn == bn_better, seed) for seed in range(3)] for bn in (False, True)}
    bn_.paper_claims(result, paper, BUDGET)
    assert [c.verdict for c in result.claims] == [verdict] * 3


@pytest.mark.parametrize("bn_better, verdict", [(True, "reproduced"), (False, "not reproduced")])
def test_two_layer_claims_orientation(bn_better, verdict):
    result = Result("t", "t", "t", 3, True)
    two = {bn: [Run(steps=[67], accuracy=[0.8 + (0.05 if bn == bn_better else 0) + 0.001 * s],
                    final=0.9 + (0.02 if bn == bn_better else 0) + 0.002 * s) for s in range(3)] for bn in (False, True)}
    bn_.two_layer_claims(result, two, BUDGET)
    assert [c.verdict for c in result.claims] == [verdict] * 2


@pytest.mark.parametrize("bn_better, verdict", [(True, "reproduced"), (False, "not reproduced")])
def test_sweep_claim_orientation(bn_better, verdict):
    def seed_runs(fails_at):
        return [Run(final=0.9 if k < fails_at else CHANCE) for k in range(min(fails_at + 1, 4))]
    sweep = {bn: [seed_runs(3 if bn == bn_better else 1 + (s == 0)) for s in range(3)] for bn in (False, True)}
    result = Result("t", "t", "t", 3, True)
    bn_.sweep_claims(result, sweep, BUDGET)
    assert result.claims[0].verdict == verdict


@pytest.mark.parametrize("bn_hurt_less, hurts_plain, verdict", [
    (True, True, "reproduced"), (False, True, "not reproduced"),
    (True, False, "inconclusive"),           # the precondition fails: inconclusive by code, whatever the interval
])
def test_init_claims_orientation_and_precondition(bn_hurt_less, hurts_plain, verdict):
    good = {bn: [0.9 + 0.001 * s for s in range(4)] for bn in (False, True)}
    plain_loss = [0.3 + 0.01 * s for s in range(4)] if hurts_plain else [-0.01 + 0.003 * s for s in range(4)]
    bn_loss = [(0.0 if bn_hurt_less else 0.6) + 0.005 * s - (0.2 if not hurts_plain else 0) for s in range(4)]
    bad_arms = {False: list(np.subtract(good[False], plain_loss)), True: list(np.subtract(good[True], bn_loss))}
    bad = {init: bad_arms for _, init, _ in bn_.BAD_INITS + bn_.OTHER_INITS}
    result = Result("t", "t", "t", 4, True)
    bn_.init_claims(result, good, bad, BUDGET, [])
    assert [c.verdict for c in result.claims] == [verdict] * len(bn_.BAD_INITS)
    precondition = result.tables[0]
    assert [row[-1] for row in precondition.rows[:len(bn_.BAD_INITS)]] == ["holds" if hurts_plain else "fails"] * 2
