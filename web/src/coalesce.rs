//! Identical reads in flight at the same time are answered by one computation: when a thousand
//! browsers ask for the same map at once, the store is read and the map drawn once, and every
//! one of them gets the same answer. Nothing is kept once the answer is out, so no page is ever
//! older than the request that asked for it.
//!
//! Only GET pages and API answers are shared (never writes, never downloads that stream), and
//! only answers small enough to hold in memory; the key is the path with its query.

use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::{HeaderMap, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use tokio::sync::OnceCell;

/// Largest answer shared between waiting requests; a larger one is answered 503 to all of them
/// (no shared page comes near it: a map draws at most 300 activities, lists are paged).
const MAX_SHARED_BYTES: usize = 32 << 20;

/// Paths whose answers are shared: pages and JSON/SVG answers computed from the store.
const SHARED_PATHS: [&str; 8] = [
    "/map",
    "/api/map.svg",
    "/variants",
    "/bottlenecks",
    "/instances",
    "/api/overview",
    "/sources",
    "/metrics",
];

/// A finished answer, as every waiting request receives it.
#[derive(Clone)]
struct Answer {
    status: StatusCode,
    headers: HeaderMap,
    body: Option<Bytes>,
}

/// The reads being answered now, by key; one per router, so two apps in one process (tests, a
/// collector beside a server) never share answers.
#[derive(Clone, Default)]
pub struct InFlight(Arc<Mutex<HashMap<String, Arc<OnceCell<Answer>>>>>);

impl InFlight {
    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Arc<OnceCell<Answer>>>> {
        self.0.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// Middleware: joins a GET of a shared path to the identical request already being answered.
pub async fn coalesce(State(in_flight): State<InFlight>, request: Request, next: Next) -> Response {
    let path = request.uri().path();
    if request.method() != Method::GET || !SHARED_PATHS.contains(&path) {
        return next.run(request).await;
    }
    let key = request
        .uri()
        .path_and_query()
        .map_or_else(|| path.to_string(), |p| p.as_str().to_string());
    let cell = in_flight.lock().entry(key.clone()).or_default().clone();
    let answer = cell
        .get_or_init(|| async move {
            let response = next.run(request).await;
            let (parts, body) = response.into_parts();
            let body = axum::body::to_bytes(body, MAX_SHARED_BYTES).await.ok();
            Answer {
                status: parts.status,
                headers: parts.headers,
                body,
            }
        })
        .await
        .clone();
    let mut waiting = in_flight.lock();
    if waiting.get(&key).is_some_and(|c| Arc::ptr_eq(c, &cell)) {
        waiting.remove(&key);
    }
    drop(waiting);
    match answer.body {
        Some(body) => {
            let mut response = (answer.status, Body::from(body)).into_response();
            *response.headers_mut() = answer.headers;
            response
        }
        None => (
            StatusCode::SERVICE_UNAVAILABLE,
            "the answer was too large to share: ask again",
        )
            .into_response(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::routing::get;
    use axum::Router;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::time::Duration;
    use tower::ServiceExt;

    #[tokio::test]
    async fn simultaneous_identical_reads_are_computed_once_and_later_ones_afresh() {
        let computed = Arc::new(AtomicUsize::new(0));
        let counter = computed.clone();
        let app = Router::new()
            .route(
                "/variants",
                get(move || {
                    let counter = counter.clone();
                    async move {
                        tokio::time::sleep(Duration::from_millis(200)).await;
                        format!("answer {}", counter.fetch_add(1, Ordering::SeqCst))
                    }
                }),
            )
            .layer(axum::middleware::from_fn_with_state(
                InFlight::default(),
                coalesce,
            ));
        let ask = |query: &'static str| {
            let app = app.clone();
            async move {
                let request = Request::get(format!("/variants{query}"))
                    .body(Body::empty())
                    .unwrap();
                let response = app.oneshot(request).await.unwrap();
                let body = axum::body::to_bytes(response.into_body(), 1 << 20)
                    .await
                    .unwrap();
                String::from_utf8(body.to_vec()).unwrap()
            }
        };
        let same: Vec<String> = futures_join((0..50).map(|_| ask("?page=1"))).await;
        assert!(same.iter().all(|a| a == &same[0]), "{same:?}");
        assert_eq!(computed.load(Ordering::SeqCst), 1);
        let other = ask("?page=2").await;
        assert_ne!(other, same[0], "another query is its own computation");
        let again = ask("?page=1").await;
        assert_ne!(again, same[0], "nothing is kept once answered");
    }

    async fn futures_join<F: std::future::Future<Output = String> + Send + 'static>(
        futures: impl Iterator<Item = F>,
    ) -> Vec<String> {
        let handles: Vec<_> = futures.map(tokio::spawn).collect();
        let mut out = Vec::new();
        for h in handles {
            out.push(h.await.unwrap());
        }
        out
    }
}
