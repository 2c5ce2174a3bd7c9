//! Prometheus metrics at `/metrics`:
//! - `insignia_http_requests_total{method,route,status}`: answered requests;
//! - `insignia_http_request_duration_seconds{method,route}`: a histogram of
//!   the time to answer;
//! - `insignia_http_requests_in_flight`: requests being handled;
//! - `insignia_db_pool_connections{pool,state}` and
//!   `insignia_db_pool_max_connections{pool}`: the database pools (the
//!   SQLite `write` pool's single connection in use with others queued is
//!   the writer's queue);
//! - `insignia_db_writer_queue`: badge creates waiting for the SQLite
//!   writer's next group commit.
//!
//! `route` is the route's template (`/v4/badges/{id}`), never the raw path,
//! so the number of series stays fixed. Request metrics live in fixed
//! atomic counters per (method, route), created the first time a route is
//! answered and then found without allocating; `/metrics` renders them
//! itself. The rest (pool gauges, job rows) goes through the `metrics`
//! facade, whose recorder is process-wide; it is installed once, the first
//! time a router is built, and every router of the process reports to it.

use std::collections::HashMap;
use std::fmt::Write as _;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering::Relaxed};
use std::sync::{Arc, OnceLock, RwLock};
use std::time::{Duration, Instant};

use axum::extract::{MatchedPath, Request, State};
use axum::http::header::CONTENT_TYPE;
use axum::http::Method;
use axum::response::{IntoResponse, Response};
use metrics::gauge;
use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle};

use super::AppState;

pub const REQUESTS: &str = "insignia_http_requests_total";
pub const DURATION: &str = "insignia_http_request_duration_seconds";
pub const IN_FLIGHT: &str = "insignia_http_requests_in_flight";
pub const POOL_CONNECTIONS: &str = "insignia_db_pool_connections";
pub const POOL_MAX: &str = "insignia_db_pool_max_connections";
pub const WRITER_QUEUE: &str = "insignia_db_writer_queue";

/// Latency buckets, in seconds: from a cached read to the request timeout.
const BUCKETS: [f64; 15] = [
    0.000_5, 0.001, 0.002_5, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0,
];

/// The route label of requests that matched no route.
const UNMATCHED: &str = "unmatched";

/// Status codes counted one by one: 100 to 599.
const STATUS_MIN: u16 = 100;
const STATUSES: usize = 500;

/// The process's recorder for the facade's metrics; `None` if another
/// recorder was installed first.
fn handle() -> Option<&'static PrometheusHandle> {
    static HANDLE: OnceLock<Option<PrometheusHandle>> = OnceLock::new();
    HANDLE
        .get_or_init(|| match PrometheusBuilder::new().install_recorder() {
            Ok(handle) => Some(handle),
            Err(e) => {
                tracing::warn!(error = %e, "metrics recorder not installed");
                None
            }
        })
        .as_ref()
}

/// Installs the recorder (idempotent).
pub(super) fn install() {
    let _ = handle();
}

/// One (method, route)'s requests: counts by status, and the latency
/// histogram (per bucket, not cumulative; the last slot is above the last
/// bucket).
struct RouteStats {
    statuses: Box<[AtomicU64]>,
    buckets: [AtomicU64; BUCKETS.len() + 1],
    sum_micros: AtomicU64,
    count: AtomicU64,
}

impl RouteStats {
    fn new() -> Self {
        Self {
            statuses: (0..STATUSES).map(|_| AtomicU64::new(0)).collect(),
            buckets: std::array::from_fn(|_| AtomicU64::new(0)),
            sum_micros: AtomicU64::new(0),
            count: AtomicU64::new(0),
        }
    }

    fn record(&self, status: u16, elapsed: Duration) {
        let slot = usize::from(status.saturating_sub(STATUS_MIN)).min(STATUSES - 1);
        self.statuses[slot].fetch_add(1, Relaxed);
        let seconds = elapsed.as_secs_f64();
        let bucket = BUCKETS.iter().position(|le| seconds <= *le).unwrap_or(BUCKETS.len());
        self.buckets[bucket].fetch_add(1, Relaxed);
        let micros = u64::try_from(elapsed.as_micros()).unwrap_or(u64::MAX);
        self.sum_micros.fetch_add(micros, Relaxed);
        self.count.fetch_add(1, Relaxed);
    }
}

