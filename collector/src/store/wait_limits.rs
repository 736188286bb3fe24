//! How long an unfinished instance may stay at its last step before it is stuck, and the clock
//! its wait is measured against: what turns "stuck" from "idle for a while" into "waiting at
//! a step longer than that step's service level".
//!
//! A step's limit is, in order: its own `[[tracking.sla]]`; `[instances] stuck_after` when set
//! (one limit for every step); learned from history, the 95th percentile of the time from
//! that step to the next event of its instance, once at least [`MIN_LEARNED_WAITS`] such waits
//! were seen (and never under [`MIN_LEARNED_LIMIT`]); else [`FALLBACK_LIMIT`].

use crate::config::InstanceRules;
use miner::discovery::ProcessStats;
use miner::time::{Micros, DAY, MINUTE};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Data whose newest event is at most this old is live: waits are measured against the wall
/// clock. Older data is a historical log: waits are measured against its newest event.
pub const LIVE_WITHIN: Micros = 7 * DAY;

/// Fewest waits after a step before its limit is learned from them.
pub const MIN_LEARNED_WAITS: u64 = 20;

/// The shortest limit learning gives: a step whose waits are usually shorter is not called
/// stuck before this long on learning alone (a `[[tracking.sla]]` may say less).
pub const MIN_LEARNED_LIMIT: Micros = MINUTE;

/// The limit of a step nothing configures and too little history shows.
pub const FALLBACK_LIMIT: Micros = DAY;

/// How long learned limits are used before they are learned again from the store's state.
const RELEARN_AFTER: Duration = Duration::from_secs(60);

/// What waits are measured against.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ClockKind {
    /// The current time: events are arriving (the newest is recent).
    #[default]
    Wall,
    /// The newest event: a historical log, whose instances stopped when the log was cut.
    NewestEvent,
}

/// "Now" for judging waits, and where it comes from (pages say which).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Clock {
    /// The time waits end at.
    pub now: Micros,
    /// Whether it is the wall clock or the newest event.
    pub kind: ClockKind,
}

impl Clock {
    /// The clock for data whose newest event is `newest`, at wall-clock time `wall`: the wall
    /// clock while the data is live, the newest event for a historical log.
    pub fn judge(newest: Option<Micros>, wall: Micros) -> Self {
        match newest {
            Some(newest) if wall.saturating_sub(newest) > LIVE_WITHIN => Self {
                now: newest,
                kind: ClockKind::NewestEvent,
            },
            newest => Self {
                now: wall.max(newest.unwrap_or(wall)),
                kind: ClockKind::Wall,
            },
        }
    }

    /// The clock for data whose newest event is `newest`, now.
    pub fn now(newest: Option<Micros>) -> Self {
        Self::judge(newest, miner::time::now_micros())
    }
}

/// Where a step's limit comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "from")]
pub enum LimitSource {
    /// Its own `[[tracking.sla]]`.
    Configured,
    /// `[instances] stuck_after`, for every step.
    StuckAfter,
    /// The 95th percentile of `waits` waits after the step.
    Learned {
        /// How many waits it was learned from.
        waits: u64,
    },
    /// Nothing configured and too little history.
    Fallback,
}

/// How long an instance may stay at one step, and why.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct WaitLimit {
    /// The longest wait that is not a breach.
    pub within: Micros,
    /// Where it comes from.
    #[serde(flatten)]
    pub source: LimitSource,
}

impl WaitLimit {
    /// Where the limit comes from, in words.
    pub fn describe_source(&self) -> String {
        match self.source {
            LimitSource::Configured => "configured for this step".into(),
            LimitSource::StuckAfter => "stuck_after, for every step".into(),
            LimitSource::Learned { waits } => format!("learned: p95 of {waits} waits here"),
            LimitSource::Fallback => "default: too little history to learn".into(),
        }
    }
}

