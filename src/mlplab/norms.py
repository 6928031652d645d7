"""The normalisations a configured network can use, by name: the registry behind the config's ``norm``.

Each entry is what :func:`mlplab.mlp` is given for it and how a run's first line names it.  Batch and
layer norm sit after each hidden affine map, before the non-linearity (where DD2424 lecture 4 places
batch norm); weight norm reparameterises each hidden affine map instead (``WeightNormDense``)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Norm:
    """One normalisation: the keyword arguments :func:`mlplab.mlp` takes for it, and its words."""
    mlp_args: dict[str, Any] = field(default_factory=dict)
    label: str = ""


NORMS: dict[str, Norm] = {
    "none": Norm({"norm": "none"}, "no batch norm"),
    "batch": Norm({"norm": "batch"}, "batch norm"),
    "layer": Norm({"norm": "layer"}, "layer norm"),
    "weight": Norm({"norm": "weight"}, "weight norm"),
}
