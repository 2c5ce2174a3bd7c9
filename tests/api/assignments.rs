use serde_json::{json, Value};

use crate::backend_test;
use crate::helpers::{Site, TestApp, MANAGE, READ};

const ONE: &str = "/badges/v4/badge-assignments";
const BULK: &str = "/badges/v4/bulk/badge-assignments";

fn member() -> String {
    uuid::Uuid::new_v4().to_string()
}

async fn badge(app: &TestApp, site: &Site, title: &str) -> String {
    app.create_badge(site, json!({"title": title})).await["id"]
        .as_str()
        .unwrap()
        .to_owned()
}

async fn assign(app: &TestApp, site: &Site, badge: &str, member: &str) -> crate::helpers::Reply {
    app.call(
        site,
        "POST",
        ONE,
        Some(json!({"badgeAssignment": {"badgeId": badge, "memberId": member}})),
    )
    .await
}

async fn holders(app: &TestApp, site: &Site, badge: &str) -> Vec<Value> {
    let reply = app
        .call(
            site,
            "POST",
            &format!("{ONE}/query"),
            Some(json!({"query": {"filter": {"badgeId": badge}, "cursorPaging": {"limit": 100}}})),
        )
        .await;
    reply.ok()["badgeAssignments"].as_array().unwrap().clone()
}

async fn member_count(app: &TestApp, site: &Site, badge: &str) -> i64 {
    use insignia::store::Store;
    let site = insignia::domain::SiteId::parse("site", &site.id).unwrap();
    let counts = app.db.store.member_counts(site).await.unwrap();
    counts
        .iter()
        .find(|(b, _)| b.to_string() == badge)
        .map(|(_, n)| *n)
        .unwrap_or(-1)
}

backend_test!(create_query_delete, |backend| async move {
    let app = TestApp::new(backend).await;
    let site = app.site(&[MANAGE]).await;
    let gold = badge(&app, &site, "Gold").await;
    let m = member();
    let reply = app
        .call(
            &site,
            "POST",
            ONE,
            Some(json!({"badgeAssignment": {
                "badgeId": gold, "memberId": m,
                "tags": {"tags": {"tagIds": ["vip"]}},
                "extendedFields": {"namespaces": {"app": {"note": "hi"}}}
            }})),
        )
        .await;
    let created = reply.ok()["badgeAssignment"].clone();
    assert_eq!(created["badgeId"], gold);
    assert_eq!(created["memberId"], m);
    assert_eq!(
        created["tags"],
        json!({"tags": {"tagIds": ["vip"]}, "privateTags": {"tagIds": []}})
    );
    assert_eq!(created["extendedFields"]["namespaces"]["app"]["note"], "hi");
    assert!(created["createdDate"].as_str().unwrap().ends_with('Z'));
    let id = created["id"].as_str().unwrap();
    for prefix in [
        ONE,
        "/badges/v4/assignments",
        "/_api/badges/v4/assignments",
        "/v4/badge-assignments",
    ] {
        let got = app.call(&site, "GET", &format!("{prefix}/{id}"), None).await;
        assert_eq!(got.ok()["badgeAssignment"], created);
    }
    assert_eq!(holders(&app, &site, &gold).await, vec![created.clone()]);
    assert_eq!(member_count(&app, &site, &gold).await, 1);

    assert_eq!(
        app.call(&site, "DELETE", &format!("{ONE}/{id}"), None).await.ok(),
        &json!({})
    );
    assert!(holders(&app, &site, &gold).await.is_empty());
    assert_eq!(member_count(&app, &site, &gold).await, 0);
    app.call(&site, "DELETE", &format!("{ONE}/{id}"), None)
        .await
        .expect(404, "NOT_FOUND");
    app.call(&site, "GET", &format!("{ONE}/{id}"), None)
        .await
        .expect(404, "NOT_FOUND");
});

