//! The older Badges API (`badges` in the SDK): `/members/v3/badges` and its
//! aliases, over the same badges and assignments as V4. Icons travel as URL
//! strings, there is no revision, and lists page with `paging` → `metadata`.

mod badges;
mod members;

use axum::routing::{get, patch, post};
use axum::Router;

use crate::api::AppState;

/// Every prefix the SDK and Wix's docs use for this API. `/_api/…` is what the
/// SDK calls when pointed at a host other than Wix's.
const PREFIXES: [&str; 4] = [
    "/members/v3/badges",
    "/_api/members/v3/badges",
    "/badges/v3/badges",
    "/v3/badges",
];

pub fn routes() -> Router<AppState> {
    let mut router = Router::new();
    for prefix in PREFIXES {
        // The static segments (`order`, `members`, `query`, …) win over `{id}`.
        router = router
            .route(prefix, post(badges::create).get(badges::list))
            .route(&format!("{prefix}/query"), post(badges::query))
            .route(&format!("{prefix}/count"), post(badges::count))
            .route(&format!("{prefix}/order"), patch(badges::update_order))
            .route(&format!("{prefix}/assign"), post(members::assign_badges))
            .route(&format!("{prefix}/members"), post(members::badges_per_member))
            .route(&format!("{prefix}/members/count"), get(members::member_counts))
            .route(
                &format!("{prefix}/{{id}}"),
                get(badges::fetch).patch(badges::update).delete(badges::delete),
            )
            .route(
                &format!("{prefix}/{{id}}/members"),
                post(members::assign)
                    .get(members::members_of_badge)
                    .delete(members::unassign),
            );
    }
    router
}
