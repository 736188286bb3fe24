//! The look of an object-centric map: each path drawn as one strand per key kind (object
//! type) taking it, in that kind's colour, thicker the more often it is taken.

use super::svg::{ArcLook, MapLook, MapMetric, MapMode};
use crate::filter::Arc;
use crate::formats::xml::escape_xml;
use crate::notion::ObjectCentric;
use std::fmt::Write;

/// Colours told apart by most readers, also in print (ColorBrewer "Dark2"), one per kind.
const PALETTE: [&str; 8] = [
    "#1b9e77", "#d95f02", "#7570b3", "#e7298a", "#66a61e", "#e6ab02", "#a6761d", "#666666",
];

/// The colour of the `k`-th kind.
pub fn kind_colour(k: usize) -> &'static str {
    PALETTE[k % PALETTE.len()]
}

/// Draws an [`ObjectCentric`] map: its union as the shape, each kind's paths as strands
/// measured by a metric (how often each kind takes a path, or its times on it).
pub struct ObjectLook<'a> {
    objects: &'a ObjectCentric,
    metric: MapMetric,
    /// The largest value of any kind's path under the metric.
    largest: i64,
}

impl<'a> ObjectLook<'a> {
    /// The look of `objects` measured by `metric`, strands scaled to the largest value of any
    /// kind's path.
    pub fn new(objects: &'a ObjectCentric, metric: MapMetric) -> Self {
        let largest = objects
            .per_kind
            .iter()
            .flat_map(|s| match metric.mode() {
                MapMode::Frequency => s
                    .edges
                    .iter()
                    .map(|e| e.count as i64)
                    .chain(s.start_activities.iter().map(|(_, n)| *n as i64))
                    .chain(s.end_activities.iter().map(|(_, n)| *n as i64))
                    .collect::<Vec<_>>(),
                MapMode::Performance => s
                    .edges
                    .iter()
                    .filter(|e| e.duration.count > 0)
                    .map(|e| metric.of(&e.duration))
                    .collect(),
            })
            .max()
            .unwrap_or(1)
            .max(1);
        Self {
            objects,
            metric,
            largest,
        }
    }

    /// How often kind `k` takes `arc`, drawn between `from` and `to`.
    fn taken(&self, k: usize, arc: &Arc, from: &str, to: &str) -> u64 {
        match arc {
            Arc::Start { .. } => self.objects.boundary_count(k, to, true),
            Arc::End { .. } => self.objects.boundary_count(k, from, false),
            Arc::Flow(_) => self.objects.path_count(k, from, to),
        }
    }

    /// The metric's value of kind `k` on `arc`, taken `n` times: none for a time on a path
    /// without times (a start or an end).
    fn value(&self, k: usize, arc: &Arc, from: &str, to: &str, n: u64) -> Option<i64> {
        match (self.metric.mode(), arc) {
            (MapMode::Frequency, _) => Some(n as i64),
            (MapMode::Performance, Arc::Flow(_)) => self
                .objects
                .path(k, from, to)
                .filter(|e| e.duration.count > 0)
                .map(|e| self.metric.of(&e.duration)),
            (MapMode::Performance, _) => None,
        }
    }
}

