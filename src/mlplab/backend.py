"""The active backend (array namespace, device, ops), the dtype policy and seeded generators.

All array math in mlplab goes through the active backend: ``backend.xp`` is its array
namespace (the array API standard, through array-api-compat) and ``backend.ops()`` its
:class:`mlplab.ops.Ops`, which picks the fastest implementation of each primitive.  ``use(name, device)``
sets it (for the process, and for the current context, which a ``with`` block restores on leaving)::

    with mlplab.backend.use("torch", device="cuda"):
        net = ml.mlp(784, [1000], 10)          # params are torch tensors on the GPU

Randomness always comes from an explicit ``numpy.random.Generator`` on the host (the global
NumPy state is never used), so a seed gives the same weights, batches and dropout masks on
every backend; arrays move to the device once they are drawn.
"""

from __future__ import annotations

import contextvars
from dataclasses import dataclass
from types import ModuleType
from typing import Any

import numpy

from mlplab.ops import Ops, ops_for

NAMES = ("numpy", "torch", "cupy", "array_api_strict")
"""The backends ``use`` knows; each but NumPy is imported only when chosen."""

DTYPES: dict[str, Any] = {"float32": numpy.float32, "float64": numpy.float64}
DEFAULT_DTYPE = "float32"


@dataclass(frozen=True)
class Backend:
    """One choice of array library: its namespace ``xp``, the ``device`` arrays live on, and its ops."""

    name: str
    xp: ModuleType
    device: Any
    ops: Ops

    def describe(self) -> str:
        return self.name if self.device is None else f"{self.name} ({self.device})"


def _namespace(name: str) -> ModuleType:
    """The array-API namespace of ``name``; a missing library is one line naming how to get it."""
    install = {"torch": "pip install torch", "cupy": "pip install cupy-cuda12x (needs a CUDA GPU)",
               "array_api_strict": "pip install array-api-strict"}
    try:
        if name == "numpy":
            import array_api_compat.numpy as xp
        elif name == "torch":
            import array_api_compat.torch as xp
        elif name == "cupy":
            import array_api_compat.cupy as xp
        else:
            import array_api_strict as xp
    except ImportError as err:
        raise ValueError(f"backend {name!r} was requested but cannot be imported ({err}); {install[name]}") from None
    return xp


def _check_device(name: str, xp: ModuleType, device: Any) -> Any:
    """The device as the library names it (None: the library's default); refuses one it does not have."""
    if device is None:
        return None
    if name == "torch":
        import torch
        try:
            resolved = torch.device(device)
            torch.empty(0, device=resolved)
        except (RuntimeError, AssertionError, TypeError) as err:
            raise ValueError(f"device {device!r} is not usable with backend 'torch': {err}") from None
        return resolved
    if name == "cupy":
        import cupy
        try:
            resolved = cupy.cuda.Device(int(str(device).removeprefix("cuda").lstrip(":") or 0))
            resolved.use()
        except (ValueError, cupy.cuda.runtime.CUDARuntimeError) as err:
            raise ValueError(f"device {device!r} is not usable with backend 'cupy': {err}") from None
        return resolved
    if str(device) != "cpu":
        raise ValueError(f"device {device!r} is not usable with backend {name!r}: it runs on the CPU only")
    return None


def make_backend(name: str, device: Any = None) -> Backend:
    """Build the backend ``name`` on ``device`` (without making it the active one)."""
    if name not in NAMES:
        raise ValueError(f"backend must be one of {NAMES}, got {name!r}")
    xp = _namespace(name)
    device = _check_device(name, xp, device)
    return Backend(name, xp, device, ops_for(name, xp, device))


# Two layers: the process-wide default (what a plain ``use`` call sets, so that it holds in a new
# thread and in the next notebook cell, which some Jupyter kernels run in a fresh context), and the
# context's own choice inside a ``with`` block (so concurrent tasks can each hold their own).
_CURRENT: contextvars.ContextVar[Backend | None] = contextvars.ContextVar("mlplab_backend", default=None)
_DEFAULT: Backend | None = None


def current() -> Backend:
    """The active backend: the enclosing ``with use(...)``'s, else the last ``use``'s, else NumPy."""
    backend = _CURRENT.get()
    if backend is not None:
        return backend
    global _DEFAULT
    if _DEFAULT is None:
        _DEFAULT = make_backend("numpy")
    return _DEFAULT


class _Selection:
    """What ``use`` returns: the choice is made already; ``with`` undoes it on leaving."""

    def __init__(self, backend: Backend) -> None:
        global _DEFAULT
        self.backend = backend
        self._previous_default = _DEFAULT
        _DEFAULT = backend
        self._token = _CURRENT.set(backend)

    def __enter__(self) -> Backend:
        return self.backend

    def __exit__(self, *exc: Any) -> None:
        global _DEFAULT
        _CURRENT.reset(self._token)
        _DEFAULT = self._previous_default


def use(name: str = "numpy", device: Any = None) -> _Selection:
    """Make ``name`` (``numpy``, ``torch``, ``cupy``, ``array_api_strict``) on ``device`` the active
    backend: at once, and until the ``with`` block ends when used as a context manager."""
    return _Selection(make_backend(name, device))


def ops() -> Ops:
    """The active backend's ops (every layer and optimizer computes through them)."""
    return current().ops


def __getattr__(attribute: str) -> Any:
    if attribute == "xp":                 # backend.xp: the active namespace, looked up on every use
        return current().xp
    raise AttributeError(f"module 'mlplab.backend' has no attribute {attribute!r}")


def asarray(array: Any, dtype: Any = None) -> Any:
    """``array`` (host data, or already the backend's) as an array of the active backend and device."""
    backend = current()
    if dtype is not None:
        dtype = getattr(backend.xp, resolve_dtype(dtype).name)
    if backend.device is None:
        return backend.xp.asarray(array, dtype=dtype)
    return backend.xp.asarray(array, dtype=dtype, device=backend.device)


def is_host(array: Any) -> bool:
    """True for NumPy arrays (what the C kernels and direct BLAS calls can take)."""
    return isinstance(array, numpy.ndarray)


def resolve_dtype(dtype: Any = None) -> numpy.dtype:
    """Return the floating dtype named by ``dtype`` (``None`` means float32).

    Accepts ``"float32"``, ``"float64"``, the NumPy types, or a backend's float dtype.
    """
    if dtype is None:
        dtype = DEFAULT_DTYPE
    if isinstance(dtype, str):
        if dtype not in DTYPES:
            raise ValueError(f"dtype must be one of {sorted(DTYPES)}, got {dtype!r}")
        return numpy.dtype(DTYPES[dtype])
    name = str(dtype).rsplit(".", 1)[-1]             # torch.float64, array_api_strict.float32, ...
    if name in DTYPES and not isinstance(dtype, (type, numpy.dtype)):
        return numpy.dtype(DTYPES[name])
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
    """``array`` as a NumPy array on the host (a copy from a GPU; NumPy arrays pass through)."""
    if isinstance(array, numpy.ndarray):
        return array
    if hasattr(array, "detach"):                      # torch, on any device
        return array.detach().cpu().numpy()
    if hasattr(array, "get") and hasattr(array, "device"):   # CuPy
        return array.get()
    return numpy.asarray(array)
