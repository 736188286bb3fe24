//! The ids of stored events, held in memory as their stored hashes, so that a new event (the
//! common case) is known to be new without a lookup in the id index.

#[cfg(doc)]
use super::stable_hash::stable_hash;
use foldhash::fast::RandomState;
use rusqlite::Connection;
use std::collections::HashSet;

/// A superset of the stored event ids: an id absent here is certainly not stored; an id
/// present may be (a hash collision, or an id of a batch that was rolled back) and is looked
/// up in the store to be sure.
pub struct KnownIds {
    hashes: HashSet<i64, RandomState>,
}

impl KnownIds {
    /// Reads the id hashes of every stored event.
    pub fn load(conn: &Connection) -> rusqlite::Result<Self> {
        let mut stmt = conn.prepare("SELECT id_hash FROM events")?;
        let hashes = stmt
            .query_map([], |r| r.get(0))?
            .collect::<rusqlite::Result<_>>()?;
        Ok(Self { hashes })
    }

    /// Whether an id with this [`stable_hash`] may be stored: `false` means certainly not.
    pub fn may_contain(&self, id_hash: i64) -> bool {
        self.hashes.contains(&id_hash)
    }

    /// Records that an id with this hash is (about to be) stored.
    pub fn insert(&mut self, id_hash: i64) {
        self.hashes.insert(id_hash);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::embedded::stable_hash::stable_hash;

    #[test]
    fn knows_the_stored_ids_and_what_is_added() {
        let conn = Connection::open_in_memory().unwrap();
        conn.execute_batch("CREATE TABLE events (id TEXT, id_hash INTEGER)")
            .unwrap();
        for id in ["a", "b"] {
            conn.execute(
                "INSERT INTO events VALUES (?1, ?2)",
                rusqlite::params![id, stable_hash(id)],
            )
            .unwrap();
        }
        let mut known = KnownIds::load(&conn).unwrap();
        let [a, b, c] = ["a", "b", "c"].map(stable_hash);
        assert!(known.may_contain(a) && known.may_contain(b));
        assert!(!known.may_contain(c));
        known.insert(c);
        assert!(known.may_contain(c));
    }
}
