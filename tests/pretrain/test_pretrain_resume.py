"""Pre-training runs through the training loop: Ctrl-C stops it after the update under way with a
checkpoint, and resuming from that checkpoint ends with exactly the weights of an uninterrupted call."""

import os
import signal

import numpy as np
import pytest

import mlplab as ml
from mlplab.data import Preprocessor, load_dataset
from mlplab.pretrain import RBM, LayerAutoencoder, deep_autoencoder, pretrain, pretrain_autoencoder
from mlplab.train import TrainingDiverged, TrainingInterrupted


def _digits():
    d = load_dataset("digits", seed=0)
    return Preprocessor("scale", 16.0).fit(d.X_train).transform(d.X_train)


SETTINGS = {   # denoising draws corruption and (untied) a decoder from the shared generator; batch norm has buffers
    "denoising": dict(batchnorm=True, kwargs=dict(tied=False, noise=0.3), model=LayerAutoencoder),
    "rbm": dict(batchnorm=False, kwargs=dict(optimizer="sgd", lr=0.05), model=RBM),   # Gibbs samples
}


@pytest.mark.parametrize("method", sorted(SETTINGS))
def test_ctrl_c_in_the_second_block_saves_and_resuming_gives_identical_weights(method, tmp_path, monkeypatch):
    X, setting = _digits(), SETTINGS[method]
    make = lambda: ml.mlp(64, [32, 16], 10, activation="sigmoid", batchnorm=setting["batchnorm"], seed=3)  # noqa: E731
    run = dict(epochs=3, batch_size=50, seed=4, **setting["kwargs"])
    straight = make()
    expected = pretrain(straight, X, method, **run)

    calls = {"n": 0}
    original = setting["model"].step_loss

    per_epoch = -(-X.shape[0] // 50)

    def step_loss(self, x):       # Ctrl-C arrives during the 5th update of block 2 (after block 1's 3 epochs)
        calls["n"] += 1
        if calls["n"] == 3 * per_epoch + 5:
            os.kill(os.getpid(), signal.SIGINT)
        return original(self, x)

    monkeypatch.setattr(setting["model"], "step_loss", step_loss)
    checkpoint = tmp_path / "pretrain.npz"
    stopped = make()
    with pytest.raises(TrainingInterrupted, match=r"interrupted in pre-training block 2, epoch 1, after update 5; "
                                                  r"checkpoint saved to .*pretrain.npz"):
        pretrain(stopped, X, method, checkpoint_path=checkpoint, **run)
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler
    monkeypatch.undo()

    resumed = make()                 # a fresh process: the network as built, the progress from the file
    reports = pretrain(resumed, X, method, checkpoint_path=checkpoint, resume_from=checkpoint, **run)
    for key, value in {**straight.params, **straight.buffers}.items():
        np.testing.assert_array_equal({**resumed.params, **resumed.buffers}[key], value, err_msg=key)
    assert [r.errors for r in reports] == [r.errors for r in expected]
    for mine, theirs in zip(reports, expected):     # what unrolling a deep autoencoder reads
        for key, value in theirs.model.params.items():
            np.testing.assert_array_equal(mine.model.params[key], value, err_msg=key)


def test_the_deep_autoencoders_pretraining_resumes_into_the_same_unrolled_decoder(tmp_path, monkeypatch):
    X = _digits()
    straight = deep_autoencoder([64, 24, 12, 4], seed=1)
    pretrain_autoencoder(straight, X, "autoencoder", epochs=2, batch_size=100, lr=0.01)
    checkpoint = tmp_path / "ae.npz"
    original = LayerAutoencoder.step_loss
    calls, per_epoch = {"n": 0}, -(-X.shape[0] // 100)

    def step_loss(self, x):
        calls["n"] += 1
        if calls["n"] == 2 * per_epoch * 2 + 3:       # block 3 (the linear code), 3rd update
            os.kill(os.getpid(), signal.SIGINT)
        return original(self, x)

    monkeypatch.setattr(LayerAutoencoder, "step_loss", step_loss)
    with pytest.raises(TrainingInterrupted, match="pre-training block 3, epoch 1, after update 3"):
        pretrain_autoencoder(deep_autoencoder([64, 24, 12, 4], seed=1), X, "autoencoder", epochs=2, batch_size=100,
                             lr=0.01, checkpoint_path=checkpoint)
    monkeypatch.undo()
    resumed = deep_autoencoder([64, 24, 12, 4], seed=1)
    pretrain_autoencoder(resumed, X, "autoencoder", epochs=2, batch_size=100, lr=0.01, resume_from=checkpoint)
    for key, value in straight.params.items():
        np.testing.assert_array_equal(resumed.params[key], value, err_msg=key)


def test_a_diverging_block_names_the_block_epoch_and_rate():
    X = _digits()
    with pytest.raises(TrainingDiverged, match=r"the objective became (nan|inf) at pre-training block 1, epoch 1, "
                                               r"step \d+ \(learning rate 1e\+30\)"):
        pretrain(ml.mlp(64, [32], 10, activation="sigmoid", seed=0), X, "autoencoder", epochs=2, lr=1e30,
                 optimizer="sgd", loss="mse")


def test_a_checkpoint_of_other_blocks_is_refused_by_name(tmp_path):
    X = _digits()
    pretrain(ml.mlp(64, [16], 10, seed=0), X, epochs=1, checkpoint_path=tmp_path / "p.npz")
    with pytest.raises(ValueError, match=r"holds blocks \[\[0, 1\]\], not this network's \[\[0, 1\], \[2, 3\]\]"):
        pretrain(ml.mlp(64, [16, 8], 10, seed=0), X, epochs=1, resume_from=tmp_path / "p.npz")
