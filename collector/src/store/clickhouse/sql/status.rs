//! How the ClickHouse store's SQL judges an instance's status: completed at an end activity,
//! stuck past its step's limit, running otherwise.

use super::{Sql, Value};
use crate::store::wait_limits::{Clock, WaitLimits};
use crate::store::InstanceStatus;

/// What makes an instance's status: the end activities, and for each step the time before
/// which an unfinished instance that last did it counts as stuck.
pub struct StatusRule<'a> {
    /// Activities that complete an instance.
    pub end_activities: &'a [String],
    /// Steps with a limit of their own, and the time before which an instance there is stuck.
    pub steps: Vec<(String, i64)>,
    /// The time before which an unfinished instance at any other step is stuck.
    pub stuck_before: i64,
}

impl<'a> StatusRule<'a> {
    /// The rule for `limits` against `clock`.
    pub fn new(end_activities: &'a [String], limits: &WaitLimits, clock: &Clock) -> Self {
        Self {
            end_activities,
            steps: limits
                .own_limits()
                .into_iter()
                .map(|(step, within)| (step, clock.now.saturating_sub(within)))
                .collect(),
            stuck_before: clock.now.saturating_sub(limits.otherwise()),
        }
    }

    /// The time before which an unfinished instance is stuck wherever it stands.
    pub fn stuck_everywhere_before(&self) -> i64 {
        self.steps
            .iter()
            .map(|(_, before)| *before)
            .fold(self.stuck_before, i64::min)
    }

    /// The status of an instance whose last event is `last_activity` at `last_ts`: the rule
    /// the `status` column applies in SQL.
    pub fn status_of(&self, last_activity: &str, last_ts: i64) -> InstanceStatus {
        let stuck_before = self
            .steps
            .iter()
            .find(|(step, _)| step == last_activity)
            .map_or(self.stuck_before, |(_, before)| *before);
        if self.end_activities.iter().any(|a| a == last_activity) {
            InstanceStatus::Completed
        } else if last_ts < stuck_before {
            InstanceStatus::Stuck
        } else {
            InstanceStatus::Running
        }
    }

    /// Appends the time before which an instance at `last_activity` is stuck.
    pub(super) fn push_stuck_before(&self, s: &mut Sql) {
        if self.steps.is_empty() {
            s.bind(Value::Int(self.stuck_before));
            return;
        }
        // `transform` wants constant arrays, which 18.16 does not fold from a cast; literal
        // numbers are unsigned to ClickHouse, so each branch is made signed.
        s.push("multiIf(");
        for (step, before) in &self.steps {
            s.push("last_activity = ")
                .bind(Value::Str(step.clone()))
                .push(", toInt64(")
                .bind(Value::Int(*before))
                .push("), ");
        }
        s.push("toInt64(")
            .bind(Value::Int(self.stuck_before))
            .push("))");
    }

    /// Appends whether `last_activity` is an end activity.
    pub(super) fn push_ended(&self, s: &mut Sql) {
        // `has([], …)` is a type error on 18.16.
        if self.end_activities.is_empty() {
            s.push("0");
        } else {
            s.push("has(")
                .bind(Value::Strs(self.end_activities.to_vec()))
                .push(", last_activity)");
        }
    }
}
