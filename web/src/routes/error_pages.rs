//! Error pages: a request for a page that fails (a bad parameter, an unknown instance, an
//! address that names nothing) is answered with a page in the site's layout that says what
//! was wrong in plain words and links back, never with a bare line of framework text. APIs,
//! exports and ingest keep their plain answers, which machines read.

use super::page;
use crate::views::Header;
use askama::Template;
use axum::extract::Request;
use axum::http::{header, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

/// Largest error text read back from a failed response.
const MAX_MESSAGE_BYTES: usize = 16 << 10;

/// Paths whose answers are for machines, not people.
const MACHINE_PREFIXES: [&str; 7] = [
    "/api/", "/export/", "/v1/", "/metrics", "/static/", "/healthz", "/import",
];

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage {
    header: Header,
    title: String,
    message: String,
}

/// Turns a failed answer to a page request into an error page.
pub async fn error_pages(request: Request, next: Next) -> Response {
    let wants_page = request.method() == Method::GET
        && !MACHINE_PREFIXES
            .iter()
            .any(|p| request.uri().path().starts_with(p));
    let response = next.run(request).await;
    let status = response.status();
    let is_html = response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("text/html"));
    if !wants_page || !(status.is_client_error() || status.is_server_error()) || is_html {
        return response;
    }
    let body = axum::body::to_bytes(response.into_body(), MAX_MESSAGE_BYTES)
        .await
        .unwrap_or_default();
    error_page(status, &plain(&String::from_utf8_lossy(&body)))
}

/// The page for an address that names nothing.
pub async fn not_found(uri: axum::http::Uri) -> Response {
    error_page(
        StatusCode::NOT_FOUND,
        &format!("There is no page at {}.", uri.path()),
    )
}

fn error_page(status: StatusCode, message: &str) -> Response {
    let title = match status {
        StatusCode::NOT_FOUND => "Not found".to_string(),
        s if s.is_client_error() => "That address is not quite right".to_string(),
        _ => "Something went wrong".to_string(),
    };
    let rendered = page(ErrorPage {
        header: Header::without_figures(),
        title,
        message: message.to_string(),
    });
    match rendered {
        Ok(html) => (status, html).into_response(),
        Err(_) => (status, message.to_string()).into_response(),
    }
}

/// Framework messages in plain words: which parameter was wrong and why.
fn plain(message: &str) -> String {
    let message = message.trim();
    if let Some(rest) = message.strip_prefix("Failed to deserialize query string: ") {
        let (field, why) = rest.split_once(": ").unwrap_or(("a parameter", rest));
        return format!("The address has a bad value for {field}: {}.", reason(why));
    }
    if let Some(rest) = message.strip_prefix("Invalid URL: ") {
        if let Some(value) = rest
            .strip_prefix("Cannot parse `")
            .and_then(|r| r.split('`').next())
        {
            return format!("“{value}” in the address is not a number.");
        }
        return format!("The address is not valid: {rest}.");
    }
    if message.is_empty() {
        return "The request could not be answered.".into();
    }
    message.to_string()
}

fn reason(why: &str) -> &str {
    match why {
        "invalid digit found in string" => "it must be a whole number",
        "number too large to fit in target type" => "the number is too large",
        "invalid float literal" => "it must be a number",
        "cannot parse integer from empty string" => "it is empty",
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::plain;

    #[test]
    fn framework_messages_become_plain_words() {
        assert_eq!(
            plain("Failed to deserialize query string: page: invalid digit found in string"),
            "The address has a bad value for page: it must be a whole number."
        );
        assert_eq!(
            plain("Invalid URL: Cannot parse `abc` to a `i64`"),
            "“abc” in the address is not a number."
        );
        assert_eq!(plain("unknown status \"x\""), "unknown status \"x\"");
    }
}
