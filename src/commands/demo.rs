//! `flowsight demo`: generate an order-fulfilment stream, send it through the collector's own
//! HTTP ingest, and serve the UI over the result.

use super::serve::{serve_until_interrupted, ListenArgs};
use super::StoreArgs;
use crate::progress;
use anyhow::{bail, Context};
use fixtures::{generate, service_spans, Scenario, ServiceSpan, ORDER_FLOW_CONFIG};
use miner::formats::counted;
use std::net::SocketAddr;

/// Events per ingest request.
const BATCH: usize = 1_000;

/// Options of `flowsight demo`.
#[derive(Debug, clap::Args)]
pub struct DemoArgs {
    #[command(flatten)]
    pub store: StoreArgs,
    #[command(flatten)]
    pub listen: ListenArgs,
    /// Number of orders to generate.
    #[arg(long, default_value_t = 5_000)]
    pub orders: usize,
    /// Seed of the generator: the same seed gives the same orders.
    #[arg(long, default_value_t = 42)]
    pub seed: u64,
    /// Run the demo through Kafka: publish the orders to a topic on these brokers and
    /// collect them from there (instead of the HTTP ingest).
    #[arg(long, value_name = "HOST:PORT")]
    pub kafka: Option<String>,
    /// With --kafka: the topic to publish to and consume from.
    #[arg(long, default_value = "flowsight-demo-orders")]
    pub topic: String,
    /// From this order on (1-based), a share of the orders (--slow-fetch-share) waits hours for
    /// its goods instead of one in ten, as after a bad release: a change for the Compare page.
    #[arg(long, value_name = "ORDER")]
    pub slow_fetches_from: Option<usize>,
    /// With --slow-fetches-from: the share of orders whose goods fetching waits hours (0-1).
    #[arg(long, default_value_t = 0.6, value_parser = super::parse_share)]
    pub slow_fetch_share: f64,
}

impl DemoArgs {
    /// The generated stream's parameters.
    fn scenario(&self) -> Scenario {
        Scenario {
            orders: self.orders,
            seed: self.seed,
            change: self.slow_fetches_from.map(|from_order| fixtures::Change {
                from_order,
                slow_fetch_share: self.slow_fetch_share,
            }),
            ..Scenario::default()
        }
    }
}

/// Runs `flowsight demo`.
pub fn run(args: DemoArgs) -> anyhow::Result<()> {
    if let Some(brokers) = args.kafka.clone() {
        return run_through_kafka(args, &brokers);
    }
    let rules = args.store.rules(ORDER_FLOW_CONFIG)?;
    let runtime = tokio::runtime::Runtime::new()?;
    // Ports first: a taken port must not leave a new store behind. The store is opened outside
    // the runtime: the ClickHouse store runs one of its own.
    let listeners = runtime.block_on(args.listen.bind())?;
    if listeners.tls() {
        bail!("the demo sends its events to itself over plain HTTP: run it without --tls-cert (serve its store with `flowsight serve --tls-cert …` afterwards)");
    }
    let store = args.store.open_running(&rules)?;
    super::serve_on(runtime, async {
        let addr = listeners.addr;
        let authorization = listeners.ingest_authorization();
        let server = tokio::spawn(serve_until_interrupted(listeners, store, rules));
        let scenario = args.scenario();
        tokio::task::spawn_blocking(move || send_demo_events(addr, authorization, scenario))
            .await??;
        println!("Flowsight demo ready: open http://{addr}/map (Ctrl-C to stop)");
        server.await?
    })
}

/// Partitions of the demo topic.
#[cfg(feature = "kafka")]
const DEMO_PARTITIONS: i32 = 3;

/// The demo through Kafka: publish the orders, then collect them and serve the UI.
#[cfg(feature = "kafka")]
fn run_through_kafka(args: DemoArgs, brokers: &str) -> anyhow::Result<()> {
    use super::collect::collect_and_serve;
    use super::publish;
    use super::serve::shutdown_signal;
    use collector::sources::kafka::KafkaConfig;
    let mut rules = args.store.rules(ORDER_FLOW_CONFIG)?;
    let kafka = KafkaConfig {
        brokers: brokers.to_string(),
        topics: vec![args.topic.clone()],
        group: "flowsight-demo".into(),
        ..rules.config.kafka.clone()
    };
    rules.config.kafka = kafka.clone();
    let store = args.store.open_running(&rules)?;
    let flow = demo_flow(args.scenario());
    let envelopes: Vec<serde_json::Value> = flow
        .events
        .iter()
        .map(|e| serde_json::to_value(e).expect("envelopes serialize"))
        .collect();
    let runtime = tokio::runtime::Runtime::new()?;
    super::serve_on(runtime, async {
        publish::ensure_topic(brokers, &args.topic, DEMO_PARTITIONS).await?;
        let bar = progress::bar(envelopes.len() as u64, "publishing demo events", false);
        let (brokers, topic) = (brokers.to_string(), args.topic.clone());
        let sent = tokio::task::spawn_blocking(move || {
            publish::publish(&brokers, &topic, &envelopes, |n| bar.inc(n))
        })
        .await??;
        println!(
            "published {sent} events of {} orders to Kafka topic {}",
            args.orders, args.topic
        );
        let listeners = args.listen.bind().await?;
        let url = listeners.url();
        println!("Flowsight demo collecting from Kafka: open {url}/map and {url}/sources (Ctrl-C to stop)");
        collect_and_serve(listeners, store, rules, kafka, shutdown_signal()).await
    })
}

