"""Under CI=true a skip fails the run, except the skips README.md lists (tests/conftest.py)."""

import os
import shutil
import subprocess
import sys
from pathlib import Path

CONFTEST = Path(__file__).resolve().parent / "conftest.py"
PROBE = '''
import pytest
def test_missing_component():
    pytest.skip(reason="Ray is not installed")
def test_listed_skip():
    pytest.skip(reason="SCIPY_ARRAY_API is not set: not checking array_api input")
def test_passes():
    assert True
'''


def _pytest(tmp_path: Path, ci: str | None) -> subprocess.CompletedProcess:
    shutil.copy(CONFTEST, tmp_path / "conftest.py")
    (tmp_path / "test_probe.py").write_text(PROBE)
    env = {k: v for k, v in os.environ.items() if k != "CI"}
    if ci is not None:
        env["CI"] = ci
    return subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(tmp_path)],
                          cwd=tmp_path, env=env, capture_output=True, text=True)


def test_under_ci_an_unlisted_skip_fails(tmp_path):
    result = _pytest(tmp_path, "true")
    assert result.returncode == 1
    assert "1 failed, 1 passed, 1 skipped" in result.stdout
    assert "CI=true: a skip is a failure here" in result.stdout and "Ray is not installed" in result.stdout


def test_outside_ci_skips_stay_skips(tmp_path):
    result = _pytest(tmp_path, None)
    assert result.returncode == 0 and "1 passed, 2 skipped" in result.stdout
