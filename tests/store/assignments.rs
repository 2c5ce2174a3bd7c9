//! Badge assignments: uniqueness (also under concurrency), refusals, deletes,
//! tags, jobs and exact holder counts.

use std::collections::{BTreeMap, HashSet};

use insignia::domain::{AssignmentId, AssignmentRefusal, BadgeId, JobId, MemberId, Tags, Timestamp};
use insignia::query::ASSIGNMENTS;
use insignia::store::Store;
use serde_json::json;

use crate::backend_test;
use crate::support::*;

backend_test!(create_refuses_duplicates_and_unknown_badges, |backend| async move {
    let (_db, store) = open(backend).await;
    let store = store.as_ref();
    let site = site();
    let gold = badge(store, site, "Gold").await;
    let silver = badge(store, site, "Silver").await;
    let elsewhere = badge(store, self::site(), "Gold").await;
    let (m1, m2) = (member(), member());
    let before = Timestamp::now();

    let mut tagged = new_assignment(gold.id, m1);
    tagged.tags = tags(&["vip", "early"], &["watch"]);
    tagged.extended_fields = Some(json!({"namespaces": {"app": {"note": "hi"}}}));
    let results = store
        .create_assignments(
            site,
            &[
                tagged.clone(),
                new_assignment(gold.id, m1),
                new_assignment(silver.id, m1),
                new_assignment(unknown_badge(), m2),
                new_assignment(elsewhere.id, m2),
                new_assignment(gold.id, m2),
            ],
        )
        .await
        .unwrap();
    assert_eq!(results.len(), 6, "one result per item, in order");
    let made = results[0].as_ref().unwrap();
    assert_eq!((made.badge_id, made.member_id), (gold.id, m1));
    assert_eq!(made.tags, tagged.tags);
    assert_eq!(made.extended_fields, tagged.extended_fields);
    assert!(made.created_date.millis() >= before.millis());
    assert_eq!(made.created_date, made.updated_date);
    assert_eq!(
        results[1],
        Err(AssignmentRefusal::AlreadyExists),
        "repeat within the call"
    );
    assert!(results[2].is_ok());
    assert_eq!(results[3], Err(AssignmentRefusal::BadgeNotFound));
    assert_eq!(
        results[4],
        Err(AssignmentRefusal::BadgeNotFound),
        "another site's badge"
    );
    assert!(results[5].is_ok());

    // Stored as returned.
    let stored = all_assignments(store, site).await;
    assert_eq!(stored.len(), 3);
    assert!(stored.contains(made));

    // A second call for a held badge is refused; the others in it still land.
    let m3 = member();
    let again = store
        .create_assignments(site, &[new_assignment(gold.id, m1), new_assignment(gold.id, m3)])
        .await
        .unwrap();
    assert_eq!(again[0], Err(AssignmentRefusal::AlreadyExists));
    assert!(again[1].is_ok());
    assert_eq!(count_of(store, site, gold.id).await, Some(3));
    assert_eq!(count_of(store, site, silver.id).await, Some(1));
    assert_eq!(store.get_badge(site, gold.id).await.unwrap().unwrap().member_count, 3);
    assert_eq!(count_of(store, elsewhere.site_id, elsewhere.id).await, Some(0));

    // Nothing to create, nothing created.
    assert!(store.create_assignments(site, &[]).await.unwrap().is_empty());
    let only_refused = store
        .create_assignments(site, &[new_assignment(unknown_badge(), m1)])
        .await
        .unwrap();
    assert_eq!(only_refused, vec![Err(AssignmentRefusal::BadgeNotFound)]);
    assert_eq!(all_assignments(store, site).await.len(), 4);
});

