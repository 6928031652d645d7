"""report.html from real runs: every figure with its caption, the model summary, the classifier's
figures, the findings, and (through Selenium and a headless Chromium) what a browser shows of them."""

import base64
import html
import json
import os
import re
import shutil
from pathlib import Path

import numpy as np
import pytest

from mlplab.config import resolve
from mlplab.findings import Finding
from mlplab.network import load
from mlplab.report import write_report
from mlplab.run import train_run

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


@pytest.fixture(scope="module")
def spirals_run(tmp_path_factory) -> Path:
    """A small finished tanh run on 2-D data, diagnostics every epoch, report written by train."""
    out = tmp_path_factory.mktemp("run")
    train_run(resolve({}, {"data": "spirals", "hidden": "24,24", "activation": "tanh", "epochs": 3,
                           "lr": 0.1, "out": str(out)}), progress=False)
    return out


# Two known findings in place of the diagnosis (the browser test needs findings it can count on),
# kept in summary.json as training keeps the real ones: the report shows what the summary keeps.
KNOWN_FINDINGS = [Finding("dead-units", ["hidden 2"], "41% of hidden 2's units output 0 on every probe example",
                          "more than 20% dead", "CS7015 lecture 9, module 9.3: ... (mlplab experiment dead-relu)"),
                  Finding("update-ratio-low", ["hidden 1"], "update/weight 3e-6", "below 1e-4",
                          "raise the learning rate")]


@pytest.fixture(scope="module")
def digits_run(tmp_path_factory) -> Path:
    """A ReLU net on the 8x8 digits (image data, ten classes), cosine rate down to 0, its report written
    with two known findings in its summary in place of the diagnosis."""
    out = tmp_path_factory.mktemp("digits")
    train_run(resolve({}, {"data": "digits", "hidden": "32,16", "epochs": 3, "batch_size": 20, "report": False,
                           "out": str(out)}), progress=False)
    summary = json.loads((out / "summary.json").read_text())
    (out / "summary.json").write_text(json.dumps({**summary, "findings": [f.record() for f in KNOWN_FINDINGS]}))
    write_report(out)
    return out


def _images(page: str) -> list[bytes]:
    return [base64.b64decode(data) for data in re.findall(r"src='data:image/png;base64,([A-Za-z0-9+/=]+)'", page)]


def _figures(page: str) -> list[tuple[str, str]]:
    """``(name, caption)`` of every figure, in page order."""
    return re.findall(r"<figure id='([a-z-]+)'><img [^>]+><figcaption>([^<]+)</figcaption></figure>", page)


def test_train_writes_a_self_contained_report_with_every_figure(spirals_run):
    page = (spirals_run / "report.html").read_text()
    summary = json.loads((spirals_run / "summary.json").read_text())
    assert f"Final test accuracy: <b>{summary['test_accuracy']:.4f}</b>" in page
    names = ["curves", "learning-rate", "confusion-matrix", "per-class-accuracy", "decision-regions", "activations",
             "gradients", "percentiles", "fractions", "gradient-norms", "update-ratios"]
    assert [name for name, _ in _figures(page)] == names
    images = _images(page)
    assert len(images) == len(names)
    for name, data in zip(names, images):
        assert data.startswith(PNG_MAGIC)
        assert (spirals_run / "figures" / f"{name}.png").read_bytes() == data
    for name, caption in _figures(page):
        assert "look for" in caption, name                                 # every caption says what to look for
    assert "http://" not in page and "https://" not in page          # nothing fetched from a network
    assert "Per layer at epoch 3" in page
    assert page.index("id='findings'") < page.index("<h2>Results</h2>") < page.index("id='curves'")


def test_a_tanh_net_gets_saturation_and_no_dead_units_or_zeros(spirals_run):
    captions = dict(_figures((spirals_run / "report.html").read_text()))
    assert "saturated outputs" in captions["fractions"] and "dead units" not in captions["fractions"]
    assert "Exact zeros" not in captions["activations"]


