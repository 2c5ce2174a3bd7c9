//! One assignment at a time: create, get, delete.

use axum::extract::{Path, State};
use axum::Json;
use serde_json::{json, Value};

use super::input::parse_new_assignment;
use super::require_manager_or_member;
use crate::api::auth::Caller;
use crate::api::error::ApiError;
use crate::api::json::{required_object, JsonBody};
use crate::api::wire::assignment::assignment_json_for;
use crate::api::AppState;
use crate::domain::{AssignmentId, Scope};

pub(super) async fn create(
    State(state): State<AppState>,
    caller: Caller,
    JsonBody(body): JsonBody,
) -> Result<Json<Value>, ApiError> {
    require_manager_or_member(&caller)?;
    let input = required_object(&body, "badgeAssignment", "BADGE_ASSIGNMENT_NOT_PROVIDED")?;
    let item = parse_new_assignment(input, "badgeAssignment").map_err(ApiError::invalid)?;
    // A member may assign the badges delegated to a badge they hold; the
    // site's private tags stay the site's.
    state
        .services
        .delegation()
        .require_assigner(&caller, item.badge_id)
        .await?;
    if !caller.sees_private_tags() && !item.tags.private.is_empty() {
        return Err(ApiError::forbidden("privateTags are not writable with a member token"));
    }
    let created = state
        .services
        .acting_as(caller.actor())
        .assignments()
        .create(caller.site, item)
        .await?;
    Ok(Json(
        json!({ "badgeAssignment": assignment_json_for(&created, caller.sees_private_tags()) }),
    ))
}

fn assignment_id(raw: &str) -> Result<AssignmentId, ApiError> {
    Ok(AssignmentId::parse("badgeAssignmentId", raw)?)
}

pub(super) async fn fetch(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    caller.require_read()?;
    let found = state
        .services
        .assignments()
        .get(caller.site, assignment_id(&id)?)
        .await?;
    Ok(Json(
        json!({ "badgeAssignment": assignment_json_for(&found, caller.sees_private_tags()) }),
    ))
}

pub(super) async fn delete(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let id = assignment_id(&id)?;
    if caller.member().is_some() {
        // A member may unassign the badges delegated to a badge they hold.
        let found = state.services.assignments().get(caller.site, id).await?;
        state
            .services
            .delegation()
            .require_assigner(&caller, found.badge_id)
            .await?;
    } else {
        caller.require(Scope::ManageBadges)?;
    }
    state
        .services
        .acting_as(caller.actor())
        .assignments()
        .delete(caller.site, id)
        .await?;
    Ok(Json(json!({})))
}
