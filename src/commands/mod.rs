//! One module per subcommand, plus the options they share.

pub mod check;
#[cfg(feature = "kafka")]
pub mod collect;
pub mod demo;
pub mod discover;
pub mod export;
pub mod generate;
pub mod import;
pub mod mine;
#[cfg(feature = "kafka")]
pub mod publish;
mod retention;
pub mod serve;

use anyhow::Context;
use collector::store::{self, Store};
use collector::CollectorConfig;
use std::path::{Path, PathBuf};

/// The embedded store's directory when neither the command line nor the configuration names one.
const DEFAULT_STORE: &str = "./data";
use std::sync::Arc;

/// A `HOST:PORT` socket address, with a message that says what is wrong with a bad one (a
/// port out of range, a missing port) instead of "invalid socket address syntax".
pub fn parse_address(text: &str) -> Result<std::net::SocketAddr, String> {
    if let Ok(addr) = text.parse() {
        return Ok(addr);
    }
    let Some((host, port)) = text.rsplit_once(':') else {
        return Err(format!(
            "{text:?} has no port: write HOST:PORT, e.g. 127.0.0.1:8080"
        ));
    };
    match port.parse::<u64>() {
        Ok(n) if n > 65_535 => Err(format!("port {n} is out of range (0-65535; 0 picks a free port)")),
        Err(_) => Err(format!("{port:?} is not a port number: write HOST:PORT, e.g. 127.0.0.1:8080")),
        Ok(_) => Err(format!(
            "{host:?} is not an IP address: write an address such as 127.0.0.1 or [::1] (not a host name)"
        )),
    }
}

/// Checks that `path` is a file that can be read, before any store is opened or created.
pub fn check_input_file(path: &Path) -> anyhow::Result<()> {
    match std::fs::metadata(path) {
        Ok(m) if m.is_dir() => {
            anyhow::bail!("{} is a directory, not an event log file", path.display())
        }
        Ok(_) => Ok(()),
        Err(e) => anyhow::bail!("cannot read {}: {e}", path.display()),
    }
}

/// A share from 0 to 1 (the Inductive Miner's noise threshold).
pub fn parse_share(text: &str) -> Result<f64, String> {
    match text.parse::<f64>() {
        Ok(x) if (0.0..=1.0).contains(&x) => Ok(x),
        Ok(x) => Err(format!("{x} is outside 0-1")),
        Err(_) => Err(format!("{text:?} is not a number from 0 to 1")),
    }
}

/// Runs a serving command's `work` on `runtime`, then drops the runtime without waiting for
/// the store work of requests cut at shutdown (a stop must not hang on a slow query).
pub fn serve_on<T>(
    runtime: tokio::runtime::Runtime,
    work: impl std::future::Future<Output = T>,
) -> T {
    let result = runtime.block_on(work);
    runtime.shutdown_timeout(std::time::Duration::from_secs(1));
    result
}

/// Parses a positive duration such as `90s`, `5m` or `1h` (clap value parser).
pub fn parse_seconds(text: &str) -> Result<std::time::Duration, String> {
    let micros = collector::config::parse_duration(text)?;
    match u64::try_from(micros) {
        Ok(0) | Err(_) => Err(format!("{text:?} is not a positive duration")),
        Ok(us) => Ok(std::time::Duration::from_micros(us)),
    }
}

/// Parses a size such as `1GiB`, `512MiB`, `64KiB` or a number of bytes (clap value parser).
pub fn parse_size(text: &str) -> Result<u64, String> {
    let text = text.trim();
    let digits = text
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(text.len());
    let (number, unit) = text.split_at(digits);
    let shift = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 0,
        "k" | "kib" | "kb" => 10,
        "m" | "mib" | "mb" => 20,
        "g" | "gib" | "gb" => 30,
        "t" | "tib" | "tb" => 40,
        other => {
            return Err(format!(
                "{other:?} is not a size unit: write e.g. 512MiB or 2GiB"
            ))
        }
    };
    let number: u64 = number
        .parse()
        .map_err(|_| format!("{text:?} is not a size: write e.g. 512MiB or 2GiB"))?;
    number
        .checked_mul(1 << shift)
        .ok_or_else(|| format!("{text:?} is too large"))
}

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
    /// Delete whole instances whose last event is older than this before the newest event,
    /// e.g. `30d` (commands that write; checked at start, then every minute while running).
    /// Overrides `[retention] keep`; by default nothing is deleted.
    #[arg(long, value_name = "DURATION", value_parser = collector::config::parse_duration)]
    pub keep: Option<miner::time::Micros>,
}

/// The configuration in force and where it came from.
pub struct Rules {
    /// Mapping, instance, source and store settings.
    pub config: CollectorConfig,
    /// Its text, when it came from a file or is built in (what a writing command saves with
    /// the store); `None` when it was read from the store or is empty.
    text: Option<String>,
    /// Where it came from, in words, for the log and the UI.
    pub origin: String,
    /// Whether no rules were given or saved, so a source may discover them (zero config).
    pub defaulted: bool,
}

impl Rules {
    /// Checks that the reference model of `[tracking] model`, if any, can be read: a serving
    /// command refuses to start with one it could not show.
    pub fn check_tracking(&self) -> anyhow::Result<()> {
        let (Some(path), Some(model)) = (
            &self.config.tracking.model,
            self.config.tracking.reference_model(),
        ) else {
            return Ok(());
        };
        let model =
            model.with_context(|| format!("reading the [tracking] model {}", path.display()))?;
        for note in model.notes() {
            tracing::warn!("[tracking] model {}: {note}", path.display());
        }
        Ok(())
    }

