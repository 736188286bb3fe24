//! The SQL of retention: finding what is older than the horizon, and deleting it by mutations
//! (`ALTER TABLE … DELETE`, which 18.16 runs in the background: the store waits for them).

use super::{state, Sql, Value};

/// How many events without a key are stored, and the newest one's time.
pub fn keyless_newest() -> Sql {
    Sql::new("SELECT count() AS n, max(ts) AS newest FROM events WHERE instance = 0")
}

/// Up to `limit` summarised instances whose last event is before `before`, oldest first.
pub fn old_instances(before: i64, limit: u64) -> Sql {
    let mut s = Sql::new("SELECT id FROM ");
    s.append(state::current_summaries(None).parenthesized())
        .push(" WHERE last_ts < ")
        .bind(Value::Int(before))
        .push(&format!(" ORDER BY last_ts, id LIMIT {limit}"));
    s
}

/// How many distinct events without a key are older than `before`.
pub fn old_keyless(before: i64) -> Sql {
    let mut s = Sql::new("SELECT uniqExact(id) FROM events WHERE instance = 0 AND ts < ");
    s.bind(Value::Int(before));
    s
}

/// Up to `limit` ids of events without a key older than `before`.
pub fn old_keyless_ids(before: i64, limit: u64) -> Sql {
    let mut s = Sql::new("SELECT DISTINCT id FROM events WHERE instance = 0 AND ts < ");
    s.bind(Value::Int(before)).push(&format!(" LIMIT {limit}"));
    s
}

/// The ids of the events stored under `members`.
pub fn ids_of(members: Vec<i64>) -> Sql {
    let mut s = Sql::new("SELECT DISTINCT id FROM events WHERE ");
    s.append(among("instance", members));
    s
}

/// Mutations still running in the current database (of one server).
pub fn running_mutations() -> Sql {
    Sql::new(
        "SELECT count() FROM system.mutations WHERE database = currentDatabase() AND is_done = 0",
    )
}

/// The condition that a row's `column` is one of `ids`.
fn among(column: &str, ids: Vec<i64>) -> Sql {
    let mut s = Sql::new(format!("{column} IN (SELECT toInt64(arrayJoin("));
    s.bind(Value::Ints(ids)).push(")))");
    s
}

/// Deletes the rows of `table` (a shard's own table) whose `column` is one of `ids`.
pub fn delete_rows_of(table: &str, column: &str, ids: Vec<i64>) -> Sql {
    let mut s = Sql::new(format!("ALTER TABLE {table} DELETE WHERE "));
    s.append(among(column, ids));
    s
}

/// Deletes the rows of `table` (a shard's own table) whose `id` is one of `ids`, among those
/// `also` selects (`1`: all).
pub fn delete_ids(table: &str, ids: Vec<String>, also: &str) -> Sql {
    let mut s = Sql::new(format!(
        "ALTER TABLE {table} DELETE WHERE {also} AND id IN (SELECT arrayJoin("
    ));
    s.bind(Value::Strs(ids)).push("))");
    s
}
