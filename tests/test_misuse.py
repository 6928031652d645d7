"""Misuse is refused before any work starts (issue 17, item 3): a network too large for the machine,
a CSV label column that does not look like labels, two processes in one run folder; each is one
line, exit status 2, nothing written.  And a dataset smaller than the batch trains, after a notice."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

import mlplab as ml
from mlplab import memory
from mlplab.cli import main
from mlplab.config import read_toml, resolve
from mlplab.data import load_dataset
from mlplab.data.csvdata import label_problems
from mlplab.run import fit_batch, train_run
from mlplab.runlock import LOCK_FILE, RunInUse, RunLock

FAST = ["--epochs", "2", "--diagnostics", "off", "--no-report", "--quiet"]
GIB = 2 ** 30


def _files(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() if p.is_file() else b"" for p in sorted(folder.rglob("*"))}


def _refused(argv: list[str], capsys) -> str:
    """Run ``mlplab`` in-process; assert exit 2 and a one-line error, and return it."""
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"mlplab {argv[0]}: error: ") and err.count("\n") == 1 and "Traceback" not in err, err
    return err


# -- memory ------------------------------------------------------------------------------------------------
def test_parameter_count_is_every_weight_and_bias():
    assert memory.parameter_count(784, [100], 10) == 784 * 100 + 100 + 100 * 10 + 10
    assert memory.parameter_count(784, [100], 10, batchnorm=True) == 784 * 100 + 100 + 200 + 100 * 10 + 10
    assert memory.parameter_count(784, [100], 10, maxout_pieces=3) == 3 * (784 * 100 + 100) + 100 * 10 + 10
    net = ml.mlp(20, [16, 8], 3, batchnorm=True)
    assert memory.parameter_count(20, [16, 8], 3, batchnorm=True) == sum(p.size for p in net.params.values())
    for norm in ("none", "batch", "layer", "weight"):               # layer norm's gamma, beta; weight norm's g
        net = ml.mlp(20, [16, 8], 3, norm=norm)
        assert memory.parameter_count(20, [16, 8], 3, norm=norm) == sum(p.size for p in net.params.values()), norm


def test_the_estimate_counts_each_norms_arrays_and_each_optimizers_slots():
    def estimate(**flags):
        return memory.config_estimate(resolve({}, {"hidden": "100", "diagnostics": "off", **flags}), 784, 10, 300)
    plain, layer, weight = estimate(), estimate(norm="layer"), estimate(norm="weight")
    assert layer.parameters - plain.parameters == 4 * 2 * 100                       # gamma and beta
    assert layer.batch_activations - plain.batch_activations == 4 * 100 * 2 * 100  # two cached arrays a block
    assert weight.parameters - plain.parameters == 4 * 100                           # g
    assert weight.gradients - plain.gradients == 4 * (100 + 2 * 784 * 100)          # dg, W and dJ/dW
    params = 784 * 100 + 100 + 100 * 10 + 10
    assert estimate(optimizer="nadam").optimizer_state == 2 * 4 * params
    assert estimate(optimizer="adam", amsgrad="true").optimizer_state == 3 * 4 * params


def test_the_estimate_counts_gradients_optimizer_state_and_activations():
    adam = memory.config_estimate(resolve({}, {"hidden": "1000", "optimizer": "adam", "diagnostics": "off",
                                                "batch_size": "50"}), 784, 10, n_eval=300)
    params = 784 * 1000 + 1000 + 1000 * 10 + 10
    assert adam.parameters == adam.gradients == 4 * params and adam.optimizer_state == 2 * 4 * params   # m and v
    assert adam.batch_activations == 4 * 50 * (784 + 2 * 10 + 2 * 1000 + 2 * 1000)
    assert adam.eval_activations == 4 * 300 * (784 + 2 * 1000)          # the test set is smaller than 2,000
    sgd = memory.config_estimate(resolve({}, {"hidden": "1000", "momentum": "0", "dtype": "float64"}), 784, 10, 9000)
    assert sgd.optimizer_state == 0 and sgd.parameters == 8 * params   # plain SGD keeps no state; float64: 8 bytes
    assert sgd.batch == 1000 and sgd.batch_is == "the diagnostics probe"      # the probe (1,000) beats the batch


def test_available_memory_is_read_from_the_machine():
    available = memory.available_bytes()
    assert available is not None and 0 < available
    total = next(int(line.split()[1]) * 1024 for line in open("/proc/meminfo") if line.startswith("MemTotal:"))
    assert available <= total


def test_a_network_too_large_for_the_machine_is_refused_with_the_estimate(tmp_path, capsys, monkeypatch):
    monkeypatch.setattr(memory, "available_bytes", lambda: int(21.3 * GIB))
    out = tmp_path / "run"
    err = _refused(["train", "--data", "digits", "--hidden", "100000000", "--out", str(out), *FAST], capsys)
    n_test = load_dataset("digits").X_test.shape[0]
    needed = memory.config_estimate(resolve({}, {"hidden": "100000000", "diagnostics": "off"}), 64, 10, n_test)
    assert needed.total / GIB > 300            # parameters alone: 7.4e9 floats, three times (weights, grads, momentum)
    assert f"hidden 100000000: the network needs about {needed.total / GIB:,.1f} GiB (parameters, gradients, " \
           f"optimizer state, activations of a batch of 100 and of an evaluation batch of {n_test}); this machine " \
           "has 21.3 GiB available" in err, err
    assert not out.exists()
    with pytest.raises(memory.NetworkTooLarge, match=r"needs about [\d,.]+ GiB .* has 21\.3 GiB available"):
        ml.Run.train(data="digits", hidden=[100000000], out=str(out), diagnostics="off")
    assert not out.exists()


def test_a_network_that_fits_is_not_refused(tmp_path, monkeypatch):
    needed = memory.config_estimate(resolve({}, {"hidden": "32", "diagnostics": "off"}), 64, 10, 359).total
    monkeypatch.setattr(memory, "available_bytes", lambda: needed + 1)       # just enough
    train_run(resolve({}, {"data": "digits", "hidden": "32", "epochs": "1", "diagnostics": "off", "report": "false",
                           "out": str(tmp_path / "run")}), progress=False)
    monkeypatch.setattr(memory, "available_bytes", lambda: None)             # unknown: nothing is refused
    memory.check_fits(needed=memory.estimate(1, [10 ** 12], 1, batch_size=1), what="hidden")


def test_no_machine_fits_an_absurd_network(tmp_path, capsys):
    out = tmp_path / "run"          # 1e18 weights: refused for real, before mlp() tries to allocate them
    err = _refused(["train", "--data", "moons", "--hidden", "1000000000,1000000000", "--out", str(out), *FAST], capsys)
    assert re.search(r"hidden 1000000000,1000000000: the network needs about [\d,]+\.\d GiB", err), err
    assert not out.exists()


def test_the_estimators_refuse_a_network_too_large_too(monkeypatch):
    from mlplab.sklearn import MLPClassifier, MLPRegressor
    X, y = np.random.default_rng(0).normal(size=(30, 4)), np.arange(30) % 3
    monkeypatch.setattr(memory, "available_bytes", lambda: GIB)
    for estimator, target in ((MLPClassifier, y), (MLPRegressor, y.astype(float))):
        with pytest.raises(memory.NetworkTooLarge, match=r"hidden_layer_sizes \(100000000,\): the network needs "
                                                         r"about [\d.]+ GiB .*; this machine has 1\.0 GiB available"):
            estimator(hidden_layer_sizes=(100000000,)).fit(X, target)
    MLPClassifier(hidden_layer_sizes=(8,), max_iter=2).fit(X, y)          # a small one fits in 1 GiB


# -- the CSV label column ----------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def label_first(tmp_path_factory) -> Path:
    """scikit-learn's digits with the label in the first column: the last column is a pixel (17 grey levels)."""
    folder = tmp_path_factory.mktemp("csv")
    digits = load_dataset("digits", test_fraction=0.5)
    X = np.vstack([digits.X_train, digits.X_test]).astype(int)
    y = np.concatenate([digits.y_train, digits.y_test])
    header = ",".join(["label"] + [f"pixel{i}" for i in range(64)])
    np.savetxt(folder / "digits.csv", np.column_stack([y, X]), fmt="%d", delimiter=",", header=header, comments="")
    np.savetxt(folder / "bare.csv", np.column_stack([y, X]), fmt="%d", delimiter=",")
    return folder


