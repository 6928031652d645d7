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


@pytest.mark.parametrize("optimizer, l2, l1, freeze", [
    (lambda: ml.optim.SGD(lr=0.1, momentum=0.9, nesterov=True), 0.01, 0.001, ()),
    (lambda: ml.optim.Adam(lr=0.01), 0.01, 0.001, (0, 1)),         # a frozen block: not stepped, not penalised
    (lambda: ml.optim.SGD(lr=0.1, momentum=0.9, dampening=0.1), 0.0, 0.0, ()),
    (lambda: ml.optim.SGD(lr=0.1, momentum=0.9, max_grad_norm=0.05), 0.01, 0.0, (3,)),   # clipping inside step
], ids=["sgd-nesterov-penalty", "adam-penalty-frozen", "sgd-momentum", "sgd-clipped-frozen"])
def test_the_trainers_one_update_path_is_the_textbook_step(optimizer, l2, l1, freeze):
    """Whatever the optimizer, penalty, clipping or frozen layers, an update is the lecture notes' loop:
    full forward, full backward, the penalty on the trained layers' weights, one optimizer step on the
    trained params; and the objective reported to callbacks is that loss plus that penalty."""
    X, y, _, _ = _spirals()
    X = X.astype(np.float64)
    fast = ml.mlp(2, [16, 16], 2, batchnorm=True, dtype="float64", seed=2)
    slow = ml.mlp(2, [16, 16], 2, batchnorm=True, dtype="float64", seed=2)
    start = {k: v.copy() for k, v in fast.params.items()}
    reported = []

    class Losses(Callback):
        def on_batch_end(self, trainer, step, loss):
            reported.append(loss)

    trainer = Trainer(fast, optimizer(), batch_size=40, epochs=2, l2=l2, l1=l1, seed=9, freeze=freeze,
                      callbacks=[Losses()])
    trainer.fit(X, y)
    opt, expected = optimizer(), []
    trained = [(i, layer) for i, layer in enumerate(slow.layers) if i not in freeze]
    for epoch in range(2):
        order = np.random.default_rng([9, epoch]).permutation(X.shape[0])
        for start_row in range(0, X.shape[0], 40):
            index = order[start_row:start_row + 40]
            loss, d = ml.losses.softmax_cross_entropy(slow.forward(X[index]), y[index])
            slow.backward(d)
            penalty = sum(ml.losses.layer_weight_penalty(layer, l2, l1) for _, layer in trained)
            keys = {f"{i}.{name}" for i, layer in trained for name in layer.params}
            opt.step({k: v for k, v in slow.params.items() if k in keys},
                     {k: v for k, v in slow.grads.items() if k in keys})
            expected.append(loss + penalty)
    for key, value in slow.params.items():
        np.testing.assert_allclose(fast.params[key], value, rtol=1e-12, atol=1e-14, err_msg=key)
        if int(key.split(".")[0]) in freeze:
            np.testing.assert_array_equal(fast.params[key], start[key], err_msg=key)
    np.testing.assert_allclose(reported, expected, rtol=1e-12)
    if l2 and freeze:              # the frozen weights' penalty would have made every reported value larger
        frozen_penalty = sum(l2 * float(np.sum(start[f"{i}.W"] ** 2)) for i in freeze if f"{i}.W" in start)
        assert frozen_penalty > 1e-6


def test_a_checkpoint_is_the_union_of_the_components_states(tmp_path):
    """Each part's state_dict lands in the file under its own names, and loading puts each back:
    the network's arrays, the optimizer's slots/steps/rate, the dropout generator, the loop's position."""
    X, y, _, _ = _spirals()
    net = ml.mlp(2, [8], 2, dropout=0.3, seed=0)
    trainer = Trainer(net, ml.optim.Adam(lr=0.01), batch_size=100, epochs=2, checkpoint_path=tmp_path / "c.npz")
    trainer.fit(X, y)
    state = ml.train.checkpoint_state(tmp_path / "c.npz")
    assert (state["epoch"], state["step"], state["optimizer"], state["optimizer_steps"]) == (2, 16, "Adam", 16)
    assert list(state["rng_states"]) == ["2"] and state["partial_epoch"] is None and len(state["history"]) == 2
    again = Trainer(ml.mlp(2, [8], 2, dropout=0.3, seed=5), ml.optim.Adam(lr=0.5), epochs=2)
    again.load_checkpoint(tmp_path / "c.npz")
    assert (again.epoch, again.step, again.optimizer.lr, again.optimizer.steps) == (2, 16, 0.01, 16)
    assert again.optimizer.state_dict()["state"].keys() == trainer.optimizer.state_dict()["state"].keys()
    assert again.net.layers[2].rng.random() == net.layers[2].rng.random()
    for key, value in net.params.items():
        np.testing.assert_array_equal(again.net.params[key], value, err_msg=key)
    other = Trainer(ml.mlp(2, [8], 2, dropout=0.3), ml.optim.SGD(lr=0.1), epochs=3)
    with pytest.raises(ValueError, match="was trained with Adam, not SGD"):
        other.fit(X, y, resume_from=tmp_path / "c.npz")
    with pytest.raises(ValueError, match="state_dict is Adam's, not SGD's"):
        ml.optim.SGD(lr=0.1).load_state_dict(trainer.optimizer.state_dict())
