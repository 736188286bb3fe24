//! `flowsight discover`: correlation rules proposed from the messages themselves, from a
//! JSON-lines file, the start of Kafka topics, or the newest events of a store.

use anyhow::{bail, Context};
use collector::discover::{
    discover, read_sample, span_key_rules, stored_sample, DiscoverOptions, Discovery, KeyProposal,
};
use serde_json::Value;
use std::path::PathBuf;
use std::time::Duration;

/// Options of `flowsight discover`.
#[derive(Debug, clap::Args)]
pub struct DiscoverArgs {
    /// A JSON-lines file of messages (`.ndjson`, `.jsonl`, one message per line).
    #[arg(required_unless_present_any = ["topics", "store"], conflicts_with_all = ["topics", "store"])]
    pub file: Option<PathBuf>,
    /// Kafka bootstrap brokers, HOST:PORT[,HOST:PORT…], with --topic.
    #[arg(long, value_name = "HOST:PORT", default_value = "127.0.0.1:9092")]
    pub kafka: String,
    /// A topic whose first messages are sampled (repeat for several); nothing is committed.
    #[arg(long = "topic", value_name = "TOPIC", conflicts_with = "store")]
    pub topics: Vec<String>,
    /// Sample the newest events of this store (a directory or clickhouse://…), spans too.
    #[arg(long)]
    pub store: Option<String>,
    /// Messages sampled at most.
    #[arg(long, default_value_t = 10_000)]
    pub sample: usize,
    /// A key whose one value joins more than this share of the sampled events (a tenant id,
    /// a constant) is rejected.
    #[arg(long, default_value_t = 0.2, value_parser = super::parse_share)]
    pub max_key_share: f64,
    /// Write the proposal as a commented configuration file here (never over an existing one).
    #[arg(long, value_name = "FILE")]
    pub write: Option<PathBuf>,
    /// Print the proposal and its evidence as JSON.
    #[arg(long)]
    pub json: bool,
    /// With --topic: how long to wait for a first message.
    #[arg(long, default_value = "10s", value_parser = super::parse_seconds)]
    pub wait: Duration,
}

/// Runs `flowsight discover`.
pub fn run(args: DiscoverArgs) -> anyhow::Result<()> {
    if let Some(path) = &args.write {
        if path.exists() {
            bail!(
                "{} exists: remove it or choose another --write path",
                path.display()
            );
        }
    }
    let options = DiscoverOptions {
        max_key_share: args.max_key_share,
    };
    let (messages, spans, origin) = sample(&args)?;
    if messages.is_empty() && spans.is_empty() {
        bail!("{origin} holds no message to discover rules from");
    }
    let discovery = if messages.is_empty() {
        None
    } else {
        Some(discover(&messages, &options).with_context(|| format!("discovering from {origin}"))?)
    };
    let span_discovery = if spans.is_empty() {
        None
    } else {
        Some(discover(&spans, &options).context("discovering from the stored spans")?)
    };
    if args.json {
        let report = serde_json::json!({"messages": discovery, "spans": span_discovery});
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        for (what, d) in [("messages", &discovery), ("spans", &span_discovery)] {
            if let Some(d) = d {
                print!("{}", report(what, d));
            }
        }
    }
    let mut text = match &discovery {
        Some(d) => d.config(&origin)?.0,
        None => String::new(),
    };
    if let Some(spans) = &span_discovery {
        text.push_str(&span_key_rules(spans));
    }
    if let Some(path) = &args.write {
        std::fs::write(path, &text).with_context(|| format!("writing {}", path.display()))?;
        println!("wrote the proposed rules to {}", path.display());
    }
    let found = [&discovery, &span_discovery]
        .into_iter()
        .flatten()
        .any(Discovery::found_a_key);
    if !found {
        bail!("no business key found in {origin}: the closest candidates and why each was rejected are listed above");
    }
    Ok(())
}