@pytest.mark.parametrize("name,column", [("digits.csv", "column 0 \\('label'\\) "), ("bare.csv", "column 0 ")])
def test_a_label_in_the_first_column_is_refused_with_a_hint(label_first, name, column, tmp_path, capsys):
    out = tmp_path / "run"
    err = _refused(["train", "--data", str(label_first / name), "--hidden", "32", "--out", str(out), *FAST], capsys)
    assert re.search(r"the last column( \('pixel63'\))?, taken as the label, does not look like class labels: "
                     r"\d+ of its 17 classes have fewer than 5 examples", err), err
    assert re.search(column + r"would make a plausible label \(10 classes of 1\d\d to 1\d\d examples\): pass "
                     r"--label-column 0", err), err
    assert not out.exists()


@pytest.mark.parametrize("column", ["0", "label", "-65"])
def test_label_column_chooses_the_column(label_first, column, tmp_path):
    out = tmp_path / "run"
    assert main(["train", "--data", str(label_first / "digits.csv"), "--label-column", column, "--hidden", "32",
                 "--out", str(out), *FAST]) == 0
    summary = json.loads((out / "summary.json").read_text())
    assert ": 64-32-10 relu net" in summary["network"]             # 64 pixels in, the 10 digits out
    assert summary["test_accuracy"] > 0.8
    assert read_toml(out / "config.toml")["label_column"] == column   # kept for --resume


