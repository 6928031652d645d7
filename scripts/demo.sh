#!/usr/bin/env bash
# The demo: train the default recipe on Fashion-MNIST and print the test accuracy.
# Falls back to the bundled MNIST-5k when Fashion-MNIST cannot be had.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-fashion-mnist.sh
if .venv/bin/python -c "from mlplab.data import find_idx_folder; find_idx_folder('fashion-mnist')" 2>/dev/null; then
    echo "Training the default recipe on Fashion-MNIST (784-1000-500-250-10, BN, ReLU, dropout 0.2, SGD+momentum, cosine) ..."
    .venv/bin/mlplab train --data fashion-mnist --out runs/demo --overwrite
else
    echo "Fashion-MNIST is not available here (no root or no apt-get); falling back to the bundled MNIST-5k."
    .venv/bin/mlplab train --data mnist-5k --out runs/demo-mnist-5k --overwrite
fi
