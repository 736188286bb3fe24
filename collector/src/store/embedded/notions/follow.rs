//! Following the store: the keys retention deleted leave, and the events stored since the
//! last pass join the steps of each key they carry, in one transaction of the notions'
//! database per pass (reading one snapshot of the store), with how far it got.
//!
//! Each key's steps are kept under its row in the store's `keys`, which stays the same
//! through merges. A key retention deleted and that comes back later has a new row: its
//! retirement is taken out first, so the events of the pass that carry it again start anew.

use super::suggest::{self, Change, Tracked};
use super::{notion_totals, KeyTrace};
use crate::store::embedded::schema::KEY_IN_GENERATION_OF;
use crate::store::embedded::state::{self, corrupt};
use crate::store::event_json::keys_from_json;
use crate::store::stable_hash::stable_hash;
use crate::CollectorError;
use foldhash::fast::RandomState;
use miner::discovery::ProcessAggregate;
use miner::log::Lifecycle;
use rusqlite::{params, OptionalExtension, Transaction};
use std::collections::HashMap;

/// A key: its kind and value.
pub type Key = (String, String);

/// The generation of key row `?1` in the index of attribute values: 65,536 consecutive key
/// rows, so that a pass's new values land in the newest generation's pages.
const GENERATION_OF_KEY: &str = "(?1 >> 16)";

/// Keys whose steps stay in memory between passes, at most; beyond, the memory is emptied.
const CACHED_KEYS: usize = 50_000;

/// The steps of recently changed keys, so that a pass adding to a busy key reads nothing back;
/// the notions' activity ids; and the attribute values suggested.
#[derive(Default)]
pub struct Memory {
    traces: HashMap<Key, KeyTrace, RandomState>,
    activities: HashMap<String, u32, RandomState>,
    suggested: Tracked,
}

impl Memory {
    /// Forgets everything (after a pass that failed, whose changes were rolled back).
    pub fn clear(&mut self) {
        self.traces.clear();
        self.activities.clear();
        self.suggested.clear();
    }

    fn activity(&mut self, tx: &Transaction<'_>, name: &str) -> Result<u32, CollectorError> {
        if let Some(&id) = self.activities.get(name) {
            return Ok(id);
        }
        let id = state::activity_id_in(tx, "notion_activities", name)?;
        self.activities.insert(name.to_string(), id);
        Ok(id)
    }

    /// The steps of `key`, stored with its row in the store's `keys` (the key of an event
    /// of `instance`); none for a key the store does not hold.
    fn load(
        &mut self,
        tx: &Transaction<'_>,
        key: &Key,
        instance: i64,
    ) -> Result<Option<KeyTrace>, CollectorError> {
        if let Some(trace) = self.traces.remove(key) {
            return Ok(Some(trace));
        }
        // A key is indexed by its instance's generation: the event's instance is the key's.
        let row: Option<i64> = tx
            .prepare_cached(&format!(
                "SELECT rowid FROM store.keys WHERE {KEY_IN_GENERATION_OF} AND kind = ?3 AND value = ?4"
            ))?
            .query_row(
                params![instance, stable_hash(&key.1), key.0, key.1],
                |r| r.get(0),
            )
            .optional()?;
        let Some(row) = row else {
            return Ok(None);
        };
        let stored: Option<(Vec<u8>, Vec<u8>, Vec<u8>)> = tx
            .prepare_cached("SELECT steps, firsts, attributes FROM notion_traces WHERE key = ?1")?
            .query_row([row], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
            .optional()?;
        Ok(Some(match stored {
            Some((steps, firsts, attributes)) => {
                KeyTrace::decode(row, [&steps, &firsts, &attributes])?
            }
            None => KeyTrace {
                row,
                ..Default::default()
            },
        }))
    }
}

/// What one pass changed: each touched key's steps before and after, the retired keys, and
/// the keyed events per activity.
#[derive(Default)]
struct Pass {
    touched: HashMap<Key, (Option<KeyTrace>, KeyTrace), RandomState>,
    /// Retired keys' kinds and steps as stored.
    retired: Vec<(String, KeyTrace)>,
    events: HashMap<u32, i64>,
    /// Attribute values new to a key: its row and the value's hash.
    attributes: Vec<(i64, i64)>,
    suggested: Change,
}

/// Where the last pass left off: the last event followed (by `seq`), the last retired key
/// taken out (by its row in `retired_keys`) and the last rewind of the sequence numbers
/// applied (by its row in `sequence_rewinds`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Progress {
    /// The `seq` of the last event followed.
    pub events: i64,
    /// The row of the last retired key taken out.
    pub retired: i64,
    /// The row of the last rewind applied.
    pub rewound: i64,
}

