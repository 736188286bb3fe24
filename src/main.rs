//! `flowsight`: process mining for event-driven microservices.
//!
//! Wires the collector, the miner and the web UI into one command-line tool.

mod commands;
mod progress;

use clap::{Parser, Subcommand};

/// mimalloc: a source's batches are built on one thread and freed on another, which the
/// system allocator makes costly (it showed as a tenth of the Kafka writer's time).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Flowsight correlates domain events into process instances, discovers the end-to-end flow
/// and shows where instances wait.
#[derive(Debug, Parser)]
#[command(name = "flowsight", version, about, long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Generate a realistic order-fulfilment stream, ingest it over HTTP and serve the UI.
    Demo(commands::demo::DemoArgs),
    /// Serve the UI and the ingest API over a store.
    Serve(commands::serve::ServeArgs),
    /// Consume event topics from Kafka into a store, serving the UI and /metrics meanwhile.
    Collect(commands::collect::CollectArgs),
    /// Import an event log file (XES, CSV, OCEL 2.0, JSON lines) into a store.
    Import(commands::import::ImportArgs),
    /// Mine an event log file: counts, variants, directly-follows graph.
    Mine(commands::mine::MineArgs),
    /// Export the map, DFG, variants, bottlenecks or instances of a store.
    Export(commands::export::ExportArgs),
    /// Write a generated order-fulfilment stream as NDJSON.
    Generate(commands::generate::GenerateArgs),
}

fn main() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("FLOWSIGHT_LOG")
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info,tower_http=warn")),
        )
        .with_writer(std::io::stderr)
        .init();
    match Cli::parse().command {
        Command::Demo(args) => commands::demo::run(args),
        Command::Serve(args) => commands::serve::run(args),
        Command::Collect(args) => commands::collect::run(args),
        Command::Import(args) => commands::import::run(args),
        Command::Mine(args) => commands::mine::run(args),
        Command::Export(args) => commands::export::run(args),
        Command::Generate(args) => commands::generate::run(args),
    }
}
