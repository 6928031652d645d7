"""The perceptron experiment's measures on constructed cases: Novikoff's bound, the data's promises
(a margin, XOR's labels), the least-squares target, the statistics' rules for failed runs, the
figures' lines."""

import math

import numpy as np
import pytest

from mlplab.experiments import perceptron_setup as setup
from mlplab.experiments.perceptron import least_squares, novikoff_ratio, relative_distance, run_seed
from mlplab.experiments.perceptron_report import line_points
from mlplab.linear import Perceptron


def test_novikoffs_bound_on_a_case_worked_by_hand():
    # inputs (x, 1): norms sqrt(2) and sqrt(1 + 0.25); the line x1 = 0, i.e. (1, 0, 0): margins 1 and 0.5
    X, y = np.array([[1.0, 0.0], [-0.5, 0.0]]), np.array([1.0, -1.0])
    assert setup.novikoff_bound(X, y, np.array([1.0, 0.0, 0.0])) == pytest.approx(2 / 0.25)
    # a line (u, c) with c != 0: gamma is measured in the inputs (x, 1), divided by ||(u, c)||
    gamma = 0.25 / math.hypot(1, 0.25)
    assert setup.novikoff_bound(X, y, np.array([1.0, 0.0, 0.25])) == pytest.approx(2 / gamma ** 2)
    with pytest.raises(ValueError, match="does not separate"):
        setup.novikoff_bound(X, -y, np.array([1.0, 0.0, 0.0]))


def test_the_separable_set_keeps_its_margin_and_its_labels():
    X, y, line = setup.separable(np.random.default_rng(7), 500)
    assert X.shape == (500, 2) and np.abs(X).max() <= 1 and math.isclose(np.linalg.norm(line[:2]), 1)
    assert np.abs(X @ line[:2] + line[2]).min() >= setup.MARGIN
    assert np.array_equal(y, np.sign(X @ line[:2] + line[2])) and 0 < (y > 0).mean() < 1


def test_xor_has_equal_clusters_labelled_by_the_sign_of_x1_x2():
    X, y = setup.xor(np.random.default_rng(1), 4000)
    assert (y > 0).mean() == 0.5
    agree = np.mean(np.sign(X[:, 0] * X[:, 1]) == y)         # the Bayes rule's accuracy on this sample
    assert agree == pytest.approx(setup.bayes_xor_accuracy(), abs=0.004)
    assert setup.bayes_xor_accuracy(0.01) == 1.0 and setup.bayes_xor_accuracy(1e6) == pytest.approx(0.5)


def test_least_squares_solves_the_normal_equations():
    rng = np.random.default_rng(0)
    X, y = rng.normal(size=(30, 2)), rng.normal(size=30)
    A = np.column_stack([X, np.ones(30)])
    assert np.allclose(least_squares(X, y), np.linalg.solve(A.T @ A, A.T @ y), rtol=1e-12)
    assert relative_distance(np.array([3.0, 4.0]), np.array([0.0, 5.0])) == pytest.approx(math.hypot(3, 1) / 5)


def test_a_perceptron_without_a_clean_epoch_counts_as_ten_times_the_bound():
    X = np.array([[1.0, 1.0], [-1.0, -1.0], [1.0, -1.0], [-1.0, 1.0]])
    stuck = Perceptron(epochs=5).fit(X, [1, 1, -1, -1])
    assert novikoff_ratio(stuck, 100.0) == setup.UNCONVERGED_RATIO
    done = Perceptron(epochs=50).fit(X[:2], [1, -1])
    assert done.converged_ and novikoff_ratio(done, 8.0) == done.updates_ / 8.0


def test_line_points_lie_on_the_line():
    for theta in ([1.0, 2.0, -0.5], [3.0, 0.1, 1.0], [0.0, -2.0, 1.0]):
        x1, x2 = line_points(np.array(theta))
        assert np.allclose(theta[0] * x1 + theta[1] * x2 + theta[2], 0, atol=1e-12)
    assert line_points(np.array([0.0, 0.0, 1.0])) is None


def test_one_seed_measures_what_the_claims_read():
    r = run_seed(1, {"n_train": 80, "perceptron_epochs": 20, "adaline_epochs": 10, "mlp_epochs": 100})
    assert r.converged and 0 < r.updates <= r.bound and r.novikoff_ratio == r.updates / r.bound
    assert 0.2 < r.xor_share < 0.75 and len(r.distances) == 10 and r.distances[-1] < r.distances[0]
    assert r.accuracy["Perceptron separable"] > 0.9 and r.accuracy["MLP XOR"] > 0.95
    assert r.accuracy["Perceptron XOR"] < 0.8 and r.models == {}
