//! Drawing a process map: a layered (Sugiyama-style) top-down layout, and its SVG rendering.
//!
//! Layout and rendering are separate so that other renderers (an HTML report, PNG) reuse the
//! coordinates.

mod layered;
mod svg;

pub use layered::{layout, MapLayout, NodeKind, PlacedEdge, PlacedNode};
pub use svg::{render_svg, MapMode};
