"""Everything a report reads from a run directory, read once; the model and the test set on demand."""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np

from mlplab.builders import build_network
from mlplab.config import read_toml, resolve
from mlplab.data import load_dataset
from mlplab.diagnostics import Diagnostics, read_diagnostics
from mlplab.lr_plan import saved_schedule
from mlplab.network import load
from mlplab.report.classifier import TestPredictions
from mlplab.report.common import read_metrics
from mlplab.rundir import load_run


@dataclass
class RunInputs:
    """A run directory's config, summary, metrics and diagnostics (``diag`` None when not recorded)."""

    run_dir: Path
    config: dict[str, Any]
    summary: dict[str, Any]
    history: list[dict[str, float]]
    pretraining: list[dict[str, float]]
    diag: Diagnostics | None
    dataset_problem: str = ""         # why the dataset could not be loaded, once :attr:`dataset` has tried

    @classmethod
    def read(cls, run_dir: Path) -> RunInputs:
        if not (run_dir / "config.toml").is_file():
            raise FileNotFoundError(f"run_dir {str(run_dir)!r} holds no config.toml (is it an mlplab run directory?)")
        summary_path = run_dir / "summary.json"
        return cls(run_dir, resolve(read_toml(run_dir / "config.toml"), {}),
                   json.loads(summary_path.read_text()) if summary_path.is_file() else {},
                   read_metrics(run_dir), read_metrics(run_dir, "pretrain.csv"),
                   read_diagnostics(run_dir) if (run_dir / "diagnostics.json").is_file() else None)

    @property
    def diverged(self) -> dict[str, Any] | None:
        found = self.summary.get("diverged")
        return found if isinstance(found, dict) else None

    @property
    def final_test(self) -> dict[str, float]:
        return {k: float(self.summary[k]) for k in ("test_loss", "test_accuracy") if k in self.summary}

    # -- the network ---------------------------------------------------------------------------
    @cached_property
    def network(self) -> Any:
        """The trained model (``model.npz``), else the last checkpoint's (a diverged or interrupted run),
        else None."""
        for path in (self.run_dir / "model.npz", self.run_dir / "checkpoints" / "last.npz"):
            if path.is_file():
                return load(path)
        return None

    def initial_network(self) -> Any:
        """The network as it was initialised, rebuilt from the config's seed (the builder is
        deterministic), so that a figure can show what training changed; None for a data-driven init
        (LSUV) or when the rebuilt architecture is not the trained one's."""
        net = self.network
        if net is None or self.config.get("init") == "lsuv" or net.in_features is None:
            return None
        out = next((layer.out_features for layer in reversed(net.layers) if layer.affine), None)
        try:
            initial = build_network(self.config, net.in_features, out)
        except (ValueError, TypeError):
            return None
        return initial if initial.architecture() == net.architecture() else None

    # -- the learning rate ---------------------------------------------------------------------
    @property
    def steps_per_epoch(self) -> int | None:
        first = next((row for row in self.history if row.get("epoch") == 1 and row.get("step")), None)
        return int(first["step"]) if first else None

    def schedule(self) -> Any:
        """The run's learning-rate schedule as it ran, re-plans on resume included (the plan kept in the
        checkpoint; else rebuilt from the config); None when it cannot be."""
        spe = self.steps_per_epoch
        return saved_schedule(self.run_dir, self.config, spe) if spe else None

    def learning_rate_curve(self) -> tuple[list[float], list[float]]:
        """``(epochs, rates)``: the rate of every update, at the fraction of an epoch where it ends
        (from the schedule), else the rate of each epoch's last update (``metrics.csv``)."""
        schedule, spe = self.schedule(), self.steps_per_epoch
        steps = int(self.history[-1].get("step", 0)) if self.history else 0
        if schedule is not None and spe and steps:
            return [(t + 1) / spe for t in range(steps)], [float(schedule(t)) for t in range(steps)]
        rows = [row for row in self.history if "lr" in row]
        return [row["epoch"] for row in rows], [row["lr"] for row in rows]

    def record_learning_rates(self) -> list[float | None]:
        """The learning rate of the update each diagnostics record measured its update ratio on: the
        first update for the record before training, an epoch's last update for the others (whose rate
        ``metrics.csv`` holds).  None where unknown."""
        if self.diag is None:
            return []
        by_epoch = {int(row["epoch"]): row["lr"] for row in self.history if "lr" in row}
        schedule = self.schedule()
        rates: list[float | None] = []
        for record in self.diag.index["records"]:
            if record["epoch"] == 0 and record["step"] == 0:
                rates.append(float(schedule(0)) if schedule is not None else None)
            else:
                rates.append(by_epoch.get(int(record["epoch"])))
        return rates

    # -- the test set --------------------------------------------------------------------------
    @cached_property
    def dataset(self) -> Any:
        """The run's dataset (for the test set and its class names); None with the reason in
        ``dataset_problem`` when it cannot be loaded here (a user's file that has moved, say)."""
        try:
            data = self.config["data"]
            label_column = self.config.get("label_column") if str(data).endswith(".csv") else None
            return load_dataset(data, self.config["data_dir"], seed=self.config["seed"], label_column=label_column)
        except (OSError, ValueError) as err:
            self.dataset_problem = str(err)
            return None

    @cached_property
    def model_and_preprocessing(self) -> tuple[Any, Any] | None:
        """The finished model and its preprocessing (None for a run that did not finish)."""
        if not (self.run_dir / "model.npz").is_file():
            return None
        _, net, pre = load_run(self.run_dir)
        return net, pre

    @cached_property
    def test_predictions(self) -> TestPredictions | None:
        """The finished model's predictions on the test set (None without a model or the data)."""
        loaded, dataset = self.model_and_preprocessing, self.dataset
        if loaded is None or dataset is None:
            return None
        net, pre = loaded
        proba = np.asarray(net.predict_proba(pre.transform(dataset.X_test, net.dtype)), dtype=np.float64)
        predicted = proba.argmax(axis=1)
        names = dataset.label_names()
        names += [str(c) for c in range(len(names), proba.shape[1])]     # a class no split happens to hold
        return TestPredictions(np.asarray(dataset.y_test, dtype=np.int64), predicted,
                               proba[np.arange(predicted.size), predicted], names)
