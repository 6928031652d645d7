"""Shared fixtures: seeded data and the PyTorch oracle (skipped, with the reason shown, without torch)."""

from __future__ import annotations

import os

import numpy as np
import pytest


@pytest.fixture
def rng() -> np.random.Generator:
    return np.random.default_rng(1234)


@pytest.fixture
def torch():
    """PyTorch, CPU, float64 by default; the test skips visibly when it is missing."""
    torch = pytest.importorskip("torch", reason="PyTorch is the test oracle: pip install torch==2.13.0")
    torch.set_default_dtype(torch.float64)
    return torch


def assert_rel_close(a, b, rtol: float = 1e-10) -> float:
    """Max elementwise relative difference, floored at 1e-12 so zeros compare absolutely."""
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    assert a.shape == b.shape, (a.shape, b.shape)
    err = float((np.abs(a - b) / np.maximum(np.maximum(np.abs(a), np.abs(b)), 1e-12)).max()) if a.size else 0.0
    assert err <= rtol, f"relative error {err:.3e} > {rtol:.0e}"
    return err


@pytest.fixture
def tmpfs(tmp_path):
    """``tmpfs(options)`` mounts a fresh tmpfs (e.g. ``"ro,size=64k"``) and returns its folder; it is
    unmounted after the test.  Where mounting is not allowed (not root, no CAP_SYS_ADMIN) the test
    skips, saying so."""
    mounted = []

    def mount(options: str):
        folder = tmp_path / f"tmpfs{len(mounted)}"
        folder.mkdir()
        if os.geteuid() != 0 or os.system(f"mount -t tmpfs -o {options} tmpfs {folder} 2>/dev/null") != 0:
            pytest.skip(reason=f"mounting a tmpfs ({options}) needs root with CAP_SYS_ADMIN")
        mounted.append(folder)
        return folder

    yield mount
    for folder in mounted:
        os.system(f"umount {folder}")
