//! How the embedded store judges an instance's status (completed, stuck or running) in SQL,
//! from the end activities and the waiting limits learned from the history.

use super::{state, EmbeddedStore};
use crate::store::wait_limits::{Clock, WaitLimits};
use crate::store::{CaseFilter, InstanceStatus};
use crate::CollectorError;
use miner::time::Micros;
use rusqlite::types::Value as SqlValue;
use rusqlite::Connection;
use std::sync::Arc;

/// The query counting, by last activity, the instances neither ended nor stuck: those whose
/// last event is later than `stuck_before`, an expression of `last_activity` (parameters: the
/// earliest such time, `ends` end activities, then those of `stuck_before`). It reads the
/// instances by their last time: left to itself SQLite read every instance through the index
/// by step, which gives the groups in order (24 ms at 5 M events, growing with the history).
pub(super) fn running_by_step(ends: usize, stuck_before: &str) -> String {
    let ends = vec!["?"; ends].join(", ");
    format!(
        "SELECT last_activity, COUNT(*) FROM instances INDEXED BY instances_by_last
         WHERE last_ts >= ? AND last_activity NOT IN ({ends}) AND last_ts >= ({stuck_before})
         GROUP BY last_activity"
    )
}

/// The SQL that computes an instance's status, with its parameters, and what it judges by.
pub(super) struct StatusSql {
    /// The status (`completed`, `stuck`, `running`) of the row of `instances` at hand.
    pub(super) expr: String,
    /// The end activities, then the limits of [`Self::stuck_before`].
    pub(super) params: Vec<SqlValue>,
    /// An expression of `last_activity`: the time before which an instance at that step is
    /// stuck (its parameters in `params`, after the end activities).
    pub(super) stuck_before: String,
    ends: usize,
    pub(super) latest: Option<Micros>,
    pub(super) clock: Clock,
    pub(super) limits: Arc<WaitLimits>,
}

impl StatusSql {
    /// The end activities, as parameters.
    pub(super) fn ends(&self) -> impl Iterator<Item = SqlValue> + '_ {
        self.params[..self.ends].iter().cloned()
    }

    /// The parameters of [`Self::stuck_before`].
    pub(super) fn limits(&self) -> impl Iterator<Item = SqlValue> + '_ {
        self.params[self.ends..].iter().cloned()
    }

    /// The condition on `instances` selecting those in status `wanted`, with its parameters.
    pub(super) fn condition(&self, wanted: InstanceStatus) -> (Vec<String>, Vec<SqlValue>) {
        let mut params = self.params.clone();
        params.push(SqlValue::Text(wanted.as_str().into()));
        (vec![format!("({}) = ?", self.expr)], params)
    }

    /// The time before which an instance is stuck wherever it stands.
    pub(super) fn stuck_everywhere_before(&self) -> Micros {
        self.clock.now.saturating_sub(self.limits.longest())
    }
}

impl EmbeddedStore {
    /// The conditions on `instances` for the status `cases` asks for (none without one), with
    /// their parameters.
    pub(super) fn judged(
        &self,
        conn: &Connection,
        cases: &CaseFilter,
    ) -> Result<(Vec<String>, Vec<SqlValue>), CollectorError> {
        match cases.status {
            Some(wanted) => Ok(self.status_sql(conn)?.condition(wanted)),
            None => Ok((Vec::new(), Vec::new())),
        }
    }

    /// The status expression as the store judges now.
    pub(super) fn status_sql(&self, conn: &Connection) -> Result<StatusSql, CollectorError> {
        let latest: Option<Micros> =
            conn.query_row("SELECT MAX(last_ts) FROM instances", [], |r| r.get(0))?;
        let clock = Clock::now(latest);
        let limits = self.limits.current(|| state::read_totals(conn))?;
        let ends = vec!["?"; self.rules.end_activities.len()].join(", ");
        let mut params: Vec<SqlValue> = self
            .rules
            .end_activities
            .iter()
            .map(|a| SqlValue::Text(a.clone()))
            .collect();
        let own = limits.own_limits();
        let otherwise = SqlValue::Integer(clock.now.saturating_sub(limits.otherwise()));
        let stuck_before = if own.is_empty() {
            params.push(otherwise);
            "?".to_string()
        } else {
            let mut case = String::from("CASE last_activity");
            for (step, within) in &own {
                case.push_str(" WHEN ? THEN ?");
                params.push(SqlValue::Text(step.clone()));
                params.push(SqlValue::Integer(clock.now.saturating_sub(*within)));
            }
            params.push(otherwise);
            case + " ELSE ? END"
        };
        Ok(StatusSql {
            expr: format!(
                "CASE WHEN last_activity IN ({ends}) THEN 'completed' WHEN last_ts < ({stuck_before}) THEN 'stuck' ELSE 'running' END"
            ),
            params,
            stuck_before,
            ends: self.rules.end_activities.len(),
            latest,
            clock,
            limits,
        })
    }
}
