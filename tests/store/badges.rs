//! Badges: create, get, update with and without a revision check, delete,
//! slugs.

use std::collections::HashSet;

use insignia::domain::{BadgeDescription, BadgePatch, BadgeTitle, Color, Image, Timestamp};
use insignia::store::StoreError;

use crate::backend_test;
use crate::support::*;

fn title(raw: &str) -> BadgeTitle {
    BadgeTitle::parse("title", raw).unwrap()
}

backend_test!(create_and_get, |backend| async move {
    let (_db, store) = open(backend).await;
    let store = store.as_ref();
    let site = site();
    let before = Timestamp::now();
    let mut input = new_badge("Top Contributor");
    input.description = BadgeDescription::parse("description", "For the ones who help most").unwrap();
    input.background_color = Color::parse("bg", "#a1b2c3").unwrap();
    input.text_color = Color::parse("fg", "#000000").unwrap();
    input.icon = Some(Image {
        url: Some("https://example.com/star.png".into()),
        width: Some(64),
        height: Some(64),
        ..Image::default()
    });
    input.permissions_enabled = true;
    let created = store.create_badge(site, &input).await.unwrap();

    assert_eq!(created.site_id, site);
    assert_eq!(created.revision, 1);
    assert_eq!(created.title, input.title);
    assert_eq!(created.description, input.description);
    assert_eq!(created.background_color.as_str(), "#A1B2C3");
    assert_eq!(created.text_color.as_str(), "#000000");
    assert_eq!(created.icon, input.icon);
    assert!(created.permissions_enabled);
    assert_eq!(created.slug.as_str(), "top-contributor");
    assert_eq!(created.display_order, 1);
    assert_eq!(created.member_count, 0);
    assert_eq!(created.created_date, created.updated_date);
    assert!(created.created_date.millis() >= before.millis());

    assert_eq!(store.get_badge(site, created.id).await.unwrap(), Some(created.clone()));
    assert_eq!(store.get_badge(site, unknown_badge()).await.unwrap(), None);

    let second = badge(store, site, "Second").await;
    assert_eq!(second.display_order, 2);
    assert!(!second.permissions_enabled);
    assert_eq!(second.icon, None);
    assert_eq!(second.description.as_str(), "");
});

