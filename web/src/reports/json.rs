//! The JSON exports: directly-follows graph, variants, bottlenecks and instances, every time in
//! seconds with the unit in its field's name (`mean_s`).

use super::{exported_instances, Selection};
use crate::WebError;
use collector::store::Store;
use miner::discovery::ProcessStats;
use miner::performance::{Bottlenecks, DurationStats};
use miner::time::Micros;
use serde_json::json;

/// The directly-follows graph as JSON: activities (with the time to the next step), edges (with
/// times in seconds), start/end activities.
pub fn dfg_json(stats: &ProcessStats) -> serde_json::Value {
    json!({
        "cases": stats.cases,
        "events": stats.events,
        "activities": stats.activities.iter().map(|a| json!({
            "name": a.name, "count": a.count, "cases": a.cases,
            "to_next_mean_s": a.time_to_next.mean as f64 / 1e6,
            "to_next_p95_s": a.time_to_next.p95 as f64 / 1e6,
        })).collect::<Vec<_>>(),
        "edges": stats.edges.iter().map(|e| json!({
            "from": stats.name(e.from), "to": stats.name(e.to), "count": e.count,
            "mean_s": e.duration.mean as f64 / 1e6, "median_s": e.duration.median as f64 / 1e6,
            "p95_s": e.duration.p95 as f64 / 1e6, "max_s": e.duration.max as f64 / 1e6,
            "total_s": e.duration.total as f64 / 1e6,
        })).collect::<Vec<_>>(),
        "start_activities": stats.named_counts(&stats.start_activities),
        "end_activities": stats.named_counts(&stats.end_activities),
    })
}

/// Variants as JSON: sequence, count, share and mean throughput.
pub fn variants_json(stats: &ProcessStats) -> serde_json::Value {
    json!(stats
        .variants
        .iter()
        .map(|v| json!({
            "activities": stats.variant_names(v),
            "count": v.count,
            "share": v.count as f64 / stats.cases.max(1) as f64,
            "mean_throughput_s": v.mean_throughput as f64 / 1e6,
        }))
        .collect::<Vec<_>>())
}

/// Bottleneck rankings as JSON, every time in seconds with the unit in its field's name
/// (`mean_s`), as the DFG export gives them.
pub fn bottlenecks_json(b: &Bottlenecks) -> serde_json::Value {
    let edges = |edges: &[miner::performance::EdgeTime]| {
        edges
            .iter()
            .map(|e| {
                let mut row = json!({"from": e.from, "to": e.to, "share": e.share});
                row["duration"] = duration_json(&e.duration);
                row
            })
            .collect::<Vec<_>>()
    };
    let activities = b
        .activities
        .iter()
        .map(|a| {
            json!({
                "activity": a.activity,
                "share": a.share,
                "duration": duration_json(&a.duration),
                "service": duration_json(&a.service),
                "waiting": duration_json(&a.waiting),
            })
        })
        .collect::<Vec<_>>();
    json!({
        "by_total": edges(&b.by_total),
        "by_p95": edges(&b.by_p95),
        "activities": activities,
    })
}

/// Duration statistics in seconds, each field named with its unit.
fn duration_json(d: &DurationStats) -> serde_json::Value {
    let s = |micros: Micros| micros as f64 / 1e6;
    json!({
        "count": d.count,
        "total_s": s(d.total),
        "mean_s": s(d.mean),
        "median_s": s(d.median),
        "p95_s": s(d.p95),
        "min_s": s(d.min),
        "max_s": s(d.max),
    })
}

/// Instances matching `search` and `status`, as JSON.
pub fn instances_json(
    store: &dyn Store,
    selection: &Selection,
) -> Result<serde_json::Value, WebError> {
    let page = exported_instances(store, selection)?;
    Ok(json!({"total": page.total, "instances": page.instances}))
}
