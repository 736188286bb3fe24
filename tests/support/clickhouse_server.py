"""A ClickHouse server of a test's own (Debian's clickhouse-server, installed by
scripts/setup-test-deps.sh) on free loopback ports, which the test can kill and start again on the
same data."""

import signal
import socket
import subprocess
import time
import urllib.request
from pathlib import Path

import pytest

SERVER = "/usr/sbin/clickhouse-server"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class ClickHouse:
    """A clickhouse-server on free loopback ports with its data in `root`."""

    def __init__(self, root):
        self.root = Path(root)
        self.http_port, self.tcp_port = free_port(), free_port()
        script = Path(__file__).resolve().parents[2] / "scripts" / "clickhouse-config.sh"
        subprocess.run(["bash", str(script), str(self.root), str(self.http_port), str(self.tcp_port)], check=True)
        self.config = self.root / "config.xml"
        self.proc = None
        self.start()

    @property
    def url(self):
        return f"http://127.0.0.1:{self.http_port}"

    def start(self):
        self.proc = subprocess.Popen([SERVER, f"--config-file={self.config}"],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.time() + 60
        while time.time() < deadline:
            try:
                if urllib.request.urlopen(self.url + "/ping", timeout=2).read() == b"Ok.\n":
                    return
            except OSError:
                pass
            assert self.proc.poll() is None, (self.root / "log" / "error.log").read_text()
            time.sleep(0.1)
        raise AssertionError("clickhouse-server did not answer /ping within 60 s")

    def kill(self):
        """Kills the server outright (SIGKILL), as a crash would."""
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(30)

    def query(self, sql):
        request = urllib.request.Request(self.url + "/", data=sql.encode())
        with urllib.request.urlopen(request, timeout=60) as response:
            return response.read().decode()

    def close(self):
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                self.proc.kill()


@pytest.fixture
def clickhouse(tmp_path):
    server = ClickHouse(tmp_path / "clickhouse")
    yield server
    server.close()
