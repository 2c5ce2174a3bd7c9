use serde_json::{json, Value};

use crate::backend_test;
use crate::helpers::{Site, TestApp, MANAGE};

async fn query(app: &TestApp, site: &Site, q: Value) -> crate::helpers::Reply {
    app.call(site, "POST", "/badges/v4/badges/query", Some(json!({ "query": q })))
        .await
}

fn titles(reply: &Value) -> Vec<String> {
    badge_strings(reply, "title")
}

/// One text field of each badge of a query reply, in order.
fn badge_strings(reply: &Value, field: &str) -> Vec<String> {
    reply["badges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b[field].as_str().unwrap().to_owned())
        .collect()
}

async fn seed(app: &TestApp, site: &Site) -> Vec<Value> {
    let mut out = Vec::new();
    for t in ["Gold", "Silver", "Bronze", "Gold Star", "Green", "100%_club"] {
        out.push(app.create_badge(site, json!({"title": t})).await);
    }
    out
}

backend_test!(filters_and_sorts, |backend| async move {
    let app = TestApp::new(backend).await;
    let site = app.site(&[MANAGE]).await;
    let badges = seed(&app, &site).await;
    let asc = json!([{"fieldName": "title", "order": "ASC"}]);
    let cases = [
        (json!({"title": "Gold"}), vec!["Gold"]),
        (json!({"title": {"$eq": "Silver"}}), vec!["Silver"]),
        (
            json!({"title": {"$ne": "Gold"}}),
            vec!["100%_club", "Bronze", "Gold Star", "Green", "Silver"],
        ),
        (
            json!({"title": {"$in": ["Gold", "Bronze", "Nope"]}}),
            vec!["Bronze", "Gold"],
        ),
        (
            json!({"title": {"$startsWith": "G"}}),
            vec!["Gold", "Gold Star", "Green"],
        ),
        // `$startsWith` ignores case, as the SDK documents; other comparisons do not.
        (
            json!({"title": {"$startsWith": "g"}}),
            vec!["Gold", "Gold Star", "Green"],
        ),
        (json!({"title": {"$startsWith": "gOLD s"}}), vec!["Gold Star"]),
        (json!({"title": "gold"}), vec![]),
        (json!({"title": {"$startsWith": "100%_"}}), vec!["100%_club"]),
        (json!({"title": {"$startsWith": "_"}}), vec![]),
        (json!({"slug": {"$startsWith": "gold"}}), vec!["Gold", "Gold Star"]),
        (json!({"id": badges[1]["id"]}), vec!["Silver"]),
        (
            json!({"_id": {"$in": [badges[2]["id"], badges[0]["id"]]}}),
            vec!["Bronze", "Gold"],
        ),
        (
            json!({"$or": [{"title": "Gold"}, {"title": "Green"}]}),
            vec!["Gold", "Green"],
        ),
        (
            json!({"$and": [{"title": {"$startsWith": "G"}}, {"$not": {"title": "Gold"}}]}),
            vec!["Gold Star", "Green"],
        ),
        (
            json!({"title": {"$gt": "Gold", "$lt": "Silver"}}),
            vec!["Gold Star", "Green"],
        ),
        (json!({"title": "x' OR '1'='1"}), vec![]),
    ];
    for (filter, expected) in cases {
        let reply = query(&app, &site, json!({"filter": filter, "sort": asc})).await;
        assert_eq!(titles(reply.ok()), expected, "filter {filter}");
    }
    let desc = query(&app, &site, json!({"sort": [{"fieldName": "title", "order": "DESC"}]})).await;
    assert_eq!(
        titles(desc.ok()),
        ["Silver", "Green", "Gold Star", "Gold", "Bronze", "100%_club"]
    );
    let newest_first = query(&app, &site, json!({})).await;
    let created: Vec<String> = newest_first.ok()["badges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b["createdDate"].as_str().unwrap().to_owned())
        .collect();
    let mut sorted = created.clone();
    sorted.sort_by(|a, b| b.cmp(a));
    assert_eq!(created, sorted, "default order is newest first");
});

backend_test!(offset_paging_walks_every_badge_once, |backend| async move {
    let app = TestApp::new(backend).await;
    let site = app.site(&[MANAGE]).await;
    seed(&app, &site).await;
    let mut seen = Vec::new();
    let mut offset = 0;
    loop {
        let reply = query(
            &app,
            &site,
            json!({"sort": [{"fieldName": "title"}], "paging": {"limit": 4, "offset": offset}}),
        )
        .await;
        let body = reply.ok();
        let meta = &body["pagingMetadata"];
        assert_eq!(meta["total"], 6);
        assert_eq!(meta["offset"], offset);
        assert_eq!(meta["tooManyToCount"], false);
        let page = titles(body);
        assert_eq!(meta["count"], page.len());
        if page.is_empty() {
            break;
        }
        seen.extend(page);
        offset += 4;
    }
    assert_eq!(seen, ["100%_club", "Bronze", "Gold", "Gold Star", "Green", "Silver"]);
});

backend_test!(cursor_paging_continues_its_query, |backend| async move {
    let app = TestApp::new(backend).await;
    let site = app.site(&[MANAGE]).await;
    seed(&app, &site).await;
    let first = query(&app, &site, json!({"filter": {"title": {"$ne": "Silver"}}, "sort": [{"fieldName": "title", "order": "DESC"}], "cursorPaging": {"limit": 2}})).await;
    let mut seen = titles(first.ok());
    assert_eq!(first.body["pagingMetadata"]["cursors"]["prev"], Value::Null);
    let mut next = first.body["pagingMetadata"]["cursors"]["next"].clone();
    let mut pages = vec![first.body.clone()];
    while let Some(cursor) = next.as_str() {
        // A request with a cursor sends neither filter nor sort; a different one would be ignored.
        let reply = query(
            &app,
            &site,
            json!({"filter": {"title": "Silver"}, "cursorPaging": {"cursor": cursor, "limit": 2}}),
        )
        .await;
        let body = reply.ok().clone();
        assert_eq!(
            body["pagingMetadata"]["hasNext"],
            body["pagingMetadata"]["cursors"]["next"].is_string()
        );
        seen.extend(titles(&body));
        next = body["pagingMetadata"]["cursors"]["next"].clone();
        pages.push(body);
    }
    assert_eq!(seen, ["Green", "Gold Star", "Gold", "Bronze", "100%_club"]);
    // Going back from the last page returns the one before it.
    let last = pages.last().unwrap();
    let prev = last["pagingMetadata"]["cursors"]["prev"].as_str().unwrap();
    let back = query(&app, &site, json!({"cursorPaging": {"cursor": prev, "limit": 2}})).await;
    assert_eq!(titles(back.ok()), titles(&pages[pages.len() - 2]));
});

backend_test!(bad_queries_are_refused, |backend| async move {
    let app = TestApp::new(backend).await;
    let site = app.site(&[MANAGE]).await;
    seed(&app, &site).await;
    let bad = [
        (json!({"filter": {"colour": "red"}}), "query.filter.colour"),
        (
            json!({"filter": {"title": {"$regex": ".*"}}}),
            "query.filter.title.$regex",
        ),
        (json!({"filter": {"title": {"$gt": 5}}}), "query.filter.title.$gt"),
        (json!({"filter": {"id": "not-a-guid"}}), "query.filter.id.$eq"),
        (
            json!({"filter": {"createdDate": {"$gt": "yesterday"}}}),
            "query.filter.createdDate.$gt",
        ),
        (json!({"filter": {"$where": "1"}}), "query.filter.$where"),
        (json!({"filter": "{{"}), "query.filter"),
        (json!({"filter": {"displayOrder": 1}}), "query.filter.displayOrder"),
        (
            json!({"filter": {"permissionsEnabled": {"$startsWith": "t"}}}),
            "query.filter.permissionsEnabled.$startsWith",
        ),
        (json!({"filter": {"id": {"$gt": "not-a-guid"}}}), "query.filter.id.$gt"),
        (
            json!({"filter": {"description": {"$isEmpty": "yes"}}}),
            "query.filter.description.$isEmpty",
        ),
        (
            json!({"sort": [{"fieldName": "title", "order": "UP"}]}),
            "query.sort[0].order",
        ),
        (json!({"paging": {"limit": 101}}), "query.paging.limit"),
        (json!({"paging": {"limit": -1}}), "query.paging.limit"),
        (json!({"paging": {"offset": "x"}}), "query.paging.offset"),
        (json!({"paging": {"offset": u64::MAX}}), "query.paging.offset"),
        (
            json!({"paging": {"offset": "99999999999999999999"}}),
            "query.paging.offset",
        ),
        (json!({"cursorPaging": {"limit": 1000}}), "query.cursorPaging.limit"),
        (
            json!({"cursorPaging": {"cursor": "forged.cursor"}}),
            "query.cursorPaging.cursor",
        ),
        (json!({"paging": {}, "cursorPaging": {}}), "query.paging"),
        (json!({"fields": ["colour"]}), "query.fields[0]"),
        (json!({"fields": "title"}), "query.fields"),
        (json!({"fieldsets": ["FULL"]}), "query.fieldsets"),
    ];
    for (q, field) in bad {
        let reply = query(&app, &site, q.clone()).await;
        reply.expect(400, "INVALID_ARGUMENT");
        assert_eq!(reply.violated_fields(), [field], "{q}");
    }
    let mut deep = json!({"title": "Gold"});
    for _ in 0..125 {
        deep = json!({"$not": deep});
    }
    query(&app, &site, json!({"filter": deep}))
        .await
        .expect(400, "INVALID_ARGUMENT");
});

backend_test!(cursors_carry_any_filter_a_request_can_hold, |backend| async move {
    let app = TestApp::new(backend).await;
    let site = app.site(&[MANAGE]).await;
    let badges = seed(&app, &site).await;
    // Hundreds of ids in `$in`: the cursor carries them all and must still be accepted.
    let mut ids: Vec<Value> = (0..600).map(|_| json!(uuid::Uuid::new_v4().to_string())).collect();
    ids.extend(badges.iter().take(3).map(|b| b["id"].clone()));
    // A key the parser ignores, nested as deep as a body may be: it must not
    // travel in the cursor (which nests one level deeper than this body).
    let mut junk = json!("deep");
    for _ in 0..124 {
        junk = json!([junk]);
    }
    // The older API takes the query at the top level of the body.
    let path = "/_api/members/v3/badges/query";
    let body = json!({
        "filter": {"id": {"$in": ids}},
        "sort": [{"fieldName": "title", "order": "ASC", "note": junk}],
        "cursorPaging": {"limit": 2}
    });
    let first = app.call(&site, "POST", path, Some(body)).await;
    let first = first.ok().clone();
    let cursor = first["metadata"]["cursors"]["next"].as_str().unwrap().to_owned();
    let next = json!({"cursorPaging": {"limit": 2, "cursor": cursor}});
    let second = app.call(&site, "POST", path, Some(next)).await;
    let mut seen = titles(&first);
    seen.extend(titles(second.ok()));
    let mut expected: Vec<String> = badges
        .iter()
        .take(3)
        .map(|b| b["title"].as_str().unwrap().to_owned())
        .collect();
    expected.sort();
    assert_eq!(seen, expected);
});

backend_test!(
    nul_characters_are_refused_alike_on_both_backends,
    |backend| async move {
        let app = TestApp::new(backend).await;
        let site = app.site(&[MANAGE]).await;
        let badge = app.create_badge(&site, json!({"title": "Plain"})).await;
        for body in [
            json!({"badge": {"title": "a\u{0}b", "backgroundColor": "#000000", "textColor": "#FFFFFF"}}),
            json!({"badge": {"title": "ok", "description": "\u{0}", "backgroundColor": "#000000", "textColor": "#FFFFFF"}}),
        ] {
            app.call(&site, "POST", "/badges/v4/badges", Some(body))
                .await
                .expect(400, "INVALID_ARGUMENT");
        }
        for filter in [
            json!({"title": "a\u{0}"}),
            json!({"title": {"$startsWith": "\u{0}"}}),
            json!({"slug": {"$in": ["x", "\u{0}"]}}),
        ] {
            query(&app, &site, json!({ "filter": filter }))
                .await
                .expect(400, "INVALID_ARGUMENT");
        }
        let assignment = json!({"badgeAssignment": {
            "badgeId": badge["id"],
            "memberId": uuid::Uuid::new_v4().to_string(),
            "tags": {"tags": {"tagIds": ["a\u{0}"]}}
        }});
        app.call(&site, "POST", "/badges/v4/badge-assignments", Some(assignment))
            .await
            .expect(400, "INVALID_ARGUMENT");
        let all = query(&app, &site, json!({})).await;
        assert_eq!(titles(all.ok()), ["Plain"]);
    }
);

backend_test!(fields_project_each_returned_item, |backend| async move {
    let app = TestApp::new(backend).await;
    let site = app.site(&[MANAGE]).await;
    let badges = seed(&app, &site).await;
    let asc = json!([{"fieldName": "title", "order": "ASC"}]);
    let reply = query(
        &app,
        &site,
        json!({"fields": ["title", "_createdDate"], "sort": asc, "cursorPaging": {"limit": 2}}),
    )
    .await;
    let body = reply.ok().clone();
    let first = body["badges"][0].as_object().unwrap();
    let mut keys: Vec<&str> = first.keys().map(String::as_str).collect();
    keys.sort();
    assert_eq!(keys, ["createdDate", "id", "title"], "the id is always kept");
    assert_eq!(first["title"], "100%_club");
    // The next page is projected as its request asks.
    let cursor = body["pagingMetadata"]["cursors"]["next"].clone();
    let next = query(
        &app,
        &site,
        json!({"fields": ["slug"], "cursorPaging": {"cursor": cursor}}),
    )
    .await;
    let item = next.ok()["badges"][0].as_object().unwrap().clone();
    assert_eq!(item.len(), 2);
    assert!(item.contains_key("slug") && item.contains_key("id"));

    // Assignments project the same way.
    let member = uuid::Uuid::new_v4().to_string();
    app.call(
        &site,
        "POST",
        "/badges/v4/badge-assignments",
        Some(json!({"badgeAssignment": {"badgeId": badges[0]["id"], "memberId": member}})),
    )
    .await
    .ok();
    let reply = app
        .call(
            &site,
            "POST",
            "/badges/v4/badge-assignments/query",
            Some(json!({"query": {"fields": ["memberId"]}})),
        )
        .await;
    let item = reply.ok()["badgeAssignments"][0].as_object().unwrap().clone();
    assert_eq!(item["memberId"], member.as_str());
    assert_eq!(item.len(), 2);
});

/// The reply's badge ids.
fn ids_of(reply: &Value) -> Vec<String> {
    badge_strings(reply, "id")
}

backend_test!(every_declared_field_filters_and_sorts, |backend| async move {
    let app = TestApp::new(backend).await;
    let site = app.site(&[MANAGE]).await;
    let made = [
        ("Élan", "Quick start", true),
        ("élite", "", false),
        ("ΟΔΟΣ", "quiet", true),
        ("Plain", "QUARTZ", false),
    ];
    let mut badges = Vec::new();
    for (title, description, permissions) in made {
        badges.push(
            app.create_badge(
                &site,
                json!({"title": title, "description": description, "permissionsEnabled": permissions}),
            )
            .await,
        );
    }
    let id = |i: usize| badges[i]["id"].as_str().unwrap().to_owned();
    let by_title = json!([{"fieldName": "title", "order": "ASC"}]);
    let cases = [
        // Case-insensitive prefixes on every text field, Unicode included.
        (json!({"title": {"$startsWith": "él"}}), vec!["Élan", "élite"]),
        (json!({"title": {"$startsWith": "οδοσ"}}), vec!["ΟΔΟΣ"]),
        (json!({"slug": {"$startsWith": "PL"}}), vec!["Plain"]),
        (
            json!({"description": {"$startsWith": "qu"}}),
            vec!["Plain", "Élan", "ΟΔΟΣ"],
        ),
        // Other comparisons stay case-sensitive.
        (json!({"description": "quiet"}), vec!["ΟΔΟΣ"]),
        (json!({"description": {"$gte": "a"}}), vec!["ΟΔΟΣ"]),
        (json!({"description": {"$in": ["QUARTZ", "quartz"]}}), vec!["Plain"]),
        (json!({"description": {"$isEmpty": true}}), vec!["élite"]),
        (
            json!({"description": {"$isEmpty": false}}),
            vec!["Plain", "Élan", "ΟΔΟΣ"],
        ),
        (json!({"permissionsEnabled": {"$in": [true]}}), vec!["Élan", "ΟΔΟΣ"]),
        (json!({"permissionsEnabled": {"$nin": [true]}}), vec!["Plain", "élite"]),
        (
            json!({"permissionsEnabled": {"$hasSome": [false]}}),
            vec!["Plain", "élite"],
        ),
        (json!({"_id": {"$isEmpty": true}}), vec![]),
    ];
    for (filter, expected) in cases {
        let reply = query(&app, &site, json!({"filter": filter, "sort": by_title})).await;
        assert_eq!(titles(reply.ok()), expected, "filter {filter}");
    }

    // Ids compare and match prefixes as their canonical text does, in any case.
    let mut sorted_ids: Vec<String> = (0..badges.len()).map(id).collect();
    sorted_ids.sort();
    let by_id = json!([{"fieldName": "_id", "order": "ASC"}]);
    let above = query(
        &app,
        &site,
        json!({"filter": {"_id": {"$gt": sorted_ids[1].to_uppercase()}}, "sort": by_id}),
    )
    .await;
    assert_eq!(ids_of(above.ok()), sorted_ids[2..]);
    let at_most = query(
        &app,
        &site,
        json!({"filter": {"id": {"$lte": sorted_ids[1]}}, "sort": by_id}),
    )
    .await;
    assert_eq!(ids_of(at_most.ok()), sorted_ids[..2]);
    let prefix: String = id(2).chars().take(10).collect();
    let starting = query(
        &app,
        &site,
        json!({"filter": {"_id": {"$startsWith": prefix.to_uppercase()}}}),
    )
    .await;
    let expected: Vec<String> = sorted_ids.iter().filter(|i| i.starts_with(&prefix)).cloned().collect();
    let mut got = ids_of(starting.ok());
    got.sort();
    assert_eq!(got, expected);
    let nothing = query(&app, &site, json!({"filter": {"_id": {"$startsWith": "bob"}}})).await;
    assert_eq!(ids_of(nothing.ok()), Vec::<String>::new());

    // Sorting on each declared field, both ways (ties broken by id the same way).
    let sorted = |field: &str, order: &str| json!({"sort": [{"fieldName": field, "order": order}, {"fieldName": "id", "order": order}]});
    let desc = query(&app, &site, sorted("description", "DESC")).await;
    assert_eq!(titles(desc.ok()), ["ΟΔΟΣ", "Élan", "Plain", "élite"]);
    let asc = query(&app, &site, sorted("description", "ASC")).await;
    assert_eq!(titles(asc.ok()), ["élite", "Plain", "Élan", "ΟΔΟΣ"]);
    let perms = query(&app, &site, sorted("permissionsEnabled", "DESC")).await;
    let flags: Vec<bool> = perms.ok()["badges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b["permissionsEnabled"].as_bool().unwrap())
        .collect();
    assert_eq!(flags, [true, true, false, false]);
    let by_slug = query(&app, &site, sorted("slug", "DESC")).await;
    let slugs = badge_strings(by_slug.ok(), "slug");
    let mut expected_slugs = slugs.clone();
    expected_slugs.sort_by(|a, b| b.cmp(a));
    assert_eq!(slugs, expected_slugs);
});

backend_test!(
    a_case_insensitive_prefix_pages_with_cursors_both_ways,
    |backend| async move {
        let app = TestApp::new(backend).await;
        let site = app.site(&[MANAGE]).await;
        for title in ["QX one", "qx two", "Qx three", "QX four", "qy five", "q six"] {
            app.create_badge(&site, json!({"title": title})).await;
        }
        let first = query(
            &app,
            &site,
            json!({"filter": {"title": {"$startsWith": "qX"}}, "sort": [{"fieldName": "title"}], "cursorPaging": {"limit": 3}}),
        )
        .await;
        let first = first.ok().clone();
        assert_eq!(titles(&first), ["QX four", "QX one", "Qx three"]);
        let next = first["pagingMetadata"]["cursors"]["next"].as_str().unwrap();
        let second = query(&app, &site, json!({"cursorPaging": {"cursor": next, "limit": 3}})).await;
        let second = second.ok().clone();
        assert_eq!(titles(&second), ["qx two"]);
        assert_eq!(second["pagingMetadata"]["hasNext"], false);
        let prev = second["pagingMetadata"]["cursors"]["prev"].as_str().unwrap();
        let back = query(&app, &site, json!({"cursorPaging": {"cursor": prev, "limit": 3}})).await;
        assert_eq!(titles(back.ok()), titles(&first));
    }
);
