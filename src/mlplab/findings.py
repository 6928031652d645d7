"""Findings: what went wrong in a run, read from its recorded diagnostics, its curve and its summary.

TensorBoard and Keras draw the histograms and leave the reading to the user; mlplab reads them.
Every finding names its layers (the students' block names, :mod:`mlplab.naming`), the numbers
that were measured, the rule that fired, and the remedy the lecture notes give, with the
``mlplab experiment`` that shows it.  ``mlplab diagnose RUN`` prints them, ``summary.json`` keeps
them under ``"findings"`` and the report shows them at its top.

Which record is judged.  The per-layer rules read the *last* diagnostics record: the network as
training left it.  An initialisation that made the signal vanish but which training repaired is
not a broken run, and a network that was fine at initialisation and broke (ReLUs that died at a
high rate) is one.  Each such finding also quotes the same statistic before training, so a
student sees whether the run started that way or became so.  Update/weight ratios are the
exception: they are judged on every record taken at a learning rate at least ``LR_FLOOR`` of the
run's peak (a cosine schedule ends near 0, where every update is tiny by construction), as the
median per layer.

The rules (each code, its threshold and the reason for it) are :mod:`mlplab.findings_rules`.
"""

from __future__ import annotations

import csv
import json
import math
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from mlplab.diagnostics import Diagnostics, layer_name, read_diagnostics
from mlplab.naming import layer_range, short_name
from mlplab.remedies import advice
from mlplab.findings_rules import (
    CODES, SEVERE, ORDER, VANISH_RATIO, EXPLODE_RATIO, GRAD_VANISH_RATIO, GRAD_EXPLODE_RATIO, SATURATED_SHARE,
    DEAD_SHARE, CENTRE_RATIO, UPDATE_LOW, UPDATE_HIGH, UPDATE_STEP_HIGH, LR_FLOOR, OVERFIT_RISE, TITLES)

@dataclass(frozen=True)
class Finding:
    """One thing that went wrong (or is worth knowing), with its evidence and its remedy."""

    code: str          # one of CODES
    layers: list[str]  # short block names ("hidden 6", ...); [] for whole-run findings
    measured: str      # the numbers, in words
    threshold: str     # the rule that fired, in words
    advice: str        # the lecture's remedy with its citation, and the experiment that shows it

    def record(self) -> dict[str, Any]:
        """The finding as ``summary.json`` stores it."""
        return {"code": self.code, "layers": list(self.layers), "measured": self.measured,
                "threshold": self.threshold, "advice": self.advice}

    @classmethod
    def from_record(cls, record: Any) -> Finding:
        """The finding :meth:`record` stored; ValueError naming what is wrong with one that is not such a
        record (another version's code, a missing field)."""
        fields = ("code", "layers", "measured", "threshold", "advice")
        if not isinstance(record, dict) or set(record) != set(fields):
            raise ValueError(f"a stored finding must be a dict with the keys {list(fields)}, got {record!r}")
        if record["code"] not in CODES:
            raise ValueError(f"a stored finding's code must be one of {list(CODES)}, got {record['code']!r}")
        if not (isinstance(record["layers"], list) and all(isinstance(x, str) for x in record["layers"])
                and all(isinstance(record[k], str) for k in fields if k != "layers")):
            raise ValueError(f"a stored finding's layers must be a list of names and its other fields text, "
                             f"got {record!r}")
        return cls(**{k: record[k] for k in fields})

    @property
    def severe(self) -> bool:
        return self.code in SEVERE

    def headline(self) -> str:
        """One line: "hidden 5-9: activations vanish [vanishing-activations, severe]"."""
        where = layer_range(self.layers) if self.layers else "whole run"
        return f"{where}: {TITLES[self.code]} [{self.code}{', severe' if self.severe else ''}]"


# -- the rules ------------------------------------------------------------------------------------
def _num(x: float) -> str:
    return f"{x:.2g}" if x == 0 or 1e-3 <= abs(x) < 1e4 else f"{x:.1e}"


def _share(x: float) -> str:
    return f"{100 * x:.0f}%"


STATISTICS = ("act/std", "act/mean", "act/saturated", "act/dead", "act_grad/norm")   # what the layer rules read


@dataclass
class _Record:
    """The per-activation-layer statistics of one diagnostics record (:data:`STATISTICS`, in order)."""

    names: list[str]
    types: list[str]
    std: np.ndarray
    mean: np.ndarray
    saturated: np.ndarray
    dead: np.ndarray
    grad: np.ndarray

    @classmethod
    def of(cls, found: Diagnostics, r: int) -> "_Record":
        layers = found.index["activation_layers"]
        a = found.arrays
        return cls([short_name(layer_name(e)) for e in layers], [e["type"] for e in layers],
                   *(np.asarray(a[q][r], dtype=np.float64) for q in STATISTICS))


