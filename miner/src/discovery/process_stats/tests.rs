//! Tests of the process statistics.

use super::*;

#[test]
fn intervals_give_service_and_waiting_apart() {
    let mut b = ProcessStatsBuilder::new();
    let (placed, pay, fetch) = (b.intern("Placed"), b.intern("Pay"), b.intern("Fetch"));
    // Placed at 0 (instant); Pay runs 10..40; Fetch runs 100..130 with a nested span
    // of Pay at 105..110 (overlapping: no waiting).
    let activities = [placed, pay, fetch, pay];
    let starts = [Some(0), Some(10), Some(100), Some(105)];
    let ends = [None, Some(40), Some(130), Some(110)];
    b.add_case(&activities, &starts);
    b.add_intervals(&activities, &starts, &ends);
    let stats = b.finish();
    let by_name = |n: &str| stats.activities.iter().find(|a| a.name == n).unwrap();
    assert_eq!(
        (by_name("Pay").service.count, by_name("Pay").service.total),
        (2, 35)
    );
    assert_eq!(by_name("Fetch").service.total, 30);
    assert_eq!(
        by_name("Fetch").waiting.total,
        60,
        "from Pay's end at 40 to 100"
    );
    assert_eq!(
        by_name("Pay").waiting.total,
        10,
        "10 after Placed, 0 inside Fetch"
    );
    assert_eq!(
        by_name("Placed").waiting.count,
        0,
        "the first step waits for nothing"
    );
    assert_eq!(
        by_name("Placed").service.count,
        0,
        "an instant event has no service time"
    );
}
use crate::log::EventLogBuilder;

fn log(cases: &[&[(&str, i64)]]) -> EventLog {
    let mut b = EventLogBuilder::new();
    for (i, case) in cases.iter().enumerate() {
        b.start_case(format!("c{i}"));
        for &(a, t) in *case {
            b.push_event(a, Some(t));
        }
    }
    b.build()
}

fn edge<'a>(s: &'a ProcessStats, from: &str, to: &str) -> Option<&'a EdgeStats> {
    let (f, t) = (s.index_of(from)?, s.index_of(to)?);
    s.edges.iter().find(|e| e.from == f && e.to == t)
}

#[test]
fn counts_edges_durations_starts_ends_and_variants() {
    let l = log(&[
        &[("a", 0), ("b", 10), ("c", 40)],
        &[("a", 0), ("b", 20), ("c", 30)],
        &[("a", 0), ("c", 5)],
        &[("a", 0), ("b", 1), ("b", 2), ("c", 3)],
    ]);
    let s = ProcessStats::from_log(&l);
    assert_eq!((s.cases, s.events), (4, 12));
    let names: Vec<&str> = s.activities.iter().map(|a| a.name.as_str()).collect();
    assert_eq!(names, ["a", "b", "c"]);
    assert_eq!(s.activities[1].count, 4);
    assert_eq!(s.activities[1].cases, 3);

    let ab = edge(&s, "a", "b").unwrap();
    assert_eq!(ab.count, 3);
    assert_eq!(ab.duration.total, 31);
    assert_eq!(ab.duration.max, 20);
    let bc = edge(&s, "b", "c").unwrap();
    assert_eq!((bc.count, bc.duration.total), (3, 41));
    assert_eq!(edge(&s, "b", "b").unwrap().count, 1);
    assert_eq!(edge(&s, "a", "c").unwrap().count, 1);
    assert!(edge(&s, "c", "a").is_none());
    assert_eq!(s.edges.len(), 4);

    assert_eq!(s.named_counts(&s.start_activities)["a"], 4);
    assert_eq!(s.named_counts(&s.end_activities)["c"], 4);
    assert_eq!(s.variants.len(), 3);
    assert_eq!(s.variant_names(&s.variants[0]), ["a", "b", "c"]);
    assert_eq!(s.variants[0].count, 2);
    assert_eq!(s.variants[0].mean_throughput, 35);
    assert_eq!(s.throughput.max, 40);
    assert_eq!((s.first_event, s.last_event), (Some(0), Some(40)));
}

#[test]
fn start_and_complete_pairs_give_service_times() {
    let mut b = EventLogBuilder::new();
    b.start_case("1");
    b.push_transition("a", Some(0), Lifecycle::Start);
    b.push_transition("b", Some(1), Lifecycle::Start);
    b.push_transition("a", Some(10), Lifecycle::Complete);
    b.push_transition("b", Some(31), Lifecycle::Complete);
    b.push_transition("a", Some(40), Lifecycle::Start);
    b.push_transition("a", Some(45), Lifecycle::Complete);
    b.push_transition("c", Some(50), Lifecycle::Complete);
    let s = ProcessStats::from_log(&b.build());
    let a = &s.activities[s.index_of("a").unwrap()];
    assert_eq!((a.service.count, a.service.total), (2, 15));
    assert_eq!(s.activities[s.index_of("b").unwrap()].service.total, 30);
    assert_eq!(s.activities[s.index_of("c").unwrap()].service.count, 0);
    assert_eq!(s.events, 7, "every event still counts, as in pm4py");
}

#[test]
fn builder_accepts_cases_streamed_by_name() {
    let mut b = ProcessStatsBuilder::new();
    let x = b.intern("x");
    let y = b.intern("y");
    b.add_case(&[x, y, x], &[Some(0), None, Some(9)]);
    b.add_case(&[], &[]);
    let s = b.finish();
    assert_eq!((s.cases, s.events), (1, 3));
    assert_eq!(edge(&s, "x", "y").unwrap().duration.count, 0);
    assert_eq!(s.throughput.total, 9);
}

#[test]
fn merged_builders_equal_one_builder_of_every_case() {
    let cases: [&[(&str, i64, Option<i64>)]; 4] = [
        &[("a", 0, None), ("b", 10, Some(15)), ("c", 40, None)],
        &[("b", 5, None), ("a", 7, None)],
        &[("c", 1, Some(9)), ("a", 20, None), ("b", 60, None)],
        &[("a", 3, None), ("b", 13, None), ("c", 43, None)],
    ];
    let add = |b: &mut ProcessStatsBuilder, case: &[(&str, i64, Option<i64>)]| {
        let activities: Vec<u32> = case.iter().map(|(a, _, _)| b.intern(a)).collect();
        let starts: Vec<Option<i64>> = case.iter().map(|&(_, t, _)| Some(t)).collect();
        let ends: Vec<Option<i64>> = case.iter().map(|&(_, _, e)| e).collect();
        b.add_case(&activities, &starts);
        b.add_intervals(&activities, &starts, &ends);
    };
    let mut whole = ProcessStatsBuilder::new();
    cases.iter().for_each(|c| add(&mut whole, c));
    // Each half interns the activities in another order, so merging must map their ids.
    let (mut first, mut second) = (ProcessStatsBuilder::new(), ProcessStatsBuilder::new());
    cases[..2].iter().for_each(|c| add(&mut first, c));
    cases[2..].iter().for_each(|c| add(&mut second, c));
    let mut merged = ProcessStatsBuilder::new();
    merged.merge(&second);
    merged.merge(&first);
    assert_eq!(merged.finish(), whole.finish());
}
