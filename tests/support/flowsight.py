"""Helpers shared by the Python test suites: the flowsight binary under test run as a
process (serve, collect, demo) on free ports, and small HTTP helpers."""

import json
import os
import re
import signal
import subprocess
import time
import urllib.request
import uuid
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
BIN = os.environ.get("FLOWSIGHT_BIN", str(ROOT / "target" / "debug" / "flowsight"))
CONFIG = ROOT / "fixtures" / "order-flow.toml"


def unique(name):
    return f"{name}-{uuid.uuid4().hex[:8]}"


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

    def __init__(self, args, store, config=CONFIG):
        self.store = store
        self.proc = subprocess.Popen(
            [BIN, *args, "--store", str(store), *(["--config", str(config)] if config else []), "--listen", "127.0.0.1:0",
             "--otlp-http", "127.0.0.1:0", "--otlp-grpc", "127.0.0.1:0"],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
            env={**os.environ, "FLOWSIGHT_LOG": "info,tower_http=warn", "NO_COLOR": "1"},
        )
        match = None
        self.otlp_http = self.otlp_grpc = None
        while not match:
            line = self.proc.stdout.readline()
            assert line, f"exited before printing its URL: {self.proc.stderr.read()}"
            otlp = re.search(r"OTLP receivers: HTTP ([\d.]+:\d+) .*gRPC ([\d.]+:\d+)", line)
            if otlp:
                self.otlp_http, self.otlp_grpc = otlp.groups()
            match = re.search(r"http://[\d.]+:\d+", line)
        self.url = match.group(0)

    def metrics(self):
        """Prometheus text parsed into {name{labels}: value}."""
        text = get(self.url + "/metrics").decode()
        return {k: float(v) for k, v in (l.rsplit(" ", 1) for l in text.splitlines() if l and not l.startswith("#"))}

    def events(self):
        return int(self.metrics().get("flowsight_store_events", -1))

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

    def start(args, store, **options):
        p = Flowsight(args, store, **options)
        started.append(p)
        return p

    yield start
    for p in started:
        p.close()


def wait_for(what, condition, timeout=120, every=0.25):
    deadline = time.time() + timeout
    while time.time() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(every)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}")
