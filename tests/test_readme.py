"""Every code block of README.md runs as written, on small data.

Blocks are tagged: ``bash`` and ``python`` blocks run, ``text`` blocks are output or layout and do
not. Bash blocks run in order in one scratch folder (so ``runs/demo`` made by one is there for the
next), with copies of ``docs/``, ``benchmarks/``, ``examples/`` and ``recipes/`` and the venv's
``mlplab`` first on PATH. "Small data" is these rewrites of an ``mlplab train`` / ``autoencoder``
line, and nothing else: ``--train-limit 600`` is added (600 training images), and ``--epochs N``
becomes ``--epochs ceil(N / 10)`` (2 where the line gives none). The set-up commands are not run
here: ``make test`` is this very suite (CI runs it), ``make demo`` is run on a fresh clone before
every release, and ``pip install`` of an extra that ``make test`` already installed.
"""

from __future__ import annotations

import math
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"
NOT_RUN = ("make demo", "make test", "pip install 'mlplab[tensorboard]'")
LANGUAGES = ("bash", "python", "text")


def blocks() -> list[tuple[int, str, str]]:
    """(line number, language, code) of every fenced block."""
    found, lines = [], README.read_text().splitlines()
    start = language = None
    for number, line in enumerate(lines, 1):
        if line.startswith("```"):
            if start is None:
                start, language = number, line[3:].strip()
            else:
                found.append((start, language, "\n".join(lines[start:number - 1])))
                start = None
    return found


def commands(code: str) -> list[str]:
    """The block's shell commands: continuation lines joined, comments and blank lines dropped."""
    joined = re.sub(r"\\\n\s*", " ", code)
    out = []
    for line in joined.splitlines():
        line = line.split("  #")[0].split(" # ")[0].strip()
        if line and not line.startswith("#"):
            out.append(line)
    return out


def small(command: str) -> str:
    """The rewrite that makes a training command small (module docstring); other commands unchanged."""
    if not re.match(r"mlplab (train|autoencoder)\b", command):
        return command
    if "--resume" not in command:                     # a resumed run keeps its own training set
        command += " --train-limit 600"
    if re.search(r"--epochs \d+", command):
        return re.sub(r"--epochs (\d+)", lambda m: f"--epochs {math.ceil(int(m.group(1)) / 10)}", command)
    return command + " --epochs 2"


def test_every_block_is_tagged_runnable_or_text():
    tagged = [(n, lang) for n, lang, _ in blocks()]
    assert tagged and all(lang in LANGUAGES for _, lang in tagged), [t for t in tagged if t[1] not in LANGUAGES]
    assert sum(lang == "python" for _, lang in tagged) >= 3 and sum(lang == "bash" for _, lang in tagged) >= 6


def test_the_rewrite_only_shrinks_training():
    assert small("mlplab train --data fashion-mnist --epochs 20 --out runs/demo") == \
        "mlplab train --data fashion-mnist --epochs 2 --out runs/demo --train-limit 600"
    assert small("mlplab train --resume runs/demo --epochs 30") == "mlplab train --resume runs/demo --epochs 3"
    assert small("mlplab train --config saturated-sigmoid --out x") == \
        "mlplab train --config saturated-sigmoid --out x --train-limit 600 --epochs 2"
    assert small("mlplab evaluate runs/demo") == "mlplab evaluate runs/demo"


@pytest.fixture(scope="module")
def scratch(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("readme")
    for name in ("docs", "benchmarks", "examples", "recipes"):     # copies: a command may write (--render does)
        shutil.copytree(ROOT / name, folder / name, symlinks=False)
    rows = np.random.default_rng(0).integers(0, 256, size=(3, 784))          # three "images" for predict
    np.savetxt(folder / "rows.csv", rows, fmt="%d", delimiter=",")
    return folder


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    env["MPLBACKEND"] = "Agg"
    return env


def test_the_bash_blocks_run(scratch):
    ran = []
    for number, language, code in blocks():
        if language != "bash":
            continue
        for command in commands(code):
            if command in NOT_RUN:
                continue
            command = small(command)
            result = subprocess.run(["bash", "-c", command], cwd=scratch, env=_env(), capture_output=True, text=True,
                                    timeout=300)
            assert result.returncode == 0, f"README line {number}: {command}\n{result.stderr[-2000:]}"
            ran.append(command)
    assert (scratch / "runs" / "demo" / "report.html").is_file() and (scratch / "predictions.csv").is_file()
    assert (scratch / "compare.html").is_file() and (scratch / "model.onnx").is_file()
    assert len(ran) >= 15


@pytest.mark.parametrize("number, code", [(n, c) for n, lang, c in blocks() if lang == "python"])
def test_the_python_blocks_run(number, code, scratch):
    result = subprocess.run([sys.executable, "-c", code], cwd=scratch, env=_env(), capture_output=True, text=True,
                            timeout=300)
    assert result.returncode == 0, f"README line {number}:\n{result.stderr[-2000:]}"


def test_the_module_table_lists_every_public_module():
    package = ROOT / "src" / "mlplab"
    modules = {p.stem for p in package.glob("*.py") if not p.stem.startswith("_")}
    modules |= {p.parent.name for p in package.glob("*/__init__.py")}
    listed = set(re.findall(r"^\| `(\w+)` \|", README.read_text(), flags=re.MULTILINE))
    assert modules <= listed, sorted(modules - listed)


def test_user_facing_text_names_the_lecture_never_the_seeds():
    """'the seeds' meant the lecture notes, while a seed is the random seed: the possessive form, which was
    only ever the lecture notes, appears nowhere a user reads."""
    texts = [README, ROOT / "EXPERIMENTS.md", ROOT / "REPLICATIONS.md", *sorted((ROOT / "src").rglob("*.py")),
             *sorted((ROOT / "src" / "mlplab" / "recipes").glob("*.toml"))]
    offenders = [f"{path.relative_to(ROOT)}:{n}" for path in texts for n, line in
                 enumerate(path.read_text().splitlines(), 1) if re.search(r"\b[Tt]he seeds'", line)]
    assert not offenders, offenders
    helps = subprocess.run([sys.executable, "-m", "mlplab.cli", "train", "--help"], capture_output=True, text=True)
    assert helps.returncode == 0 and "seeds'" not in helps.stdout and "seeds suggest" not in helps.stdout
