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
use collector::store::EmbeddedStore;
use collector::CollectorConfig;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// Where the store is and how events are mapped: options every store-using command takes.
#[derive(Debug, Clone, clap::Args)]
pub struct StoreArgs {
    /// Directory of the embedded store (created if missing).
    #[arg(long, default_value = "./data", env = "FLOWSIGHT_STORE")]
    pub store: PathBuf,
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

    /// Opens the embedded store with the configuration's instance rules.
    pub fn open(&self, config: &CollectorConfig) -> anyhow::Result<Arc<EmbeddedStore>> {
        let store = EmbeddedStore::open(&self.store, config.instances.clone())
            .with_context(|| format!("opening the store in {}", self.store.display()))?;
        Ok(Arc::new(store))
    }
}
