//! Where unfinished instances wait, in words and as Prometheus series: the step each last did,
//! since when, and the step's limit (its service level), measured against the store's clock.

use collector::config::InstanceRules;
use collector::outcome::{outcome_of, COMPLETED};
use collector::prometheus::{Exposition, MetricKind};
use collector::store::wait_limits::{Clock, ClockKind, WaitLimit};
use collector::store::{InstanceStatus, InstanceSummary, StepStanding, StoreOverview};
use miner::time::{format_duration, format_timestamp};

/// How one unfinished instance waits, for its page and its row in the list.
#[derive(Debug, Clone)]
pub struct WaitView {
    /// The step it last did.
    pub step: String,
    /// When it did it.
    pub since: String,
    /// How long it has waited there.
    pub waited: String,
    /// The step's limit.
    pub limit: String,
    /// Where the limit comes from.
    pub source: String,
    /// How far past the limit it is, when it is.
    pub over: Option<String>,
}

impl WaitView {
    /// The wait of `instance`, judged by the standings of `overview`; none for a completed one.
    pub fn of(instance: &InstanceSummary, overview: &StoreOverview) -> Option<Self> {
        if instance.status == InstanceStatus::Completed {
            return None;
        }
        let waited = overview
            .clock
            .now
            .saturating_sub(instance.last_event)
            .max(0);
        let limit = limit_at(overview, &instance.last_activity)?;
        Some(Self {
            step: instance.last_activity.clone(),
            since: format_timestamp(instance.last_event),
            waited: format_duration(waited),
            limit: format_duration(limit.within),
            source: limit.describe_source(),
            over: (instance.status == InstanceStatus::Stuck)
                .then(|| format_duration(waited.saturating_sub(limit.within))),
        })
    }

    /// The wait in a few words, for a row of the list.
    pub fn cell(&self) -> String {
        match &self.over {
            Some(over) => format!("{} (limit {}, {over} over)", self.waited, self.limit),
            None => format!("{} (limit {})", self.waited, self.limit),
        }
    }
}

/// The limit of `step` in `overview`'s standings (every step an unfinished instance stands at).
fn limit_at(overview: &StoreOverview, step: &str) -> Option<WaitLimit> {
    overview
        .steps
        .iter()
        .find(|s| s.step == step)
        .map(|s| s.limit)
}

/// What waits are measured against, in a sentence for the pages.
pub fn clock_note(clock: &Clock) -> String {
    match clock.kind {
        ClockKind::Wall => "Waits are measured against the current time (live data).".into(),
        ClockKind::NewestEvent => format!(
            "Waits are measured against the newest event, {}: the data is a historical log (its newest event is over a week old).",
            format_timestamp(clock.now)
        ),
    }
}

/// One row of the standings table: a step, how many wait there, how many breach its limit.
pub struct StepRow {
    /// The step.
    pub step: String,
    /// Unfinished instances there.
    pub waiting: u64,
    /// Of them, past the limit.
    pub stuck: u64,
    /// The limit.
    pub limit: String,
    /// Where the limit comes from.
    pub source: String,
}

impl From<&StepStanding> for StepRow {
    fn from(s: &StepStanding) -> Self {
        Self {
            step: s.step.clone(),
            waiting: s.waiting,
            stuck: s.stuck,
            limit: format_duration(s.limit.within),
            source: s.limit.describe_source(),
        }
    }
}

/// The standings by step as Prometheus gauges: instances waiting at each step, those past the
/// step's limit (service-level breaches), and the limit itself, so that alerts need no
/// knowledge of the process; and the ended instances by outcome (judged by `rules`) and end.
pub fn step_metrics(o: &StoreOverview, rules: &InstanceRules) -> String {
    let mut out = String::new();
    let mut text = Exposition::new(&mut out);
    let ended = "flowsight_instances_ended";
    text.family(
        ended,
        MetricKind::Gauge,
        "Ended instances by outcome and the end activity they ended at.",
    );
    for (step, n) in &o.ended {
        let outcome = outcome_of(rules, step).unwrap_or_else(|| COMPLETED.to_string());
        text.sample(ended, &[("outcome", &outcome), ("step", step)], n);
    }
    /// A series: its name, its help, and its value at one step.
    type Series<'a> = (&'a str, &'a str, fn(&StepStanding) -> String);
    let series: [Series<'_>; 3] = [
        (
            "flowsight_step_instances_waiting",
            "Unfinished instances whose last step this is.",
            |s| s.waiting.to_string(),
        ),
        (
            "flowsight_step_instances_breaching",
            "Unfinished instances waiting at this step longer than its limit (stuck).",
            |s| s.stuck.to_string(),
        ),
        (
            "flowsight_step_wait_limit_seconds",
            "How long an instance may wait at this step: configured, or learned (p95).",
            |s| format!("{}", s.limit.within as f64 / 1e6),
        ),
    ];
    for (name, help, value) in series {
        text.family(name, MetricKind::Gauge, help);
        for s in &o.steps {
            text.sample(name, &[("step", &s.step)], value(s));
        }
    }
    let clock = match o.clock.kind {
        ClockKind::Wall => "wall",
        ClockKind::NewestEvent => "newest_event",
    };
    let name = "flowsight_clock_seconds";
    text.family(
        name,
        MetricKind::Gauge,
        "The time waits are measured against (Unix seconds).",
    )
    .sample(name, &[("clock", clock)], o.clock.now as f64 / 1e6);
    out
}

/// Instances deviating from the reference model at each step (over its most frequent
/// variants), as a Prometheus gauge.
pub fn deviation_metrics(deviations: &crate::tracking::StepDeviations) -> String {
    let name = "flowsight_step_instances_deviating";
    let mut out = String::new();
    let mut text = Exposition::new(&mut out);
    text.family(
        name,
        MetricKind::Gauge,
        "Instances skipping this step of the reference model or doing it where the model does not allow it (over its most frequent variants).",
    );
    for (step, n) in &deviations.counts {
        text.sample(name, &[("step", step)], n);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use collector::store::wait_limits::LimitSource;

    #[test]
    fn step_series_carry_escaped_step_names_limits_in_seconds_and_outcomes() {
        let overview = StoreOverview {
            steps: vec![StepStanding {
                step: "Say \"hi\"\\now".into(),
                waiting: 3,
                stuck: 1,
                limit: WaitLimit {
                    within: 90_000_000,
                    source: LimitSource::Configured,
                },
            }],
            ended: vec![("OrderCancelledEvent".into(), 4), ("Done".into(), 7)],
            ..StoreOverview::default()
        };
        let rules = InstanceRules {
            end_activities: vec!["OrderCancelledEvent".into(), "Done".into()],
            ..InstanceRules::default()
        };
        let text = step_metrics(&overview, &rules);
        assert!(text.contains(
            "flowsight_instances_ended{outcome=\"cancelled\",step=\"OrderCancelledEvent\"} 4"
        ));
        assert!(text.contains("flowsight_instances_ended{outcome=\"completed\",step=\"Done\"} 7"));
        assert!(
            text.contains("flowsight_step_instances_waiting{step=\"Say \\\"hi\\\"\\\\now\"} 3"),
            "{text}"
        );
        assert!(
            text.contains("flowsight_step_instances_breaching{step=\"Say \\\"hi\\\"\\\\now\"} 1")
        );
        assert!(
            text.contains("flowsight_step_wait_limit_seconds{step=\"Say \\\"hi\\\"\\\\now\"} 90\n")
        );
    }
}
