//! The variants page: the most frequent activity sequences with their share and duration.

use super::{encode_query, filtered_stats, page};
use crate::filter_bar::{FilterBar, FilterParams, VARIANT_SEPARATOR};
use crate::query::Query;
use crate::views::Header;
use crate::{AppState, WebError};
use askama::Template;
use axum::extract::State;
use axum::response::Html;
use axum::routing::get;
use axum::Router;
use miner::time::format_duration;

/// Variants listed on the page (all are in the exports).
const SHOWN: usize = 100;

pub fn routes() -> Router<AppState> {
    Router::new().route("/variants", get(variants))
}

struct VariantRow {
    rank: usize,
    count: u64,
    share: String,
    bar: u32,
    duration: String,
    activities: Vec<String>,
    /// The filters with this variant's, as a query string.
    link: String,
}

#[derive(Template)]
#[template(path = "variants.html")]
struct VariantsPage {
    header: Header,
    total: String,
    cases: String,
    rows: Vec<VariantRow>,
    bar: FilterBar,
    /// The filters in force, as a query string.
    query: String,
}

async fn variants(
    State(state): State<AppState>,
    Query(params): Query<FilterParams>,
) -> Result<Html<String>, WebError> {
    let (stats, overview, suggested) = filtered_stats(&state, &params).await?;
    let cases = stats.cases.max(1) as f64;
    let rows = stats
        .variants
        .iter()
        .take(SHOWN)
        .enumerate()
        .map(|(i, v)| {
            let names: Vec<String> = stats
                .variant_names(v)
                .into_iter()
                .map(str::to_string)
                .collect();
            let share = v.count as f64 / cases;
            VariantRow {
                rank: i + 1,
                count: v.count,
                share: format!("{:.1}%", share * 100.0),
                bar: (share * 120.0).round() as u32,
                duration: format_duration(v.mean_throughput),
                link: encode_query(
                    &params
                        .with("variant", &names.join(VARIANT_SEPARATOR))
                        .pairs(),
                ),
                activities: names,
            }
        })
        .collect();
    page(VariantsPage {
        header: Header::new("variants", &overview),
        total: miner::formats::counted(stats.variants.len() as u64, "variant"),
        cases: miner::formats::counted(stats.cases, "instance"),
        rows,
        query: encode_query(&params.pairs()),
        bar: FilterBar::new("/variants", &params, suggested),
    })
}