/// Every step's limit.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct WaitLimits {
    configured: HashMap<String, Micros>,
    stuck_after: Option<Micros>,
    learned: HashMap<String, (Micros, u64)>,
}

impl WaitLimits {
    /// The limits `rules` configure, with those learned from `history` (the statistics of
    /// every instance) for the other steps.
    pub fn new(rules: &InstanceRules, history: Option<&ProcessStats>) -> Self {
        let learned = match (rules.stuck_after, history) {
            (None, Some(stats)) => stats
                .activities
                .iter()
                .filter(|a| a.time_to_next.count >= MIN_LEARNED_WAITS)
                .map(|a| {
                    let waits = &a.time_to_next;
                    (
                        a.name.clone(),
                        (waits.p95.max(MIN_LEARNED_LIMIT), waits.count),
                    )
                })
                .collect(),
            _ => HashMap::new(),
        };
        Self {
            configured: rules
                .step_limits
                .iter()
                .map(|s| (s.step.clone(), s.within))
                .collect(),
            stuck_after: rules.stuck_after,
            learned,
        }
    }

    /// Whether limits are learned from history (no `stuck_after` to apply everywhere).
    pub fn learns(rules: &InstanceRules) -> bool {
        rules.stuck_after.is_none()
    }

    /// The limit of `step`.
    pub fn of(&self, step: &str) -> WaitLimit {
        if let Some(&within) = self.configured.get(step) {
            return WaitLimit {
                within,
                source: LimitSource::Configured,
            };
        }
        if let Some(within) = self.stuck_after {
            return WaitLimit {
                within,
                source: LimitSource::StuckAfter,
            };
        }
        match self.learned.get(step) {
            Some(&(within, waits)) => WaitLimit {
                within,
                source: LimitSource::Learned { waits },
            },
            None => WaitLimit {
                within: FALLBACK_LIMIT,
                source: LimitSource::Fallback,
            },
        }
    }

    /// The steps whose limit differs from [`Self::otherwise`], with their limits, by name: what
    /// a store's status expression spells out.
    pub fn own_limits(&self) -> Vec<(String, Micros)> {
        let otherwise = self.otherwise();
        let mut steps: Vec<(String, Micros)> = self
            .configured
            .keys()
            .chain(self.learned.keys())
            .map(|step| (step.clone(), self.of(step).within))
            .filter(|(_, within)| *within != otherwise)
            .collect();
        steps.sort();
        steps.dedup();
        steps
    }

    /// The limit of every step not in [`Self::own_limits`].
    pub fn otherwise(&self) -> Micros {
        self.stuck_after.unwrap_or(FALLBACK_LIMIT)
    }

    /// The longest limit of any step: instances idle longer are stuck wherever they stand.
    pub fn longest(&self) -> Micros {
        self.own_limits()
            .into_iter()
            .map(|(_, within)| within)
            .fold(self.otherwise(), Micros::max)
    }
}

/// The limits a store judges by, learned again from its state once they are older than
/// [`RELEARN_AFTER`]: judging a page costs no statistics, whatever the history.
pub struct LimitsCache {
    rules: InstanceRules,
    learned: Mutex<Option<(Instant, Arc<WaitLimits>)>>,
}

impl LimitsCache {
    /// Limits by `rules`.
    pub fn new(rules: &InstanceRules) -> Self {
        Self {
            rules: rules.clone(),
            learned: Mutex::new(None),
        }
    }

    /// The limits now; `history` gives the statistics of every instance when they are to be
    /// learned again.
    pub fn current<E>(
        &self,
        history: impl FnOnce() -> Result<ProcessStats, E>,
    ) -> Result<Arc<WaitLimits>, E> {
        if !WaitLimits::learns(&self.rules) {
            return Ok(Arc::new(WaitLimits::new(&self.rules, None)));
        }
        let mut learned = self.learned.lock().unwrap_or_else(|e| e.into_inner());
        if let Some((at, limits)) = learned.as_ref() {
            if at.elapsed() < RELEARN_AFTER {
                return Ok(limits.clone());
            }
        }
        let limits = Arc::new(WaitLimits::new(&self.rules, Some(&history()?)));
        *learned = Some((Instant::now(), limits.clone()));
        Ok(limits)
    }

