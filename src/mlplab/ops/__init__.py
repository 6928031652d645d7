"""One handle for all array math (modelled on thinc's ``Ops``): the layers and optimizers ask the
active backend's ops for each primitive, and which implementation runs is decided here.

- :class:`Ops` (``base.py``): the reference, written against the array API standard; it runs on
  PyTorch (CPU or CUDA), CuPy and ``array_api_strict``.
- :class:`NumpyOps` (``numpy_ops.py``): NumPy, with the C kernels and BLAS-with-``beta`` where the
  arrays allow.
"""

from __future__ import annotations

from types import ModuleType
from typing import Any

from mlplab.ops.base import Ops
from mlplab.ops.numpy_ops import NumpyOps

OPS_BY_BACKEND: dict[str, type[Ops]] = {"numpy": NumpyOps}
"""The ops class of each backend that has a faster one than the reference."""


def ops_for(name: str, xp: ModuleType, device: Any = None) -> Ops:
    """The ops for backend ``name`` with namespace ``xp`` on ``device``."""
    return OPS_BY_BACKEND.get(name, Ops)(xp, device)


__all__ = ["Ops", "NumpyOps", "OPS_BY_BACKEND", "ops_for"]
