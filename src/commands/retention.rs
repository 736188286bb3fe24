//! Retention for the commands that keep a store running (`serve`, `collect`, `demo`): whole
//! instances idle past `--keep` (or `[retention] keep`) are deleted at start and then every
//! minute, on a thread of their own so that neither ingest nor pages wait for more than one
//! slice of deletions.

use collector::store::Store;
use collector::CollectorError;
use miner::time::Micros;
use std::sync::Arc;
use std::time::Duration;

/// Time between two retention runs.
const EVERY: Duration = Duration::from_secs(60);

/// Runs retention on `store` now and every minute after, for as long as the process lives.
pub fn keep_running(store: Arc<dyn Store>, keep: Micros) {
    let spawned = std::thread::Builder::new()
        .name("retention".into())
        .spawn(move || loop {
            match store.retain(keep) {
                Ok(deleted) if deleted != Default::default() => tracing::info!(
                    instances = deleted.instances,
                    events = deleted.events,
                    uncorrelated = deleted.uncorrelated,
                    "retention: deleted instances idle past the horizon and older events without a key"
                ),
                Ok(_) => {}
                Err(CollectorError::Unsupported(why)) => {
                    tracing::warn!("retention is off: {why}");
                    return;
                }
                Err(e) => tracing::warn!(error = %e, "retention: this run failed; the next one carries on"),
            }
            std::thread::sleep(EVERY);
        });
    if let Err(e) = spawned {
        tracing::warn!(error = %e, "retention: could not start its thread");
    }
}
