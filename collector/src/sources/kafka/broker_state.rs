//! Whether the brokers can be reached, said once per change and then as reminders with
//! backoff: with the broker down librdkafka reports every failed connection attempt (400
//! lines in 10 s), which buries the UI's address and everything else a user needs to see.

use std::time::{Duration, Instant};

/// The first reminder comes this long after a failure was first said; each next one twice as
/// late, up to [`LONGEST_GAP`].
const FIRST_GAP: Duration = Duration::from_secs(30);

/// The longest time between two reminders of a failure that lasts.
const LONGEST_GAP: Duration = Duration::from_secs(600);

/// The brokers' reachability as last seen, and when to remind of a failure that lasts.
#[derive(Debug)]
pub struct BrokerState {
    reachable: Option<bool>,
    reason: Option<String>,
    since: Instant,
    next_reminder: Instant,
    gap: Duration,
}

impl Default for BrokerState {
    fn default() -> Self {
        let now = Instant::now();
        Self {
            reachable: None,
            reason: None,
            since: now,
            next_reminder: now,
            gap: FIRST_GAP,
        }
    }
}

impl BrokerState {
    /// Records a failure to reach the brokers for `reason`. Returns what to log: the failure
    /// when it is new, a reminder when one is due, nothing otherwise.
    pub fn failed(&mut self, reason: &str, now: Instant) -> Option<String> {
        self.reason = Some(reason.to_string());
        if self.reachable != Some(false) {
            self.reachable = Some(false);
            self.since = now;
            self.gap = FIRST_GAP;
            self.next_reminder = now + self.gap;
            return Some(format!("cannot reach the Kafka brokers: {reason}"));
        }
        if now < self.next_reminder {
            return None;
        }
        self.gap = (self.gap * 2).min(LONGEST_GAP);
        self.next_reminder = now + self.gap;
        Some(format!(
            "still cannot reach the Kafka brokers after {}s: {reason}",
            now.duration_since(self.since).as_secs()
        ))
    }

    /// Records that a broker answers. Returns what to log when that is news.
    pub fn reached(&mut self, now: Instant) -> Option<String> {
        let was = self.reachable.replace(true);
        self.reason = None;
        let news = match was {
            Some(true) => None,
            Some(false) => Some(format!(
                "the Kafka brokers are reachable again after {}s",
                now.duration_since(self.since).as_secs()
            )),
            None => Some("connected to the Kafka brokers".to_string()),
        };
        if news.is_some() {
            self.since = now;
        }
        news
    }

    /// Whether a broker answered last (`None` before anything was seen).
    pub fn reachable(&self) -> Option<bool> {
        self.reachable
    }

    /// Why the brokers cannot be reached, while they cannot.
    pub fn reason(&self) -> Option<&str> {
        self.reason.as_deref()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_lasting_failure_is_said_once_then_reminded_with_backoff() {
        let start = Instant::now();
        let mut state = BrokerState::default();
        let mut said = Vec::new();
        // One attempt every 25 ms for 10 minutes, as librdkafka reports them.
        for i in 0..24_000u64 {
            let now = start + Duration::from_millis(25 * i);
            said.extend(state.failed("connection refused", now));
        }
        assert_eq!(
            said[0],
            "cannot reach the Kafka brokers: connection refused"
        );
        let reminders: Vec<&String> = said[1..].iter().collect();
        assert!(
            reminders
                .iter()
                .all(|m| m.starts_with("still cannot reach")),
            "{reminders:?}"
        );
        // Reminders at 30 s, 90 s, 210 s and 450 s.
        assert_eq!(said.len(), 5, "{said:?}");
        assert_eq!(state.reachable(), Some(false));
        assert_eq!(state.reason(), Some("connection refused"));
        let back = state.reached(start + Duration::from_secs(601));
        assert_eq!(
            back.as_deref(),
            Some("the Kafka brokers are reachable again after 601s")
        );
        assert_eq!(state.reached(start + Duration::from_secs(602)), None);
        assert_eq!(state.reason(), None);
    }
}
