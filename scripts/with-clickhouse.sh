#!/usr/bin/env bash
# Runs a command with a ClickHouse server on 127.0.0.1 (HTTP ${FLOWSIGHT_CLICKHOUSE_PORT:-18123},
# native TCP port + 877; not ClickHouse's usual ports, which a server started by the package may hold):
# Debian's clickhouse-server (installed by setup-test-deps.sh) started
# with a minimal configuration of its own (clickhouse-config.sh), its data, temporary files and
# logs in a temporary directory. Exports FLOWSIGHT_CLICKHOUSE (the
# server) and FLOWSIGHT_CHDB (libchdb.so, a current ClickHouse engine for the SQL check), and
# stops the server afterwards, whatever the command's outcome.
#   usage: scripts/with-clickhouse.sh COMMAND [ARGS...]
set -euo pipefail

PORT="${FLOWSIGHT_CLICKHOUSE_PORT:-18123}"
TCP_PORT=$((PORT + 877))
CHDB_DIR="${FLOWSIGHT_CHDB_DIR:-$HOME/.cache/flowsight/chdb}"
DIR="$(mktemp -d -t flowsight-clickhouse.XXXXXX)"
bash "$(dirname "$0")/clickhouse-config.sh" "$DIR" "$PORT" "$TCP_PORT"

if (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null; then
  echo "with-clickhouse: port $PORT is already in use; stop what listens there first" >&2
  exit 1
fi
/usr/sbin/clickhouse-server --config-file="$DIR/config.xml" >"$DIR/log/stdout.log" 2>&1 &
SERVER=$!
trap 'kill "$SERVER" 2>/dev/null; wait "$SERVER" 2>/dev/null || true; rm -rf "$DIR"' EXIT
for _ in $(seq 1 200); do
  if [ "$(curl -s "http://127.0.0.1:$PORT/ping" || true)" = "Ok." ]; then break; fi
  if ! kill -0 "$SERVER" 2>/dev/null; then
    echo "with-clickhouse: clickhouse-server exited:" >&2
    cat "$DIR/log/stdout.log" "$DIR/log/error.log" >&2 2>/dev/null || true
    exit 1
  fi
  sleep 0.1
done
VERSION="$(curl -s "http://127.0.0.1:$PORT/" --data-binary 'SELECT version()')"
echo "with-clickhouse: ClickHouse $VERSION on 127.0.0.1:$PORT (pid $SERVER, data $DIR)"
export FLOWSIGHT_CLICKHOUSE="clickhouse://127.0.0.1:$PORT"
CHDB="$(ls "$CHDB_DIR"/*/libchdb.so 2>/dev/null | sort | tail -n 1 || true)"
if [ -n "$CHDB" ]; then export FLOWSIGHT_CHDB="$CHDB"; fi
"$@"