def _layer_findings(found: Diagnostics) -> list[Finding]:
    """The per-layer rules, on the last record (and, for comparison, the one before training)."""
    if not (found.index["records"] and found.index["activation_layers"]
            and all(q in found.arrays for q in STATISTICS)):
        return []                                  # nothing recorded, or a format without these statistics
    last, first = _Record.of(found, len(found.index["records"]) - 1), _Record.of(found, 0)
    epoch = found.index["records"][-1]["epoch"]
    when = f"after epoch {epoch}" if epoch else "before training"
    before = "" if epoch == 0 else "; before training: "
    n = len(last.names)
    findings: list[Finding] = []
    probe = found.index.get("probe_size", "the")

    def listing(values: np.ndarray, picked: list[int], fmt: Any = _num) -> str:
        return ", ".join(f"{fmt(values[j])} ({last.names[j]})" for j in picked)

    def add(code: str, picked: list[int], measured: str, threshold: str) -> None:
        findings.append(Finding(code, [last.names[j] for j in picked], measured, threshold,
                                advice(code, [last.types[j] for j in picked])))

    dead = [j for j in range(n) if last.dead[j] >= DEAD_SHARE]
    if dead:
        add("dead-units", dead, f"share of units that are 0 for every one of the {probe} probe examples, {when}: "
            f"{listing(last.dead, dead, _share)}" + (before + listing(first.dead, dead, _share) if before else "")
            + "; no gradient passes a dead unit",
            f"at least {_share(DEAD_SHARE)} of a layer's units dead")

    saturated = [j for j in range(n) if last.saturated[j] >= SATURATED_SHARE]       # NaN (rectifiers) never is
    if saturated:
        add("saturation", saturated, f"share of outputs saturated, {when}: {listing(last.saturated, saturated, _share)}"
            + (before + listing(first.saturated, saturated, _share) if before else ""),
            f"at least {_share(SATURATED_SHARE)} of a layer's outputs saturated (sigmoid < 0.01 or > 0.99, "
            f"|tanh| > 0.99)")

    if n >= 2:
        first_dead = min(dead, default=n)         # past a dead layer, a small signal is the death's doing
        ref = last.std[0]
        if ref > 0 and math.isfinite(ref):
            small = [j for j in range(1, first_dead) if last.std[j] < VANISH_RATIO * ref]
            big = [j for j in range(1, n) if last.std[j] > EXPLODE_RATIO * ref]
            for code, picked, word, ratio, pick in (("vanishing-activations", small, "falls", VANISH_RATIO, np.argmin),
                                                    ("exploding-activations", big, "grows", EXPLODE_RATIO, np.argmax)):
                if picked:
                    k = picked[int(pick(last.std[picked]))]
                    add(code, picked, f"activation std {word} from {_num(ref)} ({last.names[0]}) to "
                        f"{_num(last.std[k])} ({last.names[k]}), {when}" +
                        (f" (before training: {_num(first.std[0])} to {_num(first.std[k])})" if before else ""),
                        f"std {'below' if ratio < 1 else 'above'} {ratio:g} x {last.names[0]}'s "
                        f"({_num(ratio * ref)}); judged against the first hidden layer")
        ref = last.grad[-1]
        last_dead = max(dead, default=-1)         # before a dead layer, no gradient arrives: the death's doing
        if ref > 0 and math.isfinite(ref):
            small = [j for j in range(max(last_dead, 0), n - 1) if last.grad[j] < GRAD_VANISH_RATIO * ref]
            big = [j for j in range(n - 1) if last.grad[j] > GRAD_EXPLODE_RATIO * ref]
            for code, picked, word, ratio, pick in (("vanishing-gradients", small, "falls", GRAD_VANISH_RATIO,
                                                     np.argmin),
                                                    ("exploding-gradients", big, "grows", GRAD_EXPLODE_RATIO,
                                                     np.argmax)):
                if picked:
                    k = picked[int(pick(last.grad[picked]))]
                    add(code, picked, f"|dJ/dh| (gradient of the loss at a layer's output) {word} from "
                        f"{_num(ref)} ({last.names[-1]}) to {_num(last.grad[k])} ({last.names[k]}) on the way "
                        f"back to the input, {when}" +
                        (f" (before training: {_num(first.grad[-1])} to {_num(first.grad[k])})" if before else ""),
                        f"|dJ/dh| {'below' if ratio < 1 else 'above'} {ratio:g} x {last.names[-1]}'s "
                        f"({_num(ratio * ref)}); judged against the last hidden layer")

    off = [j for j in range(n) if last.std[j] > 0 and abs(last.mean[j]) >= CENTRE_RATIO * last.std[j]]
    if off:
        add("not-zero-centred", off, f"output mean / std, {when}: " + ", ".join(
            f"{_num(last.mean[j])} / {_num(last.std[j])} ({last.names[j]}, {last.types[j]})" for j in off)
            + "; the next layer's weight gradients then mostly share one sign",
            f"|mean| at least {CENTRE_RATIO:g} x std of a layer's outputs")
    return findings


