//! `flowsight.toml`: how raw messages become events and how instances are judged.
//!
//! ```toml
//! [mapping]                       # where the envelope fields are (CloudEvents by default)
//! activity = "/type"
//! time = "/time"
//!
//! [[mapping.keys]]                # business keys: kind and JSON pointers to look at
//! kind = "order"
//! pointers = ["/data/orderId", "/data/refId"]
//!
//! [instances]
//! end_activities = ["OrderCompletedEvent", "OrderCancelledEvent"]
//! stuck_after = "12h"
//! evict_after = "1d"             # idle instances leave the collector's memory
//!
//! [retention]                     # delete whole instances idle this long (default: keep all)
//! keep = "30d"
//!
//! [tracking]                      # a reference model: deviations and where instances wait
//! model = "order.bpmn"
//!
//! [tracking.tasks]                 # tasks named otherwise than the activities they record
//! "Fetch goods" = "FetchGoodsCommand"
//!
//! [tracking.webhook]               # post new breaches of those limits as JSON
//! url = "https://hooks.example.com/flowsight"
//!
//! [[tracking.sla]]                # how long an instance may stay at a step (else learned)
//! step = "FetchGoodsCommand"
//! within = "2h"
//!
//! [store]                         # a directory (embedded store) or a ClickHouse database
//! location = "clickhouse://127.0.0.1:8123/flowsight"
//! ```

use crate::mapping::MappingConfig;
use crate::sources::kafka::KafkaConfig;
use crate::sources::otlp::OtlpConfig;
use crate::CollectorError;
use miner::time::{Micros, DAY, HOUR, MINUTE, SECOND};
use serde::{Deserialize, Deserializer};
use std::path::Path;

/// The whole collector configuration.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CollectorConfig {
    /// Mapping rules from raw JSON to events.
    #[serde(default)]
    pub mapping: MappingConfig,
    /// How instances are labelled and judged.
    #[serde(default)]
    pub instances: InstanceRules,
    /// The Kafka source, for `flowsight collect`.
    #[serde(default)]
    pub kafka: KafkaConfig,
    /// How OTLP trace spans become events.
    #[serde(default)]
    pub otlp: OtlpConfig,
    /// Where events are kept.
    #[serde(default)]
    pub store: StoreConfig,
    /// How long history is kept.
    #[serde(default)]
    pub retention: RetentionConfig,
    /// What instances are tracked against.
    #[serde(default)]
    pub tracking: TrackingConfig,
}

/// What instances are tracked against: a reference model whose tasks are matched to
/// activities by name, and how long an instance may stay at each step.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TrackingConfig {
    /// A BPMN 2.0 file (as drawn in Camunda Modeler or bpmn.io, or exported by Flowsight):
    /// each instance page shows the instance's deviations from it and the tasks it waits at.
    pub model: Option<std::path::PathBuf>,
    /// Service levels per step: an unfinished instance whose last step is `step` and that has
    /// had no event for longer than `within` breaches it (it is stuck).
    #[serde(default)]
    pub sla: Vec<StepSla>,
    /// The activity each task of the model records, by task name, for tasks named otherwise
    /// (`"Fetch goods" = "FetchGoodsCommand"`); other tasks match activities by name.
    #[serde(default)]
    pub tasks: std::collections::BTreeMap<String, String>,
    /// Where new service-level breaches are posted, if anywhere.
    pub webhook: Option<WebhookConfig>,
}

/// A webhook on new service-level breaches: the serving process looks every `every` and posts
/// the instances newly stuck at a step as JSON to `url`, retried with backoff.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WebhookConfig {
    /// An `http://` or `https://` address.
    pub url: String,
    /// How often to look, written like `15s` (the default).
    #[serde(default = "default_webhook_every", deserialize_with = "duration")]
    pub every: Micros,
}

fn default_webhook_every() -> Micros {
    15 * SECOND
}

impl TrackingConfig {
    /// The reference model, read now with the task mapping; `None` without one.
    pub fn reference_model(
        &self,
    ) -> Option<Result<miner::conformance::ReferenceModel, miner::MinerError>> {
        let path = self.model.as_ref()?;
        Some(
            miner::conformance::ReferenceModel::text_of(path).and_then(|text| {
                miner::conformance::ReferenceModel::read_mapped(&text, &self.tasks)
            }),
        )
    }
}

