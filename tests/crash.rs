//! Crash consistency: `kill -9` of `insignia serve` during a bulk load, on
//! SQLite and on PostgreSQL. After a restart every acknowledged assignment
//! is there, no bulk call is half-applied, and the holder count equals the
//! true count. The same kill during an update-tags-by-filter job: after a
//! restart the job goes on from its last batch and re-tags each row once.

#[path = "common/mod.rs"]
mod common;

use std::collections::HashMap;
use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::{json, Value};

const MANAGE: &str = "SCOPE.DC-MEMBERS.MANAGE-BADGES";
const ITEMS_PER_CALL: usize = 50;

struct Server {
    child: Child,
    base: String,
}

fn serve(db: &str, schema: Option<&str>) -> Server {
    let mut command = Command::new(env!("CARGO_BIN_EXE_insignia"));
    command.args(["serve", "--listen", "127.0.0.1:0", "--database", db]);
    if let Some(schema) = schema {
        command.args(["--schema", schema]);
    }
    let mut child = command
        .env("INSIGNIA_SITE_RATE", "0")
        // Jobs in small batches: a kill lands in the middle of one.
        .env("INSIGNIA_JOB_BATCH_SIZE", "5")
        .stderr(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stderr.take().unwrap()).lines();
    let addr = loop {
        let line = lines.next().expect("server log").unwrap();
        if let Some(rest) = line.split("listening on http://").nth(1) {
            break rest.split_whitespace().next().unwrap().to_owned();
        }
    };
    // Keep reading the log so the server never blocks on a full pipe.
    std::thread::spawn(move || lines.map_while(Result::ok).for_each(drop));
    Server {
        child,
        base: format!("http://{addr}"),
    }
}

fn key(db: &str, schema: Option<&str>, site: &str) -> String {
    let mut args = vec!["keys", "create", "--site", site, "--scope", MANAGE, "--database", db];
    if let Some(schema) = schema {
        args.extend(["--schema", schema]);
    }
    let out = Command::new(env!("CARGO_BIN_EXE_insignia"))
        .args(&args)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).unwrap().trim().to_owned()
}

async fn post(client: &reqwest::Client, url: &str, key: &str, site: &str, body: Value) -> reqwest::Result<Value> {
    client
        .post(url)
        .header("authorization", key)
        .header("wix-site-id", site)
        .json(&body)
        .send()
        .await?
        .error_for_status()?
        .json()
        .await
}

