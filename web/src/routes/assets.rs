//! The few static assets, compiled into the binary so a single file is the whole product.

use crate::AppState;
use axum::http::header;
use axum::routing::get;
use axum::Router;

const STYLE: &str = include_str!("../../static/style.css");
const MAP_JS: &str = include_str!("../../static/map.js");
const DISCOVER_JS: &str = include_str!("../../static/discover.js");

pub fn routes() -> Router<AppState> {
    Router::new()
        .route(
            "/static/style.css",
            get(|| async { ([(header::CONTENT_TYPE, "text/css; charset=utf-8")], STYLE) }),
        )
        .route(
            "/static/map.js",
            get(|| async {
                (
                    [(header::CONTENT_TYPE, "text/javascript; charset=utf-8")],
                    MAP_JS,
                )
            }),
        )
        .route(
            "/static/discover.js",
            get(|| async {
                (
                    [(header::CONTENT_TYPE, "text/javascript; charset=utf-8")],
                    DISCOVER_JS,
                )
            }),
        )
}
