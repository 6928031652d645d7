"""The seeds' experiments, one module each, run by ``mlplab experiment NAME`` (see :mod:`.base`)."""

from __future__ import annotations

import importlib
import json
from pathlib import Path
from types import ModuleType

from mlplab.experiments.base import Claim, Result, Table
from mlplab.validation import check_choice, check_positive_int

MODULES = {"init-activations": "init_activations", "symmetry": "symmetry", "activations": "activations",
           "dead-relu": "dead_relu", "batchnorm": "batchnorm", "hidden-units": "hidden_units",
           "pretraining": "pretraining", "depth-init": "depth_init"}


def experiment(name: str) -> ModuleType:
    """The module of experiment ``name`` (one of :data:`MODULES`)."""
    return importlib.import_module(f"mlplab.experiments.{MODULES[check_choice('experiment', name, MODULES)]}")


def run_experiment(name: str, out: str | Path, seeds: int = 5, quick: bool = False) -> Result:
    """Run one experiment; its figures, ``result.json`` and ``README.md`` go to ``out``."""
    seeds = check_positive_int("seeds", seeds)
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    result = experiment(name).run(out, seeds=seeds, quick=quick)
    result.write(out)
    return result


def load_result(folder: str | Path) -> Result:
    """A :class:`Result` back from the ``result.json`` an experiment wrote."""
    record = json.loads((Path(folder) / "result.json").read_text())
    record["claims"] = [Claim(c["claim"], c["measured"], c["reproduced"]) for c in record["claims"]]
    record["tables"] = [Table(**t) for t in record["tables"]]
    record["figures"] = [tuple(f) for f in record["figures"]]
    return Result(**record)


def write_page(results: list[Result], page: Path, figures_root: Path) -> None:
    """``EXPERIMENTS.md``: every experiment's claims, verdicts, tables and figures."""
    relative = figures_root.resolve().relative_to(page.resolve().parent) if figures_root.resolve().is_relative_to(
        page.resolve().parent) else figures_root.resolve()
    lines = ["# The seeds' experiments, reproduced", "",
             "Each section is written by `mlplab experiment NAME --out DIR`; this page by `mlplab experiment all "
             f"--out {relative} --page {page.name}`. Every claim of the lecture notes is turned into numbers "
             "measured over several seeds (mean ± standard deviation (min..max)), and the verdict is computed from "
             "them; a claim that does not reproduce says so.", "",
             "| experiment | claims reproduced |", "|---|---|"]
    for r in results:
        lines.append(f"| [`{r.name}`](#{r.name}) | {sum(c.reproduced for c in r.claims)} of {len(r.claims)} |")
    lines.append("")
    for r in results:
        lines += [f'<a id="{r.name}"></a>', "", r.markdown(f"{relative}/{r.name}")]
    page.write_text("\n".join(lines))


__all__ = ["MODULES", "experiment", "run_experiment", "write_page", "load_result", "Claim", "Result", "Table"]
