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
    #[cfg(feature = "kafka")]
    /// Consume event topics from Kafka into a store, serving the UI and /metrics meanwhile.
    Collect(commands::collect::CollectArgs),
    /// Import an event log file (XES, CSV, OCEL 2.0, JSON lines) into a store.
    Import(commands::import::ImportArgs),
    /// Propose correlation rules (keys, envelope, end activities) from the messages
    /// themselves: a JSON-lines file, the start of Kafka topics, or a store's newest events.
    Discover(commands::discover::DiscoverArgs),
    /// Check how well an event log follows a BPMN model: optimal alignments per variant,
    /// pm4py's fitness figures, the deviations named.
    Check(commands::check::CheckArgs),
    /// Mine an event log file: counts, variants, directly-follows graph.
    Mine(commands::mine::MineArgs),
    /// Export a store's map, report, model, DFG, variants, bottlenecks, instances or event log,
    /// the same files as the UI's downloads.
    Export(commands::export::ExportArgs),
    /// Write a generated order-fulfilment stream as NDJSON (import it with
    /// `--config fixtures/order-flow.toml`, the demo's correlation rules).
    Generate(commands::generate::GenerateArgs),
}

fn main() -> std::process::ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("FLOWSIGHT_LOG")
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info,tower_http=warn")),
        )
        .with_writer(std::io::stderr)
        .init();
    let result = match Cli::parse().command {
        Command::Demo(args) => commands::demo::run(args),
        Command::Serve(args) => commands::serve::run(args),
        #[cfg(feature = "kafka")]
        Command::Collect(args) => commands::collect::run(args),
        Command::Import(args) => commands::import::run(args),
        Command::Discover(args) => commands::discover::run(args),
        Command::Check(args) => commands::check::run(args),
        Command::Mine(args) => commands::mine::run(args),
        Command::Export(args) => commands::export::run(args),
        Command::Generate(args) => commands::generate::run(args),
    };
    match result {
        Ok(()) => std::process::ExitCode::SUCCESS,
        // The reader of our output left (`flowsight export … | head`): nothing is wrong.
        Err(e) if is_broken_pipe(&e) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {}", one_line(&e));
            std::process::ExitCode::FAILURE
        }
    }
}

/// Whether `e` comes from writing to a pipe whose reader has gone.
fn is_broken_pipe(e: &anyhow::Error) -> bool {
    e.chain().any(|cause| {
        cause
            .downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
            || cause.to_string().contains("Broken pipe (os error 32)")
    })
}

/// An error and its causes as one line, each cause once: a user's mistake is not a crash, so
/// no backtrace (even with RUST_BACKTRACE set), and a cause that its parent's message already
/// quotes (`Is a directory (os error 21)` after `cannot read input: Is a directory ...`) is
/// not repeated.
fn one_line(e: &anyhow::Error) -> String {
    let mut line = String::new();
    for cause in e.chain() {
        let text = cause.to_string();
        if !line.contains(&text) {
            if !line.is_empty() {
                line.push_str(": ");
            }
            line.push_str(&text);
        }
    }
    line
}

#[cfg(test)]
mod tests {
    use super::one_line;

    #[test]
    fn causes_join_on_one_line_each_once() {
        let io = std::io::Error::from_raw_os_error(21);
        let e = anyhow::Error::new(io)
            .context(format!(
                "cannot read input: {}",
                std::io::Error::from_raw_os_error(21)
            ))
            .context("reading /tmp");
        assert_eq!(
            one_line(&e),
            "reading /tmp: cannot read input: Is a directory (os error 21)"
        );
    }
}
