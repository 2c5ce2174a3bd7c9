//! Legacy badge calls: create, get, update (no revision), delete, list in
//! display order, query, count and display order.

use axum::extract::{Path, RawQuery, State};
use axum::Json;
use serde_json::{json, Value};

use crate::api::auth::Caller;
use crate::api::error::ApiError;
use crate::api::json::{required_object, JsonBody};
use crate::api::wire::badge::legacy_badge_json as badge_json;
use crate::api::wire::badge_input::{self, MissingColour};
use crate::api::wire::order::reorder_front;
use crate::api::wire::paging::{offset_metadata, query_metadata};
use crate::api::wire::query_params::{QueryParams, DEFAULT_LIMIT, MAX_LIMIT};
use crate::api::AppState;
use crate::domain::{BadgeId, Scope};
use crate::query::{parse_filter, parse_query, PageLimits, Paging, Query, BADGES};

const LIMITS: PageLimits = PageLimits {
    default_limit: DEFAULT_LIMIT,
    max_limit: MAX_LIMIT,
    default_cursor_limit: DEFAULT_LIMIT,
    max_cursor_limit: 100,
};

pub(super) fn badge_id(raw: &str) -> Result<BadgeId, ApiError> {
    Ok(BadgeId::parse("id", raw)?)
}

fn one_badge(badge: &crate::domain::Badge) -> Json<Value> {
    Json(json!({ "badge": badge_json(badge) }))
}

pub(super) async fn create(
    State(state): State<AppState>,
    caller: Caller,
    JsonBody(body): JsonBody,
) -> Result<Json<Value>, ApiError> {
    caller.require(Scope::ManageBadges)?;
    let input = required_object(&body, "badge", "BADGE_NOT_PROVIDED")?;
    let new = badge_input::new_badge(input, "badge", MissingColour::Default)?;
    let badge = state
        .services
        .acting_as(caller.actor())
        .badges()
        .create(caller.site, new)
        .await?;
    Ok(one_badge(&badge))
}

pub(super) async fn fetch(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    caller.require_read()?;
    let badge = state.services.badges().get(caller.site, badge_id(&id)?).await?;
    Ok(one_badge(&badge))
}

/// Last writer wins, field by field: only the fields sent change.
pub(super) async fn update(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    JsonBody(body): JsonBody,
) -> Result<Json<Value>, ApiError> {
    caller.require(Scope::ManageBadges)?;
    let id = badge_id(&id)?;
    let input = required_object(&body, "badge", "BADGE_NOT_PROVIDED")?;
    let patch = badge_input::badge_patch(input, "badge")?;
    let badge = state
        .services
        .acting_as(caller.actor())
        .badges()
        .update(caller.site, id, None, patch)
        .await?;
    Ok(one_badge(&badge))
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
        .badges()
        .delete(caller.site, badge_id(&id)?)
        .await?;
    Ok(Json(json!({})))
}

/// `GET …/badges?paging.limit=&paging.offset=`: the site's badges in display order.
pub(super) async fn list(
    State(state): State<AppState>,
    caller: Caller,
    RawQuery(raw): RawQuery,
) -> Result<Json<Value>, ApiError> {
    caller.require_read()?;
    let (limit, offset) = QueryParams::parse(raw.as_deref()).paging()?;
    let page = state.services.badges().list(caller.site, limit, offset).await?;
    let badges: Vec<Value> = page.items.iter().map(badge_json).collect();
    let metadata = offset_metadata(badges.len(), offset, page.total);
    Ok(Json(json!({ "badges": badges, "metadata": metadata })))
}

/// `POST …/badges/query` `{filter, sort, paging}` → `{badges, metadata}`.
pub(super) async fn query(
    State(state): State<AppState>,
    caller: Caller,
    JsonBody(body): JsonBody,
) -> Result<Json<Value>, ApiError> {
    caller.require_read()?;
    let codec = state.services.cursors(caller.site);
    // The older API takes the query's fields at the top level; `{"query": {…}}` is accepted too.
    let (raw, prefix) = match body.get("query") {
        Some(inner @ Value::Object(_)) => (inner.clone(), "query"),
        _ => (Value::Object(body), ""),
    };
    let query = parse_query(&BADGES, &raw, prefix, LIMITS, &codec)?;
    let page = state.services.badges().query(caller.site, &query).await?;
    let badges: Vec<Value> = page.items.iter().map(badge_json).collect();
    let metadata = query_metadata(&codec, &query, badges.len(), &page);
    Ok(Json(json!({ "badges": badges, "metadata": metadata })))
}

/// `POST …/badges/count` `{filter}` → `{"count": "N"}` (int64 as a string).
pub(super) async fn count(
    State(state): State<AppState>,
    caller: Caller,
    JsonBody(body): JsonBody,
) -> Result<Json<Value>, ApiError> {
    caller.require_read()?;
    let query = Query {
        filter: parse_filter(&BADGES, body.get("filter").unwrap_or(&Value::Null), "filter")?,
        sort: crate::query::parse_sort(&BADGES, &Value::Null, "sort")?,
        paging: Paging::Offset { limit: 1, offset: 0 },
        shape: Value::Null,
    };
    let page = state.services.badges().query(caller.site, &query).await?;
    Ok(Json(json!({ "count": page.total.unwrap_or(0).to_string() })))
}

/// `PATCH …/badges/order` `{badgeIds}`: the named badges first, in that order;
/// answers every badge of the site in the new order.
pub(super) async fn update_order(
    State(state): State<AppState>,
    caller: Caller,
    JsonBody(body): JsonBody,
) -> Result<Json<Value>, ApiError> {
    let badges = reorder_front(&state, &caller, &body, "badgeIds").await?;
    Ok(Json(
        json!({ "badges": badges.iter().map(badge_json).collect::<Vec<_>>() }),
    ))
}
