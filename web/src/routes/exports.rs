//! Downloads: the map as SVG or PNG, the report, the model; DFG, variants, bottlenecks and
//! instances as CSV or JSON; the event log as XES, CSV or OCEL 2.0 JSON.

use super::blocking;
use super::instances::ListParams;
use super::streamed::streamed;
use crate::reports::charts::{Chart, ChartData};
use crate::reports::compare::{CompareParams, ComparisonView};
use crate::reports::{self, MapRequest, MapView};
use crate::{AppState, WebError};
use axum::extract::{Path, Query, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;

pub fn routes() -> Router<AppState> {
    Router::new().route("/export/{file}", get(export))
}

/// How CSV downloads write formula-like cells: `cells=raw` for machine consumers.
#[derive(Debug, Default, serde::Deserialize)]
#[serde(default)]
struct CsvParams {
    cells: miner::formats::csv::Cells,
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

const CSV: &str = "text/csv; charset=utf-8";
const JSON: &str = "application/json";

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
    // The event log, the largest download, is written while it is sent.
    if matches!(name.as_str(), "log.xes" | "log.csv") {
        let store = state.store.clone();
        let body = streamed(move |out| {
            if name == "log.xes" {
                reports::write_xes(store.as_ref(), &selection, out)?;
            } else {
                reports::write_events_csv(store.as_ref(), &selection, cells, out)?;
            }
            Ok(())
        });
        let content_type = if file == "log.xes" {
            "application/xml"
        } else {
            CSV
        };
        return Ok(download(&file, content_type, body));
    }
    if let Some(ext) = name.strip_prefix("compare.") {
        let sets = compared.sets(&map.filters)?;
        let ext = ext.to_string();
        return blocking(&state, move |store| {
            let view = ComparisonView::compute(store, sets)?;
            Ok(match ext.as_str() {
                "svg" => download(&name, "image/svg+xml", view.svg()),
                "png" => download(&name, "image/png", reports::svg_to_png(&view.svg())?),
                "csv" => download(&name, CSV, view.csv(cells)),
                "json" => download(
                    &name,
                    JSON,
                    serde_json::to_string_pretty(&view.json()).expect("json values serialize"),
                ),
                other => {
                    return Err(WebError::NotFound(format!(
                        "the comparison is exported as svg, png, csv or json, not {other:?}"
                    )))
                }
            })
        })
        .await;
    }
    if let Some((chart, ext)) = name
        .rsplit_once('.')
        .and_then(|(stem, ext)| Some((Chart::parse(stem)?, ext.to_string())))
    {
        let cases = map.filters.resolve()?;
        return blocking(&state, move |store| {
            let data = ChartData::read(store, chart, &cases)?;
            Ok(match ext.as_str() {
                "svg" => download(&name, "image/svg+xml", data.svg()),
                "png" => download(&name, "image/png", reports::svg_to_png(&data.svg())?),
                "csv" => download(&name, CSV, data.csv(cells)),
                other => {
                    return Err(WebError::NotFound(format!(
                        "the {} chart is exported as svg, png or csv, not {other:?}",
                        chart.name()
                    )))
                }
            })
        })
        .await;
    }
    blocking(&state, move |store| {
        let view = || MapView::compute(store, &map);
        let pretty = |v: serde_json::Value| serde_json::to_string_pretty(&v).expect("json values serialize");
        Ok(match name.as_str() {
            "map.svg" => download(&name, "image/svg+xml", view()?.svg()),
            "map.png" => download(&name, "image/png", reports::svg_to_png(&view()?.svg())?),
            "model.bpmn" => download(&name, "application/xml", reports::bpmn(&view()?.full, model.noise.unwrap_or(0.0))?),
            "report.html" => download(&name, "text/html; charset=utf-8", view()?.html_report(miner::time::now_micros())?),
            "dfg.csv" => download(&name, CSV, reports::dfg_csv(&view()?.shown, cells)),
            "dfg.json" => download(&name, JSON, pretty(reports::dfg_json(&view()?.shown))),
            "variants.csv" => download(&name, CSV, reports::variants_csv(&view()?.full, cells)),
            "variants.json" => download(&name, JSON, pretty(reports::variants_json(&view()?.full))),
            "bottlenecks.csv" => download(&name, CSV, reports::bottlenecks_csv(&view()?.bottlenecks(), cells)),
            "bottlenecks.json" => download(&name, JSON, pretty(reports::bottlenecks_json(&view()?.bottlenecks()))),
            "instances.csv" => download(&name, CSV, reports::instances_csv(store, &selection, cells)?),
            "instances.json" => download(&name, JSON, pretty(reports::instances_json(store, &selection)?)),
            "log.jsonocel" => {
                let ocel = reports::ocel_of_store(store, &selection)?;
                download(&name, JSON, miner::formats::ocel_json::write_ocel_json(&ocel).to_string())
            }
            other => return Err(WebError::NotFound(format!("no export called {other:?}: try map.svg, map.png, model.bpmn, report.html, dfg.csv, dfg.json, variants.csv, variants.json, bottlenecks.csv, bottlenecks.json, instances.csv, instances.json, log.xes, log.csv, log.jsonocel, cases-over-time, durations or dotted as .svg, .png or .csv, or compare.svg, .png, .csv or .json"))),
        })
    })
    .await
}
