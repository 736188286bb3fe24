//! The questions a [`super::Store`] answers and the shapes of its answers.

use super::wait_limits::{Clock, WaitLimit, WaitLimits};
use crate::correlate::InstanceId;
use miner::log::{BusinessKey, Event};
use miner::time::Micros;
use serde::{Deserialize, Serialize};

/// Which instances a view covers: the filter bar every page, API answer and export shares,
/// and the drill-down from a number to the instances behind it. Every condition given must hold.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct CaseFilter {
    /// Only instances with an event at or after this time.
    pub from: Option<Micros>,
    /// Only instances with an event before this time.
    pub to: Option<Micros>,
    /// Only instances following exactly this activity sequence.
    pub variant: Option<Vec<String>>,
    /// Only instances containing each of these activities.
    pub with: Vec<String>,
    /// Only instances containing none of these activities.
    pub without: Vec<String>,
    /// Only instances with each of these paths: the second activity directly follows the first.
    pub follows: Vec<(String, String)>,
    /// Only instances taking at least this long from first to last event.
    pub min_duration: Option<Micros>,
    /// Only instances taking at most this long from first to last event.
    pub max_duration: Option<Micros>,
    /// Only instances carrying this business key.
    pub key: Option<BusinessKey>,
    /// Only instances in this status (judged now, by the store's end activities and limits).
    pub status: Option<InstanceStatus>,
    /// Only instances with an event whose attribute (the first) has this value (the second):
    /// a string as it is, a number or a boolean as JSON writes it.
    pub attribute: Option<(String, String)>,
}

impl CaseFilter {
    /// The instances in `status`, whatever else.
    pub fn in_status(status: InstanceStatus) -> Self {
        Self {
            status: Some(status),
            ..Self::default()
        }
    }

    /// Whether it selects every instance.
    pub fn is_empty(&self) -> bool {
        *self == Self::default()
    }

    /// Whether a condition needs an instance's steps (not only its key, status or attributes).
    pub fn reads_steps(&self) -> bool {
        Self {
            key: None,
            status: None,
            attribute: None,
            ..self.clone()
        } != Self::default()
    }

    /// Whether a condition needs an instance's steps even where its first and last times
    /// decide the rest: one on activities, or a time range with both ends (an instance may
    /// span it with no event inside). A range with one end, or a duration, is decided by the
    /// first and last times alone.
    pub fn steps_beyond_times(&self) -> bool {
        self.asks_activities() || (self.from.is_some() && self.to.is_some())
    }

    /// Whether a condition is on an instance's activities: its variant, the activities it
    /// holds or not, its paths.
    pub fn asks_activities(&self) -> bool {
        self.variant.is_some()
            || !self.with.is_empty()
            || !self.without.is_empty()
            || !self.follows.is_empty()
    }

    /// The conditions on steps, given how a store names activities (`id_of`); none when one
    /// asks for an activity the store has never seen, so that no instance matches. The key,
    /// the status and the attribute are left to the store.
    pub fn resolve(&self, id_of: impl Fn(&str) -> Option<u32>) -> Option<CaseIds> {
        Some(CaseIds {
            from: self.from,
            to: self.to,
            variant: match &self.variant {
                None => None,
                Some(names) => Some(names.iter().map(|n| id_of(n)).collect::<Option<Vec<_>>>()?),
            },
            with: self
                .with
                .iter()
                .map(|n| id_of(n))
                .collect::<Option<Vec<_>>>()?,
            // An activity never seen is absent from every instance.
            without: self.without.iter().filter_map(|n| id_of(n)).collect(),
            follows: self
                .follows
                .iter()
                .map(|(a, b)| Some((id_of(a)?, id_of(b)?)))
                .collect::<Option<Vec<_>>>()?,
            min_duration: self.min_duration,
            max_duration: self.max_duration,
        })
    }
}

/// The step conditions of a [`CaseFilter`] on a store's activity ids.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CaseIds {
    /// Some event at or after this time.
    pub from: Option<Micros>,
    /// Some event before this time.
    pub to: Option<Micros>,
    /// Its exact sequence.
    pub variant: Option<Vec<u32>>,
    /// Activities it contains.
    pub with: Vec<u32>,
    /// Activities it does not contain.
    pub without: Vec<u32>,
    /// Paths of the instance.
    pub follows: Vec<(u32, u32)>,
    /// Shortest first-to-last time.
    pub min_duration: Option<Micros>,
    /// Longest first-to-last time.
    pub max_duration: Option<Micros>,
}

