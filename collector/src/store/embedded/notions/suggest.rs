//! The attribute values the filter bar suggests, kept as the thread follows the events, from
//! the whole history: each value of an attribute with few values, with how many keys hold it
//! (in step with the index of attribute values, so retention takes it out), and each attribute
//! with many values (an amount, a reference) by its name alone. Bounded: [`NAMES_AT_MOST`]
//! names, [`VALUES_PER_NAME`] values each.

use crate::store::suggest::is_bookkeeping;
use crate::CollectorError;
use foldhash::fast::RandomState;
use rusqlite::{params, Connection, Transaction};
use std::collections::HashMap;

/// Values an attribute may have and still be suggested value by value.
pub const VALUES_PER_NAME: i64 = 20;

/// Attribute names kept at most; the names seen after are not suggested.
const NAMES_AT_MOST: usize = 200;

/// The suggestions' tables (see the notions' tables).
pub const TABLES: &str = "
    CREATE TABLE IF NOT EXISTS notion_suggested_names (
        name TEXT PRIMARY KEY, values_seen INTEGER NOT NULL) WITHOUT ROWID;
    CREATE TABLE IF NOT EXISTS notion_suggested_values (
        hash INTEGER PRIMARY KEY, name TEXT NOT NULL, value TEXT NOT NULL,
        keys INTEGER NOT NULL);
";

/// The names and values kept, as stored, once read.
#[derive(Default)]
pub struct Tracked {
    loaded: bool,
    /// Each name's distinct values seen: beyond [`VALUES_PER_NAME`], its values are not kept.
    names: HashMap<String, i64, RandomState>,
    /// The values kept, by hash, with their attribute's name.
    values: HashMap<i64, String, RandomState>,
}

/// What one pass changes in the suggestions.
#[derive(Default)]
pub struct Change {
    /// Values seen for the first time: hash, name, value.
    values: Vec<(i64, String, String)>,
    /// The names whose count of values seen changed, with the new count.
    names: HashMap<String, i64, RandomState>,
    /// The change in the keys holding each value kept, by hash.
    keys: HashMap<i64, i64, RandomState>,
}

impl Tracked {
    /// Reads what is kept, unless already read.
    pub fn load(&mut self, tx: &Transaction<'_>) -> Result<(), CollectorError> {
        if self.loaded {
            return Ok(());
        }
        let mut names =
            tx.prepare_cached("SELECT name, values_seen FROM notion_suggested_names")?;
        self.names = names
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
            .collect::<Result<_, _>>()?;
        let mut values = tx.prepare_cached("SELECT hash, name FROM notion_suggested_values")?;
        self.values = values
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
            .collect::<Result<_, _>>()?;
        self.loaded = true;
        Ok(())
    }

    /// Forgets what was read (after a pass that failed).
    pub fn clear(&mut self) {
        *self = Self::default();
    }

    /// Notes that an event has the value `value` (hashed `hash`) of attribute `name`.
    pub fn saw(&mut self, change: &mut Change, name: &str, value: &str, hash: i64) {
        if self.values.contains_key(&hash) || is_bookkeeping(name) {
            return;
        }
        if !self.names.contains_key(name) {
            if self.names.len() >= NAMES_AT_MOST {
                return;
            }
            self.names.insert(name.to_string(), 0);
        }
        let seen = self.names.get_mut(name).expect("inserted above");
        if *seen > VALUES_PER_NAME {
            return;
        }
        *seen += 1;
        change.names.insert(name.to_string(), *seen);
        if *seen > VALUES_PER_NAME {
            // Too many values to suggest one by one: the name alone is.
            self.values.retain(|_, of| of != name);
        } else {
            self.values.insert(hash, name.to_string());
            change
                .values
                .push((hash, name.to_string(), value.to_string()));
        }
    }

    /// Notes that `by` more keys (fewer when negative) hold the value hashed `hash`.
    pub fn held(&self, change: &mut Change, hash: i64, by: i64) {
        if self.values.contains_key(&hash) {
            *change.keys.entry(hash).or_default() += by;
        }
    }
}

/// Writes a pass's change.
pub fn write(tx: &Transaction<'_>, change: Change) -> Result<(), CollectorError> {
    let mut value = tx.prepare_cached(
        "INSERT INTO notion_suggested_values (hash, name, value, keys) VALUES (?1, ?2, ?3, 0)",
    )?;
    for (hash, name, text) in &change.values {
        value.execute(params![hash, name, text])?;
    }
    let mut keys =
        tx.prepare_cached("UPDATE notion_suggested_values SET keys = keys + ?2 WHERE hash = ?1")?;
    for (hash, by) in &change.keys {
        keys.execute(params![hash, by])?;
    }
    let mut name = tx.prepare_cached(
        "INSERT INTO notion_suggested_names (name, values_seen) VALUES (?1, ?2)
         ON CONFLICT (name) DO UPDATE SET values_seen = excluded.values_seen",
    )?;
    let mut many = tx.prepare_cached("DELETE FROM notion_suggested_values WHERE name = ?1")?;
    for (of, seen) in &change.names {
        name.execute(params![of, seen])?;
        if *seen > VALUES_PER_NAME {
            many.execute([of])?;
        }
    }
    Ok(())
}

/// Up to `limit` suggestions, `name=value`: the values some key holds, the most held first,
/// then the names with many values, `name=`.
pub fn read(conn: &Connection, limit: usize) -> Result<Vec<String>, CollectorError> {
    let mut stmt = conn.prepare_cached(
        "SELECT name || '=' || value FROM (
             SELECT name, value, keys, 0 AS many FROM notion_suggested_values WHERE keys > 0
             UNION ALL
             SELECT name, '', 0, 1 FROM notion_suggested_names WHERE values_seen > ?1)
         ORDER BY many, keys DESC, name, value LIMIT ?2",
    )?;
    let suggested = stmt
        .query_map(params![VALUES_PER_NAME, limit as i64], |r| r.get(0))?
        .collect::<Result<_, _>>()?;
    Ok(suggested)
}
