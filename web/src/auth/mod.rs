//! Authentication and roles: who is asking, and whether their role allows the request.
//!
//! With no credential configured, everything is open (the loopback-only default; the binary
//! refuses to listen elsewhere without credentials unless told it is on purpose). With
//! credentials, every request but `/healthz`, the login page and the stylesheet needs a bearer
//! token or a session cookie whose role covers it (see [`required_role`]); a browser asking for
//! a page is sent to the login page, other clients get 401.

mod credentials;
mod login;
mod sessions;

pub use credentials::{Credential, Credentials, Role, MIN_TOKEN_CHARS};

use axum::extract::{Request, State};
use axum::http::{header, HeaderMap, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};
use axum::Router;
use sessions::{Sessions, COOKIE};
use std::sync::Arc;

/// The server's credentials and sessions.
#[derive(Debug)]
pub struct Auth {
    credentials: Credentials,
    sessions: Sessions,
    /// Session cookies carry `Secure` (the server speaks TLS).
    secure_cookies: bool,
}

impl Auth {
    /// Authentication with `credentials`; `secure_cookies` when served over TLS.
    pub fn new(credentials: Credentials, secure_cookies: bool) -> Arc<Self> {
        Arc::new(Self {
            credentials,
            sessions: Sessions::default(),
            secure_cookies,
        })
    }

    /// Who sent `headers` (by a bearer token or a session cookie), if known: the credential's
    /// name and role.
    pub fn caller(&self, headers: &HeaderMap) -> Option<(String, Role)> {
        if let Some(token) = bearer(headers) {
            return self
                .credentials
                .find(token)
                .map(|c| (c.name.clone(), c.role));
        }
        session_id(headers)
            .and_then(|id| self.sessions.get(id))
            .map(|s| (s.name, s.role))
    }

    /// A token that may send events, for a process that feeds its own server (the demo).
    pub fn ingest_token(&self) -> Option<&str> {
        self.credentials.token_with(Role::Ingest)
    }

    /// Whether an `Authorization` header value (as OTLP/gRPC metadata carries it) may send spans.
    pub fn may_ingest(&self, authorization: Option<&str>) -> bool {
        authorization
            .and_then(|value| value.strip_prefix("Bearer "))
            .and_then(|token| self.credentials.find(token.trim()))
            .is_some_and(|c| c.role >= Role::Ingest)
    }
}

/// The role a request needs; `None` for what is open to all (health check, login, styles).
pub fn required_role(method: &Method, path: &str) -> Option<Role> {
    let reads = matches!(*method, Method::GET | Method::HEAD);
    match path {
        "/healthz" | "/login" | "/static/style.css" => None,
        "/logout" => None,
        "/api/events" | "/v1/traces" if !reads => Some(Role::Ingest),
        _ if reads => Some(Role::Read),
        _ => Some(Role::Admin),
    }
}

/// `app` behind authentication with `auth`, its login and logout routes added.
pub fn authenticated(app: Router, auth: Arc<Auth>) -> Router {
    app.merge(login::routes(auth.clone()))
        .layer(axum::middleware::from_fn_with_state(auth, authorize))
}

async fn authorize(State(auth): State<Arc<Auth>>, request: Request, next: Next) -> Response {
    let Some(needed) = required_role(request.method(), request.uri().path()) else {
        return next.run(request).await;
    };
    match auth.caller(request.headers()) {
        Some((name, role)) if role >= needed => {
            if needed == Role::Admin {
                let (method, path) = (request.method(), request.uri().path());
                tracing::info!(%name, %method, path, "admin request");
            }
            next.run(request).await
        }
        Some((_, role)) => (
            StatusCode::FORBIDDEN,
            format!(
                "the role {} may not do this: it needs {}",
                role.name(),
                needed.name()
            ),
        )
            .into_response(),
        None if wants_page(&request) => {
            let target = request
                .uri()
                .path_and_query()
                .map_or("/", |p| p.as_str())
                .to_string();
            Redirect::to(&format!(
                "/login?next={}",
                crate::routes::percent_encode(&target)
            ))
            .into_response()
        }
        None => (
            StatusCode::UNAUTHORIZED,
            [(header::WWW_AUTHENTICATE, "Bearer realm=\"flowsight\"")],
            "authentication required: send Authorization: Bearer TOKEN, or sign in at /login",
        )
            .into_response(),
    }
}

/// A browser navigating to a page (not a script or a machine client).
fn wants_page(request: &Request) -> bool {
    request.method() == Method::GET
        && request
            .headers()
            .get(header::ACCEPT)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|accept| accept.contains("text/html"))
}

/// The token of an `Authorization: Bearer TOKEN` header.
fn bearer(headers: &HeaderMap) -> Option<&str> {
    headers
        .get(header::AUTHORIZATION)?
        .to_str()
        .ok()?
        .strip_prefix("Bearer ")
        .map(str::trim)
}

/// The session id in the request's cookies.
fn session_id(headers: &HeaderMap) -> Option<&str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, _)| *name == COOKIE)
        .map(|(_, value)| value)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_request_needs_the_least_role_that_covers_it() {
        assert_eq!(required_role(&Method::GET, "/healthz"), None);
        assert_eq!(required_role(&Method::GET, "/map"), Some(Role::Read));
        assert_eq!(required_role(&Method::GET, "/metrics"), Some(Role::Read));
        assert_eq!(
            required_role(&Method::GET, "/export/log.xes"),
            Some(Role::Read)
        );
        assert_eq!(
            required_role(&Method::POST, "/api/events"),
            Some(Role::Ingest)
        );
        assert_eq!(
            required_role(&Method::POST, "/v1/traces"),
            Some(Role::Ingest)
        );
        assert_eq!(required_role(&Method::POST, "/import"), Some(Role::Admin));
        assert_eq!(required_role(&Method::DELETE, "/map"), Some(Role::Admin));
    }
}