    /// Forgets the learned limits, so that the next judgement learns them from the history as
    /// it is now (after a large import, or in tests).
    pub fn relearn(&self) {
        *self.learned.lock().unwrap_or_else(|e| e.into_inner()) = None;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::StepSla;
    use miner::log::EventLogBuilder;
    use miner::time::{HOUR, SECOND};

    fn history(waits_after_pick: &[Micros]) -> ProcessStats {
        let mut log = EventLogBuilder::new();
        for (n, wait) in waits_after_pick.iter().enumerate() {
            log.start_case(format!("c{n}"));
            log.push_event("Pick", Some(0));
            log.push_event("Ship", Some(*wait));
        }
        ProcessStats::from_log(&log.build())
    }

    fn learned_p95(stats: &ProcessStats, step: &str) -> Micros {
        let i = stats.index_of(step).unwrap();
        stats.activities[i].time_to_next.p95
    }

    #[test]
    fn a_configured_step_wins_then_stuck_after_then_history() {
        let waits: Vec<Micros> = (1..=40).map(|n| n * HOUR).collect();
        let mut rules = InstanceRules {
            step_limits: vec![StepSla {
                step: "Ship".into(),
                within: 2 * HOUR,
            }],
            ..InstanceRules::default()
        };
        let learned = WaitLimits::new(&rules, Some(&history(&waits)));
        assert_eq!(learned.of("Ship").source, LimitSource::Configured);
        assert_eq!(learned.of("Ship").within, 2 * HOUR);
        let pick = learned.of("Pick");
        assert_eq!(pick.source, LimitSource::Learned { waits: 40 });
        assert_eq!(pick.within, learned_p95(&history(&waits), "Pick"));
        assert_eq!(learned.of("Unseen").source, LimitSource::Fallback);
        assert_eq!(learned.longest(), pick.within.max(FALLBACK_LIMIT));

        rules.stuck_after = Some(3 * HOUR);
        let everywhere = WaitLimits::new(&rules, Some(&history(&waits)));
        assert_eq!(everywhere.of("Pick").source, LimitSource::StuckAfter);
        assert_eq!(everywhere.of("Ship").within, 2 * HOUR);
        assert_eq!(everywhere.own_limits(), [("Ship".to_string(), 2 * HOUR)]);
    }

    #[test]
    fn learning_needs_enough_waits_and_gives_at_least_a_minute() {
        let rules = InstanceRules::default();
        let few = WaitLimits::new(&rules, Some(&history(&[HOUR; 5])));
        assert_eq!(few.of("Pick").source, LimitSource::Fallback);
        let quick = WaitLimits::new(&rules, Some(&history(&[SECOND; 30])));
        assert_eq!(quick.of("Pick").within, MIN_LEARNED_LIMIT);
    }

    #[test]
    fn live_data_is_judged_by_the_wall_clock_and_a_historical_log_by_its_newest_event() {
        let wall = 1_800_000_000 * SECOND;
        assert_eq!(
            Clock::judge(Some(wall - HOUR), wall),
            Clock {
                now: wall,
                kind: ClockKind::Wall
            }
        );
        let old = wall - 30 * DAY;
        assert_eq!(
            Clock::judge(Some(old), wall),
            Clock {
                now: old,
                kind: ClockKind::NewestEvent
            }
        );
        // An event from a clock ahead of ours is not in the future of "now".
        assert_eq!(Clock::judge(Some(wall + SECOND), wall).now, wall + SECOND);
        assert_eq!(Clock::judge(None, wall).kind, ClockKind::Wall);
    }
}
