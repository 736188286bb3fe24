//! The sources page (Kafka partitions with lag and rate, dead letters) and `GET /metrics`
//! (the same figures as Prometheus text).

use super::{blocking, page};
use crate::views::{short_time, Header};
use crate::{AppState, WebError};
use askama::Template;
use axum::extract::{Query, State};
use axum::http::header;
use axum::response::{Html, IntoResponse};
use axum::routing::get;
use axum::{Json, Router};
use collector::prometheus::{Exposition, MetricKind};
use collector::sources::kafka::KafkaSnapshot;
use collector::store::{HeldInMemory, StoreOverview};

/// Dead letters listed on the page.
const DEAD_LETTERS_SHOWN: u64 = 200;
/// Bytes of a dead letter's message shown.
const RAW_SHOWN: usize = 300;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/sources", get(sources))
        .route("/metrics", get(metrics))
        .route("/api/dead-letters", get(dead_letters_json))
}

#[derive(serde::Deserialize)]
struct DeadLetterQuery {
    limit: Option<u64>,
    /// Whether each letter carries its whole message (`body=true`), not only a preview.
    #[serde(default)]
    body: bool,
}

/// Characters of a dead letter's message shown in its summary.
const PREVIEW_CHARS: usize = 200;

/// The newest dead letters as JSON summaries: where, why, when, the message's size and its
/// first characters; `body=true` adds each whole message as (lossy) UTF-8 text.
async fn dead_letters_json(
    State(state): State<AppState>,
    Query(q): Query<DeadLetterQuery>,
) -> Result<Json<Vec<serde_json::Value>>, WebError> {
    let limit = q.limit.unwrap_or(DEAD_LETTERS_SHOWN);
    let letters = blocking(&state, move |s| Ok(s.dead_letters(limit)?)).await?;
    Ok(Json(
        letters
            .into_iter()
            .map(|l| {
                let text = String::from_utf8_lossy(&l.raw);
                let mut letter = serde_json::json!({
                    "topic": l.topic,
                    "partition": l.partition,
                    "offset": l.offset,
                    "reason": l.reason,
                    "received": miner::time::format_timestamp(l.received),
                    "bytes": l.raw.len(),
                    "preview": text.chars().take(PREVIEW_CHARS).collect::<String>(),
                });
                if q.body {
                    letter["message"] = text.into();
                }
                letter
            })
            .collect(),
    ))
}

#[derive(Template)]
#[template(path = "sources.html")]
struct SourcesPage {
    header: Header,
    rules: String,
    kafka: Option<KafkaView>,
    dead_letters: Vec<DeadLetterRow>,
    dead_letter_total: u64,
}

struct KafkaView {
    group: String,
    rate: String,
    lag: i64,
    messages: u64,
    dead_letters: u64,
    duplicates: u64,
    store_failures: u64,
    store_error: Option<String>,
    broker_error: Option<String>,
    waiting_topics: Vec<String>,
    partitions: Vec<PartitionView>,
}

struct PartitionView {
    topic: String,
    partition: i32,
    assigned: bool,
    messages: u64,
    dead_letters: u64,
    durable_offset: String,
    high_watermark: String,
    lag: String,
}

struct DeadLetterRow {
    received: String,
    topic: String,
    partition: i32,
    offset: i64,
    reason: String,
    raw: String,
}

fn optional(value: Option<i64>) -> String {
    value.map_or_else(|| "—".into(), |v| v.to_string())
}

impl From<KafkaSnapshot> for KafkaView {
    fn from(s: KafkaSnapshot) -> Self {
        Self {
            rate: format!("{:.0}", s.rate),
            lag: s.total_lag(),
            messages: s.messages(),
            dead_letters: s.dead_letters(),
            duplicates: s.duplicates,
            store_failures: s.store_failures,
            store_error: s.store_error.clone(),
            waiting_topics: s.waiting_topics.clone(),
            broker_error: s.broker_error.clone(),
            partitions: s
                .partitions
                .iter()
                .map(|p| PartitionView {
                    topic: p.topic.clone(),
                    partition: p.partition,
                    assigned: p.assigned,
                    messages: p.messages,
                    dead_letters: p.dead_letters,
                    durable_offset: optional(p.durable_offset),
                    high_watermark: optional(p.high_watermark),
                    lag: optional(p.lag()),
                })
                .collect(),
            group: s.group,
        }
    }
}

