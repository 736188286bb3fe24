//! Whatever the sliders, every activity of the map lies on a path from start to end: checked
//! on real logs (BPI Challenge 2012 and the OCEL 2.0 logistics log, where the cut once left
//! the end unreached) over a grid of activity and path settings, from the SVG the page draws.

mod support;

use std::collections::{BTreeMap, BTreeSet};

/// The value of attribute `name` in each element of `svg` that has it, in order.
fn attribute_values<'a>(svg: &'a str, name: &str) -> Vec<&'a str> {
    let marker = format!(" {name}=\"");
    svg.match_indices(&marker)
        .map(|(at, _)| {
            let rest = &svg[at + marker.len()..];
            &rest[..rest.find('"').unwrap()]
        })
        .collect()
}

/// Every activity the map draws that cannot be reached from start, or cannot reach end.
fn disconnected(svg: &str) -> BTreeSet<String> {
    let nodes: BTreeSet<&str> = attribute_values(svg, "data-activity").into_iter().collect();
    let arcs: Vec<(&str, &str)> = attribute_values(svg, "data-from")
        .into_iter()
        .zip(attribute_values(svg, "data-to"))
        .collect();
    let reach = |from: &dyn Fn(&str) -> bool, forward: bool| {
        let mut next: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
        for &(a, b) in &arcs {
            let (x, y) = if forward { (a, b) } else { (b, a) };
            next.entry(x).or_default().push(y);
        }
        let mut seen: BTreeSet<&str> = arcs
            .iter()
            .flat_map(|&(a, b)| [a, b])
            .filter(|n| from(n))
            .collect();
        let mut stack: Vec<&str> = seen.iter().copied().collect();
        while let Some(n) = stack.pop() {
            for &m in next.get(n).into_iter().flatten() {
                if seen.insert(m) {
                    stack.push(m);
                }
            }
        }
        seen
    };
    let from_start = reach(&|n| n.starts_with('▶'), true);
    let to_end = reach(&|n| n.starts_with('■'), false);
    nodes
        .into_iter()
        .filter(|n| !from_start.contains(n) || !to_end.contains(n))
        .map(str::to_string)
        .collect()
}

async fn check(log: &str) {
    let (_dir, router) = support::served_file(&support::shared(log));
    for activities in [10, 30, 50, 70, 100] {
        for paths in [0, 10, 30, 100] {
            let uri = format!("/api/map.svg?activities={activities}&paths={paths}");
            let (_, svg) = support::get(&router, &uri).await;
            assert!(svg.contains("data-activity"), "{log} {uri}: {svg}");
            assert_eq!(disconnected(&svg), BTreeSet::new(), "{log} {uri}");
        }
    }
}

#[tokio::test]
async fn every_activity_stays_between_start_and_end_on_an_xes_log() {
    check("xes/bpic2012.xes.gz").await;
}

#[tokio::test]
async fn every_activity_stays_between_start_and_end_on_an_ocel_log() {
    check("ocel/logistics.sqlite").await;
}
