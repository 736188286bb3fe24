"""Helpers of the Kafka tests: the broker started by scripts/with-kafka.sh and the independent
confluent-kafka client that produces into it; the flowsight processes come from
tests/support/flowsight.py."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from clickhouse_server import clickhouse  # noqa: F401  (a fixture)
from flowsight import (BIN, Flowsight, get, get_json, post_ndjson, processes, unique,  # noqa: F401
                       wait_for)

PRODUCE = Path(__file__).with_name("produce.py")


@pytest.fixture(scope="session")
def brokers():
    address = os.environ.get("FLOWSIGHT_KAFKA")
    assert address, "run through scripts/with-kafka.sh, which starts the broker and sets FLOWSIGHT_KAFKA"
    return address


def generate(tmp_path, orders, seed=7):
    """The generated order flow as NDJSON; returns the file and its event ids."""
    path = tmp_path / f"orders-{orders}-{seed}.ndjson"
    subprocess.run([BIN, "generate", "--orders", str(orders), "--seed", str(seed), "-o", str(path)], check=True)
    ids = [json.loads(line)["id"] for line in path.open()]
    return path, ids


def produce(brokers, topic, path, partitions=3, bad=0):
    """Produces the file's events with confluent-kafka; returns messages per partition."""
    args = [sys.executable, str(PRODUCE), brokers, topic, str(partitions), str(path)]
    if bad:
        args += ["--bad", str(bad)]
    out = subprocess.run(args, check=True, capture_output=True, text=True).stdout
    return {int(k): v for k, v in json.loads(out).items()}


def collect_args(brokers, topic, group):
    return ["collect", "--kafka", brokers, "--topic", topic, "--group", group]
