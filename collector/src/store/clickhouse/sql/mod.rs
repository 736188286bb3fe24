//! The SQL the ClickHouse store issues, built as text with `?` placeholders and their values
//! in order. Kept apart from running it, so the same statements can be checked on another
//! ClickHouse engine (see the chdb test).
//!
//! There are no CTEs in ClickHouse 18.16, so shared parts are functions returning subqueries.

pub mod recall;
pub mod retention;
mod side_tables;
pub mod state;
mod stats;
mod status;

pub use side_tables::{
    all_links, dead_letters, has_rules_table, object_attributes, saved_model, saved_rules,
    stored_dead_letters,
};
pub use stats::{has_lifecycle_starts, item, stats_items, VARIANT_SEPARATOR};
pub use status::StatusRule;

use super::schema::{KEY_ROW, LABEL_ROW, MERGE_ROW, ROOT_ROW};
use crate::store::effects::TRACE_LABEL;
use crate::store::{CaseIds, InstanceOrder, InstanceStatus};
use miner::log::BusinessKey;

/// A value bound to a `?` placeholder.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// A string.
    Str(String),
    /// An integer.
    Int(i64),
    /// An array of strings.
    Strs(Vec<String>),
    /// An array of integers.
    Ints(Vec<i64>),
}

/// A statement being built: text and the values of its placeholders, in order.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Sql {
    /// The text, with one `?` per value.
    pub text: String,
    /// The values.
    pub values: Vec<Value>,
}

impl Sql {
    /// A statement starting with `text`.
    pub fn new(text: impl Into<String>) -> Self {
        Self {
            text: text.into(),
            values: Vec::new(),
        }
    }

    /// Appends text.
    pub fn push(&mut self, text: &str) -> &mut Self {
        self.text.push_str(text);
        self
    }

    /// Appends a placeholder for `value`.
    pub fn bind(&mut self, value: Value) -> &mut Self {
        self.text.push('?');
        self.values.push(value);
        self
    }

    /// Appends another statement (as a subquery, say) with its values.
    pub fn append(&mut self, other: Sql) -> &mut Self {
        self.text.push_str(&other.text);
        self.values.extend(other.values);
        self
    }

    /// The statement wrapped as `(…)`.
    fn parenthesized(self) -> Sql {
        let mut s = Sql::new("(");
        s.append(self).push(")");
        s
    }
}

/// Each instance that was absorbed and the instance it belongs to now.
fn roots_now() -> String {
    format!("SELECT instance, argMax(other, version) AS root FROM correlation WHERE row_type = {ROOT_ROW} GROUP BY instance")
}

/// Each business key and the instance it belongs to now.
fn keys_now() -> String {
    format!(
        "SELECT kind, value, resolved AS instance FROM \
         (SELECT kind, value, if(root = 0, instance, root) AS resolved FROM \
          (SELECT key_kind AS kind, key_value AS value, argMax(instance, version) AS instance \
           FROM correlation WHERE row_type = {KEY_ROW} GROUP BY key_kind, key_value) AS graph \
          ANY LEFT JOIN ({}) AS roots USING instance)",
        roots_now()
    )
}

/// Each instance's current label.
fn labels_now() -> String {
    format!("SELECT instance AS case_id, argMax(label, version) AS label FROM correlation WHERE row_type = {LABEL_ROW} GROUP BY instance")
}

/// The condition on `label` that an instance is summarised (held together by a business key).
fn business_label(column: &str) -> String {
    format!(
        "{column} != '' AND substring({column}, 1, {}) != '{TRACE_LABEL}'",
        TRACE_LABEL.len()
    )
}

/// Events (deduplicated) with `case_id`, the instance they belong to now (0: no key).
/// Events with `case_id`, the instance they belong to now (0: no key). With `modifier` FINAL
/// redelivered copies are folded; without, the query folds them itself (cheaper).
fn events_with_case(columns: &str, modifier: &str) -> String {
    format!(
        "SELECT if(root = 0, instance, root) AS case_id, {columns} FROM events {modifier} ANY LEFT JOIN ({}) AS roots USING instance",
        roots_now()
    )
}

