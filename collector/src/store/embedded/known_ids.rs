//! The ids of stored events, held in memory as their stored hashes, so that a new event (the
//! common case) is known to be new without an index of the ids, and a redelivered one is
//! confirmed with a single row read.

#[cfg(doc)]
use super::stable_hash::stable_hash;
use foldhash::fast::RandomState;
use rusqlite::{params, Connection, OptionalExtension};
use std::collections::HashMap;

/// Each stored id's [`stable_hash`], with the position (`seq`) of a stored event that has it.
///
/// Ids arrive in random order, so an index of them costs a page written per new event; this
/// map replaces it. An id whose hash is absent is certainly not stored; one whose hash is
/// present is compared with the event at the remembered position, and only when that is a
/// different id with the same 64-bit hash are the stored events searched.
pub struct KnownIds {
    seq_of: HashMap<i64, i64, RandomState>,
}

impl KnownIds {
    /// Reads the id hash and position of every stored event.
    pub fn load(conn: &Connection) -> rusqlite::Result<Self> {
        let mut stmt = conn.prepare("SELECT id_hash, seq FROM events")?;
        let seq_of = stmt
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
            .collect::<rusqlite::Result<_>>()?;
        Ok(Self { seq_of })
    }

    /// Whether an event with `id`, whose [`stable_hash`] is `id_hash`, is stored; read
    /// through `conn` (the writer's transaction).
    pub fn contains(&self, conn: &Connection, id: &str, id_hash: i64) -> rusqlite::Result<bool> {
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

    /// Records committed events, each as its id's hash and its position.
    pub fn extend(&mut self, stored: impl IntoIterator<Item = (i64, i64)>) {
        self.seq_of.extend(stored);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::embedded::stable_hash::stable_hash;

    fn store(rows: &[(i64, &str, i64)]) -> Connection {
        let conn = Connection::open_in_memory().unwrap();
        conn.execute_batch(
            "CREATE TABLE events (seq INTEGER PRIMARY KEY, id TEXT, id_hash INTEGER)",
        )
        .unwrap();
        for (seq, id, hash) in rows {
            conn.execute(
                "INSERT INTO events VALUES (?1, ?2, ?3)",
                params![seq, id, hash],
            )
            .unwrap();
        }
        conn
    }

    fn contains(known: &KnownIds, conn: &Connection, id: &str) -> bool {
        known.contains(conn, id, stable_hash(id)).unwrap()
    }

    #[test]
    fn knows_the_stored_ids_and_what_is_added() {
        let conn = store(&[(1, "a", stable_hash("a")), (2, "b", stable_hash("b"))]);
        let mut known = KnownIds::load(&conn).unwrap();
        assert!(contains(&known, &conn, "a") && contains(&known, &conn, "b"));
        assert!(!contains(&known, &conn, "c"));
        conn.execute("INSERT INTO events VALUES (3, 'c', ?1)", [stable_hash("c")])
            .unwrap();
        assert!(!contains(&known, &conn, "c"), "not recorded yet");
        known.extend([(stable_hash("c"), 3)]);
        assert!(contains(&known, &conn, "c"));
    }

    #[test]
    fn ids_sharing_a_hash_are_told_apart() {
        // Ids given one hash, as a 64-bit collision would: the map remembers one position.
        let hash = stable_hash("a");
        let conn = store(&[(1, "a", hash), (2, "z", hash)]);
        let known = KnownIds::load(&conn).unwrap();
        assert!(known.contains(&conn, "a", hash).unwrap());
        assert!(known.contains(&conn, "z", hash).unwrap());
        let only_z = store(&[(1, "z", hash)]);
        let known = KnownIds::load(&only_z).unwrap();
        assert!(
            !known.contains(&only_z, "a", hash).unwrap(),
            "a new id with a stored id's hash"
        );
    }
}