def _update_findings(found: Diagnostics, history: list[dict[str, Any]]) -> list[Finding]:
    """Update/weight ratios: per layer, the median over the records taken at a working learning rate."""
    ratios = found.arrays.get("dW/update_ratio")
    layers = found.index.get("weight_layers", [])
    if ratios is None or not layers or not found.index["records"]:
        return []
    rates = {int(row["epoch"]): row["lr"] for row in history if _finite(row.get("lr"))}
    peak = max(rates.values(), default=math.nan)
    # record 0's ratio is the first step's, at the starting rate; the others at their epoch's last rate
    keep = [r for r, meta in enumerate(found.index["records"]) if meta["epoch"] == 0 or not math.isfinite(peak)
            or rates.get(int(meta["epoch"]), peak) >= LR_FLOOR * peak]
    with np.errstate(all="ignore"):
        chosen = np.asarray(ratios, dtype=np.float64)[keep]
        median = np.array([np.nanmedian(col) if np.isfinite(col).any() else math.nan for col in chosen.T])
    names = [short_name(layer_name(e)) for e in layers]
    moving = [j for j in range(len(layers)) if math.isfinite(median[j]) and median[j] > 0]    # frozen: ratio 0
    over = (f"median over the {len(keep)} records at a learning rate >= {LR_FLOOR:g} x the peak"
            + (f" ({_num(peak)})" if math.isfinite(peak) else ""))
    finite = np.where(np.isfinite(chosen), chosen, -np.inf)
    at = np.argmax(finite, axis=0)                       # the record of each layer's largest step
    largest = np.array([chosen[at[j], j] if np.isfinite(chosen[:, j]).any() else math.nan
                        for j in range(chosen.shape[1])])
    epochs = [found.index["records"][keep[at[j]]]["epoch"] for j in range(chosen.shape[1])]
    findings = []
    activations = [e["type"] for e in found.index["activation_layers"]]
    high = [j for j in moving if median[j] > UPDATE_HIGH or largest[j] > UPDATE_STEP_HIGH]
    if high:
        findings.append(Finding("update-ratio-high", [names[j] for j in high],
                                "||W_after - W_before|| / ||W_before|| of one step, " + over + ", and the largest: " +
                                ", ".join(f"median {_num(median[j])}, largest {_num(largest[j])} "
                                          f"({'first step' if epochs[j] == 0 else 'epoch ' + str(epochs[j])}) "
                                          f"({names[j]})" for j in high),
                                f"median ratio above {UPDATE_HIGH:g}, or one step above {UPDATE_STEP_HIGH:g} (the "
                                f"customary ratio is ~1e-3)", advice("update-ratio-high", activations)))
    low = [j for j in moving if median[j] < UPDATE_LOW]
    if low:
        findings.append(Finding("update-ratio-low", [names[j] for j in low],
                                "||W_after - W_before|| / ||W_before|| of one step, " + over + ": " +
                                ", ".join(f"{_num(median[j])} ({names[j]})" for j in low),
                                f"median ratio below {UPDATE_LOW:g} (the customary ratio is ~1e-3)",
                                advice("update-ratio-low", activations)))
    return findings


def _finite(x: Any) -> bool:
    return isinstance(x, (int, float)) and math.isfinite(x)


def _diverged(history: list[dict[str, Any]], summary: dict[str, Any]) -> list[Finding]:
    info = summary.get("diverged")
    if isinstance(info, dict):
        measured = (f"the loss became {info.get('loss')} at epoch {info.get('epoch')}, update {info.get('step')}, "
                    f"learning rate {info.get('lr')}")
    else:
        bad = [(row.get("epoch"), key, row[key]) for row in history for key in ("train_loss", "val_loss")
               if isinstance(row.get(key), float) and not math.isfinite(row[key])]
        if not bad:
            return []
        epoch, key, value = bad[0]
        measured = f"the {key.replace('_', ' ')} is {value} at epoch {epoch}"
    return [Finding("diverged", [], measured, "a training or validation loss that is NaN or infinite",
                    advice("diverged", []))]