def test_the_digits_report_has_the_classifier_figures_and_the_model_summary(digits_run):
    page = (digits_run / "report.html").read_text()
    figures = dict(_figures(page))
    for name in ("confusion-matrix", "per-class-accuracy", "misclassified", "first-layer-weights"):
        assert name in figures
    assert "decision-regions" not in figures                              # 64 inputs, not 2
    assert "What training changed in the incoming weights of 25 hidden 1 units" in figures["first-layer-weights"]
    net = load(digits_run / "model.npz")
    total = sum(int(np.size(p)) for p in net.params.values())
    assert total == 64 * 32 + 32 + 32 * 16 + 16 + 16 * 10 + 10
    assert f"<td><b>{total:,}</b></td>" in page
    assert "hidden 1: Dense 64→32, ReLU" in page and "output: Dense 16→10" in page
    assert not re.search(r"layer \d", page)                               # no layer named by its index
    assert ">saturated<" not in page and "Exact zeros are left out of the bars" in figures["activations"]
    # the default cosine schedule ends at ~0: the last record's update ratio is left out, and the caption says why
    assert "Updates taken at a learning rate of practically 0" in figures["update-ratios"]
    assert "they say nothing about the layers" in page and "e-0" in page.split("(lr≈0)")[0][-12:]
    order = [page.index(f"<td class='block' title='{name}'>") for name in ("hidden 1", "hidden 2", "output")]
    assert order == sorted(order)                                         # the per-layer table in network order


def test_the_findings_head_the_report_with_what_was_measured(digits_run):
    page = (digits_run / "report.html").read_text()
    section = page[page.index("<section id='findings'>"):page.index("</section>")]
    assert section.index("hidden 2: units are dead [dead-units, severe]") < section.index(
        "hidden 1: updates are tiny against the weights")
    assert "class='finding severe' data-code='dead-units'" in section
    assert "more than 20% dead" in section and "(mlplab experiment dead-relu)" in section


def test_report_without_diagnostics_and_with_test_every_epoch(tmp_path):
    train_run(resolve({}, {"data": "moons", "hidden": "8", "epochs": 2, "diagnostics": "off", "report": False,
                           "test_every_epoch": True, "out": str(tmp_path)}), progress=False)
    assert not (tmp_path / "report.html").exists()
    page = write_report(tmp_path).read_text()
    assert [name for name, _ in _figures(page)] == ["curves", "learning-rate", "confusion-matrix",
                                                    "per-class-accuracy", "decision-regions"]
    assert "test set was evaluated every epoch (--test-every-epoch)" in dict(_figures(page))["curves"]
    assert "Per layer" not in page


def test_a_diverged_run_reports_where_with_the_checkpoint_model(tmp_path):
    from mlplab.train import TrainingDiverged
    with pytest.raises(TrainingDiverged):
        train_run(resolve({}, {"data": "moons", "hidden": "16", "epochs": 10, "batch_size": 20, "lr": 0.001,
                               "schedule": "exponential", "gamma": 1000.0, "diagnostics": "off",
                               "out": str(tmp_path)}), progress=False)
    page = (tmp_path / "report.html").read_text()
    assert "Training diverged" in page and "checkpoints/last.npz</code>)" in page      # the model summary from it
    assert [name for name, _ in _figures(page)] == ["curves", "learning-rate"]       # no finished model: no test set


def test_report_refuses_a_folder_that_is_not_a_run(tmp_path):
    with pytest.raises(FileNotFoundError, match="holds no config.toml"):
        write_report(tmp_path)


def _browser():
    """A headless Chromium driven through Selenium, or a skip that says what is missing."""
    webdriver = pytest.importorskip("selenium.webdriver", reason="selenium is not installed (pip install -e .[test])")
    missing = [tool for tool in ("chromium", "chromedriver") if shutil.which(tool) is None]
    if missing:
        pytest.skip(reason=f"{' and '.join(missing)} not found: run scripts/install-chromium.sh (root, apt-get)")
    options = webdriver.ChromeOptions()
    options.binary_location = shutil.which("chromium")
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                 "--window-size=1280,1000"):
        options.add_argument(flag)
    from selenium.webdriver.chrome.service import Service
    return webdriver.Chrome(service=Service(executable_path=shutil.which("chromedriver")), options=options)


VISIBLE = """
const box = el => { const r = el.getBoundingClientRect(); return r.width > 0 && r.height > 0 &&
                    getComputedStyle(el).visibility !== 'hidden'; };
const q = s => document.querySelector(s);
return {
  images: Array.from(document.images).map(img => [img.alt, img.complete ? img.naturalWidth : 0, box(img)]),
  captions: Array.from(document.querySelectorAll('figcaption')).map(c => [c.innerText.length, box(c)]),
  severe: Array.from(document.querySelectorAll('#findings .finding.severe')).map(box),
  severeColour: getComputedStyle(q('#findings .finding.severe .finding-headline')).color,
  summaryRows: q('#model-summary') && box(q('#model-summary')) ? q('#model-summary').rows.length : 0,
  layerRows: q('#layer-table') && box(q('#layer-table')) ? q('#layer-table').rows.length : 0,
};
"""