/// A build without Kafka says so rather than failing to connect.
#[cfg(not(feature = "kafka"))]
fn run_through_kafka(_: DemoArgs, _: &str) -> anyhow::Result<()> {
    bail!("this flowsight was built without Kafka (cargo feature `kafka`): run the demo without --kafka")
}

/// The generated stream of `scenario`, ending about now.
fn demo_flow(mut scenario: Scenario) -> fixtures::GeneratedFlow {
    let now = miner::time::now_micros();
    scenario.start =
        now - scenario.mean_interarrival * scenario.orders as i64 - 30 * 60 * 1_000_000;
    generate(&scenario)
}

/// Posts `body` to `url`, with `authorization` when the server asks for credentials.
fn post(
    url: &str,
    content_type: &str,
    authorization: Option<&str>,
    body: String,
) -> anyhow::Result<ureq::http::Response<ureq::Body>> {
    let mut request = ureq::post(url).header("content-type", content_type);
    if let Some(value) = authorization {
        request = request.header("authorization", value);
    }
    request
        .send(body)
        .with_context(|| format!("posting demo data to {url}"))
}

/// Generates the stream, ending about now, and posts it to the ingest at `addr`.
fn send_demo_events(
    addr: SocketAddr,
    authorization: Option<String>,
    scenario: Scenario,
) -> anyhow::Result<()> {
    let authorization = authorization.as_deref();
    let orders = scenario.orders;
    let flow = demo_flow(scenario);
    let url = format!("http://{addr}/api/events");
    let bar = progress::bar(flow.events.len() as u64, "ingesting demo events", false);
    let (mut accepted, mut duplicates) = (0, 0);
    for batch in flow.events.chunks(BATCH) {
        let body: String = batch
            .iter()
            .map(|e| serde_json::to_string(e).expect("envelopes serialize") + "\n")
            .collect();
        let mut response = post(&url, "application/x-ndjson", authorization, body)?;
        let answer: serde_json::Value =
            serde_json::from_str(&response.body_mut().read_to_string()?)?;
        if answer["rejected"].as_array().is_some_and(|r| !r.is_empty()) {
            bail!("the ingest rejected demo events: {}", answer["rejected"]);
        }
        accepted += answer["accepted"].as_u64().unwrap_or(0);
        duplicates += answer["duplicates"].as_u64().unwrap_or(0);
        bar.inc(batch.len() as u64);
    }
    bar.finish_and_clear();
    println!(
        "sent {} of {} over HTTP: {accepted} new, {duplicates} already stored",
        counted(accepted + duplicates, "event"),
        counted(orders as u64, "order")
    );
    let spans = service_spans(&flow.events);
    for batch in spans.chunks(BATCH) {
        let url = format!("http://{addr}/v1/traces");
        post(
            &url,
            "application/json",
            authorization,
            otlp_json(batch).to_string(),
        )?;
    }
    println!(
        "sent {} spans of the services' work over OTLP/HTTP",
        spans.len()
    );
    Ok(())
}

/// Spans as an OTLP/JSON `ExportTraceServiceRequest`, one resource per service.
fn otlp_json(spans: &[ServiceSpan]) -> serde_json::Value {
    let mut services: Vec<&str> = spans.iter().map(|s| s.service.as_str()).collect();
    services.sort_unstable();
    services.dedup();
    let resource_spans: Vec<serde_json::Value> = services
        .iter()
        .map(|service| {
            let spans: Vec<serde_json::Value> = spans
                .iter()
                .filter(|s| s.service == *service)
                .map(|s| {
                    serde_json::json!({
                        "traceId": s.trace_id, "spanId": s.span_id, "name": s.name,
                        "kind": 1,
                        "startTimeUnixNano": (s.start * 1000).to_string(),
                        "endTimeUnixNano": (s.end * 1000).to_string(),
                    })
                })
                .collect();
            serde_json::json!({
                "resource": {"attributes": [{"key": "service.name", "value": {"stringValue": service}}]},
                "scopeSpans": [{"scope": {"name": "flowsight-demo"}, "spans": spans}],
            })
        })
        .collect();
    serde_json::json!({ "resourceSpans": resource_spans })
}