def _overfitting(history: list[dict[str, Any]], summary: dict[str, Any]) -> list[Finding]:
    rows = [row for row in history if _finite(row.get("val_loss")) and _finite(row.get("train_loss"))]
    if len(rows) < 2:
        return []
    b = min(range(len(rows)), key=lambda i: rows[i]["val_loss"])
    best, end = rows[b], rows[-1]
    if not (b < len(rows) - 1 and end["val_loss"] >= (1 + OVERFIT_RISE) * best["val_loss"]
            and end["train_loss"] < best["train_loss"] and end["train_loss"] < end["val_loss"]):
        return []
    rise = end["val_loss"] / best["val_loss"] - 1
    measured = (f"validation loss rose from {best['val_loss']:.4g} (epoch {best['epoch']}) to {end['val_loss']:.4g} "
                f"(epoch {end['epoch']}), +{100 * rise:.0f}%, while the training loss fell from "
                f"{best['train_loss']:.4g} to {end['train_loss']:.4g}")
    if _finite(end.get("train_accuracy")) and _finite(end.get("val_accuracy")):
        measured += (f"; accuracy at the end: training {end['train_accuracy']:.1%}, validation "
                     f"{end['val_accuracy']:.1%}")
    if summary.get("stopped_early"):
        measured += f"; early stopping kept the weights of epoch {best['epoch']}"
    return [Finding("overfitting", [], measured, f"validation loss at least {100 * OVERFIT_RISE:.0f}% above its best, "
                    "at a later epoch, while the training loss falls below it", advice("overfitting", []))]


def diagnose(diagnostics: Diagnostics | None, history: list[dict[str, Any]],
             summary: dict[str, Any] | None = None) -> list[Finding]:
    """The findings of a run from its recorded ``diagnostics`` (None when it was off: only the curve's
    findings then), its per-epoch ``history`` rows (``metrics.csv``: ``epoch``, ``lr``, ``train_loss``,
    ``val_loss``, ...) and its ``summary``; ordered by :data:`ORDER`."""
    summary = summary or {}
    findings = _diverged(history, summary)
    if diagnostics is not None:
        findings += _layer_findings(diagnostics) + _update_findings(diagnostics, history)
    findings += _overfitting(history, summary)
    return sorted(findings, key=lambda f: ORDER.index(f.code))


def read_history(path: str | os.PathLike) -> list[dict[str, Any]]:
    """``metrics.csv`` as rows of numbers (an empty cell, such as a test column not filled, is NaN)."""
    def number(text: str) -> float:
        try:
            return float(text)
        except (TypeError, ValueError):           # an empty cell, or a row cut short
            return math.nan
    with open(path, newline="") as f:
        rows = [{key: number(value) for key, value in row.items()} for row in csv.DictReader(f)]
    for row in rows:                               # counts read back as the integers they were
        for key in ("epoch", "step"):
            if _finite(row.get(key)):
                row[key] = int(row[key])
    return rows


def diagnose_run(run_dir: str | os.PathLike, summary: dict[str, Any] | None = None) -> list[Finding]:
    """The findings of the run in ``run_dir``, from its ``diagnostics.json``/``.npz`` (if recorded),
    ``metrics.csv`` and ``summary.json`` (or the ``summary`` given, for a run writing it now)."""
    run_dir = Path(run_dir)
    if not run_dir.is_dir() or not any((run_dir / name).is_file() for name in
                                       ("config.toml", "metrics.csv", "summary.json")):
        raise FileNotFoundError(f"run_dir {str(run_dir)!r} is not an mlplab run folder "
                                f"(no config.toml, metrics.csv or summary.json)")
    if summary is None:
        path = run_dir / "summary.json"
        try:
            summary = json.loads(path.read_text()) if path.is_file() else {}
        except json.JSONDecodeError as err:
            raise ValueError(f"summary {str(path)!r} is not JSON ({err})") from None
    history = read_history(run_dir / "metrics.csv") if (run_dir / "metrics.csv").is_file() else []
    diagnostics = read_diagnostics(run_dir) if (run_dir / "diagnostics.json").is_file() else None
    return diagnose(diagnostics, history, summary)
