import numpy as np

from mlplab.diagnostics import Diagnostics
from mlplab.report.common import layer_colors
from mlplab.report.over_training import (RATIO_TARGET, fraction_panels, kept_records, plot_fractions,
                                         plot_update_ratios)


def _diag(types: list[str], epochs: int = 3, ratio: float = 1e-3) -> Diagnostics:
    k = len(types)
    index = {"records": [{"epoch": e, "step": 10 * e, "probe_loss": 1.0} for e in range(epochs)],
             "activation_layers": [{"index": 2 * i + 1, "type": t, "name": f"hidden {i + 1}: Dense 4→4, {t}"}
                                   for i, t in enumerate(types)],
             "weight_layers": [{"index": 2 * i, "type": "Dense", "name": f"hidden {i + 1}: Dense 4→4"}
                               for i in range(k)]}
    saturated = np.full((epochs, k), np.nan)
    saturated[:, [i for i, t in enumerate(types) if t in ("Tanh", "Sigmoid")]] = 0.5
    arrays = {"act/dead": np.zeros((epochs, k)), "act/saturated": saturated,
              "dW/update_ratio": np.full((epochs, k), ratio)}
    return Diagnostics(index, arrays)


def test_colours_are_distinct_for_any_depth():
    for n in (1, 2, 10, 11, 30):
        colours = layer_colors(n)
        assert len(colours) == n and len(set(colours)) == n


def test_no_saturation_panel_for_a_relu_net_and_no_dead_panel_for_a_tanh_net():
    assert [name for name, _ in fraction_panels(_diag(["ReLU"] * 3))] == ["act/dead"]
    assert [name for name, _ in fraction_panels(_diag(["Tanh"] * 3))] == ["act/saturated"]
    assert plot_fractions(_diag(["ELU"] * 2)) is None                  # neither defined: no empty figure
    fig = plot_fractions(_diag(["ReLU"] * 12))
    assert len(fig.axes) == 1 and len(fig.axes[0].get_lines()) == 12
    assert fig.axes[0].get_xlabel() == "epoch" and fig.axes[0].get_ylabel()


def test_records_at_a_learning_rate_of_zero_are_left_out():
    assert kept_records([0.1, 0.05, 0.0]) == [True, True, False]
    assert kept_records([0.1, 0.05, 1e-9]) == [True, True, False]       # a cosine schedule's last update
    assert kept_records([0.1, None, 2e-3]) == [True, True, True]
    assert kept_records([0.1, 0.05, 5e-4]) == [True, True, False]          # under 1% of the peak
    diag = _diag(["ReLU"] * 2)
    diag.arrays["dW/update_ratio"][-1] = 1e-12                          # what the step at lr ~0 measures
    fig = plot_update_ratios(diag, [0.1, 0.05, 0.0])
    ax = fig.axes[0]
    layer_lines = [line for line in ax.get_lines() if line.get_label().startswith("hidden")]
    assert all(list(line.get_xdata()) == [0, 1] for line in layer_lines)
    assert ax.get_ylim()[0] > 1e-6                                      # the axis is not squashed
    assert any(line.get_ydata()[0] == RATIO_TARGET for line in ax.get_lines())   # the 1e-3 line
    assert "1 record at learning rate ~0 left out" in ax.get_title()
