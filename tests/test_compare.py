"""``mlplab compare``: two to eight runs side by side on one self-contained page."""

import base64
import json
import re
import shutil
from pathlib import Path

import pytest

from mlplab.cli import main
from mlplab.compare import compare_runs, load_run
from mlplab.config import resolve
from mlplab.diagnostics import layer_name, read_diagnostics
from mlplab.run import train_run
from mlplab.runs import Run

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
STD = "<th colspan='3'>activation std"          # the per-layer table's activation std section


def _train(folder: Path, **flags) -> Path:
    config = {"data": "digits", "hidden": "16,16", "activation": "tanh", "epochs": 3, "report": False,
              "out": str(folder), **flags}
    train_run(resolve({}, config), progress=False)
    return folder


@pytest.fixture(scope="module")
def runs(tmp_path_factory) -> dict[str, Path]:
    """Xavier against N(0, 1) on a small tanh net (only init differs), and one run without diagnostics."""
    root = tmp_path_factory.mktemp("runs")
    return {"xavier": _train(root / "xavier", init="xavier_uniform"),
            "normal": _train(root / "normal", init="normal:1"),
            "blind": _train(root / "blind", init="xavier_uniform", diagnostics="off")}


def _images(page: str) -> list[bytes]:
    return [base64.b64decode(data) for data in re.findall(r"src='data:image/png;base64,([A-Za-z0-9+/=]+)'", page)]


def _row(page: str, title: str, after: str = "") -> str:
    """The cells of the first table row headed ``title`` (after the text ``after``)."""
    match = re.search(rf"<tr[^>]*><th>{re.escape(title)}</th>(.*?)</tr>", page[page.index(after):])
    assert match, title
    return match.group(1)


def test_two_runs_side_by_side(runs, tmp_path):
    out = compare_runs([runs["xavier"], runs["normal"]], tmp_path / "page.html")
    page = out.read_text()
    assert out == tmp_path / "page.html"
    images = _images(page)
    assert page.count("<img") == len(images) == 2               # curves, per-layer figure
    assert all(data.startswith(PNG_MAGIC) for data in images)
    assert not re.search(r"""(src|href)=['"]?(https?:)?//""", page)   # nothing fetched from a network
    # exactly the differing key is highlighted, with both values; the output folders are not a difference
    assert re.findall(r"<tr class='differs' data-key='([^']+)'>", page) == ["init"]
    assert "xavier_uniform" in _row(page, "init") and "normal:1" in _row(page, "init")
    # each run's test accuracy, as its summary.json holds it, in run order
    accuracies = [json.loads((runs[k] / "summary.json").read_text())["test_accuracy"] for k in ("xavier", "normal")]
    cells = re.findall(r"<td>(?:<b>)?([^<]*)", _row(page, "test accuracy"))
    assert cells == [f"{a:.4g}" for a in accuracies]
    # the per-layer table at the last common epoch, with the layers' names and each run's recorded values
    assert "Per layer at epoch 3" in page
    for key in ("xavier", "normal"):
        diag = read_diagnostics(runs[key])
        for layer in diag.index["activation_layers"] + diag.index["weight_layers"]:
            assert f"<td class='name'>{layer_name(layer)}</td>" in page
    stds = [read_diagnostics(runs[k]).table(3)[0]["act_std"] for k in ("xavier", "normal")]
    assert re.findall(r"<td>([^<]*)</td>", _row(page, "hidden 1", after=STD)) == [f"{s:.4g}" for s in stds]
    for key in ("xavier", "normal"):           # whatever mlplab diagnose found in each run has a row
        for finding in json.loads((runs[key] / "summary.json").read_text()).get("findings", []):
            assert f"<th>{finding['code']}</th>" in page


