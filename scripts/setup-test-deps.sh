#!/usr/bin/env bash
# Installs what the tests need beside the Rust toolchain, idempotently:
# headless Chromium (browser tests of the UI) from Debian, and a Python venv with
# pm4py (independent oracle for mining results; never a product dependency: AGPL)
# and Playwright (drives the Debian Chromium; it never downloads a browser of its own).
set -euo pipefail

VENV="${FLOWSIGHT_VENV:-$HOME/.cache/flowsight/venv}"

if ! command -v chromium >/dev/null 2>&1; then
  echo "setup: installing chromium (Debian package)"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq chromium >/dev/null
fi

stamp="$VENV/.flowsight-deps-v1"
if [ ! -f "$stamp" ]; then
  echo "setup: creating python venv at $VENV"
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install -q --upgrade pip
  "$VENV/bin/pip" install -q "pm4py==2.7.*" "playwright==1.*" "pytest==8.*"
  touch "$stamp"
fi
echo "setup: test dependencies ready (venv $VENV)"
