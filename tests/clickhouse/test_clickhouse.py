"""The ClickHouse store under a real server: when ClickHouse goes down mid-ingest, the
collector answers HTTP and OTLP clients with 503 (nothing half-kept), and once ClickHouse is
back every accepted event and span is stored exactly once."""

import json
import threading
import time
import urllib.error
import urllib.request

from conftest import get_json, wait_for

BATCH = 400


def post(url, body, content_type):
    """POSTs `body`; returns the HTTP status (0 when the collector could not be reached)."""
    request = urllib.request.Request(url, data=body, method="POST", headers={"content-type": content_type})
    try:
        with urllib.request.urlopen(request, timeout=120) as response:
            return response.status
    except urllib.error.HTTPError as e:
        return e.code
    except OSError:
        return 0


def spans_request(trace, count, first):
    """An OTLP/JSON export request of `count` spans of one trace, carrying an order id."""
    now = time.time_ns()
    spans = [{
        "traceId": trace, "spanId": f"{first + i:016x}", "name": "charge card", "kind": 2,
        "startTimeUnixNano": str(now + i * 1000), "endTimeUnixNano": str(now + i * 1000 + 500),
        "attributes": [{"key": "order.id", "value": {"stringValue": "span-order"}}],
    } for i in range(count)]
    body = {"resourceSpans": [{"resource": {"attributes": [{"key": "service.name", "value": {"stringValue": "payment"}}]},
                               "scopeSpans": [{"scope": {"name": "test"}, "spans": spans}]}]}
    return json.dumps(body).encode()


def test_a_killed_server_mid_ingest_loses_nothing_accepted_and_stores_nothing_twice(clickhouse, processes, orders):
    lines = orders(3_000)
    batches = [b"".join(lines[i:i + BATCH]) for i in range(0, len(lines), BATCH)]
    flowsight = processes(["serve"], f"clickhouse://127.0.0.1:{clickhouse.http_port}/flow")
    statuses = []

    def send():
        for body in batches:
            while True:
                status = post(flowsight.url + "/api/events", body, "application/x-ndjson")
                statuses.append(status)
                if status == 200:
                    break
                assert status in (503, 0), f"a retryable answer while the store is away, not {status}"
                time.sleep(0.2)

    sender = threading.Thread(target=send)
    sender.start()
    wait_for("a third of the batches accepted", lambda: statuses.count(200) >= len(batches) // 3)
    clickhouse.kill()
    wait_for("the ingest to answer 503 while ClickHouse is down", lambda: 503 in statuses, timeout=60)
    trace = "4bf92f3577b34da6a3ce929d0e0e4736"
    otlp_down = post(f"http://{flowsight.otlp_http}/v1/traces", spans_request(trace, 50, 1), "application/json")
    assert otlp_down == 503, f"OTLP/HTTP answers 503 (retry later) while the store is down, not {otlp_down}"
    time.sleep(2)
    clickhouse.start()
    sender.join(600)
    assert not sender.is_alive()
    otlp_back = wait_for("the OTLP export to be taken once ClickHouse is back", lambda: post(
        f"http://{flowsight.otlp_http}/v1/traces", spans_request(trace, 50, 1), "application/json") == 200, timeout=120)
    assert otlp_back

    expected = len(lines) + 50
    raw, distinct = map(int, clickhouse.query("SELECT count(), uniqExact(id) FROM flow.events").split())
    assert distinct == expected, "every accepted event and span is in the table"
    assert raw >= expected, f"{raw - expected} copies left by the crash, folded by every query"
    overview = get_json(flowsight.url + "/api/overview")
    assert overview["events"] == expected, "each counted once"
    assert overview["instances"] == 3_000 + 1, "the orders and the spans' order"
    page = get_json(flowsight.url + "/export/instances.json")
    [spanned] = [i for i in page["instances"] if i["label"] == "order=span-order"]
    detail = get_json(flowsight.url + f"/api/instances/{spanned['id']}")
    assert len(detail["events"]) == 50