backend_test!(one_assignment_per_member_and_badge, |backend| async move {
    let app = TestApp::new(backend).await;
    let site = app.site(&[MANAGE]).await;
    let gold = badge(&app, &site, "Gold").await;
    let m = member();
    assign(&app, &site, &gold, &m).await.ok();
    assign(&app, &site, &gold, &m).await.expect(409, "ALREADY_EXISTS");
    assert_eq!(holders(&app, &site, &gold).await.len(), 1);
    assert_eq!(member_count(&app, &site, &gold).await, 1);
});

backend_test!(concurrent_duplicates_leave_one_row, |backend| async move {
    let app = std::sync::Arc::new(TestApp::new(backend).await);
    let site = app.site(&[MANAGE]).await;
    let gold = badge(&app, &site, "Gold").await;
    let m = member();
    let mut tasks = Vec::new();
    for _ in 0..32 {
        let (app, site, gold, m) = (app.clone(), site.clone(), gold.clone(), m.clone());
        tasks.push(tokio::spawn(async move {
            assign(&app, &site, &gold, &m).await.status.as_u16()
        }));
    }
    let mut statuses = Vec::new();
    for t in tasks {
        statuses.push(t.await.unwrap());
    }
    assert_eq!(statuses.iter().filter(|s| **s == 200).count(), 1, "{statuses:?}");
    assert_eq!(statuses.iter().filter(|s| **s == 409).count(), 31, "{statuses:?}");
    assert_eq!(holders(&app, &site, &gold).await.len(), 1);
    assert_eq!(member_count(&app, &site, &gold).await, 1);
});

backend_test!(create_errors, |backend| async move {
    let app = TestApp::new(backend).await;
    let site = app.site(&[MANAGE]).await;
    let gold = badge(&app, &site, "Gold").await;
    assign(&app, &site, &uuid::Uuid::new_v4().to_string(), &member())
        .await
        .expect(404, "BADGE_NOT_FOUND");
    let bad = assign(&app, &site, &gold, "not-a-member").await;
    bad.expect(400, "INVALID_ARGUMENT");
    assert_eq!(bad.violated_fields(), ["badgeAssignment.memberId"]);
    let missing = app
        .call(&site, "POST", ONE, Some(json!({"badgeAssignment": {"badgeId": gold}})))
        .await;
    assert_eq!(missing.violated_fields(), ["badgeAssignment.memberId"]);
    app.call(&site, "POST", ONE, Some(json!({})))
        .await
        .expect(400, "BADGE_ASSIGNMENT_NOT_PROVIDED");
    let tags = app
        .call(
            &site,
            "POST",
            ONE,
            Some(
                json!({"badgeAssignment": {"badgeId": gold, "memberId": member(), "tags": {"tags": {"tagIds": [1]}}}}),
            ),
        )
        .await;
    tags.expect(400, "INVALID_ARGUMENT");
    assert!(holders(&app, &site, &gold).await.is_empty());
    app.call(&site, "DELETE", &format!("{ONE}/nope"), None)
        .await
        .expect(400, "INVALID_ARGUMENT");
});

