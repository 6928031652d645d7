"""The lecture notes' experiments, one module each, run by ``mlplab experiment NAME`` (see :mod:`.base`)."""

from __future__ import annotations

import importlib
import subprocess
from pathlib import Path
from types import ModuleType

from threadpoolctl import threadpool_limits

from mlplab.experiments.base import Result, Table
from mlplab.experiments.errata import errata_markdown
from mlplab.experiments.verdict import VERDICTS, Claim
from mlplab.validation import check_choice

MODULES = {"init-activations": "init_activations", "symmetry": "symmetry", "activations": "activations",
           "dead-relu": "dead_relu", "batchnorm": "batchnorm", "hidden-units": "hidden_units",
           "pretraining": "pretraining", "depth-init": "depth_init",
           "perceptron": "perceptron", "beyond-bn": "beyond_bn"}


def experiment(name: str) -> ModuleType:
    """The module of experiment ``name`` (one of :data:`MODULES`)."""
    return importlib.import_module(f"mlplab.experiments.{MODULES[check_choice('experiment', name, MODULES)]}")


def default_seeds(name: str, quick: bool = False) -> int:
    """The replicates experiment ``name`` runs by default (``SEEDS``, or ``QUICK_SEEDS`` with ``quick``)."""
    module = experiment(name)
    return module.QUICK_SEEDS if quick else module.SEEDS


def run_experiment(name: str, out: str | Path, seeds: int | None = None, quick: bool = False) -> Result:
    """Run one experiment; its figures, ``result.json`` and ``README.md`` go to ``out``."""
    if seeds is None:
        seeds = default_seeds(name, quick)
    if isinstance(seeds, bool) or not isinstance(seeds, int) or seeds < 2:
        raise ValueError(f"seeds must be an integer >= 2 (a confidence interval needs two replicates), got {seeds!r}")
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    # One BLAS thread: a threaded GEMM sums in another order, and a rate chosen on a knife edge (dead-relu's
    # quick run) flipped between 1 and 2 threads. So a result is the same bit for bit on any number of cores
    # (the stored ones were made so); it still depends on the CPU's BLAS kernels.
    with threadpool_limits(limits=1, user_api="blas"):
        result = experiment(name).run(out, seeds=seeds, quick=quick)
    result.commit = _commit()
    result.write(out)
    return result


def _commit() -> str:
    """The source's git commit (with '+' when the tree has changes), or '' outside a checkout."""
    root = Path(__file__).resolve().parents[3]
    try:
        head = subprocess.run(["git", "-C", str(root), "rev-parse", "--short", "HEAD"], capture_output=True,
                              text=True, timeout=10)
        dirty = subprocess.run(["git", "-C", str(root), "status", "--porcelain", "--", "src"], capture_output=True,
                               text=True, timeout=10)
    except (OSError, subprocess.SubprocessError):
        return ""
    if head.returncode != 0:
        return ""
    return head.stdout.strip() + ("+" if dirty.stdout.strip() else "")


def load_result(folder: str | Path) -> Result:
    """A :class:`Result` back from the ``result.json`` an experiment wrote; when a ``quick/`` run
    was stored beside it, its verdicts come along as ``quick_verdicts``."""
    result = Result.load(folder)
    quick = Path(folder) / "quick"
    if not result.quick and (quick / "result.json").is_file():
        result.quick_verdicts = {c.claim: c.verdict for c in Result.load(quick).claims}
    return result


def write_page(results: list[Result], page: Path, figures_root: Path) -> None:
    """``EXPERIMENTS.md``: every experiment's claims, intervals, verdicts, tables and figures."""
    relative = figures_root.resolve().relative_to(page.resolve().parent) if figures_root.resolve().is_relative_to(
        page.resolve().parent) else figures_root.resolve()
    lines = ["# The lecture notes' experiments, reproduced", "",
             "Each section is written by `mlplab experiment NAME --out DIR`; this page by `mlplab experiment all "
             f"--out {relative} --page {page.name}`.", "",
             "**How to read a verdict.** Every claim names a statistic, the direction the lecture notes (or the "
             "paper they cite) predict, and a threshold, all fixed in code before the run. Each seed (or, where "
             "stated, each weight draw) gives one value of the statistic; when two arms share seeds the value is "
             "their per-seed difference or ratio (paired). The 95% interval is Student's t interval of the mean "
             "(ratios on the log scale; shares of runs by Wilson's interval). The claim is **reproduced** when the "
             "whole interval lies on the predicted side of the threshold, **not reproduced** when it lies wholly "
             "on the other side, and **inconclusive** when it straddles it. The last column says what the claim "
             "was compared against, and how well that baseline itself learned.", "",
             "| experiment | reproduced | not reproduced | inconclusive |", "|---|---|---|---|"]
    for r in results:
        counts = r.counts()
        lines.append(f"| [`{r.name}`](#{r.name}) | " + " | ".join(str(counts[v]) for v in VERDICTS) + " |")
    lines.append("")
    for r in results:
        lines += [f'<a id="{r.name}"></a>', "", r.markdown(f"{relative}/{r.name}")]
    lines += [errata_markdown()]
    page.write_text("\n".join(lines))


__all__ = ["MODULES", "experiment", "default_seeds", "run_experiment", "write_page", "load_result", "Claim",
           "Result", "Table"]
