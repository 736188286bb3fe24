"""The Kafka source against a real broker (tansu) fed by an independent client (confluent-kafka).

Each test uses its own topic and consumer group, so the tests share one broker."""

import json
import random
import re
import sqlite3
import subprocess
import time
from collections import Counter
from pathlib import Path

from conftest import BIN, collect_args, generate, get, get_json, post_ndjson, produce, unique, wait_for


def test_stores_every_message_and_equals_the_http_ingest(brokers, processes, tmp_path):
    path, ids = generate(tmp_path, 12_500)
    assert len(ids) >= 100_000
    topic = unique("orders")
    per_partition = produce(brokers, topic, path, partitions=3)
    assert sorted(per_partition) == [0, 1, 2] and sum(per_partition.values()) == len(ids)

    group = unique("g")
    kafka = processes(collect_args(brokers, topic, group), tmp_path / "kafka-store")
    wait_for("every message stored", lambda: kafka.events() == len(ids), timeout=300)
    metrics = kafka.metrics()
    for p, n in per_partition.items():
        labels = f'{{group="{group}",topic="{topic}",partition="{p}"}}'
        assert metrics[f"flowsight_kafka_messages_total{labels}"] == n
        assert metrics[f"flowsight_kafka_consumer_lag{labels}"] == 0
    assert sorted(kafka.event_ids()) == sorted(ids)

    http = processes(["serve"], tmp_path / "http-store")
    lines = path.read_bytes().splitlines(keepends=True)
    for start in range(0, len(lines), 5_000):
        post_ndjson(http.url + "/api/events", b"".join(lines[start:start + 5_000]))
    assert http.events() == len(ids)
    query = "?activities=100&paths=100"
    for export in ["dfg.json", "variants.json"]:
        assert get_json(kafka.url + "/export/" + export + query) == get_json(http.url + "/export/" + export + query), export
    assert instances(kafka) == instances(http)


def instances(flowsight):
    """Every instance by label, without the store's internal id (arrival order differs)."""
    page = get_json(flowsight.url + "/export/instances.json")
    assert page["total"] == len(page["instances"])
    return {i["label"]: {k: v for k, v in i.items() if k != "id"} for i in page["instances"]}


