//! HTTP: routing, auth, JSON in and out, and the Wix error shape. Handlers
//! are thin: extract, call one service function, serialise.

pub mod auth;
mod cors;
pub mod error;
mod health;
pub mod insignia;
pub mod json;
mod oauth;
mod projection;
pub mod v3;
pub mod v4;
pub(crate) mod wire;

use std::sync::Arc;
use std::time::Duration;

use axum::extract::DefaultBodyLimit;
use axum::http::{HeaderName, Request, StatusCode};
use axum::response::IntoResponse;
use axum::routing::get;
use axum::Router;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, RequestId, SetRequestIdLayer};
use tower_http::trace::TraceLayer;

use crate::service::{CacheSettings, Services};
use crate::store::{Store, StoreResult};
use error::ApiError;

/// The response header carrying each request's id (the SDK reads it into errors).
pub const REQUEST_ID_HEADER: &str = "x-wix-request-id";

/// What every handler can reach: the use cases, never the store itself.
#[derive(Clone)]
pub struct AppState {
    pub services: Services,
}

impl AppState {
    /// The services over `store`.
    pub async fn new(store: Arc<dyn Store>) -> StoreResult<Self> {
        Ok(Self {
            services: Services::new(store).await?,
        })
    }

    /// The services over `store`, with caches of these sizes.
    pub async fn with_caches(store: Arc<dyn Store>, caches: CacheSettings) -> StoreResult<Self> {
        Ok(Self {
            services: Services::with_caches(store, caches).await?,
        })
    }

    /// How long an admin page sign-in lasts.
    pub fn with_admin_session_ttl(mut self, ttl: Duration) -> Self {
        self.services = self.services.with_admin_session_ttl(ttl);
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
        .merge(insignia::routes())
        .merge(oauth::routes())
        .merge(crate::web::routes())
        .route("/healthz", get(health::healthz))
        .route("/readyz", get(health::readyz))
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(DefaultBodyLimit::max(json::MAX_BODY_BYTES))
        .layer(axum::middleware::from_fn_with_state(state.clone(), cors::cors))
        .with_state(state)
        .layer(CatchPanicLayer::custom(|panic: Box<dyn std::any::Any + Send>| {
            ApiError::internal()
                .with_cause(anyhow::anyhow!("panic: {}", panic_message(panic.as_ref())))
                .into_response()
        }))
        .layer(PropagateRequestIdLayer::new(request_id.clone()))
        .layer(
            TraceLayer::new_for_http()
                .make_span_with(|req: &Request<_>| {
                    let id = req
                        .extensions()
                        .get::<RequestId>()
                        .and_then(|id| id.header_value().to_str().ok())
                        .unwrap_or("-");
                    tracing::info_span!("request", method = %req.method(), path = %req.uri().path(), request_id = %id)
                })
                // A failed request is logged once, by `ApiError`, with its cause.
                .on_failure(()),
        )
        .layer(SetRequestIdLayer::new(request_id, MakeRequestUuid))
}

/// The text a panic was raised with, when it has one.
fn panic_message(panic: &(dyn std::any::Any + Send)) -> &str {
    panic
        .downcast_ref::<&str>()
        .copied()
        .or_else(|| panic.downcast_ref::<String>().map(String::as_str))
        .unwrap_or("(no message)")
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
