"""The catalogue of bad inputs (issue 9): each is refused, through the Python API and through the
``mlplab`` command, by one error that names the problem and the value (exit status 2 on the
command line, no traceback), and leaves no run folder or stray file behind."""

from __future__ import annotations

import gzip
import json
import os
import re
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

import mlplab as ml
from mlplab.cli import main
from mlplab.config import resolve
from mlplab.data import read_idx, write_idx
from mlplab.run import train_run
from mlplab.train import Trainer

FAST = {"hidden": "8", "epochs": "1", "diagnostics": "off", "batch_size": "20"}


def _moons_npz(tmp: Path, name: str = "data.npz", **change) -> Path:
    rng = np.random.default_rng(0)
    arrays = {"X": rng.normal(size=(60, 2)), "y": rng.integers(0, 2, size=60)}
    arrays.update(change)
    np.savez(tmp / name, **arrays)
    return tmp / name


def _with_nan(tmp):
    X = np.random.default_rng(0).normal(size=(60, 2))
    X[7, 1] = np.nan
    return {"data": _moons_npz(tmp, X=X)}


def _with_inf(tmp):
    X = np.random.default_rng(0).normal(size=(60, 2))
    X[3, 0] = -np.inf
    return {"data": _moons_npz(tmp, X=X)}


def _ragged_csv(tmp):
    (tmp / "ragged.csv").write_text("0.1,0.2,1\n0.3,0\n0.5,0.6,1\n")
    return {"data": tmp / "ragged.csv"}


def _label_first_csv(tmp):
    rng = np.random.default_rng(0)
    y = np.repeat([0, 1], 30)
    (tmp / "first.csv").write_text("".join(f"{label},{x:.3f},{x + 1:.3f},{k % 23}\n" for k, (label, x) in
                                           enumerate(zip(y, rng.normal(size=60)))))
    return {"data": tmp / "first.csv"}


def _mnist_folder(tmp, images: bytes | None = None) -> Path:
    folder = tmp / "idx"
    folder.mkdir()
    rng = np.random.default_rng(0)
    for split, n in (("train", 40), ("t10k", 20)):
        write_idx(folder / f"{split}-images-idx3-ubyte", rng.integers(0, 256, size=(n, 4, 4), dtype=np.uint8))
        write_idx(folder / f"{split}-labels-idx1-ubyte", rng.integers(0, 10, size=n, dtype=np.uint8))
    if images is not None:
        (folder / "train-images-idx3-ubyte").write_bytes(images)
    return folder


def _truncated_idx(tmp):
    folder = _mnist_folder(tmp)
    whole = (folder / "train-images-idx3-ubyte").read_bytes()
    (folder / "train-images-idx3-ubyte").write_bytes(whole[:-100])
    return {"data": "mnist", "data_dir": folder}


def _bad_magic_idx(tmp):
    folder = _mnist_folder(tmp)
    whole = (folder / "train-images-idx3-ubyte").read_bytes()
    (folder / "train-images-idx3-ubyte").write_bytes(b"\x12\x34" + whole[2:])
    return {"data": "mnist", "data_dir": folder}


def _config_file(text: str) -> Callable[[Path], dict]:
    def make(tmp):
        (tmp / "config.toml").write_text(text)
        return {"config": tmp / "config.toml"}
    return make


def _out_not_empty(tmp):
    (tmp / "taken").mkdir()
    (tmp / "taken" / "notes.txt").write_text("a previous run\n")
    return {"out": tmp / "taken"}


def _out_under_a_file(tmp):
    (tmp / "a-file").write_text("")
    return {"out": tmp / "a-file" / "run"}


