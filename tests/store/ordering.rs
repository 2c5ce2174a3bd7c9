//! Display order: `reorder_badges` (move FIRST/LAST/AFTER, full order) and
//! `list_badges`.

use insignia::domain::{Badge, BadgeId, OrderChange, Position};
use insignia::store::{Store, StoreError};

use crate::backend_test;
use crate::support::*;

fn ids(badges: &[Badge]) -> Vec<BadgeId> {
    badges.iter().map(|b| b.id).collect()
}

/// Checks that `returned` is the site's whole list in `expected` order, numbered 1..n.
async fn assert_order(store: &dyn Store, site: insignia::domain::SiteId, returned: &[Badge], expected: &[BadgeId]) {
    assert_eq!(ids(returned), expected);
    let orders: Vec<i64> = returned.iter().map(|b| b.display_order).collect();
    assert_eq!(orders, (1..=expected.len() as i64).collect::<Vec<_>>());
    let listed = store.list_badges(site, 100, 0).await.unwrap();
    assert_eq!(ids(&listed.items), expected, "list_badges follows the display order");
    let counted: Vec<BadgeId> = store
        .member_counts(site)
        .await
        .unwrap()
        .into_iter()
        .map(|(b, _)| b)
        .collect();
    assert_eq!(counted, expected, "member_counts follows the display order");
}

backend_test!(moves_and_full_orders, |backend| async move {
    let (_db, store) = open(backend).await;
    let store = store.as_ref();
    let site = site();
    let mut made = Vec::new();
    for t in ["A", "B", "C", "D"] {
        made.push(badge(store, site, t).await);
    }
    let [a, b, c, d] = [made[0].id, made[1].id, made[2].id, made[3].id];
    assert_eq!(made.iter().map(|b| b.display_order).collect::<Vec<_>>(), [1, 2, 3, 4]);

    let mv = |id, position| OrderChange::Move { id, position };
    let out = store.reorder_badges(site, &mv(d, Position::First)).await.unwrap();
    assert_order(store, site, &out, &[d, a, b, c]).await;
    let out = store.reorder_badges(site, &mv(d, Position::Last)).await.unwrap();
    assert_order(store, site, &out, &[a, b, c, d]).await;
    let out = store.reorder_badges(site, &mv(a, Position::After(c))).await.unwrap();
    assert_order(store, site, &out, &[b, c, a, d]).await;
    let out = store.reorder_badges(site, &mv(d, Position::After(b))).await.unwrap();
    assert_order(store, site, &out, &[b, d, c, a]).await;
    let out = store.reorder_badges(site, &mv(c, Position::After(c))).await.unwrap();
    assert_order(store, site, &out, &[b, d, c, a]).await;
    let out = store.reorder_badges(site, &mv(a, Position::Last)).await.unwrap();
    assert_order(store, site, &out, &[b, d, c, a]).await;

    let out = store
        .reorder_badges(site, &OrderChange::Front(vec![c, a]))
        .await
        .unwrap();
    assert_order(store, site, &out, &[c, a, b, d]).await;
    let out = store
        .reorder_badges(site, &OrderChange::Front(vec![d, c, b, a]))
        .await
        .unwrap();
    assert_order(store, site, &out, &[d, c, b, a]).await;
    let out = store.reorder_badges(site, &OrderChange::Front(vec![])).await.unwrap();
    assert_order(store, site, &out, &[d, c, b, a]).await;

    // Reordering changes neither revisions nor anything else about a badge.
    for badge in &out {
        let before = made.iter().find(|m| m.id == badge.id).unwrap();
        assert_eq!(badge.revision, before.revision);
        assert_eq!(badge.slug, before.slug);
        assert_eq!(badge.updated_date, before.updated_date);
    }

    // A new badge goes last; after a delete the order closes up on the next change.
    let e = badge(store, site, "E").await;
    assert_eq!(e.display_order, 5);
    store.delete_badge(site, c).await.unwrap();
    let out = store.reorder_badges(site, &mv(e.id, Position::First)).await.unwrap();
    assert_order(store, site, &out, &[e.id, d, b, a]).await;

    // Unknown badges are named and nothing moves.
    let stranger = unknown_badge();
    for change in [
        mv(stranger, Position::First),
        mv(a, Position::After(stranger)),
        OrderChange::Front(vec![a, stranger]),
    ] {
        match store.reorder_badges(site, &change).await {
            Err(StoreError::UnknownBadge(id)) => assert_eq!(id, stranger),
            other => panic!("expected UnknownBadge, got {other:?}"),
        }
    }
    let listed = store.list_badges(site, 100, 0).await.unwrap();
    assert_eq!(ids(&listed.items), [e.id, d, b, a]);
});

