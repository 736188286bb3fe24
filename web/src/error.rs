//! The web crate's one error type, and how each error is answered over HTTP.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use collector::CollectorError;
use thiserror::Error;

/// What can go wrong while answering a request.
#[derive(Debug, Error)]
pub enum WebError {
    /// A query parameter was wrong; the message names it.
    #[error("{0}")]
    BadRequest(String),
    /// The thing asked for does not exist.
    #[error("{0}")]
    NotFound(String),
    /// The store failed.
    #[error(transparent)]
    Store(#[from] CollectorError),
    /// A page could not be rendered.
    #[error("rendering failed: {0}")]
    Template(#[from] askama::Error),
    /// Too much at once (e.g. every import slot is taken); the client may retry later.
    #[error("{0}")]
    Busy(String),
    /// The request is larger than accepted.
    #[error("{0}")]
    TooLarge(String),
    /// The server could not be set up as asked (TLS files, credentials); the message names
    /// the file or setting.
    #[error("{0}")]
    Setup(String),
    /// A worker thread failed.
    #[error("internal error: {0}")]
    Internal(String),
}

impl WebError {
    /// The HTTP status this error is answered with.
    pub fn status(&self) -> StatusCode {
        match self {
            WebError::BadRequest(_) => StatusCode::BAD_REQUEST,
            WebError::NotFound(_) => StatusCode::NOT_FOUND,
            WebError::Busy(_) => StatusCode::TOO_MANY_REQUESTS,
            WebError::TooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            WebError::Store(_) => StatusCode::SERVICE_UNAVAILABLE,
            WebError::Template(_) | WebError::Internal(_) | WebError::Setup(_) => {
                StatusCode::INTERNAL_SERVER_ERROR
            }
        }
    }
}

impl IntoResponse for WebError {
    fn into_response(self) -> Response {
        let status = self.status();
        if status.is_server_error() {
            tracing::error!(error = %self, "request failed");
        }
        (status, self.to_string()).into_response()
    }
}
