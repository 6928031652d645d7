#!/usr/bin/env bash
# Install Debian's chromium and chromium-driver (for the test that opens report.html in a real
# browser) when they are missing (root + apt-get). Fails, with apt's own messages or with what is
# missing, when it cannot: `make test` needs them (the browser test would otherwise skip).
set -euo pipefail
if command -v chromium >/dev/null 2>&1 && command -v chromedriver >/dev/null 2>&1; then
    exit 0
fi
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "Installing Debian's chromium and chromium-driver (headless browser for the report test) ..." >&2
    if ! log=$( (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
            chromium chromium-driver fonts-dejavu-core) 2>&1); then
        echo "$log" | tail -n 20 >&2
        echo "error: apt-get could not install chromium / chromium-driver (its messages are above)" >&2
        exit 1
    fi
    exit 0
fi
echo "error: chromium / chromedriver are not installed and this user cannot apt-get install them" >&2
exit 1
