#!/usr/bin/env bash
# Writes a minimal clickhouse-server configuration to DIR/config.xml: loopback only, the given
# HTTP and native TCP ports, data, temporary files and logs under DIR, users from Debian's
# /etc/clickhouse-server/users.xml, times in UTC; with CLUSTER_TCP_PORTS (space-separated
# native ports of servers on 127.0.0.1), the cluster `flowsight_pair` of one shard per server.
#   usage: scripts/clickhouse-config.sh DIR HTTP_PORT TCP_PORT [CLUSTER_TCP_PORTS]
set -euo pipefail
DIR="$1" PORT="$2" TCP_PORT="$3" CLUSTER_TCP_PORTS="${4:-}"
mkdir -p "$DIR/data" "$DIR/tmp" "$DIR/log"
SHARDS=""
for shard in $CLUSTER_TCP_PORTS; do
  SHARDS="$SHARDS<shard><replica><host>127.0.0.1</host><port>$shard</port></replica></shard>"
done
CLUSTER=""
if [ -n "$SHARDS" ]; then
  CLUSTER="<remote_servers><flowsight_pair>$SHARDS</flowsight_pair></remote_servers>"
fi
cat >"$DIR/config.xml" <<XML
<?xml version="1.0"?>
<yandex>
    <logger>
        <level>warning</level>
        <log>$DIR/log/server.log</log>
        <errorlog>$DIR/log/error.log</errorlog>
    </logger>
    <listen_host>127.0.0.1</listen_host>
    <http_port>$PORT</http_port>
    <tcp_port>$TCP_PORT</tcp_port>
    <path>$DIR/data/</path>
    <tmp_path>$DIR/tmp/</tmp_path>
    <users_config>/etc/clickhouse-server/users.xml</users_config>
    <default_profile>default</default_profile>
    <default_database>default</default_database>
    <timezone>UTC</timezone>
    <mark_cache_size>268435456</mark_cache_size>
    $CLUSTER
</yandex>
XML
