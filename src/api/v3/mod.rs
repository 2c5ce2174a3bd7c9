//! The older Badges API (`badges` in the SDK): `/members/v3/badges` and its
//! aliases, over the same badges and assignments as V4. Icons travel as URL
//! strings, there is no revision, and lists page with `paging` → `metadata`.

mod badges;
mod members;

use axum::http::Method;

use crate::api::routes::Routes;

/// Every prefix the SDK and Wix's docs use for this API. `/_api/…` is what the
/// SDK calls when pointed at a host other than Wix's.
const PREFIXES: [&str; 4] = [
    "/members/v3/badges",
    "/_api/members/v3/badges",
    "/badges/v3/badges",
    "/v3/badges",
];

pub fn routes() -> Routes {
    let mut routes = Routes::new();
    for prefix in PREFIXES {
        // The static segments (`order`, `members`, `query`, …) win over `{id}`.
        let id = format!("{prefix}/{{id}}");
        let members = format!("{id}/members");
        routes = routes
            .manage(Method::POST, prefix, badges::create)
            .read(Method::GET, prefix, badges::list)
            .read(Method::POST, &format!("{prefix}/query"), badges::query)
            .read(Method::POST, &format!("{prefix}/count"), badges::count)
            .manage(Method::PATCH, &format!("{prefix}/order"), badges::update_order)
            .manage(Method::POST, &format!("{prefix}/assign"), members::assign_badges)
            .read(Method::POST, &format!("{prefix}/members"), members::badges_per_member)
            .read(Method::GET, &format!("{prefix}/members/count"), members::member_counts)
            .read(Method::GET, &id, badges::fetch)
            .manage(Method::PATCH, &id, badges::update)
            .manage(Method::DELETE, &id, badges::delete)
            .manage(Method::POST, &members, members::assign)
            .read(Method::GET, &members, members::members_of_badge)
            .manage(Method::DELETE, &members, members::unassign);
    }
    routes
}
