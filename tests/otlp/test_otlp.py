"""OTLP ingest with the real OpenTelemetry Python SDK and its OTLP exporters (HTTP and gRPC)."""

import json
import os
import sqlite3
import subprocess
import sys
import threading
import time
import urllib.parse
import urllib.request
from pathlib import Path

from flowsight import get, get_json, wait_for

ORDER_FLOW = Path(__file__).with_name("order_flow.py")


def run_flow(kind, address, server, first, count, tmp_path):
    """Runs the instrumented order flow; returns {order id: its span ids}."""
    out = tmp_path / f"spans-{kind}-{first}.json"
    subprocess.run([sys.executable, str(ORDER_FLOW), kind, address, server.url, str(first), str(count), str(out)],
                   check=True, timeout=300)
    return json.loads(out.read_text())


def instance_of(server, order):
    page = get_json(server.url + "/export/instances.json?q=" + urllib.parse.quote(f"order={order}"))
    assert page["total"] == 1, (order, page)
    return get_json(f"{server.url}/api/instances/{page['instances'][0]['id']}")


def test_sdk_spans_land_in_their_order_instances(processes, tmp_path):
    server = processes(["serve"], tmp_path / "store")
    assert server.otlp_http and server.otlp_grpc
    sent = {}
    for kind, address in [("http", server.otlp_http), ("grpc", server.otlp_grpc)]:
        sent.update(run_flow(kind, address, server, 0, 15, tmp_path))
    assert len(sent) == 30
    for order, span_ids in sent.items():
        detail = instance_of(server, order)
        stored = {e["span_id"] for e in detail["events"] if e.get("span_id") and "span:end" in e["attributes"]}
        assert stored == set(span_ids), f"{order}: every span of both traces, and only those"
        names = [e["activity"] for e in detail["events"]]
        assert "OrderPlacedEvent" in names and "PaymentReceivedEvent" in names and "call card network" in names
        call = next(e for e in detail["events"] if e["activity"] == "call card network")
        charge = next(e for e in detail["events"] if e["activity"] == "charge card")
        assert call["attributes"]["span:parent"] == charge["span_id"]
        assert call["attributes"]["span:kind"] == "client" and call["source"] == "payment"
    overview = get_json(server.url + "/api/overview")
    assert overview["uncorrelated"] == 0 and overview["instances"] == 30
    page = get(f"{server.url}/instances/{instance_of(server, 'otel-grpc-3')['summary']['id']}").decode()
    assert page.count('class="span"') == 5, "the Gantt chart draws each span"
    bottlenecks = get_json(server.url + "/export/bottlenecks.json")
    charge = next(a for a in bottlenecks["activities"] if a["activity"] == "call card network")
    assert charge["service"]["count"] == 30 and charge["service"]["min_s"] >= 0.002, "span durations are service times"


def test_spans_without_key_or_stitched_trace_are_uncorrelated(processes, tmp_path):
    server = processes(["serve"], tmp_path / "store")
    script = f"""
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
provider = TracerProvider(resource=Resource.create({{"service.name": "cron"}}))
provider.add_span_processor(SimpleSpanProcessor(OTLPSpanExporter(endpoint="http://{server.otlp_http}/v1/traces")))
with provider.get_tracer("t").start_as_current_span("nightly cleanup"):
    with provider.get_tracer("t").start_as_current_span("vacuum"):
        pass
provider.shutdown()
"""
    subprocess.run([sys.executable, "-c", script], check=True, timeout=120)
    overview = get_json(server.url + "/api/overview")
    assert (overview["events"], overview["uncorrelated"], overview["instances"]) == (2, 2, 0)
    assert "nightly cleanup" in get(server.url + "/uncorrelated").decode()


def test_a_span_joins_the_event_whose_trace_id_is_written_as_a_uuid(processes, tmp_path):
    server = processes(["serve"], tmp_path / "store")
    script = f"""
import json, time, urllib.request, uuid
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
provider = TracerProvider(resource=Resource.create({{"service.name": "payment"}}))
provider.add_span_processor(SimpleSpanProcessor(OTLPSpanExporter(endpoint="http://{server.otlp_http}/v1/traces")))
with provider.get_tracer("t").start_as_current_span("charge card") as span:
    trace_id = span.get_span_context().trace_id
provider.shutdown()
# The flowing-retail envelope: the trace id as an upper-case UUID with dashes.
event = {{"type": "PaymentReceivedEvent", "id": "uuid-trace-paid", "source": "payment",
          "time": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
          "traceid": str(uuid.UUID(int=trace_id)).upper(), "data": {{"orderId": "uuid-order"}}}}
request = urllib.request.Request("{server.url}/api/events", data=json.dumps(event).encode(), method="POST",
                                 headers={{"content-type": "application/json"}})
urllib.request.urlopen(request, timeout=60).read()
"""
    subprocess.run([sys.executable, "-c", script], check=True, timeout=120)
    detail = instance_of(server, "uuid-order")
    assert sorted(e["activity"] for e in detail["events"]) == ["PaymentReceivedEvent", "charge card"]
    assert len({e["trace_id"] for e in detail["events"]}) == 1, "one trace id, in one form"
    overview = get_json(server.url + "/api/overview")
    assert (overview["instances"], overview["uncorrelated"]) == (1, 0)
    assert server.metrics()["flowsight_trace_ids_unnormalised_total"] == 0
    odd = {"type": "X", "id": "odd-trace", "time": "2026-01-05T08:00:00Z", "traceid": "run-17", "data": {}}
    request = urllib.request.Request(server.url + "/api/events", data=json.dumps(odd).encode(), method="POST",
                                     headers={"content-type": "application/json"})
    urllib.request.urlopen(request, timeout=60).read()
    assert server.metrics()["flowsight_trace_ids_unnormalised_total"] == 1, "a trace id of no known shape is counted"


