//! OTLP/HTTP protobuf → embedded store: spans per second, durable on answer, from several
//! concurrent senders over real TCP (requests of 512 spans, as OpenTelemetry SDKs batch them).

use flowsight_collector::sources::otlp::{router, OtlpConfig, OtlpIngest, SpanQueue};
use flowsight_collector::store::{EmbeddedStore, StoreRead};
use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
use opentelemetry_proto::tonic::common::v1::{any_value, AnyValue, KeyValue};
use opentelemetry_proto::tonic::resource::v1::Resource;
use opentelemetry_proto::tonic::trace::v1::{ResourceSpans, ScopeSpans, Span};
use prost::Message;
use std::sync::Arc;
use std::time::Instant;

const SPANS_PER_REQUEST: usize = 512;
const REQUESTS: usize = 400;
const SENDERS: usize = 4;

fn attribute(key: &str, value: String) -> KeyValue {
    KeyValue {
        key: key.into(),
        value: Some(AnyValue {
            value: Some(any_value::Value::StringValue(value)),
        }),
        ..Default::default()
    }
}

/// Request `r`: traces of four spans each, the first carrying an order id.
fn request(r: usize) -> Vec<u8> {
    let base = 1_767_600_000_000_000_000u64 + r as u64 * 1_000_000_000;
    let spans = (0..SPANS_PER_REQUEST)
        .map(|i| {
            let n = (r * SPANS_PER_REQUEST + i) as u128;
            let trace = (n / 4 + 1).to_be_bytes().to_vec();
            Span {
                trace_id: trace,
                span_id: ((n + 1) as u64).to_be_bytes().to_vec(),
                name: ["place order", "validate cart", "charge card", "ship"][i % 4].into(),
                kind: 2,
                start_time_unix_nano: base + i as u64 * 1_000_000,
                end_time_unix_nano: base + i as u64 * 1_000_000 + 700_000,
                attributes: if i % 4 == 0 {
                    vec![attribute("order.id", format!("o-{}", n / 4))]
                } else {
                    vec![attribute("http.route", "/orders".into())]
                },
                ..Default::default()
            }
        })
        .collect();
    ExportTraceServiceRequest {
        resource_spans: vec![ResourceSpans {
            resource: Some(Resource {
                attributes: vec![attribute("service.name", "checkout".into())],
                ..Default::default()
            }),
            scope_spans: vec![ScopeSpans {
                spans,
                ..Default::default()
            }],
            ..Default::default()
        }],
    }
    .encode_to_vec()
}

fn main() {
    let dir = tempfile::tempdir().expect("temp dir");
    let store = Arc::new(EmbeddedStore::open(dir.path(), Default::default()).expect("store"));
    let config: OtlpConfig =
        toml::from_str("[[keys]]\nkind = \"order\"\nattributes = [\"order.id\"]").expect("config");
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    let listener = runtime
        .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
        .expect("bind");
    let addr = listener.local_addr().expect("address");
    let ingest = OtlpIngest {
        queue: SpanQueue::start(store.clone(), config.queue_spans),
        config: Arc::new(config),
    };
    runtime.spawn(async move { axum::serve(listener, router(ingest)).await });
    let bodies: Vec<Vec<u8>> = (0..REQUESTS).map(request).collect();
    let url = format!("http://{addr}/v1/traces");
    let started = Instant::now();
    std::thread::scope(|scope| {
        for sender in 0..SENDERS {
            let (bodies, url) = (&bodies, &url);
            scope.spawn(move || {
                for body in bodies.iter().skip(sender).step_by(SENDERS) {
                    let response = ureq::post(url)
                        .header("content-type", "application/x-protobuf")
                        .send(body.as_slice())
                        .expect("export");
                    assert_eq!(response.status(), 200);
                }
            });
        }
    });
    let secs = started.elapsed().as_secs_f64();
    let spans = REQUESTS * SPANS_PER_REQUEST;
    let stored = store.overview().expect("overview");
    assert_eq!(stored.events, spans as u64, "every span stored");
    println!(
        "OTLP/HTTP protobuf -> embedded store: {spans} spans in {secs:.2} s = {:.0} spans/s (target 50,000); {} instances",
        spans as f64 / secs,
        stored.instances
    );
}
