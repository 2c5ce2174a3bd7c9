//! Events: what the outbox and a webhook subscription cost a bulk load, and
//! how fast deliveries go out.
//!
//! `cargo bench --bench events` — SQLite in a temp dir by default. Prints,
//! in one run and on fresh databases of the same backend:
//! - the bulk load (`BENCH_ASSIGNMENTS`, default 1,000,000, in calls of 100
//!   over HTTP) with no subscription, then with one active subscription (to
//!   `wix.badges.v4.badge_assignment_created`) and the dispatcher running
//!   beside it, and the slowdown;
//! - delivered events/s to a local receiver, and p50/p99 from commit (the
//!   event's time) to its arrival, over the deliveries made in
//!   `BENCH_DRAIN_SECONDS` (default 60) after the load.
//!
//! Env: `BENCH_DATABASE_URL` (postgres://…), `BENCH_CLIENTS` (4).

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::routing::post;
use base64::Engine;
use insignia::domain::{SiteId, Timestamp};
use insignia::events::dispatcher::{DispatchSettings, Dispatcher};
use insignia::events::{EventType, NewWebhook};
use insignia::store::Store;
use serde_json::{json, Value};

mod support;
use support::{env_or, percentile, BenchDb};

/// Deliveries seen by the receiver, and commit-to-arrival times.
#[derive(Default)]
struct Received {
    count: AtomicUsize,
    latencies: Mutex<Vec<Duration>>,
}

/// The event time inside a delivery (JWS claims → envelope → domain event).
fn event_time(jws: &str) -> Option<Timestamp> {
    let claims = jws.split('.').nth(1)?;
    let claims: Value =
        serde_json::from_slice(&base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(claims).ok()?).ok()?;
    let envelope: Value = serde_json::from_str(claims["data"].as_str()?).ok()?;
    let event: Value = serde_json::from_str(envelope["data"].as_str()?).ok()?;
    Timestamp::parse_rfc3339(event["eventTime"].as_str()?)
}

