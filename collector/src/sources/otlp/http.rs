//! OTLP/HTTP: `POST /v1/traces` with a protobuf or JSON `ExportTraceServiceRequest`.
//!
//! Answers follow the OTLP specification: 200 with an `ExportTraceServiceResponse` (with
//! `partial_success` when spans were refused), 400 for an undecodable body, 413 when too
//! large, 415 for other content types, 429 (queue full) and 503 (store down), each in the
//! request's encoding. The retryable answers carry no `Retry-After`: OTLP clients then back off
//! exponentially, which rides out a long stall, where a fixed short delay would use up their
//! few retries within seconds.

use super::{spans_to_events, OtlpIngest, QueueError};
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::Router;
use opentelemetry_proto::tonic::collector::trace::v1::{
    ExportTraceServiceRequest, ExportTraceServiceResponse,
};
use prost::Message;
use std::io::Read;

const PROTOBUF: &str = "application/x-protobuf";
const JSON: &str = "application/json";

/// The `google.rpc.Status` of an error response (details left out).
#[derive(Clone, PartialEq, prost::Message, serde::Serialize)]
struct RpcStatus {
    #[prost(int32, tag = "1")]
    code: i32,
    #[prost(string, tag = "2")]
    message: String,
}

/// gRPC status codes used in error bodies.
const INVALID_ARGUMENT: i32 = 3;
const RESOURCE_EXHAUSTED: i32 = 8;
const UNAVAILABLE: i32 = 14;

#[derive(Clone, Copy, PartialEq)]
enum Encoding {
    Protobuf,
    Json,
}

/// The router serving `POST /v1/traces`.
pub fn router(ingest: OtlpIngest) -> Router {
    // Compressed bodies are limited after decompression, in the handler.
    let limit = ingest.config.max_body;
    Router::new()
        .route("/v1/traces", post(export))
        .layer(DefaultBodyLimit::max(limit))
        .with_state(ingest)
}

async fn export(State(ingest): State<OtlpIngest>, headers: HeaderMap, body: Bytes) -> Response {
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    let encoding = match content_type.split(';').next().unwrap_or_default().trim() {
        PROTOBUF => Encoding::Protobuf,
        JSON => Encoding::Json,
        other => {
            return (
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                format!("content type {other:?} is not OTLP: send {PROTOBUF} or {JSON}"),
            )
                .into_response()
        }
    };
    let body = match decompress(&headers, body, ingest.config.max_body) {
        Ok(body) => body,
        Err((status, message)) => {
            return status_response(encoding, status, INVALID_ARGUMENT, message)
        }
    };
    let request = match encoding {
        Encoding::Protobuf => {
            ExportTraceServiceRequest::decode(body.as_ref()).map_err(|e| e.to_string())
        }
        Encoding::Json => {
            serde_json::from_slice::<ExportTraceServiceRequest>(&body).map_err(|e| e.to_string())
        }
    };
    let request = match request {
        Ok(r) => r,
        Err(e) => {
            return status_response(
                encoding,
                StatusCode::BAD_REQUEST,
                INVALID_ARGUMENT,
                format!("undecodable ExportTraceServiceRequest: {e}"),
            )
        }
    };
    let batch = spans_to_events(&ingest.config, &request);
    let partial_success = batch.partial_success();
    ingest.queue.count_rejected(batch.rejected);
    match ingest.queue.submit(batch.events).await {
        Ok(()) => {
            let response = ExportTraceServiceResponse { partial_success };
            encoded(encoding, StatusCode::OK, &response)
        }
        Err(e @ QueueError::Full(_)) => retry_later(
            encoding,
            StatusCode::TOO_MANY_REQUESTS,
            RESOURCE_EXHAUSTED,
            e,
        ),
        // Retrying cannot help a request larger than the whole queue.
        Err(e @ QueueError::TooLarge { .. }) => status_response(
            encoding,
            StatusCode::PAYLOAD_TOO_LARGE,
            RESOURCE_EXHAUSTED,
            e.to_string(),
        ),
        Err(e @ QueueError::Store(_)) => {
            retry_later(encoding, StatusCode::SERVICE_UNAVAILABLE, UNAVAILABLE, e)
        }
    }
}

