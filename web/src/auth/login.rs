//! The login page, where a person pastes their token once and gets a session cookie, and the
//! sign-out.

use super::sessions::{COOKIE, SESSION_LIFETIME};
use super::Auth;
use crate::WebError;
use askama::Template;
use axum::extract::{Form, Query, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::Router;
use std::sync::Arc;
use std::time::Duration;

/// Time a wrong token waits before its answer, so guessing is slow.
const WRONG_TOKEN_DELAY: Duration = Duration::from_millis(500);

pub fn routes(auth: Arc<Auth>) -> Router {
    Router::new()
        .route("/login", get(form).post(sign_in))
        .route("/logout", post(sign_out))
        .with_state(auth)
}

#[derive(Template)]
#[template(path = "login.html")]
struct LoginPage {
    next: String,
    message: Option<String>,
}

#[derive(Debug, Default, serde::Deserialize)]
#[serde(default)]
struct Next {
    next: String,
}

#[derive(Debug, serde::Deserialize)]
struct SignIn {
    token: String,
    #[serde(default)]
    next: String,
}

/// Where to go after signing in: a path of this site only (never `//host` or `https://…`).
fn local_target(next: &str) -> &str {
    if next.starts_with('/') && !next.starts_with("//") && !next.starts_with("/\\") {
        next
    } else {
        "/map"
    }
}

async fn form(Query(next): Query<Next>) -> Result<Html<String>, WebError> {
    Ok(Html(
        LoginPage {
            next: local_target(&next.next).to_string(),
            message: None,
        }
        .render()?,
    ))
}

async fn sign_in(
    State(auth): State<Arc<Auth>>,
    Form(form): Form<SignIn>,
) -> Result<Response, WebError> {
    let next = local_target(&form.next).to_string();
    let Some(credential) = auth.credentials.find(form.token.trim()) else {
        tokio::time::sleep(WRONG_TOKEN_DELAY).await;
        let page = LoginPage {
            next,
            message: Some("That token is not valid.".into()),
        };
        return Ok((StatusCode::UNAUTHORIZED, Html(page.render()?)).into_response());
    };
    let id = auth
        .sessions
        .start(&credential.name, credential.role)
        .map_err(|e| WebError::Internal(format!("no randomness for a session: {e}")))?;
    tracing::info!(name = %credential.name, role = credential.role.name(), "signed in");
    let secure = if auth.secure_cookies { "; Secure" } else { "" };
    let cookie = format!(
        "{COOKIE}={id}; Path=/; HttpOnly; SameSite=Strict; Max-Age={}{secure}",
        SESSION_LIFETIME.as_secs()
    );
    Ok(([(header::SET_COOKIE, cookie)], Redirect::to(&next)).into_response())
}

async fn sign_out(State(auth): State<Arc<Auth>>, headers: HeaderMap) -> Response {
    if let Some(id) = super::session_id(&headers) {
        auth.sessions.end(id);
    }
    let cookie = format!("{COOKIE}=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0");
    ([(header::SET_COOKIE, cookie)], Redirect::to("/login")).into_response()
}

#[cfg(test)]
mod tests {
    use super::local_target;

    #[test]
    fn after_sign_in_only_paths_of_this_site_are_followed() {
        assert_eq!(
            local_target("/instances?status=stuck"),
            "/instances?status=stuck"
        );
        assert_eq!(local_target("//evil.example/x"), "/map");
        assert_eq!(local_target("/\\evil.example"), "/map");
        assert_eq!(local_target("https://evil.example"), "/map");
        assert_eq!(local_target(""), "/map");
    }
}
