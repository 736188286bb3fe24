//! `GET /api/live`: the header's figures pushed as Server-Sent Events whenever they change, so
//! every open page shows the events as they arrive, without a reload. The figures come from
//! the store's overview, which the incremental state answers whatever the history.

use super::blocking;
use crate::server::Stopping;
use crate::views::Header;
use crate::AppState;
use axum::extract::State;
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::IntoResponse;
use axum::routing::get;
use axum::Extension;
use axum::Router;
use serde::Serialize;
use std::convert::Infallible;
use std::time::Duration;
use tokio_stream::wrappers::ReceiverStream;

/// How often the figures are looked at for a change.
const EVERY: Duration = Duration::from_secs(1);

pub fn routes() -> Router<AppState> {
    Router::new().route("/api/live", get(live))
}

/// The header's figures, by the ids their elements carry (`fig-events`, …).
#[derive(Debug, Clone, PartialEq, Serialize)]
struct Figures {
    events: u64,
    instances: u64,
    completed: u64,
    running: u64,
    stuck: u64,
    uncorrelated: u64,
    latest: String,
}

impl From<Header> for Figures {
    fn from(h: Header) -> Self {
        Self {
            events: h.events,
            instances: h.instances,
            completed: h.completed,
            running: h.running,
            stuck: h.stuck,
            uncorrelated: h.uncorrelated,
            latest: h.latest,
        }
    }
}

/// Sends the figures at once and then each time they change, until the page goes away or the
/// server shuts down; a store that fails sends nothing until it answers again.
async fn live(
    State(state): State<AppState>,
    stopping: Option<Extension<Stopping>>,
) -> impl IntoResponse {
    let mut stopping = stopping.map(|Extension(Stopping(s))| s);
    let (sender, receiver) = tokio::sync::mpsc::channel::<Result<Event, Infallible>>(4);
    tokio::spawn(async move {
        let mut last: Option<Figures> = None;
        loop {
            if let Ok(overview) = blocking(&state, |s| Ok(s.overview()?)).await {
                let figures = Figures::from(Header::new("", &overview));
                if last.as_ref() != Some(&figures) {
                    let data = serde_json::to_string(&figures).unwrap_or_default();
                    if sender.send(Ok(Event::default().data(data))).await.is_err() {
                        return;
                    }
                    last = Some(figures);
                }
            }
            let shutdown = async {
                match stopping.as_mut() {
                    Some(s) => drop(s.wait_for(|stopping| *stopping).await),
                    None => std::future::pending().await,
                }
            };
            tokio::select! {
                _ = sender.closed() => return,
                () = shutdown => return,
                _ = tokio::time::sleep(EVERY) => {}
            }
        }
    });
    Sse::new(ReceiverStream::new(receiver)).keep_alive(KeepAlive::default())
}
