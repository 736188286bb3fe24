//! One module per subcommand, plus the options they share.

pub mod collect;
pub mod demo;
pub mod export;
pub mod generate;
pub mod import;
pub mod mine;
pub mod publish;
pub mod serve;

use anyhow::Context;
use collector::store::{self, Store};
use collector::CollectorConfig;
use std::path::{Path, PathBuf};

/// The embedded store's directory when neither the command line nor the configuration names one.
const DEFAULT_STORE: &str = "./data";
use std::sync::Arc;

/// Where the store is and how events are mapped: options every store-using command takes.
#[derive(Debug, Clone, clap::Args)]
pub struct StoreArgs {
    /// Where events are kept: a directory for the embedded store (created if missing), or
    /// `clickhouse://HOST:8123/DATABASE` for ClickHouse. Default: the configuration's
    /// `[store] location`, else `./data`.
    #[arg(long, env = "FLOWSIGHT_STORE")]
    pub store: Option<String>,
    /// Configuration file (mapping rules, instance rules); `./flowsight.toml` if it exists.
    #[arg(long, env = "FLOWSIGHT_CONFIG")]
    pub config: Option<PathBuf>,
}

impl StoreArgs {
    /// Loads the configuration: the given file, else `./flowsight.toml`, else `fallback`.
    pub fn load_config(&self, fallback: &str) -> anyhow::Result<CollectorConfig> {
        let default = Path::new("flowsight.toml");
        match &self.config {
            Some(path) => Ok(CollectorConfig::load(path)?),
            None if default.exists() => Ok(CollectorConfig::load(default)?),
            None => CollectorConfig::parse(fallback)
                .map_err(|e| anyhow::anyhow!("built-in configuration: {e}")),
        }
    }

    /// Opens the store (the command line's, else the configuration's, else `./data`) with
    /// the configuration's instance rules.
    pub fn open(&self, config: &CollectorConfig) -> anyhow::Result<Arc<dyn Store>> {
        let location = self
            .store
            .as_deref()
            .or(config.store.location.as_deref())
            .unwrap_or(DEFAULT_STORE);
        store::open(location, config.instances.clone())
            .with_context(|| format!("opening the store {location}"))
    }
}
