//! The import page: upload an XES, CSV or OCEL 2.0 file into the store.
//!
//! The upload is streamed to a staging file (bounded memory, large logs welcome), then
//! imported with the same code as `flowsight import`, within the limits of [`Imports`]: an
//! upload too large for the limit or the disk is refused from its Content-Length before it is
//! read (and cut off if it sends more), and only so many imports run at once.
//!
//! [`Imports`]: crate::imports::Imports

use super::{blocking, page};
use crate::views::Header;
use crate::{AppState, WebError};
use askama::Template;
use axum::extract::{DefaultBodyLimit, Multipart, State};
use axum::http::{header, HeaderMap};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use collector::sources::files::{import_file, ImportOptions};
use miner::formats::csv_read::CsvColumns;
use std::collections::HashMap;
use std::io::Write;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/import", get(form).post(upload))
        // The upload's size is checked against the configured limit while it streams.
        .layer(DefaultBodyLimit::disable())
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

async fn upload(
    State(state): State<AppState>,
    headers: HeaderMap,
    multipart: Multipart,
) -> Result<Response, WebError> {
    let declared = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    let outcome = match (state.imports.admit(declared), state.imports.start()) {
        (Err(e), _) | (Ok(()), Err(e)) => Err(e),
        (Ok(()), Ok(_running)) => receive_and_import(&state, multipart).await,
    };
    match outcome {
        Ok(message) => Ok(render(&state, Some(message), "ok").await?.into_response()),
        Err(e @ (WebError::BadRequest(_) | WebError::Busy(_) | WebError::TooLarge(_))) => {
            let status = e.status();
            Ok((status, render(&state, Some(e.to_string()), "error").await?).into_response())
        }
        Err(other) => Err(other),
    }
}

/// Writes the uploaded file `field` (named `file_name`) to a staging file, refusing it once it
/// is larger than accepted.
async fn stage(
    state: &AppState,
    field: &mut axum::extract::multipart::Field<'_>,
    file_name: &str,
) -> Result<tempfile::NamedTempFile, WebError> {
    let mut temp = state.imports.stage()?;
    let mut received: u64 = 0;
    while let Some(chunk) = field
        .chunk()
        .await
        .map_err(|e| WebError::BadRequest(format!("upload: {e}")))?
    {
        received += chunk.len() as u64;
        if received > state.imports.max_bytes {
            return Err(WebError::TooLarge(format!(
                "{file_name} is larger than the {} MiB accepted (--max-upload)",
                state.imports.max_bytes >> 20
            )));
        }
        temp.write_all(&chunk).map_err(|e| {
            tracing::error!(error = %e, "cannot stage an upload");
            WebError::Internal(format!("the upload could not be stored ({})", e.kind()))
        })?;
    }
    Ok(temp)
}

/// The CSV column mapping of the form: the case, activity and time columns, or none.
fn csv_columns(fields: &HashMap<String, String>) -> Option<CsvColumns> {
    let field = |k: &str| fields.get(k).filter(|v| !v.is_empty()).cloned();
    Some(CsvColumns {
        case: field("case")?,
        activity: field("activity")?,
        timestamp: field("timestamp")?,
        start_timestamp: field("start_timestamp"),
        resource: field("resource"),
        time_format: field("time_format"),
    })
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
            let temp = stage(state, &mut field, &file_name).await?;
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
    let options = ImportOptions {
        csv: csv_columns(&fields),
        mapping: state.config.mapping.clone(),
        ..ImportOptions::default()
    };
    let shown = name.clone();
    let report = blocking(state, move |store| {
        import_file(store, temp.path(), &name, &options, |f| Box::new(f)).map_err(|e| match e {
            collector::CollectorError::File { message, .. } => {
                WebError::BadRequest(format!("{name}: {message}"))
            }
            // Other errors may name the staging file: the log has them, the answer does not.
            other => {
                tracing::error!(error = %other, file = %name, "import failed");
                WebError::Internal(format!("importing {name} failed; the server log says why"))
            }
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
