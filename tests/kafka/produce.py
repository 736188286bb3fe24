"""Produces NDJSON events to a Kafka topic with confluent-kafka, an independent client.

Usage: produce.py BROKERS TOPIC PARTITIONS FILE [--bad N]

Creates TOPIC with PARTITIONS partitions if missing, keys each message by its order id (so an
order's events share a partition, as services publishing them would), and with --bad N mixes
N malformed messages of each kind into the stream. Prints the count produced per partition
as JSON.
"""

import json
import sys

from confluent_kafka import Producer
from confluent_kafka.admin import AdminClient, NewTopic

BAD_KINDS = {
    "not JSON": lambda i: b"this is not json %d" % i,
    "no event type": lambda i: json.dumps({"id": f"bad-type-{i}", "time": "2026-01-05T08:00:00Z"}).encode(),
    "unparseable time": lambda i: json.dumps({"type": "OrderPlacedEvent", "id": f"bad-time-{i}", "time": "yesterday"}).encode(),
    "over the limit": lambda i: json.dumps({"type": "Big", "id": f"big-{i}", "time": "2026-01-05T08:00:00Z", "data": {"pad": "x" * 300_000}}).encode(),
}


def ensure_topic(brokers, topic, partitions):
    admin = AdminClient({"bootstrap.servers": brokers})
    if topic in admin.list_topics(timeout=10).topics:
        return
    for future in admin.create_topics([NewTopic(topic, num_partitions=partitions, replication_factor=1)]).values():
        future.result()


def order_key(envelope):
    data = envelope.get("data") or {}
    for field in ("orderId", "refId", "paymentId", "pickId", "shipmentId"):
        if field in data:
            return str(data[field]).encode()
    return None


def main():
    brokers, topic, partitions, path = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
    bad = int(sys.argv[6]) if len(sys.argv) > 6 and sys.argv[5] == "--bad" else 0
    ensure_topic(brokers, topic, partitions)
    producer = Producer({"bootstrap.servers": brokers, "linger.ms": 20, "message.max.bytes": 2_000_000})
    counts = {}
    errors = []

    def delivered(err, msg):
        if err is not None:
            errors.append(str(err))
        else:
            counts[msg.partition()] = counts.get(msg.partition(), 0) + 1

    def send(value, key=None, headers=None):
        while True:
            try:
                producer.produce(topic, value=value, key=key, headers=headers, on_delivery=delivered)
                producer.poll(0)
                return
            except BufferError:
                producer.poll(0.1)

    with open(path, "rb") as lines:
        for n, line in enumerate(lines):
            envelope = json.loads(line)
            send(line.rstrip(b"\n"), key=order_key(envelope), headers=[("type", envelope["type"].encode())])
            if bad and n % 97 == 0 and bad > 0:
                for kind, make in BAD_KINDS.items():
                    send(make(n), key=b"bad")
                bad -= 1
    producer.flush(60)
    if errors:
        sys.exit(f"delivery failed: {errors[:3]}")
    print(json.dumps(counts))


if __name__ == "__main__":
    main()
