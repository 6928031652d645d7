import json
import math
import os
import shutil
import signal
import subprocess
import sys
import time

import numpy as np
import pytest

from mlplab.sweep import expand, read_spec, run_sweep

SPEC = """
name = "tiny"
seeds = [0, 1]
[base]
data = "moons"
hidden = [8]
epochs = 2
batchnorm = false
dropout = 0.0
diagnostics = "off"
report = false
[grid]
activation = ["tanh", "relu"]
[[cells]]
activation = "elu"
lr = 0.1
"""


def strip(rows):
    """The table without the timings (which differ from run to run)."""
    return [{k: v for k, v in row.items() if not k.startswith("train_seconds")} for row in rows]


@pytest.fixture()
def spec(tmp_path):
    path = tmp_path / "tiny.toml"
    path.write_text(SPEC)
    return path


def test_the_grid_and_list_expand_into_cells_with_their_own_run_directories(spec, tmp_path):
    cells = expand(read_spec(spec), tmp_path / "out")
    assert [(c.config_id, c.seed) for c in cells] == [
        ("activation=tanh", 0), ("activation=tanh", 1), ("activation=relu", 0), ("activation=relu", 1),
        ("activation=elu,lr=0.1", 0), ("activation=elu,lr=0.1", 1)]
    assert cells[-1].config["lr"] == 0.1 and cells[-1].config["seed"] == 1 and cells[0].config["epochs"] == 2
    assert cells[0].out == tmp_path / "out" / "runs" / "activation=tanh" / "seed0"


def test_local_pool_runs_every_cell_and_a_rerun_skips_the_finished_ones(spec, tmp_path):
    out = tmp_path / "out"
    rows = run_sweep(spec, out, workers=2)
    assert [(r["config"], r["n"]) for r in rows] == [("activation=tanh", 2), ("activation=relu", 2),
                                                     ("activation=elu,lr=0.1", 2)]
    summaries = [json.loads((out / "runs" / "activation=relu" / f"seed{s}" / "summary.json").read_text())
                 for s in (0, 1)]
    accuracies = [s["test_accuracy"] for s in summaries]
    assert rows[1]["test_accuracy_mean"] == pytest.approx(sum(accuracies) / 2)
    assert not math.isnan(rows[1]["test_accuracy_std"])
    # kill midway: one cell's run directory is lost; the re-run redoes only that cell
    shutil.rmtree(out / "runs" / "activation=tanh" / "seed1")
    stamp = (out / "runs" / "activation=relu" / "seed0" / "summary.json").stat().st_mtime_ns
    logged = []
    again = run_sweep(spec, out, workers=2, log=logged.append)
    assert "6 cells, 5 already finished, 1 to run" in logged[0]
    assert (out / "runs" / "activation=relu" / "seed0" / "summary.json").stat().st_mtime_ns == stamp
    assert strip(again) == strip(rows)                    # seeded runs: the redone cell gives the same numbers
    assert (out / "results.md").read_text().count("\n") == 2 + 3
    assert [row["diverged"] for row in rows] == [0, 0, 0]


def test_a_diverging_cell_is_a_result_not_a_crash(tmp_path):
    spec = tmp_path / "boom.toml"
    spec.write_text('seeds = [0]\n[base]\ndata = "moons"\nhidden = [8]\nepochs = 2\nbatchnorm = false\n'
                    'schedule = "constant"\ndiagnostics = "off"\nreport = false\n[grid]\nlr = [0.1, 1e30]\n')
    rows = run_sweep(spec, tmp_path / "out", workers=1)
    assert [(row["config"], row["n"], row["diverged"]) for row in rows] == [("lr=0.1", 1, 0), ("lr=1e+30", 1, 1)]
    assert math.isnan(rows[1]["test_accuracy_mean"]) and rows[0]["test_accuracy_mean"] > 0.5
    summary = json.loads((tmp_path / "out" / "runs" / "lr=1e+30" / "seed0" / "summary.json").read_text())
    assert summary["diverged"]["step"] == 2 and "loss became" in summary["diverged"]["message"]


def test_ray_gives_the_same_table_as_the_local_pool(spec, tmp_path):
    pytest.importorskip("ray", reason="Ray is not installed (pip install -e .[test] installs it)")
    local = run_sweep(spec, tmp_path / "local", workers=2)
    remote = run_sweep(spec, tmp_path / "ray", executor="ray")
    assert strip(remote) == strip(local)
    assert (tmp_path / "ray" / "results.md").read_text() == (tmp_path / "local" / "results.md").read_text()


@pytest.mark.parametrize("text, message", [
    ("[base]\nactivaton = 'relu'\n", "base has keys that are not train keys"),
    ("[grid]\nseed = [1, 2]\n", "seed and out: it sets them per cell"),
    ("[base]\ntensorboard = 'tb'\n", "cannot take .*: tensorboard$"),
    ("[grid]\nlr = 0.1\n", "grid.lr must be a non-empty list"),
    ("seeds = [-1]\n", "seeds must be a non-empty list of non-negative integers"),
    ("repeat = 3\n", "unknown entries repeat"),
])
def test_bad_specs_are_named(tmp_path, text, message):
    path = tmp_path / "bad.toml"
    path.write_text(text)
    with pytest.raises(ValueError, match=message):
        read_spec(path)


