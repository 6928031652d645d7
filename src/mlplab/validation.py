"""Input checks at the edge: every message names the argument and the value."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np

from array_api_compat import array_namespace

from mlplab import backend as B


def shown(value: Any) -> str:
    """``value`` as a message shows it: an integer as an integer (``0``, never ``0.0``), a float by its
    repr, a NumPy scalar like the Python number it holds (``0.5``, not ``np.float64(0.5)``)."""
    if isinstance(value, (np.integer, np.floating, np.bool_)):
        value = value.item()
    return repr(value)


def check_positive_int(name: str, value: Any) -> int:
    """Return ``value`` as an int, or raise if it is not an integer >= 1."""
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
        raise ValueError(f"{name} must be a positive integer, got {shown(value)}")
    return int(value)


def check_number(name: str, value: Any, *, low: float | None = None, high: float | None = None,
                 low_open: bool = False, high_open: bool = False) -> float:
    """Return ``value`` as a float after checking it is finite and inside the given range.  A message
    shows the value as given (``batch_size must be >= 1, got 0``: an integer stays one)."""
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise TypeError(f"{name} must be a number, got {shown(value)}")
    number = float(value)
    if not np.isfinite(number):
        raise ValueError(f"{name} must be finite, got {shown(value)}")
    if low is not None and (number < low or (low_open and number == low)):
        raise ValueError(f"{name} must be {'>' if low_open else '>='} {low}, got {shown(value)}")
    if high is not None and (number > high or (high_open and number == high)):
        raise ValueError(f"{name} must be {'<' if high_open else '<='} {high}, got {shown(value)}")
    return number


def check_choice(name: str, value: Any, choices: Iterable[str]) -> str:
    """Return ``value`` if it is one of ``choices``, otherwise list the valid ones."""
    choices = list(choices)
    if not isinstance(value, str) or value not in choices:
        raise ValueError(f"unknown {name} {value!r}; valid: {', '.join(sorted(choices))}")
    return value


def check_float_array(name: str, x: Any, *, ndim: int | None = None, dtype: Any = None,
                      finite: bool = True) -> Any:
    """Return ``x`` as a floating array of ``dtype`` on the active backend.

    Integer and boolean arrays are converted (uint8 images are common); complex,
    object and string arrays are refused, as are NaN/inf values when ``finite``.
    Host data (lists, NumPy arrays) is checked on the host, then moved to the backend's device.
    """
    on_backend = not isinstance(x, np.ndarray) and _is_backend_array(x)
    if on_backend:
        arr = x
    else:
        try:
            arr = x if isinstance(x, np.ndarray) else np.asarray(x) if _is_array_like(x) else None
        except ValueError:
            raise ValueError(f"{name} is ragged: its rows have different lengths "
                             f"({sorted({len(row) for row in x if hasattr(row, '__len__')})})") from None
    if arr is None:
        raise TypeError(f"{name} must be an array, got {type(x).__name__}")
    kind = dtype_kind(arr)
    if kind not in "biuf":
        raise TypeError(f"{name} must hold real numbers, got dtype {arr.dtype}")
    if ndim is not None and arr.ndim != ndim:
        raise ValueError(f"{name} must be {ndim}-D, got shape {tuple(arr.shape)}")
    if on_backend:
        xp = B.current().xp
        if dtype is not None and dtype_name(arr) != B.resolve_dtype(dtype).name:
            arr = xp.astype(arr, getattr(xp, B.resolve_dtype(dtype).name))
        if finite and dtype_kind(arr) == "f" and not bool(xp.all(xp.isfinite(arr))):
            raise ValueError(f"{name} contains {first_non_finite(arr)}")
        return arr
    if dtype is not None and arr.dtype != dtype:
        arr = arr.astype(dtype)
    if finite and arr.dtype.kind == "f" and not bool(np.isfinite(arr).all()):
        raise ValueError(f"{name} contains {first_non_finite(arr)}")
    return arr if B.current().name == "numpy" else B.asarray(arr)


def first_non_finite(arr: Any) -> str:
    """Where the first NaN/inf of ``arr`` is: ``"nan at row 7, column 1"`` (for a clear error)."""
    host = B.to_numpy(arr)
    position = tuple(int(i) for i in np.argwhere(~np.isfinite(host))[0])
    value = float(host[position])
    where = f"row {position[0]}, column {position[1]}" if len(position) == 2 else f"index {position}"
    return f"{value} at {where}"


def check_labels(name: str, labels: Any, n: int, n_classes: int) -> Any:
    """Return integer class labels of shape ``(n,)`` in ``[0, n_classes)`` on the active backend."""
    on_backend = not isinstance(labels, np.ndarray) and _is_backend_array(labels)
    arr = labels if on_backend or isinstance(labels, np.ndarray) else np.asarray(labels) \
        if _is_array_like(labels) else None
    if arr is None:
        raise TypeError(f"{name} must be an array of integer class labels, got {type(labels).__name__}")
    if dtype_kind(arr) not in "iu":
        raise TypeError(f"{name} must hold integer class labels, got dtype {arr.dtype}")
    if tuple(arr.shape) != (n,):
        raise ValueError(f"{name} must have shape ({n},) to match the batch, got {tuple(arr.shape)}")
    xp = B.current().xp if on_backend else np
    if n:
        low, high = int(xp.min(arr)), int(xp.max(arr))
        if low < 0 or high >= n_classes:
            raise ValueError(f"{name} must lie in [0, {n_classes}), got {low if low < 0 else high}")
    return arr if on_backend or B.current().name == "numpy" else B.asarray(arr)


def dtype_kind(arr: Any) -> str:
    """NumPy's one-letter kind of ``arr``'s dtype (``f``, ``i``, ``u``, ``b``, ``c``; ``O`` for the rest),
    for arrays of any backend."""
    if isinstance(arr, np.ndarray):
        return arr.dtype.kind
    xp = B.current().xp
    for kind, family in (("f", "real floating"), ("i", "signed integer"), ("u", "unsigned integer"),
                         ("b", "bool"), ("c", "complex floating")):
        try:
            if xp.isdtype(arr.dtype, family):
                return kind
        except (TypeError, ValueError, AttributeError):
            break
    return "O"


def dtype_name(arr: Any) -> str:
    """``"float32"``, ``"int64"``, ... for an array of any backend (torch says ``torch.float32``)."""
    return str(arr.dtype).rsplit(".", 1)[-1]


def _is_backend_array(x: Any) -> bool:
    """True for an array of the active backend that is not a NumPy array (a torch tensor, ...)."""
    backend = B.current()
    if backend.name == "numpy":
        return False
    try:
        return array_namespace(x) is not None and not isinstance(x, (list, tuple))
    except TypeError:
        return False


def _is_array_like(x: Any) -> bool:
    return isinstance(x, (list, tuple, np.ndarray, np.generic)) or hasattr(x, "__array__")