/// How long an unfinished instance may stay at one step: with no event for longer than
/// `within` after doing `step`, it breaches the service level and counts as stuck.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StepSla {
    /// The activity the instance last did.
    pub step: String,
    /// How long it may wait there, written like `90s`, `30m`, `12h`, `2d`.
    #[serde(deserialize_with = "duration")]
    pub within: Micros,
}

/// How long history is kept: none of it is deleted unless `keep` is set.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RetentionConfig {
    /// Whole instances whose last event is older than this (before the newest event) are
    /// deleted with everything kept of them. Written like `30d`.
    #[serde(default, deserialize_with = "optional_duration")]
    pub keep: Option<Micros>,
}

fn optional_duration<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Micros>, D::Error> {
    duration(d).map(Some)
}

/// Where events are kept, when the command line does not say.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StoreConfig {
    /// A directory for the embedded store, or `clickhouse://HOST:8123/DATABASE`.
    pub location: Option<String>,
}

/// How the store labels instances and decides their status.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InstanceRules {
    /// An instance whose last activity is one of these is completed.
    #[serde(default)]
    pub end_activities: Vec<String>,
    /// An unfinished instance with no event for this long, at any step without its own
    /// `[[tracking.sla]]`, is stuck; otherwise it is running. Written like `90s`, `30m`,
    /// `12h`, `2d`. Unset, each step's limit is learned from history (see
    /// [`crate::store::wait_limits`]).
    #[serde(default, deserialize_with = "optional_duration")]
    pub stuck_after: Option<Micros>,
    /// Outcomes of end activities by name (`cancelled = ["OrderCancelledEvent"]`): how an
    /// ended instance ended. End activities not named here get one from their name (see
    /// [`crate::outcome`]).
    #[serde(default)]
    pub outcomes: std::collections::BTreeMap<String, Vec<String>>,
    /// Per-step limits from `[[tracking.sla]]`, which win over `stuck_after` (set when the
    /// configuration is parsed).
    #[serde(skip)]
    pub step_limits: Vec<StepSla>,
    /// Key kinds in order of preference for an instance's label (e.g. `order` before `payment`).
    /// Unlisted kinds come after, trace ids last.
    #[serde(default)]
    pub label_kinds: Vec<String>,
    /// An instance completed, or with no event for this long (before the newest event), leaves
    /// the collector's memory; when one of its keys reappears it is read back from the store.
    /// Shorter keeps less memory, longer reads the store less often. Written like `stuck_after`.
    #[serde(default = "default_evict_after", deserialize_with = "duration")]
    pub evict_after: Micros,
}

impl Default for InstanceRules {
    fn default() -> Self {
        Self {
            end_activities: Vec::new(),
            stuck_after: None,
            outcomes: Default::default(),
            step_limits: Vec::new(),
            label_kinds: Vec::new(),
            evict_after: default_evict_after(),
        }
    }
}

fn default_evict_after() -> Micros {
    DAY
}

fn duration<'de, D: Deserializer<'de>>(d: D) -> Result<Micros, D::Error> {
    let text = String::deserialize(d)?;
    parse_duration(&text).map_err(serde::de::Error::custom)
}

/// Parses `90s`, `30m`, `12h` or `2d` into microseconds.
pub fn parse_duration(text: &str) -> Result<Micros, String> {
    let text = text.trim();
    let split = text
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let n: i64 = number
        .parse()
        .map_err(|_| format!("invalid duration {text:?}: expected e.g. 30m, 12h, 2d"))?;
    let unit = match unit.trim() {
        "s" => SECOND,
        "m" | "min" => MINUTE,
        "h" => HOUR,
        "d" => DAY,
        _ => {
            return Err(format!(
                "invalid duration {text:?}: unit must be s, m, h or d"
            ))
        }
    };
    Ok(n * unit)
}

impl CollectorConfig {
    /// Reads and checks a TOML configuration file.
    pub fn load(path: &Path) -> Result<Self, CollectorError> {
        let text = std::fs::read_to_string(path).map_err(|e| CollectorError::Config {
            path: path.display().to_string(),
            message: e.to_string(),
        })?;
        Self::parse(&text).map_err(|message| CollectorError::Config {
            path: path.display().to_string(),
            message,
        })
    }

