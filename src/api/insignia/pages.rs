//! `/insignia/v1/pages`: protected pages, and the badge side of them.

use axum::extract::{Path, RawQuery, State};
use axum::Json;
use serde_json::{json, Value};

use crate::api::auth::Caller;
use crate::api::error::ApiError;
use crate::api::json::{required_object, Fields, JsonBody};
use crate::api::projection::Projection;
use crate::api::wire::badge::badge_json;
use crate::api::wire::page::{new_page, page_json, page_patch};
use crate::api::wire::paging::{offset_metadata, query_metadata};
use crate::api::wire::query_params::QueryParams;
use crate::api::AppState;
use crate::domain::{BadgeId, FieldViolation, PageId, Scope};
use crate::query::{parse_query, PageLimits, PAGES};

const LIMITS: PageLimits = PageLimits {
    default_limit: 50,
    max_limit: 100,
    default_cursor_limit: 50,
    max_cursor_limit: 100,
};

/// The fields of a page, which `query.fields` may name.
const FIELDS: [&str; 7] = [
    "id",
    "revision",
    "path",
    "title",
    "badgeIds",
    "createdDate",
    "updatedDate",
];

fn page_id(raw: &str) -> Result<PageId, ApiError> {
    Ok(PageId::parse("pageId", raw)?)
}

pub async fn create(
    State(state): State<AppState>,
    caller: Caller,
    JsonBody(body): JsonBody,
) -> Result<Json<Value>, ApiError> {
    caller.require(Scope::ManageBadges)?;
    let input = required_object(&body, "page", "PAGE_NOT_PROVIDED")?;
    let page = state
        .services
        .acting_as(caller.actor())
        .pages()
        .create(caller.site, new_page(input, "page")?)
        .await?;
    Ok(Json(json!({ "page": page_json(&page) })))
}

pub async fn fetch(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    caller.require(Scope::ReadBadges)?;
    let page = state.services.pages().get(caller.site, page_id(&id)?).await?;
    Ok(Json(json!({ "page": page_json(&page) })))
}

pub async fn update(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    JsonBody(body): JsonBody,
) -> Result<Json<Value>, ApiError> {
    caller.require(Scope::ManageBadges)?;
    let id = page_id(&id)?;
    let input = required_object(&body, "page", "PAGE_NOT_PROVIDED")?;
    let mut fields = Fields::new(input, "page");
    let revision = fields.int64("revision");
    if !fields.has("revision") {
        fields.violations.push(FieldViolation::new(
            "page.revision",
            "REQUIRED_FIELD",
            "`page.revision` is required: send the revision you read",
        ));
    }
    fields.finish()?;
    let patch = page_patch(input, "page")?;
    let revision = revision.ok_or_else(ApiError::internal)?;
    let page = state
        .services
        .acting_as(caller.actor())
        .pages()
        .update(caller.site, id, revision, patch)
        .await?;
    Ok(Json(json!({ "page": page_json(&page) })))
}

pub async fn delete(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    caller.require(Scope::ManageBadges)?;
    state
        .services
        .acting_as(caller.actor())
        .pages()
        .delete(caller.site, page_id(&id)?)
        .await?;
    Ok(Json(json!({})))
}

/// `{"query": {filter, sort, paging | cursorPaging, fields}}` → `{pages, pagingMetadata}`.
/// Filters: `id`, `path`, `title`, `createdDate`, `updatedDate`, and
/// `badgeIds` with `$hasSome`/`$hasAll`. Default order: by path.
pub async fn query(
    State(state): State<AppState>,
    caller: Caller,
    JsonBody(body): JsonBody,
) -> Result<Json<Value>, ApiError> {
    caller.require(Scope::ReadBadges)?;
    let codec = state.services.cursors(caller.site);
    let mut raw = body.get("query").cloned().unwrap_or(Value::Null);
    let projection = Projection::take(&mut raw, "query", &FIELDS)?;
    let query = parse_query(&PAGES, &raw, "query", LIMITS, &codec)?;
    let page = state.services.pages().query(caller.site, &query).await?;
    let pages: Vec<Value> = page.items.iter().map(|p| projection.apply(page_json(p))).collect();
    let metadata = query_metadata(&codec, &query, pages.len(), &page);
    Ok(Json(json!({ "pages": pages, "pagingMetadata": metadata })))
}

/// The badges that unlock a page, each with how many members hold it.
pub async fn badges_of_page(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    caller.require(Scope::ReadBadges)?;
    let (page, badges) = state.services.access().page_badges(caller.site, page_id(&id)?).await?;
    let badges: Vec<Value> = badges
        .iter()
        .map(|b| json!({ "badge": badge_json(b), "memberCount": b.member_count }))
        .collect();
    Ok(Json(json!({ "page": page_json(&page), "badges": badges })))
}

/// The pages a badge unlocks (`?paging.limit=&paging.offset=`, in path order).
pub async fn pages_of_badge(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    RawQuery(raw): RawQuery,
) -> Result<Json<Value>, ApiError> {
    caller.require(Scope::ReadBadges)?;
    let badge = BadgeId::parse("badgeId", &id)?;
    let (limit, offset) = QueryParams::parse(raw.as_deref()).paging()?;
    let (badge, pages, total) = state
        .services
        .access()
        .badge_pages(caller.site, badge, limit as usize, offset as usize)
        .await?;
    Ok(Json(json!({
        "badgeId": badge.id.to_string(),
        "permissionsEnabled": badge.permissions_enabled,
        "pages": pages.iter().map(page_json).collect::<Vec<_>>(),
        "pagingMetadata": offset_metadata(pages.len(), offset, Some(total as u64)),
    })))
}
