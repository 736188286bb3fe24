//! The bottlenecks page: where instances wait, ranked three ways.

use super::{encode_query, filtered_stats, page};
use crate::filter_bar::{FilterBar, FilterParams};
use crate::query::Query;
use crate::views::Header;
use crate::{AppState, WebError};
use askama::Template;
use axum::extract::State;
use axum::response::Html;
use axum::routing::get;
use axum::Router;
use miner::performance::{rank_bottlenecks, DurationStats};
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
    /// The row of path `from → to` (or of activity `from`, when `to` is empty), drilling down
    /// under `filters`.
    fn new(filters: &FilterParams, from: &str, to: &str, d: &DurationStats, share: f64) -> Self {
        let drill = if to.is_empty() {
            filters.with("activity", from)
        } else {
            filters.with("edge", &format!("{from}>{to}"))
        };
        let drill = encode_query(&drill.pairs());
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
    bar: FilterBar,
    /// The filters in force, as a query string.
    query: String,
}

async fn bottlenecks(
    State(state): State<AppState>,
    Query(params): Query<FilterParams>,
) -> Result<Html<String>, WebError> {
    let (stats, overview, suggested) = filtered_stats(&state, &params).await?;
    let b = rank_bottlenecks(&stats);
    page(BottlenecksPage {
        header: Header::new("bottlenecks", &overview),
        cases: stats.cases,
        by_total: b
            .by_total
            .iter()
            .map(|e| Row::new(&params, &e.from, &e.to, &e.duration, e.share))
            .collect(),
        by_p95: b
            .by_p95
            .iter()
            .map(|e| Row::new(&params, &e.from, &e.to, &e.duration, e.share))
            .collect(),
        activities: b
            .activities
            .iter()
            .map(|a| {
                let mut row = Row::new(&params, &a.activity, "", &a.duration, a.share);
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
        query: encode_query(&params.pairs()),
        bar: FilterBar::new("/bottlenecks", &params, suggested),
    })
}
