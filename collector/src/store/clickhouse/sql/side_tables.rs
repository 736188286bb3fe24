//! Queries of the tables beside the events: key links, dead letters, object attributes and
//! the saved rules.

use super::{Sql, Value};

/// Every stored link, first stored first.
pub fn all_links() -> Sql {
    Sql::new(
        "SELECT kind_a, value_a, kind_b, value_b, qualifier, seq FROM links FINAL ORDER BY seq, kind_a, value_a, kind_b, value_b, qualifier",
    )
}

/// The newest saved configuration text.
pub fn saved_rules() -> Sql {
    Sql::new("SELECT text FROM rules ORDER BY saved DESC LIMIT 1")
}

/// The newest saved reference model.
pub fn saved_model() -> Sql {
    Sql::new("SELECT text FROM models ORDER BY saved DESC LIMIT 1")
}

/// Whether the store's database has a table of saved configurations yet.
pub fn has_rules_table(database: &str) -> Sql {
    let mut s =
        Sql::new("SELECT count() AS n FROM system.tables WHERE name = 'rules' AND database = ");
    s.bind(Value::Str(database.to_string()));
    s
}

/// Every object attribute value, the last kept per object, name and time.
pub fn object_attributes() -> Sql {
    Sql::new(
        "SELECT kind, value, name, time, json FROM object_attributes FINAL ORDER BY kind, value, time, name",
    )
}

/// The newest dead letters.
pub fn dead_letters(limit: u64) -> Sql {
    Sql::new(format!(
        "SELECT topic, msg_partition, msg_offset, reason, raw, received FROM dead_letters FINAL \
         ORDER BY received DESC, topic, msg_partition, msg_offset DESC LIMIT {limit}"
    ))
}

/// Which of the dead letters at `positions` (topic, partition, offset) are stored already.
pub fn stored_dead_letters(topics: Vec<String>, positions: Vec<String>) -> Sql {
    let mut s = Sql::new(
        "SELECT topic, msg_partition, msg_offset FROM dead_letters WHERE topic IN (SELECT arrayJoin(",
    );
    s.bind(Value::Strs(topics))
        .push(")) AND concat(topic, '/', toString(msg_partition), '/', toString(msg_offset)) IN (SELECT arrayJoin(")
        .bind(Value::Strs(positions))
        .push("))");
    s
}
