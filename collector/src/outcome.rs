//! How an ended instance ended: its outcome, kept apart from its status (an order cancelled
//! after a failed payment has ended, but not as one delivered). `[instances.outcomes]` names
//! the outcome of end activities; an end activity it does not name gets one from its name.

use crate::config::InstanceRules;

/// Words in an end activity's name that say it did not end well, and the outcome each means.
const NAMED_OUTCOMES: [(&str, &[&str]); 3] = [
    (
        "cancelled",
        &["cancel", "abort", "withdr", "terminat", "expire", "revoke"],
    ),
    ("rejected", &["reject", "declin", "denied", "deny", "refus"]),
    ("failed", &["fail", "error"]),
];

/// The outcome of an ordinary end.
pub const COMPLETED: &str = "completed";

/// The outcome of an instance whose last activity is `last`, by `rules`; none when `last` is
/// not an end activity (the instance has not ended).
pub fn outcome_of(rules: &InstanceRules, last: &str) -> Option<String> {
    if !rules.end_activities.iter().any(|a| a == last) {
        return None;
    }
    if let Some((outcome, _)) = rules
        .outcomes
        .iter()
        .find(|(_, activities)| activities.iter().any(|a| a == last))
    {
        return Some(outcome.clone());
    }
    let name = last.to_lowercase();
    let named = NAMED_OUTCOMES
        .iter()
        .find(|(_, words)| words.iter().any(|w| name.contains(w)))
        .map_or(COMPLETED, |(outcome, _)| outcome);
    Some(named.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rules(config: &str) -> InstanceRules {
        crate::CollectorConfig::parse(config).unwrap().instances
    }

    #[test]
    fn an_end_gets_its_configured_outcome_else_one_from_its_name() {
        let rules = rules(
            "[instances]\nend_activities = [\"OrderCompletedEvent\", \"OrderCancelledEvent\", \"A_DECLINED\", \"Returned\"]\n\
             [instances.outcomes]\nreturned = [\"Returned\"]",
        );
        let of = |a: &str| outcome_of(&rules, a);
        assert_eq!(of("OrderCompletedEvent").as_deref(), Some("completed"));
        assert_eq!(of("OrderCancelledEvent").as_deref(), Some("cancelled"));
        assert_eq!(of("A_DECLINED").as_deref(), Some("rejected"));
        assert_eq!(of("Returned").as_deref(), Some("returned"));
        assert_eq!(of("PaymentFailed"), None, "not an end activity: not ended");
    }

    #[test]
    fn an_outcome_naming_no_end_activity_is_refused() {
        let err = crate::CollectorConfig::parse(
            "[instances]\nend_activities = [\"Done\"]\n[instances.outcomes]\nlost = [\"Lost\"]",
        )
        .unwrap_err();
        assert!(
            err.contains("\"Lost\"") && err.contains("end_activities"),
            "{err}"
        );
    }
}
