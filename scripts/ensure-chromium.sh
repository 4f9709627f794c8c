#!/usr/bin/env bash
# The console's browser tests drive Debian's Chromium through Playwright (no browser download at run time); the
# flyer tests render and read PDFs with Debian's poppler-utils (pdftoppm, pdftotext, pdffonts, pdfinfo).
# `make test` and .ci/run call this: it installs Debian's packages when they are missing (as root, as on CI).
set -euo pipefail
missing=()
[ -x /usr/bin/chromium ] || missing+=(chromium fonts-dejavu-core fonts-noto-color-emoji)
[ -x /usr/bin/pdftoppm ] || missing+=(poppler-utils)
[ "${#missing[@]}" = 0 ] && exit 0
if [ "$(id -u)" != 0 ]; then
  echo "error: the tests need Debian's ${missing[*]}: run 'sudo apt-get install ${missing[*]}' once" >&2
  exit 1
fi
echo "installing Debian's ${missing[*]} for the tests ..."
apt-get update -qq
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
