//! A webhook on new service-level breaches: every `every`, the instances stuck at a step (past
//! its limit) that were not stuck at the last look are posted as JSON to `[tracking.webhook]
//! url`, retried with backoff. It runs beside the server on its own task and reads the store
//! like a page does, so it never holds up ingest; a receiver that stays down loses nothing of
//! the store (the breaches stay on the pages and in `/metrics`), only the message.

use collector::correlate::InstanceId;
use collector::store::{CaseFilter, InstanceOrder, InstanceQuery, InstanceStatus, Store};
use collector::CollectorConfig;
use miner::time::format_timestamp;
use serde::Serialize;
use std::collections::HashSet;
use std::sync::Arc;
use std::time::Duration;

/// Most breaches one message names; the count says how many there were in all.
const MAX_PER_MESSAGE: u64 = 100;

/// Attempts per message, the first included, with the wait doubling from [`FIRST_RETRY`].
const ATTEMPTS: u32 = 5;

/// The wait before the first retry.
const FIRST_RETRY: Duration = Duration::from_secs(1);

/// One breach in a message.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Breach {
    /// The instance's id (its page is `/instances/{id}`).
    pub instance: InstanceId,
    /// Its label, e.g. `order=4711`.
    pub label: String,
    /// The step it waits at (its last activity).
    pub step: String,
    /// When it did that step (RFC 3339).
    pub since: String,
    /// How long it has waited, in seconds.
    pub waited_seconds: f64,
    /// The step's limit, in seconds.
    pub limit_seconds: f64,
}

/// What is posted: the new breaches (at most [`MAX_PER_MESSAGE`]) and how many there were.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Message {
    /// New breaches since the last look.
    pub new_breaches: u64,
    /// The first of them, most recent first.
    pub breaches: Vec<Breach>,
}

/// The breaches not yet told, remembered between looks.
#[derive(Debug, Default)]
pub struct Watcher {
    told: HashSet<InstanceId>,
}

impl Watcher {
    /// Looks at the store now: the message of the breaches that are new since the last look
    /// (none when there are none), and remembers every current breach.
    pub fn look(&mut self, store: &dyn Store) -> Result<Option<Message>, crate::WebError> {
        let overview = store.overview()?;
        let mut now_breaching = HashSet::new();
        let mut message = Message {
            new_breaches: 0,
            breaches: Vec::new(),
        };
        for standing in overview.steps.iter().filter(|s| s.stuck > 0) {
            let stuck = store.instances(&InstanceQuery {
                cases: CaseFilter::in_status(InstanceStatus::Stuck),
                at_step: Some(standing.step.clone()),
                order: InstanceOrder::Latest,
                limit: standing.stuck,
                ..InstanceQuery::default()
            })?;
            for instance in stuck.instances {
                now_breaching.insert(instance.id);
                if self.told.contains(&instance.id) {
                    continue;
                }
                message.new_breaches += 1;
                if (message.breaches.len() as u64) < MAX_PER_MESSAGE {
                    message.breaches.push(Breach {
                        instance: instance.id,
                        label: instance.label,
                        step: instance.last_activity,
                        since: format_timestamp(instance.last_event),
                        waited_seconds: (overview.clock.now - instance.last_event) as f64 / 1e6,
                        limit_seconds: standing.limit.within as f64 / 1e6,
                    });
                }
            }
        }
        self.told = now_breaching;
        Ok((message.new_breaches > 0).then_some(message))
    }
}

/// Posts `message` to `url`, retrying with doubling waits; the last error when every attempt
/// failed.
fn deliver(url: &str, message: &Message, first_retry: Duration) -> Result<(), String> {
    let body = serde_json::to_string(message).map_err(|e| e.to_string())?;
    let mut wait = first_retry;
    let mut last = String::new();
    for attempt in 1..=ATTEMPTS {
        match ureq::post(url)
            .header("content-type", "application/json")
            .send(body.as_str())
        {
            Ok(_) => return Ok(()),
            Err(e) => last = e.to_string(),
        }
        if attempt < ATTEMPTS {
            std::thread::sleep(wait);
            wait *= 2;
        }
    }
    Err(last)
}

/// Looks for new breaches every `hook.every` and posts them to `hook.url` until `stop`
/// resolves; failures are logged, never fatal.
pub async fn run(
    store: Arc<dyn Store>,
    config: Arc<CollectorConfig>,
    stop: impl std::future::Future<Output = ()> + Send,
) {
    let Some(hook) = config.tracking.webhook.clone() else {
        return;
    };
    tokio::pin!(stop);
    let mut watcher = Watcher::default();
    let mut ticks = tokio::time::interval(Duration::from_micros(hook.every.max(1) as u64));
    // A slow receiver delays the next look rather than bunching looks up after it.
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = &mut stop => return,
            _ = ticks.tick() => {}
        }
        let (store, url) = (store.clone(), hook.url.clone());
        let looked = tokio::task::spawn_blocking(move || {
            let message = watcher.look(store.as_ref());
            if let Ok(Some(message)) = &message {
                if let Err(e) = deliver(&url, message, FIRST_RETRY) {
                    tracing::warn!(url = %url, error = %e, new_breaches = message.new_breaches, "the breach webhook failed after {ATTEMPTS} attempts");
                }
            }
            (watcher, message.map(|_| ()))
        })
        .await;
        match looked {
            Ok((back, result)) => {
                watcher = back;
                if let Err(e) = result {
                    tracing::warn!(error = %e, "the breach webhook could not read the store");
                }
            }
            Err(e) => {
                tracing::error!(error = %e, "the breach webhook stopped");
                return;
            }
        }
    }
}
