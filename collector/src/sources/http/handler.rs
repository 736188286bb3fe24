//! The axum handler of `POST /api/events`.

use super::{split_items, IngestLimits, Item};
use crate::mapping::{lookup, map_event, MappingConfig};
use crate::store::{AppendReport, StoreWrite};
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::StatusCode;
use axum::routing::post;
use axum::{Json, Router};
use miner::log::Event;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::sync::Arc;

/// What the ingest needs: where to store and how to map.
#[derive(Clone)]
pub struct IngestState {
    /// The store events go to.
    pub store: Arc<dyn StoreWrite>,
    /// The mapping rules.
    pub mapping: Arc<MappingConfig>,
    /// Size limits.
    pub limits: IngestLimits,
}

/// One item that was not accepted, and why.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Rejection {
    /// 0-based position of the item in the request.
    pub index: usize,
    /// 1-based line, for NDJSON.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub line: Option<usize>,
    /// The item's id, when it had one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// What was wrong.
    pub error: String,
}

/// The answer to an ingest request.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct IngestResponse {
    /// Items newly stored.
    pub accepted: u64,
    /// Items already stored before (same id), counted as delivered.
    pub duplicates: u64,
    /// Items rejected, with reasons: the first [`MAX_LISTED_REJECTIONS`] of them.
    pub rejected: Vec<Rejection>,
    /// How many items were rejected in all.
    pub rejected_total: u64,
    /// How many were rejected for each kind of reason (the reason's text before its first
    /// `:`), so that a request of a million bad lines answers in a few lines.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub rejected_by_reason: BTreeMap<String, u64>,
    /// When the whole request failed: why (nothing of it was stored).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// Rejections listed one by one in an answer; the rest are counted by reason.
pub const MAX_LISTED_REJECTIONS: usize = 100;

/// Kinds of reason counted apart in an answer; further kinds count as `other`.
const MAX_REASON_KINDS: usize = 20;

/// The rejections of one request: the first few in full, all of them counted.
#[derive(Debug, Default)]
struct Rejections {
    listed: Vec<Rejection>,
    total: u64,
    by_reason: BTreeMap<String, u64>,
}

impl Rejections {
    fn push(&mut self, rejection: Rejection) {
        self.total += 1;
        let kind = rejection
            .error
            .split(':')
            .next()
            .unwrap_or_default()
            .trim()
            .to_string();
        let kind = if self.by_reason.contains_key(&kind) || self.by_reason.len() < MAX_REASON_KINDS
        {
            kind
        } else {
            "other".to_string()
        };
        *self.by_reason.entry(kind).or_default() += 1;
        if self.listed.len() < MAX_LISTED_REJECTIONS {
            self.listed.push(rejection);
        }
    }
}

/// The router serving `POST /api/events`.
pub fn router(state: IngestState) -> Router {
    let limit = state.limits.max_body;
    Router::new()
        .route("/api/events", post(ingest))
        .layer(DefaultBodyLimit::max(limit))
        .with_state(state)
}

fn failure(status: StatusCode, error: String) -> (StatusCode, Json<IngestResponse>) {
    (
        status,
        Json(IngestResponse {
            error: Some(error),
            ..Default::default()
        }),
    )
}

async fn ingest(
    State(state): State<IngestState>,
    body: Bytes,
) -> (StatusCode, Json<IngestResponse>) {
    let items = match split_items(&body) {
        Ok(items) => items,
        Err(e) => return failure(StatusCode::BAD_REQUEST, e.to_string()),
    };
    let item_count = items.len();
    let (events, rejected) = map_items(&state, &items);
    let store = state.store.clone();
    let stored = tokio::task::spawn_blocking(move || {
        if events.is_empty() {
            Ok(AppendReport::default())
        } else {
            store.append(&events)
        }
    })
    .await;
    let report = match stored {
        Ok(Ok(report)) => report,
        Ok(Err(e)) => {
            tracing::warn!(error = %e, "ingest: store refused a batch; the sender may retry");
            return failure(
                StatusCode::SERVICE_UNAVAILABLE,
                format!("store unavailable, nothing stored: {e}"),
            );
        }
        Err(e) => {
            return failure(
                StatusCode::INTERNAL_SERVER_ERROR,
                format!("ingest worker failed: {e}"),
            )
        }
    };
    let status = if item_count > 0 && rejected.total == item_count as u64 {
        StatusCode::BAD_REQUEST
    } else {
        StatusCode::OK
    };
    (
        status,
        Json(IngestResponse {
            accepted: report.inserted,
            duplicates: report.duplicates,
            rejected: rejected.listed,
            rejected_total: rejected.total,
            rejected_by_reason: rejected.by_reason,
            error: None,
        }),
    )
}

