//! Tables of the embedded store, created idempotently on open.

#[cfg(doc)]
use super::known_ids::KnownIds;
use crate::store::stable_hash::stable_hash;
use rusqlite::functions::FunctionFlags;
use rusqlite::Connection;

/// Schema version written to `PRAGMA user_version`.
const VERSION: i64 = 9;

/// The columns of `events`. `id_hash` is the [`stable_hash`] of the id: the writer holds the
/// hashes in memory with each event's `seq` (see [`KnownIds`]) instead of an index, since ids
/// arrive in random order and an index of them costs a page written per event.
const EVENTS: &str = "(
    seq        INTEGER PRIMARY KEY,
    id         TEXT NOT NULL,
    id_hash    INTEGER NOT NULL,
    instance   INTEGER,
    activity   TEXT NOT NULL,
    ts         INTEGER NOT NULL,
    source     TEXT NOT NULL,
    trace_id   TEXT,
    span_id    TEXT,
    keys       TEXT NOT NULL,
    attributes TEXT NOT NULL,
    lifecycle  TEXT,
    end_ts     INTEGER
)";

/// The columns of `keys`: appended as they come, found by the hash of their value.
const KEYS: &str = "(
    kind       TEXT NOT NULL,
    value      TEXT NOT NULL,
    instance   INTEGER NOT NULL,
    value_hash INTEGER NOT NULL
)";

/// The generation of instance id `$id`, in SQL: 65,536 consecutive instance ids, about half a
/// million keys of the order flow. Written once here, since a query uses the index by
/// generation only when it repeats the index's expression.
macro_rules! generation_of {
    ($id:literal) => {
        concat!("(", $id, " >> 16)")
    };
}

/// Keys are indexed by their instance's generation, then by the hash of their value. Instance
/// ids grow with time, so a batch's new keys land in the newest generation's part of the index
/// and a commit rewrites a bounded number of its pages. Indexed by hash alone they spread over
/// every page: a commit's writes grew with the history (4,000 of the 5,300 pages a batch of
/// 10,000 events wrote at a million events).
const KEYS_BY_GENERATION: &str = concat!(
    "CREATE INDEX IF NOT EXISTS keys_by_generation ON keys(",
    generation_of!("instance"),
    ", value_hash)"
);

/// The newest generation of keys (none in an empty store), read from the index of instances.
pub const NEWEST_KEY_GENERATION: &str =
    concat!("SELECT ", generation_of!("MAX(instance)"), " FROM keys");

/// A condition on `keys`: the value hashes to the next `?` parameter (its [`stable_hash`]).
/// The index by generation answers it with one probe per generation.
pub const KEY_VALUE_HASH_IS: &str = concat!(
    generation_of!("instance"),
    " IN (WITH RECURSIVE generation(n) AS (SELECT 0 UNION ALL SELECT n + 1 FROM generation WHERE n < (",
    "SELECT ",
    generation_of!("MAX(instance)"),
    " FROM keys)) SELECT n FROM generation) AND value_hash = ?"
);

/// A condition on `keys`: in generation `?1`, the value hashes to `?2`. One index probe.
pub const KEY_IN_GENERATION: &str =
    concat!(generation_of!("instance"), " = ?1 AND value_hash = ?2");

/// A condition on `keys`: in the generation of instance `?1` (where the keys of that
/// instance are), the value hashes to `?2`. One index probe.
pub const KEY_IN_GENERATION_OF: &str = concat!(
    generation_of!("instance"),
    " = ",
    generation_of!("?1"),
    " AND value_hash = ?2"
);

/// Page cache per connection, in KiB.
const CACHE_KIB: i64 = 128 << 10;