backend_test!(concurrent_duplicates_leave_one_row, |backend| async move {
    let (_db, store) = open(backend).await;
    let site = site();
    let gold = badge(store.as_ref(), site, "Gold").await;
    for round in 0..3 {
        let m = member();
        let tasks: Vec<_> = (0..16)
            .map(|_| {
                let store = store.clone();
                tokio::spawn(async move { store.create_assignments(site, &[new_assignment(gold.id, m)]).await })
            })
            .collect();
        let mut made = 0;
        for task in tasks {
            match task.await.unwrap().unwrap().remove(0) {
                Ok(_) => made += 1,
                Err(refusal) => assert_eq!(refusal, AssignmentRefusal::AlreadyExists),
            }
        }
        assert_eq!(made, 1, "round {round}: exactly one creation succeeds");
        let q = query(
            &ASSIGNMENTS,
            json!({"filter": {"memberId": m.to_string(), "badgeId": gold.id.to_string()}}),
        );
        assert_eq!(store.query_assignments(site, &q).await.unwrap().total, Some(1));
    }
    assert_eq!(count_of(store.as_ref(), site, gold.id).await, Some(3));

    // Overlapping bulk calls: every (member, badge) once, whatever the interleaving.
    let silver = badge(store.as_ref(), site, "Silver").await;
    let members: Vec<MemberId> = (0..60).map(|_| member()).collect();
    let tasks: Vec<_> = (0..6)
        .map(|t| {
            let store = store.clone();
            // Each task covers a different window of 40 of the 60 members, in its own order.
            let mut items: Vec<_> = (0..40)
                .map(|i| {
                    let m = members[(t * 10 + i) % 60];
                    new_assignment(if i % 2 == 0 { gold.id } else { silver.id }, m)
                })
                .collect();
            if t % 2 == 1 {
                items.reverse();
            }
            tokio::spawn(async move { store.create_assignments(site, &items).await.unwrap() })
        })
        .collect();
    let mut made = 0;
    for task in tasks {
        made += task.await.unwrap().iter().filter(|r| r.is_ok()).count();
    }
    let stored = all_assignments(store.as_ref(), site).await;
    let pairs: HashSet<(BadgeId, MemberId)> = stored.iter().map(|a| (a.badge_id, a.member_id)).collect();
    assert_eq!(pairs.len(), stored.len(), "no (badge, member) twice");
    assert_eq!(made + 3, stored.len(), "every success is a row and every row a success");
    let gold_rows = stored.iter().filter(|a| a.badge_id == gold.id).count() as i64;
    let silver_rows = stored.iter().filter(|a| a.badge_id == silver.id).count() as i64;
    assert_eq!(count_of(store.as_ref(), site, gold.id).await, Some(gold_rows));
    assert_eq!(count_of(store.as_ref(), site, silver.id).await, Some(silver_rows));
});

backend_test!(delete_and_unassign, |backend| async move {
    let (_db, store) = open(backend).await;
    let store = store.as_ref();
    let site = site();
    let gold = badge(store, site, "Gold").await;
    let silver = badge(store, site, "Silver").await;
    let members: Vec<MemberId> = (0..4).map(|_| member()).collect();
    let mut gold_ids = Vec::new();
    for m in &members {
        gold_ids.push(assign(store, site, gold.id, *m).await);
        assign(store, site, silver.id, *m).await;
    }

    let unknown = AssignmentId::generate();
    let deleted = store
        .delete_assignments(site, &[gold_ids[0].id, unknown, gold_ids[1].id])
        .await
        .unwrap();
    assert_eq!(
        deleted,
        vec![Some(gold_ids[0].clone()), None, Some(gold_ids[1].clone())]
    );
    assert_eq!(
        store.delete_assignments(site, &[gold_ids[0].id]).await.unwrap(),
        vec![None],
        "already gone"
    );
    assert!(store.delete_assignments(site, &[]).await.unwrap().is_empty());
    assert_eq!(count_of(store, site, gold.id).await, Some(2));
    assert_eq!(count_of(store, site, silver.id).await, Some(4));

    // A deleted assignment can be made again.
    let again = assign(store, site, gold.id, members[0]).await;
    assert_ne!(again.id, gold_ids[0].id);
    assert_eq!(count_of(store, site, gold.id).await, Some(3));

    let stranger = member();
    let removed = store
        .unassign_members(site, silver.id, &[members[1], stranger, members[3]])
        .await
        .unwrap();
    let removed: HashSet<MemberId> = removed.iter().map(|a| a.member_id).collect();
    assert_eq!(removed, HashSet::from([members[1], members[3]]));
    assert!(store
        .unassign_members(site, silver.id, &[members[1]])
        .await
        .unwrap()
        .is_empty());
    assert!(store.unassign_members(site, silver.id, &[]).await.unwrap().is_empty());
    assert!(store
        .unassign_members(site, unknown_badge(), &[members[0]])
        .await
        .unwrap()
        .is_empty());
    assert_eq!(count_of(store, site, silver.id).await, Some(2));
    assert_eq!(count_of(store, site, gold.id).await, Some(3), "other badges untouched");
    let left: HashSet<(BadgeId, MemberId)> = all_assignments(store, site)
        .await
        .iter()
        .map(|a| (a.badge_id, a.member_id))
        .collect();
    let expected: HashSet<(BadgeId, MemberId)> = [
        (gold.id, members[0]),
        (gold.id, members[2]),
        (gold.id, members[3]),
        (silver.id, members[0]),
        (silver.id, members[2]),
    ]
    .into();
    assert_eq!(left, expected);
});