    /// The rules discovered from `messages` (`origin` names them), logged with their
    /// evidence, for a source given no rules. `None`, with a note saying why, when they
    /// cannot be discovered: the defaults stay in force and every event is still kept.
    pub fn discovered(messages: &[serde_json::Value], origin: &str) -> Option<Rules> {
        let discovery = match collector::discover::discover(messages, &Default::default()) {
            Ok(d) => d,
            Err(e) => {
                tracing::warn!("no rules given and none discovered from {origin} ({e}): events are kept without keys; give --config FILE (see flowsight discover)");
                return None;
            }
        };
        let (text, config) = match discovery.config(origin) {
            Ok(parsed) => parsed,
            Err(e) => {
                tracing::warn!(
                    "the rules discovered from {origin} do not parse ({e}); give --config FILE"
                );
                return None;
            }
        };
        if !discovery.found_a_key() {
            tracing::warn!("no business key found in {origin}: events are kept without keys; see flowsight discover for the candidates");
        }
        tracing::info!("rules discovered from {origin}: {}", discovery.summary());
        Some(Rules {
            config,
            text: Some(text),
            origin: format!("the rules discovered from {origin}"),
            defaulted: false,
        })
    }
}

impl StoreArgs {
    /// The configuration in force: the given file, else `./flowsight.toml`, else the rules
    /// saved with the store (so the same store shows the same instances whichever command
    /// reads it), else `fallback` (built in; empty means the defaults).
    pub fn rules(&self, fallback: &str) -> anyhow::Result<Rules> {
        let default = Path::new("flowsight.toml");
        let file = self
            .config
            .clone()
            .or_else(|| default.exists().then(|| default.to_path_buf()));
        if let Some(path) = file {
            let text = std::fs::read_to_string(&path)
                .with_context(|| format!("reading the configuration {}", path.display()))?;
            let config = CollectorConfig::parse(&text).map_err(|message| {
                collector::CollectorError::Config {
                    path: path.display().to_string(),
                    message,
                }
            })?;
            return Ok(Rules {
                config,
                text: Some(text),
                origin: format!("the rules of {}", path.display()),
                defaulted: false,
            });
        }
        let built_in = CollectorConfig::parse(fallback)
            .map_err(|e| anyhow::anyhow!("built-in configuration: {e}"))?;
        let location = self.location(&built_in).to_string();
        if let Some(text) = store::saved_rules_at(&location)? {
            let config = CollectorConfig::parse(&text).map_err(|message| {
                collector::CollectorError::Config {
                    path: format!(
                        "the rules saved with the store {}",
                        store::ClickHouseUrl::redacted(&location)
                    ),
                    message,
                }
            })?;
            return Ok(Rules {
                config,
                text: None,
                origin: "the rules saved with the store".into(),
                defaulted: false,
            });
        }
        let defaulted = fallback.trim().is_empty();
        let (text, origin) = if defaulted {
            (
                None,
                "no rules (the defaults: give --config FILE)".to_string(),
            )
        } else {
            (Some(fallback.to_string()), "the demo's rules".to_string())
        };
        Ok(Rules {
            config: built_in,
            text,
            origin,
            defaulted,
        })
    }

    /// How long history is kept, if it is limited: `--keep`, else `[retention] keep`.
    pub fn keep(&self, rules: &Rules) -> Option<miner::time::Micros> {
        self.keep.or(rules.config.retention.keep)
    }

    /// Opens the store for a command that keeps writing to it, as [`StoreArgs::open_saving`],
    /// and keeps its history within `--keep` while the process runs.
    pub fn open_running(&self, rules: &Rules) -> anyhow::Result<Arc<dyn Store>> {
        let store = self.open_saving(rules)?;
        if let Some(keep) = self.keep(rules) {
            retention::keep_running(store.clone(), keep);
        }
        Ok(store)
    }

    /// Opens the store for a command that writes to it (created if missing) and saves the
    /// rules in force with it when they came from a file or are built in.
    pub fn open_saving(&self, rules: &Rules) -> anyhow::Result<Arc<dyn Store>> {
        let store = self.open(&rules.config)?;
        if let Some(text) = &rules.text {
            if store.saved_rules()?.as_deref() != Some(text.as_str()) {
                store.save_rules(text)?;
            }
        }
        Ok(store)
    }

    /// Where the store is: the command line's, else the configuration's, else `./data`.
    pub fn location<'a>(&'a self, config: &'a CollectorConfig) -> &'a str {
        self.store
            .as_deref()
            .or(config.store.location.as_deref())
            .unwrap_or(DEFAULT_STORE)
    }

    /// Opens the store (created if missing) with the configuration's instance rules.
    pub fn open(&self, config: &CollectorConfig) -> anyhow::Result<Arc<dyn Store>> {
        let location = self.location(config);
        store::open(location, config.instances.clone()).with_context(|| {
            format!(
                "opening the store {}",
                store::ClickHouseUrl::redacted(location)
            )
        })
    }

    /// Opens the store for reading only: one that does not exist is an error, never created.
    pub fn open_existing(&self, config: &CollectorConfig) -> anyhow::Result<Arc<dyn Store>> {
        let location = self.location(config);
        Ok(store::open_existing(location, config.instances.clone())?)
    }
}