/// Sets durability pragmas and creates the tables if they are missing.
pub fn prepare(conn: &Connection) -> rusqlite::Result<()> {
    conn.pragma_update(None, "journal_mode", "WAL")?;
    // FULL: a commit is on disk when it returns, which is what "2xx means durable" needs.
    conn.pragma_update(None, "synchronous", "FULL")?;
    conn.pragma_update(None, "foreign_keys", false)?;
    // A large page cache and fewer, larger checkpoints: the index of key values, which arrive
    // in random order, otherwise re-reads and re-writes the same pages batch after batch.
    conn.pragma_update(None, "cache_size", -CACHE_KIB)?;
    conn.pragma_update(None, "wal_autocheckpoint", super::checkpoint::INLINE_FROM)?;
    conn.busy_timeout(std::time::Duration::from_secs(10))?;
    conn.create_scalar_function(
        "stable_hash",
        1,
        FunctionFlags::SQLITE_UTF8 | FunctionFlags::SQLITE_DETERMINISTIC,
        |ctx| Ok(stable_hash(ctx.get_raw(0).as_str()?)),
    )?;
    conn.execute_batch(&format!(
        "
        CREATE TABLE IF NOT EXISTS events {EVENTS};
        CREATE TABLE IF NOT EXISTS keys {KEYS};
        CREATE TABLE IF NOT EXISTS instances (
            id            INTEGER PRIMARY KEY,
            label         TEXT NOT NULL,
            events        INTEGER NOT NULL,
            first_ts      INTEGER NOT NULL,
            last_ts       INTEGER NOT NULL,
            last_activity TEXT NOT NULL
        );
        CREATE INDEX IF NOT EXISTS instances_by_last ON instances(last_ts);
        CREATE TABLE IF NOT EXISTS merges (
            survivor       INTEGER NOT NULL,
            absorbed       INTEGER NOT NULL,
            absorbed_label TEXT NOT NULL,
            by_event       TEXT NOT NULL
        );
        CREATE INDEX IF NOT EXISTS merges_by_survivor ON merges(survivor);
        CREATE TABLE IF NOT EXISTS links (
            kind_a    TEXT NOT NULL,
            value_a   TEXT NOT NULL,
            kind_b    TEXT NOT NULL,
            value_b   TEXT NOT NULL,
            qualifier TEXT NOT NULL,
            UNIQUE (kind_a, value_a, kind_b, value_b, qualifier)
        );
        CREATE TABLE IF NOT EXISTS dead_letters (
            topic     TEXT NOT NULL,
            partition INTEGER NOT NULL,
            offset    INTEGER NOT NULL,
            reason    TEXT NOT NULL,
            raw       BLOB NOT NULL,
            received  INTEGER NOT NULL,
            PRIMARY KEY (topic, partition, offset)
        );
        CREATE TABLE IF NOT EXISTS retired_keys (
            id    INTEGER PRIMARY KEY AUTOINCREMENT,
            key   INTEGER NOT NULL,
            kind  TEXT NOT NULL,
            value TEXT NOT NULL
        );
        CREATE TABLE IF NOT EXISTS sequence_rewinds (
            id    INTEGER PRIMARY KEY AUTOINCREMENT,
            below INTEGER NOT NULL
        );
        CREATE TABLE IF NOT EXISTS totals (events INTEGER NOT NULL, merges INTEGER NOT NULL DEFAULT 0);
        CREATE TABLE IF NOT EXISTS rules (text TEXT NOT NULL, saved INTEGER NOT NULL);
        CREATE TABLE IF NOT EXISTS models (text TEXT NOT NULL, saved INTEGER NOT NULL);
        CREATE TABLE IF NOT EXISTS object_attributes (
            kind  TEXT NOT NULL,
            value TEXT NOT NULL,
            name  TEXT NOT NULL,
            time  INTEGER NOT NULL,
            json  TEXT NOT NULL,
            PRIMARY KEY (kind, value, time, name)
        );
        "
    ))?;
    migrate(conn)?;
    conn.pragma_update(None, "user_version", VERSION)?;
    Ok(())
}