impl CaseIds {
    /// Whether an instance whose steps are `activities` at `timestamps` (in stored order,
    /// which is time order) matches.
    pub fn matches(&self, activities: &[u32], timestamps: &[Option<Micros>]) -> bool {
        let in_range = |t: &Option<Micros>| {
            t.is_some_and(|t| self.from.is_none_or(|f| t >= f) && self.to.is_none_or(|to| t < to))
        };
        let times = || timestamps.iter().flatten().copied();
        let duration = times().max().zip(times().min()).map_or(0, |(l, f)| l - f);
        ((self.from.is_none() && self.to.is_none()) || timestamps.iter().any(in_range))
            && self.with.iter().all(|a| activities.contains(a))
            && !self.without.iter().any(|a| activities.contains(a))
            && self
                .follows
                .iter()
                .all(|&(a, b)| activities.windows(2).any(|w| w[0] == a && w[1] == b))
            && self.variant.as_deref().is_none_or(|v| v == activities)
            && self.min_duration.is_none_or(|d| duration >= d)
            && self.max_duration.is_none_or(|d| duration <= d)
    }
}

/// A request for process statistics.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct StatsQuery {
    /// Which instances.
    pub cases: CaseFilter,
    /// When set, events of other activities are left out before the statistics are computed
    /// (the activity slider: hidden steps are bridged, not cut).
    pub activities: Option<Vec<String>>,
}

/// A request for the statistics of a case notion: one case per value of a key kind instead
/// of one per instance.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct NotionQuery {
    /// The key kind whose values are the cases; none for every kind at once (the
    /// object-centric map).
    pub kind: Option<String>,
    /// The instances whose events make the cases.
    pub cases: CaseFilter,
    /// When set, events of other activities are left out (hidden steps bridged).
    pub activities: Option<Vec<String>>,
}

/// Where an instance stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum InstanceStatus {
    /// Its last activity is an end activity.
    Completed,
    /// Unfinished, with recent activity.
    Running,
    /// Unfinished and idle for longer than the configured limit.
    Stuck,
}

impl InstanceStatus {
    /// All statuses, for filters and counts.
    pub const ALL: [InstanceStatus; 3] = [Self::Completed, Self::Running, Self::Stuck];

    /// The lowercase name used in URLs and exports.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Completed => "completed",
            Self::Running => "running",
            Self::Stuck => "stuck",
        }
    }

    /// Parses the lowercase name.
    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.as_str() == text)
    }
}

/// A request for a page of instances.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct InstanceQuery {
    /// A business key value (`4711`) or key (`order=4711`) the instance must carry.
    pub search: Option<String>,
    /// Only instances the filter bar (or a drill-down) selects.
    pub cases: CaseFilter,
    /// Only unfinished instances whose last step is this activity: those standing there.
    pub at_step: Option<String>,
    /// The order of the page.
    pub order: InstanceOrder,
    /// How many to skip.
    pub offset: u64,
    /// How many at most.
    pub limit: u64,
}

impl Default for InstanceQuery {
    fn default() -> Self {
        Self {
            search: None,
            cases: CaseFilter::default(),
            at_step: None,
            order: InstanceOrder::default(),
            offset: 0,
            limit: 50,
        }
    }
}

/// The order of a page of instances.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum InstanceOrder {
    /// Latest activity first.
    #[default]
    Latest,
    /// Longest without an event first: among unfinished instances, those waiting longest.
    LongestWaiting,
}

impl InstanceOrder {
    /// The name used in URLs.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Latest => "latest",
            Self::LongestWaiting => "waiting",
        }
    }

    /// Parses the name used in URLs.
    pub fn parse(text: &str) -> Option<Self> {
        [Self::Latest, Self::LongestWaiting]
            .into_iter()
            .find(|o| o.as_str() == text)
    }

    /// The SQL ordering of instance rows (`last_ts`, `id`).
    pub fn sql(self) -> &'static str {
        match self {
            Self::Latest => "last_ts DESC, id DESC",
            Self::LongestWaiting => "last_ts ASC, id ASC",
        }
    }
}

/// One line of the instance list.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct InstanceSummary {
    /// Its id.
    pub id: InstanceId,
    /// Its preferred key, e.g. `order=4711`.
    pub label: String,
    /// Where it stands.
    pub status: InstanceStatus,
    /// Number of events.
    pub events: u64,
    /// First event time.
    pub first_event: Micros,
    /// Last event time.
    pub last_event: Micros,
    /// The activity of its last event.
    pub last_activity: String,
}

/// A page of instances and how many match in all.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct InstancePage {
    /// Instances matching the query, regardless of paging.
    pub total: u64,
    /// This page.
    pub instances: Vec<InstanceSummary>,
}

/// A merge that formed an instance: another instance absorbed when an event linked them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MergeRecord {
    /// The id the absorbed instance had.
    pub absorbed: InstanceId,
    /// Its label at the time.
    pub absorbed_label: String,
    /// The event that linked them.
    pub by_event: String,
}

/// Everything about one instance.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct InstanceDetail {
    /// Its summary.
    pub summary: InstanceSummary,
    /// All its business keys.
    pub keys: Vec<BusinessKey>,
    /// All its events in time order.
    pub events: Vec<Event>,
    /// Merges that formed it.
    pub merges: Vec<MergeRecord>,
}

