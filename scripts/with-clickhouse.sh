#!/usr/bin/env bash
# Runs a command with ClickHouse servers on 127.0.0.1: Debian's clickhouse-server (installed by
# setup-test-deps.sh), each started with a minimal configuration of its own
# (clickhouse-config.sh), its data, temporary files and logs in a temporary directory:
# - the main server, HTTP ${FLOWSIGHT_CLICKHOUSE_PORT:-18123} (native TCP port + 877; not
#   ClickHouse's usual ports, which a server started by the package may hold);
# - a second server on the next HTTP port, which forms with the main one the two-shard cluster
#   `flowsight_pair` (both servers' remote_servers name it), for the cluster tests.
# Exports FLOWSIGHT_CLICKHOUSE (the main server), FLOWSIGHT_CLICKHOUSE_CLUSTER (the cluster's
# address parameters, `cluster=…&shards=…`) and FLOWSIGHT_CHDB (libchdb.so, a current
# ClickHouse engine for the SQL check), and stops the servers afterwards, whatever the
# command's outcome.
#   usage: scripts/with-clickhouse.sh COMMAND [ARGS...]
set -euo pipefail

PORT="${FLOWSIGHT_CLICKHOUSE_PORT:-18123}"
SHARD_PORT=$((PORT + 1))
CHDB_DIR="${FLOWSIGHT_CHDB_DIR:-$HOME/.cache/flowsight/chdb}"
CLUSTER_TCP_PORTS="$((PORT + 877)) $((SHARD_PORT + 877))"
DIRS=()
SERVERS=()
cleanup() {
  for pid in "${SERVERS[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${SERVERS[@]}"; do wait "$pid" 2>/dev/null || true; done
  for dir in "${DIRS[@]}"; do rm -rf "$dir"; done
}
trap cleanup EXIT

# Starts a server on HTTP port $1 and waits until it answers.
start_server() {
  local port="$1" dir
  dir="$(mktemp -d -t flowsight-clickhouse.XXXXXX)"
  DIRS+=("$dir")
  bash "$(dirname "$0")/clickhouse-config.sh" "$dir" "$port" "$((port + 877))" "$CLUSTER_TCP_PORTS"
  if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
    echo "with-clickhouse: port $port is already in use; stop what listens there first" >&2
    exit 1
  fi
  /usr/sbin/clickhouse-server --config-file="$dir/config.xml" >"$dir/log/stdout.log" 2>&1 &
  local server=$!
  SERVERS+=("$server")
  for _ in $(seq 1 200); do
    if [ "$(curl -s "http://127.0.0.1:$port/ping" || true)" = "Ok." ]; then break; fi
    if ! kill -0 "$server" 2>/dev/null; then
      echo "with-clickhouse: clickhouse-server exited:" >&2
      cat "$dir/log/stdout.log" "$dir/log/error.log" >&2 2>/dev/null || true
      exit 1
    fi
    sleep 0.1
  done
  local version
  version="$(curl -s "http://127.0.0.1:$port/" --data-binary 'SELECT version()')"
  echo "with-clickhouse: ClickHouse $version on 127.0.0.1:$port (pid $server, data $dir)"
}

start_server "$PORT"
start_server "$SHARD_PORT"
export FLOWSIGHT_CLICKHOUSE="clickhouse://127.0.0.1:$PORT"
export FLOWSIGHT_CLICKHOUSE_CLUSTER="cluster=flowsight_pair&shards=127.0.0.1:$PORT,127.0.0.1:$SHARD_PORT"
CHDB="$(ls "$CHDB_DIR"/*/libchdb.so 2>/dev/null | sort | tail -n 1 || true)"
if [ -n "$CHDB" ]; then export FLOWSIGHT_CHDB="$CHDB"; fi
"$@"