/// Brings a store written by an older version up to date, in place.
fn migrate(conn: &Connection) -> rusqlite::Result<()> {
    let version: i64 = conn.pragma_query_value(None, "user_version", |r| r.get(0))?;
    if version < 2 && !has_column(conn, "events", "lifecycle")? {
        // Version 2 keeps the lifecycle transition in its own column, so that service times
        // come from the covering index instead of parsing every event's attributes.
        conn.execute_batch(
            "ALTER TABLE events ADD COLUMN lifecycle TEXT;
             UPDATE events SET lifecycle = json_extract(attributes, '$.\"lifecycle:transition\"');",
        )?;
    }
    if version < 4 && !has_column(conn, "events", "end_ts")? {
        // Version 4 keeps when a span ended in its own column (service and waiting times),
        // and no longer summarises instances held together by trace ids alone: those are
        // uncorrelated until a business key joins them.
        conn.execute_batch(
            "ALTER TABLE events ADD COLUMN end_ts INTEGER;
             UPDATE events SET end_ts = json_extract(attributes, '$.\"span:end\"');
             DELETE FROM instances WHERE label LIKE 'trace=%';",
        )?;
    }
    if !has_column(conn, "keys", "value_hash")? {
        // Version 6 appends keys to a rowid table and finds them by a hash of the value.
        let copied = "kind, value, instance";
        rebuild(conn, "keys", KEYS, copied, ("value_hash", "value"))?;
    }
    if !has_column(conn, "events", "id_hash")? {
        // Version 6 finds an event id by its hash: the UNIQUE index of id texts goes.
        rebuild(
            conn,
            "events",
            EVENTS,
            "seq, id, instance, activity, ts, source, trace_id, span_id, keys, attributes, lifecycle, end_ts",
            ("id_hash", "id"),
        )?;
    }
    if !has_column(conn, "totals", "merges")? {
        conn.execute_batch("ALTER TABLE totals ADD COLUMN merges INTEGER NOT NULL DEFAULT 0;")?;
    }
    // Version 7 counts the events in `totals` as it stores them, where counting them took a
    // pass over an index. Counted again when a version that did not keep it wrote last.
    let counted: bool = conn.query_row("SELECT EXISTS (SELECT 1 FROM totals)", [], |r| r.get(0))?;
    if version < 7 || !counted {
        conn.execute_batch(
            "DELETE FROM totals;
             INSERT INTO totals (events, merges)
                 SELECT (SELECT COUNT(*) FROM events), (SELECT COUNT(*) FROM merges);",
        )?;
    }
    if version < 8 {
        // Version 8 counts the merges in `totals` too. A store last written by an older
        // version has a process state that version did not keep: it is built again.
        conn.execute_batch(
            "UPDATE totals SET merges = (SELECT COUNT(*) FROM merges);
             DROP TABLE IF EXISTS state_meta;",
        )?;
    }
    // Version 7 no longer indexes the id hashes (see [`KnownIds`]); version 9 indexes key
    // hashes by generation (see [`KEYS_BY_GENERATION`]).
    conn.execute_batch(KEYS_BY_GENERATION)?;
    conn.execute_batch(
        "CREATE INDEX IF NOT EXISTS keys_by_instance ON keys(instance);
         DROP INDEX IF EXISTS keys_by_value;
         DROP INDEX IF EXISTS events_by_id;
         DROP INDEX IF EXISTS events_by_instance;
         DROP INDEX IF EXISTS events_by_instance_v2;
         CREATE INDEX IF NOT EXISTS events_by_instance_v4 ON events(instance, ts, seq, activity, lifecycle, end_ts);
         CREATE INDEX IF NOT EXISTS events_keyless ON events(id_hash) WHERE instance IS NULL;
         CREATE INDEX IF NOT EXISTS events_keyless_by_time ON events(ts) WHERE instance IS NULL;",
    )
}

fn has_column(conn: &Connection, table: &str, column: &str) -> rusqlite::Result<bool> {
    conn.prepare("SELECT 1 FROM pragma_table_info(?1) WHERE name = ?2")?
        .exists([table, column])
}

