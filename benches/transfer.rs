//! Import and export time for one site with many assignments.
//!
//! `cargo bench --bench transfer` — SQLite in a temp dir by default.
//! Env: `BENCH_ASSIGNMENTS` (default 1,000,000), `BENCH_DATABASE_URL`
//! (e.g. a postgres:// URL), `BENCH_BATCH_LINES` (lines per import
//! transaction, 100,000 as `insignia import`). Writes an export file of that many tagged
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

/// As `insignia` itself (see `src/main.rs`), so the figures are the command's.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// CPU seconds used so far, from a `/proc/…/stat` line: user and system
/// time, fields 14 and 15 (counted here after the command name in
/// parentheses, which may hold spaces), in ticks of 1/100 s.
fn stat_seconds(stat: &str) -> f64 {
    let fields: Vec<&str> = stat
        .rsplit_once(')')
        .map_or("", |(_, rest)| rest)
        .split_whitespace()
        .collect();
    let ticks = |i: usize| fields.get(i).and_then(|v| v.parse::<f64>().ok()).unwrap_or(0.0);
    (ticks(11) + ticks(12)) / 100.0
}

/// CPU seconds this process has used, every thread: on a shared machine a
/// steadier measure than the wall clock.
fn cpu_seconds() -> f64 {
    stat_seconds(&std::fs::read_to_string("/proc/self/stat").unwrap_or_default())
}

/// CPU seconds of each thread so far, by thread id, with its name.
fn thread_seconds() -> std::collections::HashMap<String, (String, f64)> {
    let mut threads = std::collections::HashMap::new();
    for task in std::fs::read_dir("/proc/self/task").into_iter().flatten().flatten() {
        let stat = std::fs::read_to_string(task.path().join("stat")).unwrap_or_default();
        let name = std::fs::read_to_string(task.path().join("comm")).unwrap_or_default();
        let id = task.file_name().to_string_lossy().into_owned();
        threads.insert(id, (name.trim().to_owned(), stat_seconds(&stat)));
    }
    threads
}

/// The thread that used the most CPU since `before`: on a quiet machine
/// the command takes at least that long (the others run beside it).
fn busiest_since(before: &std::collections::HashMap<String, (String, f64)>) -> (String, f64) {
    thread_seconds()
        .into_iter()
        .map(|(id, (name, now))| (name, now - before.get(&id).map_or(0.0, |(_, then)| *then)))
        .fold((String::new(), 0.0), |best, t| if t.1 > best.1 { t } else { best })
}

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

    // With the settings `insignia import` and `insignia export` connect with.
    let db = BenchDb::open_with(
        std::env::var("BENCH_DATABASE_URL").ok().as_deref(),
        insignia::transfer::tune,
    )
    .await;
    let options = ImportOptions {
        site,
        remap: false,
        batch_lines: env_or("BENCH_BATCH_LINES", 100_000),
    };
    let began = Instant::now();
    let cpu = cpu_seconds();
    let threads = thread_seconds();
    let imported = import_file(&db.store, &source, &options, &Stop::default())
        .await
        .expect("import");
    let import_time = began.elapsed();
    let import_cpu = cpu_seconds() - cpu;
    let import_busiest = busiest_since(&threads);
    assert_eq!(imported.assignments, total as u64);

    let again = dir.path().join("again.jsonl");
    let began = Instant::now();
    let cpu = cpu_seconds();
    let threads = thread_seconds();
    let exported = export(&db.store, site, Some(&again), &Stop::default())
        .await
        .expect("export");
    let export_time = began.elapsed();
    let export_cpu = cpu_seconds() - cpu;
    let export_busiest = busiest_since(&threads);
    assert_eq!(exported.assignments, total as u64);
    let same = std::fs::read(&source).unwrap() == std::fs::read(&again).unwrap();
    assert!(same, "the export differs from the file imported");

    println!(
        "transfer on {}: {total} assignments (half tagged), {:.0} MB of JSON lines",
        db.backend(),
        size as f64 / 1e6
    );
    for (what, time, cpu, (thread, busiest)) in [
        ("import", import_time, import_cpu, import_busiest),
        ("export", export_time, export_cpu, export_busiest),
    ] {
        println!(
            "  {what}: {:>7.2} s ({:.0} assignments/s); CPU {cpu:.2} s, of which {busiest:.2} s on its busiest thread ({thread})",
            time.as_secs_f64(),
            total as f64 / time.as_secs_f64(),
        );
    }
    if let Some(bytes) = db.sqlite_bytes() {
        println!("  database: {:.0} MB", bytes as f64 / 1e6);
    }
    let load = std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
    println!(
        "  machine: {} cores, load average {}",
        std::thread::available_parallelism().map_or(0, |n| n.get()),
        load.split_whitespace().take(3).collect::<Vec<_>>().join(" ")
    );
}
