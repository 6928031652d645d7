"""The activations experiment's statistics on constructed cases whose answers are known."""

import math

import numpy as np
import pytest

import mlplab as ml
from mlplab.experiments import activations as A
from mlplab.experiments import activations_common as C
from mlplab.experiments import activations_speed as S
from mlplab.experiments.activations_zigzag import (ARMS, CentredSigmoid, UpdateRecorder, one_sign_share, ones_cosine,
                                                   path_ratio, toy_task, zigzag_net)
from mlplab.experiments.base import Result, steps_to
from mlplab.gradcheck import gradcheck
from mlplab.layers import Dense
from mlplab.layers.activations import sigmoid
from mlplab.losses import LOSSES
from mlplab.network import Sequential
from mlplab.train import Trainer


def test_one_sign_share_counts_rows_of_one_strict_sign():
    delta = np.array([[1.0, 2.0, 3.0],       # all up
                      [-1.0, -0.5, -2.0],    # all down
                      [1.0, -1.0, 2.0],      # mixed
                      [0.0, 1.0, 1.0]])      # a weight that did not move is not "one sign"
    assert one_sign_share(delta) == 0.5
    assert one_sign_share(delta[2:]) == 0.0


def test_one_sign_share_is_fixed_at_batch_one_but_not_for_a_batch():
    """For one example dW_i = delta_i h with h > 0 is one-sign by definition; a batch's sum
    sum_n delta_ni h_n is not when the delta_ni differ in sign."""
    rng = np.random.default_rng(0)
    h = sigmoid(rng.standard_normal((100, 20)) * 3)              # sigmoid outputs, all positive
    delta = rng.standard_normal((100, 5))
    per_example = [one_sign_share(np.outer(delta[n], h[n])) for n in range(100)]
    assert per_example == [1.0] * 100
    batch = delta.T @ h                                            # (units, inputs), the batch's gradient
    assert one_sign_share(batch) < 1.0
    h2 = np.array([[1.0, 0.1], [0.1, 1.0]])                        # two positive inputs, deltas of opposite sign
    assert one_sign_share(np.array([[1.0, -1.0]]) @ h2) == 0.0      # the sum moves w1 up and w2 down


def test_path_ratio_is_one_for_a_straight_path_and_grows_with_a_zigzag():
    start, end = np.zeros((1, 2)), np.array([[3.0, 4.0]])
    assert path_ratio(np.array([5.0]), start, end) == pytest.approx(1.0)
    # (0,0) -> (1,1) -> (0,2): path 2 sqrt 2 for a displacement of 2
    assert path_ratio(np.array([2 * math.sqrt(2)]), start, np.array([[0.0, 2.0]])) == pytest.approx(math.sqrt(2))


def test_ones_cosine_is_one_for_equal_entries_zero_across_and_small_at_random():
    assert ones_cosine(np.array([[2.0, 2.0, 2.0], [-1.0, -1.0, -1.0]])) == pytest.approx(1.0)
    assert ones_cosine(np.array([[1.0, -1.0, 0.0]])) == pytest.approx(0.0)
    assert ones_cosine(np.array([[3.0, 4.0], [0.0, 0.0]])) == pytest.approx(7 / (5 * math.sqrt(2)) / 2)  # a still row: 0
    rows = np.random.default_rng(0).standard_normal((2000, 128))
    assert ones_cosine(rows) == pytest.approx(math.sqrt(2 / (math.pi * 128)), rel=0.05)
    # not structurally 0 for zero-centred inputs, unlike the one-sign share: a batch update of centred inputs
    rng = np.random.default_rng(1)
    update = rng.standard_normal((10, 100)) @ (sigmoid(rng.standard_normal((100, 128)) * 2) - 0.5)
    assert one_sign_share(update) == 0.0 and ones_cosine(update) > 0.01


def _gd_path_ratio(X, y, lr, steps=200):
    """Full-batch gradient descent on J(w) = ||X w - y||^2 / 2n from w = 0: path length / displacement."""
    w, length = np.zeros(X.shape[1]), 0.0
    for _ in range(steps):
        step = -lr * X.T @ (X @ w - y) / len(y)
        length += np.linalg.norm(step)
        w = w + step
    return path_ratio(np.array([length]), np.zeros((1, X.shape[1])), w[None, :])


