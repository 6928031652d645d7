"""What every experiment shares: results with claims and verdicts, tables, figures, and data helpers.

An experiment is a module with ``NAME``, ``TITLE``, ``SOURCE`` (where in the lecture notes or
the paper the claim is made), ``SEEDS`` and ``QUICK_SEEDS`` (its default replicates, full and
``--quick``) and ``run(out, seeds, quick) -> Result``.  It trains with the engine, the
:class:`~mlplab.train.Trainer` and :mod:`mlplab.diagnostics`, draws with :mod:`mlplab.report`'s
helpers, and states every claim as a :class:`~mlplab.experiments.verdict.Claim`: a statistic,
a direction and a threshold fixed in code, judged by a 95% interval over the replicates.
"""

from __future__ import annotations

import json
import math
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from mlplab.data import Preprocessor, load_dataset
from mlplab.atomic import write_text_atomic
from mlplab.experiments.verdict import VERDICTS, Claim
from mlplab.report import pyplot, save_figure
from mlplab.train import Callback


@dataclass
class Table:
    title: str
    header: list[str]
    rows: list[list[Any]]

    def markdown(self) -> str:
        lines = [f"**{self.title}**", "", "| " + " | ".join(self.header) + " |",
                 "|" + "---|" * len(self.header)]
        lines += ["| " + " | ".join(_escape(_cell(v)) for v in row) + " |" for row in self.rows]
        return "\n".join(lines)


def _escape(text: str) -> str:
    """A table cell's text with its pipes escaped (|dJ/dW| would split the cell)."""
    return str(text).replace("|", "\\|")


def _cell(value: Any) -> str:
    if isinstance(value, float):
        if math.isnan(value):
            return "-"
        return f"{value:.4g}"
    return str(value)


@dataclass
class Result:
    """What one run of an experiment found: claims with verdicts, tables, figures, notes.

    ``quick_verdicts`` maps a claim's text to the verdict of the experiment's ``--quick`` run, when
    that was run beside the full one; the page marks the claims where the two differ."""

    name: str
    title: str
    source: str
    seeds: int
    quick: bool
    claims: list[Claim] = field(default_factory=list)
    tables: list[Table] = field(default_factory=list)
    figures: list[tuple[str, str]] = field(default_factory=list)      # (file in the output folder, caption)
    notes: list[str] = field(default_factory=list)
    seconds: float = 0.0
    commit: str = ""
    quick_verdicts: dict[str, str] = field(default_factory=dict)

    def counts(self) -> dict[str, int]:
        return {verdict: sum(c.verdict == verdict for c in self.claims) for verdict in VERDICTS}

    def claims_markdown(self) -> list[str]:
        lines = ["| claim | statistic | estimate | 95% CI | predicted | n | verdict | baseline and context |",
                 "|---|---|---|---|---|---|---|---|"]
        for c in self.claims:
            verdict = f"**{c.verdict}**"
            quick = self.quick_verdicts.get(c.claim)
            if quick is not None and quick != c.verdict:
                verdict += f" (quick run: {quick})"
            lines.append(f"| {_escape(c.claim)} | {_escape(c.statistic)} | {_number(c.estimate)} | "
                         f"[{_number(c.ci95[0])}, {_number(c.ci95[1])}] | {c.direction} {_number(c.threshold)} | "
                         f"{c.n} | {verdict} | {_escape(c.baseline)} |")
        return lines

    def markdown(self, figure_dir: str = ".") -> str:
        mode = "quick" if self.quick else "full"
        commit = f", commit {self.commit}" if self.commit else ""
        lines = [f"## `{self.name}`: {self.title}", "",
                 f"*Source: {self.source}. Command: `mlplab experiment {self.name}"
                 f"{' --quick' if self.quick else ''} --seeds {self.seeds}` ({mode}, {self.seconds:.0f} s{commit}).*",
                 "", *self.claims_markdown()]
        if any(self.quick_verdicts.get(c.claim, c.verdict) != c.verdict for c in self.claims):
            lines += ["", "*A claim marked \"quick run: ...\" gets another verdict from `--quick`; the tests "
                          "assert only the claims on which the two agree.*"]
        for table in self.tables:
            lines += ["", table.markdown()]
        for file, caption in self.figures:
            lines += ["", f"![{caption}]({figure_dir}/{file})", "", f"*{caption}*"]
        if self.notes:
            lines += [""] + [f"- {note}" for note in self.notes]
        return "\n".join(lines) + "\n"

    def record(self) -> dict:
        """The ``result.json`` form: the claims with exactly :attr:`Claim.KEYS`; what each claim
        was compared against goes beside them, in ``claim_baselines``."""
        record = asdict(self)
        record["claims"] = [c.record() for c in self.claims]
        record["claim_baselines"] = [c.baseline for c in self.claims]
        return record

    def write(self, out: Path) -> None:
        out.mkdir(parents=True, exist_ok=True)
        write_text_atomic(out / "result.json", json.dumps(self.record(), indent=1, default=float) + "\n")
        write_text_atomic(out / "README.md", self.markdown("."))

    @classmethod
    def load(cls, folder: str | Path) -> "Result":
        """A :class:`Result` back from the ``result.json`` an experiment wrote."""
        record = json.loads((Path(folder) / "result.json").read_text())
        baselines = record.pop("claim_baselines", [""] * len(record["claims"]))
        record["claims"] = [Claim(**c, baseline=b) for c, b in zip(record["claims"], baselines)]
        record["tables"] = [Table(**t) for t in record["tables"]]
        record["figures"] = [tuple(f) for f in record["figures"]]
        return cls(**record)


