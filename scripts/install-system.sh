#!/usr/bin/env bash
# What `make` needs from the system before it can build .venv: python3 with venv (ensurepip), a C
# compiler and the Python headers (for the small C extension mlplab._fused). Installs the missing
# Debian packages as root with apt-get; otherwise names exactly what is missing and fails.
set -euo pipefail
PYTHON=${PYTHON:-python3}
missing=()
command -v "$PYTHON" >/dev/null 2>&1 || missing+=(python3)
if command -v "$PYTHON" >/dev/null 2>&1; then
    "$PYTHON" -c "import ensurepip, venv" >/dev/null 2>&1 || missing+=(python3-venv)
    include=$("$PYTHON" -c "import sysconfig; print(sysconfig.get_paths()['include'])")
    [ -f "$include/Python.h" ] || missing+=(python3-dev)
fi
command -v cc >/dev/null 2>&1 || command -v gcc >/dev/null 2>&1 || missing+=(gcc)
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "Installing ${missing[*]} with apt-get ..." >&2
    if ! log=$( (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}") 2>&1); then
        echo "$log" | tail -n 20 >&2
        echo "error: apt-get could not install ${missing[*]} (its messages are above)" >&2
        exit 1
    fi
    exit 0
fi
echo "error: missing ${missing[*]}; install them (as root: apt-get install ${missing[*]}) and run make again" >&2
exit 1
