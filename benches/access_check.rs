//! The access check beside the bare-JSON ceiling, in one run.
//!
//! `cargo bench --bench access_check` builds the ceiling server of
//! `../shared/bench/ceiling` (override with `BENCH_CEILING_DIR`), seeds a
//! fresh SQLite database with one site of 1,000 badges, 200 protected pages
//! and 10,000,000 assignments (1,000,000 members × 10 badges, written
//! straight through SQL in primary-key order), starts `insignia serve`
//! (release) on it, and runs wrk (2 threads, 64 connections) against the
//! ceiling's `GET /hello` and against `POST /insignia/v1/access/check`
//! (`benches/wrk/access_check.lua`: 100,000 distinct members, one page each),
//! interleaved, `BENCH_RUNS` rounds of `BENCH_SECONDS` seconds, and against
//! the forward-auth gate `GET /insignia/v1/forward-auth` (a member token per
//! traffic member, `benches/wrk/forward_auth.lua`; a 403 for a member the
//! page refuses is a normal answer there). It prints req/s, the ratio to the
//! ceiling in each round, p50/p99, and the server's resident memory
//! (current and peak). Then the same three at a set rate of half the
//! ceiling's (each connection pausing between requests, `PACE_MS` in the
//! wrk scripts), where p50/p99 are the latency a request meets rather than
//! the queue of a saturated closed loop.
//!
//! Env: `BENCH_ASSIGNMENTS` (10,000,000), `BENCH_TRAFFIC_MEMBERS` (100,000),
//! `BENCH_RUNS` (3), `BENCH_SECONDS` (10), `BENCH_CONNECTIONS` (64),
//! `BENCH_WRK_THREADS` (2: wrk's threads) and `BENCH_SERVER_THREADS` (unset:
//! one per core; else `TOKIO_WORKER_THREADS` for both the ceiling and
//! Insignia). On a machine with few cores the load generator and the server
//! share them: with more busy threads than cores, each one is preempted for
//! whole scheduler slices, which is what a p99 of a few ms at saturation
//! measures, for the ceiling as much as for Insignia. `BENCH_WRK_THREADS=1
//! BENCH_SERVER_THREADS=1` on 2 cores gives each side a core of its own.
//! Needs `wrk` (`apt-get install -y wrk`). Without `--bench` (as
//! `cargo test --all-targets` runs it) a small smoke run: a few thousand
//! assignments, checks over HTTP, no wrk.

use std::io::{BufRead, BufReader, Write};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use insignia::domain::{
    BadgeId, BadgeTitle, Color, MemberId, NewAssignment, NewBadge, NewPage, PageBadges, PagePath, PageTitle, SiteId,
    Tags,
};
use insignia::store::Store;
use serde_json::{json, Value};
use sqlx::Executor;

mod support;
use support::{env_or, BenchDb};

const BADGES: usize = 1_000;
const BADGES_PER_MEMBER: usize = 10;
/// Rows per INSERT (6 parameters each: far below SQLite's limit).
const ROWS_PER_STATEMENT: usize = 500;
const ROWS_PER_TRANSACTION: usize = 100_000;

/// Member `i` as a GUID (a valid version-4 shape, so any client accepts it).
fn member(i: usize) -> MemberId {
    MemberId::from_uuid(uuid::Uuid::from_u128(
        0x0000_0000_0000_4000_8000_0000_0000_0000 | i as u128,
    ))
}

/// The 10 badges member `i` holds (distinct, spread over all badges).
fn badges_of(i: usize) -> impl Iterator<Item = usize> {
    (0..BADGES_PER_MEMBER).map(move |k| (i * 7 + k * 101) % BADGES)
}

/// Pages `/area-A` (3 badges each) and `/area-A/room-R` (2 badges each): 200 in all.
fn page_plan() -> Vec<(String, Vec<usize>)> {
    let mut pages = Vec::new();
    for a in 0..20 {
        pages.push((format!("/area-{a}"), vec![a * 50, a * 50 + 1, a * 50 + 2]));
        for r in 0..9 {
            pages.push((
                format!("/area-{a}/room-{r}"),
                vec![a * 50 + 3 + r, (a * 50 + 13 + r * 3) % BADGES],
            ));
        }
    }
    pages
}

