"""Where the lecture notes are wrong or ambiguous, and what mlplab does instead (EXPERIMENTS.md's last section)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Erratum:
    where: str          # the lecture and the place in it
    says: str           # what the notes say
    problem: str        # why it is wrong or ambiguous
    mlplab: str         # what mlplab does, and where it shows


ERRATA: list[Erratum] = []


def errata_markdown() -> str:
    """The errata as a Markdown section."""
    lines = ['<a id="errata"></a>', "", "## Errata: where the lecture notes are wrong or ambiguous", ""]
    if not ERRATA:
        return "\n".join(lines + ["(none recorded)", ""])
    lines += ["| where | the notes say | the problem | what mlplab does |", "|---|---|---|---|"]
    lines += [f"| {e.where} | {e.says} | {e.problem} | {e.mlplab} |".replace("\n", " ") for e in ERRATA]
    return "\n".join(lines) + "\n"
