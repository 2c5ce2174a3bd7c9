//! Queries through the store: filters, sort order of text, offset totals and
//! keyset (cursor) paging, on badges and assignments.

use std::collections::HashSet;

use insignia::domain::BadgeId;
use insignia::query::{ASSIGNMENTS, BADGES};
use serde_json::json;

use crate::backend_test;
use crate::support::*;

backend_test!(text_sorts_by_code_point_and_filters_are_exact, |backend| async move {
    let (_db, store) = open(backend).await;
    let store = store.as_ref();
    let site = site();
    for t in ["apple", "Banana", "Éclair", "zebra", "_under", "a%b", "Apple pie"] {
        badge(store, site, t).await;
    }
    let titles = |page: insignia::store::Page<insignia::domain::Badge>| -> Vec<String> {
        page.items.iter().map(|b| b.title.as_str().to_owned()).collect()
    };
    let q = query(&BADGES, json!({"sort": [{"fieldName": "title", "order": "ASC"}]}));
    let page = store.query_badges(site, &q).await.unwrap();
    assert_eq!(page.total, Some(7));
    assert_eq!(
        titles(page),
        ["Apple pie", "Banana", "_under", "a%b", "apple", "zebra", "Éclair"],
        "binary (code point) order on every backend"
    );
    let q = query(&BADGES, json!({"sort": [{"fieldName": "title", "order": "DESC"}]}));
    assert_eq!(
        titles(store.query_badges(site, &q).await.unwrap()),
        ["Éclair", "zebra", "apple", "a%b", "_under", "Banana", "Apple pie"]
    );

    let filtered = |filter: serde_json::Value| {
        query(
            &BADGES,
            json!({"filter": filter, "sort": [{"fieldName": "title", "order": "ASC"}]}),
        )
    };
    let cases = [
        // `$startsWith` ignores case (Unicode simple case folding); the others do not.
        (
            json!({"title": {"$startsWith": "a"}}),
            vec!["Apple pie", "a%b", "apple"],
        ),
        (json!({"title": {"$startsWith": "APPLE"}}), vec!["Apple pie", "apple"]),
        (json!({"title": {"$startsWith": "éCL"}}), vec!["Éclair"]),
        (json!({"title": {"$startsWith": "_"}}), vec!["_under"]),
        (json!({"title": {"$startsWith": "a%"}}), vec!["a%b"]),
        (json!({"title": "apple"}), vec!["apple"]),
        (
            json!({"title": {"$in": ["zebra", "Banana", "nope"]}}),
            vec!["Banana", "zebra"],
        ),
        (json!({"title": {"$gt": "a"}}), vec!["a%b", "apple", "zebra", "Éclair"]),
        (json!({"slug": "éclair"}), vec!["Éclair"]),
        (
            json!({"permissionsEnabled": false}),
            vec!["Apple pie", "Banana", "_under", "a%b", "apple", "zebra", "Éclair"],
        ),
        (
            json!({"$not": {"title": {"$startsWith": "a"}}}),
            vec!["Banana", "_under", "zebra", "Éclair"],
        ),
    ];
    for (filter, expected) in cases {
        let page = store.query_badges(site, &filtered(filter.clone())).await.unwrap();
        assert_eq!(page.total, Some(expected.len() as u64), "{filter}");
        assert_eq!(titles(page), expected, "{filter}");
    }
});

backend_test!(offset_paging_counts_the_whole_filter, |backend| async move {
    let (_db, store) = open(backend).await;
    let store = store.as_ref();
    let site = site();
    for i in 0..9 {
        badge(store, site, &format!("Page {i}")).await;
    }
    badge(store, site, "Other").await;
    let page = |offset: u64| {
        query(
            &BADGES,
            json!({"filter": {"title": {"$startsWith": "Page"}}, "sort": [{"fieldName": "title"}],
                   "paging": {"limit": 4, "offset": offset}}),
        )
    };
    let mut seen = Vec::new();
    for offset in [0, 4, 8, 12] {
        let got = store.query_badges(site, &page(offset)).await.unwrap();
        assert_eq!(got.total, Some(9), "offset {offset}");
        seen.extend(got.items.iter().map(|b| b.title.as_str().to_owned()));
    }
    assert_eq!(seen, (0..9).map(|i| format!("Page {i}")).collect::<Vec<_>>());
});

