import numpy as np
import pytest

from mlplab import backend as B


def test_dtype_policy():
    assert B.resolve_dtype(None) == np.float32
    assert B.resolve_dtype("float64") == np.float64
    assert B.resolve_dtype(np.float32) == np.float32
    with pytest.raises(ValueError, match=r"dtype must be one of \['float32', 'float64'\], got 'int8'"):
        B.resolve_dtype("int8")
    with pytest.raises(ValueError, match="dtype must be one of"):
        B.resolve_dtype(np.int32)


def test_make_rng_is_seeded_and_never_global():
    np.random.seed(0)
    a = B.make_rng(3).normal(size=3)
    np.random.seed(99)
    b = B.make_rng(3).normal(size=3)
    np.testing.assert_array_equal(a, b)
    generator = np.random.default_rng(1)
    assert B.make_rng(generator) is generator
    with pytest.raises(ValueError, match="seed must be a non-negative int"):
        B.make_rng("7")


def test_unknown_backend_is_named():
    with pytest.raises(ValueError, match=r"backend must be one of \('numpy', 'torch', 'cupy', 'array_api_strict'\), "
                                         r"got 'jax'"):
        B.use("jax")
    assert B.current().name == "numpy"