# (id, flags or a function of tmp_path giving them, the message's tell-tale text)
TRAIN_CASES = [
    ("nan-features", _with_nan, r"X_train contains nan at row 7, column 1"),
    ("inf-features", _with_inf, r"X_train contains -inf at row 3, column 0"),
    ("ragged-features", _ragged_csv, r"ragged\.csv.*row 2 has 2 values, row 1 has 3"),
    ("1-D-features", lambda tmp: {"data": _moons_npz(tmp, X=np.arange(60.0))}, r"X_train must be 2-D .* shape \(60,\)"),
    ("float-labels", lambda tmp: {"data": _moons_npz(tmp, y=np.full(60, 0.5))}, r"y_train .*integer.* 0\.5"),
    ("negative-labels", lambda tmp: {"data": _moons_npz(tmp, y=np.r_[np.zeros(59, int), -3])},
     r"y_train has a negative label -3"),
    ("labels-wrong-length", lambda tmp: {"data": _moons_npz(tmp, y=np.zeros(59, int))},
     r"y_train must be 1-D with 60 labels, got shape \(59,\)"),
    ("empty-dataset", lambda tmp: {"data": _moons_npz(tmp, X=np.zeros((0, 2)), y=np.zeros(0, int))},
     r"data\.npz.* holds no examples"),
    ("batch-size-0", {"batch_size": "0"}, r"batch_size must be >= 1.*, got 0"),
    ("batch-size-negative", {"batch_size": "-5"}, r"batch_size must be >= 1.*, got -5"),
    ("label-in-first-column", _label_first_csv, r"the last column, taken as the label, does not look like class "
     r"labels: .*column 0 would make a plausible label \(2 classes of 30 examples each\): pass --label-column 0"),
    ("label-column-not-csv", {"label_column": "0"}, r"label_column '0': only a \.csv file has a label column"),
    ("network-too-large", {"hidden": "1000000000,1000000000"},
     r"hidden 1000000000,1000000000: the network needs about [\d,.]+ GiB \(parameters, .*GiB available"),
    ("bn-batch-of-one", {"batch_size": "1", "batchnorm": "true"}, r"batch_size 1 with batchnorm"),
    ("unknown-activation", {"activation": "relu6"}, r"unknown value 'relu6'; valid: sigmoid, tanh"),
    ("unknown-init", {"init": "kaiming"}, r"unknown init 'kaiming'; valid: .*he_normal"),
    ("unknown-optimizer", {"optimizer": "lbfgs"}, r"unknown value 'lbfgs'; valid: sgd, adagrad"),
    ("unknown-schedule", {"schedule": "warmup"}, r"unknown value 'warmup'; valid: constant, step"),
    ("unknown-dataset", {"data": "cifar10"}, r"unknown data 'cifar10'; valid: fashion-mnist, mnist"),
    ("negative-lr", {"lr": "-0.1"}, r"lr must be > 0.*, got -0\.1"),
    ("dropout-one", {"dropout": "1.0"}, r"dropout must be < 1.*, got 1\.0"),
    ("dropout-negative", {"dropout": "-0.2"}, r"dropout must be >= 0.*, got -0\.2"),
    ("negative-l2", {"l2": "-1e-4"}, r"l2 must be >= 0.*, got -0\.0001"),
    ("hidden-size-0", {"hidden": "16,0"}, r"hidden\[1\] must be a positive integer, got 0"),
    ("missing-idx-files", lambda tmp: {"data": "mnist", "data_dir": tmp}, r"data 'mnist': no IDX files"),
    ("truncated-idx", _truncated_idx, r"train-images-idx3-ubyte' is truncated: shape \(40, 4, 4\) needs 640"),
    ("wrong-magic-idx", _bad_magic_idx, r"bad magic number 0x12340803"),
    ("config-misspelt-key", _config_file("learning_rate = 0.1\n"), r"unknown key\(s\) learning_rate; valid: data"),
    ("config-wrong-type", _config_file('epochs = "ten"\n'), r"key 'epochs' must be int, got str 'ten'"),
    ("config-invalid-toml", _config_file("epochs = [1, \n"), r"is not valid TOML"),
    ("out-exists", _out_not_empty, r"taken' already exists and is not empty; pass --overwrite"),
    ("out-not-writable", _out_under_a_file, r"a-file/run' is not writable: Not a directory"),
    ("unsupported-dtype", {"dtype": "float16"}, r"unknown value 'float16'; valid: float32, float64"),
    ("amsgrad-with-sgd", {"amsgrad": "true"}, r"config key 'amsgrad' is not read by optimizer 'sgd' \(got True\)"),
    ("nesterov-with-adam", {"optimizer": "adam", "nesterov": "true"},
     r"config key 'nesterov' is not read by optimizer 'adam' \(got True\); turn it off .*'adam' reads: lr, beta1"),
]
BARE_FLAGS = ("batchnorm", "amsgrad", "nesterov")      # BooleanOptionalAction: --amsgrad, no value


