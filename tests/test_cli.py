"""The real ``mlplab`` command, run in a subprocess on small data."""

import csv
import json
import subprocess
import sys

import numpy as np
import pytest

import mlplab as ml
from mlplab.config import read_toml


def mlplab(*args, cwd=None):
    return subprocess.run([sys.executable, "-m", "mlplab.cli", *map(str, args)], capture_output=True, text=True,
                          cwd=cwd, timeout=300)


def test_train_writes_a_complete_run_directory(tmp_path):
    out = tmp_path / "run"
    result = mlplab("train", "--data", "digits", "--hidden", "64,32", "--epochs", "6", "--batch-size", "50",
                    "--lr", "0.05", "--no-batchnorm", "--dropout", "0", "--seed", "3", "--out", out)
    assert result.returncode == 0, result.stderr
    assert "test accuracy" in result.stdout
    first = result.stdout.splitlines()[0]           # the first line states the network, BN and dropout included
    assert first.startswith("digits: 64-64-32-10 relu net, init he_normal (auto), no batch norm, no dropout"), first
    assert result.stderr == ""                      # no progress bar when not a terminal
    summary = json.loads((out / "summary.json").read_text())
    assert {"test_accuracy", "test_loss", "epochs", "train_seconds"} <= set(summary)
    assert summary["epochs"] == 6 and summary["test_accuracy"] > 0.9 and summary["train_seconds"] > 0
    with open(out / "metrics.csv") as f:
        rows = list(csv.DictReader(f))
    assert [int(r["epoch"]) for r in rows] == list(range(1, 7))
    # validation during training; the test set once, at the end (--test-every-epoch to see it every epoch)
    assert all(r["test_accuracy"] == "" and float(r["val_accuracy"]) > 0 for r in rows)
    config = read_toml(out / "config.toml")
    assert config["hidden"] == [64, 32] and config["batchnorm"] is False and config["seed"] == 3
    assert '# init = "auto" resolved to "he_normal" for relu' in (out / "config.toml").read_text()
    assert summary["init"] == "he_normal" and summary["network"] == first
    net = ml.load(out / "model.npz")
    assert [type(layer).__name__ for layer in net.layers] == ["Dense", "ReLU", "Dense", "ReLU", "Dense"]
    assert (out / "checkpoints" / "last.npz").is_file() and (out / "preprocess.npz").is_file()

    evaluated = mlplab("evaluate", out)
    assert evaluated.returncode == 0, evaluated.stderr
    assert json.loads(evaluated.stdout)["test_accuracy"] == pytest.approx(summary["test_accuracy"])


def test_config_file_with_flags_overriding_it(tmp_path):
    (tmp_path / "c.toml").write_text('data = "moons"\nhidden = [16]\nepochs = 3\nlr = 0.1\nseed = 7\n')
    result = mlplab("train", "--config", tmp_path / "c.toml", "--epochs", "2", "--out", tmp_path / "r")
    assert result.returncode == 0, result.stderr
    config = read_toml(tmp_path / "r" / "config.toml")
    assert config["epochs"] == 2 and config["hidden"] == [16] and config["seed"] == 7 and config["data"] == "moons"


def test_misspelt_config_key_is_named(tmp_path):
    (tmp_path / "c.toml").write_text('data = "moons"\nlearning_rate = 0.1\n')
    result = mlplab("train", "--config", tmp_path / "c.toml", "--out", tmp_path / "r")
    assert result.returncode == 2
    assert "unknown key(s) learning_rate" in result.stderr and "Traceback" not in result.stderr
    assert not (tmp_path / "r").exists()


@pytest.mark.parametrize("args, message", [
    (["--activation", "swish"], "config key 'activation': unknown value 'swish'; valid: sigmoid"),
    (["--epochs", "many"], "config key 'epochs' must be int, got 'many'"),
    (["--data", "nope"], "unknown data 'nope'"),
    (["--hidden", "10,-2"], "hidden[1] must be a positive integer, got -2"),
])
def test_bad_flags_are_one_clear_line(tmp_path, args, message):
    result = mlplab("train", *args, "--out", tmp_path / "r")
    assert result.returncode == 2 and message in result.stderr and "Traceback" not in result.stderr