def _number(value: float) -> str:
    if math.isnan(value):
        return "-"
    return f"{value:.3g}" if abs(value) >= 1e-3 or value == 0 else f"{value:.2e}"


def mean_spread(values: list[float], digits: int = 3) -> str:
    """``mean ± std (min..max)`` of per-seed values (just the value for one seed); NaN runs
    (never reached, diverged) are counted and left out of the statistics."""
    array = np.asarray(values, dtype=np.float64)
    finite = array[np.isfinite(array)]
    missing = f" [{array.size - finite.size} of {array.size}: NaN]" if finite.size < array.size else ""
    if finite.size == 0:
        return f"NaN ({array.size} runs)"
    if finite.size == 1:
        return f"{finite[0]:.{digits}g}{missing}"
    return (f"{finite.mean():.{digits}g} ± {finite.std(ddof=1):.2g} "
            f"({finite.min():.{digits}g}..{finite.max():.{digits}g}){missing}")


def load_split(data: str, n_train: int | None = None, seed: int = 0, dtype: str = "float32"
               ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """A dataset preprocessed on its training statistics; ``n_train`` keeps a seeded subset."""
    d = load_dataset(data, seed=0)
    X, y = d.X_train, d.y_train
    if n_train is not None and n_train < X.shape[0]:
        keep = np.sort(np.random.default_rng(seed).permutation(X.shape[0])[:n_train])
        X, y = X[keep], y[keep]
    mode = "scale" if d.pixel_max else "standardize"
    pre = Preprocessor(mode, d.pixel_max).fit(X)
    return pre.transform(X, dtype), y, pre.transform(d.X_test, dtype), d.y_test


class StepLosses(Callback):
    """Records the objective of every update (for steps-to-target and per-step curves)."""

    def __init__(self) -> None:
        self.losses: list[float] = []

    def on_batch_end(self, trainer: Any, step: int, loss: float) -> None:
        self.losses.append(loss)


def steps_to(losses: list[float], target: float, window: int = 20) -> float:
    """The first update after which the mean of the last ``window`` losses is <= ``target`` (NaN if never)."""
    running = np.convolve(np.asarray(losses), np.ones(window) / window, mode="valid")
    hit = np.nonzero(running <= target)[0]
    return float(hit[0] + window) if hit.size else math.nan


def plot_loss_curves(curves: dict[str, list[float]], target: float | None = None, log: bool = False,
                     window: int = 20) -> Any:
    """Training loss per update (running mean of ``window``), one line per label; the mean of updates
    1..k is drawn at update k, so the curves line up with :func:`steps_to`'s counts."""
    fig, ax = pyplot().subplots(figsize=(7.5, 4))
    for label, losses in curves.items():
        running = np.convolve(losses, np.ones(window) / window, mode="valid")
        ax.plot(np.arange(window, window + running.size), running, label=label)
    if target is not None:
        ax.axhline(target, color="k", lw=0.6, ls=":")
    if log:
        ax.set_yscale("log")
    ax.set_xlabel("update")
    ax.set_ylabel(f"training loss (running mean of {window})")
    return fig


def add_figure(result: Result, fig: Any, out: Path, file: str, caption: str) -> None:
    """Finish ``fig`` (grid, legend, layout), write it to ``out/file`` and list it in ``result``."""
    for ax in fig.axes:
        ax.grid(alpha=0.3, which="both")
        if ax.get_legend_handles_labels()[0]:
            ax.legend(fontsize=7)
    fig.tight_layout()
    save_figure(fig, out / file)
    result.figures.append((file, caption))


class Timer:
    def __init__(self) -> None:
        self.started = time.perf_counter()

    def seconds(self) -> float:
        return time.perf_counter() - self.started
