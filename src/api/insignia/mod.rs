//! Insignia's own API, beside the Wix ones: `/insignia/v1/…`, in the Wix
//! style (`{"page": {…}}` bodies, int64 revisions as strings, the Wix error
//! shape). Badge permissions live here: protected pages and the access check.
//!
//! Scopes: changing pages needs `SCOPE.DC-MEMBERS.MANAGE-BADGES`; reading
//! them and the access check need `SCOPE.DC-MEMBERS.READ-BADGES` (which a
//! manage key has too), so a site's web server can check access with a
//! read-only key.

mod access;
mod delegation;
mod events;
mod forward_auth;
mod pages;
mod sessions;
pub(crate) mod webhooks;

use axum::http::Method;

use crate::api::routes::{Access, Routes};

pub const PREFIX: &str = "/insignia/v1";

pub fn routes() -> Routes {
    Routes::new()
        .manage(Method::POST, "/insignia/v1/pages", pages::create)
        .read(Method::POST, "/insignia/v1/pages/query", pages::query)
        .read(Method::GET, "/insignia/v1/pages/{id}", pages::fetch)
        .manage(Method::PATCH, "/insignia/v1/pages/{id}", pages::update)
        .manage(Method::DELETE, "/insignia/v1/pages/{id}", pages::delete)
        .read(Method::GET, "/insignia/v1/pages/{id}/badges", pages::badges_of_page)
        .read(Method::GET, "/insignia/v1/badges/{id}/pages", pages::pages_of_badge)
        .read(Method::POST, "/insignia/v1/access/check", access::check)
        .read(
            Method::GET,
            "/insignia/v1/members/{memberId}/pages",
            access::member_pages,
        )
        .read(Method::GET, "/insignia/v1/badges/{id}/delegation", delegation::fetch)
        .manage(Method::PUT, "/insignia/v1/badges/{id}/delegation", delegation::replace)
        .add(
            Method::GET,
            "/insignia/v1/forward-auth",
            Access::FrontEndToken,
            forward_auth::gate,
        )
        .manage(
            Method::POST,
            "/insignia/v1/members/{memberId}/sessions/revoke",
            sessions::revoke_member,
        )
        .read(Method::GET, "/insignia/v1/events", events::feed)
        .manage(Method::POST, "/insignia/v1/webhooks", webhooks::create)
        .manage(Method::GET, "/insignia/v1/webhooks", webhooks::list)
        // What receivers verify signatures with: public, like Wix's app public keys.
        .add(
            Method::GET,
            "/insignia/v1/webhooks/public-key",
            Access::Public,
            webhooks::public_key,
        )
        .manage(Method::GET, "/insignia/v1/webhooks/{id}", webhooks::fetch)
        .manage(Method::PATCH, "/insignia/v1/webhooks/{id}", webhooks::update)
        .manage(Method::DELETE, "/insignia/v1/webhooks/{id}", webhooks::delete)
        .manage(
            Method::GET,
            "/insignia/v1/webhooks/{id}/deliveries",
            webhooks::deliveries,
        )
        .manage(
            Method::POST,
            "/insignia/v1/webhooks/{id}/redeliver",
            webhooks::redeliver,
        )
}
