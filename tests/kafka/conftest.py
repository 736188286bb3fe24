"""Shared helpers of the Kafka tests: the broker started by scripts/with-kafka.sh, the
flowsight binary under test run as `collect` and `serve` processes, and the independent
confluent-kafka client that produces into the broker."""

import json
import os
import re
import signal
import subprocess
import sys
import time
import urllib.request
import uuid
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
BIN = os.environ.get("FLOWSIGHT_BIN", str(ROOT / "target" / "debug" / "flowsight"))
CONFIG = ROOT / "fixtures" / "order-flow.toml"
PRODUCE = Path(__file__).with_name("produce.py")


@pytest.fixture(scope="session")
def brokers():
    address = os.environ.get("FLOWSIGHT_KAFKA")
    assert address, "run through scripts/with-kafka.sh, which starts the broker and sets FLOWSIGHT_KAFKA"
    return address


def unique(name):
    return f"{name}-{uuid.uuid4().hex[:8]}"


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


def get(url):
    with urllib.request.urlopen(url, timeout=30) as response:
        return response.read()


def get_json(url):
    return json.loads(get(url))


def post_ndjson(url, body):
    request = urllib.request.Request(url, data=body, method="POST", headers={"content-type": "application/x-ndjson"})
    with urllib.request.urlopen(request, timeout=120) as response:
        assert response.status == 200, response.read()


class Flowsight:
    """A flowsight process (collect or serve) listening on a free port."""

    def __init__(self, args, store):
        self.store = store
        self.proc = subprocess.Popen(
            [BIN, *args, "--store", str(store), "--config", str(CONFIG), "--listen", "127.0.0.1:0",
             "--otlp-http", "127.0.0.1:0", "--otlp-grpc", "127.0.0.1:0"],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
            env={**os.environ, "FLOWSIGHT_LOG": "info,tower_http=warn", "NO_COLOR": "1"},
        )
        match = None
        while not match:
            line = self.proc.stdout.readline()
            assert line, f"exited before printing its URL: {self.proc.stderr.read()}"
            match = re.search(r"http://[\d.]+:\d+", line)
        self.url = match.group(0)

    def metrics(self):
        """Prometheus text parsed into {name{labels}: value}."""
        text = get(self.url + "/metrics").decode()
        return {k: float(v) for k, v in (l.rsplit(" ", 1) for l in text.splitlines() if l and not l.startswith("#"))}

    def events(self):
        return int(self.metrics()["flowsight_store_events"])

    def event_ids(self):
        return [e["id"] for e in get_json(self.url + "/export/log.jsonocel")["events"]]

    def kill(self):
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(10)

    def stop(self):
        self.proc.send_signal(signal.SIGTERM)
        assert self.proc.wait(60) == 0, self.proc.stderr.read()

    def close(self):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(10)


@pytest.fixture
def processes():
    """Starts flowsight processes and makes sure none outlives the test."""
    started = []

    def start(args, store):
        p = Flowsight(args, store)
        started.append(p)
        return p

    yield start
    for p in started:
        p.close()


def collect_args(brokers, topic, group):
    return ["collect", "--kafka", brokers, "--topic", topic, "--group", group]


def wait_for(what, condition, timeout=120, every=0.25):
    deadline = time.time() + timeout
    while time.time() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(every)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}")
