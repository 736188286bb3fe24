//! `flowsight serve`: the UI and the ingest API over a store.

use super::Rules;
use super::StoreArgs;
use collector::sources::http::IngestLimits;
use collector::sources::otlp::{self, OtlpIngest, SpanQueue};
use collector::store::Store;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;
use web::auth::{Auth, Credentials};
use web::guard::AllowedHosts;
use web::imports::Imports;
use web::{AppState, ServerLimits};

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
    /// Credentials file: `[[tokens]]` with `name`, `token` and `role` (read, ingest, admin).
    /// With credentials, every request needs a token (`Authorization: Bearer`) or a sign-in.
    #[arg(long = "auth", env = "FLOWSIGHT_AUTH", value_name = "FILE")]
    pub auth_file: Option<PathBuf>,
    /// An admin token (prefer the environment variable to the flag: flags show in `ps`).
    #[arg(long, env = "FLOWSIGHT_TOKEN", hide_env_values = true)]
    pub token: Option<String>,
    /// Listen on a non-loopback address without credentials, on purpose (anyone who reaches
    /// the port can read everything and send events).
    #[arg(long)]
    pub insecure_no_auth: bool,
    /// TLS certificate chain (PEM) for the UI and HTTP ingest; with --tls-key.
    #[arg(
        long,
        env = "FLOWSIGHT_TLS_CERT",
        requires = "tls_key",
        value_name = "FILE"
    )]
    pub tls_cert: Option<PathBuf>,
    /// TLS private key (PEM) of --tls-cert.
    #[arg(
        long,
        env = "FLOWSIGHT_TLS_KEY",
        requires = "tls_cert",
        value_name = "FILE"
    )]
    pub tls_key: Option<PathBuf>,
    /// Connections kept open at once per port; when full, the oldest idle one is closed for a
    /// newcomer.
    #[arg(long, default_value_t = 4096)]
    pub max_connections: usize,
    /// Largest file the Import page accepts, e.g. `512MiB`, `2GiB`.
    #[arg(long, default_value = "1GiB", value_parser = super::parse_size)]
    pub max_upload: u64,
    /// Imports the Import page runs at once; more are asked to retry later.
    #[arg(long, default_value_t = 2)]
    pub max_imports: usize,
    /// Time a client has to send a request's headers (and the next request on an idle
    /// connection) before the connection is closed, e.g. `10s`.
    #[arg(long, default_value = "10s", value_parser = super::parse_seconds)]
    pub header_timeout: Duration,
    /// Time a request may take until its answer starts (then 503), e.g. `60s`, `5m`.
    #[arg(long, default_value = "60s", value_parser = super::parse_seconds)]
    pub request_timeout: Duration,
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
    /// Who may do what; `None` when authentication is off.
    auth: Option<Arc<Auth>>,
    /// TLS for the UI and OTLP/HTTP ports.
    tls: Option<tokio_rustls::TlsAcceptor>,
    /// Timeouts and connection bounds.
    limits: ServerLimits,
    /// The Import page's limits.
    imports: Imports,
}

impl Listeners {
    /// The UI's base URL, as printed for the user.
    pub fn url(&self) -> String {
        let scheme = if self.tls.is_some() { "https" } else { "http" };
        format!("{scheme}://{}", self.addr)
    }

    /// An `Authorization` header value that may send events to this server, when it needs one.
    pub fn ingest_authorization(&self) -> Option<String> {
        let token = self.auth.as_ref()?.ingest_token()?;
        Some(format!("Bearer {token}"))
    }

