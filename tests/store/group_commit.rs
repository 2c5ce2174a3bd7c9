//! Many creates at once: on SQLite they share the single writer's commits
//! (group commit), on PostgreSQL each has its own. Either way every create
//! gets its own answer and its own error, and its events.

use std::collections::HashSet;
use std::sync::Arc;

use insignia::domain::{Badge, BadgeId, Timestamp, MAX_BADGES_PER_SITE};
use insignia::events::Actor;
use insignia::store::{ImportBadge, ImportBatch, Store, StoreError};
use sqlx::Executor;

use crate::backend_test;
use crate::common::{Backend, TestDb};
use crate::support::*;

/// Starts every create at once and waits for all the answers, in order.
async fn create_all(
    stores: Vec<(Arc<dyn Store>, String)>,
    site: insignia::domain::SiteId,
) -> Vec<Result<Badge, StoreError>> {
    let tasks: Vec<_> = stores
        .into_iter()
        .map(|(store, title)| tokio::spawn(async move { store.create_badge(site, &new_badge(&title)).await }))
        .collect();
    let mut answers = Vec::new();
    for task in tasks {
        answers.push(task.await.unwrap());
    }
    answers
}

/// A connection of our own to the test's database, for setting up what the
/// store cannot (a trigger).
async fn raw_pool(db: &TestDb) -> sqlx::AnyPool {
    sqlx::any::install_default_drivers();
    let schema = db.schema.clone();
    sqlx::any::AnyPoolOptions::new()
        .max_connections(1)
        .after_connect(move |conn, _| {
            let schema = schema.clone();
            Box::pin(async move {
                if let Some(schema) = schema {
                    conn.execute(format!("SET search_path TO {schema}").as_str()).await?;
                }
                Ok(())
            })
        })
        .connect(&db.url)
        .await
        .expect("own connection")
}

backend_test!(
    concurrent_creates_each_get_their_own_badge_and_events,
    |backend| async move {
        let (db, store) = open(backend).await;
        let site = site();
        let by_key = store.acting_as(Actor::ApiKey("key-a".into()));
        // Half share one title (their slugs must be told apart within one
        // commit); every other create comes from an API key.
        let calls: Vec<(Arc<dyn Store>, String)> = (0..48)
            .map(|i| {
                let title = if i % 2 == 0 {
                    "Crowd".to_owned()
                } else {
                    format!("Solo {i}")
                };
                let caller = if i % 3 == 0 { by_key.clone() } else { store.clone() };
                (caller, title)
            })
            .collect();
        let made: Vec<Badge> = create_all(calls, site)
            .await
            .into_iter()
            .map(|answer| answer.expect("every create succeeds"))
            .collect();

        let ids: HashSet<BadgeId> = made.iter().map(|b| b.id).collect();
        assert_eq!(ids.len(), 48, "every create has its own badge");
        let slugs: HashSet<&str> = made.iter().map(|b| b.slug.as_str()).collect();
        assert_eq!(slugs.len(), 48, "and its own slug");
        let shared: HashSet<String> = std::iter::once("crowd".to_owned())
            .chain((2..=24).map(|n| format!("crowd-{n}")))
            .collect();
        let made_shared: HashSet<String> = made
            .iter()
            .filter(|b| b.title.as_str() == "Crowd")
            .map(|b| b.slug.as_str().to_owned())
            .collect();
        assert_eq!(made_shared, shared);
        let mut orders: Vec<i64> = made.iter().map(|b| b.display_order).collect();
        orders.sort();
        assert_eq!(orders, (1..=48).collect::<Vec<i64>>(), "and its own place");
        for badge in &made {
            assert_eq!(store.get_badge(site, badge.id).await.unwrap().as_ref(), Some(badge));
        }
        assert_eq!(store.list_badges(site, 100, 0).await.unwrap().total, Some(48));

        // Two events per create, numbered without a gap, each with its caller.
        let events = store.events_since(site, 0, &[], 1000).await.unwrap();
        let seqs: Vec<i64> = events.iter().map(|e| e.seq).collect();
        assert_eq!(seqs, (1..=96).collect::<Vec<i64>>());
        assert_eq!(store.last_event_seq(site).await.unwrap(), 96);
        let created = vec!["wix.badges.v4.badge_created".to_owned()];
        let announced = store.events_since(site, 0, &created, 1000).await.unwrap();
        let announced_ids: HashSet<BadgeId> = announced.iter().map(|e| BadgeId::from_uuid(e.entity_id)).collect();
        assert_eq!(announced_ids, ids, "a created event for every badge");
        for (i, badge) in made.iter().enumerate() {
            let event = announced
                .iter()
                .find(|e| BadgeId::from_uuid(e.entity_id) == badge.id)
                .unwrap();
            let by_app = event.identity.as_deref().unwrap_or("").contains("key-a");
            assert_eq!(by_app, i % 3 == 0, "event of create {i} names its caller");
        }
        drop(db);
    }
);