backend_test!(empty_site_reorders_to_nothing, |backend| async move {
    let (_db, store) = open(backend).await;
    let site = site();
    let out = store.reorder_badges(site, &OrderChange::Front(vec![])).await.unwrap();
    assert!(out.is_empty());
    let missing = store
        .reorder_badges(
            site,
            &OrderChange::Move {
                id: unknown_badge(),
                position: Position::Last,
            },
        )
        .await;
    assert!(matches!(missing, Err(StoreError::UnknownBadge(_))), "{missing:?}");
});

backend_test!(concurrent_moves_keep_a_dense_order, |backend| async move {
    let (_db, store) = open(backend).await;
    let site = site();
    let mut made = Vec::new();
    for i in 0..6 {
        made.push(badge(store.as_ref(), site, &format!("Badge {i}")).await.id);
    }
    let tasks: Vec<_> = (0..12)
        .map(|i| {
            let store = store.clone();
            let id = made[i % made.len()];
            let anchor = made[(i * 5 + 1) % made.len()];
            tokio::spawn(async move {
                let position = match i % 3 {
                    0 => Position::First,
                    1 => Position::Last,
                    _ => Position::After(anchor),
                };
                store
                    .reorder_badges(site, &OrderChange::Move { id, position })
                    .await
                    .unwrap()
            })
        })
        .collect();
    for task in tasks {
        let out = task.await.unwrap();
        assert_eq!(out.len(), 6, "each change sees the whole site");
    }
    let listed = store.list_badges(site, 100, 0).await.unwrap().items;
    let orders: Vec<i64> = listed.iter().map(|b| b.display_order).collect();
    assert_eq!(orders, (1..=6).collect::<Vec<_>>());
    let mut seen = ids(&listed);
    seen.sort();
    made.sort();
    assert_eq!(seen, made);
});

backend_test!(list_pages_and_total, |backend| async move {
    let (_db, store) = open(backend).await;
    let store = store.as_ref();
    let site = site();
    let empty = store.list_badges(site, 10, 0).await.unwrap();
    assert!(empty.items.is_empty());
    assert_eq!(empty.total, Some(0));

    let mut made = Vec::new();
    for i in 0..5 {
        made.push(badge(store, site, &format!("Badge {i}")).await.id);
    }
    let first = store.list_badges(site, 2, 0).await.unwrap();
    assert_eq!(ids(&first.items), made[..2]);
    assert_eq!(first.total, Some(5));
    let middle = store.list_badges(site, 2, 2).await.unwrap();
    assert_eq!(ids(&middle.items), made[2..4]);
    assert_eq!(middle.total, Some(5));
    let last = store.list_badges(site, 2, 4).await.unwrap();
    assert_eq!(ids(&last.items), made[4..]);
    assert_eq!(last.total, Some(5));
    let beyond = store.list_badges(site, 2, 10).await.unwrap();
    assert!(beyond.items.is_empty());
    assert_eq!(beyond.total, Some(5));
    let all = store.list_badges(site, 100, 0).await.unwrap();
    assert_eq!(ids(&all.items), made);
});

backend_test!(concurrent_moves_build_on_each_other, |backend| async move {
    // From [A, B, C], "C first" and "A last" give [C, B, A] in either order;
    // any other result means one change was applied to a stale order.
    let (_db, store) = open(backend).await;
    let site = site();
    let mut made = Vec::new();
    for t in ["A", "B", "C"] {
        made.push(badge(store.as_ref(), site, t).await.id);
    }
    let [a, b, c] = [made[0], made[1], made[2]];
    for round in 0..10 {
        store
            .reorder_badges(site, &OrderChange::Front(vec![a, b, c]))
            .await
            .unwrap();
        let first = {
            let store = store.clone();
            tokio::spawn(async move {
                let change = OrderChange::Move {
                    id: c,
                    position: Position::First,
                };
                store.reorder_badges(site, &change).await.unwrap()
            })
        };
        let last = {
            let store = store.clone();
            tokio::spawn(async move {
                let change = OrderChange::Move {
                    id: a,
                    position: Position::Last,
                };
                store.reorder_badges(site, &change).await.unwrap()
            })
        };
        first.await.unwrap();
        last.await.unwrap();
        let listed = store.list_badges(site, 10, 0).await.unwrap().items;
        assert_eq!(ids(&listed), [c, b, a], "round {round}");
    }
});