def _resolve_case(case, tmp: Path) -> dict:
    flags = case(tmp) if callable(case) else dict(case)
    return {"data": "moons", **FAST, **{k: str(v) for k, v in flags.items()}, "out": str(flags.get("out", tmp / "run"))}


def _files(folder: Path) -> set[str]:
    return {str(p.relative_to(folder)) for p in folder.rglob("*")}


@pytest.mark.parametrize("case,pattern", [c[1:] for c in TRAIN_CASES], ids=[c[0] for c in TRAIN_CASES])
def test_the_command_refuses_bad_input_in_one_line_and_writes_nothing(case, pattern, tmp_path, capsys, monkeypatch):
    monkeypatch.delenv("MLPLAB_DATA", raising=False)
    flags = _resolve_case(case, tmp_path)
    before = _files(tmp_path)
    argv = ["train", "--quiet", "--no-report"]
    for name, value in flags.items():
        flag = f"--{name.replace('_', '-')}"
        argv += [flag] if name in BARE_FLAGS else [f"{flag}={value}"]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.startswith("mlplab train: error: ") and err.count("\n") == 1 and "Traceback" not in err
    assert re.search(pattern, err), err
    assert _files(tmp_path) == before            # no run folder, no temporary file


@pytest.mark.parametrize("case,pattern", [c[1:] for c in TRAIN_CASES], ids=[c[0] for c in TRAIN_CASES])
def test_the_api_refuses_bad_input_and_writes_nothing(case, pattern, tmp_path, monkeypatch):
    monkeypatch.delenv("MLPLAB_DATA", raising=False)
    flags = _resolve_case(case, tmp_path)
    before = _files(tmp_path)
    with pytest.raises((ValueError, TypeError, FileNotFoundError), match=pattern):
        file_values = ml.config.read_toml(flags.pop("config")) if "config" in flags else {}
        train_run(resolve(file_values, {**flags, "report": "false"}))
    assert _files(tmp_path) == before


# -- the same problems, one level down: arrays and objects handed to the library ----------------------
def _fit(X, y, batch_size=2, **net):
    net = ml.mlp(2, [4], 3, **net)
    Trainer(net, ml.optim.SGD(lr=0.1), batch_size=batch_size, epochs=1).fit(X, y)


