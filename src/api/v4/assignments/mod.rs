//! Badge Assignments (`badgeAssignments` in the SDK), single and bulk, and
//! the job records of bulk updates by filter.

mod bulk;
mod bulk_reply;
pub(crate) mod input;
mod jobs;
mod query;
mod single;

use axum::routing::{get, post};
use axum::Router;

use crate::api::AppState;

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

pub fn routes() -> Router<AppState> {
    let mut router = Router::new();
    for prefix in PREFIXES {
        router = router
            .route(prefix, post(single::create))
            .route(&format!("{prefix}/query"), post(query::query))
            .route(&format!("{prefix}/{{id}}"), get(single::fetch).delete(single::delete));
    }
    for prefix in BULK_PREFIXES {
        router = router
            .route(&format!("{prefix}/create"), post(bulk::create))
            .route(&format!("{prefix}/delete"), post(bulk::delete))
            .route(&format!("{prefix}/bulk-update-tags"), post(bulk::update_tags))
            .route(
                &format!("{prefix}/update-tags-by-filter"),
                post(jobs::update_tags_by_filter),
            );
    }
    for prefix in JOB_PREFIXES {
        router = router.route(&format!("{prefix}/{{id}}"), get(jobs::job));
    }
    router
}