/// Summaries with their `status` column.
fn summaries_with_status(rule: &StatusRule<'_>, active_since: Option<i64>) -> Sql {
    let mut s = Sql::new("SELECT id, label, events, first_ts, last_ts, last_activity, multiIf(");
    rule.push_ended(&mut s);
    s.push(", 'completed', last_ts < ");
    rule.push_stuck_before(&mut s);
    s.push(", 'stuck', 'running') AS status FROM ")
        .append(state::current_summaries(active_since).parenthesized());
    s
}

/// Which instances an instance query selects.
#[derive(Debug, Clone, Copy, Default)]
pub struct InstanceFilter<'a> {
    /// `value` or `kind=value` of a key the instance carries.
    pub search: Option<&'a str>,
    /// Only this status (`completed`, `running`, `stuck`).
    pub status: Option<&'a str>,
    /// Only unfinished instances whose last step is this activity.
    pub at_step: Option<&'a str>,
    /// Only instances whose last event is at or after this time (read first by one column).
    pub active_since: Option<i64>,
    /// Only instances carrying this key.
    pub key: Option<&'a BusinessKey>,
    /// Only instances with an event whose attribute (the first) has this value.
    pub attribute: Option<(&'a str, &'a str)>,
    /// Only instances whose steps match: none, no such filter; `Some(None)`, the filter names
    /// an activity never seen, so no instance has it.
    pub steps: Option<Option<&'a CaseIds>>,
}

fn filtered_summaries(rule: &StatusRule<'_>, filter: &InstanceFilter<'_>) -> Sql {
    let mut s = Sql::new("SELECT * FROM ");
    s.append(summaries_with_status(rule, filter.active_since).parenthesized())
        .push(" WHERE 1");
    if let Some(search) = filter.search {
        s.push(" AND id IN ");
        match search.split_once('=') {
            Some((kind, value)) => {
                s.append(carrying(&BusinessKey::new(kind.trim(), value.trim())));
            }
            None => {
                s.push("(SELECT instance FROM (")
                    .push(&keys_now())
                    .push(") WHERE value = ")
                    .bind(Value::Str(search.into()))
                    .push(")");
            }
        }
    }
    if let Some(key) = filter.key {
        s.push(" AND id IN ").append(carrying(key));
    }
    if let Some((name, value)) = filter.attribute {
        s.push(" AND id IN ").append(with_attribute(name, value));
    }
    if let Some(status) = filter.status {
        s.push(" AND status = ").bind(Value::Str(status.into()));
    }
    if let Some(step) = filter.at_step {
        s.push(" AND status != 'completed' AND last_activity = ")
            .bind(Value::Str(step.into()));
    }
    match filter.steps {
        None => {}
        Some(Some(steps)) => {
            s.push(" AND id IN ")
                .append(state::instances_with(steps).parenthesized());
        }
        Some(None) => {
            s.push(" AND 0");
        }
    }
    s
}

/// The instances with an event whose attribute `name` is `value` (a string unescaped, any
/// other value as JSON writes it), as a parenthesized subquery.
fn with_attribute(name: &str, value: &str) -> Sql {
    let mut s = Sql::new("(SELECT case_id FROM (");
    s.push(&events_with_case("attributes", "FINAL"))
        .push(") WHERE visitParamExtractString(attributes, ")
        .bind(Value::Str(name.into()))
        .push(") = ")
        .bind(Value::Str(value.into()))
        .push(" OR visitParamExtractRaw(attributes, ")
        .bind(Value::Str(name.into()))
        .push(") = ")
        .bind(Value::Str(value.into()))
        .push(")");
    s
}

/// The instances in `status` by `rule` now, as a parenthesized subquery.
fn in_status(rule: &StatusRule<'_>, status: InstanceStatus) -> Sql {
    let mut s = Sql::new("(SELECT id FROM ");
    s.append(summaries_with_status(rule, None).parenthesized())
        .push(" WHERE status = ")
        .bind(Value::Str(status.as_str().into()))
        .push(")");
    s
}