backend_test!(creates_past_the_site_limit_fail_alone, |backend| async move {
    let (db, store) = open(backend).await;
    let site = site();
    // Fill the site to 10 below its limit in one import.
    let now = Timestamp::now();
    let seeded = MAX_BADGES_PER_SITE as usize - 10;
    let batch = ImportBatch {
        badges: (0..seeded)
            .map(|i| ImportBadge {
                id: BadgeId::from_uuid(uuid::Uuid::now_v7()),
                badge: new_badge(&format!("Seed {i}")),
                slug: None,
                revision: 1,
                created: now,
                updated: now,
            })
            .collect(),
        ..ImportBatch::default()
    };
    db.store.import_batch(site, "seed", &batch).await.unwrap();

    let calls = (0..20).map(|i| (store.clone(), format!("Late {i}"))).collect();
    let answers = create_all(calls, site).await;
    let made: Vec<&Badge> = answers.iter().filter_map(|a| a.as_ref().ok()).collect();
    let refused = answers
        .iter()
        .filter(|a| matches!(a, Err(StoreError::LimitReached(max)) if *max == MAX_BADGES_PER_SITE))
        .count();
    assert_eq!(made.len(), 10, "the creates that fit succeed: {answers:?}");
    assert_eq!(refused, 10, "the others are refused, each with the limit");
    let mut orders: Vec<i64> = made.iter().map(|b| b.display_order).collect();
    orders.sort();
    assert_eq!(orders, (seeded as i64 + 1..=MAX_BADGES_PER_SITE).collect::<Vec<i64>>());
    for badge in made {
        assert!(store.get_badge(site, badge.id).await.unwrap().is_some());
    }
    let total = store.list_badges(site, 1, 0).await.unwrap().total;
    assert_eq!(total, Some(MAX_BADGES_PER_SITE as u64));
    assert_eq!(
        store.last_event_seq(site).await.unwrap(),
        20,
        "events of the created only"
    );
});

backend_test!(a_create_the_database_refuses_fails_alone, |backend| async move {
    let (db, store) = open(backend).await;
    let site = site();
    // The database itself refuses one title, as a constraint would: the
    // refusal comes in the middle of the other creates' statements.
    let raw = raw_pool(&db).await;
    match backend {
        Backend::Sqlite => {
            raw.execute(
                "CREATE TRIGGER refuse_poison BEFORE INSERT ON badges WHEN NEW.title = 'Poison' \
                 BEGIN SELECT RAISE(ABORT, 'poison refused'); END",
            )
            .await
            .unwrap();
        }
        Backend::Postgres => {
            raw.execute(
                "CREATE FUNCTION refuse_poison() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN \
                 IF NEW.title = 'Poison' THEN RAISE EXCEPTION 'poison refused'; END IF; RETURN NEW; END $$",
            )
            .await
            .unwrap();
            raw.execute(
                "CREATE TRIGGER refuse_poison BEFORE INSERT ON badges FOR EACH ROW EXECUTE FUNCTION refuse_poison()",
            )
            .await
            .unwrap();
        }
    }
    raw.close().await;

    let calls = (0..16)
        .map(|i| {
            let title = if i == 7 {
                "Poison".to_owned()
            } else {
                format!("Fine {i}")
            };
            (store.clone(), title)
        })
        .collect();
    let answers = create_all(calls, site).await;
    for (i, answer) in answers.iter().enumerate() {
        if i == 7 {
            assert!(matches!(answer, Err(StoreError::Database(_))), "{answer:?}");
        } else {
            assert!(answer.is_ok(), "create {i} is not failed by its neighbour: {answer:?}");
        }
    }
    let listed = store.list_badges(site, 100, 0).await.unwrap();
    assert_eq!(listed.total, Some(15));
    assert!(listed.items.iter().all(|b| b.title.as_str() != "Poison"));
    let mut orders: Vec<i64> = listed.items.iter().map(|b| b.display_order).collect();
    orders.sort();
    assert_eq!(
        orders,
        (1..=15).collect::<Vec<i64>>(),
        "the refused create takes no place"
    );
    let events = store.events_since(site, 0, &[], 100).await.unwrap();
    assert_eq!(
        events.iter().map(|e| e.seq).collect::<Vec<_>>(),
        (1..=30).collect::<Vec<i64>>()
    );
});
