//! Loads assignments through the bulk HTTP API into one site and measures the
//! two lookups every site makes, at that size.
//!
//! `cargo bench --bench assignments_load` — SQLite in a temp dir by default.
//! Env: `BENCH_ASSIGNMENTS` (default 1,000,000), `BENCH_BADGES` (50),
//! `BENCH_CLIENTS` (concurrent HTTP clients, 4), `BENCH_DATABASE_URL`
//! (e.g. a postgres:// URL), `BENCH_SAMPLES` (lookups per kind, 1,000).
//!
//! With `BENCH_BASE_URL`, `BENCH_KEY` and `BENCH_SITE` it loads a running
//! `insignia serve` instead (what `benches/speed.sh` does, to read the
//! server's memory afterwards); the holder counts are then not timed, as
//! they are a store call. `BENCH_MEMBERS_FILE` names a file to write the
//! loaded member ids to, one a line.

use std::sync::Arc;
use std::time::Instant;

use insignia::domain::SiteId;
use insignia::store::Store;
use serde_json::{json, Value};

mod support;
use support::{env_or, percentile, BenchDb};

#[derive(serde::Deserialize)]
#[serde(rename_all = "camelCase")]
struct BulkTotals {
    bulk_action_metadata: Totals,
}

#[derive(serde::Deserialize)]
#[serde(rename_all = "camelCase")]
struct Totals {
    total_successes: u64,
}

struct Client {
    http: reqwest::Client,
    base: String,
    key: String,
    site: String,
}

impl Client {
    async fn post(&self, path: &str, body: Value) -> Value {
        let res = self
            .http
            .post(format!("{}{path}", self.base))
            .header("authorization", &self.key)
            .header("wix-site-id", &self.site)
            .json(&body)
            .send()
            .await
            .expect("request");
        let status = res.status();
        let body: Value = res.json().await.expect("json");
        assert!(status.is_success(), "{status}: {body}");
        body
    }
}

