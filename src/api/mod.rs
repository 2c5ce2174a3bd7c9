//! HTTP: routing, auth, JSON in and out, and the Wix error shape. Handlers
//! are thin: extract, call one service function, serialise.

pub mod auth;
pub(crate) mod badge_input;
pub mod error;
pub mod json;
mod paging;
mod projection;
pub mod v3;
pub mod v4;

use std::sync::Arc;
use std::time::Duration;

use axum::extract::{DefaultBodyLimit, State};
use axum::http::{HeaderName, Request, StatusCode};
use axum::response::IntoResponse;
use axum::routing::get;
use axum::{Json, Router};
use serde_json::json;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, RequestId, SetRequestIdLayer};
use tower_http::trace::TraceLayer;

use crate::store::Store;
use error::ApiError;

/// The response header carrying each request's id (the SDK reads it into errors).
pub const REQUEST_ID_HEADER: &str = "x-wix-request-id";

/// What every handler can reach.
#[derive(Clone)]
pub struct AppState {
    pub store: Arc<dyn Store>,
    /// Signs query cursors; shared by every instance on one database.
    pub cursor_secret: Arc<[u8]>,
    /// How long an admin page sign-in lasts.
    pub admin_session_ttl: Duration,
}

impl AppState {
    pub async fn new(store: Arc<dyn Store>) -> Result<Self, crate::store::StoreError> {
        let secret = store.server_secret().await?;
        Ok(Self {
            store,
            cursor_secret: secret.into(),
            admin_session_ttl: crate::service::admin_sessions::DEFAULT_SESSION_TTL,
        })
    }

    pub fn with_admin_session_ttl(mut self, ttl: Duration) -> Self {
        self.admin_session_ttl = ttl;
        self
    }
}

/// The whole HTTP application.
pub fn router(state: AppState) -> Router {
    let request_id = HeaderName::from_static(REQUEST_ID_HEADER);
    Router::new()
        .merge(v4::badges::routes())
        .merge(v4::assignments::routes())
        .merge(v3::routes())
        .merge(crate::web::routes())
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(DefaultBodyLimit::max(json::MAX_BODY_BYTES))
        .with_state(state)
        .layer(CatchPanicLayer::custom(|_| ApiError::internal().into_response()))
        .layer(PropagateRequestIdLayer::new(request_id.clone()))
        .layer(TraceLayer::new_for_http().make_span_with(|req: &Request<_>| {
            let id = req
                .extensions()
                .get::<RequestId>()
                .and_then(|id| id.header_value().to_str().ok())
                .unwrap_or("-");
            tracing::info_span!("request", method = %req.method(), path = %req.uri().path(), request_id = %id)
        }))
        .layer(SetRequestIdLayer::new(request_id, MakeRequestUuid))
}

async fn healthz() -> Json<serde_json::Value> {
    Json(json!({ "status": "ok" }))
}

/// Ready when the database answers.
async fn readyz(State(state): State<AppState>) -> Result<Json<serde_json::Value>, ApiError> {
    state.store.server_secret().await.map_err(|e| {
        tracing::error!(error = %e, "readiness check failed");
        ApiError::new(StatusCode::SERVICE_UNAVAILABLE, "UNAVAILABLE", "database unavailable")
    })?;
    Ok(Json(json!({ "status": "ready" })))
}

async fn not_found() -> ApiError {
    ApiError::not_found("no such endpoint")
}

async fn method_not_allowed() -> ApiError {
    ApiError::new(
        StatusCode::METHOD_NOT_ALLOWED,
        "METHOD_NOT_ALLOWED",
        "method not allowed on this endpoint",
    )
}
