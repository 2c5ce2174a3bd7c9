//! Export, import into a fresh database, export again: the same file.

use insignia::domain::Scope;
use insignia::service::api_keys::ApiKeys;
use insignia::store::Store;

use crate::backend_test;
use crate::common::TestDb;
use crate::helpers::{assignment_count, export_to, fill_site, import_from, site};

backend_test!(export_import_export_is_identical, |backend| async move {
    let source = TestDb::new(backend).await.unwrap();
    let site = site();
    fill_site(&source.store, site, 250).await;
    let (key, secret) = ApiKeys::new(source.store.as_ref())
        .create(site, &[Scope::parse(Scope::MANAGE_BADGES).unwrap()])
        .await
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let first = dir.path().join("first.jsonl");
    let counts = export_to(&source.store, site, &first).await;
    assert_eq!((counts.badges, counts.pages, counts.assignments), (3, 1, 250));

    let target = TestDb::new(backend).await.unwrap();
    // Small batches, so the round trip crosses many batch boundaries.
    let imported = import_from(&target.store, site, &first, false, 40).await.unwrap();
    assert_eq!((imported.badges, imported.pages, imported.assignments), (3, 1, 250));
    let second = dir.path().join("second.jsonl");
    export_to(&target.store, site, &second).await;
    let (a, b) = (
        std::fs::read_to_string(&first).unwrap(),
        std::fs::read_to_string(&second).unwrap(),
    );
    assert_eq!(a.lines().count(), 1 + 3 + 1 + 250);
    assert!(a == b, "the exports differ:\n{}", first_difference(&a, &b));
    assert_eq!(assignment_count(&target.store, site).await, 250);

    // The copy serves the same answers: display order, holders and the page's badges.
    let badges = target.store.list_badges(site, 10, 0).await.unwrap().items;
    let titles: Vec<&str> = badges.iter().map(|b| b.title.as_str()).collect();
    assert_eq!(titles, ["Bronze", "Gold", "Silver"]);
    assert!(badges.iter().all(|b| b.member_count > 0));
    assert!(
        !a.contains(&secret) && !a.contains(&key.id),
        "no API key is ever exported"
    );
});

fn first_difference(a: &str, b: &str) -> String {
    a.lines()
        .zip(b.lines())
        .enumerate()
        .find(|(_, (x, y))| x != y)
        .map(|(i, (x, y))| format!("line {}:\n  {x}\n  {y}", i + 1))
        .unwrap_or_else(|| "different lengths".into())
}