def test_path_ratio_can_come_out_either_way_on_a_quadratic():
    """Positive inputs put a large curvature along all-ones; at a rate near that curvature's limit the
    path oscillates along it (ratio > 1) while centred inputs at the same rate go straight (~1); at a
    rate well inside the limit the positive inputs' path is nearly straight too."""
    rng = np.random.default_rng(0)
    h = sigmoid(2 * rng.standard_normal((500, 10)))
    centred = h - h.mean(axis=0)
    w_star = np.where(np.arange(10) % 2, 1.0, -0.5)
    top = np.linalg.eigvalsh(h.T @ h / 500).max()
    assert _gd_path_ratio(h, h @ w_star, 1.9 / top) > 3
    assert _gd_path_ratio(centred, centred @ w_star, 1.9 / top) < 1.05
    assert _gd_path_ratio(h, h @ w_star, 0.5 / top) < 1.5


def test_update_recorder_sees_the_sgd_updates():
    """Plain SGD: the update is -lr times the batch gradient; the recorder's share and path agree with it."""
    rng = np.random.default_rng(1)
    X, y = rng.standard_normal((40, 6)), rng.integers(0, 3, 40)
    net = Sequential([Dense(6, 4, rng=0, dtype="float64"), ml.layers.Sigmoid(dtype="float64"),
                      Dense(4, 3, rng=1, dtype="float64")])
    recorder = UpdateRecorder(net.layers[-1])
    grads = []

    class Grads(ml.train.Callback):
        def on_batch_end(self, trainer, step, loss):
            grads.append(np.array(net.layers[-1].grads["W"]))

    trainer = Trainer(net, ml.optim.SGD(lr=0.5), batch_size=10, epochs=1, callbacks=[recorder, Grads()])
    trainer.fit(X, y)
    assert len(recorder.shares) == 4
    assert recorder.shares == [one_sign_share(-0.5 * g) for g in grads]
    assert recorder.cosines == pytest.approx([ones_cosine(g) for g in grads])
    assert recorder.path == pytest.approx(sum(np.linalg.norm(0.5 * g, axis=1) for g in grads))


def test_centred_sigmoid_is_sigmoid_minus_a_half_with_sigmoids_gradient():
    x = np.linspace(-5, 5, 11)[None, :]
    layer = CentredSigmoid(dtype="float64")
    assert np.allclose(layer.forward(x), sigmoid(x) - 0.5)
    assert np.allclose(layer.backward(np.ones_like(x)), sigmoid(x) * (1 - sigmoid(x)))
    rng = np.random.default_rng(2)
    net = Sequential([Dense(5, 4, rng=0, dtype="float64"), CentredSigmoid(dtype="float64"),
                      Dense(4, 3, rng=1, dtype="float64")])
    errors = gradcheck(net, LOSSES["softmax_cross_entropy"], rng.standard_normal((8, 5)), rng.integers(0, 3, 8))
    assert max(errors.values()) < 1e-6


def test_the_zigzag_arms_start_from_the_same_weights():
    nets = [zigzag_net(arm, 16, seed=3, n_in=10, n_out=4) for arm in ARMS]
    for net in nets[1:]:
        for key, value in nets[0].params.items():
            assert np.array_equal(net.params[key], value)


def test_updates_to_target_counts_a_miss_as_the_budget_plus_one():
    falling = list(np.linspace(1.0, 0.0, 200))
    assert C.updates_to_target(falling, 200, target=0.5, window=10) == steps_to(falling, 0.5, 10)
    assert C.updates_to_target([1.0] * 200, 200, target=0.5, window=10) == 201
    assert C.updates_to_target(falling, 50, target=0.5, window=10) == 51      # reached, but after the budget
    assert C.updates_to_target([0.1] * 5, 100, target=0.5, window=10) == 101   # diverged before a full window


def _data(n=600, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, 784)).astype("float32")
    y = rng.integers(0, 10, n)
    return C.Data(X, y, X[:100], y[:100], X[:100], y[:100])


