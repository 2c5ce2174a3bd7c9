//! The same small HTTP benchmark on SQLite and PostgreSQL, in one run:
//! create-badge and get-badge requests per second, and bulk-assign rows per
//! second (100 assignments per call), each with a few concurrent clients
//! through the real router.
//!
//! `cargo bench --bench backends`. SQLite runs in a temp dir; PostgreSQL runs
//! when `BENCH_DATABASE_URL` or `INSIGNIA_TEST_DATABASE_URL` names a server,
//! in a fresh schema that is dropped afterwards. Env: `BENCH_CLIENTS` (4),
//! `BENCH_CREATES` (2,000), `BENCH_GETS` (10,000), `BENCH_BULK_CALLS` (500).
//! Without `--bench` (as `cargo test --all-targets` runs it) a tiny smoke run.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use insignia::domain::SiteId;
use insignia::store::Store;
use serde_json::{json, Value};

mod support;
use support::{env_or, BenchDb};

struct Settings {
    clients: usize,
    creates: usize,
    gets: usize,
    bulk_calls: usize,
}

struct Figures {
    backend: &'static str,
    create_per_s: f64,
    get_per_s: f64,
    assign_rows_per_s: f64,
}

struct Server {
    http: reqwest::Client,
    base: String,
    key: String,
    site: String,
}

impl Server {
    fn request(&self, method: reqwest::Method, path: &str) -> reqwest::RequestBuilder {
        self.http
            .request(method, format!("{}{path}", self.base))
            .header("authorization", &self.key)
            .header("wix-site-id", &self.site)
    }
}

/// Runs `total` jobs over `clients` concurrent workers; `job(server, k)`
/// performs job k. Returns the wall-clock time of the whole run.
async fn run<F, Fut>(server: &Arc<Server>, clients: usize, total: usize, job: F) -> Duration
where
    F: Fn(Arc<Server>, usize) -> Fut + Send + Sync + 'static,
    Fut: std::future::Future<Output = ()> + Send,
{
    let job = Arc::new(job);
    let next = Arc::new(AtomicUsize::new(0));
    let started = Instant::now();
    let workers: Vec<_> = (0..clients)
        .map(|_| {
            let (server, job, next) = (server.clone(), job.clone(), next.clone());
            tokio::spawn(async move {
                loop {
                    let k = next.fetch_add(1, Ordering::Relaxed);
                    if k >= total {
                        break;
                    }
                    job(server.clone(), k).await;
                }
            })
        })
        .collect();
    for w in workers {
        w.await.expect("worker");
    }
    started.elapsed()
}