/// The body, gunzipped when sent with `Content-Encoding: gzip`, at most `limit` bytes.
fn decompress(
    headers: &HeaderMap,
    body: Bytes,
    limit: usize,
) -> Result<Bytes, (StatusCode, String)> {
    let encoding = headers
        .get(header::CONTENT_ENCODING)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("identity");
    match encoding {
        "identity" => Ok(body),
        "gzip" => {
            let mut out = Vec::new();
            flate2::read::GzDecoder::new(body.as_ref())
                .take(limit as u64 + 1)
                .read_to_end(&mut out)
                .map_err(|e| {
                    (
                        StatusCode::BAD_REQUEST,
                        format!("undecodable gzip body: {e}"),
                    )
                })?;
            if out.len() > limit {
                return Err((
                    StatusCode::PAYLOAD_TOO_LARGE,
                    format!("body is over {limit} bytes once decompressed"),
                ));
            }
            Ok(out.into())
        }
        other => Err((
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            format!("content encoding {other:?} is not supported: use gzip or none"),
        )),
    }
}

fn encoded<M: Message + serde::Serialize>(
    encoding: Encoding,
    status: StatusCode,
    message: &M,
) -> Response {
    let (content_type, body) = match encoding {
        Encoding::Protobuf => (PROTOBUF, message.encode_to_vec()),
        Encoding::Json => (
            JSON,
            serde_json::to_vec(message).expect("OTLP messages serialize"),
        ),
    };
    (status, [(header::CONTENT_TYPE, content_type)], body).into_response()
}

fn status_response(encoding: Encoding, status: StatusCode, code: i32, message: String) -> Response {
    encoded(encoding, status, &RpcStatus { code, message })
}