def test_divergence_exits_with_the_message(tmp_path):
    result = mlplab("train", "--data", "moons", "--hidden", "16", "--no-batchnorm", "--lr", "1e30",
                    "--schedule", "constant", "--epochs", "3", "--out", tmp_path / "r")
    assert result.returncode == 3
    assert "training stopped: loss became" in result.stderr and "learning rate 1e+30" in result.stderr


def test_resume_a_run_for_more_epochs(tmp_path):
    out = tmp_path / "r"
    assert mlplab("train", "--data", "moons", "--hidden", "8", "--epochs", "2", "--schedule", "constant",
                  "--out", out).returncode == 0
    result = mlplab("train", "--resume", out, "--epochs", "4")
    assert result.returncode == 0, result.stderr
    assert json.loads((out / "summary.json").read_text())["epochs"] == 4
    with open(out / "metrics.csv") as f:
        assert [int(r["epoch"]) for r in csv.DictReader(f)] == [1, 2, 3, 4]


def test_predict_writes_classes_and_probabilities(tmp_path):
    out = tmp_path / "run"
    assert mlplab("train", "--data", "moons", "--hidden", "16", "--epochs", "3", "--out", out).returncode == 0
    X = np.array([[0.0, 1.0], [1.0, -0.5], [2.0, 0.3]])
    np.savetxt(tmp_path / "in.csv", X, delimiter=",")
    result = mlplab("predict", out, "--input", tmp_path / "in.csv", "--output", tmp_path / "p.csv")
    assert result.returncode == 0, result.stderr
    with open(tmp_path / "p.csv") as f:
        rows = list(csv.DictReader(f))
    assert len(rows) == 3 and set(rows[0]) == {"row", "class", "p0", "p1"}
    for row in rows:
        p = [float(row["p0"]), float(row["p1"])]
        assert sum(p) == pytest.approx(1, abs=1e-5) and int(row["class"]) == int(np.argmax(p))
    np.savez(tmp_path / "in.npz", X=X[:, :1])
    bad = mlplab("predict", out, "--input", tmp_path / "in.npz")
    assert bad.returncode == 2 and "the model expects 2" in bad.stderr


def test_evaluate_a_missing_run_is_explained(tmp_path):
    result = mlplab("evaluate", tmp_path)
    assert result.returncode == 2 and "holds no model.npz" in result.stderr


def test_diagnostics_every_n_epochs_then_inspect_and_report(tmp_path):
    out = tmp_path / "run"
    result = mlplab("train", "--data", "digits", "--hidden", "32,16", "--epochs", "4", "--activation", "tanh",
                    "--diagnostics", "every=2,probe=300", "--out", out)
    assert result.returncode == 0, result.stderr
    index = json.loads((out / "diagnostics.json").read_text())
    assert [r["epoch"] for r in index["records"]] == [0, 2, 4] and index["probe_size"] == 300
    assert (out / "report.html").is_file()
    shown = mlplab("inspect", out, "--epoch", "2")
    assert shown.returncode == 0, shown.stderr
    lines = shown.stdout.splitlines()
    assert lines[0].startswith(f"{out}: epoch 2 (after ") and "probe of 300 examples" in lines[0]
    rows = [line.split() for line in lines if line.startswith(("hidden ", "output "))]   # named as students count
    assert [row[:3] for row in rows if "Tanh" in row] == [["hidden", "1", "Tanh"], ["hidden", "2", "Tanh"]]
    assert [" ".join(row[:-3]) for row in rows if "Dense" in row] == ["hidden 1 Dense", "hidden 2 Dense",
                                                                     "output Dense"]
    assert "  hidden 2: Dense 32→16, Tanh" in lines                          # the blocks, named in full
    missing = mlplab("inspect", out, "--epoch", "3")
    assert missing.returncode == 2 and "epoch 3 was not recorded; recorded epochs: [0, 2, 4]" in missing.stderr
    (out / "report.html").unlink()
    redrawn = mlplab("report", out)
    assert redrawn.returncode == 0 and (out / "report.html").is_file()