/// URLs the traffic asks about: four in five below a protected page.
fn traffic_paths() -> Vec<String> {
    let mut paths = Vec::new();
    for a in 0..20 {
        for r in 0..10 {
            paths.push(format!("/area-{a}/room-{r}/doc-{}", a * r));
            if r % 4 == 0 {
                paths.push(format!("/public/news-{a}-{r}"));
            }
        }
    }
    paths
}

struct Seeded {
    site: SiteId,
    key: String,
}

async fn seed(db: &BenchDb, assignments: usize) -> Seeded {
    let store = &db.store;
    let site = SiteId::from_uuid(uuid::Uuid::new_v4());
    let key = db.key(site, "SCOPE.DC-MEMBERS.READ-BADGES").await;
    let mut badges = Vec::with_capacity(BADGES);
    for i in 0..BADGES {
        let badge = store
            .create_badge(
                site,
                &NewBadge {
                    title: BadgeTitle::parse("title", &format!("Badge {i}")).unwrap(),
                    description: Default::default(),
                    background_color: Color::default_background(),
                    text_color: Color::default_text(),
                    icon: None,
                    // One badge in ten has its permissions off.
                    permissions_enabled: i % 10 != 9,
                },
            )
            .await
            .expect("badge");
        badges.push(badge.id);
    }
    for (path, on) in page_plan() {
        let ids: Vec<BadgeId> = on.iter().map(|i| badges[*i]).collect();
        store
            .create_page(
                site,
                &NewPage {
                    path: PagePath::parse("path", &path).unwrap(),
                    title: PageTitle::parse("title", &path).unwrap(),
                    badge_ids: PageBadges::parse("badgeIds", ids).unwrap(),
                },
            )
            .await
            .expect("page");
    }
    // One assignment through the store makes the site's compact key.
    store
        .create_assignments(
            site,
            &[NewAssignment {
                badge_id: badges[0],
                member_id: MemberId::from_uuid(uuid::Uuid::new_v4()),
                tags: Tags::default(),
                extended_fields: None,
            }],
        )
        .await
        .expect("first assignment");
    let started = Instant::now();
    load_assignments(db, site, &badges, assignments).await;
    let per_second = assignments as f64 / started.elapsed().as_secs_f64();
    eprintln!(
        "loaded {assignments} assignments in {:.1} s ({per_second:.0} rows/s)",
        started.elapsed().as_secs_f64()
    );
    Seeded { site, key }
}

/// Straight through SQL, in primary-key order, then the holder counts.
async fn load_assignments(db: &BenchDb, site: SiteId, badges: &[BadgeId], total: usize) {
    sqlx::any::install_default_drivers();
    let pool = sqlx::any::AnyPoolOptions::new()
        .max_connections(1)
        .connect(&db.url)
        .await
        .expect("loader connection");
    let site_pk: i64 = sqlx::query_scalar("SELECT pk FROM sites WHERE id = $1")
        .bind(site.to_bytes())
        .fetch_one(&pool)
        .await
        .expect("site key");
    let tuple = "(?, ?, ?, ?, ?, ?)";
    let full = format!(
        "INSERT INTO badge_assignments (site_pk, member_id, badge_id, id, created_at, updated_at) VALUES {}",
        vec![tuple; ROWS_PER_STATEMENT].join(", ")
    );
    let now = insignia::domain::Timestamp::now().millis();
    let mut rows: Vec<(Vec<u8>, Vec<u8>, Vec<u8>)> = Vec::with_capacity(ROWS_PER_STATEMENT);
    let mut conn = pool.acquire().await.expect("connection");
    conn.execute("BEGIN").await.expect("begin");
    let mut written = 0usize;
    let members = total / BADGES_PER_MEMBER;
    for i in 0..members {
        let mut held: Vec<BadgeId> = badges_of(i).map(|b| badges[b]).collect();
        held.sort();
        for badge in held {
            let id = uuid::Uuid::from_u128((0x0190_0000_0000_7000_8000_0000_0000_0000u128) | written as u128);
            rows.push((member(i).to_bytes(), badge.to_bytes(), id.as_bytes().to_vec()));
            written += 1;
            if rows.len() == ROWS_PER_STATEMENT {
                let mut query = sqlx::query(&full);
                for (m, b, id) in rows.drain(..) {
                    query = query.bind(site_pk).bind(m).bind(b).bind(id).bind(now).bind(now);
                }
                query.execute(&mut *conn).await.expect("insert");
                if written.is_multiple_of(ROWS_PER_TRANSACTION) {
                    conn.execute("COMMIT; BEGIN").await.expect("commit");
                }
            }
        }
    }
    if !rows.is_empty() {
        let sql = format!(
            "INSERT INTO badge_assignments (site_pk, member_id, badge_id, id, created_at, updated_at) VALUES {}",
            vec![tuple; rows.len()].join(", ")
        );
        let mut query = sqlx::query(&sql);
        for (m, b, id) in rows.drain(..) {
            query = query.bind(site_pk).bind(m).bind(b).bind(id).bind(now).bind(now);
        }
        query.execute(&mut *conn).await.expect("insert");
    }
    conn.execute("COMMIT").await.expect("commit");
    sqlx::query(
        "UPDATE badges SET member_count = (SELECT COUNT(*) FROM badge_assignments a \
         WHERE a.site_pk = $1 AND a.badge_id = badges.id) WHERE site_id = $2",
    )
    .bind(site_pk)
    .bind(site.to_bytes())
    .execute(&mut *conn)
    .await
    .expect("holder counts");
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        .await
        .expect("checkpoint");
    drop(conn);
    pool.close().await;
}