async fn sources(State(state): State<AppState>) -> Result<Html<String>, WebError> {
    let (letters, overview) = blocking(&state, |s| {
        Ok((s.dead_letters(DEAD_LETTERS_SHOWN)?, s.overview()?))
    })
    .await?;
    page(SourcesPage {
        header: Header::new("sources", &overview),
        rules: state.rules_origin.clone(),
        kafka: state.kafka.as_ref().map(|m| m.snapshot().into()),
        dead_letter_total: overview.dead_letters,
        dead_letters: letters
            .into_iter()
            .map(|l| {
                let mut raw =
                    String::from_utf8_lossy(&l.raw[..l.raw.len().min(RAW_SHOWN)]).into_owned();
                if l.raw.len() > RAW_SHOWN {
                    raw.push('…');
                }
                DeadLetterRow {
                    received: short_time(l.received),
                    topic: l.topic,
                    partition: l.partition,
                    offset: l.offset,
                    reason: l.reason,
                    raw,
                }
            })
            .collect(),
    })
}

async fn metrics(State(state): State<AppState>) -> Result<impl IntoResponse, WebError> {
    // The sources' figures are served even when the store fails: that is when they matter.
    let overview = blocking(&state, |s| Ok(s.overview()?)).await;
    let mut text = overview.as_ref().map(store_metrics).unwrap_or_default();
    if let Ok(o) = &overview {
        text.push_str(&crate::waits::step_metrics(o, &state.config.instances));
    }
    let config = state.config.clone();
    // A model that cannot be read, or a store that fails, leaves this series out: the page
    // and the store's own gauge say why.
    if let Ok(Some(deviations)) = blocking(&state, move |s| {
        crate::tracking::current_deviations(s, &config)
    })
    .await
    {
        text.push_str(&crate::waits::deviation_metrics(&deviations));
    }
    let up = overview.is_ok() && !state.store.writes_failing();
    Exposition::new(&mut text)
        .single(
            "flowsight_store_up",
            MetricKind::Gauge,
            "Whether the store answered reads and its latest write succeeded (1) or not (0).",
            u8::from(up),
        )
        .single(
            "flowsight_trace_ids_unnormalised_total",
            MetricKind::Counter,
            "Trace ids of no known shape (not 32 hex digits, a UUID or a traceparent), kept as written: they cannot join spans.",
            collector::mapping::unnormalised_trace_ids(),
        );
    if let Some(held) = state.store.held_in_memory() {
        text.push_str(&held_metrics(&held));
    }
    if let Ok(Some(behind)) = state.store.notions_behind() {
        Exposition::new(&mut text).single(
            "flowsight_notions_behind_events",
            MetricKind::Gauge,
            "Stored events the case notions and the index of attribute values have not followed yet (they follow while the writer is not busy).",
            behind,
        );
    }
    if let Some(kafka) = &state.kafka {
        kafka.write_prometheus(&mut text);
    }
    if let Some(otlp) = &state.otlp {
        otlp.queue.write_prometheus(&mut text);
    }
    Ok((
        [(
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        text,
    ))
}

/// What the collector holds in memory, as Prometheus gauges: flat while the number of
/// instances in flight is (see `[instances] evict_after`).
fn held_metrics(held: &HeldInMemory) -> String {
    let mut out = String::new();
    let mut text = Exposition::new(&mut out);
    for (name, help, value) in [
        (
            "flowsight_live_instances",
            "Instances held in the collector's memory.",
            held.instances,
        ),
        (
            "flowsight_live_keys",
            "Business keys held in the collector's memory.",
            held.keys,
        ),
        (
            "flowsight_live_event_ids",
            "Event ids held in the collector's memory.",
            held.event_ids,
        ),
    ] {
        text.single(name, MetricKind::Gauge, help, value);
    }
    out
}

/// The store's figures as Prometheus gauges.
fn store_metrics(o: &StoreOverview) -> String {
    let mut out = String::new();
    let gauges: [(&str, &str, u64); 5] = [
        ("flowsight_store_events", "Events in the store.", o.events),
        (
            "flowsight_store_instances",
            "Process instances.",
            o.instances,
        ),
        (
            "flowsight_store_uncorrelated_events",
            "Events without a business key.",
            o.uncorrelated,
        ),
        (
            "flowsight_store_merges",
            "Instance merges recorded.",
            o.merges,
        ),
        (
            "flowsight_store_dead_letters",
            "Messages in the dead-letter table.",
            o.dead_letters,
        ),
    ];
    let mut text = Exposition::new(&mut out);
    for (name, help, value) in gauges {
        text.single(name, MetricKind::Gauge, help, value);
    }
    let by_status = "flowsight_store_instances_by_status";
    text.family(
        by_status,
        MetricKind::Gauge,
        "Process instances per status.",
    );
    for (status, count) in collector::store::InstanceStatus::ALL
        .iter()
        .zip(o.by_status)
    {
        text.sample(by_status, &[("status", status.as_str())], count);
    }
    out
}
