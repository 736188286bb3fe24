//! The HTTP server under the router: connections accepted with a bound on how many stay open,
//! how long a client may take to send a request and how long a request may run, optional TLS,
//! and a shutdown that ends within a bounded time.
//!
//! Timeouts answer slow or silent clients (slowloris, idle keep-alives); the connection bound
//! keeps file descriptors for real users, closing the oldest idle connection when full (see
//! [`slots`]); the request budget ends work nobody can wait for; a request whose client
//! leaves is dropped with its connection.

mod slots;
pub mod tls;

use axum::body::Body;
use axum::extract::Request;
use axum::Router;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto;
use slots::Slots;
use std::sync::Arc;
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpListener;
use tokio_rustls::TlsAcceptor;
use tower::ServiceExt;

/// How the server treats connections and requests.
#[derive(Debug, Clone)]
pub struct ServerLimits {
    /// Connections kept open at once per listener.
    pub max_connections: usize,
    /// Time a client has to send a request's headers, and to send the next one on a kept-alive
    /// connection; past it the connection is closed.
    pub header_timeout: Duration,
    /// Time a client has to send a request's body.
    pub body_timeout: Duration,
    /// Time a request may take until its answer starts (then 503); streamed bodies continue.
    pub request_budget: Duration,
    /// Time open requests get to finish at shutdown; then their connections are cut.
    pub shutdown_grace: Duration,
}

impl Default for ServerLimits {
    fn default() -> Self {
        Self {
            max_connections: 4096,
            header_timeout: Duration::from_secs(10),
            body_timeout: Duration::from_secs(60),
            request_budget: Duration::from_secs(60),
            shutdown_grace: Duration::from_secs(5),
        }
    }
}

/// `app` with the request budget and the body timeout of `limits`.
pub fn bounded(app: Router, limits: &ServerLimits) -> Router {
    app.layer(tower_http::timeout::RequestBodyTimeoutLayer::new(
        limits.body_timeout,
    ))
    .layer(tower_http::timeout::TimeoutLayer::with_status_code(
        axum::http::StatusCode::SERVICE_UNAVAILABLE,
        limits.request_budget,
    ))
}

/// Whether the server answering a request has begun to shut down: answers that last as long
/// as a page is open (the live figures) end then, so that shutdown need not wait for them.
#[derive(Debug, Clone)]
pub struct Stopping(pub tokio::sync::watch::Receiver<bool>);

/// Serves `app` on `listener` (over TLS with `tls`) until `shutdown` resolves; then stops
/// accepting, lets open requests finish for the grace period and returns.
pub async fn serve(
    listener: TcpListener,
    app: Router,
    tls: Option<TlsAcceptor>,
    limits: ServerLimits,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let slots = Slots::new(limits.max_connections);
    let mut builder = auto::Builder::new(TokioExecutor::new());
    builder
        .http1()
        .timer(TokioTimer::new())
        .header_read_timeout(limits.header_timeout);
    builder
        .http2()
        .timer(TokioTimer::new())
        .keep_alive_interval(limits.header_timeout)
        .keep_alive_timeout(limits.header_timeout);
    let builder = Arc::new(builder);
    let (stopping, stopping_seen) = tokio::sync::watch::channel(false);
    let app = app.layer(axum::Extension(Stopping(stopping_seen)));
    let mut connections = tokio::task::JoinSet::new();
    tokio::pin!(shutdown);
    loop {
        let (stream, peer) = tokio::select! {
            () = &mut shutdown => break,
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(e) => {
                    // Out of file descriptors or a connection reset before accept: wait a little.
                    tracing::warn!(error = %e, "accepting a connection failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            Some(_) = connections.join_next(), if !connections.is_empty() => continue,
        };
        let Some(ticket) = slots.admit() else {
            tracing::warn!(%peer, "every connection is busy: refused one");
            continue;
        };
        let (builder, app, tls) = (builder.clone(), app.clone(), tls.clone());
        let header_timeout = limits.header_timeout;
        connections.spawn(async move {
            let _ = stream.set_nodelay(true);
            match tls {
                None => connection(&builder, stream, app, ticket).await,
                Some(tls) => match tokio::time::timeout(header_timeout, tls.accept(stream)).await {
                    Ok(Ok(stream)) => connection(&builder, stream, app, ticket).await,
                    Ok(Err(e)) => tracing::debug!(%peer, error = %e, "TLS handshake failed"),
                    Err(_) => tracing::debug!(%peer, "TLS handshake timed out"),
                },
            }
        });
    }
    drop(listener);
    stopping.send_replace(true);
    slots.close_all();
    let drained = async { while connections.join_next().await.is_some() {} };
    if tokio::time::timeout(limits.shutdown_grace, drained)
        .await
        .is_err()
    {
        tracing::warn!(
            open = connections.len(),
            "requests still running at shutdown were cut"
        );
        connections.shutdown().await;
    }
    Ok(())
}

/// Serves one connection until the client leaves, a timeout closes it or its seat is taken
/// back (shutdown, or a newcomer needing room while it was idle).
async fn connection<S>(
    builder: &auto::Builder<TokioExecutor>,
    stream: S,
    app: Router,
    ticket: slots::Ticket,
) where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let seat = ticket.seat.clone();
    let service = hyper::service::service_fn(move |request: Request<hyper::body::Incoming>| {
        let guard = seat.request();
        let app = app.clone();
        async move {
            let response = app.oneshot(request.map(Body::new)).await;
            drop(guard);
            response
        }
    });
    let served = builder.serve_connection_with_upgrades(TokioIo::new(stream), service);
    tokio::pin!(served);
    tokio::select! {
        result = served.as_mut() => {
            if let Err(e) = result {
                tracing::debug!(error = %e, "connection ended with an error");
            }
            return;
        }
        () = ticket.seat.closing() => {}
    }
    served.as_mut().graceful_shutdown();
    let _ = served.await;
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::routing::get;

    #[tokio::test]
    async fn a_request_past_its_budget_is_answered_503() {
        let limits = ServerLimits {
            request_budget: Duration::from_millis(100),
            ..ServerLimits::default()
        };
        let app = bounded(
            Router::new().route(
                "/slow",
                get(|| async {
                    tokio::time::sleep(Duration::from_secs(5)).await;
                    "late"
                }),
            ),
            &limits,
        );
        let slow = app
            .oneshot(Request::get("/slow").body(Body::empty()).unwrap())
            .await
            .unwrap();
        assert_eq!(slow.status(), axum::http::StatusCode::SERVICE_UNAVAILABLE);
    }
}