def test_resumed_run_continues_its_diagnostics(tmp_path):
    out = tmp_path / "r"
    assert mlplab("train", "--data", "moons", "--hidden", "8", "--epochs", "2", "--no-report", "--out",
                  out).returncode == 0
    assert mlplab("train", "--resume", out, "--epochs", "3", "--no-report").returncode == 0
    assert [r["epoch"] for r in json.loads((out / "diagnostics.json").read_text())["records"]] == [0, 1, 2, 3]


def test_diagnostics_off_and_bad_specs(tmp_path):
    out = tmp_path / "r"
    assert mlplab("train", "--data", "moons", "--hidden", "8", "--epochs", "1", "--diagnostics", "off",
                  "--no-report", "--out", out).returncode == 0
    assert not (out / "diagnostics.json").exists()
    nothing = mlplab("inspect", out)
    assert nothing.returncode == 2 and "holds no diagnostics.json" in nothing.stderr
    bad = mlplab("train", "--data", "moons", "--diagnostics", "sometimes", "--out", tmp_path / "b")
    assert bad.returncode == 2 and "diagnostics must look like 'every=N'" in bad.stderr and "'sometimes'" in bad.stderr
    assert not (tmp_path / "b").exists()                                    # refused before anything is written


def test_train_with_greedy_pretraining_records_it(tmp_path):
    out = tmp_path / "run"
    result = mlplab("train", "--data", "digits", "--hidden", "32,16", "--activation", "sigmoid", "--no-batchnorm",
                    "--dropout", "0", "--pretrain", "denoising", "--pretrain-epochs", "2", "--epochs", "2",
                    "--diagnostics", "off", "--out", out)
    assert result.returncode == 0, result.stderr
    with open(out / "pretrain.csv") as f:
        rows = list(csv.DictReader(f))
    assert [(int(r["block"]), int(r["epoch"])) for r in rows] == [(1, 1), (1, 2), (2, 1), (2, 2)]
    summary = json.loads((out / "summary.json").read_text())
    assert summary["pretrain"]["method"] == "denoising" and len(summary["pretrain"]["blocks"]) == 2
    assert "id='pretraining'" in (out / "report.html").read_text()
    refused = mlplab("train", "--data", "digits", "--pretrain", "rbm", "--batchnorm", "--out", tmp_path / "r")
    assert refused.returncode == 2 and "cannot pre-train a network with batch norm" in refused.stderr


def test_autoencoder_command_compares_with_pca(tmp_path):
    out = tmp_path / "ae"
    result = mlplab("autoencoder", "--data", "digits", "--hidden", "32,16", "--code", "4", "--pretrain-epochs", "1",
                    "--epochs", "2", "--out", out)
    assert result.returncode == 0, result.stderr
    summary = json.loads((out / "summary.json").read_text())
    assert summary["sizes"] == [64, 32, 16, 4] and summary["pretrain"] == "autoencoder"
    assert 0 < summary["test_mse"] < 1 and 0 < summary["pca_test_mse"] < 1
    assert f"deep autoencoder {summary['test_mse']:.5f}, PCA (4 components)" in result.stdout
    assert result.stdout.splitlines()[0].startswith("digits: 64-32-16-4 autoencoder (mirrored decoder), sigmoid "
                                                    "units, init xavier_normal, linear code, no batch norm")
    assert (out / "model.npz").is_file() and (out / "figures" / "reconstructions.png").is_file()
    with open(out / "metrics.csv") as f:
        assert [int(r["epoch"]) for r in csv.DictReader(f)] == [1, 2]


