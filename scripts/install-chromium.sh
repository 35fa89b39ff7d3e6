#!/usr/bin/env bash
# Installs Debian's Chromium for the browser tests, unless it is already there.
# The tests drive it with playwright-core; no browser is ever downloaded by a test tool.
set -euo pipefail
if [ -x /usr/bin/chromium ]; then
  exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
  SUDO=sudo
else
  SUDO=
fi
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq chromium >/dev/null
/usr/bin/chromium --version