def test_a_run_trained_with_a_label_column_evaluates_predicts_and_reports_with_it(label_first, tmp_path, capsys):
    out = tmp_path / "run"
    assert main(["train", "--data", str(label_first / "digits.csv"), "--label-column", "label", "--hidden", "32",
                 "--out", str(out), *FAST]) == 0
    summary = json.loads((out / "summary.json").read_text())
    capsys.readouterr()
    assert main(["evaluate", str(out)]) == 0                          # the test split, read with the run's column
    assert json.loads(capsys.readouterr().out)["test_accuracy"] == pytest.approx(summary["test_accuracy"])
    assert main(["predict", str(out), "--input", str(label_first / "digits.csv")]) == 0   # label first: dropped
    rows = capsys.readouterr().out.splitlines()
    truth = np.loadtxt(label_first / "digits.csv", delimiter=",", skiprows=1, dtype=int)[:, 0]
    predicted = np.array([int(row.split(",")[1]) for row in rows[1:]])
    assert len(predicted) == len(truth) and (predicted == truth).mean() > 0.8
    from mlplab.report import write_report
    write_report(out)                                                # its test-set figures need the dataset back
    assert (out / "figures" / "confusion-matrix.png").is_file()


def test_label_column_in_a_config_file_may_be_a_number(label_first, tmp_path):
    (tmp_path / "c.toml").write_text(f'data = "{label_first / "digits.csv"}"\nlabel_column = 0\n')
    config = read_toml(tmp_path / "c.toml")
    assert config["label_column"] == "0"
    assert load_dataset(config["data"], label_column=config["label_column"]).n_classes == 10


