//! Prometheus metrics at `/metrics`:
//! - `insignia_http_requests_total{method,route,status}`: answered requests;
//! - `insignia_http_request_duration_seconds{method,route}`: a histogram of
//!   the time to answer;
//! - `insignia_http_requests_in_flight`: requests being handled;
//! - `insignia_db_pool_connections{pool,state}` and
//!   `insignia_db_pool_max_connections{pool}`: the database pools (the
//!   SQLite `write` pool's single connection in use with others queued is
//!   the writer's queue).
//!
//! `route` is the route's template (`/v4/badges/{id}`), never the raw path,
//! so the number of series stays fixed. The recorder is process-wide (the
//! `metrics` facade has one); it is installed once, the first time a router
//! is built, and every router of the process reports to it.

use std::sync::OnceLock;
use std::time::Instant;

use axum::extract::{MatchedPath, Request, State};
use axum::http::header::CONTENT_TYPE;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use metrics::{counter, gauge, histogram, Gauge};
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};

use super::AppState;

pub const REQUESTS: &str = "insignia_http_requests_total";
pub const DURATION: &str = "insignia_http_request_duration_seconds";
pub const IN_FLIGHT: &str = "insignia_http_requests_in_flight";
pub const POOL_CONNECTIONS: &str = "insignia_db_pool_connections";
pub const POOL_MAX: &str = "insignia_db_pool_max_connections";

/// Latency buckets, in seconds: from a cached read to the request timeout.
const BUCKETS: &[f64] = &[
    0.000_5, 0.001, 0.002_5, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0,
];

/// The process's recorder; `None` if another recorder was installed first.
fn handle() -> Option<&'static PrometheusHandle> {
    static HANDLE: OnceLock<Option<PrometheusHandle>> = OnceLock::new();
    HANDLE
        .get_or_init(|| {
            let builder = PrometheusBuilder::new()
                .set_buckets_for_metric(Matcher::Full(DURATION.into()), BUCKETS)
                .ok()?;
            match builder.install_recorder() {
                Ok(handle) => Some(handle),
                Err(e) => {
                    tracing::warn!(error = %e, "metrics recorder not installed");
                    None
                }
            }
        })
        .as_ref()
}

/// Installs the recorder (idempotent).
pub(super) fn install() {
    let _ = handle();
}

/// The in-flight gauge, looked up once.
fn in_flight() -> &'static Gauge {
    static GAUGE: OnceLock<Gauge> = OnceLock::new();
    GAUGE.get_or_init(|| gauge!(IN_FLIGHT))
}

/// Counts and times every routed request.
pub(super) async fn track(request: Request, next: Next) -> Response {
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map(|p| p.as_str().to_owned())
        .unwrap_or_else(|| "unmatched".to_owned());
    let method = request.method().as_str().to_owned();
    let started = Instant::now();
    in_flight().increment(1.0);
    let response = next.run(request).await;
    in_flight().decrement(1.0);
    let status = response.status().as_u16().to_string();
    histogram!(DURATION, "method" => method.clone(), "route" => route.clone()).record(started.elapsed().as_secs_f64());
    counter!(REQUESTS, "method" => method, "route" => route, "status" => status).increment(1);
    response
}

/// `GET /metrics`: the Prometheus text format.
pub(super) async fn render(State(state): State<AppState>) -> Response {
    for pool in state.services.health().pools() {
        let in_use = pool.open.saturating_sub(pool.idle);
        gauge!(POOL_CONNECTIONS, "pool" => pool.pool, "state" => "idle").set(f64::from(pool.idle));
        gauge!(POOL_CONNECTIONS, "pool" => pool.pool, "state" => "in_use").set(f64::from(in_use));
        gauge!(POOL_MAX, "pool" => pool.pool).set(f64::from(pool.max));
    }
    let text = handle().map(PrometheusHandle::render).unwrap_or_default();
    ([(CONTENT_TYPE, "text/plain; version=0.0.4")], text).into_response()
}