/// Reads where the last pass left off.
pub fn progress(tx: &Transaction<'_>) -> Result<Progress, CollectorError> {
    Ok(tx.query_row(
        "SELECT events, retired, rewound FROM notion_progress",
        [],
        |r| {
            Ok(Progress {
                events: r.get(0)?,
                retired: r.get(1)?,
                rewound: r.get(2)?,
            })
        },
    )?)
}

/// Applies the rewinds after row `after` to `events`: when retention deleted the newest
/// events, SQLite gives their sequence numbers again, so the events from the lowest number
/// a rewind names on are new. Returns the event to follow from and the last rewind's row.
fn rewind(tx: &Transaction<'_>, events: i64, after: i64) -> Result<(i64, i64), CollectorError> {
    let (lowest, last): (Option<i64>, Option<i64>) = tx
        .prepare_cached("SELECT MIN(below), MAX(id) FROM store.sequence_rewinds WHERE id > ?1")?
        .query_row([after], |r| Ok((r.get(0)?, r.get(1)?)))?;
    Ok((
        lowest.map_or(events, |below| events.min(below)),
        last.unwrap_or(after),
    ))
}

/// Takes out every key retired since the last pass, applies the rewinds of sequence numbers,
/// then follows up to `limit` events, in `tx`; returns whether anything was done.
pub fn pass(
    tx: &Transaction<'_>,
    memory: &mut Memory,
    limit: usize,
) -> Result<bool, CollectorError> {
    let from = progress(tx)?;
    let mut this = Pass::default();
    memory.suggested.load(tx)?;
    let retired = retire(tx, memory, &mut this, from.retired)?;
    let (after, rewound) = rewind(tx, from.events, from.rewound)?;
    let events = follow_events(tx, memory, &mut this, after, limit)?;
    let to = Progress {
        events,
        retired,
        rewound,
    };
    write(tx, memory, this)?;
    tx.execute(
        "UPDATE notion_progress SET events = ?1, retired = ?2, rewound = ?3",
        params![to.events, to.retired, to.rewound],
    )?;
    Ok(to != from)
}

/// One event followed: what makes its step, its keys, its instance and the hashes of its
/// attributes' values (see [`attribute_hash`]).
struct Followed {
    keys: String,
    activity: String,
    at: i64,
    lifecycle: Option<String>,
    end: Option<i64>,
    instance: Option<i64>,
    attributes: Vec<i64>,
}

/// The events after `after` (at most `limit`) in stored order, and the last one's `seq`.
/// Each attribute's value is read as text the way the attribute filter compares it.
fn read_events(
    tx: &Transaction<'_>,
    memory: &mut Memory,
    this: &mut Pass,
    after: i64,
    limit: usize,
) -> Result<(Vec<Followed>, i64), CollectorError> {
    let mut stmt = tx.prepare_cached(
        "SELECT e.seq, e.keys, e.activity, e.ts, e.lifecycle, e.end_ts, e.instance, j.key,
                CASE j.type WHEN 'true' THEN 'true' WHEN 'false' THEN 'false'
                ELSE CAST(j.value AS TEXT) END
         FROM (SELECT seq, keys, activity, ts, lifecycle, end_ts, instance, attributes
               FROM store.events WHERE seq > ?1 ORDER BY seq LIMIT ?2) e
         LEFT JOIN json_each(e.attributes) j ON j.type != 'null'
         ORDER BY e.seq",
    )?;
    let mut rows = stmt.query(params![after, limit as i64])?;
    let (mut events, mut last) = (Vec::<Followed>::new(), after);
    while let Some(row) = rows.next()? {
        let seq: i64 = row.get(0)?;
        if seq != last || events.is_empty() {
            last = seq;
            events.push(Followed {
                keys: row.get(1)?,
                activity: row.get(2)?,
                at: row.get(3)?,
                lifecycle: row.get(4)?,
                end: row.get(5)?,
                instance: row.get(6)?,
                attributes: Vec::new(),
            });
        }
        if let (Some(name), Some(value)) = (
            row.get_ref(7)?.as_str_or_null().map_err(corrupt)?,
            row.get_ref(8)?.as_str_or_null().map_err(corrupt)?,
        ) {
            let event = events.last_mut().expect("pushed above");
            let hash = attribute_hash(name, value);
            memory.suggested.saw(&mut this.suggested, name, value, hash);
            event.attributes.push(hash);
        }
    }
    Ok((events, last))
}

