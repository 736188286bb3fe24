//! `flowsight serve`: the UI and the ingest API over a store.

use super::StoreArgs;
use anyhow::Context;
use collector::sources::http::IngestLimits;
use collector::store::Store;
use collector::CollectorConfig;
use std::net::SocketAddr;
use std::sync::Arc;
use web::AppState;

/// Options of `flowsight serve`.
#[derive(Debug, clap::Args)]
pub struct ServeArgs {
    #[command(flatten)]
    pub store: StoreArgs,
    /// Address to listen on; port 0 picks a free port (the URL is printed).
    #[arg(long, default_value = "127.0.0.1:8080", env = "FLOWSIGHT_LISTEN")]
    pub listen: SocketAddr,
}

/// Binds `listen` and returns the listener with its actual address.
pub async fn bind(listen: SocketAddr) -> anyhow::Result<(tokio::net::TcpListener, SocketAddr)> {
    let listener = tokio::net::TcpListener::bind(listen)
        .await
        .with_context(|| format!("listening on {listen}"))?;
    let addr = listener.local_addr()?;
    Ok((listener, addr))
}

/// Serves the app on `listener` until Ctrl-C or SIGTERM.
pub async fn serve_until_interrupted(
    listener: tokio::net::TcpListener,
    store: Arc<dyn Store>,
    config: CollectorConfig,
) -> anyhow::Result<()> {
    let state = AppState {
        store,
        config: Arc::new(config),
        kafka: None,
    };
    serve_until(listener, state, shutdown_signal()).await
}

/// Serves the app over `state` on `listener` until `stop` resolves.
pub async fn serve_until(
    listener: tokio::net::TcpListener,
    state: AppState,
    stop: impl std::future::Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    let app = web::app(state, IngestLimits::default());
    web::serve(listener, app, stop).await?;
    Ok(())
}

/// Resolves on Ctrl-C or SIGTERM (how service managers stop a process).
pub async fn shutdown_signal() {
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending().await,
        }
    };
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        () = terminate => {}
    }
    tracing::info!("shutting down");
}

/// Runs `flowsight serve`.
pub fn run(args: ServeArgs) -> anyhow::Result<()> {
    let config = args.store.load_config("")?;
    let store = args.store.open(&config)?;
    let runtime = tokio::runtime::Runtime::new()?;
    runtime.block_on(async {
        let (listener, addr) = bind(args.listen).await?;
        println!("Flowsight listening on http://{addr}");
        serve_until_interrupted(listener, store, config).await
    })
}
