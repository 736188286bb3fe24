//! What each fuzz target feeds its input to: the decoders of everything users and peers send
//! (XES, CSV, OCEL 2.0 JSON and XML, NDJSON/CloudEvents items through the mapping rules, OTLP
//! traces). cargo-fuzz drives them with libFuzzer (`make fuzz`); `cargo test` replays the
//! committed corpus through them on stable, so a crash once found stays fixed.

use collector::mapping::{cap_event, map_event, MappingConfig};
use collector::sources::http::split_items;
use collector::sources::otlp::{spans_to_events, OtlpConfig};
use miner::formats::csv_read::{read_csv, CsvColumns};
use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
use prost::Message;
use std::sync::OnceLock;

/// XES: the streaming reader with every attribute turned into JSON (what `import` stores),
/// and the columnar reader `mine` uses. Any input must give a log or an error, never a panic.
pub fn xes(data: &[u8]) {
    let _ = miner::formats::xes::read_xes(data, |trace| {
        let _ = trace.json_attributes();
        for event in trace.events() {
            let _ = (event.json_attributes(), event.json_types());
        }
        Ok(())
    });
    let _ = miner::formats::xes::read_event_log(data);
}

/// CSV import with the column names of Flowsight's own `log.csv` and a detected time format: any input gives events or
/// an error naming the row, never a panic.
pub fn csv(data: &[u8]) {
    let columns = CsvColumns {
        case: "case".into(),
        activity: "activity".into(),
        timestamp: "timestamp".into(),
        start_timestamp: Some("start_timestamp".into()),
        resource: Some("resource".into()),
        time_format: None,
    };
    let _ = read_csv(data, &columns, |_| Ok(()));
}

/// OCEL 2.0 JSON: any input gives an object-centric log or an error, never a panic.
pub fn ocel_json(data: &[u8]) {
    let _ = miner::formats::ocel_json::read_ocel_json(data);
}

/// OCEL 2.0 XML: any input gives an object-centric log or an error, never a panic.
pub fn ocel_xml(data: &[u8]) {
    let _ = miner::formats::ocel_xml::read_ocel_xml(data);
}

/// The HTTP ingest's body decoding (JSON array, one object or NDJSON; CloudEvents envelopes
/// included) through the demo's mapping rules and the ingest size caps: any body gives
/// events and named rejections, never a panic.
pub fn ndjson(data: &[u8]) {
    let config = order_flow_mapping();
    let Ok(items) = split_items(data) else {
        return;
    };
    for item in items {
        if let Ok(value) = serde_json::from_str(item.raw) {
            if let Ok(mut event) = map_event(config, value, item.raw.as_bytes(), "fuzz") {
                cap_event(&mut event);
            }
        }
    }
}

/// The demo's mapping rules (several key kinds, a trace id, overrides), read once.
fn order_flow_mapping() -> &'static MappingConfig {
    static RULES: OnceLock<MappingConfig> = OnceLock::new();
    RULES.get_or_init(|| {
        collector::CollectorConfig::parse(include_str!("../../fixtures/order-flow.toml"))
            .map(|config| config.mapping)
            .unwrap_or_default()
    })
}

/// OTLP traces as the receivers decode them (protobuf, and JSON for OTLP/HTTP) and turn them
/// into events: any request gives events and counted rejections, never a panic.
pub fn otlp(data: &[u8]) {
    let config = OtlpConfig::default();
    if let Ok(request) = ExportTraceServiceRequest::decode(data) {
        let _ = spans_to_events(&config, &request);
    }
    if let Ok(request) = serde_json::from_slice::<ExportTraceServiceRequest>(data) {
        let _ = spans_to_events(&config, &request);
    }
}