/// Adds the events after `after` (at most `limit`) to their keys' steps, their attributes to
/// the first key's; returns the last one's `seq`.
fn follow_events(
    tx: &Transaction<'_>,
    memory: &mut Memory,
    this: &mut Pass,
    after: i64,
    limit: usize,
) -> Result<i64, CollectorError> {
    let (events, last) = read_events(tx, memory, this, after, limit)?;
    for event in events {
        let Some(instance) = event.instance else {
            continue;
        };
        let mut keys: Vec<Key> = keys_from_json(&event.keys)?
            .into_iter()
            .map(|k| (k.kind, k.value))
            .collect();
        keys.sort_unstable();
        keys.dedup();
        let activity = memory.activity(tx, &event.activity)?;
        let lifecycle = Lifecycle::parse(event.lifecycle.as_deref());
        let mut counted = false;
        for key in keys {
            let (before, mut now) = match this.touched.remove(&key) {
                Some(entry) => entry,
                None => match memory.load(tx, &key, instance)? {
                    Some(stored) => (Some(stored.clone()).filter(|s| !s.is_new()), stored),
                    None => continue,
                },
            };
            let at_position = now
                .trace
                .insert_in_order(activity, event.at, lifecycle, event.end);
            now.firsts.insert(at_position, !counted);
            if !counted {
                for &hash in &event.attributes {
                    if let Err(at) = now.attributes.binary_search(&hash) {
                        now.attributes.insert(at, hash);
                        this.attributes.push((now.row, hash));
                        memory.suggested.held(&mut this.suggested, hash, 1);
                    }
                }
            }
            counted = true;
            this.touched.insert(key, (before, now));
        }
        if counted {
            *this.events.entry(activity).or_default() += 1;
        }
    }
    Ok(last)
}

/// Takes out the keys retired after row `after`; returns the row of the last one.
fn retire(
    tx: &Transaction<'_>,
    memory: &mut Memory,
    this: &mut Pass,
    after: i64,
) -> Result<i64, CollectorError> {
    let retired: Vec<(i64, Key, i64)> = tx
        .prepare_cached(
            "SELECT id, kind, value, key FROM store.retired_keys WHERE id > ?1 ORDER BY id",
        )?
        .query_map([after], |r| {
            Ok((r.get(0)?, (r.get(1)?, r.get(2)?), r.get(3)?))
        })?
        .collect::<Result<_, _>>()?;
    // Deleted now, not with the pass's other writes: SQLite gives a deleted key's row to the
    // next key, whose events this pass may follow.
    let mut forget = tx.prepare_cached(
        "DELETE FROM notion_traces WHERE key = ?1 RETURNING kind, steps, firsts, attributes",
    )?;
    let mut last = after;
    for (id, key, row) in retired {
        last = id;
        memory.traces.remove(&key);
        let stored = forget
            .query_row([row], |r| {
                Ok((r.get::<_, String>(0)?, r.get(1)?, r.get(2)?, r.get(3)?))
            })
            .optional()?;
        if let Some((kind, steps, firsts, attributes)) = stored {
            let (steps, firsts, attributes): (Vec<u8>, Vec<u8>, Vec<u8>) =
                (steps, firsts, attributes);
            let trace = KeyTrace::decode(row, [&steps, &firsts, &attributes])?;
            this.retired.push((kind, trace));
        }
    }
    Ok(last)
}

