//! The CSV exports: directly-follows graph, variants, bottlenecks, instances and the event log.

use super::{exported_instances, for_each_instance, Selection, VARIANT_SEPARATOR};
use crate::WebError;
use collector::store::Store;
use miner::discovery::ProcessStats;
use miner::formats::csv::{Cells, CsvWriter};
use miner::performance::{Bottlenecks, DurationStats};
use miner::time::{format_timestamp, Micros};

/// The directly-follows graph as CSV: one row per edge with its count and times in seconds.
pub fn dfg_csv(stats: &ProcessStats, cells: Cells) -> String {
    let mut out = CsvWriter::text(cells);
    out.row(&[
        "from", "to", "count", "mean_s", "median_s", "p95_s", "total_s",
    ]);
    for e in &stats.edges {
        let d = &e.duration;
        out.row(&[
            stats.name(e.from).to_string(),
            stats.name(e.to).to_string(),
            e.count.to_string(),
            seconds(d.mean),
            seconds(d.median),
            seconds(d.p95),
            seconds(d.total),
        ]);
    }
    out.into_string()
}

/// Variants as CSV.
pub fn variants_csv(stats: &ProcessStats, cells: Cells) -> String {
    let mut out = CsvWriter::text(cells);
    out.row(&["rank", "count", "share", "mean_throughput_s", "activities"]);
    for (i, v) in stats.variants.iter().enumerate() {
        out.row(&[
            (i + 1).to_string(),
            v.count.to_string(),
            format!("{:.4}", v.count as f64 / stats.cases.max(1) as f64),
            seconds(v.mean_throughput),
            stats.variant_names(v).join(VARIANT_SEPARATOR),
        ]);
    }
    out.into_string()
}

/// Bottleneck rankings as CSV: edges by total waiting time, then activities.
pub fn bottlenecks_csv(b: &Bottlenecks, cells: Cells) -> String {
    let mut out = CsvWriter::text(cells);
    out.row(&[
        "kind",
        "from",
        "to",
        "count",
        "total_s",
        "mean_s",
        "median_s",
        "p95_s",
        "share",
        "waiting_mean_s",
        "waiting_p95_s",
        "service_mean_s",
        "service_p95_s",
    ]);
    for e in &b.by_total {
        let mut row = vec!["edge".to_string(), e.from.clone(), e.to.clone()];
        row.extend(duration_fields(&e.duration, e.share));
        row.extend([String::new(), String::new(), String::new(), String::new()]);
        out.row(&row);
    }
    let when_recorded = |d: &DurationStats| {
        if d.count > 0 {
            [seconds(d.mean), seconds(d.p95)]
        } else {
            [String::new(), String::new()]
        }
    };
    for a in &b.activities {
        let mut row = vec!["activity".to_string(), a.activity.clone(), String::new()];
        row.extend(duration_fields(&a.duration, a.share));
        row.extend(when_recorded(&a.waiting));
        row.extend(when_recorded(&a.service));
        out.row(&row);
    }
    out.into_string()
}

/// count, total, mean, median, p95 (seconds) and share, as CSV fields.
fn duration_fields(d: &DurationStats, share: f64) -> [String; 6] {
    [
        d.count.to_string(),
        seconds(d.total),
        seconds(d.mean),
        seconds(d.median),
        seconds(d.p95),
        format!("{share:.4}"),
    ]
}

/// Instances matching `search` and `status`, as CSV.
pub fn instances_csv(
    store: &dyn Store,
    selection: &Selection,
    cells: Cells,
) -> Result<String, WebError> {
    let page = exported_instances(store, selection)?;
    let mut out = CsvWriter::text(cells);
    out.row(&[
        "id",
        "label",
        "status",
        "events",
        "first_event",
        "last_event",
        "duration_s",
        "last_activity",
    ]);
    for i in &page.instances {
        out.row(&[
            i.id.to_string(),
            i.label.clone(),
            i.status.as_str().to_string(),
            i.events.to_string(),
            format_timestamp(i.first_event),
            format_timestamp(i.last_event),
            seconds(i.last_event - i.first_event),
            i.last_activity.clone(),
        ]);
    }
    Ok(out.into_string())
}

/// Every instance's events as a CSV event log (`case,activity,timestamp,resource,id`), the
/// columns `flowsight import --case case --activity activity --timestamp timestamp` reads back.
pub fn write_events_csv(
    store: &dyn Store,
    selection: &Selection,
    cells: Cells,
    mut out: impl std::io::Write,
) -> Result<u64, WebError> {
    let mut csv = CsvWriter::new(&mut out, cells);
    let written = |e: std::io::Error| WebError::Internal(format!("writing CSV: {e}"));
    csv.record(&["case", "activity", "timestamp", "resource", "id"])
        .map_err(written)?;
    let count = for_each_instance(store, selection, |name, events| {
        for e in events {
            csv.record(&[
                name,
                &e.activity,
                &format_timestamp(e.timestamp),
                &e.source,
                &e.id,
            ])?;
        }
        Ok(())
    })?;
    csv.into_inner()
        .and_then(|out| out.flush())
        .map_err(written)?;
    Ok(count)
}

pub(super) fn seconds(micros: Micros) -> String {
    format!("{:.3}", micros as f64 / 1e6)
}
