//! Badges V4 (`badgesV2` in the SDK): `/badges/v4/badges` and its aliases.

use axum::extract::{Path, State};
use axum::http::Method;
use axum::Json;
use serde_json::{json, Value};

use crate::api::auth::Caller;
use crate::api::error::ApiError;
use crate::api::json::{required_object, Fields, JsonBody};
use crate::api::projection::Projection;
use crate::api::routes::Routes;
use crate::api::wire::badge::badge_json;
use crate::api::wire::badge_input::{self, MissingColour};
use crate::api::wire::order::reorder_front;
use crate::api::wire::paging::query_metadata;
use crate::api::AppState;
use crate::domain::{BadgeId, FieldViolation, OrderChange, Position, Scope};
use crate::query::{parse_query, PageLimits, BADGES};

/// Every prefix the SDK and Wix's docs use for this API.
const PREFIXES: [&str; 3] = ["/badges/v4/badges", "/_api/badges/v4/badges", "/v4/badges"];

const LIMITS: PageLimits = PageLimits {
    default_limit: 50,
    max_limit: 100,
    default_cursor_limit: 50,
    max_cursor_limit: 100,
};

pub fn routes() -> Routes {
    let mut routes = Routes::new();
    for prefix in PREFIXES {
        let id = format!("{prefix}/{{id}}");
        routes = routes
            .manage(Method::POST, prefix, create)
            .read(Method::POST, &format!("{prefix}/query"), query)
            .manage(Method::POST, &format!("{prefix}/order"), update_order)
            .read(Method::GET, &id, fetch)
            .manage(Method::PATCH, &id, update)
            .manage(Method::DELETE, &id, delete)
            .manage(Method::POST, &format!("{id}/move"), move_badge);
    }
    routes
}

/// The fields of a V4 badge, which `query.fields` may name.
const BADGE_FIELDS: [&str; 11] = [
    "id",
    "revision",
    "title",
    "description",
    "backgroundColor",
    "textColor",
    "icon",
    "permissionsEnabled",
    "slug",
    "createdDate",
    "updatedDate",
];

fn badge_id(raw: &str) -> Result<BadgeId, ApiError> {
    Ok(BadgeId::parse("badgeId", raw)?)
}

async fn create(
    State(state): State<AppState>,
    caller: Caller,
    JsonBody(body): JsonBody,
) -> Result<Json<Value>, ApiError> {
    caller.require(Scope::ManageBadges)?;
    let input = required_object(&body, "badge", "BADGE_NOT_PROVIDED")?;
    let new = badge_input::new_badge(input, "badge", MissingColour::Refuse)?;
    let badge = state
        .services
        .acting_as(caller.actor())
        .badges()
        .create(caller.site, new)
        .await?;
    Ok(Json(json!({ "badge": badge_json(&badge) })))
}

async fn fetch(State(state): State<AppState>, caller: Caller, Path(id): Path<String>) -> Result<Json<Value>, ApiError> {
    caller.require_read()?;
    let badge = state.services.badges().get(caller.site, badge_id(&id)?).await?;
    Ok(Json(json!({ "badge": badge_json(&badge) })))
}

async fn update(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    JsonBody(body): JsonBody,
) -> Result<Json<Value>, ApiError> {
    caller.require(Scope::ManageBadges)?;
    let id = badge_id(&id)?;
    let input = required_object(&body, "badge", "BADGE_NOT_PROVIDED")?;
    let mut fields = Fields::new(input, "badge");
    let revision = fields.int64("revision");
    if !fields.has("revision") {
        fields.violations.push(FieldViolation::new(
            "badge.revision",
            "REQUIRED_FIELD",
            "`badge.revision` is required: send the revision you read",
        ));
    }
    fields.finish()?;
    let patch = badge_input::badge_patch(input, "badge")?;
    let badge = state
        .services
        .acting_as(caller.actor())
        .badges()
        .update(caller.site, id, revision, patch)
        .await?;
    Ok(Json(json!({ "badge": badge_json(&badge) })))
}

async fn delete(
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

async fn query(
    State(state): State<AppState>,
    caller: Caller,
    JsonBody(body): JsonBody,
) -> Result<Json<Value>, ApiError> {
    caller.require_read()?;
    let codec = state.services.cursors(caller.site);
    let mut raw = body.get("query").cloned().unwrap_or(Value::Null);
    let projection = Projection::take(&mut raw, "query", &BADGE_FIELDS)?;
    let query = parse_query(&BADGES, &raw, "query", LIMITS, &codec)?;
    let page = state.services.badges().query(caller.site, &query).await?;
    let badges: Vec<Value> = page.items.iter().map(|b| projection.apply(badge_json(b))).collect();
    let metadata = query_metadata(&codec, &query, badges.len(), &page);
    Ok(Json(json!({ "badges": badges, "pagingMetadata": metadata })))
}

async fn update_order(
    State(state): State<AppState>,
    caller: Caller,
    JsonBody(body): JsonBody,
) -> Result<Json<Value>, ApiError> {
    let badges = reorder_front(&state, &caller, &body, "ids").await?;
    Ok(Json(
        json!({ "badges": badges.iter().map(badge_json).collect::<Vec<_>>() }),
    ))
}

async fn move_badge(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    JsonBody(body): JsonBody,
) -> Result<Json<Value>, ApiError> {
    caller.require(Scope::ManageBadges)?;
    let id = badge_id(&id)?;
    let mut f = Fields::new(&body, "");
    // The SDK sends no position when the caller gives none; LAST is the enum's first value.
    let position = match f.str("position").unwrap_or("LAST") {
        "FIRST" => Some(Position::First),
        "LAST" => Some(Position::Last),
        "AFTER" => match f.str("moveAfterBadgeId") {
            Some(raw) => f.check(BadgeId::parse("moveAfterBadgeId", raw)).map(Position::After),
            None => {
                f.violations.push(FieldViolation::new(
                    "moveAfterBadgeId",
                    "REQUIRED_FIELD",
                    "`moveAfterBadgeId` is required when position is AFTER",
                ));
                None
            }
        },
        other => {
            f.violations.push(FieldViolation::new(
                "position",
                "ENUM",
                format!("`position` must be FIRST, LAST or AFTER, got {other:?}"),
            ));
            None
        }
    };
    let change = position.and_then(|position| f.check(OrderChange::move_badge(id, position, "moveAfterBadgeId")));
    f.finish()?;
    let change = change.ok_or_else(ApiError::internal)?;
    state
        .services
        .acting_as(caller.actor())
        .badges()
        .reorder(caller.site, change)
        .await?;
    Ok(Json(json!({})))
}
