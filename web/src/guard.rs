//! Browser safety at the door: requests must name an allowed host, and no page of another
//! origin may change anything.
//!
//! - **Host allow-list** (against DNS rebinding, where a hostile name resolves to 127.0.0.1 so
//!   that its pages can read the UI): a request whose `Host` is not the listen address,
//!   `localhost`, `127.0.0.1`, `[::1]` or a host the operator allowed is refused.
//! - **Cross-origin writes** (CSRF): a browser names the page a request comes from in `Origin`;
//!   a request that changes something (any method but GET and HEAD) from a page of another
//!   origin is refused, whatever its content type (a `text/plain` form post, a `no-cors` fetch,
//!   a `FormData` upload). Clients that are not browsers send no `Origin` and pass.

use axum::extract::{Request, State};
use axum::http::{header, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::Router;
use std::sync::Arc;

/// The host names (without port) a request may address.
#[derive(Debug, Clone)]
pub struct AllowedHosts(Arc<Vec<String>>);

impl AllowedHosts {
    /// The loopback names, `listen_ip` (unless it is a wildcard such as 0.0.0.0) and `extra`.
    pub fn new(listen_ip: std::net::IpAddr, extra: &[String]) -> Self {
        let mut hosts: Vec<String> = ["localhost", "127.0.0.1", "[::1]"]
            .map(String::from)
            .to_vec();
        if !listen_ip.is_unspecified() {
            hosts.push(match listen_ip {
                std::net::IpAddr::V6(ip) => format!("[{ip}]"),
                ip => ip.to_string(),
            });
        }
        hosts.extend(extra.iter().map(|h| h.trim().to_ascii_lowercase()));
        Self(Arc::new(hosts))
    }

    fn allows(&self, host_header: &str) -> bool {
        let host = host_name(host_header).to_ascii_lowercase();
        self.0.contains(&host)
    }
}

/// The host name of a `Host` header value (`name`, `name:port`, `[v6]:port`).
fn host_name(value: &str) -> &str {
    if value.starts_with('[') {
        return value.split_inclusive(']').next().unwrap_or(value);
    }
    value.split(':').next().unwrap_or(value)
}

/// `app` behind the host allow-list and the cross-origin write check.
pub fn guarded(app: Router, hosts: AllowedHosts) -> Router {
    app.layer(axum::middleware::from_fn_with_state(hosts, guard))
}

async fn guard(State(hosts): State<AllowedHosts>, request: Request, next: Next) -> Response {
    let host = text(request.headers(), header::HOST).unwrap_or_default();
    let origin = text(request.headers(), header::ORIGIN);
    let writes = !matches!(*request.method(), Method::GET | Method::HEAD);
    if !hosts.allows(&host) {
        return (
            StatusCode::MISDIRECTED_REQUEST,
            format!(
                "host {host:?} is not served here: allow it with --allow-host (or FLOWSIGHT_ALLOW_HOSTS)"
            ),
        )
            .into_response();
    }
    if let (true, Some(origin)) = (writes, origin) {
        let same = origin
            .split_once("://")
            .is_some_and(|(_, authority)| authority.eq_ignore_ascii_case(&host));
        if !same {
            return (
                StatusCode::FORBIDDEN,
                format!("a page of {origin} may not change anything here"),
            )
                .into_response();
        }
    }
    next.run(request).await
}

/// The value of header `name`, if it is text.
fn text(headers: &header::HeaderMap, name: header::HeaderName) -> Option<String> {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string)
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::body::Body;
    use axum::routing::{get, post};
    use tower::ServiceExt;

    fn app() -> Router {
        let app = Router::new()
            .route("/read", get(|| async { "read" }))
            .route("/write", post(|| async { "written" }));
        guarded(
            app,
            AllowedHosts::new([127, 0, 0, 1].into(), &["flow.example".into()]),
        )
    }

    async fn status(request: Request<Body>) -> StatusCode {
        app().oneshot(request).await.unwrap().status()
    }

    fn request(method: &str, path: &str, headers: &[(&str, &str)]) -> Request<Body> {
        let mut r = Request::builder().method(method).uri(path);
        for (k, v) in headers {
            r = r.header(*k, *v);
        }
        r.body(Body::empty()).unwrap()
    }

    #[tokio::test]
    async fn only_allowed_hosts_are_served() {
        for host in [
            "127.0.0.1:8080",
            "localhost:8080",
            "[::1]:8080",
            "FLOW.example",
        ] {
            let r = request("GET", "/read", &[("host", host)]);
            assert_eq!(status(r).await, StatusCode::OK, "{host}");
        }
        for host in ["evil.example:8080", "127.0.0.2", ""] {
            let r = request("GET", "/read", &[("host", host)]);
            assert_eq!(status(r).await, StatusCode::MISDIRECTED_REQUEST, "{host}");
        }
    }

    #[tokio::test]
    async fn writes_from_pages_of_other_origins_are_refused() {
        let host = ("host", "127.0.0.1:8080");
        let cases = [
            (vec![host], StatusCode::OK),
            (
                vec![host, ("origin", "http://127.0.0.1:8080")],
                StatusCode::OK,
            ),
            (
                vec![host, ("origin", "http://127.0.0.1:9999")],
                StatusCode::FORBIDDEN,
            ),
            (
                vec![host, ("origin", "http://evil.example")],
                StatusCode::FORBIDDEN,
            ),
            (vec![host, ("origin", "null")], StatusCode::FORBIDDEN),
        ];
        for (headers, expected) in cases {
            let r = request("POST", "/write", &headers);
            assert_eq!(status(r).await, expected, "{headers:?}");
        }
        let read = request("GET", "/read", &[host, ("origin", "http://evil.example")]);
        assert_eq!(status(read).await, StatusCode::OK, "reading is not writing");
    }
}
