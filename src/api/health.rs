//! `/healthz` (the process answers) and `/readyz` (it can serve requests).

use axum::extract::State;
use axum::Json;
use serde_json::{json, Value};

use super::error::ApiError;
use super::AppState;

pub(super) async fn healthz() -> Json<Value> {
    Json(json!({ "status": "ok" }))
}

/// Ready when the database answers.
pub(super) async fn readyz(State(state): State<AppState>) -> Result<Json<Value>, ApiError> {
    let deadline = state.edge.ready_timeout;
    state
        .services
        .health()
        .ready(deadline)
        .await
        .map_err(|e| ApiError::unavailable("database unavailable").with_cause(e))?;
    Ok(Json(json!({ "status": "ready" })))
}
