#!/usr/bin/env bash
# Install Debian's dataset-fashion-mnist when it is missing and we can (root + apt-get).
# Never fails: without it the Fashion-MNIST tests skip (saying why) and the demo falls back to MNIST-5k.
set -u
DIR=/usr/share/datasets/fashion-mnist
if [ -f "$DIR/train-images-idx3-ubyte.gz" ]; then
    exit 0
fi
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "Installing Debian's dataset-fashion-mnist ..." >&2
    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq dataset-fashion-mnist) >/dev/null 2>&1 \
        || echo "note: apt-get could not install dataset-fashion-mnist" >&2
else
    echo "note: Fashion-MNIST is not installed and this user cannot apt-get install dataset-fashion-mnist" >&2
fi
exit 0