/// The sampled messages, spans and words naming where they came from.
fn sample(args: &DiscoverArgs) -> anyhow::Result<(Vec<Value>, Vec<Value>, String)> {
    if let Some(path) = &args.file {
        super::check_input_file(path)?;
        let file =
            std::fs::File::open(path).with_context(|| format!("opening {}", path.display()))?;
        let reader = miner::formats::maybe_gunzip(file)?;
        let messages = read_sample(reader, args.sample)
            .with_context(|| format!("reading {}", path.display()))?;
        let origin = format!(
            "the first {} messages of {}",
            messages.len(),
            path.display()
        );
        return Ok((messages, Vec::new(), origin));
    }
    if let Some(location) = &args.store {
        // The rules in force for the store: its events are written back in their envelope.
        let store_args = super::StoreArgs {
            store: Some(location.clone()),
            config: None,
            keep: None,
        };
        let rules = store_args.rules("")?.config;
        let store = store_args.open_existing(&rules)?;
        let sample = stored_sample(store.as_ref(), &rules.mapping, args.sample)?;
        let origin = format!(
            "the newest {} events of the store {}",
            sample.messages.len() + sample.spans.len(),
            collector::store::ClickHouseUrl::redacted(location)
        );
        return Ok((sample.messages, sample.spans, origin));
    }
    let messages = sample_topics(args)?;
    let origin = format!(
        "the first {} messages of {}",
        messages.len(),
        args.topics.join(", ")
    );
    Ok((messages, Vec::new(), origin))
}

/// The first messages of the topics of `args`, read without committing.
#[cfg(feature = "kafka")]
fn sample_topics(args: &DiscoverArgs) -> anyhow::Result<Vec<Value>> {
    use collector::sources::kafka::KafkaConfig;
    let kafka = KafkaConfig {
        brokers: args.kafka.clone(),
        topics: args.topics.clone(),
        ..KafkaConfig::default()
    };
    let sampled = collector::sources::kafka::sample_topics(
        &kafka,
        args.sample,
        args.wait,
        Duration::from_secs(2),
    )?;
    Ok(sampled)
}

/// A build without Kafka says so rather than failing to connect.
#[cfg(not(feature = "kafka"))]
fn sample_topics(_: &DiscoverArgs) -> anyhow::Result<Vec<Value>> {
    bail!("this flowsight was built without Kafka (cargo feature `kafka`): discover from a file or --store")
}

/// The proposal with its evidence, for a terminal.
fn report(what: &str, d: &Discovery) -> String {
    use std::fmt::Write;
    let mut out = String::new();
    let _ = writeln!(out, "Discovered from {} {what}:", d.messages);
    let e = &d.envelope;
    let _ = writeln!(
        out,
        "  activity  {}  ({})",
        e.activity.pointer, e.activity.evidence
    );
    let _ = writeln!(out, "  time      {}  ({})", e.time.pointer, e.time.evidence);
    for (name, chosen) in [
        ("id", &e.id),
        ("source", &e.source),
        ("trace id", &e.trace_id),
    ] {
        if let Some(c) = chosen {
            let _ = writeln!(out, "  {name:<9} {}  ({})", c.pointer, c.evidence);
        }
    }
    for key in &d.keys {
        out.push_str(&key_line(key));
    }
    for field in &d.causation {
        let _ = writeln!(
            out,
            "  causation {} (names the event another answers; not a key)",
            field.pointer
        );
    }
    if let Some(traces) = &d.link_traces {
        let _ = writeln!(
            out,
            "  traces    {} ({})",
            if traces.applied {
                "linked"
            } else {
                "not linked"
            },
            traces.reason
        );
    }
    let ends: Vec<String> = d
        .end_activities
        .iter()
        .map(|e| format!("{} ({})", e.activity, e.ends))
        .collect();
    let _ = writeln!(
        out,
        "  ends      {}",
        if ends.is_empty() {
            "none found".into()
        } else {
            ends.join(", ")
        }
    );
    let _ = writeln!(
        out,
        "  result    {} instances, {} events correlated, {} uncorrelated",
        d.outcome.instances, d.outcome.correlated_events, d.outcome.uncorrelated_events
    );
    out
}

/// A proposed key with its fields, figures and verdict (`+` applied, `-` not), for a terminal.
fn key_line(key: &KeyProposal) -> String {
    let pointers: Vec<String> = key
        .fields
        .iter()
        .map(|f| match f.types.as_slice() {
            [] => f.pointer.clone(),
            types => format!("{} on {}", f.pointer, types.join(", ")),
        })
        .collect();
    format!(
        "  {} key {:<10} {}: {:.0}% of events, {} types, {} values (e.g. {})\n      {}\n",
        if key.applied() { "+" } else { "-" },
        key.kind,
        pointers.join("; "),
        key.event_share * 100.0,
        key.types.len(),
        key.values,
        key.samples.join(", "),
        key.verdict.reason
    )
}