def test_train_makes_exactly_the_budget_and_counts_divergence_as_chance():
    data = _data()
    run = C.train(ml.mlp(784, [8], 10, seed=0), ml.optim.SGD(lr=0.01), data, 12, seed=0, validate=True)
    assert len(run.losses) == 12 and not run.diverged and math.isfinite(run.val_loss)
    with pytest.raises(ValueError, match="whole epochs"):
        C.train(ml.mlp(784, [8], 10, seed=0), ml.optim.SGD(lr=0.01), data, 13, seed=0)
    wild = C.train(ml.mlp(784, [8], 10, seed=0), ml.optim.SGD(lr=1e6), data, 6, seed=0)
    assert wild.diverged and wild.test_accuracy == C.CHANCE and wild.val_loss == math.inf
    assert wild.updates(6) == 7


def test_choose_rate_takes_the_lowest_mean_score_and_a_diverged_rate_never_wins():
    losses = {(0.1, 100): 0.5, (0.1, 101): 0.7, (0.3, 100): 0.4, (0.3, 101): 0.9, (1.0, 100): math.inf,
              (1.0, 101): 0.1}
    rate, scores = C.choose_rate(lambda r, s: losses[r, s], (0.1, 0.3, 1.0))
    assert rate == 0.1 and scores[0.3] == pytest.approx(0.65) and scores[1.0] == math.inf
    assert C.choose_rate(lambda r, s: 5.0, (1.0, 0.3))[0] == 0.3           # a tie: the smaller rate


def test_the_zigzag_grid_returns_each_arms_own_best_validation_rate(monkeypatch):
    best = {"sigmoid": 3.0, "centred sigmoid": 1.0}

    class Recorder:
        def ratio(self):
            return 1.0

    def fake(data, arm, rate, seed, updates, batch=C.BATCH, validate=False):
        return C.Run([1.0] * 60, False, 0.5, abs(math.log(rate / best[arm])) + 0.1 * seed), Recorder()

    monkeypatch.setattr(A, "zigzag_run", fake)
    result = Result("t", "t", "t", 1, False)
    assert A.zigzag_grid(result, None) == best
    assert any("QUICK_ZIGZAG_RATES" in note for note in result.notes)     # differs from the quick constant


def test_the_speed_claims_read_fewer_relu_updates_as_relu_faster():
    rng = np.random.default_rng(0)
    relu = list(100 + rng.integers(0, 10, 10))
    slow = {"sigmoid": [3 * u for u in relu], "tanh": [8 * u + 5 for u in relu]}
    found = {a: {"updates": u, "acc": [0.85] * 10} for a, u in {**slow, "relu": relu}.items()}
    rates = {"sigmoid": 0.3, "tanh": 0.1, "relu": 0.1}
    assert [c.verdict for c in S.speed_claims(found, rates)] == ["reproduced"] * 4
    swapped = {**found, "relu": found["tanh"], "tanh": found["relu"]}
    assert [c.verdict for c in S.speed_claims(swapped, rates)][1:] == ["not reproduced"] * 3


def test_updates_until_stops_at_the_target_with_the_full_runs_count():
    data = _data(1000)
    y = (data.X[:, 0] > 0).astype(int)                       # learnable: the sign of one pixel
    data = C.Data(data.X, y, data.Xv, y[:100], data.Xt, y[:100])
    make = lambda: (ml.mlp(784, [8], 10, seed=0), ml.optim.SGD(lr=0.1, momentum=0.9))
    full = C.train(*make(), data, 100, seed=0, test=False)
    count = C.updates_to_target(full.losses, 100, target=C.TARGET)
    assert count < 100                                        # reached, so the early stop matters
    assert C.updates_until(*make(), data, 100, seed=0) == count


def test_whole_epochs_and_the_quick_budget():
    assert C.epochs_and_images(1000, 50_000) == (2, 50_000)
    assert C.epochs_and_images(C.QUICK_BUDGET, 50_000)[0] * C.quick_images() == C.QUICK_BUDGET * C.BATCH


def test_the_toy_task_feeds_the_unit_positive_inputs_and_wants_mixed_sign_weights():
    h, y = toy_task(500)
    assert ((h > 0) & (h < 1)).all() and 0.3 < y.mean() < 0.7
    # the labels follow h1 - h2: the best weights point along (+, -)
    assert np.corrcoef(h[:, 0] - h[:, 1], y)[0, 1] > 0.8
