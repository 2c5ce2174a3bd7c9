//! Re-tagging every assignment a filter matches (a background job), and
//! reading the job record.

use axum::extract::{Path, State};
use axum::Json;
use serde_json::{json, Value};

use super::input::tag_change;
use crate::api::auth::Caller;
use crate::api::error::ApiError;
use crate::api::json::JsonBody;
use crate::api::AppState;
use crate::domain::{FieldViolation, Job, JobId, Scope};
use crate::service::assignments::ALLOW_EMPTY_FILTER;

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

/// Queues the job and answers its id at once; `/jobs/v1/jobs/{id}` shows
/// its progress.
pub(super) async fn update_tags_by_filter(
    State(state): State<AppState>,
    caller: Caller,
    JsonBody(body): JsonBody,
) -> Result<Json<Value>, ApiError> {
    caller.require(Scope::ManageBadges)?;
    let raw_filter = body.get("filter").filter(|f| !f.is_null());
    let allow_empty = match body.get(ALLOW_EMPTY_FILTER) {
        None | Some(Value::Null) => false,
        Some(Value::Bool(allowed)) => *allowed,
        Some(_) => {
            return Err(ApiError::invalid(vec![FieldViolation::new(
                ALLOW_EMPTY_FILTER,
                "TYPE",
                format!("`{ALLOW_EMPTY_FILTER}` must be true or false"),
            )]))
        }
    };
    let (add, remove) = tag_change(&body)?;
    let job = state
        .services
        .acting_as(caller.actor())
        .assignments()
        .update_tags_by_filter(caller.site, raw_filter, &add, &remove, allow_empty)
        .await?;
    Ok(Json(json!({ "jobId": job.id.to_string() })))
}

pub(super) async fn job(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    caller.require(Scope::ReadBadges)?;
    let id = JobId::parse("jobId", &id)?;
    let job = state.services.assignments().job(caller.site, id).await?;
    Ok(Json(json!({ "job": job_json(&job) })))
}