backend_test!(
    bulk_create_applies_good_items_and_reports_bad_ones,
    |backend| async move {
        let app = TestApp::new(backend).await;
        let site = app.site(&[MANAGE]).await;
        let gold = badge(&app, &site, "Gold").await;
        let silver = badge(&app, &site, "Silver").await;
        let (m1, m2) = (member(), member());
        assign(&app, &site, &gold, &m1).await.ok();
        // Only what the data decides fails an item alone: a duplicate, an unknown badge.
        let items = json!([
            {"badgeId": gold, "memberId": m2},
            {"badgeId": gold, "memberId": m1},
            {"badgeId": uuid::Uuid::new_v4().to_string(), "memberId": m1},
            {"badgeId": silver, "memberId": m1},
            {"badgeId": silver, "memberId": m1},
        ]);
        let reply = app
            .call(
                &site,
                "POST",
                &format!("{BULK}/create"),
                Some(json!({"badgeAssignments": items, "returnEntity": true})),
            )
            .await;
        let body = reply.ok();
        let results = body["results"].as_array().unwrap();
        let summary: Vec<(u64, bool, String)> = results
            .iter()
            .map(|r| {
                let m = &r["itemMetadata"];
                (
                    m["originalIndex"].as_u64().unwrap(),
                    m["success"].as_bool().unwrap(),
                    m["error"]["code"].as_str().unwrap_or("").to_owned(),
                )
            })
            .collect();
        assert_eq!(
            summary,
            vec![
                (0, true, "".into()),
                (1, false, "ALREADY_EXISTS".into()),
                (2, false, "BADGE_NOT_FOUND".into()),
                (3, true, "".into()),
                (4, false, "ALREADY_EXISTS".into()),
            ]
        );
        assert_eq!(results[0]["item"]["memberId"], m2);
        assert_eq!(results[0]["itemMetadata"]["id"], results[0]["item"]["id"]);
        assert_eq!(
            body["bulkActionMetadata"],
            json!({"totalSuccesses": 2, "totalFailures": 3, "undetailedFailures": 0})
        );
        assert_eq!(holders(&app, &site, &gold).await.len(), 2);
        assert_eq!(holders(&app, &site, &silver).await.len(), 1);
        assert_eq!(member_count(&app, &site, &gold).await, 2);
        assert_eq!(member_count(&app, &site, &silver).await, 1);

        let no_entity = app
            .call(
                &site,
                "POST",
                &format!("{BULK}/create"),
                Some(json!({"badgeAssignments": [{"badgeId": silver, "memberId": member()}]})),
            )
            .await;
        assert!(
            no_entity.ok()["results"][0].get("item").is_none(),
            "returnEntity defaults to false"
        );
    }
);

backend_test!(bulk_create_refuses_a_malformed_item_whole, |backend| async move {
    let app = TestApp::new(backend).await;
    let site = app.site(&[MANAGE]).await;
    let gold = badge(&app, &site, "Gold").await;
    let good = json!({"badgeId": gold, "memberId": member()});
    // Each breaks the declared format (`@format GUID`, `@requiredField`):
    // the call is refused with 400 naming the item's field, and the good
    // items beside it are not applied.
    let cases = [
        (
            json!({"badgeId": gold, "memberId": "bob"}),
            "badgeAssignments[1].memberId",
        ),
        (
            json!({"badgeId": "bob", "memberId": member()}),
            "badgeAssignments[1].badgeId",
        ),
        (json!({"memberId": member()}), "badgeAssignments[1].badgeId"),
        (json!({"badgeId": gold}), "badgeAssignments[1].memberId"),
        (json!({"badgeId": gold, "memberId": 7}), "badgeAssignments[1].memberId"),
        (json!("not an object"), "badgeAssignments[1]"),
    ];
    for (bad, field) in cases {
        let reply = app
            .call(
                &site,
                "POST",
                &format!("{BULK}/create"),
                Some(json!({"badgeAssignments": [good, bad, good]})),
            )
            .await;
        reply.expect(400, "INVALID_ARGUMENT");
        assert_eq!(reply.violated_fields(), [field], "{bad}");
    }
    assert!(holders(&app, &site, &gold).await.is_empty());
    assert_eq!(member_count(&app, &site, &gold).await, 0);
});

