//! `POST …/query`: assignments by the Wix query language.

use axum::extract::State;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::{json, Value};

use crate::api::auth::Caller;
use crate::api::error::ApiError;
use crate::api::json::JsonBody;
use crate::api::projection::Projection;
use crate::api::wire::assignment::{assignment_json_for, AssignmentWire};
use crate::api::wire::paging::query_metadata;
use crate::api::AppState;
use crate::query::{parse_query, PageLimits, ASSIGNMENTS};

/// Cursor pages: default and maximum 100, as the spec gives.
const LIMITS: PageLimits = PageLimits {
    default_limit: 100,
    max_limit: 100,
    default_cursor_limit: 100,
    max_cursor_limit: 100,
};

/// The fields of an assignment, which `query.fields` may name.
const ASSIGNMENT_FIELDS: [&str; 7] = [
    "id",
    "badgeId",
    "memberId",
    "tags",
    "extendedFields",
    "createdDate",
    "updatedDate",
];

/// An answer of whole assignments.
#[derive(serde::Serialize)]
#[serde(rename_all = "camelCase")]
struct WholeItems<'a> {
    badge_assignments: Vec<AssignmentWire<'a>>,
    paging_metadata: Value,
}

pub(super) async fn query(
    State(state): State<AppState>,
    caller: Caller,
    JsonBody(body): JsonBody,
) -> Result<Response, ApiError> {
    caller.require_read()?;
    let codec = state.services.cursors(caller.site);
    let mut raw = body.get("query").cloned().unwrap_or(Value::Null);
    let public = !caller.sees_private_tags();
    if public && raw.to_string().contains("privateTags") {
        return Err(ApiError::forbidden(
            "privateTags are not readable with a visitor or member token",
        ));
    }
    let projection = Projection::take(&mut raw, "query", &ASSIGNMENT_FIELDS)?;
    let query = parse_query(&ASSIGNMENTS, &raw, "query", LIMITS, &codec)?;
    let page = state.services.assignments().query(caller.site, &query).await?;
    let metadata = query_metadata(&codec, &query, page.items.len(), &page);
    if projection.is_whole() {
        // Whole items go straight into the answer, without a `Value` each.
        let answer = WholeItems {
            badge_assignments: page.items.iter().map(|a| AssignmentWire::new(a, !public)).collect(),
            paging_metadata: metadata,
        };
        return Ok(Json(answer).into_response());
    }
    let items: Vec<Value> = page
        .items
        .iter()
        .map(|a| projection.apply(assignment_json_for(a, !public)))
        .collect();
    Ok(Json(json!({ "badgeAssignments": items, "pagingMetadata": metadata })).into_response())
}
