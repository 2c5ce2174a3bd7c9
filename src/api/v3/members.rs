//! Legacy member calls: assign and unassign a badge, the members holding a
//! badge, the badges of members, and member counts per badge. They read and
//! write the same assignment rows as V4.

use axum::extract::{Path, RawQuery, State};
use axum::Json;
use serde_json::{json, Value};

use super::badges::badge_id;
use crate::api::auth::Caller;
use crate::api::error::ApiError;
use crate::api::json::{Fields, JsonBody};
use crate::api::wire::paging::offset_metadata;
use crate::api::wire::query_params::QueryParams;
use crate::api::AppState;
use crate::domain::{parse_guid, BadgeId, MemberId, Scope};
use crate::service::assignments::MAX_BULK_ITEMS;

/// Most members one assign or unassign call may name (the spec's
/// recommended cap; Wix documents none).
const MAX_MEMBERS_PER_CHANGE: usize = 1000;

/// `name` from a body: 1–`max` GUIDs, duplicates dropped (order kept).
fn member_ids(body: &serde_json::Map<String, Value>, name: &str, max: usize) -> Result<Vec<MemberId>, ApiError> {
    let mut f = Fields::new(body, "");
    let ids = f.guid_list(name, 1, max).unwrap_or_default();
    f.finish()?;
    Ok(distinct(ids.into_iter().map(MemberId::from_uuid)))
}

fn distinct<T: Copy + Eq + std::hash::Hash>(items: impl Iterator<Item = T>) -> Vec<T> {
    let mut seen = std::collections::HashSet::new();
    items.filter(|item| seen.insert(*item)).collect()
}

/// `POST …/badges/{id}/members` `{memberIds}` → `{memberIds}`: idempotent;
/// answers the members that hold the badge after the call.
pub(super) async fn assign(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    JsonBody(body): JsonBody,
) -> Result<Json<Value>, ApiError> {
    if caller.member().is_none() {
        caller.require(Scope::ManageBadges)?;
    }
    let badge = badge_id(&id)?;
    state.services.delegation().require_assigner(&caller, badge).await?;
    let members = member_ids(&body, "memberIds", MAX_MEMBERS_PER_CHANGE)?;
    let holding = state
        .services
        .acting_as(caller.actor())
        .assignments()
        .assign_members(caller.site, badge, &members)
        .await?;
    Ok(Json(json!({ "memberIds": ids_json(&holding) })))
}

/// `POST …/badges/assign` `{ids, memberId}` → `{ids}`: several badges to one
/// member; answers the badges newly assigned. An unknown badge assigns none.
pub(super) async fn assign_badges(
    State(state): State<AppState>,
    caller: Caller,
    JsonBody(body): JsonBody,
) -> Result<Json<Value>, ApiError> {
    if caller.member().is_none() {
        caller.require(Scope::ManageBadges)?;
    }
    let mut f = Fields::new(&body, "");
    let badges = f.guid_list("ids", 1, MAX_BULK_ITEMS).unwrap_or_default();
    let member = f
        .required_str("memberId")
        .and_then(|raw| f.check(parse_guid("memberId", raw)));
    f.finish()?;
    let member = MemberId::from_uuid(member.ok_or_else(ApiError::internal)?);
    let badges = distinct(badges.into_iter().map(BadgeId::from_uuid));
    state
        .services
        .delegation()
        .require_assigner_of_all(&caller, &badges)
        .await?;
    let assigned = state
        .services
        .acting_as(caller.actor())
        .assignments()
        .assign_badges(caller.site, member, &badges)
        .await?;
    Ok(Json(json!({ "ids": ids_json(&assigned) })))
}

/// `DELETE …/badges/{id}/members?memberIds=a&memberIds=b` → `{}`.
pub(super) async fn unassign(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    RawQuery(raw): RawQuery,
) -> Result<Json<Value>, ApiError> {
    if caller.member().is_none() {
        caller.require(Scope::ManageBadges)?;
    }
    let badge = badge_id(&id)?;
    state.services.delegation().require_assigner(&caller, badge).await?;
    // The repeated query keys read as the JSON list a body would carry, so
    // the same rules and messages apply.
    let given: Vec<Value> = QueryParams::parse(raw.as_deref())
        .all("memberIds")
        .into_iter()
        .map(Value::from)
        .collect();
    let query = serde_json::Map::from_iter([("memberIds".to_owned(), Value::Array(given))]);
    let members = member_ids(&query, "memberIds", MAX_MEMBERS_PER_CHANGE)?;
    state
        .services
        .acting_as(caller.actor())
        .assignments()
        .unassign_members(caller.site, badge, &members)
        .await?;
    Ok(Json(json!({})))
}

/// `GET …/badges/{id}/members?paging.limit=&paging.offset=` → `{memberIds, metadata}`,
/// the newest holders first.
pub(super) async fn members_of_badge(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    RawQuery(raw): RawQuery,
) -> Result<Json<Value>, ApiError> {
    caller.require_read()?;
    let badge = badge_id(&id)?;
    let (limit, offset) = QueryParams::parse(raw.as_deref()).paging()?;
    let (members, total) = state
        .services
        .assignments()
        .members_of_badge(caller.site, badge, limit, offset)
        .await?;
    Ok(Json(json!({
        "memberIds": ids_json(&members),
        "metadata": offset_metadata(members.len(), offset, Some(total)),
    })))
}

/// `POST …/badges/members` `{memberIds}` → `{memberBadgeIds: [{memberId, badgeIds}]}`,
/// one entry per member asked about, in the order asked, each member's badges
/// in display order.
pub(super) async fn badges_per_member(
    State(state): State<AppState>,
    caller: Caller,
    JsonBody(body): JsonBody,
) -> Result<Json<Value>, ApiError> {
    caller.require_read()?;
    let members = member_ids(&body, "memberIds", MAX_BULK_ITEMS)?;
    let held = state
        .services
        .assignments()
        .badges_per_member(caller.site, &members)
        .await?;
    let entries: Vec<Value> = held
        .iter()
        .map(|(member, badges)| json!({ "memberId": member.to_string(), "badgeIds": ids_json(badges) }))
        .collect();
    Ok(Json(json!({ "memberBadgeIds": entries })))
}

/// `GET …/badges/members/count` → `{badgeMemberCounts: [{badgeId, memberCount}]}`
/// for every badge of the site, in display order (counts are kept exact on write).
pub(super) async fn member_counts(State(state): State<AppState>, caller: Caller) -> Result<Json<Value>, ApiError> {
    caller.require_read()?;
    let counts = state.services.badges().member_counts(caller.site).await?;
    let entries: Vec<Value> = counts
        .iter()
        .map(|(badge, count)| json!({ "badgeId": badge.to_string(), "memberCount": count }))
        .collect();
    Ok(Json(json!({ "badgeMemberCounts": entries })))
}

fn ids_json<T: ToString>(ids: &[T]) -> Vec<String> {
    ids.iter().map(ToString::to_string).collect()
}