def test_sigkill_at_three_random_points_keeps_every_message_exactly_once(brokers, processes, tmp_path):
    path, ids = generate(tmp_path, 6_000, seed=11)
    topic, group, store = unique("crash"), unique("g"), tmp_path / "store"
    produce(brokers, topic, path, partitions=3)
    rng = random.Random(2026)
    points = sorted(rng.sample(range(len(ids) // 10, len(ids) * 9 // 10), 3))
    for point in points:
        collector = processes(collect_args(brokers, topic, group), store)
        wait_for(f"{point} events stored", lambda: collector.events() >= point, timeout=300, every=0.05)
        collector.kill()
    collector = processes(collect_args(brokers, topic, group), store)
    wait_for("every message stored", lambda: collector.events() == len(ids), timeout=300)
    # Once every offset is committed, nothing can be redelivered: what is stored then is final.
    wait_for("every offset committed", lambda: sum(committed(brokers, group, topic).values()) == len(ids), timeout=60)
    stored = collector.event_ids()
    assert len(stored) == len(ids) and set(stored) == set(ids), "every message stored exactly once"
    assert collector.events() == len(ids)


def test_two_collectors_share_the_partitions_and_hand_over_on_stop(brokers, processes, tmp_path):
    first_half, first_ids = generate(tmp_path, 2_000, seed=21)
    second_half, second_ids = generate(tmp_path, 2_000, seed=22)
    topic, group = unique("shared"), unique("g")
    produce(brokers, topic, first_half, partitions=3)
    a = processes(collect_args(brokers, topic, group), tmp_path / "a")
    b = processes(collect_args(brokers, topic, group), tmp_path / "b")

    def assigned(c):
        return {k for k, v in c.metrics().items() if k.startswith("flowsight_kafka_assigned") and v == 1}

    wait_for("both collectors holding partitions", lambda: assigned(a) and assigned(b) and len(assigned(a) | assigned(b)) == 3)
    assert not assigned(a) & assigned(b), "a partition is consumed by one collector of the group"
    wait_for("the first half stored", lambda: len(set(a.event_ids()) | set(b.event_ids())) == len(first_ids))
    a.stop()
    produce(brokers, topic, second_half, partitions=3)
    wait_for("the survivor takes every partition", lambda: len(assigned(b)) == 3)
    wait_for("the survivor stores every new message", lambda: set(b.event_ids()) >= set(second_ids), timeout=180)
    stopped = ids_in_store(a.store)
    assert set(stopped) | set(b.event_ids()) == set(first_ids) | set(second_ids), "nothing lost"
    assert len(stopped) == len(set(stopped)), "no message stored twice in one store"


def ids_in_store(store):
    """Event ids in a stopped collector's store, read from its database file."""
    db = sqlite3.connect(f"file:{store / 'flowsight.db'}?mode=ro", uri=True)
    try:
        return [row[0] for row in db.execute("SELECT id FROM events")]
    finally:
        db.close()


def test_malformed_messages_go_to_the_dead_letter_table(brokers, processes, tmp_path):
    path, ids = generate(tmp_path, 500, seed=31)
    topic = unique("dirty")
    per_partition = produce(brokers, topic, path, partitions=3, bad=5)
    assert sum(per_partition.values()) == len(ids) + 20
    collector = processes(collect_args(brokers, topic, unique("g")), tmp_path / "store")
    wait_for("good and bad all durable", lambda: collector.metrics()["flowsight_store_dead_letters"] == 20 and collector.events() == len(ids))
    letters = get_json(collector.url + "/api/dead-letters?limit=100")
    reasons = Counter(next(kind for kind in ["not JSON", "no event type", "unparseable time", "over the limit"] if kind in l["reason"]) for l in letters)
    assert reasons == {"not JSON": 5, "no event type": 5, "unparseable time": 5, "over the limit": 5}
    assert all(l["topic"] == topic for l in letters)
    assert len({(l["partition"], l["offset"]) for l in letters}) == 20
    big = next(l for l in letters if "over the limit" in l["reason"])
    assert "message" not in big and len(big["preview"]) == 200 and big["bytes"] > 256 * 1024, "summaries by default"
    whole = get_json(collector.url + "/api/dead-letters?limit=100&body=true")
    assert sorted(len(l["message"].encode()) for l in whole) == sorted(l["bytes"] for l in letters), "bodies on request"
    assert sorted(collector.event_ids()) == sorted(ids)
    page = get(collector.url + "/sources").decode()
    assert "unparseable time" in page and 'id="kafka-partitions"' in page


def test_a_failing_store_pauses_commits_nothing_early_and_recovers(brokers, processes, tmp_path):
    first, first_ids = generate(tmp_path, 300, seed=41)
    second, second_ids = generate(tmp_path, 1_500, seed=42)
    topic, group = unique("outage"), unique("g")
    produce(brokers, topic, first, partitions=3)
    collector = processes(collect_args(brokers, topic, group), tmp_path / "store")
    wait_for("the first batch stored", lambda: collector.events() == len(first_ids))
    wait_for("their offsets committed", lambda: sum(committed(brokers, group, topic).values()) == len(first_ids), timeout=30)
    committed_before = committed(brokers, group, topic)

    # Another process holds the database's write lock: every write fails until it lets go.
    lock = sqlite3.connect(tmp_path / "store" / "flowsight.db", timeout=1, isolation_level=None)
    lock.execute("BEGIN EXCLUSIVE")
    produce(brokers, topic, second, partitions=3)
    wait_for("consumption paused on the store", lambda: collector.metrics()['flowsight_kafka_paused{group="%s"}' % group] == 1, timeout=60)
    retried_and_failed(collector, group)
    assert committed(brokers, group, topic) == committed_before, "nothing committed past what is durable"
    assert collector.events() == len(first_ids)
    lock.execute("ROLLBACK")
    lock.close()

    everything = len(first_ids) + len(second_ids)
    wait_for("recovered and every message stored", lambda: collector.events() == everything, timeout=120)
    metrics = collector.metrics()
    assert metrics['flowsight_kafka_paused{group="%s"}' % group] == 0
    assert metrics['flowsight_kafka_store_failures_total{group="%s"}' % group] >= 1
    assert sorted(collector.event_ids()) == sorted(first_ids + second_ids)
    wait_for("offsets committed after recovery", lambda: sum(committed(brokers, group, topic).values()) == everything, timeout=30)


def test_a_clickhouse_outage_pauses_commits_nothing_early_and_recovers(brokers, processes, clickhouse, tmp_path):
    first, first_ids = generate(tmp_path, 300, seed=51)
    second, second_ids = generate(tmp_path, 1_500, seed=52)
    topic, group = unique("ch-outage"), unique("g")
    produce(brokers, topic, first, partitions=3)
    collector = processes(collect_args(brokers, topic, group), f"clickhouse://127.0.0.1:{clickhouse.http_port}/kafka")
    wait_for("the first batch stored", lambda: collector.events() == len(first_ids))
    wait_for("their offsets committed", lambda: sum(committed(brokers, group, topic).values()) == len(first_ids), timeout=30)
    committed_before = committed(brokers, group, topic)

    clickhouse.kill()
    produce(brokers, topic, second, partitions=3)
    wait_for("consumption paused on the store", lambda: collector.metrics()['flowsight_kafka_paused{group="%s"}' % group] == 1, timeout=60)
    assert collector.metrics()["flowsight_store_up"] == 0, "/metrics still answers, saying the store is down"
    retried_and_failed(collector, group)
    assert committed(brokers, group, topic) == committed_before, "nothing committed past what is durable"
    clickhouse.start()

    everything = len(first_ids) + len(second_ids)
    wait_for("recovered and every message stored", lambda: collector.events() == everything, timeout=180)
    assert collector.metrics()['flowsight_kafka_paused{group="%s"}' % group] == 0
    assert sorted(collector.event_ids()) == sorted(first_ids + second_ids)
    wait_for("offsets committed after recovery", lambda: sum(committed(brokers, group, topic).values()) == everything, timeout=30)


def retried_and_failed(collector, group):
    """Waits until the paused source has tried the store again and failed again: it had its
    chance to commit past what is durable."""
    failures = 'flowsight_kafka_store_attempts_failed_total{group="%s"}' % group
    before = collector.metrics()[failures]
    wait_for("a retry of the store failing too", lambda: collector.metrics()[failures] > before, timeout=60)


def committed(brokers, group, topic):
    """The group's committed offsets per partition, read with the independent client."""
    from confluent_kafka import Consumer, TopicPartition
    consumer = Consumer({"bootstrap.servers": brokers, "group.id": group, "enable.auto.commit": False})
    try:
        parts = consumer.committed([TopicPartition(topic, p) for p in range(3)], timeout=10)
        return {p.partition: max(p.offset, 0) for p in parts}
    finally:
        consumer.close()


def test_the_demo_runs_through_kafka(brokers, processes, tmp_path):
    topic = unique("demo")
    demo = processes(["demo", "--kafka", brokers, "--topic", topic, "--orders", "300"], tmp_path / "store")
    _, ids = generate(tmp_path, 300, seed=42)
    wait_for("the demo's events collected", lambda: demo.events() == len(ids))

    def counted():
        """The source's per-partition counts, once they have caught up with the store (the
        writer counts a batch just after the store has taken it)."""
        metrics = demo.metrics()
        partitions = [k for k in metrics if k.startswith("flowsight_kafka_messages_total") and f'topic="{topic}"' in k]
        return (metrics, partitions) if sum(metrics[k] for k in partitions) == len(ids) else None
    metrics, partitions = wait_for("the source's counts", counted, timeout=10)
    assert metrics["flowsight_store_instances"] == 300
    assert len(partitions) == 3


def test_a_topic_created_after_the_collector_started_is_consumed_within_15_s(brokers, processes, tmp_path):
    path, ids = generate(tmp_path, 100, seed=61)
    topic, group = unique("late"), unique("g")
    collector = processes(collect_args(brokers, topic, group), tmp_path / "store")
    wait_for("the Sources page to say the topic is waited for",
             lambda: "Waiting for topic" in get(collector.url + "/sources").decode(), timeout=30)
    assert collector.metrics()[f'flowsight_kafka_topic_waiting{{group="{group}",topic="{topic}"}}'] == 1
    # The scenario itself, not a guess at timing: the topic appears long after the start, past
    # several metadata refreshes, rather than racing the first.
    time.sleep(10)
    created = time.monotonic()
    produce(brokers, topic, path, partitions=3)
    wait_for("every message stored", lambda: collector.events() == len(ids),
             timeout=max(1.0, 15 - (time.monotonic() - created)))
    assert time.monotonic() - created <= 15
    assert "Waiting for topic" not in get(collector.url + "/sources").decode()


def test_a_collector_without_rules_discovers_them_from_the_topic(brokers, processes, tmp_path):
    """Point at a topic, get a map: no configuration, and the instances, map and variants equal
    those of the hand-written rules; `discover --topic` proposes the same keys, committing nothing."""
    path, ids = generate(tmp_path, 600, seed=23)
    topic = unique("zero-config")
    produce(brokers, topic, path, partitions=2)

    proposed = subprocess.run([BIN, "discover", "--kafka", brokers, "--topic", topic, "--json"],
                              check=True, capture_output=True, text=True)
    keys = {k["kind"]: k for k in json.loads(proposed.stdout)["messages"]["keys"] if k["verdict"]["applied"]}
    assert [f["pointer"] for f in keys["order"]["fields"]] == ["/data/orderId", "/data/refId"], keys

    kafka = processes(collect_args(brokers, topic, unique("g")), tmp_path / "discovered", config=None)
    wait_for("every message stored", lambda: kafka.events() == len(ids), timeout=300)
    assert "the rules discovered from the first" in get(kafka.url + "/sources").decode()

    http = processes(["serve"], tmp_path / "by-hand")
    post_ndjson(http.url + "/api/events", path.read_bytes())
    query = "?activities=100&paths=100"
    for export in ["dfg.json", "variants.json"]:
        assert get_json(kafka.url + "/export/" + export + query) == get_json(http.url + "/export/" + export + query), export
    # Correlation is the same; how long an idle instance may wait before it counts as stuck is
    # not in the messages (the hand-written rules say 12h, the discovered ones keep the default).
    discovered, by_hand = instances(kafka), instances(http)
    completed = [label for label, i in by_hand.items() if i["status"] == "completed"]
    assert completed and all(discovered[label]["status"] == "completed" for label in completed)
    for i in [*discovered.values(), *by_hand.values()]:
        del i["status"]
    assert discovered == by_hand


def test_orders_that_stop_at_a_step_breach_its_service_level_live(brokers, processes, tmp_path):
    """Orders stop arriving at a step: without a restart, /metrics and the instance pages show
    them waiting there, then breaching the step's service level once it has passed (measured
    against the current time, as the data is live)."""
    config = tmp_path / "flowsight.toml"
    config.write_text('[[mapping.keys]]\nkind = "order"\npointers = ["/data/orderId"]\n'
                      '[instances]\nend_activities = ["Shipped"]\n'
                      '[[tracking.sla]]\nstep = "Paid"\nwithin = "6s"\n')
    now = time.time()

    def event(order, activity, seconds):
        at = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(now + seconds)) + f".{int((now + seconds) % 1 * 1000):03d}Z"
        return json.dumps({"specversion": "1.0", "type": activity, "id": f"{order}-{activity}", "source": "shop",
                           "time": at, "data": {"orderId": order}})

    lines = []
    for n in range(6):
        order = f"live-{n}"
        lines += [event(order, "Placed", 0), event(order, "Paid", 0.2)]
        if n < 3:
            lines.append(event(order, "Shipped", 0.4))
    path = tmp_path / "live.ndjson"
    path.write_text("\n".join(lines) + "\n")
    topic = unique("live")
    produce(brokers, topic, path, partitions=2)
    collector = processes(collect_args(brokers, topic, unique("g")), tmp_path / "store", config=config)
    wait_for("every message stored", lambda: collector.events() == len(lines), timeout=60)

    metrics = collector.metrics()
    assert metrics['flowsight_step_instances_waiting{step="Paid"}'] == 3
    assert metrics['flowsight_step_wait_limit_seconds{step="Paid"}'] == 6
    assert 'flowsight_clock_seconds{clock="wall"}' in metrics
    wait_for("the three orders at Paid to breach its 6 s",
             lambda: collector.metrics()['flowsight_step_instances_breaching{step="Paid"}'] == 3, timeout=30)
    assert time.time() - now >= 6
    stuck = get_json(collector.url + "/api/instances?status=stuck&at=Paid&sort=waiting")
    assert sorted(i["label"] for i in stuck["instances"]) == ["order=live-3", "order=live-4", "order=live-5"]
    page = get(collector.url + f"/instances/{stuck['instances'][0]['id']}").decode()
    assert 'id="breach"' in page and "measured against the current time" in page
    shipped = get_json(collector.url + "/api/instances?status=completed")
    assert shipped["total"] == 3

    # Every series the shipped alerting rules and Grafana dashboard use is one this collector serves.
    served = {name.split("{")[0] for name in collector.metrics()}
    deploy = Path(__file__).resolve().parents[2] / "deploy"
    for shipped_file in [deploy / "prometheus" / "flowsight-alerts.yml", deploy / "grafana" / "flowsight-dashboard.json"]:
        used = set(re.findall(r"\bflowsight_[a-z_]+", shipped_file.read_text()))
        assert used and used <= served, (shipped_file.name, used - served)