    /// Whether the UI speaks TLS.
    pub fn tls(&self) -> bool {
        self.tls.is_some()
    }
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
    /// The credentials and TLS set-up asked for, refusing to expose an unauthenticated server
    /// beyond this machine unless told to.
    fn security(&self) -> anyhow::Result<(Option<Arc<Auth>>, Option<tokio_rustls::TlsAcceptor>)> {
        let credentials = Credentials::load(self.auth_file.as_deref(), self.token.as_deref())?;
        let tls = match (&self.tls_cert, &self.tls_key) {
            (Some(cert), Some(key)) => Some(web::server::tls::acceptor(cert, key)?),
            _ => None,
        };
        let mut exposed = vec![self.listen];
        if !self.no_otlp_ports {
            exposed.extend([self.otlp_http, self.otlp_grpc]);
        }
        if credentials.is_empty() {
            if let Some(addr) = exposed.iter().find(|a| !a.ip().is_loopback()) {
                if !self.insecure_no_auth {
                    anyhow::bail!(
                        "refusing to listen on {addr} without authentication: anyone who reaches it could read every event and send new ones. Give tokens (FLOWSIGHT_TOKEN, or --auth FILE), or pass --insecure-no-auth if that is what you want"
                    );
                }
                tracing::warn!(%addr, "listening beyond this machine WITHOUT authentication (--insecure-no-auth)");
            }
            return Ok((None, tls));
        }
        Ok((Some(Auth::new(credentials, tls.is_some())), tls))
    }

    /// Binds every address, so a taken port fails before any work starts.
    pub async fn bind(&self) -> anyhow::Result<Listeners> {
        let (auth, tls) = self.security()?;
        // Every connection is a file descriptor: take what the system allows, not the default 1,024.
        match rlimit::increase_nofile_limit(u64::MAX) {
            Ok(limit) => tracing::debug!(limit, "open files"),
            Err(e) => tracing::warn!(error = %e, "cannot raise the open-file limit"),
        }
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
        let limits = ServerLimits {
            max_connections: self.max_connections,
            request_budget: self.request_timeout,
            header_timeout: self.header_timeout,
            ..ServerLimits::default()
        };
        let imports = Imports::new(self.max_upload, self.max_imports, std::env::temp_dir());
        imports.remove_abandoned();
        Ok(Listeners {
            ui,
            addr,
            otlp,
            hosts,
            auth,
            tls,
            limits,
            imports,
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
        imports: web::imports::Imports::default(),
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
    state.imports = listeners.imports.clone();
    let (stopped, watch) = tokio::sync::watch::channel(false);
    let stopping = |mut watch: tokio::sync::watch::Receiver<bool>| async move {
        let _ = watch.wait_for(|s| *s).await;
    };
    let Listeners {
        ui,
        otlp: otlp_ports,
        hosts,
        auth,
        tls,
        limits,
        ..
    } = listeners;
    let secured = |app: axum::Router| {
        let app = web::server::bounded(app, &limits);
        match &auth {
            Some(auth) => web::auth::authenticated(app, auth.clone()),
            None => app,
        }
    };
    let mut servers = tokio::task::JoinSet::new();
    if let Some((http, grpc)) = otlp_ports {
        let traces = secured(otlp::router(ingest.clone()));
        let (tls, limits) = (tls.clone(), limits.clone());
        servers
            .spawn(web::serve(http, traces, tls, limits, stopping(watch.clone())).map_err_into());
        let authorize: otlp::Authorize = auth
            .clone()
            .map(|auth| Arc::new(move |value: Option<&str>| auth.may_ingest(value)) as Arc<_>);
        servers.spawn(
            otlp::serve_grpc(grpc, ingest, authorize, stopping(watch.clone())).map_err_into(),
        );
    }
    let breaches = web::webhook::run(
        state.store.clone(),
        state.config.clone(),
        stopping(watch.clone()),
    );
    tokio::spawn(breaches);
    let app = web::guard::guarded(secured(web::app(state, IngestLimits::default())), hosts);
    servers.spawn(web::serve(ui, app, tls, limits, stopping(watch)).map_err_into());
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
    rules.check_tracking()?;
    let runtime = tokio::runtime::Runtime::new()?;
    // Ports first: a taken port must not leave a new store behind. The store is opened outside
    // the runtime: the ClickHouse store runs one of its own.
    let listeners = runtime.block_on(args.listen.bind())?;
    let store = args.store.open_running(&rules)?;
    super::serve_on(runtime, async {
        println!("Flowsight listening on {}", listeners.url());
        serve_until_interrupted(listeners, store, rules).await
    })
}
