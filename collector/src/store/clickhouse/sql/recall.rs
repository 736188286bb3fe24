//! The SQL that brings an instance back into the writer's memory when one of its keys
//! reappears: each lookup reads through the `correlation` table's primary key or, for the
//! members and keys of a few instances, one pass over the rows of one type.

use super::{Sql, Value};
use crate::store::clickhouse::schema::{KEY_ROW, ROOT_ROW};

/// The instance each stored key among `values` (any kind) was placed in, as `kind`, `value`,
/// `owner`.
pub fn stored_keys(values: Vec<String>) -> Sql {
    let mut s = Sql::new(format!(
        "SELECT key_kind AS kind, key_value AS value, argMax(instance, version) AS owner \
         FROM correlation WHERE row_type = {KEY_ROW} AND key_value IN (SELECT arrayJoin("
    ));
    s.bind(Value::Strs(values))
        .push(")) GROUP BY key_kind, key_value");
    s
}

/// The instance each of `ids` that was absorbed belongs to now.
pub fn roots_of(ids: Vec<i64>) -> Sql {
    let mut s = Sql::new(format!(
        "SELECT instance, argMax(other, version) AS root FROM correlation \
         WHERE row_type = {ROOT_ROW} AND key_value = '' AND instance IN (SELECT toInt64(arrayJoin("
    ));
    s.bind(Value::Ints(ids)).push("))) GROUP BY instance");
    s
}

/// The instances absorbed into each of `roots`, as `instance`, `root`.
pub fn members_of(roots: Vec<i64>) -> Sql {
    let mut s = Sql::new(format!(
        "SELECT instance, root FROM \
         (SELECT instance, argMax(other, version) AS root FROM correlation \
          WHERE row_type = {ROOT_ROW} GROUP BY instance) \
         WHERE root IN (SELECT toInt64(arrayJoin("
    ));
    s.bind(Value::Ints(roots)).push(")))");
    s
}

/// The keys stored under `members`, as `kind`, `value`, `owner` (the member).
pub fn keys_of(members: Vec<i64>) -> Sql {
    let mut s = Sql::new(format!(
        "SELECT DISTINCT key_kind AS kind, key_value AS value, instance AS owner FROM correlation \
         WHERE row_type = {KEY_ROW} AND instance IN (SELECT toInt64(arrayJoin("
    ));
    s.bind(Value::Ints(members)).push(")))");
    s
}

/// How many keys are stored (rows, an upper bound of the distinct keys).
pub fn count_keys() -> Sql {
    Sql::new(format!(
        "SELECT count() FROM correlation WHERE row_type = {KEY_ROW}"
    ))
}

/// The value of every stored key.
pub fn key_values() -> Sql {
    Sql::new(format!(
        "SELECT key_value FROM correlation WHERE row_type = {KEY_ROW}"
    ))
}
