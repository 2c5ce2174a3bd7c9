//! Insignia's own API, beside the Wix ones: `/insignia/v1/…`, in the Wix
//! style (`{"page": {…}}` bodies, int64 revisions as strings, the Wix error
//! shape). Badge permissions live here: protected pages and the access check.
//!
//! Scopes: changing pages needs `SCOPE.DC-MEMBERS.MANAGE-BADGES`; reading
//! them and the access check need `SCOPE.DC-MEMBERS.READ-BADGES` (which a
//! manage key has too), so a site's web server can check access with a
//! read-only key.

mod access;
mod events;
mod pages;
mod webhooks;

use axum::routing::{get, post};
use axum::Router;

use crate::api::AppState;

pub const PREFIX: &str = "/insignia/v1";

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/insignia/v1/pages", post(pages::create))
        .route("/insignia/v1/pages/query", post(pages::query))
        .route(
            "/insignia/v1/pages/{id}",
            get(pages::fetch).patch(pages::update).delete(pages::delete),
        )
        .route("/insignia/v1/pages/{id}/badges", get(pages::badges_of_page))
        .route("/insignia/v1/badges/{id}/pages", get(pages::pages_of_badge))
        .route("/insignia/v1/access/check", post(access::check))
        .route("/insignia/v1/events", get(events::feed))
        .route("/insignia/v1/webhooks", post(webhooks::create).get(webhooks::list))
        .route("/insignia/v1/webhooks/public-key", get(webhooks::public_key))
        .route(
            "/insignia/v1/webhooks/{id}",
            get(webhooks::fetch).patch(webhooks::update).delete(webhooks::delete),
        )
        .route("/insignia/v1/webhooks/{id}/deliveries", get(webhooks::deliveries))
        .route("/insignia/v1/webhooks/{id}/redeliver", post(webhooks::redeliver))
        .route("/insignia/v1/members/{memberId}/pages", get(access::member_pages))
}
