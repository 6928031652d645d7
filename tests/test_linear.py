"""mlplab.linear: the Perceptron and ADALINE of DD2424 lecture 4.

The oracle is scikit-learn's SGD run one epoch at a time (``partial_fit``, ``shuffle=False``) on the
examples in mlplab's seeded order: its ``Perceptron`` (hinge at 0: a step on ``y (w.x + b) <= 0``)
and its ``SGDRegressor`` with the squared loss at a constant rate (the LMS rule) must give the same
``(w, b)`` after every epoch.  Then the theorems: Novikoff's bound, least squares, no line for XOR."""

import math

import numpy as np
import pytest
from sklearn.linear_model import Perceptron as SkPerceptron
from sklearn.linear_model import SGDRegressor

from mlplab.linear import Adaline, Perceptron
from mlplab.train import TrainingDiverged


def _separable(n=60, d=3, seed=0, margin=0.2):
    rng = np.random.default_rng(seed)
    u, c = rng.normal(size=d), 0.3
    u /= np.linalg.norm(u)
    X = rng.normal(size=(4 * n, d))
    X = X[np.abs(X @ u + c) >= margin][:n]
    return X, np.where(X @ u + c > 0, 1.0, -1.0), np.append(u, c)


def _noisy(n=40, d=3, seed=1):
    X, y, _ = _separable(n, d, seed)
    y[: n // 5] *= -1                                    # not separable: every epoch has mistakes
    return X, y


def _orders(seed, epochs, n):
    return [np.random.default_rng([seed, e]).permutation(n) for e in range(epochs)]


def test_the_perceptron_is_sklearns_perceptron_epoch_by_epoch():
    X, y = _noisy()
    ours = Perceptron(lr=0.7, epochs=6, seed=4).fit(X, y)
    oracle = SkPerceptron(eta0=0.7, shuffle=False, penalty=None)
    for epoch, order in enumerate(_orders(4, 6, len(y))):
        oracle.partial_fit(X[order], y[order], classes=[-1, 1])
        assert np.abs(ours.path_[epoch] - np.append(oracle.coef_[0], oracle.intercept_)).max() < 1e-12
    assert len(ours.mistakes_) == 6 and min(ours.mistakes_) > 0
    assert np.allclose(ours.w, oracle.coef_[0], rtol=0, atol=1e-12) and abs(ours.b - oracle.intercept_[0]) < 1e-12


def test_adaline_is_sklearns_lms_epoch_by_epoch():
    X, y = _noisy()
    ours = Adaline(lr=0.05, epochs=6, seed=2).fit(X, y)
    oracle = SGDRegressor(penalty=None, learning_rate="constant", eta0=0.05, shuffle=False)
    for epoch, order in enumerate(_orders(2, 6, len(y))):
        oracle.partial_fit(X[order], y[order])
        assert np.abs(ours.path_[epoch] - np.append(oracle.coef_, oracle.intercept_)).max() < 1e-12
        assert ours.loss_[epoch] == pytest.approx(np.mean((y - X @ oracle.coef_ - oracle.intercept_) ** 2), rel=1e-10)


def test_the_perceptron_counts_its_mistakes_and_stops_at_a_clean_epoch():
    X, y, _ = _separable()
    p = Perceptron(epochs=100, seed=0).fit(X, y)
    assert p.converged_ and p.mistakes_[-1] == 0 and all(m > 0 for m in p.mistakes_[:-1])
    assert len(p.mistakes_) < 100 and p.updates_ == sum(p.mistakes_)
    assert np.all(y * (X @ p.w + p.b) > 0) and p.score(X, y) == 1.0
    for loss, theta in zip(p.loss_, p.path_):             # the mean Perceptron loss after each epoch
        assert loss == pytest.approx(np.mean(np.maximum(0, -y * (X @ theta[:-1] + theta[-1]))), abs=1e-15)
    assert p.loss_[-1] == 0.0


@pytest.mark.parametrize("seed", range(5))
def test_novikoffs_bound_holds(seed):
    X, y, line = _separable(seed=seed)
    R2 = float(((X ** 2).sum(axis=1) + 1).max())
    gamma = float((y * (X @ line[:-1] + line[-1])).min() / np.linalg.norm(line))
    p = Perceptron(lr=1.0, epochs=1000, seed=seed).fit(X, y)
    assert p.converged_ and 0 < p.updates_ <= R2 / gamma ** 2


def test_from_zero_the_rate_scales_the_weights_not_the_mistakes():
    X, y, _ = _separable(seed=3)
    a, b = Perceptron(lr=1.0, seed=1).fit(X, y), Perceptron(lr=0.25, seed=1).fit(X, y)
    assert a.mistakes_ == b.mistakes_
    assert np.allclose(0.25 * a.w, b.w, rtol=1e-14) and 0.25 * a.b == pytest.approx(b.b, rel=1e-14)


def test_the_perceptron_never_separates_xor():
    X = np.array([[1.0, 1.0], [-1.0, -1.0], [1.0, -1.0], [-1.0, 1.0]])
    p = Perceptron(epochs=50, seed=0).fit(X, [1, 1, -1, -1])
    assert len(p.mistakes_) == 50 and min(p.mistakes_) >= 1 and not p.converged_
    assert p.score(X, [1, 1, -1, -1]) <= 0.75


def test_adaline_converges_to_least_squares_and_its_distance_shrinks():
    X, y = _noisy(n=80, seed=5)
    target = np.linalg.lstsq(np.column_stack([X, np.ones(len(X))]), y, rcond=None)[0]
    a = Adaline(lr=0.0005, epochs=300, seed=0).fit(X, y)
    distances = [np.linalg.norm(theta - target) / np.linalg.norm(target) for theta in a.path_]
    assert distances[-1] < 2e-3 and distances[0] > 0.5
    mse = np.mean((y - np.column_stack([X, np.ones(len(X))]) @ target) ** 2)
    assert mse <= a.loss_[-1] < mse * (1 + 1e-5)
    # at ten times the rate the floor is higher: LMS hovers within O(lr) of the solution
    fast = Adaline(lr=0.02, epochs=300, seed=0).fit(X, y)
    assert np.linalg.norm(fast.path_[-1] - target) > np.linalg.norm(a.path_[-1] - target)


def test_adaline_counts_the_examples_it_gets_wrong_and_predicts_the_sign():
    X, y = _noisy(n=40, seed=2)
    a = Adaline(lr=0.01, epochs=20, seed=0).fit(X, y)
    assert all(4 <= m < 40 for m in a.mistakes_[5:])               # 8 flipped labels: a line misses some
    s = X @ a.w + a.b
    assert np.array_equal(a.predict(X), np.where(s > 0, 1, -1)) and a.score(X, y) == np.mean(np.sign(s) == y)


def test_zero_one_labels_are_mapped_and_answered_in_kind():
    X, y, _ = _separable(seed=4)
    pm, zo = Perceptron(seed=2).fit(X, y), Perceptron(seed=2).fit(X, (y > 0).astype(int))
    assert np.array_equal(pm.w, zo.w) and pm.b == zo.b and pm.mistakes_ == zo.mistakes_
    assert set(np.unique(zo.predict(X))) == {0, 1} and set(np.unique(pm.predict(X))) == {-1, 1}
    assert np.array_equal(zo.predict(X), (y > 0).astype(int)) and zo.score(X, (y > 0).astype(int)) == 1.0


def test_adaline_diverges_in_one_clear_line():
    X, y = _noisy()
    with pytest.raises(TrainingDiverged, match=r"Adaline diverged in epoch \d+ .*lr=50.0 is too large"):
        Adaline(lr=50.0, epochs=20).fit(100 * X, y)


@pytest.mark.parametrize("kwargs, message", [
    ({"lr": 0}, "lr must be > 0.0, got 0"), ({"lr": -1.0}, "lr must be > 0.0, got -1.0"),
    ({"lr": math.nan}, "lr must be finite, got nan"), ({"epochs": 0}, "epochs must be a positive integer, got 0"),
    ({"epochs": 2.5}, "epochs must be a positive integer, got 2.5"),
    ({"seed": -1}, "seed must be an integer >= 0, got -1"),
    ({"seed": "a"}, "seed must be an integer >= 0, got 'a'")])
@pytest.mark.parametrize("cls", [Perceptron, Adaline])
def test_bad_arguments_are_refused_naming_them(cls, kwargs, message):
    with pytest.raises(ValueError, match=message):
        cls(**kwargs)


@pytest.mark.parametrize("X, y, error, message", [
    ([[0.0, 1.0], [math.nan, 0.0]], [1, -1], ValueError, "X contains nan at row 1, column 0"),
    ([0.0, 1.0], [1, -1], ValueError, r"X must be 2-D, got shape \(2,\)"),
    ([[0.0], [1.0]], [1, -1, 1], ValueError, r"y must have shape \(2,\) to match X, got \(3,\)"),
    ([[0.0], [1.0]], [1, 2], ValueError, "y must hold the labels -1/\\+1 or 0/1, got 2"),
    ([[0.0], [1.0]], [0.5, 1], ValueError, "y must hold the labels -1/\\+1 or 0/1, got 0.5"),
    ([[0.0], [1.0], [2.0]], [-1, 0, 1], ValueError, "not both: got -1 and 0"),
    ([[0.0], [1.0]], ["a", "b"], TypeError, "y must hold the labels -1/\\+1 or 0/1, got dtype <U1"),
    (np.zeros((0, 2)), [], ValueError, r"X must have at least one row, got shape \(0, 2\)")])
def test_bad_input_is_refused_in_one_line(X, y, error, message):
    with pytest.raises(error, match=message):
        Perceptron().fit(X, y)


def test_predict_before_fit_and_with_the_wrong_width_are_refused():
    with pytest.raises(RuntimeError, match=r"this Adaline is not fitted yet: call fit\(X, y\) first"):
        Adaline().predict([[0.0, 1.0]])
    p = Perceptron().fit([[0.0, 1.0], [1.0, 0.0]], [1, -1])
    with pytest.raises(ValueError, match="X must have 2 columns \\(as when fitted\\), got 3"):
        p.predict([[0.0, 1.0, 2.0]])
    assert repr(p) == "Perceptron(lr=1, epochs=100, seed=0)"


def test_arrays_of_every_backend_are_taken(on):
    """Host-side models: a backend's arrays are brought to the host and give NumPy's fit exactly."""
    X, y = _noisy()
    host = Adaline(lr=0.05, epochs=3, seed=1).fit(X, y)
    device = Adaline(lr=0.05, epochs=3, seed=1).fit(on.a(X), on.a(y))
    assert np.array_equal(device.w, host.w) and device.b == host.b and device.mistakes_ == host.mistakes_
    assert np.array_equal(device.predict(on.a(X)), host.predict(X))