async fn tagged_with(
    store: &dyn Store,
    site: insignia::domain::SiteId,
    filter: serde_json::Value,
) -> Vec<AssignmentId> {
    let q = query(&ASSIGNMENTS, json!({"filter": filter, "sort": [{"fieldName": "id"}]}));
    store
        .query_assignments(site, &q)
        .await
        .unwrap()
        .items
        .iter()
        .map(|a| a.id)
        .collect()
}

backend_test!(tags_update_and_filter, |backend| async move {
    let (_db, store) = open(backend).await;
    let store = store.as_ref();
    let site = site();
    let gold = badge(store, site, "Gold").await;
    let mut made = Vec::new();
    for (public, private) in [(&["a", "b"][..], &["x"][..]), (&["b"][..], &[][..]), (&[][..], &[][..])] {
        let mut item = new_assignment(gold.id, member());
        item.tags = tags(public, private);
        made.push(
            store.create_assignments(site, &[item]).await.unwrap()[0]
                .clone()
                .unwrap(),
        );
    }
    let [one, two, three] = [made[0].id, made[1].id, made[2].id];
    let sorted_of = |mut ids: Vec<AssignmentId>| {
        ids.sort();
        ids
    };

    assert_eq!(
        tagged_with(store, site, json!({"tags.tags.tagIds": {"$hasSome": ["b"]}})).await,
        sorted_of(vec![one, two])
    );
    assert_eq!(
        tagged_with(store, site, json!({"tags.tags.tagIds": {"$hasAll": ["a", "b"]}})).await,
        vec![one]
    );
    assert_eq!(
        tagged_with(store, site, json!({"tags.privateTags.tagIds": {"$hasSome": ["x"]}})).await,
        vec![one]
    );
    assert!(
        tagged_with(store, site, json!({"tags.tags.tagIds": {"$hasSome": ["x"]}}))
            .await
            .is_empty()
    );

    let before = made[0].updated_date;
    let unknown = AssignmentId::generate();
    let updated = store
        .update_assignment_tags(
            site,
            &[one, unknown, three],
            &tags(&["c", "b"], &["y"]),
            &tags(&["a"], &["x"]),
        )
        .await
        .unwrap();
    assert_eq!(updated.len(), 3);
    assert!(updated[1].is_none());
    let first = updated[0].clone().unwrap();
    assert_eq!(first.tags, tags(&["b", "c"], &["y"]));
    assert!(first.updated_date.millis() >= before.millis());
    assert_eq!(first.created_date, made[0].created_date);
    assert_eq!(updated[2].clone().unwrap().tags, tags(&["c", "b"], &["y"]));
    let stored = all_assignments(store, site).await;
    assert!(stored.contains(&first), "stored as returned");

    assert_eq!(
        tagged_with(store, site, json!({"tags.tags.tagIds": {"$hasAll": ["b", "c"]}})).await,
        sorted_of(vec![one, three])
    );
    assert!(
        tagged_with(store, site, json!({"tags.tags.tagIds": {"$hasSome": ["a"]}}))
            .await
            .is_empty()
    );
    assert!(
        tagged_with(store, site, json!({"tags.privateTags.tagIds": {"$hasSome": ["x"]}}))
            .await
            .is_empty()
    );
    assert_eq!(
        tagged_with(
            store,
            site,
            json!({"tags.privateTags.tagIds": {"$hasSome": ["y", "nope"]}})
        )
        .await,
        sorted_of(vec![one, three])
    );

    // Removing every tag leaves none behind in the index.
    let cleared = store
        .update_assignment_tags(site, &[one], &Tags::default(), &tags(&["b", "c"], &["y"]))
        .await
        .unwrap();
    assert_eq!(cleared[0].clone().unwrap().tags, Tags::default());
    assert_eq!(
        tagged_with(store, site, json!({"tags.tags.tagIds": {"$hasSome": ["b", "c"]}})).await,
        sorted_of(vec![two, three])
    );
    assert!(store
        .update_assignment_tags(site, &[], &tags(&["z"], &[]), &Tags::default())
        .await
        .unwrap()
        .is_empty());
});

