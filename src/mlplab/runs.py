"""A run directory as an object, for notebooks: ``ml.Run(run_dir)`` or ``ml.Run.train(...)``.

>>> run = ml.Run.train(data="digits", hidden=[64, 64], epochs=5, out="runs/digits", overwrite=True)
>>> run.summary["test_accuracy"], run.history[-1]["val_loss"]
>>> run.layer_table()          # one row per block ("hidden 1", ..., "output"), shown as a table
>>> run.plot_curves()          # matplotlib Figures, drawn by mlplab.report
>>> run                        # in Jupyter: the run's report.html, inline

Everything is read from the files the run wrote (``config.toml``, ``summary.json``, ``metrics.csv``,
``diagnostics.json``/``.npz``, ``model.npz``), each time it is asked for, so a ``Run`` of a run that
is still training shows how far it has got.
"""

from __future__ import annotations

import csv
import html
import json
import os
import tomllib
import warnings
from functools import cached_property
from pathlib import Path
from typing import Any, Callable, TypeVar

import numpy as np

from mlplab import backend as B
from mlplab.config import RunConfig
from mlplab.data import Preprocessor
from mlplab.diagnostics import QUANTITIES, Diagnostics, read_diagnostics
from mlplab.naming import short_name
from mlplab.network import load, read_npz
from mlplab.notebook import in_notebook
from mlplab.recipes import find
from mlplab.report import plot_curves, plot_gradient_norms, plot_histograms, plot_percentiles, write_report
from mlplab.run import train_run
from mlplab.train import TrainingDiverged

# The per-layer table's columns: (row key in Diagnostics.table(), heading)
LAYER_COLUMNS = (("pre_std", "pre-activation std"), ("act_mean", "activation mean"), ("act_std", "activation std"),
                 ("act_zero_fraction", "zeros"), ("act_dead", "dead units"), ("act_saturated", "saturated"),
                 ("grad_norm", "‖dJ/dh‖"), ("dW_norm", "‖dJ/dW‖"), ("update_ratio", "update/weight"))
T = TypeVar("T")
IFRAME_HEIGHT = 900            # px: the report scrolls inside it rather than lengthening the notebook


def kept_backend(call: Callable[[], T]) -> T:
    """``call()``; in a Jupyter kernel, a figure it returns is taken out of pyplot's list, so that it shows
    once, as the cell's value (the inline backend would show it again at the cell's end).  The kernel's
    backend itself is never switched: the report's ``pyplot()`` leaves it alone there."""
    result = call()
    if in_notebook():
        import matplotlib.figure
        import matplotlib.pyplot as plt
        if isinstance(result, matplotlib.figure.Figure):
            plt.close(result)
    return result


class LayerTable(list):
    """Rows (dicts) of per-layer statistics, one per block; Jupyter shows them as an HTML table."""

    def __init__(self, rows: list[dict[str, Any]], epoch: int) -> None:
        super().__init__(rows)
        self.epoch = epoch

    def column(self, key: str) -> list[float]:
        """One statistic down the network (``"act_std"``: the activations' spread, layer by layer)."""
        return [row[key] for row in self if key in row]

    def _repr_html_(self) -> str:
        keys = [(key, title) for key, title in LAYER_COLUMNS if any(key in row for row in self)]
        head = "".join(f"<th>{html.escape(title)}</th>" for _, title in keys)
        body = "".join("<tr><td style='text-align:left'>" + html.escape(row["name"]) + "</td>"
                       + "".join(f"<td>{_cell(row.get(key))}</td>" for key, _ in keys) + "</tr>" for row in self)
        when = "before training" if self.epoch == 0 else f"after epoch {self.epoch}"
        return (f"<table><caption>per-layer statistics on the probe batch, {when}</caption>"
                f"<tr><th>layer</th>{head}</tr>{body}</table>")


def _cell(value: Any) -> str:
    if value is None:
        return ""
    return "–" if value != value else f"{value:.3g}"        # NaN: not defined for this layer (saturation of ReLU)


