//! Downloads: the map as SVG or PNG, the report, the model; DFG, variants, bottlenecks and
//! instances as CSV or JSON; the event log as XES, CSV or OCEL 2.0 JSON.

use super::blocking;
use super::instances::ListParams;
use super::streamed::streamed;
use crate::query::Query;
use crate::reports::charts::{Chart, ChartData};
use crate::reports::compare::{CompareParams, ComparisonView};
use crate::reports::table::{Export, ExportRequest, CSV, JSON};
use crate::reports::{self, MapRequest};
use crate::{AppState, WebError};
use axum::extract::{Path, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use miner::formats::csv::Cells;

pub fn routes() -> Router<AppState> {
    Router::new().route("/export/{file}", get(export))
}

/// How CSV downloads write formula-like cells: `cells=raw` for machine consumers.
#[derive(Debug, Default, serde::Deserialize)]
#[serde(default)]
struct CsvParams {
    cells: Cells,
}

/// Parameters of `model.bpmn`.
#[derive(Debug, Default, serde::Deserialize)]
#[serde(default)]
struct ModelParams {
    /// The Inductive Miner's noise threshold (0–1).
    noise: Option<f64>,
}

fn download(name: &str, content_type: &str, body: impl IntoResponse) -> Response {
    (
        [
            (header::CONTENT_TYPE, content_type.to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"flowsight-{name}\""),
            ),
        ],
        body,
    )
        .into_response()
}

async fn export(
    State(state): State<AppState>,
    Path(file): Path<String>,
    Query(map): Query<MapRequest>,
    Query(list): Query<ListParams>,
    Query(model): Query<ModelParams>,
    Query(csv): Query<CsvParams>,
    Query(compared): Query<CompareParams>,
) -> Result<Response, WebError> {
    let cells = csv.cells;
    let selection = list.selection()?;
    let name = file.clone();
    if let Some(ext) = name.strip_prefix("compare.") {
        let sets = compared.sets(&map.filters)?;
        let ext = ext.to_string();
        return blocking(&state, move |store| {
            comparison(&name, &ext, ComparisonView::compute(store, sets)?, cells)
        })
        .await;
    }
    if let Some((chart, ext)) = name
        .rsplit_once('.')
        .and_then(|(stem, ext)| Some((Chart::parse(stem)?, ext.to_string())))
    {
        let cases = map.filters.resolve()?;
        return blocking(&state, move |store| {
            chart_file(
                &name,
                &ext,
                chart,
                ChartData::read(store, chart, &cases)?,
                cells,
            )
        })
        .await;
    }
    let Some(export) = Export::by_file(&name) else {
        return Err(WebError::NotFound(format!(
            "no export called {name:?}: try {}, cases-over-time, durations or dotted as .svg, .png or .csv, or compare.svg, .png, .csv or .json",
            Export::files().join(", ")
        )));
    };
    let request = ExportRequest {
        map,
        selection,
        cells,
        noise: model.noise.unwrap_or(0.0),
        now: miner::time::now_micros(),
    };
    // The event log, the largest download, is written while it is sent.
    if export.is_log() {
        let store = state.store.clone();
        let body = streamed(move |out| export.write(store.as_ref(), &request, out).map(drop));
        return Ok(download(&name, export.content_type, body));
    }
    blocking(&state, move |store| {
        let mut body = Vec::new();
        export.write(store, &request, &mut body)?;
        Ok(download(&name, export.content_type, body))
    })
    .await
}

/// The comparison of two sets as `ext`.
fn comparison(
    name: &str,
    ext: &str,
    view: ComparisonView,
    cells: Cells,
) -> Result<Response, WebError> {
    Ok(match ext {
        "svg" => download(name, "image/svg+xml", view.svg()),
        "png" => download(name, "image/png", reports::svg_to_png(&view.svg())?),
        "csv" => download(name, CSV, view.csv(cells)),
        "json" => download(
            name,
            JSON,
            serde_json::to_string_pretty(&view.json()).expect("json values serialize"),
        ),
        other => {
            return Err(WebError::NotFound(format!(
                "the comparison is exported as svg, png, csv or json, not {other:?}"
            )))
        }
    })
}

/// `chart`'s `data` as `ext`.
fn chart_file(
    name: &str,
    ext: &str,
    chart: Chart,
    data: ChartData,
    cells: Cells,
) -> Result<Response, WebError> {
    Ok(match ext {
        "svg" => download(name, "image/svg+xml", data.svg()),
        "png" => download(name, "image/png", reports::svg_to_png(&data.svg())?),
        "csv" => download(name, CSV, data.csv(cells)),
        other => {
            return Err(WebError::NotFound(format!(
                "the {} chart is exported as svg, png or csv, not {other:?}",
                chart.name()
            )))
        }
    })
}
