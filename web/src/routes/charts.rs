//! The charts page: cases started, completed and in progress over time, case durations and
//! the dotted chart of the instances the filter bar selects, each with its downloads.

use super::{blocking, encode_query, page};
use crate::filter_bar::{suggestions, FilterBar, FilterParams};
use crate::query::Query;
use crate::reports::charts::{ChartData, DOTTED_CASES};
use crate::views::Header;
use crate::{AppState, WebError};
use askama::Template;
use axum::extract::State;
use axum::response::Html;
use axum::routing::get;
use axum::Router;

pub fn routes() -> Router<AppState> {
    Router::new().route("/charts", get(charts))
}

/// One chart on the page: its export name, its drawing, and what it shows.
struct ChartView {
    name: &'static str,
    svg: String,
    note: String,
}

#[derive(Template)]
#[template(path = "charts.html")]
struct ChartsPage {
    header: Header,
    bar: FilterBar,
    charts: Vec<ChartView>,
    /// The filters in force, as a query string.
    query: String,
}

async fn charts(
    State(state): State<AppState>,
    Query(params): Query<FilterParams>,
) -> Result<Html<String>, WebError> {
    let cases = params.resolve()?;
    let (charts, overview, suggested) = blocking(&state, move |s| {
        Ok((
            ChartData::read_all(s, &cases)?,
            s.overview()?,
            suggestions(s)?,
        ))
    })
    .await?;
    let charts = charts
        .into_iter()
        .map(|(chart, data)| ChartView {
            name: chart.name(),
            svg: data.svg(),
            note: match &data {
                ChartData::CasesOverTime(c) => format!(
                    "{} periods of {}",
                    c.periods.len(),
                    miner::time::format_duration(c.period)
                ),
                ChartData::Durations(h) => format!(
                    "{} instances; median {}, 95th percentile {}",
                    h.stats.count,
                    miner::time::format_duration(h.stats.median),
                    miner::time::format_duration(h.stats.p95)
                ),
                ChartData::Dotted(cases) => format!(
                    "{} instances (the {DOTTED_CASES} latest active at most), earliest begun on top",
                    cases.len()
                ),
            },
        })
        .collect();
    page(ChartsPage {
        header: Header::new("charts", &overview),
        bar: FilterBar::new("/charts", &params, suggested),
        charts,
        query: encode_query(&params.pairs()),
    })
}
