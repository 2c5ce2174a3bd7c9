//! HTTP: routing, auth, JSON in and out, and the Wix error shape. Handlers
//! are thin: extract, call one service function, serialise.

pub mod auth;
mod cors;
mod edge;
pub mod error;
mod health;
pub mod insignia;
pub mod json;
pub mod limits;
pub mod metrics;
mod oauth;
mod projection;
pub mod rate;
pub mod routes;
pub mod v3;
pub mod v4;
pub(crate) mod wire;

use std::sync::Arc;
use std::time::Duration;

use axum::extract::DefaultBodyLimit;
use axum::http::{HeaderName, Request, StatusCode};
use axum::response::IntoResponse;
use axum::routing::get;
use axum::{middleware, Router};
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, RequestId, SetRequestIdLayer};
use tower_http::trace::TraceLayer;

use crate::service::{CacheSettings, Services};
use crate::store::{Store, StoreResult};
use error::ApiError;
use limits::RequestLimits;
use rate::{RateSettings, SiteRates};

/// The response header carrying each request's id (the SDK reads it into errors).
pub const REQUEST_ID_HEADER: &str = "x-wix-request-id";

/// What every handler can reach: the use cases, never the store itself.
/// Cloned for every request by each layer that holds it, so it is two
/// shared pointers.
#[derive(Clone)]
pub struct AppState {
    pub services: Arc<Services>,
    /// The limits of the edge and the per-site rates.
    pub edge: Arc<Edge>,
}

/// Limits applied around the handlers (see `limits` and `rate`).
pub struct Edge {
    pub limits: RequestLimits,
    pub rates: SiteRates,
    /// How long `/readyz` waits for the database.
    pub ready_timeout: Duration,
}

impl Default for Edge {
    fn default() -> Self {
        Self::new(RequestLimits::default(), RateSettings::default())
    }
}

impl Edge {
    pub fn new(limits: RequestLimits, rates: RateSettings) -> Self {
        Self {
            limits,
            rates: SiteRates::new(rates),
            ready_timeout: Duration::from_secs(2),
        }
    }
}

impl AppState {
    /// The services over `store`.
    pub async fn new(store: Arc<dyn Store>) -> StoreResult<Self> {
        Ok(Self {
            services: Arc::new(Services::new(store).await?),
            edge: Arc::default(),
        })
    }

    /// The services over `store`, with caches of these sizes.
    pub async fn with_caches(store: Arc<dyn Store>, caches: CacheSettings) -> StoreResult<Self> {
        Ok(Self {
            services: Arc::new(Services::with_caches(store, caches).await?),
            edge: Arc::default(),
        })
    }

    /// Request limits and per-site rates other than the defaults.
    pub fn with_edge(mut self, edge: Edge) -> Self {
        self.edge = Arc::new(edge);
        self
    }

    /// How long an admin page sign-in lasts.
    pub fn with_admin_session_ttl(self, ttl: Duration) -> Self {
        self.with_services(|services| services.with_admin_session_ttl(ttl))
    }

    /// The services changed by `change` (at start-up, before serving).
    pub fn with_services(mut self, change: impl FnOnce(Services) -> Services) -> Self {
        self.services = Arc::new(change(Services::clone(&self.services)));
        self
    }
}

/// The whole HTTP application.
pub fn router(state: AppState) -> Router {
    let request_id = HeaderName::from_static(REQUEST_ID_HEADER);
    metrics::install();
    let limits = limits::Limits::new(state.edge.limits);
    let (api, _) = routes::api().into_parts();
    let [healthz, readyz, metrics_path] = routes::PROBES;
    api.fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(DefaultBodyLimit::max(json::MAX_BODY_BYTES))
        .route(healthz, get(health::healthz))
        .route(readyz, get(health::readyz))
        .route(metrics_path, get(metrics::render))
        // Counts every routed request; limits all but the probes.
        .layer(edge::EdgeLayer::new(limits))
        // Outside the limits, so shed and rate-limited answers carry CORS headers too.
        .layer(middleware::from_fn_with_state(state.clone(), cors::cors))
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