    /// Parses and checks TOML text.
    pub fn parse(text: &str) -> Result<Self, String> {
        let mut config: Self = toml::from_str(text).map_err(|e| e.to_string())?;
        config.mapping.validate()?;
        config.otlp.validate()?;
        if config.instances.label_kinds.is_empty() {
            config.instances.label_kinds = config.mapping.key_kinds();
        }
        let mut steps = std::collections::HashSet::new();
        if let Some(twice) = config.tracking.sla.iter().find(|s| !steps.insert(&s.step)) {
            return Err(format!(
                "[[tracking.sla]] names step {:?} twice: give each step one limit",
                twice.step
            ));
        }
        config.instances.step_limits = config.tracking.sla.clone();
        if let Some(hook) = &config.tracking.webhook {
            if !(hook.url.starts_with("http://") || hook.url.starts_with("https://")) {
                return Err(format!(
                    "[tracking.webhook] url {:?} is not an http:// or https:// address",
                    hook.url
                ));
            }
        }
        let ends = &config.instances.end_activities;
        for (outcome, activities) in &config.instances.outcomes {
            if let Some(stray) = activities.iter().find(|a| !ends.contains(a)) {
                return Err(format!(
                    "[instances.outcomes] {outcome} names {stray:?}, which is not in end_activities {ends:?}"
                ));
            }
        }
        Ok(config)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_durations() {
        assert_eq!(parse_duration("12h"), Ok(12 * HOUR));
        assert_eq!(parse_duration("90s"), Ok(90 * SECOND));
        assert!(parse_duration("12 parsecs").unwrap_err().contains("unit"));
        assert!(parse_duration("h").is_err());
    }

    #[test]
    fn reads_a_full_config_and_names_unknown_fields() {
        let c = CollectorConfig::parse(
            r#"
            [mapping]
            activity = "/type"
            [[mapping.keys]]
            kind = "order"
            pointers = ["/data/orderId"]
            [instances]
            end_activities = ["Done"]
            stuck_after = "2h"
            "#,
        )
        .unwrap();
        assert_eq!(c.instances.stuck_after, Some(2 * HOUR));
        assert_eq!(c.mapping.keys[0].kind, "order");
        let err = CollectorConfig::parse("[instances]\nstuck = \"1h\"").unwrap_err();
        assert!(err.contains("stuck"), "{err}");
        let err =
            CollectorConfig::parse("[[mapping.keys]]\nkind = \"order\"\npointers = [\"data\"]")
                .unwrap_err();
        assert!(err.contains("JSON pointer"), "{err}");
    }

    #[test]
    fn step_service_levels_reach_the_instance_rules_once_per_step() {
        let c = CollectorConfig::parse(
            "[[tracking.sla]]\nstep = \"Pick\"\nwithin = \"2h\"\n[[tracking.sla]]\nstep = \"Ship\"\nwithin = \"1d\"",
        )
        .unwrap();
        assert_eq!(c.instances.stuck_after, None);
        let limits: Vec<_> = c
            .instances
            .step_limits
            .iter()
            .map(|s| (s.step.as_str(), s.within))
            .collect();
        assert_eq!(limits, [("Pick", 2 * HOUR), ("Ship", DAY)]);
        let err = CollectorConfig::parse(
            "[[tracking.sla]]\nstep = \"Pick\"\nwithin = \"2h\"\n[[tracking.sla]]\nstep = \"Pick\"\nwithin = \"1h\"",
        )
        .unwrap_err();
        assert!(err.contains("\"Pick\" twice"), "{err}");
        let err = CollectorConfig::parse("[[tracking.sla]]\nstep = \"Pick\"\nwithin = \"soon\"")
            .unwrap_err();
        assert!(err.contains("soon"), "{err}");
    }

    #[test]
    fn a_breach_webhook_needs_an_http_address_and_looks_every_15_s_unless_told() {
        let c = CollectorConfig::parse("[tracking.webhook]\nurl = \"https://hooks.example/fs\"")
            .unwrap();
        assert_eq!(c.tracking.webhook.unwrap().every, 15 * SECOND);
        let err =
            CollectorConfig::parse("[tracking.webhook]\nurl = \"hooks.example/fs\"").unwrap_err();
        assert!(err.contains("\"hooks.example/fs\" is not an http"), "{err}");
    }

    #[test]
    fn retention_keeps_everything_unless_told() {
        assert_eq!(CollectorConfig::parse("").unwrap().retention.keep, None);
        let c = CollectorConfig::parse("[retention]\nkeep = \"30d\"").unwrap();
        assert_eq!(c.retention.keep, Some(30 * DAY));
        let err = CollectorConfig::parse("[retention]\nkeep = \"a month\"").unwrap_err();
        assert!(err.contains("duration"), "{err}");
    }
}