GOOD_X, GOOD_Y = np.random.default_rng(0).normal(size=(6, 2)), np.array([0, 1, 2, 0, 1, 2])
API_CASES = [
    ("nan-features", lambda: _fit(np.where(np.eye(6, 2, k=-4) > 0, np.nan, GOOD_X), GOOD_Y),
     r"train X contains nan at row 4, column 0"),
    ("ragged-features", lambda: _fit([[0.0, 1.0], [1.0]] * 3, GOOD_Y),
     r"train X is ragged: its rows have different lengths \(\[1, 2\]\)"),
    ("1-D-features", lambda: _fit(np.zeros(6), GOOD_Y), r"X must be a non-empty 2-D array, got shape \(6,\)"),
    ("float-labels", lambda: _fit(GOOD_X, GOOD_Y + 0.5), r"labels must hold integer class labels, got dtype float64"),
    ("negative-labels", lambda: _fit(GOOD_X, GOOD_Y - 1), r"train labels must lie in \[0, 3\), got -1"),
    ("labels-beyond-classes", lambda: _fit(GOOD_X, GOOD_Y + 1), r"train labels must lie in \[0, 3\), got 3"),
    ("labels-wrong-length", lambda: _fit(GOOD_X, GOOD_Y[:5]),
     r"labels must have shape \(6,\) to match X, got shape \(5,\)"),
    ("empty-dataset", lambda: _fit(np.zeros((0, 2)), np.zeros(0, int)), r"non-empty 2-D array, got shape \(0, 2\)"),
    ("batch-size-0", lambda: _fit(GOOD_X, GOOD_Y, batch_size=0), r"batch_size must be a positive integer, got 0"),
    ("batch-size-too-large", lambda: _fit(GOOD_X, GOOD_Y, batch_size=7), r"batch_size 7 is larger than the 6"),
    ("bn-batch-of-one", lambda: _fit(GOOD_X, GOOD_Y, batch_size=1, batchnorm=True), r"batch_size 1 with batch norm"),
    ("unknown-activation", lambda: ml.mlp(2, [4], 3, activation="swish"), r"unknown activation 'swish'; valid: elu"),
    ("unknown-init", lambda: ml.mlp(2, [4], 3, init="glorot"), r"unknown init 'glorot'; valid"),
    ("unknown-optimizer", lambda: ml.optim.make_optimizer("lbfgs"), r"unknown optimizer 'lbfgs'; valid: adagrad, adam"),
    ("negative-lr", lambda: ml.optim.SGD(lr=-1.0), r"lr must be > 0.*, got -1\.0"),
    ("dropout-one", lambda: ml.mlp(2, [4], 3, dropout=1.0), r"dropout must be < 1.*, got 1\.0"),
    ("negative-l2", lambda: Trainer(ml.mlp(2, [4], 3), ml.optim.SGD(lr=0.1), l2=-1.0), r"l2 must be >= 0.*, got -1\.0"),
    ("hidden-size-0", lambda: ml.mlp(2, [4, 0], 3), r"hidden\[1\] must be a positive integer, got 0"),
    ("unsupported-dtype", lambda: ml.mlp(2, [4], 3, dtype="float16"), r"dtype must be one of .*got 'float16'"),
]


@pytest.mark.parametrize("call,pattern", [c[1:] for c in API_CASES], ids=[c[0] for c in API_CASES])
def test_the_library_refuses_bad_arrays_and_objects(call, pattern):
    with pytest.raises((ValueError, TypeError), match=pattern):
        call()


