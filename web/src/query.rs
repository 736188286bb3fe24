//! Query strings as forms write them: the filter bar's activities, absent activities and paths
//! may each repeat (`activity=A&activity=B`), which axum's own reader refuses.

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::StatusCode;
use serde::de::DeserializeOwned;

/// The parameters of a request's query string, repeated ones kept.
#[derive(Debug, Clone, Default)]
pub struct Query<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequestParts<S> for Query<T> {
    /// A bad value is refused in axum's words, naming the parameter, so that the error pages
    /// put it in plain words as they do axum's.
    type Rejection = (StatusCode, String);

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        let text = parts.uri.query().unwrap_or_default();
        let parameters = serde_html_form::Deserializer::from_bytes(text.as_bytes());
        serde_path_to_error::deserialize(parameters)
            .map(Query)
            .map_err(|e| {
                (
                    StatusCode::BAD_REQUEST,
                    format!("Failed to deserialize query string: {e}"),
                )
            })
    }
}