/// A child process, killed when dropped.
struct Running(Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn serve(db_url: &str) -> (Running, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_insignia"))
        .args(["serve", "--listen", "127.0.0.1:0", "--database", db_url])
        .env("INSIGNIA_LOG", "warn,insignia=info")
        // The traffic comes from one site: no per-site rate.
        .env("INSIGNIA_SITE_RATE", "0")
        .envs(server_threads())
        .env("NO_COLOR", "1")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start insignia serve");
    let stderr = child.stderr.take().expect("stderr");
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            if let Some(rest) = line.split("listening on http://").nth(1) {
                let _ = tx.send(rest.split_whitespace().next().unwrap_or_default().to_owned());
            }
        }
    });
    let addr = rx
        .recv_timeout(Duration::from_secs(60))
        .expect("insignia serve started");
    (Running(child), format!("http://{addr}"))
}

/// Resident memory of a process, in MiB: (now, peak).
fn rss_mib(pid: u32) -> (f64, f64) {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    let field = |name: &str| {
        status
            .lines()
            .find(|l| l.starts_with(name))
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|kb| kb.parse::<f64>().ok())
            .map_or(f64::NAN, |kb| kb / 1024.0)
    };
    (field("VmRSS:"), field("VmHWM:"))
}

/// `TOKIO_WORKER_THREADS` for both servers, when `BENCH_SERVER_THREADS` is set.
fn server_threads() -> Option<(&'static str, String)> {
    std::env::var("BENCH_SERVER_THREADS")
        .ok()
        .map(|n| ("TOKIO_WORKER_THREADS", n))
}

