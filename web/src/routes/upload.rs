//! The import page: upload an XES, CSV or OCEL 2.0 file into the store.
//!
//! The upload is streamed to a temporary file (bounded memory, large logs welcome), then
//! imported with the same code as `flowsight import`.

use super::{blocking, page};
use crate::views::Header;
use crate::{AppState, WebError};
use askama::Template;
use axum::extract::{DefaultBodyLimit, Multipart, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use collector::sources::files::{import_file, ImportOptions};
use miner::formats::csv_read::CsvColumns;
use std::collections::HashMap;
use std::io::Write;

/// Largest upload accepted.
const MAX_UPLOAD: usize = 2 << 30;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/import", get(form).post(upload))
        .layer(DefaultBodyLimit::max(MAX_UPLOAD))
}

#[derive(Template)]
#[template(path = "import.html")]
struct ImportPage {
    header: Header,
    message: Option<String>,
    outcome: &'static str,
}

async fn render(
    state: &AppState,
    message: Option<String>,
    outcome: &'static str,
) -> Result<Html<String>, WebError> {
    let overview = blocking(state, |s| Ok(s.overview()?)).await?;
    page(ImportPage {
        header: Header::new("import", &overview),
        message,
        outcome,
    })
}

async fn form(State(state): State<AppState>) -> Result<Html<String>, WebError> {
    render(&state, None, "").await
}

async fn upload(State(state): State<AppState>, multipart: Multipart) -> Result<Response, WebError> {
    match receive_and_import(&state, multipart).await {
        Ok(message) => Ok(render(&state, Some(message), "ok").await?.into_response()),
        Err(WebError::BadRequest(message)) => Ok((
            StatusCode::BAD_REQUEST,
            render(&state, Some(message), "error").await?,
        )
            .into_response()),
        Err(other) => Err(other),
    }
}

async fn receive_and_import(
    state: &AppState,
    mut multipart: Multipart,
) -> Result<String, WebError> {
    let bad = |m: String| WebError::BadRequest(m);
    let mut fields: HashMap<String, String> = HashMap::new();
    let mut file: Option<(String, tempfile::NamedTempFile)> = None;
    while let Some(mut field) = multipart
        .next_field()
        .await
        .map_err(|e| bad(format!("upload: {e}")))?
    {
        let name = field.name().unwrap_or_default().to_string();
        if name == "file" {
            let file_name = field.file_name().unwrap_or("upload").to_string();
            let mut temp =
                tempfile::NamedTempFile::new().map_err(|e| WebError::Internal(e.to_string()))?;
            while let Some(chunk) = field
                .chunk()
                .await
                .map_err(|e| bad(format!("upload: {e}")))?
            {
                temp.write_all(&chunk)
                    .map_err(|e| WebError::Internal(e.to_string()))?;
            }
            file = Some((file_name, temp));
        } else {
            let value = field
                .text()
                .await
                .map_err(|e| bad(format!("upload field {name}: {e}")))?;
            fields.insert(name, value.trim().to_string());
        }
    }
    let (name, temp) = file.ok_or_else(|| bad("no file was uploaded".into()))?;
    let field = |k: &str| fields.get(k).filter(|v| !v.is_empty()).cloned();
    let csv = match (field("case"), field("activity"), field("timestamp")) {
        (Some(case), Some(activity), Some(timestamp)) => Some(CsvColumns {
            case,
            activity,
            timestamp,
            start_timestamp: field("start_timestamp"),
            resource: field("resource"),
            time_format: field("time_format"),
        }),
        _ => None,
    };
    let options = ImportOptions {
        csv,
        mapping: state.config.mapping.clone(),
        ..ImportOptions::default()
    };
    let shown = name.clone();
    let report = blocking(state, move |store| {
        import_file(store, temp.path(), &name, &options, |f| Box::new(f)).map_err(|e| match e {
            collector::CollectorError::File { message, .. } => {
                WebError::BadRequest(format!("{name}: {message}"))
            }
            other => WebError::Store(other),
        })
    })
    .await?;
    Ok(format!(
        "Imported {shown}: {} events ({} new, {} already stored) in {} {}.",
        report.events,
        report.inserted,
        report.duplicates,
        report.cases,
        if report.e2o > 0 { "objects" } else { "cases" }
    ))
}
