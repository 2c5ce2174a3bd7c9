//! Badge Assignments (`badgeAssignments` in the SDK), single and bulk, and
//! the job records of bulk updates by filter.

use axum::extract::{Path, State};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Serialize;
use serde_json::{json, Map, Value};

use crate::api::auth::Caller;
use crate::api::error::ApiError;
use crate::api::json::{required_object, Fields, JsonBody};
use crate::api::paging::query_metadata;
use crate::api::projection::Projection;
use crate::api::AppState;
use crate::domain::{
    AssignmentId, BadgeAssignment, BadgeId, FieldViolation, Job, JobId, MemberId, NewAssignment, Scope, TagIds, Tags,
};
use crate::query::{parse_filter, parse_query, PageLimits, ASSIGNMENTS};
use crate::service::assignments::{Assignments, ItemError, MAX_BULK_ITEMS};
use crate::service::badges::cursor_codec;

const PREFIXES: [&str; 4] = [
    "/badges/v4/badge-assignments",
    "/badges/v4/assignments",
    "/_api/badges/v4/assignments",
    "/v4/badge-assignments",
];
const BULK_PREFIXES: [&str; 4] = [
    "/badges/v4/bulk/badge-assignments",
    "/badges/v4/bulk/assignments",
    "/_api/badges/v4/bulk/assignments",
    "/v4/bulk/badge-assignments",
];
const JOB_PREFIXES: [&str; 2] = ["/jobs/v1/jobs", "/_api/jobs/v1/jobs"];

/// Cursor pages: default and maximum 100, as the spec gives.
const LIMITS: PageLimits = PageLimits {
    default_limit: 100,
    max_limit: 100,
    default_cursor_limit: 100,
    max_cursor_limit: 100,
};

pub fn routes() -> Router<AppState> {
    let mut router = Router::new();
    for prefix in PREFIXES {
        router = router
            .route(prefix, post(create))
            .route(&format!("{prefix}/query"), post(query))
            .route(&format!("{prefix}/{{id}}"), get(fetch).delete(delete));
    }
    for prefix in BULK_PREFIXES {
        router = router
            .route(&format!("{prefix}/create"), post(bulk_create))
            .route(&format!("{prefix}/delete"), post(bulk_delete))
            .route(&format!("{prefix}/bulk-update-tags"), post(bulk_update_tags))
            .route(&format!("{prefix}/update-tags-by-filter"), post(update_tags_by_filter));
    }
    for prefix in JOB_PREFIXES {
        router = router.route(&format!("{prefix}/{{id}}"), get(job));
    }
    router
}

fn tag_list_json(tags: &TagIds) -> Value {
    json!({ "tagIds": tags.as_slice() })
}

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

pub fn assignment_json(a: &BadgeAssignment) -> Value {
    let mut out = json!({
        "id": a.id.to_string(),
        "badgeId": a.badge_id.to_string(),
        "memberId": a.member_id.to_string(),
        "createdDate": a.created_date,
        "updatedDate": a.updated_date,
        // Both lists always, possibly empty: the SDK's types declare them non-null.
        "tags": { "tags": tag_list_json(&a.tags.public), "privateTags": tag_list_json(&a.tags.private) },
    });
    if let Some(extended) = &a.extended_fields {
        out["extendedFields"] = extended.clone();
    }
    out
}

fn job_json(job: &Job) -> Value {
    json!({
        "id": job.id.to_string(),
        "kind": job.kind,
        "status": job.status,
        "totalItems": job.total,
        "succeededItems": job.succeeded,
        "failedItems": job.failed,
        "createdDate": job.created_date,
        "updatedDate": job.updated_date,
    })
}

/// `{"tags": {"tagIds": […]}, "privateTags": {"tagIds": […]}}`, both optional.
fn parse_tags(f: &mut Fields, name: &str) -> Option<Tags> {
    let obj = f.object(name)?;
    let path = f.path(name);
    let mut inner = Fields::new(obj, &path);
    let mut list = |key: &str| -> TagIds {
        let Some(holder) = inner.object(key) else {
            return TagIds::default();
        };
        let list_path = format!("{path}.{key}.tagIds");
        match holder.get("tagIds") {
            None | Some(Value::Null) => TagIds::default(),
            Some(Value::Array(items)) => inner.check(TagIds::parse(&list_path, items)).unwrap_or_default(),
            Some(_) => {
                inner.violations.push(FieldViolation::new(
                    list_path.clone(),
                    "TYPE",
                    format!("`{list_path}` must be an array of strings"),
                ));
                TagIds::default()
            }
        }
    };
    let tags = Tags {
        public: list("tags"),
        private: list("privateTags"),
    };
    f.violations.append(&mut inner.violations);
    Some(tags)
}