impl MapLook for ObjectLook<'_> {
    fn attributes(&self) -> String {
        format!(
            r#"data-mode="{}" data-metric="{}" data-notion="objects""#,
            self.metric.mode().as_str(),
            self.metric.as_str()
        )
    }

    fn arc(&self, arc: &Arc, _: &str, _: &str) -> ArcLook {
        let value = self.metric.of_arc(arc);
        ArcLook {
            weight: value.map_or(0.0, |v| v as f64 / self.largest as f64),
            colour: "#888888".to_string(),
            label: value.map_or_else(String::new, |v| self.metric.label(v)),
            attributes: String::new(),
        }
    }

    fn strands(&self, arc: &Arc, from: &str, to: &str) -> Vec<ArcLook> {
        let strands: Vec<ArcLook> = self
            .objects
            .kinds
            .iter()
            .enumerate()
            .filter_map(|(k, kind)| {
                let n = self.taken(k, arc, from, to);
                (n > 0).then(|| {
                    let value = self.value(k, arc, from, to, n);
                    ArcLook {
                        weight: value.map_or(0.0, |v| v as f64 / self.largest as f64),
                        colour: kind_colour(k).to_string(),
                        label: value.map_or_else(
                            || kind.clone(),
                            |v| format!("{kind} {}", self.metric.label(v)),
                        ),
                        attributes: format!(
                            r#" data-object="{}" data-object-count="{n}"{}"#,
                            escape_xml(kind),
                            value.map_or_else(String::new, |v| format!(
                                r#" data-object-value="{v}""#
                            )),
                        ),
                    }
                })
            })
            .collect();
        if strands.is_empty() {
            vec![self.arc(arc, from, to)]
        } else {
            strands
        }
    }

    fn metric(&self) -> MapMetric {
        self.metric
    }

    fn legend(&self, out: &mut String) {
        let _ = write!(
            out,
            r##"<text x="0" y="11" fill="#333" font-size="11">Paths of each object type (key kind), thicker the greater their {}:</text>"##,
            self.metric.describe()
        );
        let mut x = 0.0;
        for (k, kind) in self.objects.kinds.iter().enumerate() {
            let _ = write!(
                out,
                r##"<g class="legend-kind" data-object="{name}"><rect x="{x:.1}" y="18" width="18" height="8" fill="{colour}"/><text x="{tx:.1}" y="26" fill="#333" font-size="11">{name}</text></g>"##,
                name = escape_xml(kind),
                colour = kind_colour(k),
                tx = x + 22.0,
            );
            x += 30.0 + 7.0 * kind.chars().count() as f64;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::filter::simplify_paths;
    use crate::layout::{layout, render_look};
    use crate::log::Event;

    #[test]
    fn each_kind_draws_its_own_strand_of_a_shared_path() {
        let events = [
            Event::keyed(
                "1",
                "place",
                1,
                &[("order", "o1"), ("item", "i1"), ("item", "i2")],
            ),
            Event::keyed(
                "2",
                "ship",
                2,
                &[("order", "o1"), ("item", "i1"), ("item", "i2")],
            ),
            Event::keyed("3", "invoice", 3, &[("order", "o1")]),
        ];
        let objects = ObjectCentric::of(&events, None);
        let map = simplify_paths(&objects.union, 100);
        let svg = render_look(
            &map,
            &layout(&map),
            &ObjectLook::new(&objects, MapMetric::Events),
        );
        assert!(svg.contains(
            r#"data-from="place" data-to="ship" data-count="3" data-object="item" data-object-count="2""#
        ));
        assert!(svg.contains(
            r#"data-to="ship" data-count="3" data-object="order" data-object-count="1""#
        ));
        assert!(svg
            .contains(r#"data-from="ship" data-to="invoice" data-count="1" data-object="order""#));
        assert!(!svg.contains(r#"data-to="invoice" data-count="1" data-object="item""#));
        assert_eq!(svg.matches(r#"class="legend-kind""#).count(), 2);
        assert!(svg.contains(kind_colour(0)) && svg.contains(kind_colour(1)));
    }

    #[test]
    fn in_the_performance_map_each_kind_shows_its_own_time_on_a_path() {
        const SECOND: i64 = 1_000_000;
        let events = [
            Event::keyed("1", "place", 0, &[("order", "o1"), ("item", "i1")]),
            Event::keyed("2", "pick", 10 * SECOND, &[("item", "i1")]),
            Event::keyed(
                "3",
                "ship",
                100 * SECOND,
                &[("order", "o1"), ("item", "i1")],
            ),
        ];
        let objects = ObjectCentric::of(&events, None);
        let map = simplify_paths(&objects.union, 100);
        let look = ObjectLook::new(&objects, MapMetric::Max);
        let svg = render_look(&map, &layout(&map), &look);
        assert!(svg.contains(r#"data-mode="performance" data-metric="max""#));
        assert!(svg.contains(&format!(
            r#"data-from="place" data-to="ship" data-count="1" data-object="order" data-object-count="1" data-object-value="{}""#,
            100 * SECOND
        )));
        assert!(svg.contains(&format!(
            r#"data-from="pick" data-to="ship" data-count="1" data-object="item" data-object-count="1" data-object-value="{}""#,
            90 * SECOND
        )));
        assert!(svg.contains(">order 1m 40s<"), "the strand's label");
        assert!(svg.contains("thicker the greater their longest time"));
        // A start has no time: its strand is drawn without a value.
        assert!(svg.contains(r#"data-object="order" data-object-count="1" transform="#));
    }
}