def _children(parent: int) -> list[int]:
    """Process ids whose parent is ``parent`` (from /proc)."""
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as f:
                    if int(f.read().rsplit(")", 1)[1].split()[1]) == parent:
                        found.append(int(entry))
            except OSError:
                continue
    return found


def test_a_terminated_sweep_takes_its_workers_along(tmp_path):
    slow = tmp_path / "slow.toml"
    slow.write_text(SPEC.replace("epochs = 2", "epochs = 400"))
    out = tmp_path / "out"
    sweep = subprocess.Popen([sys.executable, "-m", "mlplab.cli", "sweep", str(slow), "--out", str(out),
                              "--workers", "1"], stderr=subprocess.DEVNULL)
    deadline = time.time() + 60
    while not list(out.glob("runs/*/seed*/config.toml")) and time.time() < deadline:
        time.sleep(0.2)                                  # a worker is inside its first cell
    workers = _children(sweep.pid)
    assert workers
    sweep.send_signal(signal.SIGTERM)
    assert sweep.wait(timeout=30) != 0
    time.sleep(1.0)
    assert [pid for pid in workers if os.path.exists(f"/proc/{pid}") and
            open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()[0] != "Z"] == []
    assert not list(out.glob("runs/*/seed*/summary.json"))       # the cell it was in is not counted as done


def test_pool_workers_run_one_blas_thread_each():
    from mlplab import blas
    from mlplab.sweep import blas_threads, run_local
    if blas.threads() is None:
        pytest.skip(reason="this NumPy's BLAS cannot be asked for its thread count")
    before = os.environ.get("OPENBLAS_NUM_THREADS")
    assert run_local([{}, {}], workers=2, on_done=lambda i: None, task=blas_threads) == [1, 1]
    assert os.environ.get("OPENBLAS_NUM_THREADS") == before            # the parent's environment is put back


def test_an_autoencoder_sweep_gathers_both_test_errors(tmp_path):
    spec = tmp_path / "ae.toml"
    spec.write_text('command = "autoencoder"\nseeds = [0, 1]\n[base]\ndata = "digits"\nhidden = [32]\ncode = 4\n'
                    'pretrain_epochs = 1\nepochs = 3\nbatch_size = 50\n[grid]\npretrain = ["none", "autoencoder"]\n')
    rows = run_sweep(spec, tmp_path / "out", workers=1)
    assert [(row["config"], row["n"]) for row in rows] == [("pretrain=none", 2), ("pretrain=autoencoder", 2)]
    for row in rows:
        summaries = [json.loads((tmp_path / "out" / "runs" / row["config"] / f"seed{s}" / "summary.json").read_text())
                     for s in (0, 1)]
        assert row["test_mse_mean"] == pytest.approx(np.mean([s["test_mse"] for s in summaries]))
        assert row["pca_test_mse_mean"] == pytest.approx(np.mean([s["pca_test_mse"] for s in summaries]))
        assert 0 < row["test_mse_mean"] < 0.2
    table = (tmp_path / "out" / "results.md").read_text()
    assert "| configuration | n | autoencoder test MSE per pixel | PCA test MSE per pixel |" in table


def test_an_autoencoder_spec_refuses_training_keys(tmp_path):
    spec = tmp_path / "ae.toml"
    spec.write_text('command = "autoencoder"\n[base]\nbatchnorm = true\n')
    with pytest.raises(ValueError, match="base has keys that are not autoencoder keys.*batchnorm"):
        read_spec(spec)


def test_a_cell_cut_off_midway_continues_from_its_checkpoint_to_the_same_weights(tmp_path):
    long = tmp_path / "long.toml"
    long.write_text(SPEC.replace("epochs = 2", "epochs = 300").replace('activation = ["tanh", "relu"]',
                                                                       'activation = ["tanh"]'))
    out = tmp_path / "out"
    sweep = subprocess.Popen([sys.executable, "-m", "mlplab.cli", "sweep", str(long), "--out", str(out),
                              "--workers", "1"], stderr=subprocess.DEVNULL)
    checkpoint = out / "runs" / "activation=tanh" / "seed0" / "checkpoints" / "last.npz"
    deadline = time.time() + 120
    epoch = 0
    while epoch < 3 and time.time() < deadline:
        time.sleep(0.05)
        try:
            epoch = json.loads(str(np.load(checkpoint)["__trainer__"]))["epoch"]
        except (OSError, ValueError, KeyError, EOFError):
            pass                                  # not there yet, or being replaced
    sweep.send_signal(signal.SIGTERM)
    sweep.wait(timeout=30)
    assert 3 <= epoch < 300, "the cell should have been cut off midway"
    logged = []
    rows = run_sweep(long, out, workers=1, log=logged.append)
    assert "1 from a checkpoint" in logged[0]
    with open(out / "runs" / "activation=tanh" / "seed0" / "metrics.csv") as f:
        assert [int(line.split(",")[0]) for line in f.readlines()[1:]] == list(range(1, 301))
    fresh = run_sweep(long, tmp_path / "fresh", workers=1)
    assert strip(rows) == strip(fresh)
    ours = np.load(out / "runs" / "activation=tanh" / "seed0" / "model.npz")
    theirs = np.load(tmp_path / "fresh" / "runs" / "activation=tanh" / "seed0" / "model.npz")
    assert all(np.array_equal(ours[k], theirs[k]) for k in ours.files if k.startswith("param:"))