/// Writes a pass's changes: the touched keys' steps, the totals per kind, the keyed events.
fn write(tx: &Transaction<'_>, memory: &mut Memory, mut this: Pass) -> Result<(), CollectorError> {
    let mut change: HashMap<String, ProcessAggregate> = HashMap::new();
    let mut events = this.events;
    let mut keep = tx.prepare_cached(
        "INSERT INTO notion_traces (key, kind, steps, firsts, attributes, first_ts, last_ts)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)
         ON CONFLICT (key) DO UPDATE SET steps = excluded.steps, firsts = excluded.firsts,
             attributes = excluded.attributes, first_ts = excluded.first_ts,
             last_ts = excluded.last_ts",
    )?;
    let mut unlist = tx.prepare_cached(&format!(
        "DELETE FROM notion_attribute_values
         WHERE generation = {GENERATION_OF_KEY} AND hash = ?2 AND key = ?1"
    ))?;
    let mut list = tx.prepare_cached(&format!(
        "INSERT OR IGNORE INTO notion_attribute_values (generation, hash, key)
         VALUES ({GENERATION_OF_KEY}, ?2, ?1)"
    ))?;
    for (kind, stored) in this.retired {
        for &hash in &stored.attributes {
            unlist.execute(params![stored.row, hash])?;
            memory.suggested.held(&mut this.suggested, hash, -1);
        }
        change.entry(kind).or_default().remove(stored.trace.steps());
        for (i, &activity) in stored.trace.activities.iter().enumerate() {
            if stored.firsts[i] {
                *events.entry(activity).or_default() -= 1;
            }
        }
    }
    for (key, (before, now)) in &this.touched {
        let of_kind = change.entry(key.0.clone()).or_default();
        if let Some(before) = before {
            of_kind.remove(before.trace.steps());
        }
        of_kind.add(now.trace.steps());
        let [steps, firsts, attributes] = now.encode();
        let times = || now.trace.timestamps.iter().flatten();
        let (first, last) = (times().min(), times().max());
        keep.execute(params![
            now.row, key.0, steps, firsts, attributes, first, last
        ])?;
    }
    for (row, hash) in &this.attributes {
        list.execute(params![row, hash])?;
    }
    for (kind, change) in &change {
        notion_totals(kind).apply(tx, change)?;
    }
    suggest::write(tx, this.suggested)?;
    let mut count = tx.prepare_cached(
        "INSERT INTO notion_events (activity, n) VALUES (?1, ?2)
         ON CONFLICT (activity) DO UPDATE SET n = n + excluded.n",
    )?;
    for (activity, n) in events {
        count.execute(params![activity, n])?;
    }
    if memory.traces.len() + this.touched.len() > CACHED_KEYS {
        memory.traces.clear();
    }
    memory
        .traces
        .extend(this.touched.into_iter().map(|(key, (_, now))| (key, now)));
    Ok(())
}

impl KeyTrace {
    /// Whether no step of the key is stored yet.
    fn is_new(&self) -> bool {
        self.trace.activities.is_empty()
    }

    /// The steps, the bits saying which steps' events count here for the union, and the
    /// hashes of the attribute values of those events.
    pub fn encode(&self) -> [Vec<u8>; 3] {
        let mut bits = vec![0u8; self.firsts.len().div_ceil(8)];
        for (i, _) in self.firsts.iter().enumerate().filter(|(_, &f)| f) {
            bits[i / 8] |= 1 << (i % 8);
        }
        let attributes = self
            .attributes
            .iter()
            .flat_map(|h| h.to_le_bytes())
            .collect();
        [self.trace.encode(), bits, attributes]
    }

    /// The steps of key row `row`, written by [`KeyTrace::encode`].
    pub fn decode(row: i64, bytes: [&[u8]; 3]) -> Result<Self, CollectorError> {
        let mut key = Self::default();
        key.decode_into(row, bytes)?;
        Ok(key)
    }

    /// Reads the steps of key row `row` into this one, replacing what it held: a scan of many
    /// keys reuses one.
    pub fn decode_into(
        &mut self,
        row: i64,
        [steps, firsts, attributes]: [&[u8]; 3],
    ) -> Result<(), CollectorError> {
        self.trace.decode_into(steps)?;
        let len = self.trace.activities.len();
        if firsts.len() != len.div_ceil(8) || attributes.len() % 8 != 0 {
            return Err(CollectorError::Corrupt(
                "a key's steps and their marks differ in length".into(),
            ));
        }
        self.row = row;
        self.firsts.clear();
        self.firsts
            .extend((0..len).map(|i| firsts[i / 8] & (1 << (i % 8)) != 0));
        self.attributes.clear();
        self.attributes.extend(
            attributes
                .chunks_exact(8)
                .map(|b| i64::from_le_bytes(b.try_into().expect("eight bytes"))),
        );
        Ok(())
    }
}

/// The hash under which the value `value` (as text) of attribute `name` is indexed.
pub fn attribute_hash(name: &str, value: &str) -> i64 {
    stable_hash(&format!("{name}\u{0}{value}"))
}
