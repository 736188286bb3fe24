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

/// One of Flowsight's tables: its name, its columns and engine, and how its rows are spread
/// over the shards of a cluster (rows that the engine folds together go to the same shard).
pub struct Table {
    /// Its name.
    pub name: &'static str,
    /// Its columns and engine clause, as `CREATE TABLE name …` continues.
    pub definition: &'static str,
    /// The sharding key of its Distributed table in a cluster.
    pub shard_key: &'static str,
}

impl Table {
    /// The statement that creates it on one server.
    pub fn create(&self) -> String {
        format!(
            "CREATE TABLE IF NOT EXISTS {} {}",
            self.name, self.definition
        )
    }

    /// The name of a shard's own table behind the Distributed one, in a cluster.
    pub fn local_name(&self) -> String {
        format!("{}{LOCAL_SUFFIX}", self.name)
    }

    /// The statement that creates a shard's own table, in a cluster.
    pub fn create_local(&self) -> String {
        format!(
            "CREATE TABLE IF NOT EXISTS {} {}",
            self.local_name(),
            self.definition
        )
    }

    /// The statement that creates the Distributed table over every shard's own table in
    /// `cluster`, for database `database`.
    pub fn create_distributed(&self, cluster: &str, database: &str) -> String {
        format!(
            "CREATE TABLE IF NOT EXISTS {name} AS {local} \
             ENGINE = Distributed({cluster}, {database}, {local}, {key})",
            name = self.name,
            local = self.local_name(),
            key = self.shard_key
        )
    }
}

/// What a shard's own table is called: the table's name with this suffix.
pub const LOCAL_SUFFIX: &str = "_local";

/// The statements that create the database `database`; run before the client selects it.
pub fn create_database(database: &str) -> String {
    format!("CREATE DATABASE IF NOT EXISTS {database}")
}

/// Every table, created idempotently on open.
pub const TABLES: [Table; 13] = [
    // Events, deduplicated by ReplacingMergeTree (a redelivered event has the same
    // instance, time and id) and read with FINAL, so answers are exact before merges.
    Table {
        name: "events",
        definition: "(
            instance Int64, ts Int64, time DateTime, seq UInt64, id String, activity String,
            source String, trace_id String, span_id String, keys String, attributes String,
            lifecycle UInt8, end_ts Int64, has_end UInt8
        ) ENGINE = ReplacingMergeTree() PARTITION BY toYYYYMM(time) ORDER BY (instance, ts, id)",
        shard_key: "intHash64(instance)",
    },
    // The ids of stored events, ordered for the lookups that skip redelivered events.
    Table {
        name: "event_ids",
        definition: "(id String)
         ENGINE = ReplacingMergeTree() ORDER BY id",
        shard_key: "cityHash64(id)",
    },
    // The key graph and instance bookkeeping of every batch, written in one insert so a
    // batch's correlation is kept whole or not at all. Later versions win.
    Table {
        name: "correlation",
        definition: "(
            row_type UInt8, version UInt64, instance Int64, other Int64,
            key_kind String, key_value String, label String, by_event String
        ) ENGINE = MergeTree() ORDER BY (row_type, key_value, instance)",
        shard_key: "intHash64(instance)",
    },
    Table {
        name: "links",
        definition: "(
            kind_a String, value_a String, kind_b String, value_b String, qualifier String, seq UInt64
        ) ENGINE = ReplacingMergeTree() ORDER BY (kind_a, value_a, kind_b, value_b, qualifier)",
        shard_key: "cityHash64(kind_a, value_a, kind_b, value_b, qualifier)",
    },
    // The configuration the store is written with; the newest row counts.
    Table {
        name: "rules",
        definition: "(text String, saved Int64)
         ENGINE = MergeTree() ORDER BY saved",
        shard_key: "saved",
    },
    // A reference model uploaded for tracking; the newest row counts.
    Table {
        name: "models",
        definition: "(text String, saved Int64)
         ENGINE = MergeTree() ORDER BY saved",
        shard_key: "saved",
    },
    Table {
        name: "object_attributes",
        definition: "(
            kind String, value String, name String, time Int64, json String
        ) ENGINE = ReplacingMergeTree() ORDER BY (kind, value, time, name)",
        shard_key: "cityHash64(kind, value)",
    },
    Table {
        name: "dead_letters",
        definition: "(
            topic String, msg_partition Int32, msg_offset Int64, reason String, raw String,
            received Int64
        ) ENGINE = ReplacingMergeTree() ORDER BY (topic, msg_partition, msg_offset)",
        shard_key: "cityHash64(topic, msg_partition, msg_offset)",
    },
    // The process state (see `state`): each instance's summary and steps, the newest
    // version counting (events = 0: no longer summarised) ...
    Table {
        name: "state_traces",
        definition: "(
            instance Int64, version UInt64, label String, events UInt64, first_ts Int64,
            last_ts Int64, last_activity String, acts Array(UInt32), tss Array(Int64),
            lcs Array(UInt8), ends Array(Int64), has_end Array(UInt8)
        ) ENGINE = ReplacingMergeTree(version) ORDER BY instance",
        shard_key: "intHash64(instance)",
    },
    // ... the running totals, as changes the engine sums (a few hundred rows once merged) ...
    Table {
        name: "state_totals",
        definition: "(
            measure Int64, a Int64, b Int64, bucket Int32, n Int64, total Int64
        ) ENGINE = SummingMergeTree() ORDER BY (measure, a, b, bucket)",
        shard_key: "cityHash64(measure, a, b, bucket)",
    },
    Table {
        name: "state_variants",
        definition: "(activities String, n Int64, throughput Int64)
         ENGINE = SummingMergeTree() ORDER BY activities",
        shard_key: "cityHash64(activities)",
    },
    Table {
        name: "state_activities",
        definition: "(id UInt32, name String)
         ENGINE = ReplacingMergeTree() ORDER BY id",
        shard_key: "id",
    },
    // ... and the newest batch the state is complete through: behind the correlation's
    // newest batch after a crash, when the state is built again.
    Table {
        name: "state_done",
        definition: "(version UInt64, layout UInt32)
         ENGINE = MergeTree() ORDER BY version",
        shard_key: "version",
    },
];