async fn receiver(received: Arc<Received>) -> String {
    let app = axum::Router::new().route(
        "/hook",
        post(move |body: String| {
            let received = received.clone();
            async move {
                if let Some(t) = event_time(&body) {
                    let ms = (Timestamp::now().millis() - t.millis()).max(0) as u64;
                    received.latencies.lock().unwrap().push(Duration::from_millis(ms));
                }
                received.count.fetch_add(1, Ordering::Relaxed);
                ""
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/hook", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });
    url
}

/// Loads `total` assignments into a fresh site through the bulk API; returns the time it took.
async fn load(db: &BenchDb, base: &str, site: uuid::Uuid, key: &str, total: usize, clients: usize) -> Duration {
    let http = reqwest::Client::new();
    let post = |path: &str, body: Value| {
        http.post(format!("{base}{path}"))
            .header("authorization", key)
            .header("wix-site-id", site.to_string())
            .json(&body)
            .send()
    };
    let badges = 50;
    let mut badge_ids = Vec::new();
    for i in 0..badges {
        let b: Value = post(
            "/badges/v4/badges",
            json!({"badge": {"title": format!("Badge {i}"), "backgroundColor": "#796EFF", "textColor": "#FFFFFF"}}),
        )
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
        badge_ids.push(b["badge"]["id"].as_str().unwrap().to_owned());
    }
    let calls = total / 100;
    let bodies: Arc<Vec<Vec<u8>>> = Arc::new(
        (0..calls)
            .map(|k| {
                let badge = &badge_ids[k % badges];
                let items: Vec<Value> = (0..100)
                    .map(|_| json!({"badgeId": badge, "memberId": uuid::Uuid::new_v4().to_string()}))
                    .collect();
                serde_json::to_vec(&json!({"badgeAssignments": items})).unwrap()
            })
            .collect(),
    );
    let _ = db;
    let started = Instant::now();
    let next = Arc::new(AtomicUsize::new(0));
    let mut workers = Vec::new();
    for _ in 0..clients {
        let (http, bodies, next, base, key) = (
            http.clone(),
            bodies.clone(),
            next.clone(),
            base.to_owned(),
            key.to_owned(),
        );
        workers.push(tokio::spawn(async move {
            loop {
                let k = next.fetch_add(1, Ordering::Relaxed);
                if k >= bodies.len() {
                    break;
                }
                let res = http
                    .post(format!("{base}/badges/v4/bulk/badge-assignments/create"))
                    .header("authorization", &key)
                    .header("wix-site-id", site.to_string())
                    .header("content-type", "application/json")
                    .body(bodies[k].clone())
                    .send()
                    .await
                    .unwrap();
                let status = res.status();
                let body = res.bytes().await.unwrap();
                assert!(status.is_success(), "{status}: {}", String::from_utf8_lossy(&body));
            }
        }));
    }
    for w in workers {
        w.await.unwrap();
    }
    started.elapsed()
}

#[tokio::main]
async fn main() {
    let full_run = std::env::args().any(|a| a == "--bench");
    let total = env_or("BENCH_ASSIGNMENTS", if full_run { 1_000_000 } else { 2_000 });
    let clients = env_or("BENCH_CLIENTS", 4);
    let drain_secs = env_or("BENCH_DRAIN_SECONDS", if full_run { 60 } else { 5 });

    // Without any subscription (the outbox is still written).
    let plain = BenchDb::from_env().await;
    let backend = plain.backend();
    println!("bulk load of {total} assignments in calls of 100, {clients} clients, on {backend}");
    let site = uuid::Uuid::new_v4();
    let key = plain
        .key(SiteId::from_uuid(site), "SCOPE.DC-MEMBERS.MANAGE-BADGES")
        .await;
    let (base, _serving) = plain.serve().await;
    let without = load(&plain, &base, site, &key, total, clients).await;
    drop(plain);
    println!(
        "{:<36} {:>8.1} s  {:>9.0} assignments/s",
        "no subscription",
        without.as_secs_f64(),
        total as f64 / without.as_secs_f64()
    );

    // With one active subscription and the dispatcher delivering beside the load.
    let db = BenchDb::from_env().await;
    let received = Arc::new(Received::default());
    let url = receiver(received.clone()).await;
    let site = uuid::Uuid::new_v4();
    let key = db.key(SiteId::from_uuid(site), "SCOPE.DC-MEMBERS.MANAGE-BADGES").await;
    db.store
        .create_webhook(
            SiteId::from_uuid(site),
            &NewWebhook {
                url,
                event_types: vec![EventType::AssignmentCreated],
                active: true,
            },
        )
        .await
        .unwrap();
    let settings = DispatchSettings {
        allow_private_urls: true,
        ..DispatchSettings::default()
    };
    let store: Arc<dyn Store> = db.store.clone();
    let (stop, stopped) = tokio::sync::watch::channel(false);
    let dispatcher = tokio::spawn(Dispatcher::new(store, settings).unwrap().run(stopped));
    let (base, _serving) = db.serve().await;
    let with = load(&db, &base, site, &key, total, clients).await;
    let slower = (with.as_secs_f64() / without.as_secs_f64() - 1.0) * 100.0;
    println!(
        "{:<36} {:>8.1} s  {:>9.0} assignments/s  ({slower:+.1} %)",
        "one active subscription",
        with.as_secs_f64(),
        total as f64 / with.as_secs_f64()
    );

    // Delivery: what arrives in the drain window after the load.
    let at_load_end = received.count.load(Ordering::Relaxed);
    let started = Instant::now();
    let window = Duration::from_secs(drain_secs as u64);
    while started.elapsed() < window && received.count.load(Ordering::Relaxed) < total {
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let drained = received.count.load(Ordering::Relaxed) - at_load_end;
    let elapsed = started.elapsed();
    println!(
        "delivered during the load: {at_load_end}; after it: {drained} in {:.1} s = {:.0} events/s",
        elapsed.as_secs_f64(),
        drained as f64 / elapsed.as_secs_f64()
    );
    let mut latencies = received.latencies.lock().unwrap().clone();
    latencies.sort();
    if !latencies.is_empty() {
        println!(
            "commit -> delivery over {} deliveries: p50 {:.0} ms, p99 {:.0} ms (a backlog's queueing included)",
            latencies.len(),
            percentile(&latencies, 0.5).as_secs_f64() * 1e3,
            percentile(&latencies, 0.99).as_secs_f64() * 1e3
        );
    }
    let _ = stop.send(true);
    let _ = tokio::time::timeout(Duration::from_secs(10), dispatcher).await;
}
