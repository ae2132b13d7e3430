#!/usr/bin/env bash
# System tools some tests drive, all from Debian apt (nothing else is downloaded): chromium for the browser tests
# (Playwright with /usr/bin/chromium), tesseract-ocr and poppler-utils for OCR of scanned PDFs.
# `make test` and .ci/run run this first: what is missing is installed when apt-get is usable (root); otherwise
# it says how to get it, and the tests that need it skip with that reason.
set -u
missing=()
[ -x /usr/bin/chromium ] || missing+=(chromium)
command -v tesseract >/dev/null 2>&1 || missing+=(tesseract-ocr)
command -v pdftoppm >/dev/null 2>&1 || missing+=(poppler-utils)
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "Installing ${missing[*]} for the browser and OCR tests (apt-get install)..."
  export DEBIAN_FRONTEND=noninteractive
  if apt-get update -qq && apt-get install -y -qq "${missing[@]}"; then
    exit 0
  fi
  echo "apt-get could not install ${missing[*]}." >&2
fi
echo "note: tests needing ${missing[*]} will be skipped (chromium: browser tests; tesseract-ocr, poppler-utils: OCR)." >&2
echo "      Install them with 'sudo apt-get install ${missing[*]}' (Debian/Ubuntu), then run make test again." >&2
exit 0
