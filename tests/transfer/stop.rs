//! Ctrl-C during `insignia import`: it stops at a batch boundary, says
//! where, and the same command run again continues and ends complete.

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use sqlx::Row;

use crate::common::{Backend, TestDb};
use crate::helpers::{assignment_count, export_to, fill_site, site};

const TOTAL: usize = 3_000;

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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ctrl_c_stops_an_import_at_a_batch_boundary() {
    let source = TestDb::new(Backend::Sqlite).await.unwrap();
    let site = site();
    fill_site(&source.store, site, TOTAL).await;
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("site.jsonl");
    export_to(&source.store, site, &file).await;

    let target = dir.path().join("target.db");
    let db = format!("sqlite://{}", target.display());
    let run = || {
        let mut command = Command::new(env!("CARGO_BIN_EXE_insignia"));
        command
            .args([
                "import",
                file.to_str().unwrap(),
                "--site",
                &site.to_string(),
                "--batch-lines",
                "10",
            ])
            .args(["--database", &db])
            .env_remove("INSIGNIA_DATABASE_URL")
            .stdout(Stdio::null())
            .stderr(Stdio::piped());
        command
    };
    let child = run().spawn().unwrap();
    let started = Instant::now();
    while rows_in(&target).await < 100 && started.elapsed() < Duration::from_secs(120) {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let interrupted = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(interrupted.success());
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "{stderr}");
    let line: i64 = stderr
        .split("stopped on request after line ")
        .nth(1)
        .and_then(|rest| rest.split(';').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("says where it stopped: {stderr}"));
    // Lines 2–5 are the badges and the page; every line after them one assignment.
    let stopped_at = rows_in(&target).await;
    assert_eq!(stopped_at, line - 5, "everything up to that line, nothing after it");
    assert!(stopped_at < TOTAL as i64, "stopped half way: {stopped_at}");
    assert_eq!((line - 1) % 10, 0, "at a batch boundary: line {line}");

    let again = run().output().unwrap();
    let stderr = String::from_utf8_lossy(&again.stderr);
    assert!(again.status.success(), "{stderr}");
    assert!(stderr.contains(&format!("continuing after line {line}")), "{stderr}");
    let store = insignia::store::connect(&insignia::store::ConnectOptions::new(&db))
        .await
        .unwrap();
    assert_eq!(assignment_count(&store, site).await, TOTAL as i64);
}