@pytest.mark.parametrize("values,problem", [
    (np.r_[np.zeros(50), np.ones(50)], None),
    (np.arange(100) % 10, None),                                # ten classes in 100 rows: few enough
    (np.r_[np.zeros(50), np.ones(49), 0.5], r"must hold integer class labels, got 0\.5 in row 100"),
    (np.r_[np.zeros(50), np.ones(50) * -1], r"negative label -1 in row 51"),
    (np.zeros(100), r"one class only \(0\)"),
    (np.r_[np.zeros(96), np.ones(4)], r"1 of its 2 classes have fewer than 5 examples \(class 1: 4\)"),
    (np.r_[np.zeros(255), np.ones(5)], r"largest class \(0: 255 examples\) is 51 times its smallest"),
    (np.r_[np.zeros(250), np.ones(5)], None),                   # 50 times: still plausible
    (np.arange(300) % 20, r"20 classes in 300 rows \(more than 5% of them\)"),
    (np.arange(400) % 20, None),                                # 20 classes in 400 rows: 5%
])
def test_what_looks_wrong_in_a_label_column(values, problem):
    found = label_problems(np.asarray(values, dtype=np.float64))
    if problem is None:
        assert found == []
    else:
        assert len(found) == 1 and re.search(problem, found[0]), found


def test_naming_the_column_accepts_rare_classes_but_never_fractions(tmp_path):
    rng = np.random.default_rng(0)
    y = np.r_[np.zeros(300, int), np.ones(3, int)]                      # a genuinely rare class
    np.savetxt(tmp_path / "rare.csv", np.column_stack([rng.normal(size=(303, 2)), y]), delimiter=",")
    with pytest.raises(ValueError, match=r"fewer than 5 examples.*no column looks like one.*pass --label-column"):
        load_dataset(str(tmp_path / "rare.csv"))
    assert load_dataset(str(tmp_path / "rare.csv"), label_column=-1).n_classes == 2
    np.savetxt(tmp_path / "float.csv", np.column_stack([np.arange(303) % 3, rng.normal(size=(303, 2))]), delimiter=",")
    with pytest.raises(ValueError, match=r"the last column, taken as the label.*integer class labels, got 0\.78.*"
                       r"column 0 would make a plausible label \(3 classes of 101 examples each\)"):
        load_dataset(str(tmp_path / "float.csv"), label_column=2)


@pytest.mark.parametrize("data,column,message", [
    ("digits.csv", "5", None),
    ("digits.csv", "65", r"label_column 65: data '.*digits\.csv' has 65 columns; valid: -65 to 64"),
    ("digits.csv", "lable", r"label_column 'lable': no such column in data .*; its columns: 'label', 'pixel0'"),
    ("bare.csv", "label", r"label_column 'label': data .*bare\.csv' has no header line"),
    ("digits", "0", r"label_column '0': only a \.csv file has a label column to choose; data 'digits' is a named"),
])
def test_a_label_column_that_is_not_there_is_refused(label_first, data, column, message, tmp_path, capsys):
    data = data if data == "digits" else str(label_first / data)
    argv = ["train", "--data", data, "--label-column", column, "--out", str(tmp_path / "run"), *FAST]
    if message is None:             # pixel 4 is a plausible label by the rules; naming it is the user's choice
        assert load_dataset(data, label_column=column).X_train.shape[1] == 64
        return
    assert re.search(message, _refused(argv, capsys))
    assert not (tmp_path / "run").exists()


# -- a dataset smaller than the batch ----------------------------------------------------------------------
def test_a_dataset_smaller_than_the_batch_trains_on_the_whole_set(tmp_path, capsys):
    rng = np.random.default_rng(0)
    y = np.r_[np.zeros(10), np.ones(10)]
    np.savetxt(tmp_path / "tiny.csv", np.column_stack([rng.normal(size=(20, 3)) + 2 * y[:, None], y]), delimiter=",")
    out = tmp_path / "run"
    assert main(["train", "--data", str(tmp_path / "tiny.csv"), "--hidden", "8", "--out", str(out), *FAST]) == 0
    err = capsys.readouterr().err.splitlines()
    assert err == ["mlplab: note: batch_size 100 is larger than the 14 training examples; training on batches of 14, "
                   "the whole set"]
    summary = json.loads((out / "summary.json").read_text())
    assert summary["n_train"] == 14 and summary["steps"] == 2          # one update an epoch
    assert read_toml(out / "config.toml")["batch_size"] == 14           # a --resume trains as the run did


