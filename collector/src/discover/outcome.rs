//! What the applied rules make of the sample: how many instances, how many events stay
//! alone, and which event types end instances.

use super::families::Families;
use super::fields::Sample;
use super::judge::Linked;
use super::proposal::{EndActivity, Outcome};
use hashbrown::HashMap;
use miner::time::{parse_timestamp, Micros};

/// A type ends instances when at most this share of its events is followed by another.
const FOLLOWED_AT_MOST: f64 = 0.01;

/// The instances of `linked`, and the event types that end them.
pub fn outcome_of(
    sample: &Sample,
    families: &Families,
    time_field: Option<u32>,
    linked: &Linked,
) -> (Outcome, Vec<EndActivity>) {
    let mut instances: HashMap<u32, Vec<(Micros, u32)>> = HashMap::new();
    let mut outcome = Outcome::default();
    for index in 0..sample.messages.len() {
        if families.type_of[index].is_none() {
            continue;
        }
        if !linked.keyed[index] {
            outcome.uncorrelated_events += 1;
            continue;
        }
        outcome.correlated_events += 1;
        let time = time_field
            .and_then(|f| sample.value_in(index, f))
            .and_then(|v| time_of(&sample.values[v as usize]))
            .unwrap_or(Micros::MIN);
        let root = linked.instances.find(index as u32);
        instances
            .entry(root)
            .or_default()
            .push((time, index as u32));
    }
    outcome.instances = instances.len();
    let types = families.types.len();
    let (mut ends, mut followed, mut seen) = (vec![0; types], vec![0; types], vec![0; types]);
    for steps in instances.values_mut() {
        steps.sort_unstable();
        let kinds: Vec<usize> = steps
            .iter()
            .filter_map(|(_, m)| families.type_of[*m as usize])
            .map(|k| k as usize)
            .collect();
        for (i, &k) in kinds.iter().enumerate() {
            seen[k] += 1;
            if i + 1 < kinds.len() {
                followed[k] += 1;
            }
        }
        if let Some(&last) = kinds.last() {
            ends[last] += 1;
        }
    }
    let needed = if outcome.instances < 20 { 1 } else { 2 };
    let mut end_activities: Vec<EndActivity> = (0..types)
        .filter(|&k| ends[k] >= needed && followed[k] as f64 <= FOLLOWED_AT_MOST * seen[k] as f64)
        .map(|k| EndActivity {
            activity: families.types[k].clone(),
            ends: ends[k],
        })
        .collect();
    end_activities.sort_by(|a, b| b.ends.cmp(&a.ends).then(a.activity.cmp(&b.activity)));
    (outcome, end_activities)
}

/// A time as the mapping reads it: RFC 3339 text or epoch milliseconds.
fn time_of(text: &str) -> Option<Micros> {
    match text.parse::<i64>() {
        Ok(ms) => ms.checked_mul(1000),
        Err(_) => parse_timestamp(text).ok().map(|(t, _)| t),
    }
}
