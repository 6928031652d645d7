"""``--tensorboard DIR``: the event files read back, by TensorBoard's own reader, as the run recorded them."""

from __future__ import annotations

import csv
import sys

import numpy as np
import pytest

from mlplab.cli import main
from mlplab.config import resolve
from mlplab.diagnostics import read_diagnostics
from mlplab.run import train_run
from mlplab.tensorboard import histogram_arguments

pytest.importorskip("tensorboardX", reason="the writer of the tensorboard extra: pip install -e '.[test]'")
event_accumulator = pytest.importorskip("tensorboard.backend.event_processing.event_accumulator",
                                        reason="TensorBoard's reader is the oracle: pip install -e '.[test]'")


event_file_loader = pytest.importorskip("tensorboard.backend.event_processing.event_file_loader")
event_pb2 = pytest.importorskip("tensorboard.compat.proto.event_pb2")


def read_metrics(run):
    with open(run / "metrics.csv", newline="") as f:
        return [{k: float(v) for k, v in row.items() if v} for row in csv.DictReader(f)]


def events(logdir):
    found = event_accumulator.EventAccumulator(str(logdir), size_guidance={"scalars": 0, "histograms": 0})
    found.Reload()
    return found


def short_run(tmp_path, name, epochs=3, **keys):
    config = resolve({}, {"data": "digits", "hidden": "24,16", "epochs": epochs, "report": False, "seed": 3,
                          "out": str(tmp_path / name), "tensorboard": str(tmp_path / "tb"), **keys})
    train_run(config, progress=False, overwrite=True)
    return tmp_path / name


def test_scalars_are_the_metrics_csv_per_epoch(tmp_path):
    run = short_run(tmp_path, "run")
    found = events(tmp_path / "tb")
    metrics = read_metrics(run)
    assert set(found.Tags()["scalars"]) == {"loss/train", "loss/val", "accuracy/train", "accuracy/val", "lr"}
    for tag, column in (("loss/train", "train_loss"), ("loss/val", "val_loss"), ("accuracy/train", "train_accuracy"),
                        ("accuracy/val", "val_accuracy"), ("lr", "lr")):
        written = found.Scalars(tag)
        assert [e.step for e in written] == [1, 2, 3], tag
        np.testing.assert_allclose([e.value for e in written], [row[column] for row in metrics], rtol=1e-6,
                                   err_msg=tag)          # TensorBoard stores scalars as float32


def test_histograms_are_the_recorded_diagnostics_per_layer(tmp_path):
    run = short_run(tmp_path, "run")
    found, diag = events(tmp_path / "tb"), read_diagnostics(run)
    expected = {f"{prefix}/hidden {k}" for prefix in ("activations", "pre-activations", "activation gradients",
                                                      "weight gradients") for k in (1, 2)} | {"weight gradients/output"}
    assert set(found.Tags()["histograms"]) == expected
    assert diag.epochs == [0, 1, 2, 3]
    for tag, quantity, j in (("activations/hidden 2", "act", 1), ("pre-activations/hidden 1", "pre", 0),
                             ("weight gradients/output", "dW", 2), ("activation gradients/hidden 1", "act_grad", 0)):
        written = found.Histograms(tag)
        assert [e.step for e in written] == diag.epochs, tag
        for r, event in enumerate(written):
            counts, edges = diag.arrays[f"{quantity}/hist"][r, j], diag.arrays[f"{quantity}/edges"][r]
            filled = np.flatnonzero(counts)
            h = event.histogram_value
            assert h.num == counts.sum() > 0
            np.testing.assert_array_equal(h.bucket, counts[filled[0]:filled[-1] + 1])
            np.testing.assert_allclose(h.bucket_limit, edges[filled[0] + 1:filled[-1] + 2], rtol=1e-12)
            assert h.min == pytest.approx(edges[filled[0]]) and h.max == pytest.approx(edges[filled[-1] + 1])
    # every ReLU output of the 1000-example probe is counted: 1000 x 16 units in hidden 2
    assert found.Histograms("activations/hidden 2")[0].histogram_value.num == 1000 * 16