/// The instances carrying `key` now, as a parenthesized subquery.
fn carrying(key: &BusinessKey) -> Sql {
    let mut s = Sql::new("(SELECT instance FROM (");
    s.push(&keys_now())
        .push(") WHERE kind = ")
        .bind(Value::Str(key.kind.clone()))
        .push(" AND value = ")
        .bind(Value::Str(key.value.clone()))
        .push(")");
    s
}

/// How many instances the filter selects.
pub fn instance_count(rule: &StatusRule<'_>, filter: &InstanceFilter<'_>) -> Sql {
    let mut s = Sql::new("SELECT count() FROM ");
    s.append(filtered_summaries(rule, filter).parenthesized());
    s
}

/// One page of the instances the filter selects, in `order`.
pub fn instance_page(
    rule: &StatusRule<'_>,
    filter: &InstanceFilter<'_>,
    order: InstanceOrder,
    offset: u64,
    limit: u64,
) -> Sql {
    let mut s =
        Sql::new("SELECT id, label, events, first_ts, last_ts, last_activity, status FROM ");
    s.append(filtered_summaries(rule, filter).parenthesized())
        .push(&format!(
            " ORDER BY {} LIMIT {offset}, {limit}",
            order.sql()
        ));
    s
}

/// The root rows around `id`: the one saying what `id` was absorbed into (if it was), and those
/// of the instances absorbed into it (its events and keys may carry their ids).
pub fn roots_around(id: i64) -> Sql {
    let mut s = Sql::new(format!(
        "SELECT instance, root FROM ({}) WHERE instance = ",
        roots_now()
    ));
    s.bind(Value::Int(id))
        .push(" OR root = ")
        .bind(Value::Int(id));
    s
}

/// The event columns read back into [`miner::log::Event`]s.
pub const EVENT_COLUMNS: &str = "id, activity, ts, source, keys, trace_id, span_id, attributes";

/// The events stored under `members` (an instance and those it absorbed) in time order,
/// read through the primary key; the first stored copy of each.
pub fn instance_events(members: Vec<i64>) -> Sql {
    let mut s = Sql::new(format!(
        "SELECT instance AS case_id, {EVENT_COLUMNS} FROM events WHERE instance IN (SELECT toInt64(arrayJoin("
    ));
    s.bind(Value::Ints(members))
        .push("))) ORDER BY ts, seq LIMIT 1 BY id");
    s
}

/// The events of the summarised instances among `ids`, each instance's in time order, with its
/// `case_id`; the first stored copy of each event.
pub fn events_of(ids: Vec<i64>) -> Sql {
    let mut s = Sql::new(format!(
        "SELECT case_id, {EVENT_COLUMNS} FROM ({}) WHERE case_id IN (SELECT toInt64(arrayJoin(",
        events_with_case(&format!("{EVENT_COLUMNS}, seq"), "")
    ));
    s.bind(Value::Ints(ids)).push(&format!(
        "))) AND case_id IN (SELECT case_id FROM ({}) WHERE {}) \
         ORDER BY case_id, ts, seq LIMIT 1 BY case_id, id",
        labels_now(),
        business_label("label")
    ));
    s
}

/// The keys stored under `members`.
pub fn instance_keys(members: Vec<i64>) -> Sql {
    let mut s = Sql::new(format!(
        "SELECT key_kind AS kind, key_value AS value FROM correlation \
         WHERE row_type = {KEY_ROW} AND instance IN (SELECT toInt64(arrayJoin("
    ));
    s.bind(Value::Ints(members))
        .push("))) GROUP BY kind, value ORDER BY kind, value");
    s
}

