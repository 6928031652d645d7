"""The install scripts fail loudly (apt's own error, or what is missing) instead of exiting 0, so
that `make test` cannot go green with the tests that need those components skipped."""

import os
import shutil
import stat
import subprocess
from pathlib import Path

import pytest

SCRIPTS = Path(__file__).resolve().parents[1] / "scripts"


def _tool_dir(tmp_path: Path, root: bool, apt_fails: bool) -> Path:
    """A PATH with only bash's helpers, a fake ``id`` (root or not) and a fake ``apt-get``."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for tool in ("bash", "tail", "cat", "env"):
        (bin_dir / tool).symlink_to(shutil.which(tool))
    scripts = {"id": f"#!/bin/bash\necho {0 if root else 1000}\n",
               "apt-get": ("#!/bin/bash\necho 'E: Unable to locate package dataset-fashion-mnist' >&2\nexit 100\n"
                           if apt_fails else "#!/bin/bash\nexit 0\n")}
    for name, text in scripts.items():
        (bin_dir / name).write_text(text)
        (bin_dir / name).chmod(stat.S_IRWXU)
    return bin_dir


def _run(script: str, bin_dir: Path, tmp_path: Path) -> subprocess.CompletedProcess:
    env = {"PATH": str(bin_dir), "MLPLAB_FASHION_DIR": str(tmp_path / "nowhere")}
    return subprocess.run([shutil.which("bash"), str(SCRIPTS / script)], env=env, capture_output=True, text=True)


@pytest.mark.parametrize("script", ["install-fashion-mnist.sh", "install-chromium.sh"])
def test_a_failing_apt_get_fails_the_script_with_apts_message(script, tmp_path):
    result = _run(script, _tool_dir(tmp_path, root=True, apt_fails=True), tmp_path)
    assert result.returncode == 1
    assert "E: Unable to locate package" in result.stderr and "error: apt-get could not install" in result.stderr


@pytest.mark.parametrize("script", ["install-fashion-mnist.sh", "install-chromium.sh"])
def test_without_root_the_script_says_what_is_missing_and_fails(script, tmp_path):
    result = _run(script, _tool_dir(tmp_path, root=False, apt_fails=False), tmp_path)
    assert result.returncode == 1 and "error:" in result.stderr and "cannot apt-get install" in result.stderr


def test_the_system_check_passes_here_and_names_what_is_missing_elsewhere(tmp_path):
    ok = subprocess.run(["bash", str(SCRIPTS / "install-system.sh")], capture_output=True, text=True)
    assert ok.returncode == 0, ok.stderr
    bin_dir = _tool_dir(tmp_path, root=False, apt_fails=False)
    env = {"PATH": str(bin_dir), "PYTHON": "python3"}
    result = subprocess.run([shutil.which("bash"), str(SCRIPTS / "install-system.sh")], env=env, capture_output=True,
                            text=True)
    assert result.returncode == 1
    assert result.stderr.strip() == ("error: missing python3 gcc; install them (as root: apt-get install python3 "
                                     "gcc) and run make again")
    assert os.access(SCRIPTS / "install-system.sh", os.X_OK)
