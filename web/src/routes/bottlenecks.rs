//! The bottlenecks page: where instances wait, ranked three ways.

use super::{blocking, encode_query, page};
use crate::reports::{MapRequest, MapView};
use crate::views::Header;
use crate::{AppState, WebError};
use askama::Template;
use axum::extract::{Query, State};
use axum::response::Html;
use axum::routing::get;
use axum::Router;
use miner::performance::DurationStats;
use miner::time::format_duration;

pub fn routes() -> Router<AppState> {
    Router::new().route("/bottlenecks", get(bottlenecks))
}

struct Row {
    from: String,
    to: String,
    /// The query of the instances behind the row (`edge=FROM>TO` or `activity=NAME`).
    drill: String,
    count: u64,
    total: String,
    share: String,
    bar: u32,
    mean: String,
    median: String,
    p95: String,
    service_mean: String,
    service_p95: String,
    waiting_mean: String,
    waiting_p95: String,
}

impl Row {
    fn new(from: &str, to: &str, d: &DurationStats, share: f64) -> Self {
        let drill = if to.is_empty() {
            encode_query(&[("activity", from.to_string())])
        } else {
            encode_query(&[("edge", format!("{from}>{to}"))])
        };
        Self {
            drill,
            from: from.to_string(),
            to: to.to_string(),
            count: d.count,
            total: format_duration(d.total),
            share: format!("{:.1}%", share * 100.0),
            bar: (share * 120.0).round() as u32,
            mean: format_duration(d.mean),
            median: format_duration(d.median),
            p95: format_duration(d.p95),
            service_mean: String::new(),
            service_p95: String::new(),
            waiting_mean: String::new(),
            waiting_p95: String::new(),
        }
    }
}

#[derive(Template)]
#[template(path = "bottlenecks.html")]
struct BottlenecksPage {
    header: Header,
    cases: u64,
    by_total: Vec<Row>,
    by_p95: Vec<Row>,
    activities: Vec<Row>,
}

async fn bottlenecks(
    State(state): State<AppState>,
    Query(request): Query<MapRequest>,
) -> Result<Html<String>, WebError> {
    let (view, overview) = blocking(&state, move |s| {
        Ok((MapView::compute(s, &request)?, s.overview()?))
    })
    .await?;
    let b = view.bottlenecks();
    page(BottlenecksPage {
        header: Header::new("bottlenecks", &overview),
        cases: view.full.cases,
        by_total: b
            .by_total
            .iter()
            .map(|e| Row::new(&e.from, &e.to, &e.duration, e.share))
            .collect(),
        by_p95: b
            .by_p95
            .iter()
            .map(|e| Row::new(&e.from, &e.to, &e.duration, e.share))
            .collect(),
        activities: b
            .activities
            .iter()
            .map(|a| {
                let mut row = Row::new(&a.activity, "", &a.duration, a.share);
                if a.service.count > 0 {
                    row.service_mean = format_duration(a.service.mean);
                    row.service_p95 = format_duration(a.service.p95);
                }
                if a.waiting.count > 0 {
                    row.waiting_mean = format_duration(a.waiting.mean);
                    row.waiting_p95 = format_duration(a.waiting.p95);
                }
                row
            })
            .collect(),
    })
}
