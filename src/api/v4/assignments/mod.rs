//! Badge Assignments (`badgeAssignments` in the SDK), single and bulk, and
//! the job records of bulk updates by filter.

mod bulk;
mod bulk_reply;
pub(crate) mod input;
mod jobs;
mod query;
mod single;

use axum::http::Method;

use crate::api::auth::Caller;
use crate::api::error::ApiError;
use crate::api::routes::Routes;
use crate::domain::Scope;

const PREFIXES: [&str; 4] = [
    "/badges/v4/badge-assignments",
    "/badges/v4/assignments",
    "/_api/badges/v4/assignments",
    "/v4/badge-assignments",
];
const BULK_PREFIXES: [&str; 4] = [
    "/badges/v4/bulk/badge-assignments",
    "/badges/v4/bulk/assignments",
    "/_api/badges/v4/bulk/assignments",
    "/v4/bulk/badge-assignments",
];
const JOB_PREFIXES: [&str; 2] = ["/jobs/v1/jobs", "/_api/jobs/v1/jobs"];

pub fn routes() -> Routes {
    let mut routes = Routes::new();
    for prefix in PREFIXES {
        let id = format!("{prefix}/{{id}}");
        routes = routes
            .manage(Method::POST, prefix, single::create)
            .read(Method::POST, &format!("{prefix}/query"), query::query)
            .read(Method::GET, &id, single::fetch)
            .manage(Method::DELETE, &id, single::delete);
    }
    for prefix in BULK_PREFIXES {
        routes = routes
            .manage(Method::POST, &format!("{prefix}/create"), bulk::create)
            .manage(Method::POST, &format!("{prefix}/delete"), bulk::delete)
            .manage(Method::POST, &format!("{prefix}/bulk-update-tags"), bulk::update_tags)
            .manage(
                Method::POST,
                &format!("{prefix}/update-tags-by-filter"),
                jobs::update_tags_by_filter,
            );
    }
    for prefix in JOB_PREFIXES {
        routes = routes.read(Method::GET, &format!("{prefix}/{{id}}"), jobs::job);
    }
    routes
}

/// An API key needs the manage scope; a member token goes on to the
/// delegation check of the badges it names. Visitors are refused.
pub(super) fn require_manager_or_member(caller: &Caller) -> Result<(), ApiError> {
    if caller.member().is_none() {
        caller.require(Scope::ManageBadges)?;
    }
    Ok(())
}