/// Copies `table` into one with `columns`: the `copied` columns, and `hashed.0` filled with
/// the stable hash of column `hashed.1`. One transaction; the indexes are made again after.
fn rebuild(
    conn: &Connection,
    table: &str,
    columns: &str,
    copied: &str,
    (hash_column, of): (&str, &str),
) -> rusqlite::Result<()> {
    tracing::info!(
        table,
        "embedded store: rebuilding a table for schema version {VERSION}"
    );
    conn.execute_batch(&format!(
        "BEGIN IMMEDIATE;
         CREATE TABLE {table}_v{VERSION} {columns};
         INSERT INTO {table}_v{VERSION} ({copied}, {hash_column})
             SELECT {copied}, stable_hash({of}) FROM {table};
         DROP TABLE {table};
         ALTER TABLE {table}_v{VERSION} RENAME TO {table};
         COMMIT;"
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Commits `count` keys of instances from `first_instance` on, one key each; returns
    /// the pages the commit wrote to the log.
    fn commit_keys(conn: &mut Connection, first_instance: i64, count: i64) -> i64 {
        let tx = conn.transaction().unwrap();
        {
            let mut insert = tx
                .prepare("INSERT INTO keys (kind, value, instance, value_hash) VALUES ('order', ?1, ?2, ?3)")
                .unwrap();
            for instance in first_instance..first_instance + count {
                let value = format!("o-{instance}");
                insert
                    .execute(rusqlite::params![value, instance, stable_hash(&value)])
                    .unwrap();
            }
        }
        tx.commit().unwrap();
        let (_, log_pages, _): (i64, i64, i64) = conn
            .query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |r| {
                Ok((r.get(0)?, r.get(1)?, r.get(2)?))
            })
            .unwrap();
        log_pages
    }

    #[test]
    fn new_keys_rewrite_a_few_pages_of_the_key_index_whatever_its_size() {
        let dir = tempfile::tempdir().unwrap();
        let mut conn = Connection::open(dir.path().join("db")).unwrap();
        prepare(&conn).unwrap();
        let history = commit_keys(&mut conn, 0, 200_000);
        let batch = commit_keys(&mut conn, 200_000, 2_000);
        // The 2,000 keys take about 15 pages of rows and as many of each index; by hash alone
        // they fell on most of the index's 900 pages.
        assert!(
            batch < 100,
            "{batch} pages for 2,000 keys ({history} for the history)"
        );

        let find = format!("SELECT instance FROM keys WHERE {KEY_VALUE_HASH_IS} AND value = ?");
        for instance in [7_i64, 150_000, 201_999] {
            let value = format!("o-{instance}");
            let found: i64 = conn
                .query_row(&find, rusqlite::params![stable_hash(&value), value], |r| {
                    r.get(0)
                })
                .unwrap();
            assert_eq!(found, instance, "found in its generation");
            let of_instance: i64 = conn
                .query_row(
                    &format!("SELECT instance FROM keys WHERE {KEY_IN_GENERATION_OF}"),
                    rusqlite::params![instance, stable_hash(&value)],
                    |r| r.get(0),
                )
                .unwrap();
            assert_eq!(of_instance, instance, "found in its instance's generation");
        }
        let newest: i64 = conn
            .query_row(NEWEST_KEY_GENERATION, [], |r| r.get(0))
            .unwrap();
        assert_eq!(newest, 201_999 >> 16);
        // Each form of the lookup reaches the index, not a scan of every key.
        for sql in [
            format!("SELECT instance FROM keys WHERE {KEY_VALUE_HASH_IS}"),
            format!("SELECT instance FROM keys WHERE {KEY_IN_GENERATION}"),
            format!("SELECT instance FROM keys WHERE {KEY_IN_GENERATION_OF}"),
        ] {
            let mut explain = conn.prepare(&format!("EXPLAIN QUERY PLAN {sql}")).unwrap();
            let parameters = vec![1_i64; explain.parameter_count()];
            let plan: Vec<String> = explain
                .query_map(rusqlite::params_from_iter(parameters), |r| r.get(3))
                .unwrap()
                .collect::<Result<_, _>>()
                .unwrap();
            assert!(
                plan[0].starts_with("SEARCH keys USING INDEX keys_by_generation"),
                "{plan:?}"
            );
        }
    }
}
