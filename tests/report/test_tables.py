import numpy as np

import mlplab as ml
from mlplab.diagnostics import DiagnosticsRecorder
from mlplab.report.tables import block_rows, layer_table, model_summary_rows, model_summary_table


def test_model_summary_counts_parameters_and_shapes_per_layer():
    net = ml.mlp(784, [100, 50], 10, activation="relu", batchnorm=True, seed=0)
    rows = model_summary_rows(net)
    assert [row["block"].split(":")[0] for row in rows] == ["hidden 1"] * 3 + ["hidden 2"] * 3 + ["output"]
    assert [row["shape"] for row in rows] == ["(batch, 100)"] * 3 + ["(batch, 50)"] * 3 + ["(batch, 10)"]
    assert rows[0]["params"] == 784 * 100 + 100 and rows[1]["params"] == 2 * 100     # Dense, BatchNorm
    total = sum(int(np.size(p)) for p in net.params.values())
    page = model_summary_table(net)
    assert f"<td><b>{total:,}</b></td>" in page and "hidden 2: Dense 100→50, BatchNorm, ReLU" in page


def test_the_per_layer_table_is_in_network_order_with_full_names(rng):
    net = ml.mlp(8, [6, 6, 6], 3, activation="tanh", seed=0)
    recorder = DiagnosticsRecorder(rng.normal(size=(20, 8)), rng.integers(0, 3, 20))
    recorder.record(net)
    rows = block_rows(recorder.diagnostics())
    assert [row["name"] for row in rows] == ["hidden 1: Dense 8→6, Tanh", "hidden 2: Dense 6→6, Tanh",
                                             "hidden 3: Dense 6→6, Tanh", "output: Dense 6→3"]
    assert "act_std" in rows[0] and "dW_norm" in rows[0] and "act_std" not in rows[3]
    html = layer_table(recorder.diagnostics())
    assert html.index("hidden 1: Dense") < html.index("hidden 2: Dense") < html.index("output: Dense")
    assert ">saturated<" in html and ">dead<" not in html        # a tanh is never exactly 0: no dead column


def test_a_relu_net_has_a_dead_column_and_no_saturated_one(rng):
    net = ml.mlp(8, [6, 6], 3, activation="relu", seed=0)
    recorder = DiagnosticsRecorder(rng.normal(size=(20, 8)), rng.integers(0, 3, 20))
    recorder.record(net)
    html = layer_table(recorder.diagnostics())
    assert ">dead<" in html and ">saturated<" not in html
