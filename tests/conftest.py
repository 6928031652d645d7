"""Shared fixtures: seeded data and the PyTorch oracle (skipped, with the reason shown, without torch)."""

from __future__ import annotations

import os

import numpy as np
import pytest


# Under CI=true a skip is a failure (a missing component must not turn CI green), except these,
# which README.md's "Skips" lists with their reasons. Matched against the skip's reason.
ALLOWED_SKIPS = (
    "SCIPY_ARRAY_API is not set",            # scikit-learn's own check_array_api_input: needs SCIPY_ARRAY_API=1
    "needs root with CAP_SYS_ADMIN",         # the disk-full tests mount a tmpfs; containers may not allow it
)


def _ci() -> bool:
    return os.environ.get("CI", "").lower() in ("1", "true", "yes")


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    if _ci() and report.skipped and not hasattr(report, "wasxfail"):
        reason = str(report.longrepr[2] if isinstance(report.longrepr, tuple) else report.longrepr)
        if not any(allowed in reason for allowed in ALLOWED_SKIPS):
            report.outcome = "failed"
            report.longrepr = f"CI=true: a skip is a failure here (README, 'Skips'): {reason}"


def _test_backends() -> list[str]:
    """The backends the oracle and gradient-check suites run on: NumPy, ``array_api_strict`` (so no
    NumPy call can hide in the engine) and torch on the CPU; ``MLPLAB_TEST_BACKENDS`` (comma-separated
    ``name`` or ``name:device``, e.g. ``torch:cuda,cupy``) replaces the list on a machine with a GPU."""
    listed = os.environ.get("MLPLAB_TEST_BACKENDS", "numpy,array_api_strict,torch")
    return [name.strip() for name in listed.split(",") if name.strip()]


class OnBackend:
    """The backend a test runs on, with the two conversions a test needs: ``a(host)`` puts NumPy data on
    the backend's device, ``n(array)`` brings an array back as NumPy (for the asserts)."""

    def __init__(self, spec: str) -> None:
        from mlplab import backend as B
        self.B = B
        self.name, _, device = spec.partition(":")
        self.device = device or None

    def a(self, host):
        return self.B.asarray(np.asarray(host))

    def n(self, array):
        return self.B.to_numpy(array)

    def set(self, array, host) -> None:
        """``array[...] = host`` for an array of the backend (the standard takes no NumPy values)."""
        array[...] = self.B.asarray(np.asarray(host, dtype=self.n(array).dtype))


@pytest.fixture(params=_test_backends())
def on(request):
    """Runs the test once per backend of :func:`_test_backends`, that backend active throughout."""
    from mlplab import backend as B
    backend = OnBackend(request.param)
    if backend.name != "numpy":
        pytest.importorskip(backend.name, reason=f"the {backend.name} backend's library is not installed")
    with B.use(backend.name, backend.device):
        yield backend


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
    """Max elementwise relative difference, floored at 1e-12 so zeros compare absolutely (arrays of any
    backend are brought to the host first)."""
    from mlplab.backend import to_numpy
    a, b = (np.asarray(to_numpy(v) if not isinstance(v, (list, tuple, float, int)) else v, dtype=np.float64)
            for v in (a, b))
    assert a.shape == b.shape, (a.shape, b.shape)
    err = float((np.abs(a - b) / np.maximum(np.maximum(np.abs(a), np.abs(b)), 1e-12)).max()) if a.size else 0.0
    assert err <= rtol, f"relative error {err:.3e} > {rtol:.0e}"
    return err


def _may_mount() -> bool:
    """Root with CAP_SYS_ADMIN (bit 21 of the effective capabilities): the machine allows a mount."""
    if os.geteuid() != 0:
        return False
    try:
        status = open("/proc/self/status").read()
    except OSError:
        return False
    caps = next((line.split()[1] for line in status.splitlines() if line.startswith("CapEff:")), "0")
    return bool(int(caps, 16) >> 21 & 1)


@pytest.fixture
def tmpfs(tmp_path):
    """``tmpfs(options)`` mounts a fresh tmpfs (e.g. ``"ro,size=64k"``) and returns its folder; it is
    unmounted after the test.  Where mounting is not allowed (not root, no CAP_SYS_ADMIN) the test
    skips, saying so."""
    mounted = []

    def mount(options: str):
        folder = tmp_path / f"tmpfs{len(mounted)}"
        folder.mkdir()
        if not _may_mount():
            pytest.skip(reason=f"mounting a tmpfs ({options}) needs root with CAP_SYS_ADMIN")
        if os.system(f"mount -t tmpfs -o {options} tmpfs {folder} 2>/dev/null") != 0:
            pytest.fail(f"root with CAP_SYS_ADMIN could not mount a tmpfs ({options}) on {folder}")
        mounted.append(folder)
        return folder

    yield mount
    for folder in mounted:
        os.system(f"umount {folder}")
