import numpy as np
import pytest

import mlplab as ml
from mlplab.data import Preprocessor, load_dataset
from mlplab.train import Callback, Trainer, TrainingDiverged


def _spirals():
    d = load_dataset("spirals", seed=0)
    pre = Preprocessor("standardize").fit(d.X_train)
    return pre.transform(d.X_train), d.y_train, pre.transform(d.X_test), d.y_test


def test_two_hidden_layer_relu_net_fits_the_spirals():
    X, y, _, _ = _spirals()
    net = ml.mlp(2, [64, 64], 2, activation="relu", seed=0)
    trainer = Trainer(net, ml.optim.Adam(lr=0.01), batch_size=32, epochs=60, seed=0)
    history = trainer.fit(X, y)
    assert ml.train.accuracy(net, X, y) >= 0.98
    assert history[-1]["train_loss"] < history[0]["train_loss"] / 5


def test_mnist_5k_reaches_90_percent_test_accuracy():
    d = load_dataset("mnist-5k")
    pre = Preprocessor("scale", d.pixel_max).fit(d.X_train)
    net = ml.mlp(784, [256, 128], 10, batchnorm=True, seed=0)
    trainer = Trainer(net, ml.optim.SGD(lr=0.05, momentum=0.9), batch_size=64, epochs=8, seed=0)
    history = trainer.fit(pre.transform(d.X_train), d.y_train, test=(pre.transform(d.X_test), d.y_test))
    assert history[-1]["test_accuracy"] >= 0.90


def _resume_setup(tmp_path, epochs, checkpoint):
    X, y, Xt, yt = _spirals()
    net = ml.mlp(2, [16, 16], 2, batchnorm=True, dropout=0.2, seed=1)   # BN buffers and dropout generators too
    schedule = ml.optim.CosineLR(0.05, total_steps=4 * 23)
    trainer = Trainer(net, ml.optim.SGD(lr=0.05, momentum=0.9, nesterov=True), batch_size=32, epochs=epochs,
                      schedule=schedule, seed=5, checkpoint_path=checkpoint)
    return trainer, (X, y), (Xt, yt)


def test_resume_continues_exactly_where_it_stopped(tmp_path):
    straight, train, val = _resume_setup(tmp_path, 4, tmp_path / "a.npz")
    straight.fit(*train, val=val)
    first, train, val = _resume_setup(tmp_path, 2, tmp_path / "b.npz")
    first.fit(*train, val=val)
    second, train, val = _resume_setup(tmp_path, 4, tmp_path / "b.npz")     # a fresh process would do this
    second.fit(*train, val=val, resume_from=tmp_path / "b.npz")
    assert second.epoch == 4 and len(second.history) == 4
    for key, value in straight.net.params.items():
        np.testing.assert_array_equal(second.net.params[key], value, err_msg=key)
    for key, value in straight.net.buffers.items():
        np.testing.assert_array_equal(second.net.buffers[key], value, err_msg=key)
    assert [h["val_loss"] for h in second.history] == [h["val_loss"] for h in straight.history]


def test_divergence_stops_with_the_place_and_rate_and_keeps_a_loadable_checkpoint(tmp_path):
    X, y, _, _ = _spirals()
    net = ml.mlp(2, [32, 32], 2, seed=0)
    rates = lambda step: 0.01 if step < 25 else 1e6         # noqa: E731  fine for an epoch, then explodes
    trainer = Trainer(net, ml.optim.SGD(lr=0.01, momentum=0.9), batch_size=32, epochs=5, schedule=rates,
                      checkpoint_path=tmp_path / "ck.npz")
    with pytest.raises(TrainingDiverged, match=r"loss became (nan|inf) at epoch 2, step \d+ \(learning rate 1e\+06\)"
                                               r"; the last good checkpoint .*ck.npz' is kept"):
        trainer.fit(X, y)
    saved = ml.load(tmp_path / "ck.npz")
    assert all(np.isfinite(v).all() for v in saved.params.values())
    assert saved.forward(X[:5], train=False).shape == (5, 2)


def test_early_stopping_restores_the_best_weights():
    X, y, Xt, yt = _spirals()
    net = ml.mlp(2, [64], 2, seed=0)
    trainer = Trainer(net, ml.optim.SGD(lr=2.0), batch_size=16, epochs=50, patience=2)   # a rate that oscillates
    history = trainer.fit(X, y, val=(Xt, yt))
    best = min(h["val_loss"] for h in history)
    assert trainer.stopped_early and len(history) < 50
    assert trainer.evaluate(Xt, yt)[0] == pytest.approx(best, rel=1e-6)