class Run:
    """A run directory: what it was told (``config``), how it went (``summary``, ``history``), what
    was recorded inside (``diagnostics``, ``layer_table``), the trained ``model``, and its report."""

    def __init__(self, run_dir: str | os.PathLike) -> None:
        self.path = Path(run_dir)
        if not (self.path / "config.toml").is_file():
            raise FileNotFoundError(f"run_dir {str(self.path)!r} is not an mlplab run folder (no config.toml)")

    @classmethod
    def train(cls, config: str | os.PathLike | RunConfig | dict[str, Any] | None = None, *,
              progress: bool | None = None, overwrite: bool = False, **keys: Any) -> Run:
        """Train as ``mlplab train`` would and return the run: ``config`` is a recipe's name, a TOML
        file, a :class:`~mlplab.config.RunConfig` or a dict of config keys, and ``keys`` override it as
        flags do (``hidden=[64, 64]``, ``epochs=5``, ``out="runs/x"``).  A run whose loss becomes NaN is
        returned too, with a warning: its summary and report say where it diverged."""
        if isinstance(config, (RunConfig, dict)):
            resolved = RunConfig.of(config)
        elif isinstance(config, (str, os.PathLike)):
            resolved = RunConfig.from_toml(find(os.fspath(config)))
        elif config is None:
            resolved = RunConfig.defaults()
        else:
            raise TypeError(f"config must be a recipe name, a TOML path, a RunConfig or a dict, got "
                            f"{type(config).__name__}")
        resolved = resolved.merge(keys)
        try:
            kept_backend(lambda: train_run(resolved, progress=progress, overwrite=overwrite))
        except TrainingDiverged as err:
            warnings.warn(f"training stopped: {err}", RuntimeWarning, stacklevel=2)
        return cls(resolved.out)

    # -- what the run wrote --------------------------------------------------------------------
    @property
    def config(self) -> dict[str, Any]:
        """The resolved config (every key), as ``config.toml`` holds it."""
        return RunConfig.from_toml(self.path / "config.toml").to_dict()

    @property
    def stored_config(self) -> dict[str, Any]:
        """``config.toml`` as written, with any mlplab version's keys (``config`` resolves it against this
        version's, and refuses keys it does not know)."""
        return tomllib.loads((self.path / "config.toml").read_text())

    @property
    def summary(self) -> dict[str, Any]:
        """``summary.json``: test metrics, network, init, findings (empty while training)."""
        path = self.path / "summary.json"
        return json.loads(path.read_text()) if path.is_file() else {}

    @property
    def history(self) -> list[dict[str, float]]:
        """``metrics.csv``: a dict per epoch (``epoch``, ``lr``, ``train_loss``, ``val_accuracy``, ...)."""
        path = self.path / "metrics.csv"
        if not path.is_file():
            return []
        with open(path, newline="") as f:
            return [{k: float(v) for k, v in row.items() if v not in ("", None)} for row in csv.DictReader(f)]

    @property
    def diagnostics(self) -> Diagnostics | None:
        """The recorded per-layer statistics (:class:`mlplab.diagnostics.Diagnostics`); None when the
        run was trained with ``diagnostics = "off"``."""
        return read_diagnostics(self.path) if (self.path / "diagnostics.json").is_file() else None

    def layer_table(self, epoch: int | None = None) -> LayerTable:
        """One row per block ("hidden 1", ..., "output") at a recorded ``epoch`` (None: the last; 0:
        before training): its activation layer's statistics beside its weight gradient's."""
        diag = self.diagnostics
        if diag is None:
            raise ValueError(f"run {str(self.path)!r} recorded no diagnostics (trained with diagnostics = 'off')")
        blocks: dict[str, dict[str, Any]] = {}
        for row in sorted(diag.table(epoch), key=lambda row: row["layer"]):
            block = blocks.setdefault(short_name(row["name"]), {"name": row["name"]})
            block.update({k: v for k, v in row.items() if k not in ("layer", "type", "name")})
        return LayerTable(list(blocks.values()), diag.epochs[diag.record_at(epoch)])

    @cached_property
    def model(self) -> Any:
        """The trained network (``model.npz``; a diverged or interrupted run's last checkpoint)."""
        for path in (self.path / "model.npz", self.path / "checkpoints" / "last.npz"):
            if path.is_file():
                return load(path)
        raise FileNotFoundError(f"run {str(self.path)!r} holds no model.npz and no checkpoint")

    @cached_property
    def preprocessor(self) -> Any:
        """The preprocessing fitted on the run's training data (``preprocess.npz``)."""
        return Preprocessor.from_arrays(read_npz(self.path / "preprocess.npz", "preprocessing file"))

    def predict(self, X: Any, batch_size: int = 2000) -> np.ndarray:
        """The model's classes for raw features ``X`` (as the dataset holds them: the run's
        preprocessing is applied first, in the model's dtype), computed ``batch_size`` rows at a time."""
        model, X = self.model, np.asarray(X)
        return np.array([label for start in range(0, X.shape[0], batch_size) for label in B.to_numpy(
            model.forward(self.preprocessor.transform(X[start:start + batch_size], model.dtype), train=False)
        ).argmax(axis=1)], dtype=np.int64)

    @property
    def report_path(self) -> Path:
        return self.path / "report.html"

    def report(self, rewrite: bool = False) -> Path:
        """``report.html``, written (:func:`mlplab.report.write_report`) if missing or ``rewrite``."""
        if rewrite or not self.report_path.is_file():
            kept_backend(lambda: write_report(self.path))
        return self.report_path

    # -- figures (matplotlib Figures drawn by mlplab.report, as the report shows them) -----------
    def plot_curves(self) -> Any:
        """Loss and accuracy per epoch."""
        return kept_backend(lambda: plot_curves(self.history, self.summary.get("diverged")))

    def plot_histograms(self, quantity: str = "act", log_counts: bool | None = None) -> Any:
        """Per-layer histograms before training and at the last record: ``quantity`` is ``"act"``
        (activations), ``"pre"``, ``"act_grad"`` (dJ/dh) or ``"dW"``; gradients get log counts."""
        if quantity not in QUANTITIES:
            raise ValueError(f"quantity {quantity!r}: valid: {', '.join(QUANTITIES)}")
        log = quantity in ("act_grad", "dW") if log_counts is None else log_counts
        diag = self._recorded()
        return kept_backend(lambda: plot_histograms(diag, quantity, log))

    def plot_percentiles(self) -> Any:
        """The 15/50/85th percentiles of each layer's pre-activation over training."""
        diag = self._recorded()
        return kept_backend(lambda: plot_percentiles(diag))

    def plot_gradient_norms(self) -> Any:
        """Each layer's gradient norm over training."""
        diag = self._recorded()
        return kept_backend(lambda: plot_gradient_norms(diag))

    def _recorded(self) -> Diagnostics:
        diag = self.diagnostics
        if diag is None:
            raise ValueError(f"run {str(self.path)!r} recorded no diagnostics (trained with diagnostics = 'off')")
        return diag

    # -- display -------------------------------------------------------------------------------
    def __repr__(self) -> str:
        summary = self.summary
        found = f"test accuracy {summary['test_accuracy']:.4f}" if "test_accuracy" in summary else \
            "diverged" if "diverged" in summary else "not finished"
        return f"Run({str(self.path)!r}: {summary.get('network', self.config['data'])}; {found})"

    def _repr_html_(self) -> str:
        """The run's report, inline: the self-contained page in an iframe (its styles stay inside)."""
        page = self.report().read_text()
        return (f"<iframe srcdoc=\"{html.escape(page, quote=True)}\" style=\"width:100%;height:{IFRAME_HEIGHT}px;"
                f"border:1px solid #ccc\"></iframe><p><code>{html.escape(str(self.report_path))}</code></p>")