def test_a_stalled_store_makes_exporters_back_off_and_every_span_lands_once(processes, tmp_path):
    config = tmp_path / "small-queue.toml"
    config.write_text(Path(__file__).resolve().parents[2].joinpath("fixtures", "order-flow.toml").read_text()
                      .replace("[otlp]", "[otlp]\nqueue_spans = 100"))
    server = processes(["serve"], tmp_path / "store", config=config)
    # Another process holds the database's write lock for a while: the queue fills up.
    lock = sqlite3.connect(tmp_path / "store" / "flowsight.db", isolation_level=None, check_same_thread=False)
    lock.execute("BEGIN IMMEDIATE")
    threading.Timer(4.0, lambda: lock.execute("ROLLBACK")).start()
    results = {}

    def flow(kind, address, first):
        results[(kind, first)] = run_flow(kind, address, server, first, 40, tmp_path)

    runners = [threading.Thread(target=flow, args=(kind, address, first))
               for kind, address in [("http", server.otlp_http), ("grpc", server.otlp_grpc)] for first in (0, 100)]
    for r in runners:
        r.start()
    for r in runners:
        r.join(300)
    sent = {o: ids for spans in results.values() for o, ids in spans.items()}
    assert len(sent) == 160
    all_spans = sum(len(ids) for ids in sent.values())
    wait_for("every span stored", lambda: get_json(server.url + "/api/overview")["events"] == all_spans + 2 * 160, timeout=120)
    stored = [e["span_id"] for order in list(sent)[::16] for e in instance_of(server, order)["events"] if e.get("span_id") and "span:end" in e["attributes"]]
    assert len(stored) == len(set(stored)), "no span stored twice"
    assert server.metrics()["flowsight_otlp_requests_refused_total"] > 0, "the full queue asked clients to retry"
    assert server.metrics()["flowsight_otlp_spans_stored_total"] == all_spans


def test_undecodable_grpc_is_invalid_argument_and_nothing_is_stored(processes, tmp_path):
    import grpc
    server = processes(["serve"], tmp_path / "store")
    with grpc.insecure_channel(server.otlp_grpc) as channel:
        export = channel.unary_unary("/opentelemetry.proto.collector.trace.v1.TraceService/Export")
        try:
            export(b"\xff\xff\xff", timeout=10)
            raise AssertionError("an undecodable request was accepted")
        except grpc.RpcError as e:
            assert e.code() == grpc.StatusCode.INVALID_ARGUMENT, (e.code(), e.details())
        assert export(b"", timeout=10) == b"", "an empty request is a valid, empty export"
    assert get_json(server.url + "/api/overview")["events"] == 0


def test_with_a_token_only_authorised_exporters_land_spans(processes, tmp_path):
    """Both OTLP receivers ask for the ingest token (gRPC metadata, HTTP header) when the server
    has credentials; the SDK sends it through OTEL_EXPORTER_OTLP_HEADERS."""
    token = "otlp-test-token-0123456789"
    server = processes(["serve", "--token", token], tmp_path / "store")
    script = tmp_path / "one_span.py"
    script.write_text(
        "import sys\n"
        "from opentelemetry.sdk.resources import Resource\n"
        "from opentelemetry.sdk.trace import TracerProvider\n"
        "from opentelemetry.sdk.trace.export import SimpleSpanProcessor\n"
        "from opentelemetry.sdk.trace.export import SpanExportResult\n"
        "kind, address, order = sys.argv[1:4]\n"
        "if kind == 'http':\n"
        "    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter\n"
        "    exporter = OTLPSpanExporter(endpoint=f'http://{address}/v1/traces', timeout=10)\n"
        "else:\n"
        "    from opentelemetry.exporter.otlp.proto.grpc.trace_exporter import OTLPSpanExporter\n"
        "    exporter = OTLPSpanExporter(endpoint=f'http://{address}', insecure=True, timeout=10)\n"
        "results = []\n"
        "export = exporter.export\n"
        "exporter.export = lambda spans: results.append(export(spans)) or results[-1]\n"
        "provider = TracerProvider(resource=Resource.create({'service.name': 'checkout'}))\n"
        "provider.add_span_processor(SimpleSpanProcessor(exporter))\n"
        "with provider.get_tracer('t').start_as_current_span('place order', attributes={'order.id': order}):\n"
        "    pass\n"
        "provider.shutdown()\n"
        "sys.exit(0 if results == [SpanExportResult.SUCCESS] else 3)\n"
    )

    def send(kind, address, order, headers):
        env = {k: v for k, v in os.environ.items() if not k.startswith("OTEL_")}
        if headers:
            env["OTEL_EXPORTER_OTLP_HEADERS"] = headers
        return subprocess.run([sys.executable, str(script), kind, address, order], env=env, timeout=120,
                              capture_output=True).returncode

    for kind, address in [("http", server.otlp_http), ("grpc", server.otlp_grpc)]:
        assert send(kind, address, f"{kind}-anonymous", None) == 3, f"{kind}: refused without a token"
        assert send(kind, address, f"{kind}-wrong", "authorization=Bearer%20not-the-token-123456") == 3
        assert send(kind, address, f"{kind}-signed", f"authorization=Bearer%20{token}") == 0, f"{kind}: accepted"

    def overview():
        request = urllib.request.Request(server.url + "/api/overview", headers={"authorization": f"Bearer {token}"})
        with urllib.request.urlopen(request, timeout=30) as response:
            return json.loads(response.read())

    wait_for("both signed spans", lambda: overview()["events"] == 2, timeout=30)
    time.sleep(1)
    assert overview()["events"] == 2, "no anonymous or wrongly signed span was stored"