def test_callbacks_see_every_batch_and_epoch():
    X, y, _, _ = _spirals()

    class Counter(Callback):
        def __init__(self):
            self.batches, self.epochs = 0, []

        def on_batch_end(self, trainer, step, loss):
            self.batches += 1

        def on_epoch_end(self, trainer, epoch, metrics):
            self.epochs.append((epoch, metrics["step"]))

    counter = Counter()
    Trainer(ml.mlp(2, [8], 2), ml.optim.SGD(lr=0.1), batch_size=100, epochs=3, callbacks=[counter]).fit(X, y)
    assert counter.batches == 24 and counter.epochs == [(1, 8), (2, 16), (3, 24)]


def test_trainer_refuses_bad_settings():
    net = ml.mlp(2, [4], 2)
    with pytest.raises(ValueError, match="batch_size must be a positive integer, got 0"):
        Trainer(net, ml.optim.SGD(lr=0.1), batch_size=0)
    with pytest.raises(ValueError, match="unknown loss 'hinge'"):
        Trainer(net, ml.optim.SGD(lr=0.1), loss="hinge")
    with pytest.raises(ValueError, match="patience .* needs a validation split"):
        Trainer(net, ml.optim.SGD(lr=0.1), patience=2, batch_size=2).fit(np.zeros((4, 2)), np.zeros(4, dtype=int))
    with pytest.raises(ValueError, match=r"train labels must have shape \(4,\) to match X"):
        Trainer(net, ml.optim.SGD(lr=0.1)).fit(np.zeros((4, 2)), np.zeros(3, dtype=int))


def test_resume_refuses_another_architecture(tmp_path):
    X, y, _, _ = _spirals()
    Trainer(ml.mlp(2, [8], 2), ml.optim.SGD(lr=0.1), epochs=1, checkpoint_path=tmp_path / "c.npz").fit(X, y)
    other = Trainer(ml.mlp(2, [9], 2), ml.optim.SGD(lr=0.1), epochs=2)
    with pytest.raises(ValueError, match="different architecture"):
        other.fit(X, y, resume_from=tmp_path / "c.npz")


@pytest.mark.parametrize("optimizer, l2, l1", [
    (lambda: ml.optim.SGD(lr=0.1, momentum=0.9, nesterov=True), 0.01, 0.001),
    (lambda: ml.optim.Adam(lr=0.01), 0.01, 0.001),
    (lambda: ml.optim.SGD(lr=0.1, momentum=0.9, dampening=0.1), 0.0, 0.0),    # dW goes into the velocity
], ids=["sgd-nesterov-penalty", "adam-penalty", "sgd-momentum-sink"])
def test_updating_each_layer_during_backprop_equals_the_textbook_step(optimizer, l2, l1):
    """The trainer updates a layer as soon as backprop is done with it (and, for momentum SGD,
    lets the dW product accumulate into the velocity); the result must be the lecture notes' loop
    exactly: full forward, full backward, penalty, then one optimizer step."""
    X, y, _, _ = _spirals()
    X = X.astype(np.float64)
    fast = ml.mlp(2, [16, 16], 2, batchnorm=True, dtype="float64", seed=2)
    slow = ml.mlp(2, [16, 16], 2, batchnorm=True, dtype="float64", seed=2)
    trainer = Trainer(fast, optimizer(), batch_size=40, epochs=2, l2=l2, l1=l1, seed=9)
    trainer.fit(X, y)
    sunk = not l2 and isinstance(trainer.optimizer, ml.optim.SGD) and not trainer.optimizer.nesterov
    # a sunk dW never passes through grads, which keep their initial zeros
    assert (np.abs(fast.layers[0].grads["W"]).max() == 0.0) == sunk
    assert not any(layer.grad_sinks for layer in fast.layers)    # unbound after every step
    opt = optimizer()
    for epoch in range(2):
        order = np.random.default_rng([9, epoch]).permutation(X.shape[0])
        for start in range(0, X.shape[0], 40):
            index = order[start:start + 40]
            _, d = ml.losses.softmax_cross_entropy(slow.forward(X[index]), y[index])
            slow.backward(d)
            ml.losses.weight_penalty(slow, l2=l2, l1=l1)
            opt.step(slow.params, slow.grads)
    for key, value in slow.params.items():
        np.testing.assert_allclose(fast.params[key], value, rtol=1e-12, atol=1e-14, err_msg=key)
