#!/usr/bin/env bash
# Installs Debian's Chromium for the fedi-hub browser test (examples/tests/hub_browser.rs),
# which drives it over the Chrome DevTools Protocol. Idempotent: does nothing when
# /usr/bin/chromium is already there.
set -euo pipefail

if [ -x /usr/bin/chromium ]; then
    exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
    SUDO=sudo
else
    SUDO=
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends chromium fonts-dejavu-core
