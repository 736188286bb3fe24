//! Drawing a process map: a layered (Sugiyama-style) top-down layout, and its SVG rendering
//! (by a metric, or object-centric: one strand per object type).
//!
//! Layout and rendering are separate so that every drawing of a map uses the same coordinates:
//! the HTML report embeds the SVG, and PNG is rendered from the SVG. The arranging in layers
//! ([`arrange`]) is shared with the BPMN export's diagram.

pub mod arrange;
mod contrast;
mod layered;
mod objects;
mod svg;

pub use layered::{layout, MapLayout, NodeKind, PlacedEdge, PlacedNode};
pub use objects::{kind_colour, ObjectLook};
pub use svg::{render_look, render_svg, ArcLook, MapLook, MapMetric, MapMode};
