#!/usr/bin/env bash
# The console's browser tests drive Debian's Chromium through Playwright (no browser download at run time).
# `make test` and .ci/run call this: it installs Debian's package when it is missing (as root, as on CI).
set -euo pipefail
[ -x /usr/bin/chromium ] && exit 0
if [ "$(id -u)" != 0 ]; then
  echo "error: the browser tests need Debian's chromium: run 'sudo apt-get install chromium' once" >&2
  exit 1
fi
echo "installing Debian's chromium for the browser tests ..."
apt-get update -qq
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-dejavu-core fonts-noto-color-emoji >/dev/null
