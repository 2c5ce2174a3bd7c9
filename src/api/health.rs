//! `/healthz` (the process answers) and `/readyz` (it can serve requests).

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use serde_json::{json, Value};

use super::error::ApiError;
use super::AppState;

pub(super) async fn healthz() -> Json<Value> {
    Json(json!({ "status": "ok" }))
}

/// Ready when the database answers.
pub(super) async fn readyz(State(state): State<AppState>) -> Result<Json<Value>, ApiError> {
    state.services.health().ready().await.map_err(|e| {
        ApiError::new(StatusCode::SERVICE_UNAVAILABLE, "UNAVAILABLE", "database unavailable").with_cause(e)
    })?;
    Ok(Json(json!({ "status": "ready" })))
}