fn map_items(state: &IngestState, items: &[Item<'_>]) -> (Vec<Event>, Rejections) {
    let mut events = Vec::with_capacity(items.len());
    let mut rejected = Rejections::default();
    for item in items {
        let reject = |id: Option<String>, error: String| Rejection {
            index: item.index,
            line: item.line,
            id,
            error,
        };
        if item.raw.len() > state.limits.max_item {
            rejected.push(reject(
                None,
                format!(
                    "item is {} bytes, over the limit of {} bytes",
                    item.raw.len(),
                    state.limits.max_item
                ),
            ));
            continue;
        }
        let value: serde_json::Value = match serde_json::from_str(item.raw) {
            Ok(v) => v,
            Err(e) => {
                rejected.push(reject(None, format!("not JSON: {e}")));
                continue;
            }
        };
        let id = lookup(&value, &state.mapping.id)
            .and_then(|v| v.as_str())
            .map(str::to_string);
        match map_event(&state.mapping, value, item.raw.as_bytes(), "http") {
            Ok(event) => events.push(event),
            Err(e) => rejected.push(reject(id, e.to_string())),
        }
    }
    (events, rejected)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::InstanceRules;
    use crate::store::{EmbeddedStore, StatsQuery, StoreRead, WriteDouble};
    use axum::body::Body;
    use axum::http::Request;
    use tower::ServiceExt;

    struct Harness {
        _dir: tempfile::TempDir,
        store: Arc<EmbeddedStore>,
        writes: Arc<WriteDouble<EmbeddedStore>>,
        router: Router,
    }

    fn harness(limits: IngestLimits) -> Harness {
        let dir = tempfile::tempdir().unwrap();
        let store = Arc::new(EmbeddedStore::open(dir.path(), InstanceRules::default()).unwrap());
        let config = crate::CollectorConfig::parse(fixtures::ORDER_FLOW_CONFIG).unwrap();
        let writes = Arc::new(WriteDouble::new(store.clone()));
        let router = router(IngestState {
            store: writes.clone(),
            mapping: Arc::new(config.mapping),
            limits,
        });
        Harness {
            _dir: dir,
            store,
            writes,
            router,
        }
    }

    async fn post(router: &Router, body: impl Into<Body>) -> (StatusCode, IngestResponse) {
        let response = router
            .clone()
            .oneshot(Request::post("/api/events").body(body.into()).unwrap())
            .await
            .unwrap();
        let status = response.status();
        let bytes = axum::body::to_bytes(response.into_body(), usize::MAX)
            .await
            .unwrap();
        (status, serde_json::from_slice(&bytes).unwrap_or_default())
    }

    const GOOD: &str = r#"{"type":"OrderPlacedEvent","id":"e1","source":"checkout","time":"2026-01-05T08:00:00Z","data":{"orderId":"1"}}"#;

    #[tokio::test]
    async fn keeps_good_items_and_names_each_bad_one() {
        let h = harness(IngestLimits {
            max_body: 1 << 20,
            max_item: 300,
        });
        let big = format!(
            r#"{{"type":"X","id":"big","time":"2026-01-05T08:00:00Z","data":{{"pad":"{}"}}}}"#,
            "x".repeat(400)
        );
        let body = [
            GOOD,
            "this is not json",
            r#"{"id":"e3","time":"2026-01-05T08:00:00Z"}"#,
            r#"{"type":"A","id":"e4","time":"yesterday"}"#,
            &big,
            r#"{"type":"PaymentReceivedEvent","time":"2026-01-05T08:01:00Z","data":{"refId":"1"}}"#,
        ]
        .join("\n");
        let (status, response) = post(&h.router, body).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(response.accepted, 2);
        let reasons: Vec<(usize, Option<usize>, &str)> = response
            .rejected
            .iter()
            .map(|r| (r.index, r.line, r.error.as_str()))
            .collect();
        assert_eq!(reasons.len(), 4);
        assert_eq!(reasons[0].0, 1);
        assert!(reasons[0].2.starts_with("not JSON"), "{reasons:?}");
        assert_eq!(
            reasons[1].2,
            "no event type: /type is missing or not a non-empty string"
        );
        assert_eq!(response.rejected[1].id.as_deref(), Some("e3"));
        assert!(reasons[2].2.starts_with("unparseable time \"yesterday\""));
        assert!(reasons[3].2.contains("over the limit of 300 bytes"));
        assert_eq!(reasons[3].1, Some(5));
        assert_eq!(h.store.overview().unwrap().events, 2);
        assert_eq!(
            h.store.process_stats(&StatsQuery::default()).unwrap().cases,
            1
        );
    }

    #[tokio::test]
    async fn a_flood_of_bad_lines_answers_in_a_few_lines() {
        let h = harness(IngestLimits::default());
        let mut body = "1\n".repeat(200_000);
        body.push_str(GOOD);
        body.push_str("\nnot json\n");
        let response = h
            .router
            .clone()
            .oneshot(Request::post("/api/events").body(Body::from(body)).unwrap())
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::OK);
        let bytes = axum::body::to_bytes(response.into_body(), usize::MAX)
            .await
            .unwrap();
        assert!(bytes.len() < 1 << 20, "{} bytes", bytes.len());
        let answer: IngestResponse = serde_json::from_slice(&bytes).unwrap();
        assert_eq!(answer.accepted, 1);
        assert_eq!(answer.rejected.len(), MAX_LISTED_REJECTIONS);
        assert_eq!(answer.rejected_total, 200_001);
        assert_eq!(
            answer.rejected_by_reason,
            [
                ("not JSON".to_string(), 1),
                ("not a JSON object".to_string(), 200_000)
            ]
            .into()
        );
    }

    #[tokio::test]
    async fn redelivery_is_counted_not_stored_twice() {
        let h = harness(IngestLimits::default());
        let (status, first) = post(&h.router, format!("[{GOOD}]")).await;
        assert_eq!((status, first.accepted), (StatusCode::OK, 1));
        let (_, again) = post(&h.router, format!("[{GOOD}]")).await;
        assert_eq!((again.accepted, again.duplicates), (0, 1));
        assert_eq!(h.store.overview().unwrap().events, 1);
    }

    #[tokio::test]
    async fn a_failing_store_answers_503_and_keeps_nothing_until_it_recovers() {
        let h = harness(IngestLimits::default());
        h.writes.fail_with("database or disk is full");
        let (status, response) = post(&h.router, format!("[{GOOD}]")).await;
        assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
        assert!(response.error.unwrap().contains("disk is full"));
        assert_eq!(h.store.overview().unwrap().events, 0);
        assert!(
            h.writes.writes_failing(),
            "reads work, writes do not: the store is not up"
        );
        h.writes.recover();
        let (status, response) = post(&h.router, format!("[{GOOD}]")).await;
        assert_eq!((status, response.accepted), (StatusCode::OK, 1));
        assert!(!h.writes.writes_failing());
    }

    #[tokio::test]
    async fn whole_request_errors_have_their_own_status() {
        let h = harness(IngestLimits {
            max_body: 1000,
            max_item: 1000,
        });
        let (status, _) = post(&h.router, "x".repeat(2000)).await;
        assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);
        let (status, response) = post(&h.router, "[{\"type\":").await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        assert!(response.error.unwrap().contains("not a JSON array"));
        let (status, response) = post(&h.router, "nope\nnope").await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        assert_eq!(response.rejected.len(), 2);
        assert_eq!(h.store.overview().unwrap().events, 0);
    }
}
