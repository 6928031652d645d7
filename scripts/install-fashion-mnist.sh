#!/usr/bin/env bash
# Install Debian's dataset-fashion-mnist when it is missing (root + apt-get). Fails, with apt's own
# messages or with what is missing, when it cannot: `make test` needs the files (the tests that use
# them would otherwise skip). The demo (scripts/demo.sh) catches the failure and falls back to MNIST-5k.
set -euo pipefail
DIR=${MLPLAB_FASHION_DIR:-/usr/share/datasets/fashion-mnist}      # overridable for the tests
if [ -f "$DIR/train-images-idx3-ubyte.gz" ]; then
    exit 0
fi
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "Installing Debian's dataset-fashion-mnist ..." >&2
    if ! log=$( (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq dataset-fashion-mnist) 2>&1); then
        echo "$log" | tail -n 20 >&2
        echo "error: apt-get could not install dataset-fashion-mnist (its messages are above)" >&2
        exit 1
    fi
    exit 0
fi
echo "error: Fashion-MNIST is not installed ($DIR) and this user cannot apt-get install dataset-fashion-mnist" >&2
exit 1