#[tokio::main]
async fn main() {
    // `cargo test --all-targets` runs this without `--bench`: a small smoke run then.
    let full_run = std::env::args().any(|a| a == "--bench");
    let total = env_or("BENCH_ASSIGNMENTS", if full_run { 1_000_000 } else { 5_000 });
    let badges = env_or("BENCH_BADGES", 50);
    let clients = env_or("BENCH_CLIENTS", 4);
    let samples = env_or("BENCH_SAMPLES", if full_run { 1_000 } else { 20 });
    let members_per_badge = total / badges;

    let external = match (
        std::env::var("BENCH_BASE_URL"),
        std::env::var("BENCH_KEY"),
        std::env::var("BENCH_SITE"),
    ) {
        (Ok(base), Ok(key), Ok(site)) => Some((base, key, site.parse::<uuid::Uuid>().expect("BENCH_SITE"))),
        _ => None,
    };
    let (db, base, key, site, _serving) = match external {
        Some((base, key, site)) => (None, base, key, site, None),
        None => {
            let db = BenchDb::from_env().await;
            let site = uuid::Uuid::new_v4();
            let key = db.key(SiteId::from_uuid(site), "SCOPE.DC-MEMBERS.MANAGE-BADGES").await;
            let (base, serving) = db.serve().await;
            (Some(db), base, key, site, Some(serving))
        }
    };

    let client = Arc::new(Client {
        http: reqwest::Client::new(),
        base,
        key,
        site: site.to_string(),
    });
    let mut badge_ids = Vec::with_capacity(badges);
    for i in 0..badges {
        let b = client
            .post(
                "/badges/v4/badges",
                json!({"badge": {"title": format!("Badge {i}"), "backgroundColor": "#796EFF", "textColor": "#FFFFFF"}}),
            )
            .await;
        badge_ids.push(b["badge"]["id"].as_str().unwrap().to_owned());
    }
    let members: Arc<Vec<String>> = Arc::new(
        (0..members_per_badge)
            .map(|_| uuid::Uuid::new_v4().to_string())
            .collect(),
    );
    let badge_ids = Arc::new(badge_ids);
    if let Ok(path) = std::env::var("BENCH_MEMBERS_FILE") {
        // For a load generator that queries the loaded members afterwards.
        std::fs::write(&path, members.join("\n") + "\n").expect("members file");
    }

    // Call k assigns one badge to 100 consecutive members. Bodies are built
    // before the clock starts, so the figure is the server's, not the load
    // generator's JSON work.
    let calls = total / 100;
    let bodies: Vec<Vec<u8>> = (0..calls)
        .map(|k| {
            let badge = &badge_ids[k % badge_ids.len()];
            let block = (k / badge_ids.len()) * 100;
            let items: Vec<Value> = members[block..block + 100]
                .iter()
                .map(|m| json!({"badgeId": badge, "memberId": m}))
                .collect();
            serde_json::to_vec(&json!({"badgeAssignments": items})).unwrap()
        })
        .collect();
    let bodies = Arc::new(bodies);
    let backend = db.as_ref().map_or("a running server", |db| db.backend());
    println!(
        "loading {total} assignments ({badges} badges x {members_per_badge} members) in {calls} bulk calls of 100, \
         {clients} clients, on {backend}"
    );
    let started = Instant::now();
    let next = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let mut workers = Vec::new();
    for _ in 0..clients {
        let (client, bodies, next) = (client.clone(), bodies.clone(), next.clone());
        workers.push(tokio::spawn(async move {
            loop {
                let k = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                if k >= bodies.len() {
                    break;
                }
                let res = client
                    .http
                    .post(format!("{}/badges/v4/bulk/badge-assignments/create", client.base))
                    .header("authorization", &client.key)
                    .header("wix-site-id", &client.site)
                    .header("content-type", "application/json")
                    .body(bodies[k].clone())
                    .send()
                    .await
                    .expect("request");
                assert!(res.status().is_success(), "{}", res.status());
                // Only the totals are read: the load generator's own JSON work stays small.
                let reply: BulkTotals = res.json().await.expect("json");
                assert_eq!(reply.bulk_action_metadata.total_successes, 100);
            }
        }));
    }
    for w in workers {
        w.await.unwrap();
    }
    let load = started.elapsed();
    println!(
        "load: {:.1} s, {:.0} assignments/s",
        load.as_secs_f64(),
        total as f64 / load.as_secs_f64()
    );

    let measure = |name: &'static str, bodies: Vec<Value>| {
        let client = client.clone();
        async move {
            let mut times = Vec::with_capacity(bodies.len());
            for body in bodies {
                let t = Instant::now();
                let reply = client.post("/badges/v4/badge-assignments/query", body).await;
                times.push(t.elapsed());
                assert!(!reply["badgeAssignments"].as_array().unwrap().is_empty());
            }
            times.sort();
            println!(
                "{name:<40} p50 {:>7.2} ms   p99 {:>7.2} ms   ({} queries, first page of 50, over HTTP)",
                percentile(&times, 0.5).as_secs_f64() * 1e3,
                percentile(&times, 0.99).as_secs_f64() * 1e3,
                times.len()
            );
        }
    };
    let member_queries = (0..samples)
        .map(|i| json!({"query": {"filter": {"memberId": members[(i * 7919) % members.len()]}, "cursorPaging": {"limit": 50}}}))
        .collect();
    measure("assignments of one member", member_queries).await;
    let badge_queries: Vec<Value> = (0..samples)
        .map(|i| json!({"query": {"filter": {"badgeId": badge_ids[i % badge_ids.len()]}, "cursorPaging": {"limit": 50}}}))
        .collect();
    measure("members holding one badge", badge_queries.clone()).await;
    let Some(db) = db else {
        return;
    };
    if let Some(schema) = &db.schema {
        // Right after a large load PostgreSQL's statistics still describe a
        // small table, and until autovacuum analyzes it the planner may pick a
        // bitmap scan and a sort over every holder. Show both.
        db.run_sql(&format!("ANALYZE {schema}.badge_assignments")).await;
        measure("members holding one badge (analyzed)", badge_queries).await;
    }

    let store = db.store.clone();
    let site_id = SiteId::from_uuid(site);
    let mut times = Vec::with_capacity(samples);
    for _ in 0..samples {
        let t = Instant::now();
        let counts = store.member_counts(site_id).await.unwrap();
        times.push(t.elapsed());
        assert_eq!(counts.iter().map(|(_, n)| n).sum::<i64>() as usize, calls * 100);
    }
    times.sort();
    println!(
        "{:<40} p50 {:>7.2} ms   p99 {:>7.2} ms   (exact counts of all {badges} badges, store call)",
        "holder counts per badge",
        percentile(&times, 0.5).as_secs_f64() * 1e3,
        percentile(&times, 0.99).as_secs_f64() * 1e3,
    );
}