backend_test!(tags_by_filter_make_a_job, |backend| async move {
    let (_db, store) = open(backend).await;
    let store = store.as_ref();
    let site = site();
    let gold = badge(store, site, "Gold").await;
    let silver = badge(store, site, "Silver").await;
    for _ in 0..3 {
        assign(store, site, gold.id, member()).await;
    }
    let lone = assign(store, site, silver.id, member()).await;

    let filter = json!({"badgeId": gold.id.to_string()});
    let job = retag_by_filter(store, site, filter, &tags(&["gold"], &["p"]), &Tags::default(), 500).await;
    assert_eq!((job.total, job.succeeded, job.failed), (3, 3, 0));
    assert_eq!(job.status, "FINISHED");
    assert_eq!(job.kind, "BULK_UPDATE_BADGE_ASSIGNMENT_TAGS");
    assert_eq!(store.get_job(site, job.id).await.unwrap(), Some(job.clone()));
    assert_eq!(store.get_job(site, JobId::generate()).await.unwrap(), None);
    assert_eq!(
        store.get_job(self::site(), job.id).await.unwrap(),
        None,
        "jobs belong to their site"
    );

    let tagged = tagged_with(store, site, json!({"tags.tags.tagIds": {"$hasSome": ["gold"]}})).await;
    assert_eq!(tagged.len(), 3);
    assert!(!tagged.contains(&lone.id));
    assert_eq!(
        tagged_with(store, site, json!({"tags.privateTags.tagIds": {"$hasAll": ["p"]}})).await,
        tagged
    );

    // A filter on tags themselves, and one that matches nothing.
    let by_tag = json!({"tags.tags.tagIds": {"$hasSome": ["gold"]}});
    let job = retag_by_filter(store, site, by_tag, &Tags::default(), &tags(&["gold"], &[]), 500).await;
    assert_eq!((job.total, job.succeeded, job.failed), (3, 3, 0));
    assert!(
        tagged_with(store, site, json!({"tags.tags.tagIds": {"$hasSome": ["gold"]}}))
            .await
            .is_empty()
    );
    let none = json!({"badgeId": unknown_badge().to_string()});
    let job = retag_by_filter(store, site, none, &tags(&["x"], &[]), &Tags::default(), 500).await;
    assert_eq!((job.total, job.succeeded, job.failed), (0, 0, 0));
    assert_eq!(store.get_job(site, job.id).await.unwrap(), Some(job));
});

