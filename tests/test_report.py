import base64
import json
import os
import re
import shutil
from pathlib import Path

import numpy as np
import pytest

from mlplab.config import resolve
from mlplab.report import write_report
from mlplab.run import train_run

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


@pytest.fixture(scope="module")
def spirals_run(tmp_path_factory) -> Path:
    """A small finished run on 2-D data, diagnostics every epoch, report written by train."""
    out = tmp_path_factory.mktemp("run")
    train_run(resolve({}, {"data": "spirals", "hidden": "24,24", "activation": "tanh", "epochs": 3,
                           "batchnorm": False, "dropout": 0.0, "lr": 0.1, "out": str(out)}), progress=False)
    return out


def _images(page: str) -> list[bytes]:
    return [base64.b64decode(data) for data in re.findall(r"src='data:image/png;base64,([A-Za-z0-9+/=]+)'", page)]


def test_train_writes_a_self_contained_report_with_every_figure(spirals_run):
    page = (spirals_run / "report.html").read_text()
    summary = json.loads((spirals_run / "summary.json").read_text())
    assert f"Final test accuracy: <b>{summary['test_accuracy']:.4f}</b>" in page
    names = ["curves", "activations", "gradients", "percentiles", "fractions", "gradient-norms", "decision-regions"]
    images = _images(page)
    assert len(images) == len(names)
    for name, data in zip(names, images):
        assert data.startswith(PNG_MAGIC)
        assert (spirals_run / "figures" / f"{name}.png").read_bytes() == data
    assert "http://" not in page and "https://" not in page          # nothing fetched from a network
    assert "Per layer at epoch 3" in page


def test_report_without_diagnostics_still_shows_the_curves(tmp_path):
    train_run(resolve({}, {"data": "moons", "hidden": "8", "epochs": 2, "diagnostics": "off", "report": False,
                           "batchnorm": False, "out": str(tmp_path)}), progress=False)
    assert not (tmp_path / "report.html").exists()
    page = write_report(tmp_path).read_text()
    assert len(_images(page)) == 2                                     # curves and decision regions
    assert "Per layer" not in page


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


def test_the_report_renders_in_a_real_browser(spirals_run, tmp_path):
    browser = _browser()
    try:
        browser.get((spirals_run / "report.html").resolve().as_uri())
        widths = browser.execute_script(
            "return Array.from(document.images).map(img => img.complete ? img.naturalWidth : 0)")
        text = browser.find_element("tag name", "body").text
        height = browser.execute_script("return document.documentElement.scrollHeight")
        browser.set_window_size(1280, min(int(height) + 100, 16000))
        screenshot = tmp_path / "report.png"
        assert browser.save_screenshot(str(screenshot))
    finally:
        browser.quit()
    assert len(widths) == 7 and all(width > 0 for width in widths), widths
    accuracy = json.loads((spirals_run / "summary.json").read_text())["test_accuracy"]
    assert f"Final test accuracy: {accuracy:.4f}" in text
    import matplotlib.image
    pixels = matplotlib.image.imread(screenshot)
    assert pixels.shape[0] > 1000 and pixels.std() > 0.05               # a tall page with pictures on it
    if os.environ.get("MLPLAB_KEEP_SCREENSHOT"):                        # to look at it yourself
        shutil.copy(screenshot, os.environ["MLPLAB_KEEP_SCREENSHOT"])
