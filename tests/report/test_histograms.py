import numpy as np

from mlplab.diagnostics import histogram, shared_edges
from mlplab.report.histograms import plot_histogram_grid, without_zeros, HistogramRow


def test_without_zeros_leaves_exactly_the_histogram_of_the_non_zero_values(rng):
    values = np.maximum(rng.normal(size=5000), 0.0)          # a ReLU's output: about half exact zeros
    edges = shared_edges([values])
    counts = histogram(values, edges)
    zero_fraction = np.count_nonzero(values == 0) / values.size
    assert counts[0] > 2000                                   # the spike the issue complains about
    assert np.array_equal(without_zeros(counts, edges, zero_fraction), histogram(values[values != 0], edges))


def test_without_zeros_finds_the_bin_of_zero_inside_a_symmetric_range(rng):
    values = np.where(rng.random(4000) < 0.3, 0.0, rng.normal(size=4000))      # zeros in the middle bin
    edges = shared_edges([values], symmetric=True)
    out = without_zeros(histogram(values, edges), edges, np.count_nonzero(values == 0) / values.size)
    assert np.array_equal(out, histogram(values[values != 0], edges))


def test_without_zeros_changes_nothing_without_zeros(rng):
    values = np.tanh(rng.normal(size=1000))
    edges = shared_edges([values])
    counts = histogram(values, edges)
    assert np.array_equal(without_zeros(counts, edges, 0.0), counts)


def test_every_panel_shares_one_x_range_and_names_its_axes():
    narrow, wide = np.linspace(-0.1, 0.1, 51), np.linspace(-3.0, 3.0, 51)
    rows = [HistogramRow("before training", np.ones((2, 50)), narrow),
            HistogramRow("epoch 5", np.ones((2, 50)), wide, zeros=np.array([0.5, 0.0]))]
    fig = plot_histogram_grid(rows, ["hidden 1 (ReLU)", "output (Dense)"], log_counts=False, xlabel="output value")
    ranges = {ax.get_xlim() for ax in fig.axes}
    assert ranges == {(-3.0, 3.0)}                            # before and after on one x-range
    assert fig.axes[2].get_xlabel() == "output value" and "count" in fig.axes[0].get_ylabel()
    texts = [t.get_text() for t in fig.axes[2].texts]
    assert texts == ["exact zeros: 50%\n(not in the bars)"]  # said in the panel whose zeros were taken out
    assert len(fig.axes[3].texts) == 0


def test_a_deep_net_gets_one_row_per_layer_with_its_standard_deviation():
    edges = np.linspace(-1.0, 1.0, 51)
    stds = np.array([10.0 ** -k for k in range(10)])
    rows = [HistogramRow("before training", np.ones((10, 50)), edges, stds=stds),
            HistogramRow("epoch 3", np.ones((10, 50)), edges, stds=stds)]
    fig = plot_histogram_grid(rows, [f"hidden {i + 1} (Tanh)" for i in range(10)], log_counts=False)
    grid = np.array(fig.axes).reshape(10, 2)                   # rows: layers; columns: before, after
    assert [ax.get_title() for ax in grid[0]] == ["before training", "epoch 3"]
    assert grid[6, 0].get_ylabel().startswith("hidden 7 (Tanh)")
    assert [t.get_text() for t in grid[6, 1].texts] == ["std 1e-06"]   # a collapsed layer says how far


def test_panels_of_an_old_run_keep_their_fallback_name():
    from mlplab.report.histograms import panel_title
    assert panel_title({"index": 1, "type": "ReLU", "name": "hidden 1: Dense 4→4, ReLU"}) == "hidden 1 (ReLU)"
    assert panel_title({"index": 6, "type": "ReLU"}) == "layer 6 (ReLU)"
