//! Statistics built from keys' steps, one case per key, with only the activities the slider
//! keeps shown.

use super::kept::object_centric;
use super::pipeline::KeySink;
use super::KeyTrace;
use crate::store::embedded::state::Projected;
use crate::store::notion::one_kind;
use crate::CollectorError;
use foldhash::fast::RandomState;
use miner::discovery::ProcessStatsBuilder;
use miner::notion::ObjectCentric;
use std::collections::{HashMap, HashSet};

/// Statistics built from keys' steps, one case per key: per kind, and their union when
/// every kind is asked for.
pub struct Scan<'n> {
    names: &'n HashMap<u32, String>,
    /// Whether each stored activity id is shown, when the slider hides some.
    kept: Option<Vec<bool>>,
    /// Each kind met, in the order met: a few, so found by comparing names.
    per_kind: Vec<(String, Projected)>,
    union: bool,
    events: HashMap<u32, u64, RandomState>,
    /// The positions of the shown steps of the key being added.
    shown: Vec<usize>,
}

impl<'n> Scan<'n> {
    /// A scan of keys of one kind (`union` false) or of every kind, with only the activities
    /// `keep` shown when given; `names` names the notions' activity ids.
    pub fn new(names: &'n HashMap<u32, String>, keep: Option<&'n [String]>, union: bool) -> Self {
        let kept = keep.map(|keep| {
            let keep: HashSet<&str> = keep.iter().map(String::as_str).collect();
            let ids = names.keys().max().map_or(0, |&a| a as usize + 1);
            let mut kept = vec![false; ids];
            for (&a, name) in names {
                kept[a as usize] = keep.contains(name.as_str());
            }
            kept
        });
        Self {
            names,
            kept,
            per_kind: Vec::new(),
            union,
            events: HashMap::default(),
            shown: Vec::new(),
        }
    }

    /// Adds the keys `other` took (a scan of the same kinds and activities).
    pub fn merge(&mut self, other: Scan<'_>) {
        for (kind, built) in other.per_kind {
            match self.per_kind.iter_mut().find(|(k, _)| *k == kind) {
                Some((_, mine)) => mine.merge(&built),
                None => self.per_kind.push((kind, built)),
            }
        }
        for (activity, n) in other.events {
            *self.events.entry(activity).or_default() += n;
        }
    }

    /// The statistics of the keys added: of `kind`'s, or of every kind with their union.
    pub fn finish(self, kind: Option<&str>) -> ObjectCentric {
        if let Some(kind) = kind {
            let stats = self
                .per_kind
                .into_iter()
                .next()
                .map_or_else(|| ProcessStatsBuilder::new().finish(), |(_, s)| s.finish());
            return one_kind(kind, stats);
        }
        // Every kind's cases together: the kinds' statistics merged, rather than each key
        // added twice.
        let mut union = Projected::default();
        self.per_kind
            .iter()
            .for_each(|(_, built)| union.merge(built));
        let counts: HashMap<&str, u64> = self
            .events
            .iter()
            .map(|(a, &n)| (self.names.get(a).map_or("", String::as_str), n))
            .collect();
        let union = union
            .finish()
            .recounted(|activity| counts.get(activity).copied().unwrap_or(0));
        let per_kind = self
            .per_kind
            .into_iter()
            .map(|(kind, built)| (kind, built.finish()))
            .collect();
        object_centric(per_kind, union)
    }
}

/// Adding keys' steps to the statistics, one case per key.
impl KeySink for Scan<'_> {
    fn add(&mut self, kind: &[u8], key: &KeyTrace) -> Result<(), CollectorError> {
        let activities = &key.trace.activities;
        self.shown.clear();
        self.shown.extend((0..activities.len()).filter(|&i| {
            self.kept
                .as_ref()
                .is_none_or(|k| k.get(activities[i] as usize).copied().unwrap_or(false))
        }));
        let at = match self.per_kind.iter().position(|(k, _)| k.as_bytes() == kind) {
            Some(at) => at,
            None => {
                let kind = std::str::from_utf8(kind)
                    .map_err(|_| CollectorError::Corrupt("a key's kind is not text".into()))?;
                self.per_kind.push((kind.to_string(), Projected::default()));
                self.per_kind.len() - 1
            }
        };
        self.per_kind[at].1.add(&key.trace, &self.shown, self.names);
        if self.union {
            for &i in self.shown.iter().filter(|&&i| key.firsts[i]) {
                *self.events.entry(activities[i]).or_default() += 1;
            }
        }
        Ok(())
    }
}