/// Every (method, route) seen, by route then method.
type Table = HashMap<&'static str, Vec<(&'static str, Arc<RouteStats>)>>;

/// The request metrics of a process (or of a test).
#[derive(Default)]
struct Registry {
    routes: RwLock<Table>,
    in_flight: AtomicI64,
}

impl Registry {
    /// The stats of a (method, route): found under a read lock, created
    /// (once per pair) under the write lock.
    fn stats(&self, method: &'static str, route: &str) -> Arc<RouteStats> {
        let find = |table: &Table| {
            table
                .get(route)
                .and_then(|methods| methods.iter().find(|(m, _)| *m == method).map(|(_, s)| s.clone()))
        };
        if let Some(stats) = find(&self.routes.read().unwrap_or_else(|e| e.into_inner())) {
            return stats;
        }
        let mut table = self.routes.write().unwrap_or_else(|e| e.into_inner());
        if let Some(stats) = find(&table) {
            return stats;
        }
        // Routes are a fixed set, so leaking a template once is bounded.
        let route: &'static str = match table.get_key_value(route) {
            Some((key, _)) => key,
            None => Box::leak(route.to_owned().into_boxed_str()),
        };
        let stats = Arc::new(RouteStats::new());
        table.entry(route).or_default().push((method, stats.clone()));
        stats
    }

    /// The request metrics in the Prometheus text format.
    fn render(&self, out: &mut String) {
        let mut rows: Vec<(&str, &str, Arc<RouteStats>)> = {
            let table = self.routes.read().unwrap_or_else(|e| e.into_inner());
            table
                .iter()
                .flat_map(|(route, methods)| methods.iter().map(|(m, s)| (*route, *m, s.clone())))
                .collect()
        };
        rows.sort_by(|a, b| (a.0, a.1).cmp(&(b.0, b.1)));
        let _ = writeln!(out, "# TYPE {REQUESTS} counter");
        for (route, method, stats) in &rows {
            for (slot, n) in stats.statuses.iter().enumerate() {
                let n = n.load(Relaxed);
                if n > 0 {
                    let status = usize::from(STATUS_MIN) + slot;
                    let _ = writeln!(
                        out,
                        "{REQUESTS}{{method=\"{method}\",route=\"{route}\",status=\"{status}\"}} {n}"
                    );
                }
            }
        }
        let _ = writeln!(out, "\n# TYPE {DURATION} histogram");
        for (route, method, stats) in &rows {
            let labels = format!("method=\"{method}\",route=\"{route}\"");
            let mut cumulative = 0;
            for (le, n) in BUCKETS.iter().zip(&stats.buckets) {
                cumulative += n.load(Relaxed);
                let _ = writeln!(out, "{DURATION}_bucket{{{labels},le=\"{le}\"}} {cumulative}");
            }
            cumulative += stats.buckets[BUCKETS.len()].load(Relaxed);
            let _ = writeln!(out, "{DURATION}_bucket{{{labels},le=\"+Inf\"}} {cumulative}");
            let sum = stats.sum_micros.load(Relaxed) as f64 / 1e6;
            let _ = writeln!(out, "{DURATION}_sum{{{labels}}} {sum}");
            let _ = writeln!(out, "{DURATION}_count{{{labels}}} {cumulative}");
        }
        let in_flight = self.in_flight.load(Relaxed);
        let _ = writeln!(out, "\n# TYPE {IN_FLIGHT} gauge\n{IN_FLIGHT} {in_flight}\n");
    }
}

fn registry() -> &'static Registry {
    static REGISTRY: OnceLock<Registry> = OnceLock::new();
    REGISTRY.get_or_init(Registry::default)
}

/// The method label: a standard method's name, or `OTHER`, so that the
/// number of series stays fixed.
fn method_label(method: &Method) -> &'static str {
    const KNOWN: [Method; 9] = [
        Method::GET,
        Method::POST,
        Method::PUT,
        Method::PATCH,
        Method::DELETE,
        Method::HEAD,
        Method::OPTIONS,
        Method::CONNECT,
        Method::TRACE,
    ];
    const NAMES: [&str; 9] = [
        "GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS", "CONNECT", "TRACE",
    ];
    KNOWN.iter().position(|m| m == method).map_or("OTHER", |i| NAMES[i])
}

