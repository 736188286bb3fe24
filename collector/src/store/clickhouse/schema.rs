//! Flowsight's tables in ClickHouse, created idempotently on open.
//!
//! Every statement stays inside what both ClickHouse 18.16 (Debian's package) and current
//! releases accept: no DateTime64, Map, JSON, Nullable keys, window functions or CTEs. Times
//! are kept twice: as DateTime (whole seconds, for partitioning) and as Int64 microseconds.
//!
//! Tables are partitioned by month, not by day: importing a historical log writes years of
//! events in one batch, and day partitions would exceed the partitions one insert may touch.

/// `correlation.row_type` of a business key and the instance it joined.
pub const KEY_ROW: u8 = 1;
/// `correlation.row_type` of an absorbed instance and the instance it now belongs to.
pub const ROOT_ROW: u8 = 2;
/// `correlation.row_type` of an instance's label.
pub const LABEL_ROW: u8 = 3;
/// `correlation.row_type` of a merge, for the instance page.
pub const MERGE_ROW: u8 = 4;
/// `correlation.row_type` marking a step of retention as a batch: until the state marks it
/// done, a crash leaves a state that is built again on open.
pub const RETENTION_ROW: u8 = 5;

/// The statements that create the database `database`; run before the client selects it.
pub fn create_database(database: &str) -> String {
    format!("CREATE DATABASE IF NOT EXISTS {database}")
}

/// The statements that create every table in the current database.
pub fn create_tables() -> [&'static str; 12] {
    [
        // Events, deduplicated by ReplacingMergeTree (a redelivered event has the same
        // instance, time and id) and read with FINAL, so answers are exact before merges.
        "CREATE TABLE IF NOT EXISTS events (
            instance Int64, ts Int64, time DateTime, seq UInt64, id String, activity String,
            source String, trace_id String, span_id String, keys String, attributes String,
            lifecycle UInt8, end_ts Int64, has_end UInt8
        ) ENGINE = ReplacingMergeTree() PARTITION BY toYYYYMM(time) ORDER BY (instance, ts, id)",
        // The ids of stored events, ordered for the lookups that skip redelivered events.
        "CREATE TABLE IF NOT EXISTS event_ids (id String)
         ENGINE = ReplacingMergeTree() ORDER BY id",
        // The key graph and instance bookkeeping of every batch, written in one insert so a
        // batch's correlation is kept whole or not at all. Later versions win.
        "CREATE TABLE IF NOT EXISTS correlation (
            row_type UInt8, version UInt64, instance Int64, other Int64,
            key_kind String, key_value String, label String, by_event String
        ) ENGINE = MergeTree() ORDER BY (row_type, key_value, instance)",
        "CREATE TABLE IF NOT EXISTS links (
            kind_a String, value_a String, kind_b String, value_b String, qualifier String, seq UInt64
        ) ENGINE = ReplacingMergeTree() ORDER BY (kind_a, value_a, kind_b, value_b, qualifier)",
        // The configuration the store is written with; the newest row counts.
        "CREATE TABLE IF NOT EXISTS rules (text String, saved Int64)
         ENGINE = MergeTree() ORDER BY saved",
        "CREATE TABLE IF NOT EXISTS object_attributes (
            kind String, value String, name String, time Int64, json String
        ) ENGINE = ReplacingMergeTree() ORDER BY (kind, value, time, name)",
        "CREATE TABLE IF NOT EXISTS dead_letters (
            topic String, msg_partition Int32, msg_offset Int64, reason String, raw String,
            received Int64
        ) ENGINE = ReplacingMergeTree() ORDER BY (topic, msg_partition, msg_offset)",
        // The process state (see `state`): each instance's summary and steps, the newest
        // version counting (events = 0: no longer summarised) ...
        "CREATE TABLE IF NOT EXISTS state_traces (
            instance Int64, version UInt64, label String, events UInt64, first_ts Int64,
            last_ts Int64, last_activity String, acts Array(UInt32), tss Array(Int64),
            lcs Array(UInt8), ends Array(Int64), has_end Array(UInt8)
        ) ENGINE = ReplacingMergeTree(version) ORDER BY instance",
        // ... the running totals, as changes the engine sums (a few hundred rows once merged) ...
        "CREATE TABLE IF NOT EXISTS state_totals (
            measure Int64, a Int64, b Int64, bucket Int32, n Int64, total Int64
        ) ENGINE = SummingMergeTree() ORDER BY (measure, a, b, bucket)",
        "CREATE TABLE IF NOT EXISTS state_variants (activities String, n Int64, throughput Int64)
         ENGINE = SummingMergeTree() ORDER BY activities",
        "CREATE TABLE IF NOT EXISTS state_activities (id UInt32, name String)
         ENGINE = ReplacingMergeTree() ORDER BY id",
        // ... and the newest batch the state is complete through: behind the correlation's
        // newest batch after a crash, when the state is built again.
        "CREATE TABLE IF NOT EXISTS state_done (version UInt64, layout UInt32)
         ENGINE = MergeTree() ORDER BY version",
    ]
}
