"""Kafka -> embedded store throughput of `flowsight collect`, and its peak memory.

Usage: bench_kafka.py FLOWSIGHT_BIN BROKERS [ORDERS]

Generates ORDERS orders (about 8 events each), produces them with confluent-kafka to a fresh
topic of 3 partitions, then starts the collector on an empty store and measures from its first
stored event until every event is durable (the group join before that is not counted): from
the last poll that saw an empty store to the store's last write to its log.
Peak memory is the collector's VmHWM.
"""

import os
import sys
import tempfile
import time
from pathlib import Path

import conftest  # the Kafka tests' helpers (generate, produce); PYTHONPATH from the Makefile
import flowsight  # tests/support, on PYTHONPATH too


def peak_rss_mib(pid):
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def started_before_first_event(collector):
    """When the last poll that found the store empty began: no later than the first commit."""
    previous = time.time()
    while True:
        polled = time.time()
        if collector.events() > 0:
            return previous
        previous = polled
        time.sleep(0.01)


def main():
    conftest.BIN = flowsight.BIN = sys.argv[1]
    brokers = sys.argv[2]
    orders = int(sys.argv[3]) if len(sys.argv) > 3 else 50_000
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        path, ids = conftest.generate(tmp, orders, seed=5)
        topic = conftest.unique("bench")
        started = time.time()
        conftest.produce(brokers, topic, path, partitions=3)
        produced = time.time() - started
        collector = conftest.Flowsight(conftest.collect_args(brokers, topic, conftest.unique("bench")), tmp / "store")
        try:
            first = started_before_first_event(collector)
            # Each /metrics answer reads the store's summaries (about 30 ms at 400,000 events
            # on a cold cache, as a reader's is while the collector writes), so the end is seen
            # by polling once a second and timed by the store's last write to its log instead.
            conftest.wait_for("every event", lambda: collector.events() == len(ids), timeout=600, every=1.0)
            elapsed = (tmp / "store" / "flowsight.db-wal").stat().st_mtime - first
            rss = peak_rss_mib(collector.proc.pid)
        finally:
            collector.close()
    print(f"kafka: {len(ids):,} messages produced by confluent-kafka in {produced:.1f} s")
    print(f"kafka -> embedded store: {len(ids):,} events in {elapsed:.2f} s = {len(ids) / elapsed:,.0f} events/s "
          f"(target 100,000); collector peak memory {rss:.0f} MiB")


if __name__ == "__main__":
    os.environ.setdefault("FLOWSIGHT_LOG", "warn")
    main()
