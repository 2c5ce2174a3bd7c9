//! `POST /insignia/v1/members/{memberId}/sessions/revoke` → `{"revokedSessions": n}`:
//! a site's backend (manage scope) ends every front-end session of a member,
//! e.g. when the member is removed or their password changes elsewhere.

use axum::extract::{Path, State};
use axum::Json;
use serde_json::{json, Value};

use crate::api::auth::Caller;
use crate::api::error::ApiError;
use crate::api::AppState;
use crate::domain::{MemberId, Scope};

pub async fn revoke_member(
    State(state): State<AppState>,
    caller: Caller,
    Path(member): Path<String>,
) -> Result<Json<Value>, ApiError> {
    caller.require(Scope::ManageBadges)?;
    let member = MemberId::parse("memberId", &member)?;
    let count = state
        .services
        .front_end()
        .revoke_member_sessions(caller.site, member)
        .await
        .map_err(|e| ApiError::internal().with_cause(e))?;
    Ok(Json(json!({ "revokedSessions": count })))
}