backend_test!(member_counts_stay_exact, |backend| async move {
    let (_db, store) = open(backend).await;
    let store = store.as_ref();
    let site = site();
    let mut badges = Vec::new();
    for i in 0..4 {
        badges.push(badge(store, site, &format!("Badge {i}")).await.id);
    }
    let members: Vec<MemberId> = (0..12).map(|_| member()).collect();
    // The model: which (badge, member) pairs are held, and by which assignment.
    let mut held: BTreeMap<(BadgeId, MemberId), AssignmentId> = BTreeMap::new();
    // A fixed pseudo-random walk, so both backends see the same operations.
    let mut seed: u64 = 0x2545_f491_4f6c_dd1d;
    let mut next = |n: usize| {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        (seed % n as u64) as usize
    };
    for step in 0..150 {
        let b = badges[next(badges.len())];
        match next(10) {
            0..=4 => {
                let batch: Vec<_> = (0..1 + next(5))
                    .map(|_| new_assignment(b, members[next(members.len())]))
                    .collect();
                let results = store.create_assignments(site, &batch).await.unwrap();
                for (item, result) in batch.iter().zip(results) {
                    let key = (item.badge_id, item.member_id);
                    match result {
                        Ok(a) => assert!(held.insert(key, a.id).is_none(), "step {step}: duplicate made"),
                        Err(AssignmentRefusal::AlreadyExists) => assert!(held.contains_key(&key)),
                        Err(other) => panic!("step {step}: {other:?}"),
                    }
                }
            }
            5 | 6 => {
                let ids: Vec<AssignmentId> = held.values().take(1 + next(3)).copied().collect();
                let gone = store.delete_assignments(site, &ids).await.unwrap();
                assert!(gone.iter().all(Option::is_some));
                held.retain(|_, id| !ids.contains(id));
            }
            7 | 8 => {
                let who: Vec<MemberId> = (0..1 + next(4)).map(|_| members[next(members.len())]).collect();
                let removed = store.unassign_members(site, b, &who).await.unwrap();
                for a in &removed {
                    assert!(held.remove(&(a.badge_id, a.member_id)).is_some());
                }
                assert!(who.iter().all(|m| !held.contains_key(&(b, *m))));
            }
            _ => {
                let filter = json!({"badgeId": b.to_string()});
                let change = tags(&[format!("s{step}").as_str()], &[]);
                let job = retag_by_filter(store, site, filter, &change, &Tags::default(), 500).await;
                assert_eq!(job.total as usize, held.keys().filter(|(hb, _)| *hb == b).count());
            }
        }
        if step % 25 == 24 {
            let counts = store.member_counts(site).await.unwrap();
            for (badge, n) in counts {
                let expected = held.keys().filter(|(hb, _)| *hb == badge).count() as i64;
                assert_eq!(n, expected, "step {step}");
            }
        }
    }

    // Deleting a badge drops its holders from the counts; the rest stay exact.
    let gone = badges.remove(1);
    store.delete_badge(site, gone).await.unwrap();
    held.retain(|(b, _), _| *b != gone);
    let counts = store.member_counts(site).await.unwrap();
    assert_eq!(counts.iter().map(|(b, _)| *b).collect::<Vec<_>>(), badges);
    for (badge, n) in &counts {
        let expected = held.keys().filter(|(hb, _)| hb == badge).count() as i64;
        assert_eq!(*n, expected);
        assert_eq!(
            store.get_badge(site, *badge).await.unwrap().unwrap().member_count,
            expected
        );
    }
    let stored: HashSet<(BadgeId, MemberId)> = all_assignments(store, site)
        .await
        .iter()
        .map(|a| (a.badge_id, a.member_id))
        .collect();
    assert_eq!(stored, held.keys().copied().collect::<HashSet<_>>());
});

