"""``ml.Run``: a run directory read back for notebooks, and the progress display in a Jupyter kernel."""

from __future__ import annotations

import csv
import html
import re
import sys
import types

import numpy as np
import pytest

import mlplab as ml
from mlplab.diagnostics import read_diagnostics
from mlplab.notebook import in_notebook
from mlplab.run import ProgressBar


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    out = tmp_path_factory.mktemp("runs") / "digits"
    return ml.Run.train({"data": "digits", "hidden": [24, 16]}, epochs=3, seed=2, report=False, out=str(out),
                        progress=False)


def test_train_returns_the_run_it_wrote(run):
    again = ml.Run(run.path)
    assert again.config["hidden"] == [24, 16] and again.config["epochs"] == 3 and again.config["seed"] == 2
    assert again.summary["test_accuracy"] == run.summary["test_accuracy"] > 0.5       # 10 classes: chance is 0.1
    with open(run.path / "metrics.csv", newline="") as f:
        rows = list(csv.DictReader(f))
    assert [row["epoch"] for row in run.history] == [1.0, 2.0, 3.0]
    assert [row["val_loss"] for row in run.history] == [float(row["val_loss"]) for row in rows]
    assert "test_loss" not in run.history[0]                     # the test set is evaluated once, at the end
    assert repr(run).startswith(f"Run({str(run.path)!r}: digits: 64-24-16-10 relu net")
    assert f"test accuracy {run.summary['test_accuracy']:.4f}" in repr(run)


def test_layer_table_has_one_row_per_block_in_order(run):
    diag = read_diagnostics(run.path)
    table = run.layer_table(0)
    assert table.epoch == 0 and run.layer_table().epoch == 3
    assert [row["name"].split(":")[0] for row in table] == ["hidden 1", "hidden 2", "output"]
    by_index = {row["layer"]: row for row in diag.table(0)}      # 0, 2, 4: Dense; 1, 3: ReLU
    assert table[1]["act_std"] == by_index[3]["act_std"] and table[1]["dW_norm"] == by_index[2]["dW_norm"]
    assert table[2]["dW_norm"] == by_index[4]["dW_norm"] and "act_std" not in table[2]
    assert table.column("act_std") == [by_index[1]["act_std"], by_index[3]["act_std"]]
    page = table._repr_html_()
    assert page.count("<tr>") == 4 and "before training" in page and f"{by_index[1]['act_std']:.3g}" in page


def test_repr_html_shows_the_report_inline_writing_it_when_missing(run):
    assert not run.report_path.exists()                          # trained with report = false
    shown = run._repr_html_()
    assert run.report_path.is_file()
    srcdoc = re.fullmatch(r'<iframe srcdoc="([^"]*)".*', shown, re.S).group(1)
    assert html.unescape(srcdoc) == run.report_path.read_text()
    assert "<!DOCTYPE html>" in html.unescape(srcdoc)


def test_figures_are_matplotlib_figures(run):
    from matplotlib.figure import Figure
    for figure in (run.plot_curves(), run.plot_histograms("act"), run.plot_histograms("dW"), run.plot_percentiles(),
                   run.plot_gradient_norms()):
        assert isinstance(figure, Figure) and figure.axes
    with pytest.raises(ValueError, match="quantity 'weights'"):
        run.plot_histograms("weights")


def test_bad_arguments_are_named(tmp_path):
    with pytest.raises(FileNotFoundError, match="not an mlplab run folder"):
        ml.Run(tmp_path)
    with pytest.raises(ValueError, match="unknown config key.*epochz"):
        ml.Run.train(data="digits", epochz=3, out=str(tmp_path / "x"))
    with pytest.raises(TypeError, match="config must be"):
        ml.Run.train(3)
    assert not (tmp_path / "x").exists()


def test_a_diverged_run_is_returned_with_a_warning(tmp_path):
    with pytest.warns(RuntimeWarning, match="training stopped"):
        run = ml.Run.train(data="digits", hidden=[16], lr=1e30, momentum=0.0, schedule="constant", epochs=2,
                           report=False, out=str(tmp_path / "nan"), progress=False)
    assert run.summary["diverged"]["epoch"] == 1 and "diverged" in repr(run)
    assert isinstance(run.model, ml.Sequential)                  # the last good checkpoint


def test_progress_in_a_jupyter_kernel(monkeypatch, capsys):
    assert not in_notebook()
    assert ProgressBar(10).enabled is False                      # pytest's stderr is not a terminal
    shell = types.SimpleNamespace(kernel=object())
    monkeypatch.setitem(sys.modules, "IPython", types.SimpleNamespace(get_ipython=lambda: shell))
    assert in_notebook()
    bar = ProgressBar(10)
    assert bar.enabled and bar.notebook
    trainer = types.SimpleNamespace(epochs=4)
    bar.on_epoch_end(trainer, 1, {"train_loss": 0.5, "train_accuracy": 0.75, "val_accuracy": 0.7, "seconds": 0.1})
    out, err = capsys.readouterr()
    assert out.startswith("epoch 1/4  loss 0.5000  acc 0.7500  val acc 0.7000") and err == ""
    monkeypatch.setitem(sys.modules, "IPython", types.SimpleNamespace(get_ipython=lambda: None))
    assert not in_notebook()                                     # IPython imported, but no kernel (a terminal)
    np.testing.assert_equal(ProgressBar(10, enabled=False).enabled, False)


def test_predict_applies_the_runs_preprocessing(run):
    from mlplab.data import load_dataset
    data = load_dataset("digits", None, seed=2)
    predicted = run.predict(data.X_test, batch_size=100)         # raw 0..16 pixel values, in batches
    assert predicted.shape == data.y_test.shape and predicted.dtype == np.int64
    assert float((predicted == data.y_test).mean()) == pytest.approx(run.summary["test_accuracy"], abs=1e-12)


def test_pretraining_progress_shows_in_a_jupyter_kernel(monkeypatch, capsys, tmp_path):
    from mlplab.config import resolve
    from mlplab.run import pretrain_phase
    shell = types.SimpleNamespace(kernel=object())
    monkeypatch.setitem(sys.modules, "IPython", types.SimpleNamespace(get_ipython=lambda: shell))
    config = resolve({}, {"data": "digits", "hidden": "8", "activation": "sigmoid", "pretrain": "autoencoder",
                          "pretrain_epochs": 2})
    net = ml.mlp(4, [8], 2, activation="sigmoid", seed=0)
    X = np.random.default_rng(0).random((40, 4)).astype(np.float32)
    pretrain_phase(config, net, X, tmp_path, progress=None)
    out, err = capsys.readouterr()
    assert out.splitlines()[0].startswith("pre-training (autoencoder) block 1 epoch 1/2: reconstruction error")
    assert len(out.splitlines()) == 2 and err == ""              # one block, two epochs, on stdout in a kernel
