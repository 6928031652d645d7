"""Two BLAS calls NumPy does not expose: ``C <- alpha A^T B + beta C`` and ``y <- a x + y``.

Why: momentum SGD's ``v <- m v + g`` with ``g = dY^T X`` (DD2424 lecture 4) is exactly one
GEMM with ``beta = m``, so the gradient can be accumulated straight into the momentum buffer;
the update is then ``W <- W - lr v``, one AXPY that OpenBLAS runs on its own threads.  That
removes the pass that wrote ``g`` and read it back (~0.25 s of a 3.6 s epoch, see
``benchmarks/RESULTS.md``).  ``np.matmul`` has no ``beta``.

The functions are looked up in the OpenBLAS that NumPy itself loaded (its wheel bundles
``libscipy_openblas``), so the process keeps a single BLAS and a single thread pool.  Where
that library cannot be found (a NumPy built against another BLAS, CuPy arrays, views that are
not C-contiguous) the same equations run in NumPy: slower, identical in meaning.
"""

from __future__ import annotations

import ctypes
import glob
import os
from typing import Any

import numpy as np

_ROW_MAJOR, _NO_TRANS, _TRANS = 101, 111, 112


def _load() -> dict[str, Any]:
    """The ``{s,d}gemm`` / ``{s,d}axpy`` entry points of NumPy's bundled OpenBLAS, or ``{}``."""
    libs_dir = os.path.join(os.path.dirname(os.path.dirname(np.__file__)), "numpy.libs")
    for path in sorted(glob.glob(os.path.join(libs_dir, "libscipy_openblas64_*.so"))):
        try:
            lib = ctypes.CDLL(path)            # already mapped by NumPy: the loader hands back that copy
            found = {kind: (getattr(lib, f"scipy_cblas_{kind}gemm64_"), getattr(lib, f"scipy_cblas_{kind}axpy64_"))
                     for kind in "sd"}
        except (OSError, AttributeError):
            continue
        i64, ptr = ctypes.c_int64, ctypes.c_void_p
        functions: dict[str, Any] = {}
        for kind, scalar, dtype in (("s", ctypes.c_float, np.float32), ("d", ctypes.c_double, np.float64)):
            gemm, axpy = found[kind]
            gemm.restype = axpy.restype = None
            gemm.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_int, i64, i64, i64, scalar, ptr, i64, ptr, i64,
                             scalar, ptr, i64]
            axpy.argtypes = [i64, scalar, ptr, i64, ptr, i64]
            functions[np.dtype(dtype).char] = (gemm, axpy)
        try:
            count = lib.scipy_openblas_get_num_threads64_
            count.restype, count.argtypes = ctypes.c_int, []
            functions["threads"] = count
        except AttributeError:
            pass
        return functions
    return {}


_FUNCTIONS = _load()
AVAILABLE = "f" in _FUNCTIONS
"""True when NumPy's own OpenBLAS was found (False: the NumPy fallbacks run)."""


def threads() -> int | None:
    """How many threads NumPy's OpenBLAS uses (None when it cannot be asked)."""
    return int(_FUNCTIONS["threads"]()) if "threads" in _FUNCTIONS else None


def _direct(*arrays: Any) -> bool:
    return AVAILABLE and all(isinstance(a, np.ndarray) and a.flags.c_contiguous and a.dtype == arrays[0].dtype
                             for a in arrays) and arrays[0].dtype.char in _FUNCTIONS and arrays[-1].flags.writeable


def gemm_at_b(a: Any, b: Any, c: Any, alpha: float = 1.0, beta: float = 0.0) -> None:
    """``c <- alpha a^T b + beta c`` in place, for ``a`` (n, p), ``b`` (n, q), ``c`` (p, q)."""
    (n, p), q = a.shape, b.shape[1]
    if b.shape[0] != n or c.shape != (p, q):
        raise ValueError(f"gemm_at_b: shapes a {a.shape}, b {b.shape}, c {c.shape} do not chain")
    if _direct(a, b, c):
        gemm = _FUNCTIONS[c.dtype.char][0]
        gemm(_ROW_MAJOR, _TRANS, _NO_TRANS, p, q, n, alpha, a.ctypes.data, p, b.ctypes.data, q, beta,
             c.ctypes.data, q)
        return
    product = a.T @ b
    if alpha != 1.0:
        product *= alpha
    if beta == 0.0:
        c[...] = product                   # BLAS semantics: beta = 0 ignores what c held (even NaN)
    else:
        c *= beta
        c += product


def axpy(alpha: float, x: Any, y: Any) -> None:
    """``y <- alpha x + y`` in place."""
    if x.shape != y.shape:
        raise ValueError(f"axpy: x {x.shape} and y {y.shape} differ in shape")
    if _direct(x, y):
        _FUNCTIONS[y.dtype.char][1](y.size, alpha, x.ctypes.data, 1, y.ctypes.data, 1)
        return
    y += alpha * x