/// `url` names a PostgreSQL server, or `None` for SQLite in a temporary file.
async fn bench(url: Option<&str>, settings: &Settings) -> Figures {
    let db = BenchDb::open(url).await;
    let site = uuid::Uuid::new_v4();
    let key = db.key(SiteId::from_uuid(site), "SCOPE.DC-MEMBERS.MANAGE-BADGES").await;
    let (base, serving) = db.serve().await;
    let server = Arc::new(Server {
        http: reqwest::Client::new(),
        base,
        key,
        site: site.to_string(),
    });

    // Create badges: distinct titles, as real sites have.
    let ids = Arc::new(std::sync::Mutex::new(Vec::with_capacity(settings.creates)));
    let created = ids.clone();
    let create_time = run(&server, settings.clients, settings.creates, move |server, k| {
        let created = created.clone();
        async move {
            let res = server
                .request(reqwest::Method::POST, "/badges/v4/badges")
                .json(&json!({"badge": {"title": format!("Badge {k}"), "description": "benchmark", "backgroundColor": "#796EFF", "textColor": "#FFFFFF"}}))
                .send()
                .await
                .expect("create");
            assert!(res.status().is_success(), "create: {}", res.status());
            let body: Value = res.json().await.expect("json");
            let id = body["badge"]["id"].as_str().expect("badge id").to_owned();
            created.lock().unwrap().push(id);
        }
    })
    .await;
    let ids: Arc<Vec<String>> = Arc::new(ids.lock().unwrap().clone());

    // Get badges, spread over all of them.
    let targets = ids.clone();
    let get_time = run(&server, settings.clients, settings.gets, move |server, k| {
        let path = format!("/badges/v4/badges/{}", targets[(k * 7919) % targets.len()]);
        async move {
            let res = server.request(reqwest::Method::GET, &path).send().await.expect("get");
            assert!(res.status().is_success(), "get: {}", res.status());
            res.bytes().await.expect("body");
        }
    })
    .await;

    // Bulk-assign: call k gives one badge to 100 new members. Bodies are built
    // before the clock starts, so the figure is the server's.
    let bodies: Arc<Vec<Vec<u8>>> = Arc::new(
        (0..settings.bulk_calls)
            .map(|k| {
                let badge = &ids[k % ids.len()];
                let items: Vec<Value> = (0..100)
                    .map(|_| json!({"badgeId": badge, "memberId": uuid::Uuid::new_v4().to_string()}))
                    .collect();
                serde_json::to_vec(&json!({"badgeAssignments": items})).expect("body")
            })
            .collect(),
    );
    let assign_time = run(&server, settings.clients, settings.bulk_calls, move |server, k| {
        let body = bodies[k].clone();
        async move {
            let res = server
                .request(reqwest::Method::POST, "/badges/v4/bulk/badge-assignments/create")
                .header("content-type", "application/json")
                .body(body)
                .send()
                .await
                .expect("bulk create");
            assert!(res.status().is_success(), "bulk create: {}", res.status());
            let reply: Value = res.json().await.expect("json");
            assert_eq!(reply["bulkActionMetadata"]["totalSuccesses"], 100, "{reply}");
        }
    })
    .await;

    // The counts agree with what was written.
    let counts = db.store.member_counts(SiteId::from_uuid(site)).await.expect("counts");
    assert_eq!(counts.len(), settings.creates);
    assert_eq!(
        counts.iter().map(|(_, n)| n).sum::<i64>() as usize,
        settings.bulk_calls * 100
    );

    serving.abort();
    db.store.close().await;
    let per_s = |n: usize, t: Duration| n as f64 / t.as_secs_f64();
    Figures {
        backend: db.backend(),
        create_per_s: per_s(settings.creates, create_time),
        get_per_s: per_s(settings.gets, get_time),
        assign_rows_per_s: per_s(settings.bulk_calls * 100, assign_time),
    }
}

#[tokio::main]
async fn main() {
    // `cargo test --all-targets` runs this without `--bench`: a small smoke run then.
    let full_run = std::env::args().any(|a| a == "--bench");
    let settings = Settings {
        clients: env_or("BENCH_CLIENTS", 4).max(1),
        creates: env_or("BENCH_CREATES", if full_run { 2_000 } else { 20 }).max(1),
        gets: env_or("BENCH_GETS", if full_run { 10_000 } else { 50 }),
        bulk_calls: env_or("BENCH_BULK_CALLS", if full_run { 500 } else { 5 }),
    };
    let postgres = ["BENCH_DATABASE_URL", "INSIGNIA_TEST_DATABASE_URL"]
        .iter()
        .filter_map(|name| std::env::var(name).ok())
        .find(|url| url.starts_with("postgres://") || url.starts_with("postgresql://"));

    println!(
        "{} badge creates, {} badge gets, {} bulk calls of 100 assignments; {} concurrent clients over HTTP",
        settings.creates, settings.gets, settings.bulk_calls, settings.clients
    );
    let mut figures = vec![bench(None, &settings).await];
    match &postgres {
        Some(url) => figures.push(bench(Some(url), &settings).await),
        None => println!("(PostgreSQL not run: set BENCH_DATABASE_URL or INSIGNIA_TEST_DATABASE_URL)"),
    }

    println!();
    println!(
        "{:<12} {:>20} {:>20} {:>22}",
        "backend", "create-badge req/s", "get-badge req/s", "bulk-assign rows/s"
    );
    for f in &figures {
        println!(
            "{:<12} {:>20.0} {:>20.0} {:>22.0}",
            f.backend, f.create_per_s, f.get_per_s, f.assign_rows_per_s
        );
    }
}