fn retry_later(encoding: Encoding, status: StatusCode, code: i32, error: QueueError) -> Response {
    status_response(encoding, status, code, error.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sources::otlp::{OtlpConfig, SpanQueue};
    use crate::store::{EmbeddedStore, StoreRead, WriteDouble};
    use axum::body::Body;
    use axum::http::Request;
    use opentelemetry_proto::tonic::trace::v1::{ResourceSpans, ScopeSpans, Span};
    use std::sync::Arc;
    use tower::ServiceExt;

    struct Harness {
        dir: tempfile::TempDir,
        store: Arc<EmbeddedStore>,
        writes: Arc<WriteDouble<EmbeddedStore>>,
        router: Router,
    }

    fn harness(queue_spans: usize, max_body: usize) -> Harness {
        let dir = tempfile::tempdir().unwrap();
        let store = Arc::new(EmbeddedStore::open(dir.path(), Default::default()).unwrap());
        let config = OtlpConfig {
            queue_spans,
            max_body,
            ..Default::default()
        };
        let writes = Arc::new(WriteDouble::new(store.clone()));
        let router = router(OtlpIngest {
            queue: SpanQueue::start(writes.clone(), queue_spans),
            config: Arc::new(config),
        });
        Harness {
            dir,
            store,
            writes,
            router,
        }
    }

    fn spans(n: u8, first: u8) -> ExportTraceServiceRequest {
        let span = |i: u8| Span {
            trace_id: vec![7; 16],
            span_id: vec![i; 8],
            name: format!("step {i}"),
            start_time_unix_nano: 1_767_600_000_000_000_000 + u64::from(i) * 1_000_000,
            end_time_unix_nano: 1_767_600_000_000_000_000 + u64::from(i) * 1_000_000 + 500_000,
            ..Default::default()
        };
        ExportTraceServiceRequest {
            resource_spans: vec![ResourceSpans {
                scope_spans: vec![ScopeSpans {
                    spans: (first..first + n).map(span).collect(),
                    ..Default::default()
                }],
                ..Default::default()
            }],
        }
    }

    async fn post(
        router: &Router,
        content_type: &str,
        body: impl Into<Body>,
    ) -> (StatusCode, HeaderMap, Vec<u8>) {
        let response = router
            .clone()
            .oneshot(
                Request::post("/v1/traces")
                    .header(header::CONTENT_TYPE, content_type)
                    .body(body.into())
                    .unwrap(),
            )
            .await
            .unwrap();
        let status = response.status();
        let headers = response.headers().clone();
        let bytes = axum::body::to_bytes(response.into_body(), usize::MAX)
            .await
            .unwrap();
        (status, headers, bytes.to_vec())
    }

    #[tokio::test]
    async fn stores_protobuf_and_json_and_reports_refused_spans() {
        let h = harness(1000, 1 << 20);
        let (status, _, body) = post(&h.router, PROTOBUF, spans(3, 1).encode_to_vec()).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(
            ExportTraceServiceResponse::decode(body.as_slice())
                .unwrap()
                .partial_success,
            None
        );

        let mut mixed = spans(2, 10);
        mixed.resource_spans[0].scope_spans[0].spans[1].span_id = vec![0; 8];
        let json = serde_json::to_vec(&mixed).unwrap();
        assert!(
            String::from_utf8_lossy(&json).contains("\"traceId\":\"07070707"),
            "OTLP JSON uses hex ids"
        );
        let (status, headers, body) =
            post(&h.router, "application/json; charset=utf-8", json).await;
        assert_eq!(
            (status, headers[header::CONTENT_TYPE].to_str().unwrap()),
            (StatusCode::OK, JSON)
        );
        let answer: serde_json::Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(answer["partialSuccess"]["rejectedSpans"], 1);
        assert!(answer["partialSuccess"]["errorMessage"]
            .as_str()
            .unwrap()
            .contains("span id must be 8 bytes"));
        assert_eq!(h.store.overview().unwrap().events, 4);

        let (status, _, _) = post(&h.router, PROTOBUF, spans(3, 1).encode_to_vec()).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(
            h.store.overview().unwrap().events,
            4,
            "a retried request is stored once"
        );
    }

    #[tokio::test]
    async fn bad_requests_get_their_status_and_store_nothing() {
        let h = harness(1000, 4096);
        let (status, _, body) = post(&h.router, PROTOBUF, vec![0xff, 0xff, 0xff]).await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        let rpc = RpcStatus::decode(body.as_slice()).unwrap();
        assert_eq!(rpc.code, INVALID_ARGUMENT);
        assert!(
            rpc.message
                .starts_with("undecodable ExportTraceServiceRequest"),
            "{}",
            rpc.message
        );
        let (status, _, _) = post(&h.router, JSON, "{\"resourceSpans\": 5}").await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        let (status, _, body) = post(&h.router, "text/plain", "hello").await;
        assert_eq!(status, StatusCode::UNSUPPORTED_MEDIA_TYPE);
        assert!(String::from_utf8_lossy(&body).contains("application/x-protobuf"));
        let (status, _, _) = post(&h.router, PROTOBUF, spans(100, 1).encode_to_vec()).await;
        assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);
        assert_eq!(h.store.overview().unwrap().events, 0);
        let (status, _, _) = post(&h.router, PROTOBUF, spans(1, 1).encode_to_vec()).await;
        assert_eq!(status, StatusCode::OK, "still serving");
    }

    #[tokio::test]
    async fn a_full_queue_asks_to_retry_and_nothing_is_lost() {
        let h = harness(10, 1 << 20);
        // Another connection holds the write lock: the writer waits with 8 spans in the queue.
        let lock = rusqlite::Connection::open(h.dir.path().join("flowsight.db")).unwrap();
        lock.execute_batch("BEGIN IMMEDIATE").unwrap();
        let router = h.router.clone();
        let first =
            tokio::spawn(
                async move { post(&router, PROTOBUF, spans(8, 1).encode_to_vec()).await.0 },
            );
        tokio::time::sleep(std::time::Duration::from_millis(300)).await;
        let (status, headers, body) = post(&h.router, PROTOBUF, spans(5, 20).encode_to_vec()).await;
        assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
        assert!(
            !headers.contains_key(header::RETRY_AFTER),
            "clients back off exponentially"
        );
        assert_eq!(
            RpcStatus::decode(body.as_slice()).unwrap().code,
            RESOURCE_EXHAUSTED
        );
        lock.execute_batch("ROLLBACK").unwrap();
        assert_eq!(first.await.unwrap(), StatusCode::OK);
        let (status, _, _) = post(&h.router, PROTOBUF, spans(5, 20).encode_to_vec()).await;
        assert_eq!(status, StatusCode::OK, "the retry is taken");
        let overview = h.store.overview().unwrap();
        assert_eq!(
            (overview.events, overview.uncorrelated, overview.instances),
            (13, 13, 0),
            "every span once; a trace without a business key is uncorrelated"
        );
    }

    #[tokio::test]
    async fn a_failing_store_answers_503_and_recovers() {
        let h = harness(100, 1 << 20);
        h.writes.fail_with("database or disk is full");
        let (status, _, body) = post(&h.router, PROTOBUF, spans(2, 1).encode_to_vec()).await;
        assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(
            RpcStatus::decode(body.as_slice()).unwrap().code,
            UNAVAILABLE
        );
        h.writes.recover();
        let (status, _, _) = post(&h.router, PROTOBUF, spans(2, 1).encode_to_vec()).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(h.store.uncorrelated(10).unwrap().len(), 2);
    }
}
