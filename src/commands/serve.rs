//! `flowsight serve`: the UI and the ingest API over a store.

use super::Rules;
use super::StoreArgs;
use collector::sources::http::IngestLimits;
use collector::sources::otlp::{self, OtlpIngest, SpanQueue};
use collector::store::Store;
use std::net::SocketAddr;
use std::sync::Arc;
use web::guard::AllowedHosts;
use web::AppState;

/// Options of `flowsight serve`.
#[derive(Debug, clap::Args)]
pub struct ServeArgs {
    #[command(flatten)]
    pub store: StoreArgs,
    #[command(flatten)]
    pub listen: ListenArgs,
}

/// Where a serving command listens: the UI (with the HTTP ingests) and the OTLP receivers.
#[derive(Debug, Clone, clap::Args)]
pub struct ListenArgs {
    /// Address of the UI and the ingest APIs; port 0 picks a free port (the URL is printed).
    #[arg(long, default_value = "127.0.0.1:8080", env = "FLOWSIGHT_LISTEN", value_parser = super::parse_address)]
    pub listen: SocketAddr,
    /// Address of the OTLP/HTTP receiver (`POST /v1/traces`, also served on --listen).
    #[arg(long, default_value = "127.0.0.1:4318", env = "FLOWSIGHT_OTLP_HTTP", value_parser = super::parse_address)]
    pub otlp_http: SocketAddr,
    /// Address of the OTLP/gRPC receiver.
    #[arg(long, default_value = "127.0.0.1:4317", env = "FLOWSIGHT_OTLP_GRPC", value_parser = super::parse_address)]
    pub otlp_grpc: SocketAddr,
    /// Do not open the OTLP ports (traces are still taken on --listen's /v1/traces).
    #[arg(long)]
    pub no_otlp_ports: bool,
    /// A host name the UI may be reached by besides the listen address and localhost (as
    /// behind a reverse proxy); requests naming any other host are refused (against DNS
    /// rebinding). Repeat for more.
    #[arg(
        long = "allow-host",
        env = "FLOWSIGHT_ALLOW_HOSTS",
        value_delimiter = ','
    )]
    pub allow_hosts: Vec<String>,
}

/// Bound sockets of a serving command.
pub struct Listeners {
    /// The UI and ingest APIs.
    pub ui: tokio::net::TcpListener,
    /// Its actual address.
    pub addr: SocketAddr,
    /// OTLP/HTTP and OTLP/gRPC, unless disabled.
    otlp: Option<(tokio::net::TcpListener, tokio::net::TcpListener)>,
    /// The host names the UI answers to.
    hosts: AllowedHosts,
}

/// Binds `addr` for `what`; a port already taken says which flag moves it (`flag`).
async fn bind_one(
    addr: SocketAddr,
    what: &str,
    flag: &str,
) -> anyhow::Result<tokio::net::TcpListener> {
    tokio::net::TcpListener::bind(addr).await.map_err(|e| {
        let hint = if e.kind() == std::io::ErrorKind::AddrInUse {
            let otlp = if flag == "--listen" {
                String::new()
            } else {
                " or --no-otlp-ports".to_string()
            };
            format!(
                " (another process, perhaps a second Flowsight, listens there: choose another port with {flag} HOST:PORT{otlp})"
            )
        } else {
            String::new()
        };
        anyhow::anyhow!("cannot listen for {what} on {addr}: {e}{hint}")
    })
}

impl ListenArgs {
    /// Binds every address, so a taken port fails before any work starts.
    pub async fn bind(&self) -> anyhow::Result<Listeners> {
        let ui = bind_one(self.listen, "the UI", "--listen").await?;
        let addr = ui.local_addr()?;
        let otlp = if self.no_otlp_ports {
            None
        } else {
            let http = bind_one(self.otlp_http, "OTLP/HTTP", "--otlp-http").await?;
            let grpc = bind_one(self.otlp_grpc, "OTLP/gRPC", "--otlp-grpc").await?;
            println!(
                "OTLP receivers: HTTP {} (POST /v1/traces), gRPC {}",
                http.local_addr()?,
                grpc.local_addr()?
            );
            Some((http, grpc))
        };
        let hosts = AllowedHosts::new(addr.ip(), &self.allow_hosts);
        Ok(Listeners {
            ui,
            addr,
            otlp,
            hosts,
        })
    }
}

/// Serves the app until Ctrl-C or SIGTERM.
pub async fn serve_until_interrupted(
    listeners: Listeners,
    store: Arc<dyn Store>,
    rules: Rules,
) -> anyhow::Result<()> {
    tracing::info!(rules = %rules.origin, "rules in force");
    let state = AppState {
        store,
        config: Arc::new(rules.config),
        rules_origin: rules.origin,
        kafka: None,
        otlp: None,
    };
    serve_until(listeners, state, shutdown_signal()).await
}

/// Serves the app over `state` (with the OTLP receivers) until `stop` resolves.
pub async fn serve_until(
    listeners: Listeners,
    mut state: AppState,
    stop: impl std::future::Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    let ingest = OtlpIngest {
        queue: SpanQueue::start(state.store.clone(), state.config.otlp.queue_spans),
        config: Arc::new(state.config.otlp.clone()),
    };
    state.otlp = Some(ingest.clone());
    let (stopped, watch) = tokio::sync::watch::channel(false);
    let stopping = |mut watch: tokio::sync::watch::Receiver<bool>| async move {
        let _ = watch.wait_for(|s| *s).await;
    };
    let mut servers = tokio::task::JoinSet::new();
    if let Some((http, grpc)) = listeners.otlp {
        let traces = otlp::router(ingest.clone());
        servers.spawn(web::serve(http, traces, stopping(watch.clone())).map_err_into());
        servers.spawn(otlp::serve_grpc(grpc, ingest, stopping(watch.clone())).map_err_into());
    }
    let app = web::guard::guarded(web::app(state, IngestLimits::default()), listeners.hosts);
    servers.spawn(web::serve(listeners.ui, app, stopping(watch)).map_err_into());
    tokio::spawn(async move {
        stop.await;
        let _ = stopped.send(true);
    });
    while let Some(done) = servers.join_next().await {
        done??;
    }
    Ok(())
}

/// Server futures with their different errors, as `anyhow` results.
trait MapErrInto {
    fn map_err_into(self) -> impl std::future::Future<Output = anyhow::Result<()>> + Send;
}

impl<F, E> MapErrInto for F
where
    F: std::future::Future<Output = Result<(), E>> + Send,
    E: Into<anyhow::Error>,
{
    async fn map_err_into(self) -> anyhow::Result<()> {
        self.await.map_err(Into::into)
    }
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
    let rules = args.store.rules("")?;
    let runtime = tokio::runtime::Runtime::new()?;
    // Ports first: a taken port must not leave a new store behind. The store is opened outside
    // the runtime: the ClickHouse store runs one of its own.
    let listeners = runtime.block_on(args.listen.bind())?;
    let store = args.store.open_saving(&rules)?;
    runtime.block_on(async {
        println!("Flowsight listening on http://{}", listeners.addr);
        serve_until_interrupted(listeners, store, rules).await
    })
}
