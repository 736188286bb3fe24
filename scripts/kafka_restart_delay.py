"""How long a Kafka collector killed with SIGKILL takes to consume again after its restart.

Produces 400 generated orders, starts `flowsight collect`, waits until every message is stored,
kills it with SIGKILL, produces 400 more and restarts it on the same store and group; prints the
seconds from the first start to all stored and from the restart to the first new event stored.
The group waits for the killed member's session to time out (or, with static membership,
gives its partitions straight back), which is what this measures.

Usage (inside scripts/with-kafka.sh, which exports FLOWSIGHT_KAFKA):
    kafka_restart_delay.py FLOWSIGHT_BINARY [CONFIG.toml]
"""

import os
import re
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def start(binary, config, brokers, store, topic, group):
    p = subprocess.Popen([binary, "collect", "--kafka", brokers, "--topic", topic, "--group", group, "--store", store,
                          "--config", config, "--listen", "127.0.0.1:0", "--no-otlp-ports"],
                         stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    while True:
        line = p.stdout.readline()
        if not line:
            sys.exit("the collector exited before it listened")
        found = re.search(r"http://[\d.]+:\d+", line)
        if found:
            return p, found.group(0)


def stored(url):
    text = urllib.request.urlopen(url + "/metrics", timeout=10).read().decode()
    return int(float(re.search(r"^flowsight_store_events (\S+)", text, re.M).group(1)))


def wait_until(condition, what, timeout=120):
    deadline = time.time() + timeout
    while not condition():
        if time.time() > deadline:
            sys.exit(f"timed out waiting for {what}")
        time.sleep(0.1)


def main():
    binary = sys.argv[1]
    config = sys.argv[2] if len(sys.argv) > 2 else os.path.join(ROOT, "fixtures", "order-flow.toml")
    brokers = os.environ["FLOWSIGHT_KAFKA"]
    with tempfile.TemporaryDirectory() as work:
        streams = []
        for seed in (1, 2):
            path = os.path.join(work, f"orders-{seed}.ndjson")
            subprocess.run([binary, "generate", "--orders", "400", "--seed", str(seed), "-o", path], check=True)
            streams.append(path)
        topic = group = f"restart-{os.getpid()}-{int(time.time())}"
        store = os.path.join(work, "store")
        produce = [sys.executable, os.path.join(ROOT, "tests", "kafka", "produce.py"), brokers, topic, "3"]
        subprocess.run([*produce, streams[0]], check=True, capture_output=True)
        first = sum(1 for _ in open(streams[0]))
        began = time.time()
        collector, url = start(binary, config, brokers, store, topic, group)
        wait_until(lambda: stored(url) >= first, "the first stream")
        print(f"first start: all {first} messages stored {time.time() - began:.1f} s after the start")
        collector.send_signal(signal.SIGKILL)
        collector.wait()
        subprocess.run([*produce, streams[1]], check=True, capture_output=True)
        began = time.time()
        collector, url = start(binary, config, brokers, store, topic, group)
        try:
            wait_until(lambda: stored(url) > first, "consumption after the restart")
            print(f"after SIGKILL: consuming again {time.time() - began:.1f} s after the restart")
        finally:
            collector.kill()


if __name__ == "__main__":
    main()