backend_test!(badge_keyset_paging, |backend| async move {
    let (_db, store) = open(backend).await;
    let site = site();
    let mut made = Vec::new();
    for i in 0..11 {
        // Repeated titles: the id breaks ties, so pages never overlap.
        made.push(badge(store.as_ref(), site, &format!("Title {}", i % 4)).await.id);
    }
    for sort in [
        json!([{"fieldName": "title", "order": "ASC"}]),
        json!([{"fieldName": "title", "order": "DESC"}]),
        json!([]),
        json!([{"fieldName": "createdDate", "order": "ASC"}]),
    ] {
        let whole = query(&BADGES, json!({"sort": sort, "paging": {"limit": 100}}));
        let expected: Vec<BadgeId> = store
            .query_badges(site, &whole)
            .await
            .unwrap()
            .items
            .iter()
            .map(|b| b.id)
            .collect();
        assert_eq!(expected.len(), 11);

        let first = query(&BADGES, json!({"sort": sort, "cursorPaging": {"limit": 4}}));
        let pages = all_pages(&first, |q| {
            let store = store.clone();
            async move { store.query_badges(site, &q).await.unwrap() }
        })
        .await;
        assert_eq!(
            pages.iter().map(|p| p.items.len()).collect::<Vec<_>>(),
            [4, 4, 3],
            "{sort}"
        );
        assert!(pages[0].prev_key.is_none());
        assert!(pages[1].prev_key.is_some() && pages[2].prev_key.is_some());
        assert!(pages[2].next_key.is_none());
        assert!(pages.iter().all(|p| p.total.is_none()));
        let walked: Vec<BadgeId> = pages.iter().flat_map(|p| p.items.iter().map(|b| b.id)).collect();
        assert_eq!(walked, expected, "cursor pages follow the same order ({sort})");

        // Backward from the last page gives the middle page again.
        let back = continued(&first, pages[2].prev_key.clone().unwrap(), true);
        let middle = store.query_badges(site, &back).await.unwrap();
        assert_eq!(
            middle.items.iter().map(|b| b.id).collect::<Vec<_>>(),
            pages[1].items.iter().map(|b| b.id).collect::<Vec<_>>()
        );
        assert!(middle.next_key.is_some() && middle.prev_key.is_some());
        let back = continued(&first, middle.prev_key.clone().unwrap(), true);
        let start = store.query_badges(site, &back).await.unwrap();
        assert_eq!(
            start.items.iter().map(|b| b.id).collect::<Vec<_>>(),
            pages[0].items.iter().map(|b| b.id).collect::<Vec<_>>()
        );
        assert!(start.prev_key.is_none(), "nothing before the first page");
    }

    // Rows added behind the cursor do not shift the pages ahead of it.
    let first = query(
        &BADGES,
        json!({"sort": [{"fieldName": "title"}], "cursorPaging": {"limit": 5}}),
    );
    let page = store.query_badges(site, &first).await.unwrap();
    badge(store.as_ref(), site, "AAA first of all").await;
    let next = store
        .query_badges(site, &continued(&first, page.next_key.clone().unwrap(), false))
        .await
        .unwrap();
    let before: HashSet<BadgeId> = page.items.iter().map(|b| b.id).collect();
    assert!(next.items.iter().all(|b| !before.contains(&b.id)));
    assert_eq!(next.items.len(), 5);
});

backend_test!(assignment_keyset_paging_and_filters, |backend| async move {
    let (_db, store) = open(backend).await;
    let site = site();
    let gold = badge(store.as_ref(), site, "Gold").await;
    let silver = badge(store.as_ref(), site, "Silver").await;
    let members: Vec<_> = (0..15).map(|_| member()).collect();
    for chunk in members.chunks(4) {
        let items: Vec<_> = chunk.iter().map(|m| new_assignment(gold.id, *m)).collect();
        assert!(store
            .create_assignments(site, &items)
            .await
            .unwrap()
            .iter()
            .all(|r| r.is_ok()));
    }
    assign(store.as_ref(), site, silver.id, members[0]).await;

    let whole = query(
        &ASSIGNMENTS,
        json!({"filter": {"badgeId": gold.id.to_string()}, "paging": {"limit": 100}}),
    );
    let expected = store.query_assignments(site, &whole).await.unwrap();
    assert_eq!(expected.total, Some(15));
    let expected: Vec<_> = expected.items.iter().map(|a| a.id).collect();

    let first = query(
        &ASSIGNMENTS,
        json!({"filter": {"badgeId": gold.id.to_string()}, "cursorPaging": {"limit": 6}}),
    );
    let pages = all_pages(&first, |q| {
        let store = store.clone();
        async move { store.query_assignments(site, &q).await.unwrap() }
    })
    .await;
    assert_eq!(pages.iter().map(|p| p.items.len()).collect::<Vec<_>>(), [6, 6, 3]);
    let walked: Vec<_> = pages.iter().flat_map(|p| p.items.iter().map(|a| a.id)).collect();
    assert_eq!(walked, expected);

    let by_member = query(
        &ASSIGNMENTS,
        json!({"filter": {"memberId": members[0].to_string()}, "sort": [{"fieldName": "badgeId"}]}),
    );
    let held: HashSet<_> = store
        .query_assignments(site, &by_member)
        .await
        .unwrap()
        .items
        .iter()
        .map(|a| a.badge_id)
        .collect();
    assert_eq!(held, HashSet::from([gold.id, silver.id]));
});

backend_test!(the_default_assignment_order_is_one_index_range, |backend| async move {
    let (db, store) = open(backend).await;
    let store = store.as_ref();
    let site = site();
    let gold = badge(store, site, "Gold").await;
    let someone = member();
    assign(store, site, gold.id, someone).await;
    // Newest first, whole site, holders of a badge, badges of a member:
    // each first page is read backwards along one index, with no sort step.
    let cases = [
        (json!({}), "badge_assignments_site_created"),
        (
            json!({"badgeId": gold.id.to_string()}),
            "badge_assignments_badge_created",
        ),
        (
            json!({"memberId": someone.as_uuid().to_string()}),
            "badge_assignments_member_created",
        ),
    ];
    for (filter, index) in cases {
        let q = query(&ASSIGNMENTS, json!({"filter": filter, "cursorPaging": {"limit": 50}}));
        let plan = db.store.assignment_page_plan(site, &q).await.unwrap().join("\n");
        match backend {
            crate::common::Backend::Sqlite => {
                assert!(plan.contains(&format!("USING INDEX {index} ")), "{filter}: {plan}");
                assert!(!plan.contains("TEMP B-TREE"), "{filter} sorts: {plan}");
            }
            crate::common::Backend::Postgres => {
                assert!(
                    plan.contains(&format!("Scan Backward using {index} ")),
                    "{filter}: {plan}"
                );
                assert!(!plan.contains("Sort"), "{filter} sorts: {plan}");
            }
        }
    }
});
