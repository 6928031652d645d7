# Everything installs from here: a virtual environment in .venv with the package (and, for the
# tests, PyTorch's CPU wheel as the oracle and Selenium), plus Debian's Fashion-MNIST and Chromium when root.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
BASE   := $(VENV)/.installed-base
TESTS  := $(VENV)/.installed-test

.PHONY: install demo test fashion-mnist chromium clean

$(BASE): pyproject.toml setup.py src/mlplab/_fused.c
	@PYTHON=$(PYTHON) bash scripts/install-system.sh
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e .
	touch $@

$(TESTS): $(BASE)
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $@

install: $(BASE)

fashion-mnist:
	@bash scripts/install-fashion-mnist.sh

chromium:
	@bash scripts/install-chromium.sh

# The main job: train the default recipe on Fashion-MNIST, print the test accuracy.
demo: $(BASE)
	@bash scripts/demo.sh

# The test suite, PyTorch oracle, the real Fashion-MNIST files and a headless browser included.
test: $(TESTS) fashion-mnist chromium
	$(BIN)/python -m pytest -q

clean:
	rm -rf $(VENV) build src/*.egg-info .pytest_cache
