//! The few static assets, compiled into the binary so a single file is the whole product.

use crate::AppState;
use axum::http::header;
use axum::routing::get;
use axum::Router;

const JS: &str = "text/javascript; charset=utf-8";
const CSS: &str = "text/css; charset=utf-8";

/// Every asset: its path, its content type and its text. bpmn-js's navigated viewer and its
/// style sheets are vendored unchanged (see `static/vendor/bpmn-js/README`).
const ASSETS: [(&str, &str, &str); 9] = [
    (
        "/static/style.css",
        CSS,
        include_str!("../../static/style.css"),
    ),
    ("/static/map.js", JS, include_str!("../../static/map.js")),
    (
        "/static/discover.js",
        JS,
        include_str!("../../static/discover.js"),
    ),
    (
        "/static/model.js",
        JS,
        include_str!("../../static/model.js"),
    ),
    ("/static/live.js", JS, include_str!("../../static/live.js")),
    (
        "/static/filters.js",
        JS,
        include_str!("../../static/filters.js"),
    ),
    (
        "/static/vendor/bpmn-js/bpmn-navigated-viewer.production.min.js",
        JS,
        include_str!("../../static/vendor/bpmn-js/bpmn-navigated-viewer.production.min.js"),
    ),
    (
        "/static/vendor/bpmn-js/diagram-js.css",
        CSS,
        include_str!("../../static/vendor/bpmn-js/diagram-js.css"),
    ),
    (
        "/static/vendor/bpmn-js/bpmn-js.css",
        CSS,
        include_str!("../../static/vendor/bpmn-js/bpmn-js.css"),
    ),
];

pub fn routes() -> Router<AppState> {
    ASSETS
        .into_iter()
        .fold(Router::new(), |router, (path, content_type, body)| {
            router.route(
                path,
                get(move || async move { ([(header::CONTENT_TYPE, content_type)], body) }),
            )
        })
}
