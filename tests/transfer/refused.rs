//! Refused input: each stops the import with its line number, and leaves
//! the site as the last complete batch left it. A re-run of the fixed file
//! continues from there.

use std::path::Path;

use insignia::domain::SiteId;
use insignia::store::{SqlStore, Store};

use crate::backend_test;
use crate::common::TestDb;
use crate::helpers::{add_webhooks_and_clients, assignment_count, export_to, fill_site, import_from, site};

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
    lines[14] = r#"{"type":"delivery","delivery":{}}"#.to_owned();
    let path = write(dir.path(), "type.jsonl", &lines);
    let target = TestDb::new(backend).await.unwrap();
    let message = refused(&target.store, site, &path).await;
    assert!(
        message.contains("line 15:") && message.contains("unknown record type \"delivery\""),
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

backend_test!(an_assignment_repeated_in_the_file_is_refused, |backend| async move {
    let dir = tempfile::tempdir().unwrap();
    let (mut lines, site) = exported(dir.path()).await;
    // Line 36 repeats line 33: the same member and badge, in the same batch (lines 32–41).
    lines[35] = lines[32].clone();
    let path = write(dir.path(), "twice.jsonl", &lines);
    let target = TestDb::new(backend).await.unwrap();
    let message = refused(&target.store, site, &path).await;
    assert!(
        message.contains("line 36:") && message.contains("holds badge"),
        "{message}"
    );
    assert_eq!(assignment_count(&target.store, site).await, 26, "lines 2–31 only");

    // With --remap the repeat is skipped and the rest goes in.
    let imported = import_from(&target.store, site, &path, true, BATCH).await.unwrap();
    assert_eq!((imported.assignments, imported.skipped), (13, 1));
    assert_eq!(assignment_count(&target.store, site).await, 39);
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

/// An export with webhooks and clients: header, badges (lines 2–4), the
/// page (5), webhooks (6–7), clients (8–9), then 40 assignments.
async fn exported_with_hooks(dir: &Path) -> (Vec<String>, SiteId) {
    let db = TestDb::new(crate::common::Backend::Sqlite).await.unwrap();
    let site = site();
    add_webhooks_and_clients(&db.store, site).await;
    fill_site(&db.store, site, 40).await;
    let path = dir.join("hooks.jsonl");
    export_to(&db.store, site, &path).await;
    let lines: Vec<String> = std::fs::read_to_string(&path)
        .unwrap()
        .lines()
        .map(str::to_owned)
        .collect();
    assert!(lines[5].contains(r#""type":"webhook""#) && lines[8].contains(r#""type":"client""#));
    (lines, site)
}

backend_test!(a_bad_webhook_or_client_is_refused, |backend| async move {
    let dir = tempfile::tempdir().unwrap();
    let (lines, site) = exported_with_hooks(dir.path()).await;
    for (line, from, to, field) in [
        (
            7,
            "https://hooks.example.org/holders",
            "ftp://hooks.example.org/holders",
            "webhook.url",
        ),
        (
            6,
            "wix.badges.v4.badge_created",
            "wix.badges.v4.badge_made",
            "webhook.eventTypes",
        ),
        (
            9,
            r#""origins":[]"#,
            r#""origins":["shop.example.com"]"#,
            "client.origins",
        ),
    ] {
        let mut bad = lines.clone();
        assert!(bad[line - 1].contains(from), "{}", bad[line - 1]);
        bad[line - 1] = bad[line - 1].replace(from, to);
        let path = write(dir.path(), "bad.jsonl", &bad);
        let target = TestDb::new(backend).await.unwrap();
        let message = refused(&target.store, site, &path).await;
        assert!(
            message.contains(&format!("line {line}:")) && message.contains(field),
            "{message}"
        );
        // Its batch (lines 2–11) is not written: no badge, no webhook, no client.
        assert_eq!(target.store.badge_ids(site).await.unwrap().len(), 0);
        assert!(target.store.list_webhooks(site).await.unwrap().is_empty());
        assert!(target.store.list_oauth_clients(Some(site)).await.unwrap().is_empty());
    }
});

backend_test!(
    a_webhook_or_client_clash_is_refused_unless_remapped,
    |backend| async move {
        let dir = tempfile::tempdir().unwrap();
        let (lines, site) = exported_with_hooks(dir.path()).await;
        let path = write(dir.path(), "all.jsonl", &lines);
        let target = TestDb::new(backend).await.unwrap();
        import_from(&target.store, site, &path, false, BATCH).await.unwrap();

        // Webhook and client ids are unique across sites: into another site the
        // first webhook clashes, and without it the first client.
        let other = site_of_other();
        let message = refused(&target.store, other, &path).await;
        assert!(
            message.contains("line 6:") && message.contains("webhook") && message.contains("exists already"),
            "{message}"
        );
        let without_hooks: Vec<String> = lines
            .iter()
            .filter(|l| !l.contains(r#""type":"webhook""#))
            .cloned()
            .collect();
        let message = refused(
            &target.store,
            other,
            &write(dir.path(), "no-hooks.jsonl", &without_hooks),
        )
        .await;
        assert!(
            message.contains("line 6:") && message.contains("OAuth client") && message.contains("exists already"),
            "{message}"
        );
        assert!(target.store.list_webhooks(other).await.unwrap().is_empty());
        assert!(target.store.list_oauth_clients(Some(other)).await.unwrap().is_empty());

        // With --remap they get fresh ids, and a re-run copies nothing more.
        let imported = import_from(&target.store, other, &path, true, BATCH).await.unwrap();
        assert_eq!((imported.webhooks, imported.clients, imported.assignments), (2, 2, 40));
        assert_eq!(imported.remapped, 2 + 2 + 40);
        let again = import_from(&target.store, other, &path, true, BATCH).await.unwrap();
        assert_eq!((again.webhooks, again.clients, again.assignments), (0, 0, 0));
        let copied = target.store.list_webhooks(other).await.unwrap();
        let originals = target.store.list_webhooks(site).await.unwrap();
        assert_eq!(copied.len(), 2);
        for (copy, original) in copied.iter().zip(&originals) {
            assert_ne!(copy.id, original.id);
            assert_eq!((&copy.url, copy.active), (&original.url, original.active));
        }
        assert_eq!(target.store.list_oauth_clients(Some(other)).await.unwrap().len(), 2);
    }
);

fn site_of_other() -> SiteId {
    site()
}
