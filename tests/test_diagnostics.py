import json
import math

import numpy as np
import pytest

import mlplab as ml
from mlplab.data import load_dataset
from mlplab.diagnostics import BINS, DiagnosticsRecorder, histogram, probe, read_diagnostics
from mlplab.layers import Dense, ReLU, Sigmoid, Tanh
from mlplab.network import Sequential
from mlplab.train import Trainer


def _net(activation, W, b, dtype="float64"):
    first = Dense(W.shape[1], W.shape[0], dtype=dtype)
    first.W[...], first.b[...] = W, b
    return Sequential([first, activation(dtype=dtype), Dense(W.shape[0], 3, rng=0, dtype=dtype)])


def test_relu_statistics_equal_numpys_own_computation():
    rng = np.random.default_rng(0)
    x, y = rng.standard_normal((40, 4)), rng.integers(0, 3, 40)
    W, b = rng.standard_normal((6, 4)), rng.standard_normal(6)
    b[[1, 4]] = -100.0                                   # two units that never fire: dead
    net = _net(ReLU, W, b)
    recorder = DiagnosticsRecorder(x, y)
    record = recorder.record(net)
    s = x @ W.T + b
    h = np.maximum(s, 0.0)
    assert record["act/dead"][0] == 2 / 6
    assert record["act/zero_fraction"][0] == np.count_nonzero(h == 0) / h.size
    np.testing.assert_allclose([record[f"act/p{q}"][0] for q in (15, 50, 85)], np.percentile(h, [15, 50, 85]))
    np.testing.assert_allclose([record[f"pre/p{q}"][0] for q in (15, 50, 85)], np.percentile(s, [15, 50, 85]))
    np.testing.assert_allclose([record["act/mean"][0], record["act/std"][0]], [h.mean(), h.std()])
    assert math.isnan(record["act/saturated"][0])       # not defined for a rectifier
    assert record["act/hist"][0].sum() == h.size
    edges = record["act/edges"]
    np.testing.assert_array_equal(record["act/hist"][0], np.histogram(h, edges)[0])


@pytest.mark.parametrize("activation, saturated", [(Sigmoid, lambda h: (h < 0.01) | (h > 0.99)),
                                                   (Tanh, lambda h: np.abs(h) > 0.99)])
def test_saturated_fraction_counts_what_the_seeds_call_saturated(activation, saturated):
    rng = np.random.default_rng(1)
    x, y = rng.standard_normal((30, 5)), rng.integers(0, 3, 30)
    W, b = 3.0 * rng.standard_normal((8, 5)), np.zeros(8)
    record = DiagnosticsRecorder(x, y).record(_net(activation, W, b))
    h = 1 / (1 + np.exp(-(x @ W.T))) if activation is Sigmoid else np.tanh(x @ W.T)
    expected = np.count_nonzero(saturated(h)) / h.size
    assert 0.2 < expected < 0.9                           # the case is not trivial
    assert record["act/saturated"][0] == pytest.approx(expected)
    lo, hi = (0.0, 1.0) if activation is Sigmoid else (-1.0, 1.0)
    assert (record["act/edges"][0], record["act/edges"][-1]) == (lo, hi)     # the fixed range


def test_recorded_gradients_equal_the_cores_backward_pass_and_no_state_changes():
    rng = np.random.default_rng(2)
    x, y = rng.standard_normal((25, 6)), rng.integers(0, 4, 25)
    net = ml.mlp(6, [9, 7], 4, activation="tanh", batchnorm=True, dropout=0.3, dtype="float64", seed=3)
    running = {k: v.copy() for k, v in net.buffers.items()}
    dropout_rng = [layer.rng.bit_generator.state for layer in net.layers if hasattr(layer, "rng")]
    record = DiagnosticsRecorder(x, y).record(net)
    for key, value in running.items():
        np.testing.assert_array_equal(net.buffers[key], value)
    assert [layer.rng.bit_generator.state for layer in net.layers if hasattr(layer, "rng")] == dropout_rng
    # the core's passes on the same layers, dropout left out, batch norm on the batch's statistics
    layers = [layer for layer in net.layers if not isinstance(layer, ml.layers.Dropout)]
    outputs = []
    h = x
    for layer in layers:
        h = layer.forward(h, train=True)
        outputs.append(h)
    _, dy = ml.losses.softmax_cross_entropy(h, y)
    output_grads = [None] * len(layers)
    for i in range(len(layers) - 1, -1, -1):
        output_grads[i] = dy
        dy = layers[i].backward(dy)
    dense = [i for i, layer in enumerate(layers) if isinstance(layer, Dense)]
    tanh = [i for i, layer in enumerate(layers) if isinstance(layer, Tanh)]
    dW = [layers[i].grads["W"] for i in dense]
    np.testing.assert_allclose(record["dW/norm"], [np.linalg.norm(g) for g in dW], rtol=1e-12)
    np.testing.assert_allclose(record["dW/std"], [g.std() for g in dW], rtol=1e-12)
    np.testing.assert_allclose(record["act_grad/norm"], [np.linalg.norm(output_grads[i]) for i in tanh], rtol=1e-12)
    np.testing.assert_allclose(record["act/std"], [outputs[i].std() for i in tanh], rtol=1e-12)
    assert record["dW/hist"].sum(axis=1).tolist() == [np.count_nonzero(g) for g in dW]


