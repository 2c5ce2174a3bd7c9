//! Site isolation: every operation on site B leaves site A unseen and unchanged.

use insignia::domain::{Badge, BadgeAssignment, BadgeId, BadgePatch, OrderChange, Position, SiteId, Tags};
use insignia::query::{ASSIGNMENTS, BADGES};
use insignia::store::{Store, StoreError};
use serde_json::json;

use crate::backend_test;
use crate::support::*;

/// Everything site A has, as the store reports it.
async fn snapshot(store: &dyn Store, site: SiteId) -> (Vec<Badge>, Vec<BadgeAssignment>, Vec<(BadgeId, i64)>) {
    let badges = store.list_badges(site, 1000, 0).await.unwrap().items;
    let mut assignments = all_assignments(store, site).await;
    assignments.sort_by_key(|a| a.id);
    (badges, assignments, store.member_counts(site).await.unwrap())
}

backend_test!(site_b_never_sees_or_changes_site_a, |backend| async move {
    let (_db, store) = open(backend).await;
    let store = store.as_ref();
    let (a, b) = (site(), site());
    let gold = badge(store, a, "Gold").await;
    let silver = badge(store, a, "Silver").await;
    let members = [member(), member()];
    let mut a_assignments = Vec::new();
    for m in members {
        let mut item = new_assignment(gold.id, m);
        item.tags = tags(&["a-tag"], &[]);
        a_assignments.push(store.create_assignments(a, &[item]).await.unwrap()[0].clone().unwrap());
    }
    assign(store, a, silver.id, members[0]).await;
    let a_job = retag_by_filter(store, a, json!({}), &tags(&["job"], &[]), &Tags::default(), 500).await;
    let before = snapshot(store, a).await;

    // Reads from B see nothing of A.
    assert_eq!(store.get_badge(b, gold.id).await.unwrap(), None);
    let listed = store.list_badges(b, 100, 0).await.unwrap();
    assert!(listed.items.is_empty());
    assert_eq!(listed.total, Some(0));
    let everything = query(&BADGES, json!({}));
    let found = store.query_badges(b, &everything).await.unwrap();
    assert!(found.items.is_empty());
    assert_eq!(found.total, Some(0));
    let by_id = query(&BADGES, json!({"filter": {"id": gold.id.to_string()}}));
    assert!(store.query_badges(b, &by_id).await.unwrap().items.is_empty());
    let all = query(&ASSIGNMENTS, json!({"cursorPaging": {"limit": 10}}));
    assert!(store.query_assignments(b, &all).await.unwrap().items.is_empty());
    let of_gold = query(&ASSIGNMENTS, json!({"filter": {"badgeId": gold.id.to_string()}}));
    assert!(store.query_assignments(b, &of_gold).await.unwrap().items.is_empty());
    assert!(store.member_counts(b).await.unwrap().is_empty());
    assert_eq!(store.get_job(b, a_job.id).await.unwrap(), None);

    // Writes from B on A's rows find nothing.
    let patch = BadgePatch {
        title: Some(insignia::domain::BadgeTitle::parse("t", "Stolen").unwrap()),
        ..BadgePatch::default()
    };
    assert!(matches!(
        store.update_badge(b, gold.id, 1, &patch).await,
        Err(StoreError::NotFound)
    ));
    assert!(matches!(
        store.update_badge_unchecked(b, gold.id, &patch).await,
        Err(StoreError::NotFound)
    ));
    assert!(matches!(
        store.delete_badge(b, silver.id).await,
        Err(StoreError::NotFound)
    ));
    for change in [
        OrderChange::Move {
            id: silver.id,
            position: Position::First,
        },
        OrderChange::Front(vec![silver.id]),
    ] {
        assert!(matches!(
            store.reorder_badges(b, &change).await,
            Err(StoreError::UnknownBadge(_))
        ));
    }
    let refused = store
        .create_assignments(b, &[new_assignment(gold.id, member())])
        .await
        .unwrap();
    assert_eq!(refused, vec![Err(insignia::domain::AssignmentRefusal::BadgeNotFound)]);
    let ids: Vec<_> = a_assignments.iter().map(|x| x.id).collect();
    assert_eq!(store.delete_assignments(b, &ids).await.unwrap(), vec![None, None]);
    assert!(store.unassign_members(b, gold.id, &members).await.unwrap().is_empty());
    assert_eq!(
        store
            .update_assignment_tags(b, &ids, &tags(&["b-tag"], &[]), &tags(&["a-tag"], &[]))
            .await
            .unwrap(),
        vec![None, None]
    );
    let job = retag_by_filter(store, b, json!({}), &tags(&["b-tag"], &[]), &tags(&["a-tag"], &[]), 500).await;
    assert_eq!(job.total, 0);

    // B's own badges live beside A's without colliding: slugs and order are per site.
    let b_gold = badge(store, b, "Gold").await;
    assert_eq!(b_gold.slug.as_str(), "gold");
    assert_eq!(b_gold.display_order, 1);
    let b_made = assign(store, b, b_gold.id, members[0]).await;
    store
        .reorder_badges(b, &OrderChange::Front(vec![b_gold.id]))
        .await
        .unwrap();
    retag_by_filter(store, b, json!({}), &tags(&["b-tag"], &[]), &Tags::default(), 500).await;
    assert_eq!(count_of(store, b, b_gold.id).await, Some(1));
    assert_eq!(all_assignments(store, b).await.len(), 1);
    let b_tagged = query(
        &ASSIGNMENTS,
        json!({"filter": {"tags.tags.tagIds": {"$hasSome": ["a-tag", "job"]}}}),
    );
    assert!(store.query_assignments(b, &b_tagged).await.unwrap().items.is_empty());
    store.delete_badge(b, b_gold.id).await.unwrap();
    assert_eq!(store.delete_assignments(b, &[b_made.id]).await.unwrap(), vec![None]);

    // A is exactly as it was.
    assert_eq!(snapshot(store, a).await, before);
    let a_tagged = query(
        &ASSIGNMENTS,
        json!({"filter": {"tags.tags.tagIds": {"$hasAll": ["a-tag", "job"]}}}),
    );
    assert_eq!(store.query_assignments(a, &a_tagged).await.unwrap().items.len(), 2);
});
