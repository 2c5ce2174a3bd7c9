//! Sites with badges, pages and tagged assignments, and the import and
//! export calls the tests make.

use std::path::Path;

use insignia::domain::{
    BadgeDescription, BadgeId, BadgeTitle, Color, Image, MemberId, NewAssignment, NewBadge, NewPage, OrderChange,
    PageBadges, PagePath, PageTitle, SiteId, TagIds, Tags,
};
use insignia::events::{EventType, NewWebhook, WebhookPatch};
use insignia::store::{OAuthClientRecord, SqlStore, Store};
use insignia::transfer::export::{export, Exported};
use insignia::transfer::import::{import_file, ImportOptions, Imported};
use insignia::transfer::stop::Stop;
use serde_json::json;

pub fn site() -> SiteId {
    SiteId::from_uuid(uuid::Uuid::new_v4())
}

pub fn tags(public: &[&str], private: &[&str]) -> Tags {
    let list = |v: &[&str]| TagIds::from_stored(v.iter().map(|s| s.to_string()).collect());
    Tags {
        public: list(public),
        private: list(private),
    }
}

/// Three badges in an order of their own (not creation order), a page
/// that two of them open, and `assignments` tagged assignments.
pub async fn fill_site(store: &SqlStore, site: SiteId, assignments: usize) -> Vec<BadgeId> {
    let mut ids = Vec::new();
    for (i, title) in ["Gold", "Silver", "Bronze"].iter().enumerate() {
        let badge = store
            .create_badge(
                site,
                &NewBadge {
                    title: BadgeTitle::parse("title", title).unwrap(),
                    description: BadgeDescription::parse("description", &format!("the {title} badge")).unwrap(),
                    background_color: Color::parse("c", "#FFD700").unwrap(),
                    text_color: Color::parse("c", "#000000").unwrap(),
                    icon: (i == 0)
                        .then(|| Image::parse("icon", &json!({"url": "https://example.com/gold.svg"})).unwrap())
                        .flatten(),
                    permissions_enabled: i == 1,
                },
            )
            .await
            .unwrap();
        ids.push(badge.id);
    }
    store
        .reorder_badges(site, &OrderChange::Front(vec![ids[2], ids[0]]))
        .await
        .unwrap();
    store
        .create_page(
            site,
            &NewPage {
                path: PagePath::parse("path", "/members/lounge").unwrap(),
                title: PageTitle::parse("title", "Lounge").unwrap(),
                badge_ids: PageBadges::parse("badgeIds", vec![ids[1], ids[2]]).unwrap(),
            },
        )
        .await
        .unwrap();
    let items: Vec<NewAssignment> = (0..assignments)
        .map(|i| NewAssignment {
            badge_id: ids[i % 3],
            member_id: MemberId::from_uuid(uuid::Uuid::new_v4()),
            tags: if i % 2 == 0 {
                tags(&["vip", &format!("t{}", i % 7)], &["staff"])
            } else {
                Tags::default()
            },
            extended_fields: (i % 5 == 0).then(|| json!({"namespaces": {"_user_defined": {"n": i}}})),
        })
        .collect();
    for chunk in items.chunks(100) {
        for made in store.create_assignments(site, chunk).await.unwrap() {
            made.expect("assignment made");
        }
    }
    ids
}

/// Two webhook subscriptions (one paused since, at revision 2) and two
/// front-end OAuth clients (one revoked). Returns their ids.
pub async fn add_webhooks_and_clients(store: &SqlStore, site: SiteId) -> (Vec<uuid::Uuid>, Vec<String>) {
    let mut hooks = Vec::new();
    for (path, types) in [
        ("/badges", vec![EventType::BadgeCreated, EventType::BadgeUpdated]),
        ("/holders", vec![EventType::AssignmentCreated]),
    ] {
        let made = store
            .create_webhook(
                site,
                &NewWebhook {
                    url: format!("https://hooks.example.org{path}"),
                    event_types: types,
                    active: true,
                },
            )
            .await
            .unwrap();
        hooks.push(made.id);
        // Apart in time, so that their order (oldest first) is known.
        tokio::time::sleep(std::time::Duration::from_millis(3)).await;
    }
    let paused = WebhookPatch {
        active: Some(false),
        ..WebhookPatch::default()
    };
    store.update_webhook(site, hooks[1], &paused).await.unwrap();
    let mut clients = Vec::new();
    let now = insignia::domain::Timestamp::now().millis();
    // A second apart, so that their order (oldest first) is known.
    for (age, origins) in [
        (1000, vec!["https://shop.example.com", "http://127.0.0.1:8000"]),
        (0, vec![]),
    ] {
        let client = OAuthClientRecord {
            id: uuid::Uuid::new_v4().to_string(),
            site_id: site,
            origins: origins.into_iter().map(str::to_owned).collect(),
            created_at: insignia::domain::Timestamp::from_millis(now - age),
            revoked_at: None,
        };
        store.insert_oauth_client(&client).await.unwrap();
        clients.push(client.id);
    }
    assert!(store.revoke_oauth_client(&clients[1]).await.unwrap());
    (hooks, clients)
}

pub async fn export_to(store: &SqlStore, site: SiteId, path: &Path) -> Exported {
    export(store, site, Some(path), &Stop::default()).await.expect("export")
}

pub async fn import_from(
    store: &SqlStore,
    site: SiteId,
    path: &Path,
    remap: bool,
    batch_lines: usize,
) -> anyhow::Result<Imported> {
    let options = ImportOptions {
        site,
        remap,
        batch_lines,
    };
    import_file(store, path, &options, &Stop::default()).await
}

/// How many assignments the site has, from the holder counts (which an
/// import keeps in step) and from the rows themselves.
pub async fn assignment_count(store: &SqlStore, site: SiteId) -> i64 {
    let counted: i64 = store.member_counts(site).await.unwrap().iter().map(|(_, n)| n).sum();
    let exported = export_count(store, site).await;
    assert_eq!(counted, exported as i64, "holder counts agree with the rows");
    counted
}

async fn export_count(store: &SqlStore, site: SiteId) -> u64 {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("count.jsonl");
    export_to(store, site, &path).await.assignments
}