backend_test!(bulk_limits, |backend| async move {
    let app = TestApp::new(backend).await;
    let site = app.site(&[MANAGE]).await;
    let gold = badge(&app, &site, "Gold").await;
    let many: Vec<Value> = (0..101)
        .map(|_| json!({"badgeId": gold, "memberId": member()}))
        .collect();
    for (path, body) in [
        ("create", json!({"badgeAssignments": many})),
        ("create", json!({"badgeAssignments": []})),
        ("create", json!({})),
        (
            "delete",
            json!({"badgeAssignmentIds": (0..101).map(|_| member()).collect::<Vec<_>>()}),
        ),
        (
            "bulk-update-tags",
            json!({"ids": [], "assignTags": {"tags": {"tagIds": ["a"]}}}),
        ),
        ("bulk-update-tags", json!({"ids": [member()]})),
        (
            "update-tags-by-filter",
            json!({"assignTags": {"tags": {"tagIds": ["a"]}}}),
        ),
        (
            "update-tags-by-filter",
            json!({"filter": {"nope": 1}, "assignTags": {"tags": {"tagIds": ["a"]}}}),
        ),
    ] {
        let reply = app
            .call(&site, "POST", &format!("{BULK}/{path}"), Some(body.clone()))
            .await;
        reply.expect(400, "INVALID_ARGUMENT");
    }
    assert!(holders(&app, &site, &gold).await.is_empty());
});

