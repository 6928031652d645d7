"""``mlplab train --pretrain``: Ctrl-C during greedy pre-training saves its progress, and ``--resume``
finishes the pre-training and the training to the weights of a run never stopped."""

from __future__ import annotations

import csv
import os
import signal

import numpy as np
import pytest

import mlplab as ml
import mlplab.run as run_module
from mlplab.config import RunConfig
from mlplab.run import train_run
from mlplab.train import TrainingInterrupted


def _config(out) -> RunConfig:
    return RunConfig.defaults("train").merge({
        "data": "digits", "hidden": [24, 16], "epochs": 2, "pretrain": "autoencoder", "pretrain_epochs": 2,
        "dropout": 0.1, "out": str(out), "report": False, "diagnostics": "off"})


def _rows(out) -> list[tuple[int, int, float]]:
    with open(out / "pretrain.csv", newline="") as f:
        return [(int(r["block"]), int(r["epoch"]), float(r["reconstruction_error"])) for r in csv.DictReader(f)]


def test_ctrl_c_in_pretraining_resumes_to_the_uninterrupted_weights(tmp_path, monkeypatch):
    straight = tmp_path / "straight"
    train_run(_config(straight), progress=False)

    original = run_module.pretrain

    def interrupted_in_block_2(*args, on_epoch, **kwargs):
        def on_epoch_then_ctrl_c(block: int, epoch: int, error: float) -> None:
            on_epoch(block, epoch, error)
            if (block, epoch) == (2, 1):                       # Ctrl-C in the middle of the second block
                os.kill(os.getpid(), signal.SIGINT)
        return original(*args, on_epoch=on_epoch_then_ctrl_c, **kwargs)

    stopped = tmp_path / "stopped"
    monkeypatch.setattr(run_module, "pretrain", interrupted_in_block_2)
    with pytest.raises(TrainingInterrupted) as caught:
        train_run(_config(stopped), progress=False)
    assert caught.value.checkpoint is not None and (stopped / "checkpoints" / "pretrain.npz").is_file()
    assert not (stopped / "checkpoints" / "last.npz").exists()          # training proper never started
    assert [(b, e) for b, e, _ in _rows(stopped)] == [(1, 1), (1, 2), (2, 1)]
    redone: list[tuple[int, int]] = []

    def recording(*args, on_epoch, **kwargs):
        def on_epoch_recorded(block: int, epoch: int, error: float) -> None:
            redone.append((block, epoch))
            on_epoch(block, epoch, error)
        return original(*args, on_epoch=on_epoch_recorded, **kwargs)

    monkeypatch.setattr(run_module, "pretrain", recording)
    summary = train_run(_config(stopped), resume=True, progress=False)
    assert redone == [(2, 2)]                                             # only what was left
    assert summary["pretrain"]["method"] == "autoencoder"
    assert _rows(stopped) == _rows(straight)                              # every epoch once, the same errors
    for key, value in ml.load(straight / "model.npz").params.items():
        np.testing.assert_array_equal(ml.load(stopped / "model.npz").params[key], value)