async fn crash_during_bulk_load(db: String, schema: Option<String>) {
    let site = uuid::Uuid::new_v4().to_string();
    let secret = key(&db, schema.as_deref(), &site);
    let mut server = serve(&db, schema.as_deref());
    let client = reqwest::Client::new();
    let badge = post(
        &client,
        &format!("{}/badges/v4/badges", server.base),
        &secret,
        &site,
        json!({"badge": {"title": "Crash", "backgroundColor": "#796EFF", "textColor": "#FFFFFF"}}),
    )
    .await
    .unwrap()["badge"]["id"]
        .as_str()
        .unwrap()
        .to_owned();

    // Member -> the call that sent it; calls whose answer came back.
    let sent: Arc<Mutex<HashMap<String, usize>>> = Arc::default();
    let acknowledged: Arc<Mutex<Vec<usize>>> = Arc::default();
    let mut writers = Vec::new();
    for writer in 0..4 {
        let (client, sent, acknowledged) = (client.clone(), sent.clone(), acknowledged.clone());
        let (url, secret, site, badge) = (
            format!("{}/badges/v4/bulk/badge-assignments/create", server.base),
            secret.clone(),
            site.clone(),
            badge.clone(),
        );
        writers.push(tokio::spawn(async move {
            for n in 0.. {
                let call = writer * 1_000_000 + n;
                let members: Vec<String> = (0..ITEMS_PER_CALL).map(|_| uuid::Uuid::new_v4().to_string()).collect();
                sent.lock().unwrap().extend(members.iter().map(|m| (m.clone(), call)));
                let items: Vec<Value> = members
                    .iter()
                    .map(|m| json!({"badgeId": badge, "memberId": m}))
                    .collect();
                match post(&client, &url, &secret, &site, json!({"badgeAssignments": items})).await {
                    Ok(_) => acknowledged.lock().unwrap().push(call),
                    Err(_) => break,
                }
            }
        }));
    }
    tokio::time::sleep(Duration::from_millis(1500)).await;
    server.child.kill().unwrap(); // SIGKILL
    server.child.wait().unwrap();
    for writer in writers {
        writer.await.unwrap();
    }

    let server = serve(&db, schema.as_deref());
    let mut held: HashMap<usize, usize> = HashMap::new();
    let mut body = json!({"query": {"filter": {"badgeId": badge}, "cursorPaging": {"limit": 100}}});
    let mut total = 0;
    loop {
        let page = post(
            &client,
            &format!("{}/badges/v4/badge-assignments/query", server.base),
            &secret,
            &site,
            body,
        )
        .await
        .unwrap();
        for a in page["badgeAssignments"].as_array().unwrap() {
            let member = a["memberId"].as_str().unwrap();
            let call = sent.lock().unwrap()[member];
            *held.entry(call).or_default() += 1;
            total += 1;
        }
        match page["pagingMetadata"]["cursors"]["next"].as_str() {
            Some(next) => body = json!({"query": {"cursorPaging": {"limit": 100, "cursor": next}}}),
            None => break,
        }
    }
    let acknowledged = acknowledged.lock().unwrap().clone();
    assert!(!acknowledged.is_empty(), "some calls were answered before the crash");
    for call in &acknowledged {
        assert_eq!(
            held.get(call),
            Some(&ITEMS_PER_CALL),
            "acknowledged call {call} is whole"
        );
    }
    for (call, count) in &held {
        assert_eq!(*count, ITEMS_PER_CALL, "call {call} is not half-applied");
    }
    let counts = reqwest::Client::new()
        .get(format!("{}/members/v3/badges/members/count", server.base))
        .header("authorization", &secret)
        .header("wix-site-id", &site)
        .send()
        .await
        .unwrap()
        .json::<Value>()
        .await
        .unwrap();
    assert_eq!(counts["badgeMemberCounts"][0]["memberCount"], json!(total));
    let mut server = server;
    server.child.kill().unwrap();
    server.child.wait().unwrap();
}

async fn get(client: &reqwest::Client, url: &str, key: &str, site: &str) -> Value {
    client
        .get(url)
        .header("authorization", key)
        .header("wix-site-id", site)
        .send()
        .await
        .unwrap()
        .error_for_status()
        .unwrap()
        .json()
        .await
        .unwrap()
}

/// `(status, totalItems)` of the only job, read from the database while no server runs.
async fn stored_job(db: &str, schema: Option<&str>) -> (String, i64) {
    use sqlx::Row;
    sqlx::any::install_default_drivers();
    let pool = sqlx::any::AnyPoolOptions::new()
        .max_connections(1)
        .connect(db)
        .await
        .unwrap();
    let table = schema.map_or("jobs".to_owned(), |s| format!("{s}.jobs"));
    let row = sqlx::query(&format!("SELECT status, total FROM {table}"))
        .fetch_one(&pool)
        .await
        .unwrap();
    let job = (row.try_get("status").unwrap(), row.try_get("total").unwrap());
    pool.close().await;
    job
}