def test_the_report_renders_in_a_real_browser(digits_run, tmp_path):
    browser = _browser()
    try:
        browser.get((digits_run / "report.html").resolve().as_uri())
        seen = browser.execute_script(VISIBLE)
        text = browser.find_element("tag name", "body").text
        height = browser.execute_script("return document.documentElement.scrollHeight")
        browser.set_window_size(1280, min(int(height) + 100, 16000))
        screenshot = tmp_path / "report.png"
        assert browser.save_screenshot(str(screenshot))
    finally:
        browser.quit()
    names = [alt for alt, _, _ in seen["images"]]
    for name in ("confusion-matrix", "per-class-accuracy", "misclassified", "first-layer-weights", "learning-rate",
                 "update-ratios", "activations"):
        assert name in names, names
    assert all(width > 0 and shown for _, width, shown in seen["images"]), seen["images"]
    assert len(seen["captions"]) == len(names) and all(n > 40 and shown for n, shown in seen["captions"])
    assert seen["severe"] == [True] and seen["severeColour"] == "rgb(176, 0, 32)"    # the severe finding, in red
    assert seen["summaryRows"] == 1 + 2 * 2 + 1 + 1          # header, 2 hidden blocks x (Dense, ReLU), output, total
    assert seen["layerRows"] == 1 + 3                        # header and the three blocks
    accuracy = json.loads((digits_run / "summary.json").read_text())["test_accuracy"]
    assert f"Final test accuracy: {accuracy:.4f}" in text
    assert "hidden 2: units are dead" in text and "more than 20% dead" in text     # the findings, as text
    import matplotlib.image
    pixels = matplotlib.image.imread(screenshot)
    assert pixels.shape[0] > 3000 and pixels.std() > 0.05               # a tall page with pictures on it
    if os.environ.get("MLPLAB_KEEP_SCREENSHOT"):                        # to look at it yourself
        shutil.copy(screenshot, os.environ["MLPLAB_KEEP_SCREENSHOT"])


def test_report_sections_give_a_notebook_the_same_figures(spirals_run):
    from mlplab.report import report_sections
    sections = report_sections(spirals_run)
    page = (spirals_run / "report.html").read_text()
    assert [f.name for _, figures in sections for f in figures] == [name for name, _ in _figures(page)]
    assert all(type(f.figure).__name__ == "Figure" and f.caption for _, figures in sections for f in figures)
    from mlplab.report import pyplot
    pyplot().close("all")


def test_the_initial_weights_are_rebuilt_exactly_from_the_seed(tmp_path):
    from mlplab.report import RunInputs
    train_run(resolve({}, {"data": "moons", "hidden": "8", "epochs": 1, "lr": 1e-12, "momentum": 0.0,
                           "diagnostics": "off", "report": False, "out": str(tmp_path)}), progress=False)
    run = RunInputs.read(tmp_path)
    trained, initial = run.network.layers[0].params["W"], run.initial_network().layers[0].params["W"]
    assert np.linalg.norm(trained - initial) < 1e-9 * np.linalg.norm(initial)    # a rate of 1e-12 barely moves it
    lsuv = RunInputs(tmp_path, {**run.config, "init": "lsuv"}, {}, [], [], None)
    assert lsuv.initial_network() is None                       # data-driven: not rebuilt from the seed alone


def test_the_report_shows_what_mlplab_diagnose_finds(tmp_path):
    """With the real diagnosis: the saturated-sigmoid recipe's report opens with its saturation finding,
    the same headline `mlplab diagnose` prints, marked severe."""
    from mlplab.config import read_toml
    from mlplab.findings import diagnose_run
    from mlplab.recipes import find
    out = tmp_path / "sat"
    train_run(resolve(read_toml(find("saturated-sigmoid")), {"epochs": 3, "out": str(out)}), progress=False)
    findings = diagnose_run(out)
    assert "saturation" in [f.code for f in findings]
    page = (out / "report.html").read_text()
    section = page[page.index("<section id='findings'>"):page.index("</section>", page.index("<section id='findings'>"))]
    for finding in findings:
        assert html.escape(finding.headline()) in section
    assert "<div class='finding severe' data-code='saturation'>" in section
