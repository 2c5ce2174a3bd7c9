//! The stylesheet and script, compiled into the binary.

use axum::http::header;
use axum::response::IntoResponse;
use axum::routing::get;
use axum::Router;

use crate::api::AppState;

const CSS: &str = include_str!("assets/admin.css");
const JS: &str = include_str!("assets/admin.js");

pub fn routes() -> Router<AppState> {
    Router::new()
        .route(
            "/admin/assets/admin.css",
            get(|| async { asset("text/css; charset=utf-8", CSS) }),
        )
        .route(
            "/admin/assets/admin.js",
            get(|| async { asset("text/javascript; charset=utf-8", JS) }),
        )
}

/// `no-cache`: browsers revalidate, so a new binary's assets are used at once.
fn asset(content_type: &'static str, body: &'static str) -> impl IntoResponse {
    (
        [
            (header::CONTENT_TYPE, content_type),
            (header::CACHE_CONTROL, "no-cache"),
        ],
        body,
    )
}
