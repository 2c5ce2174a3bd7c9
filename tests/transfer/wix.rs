//! A Wix site, played by a second `insignia serve` reached over HTTP with
//! its own API key through the Wix paths, copied by `insignia import wix`:
//! whole, then not again, and whole after a run killed half way.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use serde_json::{json, Value};
use sqlx::Row;

const ASSIGNMENTS: usize = 2_000;

fn insignia(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_insignia"))
        .args(args)
        .env_remove("INSIGNIA_DATABASE_URL")
        .output()
        .expect("run insignia")
}

fn ok(run: Output) -> String {
    let stderr = String::from_utf8_lossy(&run.stderr).into_owned();
    assert!(run.status.success(), "{stderr}");
    stderr
}

/// `insignia serve` on a port of its own; stopped when dropped.
struct Server {
    child: Child,
    base: String,
}

impl Server {
    fn start(db: &str) -> Server {
        let mut child = Command::new(env!("CARGO_BIN_EXE_insignia"))
            .args(["serve", "--listen", "127.0.0.1:0", "--database", db])
            .env_remove("INSIGNIA_DATABASE_URL")
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
        // Keep reading its log so that it never blocks on a full pipe.
        std::thread::spawn(move || lines.for_each(drop));
        Server {
            child,
            base: format!("http://{addr}"),
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

struct WixSite {
    http: reqwest::Client,
    base: String,
    key: String,
    site: String,
}

impl WixSite {
    async fn post(&self, path: &str, body: Value) -> Value {
        let res = self
            .http
            .post(format!("{}{path}", self.base))
            .header("authorization", &self.key)
            .header("wix-site-id", &self.site)
            .json(&body)
            .send()
            .await
            .unwrap();
        let status = res.status();
        let body: Value = res.json().await.unwrap();
        assert!(status.is_success(), "{path}: {status} {body}");
        body
    }

    /// 3 badges in an order of their own and 2,000 tagged assignments.
    async fn fill(&self) {
        let mut ids = Vec::new();
        for (title, colour) in [("Gold", "#FFD700"), ("Silver", "#C0C0C0"), ("Bronze", "#CD7F32")] {
            let made = self
                .post(
                    "/badges/v4/badges",
                    json!({"badge": {"title": title, "description": format!("{title} members"),
                        "backgroundColor": colour, "textColor": "#000000",
                        "icon": {"url": format!("https://example.com/{title}.svg")},
                        "permissionsEnabled": title == "Silver"}}),
                )
                .await;
            ids.push(made["badge"]["id"].as_str().unwrap().to_owned());
        }
        self.post("/badges/v4/badges/order", json!({"ids": [ids[1], ids[2], ids[0]]}))
            .await;
        for chunk in 0..ASSIGNMENTS / 100 {
            let items: Vec<Value> = (0..100)
                .map(|i| {
                    let n = chunk * 100 + i;
                    json!({"badgeId": ids[n % 3], "memberId": uuid::Uuid::new_v4().to_string(),
                        "tags": {"tags": {"tagIds": [format!("cohort-{}", n % 10)]},
                                 "privateTags": {"tagIds": if n % 4 == 0 { vec!["watch"] } else { vec![] }}}})
                })
                .collect();
            let made = self
                .post("/badges/v4/bulk/assignments/create", json!({"badgeAssignments": items}))
                .await;
            assert_eq!(made["bulkActionMetadata"]["totalSuccesses"], 100);
        }
    }
}

/// The export of a site without its header line (which names the site).
fn exported(db: &str, site: &str) -> Vec<String> {
    let run = insignia(&["export", "--site", site, "--database", db]);
    assert!(run.status.success(), "{}", String::from_utf8_lossy(&run.stderr));
    String::from_utf8(run.stdout)
        .unwrap()
        .lines()
        .skip(1)
        .map(str::to_owned)
        .collect()
}

/// Assignments in a SQLite file that another process writes, or 0 before it has any.
async fn rows_in(path: &std::path::Path) -> i64 {
    let url = format!("sqlite://{}?mode=ro", path.display());
    let Ok(pool) = sqlx::SqlitePool::connect(&url).await else {
        return 0;
    };
    let n = sqlx::query("SELECT COUNT(*) FROM badge_assignments")
        .fetch_one(&pool)
        .await
        .map(|r| r.get::<i64, _>(0))
        .unwrap_or(0);
    pool.close().await;
    n
}

#[test]
fn a_wix_site_is_copied_whole_once_even_after_a_killed_run() {
    let dir = tempfile::tempdir().unwrap();
    let source_db = format!("sqlite://{}", dir.path().join("wix.db").display());
    let source_site = uuid::Uuid::new_v4().to_string();
    let created = insignia(&[
        "keys",
        "create",
        "--site",
        &source_site,
        "--scope",
        "SCOPE.DC-MEMBERS.MANAGE-BADGES",
        "--database",
        &source_db,
    ]);
    assert!(created.status.success());
    let key = String::from_utf8(created.stdout).unwrap().trim().to_owned();
    let server = Server::start(&source_db);
    let rt = tokio::runtime::Runtime::new().unwrap();
    let wix = WixSite {
        http: reqwest::Client::new(),
        base: server.base.clone(),
        key: key.clone(),
        site: source_site.clone(),
    };
    rt.block_on(wix.fill());

    let target_path = dir.path().join("target.db");
    let target_db = format!("sqlite://{}", target_path.display());
    let target_site = uuid::Uuid::new_v4().to_string();
    let import = |page_size: &str| -> Command {
        let mut command = Command::new(env!("CARGO_BIN_EXE_insignia"));
        command
            .args([
                "import",
                "wix",
                "--site-id",
                &source_site,
                "--api-key",
                &key,
                "--base-url",
                &server.base,
                "--site",
                &target_site,
                "--page-size",
                page_size,
                "--database",
                &target_db,
            ])
            .env_remove("INSIGNIA_DATABASE_URL")
            .stdout(Stdio::null())
            .stderr(Stdio::piped());
        command
    };

    // A run killed half way (SIGKILL: no chance to tidy up) …
    let mut first = import("10").spawn().unwrap();
    let started = Instant::now();
    let at_kill = rt.block_on(async {
        loop {
            let n = rows_in(&target_path).await;
            if n >= 200 || started.elapsed() > Duration::from_secs(120) {
                break n;
            }
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    });
    first.kill().unwrap();
    first.wait().unwrap();
    let after_kill = rt.block_on(rows_in(&target_path));
    assert!(
        after_kill >= 200 && after_kill < ASSIGNMENTS as i64,
        "killed half way: {at_kill}, {after_kill}"
    );
    assert_eq!(after_kill % 10, 0, "whole pages only: {after_kill}");

    // … run again, ends complete.
    let second = import("100").output().unwrap();
    let report = ok(second);
    assert!(
        report.contains(&format!(
            "0 badges and {} assignments copied",
            ASSIGNMENTS as i64 - after_kill
        )),
        "{report}"
    );
    assert!(report.contains("0 not copied"), "{report}");

    // The copy: the same badges (fields, dates, display order) and the same
    // assignments (ids, members, dates, tags), each once.
    let source_rows = exported(&source_db, &source_site);
    let target_rows = exported(&target_db, &target_site);
    assert_eq!(source_rows.len(), 3 + ASSIGNMENTS);
    assert!(source_rows[0].contains("\"Silver\"") && source_rows[2].contains("\"Gold\""));
    let differs = source_rows.iter().zip(&target_rows).find(|(a, b)| a != b);
    assert!(differs.is_none(), "the copy differs from the source: {differs:#?}");

    // A third run copies nothing.
    let third = ok(import("100").output().unwrap());
    assert!(third.contains("0 badges and 0 assignments copied"), "{third}");
    assert_eq!(exported(&target_db, &target_site), source_rows);

    // A wrong key: refused with Wix's answer, nothing written.
    let denied = insignia(&[
        "import",
        "wix",
        "--site-id",
        &source_site,
        "--api-key",
        "insg_wrong",
        "--base-url",
        &server.base,
        "--site",
        &uuid::Uuid::new_v4().to_string(),
        "--database",
        &target_db,
    ]);
    assert!(!denied.status.success());
    assert!(
        String::from_utf8_lossy(&denied.stderr).contains("401"),
        "{}",
        String::from_utf8_lossy(&denied.stderr)
    );
}
