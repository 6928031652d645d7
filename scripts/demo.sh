#!/usr/bin/env bash
# The demo: train the shipped recipe recipes/fashion-mnist.toml and print the test accuracy.
# Falls back to the bundled MNIST-5k when Fashion-MNIST cannot be had.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-fashion-mnist.sh || true          # without it: the MNIST-5k fallback below
if .venv/bin/python -c "from mlplab.data import find_idx_folder; find_idx_folder('fashion-mnist')" 2>/dev/null; then
    echo "Training the demo recipe (recipes/fashion-mnist.toml) ..."
    .venv/bin/mlplab train --config recipes/fashion-mnist.toml --out runs/demo --overwrite
else
    echo "Fashion-MNIST is not available here (no root or no apt-get); falling back to the bundled MNIST-5k."
    .venv/bin/mlplab train --config recipes/fashion-mnist.toml --data mnist-5k --out runs/demo-mnist-5k --overwrite
fi
