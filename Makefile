# Everything installs from here: a virtual environment in .venv with the package (and, for the
# tests, PyTorch's CPU wheel as the oracle and Selenium), plus Debian's Fashion-MNIST and Chromium when root.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
BASE   := $(VENV)/.installed-base
TESTS  := $(VENV)/.installed-test
BENCH  := $(VENV)/.installed-bench

.PHONY: install demo test bench fashion-mnist chromium clean

$(BASE): pyproject.toml setup.py src/mlplab/_fused.c
	@PYTHON=$(PYTHON) bash scripts/install-system.sh
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e .
	touch $@

$(TESTS): $(BASE)
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $@

$(BENCH): $(BASE)
	$(BIN)/python -m pip install --quiet -e '.[bench]'
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

# The speed benchmark as a user's machine runs it (benchmarks/RESULTS.md, ~25 min on 2 cores, nothing else
# running): the variables some machines set to pin OpenBLAS's kernels or threads are unset for it alone.
# BENCH_ARGS=--quick for the short run (< 2 min).
bench: $(BENCH) fashion-mnist
	env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE -u OPENBLAS_NUM_THREADS -u OMP_NUM_THREADS -u MKL_NUM_THREADS \
		$(BIN)/python benchmarks/speed.py $(BENCH_ARGS)

clean:
	rm -rf $(VENV) build src/*.egg-info .pytest_cache