def test_batch_norm_still_refuses_a_batch_of_one():
    config = resolve({}, {"batchnorm": "true"})
    assert fit_batch(config, 2)["batch_size"] == 2
    with pytest.raises(ValueError, match=r"batch_size 1 with batchnorm \(the whole training set is one example\)"):
        fit_batch(config, 1)
    assert config["batch_size"] == 100                                  # the caller's config is left as it was


# -- one process per run folder ----------------------------------------------------------------------------
def test_a_second_lock_on_a_folder_is_refused_naming_the_holder(tmp_path):
    with RunLock() as first:
        first.acquire(tmp_path)
        assert (tmp_path / LOCK_FILE).read_text() == f"{os.getpid()}\n"
        with pytest.raises(RunInUse, match=rf"out '{re.escape(str(tmp_path))}' is in use: process {os.getpid()} is"):
            RunLock().acquire(tmp_path)
    assert not (tmp_path / LOCK_FILE).exists()                           # released: the lock file goes
    with RunLock() as again:
        again.acquire(tmp_path)


def _train(*args: str) -> list[str]:
    return [sys.executable, "-m", "mlplab.cli", "train", *args]


def test_two_processes_in_one_run_folder(tmp_path):
    out = tmp_path / "run"
    args = ["--data", "digits", "--hidden", "64", "--batch-size", "10", "--epochs", "8", "--schedule", "constant",
            "--diagnostics", "off", "--no-report", "--quiet", "--out", str(out)]
    first = subprocess.Popen(_train(*args), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 120
        while not (out / "checkpoints" / "last.npz").is_file():          # the lock is taken before this is written
            assert first.poll() is None, first.communicate()
            assert time.monotonic() < deadline, "no checkpoint appeared"
            time.sleep(0.01)
        first.send_signal(signal.SIGSTOP)          # holds the lock, and the folder stands still while we look
        before = _files(out)
        for second in (_train(*args, "--overwrite"), _train("--resume", str(out), "--quiet")):
            result = subprocess.run(second, capture_output=True, text=True, timeout=120)
            assert result.returncode == 2 and result.stderr.count("\n") == 1, result.stderr
            assert result.stderr == f"mlplab train: error: out {str(out)!r} is in use: process {first.pid} is " \
                                    "writing a run there; wait for it to end, or choose another --out\n"
            assert _files(out) == before                                 # nothing removed, nothing written
        first.send_signal(signal.SIGKILL)          # the kernel releases its lock; its lock file stays, naming it
        first.communicate()
    finally:
        if first.poll() is None:
            first.kill()
            first.communicate()
    assert (out / LOCK_FILE).read_text() == f"{first.pid}\n"
    result = subprocess.run(_train("--resume", str(out), "--quiet"), capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    assert json.loads((out / "summary.json").read_text())["epochs"] == 8
    assert not (out / LOCK_FILE).exists()


def test_a_lock_file_left_by_a_dead_process_blocks_nothing(tmp_path):
    out = tmp_path / "run"
    out.mkdir()
    (out / LOCK_FILE).write_text("999999\n")                            # a killed run's, before it wrote anything
    assert main(["train", "--data", "moons", "--hidden", "8", "--out", str(out), *FAST]) == 0   # empty but for it
    assert (out / "model.npz").is_file() and not (out / LOCK_FILE).exists()


def test_a_run_that_fails_before_its_first_update_leaves_no_lock_file(tmp_path, capsys, monkeypatch):
    def fail(*args, **kwargs):
        raise ValueError("boom")
    monkeypatch.setattr("mlplab.run.Trainer.fit", fail)        # after the lock was taken and files were written
    (tmp_path / "empty").mkdir()
    for out in (tmp_path / "empty", tmp_path / "new"):
        assert "boom" in _refused(["train", "--data", "moons", "--hidden", "8", "--out", str(out), *FAST], capsys)
    assert list((tmp_path / "empty").iterdir()) == [] and not (tmp_path / "new").exists()
