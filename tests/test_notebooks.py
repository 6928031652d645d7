"""The example notebooks (``examples/*.ipynb``) run from top to bottom in a fresh kernel, and the
``assert`` cells in them, which check their results, pass.  They are stored without outputs."""

from __future__ import annotations

import json
import re
import sys
import time
from pathlib import Path

import pytest

nbformat = pytest.importorskip("nbformat", reason="the notebooks' tests need the test extra: pip install -e '.[test]'")
nbclient = pytest.importorskip("nbclient", reason="the notebooks' tests need the test extra: pip install -e '.[test]'")
pytest.importorskip("ipykernel", reason="the notebooks' kernel: pip install -e '.[test]'")

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
NOTEBOOKS = sorted(EXAMPLES.glob("*.ipynb"))
KERNEL = "mlplab-test"
TIMEOUT_S = 120           # per cell; each notebook takes seconds


@pytest.fixture(scope="module")
def kernel(tmp_path_factory, monkeypatch_module):
    """A kernel spec for this interpreter, found first on JUPYTER_PATH: the notebooks run on the Python
    that runs the tests (the venv's), whatever kernels the user has installed, and a fresh venv needs none."""
    folder = tmp_path_factory.mktemp("jupyter")
    spec = folder / "kernels" / KERNEL
    spec.mkdir(parents=True)
    (spec / "kernel.json").write_text(json.dumps({
        "argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
        "display_name": "mlplab tests", "language": "python"}))
    monkeypatch_module.setenv("JUPYTER_PATH", str(folder))
    return KERNEL


@pytest.fixture(scope="module")
def monkeypatch_module():
    with pytest.MonkeyPatch.context() as patch:
        yield patch


def test_there_are_three_notebooks_stored_without_outputs():
    assert [path.name for path in NOTEBOOKS] == ["01-train-and-look-inside.ipynb",
                                                 "02-initialisation-step-by-step.ipynb",
                                                 "03-batch-norm-with-and-without.ipynb"]
    for path in NOTEBOOKS:
        notebook = nbformat.read(path, as_version=4)
        nbformat.validate(notebook)
        code = [cell for cell in notebook.cells if cell.cell_type == "code"]
        assert all(not cell.outputs and cell.execution_count is None for cell in code), f"{path.name} has outputs"
        assert sum("assert " in cell.source for cell in code) >= 2, f"{path.name} checks too little"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[path.stem for path in NOTEBOOKS])
def test_notebook_runs_and_its_assertions_hold(path, kernel, tmp_path):
    notebook = nbformat.read(path, as_version=4)
    client = nbclient.NotebookClient(notebook, kernel_name=kernel, timeout=TIMEOUT_S,
                                     resources={"metadata": {"path": str(tmp_path)}})   # its runs/ go there
    started = time.perf_counter()
    try:
        client.execute()
    except nbclient.exceptions.CellExecutionError as err:      # the failing cell and its traceback
        pytest.fail(f"{path.name}: {err}")
    took = time.perf_counter() - started
    outputs = [output for cell in notebook.cells if cell.cell_type == "code" for output in cell.outputs]
    assert not [output for output in outputs if output.output_type == "error"]
    assert any("image/png" in output.get("data", {}) for output in outputs), "no figure was drawn"
    # a cell ending in a figure (run.plot_*() draws through the report, which picks matplotlib's file-only
    # backend) shows it inline, as a PNG
    for cell in notebook.cells:
        if cell.cell_type == "code" and re.fullmatch(r"figure|\w+\.plot_\w+\(.*\)", cell.source.splitlines()[-1]):
            assert any("image/png" in output.get("data", {}) for output in cell.outputs), cell.source
    assert took < 60, f"{path.name} took {took:.0f} s; the examples must stay quick"