/// One `badgeAssignment` object of a request.
fn parse_new_assignment(obj: &Map<String, Value>, prefix: &str) -> Result<NewAssignment, Vec<FieldViolation>> {
    let mut f = Fields::new(obj, prefix);
    let badge = f.required_str("badgeId").and_then(|raw| {
        let path = f.path("badgeId");
        f.check(BadgeId::parse(&path, raw))
    });
    let member = f.required_str("memberId").and_then(|raw| {
        let path = f.path("memberId");
        f.check(MemberId::parse(&path, raw))
    });
    let tags = parse_tags(&mut f, "tags").unwrap_or_default();
    let extended_fields = f.object("extendedFields").map(|o| Value::Object(o.clone()));
    match (badge, member) {
        (Some(badge_id), Some(member_id)) if f.violations.is_empty() => Ok(NewAssignment {
            badge_id,
            member_id,
            tags,
            extended_fields,
        }),
        _ => Err(f.violations),
    }
}

async fn create(
    State(state): State<AppState>,
    caller: Caller,
    JsonBody(body): JsonBody,
) -> Result<Json<Value>, ApiError> {
    caller.require(Scope::ManageBadges)?;
    let input = required_object(&body, "badgeAssignment", "BADGE_ASSIGNMENT_NOT_PROVIDED")?;
    let item = parse_new_assignment(input, "badgeAssignment").map_err(ApiError::invalid)?;
    let created = Assignments::new(state.store.as_ref()).create(caller.site, item).await?;
    Ok(Json(json!({ "badgeAssignment": assignment_json(&created) })))
}

fn assignment_id(raw: &str) -> Result<AssignmentId, ApiError> {
    Ok(AssignmentId::parse("badgeAssignmentId", raw)?)
}

async fn fetch(State(state): State<AppState>, caller: Caller, Path(id): Path<String>) -> Result<Json<Value>, ApiError> {
    caller.require(Scope::ReadBadges)?;
    let found = Assignments::new(state.store.as_ref())
        .get(caller.site, assignment_id(&id)?)
        .await?;
    Ok(Json(json!({ "badgeAssignment": assignment_json(&found) })))
}

async fn delete(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    caller.require(Scope::ManageBadges)?;
    Assignments::new(state.store.as_ref())
        .delete(caller.site, assignment_id(&id)?)
        .await?;
    Ok(Json(json!({})))
}

async fn query(
    State(state): State<AppState>,
    caller: Caller,
    JsonBody(body): JsonBody,
) -> Result<Json<Value>, ApiError> {
    caller.require(Scope::ReadBadges)?;
    let codec = cursor_codec(&state.cursor_secret, caller.site);
    let mut raw = body.get("query").cloned().unwrap_or(Value::Null);
    let projection = Projection::take(&mut raw, "query", &ASSIGNMENT_FIELDS)?;
    let query = parse_query(&ASSIGNMENTS, &raw, "query", LIMITS, &codec)?;
    let page = Assignments::new(state.store.as_ref())
        .query(caller.site, &query)
        .await?;
    let items: Vec<Value> = page
        .items
        .iter()
        .map(|a| projection.apply(assignment_json(a)))
        .collect();
    let metadata = query_metadata(&codec, &query, items.len(), &page);
    Ok(Json(json!({ "badgeAssignments": items, "pagingMetadata": metadata })))
}

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

/// One item's outcome in a bulk answer: the assignment id when known, and the
/// item (when `returnEntity` asked for it) or why it failed.
type BulkItemResult = (Option<String>, Result<Option<Value>, ItemError>);

