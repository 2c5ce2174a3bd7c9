//! Export, import into a fresh database, export again: the same file.

use insignia::domain::{BadgeDescription, BadgeTitle, Color, NewBadge, Scope};
use insignia::service::api_keys::ApiKeys;
use insignia::service::webhooks::signing_key;
use insignia::store::Store;
use serde_json::Value;

use crate::backend_test;
use crate::common::TestDb;
use crate::helpers::{add_webhooks_and_clients, assignment_count, export_to, fill_site, import_from, site};

backend_test!(export_import_export_is_identical, |backend| async move {
    let source = TestDb::new(backend).await.unwrap();
    let site = site();
    let (hooks, clients) = add_webhooks_and_clients(&source.store, site).await;
    fill_site(&source.store, site, 250).await;
    // The source has a delivery history and a signing key: neither moves.
    let key = signing_key(source.store.as_ref()).await.unwrap();
    assert!(source.store.fan_out(&key.id).await.unwrap() > 0);
    let (api_key, secret) = ApiKeys::new(source.store.as_ref())
        .create(site, &[Scope::parse(Scope::MANAGE_BADGES).unwrap()])
        .await
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let first = dir.path().join("first.jsonl");
    let counts = export_to(&source.store, site, &first).await;
    assert_eq!(
        (
            counts.badges,
            counts.pages,
            counts.webhooks,
            counts.clients,
            counts.assignments
        ),
        (3, 1, 2, 2, 250)
    );

    let target = TestDb::new(backend).await.unwrap();
    // Small batches, so the round trip crosses many batch boundaries.
    let imported = import_from(&target.store, site, &first, false, 40).await.unwrap();
    assert_eq!(
        (
            imported.badges,
            imported.pages,
            imported.webhooks,
            imported.clients,
            imported.assignments
        ),
        (3, 1, 2, 2, 250)
    );
    let second = dir.path().join("second.jsonl");
    export_to(&target.store, site, &second).await;
    let (a, b) = (
        std::fs::read_to_string(&first).unwrap(),
        std::fs::read_to_string(&second).unwrap(),
    );
    assert_eq!(a.lines().count(), 1 + 3 + 1 + 2 + 2 + 250);
    assert!(a == b, "the exports differ:\n{}", first_difference(&a, &b));
    assert_eq!(assignment_count(&target.store, site).await, 250);

    // The copy serves the same answers: display order, holders and the page's badges.
    let badges = target.store.list_badges(site, 10, 0).await.unwrap().items;
    let titles: Vec<&str> = badges.iter().map(|b| b.title.as_str()).collect();
    assert_eq!(titles, ["Bronze", "Gold", "Silver"]);
    assert!(badges.iter().all(|b| b.member_count > 0));
    assert!(
        !a.contains(&secret) && !a.contains(&api_key.id),
        "no API key is ever exported"
    );
    assert!(
        !a.contains("PRIVATE KEY") && !a.contains(&key.id),
        "no signing key is ever exported"
    );
    // Webhooks and clients carry what the APIs show of them, and nothing of their history.
    let objects = |kind: &str| -> Vec<Value> {
        a.lines()
            .map(|l| serde_json::from_str::<Value>(l).unwrap())
            .filter(|v| v["type"] == kind)
            .map(|v| v[kind].clone())
            .collect()
    };
    let keys = |v: &Value| -> Vec<String> { v.as_object().unwrap().keys().cloned().collect() };
    let hooks_written = objects("webhook");
    assert_eq!(
        keys(&hooks_written[1]),
        [
            "createdDate",
            "eventTypes",
            "id",
            "revision",
            "status",
            "updatedDate",
            "url"
        ]
    );
    assert_eq!(hooks_written[1]["status"], "PAUSED");
    assert_eq!(hooks_written[1]["revision"], "2");
    let clients_written = objects("client");
    assert_eq!(keys(&clients_written[0]), ["createdDate", "id", "origins"]);
    assert_eq!(
        keys(&clients_written[1]),
        ["createdDate", "id", "origins", "revokedDate"]
    );

    // The copies work: the same client ids (the revoked one still revoked),
    // the same subscriptions, sent what happens after the import only.
    let active = target
        .store
        .find_oauth_client(&clients[0])
        .await
        .unwrap()
        .expect("client copied");
    assert_eq!((active.site_id, active.revoked_at), (site, None));
    assert_eq!(active.origins, ["https://shop.example.com", "http://127.0.0.1:8000"]);
    let revoked = target
        .store
        .find_oauth_client(&clients[1])
        .await
        .unwrap()
        .expect("client copied");
    assert!(revoked.revoked_at.is_some());
    let copied: Vec<_> = target.store.list_webhooks(site).await.unwrap();
    assert_eq!(copied.iter().map(|w| w.id).collect::<Vec<_>>(), hooks);
    let key = signing_key(target.store.as_ref()).await.unwrap();
    assert_eq!(
        target.store.fan_out(&key.id).await.unwrap(),
        0,
        "the import sends nothing"
    );
    target
        .store
        .create_badge(
            site,
            &NewBadge {
                title: BadgeTitle::parse("title", "Platinum").unwrap(),
                description: BadgeDescription::parse("description", "").unwrap(),
                background_color: Color::parse("c", "#E5E4E2").unwrap(),
                text_color: Color::parse("c", "#000000").unwrap(),
                icon: None,
                permissions_enabled: false,
            },
        )
        .await
        .unwrap();
    assert_eq!(
        target.store.fan_out(&key.id).await.unwrap(),
        1,
        "a badge made after the import goes to the active subscription"
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
