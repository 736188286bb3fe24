//! The look of an object-centric map: each path drawn as one strand per key kind (object
//! type) taking it, in that kind's colour, thicker the more often it is taken.

use super::svg::{ArcLook, MapLook, MapMetric};
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

/// Draws an [`ObjectCentric`] map: its union as the shape, each kind's paths as strands.
pub struct ObjectLook<'a> {
    objects: &'a ObjectCentric,
    largest: u64,
}

impl<'a> ObjectLook<'a> {
    /// The look of `objects`, strands scaled to the most taken path of any kind.
    pub fn new(objects: &'a ObjectCentric) -> Self {
        let largest = objects
            .per_kind
            .iter()
            .flat_map(|s| {
                s.edges
                    .iter()
                    .map(|e| e.count)
                    .chain(s.start_activities.iter().map(|(_, n)| *n))
                    .chain(s.end_activities.iter().map(|(_, n)| *n))
            })
            .max()
            .unwrap_or(1)
            .max(1);
        Self { objects, largest }
    }

    /// How often kind `k` takes `arc`, drawn between `from` and `to`.
    fn taken(&self, k: usize, arc: &Arc, from: &str, to: &str) -> u64 {
        match arc {
            Arc::Start { .. } => self.objects.boundary_count(k, to, true),
            Arc::End { .. } => self.objects.boundary_count(k, from, false),
            Arc::Flow(_) => self.objects.path_count(k, from, to),
        }
    }
}

impl MapLook for ObjectLook<'_> {
    fn attributes(&self) -> String {
        r#"data-mode="frequency" data-metric="events" data-notion="objects""#.to_string()
    }

    fn arc(&self, arc: &Arc, _: &str, _: &str) -> ArcLook {
        ArcLook {
            weight: arc.count() as f64 / self.largest as f64,
            colour: "#888888".to_string(),
            label: arc.count().to_string(),
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
                (n > 0).then(|| ArcLook {
                    weight: n as f64 / self.largest as f64,
                    colour: kind_colour(k).to_string(),
                    label: format!("{kind} {n}"),
                    attributes: format!(
                        r#" data-object="{}" data-object-count="{n}""#,
                        escape_xml(kind)
                    ),
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
        MapMetric::Events
    }

    fn legend(&self, out: &mut String) {
        let _ = write!(
            out,
            r##"<text x="0" y="11" fill="#333" font-size="11">Paths of each object type (key kind), thicker the more often taken:</text>"##
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
        let svg = render_look(&map, &layout(&map), &ObjectLook::new(&objects));
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
}