backend_test!(update_checks_the_revision, |backend| async move {
    let (_db, store) = open(backend).await;
    let store = store.as_ref();
    let site = site();
    let created = badge(store, site, "Gold").await;

    let patch = BadgePatch {
        title: Some(title("Gold Star")),
        description: Some(BadgeDescription::parse("d", "shiny").unwrap()),
        ..BadgePatch::default()
    };
    let updated = store.update_badge(site, created.id, 1, &patch).await.unwrap();
    assert_eq!(updated.revision, 2);
    assert_eq!(updated.title.as_str(), "Gold Star");
    assert_eq!(updated.description.as_str(), "shiny");
    assert_eq!(updated.slug.as_str(), "gold-star", "a new title gives a new slug");
    assert_eq!(
        updated.background_color, created.background_color,
        "untouched fields stay"
    );
    assert_eq!(updated.created_date, created.created_date);
    assert!(updated.updated_date.millis() >= created.updated_date.millis());
    assert_eq!(updated.display_order, created.display_order);
    assert_eq!(store.get_badge(site, created.id).await.unwrap(), Some(updated.clone()));

    // A stale revision, and one from the future: refused with the current one, nothing changed.
    for stale in [1, 0, 3, 99] {
        let refused = store
            .update_badge(
                site,
                created.id,
                stale,
                &BadgePatch {
                    title: Some(title("Lost")),
                    ..BadgePatch::default()
                },
            )
            .await;
        assert!(
            matches!(refused, Err(StoreError::RevisionMismatch { current: 2 })),
            "revision {stale}: {refused:?}"
        );
        assert_eq!(store.get_badge(site, created.id).await.unwrap(), Some(updated.clone()));
    }

    // The icon can be set and removed; an empty patch still makes a new revision.
    let with_icon = store
        .update_badge(
            site,
            created.id,
            2,
            &BadgePatch {
                icon: Some(Some(Image {
                    url: Some("https://example.com/a.png".into()),
                    ..Image::default()
                })),
                permissions_enabled: Some(true),
                ..BadgePatch::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(with_icon.revision, 3);
    assert!(with_icon.icon.is_some() && with_icon.permissions_enabled);
    assert_eq!(with_icon.slug.as_str(), "gold-star", "same title, same slug");
    let without = store
        .update_badge(
            site,
            created.id,
            3,
            &BadgePatch {
                icon: Some(None),
                ..BadgePatch::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(without.icon, None);
    assert!(without.permissions_enabled);
    let same = store
        .update_badge(site, created.id, 4, &BadgePatch::default())
        .await
        .unwrap();
    assert_eq!(same.revision, 5);

    let missing = store
        .update_badge(site, unknown_badge(), 1, &BadgePatch::default())
        .await;
    assert!(matches!(missing, Err(StoreError::NotFound)), "{missing:?}");
});

backend_test!(update_unchecked_is_last_writer_wins, |backend| async move {
    let (_db, store) = open(backend).await;
    let store = store.as_ref();
    let site = site();
    let created = badge(store, site, "Silver").await;
    let first = store
        .update_badge_unchecked(
            site,
            created.id,
            &BadgePatch {
                text_color: Some(Color::parse("c", "#111111").unwrap()),
                ..BadgePatch::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(first.revision, 2);
    assert_eq!(first.text_color.as_str(), "#111111");
    assert_eq!(first.title, created.title);
    let second = store
        .update_badge_unchecked(
            site,
            created.id,
            &BadgePatch {
                title: Some(title("Platinum")),
                ..BadgePatch::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(second.revision, 3);
    assert_eq!(second.text_color.as_str(), "#111111", "earlier fields are kept");
    assert_eq!(second.slug.as_str(), "platinum");
    assert_eq!(store.get_badge(site, created.id).await.unwrap(), Some(second));
    let missing = store
        .update_badge_unchecked(site, unknown_badge(), &BadgePatch::default())
        .await;
    assert!(matches!(missing, Err(StoreError::NotFound)), "{missing:?}");
});

backend_test!(concurrent_updates_of_one_revision_one_wins, |backend| async move {
    let (_db, store) = open(backend).await;
    let site = site();
    let created = badge(store.as_ref(), site, "Contested").await;
    for round in 0..4i64 {
        let revision = round + 1;
        let tasks: Vec<_> = (0..8)
            .map(|i| {
                let store = store.clone();
                tokio::spawn(async move {
                    let patch = BadgePatch {
                        description: Some(BadgeDescription::parse("d", &format!("round {round} writer {i}")).unwrap()),
                        ..BadgePatch::default()
                    };
                    store.update_badge(site, created.id, revision, &patch).await
                })
            })
            .collect();
        let mut winners = Vec::new();
        for task in tasks {
            match task.await.unwrap() {
                Ok(b) => winners.push(b),
                Err(StoreError::RevisionMismatch { current }) => assert_eq!(current, revision + 1),
                Err(e) => panic!("unexpected error: {e}"),
            }
        }
        assert_eq!(winners.len(), 1, "round {round}: exactly one writer succeeds");
        let now = store.get_badge(site, created.id).await.unwrap().unwrap();
        assert_eq!(now.revision, revision + 1);
        assert_eq!(now, winners[0], "the stored badge is the winner's");
    }

    // Without a revision check every writer lands, each on its own revision.
    let tasks: Vec<_> = (0..8)
        .map(|i| {
            let store = store.clone();
            tokio::spawn(async move {
                let patch = BadgePatch {
                    title: Some(title(&format!("Writer {i}"))),
                    ..BadgePatch::default()
                };
                store.update_badge_unchecked(site, created.id, &patch).await.unwrap()
            })
        })
        .collect();
    let mut revisions = HashSet::new();
    for task in tasks {
        revisions.insert(task.await.unwrap().revision);
    }
    assert_eq!(revisions, (6..=13).collect::<HashSet<i64>>());
    assert_eq!(store.get_badge(site, created.id).await.unwrap().unwrap().revision, 13);
});

backend_test!(slugs_take_the_first_free_suffix, |backend| async move {
    let (_db, store) = open(backend).await;
    let store = store.as_ref();
    let site = site();
    let mut slugs = Vec::new();
    for t in ["Gold", "gold", "  GOLD  ", "a_b", "A_B", "axb", "!!!", "%%%"] {
        slugs.push(badge(store, site, t).await.slug.as_str().to_owned());
    }
    assert_eq!(
        slugs,
        ["gold", "gold-2", "gold-3", "a_b", "a_b-2", "axb", "badge", "badge-2"]
    );

    // A freed slug is reused; a title whose slug looks like a suffix is its own slug.
    let all = store.list_badges(site, 100, 0).await.unwrap().items;
    let gold2 = all.iter().find(|b| b.slug.as_str() == "gold-2").unwrap();
    store.delete_badge(site, gold2.id).await.unwrap();
    assert_eq!(badge(store, site, "Gold").await.slug.as_str(), "gold-2");
    assert_eq!(badge(store, site, "Gold 4").await.slug.as_str(), "gold-4");
    assert_eq!(badge(store, site, "Gold").await.slug.as_str(), "gold-5");

    // Renaming: to its own slug keeps it; to another's takes the next free one.
    let axb = all.iter().find(|b| b.slug.as_str() == "axb").unwrap();
    let same = store
        .update_badge_unchecked(
            site,
            axb.id,
            &BadgePatch {
                title: Some(title("AXB")),
                ..BadgePatch::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(same.slug.as_str(), "axb");
    let renamed = store
        .update_badge_unchecked(
            site,
            axb.id,
            &BadgePatch {
                title: Some(title("Gold")),
                ..BadgePatch::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(renamed.slug.as_str(), "gold-6");
    let gold = all.iter().find(|b| b.slug.as_str() == "gold").unwrap();
    let kept = store
        .update_badge(
            site,
            gold.id,
            gold.revision,
            &BadgePatch {
                title: Some(title("GOLD")),
                ..BadgePatch::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(kept.slug.as_str(), "gold", "a badge does not collide with itself");

    let all = store.list_badges(site, 100, 0).await.unwrap().items;
    let distinct: HashSet<&str> = all.iter().map(|b| b.slug.as_str()).collect();
    assert_eq!(distinct.len(), all.len());
});

backend_test!(concurrent_creates_get_distinct_slugs_and_orders, |backend| async move {
    let (_db, store) = open(backend).await;
    let site = site();
    let tasks: Vec<_> = (0..8)
        .map(|_| {
            let store = store.clone();
            tokio::spawn(async move {
                let mut made = Vec::new();
                for _ in 0..3 {
                    made.push(badge(store.as_ref(), site, "Rush").await);
                }
                made
            })
        })
        .collect();
    let mut made = Vec::new();
    for task in tasks {
        made.extend(task.await.unwrap());
    }
    let slugs: HashSet<String> = made.iter().map(|b| b.slug.as_str().to_owned()).collect();
    let expected: HashSet<String> = std::iter::once("rush".to_owned())
        .chain((2..=24).map(|n| format!("rush-{n}")))
        .collect();
    assert_eq!(slugs, expected);
    let mut orders: Vec<i64> = made.iter().map(|b| b.display_order).collect();
    orders.sort();
    assert_eq!(orders, (1..=24).collect::<Vec<i64>>(), "every badge has its own place");
    let listed = store.list_badges(site, 100, 0).await.unwrap();
    assert_eq!(listed.total, Some(24));
});

backend_test!(delete_removes_the_badge_and_its_assignments, |backend| async move {
    let (_db, store) = open(backend).await;
    let store = store.as_ref();
    let site = site();
    let doomed = badge(store, site, "Doomed").await;
    let kept = badge(store, site, "Kept").await;
    let members: Vec<_> = (0..3).map(|_| member()).collect();
    for m in &members {
        let mut item = new_assignment(doomed.id, *m);
        item.tags = tags(&["shared"], &["secret"]);
        store.create_assignments(site, &[item]).await.unwrap()[0]
            .as_ref()
            .unwrap();
    }
    let mut item = new_assignment(kept.id, members[0]);
    item.tags = tags(&["shared"], &[]);
    store.create_assignments(site, &[item]).await.unwrap()[0]
        .as_ref()
        .unwrap();
    assert_eq!(count_of(store, site, doomed.id).await, Some(3));

    let deleted = store.delete_badge(site, doomed.id).await.unwrap();
    assert_eq!(deleted.id, doomed.id);
    assert_eq!(deleted.member_count, 3, "the deleted badge as it was");
    assert_eq!(store.get_badge(site, doomed.id).await.unwrap(), None);
    assert_eq!(
        store.member_counts(site).await.unwrap(),
        vec![(kept.id, 1)],
        "the other badge keeps its holder"
    );
    let left = all_assignments(store, site).await;
    assert_eq!(left.len(), 1);
    assert_eq!(left[0].badge_id, kept.id);
    // The tag index lost the deleted assignments too.
    let tagged = query(
        &insignia::query::ASSIGNMENTS,
        serde_json::json!({"filter": {"tags.tags.tagIds": {"$hasSome": ["shared"]}}}),
    );
    assert_eq!(store.query_assignments(site, &tagged).await.unwrap().items.len(), 1);
    let secret = query(
        &insignia::query::ASSIGNMENTS,
        serde_json::json!({"filter": {"tags.privateTags.tagIds": {"$hasSome": ["secret"]}}}),
    );
    assert!(store.query_assignments(site, &secret).await.unwrap().items.is_empty());

    assert!(matches!(
        store.delete_badge(site, doomed.id).await,
        Err(StoreError::NotFound)
    ));
    let again = store
        .create_assignments(site, &[new_assignment(doomed.id, members[1])])
        .await
        .unwrap();
    assert_eq!(again, vec![Err(insignia::domain::AssignmentRefusal::BadgeNotFound)]);
    let update = store
        .update_badge(site, doomed.id, 1, &insignia::domain::BadgePatch::default())
        .await;
    assert!(matches!(update, Err(StoreError::NotFound)), "{update:?}");
});