def test_histogram_bins_and_keeps_values_outside_the_range():
    edges = np.linspace(0.0, 1.0, BINS + 1)
    counts = histogram(np.array([0.0, 0.001, 0.5, 0.999, 1.0, 7.0, -3.0]), edges)
    assert counts.sum() == 7
    assert counts[0] == 3 and counts[BINS // 2] == 1 and counts[-1] == 3


def _init_stack(std, seed=0):
    """DD2424 lecture 4's example: 10 tanh layers of 500 units, weights N(0, std^2), inputs N(0, 1), d = 500."""
    rng = np.random.default_rng([seed, 1])      # a stream of its own: drawn like W1, x would correlate with it
    x, y = rng.standard_normal((1000, 500)), rng.integers(0, 10, 1000)
    net = ml.mlp(500, [500] * 10, 10, activation="tanh", init=f"normal:{std}", dtype="float64", seed=seed)
    return DiagnosticsRecorder(x, y).record(net)


def test_small_weights_shrink_the_activations_by_0_01_sqrt_500_per_layer():
    record = _init_stack(0.01)
    std = record["act/std"]
    ratios = std[1:] / std[:-1]
    np.testing.assert_allclose(ratios, 0.01 * math.sqrt(500), rtol=0.05)
    assert std[-1] < 1e-5
    # "at each layer the value of all gradients are tiny": dJ/dh shrinks by the same factor going back
    grads = record["act_grad/norm"]
    np.testing.assert_allclose(grads[:-1] / grads[1:], 0.01 * math.sqrt(500), rtol=0.1)
    assert (record["dW/norm"] < 1e-5).all()


def test_unit_weights_saturate_almost_every_tanh_beyond_the_first_layer():
    record = _init_stack(1.0)
    assert (record["act/saturated"][1:] > 0.85).all(), record["act/saturated"]


def _spirals():
    data = load_dataset("spirals", seed=0)
    return data.X_train.astype(np.float32), data.y_train


def test_recording_changes_nothing_in_training():
    X, y = _spirals()
    finals = []
    for callbacks in ([], [DiagnosticsRecorder(X[:100], y[:100])]):
        net = ml.mlp(2, [16, 16], 3, batchnorm=True, dropout=0.2, seed=4)
        Trainer(net, ml.optim.SGD(lr=0.1, momentum=0.9), batch_size=32, epochs=3, seed=1,
                callbacks=callbacks).fit(X, y)
        finals.append({k: v.copy() for k, v in {**net.params, **net.buffers}.items()})
    for key, value in finals[0].items():
        np.testing.assert_array_equal(finals[1][key], value, err_msg=key)


def test_update_ratio_is_the_real_step_and_records_round_trip(tmp_path):
    X, y = _spirals()
    X, y = X[:120].astype(np.float64), y[:120]
    net = ml.mlp(2, [8], 3, dtype="float64", seed=5)
    W0 = [layer.W.copy() for layer in net.layers if isinstance(layer, Dense)]
    recorder = DiagnosticsRecorder(X[:50], y[:50], every=2, run_dir=tmp_path)
    trainer = Trainer(net, ml.optim.SGD(lr=0.3), batch_size=120, epochs=5, callbacks=[recorder])
    # one full batch per epoch: the first step's gradient is the whole set's
    reference = ml.mlp(2, [8], 3, dtype="float64", seed=5)
    order = np.random.default_rng([0, 0]).permutation(120)
    _, d = ml.losses.softmax_cross_entropy(reference.forward(X[order]), y[order])
    reference.backward(d)
    expected = [0.3 * np.linalg.norm(layer.grads["W"]) / np.linalg.norm(w)
                for layer, w in zip([l for l in reference.layers if isinstance(l, Dense)], W0)]
    trainer.fit(X, y)
    found = read_diagnostics(tmp_path)
    assert found.epochs == [0, 2, 4, 5]                   # before training, every 2nd epoch, the last
    np.testing.assert_allclose(found.arrays["dW/update_ratio"][0], expected, rtol=1e-10)
    assert np.isfinite(found.arrays["dW/update_ratio"]).all()
    live = recorder.diagnostics()
    assert found.index == json.loads(json.dumps(live.index))
    for name, array in live.arrays.items():
        np.testing.assert_array_equal(found.arrays[name], array, err_msg=name)
    rows = found.table(2)
    assert [row["type"] for row in rows] == ["ReLU", "Dense", "Dense"]
    assert rows[1]["dW_norm"] == found.arrays["dW/norm"][1, 0]


def test_reading_refuses_missing_or_foreign_files(tmp_path):
    with pytest.raises(FileNotFoundError, match="diagnostics.json"):
        read_diagnostics(tmp_path)
    (tmp_path / "diagnostics.json").write_text(json.dumps({"format": "something else"}))
    with pytest.raises(ValueError, match="not in format"):
        read_diagnostics(tmp_path)


def test_asking_for_an_epoch_that_was_not_recorded_names_the_recorded_ones(tmp_path):
    X, y = _spirals()
    recorder = DiagnosticsRecorder(X[:50], y[:50], every=1)
    Trainer(ml.mlp(2, [8], 3, seed=0), ml.optim.SGD(lr=0.1), epochs=2, callbacks=[recorder]).fit(X, y)
    with pytest.raises(ValueError, match=r"epoch 7 was not recorded; recorded epochs: \[0, 1, 2\]"):
        recorder.diagnostics().table(7)


def test_probe_refuses_bad_input():
    net = ml.mlp(3, [4], 2, seed=0)
    with pytest.raises(ValueError, match="x"):
        probe(net, np.ones((5, 4)), np.zeros(5, dtype=int))


class _Noise(ml.layers.Layer):
    """A user's noise layer (not a Dropout): it declares ``stochastic``, so the probe runs it in test mode."""

    stochastic = True

    def __init__(self) -> None:
        super().__init__("float64")
        self.rng = np.random.default_rng(0)

    def forward(self, x, train=True):
        return x + self.rng.normal(size=x.shape) if train else x

    def backward(self, dy):
        return dy


def test_the_probe_turns_off_any_layer_that_declares_itself_stochastic():
    rng = np.random.default_rng(3)
    x, y = rng.normal(size=(40, 5)), rng.integers(0, 3, size=40)
    net = Sequential([Dense(5, 6, dtype="float64"), _Noise(), ReLU("float64"), Dense(6, 3, dtype="float64")])
    first, second = probe(net, x, y), probe(net, x, y)
    assert np.array_equal(first.outputs[1], first.inputs[1])            # no noise added: test mode
    assert first.loss == second.loss and np.array_equal(first.weight_grads[0], second.weight_grads[0])
    assert _Noise().forward(np.zeros((2, 2))).any()                     # in training it would have added noise


def test_weight_norm_and_selu_layers_are_followed_like_dense_and_relu_ones(tmp_path):
    """A weight-normed net starts as the plain net of the same seed (g = ||v||): its recorded dW (of the
    effective W = g v / ||v||) and its SELU activations must equal the plain net's."""
    rng = np.random.default_rng(2)
    x, y = rng.standard_normal((25, 6)), rng.integers(0, 4, 25)
    records = [DiagnosticsRecorder(x, y).record(ml.mlp(6, [9, 7], 4, activation="selu", norm=norm, dtype="float64",
                                                       seed=3)) for norm in ("none", "weight")]
    for key in ("dW/norm", "dW/std", "act/std", "act/mean", "pre/std", "act_grad/norm"):
        assert len(records[1][key]) == (3 if key.startswith("dW") else 2), key
        np.testing.assert_allclose(records[1][key], records[0][key], rtol=1e-10, err_msg=key)
    X, labels = _spirals()
    net = ml.mlp(2, [8], 3, activation="selu", norm="weight", dtype="float64", seed=5)
    recorder = DiagnosticsRecorder(X[:50].astype(np.float64), labels[:50], run_dir=tmp_path)
    Trainer(net, ml.optim.SGD(lr=0.3), batch_size=60, epochs=1, callbacks=[recorder]).fit(
        X[:120].astype(np.float64), labels[:120])
    found = read_diagnostics(tmp_path)
    assert (found.arrays["dW/update_ratio"] > 0).all()             # the effective W moved, in every weight layer
    assert [row["type"] for row in found.table(1)] == ["SELU", "WeightNormDense", "Dense"]


def test_the_layers_that_declare_a_weight_matrix_are_the_ones_followed():
    from mlplab.diagnostics import has_weight
    from mlplab.layers import BatchNorm, Maxout, WeightNormDense
    class Scaled(Dense):                 # a user's layer: its param W is followed without saying so
        pass
    net = Sequential([Dense(4, 6, rng=0), BatchNorm(6), ReLU(), WeightNormDense(6, 6, rng=1),
                      Maxout(6, 3, pieces=2, rng=2), Scaled(3, 2, rng=3)])
    assert [has_weight(layer) for layer in net.layers] == [True, False, False, True, True, True]
    assert net.layers[1].weight() is None and net.layers[5].weight() is net.layers[5].W
    x = np.random.default_rng(0).normal(size=(5, 4)).astype(np.float32)
    net.backward(np.ones_like(net.forward(x)))
    wn = net.layers[3]
    assert np.allclose(wn.weight(), wn.g[:, None] * wn.v / np.linalg.norm(wn.v, axis=1, keepdims=True))
    assert wn.weight_grad() is wn._dW and net.layers[0].weight_grad() is net.layers[0].grads["W"]
