//! `GET`/`PUT /insignia/v1/badges/{id}/delegation`
//! `{"delegation": {"assignerBadgeIds": [...]}}`: which badges' holders may
//! assign and unassign this badge. Reading needs the read scope, changing
//! it the manage scope.

use axum::extract::{Path, State};
use axum::Json;
use serde_json::{json, Value};

use crate::api::auth::Caller;
use crate::api::error::ApiError;
use crate::api::json::{required_object, Fields, JsonBody};
use crate::api::AppState;
use crate::domain::{BadgeId, Scope};
use crate::service::delegation::MAX_ASSIGNER_BADGES;

fn badge_id(raw: &str) -> Result<BadgeId, ApiError> {
    Ok(BadgeId::parse("badgeId", raw)?)
}

fn delegation_json(badge: BadgeId, assigners: &[BadgeId]) -> Json<Value> {
    let ids: Vec<String> = assigners.iter().map(ToString::to_string).collect();
    Json(json!({ "delegation": { "badgeId": badge.to_string(), "assignerBadgeIds": ids } }))
}

pub async fn fetch(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    caller.require(Scope::ReadBadges)?;
    let badge = badge_id(&id)?;
    let assigners = state.services.delegation().get(&caller, badge).await?;
    Ok(delegation_json(badge, &assigners))
}

pub async fn replace(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    JsonBody(body): JsonBody,
) -> Result<Json<Value>, ApiError> {
    caller.require(Scope::ManageBadges)?;
    let badge = badge_id(&id)?;
    let delegation = required_object(&body, "delegation", "DELEGATION_NOT_PROVIDED")?;
    let mut f = Fields::new(delegation, "delegation");
    f.refuse_unknown(&["assignerBadgeIds", "badgeId"]);
    let ids = f
        .guid_list("assignerBadgeIds", 0, MAX_ASSIGNER_BADGES)
        .unwrap_or_default();
    f.finish()?;
    let mut seen = std::collections::HashSet::new();
    let assigners: Vec<BadgeId> = ids
        .into_iter()
        .map(BadgeId::from_uuid)
        .filter(|b| seen.insert(*b))
        .collect();
    let saved = state.services.delegation().set(&caller, badge, &assigners).await?;
    Ok(delegation_json(badge, &saved))
}
