//! `flowsight generate`: the demo's order-fulfilment stream as NDJSON, for other tools and tests.
//! Its events correlate by the demo's rules (`fixtures/order-flow.toml`), which an import or
//! a server of the stream needs.

use anyhow::Context;
use fixtures::{generate_each, Scenario};
use std::io::Write;
use std::path::PathBuf;

/// Options of `flowsight generate`.
#[derive(Debug, clap::Args)]
pub struct GenerateArgs {
    /// Number of orders.
    #[arg(long, default_value_t = 5_000)]
    pub orders: usize,
    /// Seed: the same seed gives the same stream.
    #[arg(long, default_value_t = 42)]
    pub seed: u64,
    /// Output file (default: standard output).
    #[arg(long, short)]
    pub out: Option<PathBuf>,
    /// Also write what was injected (outcomes, bottleneck) as JSON to this file.
    #[arg(long)]
    pub truth: Option<PathBuf>,
}

/// Runs `flowsight generate`. The stream is written as it is generated, so any number of
/// orders fits in memory.
pub fn run(args: GenerateArgs) -> anyhow::Result<()> {
    let mut out: Box<dyn Write> = match &args.out {
        Some(path) => Box::new(
            std::fs::File::create(path).with_context(|| format!("creating {}", path.display()))?,
        ),
        None => Box::new(std::io::stdout().lock()),
    };
    let mut out = std::io::BufWriter::new(&mut out);
    let mut failure = None;
    let truth = generate_each(
        &Scenario {
            orders: args.orders,
            seed: args.seed,
            ..Scenario::default()
        },
        |event| {
            if failure.is_none() {
                let written = serde_json::to_writer(&mut out, &event)
                    .map_err(std::io::Error::from)
                    .and_then(|()| out.write_all(b"\n"));
                failure = written.err();
            }
        },
    );
    if let Some(e) = failure {
        return Err(e).context("writing the stream");
    }
    out.flush()?;
    if let Some(path) = &args.truth {
        std::fs::write(path, serde_json::to_vec_pretty(&truth)?)
            .with_context(|| format!("writing {}", path.display()))?;
    }
    Ok(())
}
