//! The admin page at `/admin`: server-rendered HTML (maud) with a little
//! vanilla JavaScript, both embedded in the binary, so it works offline and
//! needs no build step. Handlers call the service layer, never the store, and
//! read input with the API's own readers, so a form shows the API's errors.
//!
//! Adding a screen takes one module and one entry: write `web/NAME.rs` with a
//! `routes()` function whose pages call [`layout::page`], then add a
//! [`Screen`] to [`SCREENS`]; the navigation and the router both read that list.
//!
//! Security, in one place each: sessions and cookies in [`session`], CSRF
//! tokens in [`csrf`], response headers (CSP, no caching, no framing) in
//! [`security_headers`].

mod assets;
mod badges;
mod clients;
mod csrf;
mod error;
mod form;
mod keys;
mod layout;
mod pages;
mod session;
mod signin;

use axum::extract::Request;
use axum::http::header::{self, HeaderValue};
use axum::middleware::{self, Next};
use axum::response::{Redirect, Response};
use axum::routing::get;
use axum::Router;

use crate::api::AppState;

/// One entry of the admin page's navigation.
pub struct Screen {
    pub label: &'static str,
    /// Where the navigation links to; also how the current screen is recognised.
    pub path: &'static str,
    pub routes: fn() -> Router<AppState>,
}

/// The screens, in navigation order.
pub const SCREENS: &[Screen] = &[
    Screen {
        label: "Badges",
        path: "/admin/badges",
        routes: badges::routes,
    },
    Screen {
        label: "Protected pages",
        path: "/admin/pages",
        routes: pages::routes,
    },
    Screen {
        label: "API keys",
        path: "/admin/keys",
        routes: keys::routes,
    },
    Screen {
        label: "Front-end clients",
        path: "/admin/clients",
        routes: clients::routes,
    },
];

/// Every `/admin` route.
pub fn routes() -> Router<AppState> {
    let mut router = Router::new()
        .route("/admin", get(home))
        .route("/admin/", get(home))
        .merge(signin::routes())
        .merge(assets::routes());
    for screen in SCREENS {
        router = router.merge((screen.routes)());
    }
    router.layer(middleware::from_fn(security_headers))
}

/// The link `insignia admin login-link` prints. The token travels in the
/// query string, which request logs leave out.
pub fn login_link_url(base_url: &str, token: &str) -> String {
    format!("{}/admin/login?token={token}", base_url.trim_end_matches('/'))
}

async fn home() -> Redirect {
    Redirect::to(SCREENS[0].path)
}

/// Headers on every admin response: scripts only from the binary itself
/// (inline styles are allowed for badge colours, which are validated
/// `#RRGGBB` values), icons from anywhere (they are the owner's URLs), no
/// framing, no referrer (a sign-in link carries its token in the URL), and
/// no caching of pages that show a site's data.
async fn security_headers(request: Request, next: Next) -> Response {
    let mut response = next.run(request).await;
    let headers = response.headers_mut();
    let set = |headers: &mut axum::http::HeaderMap, name: header::HeaderName, value: &'static str| {
        headers.entry(name).or_insert(HeaderValue::from_static(value));
    };
    set(
        headers,
        header::CONTENT_SECURITY_POLICY,
        "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src * data:; \
         connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
    );
    set(headers, header::X_FRAME_OPTIONS, "DENY");
    set(headers, header::REFERRER_POLICY, "no-referrer");
    set(headers, header::X_CONTENT_TYPE_OPTIONS, "nosniff");
    set(headers, header::CACHE_CONTROL, "no-store");
    response
}
