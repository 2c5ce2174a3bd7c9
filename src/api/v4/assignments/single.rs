//! One assignment at a time: create, get, delete.

use axum::extract::{Path, State};
use axum::Json;
use serde_json::{json, Value};

use super::input::parse_new_assignment;
use crate::api::auth::Caller;
use crate::api::error::ApiError;
use crate::api::json::{required_object, JsonBody};
use crate::api::wire::assignment::assignment_json;
use crate::api::AppState;
use crate::domain::{AssignmentId, Scope};

pub(super) async fn create(
    State(state): State<AppState>,
    caller: Caller,
    JsonBody(body): JsonBody,
) -> Result<Json<Value>, ApiError> {
    caller.require(Scope::ManageBadges)?;
    let input = required_object(&body, "badgeAssignment", "BADGE_ASSIGNMENT_NOT_PROVIDED")?;
    let item = parse_new_assignment(input, "badgeAssignment").map_err(ApiError::invalid)?;
    let created = state
        .services
        .acting_as(caller.actor())
        .assignments()
        .create(caller.site, item)
        .await?;
    Ok(Json(json!({ "badgeAssignment": assignment_json(&created) })))
}

fn assignment_id(raw: &str) -> Result<AssignmentId, ApiError> {
    Ok(AssignmentId::parse("badgeAssignmentId", raw)?)
}

pub(super) async fn fetch(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    caller.require(Scope::ReadBadges)?;
    let found = state
        .services
        .assignments()
        .get(caller.site, assignment_id(&id)?)
        .await?;
    Ok(Json(json!({ "badgeAssignment": assignment_json(&found) })))
}

pub(super) async fn delete(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    caller.require(Scope::ManageBadges)?;
    state
        .services
        .acting_as(caller.actor())
        .assignments()
        .delete(caller.site, assignment_id(&id)?)
        .await?;
    Ok(Json(json!({})))
}
