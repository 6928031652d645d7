"""The array module, the dtype policy and seeded random generators.

All array math in mlplab goes through ``backend.xp`` so that a CuPy backend can be
dropped in by ``use("cupy")`` without touching the layers.  Randomness always comes
from an explicit ``numpy.random.Generator``; the global NumPy state is never used.
"""

from __future__ import annotations

from types import ModuleType
from typing import Any

import numpy

xp: ModuleType = numpy
"""The active array module (NumPy by default)."""

DTYPES: dict[str, Any] = {"float32": numpy.float32, "float64": numpy.float64}
DEFAULT_DTYPE = "float32"

BACKENDS = ("numpy", "cupy")


def use(name: str) -> ModuleType:
    """Select the array module by name (``"numpy"`` or ``"cupy"``) and return it."""
    global xp
    if name == "numpy":
        xp = numpy
    elif name == "cupy":
        try:
            import cupy  # type: ignore[import-not-found]
        except ImportError as err:  # pragma: no cover - depends on the machine
            raise ValueError(f"backend 'cupy' was requested but CuPy is not installed: {err}") from err
        xp = cupy
    else:
        raise ValueError(f"backend must be one of {BACKENDS}, got {name!r}")
    return xp


def resolve_dtype(dtype: Any = None) -> numpy.dtype:
    """Return the floating dtype named by ``dtype`` (``None`` means float32).

    Accepts ``"float32"``, ``"float64"`` or the NumPy types themselves.
    """
    if dtype is None:
        dtype = DEFAULT_DTYPE
    if isinstance(dtype, str):
        if dtype not in DTYPES:
            raise ValueError(f"dtype must be one of {sorted(DTYPES)}, got {dtype!r}")
        return numpy.dtype(DTYPES[dtype])
    try:
        resolved = numpy.dtype(dtype)
    except TypeError as err:
        raise ValueError(f"dtype must be one of {sorted(DTYPES)}, got {dtype!r}") from err
    if resolved.name not in DTYPES:
        raise ValueError(f"dtype must be one of {sorted(DTYPES)}, got {dtype!r}")
    return resolved


def make_rng(seed: int | numpy.random.Generator | None = None) -> numpy.random.Generator:
    """Return a ``numpy.random.Generator``: pass one through, or seed a new one.

    ``None`` draws fresh entropy from the OS; an ``int`` gives a reproducible stream.
    """
    if isinstance(seed, numpy.random.Generator):
        return seed
    if seed is not None and (isinstance(seed, bool) or not isinstance(seed, (int, numpy.integer)) or seed < 0):
        raise ValueError(f"seed must be a non-negative int, a numpy.random.Generator or None, got {seed!r}")
    return numpy.random.default_rng(seed)


def to_numpy(array: Any) -> numpy.ndarray:
    """Return ``array`` as a NumPy array (copies from the GPU when CuPy is active)."""
    if hasattr(array, "get"):
        return array.get()
    return numpy.asarray(array)