async fn crash_during_a_job(db: String, schema: Option<String>) {
    const ROWS: usize = 3_000;
    let site = uuid::Uuid::new_v4().to_string();
    let secret = key(&db, schema.as_deref(), &site);
    let mut server = serve(&db, schema.as_deref());
    let client = reqwest::Client::new();
    let url = |path: &str, server: &Server| format!("{}{path}", server.base);
    let badge = post(
        &client,
        &url("/badges/v4/badges", &server),
        &secret,
        &site,
        json!({"badge": {"title": "Job", "backgroundColor": "#796EFF", "textColor": "#FFFFFF"}}),
    )
    .await
    .unwrap()["badge"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    for _ in 0..ROWS / 100 {
        let items: Vec<Value> = (0..100)
            .map(|_| json!({"badgeId": badge, "memberId": uuid::Uuid::new_v4().to_string()}))
            .collect();
        post(
            &client,
            &url("/badges/v4/bulk/badge-assignments/create", &server),
            &secret,
            &site,
            json!({ "badgeAssignments": items }),
        )
        .await
        .unwrap();
    }
    let job_id = post(
        &client,
        &url("/badges/v4/bulk/badge-assignments/update-tags-by-filter", &server),
        &secret,
        &site,
        json!({"filter": {"badgeId": badge}, "assignTags": {"tags": {"tagIds": ["club"]}}}),
    )
    .await
    .unwrap()["jobId"]
        .as_str()
        .unwrap()
        .to_owned();
    let job_url = |server: &Server| url(&format!("/jobs/v1/jobs/{job_id}"), server);
    // Killed once the job is well under way.
    loop {
        let job = get(&client, &job_url(&server), &secret, &site).await;
        if job["job"]["succeededItems"].as_i64().unwrap() >= 100 {
            break;
        }
    }
    server.child.kill().unwrap(); // SIGKILL
    server.child.wait().unwrap();
    let (status, done) = stored_job(&db, schema.as_deref()).await;
    assert_eq!(status, "IN_PROGRESS", "the kill landed mid-job");
    assert!((100..ROWS as i64).contains(&done), "{done} rows done at the kill");

    let mut server = serve(&db, schema.as_deref());
    let deadline = std::time::Instant::now() + Duration::from_secs(120);
    let job = loop {
        let job = get(&client, &job_url(&server), &secret, &site).await["job"].clone();
        if job["status"] != "IN_PROGRESS" {
            break job;
        }
        assert!(std::time::Instant::now() < deadline, "the job did not finish: {job}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert_eq!(job["status"], "FINISHED", "{job}");
    assert_eq!(job["totalItems"], json!(ROWS), "{job}");
    assert_eq!(job["succeededItems"], json!(ROWS), "{job}");
    let tagged = post(
        &client,
        &url("/badges/v4/badge-assignments/query", &server),
        &secret,
        &site,
        json!({"query": {"filter": {"tags.tags.tagIds": {"$hasAll": ["club"]}}, "paging": {"limit": 1}}}),
    )
    .await
    .unwrap();
    assert_eq!(tagged["pagingMetadata"]["total"], json!(ROWS));
    // Each row re-tagged once: one tag-update event per row, none twice.
    let mut entities = std::collections::HashSet::new();
    let mut events = 0;
    let mut cursor = String::new();
    loop {
        let feed = get(
            &client,
            &url(
                &format!("/insignia/v1/events?types=insignia.v1.badge_assignment_updated&limit=1000&cursor={cursor}"),
                &server,
            ),
            &secret,
            &site,
        )
        .await;
        for event in feed["events"].as_array().unwrap() {
            let data: Value = serde_json::from_str(event["data"].as_str().unwrap()).unwrap();
            entities.insert(data["entityId"].as_str().unwrap().to_owned());
            events += 1;
        }
        cursor = feed["pagingMetadata"]["cursors"]["next"].as_str().unwrap().to_owned();
        if !feed["pagingMetadata"]["hasNext"].as_bool().unwrap() {
            break;
        }
    }
    assert_eq!((events, entities.len()), (ROWS, ROWS));
    server.child.kill().unwrap();
    server.child.wait().unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kill_9_during_a_job_on_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite://{}", dir.path().join("job.db").display());
    crash_during_a_job(db, None).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kill_9_during_a_job_on_postgres() {
    let Some(url) = std::env::var(common::PG_VAR).ok().filter(|u| !u.is_empty()) else {
        eprintln!("{} is not set: PostgreSQL variant not run", common::PG_VAR);
        return;
    };
    let db = common::TestDb::new(common::Backend::Postgres).await.unwrap();
    crash_during_a_job(url, db.schema.clone()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kill_9_during_a_bulk_load_on_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite://{}", dir.path().join("crash.db").display());
    crash_during_bulk_load(db, None).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kill_9_during_a_bulk_load_on_postgres() {
    let Some(url) = std::env::var(common::PG_VAR).ok().filter(|u| !u.is_empty()) else {
        eprintln!("{} is not set: PostgreSQL variant not run", common::PG_VAR);
        return;
    };
    // A fresh schema, dropped with the database handle at the end.
    let db = common::TestDb::new(common::Backend::Postgres).await.unwrap();
    crash_during_bulk_load(url, db.schema.clone()).await;
}
