"""The normalisations a configured network can use, by name: the registry behind the config's ``norm``.

Each entry is what :func:`mlplab.mlp` is given for it and how a run's first line names it.  Today's
``mlp`` knows batch norm only (DD2424 lecture 4 places it after the affine map, before the
non-linearity); issue 19 adds ``layer`` and ``weight`` here, beside ``mlp(..., norm=...)``."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Norm:
    """One normalisation: the keyword arguments :func:`mlplab.mlp` takes for it, and its words."""
    mlp_args: dict[str, Any] = field(default_factory=dict)
    label: str = ""


NORMS: dict[str, Norm] = {
    "none": Norm({"batchnorm": False}, "no batch norm"),
    "batch": Norm({"batchnorm": True}, "batch norm"),
}