# -- model files: evaluate / predict on the command line, load() in Python -----------------------------
@pytest.fixture(scope="module")
def finished_run(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("finished") / "run"
    assert main(["train", "--data", "moons", "--hidden", "8", "--epochs", "1", "--diagnostics", "off",
                 "--no-report", "--quiet", "--out", str(out)]) == 0
    return out


def _break_model(run: Path, tmp: Path, change: Callable[[dict], None]) -> Path:
    copy = tmp / "run"
    copy.mkdir()
    for name in ("config.toml", "preprocess.npz"):
        (copy / name).write_bytes((run / name).read_bytes())
    with np.load(run / "model.npz", allow_pickle=False) as f:
        arrays = {k: f[k] for k in f.files}
    change(arrays)
    np.savez(copy / "model.npz", **arrays)
    return copy


def _other_architecture(arrays):
    header = json.loads(str(arrays["__architecture__"]))
    header["layers"].insert(3, {"type": "Dense", "config": {"in_features": 8, "out_features": 8}})
    arrays["__architecture__"] = np.array(json.dumps(header))


MODEL_CASES = [
    ("missing-keys", lambda a: a.pop("param:0.W"), r"missing array 'param:0\.W'"),
    ("wrong-shape", lambda a: a.update({"param:0.W": np.zeros((8, 3), np.float32)}),
     r"array 'param:0\.W' has shape \(8, 3\), expected \(8, 2\)"),
    ("other-architecture", _other_architecture, r"missing array 'param:3\.W'"),
]


@pytest.mark.parametrize("change,pattern", [c[1:] for c in MODEL_CASES], ids=[c[0] for c in MODEL_CASES])
def test_a_broken_model_file_is_refused_by_evaluate_predict_and_load(change, pattern, finished_run, tmp_path, capsys):
    run = _break_model(finished_run, tmp_path, change)
    with pytest.raises(ValueError, match=pattern):
        ml.load(run / "model.npz")
    inputs = tmp_path / "x.npz"
    np.savez(inputs, X=np.zeros((3, 2)))
    for argv in (["evaluate", str(run)], ["predict", str(run), "--input", str(inputs)]):
        assert main(argv) == 2
        err = capsys.readouterr().err
        assert re.search(pattern, err) and err.count("\n") == 1, err


def test_resume_with_another_architecture_is_refused(finished_run, capsys):
    checkpoint = (finished_run / "checkpoints" / "last.npz").read_bytes()
    assert main(["train", "--resume", str(finished_run), "--hidden", "8,8", "--quiet"]) == 2
    assert "holds a different architecture" in capsys.readouterr().err
    assert (finished_run / "checkpoints" / "last.npz").read_bytes() == checkpoint     # untouched


def test_evaluate_refuses_labels_the_model_has_no_class_for(finished_run, tmp_path, capsys):
    data = _moons_npz(tmp_path, "five.npz", y=np.r_[np.zeros(55, int), np.full(5, 4)])
    assert main(["evaluate", str(finished_run), "--data", str(data)]) == 2
    assert re.search(r"labels must lie in \[0, 2\), got 4", capsys.readouterr().err)


def test_overwrite_replaces_only_the_run_files(finished_run, tmp_path):
    out = tmp_path / "run"
    (out / "figures").mkdir(parents=True)
    (out / "figures" / "old.png").write_bytes(b"old")
    (out / "metrics.csv").write_text("stale\n")
    (out / "notes.txt").write_text("mine\n")
    assert main(["train", "--data", "moons", "--hidden", "8", "--epochs", "1", "--diagnostics", "off", "--no-report",
                 "--quiet", "--out", str(out), "--overwrite"]) == 0
    assert (out / "notes.txt").read_text() == "mine\n" and not (out / "figures").exists()
    assert (out / "metrics.csv").read_text().startswith("epoch,")


def test_an_empty_existing_folder_is_used_without_overwrite(tmp_path):
    (tmp_path / "run").mkdir()
    assert main(["train", "--data", "moons", "--hidden", "8", "--epochs", "1", "--diagnostics", "off", "--no-report",
                 "--quiet", "--out", str(tmp_path / "run")]) == 0


@pytest.fixture
def read_only_folder(tmp_path, tmpfs):
    """A folder nobody may write in: by permissions as a user; as root (who ignores them) a read-only
    tmpfs (skipped, saying why, where it cannot be mounted)."""
    if os.geteuid() == 0:
        yield tmpfs("ro,size=64k")
        return
    folder = tmp_path / "locked"
    folder.mkdir()
    folder.chmod(0o555)
    yield folder
    folder.chmod(0o755)


def test_an_unwritable_folder_is_refused_before_training(read_only_folder, capsys):
    out = read_only_folder / "run"
    assert main(["train", "--data", "moons", "--hidden", "8", "--epochs", "1", "--quiet", "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert re.search(r"/run' is not writable: (Read-only file system|Permission denied)", err), err
    assert not out.exists()


def test_idx_reader_names_the_problem(tmp_path):
    path = tmp_path / "x.idx.gz"
    with gzip.open(path, "wb") as f:
        f.write(b"\x00\x00\x08\x01" + (5).to_bytes(4, "big") + b"abc")
    with pytest.raises(ValueError, match=r"x\.idx\.gz' is truncated: shape \(5,\) needs 5 data bytes, found 3"):
        read_idx(path)
