//! Import and export time for one site with many assignments.
//!
//! `cargo bench --bench transfer` — SQLite in a temp dir by default.
//! Env: `BENCH_ASSIGNMENTS` (default 1,000,000), `BENCH_DATABASE_URL`
//! (e.g. a postgres:// URL), `BENCH_BATCH_LINES` (lines per import
//! transaction, 20,000 as `insignia import`). Writes an export file of that many tagged
//! assignments (half with tags), imports it into a fresh database, exports
//! the site again, and checks that both files are the same.

use std::io::Write;
use std::time::Instant;

use insignia::domain::{AssignmentId, BadgeId, SiteId, Timestamp};
use insignia::transfer::export::export;
use insignia::transfer::import::{import_file, ImportOptions};
use insignia::transfer::stop::Stop;
use serde_json::json;

mod support;
use support::{env_or, BenchDb};

#[tokio::main]
async fn main() {
    // `cargo test --all-targets` runs this without `--bench`: a small smoke run then.
    let full_run = std::env::args().any(|a| a == "--bench");
    let total = env_or("BENCH_ASSIGNMENTS", if full_run { 1_000_000 } else { 5_000 });
    let dir = tempfile::tempdir().expect("temp dir");
    let site = SiteId::from_uuid(uuid::Uuid::new_v4());

    // An export as `insignia export` writes it, made directly: 3 badges, then assignments oldest first.
    let source = dir.path().join("source.jsonl");
    let mut out = std::io::BufWriter::new(std::fs::File::create(&source).expect("file"));
    writeln!(
        out,
        "{}",
        json!({"site": site.to_string(), "type": "insignia-export", "version": 1})
    )
    .unwrap();
    let start = Timestamp::now().millis() - total as i64;
    let badges: Vec<BadgeId> = (0..3).map(|_| BadgeId::generate()).collect();
    for (i, id) in badges.iter().enumerate() {
        let date = Timestamp::from_millis(start).to_rfc3339();
        let title = format!("Badge {i}");
        let line = json!({"badge": {"backgroundColor": "#FFD700", "createdDate": date, "description": "",
            "id": id.to_string(), "permissionsEnabled": false, "revision": "1", "slug": format!("badge-{i}"),
            "textColor": "#000000", "title": title, "updatedDate": date}, "displayOrder": i + 1, "type": "badge"});
        writeln!(out, "{line}").unwrap();
    }
    for n in 0..total {
        let date = Timestamp::from_millis(start + n as i64).to_rfc3339();
        let (public, private): (Vec<String>, Vec<String>) = if n % 2 == 0 {
            (vec![format!("cohort-{}", n % 20)], vec!["vip".to_owned()])
        } else {
            (vec![], vec![])
        };
        let line = json!({"assignment": {"badgeId": badges[n % 3].to_string(), "createdDate": date,
            "id": AssignmentId::generate().to_string(), "memberId": uuid::Uuid::new_v4().to_string(),
            "tags": {"privateTags": {"tagIds": private}, "tags": {"tagIds": public}}, "updatedDate": date},
            "type": "assignment"});
        writeln!(out, "{line}").unwrap();
    }
    out.flush().unwrap();
    drop(out);
    let size = std::fs::metadata(&source).map(|m| m.len()).unwrap_or(0);

    let db = BenchDb::from_env().await;
    let options = ImportOptions {
        site,
        remap: false,
        batch_lines: env_or("BENCH_BATCH_LINES", 20_000),
    };
    let began = Instant::now();
    let imported = import_file(&db.store, &source, &options, &Stop::default())
        .await
        .expect("import");
    let import_time = began.elapsed();
    assert_eq!(imported.assignments, total as u64);

    let again = dir.path().join("again.jsonl");
    let began = Instant::now();
    let exported = export(&db.store, site, Some(&again), &Stop::default())
        .await
        .expect("export");
    let export_time = began.elapsed();
    assert_eq!(exported.assignments, total as u64);
    let same = std::fs::read(&source).unwrap() == std::fs::read(&again).unwrap();
    assert!(same, "the export differs from the file imported");

    println!(
        "transfer on {}: {total} assignments (half tagged), {:.0} MB of JSON lines",
        db.backend(),
        size as f64 / 1e6
    );
    println!(
        "  import: {:>7.2} s ({:.0} assignments/s)",
        import_time.as_secs_f64(),
        total as f64 / import_time.as_secs_f64()
    );
    println!(
        "  export: {:>7.2} s ({:.0} assignments/s)",
        export_time.as_secs_f64(),
        total as f64 / export_time.as_secs_f64()
    );
}