/// One value of an object's attribute and when it was set: OCEL 2.0 objects (business keys
/// here) carry attributes whose values change over time, and an export gives them back.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ObjectAttribute {
    /// The object.
    pub object: BusinessKey,
    /// The attribute's name.
    pub name: String,
    /// When the value was set, UTC µs.
    pub time: Micros,
    /// The value.
    pub value: serde_json::Value,
}

/// A relation between two business keys that holds without an event, such as an OCEL
/// object-to-object relation (`order=1` contains `item=a`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct KeyLink {
    /// One key.
    pub from: BusinessKey,
    /// The other key.
    pub to: BusinessKey,
    /// What the relation means (may be empty).
    pub qualifier: String,
}

impl KeyLink {
    /// A link with no qualifier.
    pub fn new(from: BusinessKey, to: BusinessKey) -> Self {
        Self {
            from,
            to,
            qualifier: String::new(),
        }
    }
}

/// What an append did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AppendReport {
    /// Events newly stored.
    pub inserted: u64,
    /// Events skipped because their id was already stored.
    pub duplicates: u64,
    /// Instances merged into others.
    pub merges: u64,
}

/// Store-wide counts.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct StoreOverview {
    /// All stored events.
    pub events: u64,
    /// Instances.
    pub instances: u64,
    /// Events without a business key.
    pub uncorrelated: u64,
    /// Merges recorded.
    pub merges: u64,
    /// Instances per status, in [`InstanceStatus::ALL`] order.
    pub by_status: [u64; 3],
    /// Newest event time.
    pub latest_event: Option<Micros>,
    /// What waits are measured against: the wall clock for live data, the newest event for a
    /// historical log.
    pub clock: Clock,
    /// Where unfinished instances stand, by the step they last did, most waiting first.
    pub steps: Vec<StepStanding>,
    /// Ended instances by the end activity they ended at, most first.
    pub ended: Vec<(String, u64)>,
    /// Messages kept in the dead-letter table.
    pub dead_letters: u64,
}

/// The unfinished instances standing at one step (their last activity) and how many of them
/// wait longer than the step's limit.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StepStanding {
    /// The activity they last did.
    pub step: String,
    /// Unfinished instances whose last step it is.
    pub waiting: u64,
    /// Of them, those past the step's limit: stuck, breaching its service level.
    pub stuck: u64,
    /// How long an instance may stay at the step.
    pub limit: WaitLimit,
}

impl StepStanding {
    /// The standings of the instances by last step (`by_last`: step, instances there) given the
    /// end activities (`ends`) and how many at each step are within their limits (`running`),
    /// most waiting first; and the ended instances by end activity, most first.
    pub fn tally(
        by_last: impl IntoIterator<Item = (String, u64)>,
        ends: &[String],
        running: &std::collections::HashMap<String, u64>,
        limits: &WaitLimits,
    ) -> (Vec<Self>, Vec<(String, u64)>) {
        type Counts = Vec<(String, u64)>;
        let (mut ended, waiting): (Counts, Counts) = by_last
            .into_iter()
            .filter(|(_, n)| *n > 0)
            .partition(|(step, _)| ends.contains(step));
        ended.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
        let mut steps: Vec<Self> = waiting
            .into_iter()
            .map(|(step, waiting)| Self {
                stuck: waiting.saturating_sub(running.get(&step).copied().unwrap_or(0)),
                limit: limits.of(&step),
                waiting,
                step,
            })
            .collect();
        steps.sort_by(|a, b| b.waiting.cmp(&a.waiting).then_with(|| a.step.cmp(&b.step)));
        (steps, ended)
    }
}

/// A message that could not become an event, kept with where it came from and why, so that
/// nothing accepted from a source is lost and its position can still be committed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeadLetter {
    /// The topic (or other named stream) it was read from.
    pub topic: String,
    /// The partition of the topic.
    pub partition: i32,
    /// The offset in the partition: with topic and partition, what makes a dead letter unique.
    pub offset: i64,
    /// What was wrong with it.
    pub reason: String,
    /// The message's bytes as received.
    pub raw: Vec<u8>,
    /// When it was received (microseconds since the epoch).
    pub received: Micros,
}

/// What a retention run deleted.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Deleted {
    /// Whole instances.
    pub instances: u64,
    /// Their events.
    pub events: u64,
    /// Events that never joined an instance (no business key).
    pub uncorrelated: u64,
}

impl Deleted {
    /// Adds what another run (or slice of one) deleted.
    pub fn add(&mut self, other: Deleted) {
        self.instances += other.instances;
        self.events += other.events;
        self.uncorrelated += other.uncorrelated;
    }
}

/// How much of the history the writer holds in memory.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct HeldInMemory {
    /// Live instances.
    pub instances: usize,
    /// Their keys.
    pub keys: usize,
    /// The ids of their events.
    pub event_ids: usize,
}
