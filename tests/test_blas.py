import subprocess
import sys

import numpy as np
import pytest

from mlplab import blas


@pytest.mark.parametrize("dtype, rtol", [(np.float32, 1e-5), (np.float64, 1e-13)])
@pytest.mark.parametrize("alpha, beta", [(1.0, 0.0), (0.9, 0.9), (1.0, 0.5)])
def test_gemm_at_b_accumulates_like_the_formula(dtype, rtol, alpha, beta):
    rng = np.random.default_rng(0)
    a, b = rng.standard_normal((7, 5)).astype(dtype), rng.standard_normal((7, 3)).astype(dtype)
    c = rng.standard_normal((5, 3)).astype(dtype)
    expected = alpha * (a.astype(np.float64).T @ b) + beta * c
    blas.gemm_at_b(a, b, c, alpha=alpha, beta=beta)
    np.testing.assert_allclose(c, expected, rtol=rtol, atol=rtol)


def test_gemm_beta_zero_ignores_what_the_buffer_held():
    a, b = np.ones((2, 2)), np.ones((2, 2))
    c = np.full((2, 2), np.nan)
    blas.gemm_at_b(a, b, c, beta=0.0)
    np.testing.assert_array_equal(c, 2.0)


def test_views_that_blas_cannot_take_run_the_numpy_fallback():
    rng = np.random.default_rng(1)
    a = rng.standard_normal((6, 8))[:, ::2]              # not C-contiguous
    b = rng.standard_normal((6, 3))
    c = np.ones((4, 3))
    blas.gemm_at_b(a, b, c, alpha=2.0, beta=0.5)
    np.testing.assert_allclose(c, 2.0 * a.T @ b + 0.5, rtol=1e-13)
    y = np.arange(8.0)[::2].copy()
    blas.axpy(-0.5, np.arange(4.0), y)
    np.testing.assert_allclose(y, [0.0, 1.5, 3.0, 4.5])


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_axpy(dtype):
    x, y = np.arange(5, dtype=dtype), np.ones(5, dtype=dtype)
    blas.axpy(-2.0, x, y)
    np.testing.assert_array_equal(y, 1.0 - 2.0 * np.arange(5))


def test_shapes_that_do_not_chain_are_refused():
    with pytest.raises(ValueError, match="do not chain"):
        blas.gemm_at_b(np.ones((3, 2)), np.ones((4, 2)), np.ones((2, 2)))
    with pytest.raises(ValueError, match="differ in shape"):
        blas.axpy(1.0, np.ones(3), np.ones(4))


def test_the_process_keeps_one_openblas():
    """The calls go to the OpenBLAS NumPy loaded, never a second copy (two thread pools made
    every product several times slower here)."""
    if not blas.AVAILABLE:
        pytest.skip(reason="this NumPy does not bundle libscipy_openblas (the NumPy fallbacks run instead)")
    # A fresh process that trains (the test process itself has imported scikit-learn, and SciPy's
    # OpenBLAS with it, for the estimator tests).
    code = ("import numpy as np, mlplab as ml\n"
            "from mlplab.train import Trainer\n"
            "X = np.random.default_rng(0).normal(size=(200, 30)); y = (X[:, 0] > 0).astype(int)\n"
            "Trainer(ml.mlp(30, [64], 2, batchnorm=True), ml.optim.SGD(lr=0.1, momentum=0.9), batch_size=50,"
            " epochs=2).fit(X, y)\n"
            "print('\\n'.join(sorted({l.split()[-1] for l in open('/proc/self/maps') if 'openblas' in l.lower()})))\n")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    libraries = result.stdout.split()
    assert len(libraries) == 1 and "numpy" in libraries[0], libraries
