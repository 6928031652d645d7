#!/usr/bin/env bash
# Install Debian's chromium and chromium-driver (for the test that opens report.html in a real
# browser) when they are missing and we can (root + apt-get).
# Never fails: without them that one test skips, saying why.
set -u
if command -v chromium >/dev/null 2>&1 && command -v chromedriver >/dev/null 2>&1; then
    exit 0
fi
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "Installing Debian's chromium and chromium-driver (headless browser for the report test) ..." >&2
    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
        chromium chromium-driver fonts-dejavu-core) >/dev/null 2>&1 \
        || echo "note: apt-get could not install chromium / chromium-driver" >&2
else
    echo "note: chromium is not installed and this user cannot apt-get install it" >&2
fi
exit 0
