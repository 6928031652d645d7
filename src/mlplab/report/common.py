"""What every figure of the report shares: the pyplot handle, the per-layer colours, PNG output."""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Any

import numpy as np

from mlplab.notebook import in_notebook

FIGURE_DPI = 100
LAYER_COLORMAP = "viridis"


def pyplot() -> Any:
    """matplotlib.pyplot on the file-only Agg backend (imported on first use: training never loads it).
    In a Jupyter kernel the kernel's backend stays, so that figures keep showing inline; the report
    closes every figure it saves, so none of its own shows up there."""
    import matplotlib
    if not in_notebook():
        matplotlib.use("Agg")             # files only: no display, no GUI toolkit
    import matplotlib.pyplot as plt
    return plt


def read_metrics(run_dir: Path, name: str = "metrics.csv") -> list[dict[str, float]]:
    """The rows of a run's CSV table (``metrics.csv``, ``pretrain.csv``) as floats; empty cells are left out."""
    path = Path(run_dir) / name
    if not path.is_file():
        return []
    with open(path, newline="") as f:
        return [{k: float(v) for k, v in row.items() if v not in ("", None)} for row in csv.DictReader(f)]


def layer_colors(n: int) -> list[tuple[float, float, float, float]]:
    """``n`` colours, first layer dark to last layer light, distinct for any depth: a sequential colormap
    sampled once per layer (a 10-colour cycle repeats itself from the 11th layer on).  The top of
    viridis is left out: its pale yellow is hard to see on white."""
    plt = pyplot()
    cmap = plt.get_cmap(LAYER_COLORMAP)
    return [cmap(x) for x in np.linspace(0.0, 0.85, n)] if n > 1 else [cmap(0.0)] * n


def legend_beside(fig: Any, ax: Any, title: str | None = None) -> None:
    """The layer legend to the right of ``ax``, in columns of at most 12 rows, so a deep net's legend
    never covers its lines."""
    handles, labels = ax.get_legend_handles_labels()
    if handles:
        ax.legend(handles, labels, fontsize=7, title=title, title_fontsize=7, loc="upper left",
                  bbox_to_anchor=(1.01, 1.0), ncol=1 + (len(handles) - 1) // 12, frameon=False)


def figure_png(fig: Any, tight: bool = True) -> bytes:
    """``fig`` as PNG bytes (epoch axes get whole-number ticks); the figure is closed.  ``tight`` crops
    to what is drawn, legends placed beside the axes included."""
    from matplotlib.ticker import MaxNLocator
    for ax in fig.axes:
        if ax.get_xlabel() == "epoch":
            ax.xaxis.set_major_locator(MaxNLocator(integer=True))     # epochs are whole numbers
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=FIGURE_DPI, bbox_inches="tight" if tight else None)
    pyplot().close(fig)
    return buffer.getvalue()


def save_figure(fig: Any, path: Path, tight: bool = False) -> bytes:
    """Write ``fig`` as a PNG to ``path``, close it, and return the bytes written (the experiments'
    figures keep their set size: ``tight=False``)."""
    data = figure_png(fig, tight)
    Path(path).write_bytes(data)
    return data