backend_test!(bulk_delete_reports_each_id, |backend| async move {
    let app = TestApp::new(backend).await;
    let site = app.site(&[MANAGE]).await;
    let gold = badge(&app, &site, "Gold").await;
    let a = assign(&app, &site, &gold, &member()).await.ok()["badgeAssignment"]["id"].clone();
    let b = assign(&app, &site, &gold, &member()).await.ok()["badgeAssignment"]["id"].clone();
    let unknown = member();
    let reply = app
        .call(
            &site,
            "POST",
            &format!("{BULK}/delete"),
            Some(json!({"badgeAssignmentIds": [a, unknown, "bad", b]})),
        )
        .await;
    // `badgeAssignmentIds` are `@format GUID`: a malformed one refuses the call, deleting nothing.
    reply.expect(400, "INVALID_ARGUMENT");
    assert_eq!(reply.violated_fields(), ["badgeAssignmentIds[2]"]);
    assert_eq!(holders(&app, &site, &gold).await.len(), 2);
    let tags = app
        .call(
            &site,
            "POST",
            &format!("{BULK}/bulk-update-tags"),
            Some(json!({"ids": [a, 5], "assignTags": {"tags": {"tagIds": ["x"]}}})),
        )
        .await;
    tags.expect(400, "INVALID_ARGUMENT");
    assert_eq!(tags.violated_fields(), ["ids[1]"]);

    let reply = app
        .call(
            &site,
            "POST",
            &format!("{BULK}/delete"),
            Some(json!({"badgeAssignmentIds": [a, unknown, b]})),
        )
        .await;
    let body = reply.ok();
    let codes: Vec<&str> = body["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["itemMetadata"]["error"]["code"].as_str().unwrap_or("ok"))
        .collect();
    assert_eq!(codes, ["ok", "NOT_FOUND", "ok"]);
    assert_eq!(body["results"][0]["itemMetadata"]["id"], a);
    assert_eq!(body["bulkActionMetadata"]["totalSuccesses"], 2);
    assert!(holders(&app, &site, &gold).await.is_empty());
    assert_eq!(member_count(&app, &site, &gold).await, 0);
});

backend_test!(tags_by_ids_and_by_filter, |backend| async move {
    let app = TestApp::new(backend).await;
    let site = app.site(&[MANAGE]).await;
    let gold = badge(&app, &site, "Gold").await;
    let silver = badge(&app, &site, "Silver").await;
    let a = assign(&app, &site, &gold, &member()).await.ok()["badgeAssignment"]["id"].clone();
    let b = assign(&app, &site, &gold, &member()).await.ok()["badgeAssignment"]["id"].clone();
    let c = assign(&app, &site, &silver, &member()).await.ok()["badgeAssignment"]["id"].clone();
    let reply = app
        .call(
            &site,
            "POST",
            &format!("{BULK}/bulk-update-tags"),
            Some(json!({
                "ids": [a, member()],
                "assignTags": {"tags": {"tagIds": ["red", "blue"]}, "privateTags": {"tagIds": ["secret"]}},
            })),
        )
        .await;
    assert_eq!(reply.ok()["bulkActionMetadata"]["totalSuccesses"], 1);
    assert_eq!(reply.body["results"][1]["itemMetadata"]["error"]["code"], "NOT_FOUND");

    let q = |filter: Value| {
        let app = &app;
        let site = &site;
        async move {
            let r = app
                .call(
                    site,
                    "POST",
                    &format!("{ONE}/query"),
                    Some(json!({"query": {"filter": filter}})),
                )
                .await;
            let mut ids: Vec<Value> = r.ok()["badgeAssignments"]
                .as_array()
                .unwrap()
                .iter()
                .map(|x| x["id"].clone())
                .collect();
            ids.sort_by_key(|v| v.to_string());
            ids
        }
    };
    assert_eq!(
        q(json!({"tags.tags.tagIds": {"$hasSome": ["red", "green"]}})).await,
        vec![a.clone()]
    );
    assert_eq!(
        q(json!({"tags.tags.tagIds": {"$hasAll": ["red", "green"]}})).await,
        Vec::<Value>::new()
    );
    assert_eq!(
        q(json!({"tags.privateTags.tagIds": {"$hasAll": ["secret"]}})).await,
        vec![a.clone()]
    );

    // By filter: every Gold holder gets "gold", and "red" goes.
    let job = app
        .call(
            &site,
            "POST",
            &format!("{BULK}/update-tags-by-filter"),
            Some(json!({
                "filter": {"badgeId": gold},
                "assignTags": {"tags": {"tagIds": ["gold"]}},
                "unassignTags": {"tags": {"tagIds": ["red"]}},
            })),
        )
        .await;
    let job_id = job.ok()["jobId"].as_str().unwrap().to_owned();
    let record = app.finished_job(&site, &job_id).await;
    assert_eq!(record["status"], "FINISHED");
    assert_eq!(record["totalItems"], 2);
    assert_eq!(record["succeededItems"], 2);
    let mut gold_holders = vec![a.clone(), b.clone()];
    gold_holders.sort_by_key(|v| v.to_string());
    assert_eq!(
        q(json!({"tags.tags.tagIds": {"$hasAll": ["gold"]}})).await,
        gold_holders
    );
    assert_eq!(
        q(json!({"tags.tags.tagIds": {"$hasSome": ["red"]}})).await,
        Vec::<Value>::new()
    );
    assert_eq!(
        q(json!({"tags.tags.tagIds": {"$hasSome": ["blue"]}})).await,
        vec![a.clone()]
    );
    assert_eq!(
        q(json!({"tags.tags.tagIds": {"$exists": false}})).await,
        vec![c.clone()]
    );
    // Another site cannot read the job.
    let other = app.site(&[MANAGE]).await;
    app.call(&other, "GET", &format!("/jobs/v1/jobs/{job_id}"), None)
        .await
        .expect(404, "NOT_FOUND");
});

backend_test!(deleting_a_badge_removes_its_assignments, |backend| async move {
    let app = TestApp::new(backend).await;
    let site = app.site(&[MANAGE]).await;
    let gold = badge(&app, &site, "Gold").await;
    let silver = badge(&app, &site, "Silver").await;
    let m = member();
    let kept = assign(&app, &site, &silver, &m).await.ok()["badgeAssignment"].clone();
    let gone = assign(&app, &site, &gold, &m).await.ok()["badgeAssignment"]["id"].clone();
    app.call(
        &site,
        "POST",
        &format!("{BULK}/bulk-update-tags"),
        Some(json!({"ids": [gone], "assignTags": {"tags": {"tagIds": ["t"]}}})),
    )
    .await
    .ok();
    app.call(&site, "DELETE", &format!("/badges/v4/badges/{gold}"), None)
        .await
        .ok();
    let mine = app
        .call(
            &site,
            "POST",
            &format!("{ONE}/query"),
            Some(json!({"query": {"filter": {"memberId": m}}})),
        )
        .await;
    assert_eq!(mine.ok()["badgeAssignments"], json!([kept]));
    app.call(&site, "GET", &format!("{ONE}/{}", gone.as_str().unwrap()), None)
        .await
        .expect(404, "NOT_FOUND");
    // Re-creating a badge with the same member works from a clean slate.
    let again = badge(&app, &site, "Gold").await;
    assign(&app, &site, &again, &m).await.ok();
    assert_eq!(member_count(&app, &site, &again).await, 1);
});

backend_test!(assignments_never_cross_sites, |backend| async move {
    let app = TestApp::new(backend).await;
    let a = app.site(&[MANAGE]).await;
    let b = app.site(&[MANAGE]).await;
    let gold = badge(&app, &a, "Gold").await;
    let m = member();
    let id = assign(&app, &a, &gold, &m).await.ok()["badgeAssignment"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    // B cannot assign A's badge, see, delete or re-tag A's assignment.
    assign(&app, &b, &gold, &m).await.expect(404, "BADGE_NOT_FOUND");
    app.call(&b, "GET", &format!("{ONE}/{id}"), None)
        .await
        .expect(404, "NOT_FOUND");
    app.call(&b, "DELETE", &format!("{ONE}/{id}"), None)
        .await
        .expect(404, "NOT_FOUND");
    let bulk = app
        .call(
            &b,
            "POST",
            &format!("{BULK}/delete"),
            Some(json!({"badgeAssignmentIds": [id]})),
        )
        .await;
    assert_eq!(bulk.ok()["bulkActionMetadata"]["totalFailures"], 1);
    let tags = app
        .call(
            &b,
            "POST",
            &format!("{BULK}/bulk-update-tags"),
            Some(json!({"ids": [id], "assignTags": {"tags": {"tagIds": ["x"]}}})),
        )
        .await;
    assert_eq!(tags.ok()["bulkActionMetadata"]["totalFailures"], 1);
    let job = app
        .call(
            &b,
            "POST",
            &format!("{BULK}/update-tags-by-filter"),
            Some(json!({"filter": {}, "allowEmptyFilter": true, "assignTags": {"tags": {"tagIds": ["x"]}}})),
        )
        .await;
    let job_id = job.ok()["jobId"].as_str().unwrap();
    assert_eq!(app.finished_job(&b, job_id).await["totalItems"], 0);
    let seen = app
        .call(
            &b,
            "POST",
            &format!("{ONE}/query"),
            Some(json!({"query": {"filter": {"memberId": m}}})),
        )
        .await;
    assert!(seen.ok()["badgeAssignments"].as_array().unwrap().is_empty());
    let mine = holders(&app, &a, &gold).await;
    assert_eq!(mine.len(), 1);
    assert_eq!(
        mine[0]["tags"]["tags"]["tagIds"],
        json!([]),
        "B's by-filter update did not reach A"
    );
});

backend_test!(cursor_pages_through_holders, |backend| async move {
    let app = TestApp::new(backend).await;
    let site = app.site(&[MANAGE]).await;
    let reader = Site {
        id: site.id.clone(),
        key: app.key_for(&site.id, &[READ]).await,
    };
    let gold = badge(&app, &site, "Gold").await;
    let items: Vec<Value> = (0..25)
        .map(|_| json!({"badgeId": gold, "memberId": member()}))
        .collect();
    app.call(
        &site,
        "POST",
        &format!("{BULK}/create"),
        Some(json!({"badgeAssignments": items})),
    )
    .await
    .ok();
    let mut seen = Vec::new();
    let mut body = json!({"query": {"filter": {"badgeId": gold}, "cursorPaging": {"limit": 10}}});
    loop {
        let reply = app.call(&reader, "POST", &format!("{ONE}/query"), Some(body)).await;
        let page = reply.ok().clone();
        seen.extend(
            page["badgeAssignments"]
                .as_array()
                .unwrap()
                .iter()
                .map(|a| a["id"].as_str().unwrap().to_owned()),
        );
        match page["pagingMetadata"]["cursors"]["next"].as_str() {
            Some(next) => body = json!({"query": {"cursorPaging": {"cursor": next, "limit": 10}}}),
            None => break,
        }
    }
    let mut unique = seen.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(seen.len(), 25);
    assert_eq!(unique.len(), 25);
    assign(&app, &reader, &gold, &member())
        .await
        .expect(403, "PERMISSION_DENIED");
});

backend_test!(assignments_list_newest_first_by_default, |backend| async move {
    let app = TestApp::new(backend).await;
    let site = app.site(&[MANAGE]).await;
    let gold = badge(&app, &site, "Gold").await;
    let silver = badge(&app, &site, "Silver").await;
    let m = member();
    // Made one by one, a few milliseconds apart, so each has its own creation time.
    let mut made = Vec::new();
    for (b, who) in [
        (&gold, m.clone()),
        (&silver, member()),
        (&gold, member()),
        (&silver, m.clone()),
        (&gold, member()),
    ] {
        made.push(assign(&app, &site, b, &who).await.ok()["badgeAssignment"].clone());
        tokio::time::sleep(std::time::Duration::from_millis(3)).await;
    }
    let id = |a: &Value| a["id"].as_str().unwrap().to_owned();
    let newest_first =
        |filter: &dyn Fn(&Value) -> bool| -> Vec<String> { made.iter().rev().filter(|a| filter(a)).map(id).collect() };
    let page_ids =
        |body: &Value| -> Vec<String> { body["badgeAssignments"].as_array().unwrap().iter().map(id).collect() };
    let cases = [
        (json!({}), newest_first(&|_| true)),
        (
            json!({"badgeId": gold}),
            newest_first(&|a| a["badgeId"] == gold.as_str()),
        ),
        (json!({"memberId": m}), newest_first(&|a| a["memberId"] == m.as_str())),
    ];
    for (filter, expected) in cases {
        // One page, then pages of two forward and back again: the same order throughout.
        let all = app
            .call(
                &site,
                "POST",
                &format!("{ONE}/query"),
                Some(json!({"query": {"filter": filter}})),
            )
            .await;
        assert_eq!(page_ids(all.ok()), expected, "filter {filter}");
        let mut pages = Vec::new();
        let mut body = json!({"query": {"filter": filter, "cursorPaging": {"limit": 2}}});
        loop {
            let reply = app.call(&site, "POST", &format!("{ONE}/query"), Some(body)).await;
            let page = reply.ok().clone();
            let next = page["pagingMetadata"]["cursors"]["next"].as_str().map(str::to_owned);
            pages.push(page);
            match next {
                Some(next) => body = json!({"query": {"cursorPaging": {"cursor": next, "limit": 2}}}),
                None => break,
            }
        }
        let forward: Vec<String> = pages.iter().flat_map(page_ids).collect();
        assert_eq!(forward, expected, "cursor pages of {filter}");
        let mut backward = page_ids(pages.last().unwrap());
        let mut prev = pages.last().unwrap()["pagingMetadata"]["cursors"]["prev"].clone();
        while let Some(cursor) = prev.as_str() {
            let reply = app
                .call(
                    &site,
                    "POST",
                    &format!("{ONE}/query"),
                    Some(json!({"query": {"cursorPaging": {"cursor": cursor, "limit": 2}}})),
                )
                .await;
            let page = reply.ok().clone();
            let mut ids = page_ids(&page);
            ids.extend(backward);
            backward = ids;
            prev = page["pagingMetadata"]["cursors"]["prev"].clone();
        }
        assert_eq!(backward, expected, "previous pages of {filter}");
    }
});
