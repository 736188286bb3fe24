//! `flowsight collect`: consume event topics from Kafka into the store, and serve the UI
//! (with the source's lag, rate and dead letters, and `GET /metrics`) while doing it.

use super::serve::{serve_until, shutdown_signal, ListenArgs, Listeners};
use super::{Rules, StoreArgs};
use anyhow::Context;
use collector::sources::kafka::{self, KafkaConfig, KafkaMetrics, Shutdown};
use collector::store::Store;
use collector::CollectorConfig;
use std::sync::Arc;
use web::AppState;

/// Options of `flowsight collect`; each Kafka option overrides the `[kafka]` section of the
/// configuration file.
#[derive(Debug, clap::Args)]
pub struct CollectArgs {
    #[command(flatten)]
    pub store: StoreArgs,
    /// Kafka bootstrap brokers, HOST:PORT[,HOST:PORT…] (default: the configuration's
    /// `[kafka] brokers`, else 127.0.0.1:9092).
    #[arg(long, value_name = "HOST:PORT")]
    pub kafka: Option<String>,
    /// A topic to consume (repeat for several).
    #[arg(long = "topic", value_name = "TOPIC")]
    pub topics: Vec<String>,
    /// Consumer group: collectors in one group share the partitions.
    #[arg(long)]
    pub group: Option<String>,
    /// Without --config or saved rules: the rules are discovered from this many first
    /// messages of the topics (waiting for them), logged, and saved with the store; 0 keeps
    /// the defaults.
    #[arg(long, default_value_t = 10_000)]
    pub discover_sample: usize,
    #[command(flatten)]
    pub listen: ListenArgs,
}

impl CollectArgs {
    /// The `[kafka]` section with the command line's overrides applied.
    fn kafka_config(&self, config: &CollectorConfig) -> anyhow::Result<KafkaConfig> {
        let mut kafka = config.kafka.clone();
        if let Some(brokers) = &self.kafka {
            kafka.brokers.clone_from(brokers);
        }
        if !self.topics.is_empty() {
            kafka.topics.clone_from(&self.topics);
        }
        if let Some(group) = &self.group {
            kafka.group.clone_from(group);
        }
        kafka
            .validate()
            .map_err(|e| anyhow::anyhow!("{e} (use --topic, or [kafka] in the configuration)"))?;
        Ok(kafka)
    }
}

/// Runs `flowsight collect`.
pub fn run(args: CollectArgs) -> anyhow::Result<()> {
    let mut rules = args.store.rules("")?;
    let kafka = args.kafka_config(&rules.config)?;
    if rules.defaulted && args.discover_sample > 0 {
        rules = discover_rules(&kafka, args.discover_sample)?.unwrap_or(rules);
    }
    rules.check_tracking()?;
    let runtime = tokio::runtime::Runtime::new()?;
    // Ports first: a taken port must not leave a new store behind. The store is opened outside
    // the runtime: the ClickHouse store runs one of its own.
    let listeners = runtime.block_on(args.listen.bind())?;
    let store = args.store.open_running(&rules)?;
    super::serve_on(runtime, async {
        println!("Flowsight listening on {}", listeners.url());
        collect_and_serve(listeners, store, rules, kafka, shutdown_signal()).await
    })
}

/// The rules discovered from the first `sample` messages of the topics, waiting for a first
/// message (and for the brokers) as long as it takes: the UI is served, and consumption
/// starts, once the rules are known. Nothing is committed: consumption then starts as usual.
fn discover_rules(kafka: &KafkaConfig, sample: usize) -> anyhow::Result<Option<Rules>> {
    let topics = kafka.topics.join(", ");
    loop {
        let sampled = kafka::sample_topics(
            kafka,
            sample,
            std::time::Duration::from_secs(30),
            std::time::Duration::from_secs(2),
        );
        match sampled {
            Ok(messages) if !messages.is_empty() => {
                let origin = format!("the first {} messages of {topics}", messages.len());
                return Ok(Rules::discovered(&messages, &origin));
            }
            Ok(_) => tracing::info!(
                "no rules given: waiting for messages on {topics} to discover them from (give --config FILE to start without)"
            ),
            Err(e) => {
                tracing::warn!("no rules given: cannot sample {topics} to discover them ({e}); retrying (give --config FILE to start without)");
                std::thread::sleep(std::time::Duration::from_secs(5));
            }
        }
    }
}

/// Consumes with `kafka` into `store` while serving the UI on `listeners`, until `stop`
/// resolves (then the source commits what is durable and leaves its group) or the source fails.
pub async fn collect_and_serve(
    listeners: Listeners,
    store: Arc<dyn Store>,
    rules: Rules,
    kafka: KafkaConfig,
    stop: impl std::future::Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    let metrics = Arc::new(KafkaMetrics::new(&kafka.group));
    let shutdown = Shutdown::new();
    let (server_stop, server_stopped) = tokio::sync::oneshot::channel::<()>();
    tracing::info!(rules = %rules.origin, "rules in force");
    let config = rules.config;
    let state = AppState {
        store: store.clone(),
        config: Arc::new(config.clone()),
        rules_origin: rules.origin,
        kafka: Some(metrics.clone()),
        otlp: None,
        imports: web::imports::Imports::default(),
    };
    let server = tokio::spawn(serve_until(listeners, state, async {
        let _ = server_stopped.await;
    }));
    let on_signal = shutdown.clone();
    tokio::spawn(async move {
        stop.await;
        on_signal.request();
    });
    let source = tokio::task::spawn_blocking(move || {
        kafka::run(&kafka, &config.mapping, store, metrics, shutdown)
    })
    .await
    .context("the kafka source thread")?;
    let _ = server_stop.send(());
    server.await??;
    Ok(source?)
}
