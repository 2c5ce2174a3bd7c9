//! Bulk create, delete and re-tag: up to 100 items, each succeeding or
//! failing on its own.

use axum::extract::State;
use axum::Json;
use serde_json::{Map, Value};

use super::bulk_reply::{bulk_reply, BulkItemResult, BulkReply};
use super::input::{parse_new_assignment, tag_change, violations_text};
use crate::api::auth::Caller;
use crate::api::error::ApiError;
use crate::api::json::{Fields, JsonBody};
use crate::api::wire::assignment::assignment_json;
use crate::api::AppState;
use crate::domain::{parse_guid, AssignmentId, BadgeAssignment, FieldViolation, NewAssignment, Scope};
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

pub(super) async fn create(
    State(state): State<AppState>,
    caller: Caller,
    JsonBody(body): JsonBody,
) -> Result<Json<BulkReply>, ApiError> {
    caller.require(Scope::ManageBadges)?;
    let items = bulk_items(&body, "badgeAssignments")?;
    let mut f = Fields::new(&body, "");
    let return_entity = f.bool("returnEntity").unwrap_or(false);
    f.finish()?;

    // Parse every item; bad ones fail alone, by index.
    let mut parsed: Vec<Result<NewAssignment, ItemError>> = Vec::with_capacity(items.len());
    for (i, item) in items.iter().enumerate() {
        let prefix = format!("badgeAssignments[{i}]");
        parsed.push(match item.as_object() {
            Some(obj) => parse_new_assignment(obj, &prefix).map_err(|v| ItemError::invalid(violations_text(&v))),
            None => Err(ItemError::invalid(format!("`{prefix}` must be an object"))),
        });
    }
    let valid: Vec<NewAssignment> = parsed.iter().filter_map(|p| p.as_ref().ok().cloned()).collect();
    let mut created = state
        .services
        .assignments()
        .create_many(caller.site, &valid)
        .await?
        .into_iter();
    let results = parsed
        .into_iter()
        .map(|p| match p {
            Err(e) => (None, Err(e)),
            Ok(_) => match created.next() {
                Some(Ok(a)) => (Some(a.id.to_string()), Ok(return_entity.then(|| assignment_json(&a)))),
                Some(Err(e)) => (None, Err(e)),
                None => (None, Err(ItemError::invalid("item was not processed".into()))),
            },
        })
        .collect();
    Ok(Json(bulk_reply(results)))
}

/// Parses an id list item by item: a malformed id fails alone.
fn parse_ids(items: &[Value], name: &str) -> Vec<Result<AssignmentId, ItemError>> {
    items
        .iter()
        .enumerate()
        .map(|(i, item)| {
            let path = format!("{name}[{i}]");
            match item.as_str() {
                Some(raw) => parse_guid(&path, raw)
                    .map(AssignmentId::from_uuid)
                    .map_err(|v| ItemError::invalid(v.description)),
                None => Err(ItemError::invalid(format!("`{path}` must be a GUID string"))),
            }
        })
        .collect()
}

/// Runs `apply` on the well-formed ids and lines its answers up with the request.
fn merge_by_id(
    parsed: Vec<Result<AssignmentId, ItemError>>,
    applied: Vec<Result<BadgeAssignment, ItemError>>,
    return_entity: bool,
) -> Vec<BulkItemResult> {
    let mut applied = applied.into_iter();
    parsed
        .into_iter()
        .map(|p| match p {
            Err(e) => (None, Err(e)),
            Ok(id) => match applied.next() {
                Some(Ok(a)) => (Some(id.to_string()), Ok(return_entity.then(|| assignment_json(&a)))),
                Some(Err(e)) => (Some(id.to_string()), Err(e)),
                None => (Some(id.to_string()), Err(ItemError::not_found(id))),
            },
        })
        .collect()
}

pub(super) async fn delete(
    State(state): State<AppState>,
    caller: Caller,
    JsonBody(body): JsonBody,
) -> Result<Json<BulkReply>, ApiError> {
    caller.require(Scope::ManageBadges)?;
    let parsed = parse_ids(bulk_items(&body, "badgeAssignmentIds")?, "badgeAssignmentIds");
    let ids: Vec<AssignmentId> = parsed.iter().filter_map(|p| p.as_ref().ok().copied()).collect();
    let deleted = state.services.assignments().delete_many(caller.site, &ids).await?;
    Ok(Json(bulk_reply(merge_by_id(parsed, deleted, false))))
}

pub(super) async fn update_tags(
    State(state): State<AppState>,
    caller: Caller,
    JsonBody(body): JsonBody,
) -> Result<Json<BulkReply>, ApiError> {
    caller.require(Scope::ManageBadges)?;
    let parsed = parse_ids(bulk_items(&body, "ids")?, "ids");
    let (add, remove) = tag_change(&body)?;
    let mut f = Fields::new(&body, "");
    let return_entity = f.bool("returnEntity").unwrap_or(false);
    f.finish()?;
    let ids: Vec<AssignmentId> = parsed.iter().filter_map(|p| p.as_ref().ok().copied()).collect();
    let updated = state
        .services
        .assignments()
        .update_tags(caller.site, &ids, &add, &remove)
        .await?;
    Ok(Json(bulk_reply(merge_by_id(parsed, updated, return_entity))))
}
