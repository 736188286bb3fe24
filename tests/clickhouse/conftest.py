"""The ClickHouse tests run flowsight against a ClickHouse server of their own
(tests/support/clickhouse_server.py), which a test can kill and start again on the same data."""

import subprocess

import pytest

from clickhouse_server import clickhouse  # noqa: F401  (a fixture)
from flowsight import BIN, get_json, processes, unique, wait_for  # noqa: F401  (processes: a fixture)


@pytest.fixture
def orders(tmp_path):
    """The generated order flow as NDJSON lines (bytes, each ending in a newline)."""
    def generate(count, seed=42):
        out = tmp_path / unique("orders.ndjson")
        subprocess.run([BIN, "generate", "--orders", str(count), "--seed", str(seed), "--out", str(out)], check=True)
        return out.read_bytes().splitlines(keepends=True)
    return generate