def test_experiment_list_and_one_quick_run(tmp_path):
    listed = mlplab("experiment", "--list")
    from mlplab.experiments import MODULES
    assert listed.returncode == 0 and len(listed.stdout.splitlines()) == len(MODULES) == 10
    assert listed.stdout.startswith("init-activations")
    assert {line.split()[0] for line in listed.stdout.splitlines()} >= {"beyond-bn", "perceptron"}
    result = mlplab("experiment", "symmetry", "--quick", "--out", tmp_path / "s")
    assert result.returncode == 0, result.stderr
    saved = json.loads((tmp_path / "s" / "result.json").read_text())
    counts = {v: sum(c["verdict"] == v for c in saved["claims"]) for v in ("reproduced", "not reproduced",
                                                                            "inconclusive")}
    assert (f"symmetry: reproduced {counts['reproduced']}, not reproduced {counts['not reproduced']}, "
            f"inconclusive {counts['inconclusive']}") in result.stdout
    for claim in saved["claims"]:
        assert f"{claim['verdict'].upper():15s} {claim['claim']}" in result.stdout
    assert "| claim | statistic | estimate | 95% CI | predicted | n | verdict |" in (
        tmp_path / "s" / "README.md").read_text()
    unknown = mlplab("experiment", "dropout", "--out", tmp_path / "d")
    assert unknown.returncode == 2 and "unknown experiment 'dropout'" in unknown.stderr
    one_seed = mlplab("experiment", "symmetry", "--quick", "--seeds", "1", "--out", tmp_path / "one")
    assert one_seed.returncode == 2 and "--seeds must be at least 2" in one_seed.stderr
    assert not (tmp_path / "one").exists()


def test_sweep_command_prints_the_table(tmp_path):
    spec = tmp_path / "s.toml"
    spec.write_text('name = "s"\nseeds = [0]\n[base]\ndata = "moons"\nhidden = [4]\nepochs = 1\ndiagnostics = "off"\n'
                    'report = false\n[grid]\nlr = [0.01, 0.1]\n')
    result = mlplab("sweep", spec, "--out", tmp_path / "out", "--workers", "1")
    assert result.returncode == 0, result.stderr
    assert "| lr=0.01 | 1 |" in result.stdout and "| lr=0.1 | 1 |" in result.stdout
    assert "2 cells, 0 already finished, 2 to run (local)" in result.stderr
    bad = mlplab("sweep", tmp_path / "missing.toml")
    assert bad.returncode == 2 and "no file at" in bad.stderr


def test_the_same_seed_gives_bit_identical_weights_in_two_processes(tmp_path):
    runs = []
    for name in ("a", "b"):
        result = mlplab("train", "--data", "moons", "--hidden", "16,8", "--epochs", "2", "--dropout", "0.3",
                        "--diagnostics", "off", "--no-report", "--out", tmp_path / name)
        assert result.returncode == 0, result.stderr
        runs.append(ml.load(tmp_path / name / "model.npz"))
    for key, value in {**runs[0].params, **runs[0].buffers}.items():
        np.testing.assert_array_equal({**runs[1].params, **runs[1].buffers}[key], value, err_msg=key)


def test_a_run_directory_that_cannot_be_written_is_one_clear_line(tmp_path):
    blocked = tmp_path / "file"
    blocked.write_text("not a folder")
    result = mlplab("train", "--data", "moons", "--hidden", "4", "--epochs", "1", "--out", blocked / "run")
    assert result.returncode in (1, 2) and "Traceback" not in result.stderr and "error:" in result.stderr


def test_a_refused_resume_leaves_the_run_as_it_was(tmp_path):
    """--resume with another optimizer is refused (the checkpoint holds Adam's state); config.toml keeps
    what the run was trained with, so a plain --resume afterwards still continues it."""
    out = tmp_path / "run"
    first = mlplab("train", "--data", "digits", "--hidden", "16", "--epochs", "1", "--optimizer", "adam",
                   "--lr", "0.001", "--quiet", "--no-report", "--out", out)
    assert first.returncode == 0, first.stderr
    before = (out / "config.toml").read_text()
    refused = mlplab("train", "--resume", out, "--optimizer", "sgd", "--epochs", "2", "--quiet")
    assert refused.returncode == 2 and "was trained with Adam, not SGD" in refused.stderr
    assert (out / "config.toml").read_text() == before
    again = mlplab("train", "--resume", out, "--epochs", "2", "--quiet")
    assert again.returncode == 0, again.stderr
    assert json.loads((out / "summary.json").read_text())["epochs"] == 2
