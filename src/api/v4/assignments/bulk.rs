//! Bulk create, delete and re-tag: up to 100 items. A malformed item refuses
//! the whole call; a well-formed one succeeds or fails on its own.

use axum::extract::State;
use axum::Json;
use serde_json::{Map, Value};

use super::bulk_reply::{bulk_reply, BulkItemResult, BulkReply};
use super::input::{parse_new_assignment, tag_change};
use super::require_manager_or_member;
use crate::api::auth::Caller;
use crate::api::error::ApiError;
use crate::api::json::{Fields, JsonBody};
use crate::api::wire::assignment::assignment_json;
use crate::api::AppState;
use crate::domain::{AssignmentId, BadgeAssignment, FieldViolation, NewAssignment, Scope};
use crate::service::assignments::{ItemError, MAX_BULK_ITEMS};

/// The items array of a bulk call: 1 to 100 entries, else the whole call is refused.
fn bulk_items<'a>(body: &'a Map<String, Value>, name: &str) -> Result<&'a Vec<Value>, ApiError> {
    let items = match body.get(name) {
        Some(Value::Array(items)) => items,
        None | Some(Value::Null) => {
            return Err(ApiError::invalid(vec![FieldViolation::new(
                name,
                "REQUIRED_FIELD",
                format!("`{name}` is required"),
            )]))
        }
        Some(_) => {
            return Err(ApiError::invalid(vec![FieldViolation::new(
                name,
                "TYPE",
                format!("`{name}` must be an array"),
            )]))
        }
    };
    if items.is_empty() || items.len() > MAX_BULK_ITEMS {
        return Err(ApiError::invalid(vec![FieldViolation::new(
            name,
            "SIZE",
            format!("`{name}` must hold 1 to {MAX_BULK_ITEMS} items, got {}", items.len()),
        )]));
    }
    Ok(items)
}

/// Every item must keep the message's declared format (`@format GUID`,
/// `@requiredField`): one that does not refuses the whole call with 400,
/// naming `badgeAssignments[i].…`. Items fail alone only for what the data
/// decides (an unknown badge, a duplicate).
pub(super) async fn create(
    State(state): State<AppState>,
    caller: Caller,
    JsonBody(body): JsonBody,
) -> Result<Json<BulkReply>, ApiError> {
    require_manager_or_member(&caller)?;
    let items = bulk_items(&body, "badgeAssignments")?;
    let mut f = Fields::new(&body, "");
    let return_entity = f.bool("returnEntity").unwrap_or(false);
    let mut valid: Vec<NewAssignment> = Vec::with_capacity(items.len());
    for (i, item) in items.iter().enumerate() {
        let prefix = format!("badgeAssignments[{i}]");
        match item.as_object() {
            Some(obj) => match parse_new_assignment(obj, &prefix) {
                Ok(parsed) => valid.push(parsed),
                Err(mut violations) => f.violations.append(&mut violations),
            },
            None => f.violations.push(FieldViolation::new(
                prefix.clone(),
                "TYPE",
                format!("`{prefix}` must be an object"),
            )),
        }
    }
    f.finish()?;
    // A member may create assignments of the badges delegated to a badge
    // they hold, all or nothing; the site's private tags stay the site's.
    state
        .services
        .delegation()
        .require_assigner_of_all(&caller, &valid.iter().map(|item| item.badge_id).collect::<Vec<_>>())
        .await?;
    if !caller.sees_private_tags() && valid.iter().any(|item| !item.tags.private.is_empty()) {
        return Err(ApiError::forbidden("privateTags are not writable with a member token"));
    }
    let created = state
        .services
        .acting_as(caller.actor())
        .assignments()
        .create_many(caller.site, &valid)
        .await?;
    let results = created
        .into_iter()
        .map(|result| match result {
            Ok(a) => (Some(a.id.to_string()), Ok(return_entity.then(|| assignment_json(&a)))),
            Err(e) => (None, Err(e)),
        })
        .collect();
    Ok(Json(bulk_reply(results)))
}

/// The id list `name` of a bulk call: 1 to 100 GUIDs (`@format GUID`), else
/// the whole call is refused, naming the item.
fn bulk_ids(body: &Map<String, Value>, name: &str) -> Result<Vec<AssignmentId>, ApiError> {
    let mut f = Fields::new(body, "");
    let ids = f.guid_list(name, 1, MAX_BULK_ITEMS);
    f.finish()?;
    Ok(ids
        .unwrap_or_default()
        .into_iter()
        .map(AssignmentId::from_uuid)
        .collect())
}

/// Lines the answers of a call on `ids` up with them, one result per id.
fn results_by_id(
    ids: &[AssignmentId],
    applied: Vec<Result<BadgeAssignment, ItemError>>,
    return_entity: bool,
) -> Vec<BulkItemResult> {
    ids.iter()
        .zip(applied)
        .map(|(id, result)| {
            let item = result.map(|a| return_entity.then(|| assignment_json(&a)));
            (Some(id.to_string()), item)
        })
        .collect()
}

pub(super) async fn delete(
    State(state): State<AppState>,
    caller: Caller,
    JsonBody(body): JsonBody,
) -> Result<Json<BulkReply>, ApiError> {
    require_manager_or_member(&caller)?;
    let ids = bulk_ids(&body, "badgeAssignmentIds")?;
    if caller.member().is_some() {
        // A member may delete assignments of the badges delegated to a badge
        // they hold, all or nothing; ids that do not exist fail on their own.
        let found = state.services.assignments().get_many(caller.site, &ids).await?;
        state
            .services
            .delegation()
            .require_assigner_of_all(&caller, &found.iter().map(|a| a.badge_id).collect::<Vec<_>>())
            .await?;
    }
    let deleted = state
        .services
        .acting_as(caller.actor())
        .assignments()
        .delete_many(caller.site, &ids)
        .await?;
    Ok(Json(bulk_reply(results_by_id(&ids, deleted, false))))
}

pub(super) async fn update_tags(
    State(state): State<AppState>,
    caller: Caller,
    JsonBody(body): JsonBody,
) -> Result<Json<BulkReply>, ApiError> {
    caller.require(Scope::ManageBadges)?;
    let ids = bulk_ids(&body, "ids")?;
    let (add, remove) = tag_change(&body)?;
    let mut f = Fields::new(&body, "");
    let return_entity = f.bool("returnEntity").unwrap_or(false);
    f.finish()?;
    let updated = state
        .services
        .acting_as(caller.actor())
        .assignments()
        .update_tags(caller.site, &ids, &add, &remove)
        .await?;
    Ok(Json(bulk_reply(results_by_id(&ids, updated, return_entity))))
}