/// Builds and starts the ceiling server; returns it and its base URL.
fn ceiling(dir: &std::path::Path) -> (Running, String) {
    let target = std::env::temp_dir().join("insignia-ceiling-target");
    let built = Command::new("cargo")
        .args(["build", "--release", "--quiet"])
        .current_dir(dir.join("ceiling"))
        .env("CARGO_TARGET_DIR", &target)
        .status()
        .expect("cargo build of the ceiling");
    assert!(built.success(), "the ceiling server did not build");
    let port = free_port();
    let db = std::env::temp_dir().join(format!("insignia-ceiling-{}.db", std::process::id()));
    let child = Command::new(target.join("release/ceiling"))
        .envs(server_threads())
        .arg(&db)
        .arg(port.to_string())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start the ceiling");
    (Running(child), format!("http://127.0.0.1:{port}"))
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

async fn wait_until_up(url: &str) {
    let http = reqwest::Client::new();
    for _ in 0..300 {
        if http.get(url).send().await.is_ok_and(|r| r.status().is_success()) {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("{url} did not come up");
}

struct WrkFigures {
    rps: f64,
    p50_ms: f64,
    p99_ms: f64,
    non_2xx: u64,
}

fn wrk(
    url: &str,
    script: Option<&std::path::Path>,
    env: &[(&str, String)],
    seconds: usize,
    connections: usize,
) -> WrkFigures {
    let mut command = Command::new("wrk");
    command.args([
        &format!("-t{}", env_or("BENCH_WRK_THREADS", 2)),
        &format!("-c{connections}"),
        &format!("-d{seconds}s"),
        "--latency",
    ]);
    if let Some(script) = script {
        command.arg("-s").arg(script);
    }
    command.arg(url);
    for (k, v) in env {
        command.env(k, v);
    }
    let out = command.output().expect("run wrk (apt-get install -y wrk)");
    let text = String::from_utf8_lossy(&out.stdout).to_string();
    let after = |label: &str| -> Option<String> {
        text.lines().find(|l| l.trim_start().starts_with(label)).and_then(|l| {
            l.trim_start()[label.len()..]
                .split_whitespace()
                .next()
                .map(str::to_owned)
        })
    };
    let ms = |raw: Option<String>| -> f64 {
        let raw = raw.unwrap_or_default();
        let (number, unit) = raw.split_at(raw.find(|c: char| c.is_ascii_alphabetic()).unwrap_or(raw.len()));
        let v: f64 = number.parse().unwrap_or(f64::NAN);
        match unit {
            "us" => v / 1000.0,
            "s" => v * 1000.0,
            _ => v,
        }
    };
    WrkFigures {
        rps: after("Requests/sec:").and_then(|v| v.parse().ok()).unwrap_or(f64::NAN),
        p50_ms: ms(after("50%")),
        p99_ms: ms(after("99%")),
        non_2xx: after("Non-2xx or 3xx responses:")
            .and_then(|v| v.parse().ok())
            .unwrap_or(0),
    }
}

/// A set-rate round: its name, URL, wrk script and the script's environment.
type PacedRow<'a> = (&'a str, &'a str, &'a std::path::Path, &'a [(&'a str, String)]);

/// wrk at `target` req/s: the pause per request is found in up to four short
/// tries (a connection's cycle is its pause plus the answer's latency), then
/// measured for `seconds`.
fn paced(
    url: &str,
    script: &std::path::Path,
    env: &[(&str, String)],
    seconds: usize,
    connections: usize,
    target: f64,
) -> WrkFigures {
    let cycle_ms = connections as f64 * 1000.0 / target;
    let mut pace = (cycle_ms - 0.3).max(0.0);
    for _ in 0..4 {
        let mut with_pace = env.to_vec();
        with_pace.push(("PACE_MS", format!("{pace:.3}")));
        let trial = wrk(url, Some(script), &with_pace, 3, connections);
        let achieved_cycle = connections as f64 * 1000.0 / trial.rps;
        if (trial.rps - target).abs() < target * 0.02 {
            break;
        }
        pace = (pace - (achieved_cycle - cycle_ms)).max(0.0);
    }
    let mut with_pace = env.to_vec();
    with_pace.push(("PACE_MS", format!("{pace:.3}")));
    wrk(url, Some(script), &with_pace, seconds, connections)
}

fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(|a, b| a.total_cmp(b));
    values[values.len() / 2]
}

async fn smoke() {
    let db = BenchDb::open(None).await;
    let seeded = seed(&db, 2_000).await;
    let signer = insignia::service::tokens::TokenSigner::new(db.store.token_signing_key().await.expect("signing key"));
    let url = db.url.clone();
    let (_server, base) = serve(&url);
    wait_until_up(&format!("{base}/healthz")).await;
    let http = reqwest::Client::new();
    let paths = traffic_paths();
    let mut allowed = 0;
    for i in 0..100 {
        let body = json!({"memberId": member(i % 200).to_string(), "pages": [paths[i % paths.len()]]});
        let reply: Value = http
            .post(format!("{base}/insignia/v1/access/check"))
            .header("authorization", &seeded.key)
            .header("wix-site-id", seeded.site.to_string())
            .json(&body)
            .send()
            .await
            .expect("check")
            .json()
            .await
            .expect("JSON");
        let allowed_here = reply["results"][0]["allowed"] == true;
        if allowed_here {
            allowed += 1;
        }
        // The forward-auth gate decides the same for the member's token.
        let token = signer.sign(&insignia::service::tokens::AccessClaims {
            site: seeded.site,
            subject: insignia::service::tokens::Subject::Member(member(i % 200)),
            client_id: "bench".into(),
            session_id: "bench".into(),
            issued_at: insignia::service::tokens::now_seconds(),
            expires_at: insignia::service::tokens::now_seconds() + 600,
        });
        let gate = http
            .get(format!("{base}/insignia/v1/forward-auth"))
            .header("authorization", token)
            .header("x-forwarded-uri", &paths[i % paths.len()])
            .send()
            .await
            .expect("forward-auth");
        assert_eq!(gate.status().as_u16(), if allowed_here { 200 } else { 403 });
    }
    println!("access_check smoke run: 100 checks answered, {allowed} allowed, forward-auth agreed");
}

