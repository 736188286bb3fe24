"""A small order flow instrumented with the OpenTelemetry Python SDK, as a service would be.

For each order: the checkout trace starts with a span carrying the order id (the only span
that has it), with nested work below it; the payment trace's spans carry no order id at all:
only the payment event posted over HTTP shares their trace id. Events go to Flowsight's
`POST /api/events`, spans through the real OTLP exporter (http or grpc).

Usage: order_flow.py http|grpc OTLP_ADDRESS FLOWSIGHT_URL FIRST_ORDER ORDERS OUT.json
Writes {order id: [span ids (hex)]} to OUT.json.
"""

import json
import sys
import time
import urllib.request

from opentelemetry import trace
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor


def exporter(kind, address):
    if kind == "http":
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
        return OTLPSpanExporter(endpoint=f"http://{address}/v1/traces", timeout=60)
    from opentelemetry.exporter.otlp.proto.grpc.trace_exporter import OTLPSpanExporter
    return OTLPSpanExporter(endpoint=f"http://{address}", insecure=True, timeout=60)


def tracer(kind, address, service):
    provider = TracerProvider(resource=Resource.create({"service.name": service}))
    provider.add_span_processor(BatchSpanProcessor(exporter(kind, address), max_export_batch_size=64, schedule_delay_millis=100))
    return provider, provider.get_tracer("flowsight-test")


def hex_trace(span):
    return format(span.get_span_context().trace_id, "032x")


def post_events(url, events):
    body = "\n".join(json.dumps(e) for e in events).encode()
    request = urllib.request.Request(url + "/api/events", data=body, method="POST", headers={"content-type": "application/x-ndjson"})
    with urllib.request.urlopen(request, timeout=60) as response:
        answer = json.loads(response.read())
        assert not answer["rejected"], answer


def main():
    kind, address, url, first, count, out = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), int(sys.argv[5]), sys.argv[6]
    checkout_provider, checkout = tracer(kind, address, "checkout")
    payment_provider, payment = tracer(kind, address, "payment")
    spans, events = {}, []
    for n in range(first, first + count):
        order = f"otel-{kind}-{n}"
        ids = spans.setdefault(order, [])
        with checkout.start_as_current_span("place order", attributes={"order.id": order}) as root:
            ids.append(format(root.get_span_context().span_id, "016x"))
            with checkout.start_as_current_span("validate cart") as child:
                ids.append(format(child.get_span_context().span_id, "016x"))
                time.sleep(0.001)
            with checkout.start_as_current_span("orders publish", kind=trace.SpanKind.PRODUCER,
                                                attributes={"messaging.system": "kafka", "messaging.destination.name": "orders",
                                                            "messaging.operation.type": "publish"}) as publish:
                ids.append(format(publish.get_span_context().span_id, "016x"))
            placed_trace = hex_trace(root)
        events.append({"type": "OrderPlacedEvent", "id": f"{order}-placed", "source": "checkout",
                       "time": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime()) + "Z",
                       "traceid": placed_trace, "data": {"orderId": order}})
        with payment.start_as_current_span("charge card", kind=trace.SpanKind.SERVER) as charge:
            ids.append(format(charge.get_span_context().span_id, "016x"))
            with payment.start_as_current_span("call card network", kind=trace.SpanKind.CLIENT) as call:
                ids.append(format(call.get_span_context().span_id, "016x"))
                time.sleep(0.002)
            payment_trace = hex_trace(charge)
        events.append({"type": "PaymentReceivedEvent", "id": f"{order}-paid", "source": "payment",
                       "time": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime()) + "Z",
                       "traceid": payment_trace, "data": {"refId": order, "paymentId": f"pay-{order}"}})
    post_events(url, events)
    for provider in (checkout_provider, payment_provider):
        assert provider.force_flush(60_000), "the exporter flushed every span"
        provider.shutdown()
    with open(out, "w") as f:
        json.dump(spans, f)


if __name__ == "__main__":
    main()
