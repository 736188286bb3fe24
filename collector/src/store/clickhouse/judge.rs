//! How the ClickHouse store judges instances now: the clock, each step's limit (learned from
//! the process state now and then), and the instances per status and per step.

use super::sql::{self, StatusRule};
use super::{state, ClickHouseStore};
use crate::store::state_rows::CASES;
use crate::store::wait_limits::{Clock, WaitLimits};
use crate::CollectorError;
use clickhouse::Row;
use serde::Deserialize;
use std::collections::HashMap;
use std::sync::Arc;

/// How many instances stand at one step.
#[derive(Row, Deserialize)]
pub(super) struct StepCountRow {
    pub(super) step: String,
    pub(super) n: u64,
}

/// What a status rule was made from.
pub(super) struct Judged {
    pub(super) latest: Option<i64>,
    pub(super) clock: Clock,
    pub(super) limits: Arc<WaitLimits>,
}

impl ClickHouseStore {
    /// How instances' statuses are judged now, and what by: the newest event time of the
    /// summarised instances, the clock and the limits.
    pub(super) fn status_rule(&self) -> Result<(StatusRule<'_>, Judged), CollectorError> {
        let latest = state::latest(&self.db)?;
        let clock = Clock::now(latest);
        let limits = self.limits.current(|| state::read_totals(&self.db))?;
        let rule = StatusRule::new(&self.rules.end_activities, &limits, &clock);
        Ok((
            rule,
            Judged {
                latest,
                clock,
                limits,
            },
        ))
    }

    /// Instances per status, in [`crate::store::InstanceStatus::ALL`] order, and those running at each step:
    /// completed from the totals, running from the instances active since the longest limit,
    /// stuck the rest.
    pub(super) fn by_status(
        &self,
        rule: &StatusRule<'_>,
    ) -> Result<([u64; 3], HashMap<String, u64>), CollectorError> {
        let instances = self.total(CASES)?;
        let completed = state::ending_in(&self.db, rule.end_activities)?.max(0) as u64;
        let running_at: HashMap<String, u64> = self
            .db
            .fetch::<StepCountRow>(sql::running_by_step(rule))?
            .into_iter()
            .map(|r| (r.step, r.n))
            .collect();
        let running: u64 = running_at.values().sum();
        let stuck = instances.saturating_sub(completed + running);
        Ok(([completed, running, stuck], running_at))
    }
}