def test_epoch_chooses_the_record_and_an_unrecorded_one_is_refused(runs, tmp_path, capsys):
    out = tmp_path / "epoch0.html"
    assert main(["compare", str(runs["xavier"]), str(runs["normal"]), "--epoch", "0", "--out", str(out)]) == 0
    page = out.read_text()
    std = read_diagnostics(runs["normal"]).table(0)[0]["act_std"]
    assert "Per layer at epoch 0" in page and f"{std:.4g}" in _row(page, "hidden 1", after=STD)
    refused = tmp_path / "epoch9.html"
    assert main(["compare", str(runs["xavier"]), str(runs["normal"]), "--epoch", "9", "--out", str(refused)]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "--epoch 9" in err and str(runs["xavier"]) in err
    assert not refused.exists()


def test_a_run_without_diagnostics_still_compares(runs, tmp_path):
    page = compare_runs([runs["xavier"], runs["blind"]], tmp_path / "page.html").read_text()
    assert "No diagnostics recorded by blind" in page
    assert re.findall(r"<tr class='differs' data-key='([^']+)'>", page) == ["diagnostics"]
    assert len(_images(page)) == 2 and "Per layer at epoch 3" in page
    # neither with diagnostics: curves, configs and metrics only
    other = tmp_path / "blind2"
    shutil.copytree(runs["blind"], other)
    page = compare_runs([runs["blind"], other], tmp_path / "none.html").read_text()
    assert len(_images(page)) == 1 and "No diagnostics recorded by blind, blind2" in page
    assert "The configs are identical" in page


def test_findings_side_by_side(runs, tmp_path):
    """A run with a finding against one made before findings were recorded."""
    diagnosed, old = tmp_path / "diagnosed", tmp_path / "old"
    for source, copy, findings in ((runs["normal"], diagnosed, [
            {"code": "saturation", "layers": ["hidden 1", "hidden 2"], "measured": "66% <saturated>",
             "threshold": "over 50% of outputs saturated", "advice": "CS7015 lecture 9, module 9.4"}]),
            (runs["xavier"], old, None)):
        shutil.copytree(source, copy)
        summary = json.loads((copy / "summary.json").read_text())
        summary.pop("findings", None)
        if findings is not None:
            summary["findings"] = findings
        (copy / "summary.json").write_text(json.dumps(summary))
    page = compare_runs([old, diagnosed], tmp_path / "page.html").read_text()
    assert _row(page, "saturation") == ("<td class='absent'>not recorded</td><td title='over 50% of outputs "
                                        "saturated'><b>hidden 1-2</b>: 66% &lt;saturated&gt;</td>")
    assert "CS7015 lecture 9, module 9.4" in page
    assert "Findings not recorded for old " in page


@pytest.mark.parametrize("count", [1, 9])
def test_the_cli_takes_two_to_eight_runs(runs, tmp_path, monkeypatch, capsys, count):
    copies = [tmp_path / f"run{i}" for i in range(max(count, 8))]
    for copy in copies:
        shutil.copytree(runs["blind"], copy)
    monkeypatch.chdir(tmp_path)
    assert main(["compare", *map(str, copies[:count])]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and f"got {count}" in err and "RUN" in err
    assert not (tmp_path / "compare.html").exists()
    if count == 9:                # eight is allowed, written to compare.html here by default
        assert main(["compare", *map(str, copies[:8])]) == 0
        assert capsys.readouterr().out.strip() == "wrote compare.html"
        page = (tmp_path / "compare.html").read_text()
        assert all(f"<b>run{i}</b>" in page for i in range(8))


def test_bad_runs_are_refused_and_nothing_is_written(runs, tmp_path, capsys):
    empty = tmp_path / "empty"
    empty.mkdir()
    out = str(tmp_path / "page.html")
    a, b = str(runs["xavier"]), str(runs["normal"])
    cases = [([a, str(empty), "--out", out], f"RUN {str(empty)!r} is not a finished mlplab run (no config.toml)"),
             ([a, str(tmp_path / "missing"), "--out", out], "is not a folder"),
             ([a, b, a, "--out", out], f"RUN {a!r} is the same run as {a!r}"),
             ([a, b, "--out", str(tmp_path / "no" / "page.html")], "--out"),
             ([a, b, "--out", str(tmp_path)], "is a folder")]
    for arguments, expected in cases:
        assert main(["compare", *arguments]) == 2
        err = capsys.readouterr().err.strip()
        assert len(err.splitlines()) == 1 and expected in err, err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["empty"]     # nothing written


def test_a_run_is_read_by_mlplab_runs_run_once_and_any_versions_keys_are_compared(runs, tmp_path):
    """compare reads runs with the notebooks' ``mlplab.runs.Run``: a config key this version does not know
    (another version's) is compared, not refused, and files changed after reading do not change the page."""
    newer = tmp_path / "newer"
    shutil.copytree(runs["xavier"], newer)
    with open(newer / "config.toml", "a") as f:
        f.write('future_key = "yes"\n')
    run = load_run(newer)
    assert isinstance(run, Run) and run.arg == str(newer)
    assert run.stored_config["future_key"] == "yes" and run.summary["test_accuracy"] > 0
    (newer / "summary.json").write_text("{}")                      # read once: the snapshot stays
    assert run.summary["test_accuracy"] > 0
    page = compare_runs([runs["normal"], newer], tmp_path / "page.html").read_text()
    assert "future_key" in page and "<i>not recorded</i>" in _row(page, "future_key")
