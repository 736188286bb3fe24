//! The ids of stored events, held in memory as hashes, so that a new event (the common case)
//! is known to be new without a lookup in the id index.

use foldhash::fast::RandomState;
use rusqlite::Connection;
use std::collections::HashSet;
use std::hash::BuildHasher;

/// A superset of the stored event ids: an id absent here is certainly not stored; an id
/// present may be (a hash collision, or an id of a batch that was rolled back) and is looked
/// up in the store to be sure.
pub struct KnownIds {
    hasher: RandomState,
    hashes: HashSet<u64, RandomState>,
}

impl KnownIds {
    /// Reads the ids of every stored event.
    pub fn load(conn: &Connection) -> rusqlite::Result<Self> {
        let mut known = Self {
            hasher: RandomState::default(),
            hashes: HashSet::default(),
        };
        let mut stmt = conn.prepare("SELECT id FROM events")?;
        let mut rows = stmt.query([])?;
        while let Some(row) = rows.next()? {
            let id = row.get_ref(0)?.as_str()?;
            known.insert(id);
        }
        Ok(known)
    }

    /// Whether `id` may be stored: `false` means certainly not.
    pub fn may_contain(&self, id: &str) -> bool {
        self.hashes.contains(&self.hasher.hash_one(id))
    }

    /// Records that `id` is (about to be) stored.
    pub fn insert(&mut self, id: &str) {
        self.hashes.insert(self.hasher.hash_one(id));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn knows_the_stored_ids_and_what_is_added() {
        let conn = Connection::open_in_memory().unwrap();
        conn.execute_batch(
            "CREATE TABLE events (id TEXT); INSERT INTO events VALUES ('a'), ('b');",
        )
        .unwrap();
        let mut known = KnownIds::load(&conn).unwrap();
        assert!(known.may_contain("a") && known.may_contain("b"));
        assert!(!known.may_contain("c"));
        known.insert("c");
        assert!(known.may_contain("c"));
    }
}
