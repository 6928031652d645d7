"""Crash safety (issue 9): a training process killed with SIGKILL at random moments always leaves a
loadable checkpoint, and resuming from it ends with exactly the weights of an uninterrupted run;
Ctrl-C (SIGINT) saves a checkpoint mid-epoch and exits cleanly; a diverging run stops at the step,
keeps the last good checkpoint and its report shows where."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

import mlplab as ml
from mlplab.network import read_npz
from mlplab.train import Callback, Trainer, TrainingInterrupted

# ~200 updates an epoch, 6 epochs: a couple of seconds, so a kill lands mid-epoch, mid-write or mid-probe
TRAIN = ["--hidden", "128,128", "--epochs", "6", "--batch-size", "20", "--batchnorm", "--dropout", "0.2",
         "--lr", "0.02", "--diagnostics", "every=1,probe=200", "--no-report", "--quiet", "--val-fraction", "0.1"]


@pytest.fixture(scope="module")
def data_file(tmp_path_factory) -> Path:
    rng = np.random.default_rng(0)
    centers = rng.normal(size=(4, 40))
    y = rng.integers(0, 4, size=4400)
    path = tmp_path_factory.mktemp("crash") / "blobs.npz"
    np.savez(path, X=centers[y] + 1.5 * rng.normal(size=(4400, 40)), y=y)
    return path


def _command(*args: str) -> list[str]:
    return [sys.executable, "-m", "mlplab.cli", "train", *args]


@pytest.fixture(scope="module")
def reference(data_file, tmp_path_factory) -> tuple[Path, float]:
    """The uninterrupted run, and how long it took."""
    out = tmp_path_factory.mktemp("reference") / "run"
    started = time.perf_counter()
    result = subprocess.run(_command("--data", str(data_file), *TRAIN, "--out", str(out)), capture_output=True,
                            text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    return out, time.perf_counter() - started


def _weights(run: Path) -> dict[str, np.ndarray]:
    arrays = read_npz(run / "model.npz")
    return {k: v for k, v in arrays.items() if k.startswith(("param:", "buffer:"))}


def _assert_identical(run: Path, reference_run: Path) -> None:
    mine, theirs = _weights(run), _weights(reference_run)
    assert mine.keys() == theirs.keys()
    for key in mine:
        assert np.array_equal(mine[key], theirs[key]), f"{key} differs after resuming"


def _start(data_file: Path, out: Path) -> subprocess.Popen:
    return subprocess.Popen(_command("--data", str(data_file), *TRAIN, "--out", str(out)), stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)


def _wait_for_checkpoint(process: subprocess.Popen, out: Path) -> None:
    checkpoint = out / "checkpoints" / "last.npz"
    deadline = time.monotonic() + 120
    while not checkpoint.is_file():
        assert process.poll() is None, process.communicate()
        assert time.monotonic() < deadline, "no checkpoint appeared"
        time.sleep(0.01)


def _resume(out: Path) -> subprocess.CompletedProcess:
    return subprocess.run(_command("--resume", str(out), "--quiet", "--no-report"), capture_output=True, text=True,
                          timeout=300)


def test_sigkill_at_random_moments_leaves_a_checkpoint_that_resumes_to_identical_weights(data_file, reference,
                                                                                         tmp_path):
    reference_run, seconds = reference
    delays = np.random.default_rng(7).uniform(0.0, 0.9 * seconds, size=5)
    epochs_at_kill = []
    for trial, delay in enumerate(delays):
        out = tmp_path / f"trial{trial}"
        process = _start(data_file, out)
        _wait_for_checkpoint(process, out)           # from here on a run has something to lose
        time.sleep(delay)
        process.send_signal(signal.SIGKILL)
        process.communicate()
        checkpoint = out / "checkpoints" / "last.npz"
        state = json.loads(str(read_npz(checkpoint, "checkpoint")["__trainer__"]))     # loadable ...
        assert len(ml.load(checkpoint).layers) == len(ml.load(reference_run / "model.npz").layers)   # ... as a model
        epochs_at_kill.append(state["epoch"])
        result = _resume(out)
        assert result.returncode == 0, result.stderr
        _assert_identical(out, reference_run)
    assert len(set(epochs_at_kill)) >= 2, f"the kills should land in different epochs, got {epochs_at_kill}"


def test_ctrl_c_saves_a_checkpoint_mid_epoch_and_resuming_gives_identical_weights(data_file, reference, tmp_path):
    reference_run, seconds = reference
    out = tmp_path / "run"
    process = _start(data_file, out)
    _wait_for_checkpoint(process, out)
    time.sleep(0.3 * seconds)
    process.send_signal(signal.SIGINT)
    _, err = process.communicate(timeout=120)
    assert process.returncode == 130, err
    assert "Traceback" not in err and f"continue with: mlplab train --resume {out}" in err, err
    state = json.loads(str(read_npz(out / "checkpoints" / "last.npz", "checkpoint")["__trainer__"]))
    assert state["step"] > 0 and f"after update {state['step']}" in err
    if state["partial_epoch"] is not None:            # stopped inside an epoch: where it was is saved
        assert 0 < state["partial_epoch"]["batch"] < 198 and state["partial_epoch"]["seen"] > 0
    result = _resume(out)
    assert result.returncode == 0, result.stderr
    _assert_identical(out, reference_run)
    with open(out / "metrics.csv") as f:                # each epoch once, the interrupted one included
        epochs = [int(line.split(",")[0]) for line in f.readlines()[1:]]
    assert epochs == list(range(1, 7))


def test_the_trainer_saves_mid_epoch_on_sigint_in_process(tmp_path):
    """The in-process mechanics, deterministic: SIGINT during update 7 of 10 finishes that update,
    saves a checkpoint that knows it is 7 batches into the epoch, and resuming matches a straight run."""
    X = np.random.default_rng(0).normal(size=(100, 5))
    y = (X[:, 0] > 0).astype(int)

    def trainer(checkpoint):
        net = ml.mlp(5, [16], 2, batchnorm=True, dropout=0.3, seed=1, dtype="float64")
        return Trainer(net, ml.optim.SGD(lr=0.1, momentum=0.9), batch_size=10, epochs=2, seed=1,
                          checkpoint_path=checkpoint)

    straight = trainer(tmp_path / "straight.npz")
    straight.fit(X, y)

    class CtrlC(Callback):
        def on_batch_begin(self, trainer, step):
            if step == 6:
                os.kill(os.getpid(), signal.SIGINT)

    stopped = trainer(tmp_path / "stopped.npz")
    stopped.callbacks.append(CtrlC())
    with pytest.raises(TrainingInterrupted, match="interrupted in epoch 1, after update 7"):
        stopped.fit(X, y)
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler       # Ctrl-C is normal again
    state = json.loads(str(read_npz(tmp_path / "stopped.npz", "checkpoint")["__trainer__"]))
    assert state["step"] == 7 and state["partial_epoch"]["batch"] == 7 and state["partial_epoch"]["seen"] == 70
    resumed = trainer(tmp_path / "stopped.npz")
    resumed.fit(X, y, resume_from=tmp_path / "stopped.npz")
    for key, value in straight.net.params.items():
        assert np.array_equal(value, resumed.net.params[key]), key
    assert [round(h["train_loss"], 12) for h in resumed.history] == [round(h["train_loss"], 12)
                                                                      for h in straight.history]


def test_a_diverging_run_stops_at_the_step_keeps_the_last_good_checkpoint_and_reports_where(tmp_path):
    out = tmp_path / "run"
    # the rate grows 1000x per epoch: fine at first, NaN a few epochs later
    result = subprocess.run(_command("--data", "moons", "--hidden", "16", "--epochs", "10", "--batch-size", "20",
                                     "--lr", "0.001", "--schedule", "exponential", "--gamma", "1000",
                                     "--no-batchnorm", "--dropout", "0", "--diagnostics", "off", "--out", str(out)),
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 3, result.stderr
    summary = json.loads((out / "summary.json").read_text())["diverged"]
    assert summary["epoch"] >= 2 and summary["step"] > 0 and summary["loss"] in ("nan", "inf")
    assert (f"at epoch {summary['epoch']}, step {summary['step']} (learning rate {summary['lr']:g})"
            in result.stderr), result.stderr
    checkpoint = read_npz(out / "checkpoints" / "last.npz", "checkpoint")
    state = json.loads(str(checkpoint["__trainer__"]))
    assert state["epoch"] == summary["epoch"] - 1                 # the last epoch that ended well
    assert all(np.isfinite(v).all() for k, v in checkpoint.items() if k.startswith("param:"))
    page = (out / "report.html").read_text()
    assert "Training diverged" in page and f"in epoch {summary['epoch']} at update {summary['step']}" in page
    assert (out / "figures" / "curves.png").stat().st_size > 1000


@pytest.fixture
def tiny_disk(tmpfs):
    """A 1 MiB tmpfs: room for one checkpoint of the network below, not for its atomic replacement (the
    mocked ENOSPC test in tests/test_network.py covers the same path where this skips)."""
    return tmpfs("size=1m")


def test_a_full_disk_keeps_the_previous_checkpoint_and_says_which_file(tiny_disk, data_file):
    out = tiny_disk / "run"
    result = subprocess.run(_command("--data", str(data_file), "--hidden", "256,256", "--epochs", "3",
                                     "--batchnorm", "--dropout", "0.2",   # the checkpoint holds BN and dropout state
                                     "--batch-size", "100", "--diagnostics", "off", "--no-report", "--quiet",
                                     "--out", str(out)), capture_output=True, text=True, timeout=300)
    assert result.returncode == 1, result.stderr
    assert "checkpoints/last.npz" in result.stderr and "the previous file there, if any, is unchanged" in result.stderr
    assert "No space left on device" in result.stderr and "Traceback" not in result.stderr
    checkpoint = out / "checkpoints" / "last.npz"
    state = json.loads(str(read_npz(checkpoint, "checkpoint")["__trainer__"]))
    assert state["epoch"] < 3 and len(state["history"]) == state["epoch"]   # the last one that fitted, whole
    assert len(ml.load(checkpoint).layers) == 9          # Dense BN ReLU Dropout, twice, Dense
    assert not list((out / "checkpoints").glob("*.tmp")) and not (out / "summary.json").exists()
