//! The ids of the stored events of the instances held in memory, as their stored hashes, so
//! that a new event (the common case) is known to be new without an index of the ids, and a
//! redelivered one is confirmed with a single row read.

use crate::correlate::InstanceId;
#[cfg(doc)]
use crate::store::stable_hash::stable_hash;
use foldhash::fast::RandomState;
use rusqlite::{params, Connection, OptionalExtension};
use std::collections::HashMap;

/// Each stored id's [`stable_hash`], with the position (`seq`) of a stored event that has it,
/// for the events of the instances in memory.
///
/// Ids arrive in random order, so an index of them costs a page written per new event; this
/// map replaces it. An event with keys belongs to an instance in memory (one whose key
/// reappears is brought back, with its ids, before its events are checked), so an id whose
/// hash is absent is certainly not stored; one whose hash is present is compared with the event
/// at the remembered position, and only when that is a different id with the same 64-bit hash
/// are the stored events searched. Events without keys are found through a partial index of
/// their own.
#[derive(Default)]
pub struct KnownIds {
    seq_of: HashMap<i64, i64, RandomState>,
    of_instance: HashMap<InstanceId, Vec<i64>, RandomState>,
}

impl KnownIds {
    /// Reads the id hashes and positions of the stored events of `instance`, brought back
    /// into memory.
    pub fn load_instance(
        &mut self,
        conn: &Connection,
        instance: InstanceId,
    ) -> rusqlite::Result<()> {
        let mut stmt =
            conn.prepare_cached("SELECT id_hash, seq FROM events WHERE instance = ?1")?;
        let rows = stmt
            .query_map([instance], |r| Ok((r.get(0)?, r.get(1)?)))?
            .collect::<rusqlite::Result<Vec<(i64, i64)>>>()?;
        self.extend(
            rows.into_iter()
                .map(|(hash, seq)| (hash, seq, Some(instance))),
        );
        Ok(())
    }

    /// Whether an event with `id`, whose [`stable_hash`] is `id_hash`, is stored; read
    /// through `conn` (the writer's transaction). `keyless`: the event carries no key.
    pub fn contains(
        &self,
        conn: &Connection,
        id: &str,
        id_hash: i64,
        keyless: bool,
    ) -> rusqlite::Result<bool> {
        if keyless {
            return conn
                .prepare_cached(
                    "SELECT 1 FROM events WHERE instance IS NULL AND id_hash = ?1 AND id = ?2",
                )?
                .exists(params![id_hash, id]);
        }
        let Some(&seq) = self.seq_of.get(&id_hash) else {
            return Ok(false);
        };
        let at_seq = conn
            .prepare_cached("SELECT id = ?2 FROM events WHERE seq = ?1")?
            .query_row(params![seq, id], |r| r.get::<_, bool>(0))
            .optional()?;
        if at_seq == Some(true) {
            return Ok(true);
        }
        // Another id with the same hash: search them all (unindexed, and about as rare as a
        // 64-bit collision).
        conn.prepare_cached("SELECT 1 FROM events WHERE id_hash = ?1 AND id = ?2")?
            .exists(params![id_hash, id])
    }

    /// Records committed events, each as its id's hash, its position and its instance (none:
    /// a keyless event, found through the index instead).
    pub fn extend(&mut self, stored: impl IntoIterator<Item = (i64, i64, Option<InstanceId>)>) {
        for (hash, seq, instance) in stored {
            if let Some(instance) = instance {
                self.seq_of.insert(hash, seq);
                self.of_instance.entry(instance).or_default().push(hash);
            }
        }
    }

    /// The events of `absorbed` now belong to `survivor`.
    pub fn merge(&mut self, survivor: InstanceId, absorbed: InstanceId) {
        if let Some(moved) = self.of_instance.remove(&absorbed) {
            self.of_instance.entry(survivor).or_default().extend(moved);
        }
    }

    /// Drops the ids of an instance leaving memory.
    pub fn forget(&mut self, instance: InstanceId) {
        for hash in self.of_instance.remove(&instance).unwrap_or_default() {
            self.seq_of.remove(&hash);
        }
    }

    /// Number of ids held.
    pub fn len(&self) -> usize {
        self.seq_of.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::stable_hash::stable_hash;

    /// Events as (seq, id, instance), stored with their ids' hashes (or `hash` for all).
    fn store(rows: &[(i64, &str, Option<i64>)], hash: Option<i64>) -> Connection {
        let conn = Connection::open_in_memory().unwrap();
        conn.execute_batch(
            "CREATE TABLE events (seq INTEGER PRIMARY KEY, id TEXT, id_hash INTEGER, instance INTEGER)",
        )
        .unwrap();
        for (seq, id, instance) in rows {
            let h = hash.unwrap_or_else(|| stable_hash(id));
            conn.execute(
                "INSERT INTO events VALUES (?1, ?2, ?3, ?4)",
                params![seq, id, h, instance],
            )
            .unwrap();
        }
        conn
    }

    fn contains(known: &KnownIds, conn: &Connection, id: &str, keyless: bool) -> bool {
        known.contains(conn, id, stable_hash(id), keyless).unwrap()
    }

    #[test]
    fn knows_the_ids_of_instances_brought_back_and_what_is_added() {
        let conn = store(
            &[(1, "a", Some(7)), (2, "b", Some(7)), (3, "k", None)],
            None,
        );
        let mut known = KnownIds::default();
        assert!(
            !contains(&known, &conn, "a", false),
            "instance 7 not in memory"
        );
        known.load_instance(&conn, 7).unwrap();
        assert!(contains(&known, &conn, "a", false) && contains(&known, &conn, "b", false));
        assert!(
            contains(&known, &conn, "k", true),
            "keyless ids are read from the store"
        );
        assert!(!contains(&known, &conn, "c", false));
        conn.execute(
            "INSERT INTO events VALUES (4, 'c', ?1, 8)",
            [stable_hash("c")],
        )
        .unwrap();
        assert!(!contains(&known, &conn, "c", false), "not recorded yet");
        known.extend([(stable_hash("c"), 4, Some(8))]);
        assert!(contains(&known, &conn, "c", false));
        known.merge(7, 8);
        known.forget(7);
        assert_eq!(known.len(), 0, "a merged instance's ids leave with it");
        assert!(!contains(&known, &conn, "c", false));
    }

    #[test]
    fn ids_sharing_a_hash_are_told_apart() {
        // Ids given one hash, as a 64-bit collision would: the map remembers one position.
        let hash = stable_hash("a");
        let conn = store(&[(1, "a", Some(1)), (2, "z", Some(1))], Some(hash));
        let mut known = KnownIds::default();
        known.load_instance(&conn, 1).unwrap();
        assert!(known.contains(&conn, "a", hash, false).unwrap());
        assert!(known.contains(&conn, "z", hash, false).unwrap());
        let only_z = store(&[(1, "z", Some(1))], Some(hash));
        let mut known = KnownIds::default();
        known.load_instance(&only_z, 1).unwrap();
        assert!(
            !known.contains(&only_z, "a", hash, false).unwrap(),
            "a new id with a stored id's hash"
        );
    }
}
