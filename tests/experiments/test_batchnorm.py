"""The batch norm experiment's statistics on constructed cases, and its training run's bookkeeping."""

import numpy as np
import pytest

import mlplab as ml
from mlplab.experiments.batchnorm_train import (CHANCE, Data, Net, largest_good_rate, train, typical_unit,
                                                unit_drifts, unit_percentiles, updates_to_reach)


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