def test_a_fresh_run_in_the_same_folder_replaces_the_earlier_events(tmp_path):
    short_run(tmp_path, "run", epochs=3)
    run = short_run(tmp_path, "run", epochs=2, lr=0.01)
    files = sorted((tmp_path / "tb").glob("events.out.tfevents.*"))
    assert len(files) == 2
    # the second file tells TensorBoard to drop every earlier event from step 0 on (purge_step=0)
    starts = [(e.step, e.session_log.status) for e in event_file_loader.LegacyEventFileLoader(str(files[-1])).Load()
              if e.HasField("session_log")]
    assert starts == [(0, event_pb2.SessionLog.START)]
    written = events(tmp_path / "tb").Scalars("loss/val")
    assert [e.step for e in written] == [1, 2]           # the first run's epoch 3 is gone
    np.testing.assert_allclose([e.value for e in written], [row["val_loss"] for row in read_metrics(run)], rtol=1e-6)


def test_histogram_arguments_drop_empty_end_bins_and_sum_at_centres():
    found = histogram_arguments(np.array([0, 2, 3, 0]), np.array([0.0, 1.0, 2.0, 3.0, 4.0]))
    assert found == {"min": 1.0, "max": 3.0, "num": 5, "sum": 2 * 1.5 + 3 * 2.5,
                     "sum_squares": 2 * 1.5 ** 2 + 3 * 2.5 ** 2, "bucket_limits": [2.0, 3.0], "bucket_counts": [2.0, 3.0]}
    assert histogram_arguments(np.zeros(4), np.arange(5.0)) is None          # maxout: no pre-activation


def test_without_the_writer_the_flag_is_refused_in_one_line(tmp_path, monkeypatch, capsys):
    monkeypatch.setitem(sys.modules, "tensorboardX", None)                 # as if the extra were not installed
    code = main(["train", "--data", "digits", "--epochs", "1", "--out", str(tmp_path / "run"),
                 "--tensorboard", str(tmp_path / "tb")])
    err = capsys.readouterr().err.strip()
    assert code == 2
    assert len(err.splitlines()) == 1 and "tensorboardX" in err and "pip install 'mlplab[tensorboard]'" in err
    assert not (tmp_path / "run").exists() and not (tmp_path / "tb").exists()


def test_a_file_in_place_of_the_folder_is_refused(tmp_path, capsys):
    (tmp_path / "tb").write_text("not a folder")
    assert main(["train", "--data", "digits", "--out", str(tmp_path / "run"), "--tensorboard",
                 str(tmp_path / "tb")]) == 2
    assert "exists and is not a folder" in capsys.readouterr().err


def test_a_resumed_run_continues_its_events_without_repeating_them(tmp_path):
    first = short_run(tmp_path, "run", epochs=2)
    config = resolve({}, {"data": "digits", "hidden": "24,16", "epochs": 4, "report": False, "seed": 3,
                          "out": str(first), "tensorboard": str(tmp_path / "tb")})
    train_run(config, resume=True, progress=False)
    files = sorted((tmp_path / "tb").glob("events.out.tfevents.*"))
    raw = [e for path in files for e in event_file_loader.LegacyEventFileLoader(str(path)).Load()]
    steps = lambda tag, kind: [e.step for e in raw if e.HasField("summary")  # noqa: E731
                               and any(v.tag == tag and v.HasField(kind) for v in e.summary.value)]
    assert steps("activations/hidden 1", "histo") == [0, 1, 2, 3, 4]       # each record written once
    assert steps("lr", "simple_value") == [1, 2, 3, 4]
    starts = [(e.step, e.session_log.status) for e in raw if e.HasField("session_log")]
    assert starts == [(0, event_pb2.SessionLog.START), (3, event_pb2.SessionLog.START)]
    written = events(tmp_path / "tb").Scalars("loss/train")
    np.testing.assert_allclose([e.value for e in written], [row["train_loss"] for row in read_metrics(first)],
                               rtol=1e-6)