/// Decrements the in-flight gauge when the request ends, even if its
/// handler is dropped.
struct InFlight<'a>(&'a AtomicI64);

impl Drop for InFlight<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Relaxed);
    }
}

/// One routed request being counted and timed, from [`Tracked::start`]
/// to [`Tracked::finish`].
pub(super) struct Tracked {
    stats: Arc<RouteStats>,
    started: Instant,
    _in_flight: InFlight<'static>,
}

impl Tracked {
    pub(super) fn start(request: &Request) -> Self {
        let registry = registry();
        let route = request
            .extensions()
            .get::<MatchedPath>()
            .map_or(UNMATCHED, MatchedPath::as_str);
        registry.in_flight.fetch_add(1, Relaxed);
        Self {
            stats: registry.stats(method_label(request.method()), route),
            started: Instant::now(),
            _in_flight: InFlight(&registry.in_flight),
        }
    }

    pub(super) fn finish(self, response: &Response) {
        self.stats.record(response.status().as_u16(), self.started.elapsed());
    }
}

/// `GET /metrics`: the Prometheus text format.
pub(super) async fn render(State(state): State<AppState>) -> Response {
    for pool in state.services.health().pools() {
        let in_use = pool.open.saturating_sub(pool.idle);
        gauge!(POOL_CONNECTIONS, "pool" => pool.pool, "state" => "idle").set(f64::from(pool.idle));
        gauge!(POOL_CONNECTIONS, "pool" => pool.pool, "state" => "in_use").set(f64::from(in_use));
        gauge!(POOL_MAX, "pool" => pool.pool).set(f64::from(pool.max));
    }
    gauge!(WRITER_QUEUE).set(state.services.health().writer_queue() as f64);
    let mut text = String::new();
    registry().render(&mut text);
    if let Some(handle) = handle() {
        handle.run_upkeep();
        text.push_str(&handle.render());
    }
    ([(CONTENT_TYPE, "text/plain; version=0.0.4")], text).into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_counts_cumulative_buckets_sum_and_count() {
        let registry = Registry::default();
        let route = "/badges/v4/badges/{id}";
        registry.stats("GET", route).record(200, Duration::from_micros(300));
        registry
            .stats("GET", String::from(route).as_str())
            .record(200, Duration::from_millis(3));
        registry.stats("GET", route).record(404, Duration::from_secs(60));
        let mut text = String::new();
        registry.render(&mut text);
        let value = |series: &str| -> f64 {
            let line = text
                .lines()
                .find(|l| l.rsplit_once(' ').map(|(s, _)| s) == Some(series))
                .unwrap_or_else(|| panic!("{series} missing in\n{text}"));
            line.rsplit_once(' ').unwrap().1.parse().unwrap()
        };
        let labels = format!("method=\"GET\",route=\"{route}\"");
        assert_eq!(value(&format!("{REQUESTS}{{{labels},status=\"200\"}}")), 2.0);
        assert_eq!(value(&format!("{REQUESTS}{{{labels},status=\"404\"}}")), 1.0);
        assert!(!text.contains("status=\"500\""), "{text}");
        let bucket = |le: &str| value(&format!("{DURATION}_bucket{{{labels},le=\"{le}\"}}"));
        assert_eq!(bucket("0.0005"), 1.0);
        assert_eq!(bucket("0.001"), 1.0);
        assert_eq!(bucket("0.005"), 2.0);
        assert_eq!(bucket("30"), 2.0);
        assert_eq!(bucket("+Inf"), 3.0);
        assert_eq!(value(&format!("{DURATION}_sum{{{labels}}}")), 60.0033);
        assert_eq!(value(&format!("{DURATION}_count{{{labels}}}")), 3.0);
        assert_eq!(value(IN_FLIGHT), 0.0);
        assert_eq!(text.matches("_count{").count(), 1, "one entry per pair");
    }

    #[test]
    fn unknown_methods_share_one_label() {
        assert_eq!(method_label(&Method::GET), "GET");
        let odd = Method::from_bytes(b"BREW").unwrap();
        assert_eq!(method_label(&odd), "OTHER");
    }
}
