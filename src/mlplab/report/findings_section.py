"""The findings at the top of the report: those ``summary.json`` keeps, which training computed with
:func:`mlplab.findings.diagnose_run` from the files it had just written; a run that has no summary yet
(interrupted) or one written by a version whose findings this one cannot read has them computed now.

Each finding is shown with its headline (the layers and what went wrong), what was measured, the
threshold that fired, and the lecture's advice; the severe ones (the run is broken) come first, in red.
"""

from __future__ import annotations

import html
from pathlib import Path
from typing import Any

from mlplab.findings import SEVERE, Finding, diagnose_run


def stored_findings(summary: dict[str, Any] | None) -> list[Finding] | None:
    """The findings ``summary.json`` keeps (``[]`` when it says there were none); None when it keeps
    none, or none this version can read."""
    records = (summary or {}).get("findings")
    if not isinstance(records, list):
        return None
    try:
        return [Finding.from_record(record) for record in records]
    except ValueError:                      # another version's findings: compute this version's instead
        return None


def run_findings(run_dir: Path, summary: dict[str, Any] | None = None) -> tuple[list[Any], frozenset[str], str]:
    """``(findings, severe codes, problem)``: the run's findings (those ``summary`` keeps, else computed
    from the run's files), the codes that mean a broken run, and why there are none to show when they
    could not be computed ("" otherwise)."""
    stored = stored_findings(summary)
    if stored is not None:
        return stored, frozenset(SEVERE), ""
    try:
        return list(diagnose_run(run_dir)), frozenset(SEVERE), ""
    except (OSError, ValueError) as err:       # a run without diagnostics or metrics: say so, keep the report
        return [], frozenset(SEVERE), f"the findings could not be computed: {err}"


def findings_html(findings: list[Any], severe: frozenset[str], problem: str = "") -> str:
    """The findings section: severe findings first, each with measured, threshold and advice."""
    if problem:
        body = f"<p class='muted'>No findings: {html.escape(problem)}.</p>"
    elif not findings:
        body = ("<p class='ok'>No findings: none of the checks of <code>mlplab diagnose</code> fired on this run "
                "(activations, gradients, saturation, dead units, update sizes, overfitting, divergence).</p>")
    else:
        ordered = sorted(findings, key=lambda f: f.code not in severe)          # stable: severe ones first
        items = []
        for finding in ordered:
            kind = "severe" if finding.code in severe else "warning"
            items.append(
                f"<div class='finding {kind}' data-code='{html.escape(finding.code)}'>"
                f"<p class='finding-headline'>{html.escape(finding.headline())}</p><dl>"
                f"<dt>measured</dt><dd>{html.escape(finding.measured)}</dd>"
                f"<dt>threshold</dt><dd>{html.escape(finding.threshold)}</dd>"
                f"<dt>advice</dt><dd>{html.escape(finding.advice)}</dd></dl></div>")
        n_severe = sum(f.code in severe for f in findings)
        summary = (f"{len(findings)} finding{'s' * (len(findings) != 1)}"
                   + (f", {n_severe} of them severe (the run is broken there)" if n_severe else ""))
        body = f"<p>{summary}; <code>mlplab diagnose</code> prints the same list.</p>{''.join(items)}"
    return f"<section id='findings'><h2>Findings</h2>{body}</section>"
