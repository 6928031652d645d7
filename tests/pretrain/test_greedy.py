import numpy as np
import pytest

import mlplab as ml
from mlplab.data import Preprocessor, load_dataset
from mlplab.pretrain import hidden_blocks, pretrain
from mlplab.train import Trainer, accuracy


def _digits():
    d = load_dataset("digits", seed=0)
    pre = Preprocessor("scale", 16.0).fit(d.X_train)
    return pre.transform(d.X_train), d.y_train, pre.transform(d.X_test), d.y_test


def test_blocks_of_an_mlp():
    net = ml.mlp(4, [8, 6], 3, batchnorm=True, dropout=0.1)
    # Dense BN ReLU Dropout | Dense BN ReLU Dropout | Dense
    assert hidden_blocks(net) == [[0, 1, 2], [4, 5, 6]]
    with pytest.raises(ValueError, match="Maxout"):
        hidden_blocks(ml.mlp(4, [8], 3, activation="maxout"))


@pytest.mark.parametrize("method", ["autoencoder", "denoising", "rbm"])
def test_each_layers_reconstruction_error_falls(method):
    X, *_ = _digits()
    net = ml.mlp(64, [48, 24], 10, activation="sigmoid", seed=0)
    reports = pretrain(net, X, method, epochs=6, lr=0.01 if method != "rbm" else 0.05,
                       optimizer="adam" if method != "rbm" else "sgd", batch_size=50, seed=1)
    assert [r.layers for r in reports] == [[0, 1], [2, 3]]
    for report in reports:
        assert len(report.errors) == 6
        assert report.errors[-1] < 0.9 * report.errors[0], (method, report.errors)
        assert sum(b < a for a, b in zip(report.errors, report.errors[1:])) >= 4, (method, report.errors)
    assert reports[0].loss == ("bce" if method != "rbm" else "CD-1, bernoulli visible units")


def test_batchnorm_trains_inside_the_encoder_and_rbm_refuses_it():
    X, *_ = _digits()
    net = ml.mlp(64, [32], 10, batchnorm=True, seed=0)
    before = net.buffers["1.running_mean"].copy()
    reports = pretrain(net, X, "autoencoder", epochs=3, batch_size=64)
    assert reports[0].layers == [0, 1, 2] and reports[0].loss == "bce"
    assert not np.array_equal(net.buffers["1.running_mean"], before)     # it saw the data
    with pytest.raises(ValueError, match="method 'rbm' cannot pre-train a network with batch norm"):
        pretrain(net, X, "rbm")


def test_fine_tuning_starts_from_exactly_the_pretrained_weights_and_freeze_keeps_them():
    X, y, Xt, yt = _digits()
    net = ml.mlp(64, [32, 16], 10, activation="sigmoid", seed=0)
    pretrain(net, X, "autoencoder", epochs=2)
    pretrained = {k: v.copy() for k, v in net.params.items()}
    seen = {}

    class FirstStep(ml.train.Callback):
        def on_batch_begin(self, trainer, step):
            if step == 0:
                seen.update({k: v.copy() for k, v in trainer.net.params.items()})

    trainer = Trainer(net, ml.optim.SGD(lr=0.1, momentum=0.9), epochs=3, freeze=[0, 2], callbacks=[FirstStep()])
    history = trainer.fit(X, y)
    for key, value in pretrained.items():
        np.testing.assert_array_equal(seen[key], value, err_msg=key)              # nothing re-initialised
    for key in ("0.W", "0.b", "2.W", "2.b"):
        np.testing.assert_array_equal(net.params[key], pretrained[key], err_msg=key)   # frozen
    assert not np.array_equal(net.params["4.W"], pretrained["4.W"])           # the output layer learned
    assert history[-1]["train_loss"] < history[0]["train_loss"]


def test_pretrain_then_fine_tune_end_to_end_beside_random_initialisation():
    """Fixed seeds, small data: both runs finish and their test accuracies are recorded (the
    comparison itself is an experiment of its own)."""
    X, y, Xt, yt = _digits()
    results = {}
    for start in ("random", "pretrained"):
        net = ml.mlp(64, [64, 32, 16], 10, activation="sigmoid", seed=0)
        if start == "pretrained":
            pretrain(net, X, "denoising", epochs=5, lr=0.01, seed=0)
        Trainer(net, ml.optim.SGD(lr=0.1, momentum=0.9), epochs=5, seed=0).fit(X, y)
        results[start] = accuracy(net, Xt, yt)
    print(f"digits, 64-64-32-16-10 sigmoid, 5 epochs: test accuracy {results}")
    assert all(0.0 <= value <= 1.0 for value in results.values())
    assert results["pretrained"] > 0.5                                        # it learned


def test_bad_arguments_are_named():
    X, *_ = _digits()
    net = ml.mlp(64, [8, 8], 10)
    with pytest.raises(ValueError, match="epochs must be one value or one per hidden block \\(2\\), got 3"):
        pretrain(net, X, epochs=[1, 2, 3])
    with pytest.raises(ValueError, match="method"):
        pretrain(net, X, "pca")
    with pytest.raises(ValueError, match="lr\\[1\\]"):
        pretrain(net, X, lr=[0.1, -1.0])
    with pytest.raises(ValueError, match="freeze must list layer indices"):
        Trainer(net, ml.optim.SGD(), freeze=[9])
