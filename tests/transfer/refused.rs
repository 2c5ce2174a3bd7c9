//! Refused input: each stops the import with its line number, and leaves
//! the site as the last complete batch left it. A re-run of the fixed file
//! continues from there.

use std::path::Path;

use insignia::domain::SiteId;
use insignia::store::SqlStore;

use crate::backend_test;
use crate::common::TestDb;
use crate::helpers::{assignment_count, export_to, fill_site, import_from, site};

/// Lines per batch in these tests: the header is line 1, so batches end at lines 11, 21, 31, …
const BATCH: usize = 10;

/// An export of one site with 3 badges, 1 page and 40 assignments (45 lines).
async fn exported(dir: &Path) -> (Vec<String>, SiteId) {
    let db = TestDb::new(crate::common::Backend::Sqlite).await.unwrap();
    let site = site();
    fill_site(&db.store, site, 40).await;
    let path = dir.join("good.jsonl");
    export_to(&db.store, site, &path).await;
    let lines = std::fs::read_to_string(&path)
        .unwrap()
        .lines()
        .map(str::to_owned)
        .collect();
    (lines, site)
}

fn write(dir: &Path, name: &str, lines: &[String]) -> std::path::PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, lines.join("\n") + "\n").unwrap();
    path
}

async fn refused(store: &SqlStore, site: SiteId, path: &Path) -> String {
    let err = import_from(store, site, path, false, BATCH).await.expect_err("refused");
    format!("{err:#}")
}

backend_test!(
    a_truncated_line_stops_at_its_number_and_a_rerun_continues,
    |backend| async move {
        let dir = tempfile::tempdir().unwrap();
        let (mut lines, site) = exported(dir.path()).await;
        let whole = lines[25].clone();
        lines[25].truncate(whole.len() / 2);
        let path = write(dir.path(), "cut.jsonl", &lines);
        let target = TestDb::new(backend).await.unwrap();

        let message = refused(&target.store, site, &path).await;
        assert!(
            message.contains("line 26:") && message.contains("truncated"),
            "{message}"
        );
        // Lines 2–21 are two complete batches: 3 badges, 1 page, 16 assignments.
        assert_eq!(assignment_count(&target.store, site).await, 16);
        assert_eq!(target.store.badge_ids(site).await.unwrap().len(), 3);

        // The fixed file continues after line 21 and ends complete, nothing twice.
        lines[25] = whole;
        let path = write(dir.path(), "cut.jsonl", &lines);
        let imported = import_from(&target.store, site, &path, false, BATCH).await.unwrap();
        assert_eq!(imported.resumed_after, 21);
        assert_eq!(imported.assignments, 24);
        assert_eq!(assignment_count(&target.store, site).await, 40);
    }
);

backend_test!(a_wrong_type_is_refused, |backend| async move {
    let dir = tempfile::tempdir().unwrap();
    let (mut lines, site) = exported(dir.path()).await;
    lines[14] = r#"{"type":"webhook","webhook":{}}"#.to_owned();
    let path = write(dir.path(), "type.jsonl", &lines);
    let target = TestDb::new(backend).await.unwrap();
    let message = refused(&target.store, site, &path).await;
    assert!(
        message.contains("line 15:") && message.contains("unknown record type \"webhook\""),
        "{message}"
    );
    assert_eq!(
        assignment_count(&target.store, site).await,
        6,
        "only the first batch (lines 2–11)"
    );

    // A record of a known type whose fields break the API's rules is refused the same way.
    lines[14] = lines[3].replace("#FFD700", "gold");
    let path = write(dir.path(), "colour.jsonl", &lines);
    let message = refused(&TestDb::new(backend).await.unwrap().store, site, &path).await;
    assert!(
        message.contains("line 15:") && message.contains("backgroundColor"),
        "{message}"
    );
});

backend_test!(an_assignment_of_an_unknown_badge_is_refused, |backend| async move {
    let dir = tempfile::tempdir().unwrap();
    let (mut lines, site) = exported(dir.path()).await;
    let stranger = uuid::Uuid::new_v4().to_string();
    let badge_of = |line: &str| -> String {
        let v: serde_json::Value = serde_json::from_str(line).unwrap();
        v["assignment"]["badgeId"].as_str().unwrap().to_owned()
    };
    let known = badge_of(&lines[30]);
    lines[30] = lines[30].replace(&known, &stranger);
    let path = write(dir.path(), "badge.jsonl", &lines);
    let target = TestDb::new(backend).await.unwrap();
    let message = refused(&target.store, site, &path).await;
    assert!(message.contains("line 31:") && message.contains(&stranger), "{message}");
    assert_eq!(assignment_count(&target.store, site).await, 16, "lines 2–21 only");
});

backend_test!(a_clash_is_refused_unless_remapped, |backend| async move {
    let dir = tempfile::tempdir().unwrap();
    let (lines, site) = exported(dir.path()).await;
    let path = write(dir.path(), "all.jsonl", &lines);
    let target = TestDb::new(backend).await.unwrap();
    import_from(&target.store, site, &path, false, BATCH).await.unwrap();

    // The same ids again, into the same site: the first badge clashes.
    let message = refused(&target.store, site, &path).await;
    assert!(
        message.contains("line 2:") && message.contains("exists in the site already"),
        "{message}"
    );
    assert_eq!(assignment_count(&target.store, site).await, 40);

    // Into another site of the same database: badge ids are the site's own,
    // assignment ids are not, so the first assignment clashes.
    let other = site_of_other();
    let message = refused(&target.store, other, &path).await;
    assert!(
        message.contains("line 6:") && message.contains("exists already"),
        "{message}"
    );
    assert_eq!(
        target.store.badge_ids(other).await.unwrap().len(),
        0,
        "its batch is not written"
    );

    // With --remap the clashing rows get fresh ids, and a re-run copies nothing more.
    let imported = import_from(&target.store, other, &path, true, BATCH).await.unwrap();
    assert_eq!((imported.badges, imported.pages, imported.assignments), (3, 1, 40));
    assert_eq!(imported.remapped, 40);
    assert_eq!(assignment_count(&target.store, other).await, 40);
    let again = import_from(&target.store, other, &path, true, BATCH).await.unwrap();
    assert_eq!((again.badges, again.pages, again.assignments), (0, 0, 0));
    assert_eq!(assignment_count(&target.store, other).await, 40);
});

fn site_of_other() -> SiteId {
    site()
}
