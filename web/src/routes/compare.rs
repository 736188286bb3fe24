//! The compare page: the periods before and after a date, or two filter sets, as the second
//! set's map with each path's change and tables of the biggest changes.

use super::{blocking, encode_query, page};
use crate::filter_bar::{given, suggestions, FilterBar, FilterParams};
use crate::query::Query;
use crate::reports::compare::{CompareParams, ComparisonView};
use crate::views::Header;
use crate::{AppState, WebError};
use askama::Template;
use axum::extract::State;
use axum::response::Html;
use axum::routing::get;
use axum::Router;
use miner::compare::{signed_duration, PathChange};
use miner::time::format_duration;

pub fn routes() -> Router<AppState> {
    Router::new().route("/compare", get(compare_page))
}

/// Rows of each table of changes.
const ROWS: usize = 15;

/// One row of a table of changes.
struct ChangeRow {
    from: String,
    to: String,
    before: String,
    after: String,
    change: String,
}

impl ChangeRow {
    fn time(p: &PathChange) -> Self {
        let side = |f: Option<miner::compare::PathFigures>| {
            f.map_or("—".into(), |f| {
                format!(
                    "{} a case (median {})",
                    format_duration(f.time_per_case.round() as i64),
                    format_duration(f.median)
                )
            })
        };
        Self {
            from: p.from.clone(),
            to: p.to.clone(),
            before: side(p.before),
            after: side(p.after),
            change: signed_duration(p.time_change()),
        }
    }

    fn frequency(p: &PathChange) -> Self {
        let side = |f: Option<miner::compare::PathFigures>| {
            f.map_or("—".into(), |f| {
                format!("{:.1}% ({})", f.per_case * 100.0, f.count)
            })
        };
        Self {
            from: p.from.clone(),
            to: p.to.clone(),
            before: side(p.before),
            after: side(p.after),
            change: format!("{:+.1} pts", p.frequency_change() * 100.0),
        }
    }
}

#[derive(Template)]
#[template(path = "compare.html")]
struct ComparePage {
    header: Header,
    bar: FilterBar,
    split: String,
    a: String,
    b: String,
    /// Empty until two sets are given.
    svg: String,
    summary: String,
    by_time: Vec<ChangeRow>,
    by_frequency: Vec<ChangeRow>,
    /// The filters and sets in force, as a query string.
    query: String,
}

async fn compare_page(
    State(state): State<AppState>,
    Query(params): Query<FilterParams>,
    Query(compared): Query<CompareParams>,
) -> Result<Html<String>, WebError> {
    let asked = [&compared.split, &compared.a, &compared.b]
        .iter()
        .any(|v| given(v).is_some());
    let sets = if asked {
        Some(compared.sets(&params)?)
    } else {
        None
    };
    let (view, overview, suggested) = blocking(&state, move |s| {
        let view = sets
            .map(|sets| ComparisonView::compute(s, sets))
            .transpose()?;
        Ok((view, s.overview()?, suggestions(s)?))
    })
    .await?;
    let mut pairs = params.pairs();
    for (name, value) in [
        ("split", &compared.split),
        ("a", &compared.a),
        ("b", &compared.b),
    ] {
        if let Some(v) = given(value) {
            pairs.push((name, v.to_string()));
        }
    }
    let text = |v: &Option<String>| v.clone().unwrap_or_default();
    page(ComparePage {
        header: Header::new("compare", &overview),
        bar: FilterBar::new("/compare", &params, suggested),
        split: text(&compared.split),
        a: text(&compared.a),
        b: text(&compared.b),
        svg: view.as_ref().map(ComparisonView::svg).unwrap_or_default(),
        summary: view.as_ref().map_or_else(String::new, |v| {
            format!(
                "{} instances {} against {} {}",
                v.comparison.before_cases,
                v.sets.before_label,
                v.comparison.after_cases,
                v.sets.after_label
            )
        }),
        by_time: view.as_ref().map_or_else(Vec::new, |v| {
            v.comparison
                .by_time()
                .into_iter()
                .take(ROWS)
                .map(ChangeRow::time)
                .collect()
        }),
        by_frequency: view.as_ref().map_or_else(Vec::new, |v| {
            v.comparison
                .by_frequency()
                .into_iter()
                .take(ROWS)
                .map(ChangeRow::frequency)
                .collect()
        }),
        query: encode_query(&pairs),
    })
}