/// The bulk answer: one result per item in request order, and the totals.
/// Typed rather than built as a `Value`: bulk answers are the hot path of a load.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct BulkReply {
    results: Vec<BulkResult>,
    bulk_action_metadata: BulkActionMetadata,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct BulkResult {
    #[serde(skip_serializing_if = "Option::is_none")]
    item: Option<Value>,
    item_metadata: ItemMetadata,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ItemMetadata {
    #[serde(skip_serializing_if = "Option::is_none")]
    id: Option<String>,
    original_index: usize,
    success: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<BulkItemError>,
}

#[derive(Serialize)]
struct BulkItemError {
    code: &'static str,
    description: String,
    data: Map<String, Value>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct BulkActionMetadata {
    total_successes: usize,
    total_failures: usize,
    undetailed_failures: usize,
}

fn bulk_reply(results: Vec<BulkItemResult>) -> BulkReply {
    let successes = results.iter().filter(|(_, r)| r.is_ok()).count();
    let failures = results.len() - successes;
    let results = results
        .into_iter()
        .enumerate()
        .map(|(index, (id, result))| {
            let (item, error) = match result {
                Ok(item) => (item, None),
                Err(e) => (
                    None,
                    Some(BulkItemError {
                        code: e.code,
                        description: e.description,
                        data: Map::new(),
                    }),
                ),
            };
            BulkResult {
                item,
                item_metadata: ItemMetadata {
                    id,
                    original_index: index,
                    success: error.is_none(),
                    error,
                },
            }
        })
        .collect();
    BulkReply {
        results,
        bulk_action_metadata: BulkActionMetadata {
            total_successes: successes,
            total_failures: failures,
            undetailed_failures: 0,
        },
    }
}

/// Every item must keep the message's declared format (`@format GUID`,
/// `@requiredField`): one that does not refuses the whole call with 400,
/// naming `badgeAssignments[i].…`. Items fail alone only for what the data
/// decides (an unknown badge, a duplicate).
async fn bulk_create(
    State(state): State<AppState>,
    caller: Caller,
    JsonBody(body): JsonBody,
) -> Result<Json<BulkReply>, ApiError> {
    caller.require(Scope::ManageBadges)?;
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
    let created = Assignments::new(state.store.as_ref())
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

async fn bulk_delete(
    State(state): State<AppState>,
    caller: Caller,
    JsonBody(body): JsonBody,
) -> Result<Json<BulkReply>, ApiError> {
    caller.require(Scope::ManageBadges)?;
    let ids = bulk_ids(&body, "badgeAssignmentIds")?;
    let deleted = Assignments::new(state.store.as_ref())
        .delete_many(caller.site, &ids)
        .await?;
    Ok(Json(bulk_reply(results_by_id(&ids, deleted, false))))
}

/// `assignTags` and `unassignTags`; at least one must be sent.
fn tag_change(body: &Map<String, Value>) -> Result<(Tags, Tags), ApiError> {
    let mut f = Fields::new(body, "");
    let add = parse_tags(&mut f, "assignTags");
    let remove = parse_tags(&mut f, "unassignTags");
    if add.is_none() && remove.is_none() && f.violations.is_empty() {
        f.violations.push(FieldViolation::new(
            "assignTags",
            "REQUIRED_FIELD",
            "send `assignTags`, `unassignTags` or both",
        ));
    }
    f.finish()?;
    Ok((add.unwrap_or_default(), remove.unwrap_or_default()))
}

async fn bulk_update_tags(
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
    let updated = Assignments::new(state.store.as_ref())
        .update_tags(caller.site, &ids, &add, &remove)
        .await?;
    Ok(Json(bulk_reply(results_by_id(&ids, updated, return_entity))))
}

async fn update_tags_by_filter(
    State(state): State<AppState>,
    caller: Caller,
    JsonBody(body): JsonBody,
) -> Result<Json<Value>, ApiError> {
    caller.require(Scope::ManageBadges)?;
    let Some(raw_filter) = body.get("filter").filter(|f| !f.is_null()) else {
        return Err(ApiError::invalid(vec![FieldViolation::new(
            "filter",
            "REQUIRED_FIELD",
            "`filter` is required (send {} for every assignment)",
        )]));
    };
    let filter = parse_filter(&ASSIGNMENTS, raw_filter, "filter")?;
    let (add, remove) = tag_change(&body)?;
    let job = Assignments::new(state.store.as_ref())
        .update_tags_by_filter(caller.site, &filter, &add, &remove)
        .await?;
    Ok(Json(json!({ "jobId": job.id.to_string() })))
}

async fn job(State(state): State<AppState>, caller: Caller, Path(id): Path<String>) -> Result<Json<Value>, ApiError> {
    caller.require(Scope::ReadBadges)?;
    let id = JobId::parse("jobId", &id)?;
    let job = Assignments::new(state.store.as_ref()).job(caller.site, id).await?;
    Ok(Json(json!({ "job": job_json(&job) })))
}
