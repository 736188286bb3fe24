#!/usr/bin/env bash
# Writes a minimal clickhouse-server configuration to DIR/config.xml: loopback only, the given
# HTTP and native TCP ports, data, temporary files and logs under DIR, users from Debian's
# /etc/clickhouse-server/users.xml, times in UTC.
#   usage: scripts/clickhouse-config.sh DIR HTTP_PORT TCP_PORT
set -euo pipefail
DIR="$1" PORT="$2" TCP_PORT="$3"
mkdir -p "$DIR/data" "$DIR/tmp" "$DIR/log"
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
</yandex>
XML