backend_test!(concurrent_mixed_writes_keep_counts_exact, |backend| async move {
    // Writers of every kind on the same badges at once: no deadlock, no lost
    // count, and the counts match the rows at the end.
    let (_db, store) = open(backend).await;
    let site = site();
    let mut badges = Vec::new();
    for i in 0..3 {
        badges.push(badge(store.as_ref(), site, &format!("Badge {i}")).await.id);
    }
    let members: Vec<MemberId> = (0..10).map(|_| member()).collect();
    let tasks: Vec<_> = (0..6u64)
        .map(|t| {
            let (store, badges, members) = (store.clone(), badges.clone(), members.clone());
            tokio::spawn(async move {
                let mut seed = 0x9e37_79b9_7f4a_7c15u64.wrapping_mul(t + 1);
                let mut next = |n: usize| {
                    seed ^= seed << 13;
                    seed ^= seed >> 7;
                    seed ^= seed << 17;
                    (seed % n as u64) as usize
                };
                for _ in 0..25 {
                    match next(5) {
                        0 | 1 => {
                            // Several badges in one call, in no particular order.
                            let items: Vec<_> = (0..4)
                                .map(|_| new_assignment(badges[next(3)], members[next(members.len())]))
                                .collect();
                            store.create_assignments(site, &items).await.unwrap();
                        }
                        2 => {
                            let who: Vec<_> = (0..3).map(|_| members[next(members.len())]).collect();
                            store.unassign_members(site, badges[next(3)], &who).await.unwrap();
                        }
                        3 => {
                            let q = query(
                                &ASSIGNMENTS,
                                json!({"filter": {"memberId": members[next(10)].to_string()}}),
                            );
                            let ids: Vec<_> = store
                                .query_assignments(site, &q)
                                .await
                                .unwrap()
                                .items
                                .iter()
                                .map(|a| a.id)
                                .collect();
                            store.delete_assignments(site, &ids).await.unwrap();
                        }
                        _ => {
                            let change = insignia::domain::OrderChange::Move {
                                id: badges[next(3)],
                                position: insignia::domain::Position::First,
                            };
                            store.reorder_badges(site, &change).await.unwrap();
                        }
                    }
                }
            })
        })
        .collect();
    for task in tasks {
        task.await.unwrap();
    }
    let stored = all_assignments(store.as_ref(), site).await;
    for (badge, n) in store.member_counts(site).await.unwrap() {
        let rows = stored.iter().filter(|a| a.badge_id == badge).count() as i64;
        assert_eq!(n, rows, "badge {badge}");
    }
});

backend_test!(
    tags_by_filter_run_in_batches_and_change_each_row_once,
    |backend| async move {
        let (_db, store) = open(backend).await;
        let store = store.as_ref();
        let site = site();
        let gold = badge(store, site, "Gold").await;
        // More rows than one batch holds, every one matched by the filter the
        // change itself unmatches.
        let items: Vec<_> = (0..1_201)
            .map(|_| {
                let mut item = new_assignment(gold.id, member());
                item.tags = tags(&["old"], &[]);
                item
            })
            .collect();
        for chunk in items.chunks(400) {
            assert!(store
                .create_assignments(site, chunk)
                .await
                .unwrap()
                .iter()
                .all(Result::is_ok));
        }
        let filter = json!({"tags.tags.tagIds": {"$hasSome": ["old"]}});
        let job = retag_by_filter(store, site, filter, &tags(&["new"], &[]), &tags(&["old"], &[]), 500).await;
        assert_eq!((job.total, job.succeeded, job.failed), (1_201, 1_201, 0));
        assert_eq!(job.status, "FINISHED");
        assert_eq!(store.get_job(site, job.id).await.unwrap(), Some(job));
        let holding = |tag: &'static str| async move {
            let q = query(
                &ASSIGNMENTS,
                json!({"filter": {"tags.tags.tagIds": {"$hasSome": [tag]}}, "paging": {"limit": 1}}),
            );
            store.query_assignments(site, &q).await.unwrap().total
        };
        assert_eq!(holding("new").await, Some(1_201));
        assert_eq!(holding("old").await, Some(0));
    }
);

backend_test!(a_job_whose_work_cannot_be_read_back_stops, |backend| async move {
    let (_db, store) = open(backend).await;
    let store = store.as_ref();
    let site = site();
    let gold = badge(store, site, "Gold").await;
    assign(store, site, gold.id, member()).await;
    // A stored filter that no longer parses (say, a field renamed since).
    let job = store
        .queue_retag_by_filter(site, &json!({"renamed": 1}), &tags(&["x"], &[]), &Tags::default())
        .await
        .unwrap();
    let ran = store.run_job_batch(10).await.unwrap().expect("the queued job");
    assert_eq!((ran.id, ran.status.as_str(), ran.total), (job.id, "FAILED", 0));
    assert_eq!(store.run_job_batch(10).await.unwrap(), None, "not taken up again");
    assert_eq!(store.get_job(site, job.id).await.unwrap().unwrap().status, "FAILED");
});