/// The merges into `members`, oldest first.
pub fn instance_merges(members: Vec<i64>) -> Sql {
    let mut s = Sql::new(format!(
        "SELECT absorbed, absorbed_label, by_event FROM \
         (SELECT other AS absorbed, any(label) AS absorbed_label, any(by_event) AS by_event, \
                 min(version) AS version \
          FROM correlation WHERE row_type = {MERGE_ROW} AND instance IN (SELECT toInt64(arrayJoin("
    ));
    s.bind(Value::Ints(members))
        .push("))) GROUP BY other) ORDER BY version, absorbed");
    s
}

/// Events outside every summarised instance, newest first.
pub fn uncorrelated(limit: u64) -> Sql {
    Sql::new(format!(
        "SELECT case_id, {EVENT_COLUMNS} FROM ({}) WHERE case_id NOT IN (SELECT case_id FROM ({}) WHERE {}) \
         ORDER BY seq DESC LIMIT {limit}",
        events_with_case(&format!("{EVENT_COLUMNS}, seq"), "FINAL"),
        labels_now(),
        business_label("label")
    ))
}

/// Store-wide counts of what the process state does not hold: merges, dead letters.
pub fn counts() -> Sql {
    Sql::new(format!(
        "SELECT (SELECT uniqExact(other) FROM correlation WHERE row_type = {MERGE_ROW}) AS merges, \
                (SELECT count() FROM dead_letters FINAL) AS dead_letters"
    ))
}

/// How many instances are running by `rule` at each step: unfinished, within the step's
/// limit. Only instances active since the longest limit are read.
pub fn running_by_step(rule: &StatusRule<'_>) -> Sql {
    let mut s = Sql::new("SELECT last_activity AS step, count() AS n FROM ");
    s.append(state::current_summaries(Some(rule.stuck_everywhere_before())).parenthesized())
        .push(" WHERE NOT ");
    rule.push_ended(&mut s);
    s.push(" AND last_ts >= ");
    rule.push_stuck_before(&mut s);
    s.push(" GROUP BY last_activity");
    s
}

/// Every business key.
pub fn all_keys() -> Sql {
    Sql::new(format!(
        "SELECT kind, value FROM ({}) ORDER BY kind, value",
        keys_now()
    ))
}

/// The kinds of the newest keys, most carried first (see [`crate::store::Store::key_kinds`]).
pub fn key_kinds() -> Sql {
    Sql::new(format!(
        "SELECT key_kind AS kind FROM (SELECT key_kind FROM correlation WHERE row_type = {KEY_ROW} \
         ORDER BY version DESC LIMIT {}) GROUP BY kind ORDER BY count() DESC, kind",
        crate::store::KEY_KINDS_SAMPLE
    ))
}

/// Which of `ids` are stored already.
pub fn stored_event_ids(ids: Vec<String>) -> Sql {
    let mut s = Sql::new("SELECT id FROM event_ids WHERE id IN (SELECT arrayJoin(");
    s.bind(Value::Strs(ids)).push("))");
    s
}

/// The labels of `ids` (missing when never labelled).
pub fn labels_of(ids: Vec<i64>) -> Sql {
    // Filtered before grouping, within the primary key (label rows have no key value): a
    // batch's lookup must not cost a pass over every label.
    let mut s = Sql::new(format!(
        "SELECT instance AS case_id, argMax(label, version) AS label FROM correlation \
         WHERE row_type = {LABEL_ROW} AND key_value = '' AND instance IN (SELECT toInt64(arrayJoin("
    ));
    s.bind(Value::Ints(ids)).push("))) GROUP BY instance");
    s
}

/// The highest instance id, version and event sequence number in use.
pub fn high_water_marks() -> Sql {
    Sql::new(
        "SELECT (SELECT max(greatest(instance, other)) FROM correlation) AS instance, \
                (SELECT max(instance) FROM events) AS event_instance, \
                (SELECT max(version) FROM correlation) AS version, \
                (SELECT max(seq) FROM events) AS seq, \
                (SELECT max(seq) FROM links) AS link_seq",
    )
}

// ----- process statistics, computed inside ClickHouse -----