#[tokio::main]
async fn main() {
    if !std::env::args().any(|a| a == "--bench") {
        return smoke().await;
    }
    let assignments = env_or("BENCH_ASSIGNMENTS", 10_000_000);
    let traffic = env_or("BENCH_TRAFFIC_MEMBERS", 100_000).min(assignments / BADGES_PER_MEMBER);
    let runs = env_or("BENCH_RUNS", 3);
    let seconds = env_or("BENCH_SECONDS", 10);
    let connections = env_or("BENCH_CONNECTIONS", 64);
    let repo = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let bench_dir = std::env::var("BENCH_CEILING_DIR")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|_| repo.join("../shared/bench"));

    let (_ceiling, ceiling_url) = ceiling(&bench_dir);
    let db = BenchDb::open(None).await;
    let seeded = seed(&db, assignments).await;
    let signer = insignia::service::tokens::TokenSigner::new(db.store.token_signing_key().await.expect("signing key"));
    db.store.close().await;
    let (server, base) = serve(&db.url);
    wait_until_up(&format!("{base}/healthz")).await;
    wait_until_up(&format!("{ceiling_url}/hello")).await;
    let pid = server.0.id();

    // The traffic's members: `traffic` distinct ones, spread over all members.
    let files = tempfile::tempdir().expect("temp dir");
    let members_file = files.path().join("members");
    let paths_file = files.path().join("paths");
    let step = (assignments / BADGES_PER_MEMBER) / traffic;
    let tokens_file = files.path().join("tokens");
    let mut out = std::fs::File::create(&members_file).expect("members file");
    let mut tokens = std::fs::File::create(&tokens_file).expect("tokens file");
    let now = insignia::service::tokens::now_seconds();
    for i in 0..traffic {
        writeln!(out, "{}", member(i * step)).expect("write");
        let claims = insignia::service::tokens::AccessClaims {
            site: seeded.site,
            subject: insignia::service::tokens::Subject::Member(member(i * step)),
            client_id: "bench".into(),
            session_id: format!("bench-{i}"),
            issued_at: now,
            expires_at: now + 24 * 3600,
        };
        writeln!(tokens, "{}", signer.sign(&claims)).expect("write");
    }
    std::fs::write(&paths_file, traffic_paths().join("\n") + "\n").expect("paths file");
    let script = repo.join("benches/wrk/access_check.lua");
    let env = [
        ("MEMBERS", members_file.display().to_string()),
        ("PATHS", paths_file.display().to_string()),
        ("KEY", seeded.key.clone()),
        ("SITE", seeded.site.to_string()),
    ];
    let gate_script = repo.join("benches/wrk/forward_auth.lua");
    let gate_env = [
        ("TOKENS", tokens_file.display().to_string()),
        ("PATHS", paths_file.display().to_string()),
    ];
    let check_url = base.clone();
    let hello_url = format!("{ceiling_url}/hello");

    // Warm-up: every traffic member's badge set is read once.
    let warm = wrk(&check_url, Some(&script), &env, 5, connections);
    eprintln!("warm-up: {:.0} req/s, p99 {:.2} ms", warm.rps, warm.p99_ms);
    let warm = wrk(&check_url, Some(&gate_script), &gate_env, 3, connections);
    eprintln!("forward-auth warm-up: {:.0} req/s, p99 {:.2} ms", warm.rps, warm.p99_ms);
    let after_warmup = rss_mib(pid);

    println!("| round | ceiling GET /hello req/s | access check req/s | × ceiling | check p50 ms | check p99 ms | forward-auth req/s | × ceiling | gate p50 ms | gate p99 ms | ceiling p99 ms |");
    println!("|---|---|---|---|---|---|---|---|---|---|---|");
    let mut gate_ratios = Vec::new();
    let mut gate_rps = Vec::new();
    let mut gate_p50 = Vec::new();
    let mut gate_p99 = Vec::new();
    let mut gate_answers = 0;
    let mut ratios = Vec::new();
    let mut rps = Vec::new();
    let mut p50 = Vec::new();
    let mut p99 = Vec::new();
    let mut bad = 0;
    for round in 1..=runs {
        let hello = wrk(&hello_url, None, &[], seconds, connections);
        std::thread::sleep(Duration::from_secs(1));
        let check = wrk(&check_url, Some(&script), &env, seconds, connections);
        std::thread::sleep(Duration::from_secs(1));
        let gate = wrk(&check_url, Some(&gate_script), &gate_env, seconds, connections);
        std::thread::sleep(Duration::from_secs(1));
        let ratio = check.rps / hello.rps;
        let gate_ratio = gate.rps / hello.rps;
        println!(
            "| {round} | {:.0} | {:.0} | {ratio:.2} | {:.2} | {:.2} | {:.0} | {gate_ratio:.2} | {:.2} | {:.2} | {:.2} |",
            hello.rps, check.rps, check.p50_ms, check.p99_ms, gate.rps, gate.p50_ms, gate.p99_ms, hello.p99_ms
        );
        gate_ratios.push(gate_ratio);
        gate_rps.push(gate.rps);
        gate_p50.push(gate.p50_ms);
        gate_p99.push(gate.p99_ms);
        gate_answers += gate.non_2xx;
        ratios.push(ratio);
        rps.push(check.rps);
        p50.push(check.p50_ms);
        p99.push(check.p99_ms);
        bad += check.non_2xx;
    }
    // The tail at a set rate: each connection pauses between requests so that
    // all 64 together ask for half the ceiling's rate, the throughput target.
    // At saturation a closed loop's latency is its queue (Little's law: 64
    // connections at R req/s wait 64/R s on average, over 1 ms at half the
    // ceiling), so the p99 a server adds is read below saturation.
    let target = median(ratios.iter().zip(&rps).map(|(ratio, r)| r / ratio).collect()) * 0.5;
    let paced_url = hello_url.clone();
    let paced_script = repo.join("benches/wrk/paced.lua");
    println!("\nat a set rate of half the ceiling ({target:.0} req/s), {connections} connections:");
    println!("| endpoint | req/s | × ceiling | p50 ms | p99 ms |");
    println!("|---|---|---|---|---|");
    let paced_rows: [PacedRow; 3] = [
        ("ceiling GET /hello", &paced_url, &paced_script, &[]),
        ("access check", &check_url, &script, &env),
        ("forward-auth", &check_url, &gate_script, &gate_env),
    ];
    for (name, url, script, env) in paced_rows {
        let figures = paced(url, script, env, seconds, connections, target);
        println!(
            "| {name} | {:.0} | {:.2} | {:.2} | {:.2} |",
            figures.rps,
            figures.rps / (target * 2.0),
            figures.p50_ms,
            figures.p99_ms
        );
    }

    let (rss, peak) = rss_mib(pid);
    println!(
        "\naccess check, median of {runs} rounds at {connections} connections: {:.0} req/s = {:.2} × the ceiling, p50 {:.2} ms, p99 {:.2} ms; non-2xx answers: {bad}",
        median(rps),
        median(ratios),
        median(p50),
        median(p99)
    );
    println!(
        "forward-auth, median of {runs} rounds at {connections} connections: {:.0} req/s = {:.2} × the ceiling, p50 {:.2} ms, p99 {:.2} ms; \
         403 answers (members the page refuses): {gate_answers}",
        median(gate_rps),
        median(gate_ratios),
        median(gate_p50),
        median(gate_p99)
    );
    println!(
        "{assignments} assignments in the database, {traffic} distinct members in the traffic; server RSS {rss:.0} MiB \
         (after warm-up {:.0} MiB, peak {peak:.0} MiB)",
        after_warmup.0
    );
}
