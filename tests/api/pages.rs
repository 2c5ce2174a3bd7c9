//! Protected pages: `/insignia/v1/pages` and the badge side of them.

use serde_json::{json, Value};

use crate::backend_test;
use crate::helpers::{Site, TestApp, MANAGE, READ};

pub const PAGES: &str = "/insignia/v1/pages";

pub async fn badge(app: &TestApp, site: &Site, title: &str, permissions: bool) -> String {
    app.create_badge(site, json!({"title": title, "permissionsEnabled": permissions}))
        .await["id"]
        .as_str()
        .unwrap()
        .to_owned()
}

pub async fn protect(app: &TestApp, site: &Site, path: &str, badges: &[&str]) -> Value {
    let reply = app
        .call(
            site,
            "POST",
            PAGES,
            Some(json!({"page": {"path": path, "title": format!("Page {path}"), "badgeIds": badges}})),
        )
        .await;
    reply.ok()["page"].clone()
}

fn paths(pages: &Value) -> Vec<String> {
    pages
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["path"].as_str().unwrap().to_owned())
        .collect()
}

backend_test!(create_read_update_delete, |backend| async move {
    let app = TestApp::new(backend).await;
    let site = app.site(&[MANAGE]).await;
    let staff = badge(&app, &site, "Staff", true).await;
    let mentor = badge(&app, &site, "Mentor", true).await;
    let created = app
        .call(
            &site,
            "POST",
            PAGES,
            Some(json!({"page": {"path": "//staff/rota/", "title": "Rota", "badgeIds": [staff, mentor]}})),
        )
        .await;
    let page = created.ok()["page"].clone();
    assert_eq!(page["path"], "/staff/rota", "stored normalised");
    assert_eq!(page["title"], "Rota");
    assert_eq!(page["revision"], "1");
    assert_eq!(page["badgeIds"], json!([staff, mentor]), "in the order given");
    assert!(page["createdDate"].as_str().unwrap().ends_with('Z'));
    let id = page["id"].as_str().unwrap();
    let one = format!("{PAGES}/{id}");
    assert_eq!(app.call(&site, "GET", &one, None).await.ok()["page"], page);

    // An update names the revision it read; only the fields sent change.
    let updated = app
        .call(
            &site,
            "PATCH",
            &one,
            Some(json!({"page": {"revision": "1", "badgeIds": [mentor]}})),
        )
        .await;
    let updated = updated.ok()["page"].clone();
    assert_eq!(updated["revision"], "2");
    assert_eq!(updated["badgeIds"], json!([mentor]));
    assert_eq!(updated["path"], "/staff/rota");
    assert_eq!(updated["title"], "Rota");
    // The old revision is refused, and nothing changes.
    let stale = app
        .call(
            &site,
            "PATCH",
            &one,
            Some(json!({"page": {"revision": "1", "title": "x"}})),
        )
        .await;
    stale.expect(409, "REVISION_MISMATCH");
    assert_eq!(
        stale.body["details"]["applicationError"]["data"]["currentRevision"],
        "2"
    );
    let moved = app
        .call(
            &site,
            "PATCH",
            &one,
            Some(json!({"page": {"revision": 2, "path": "/team/rota", "title": "Team rota", "badgeIds": []}})),
        )
        .await;
    let moved = moved.ok()["page"].clone();
    assert_eq!(
        (
            moved["path"].as_str(),
            moved["title"].as_str(),
            moved["badgeIds"].clone()
        ),
        (Some("/team/rota"), Some("Team rota"), json!([]))
    );
    assert_eq!(app.call(&site, "GET", &one, None).await.ok()["page"], moved);

    assert_eq!(app.call(&site, "DELETE", &one, None).await.ok(), &json!({}));
    app.call(&site, "GET", &one, None).await.expect(404, "NOT_FOUND");
    app.call(&site, "DELETE", &one, None).await.expect(404, "NOT_FOUND");
    app.call(
        &site,
        "PATCH",
        &one,
        Some(json!({"page": {"revision": "3", "title": "x"}})),
    )
    .await
    .expect(404, "NOT_FOUND");
});

backend_test!(query_filters_sorts_and_pages, |backend| async move {
    let app = TestApp::new(backend).await;
    let site = app.site(&[MANAGE]).await;
    let gold = badge(&app, &site, "Gold", true).await;
    let silver = badge(&app, &site, "Silver", true).await;
    protect(&app, &site, "/b", &[&gold]).await;
    protect(&app, &site, "/a/deep", &[&gold, &silver]).await;
    protect(&app, &site, "/c", &[&silver]).await;
    protect(&app, &site, "/a", &[]).await;
    let query = |q: Value| {
        let app = &app;
        let site = &site;
        async move {
            app.call(site, "POST", &format!("{PAGES}/query"), Some(json!({"query": q})))
                .await
        }
    };
    let all = query(json!({})).await;
    assert_eq!(
        paths(&all.ok()["pages"]),
        ["/a", "/a/deep", "/b", "/c"],
        "path order by default"
    );
    assert_eq!(all.body["pagingMetadata"]["total"], 4);
    let with_gold = query(json!({"filter": {"badgeIds": {"$hasSome": [gold]}}})).await;
    assert_eq!(paths(&with_gold.ok()["pages"]), ["/a/deep", "/b"]);
    let both = query(json!({"filter": {"badgeIds": {"$hasAll": [gold, silver]}}})).await;
    assert_eq!(paths(&both.ok()["pages"]), ["/a/deep"]);
    let none = query(json!({"filter": {"badgeIds": {"$exists": false}}})).await;
    assert_eq!(paths(&none.ok()["pages"]), ["/a"]);
    let under =
        query(json!({"filter": {"path": {"$startsWith": "/a"}}, "sort": [{"fieldName": "path", "order": "DESC"}]}))
            .await;
    assert_eq!(paths(&under.ok()["pages"]), ["/a/deep", "/a"]);
    // Cursor paging walks every page once.
    let mut walked = Vec::new();
    let mut body = json!({"cursorPaging": {"limit": 3}});
    loop {
        let reply = query(body).await;
        walked.extend(paths(&reply.ok()["pages"]));
        match reply.body["pagingMetadata"]["cursors"]["next"].as_str() {
            Some(cursor) => body = json!({"cursorPaging": {"limit": 3, "cursor": cursor}}),
            None => break,
        }
    }
    assert_eq!(walked, ["/a", "/a/deep", "/b", "/c"]);
    let projected = query(json!({"fields": ["path"]})).await;
    let first = &projected.ok()["pages"][0];
    assert_eq!(first.as_object().unwrap().len(), 2, "{first}");
    query(json!({"filter": {"badgeIds": {"$hasSome": ["not-a-guid"]}}}))
        .await
        .expect(400, "INVALID_ARGUMENT");
    query(json!({"filter": {"nope": 1}}))
        .await
        .expect(400, "INVALID_ARGUMENT");
    query(json!({"sort": [{"fieldName": "badgeIds"}]}))
        .await
        .expect(400, "INVALID_ARGUMENT");
});

backend_test!(invalid_pages_are_refused_and_change_nothing, |backend| async move {
    let app = TestApp::new(backend).await;
    let site = app.site(&[MANAGE]).await;
    let gold = badge(&app, &site, "Gold", true).await;
    let create = |body: Value| {
        let app = &app;
        let site = &site;
        async move { app.call(site, "POST", PAGES, Some(body)).await }
    };
    create(json!({})).await.expect(400, "PAGE_NOT_PROVIDED");
    create(json!({"page": "x"})).await.expect(400, "INVALID_ARGUMENT");
    for (page, field) in [
        (json!({}), "page.path"),
        (json!({"path": 7}), "page.path"),
        (json!({"path": "staff"}), "page.path"),
        (json!({"path": "/staff?x=1"}), "page.path"),
        (json!({"path": "/a%2Fb"}), "page.path"),
        (json!({"path": "/.."}), "page.path"),
        (json!({"path": format!("/{}", "a".repeat(1100))}), "page.path"),
        (json!({"path": "/x", "title": "t".repeat(201)}), "page.title"),
        (json!({"path": "/x", "title": "a\u{0}b"}), "page.title"),
        (json!({"path": "/x", "badgeIds": "gold"}), "page.badgeIds"),
        (json!({"path": "/x", "badgeIds": ["' OR 1=1 --"]}), "page.badgeIds[0]"),
        (json!({"path": "/x", "badgeIds": [gold, gold]}), "page.badgeIds[1]"),
        (json!({"path": "/x", "colour": "red"}), "page.colour"),
    ] {
        let reply = create(json!({ "page": page })).await;
        reply.expect(400, "INVALID_ARGUMENT");
        assert!(
            reply.violated_fields().contains(&field.to_owned()),
            "{page}: {}",
            reply.body
        );
    }
    // 101 badges: refused before any lookup.
    let many: Vec<String> = (0..101).map(|_| uuid::Uuid::new_v4().to_string()).collect();
    let reply = create(json!({"page": {"path": "/x", "badgeIds": many}})).await;
    reply.expect(400, "INVALID_ARGUMENT");
    assert!(
        reply.body["message"].as_str().unwrap().contains("100"),
        "{}",
        reply.body
    );
    // An unknown badge is named, with its place in the list.
    let ghost = uuid::Uuid::new_v4().to_string();
    let reply = create(json!({"page": {"path": "/x", "badgeIds": [gold, ghost]}})).await;
    reply.expect(400, "INVALID_ARGUMENT");
    assert_eq!(reply.violated_fields(), ["page.badgeIds[1]"]);
    assert!(
        reply.body["message"].as_str().unwrap().contains(&ghost),
        "{}",
        reply.body
    );
    // Another site's badge is unknown here.
    let other = app.site(&[MANAGE]).await;
    let theirs = badge(&app, &other, "Theirs", true).await;
    create(json!({"page": {"path": "/x", "badgeIds": [theirs]}}))
        .await
        .expect(400, "INVALID_ARGUMENT");
    // One page per path, after normalisation.
    protect(&app, &site, "/staff", &[&gold]).await;
    create(json!({"page": {"path": "/staff/"}}))
        .await
        .expect(409, "ALREADY_EXISTS");
    let listed = app
        .call(&site, "POST", &format!("{PAGES}/query"), Some(json!({})))
        .await;
    assert_eq!(paths(&listed.ok()["pages"]), ["/staff"]);

    // Updates: the revision is required; bad ids and ids of nothing are told apart.
    let id = listed.body["pages"][0]["id"].as_str().unwrap().to_owned();
    let one = format!("{PAGES}/{id}");
    let reply = app
        .call(&site, "PATCH", &one, Some(json!({"page": {"title": "x"}})))
        .await;
    reply.expect(400, "INVALID_ARGUMENT");
    assert_eq!(reply.violated_fields(), ["page.revision"]);
    app.call(&site, "PATCH", &one, Some(json!({"revision": "1"})))
        .await
        .expect(400, "PAGE_NOT_PROVIDED");
    let reply = app
        .call(
            &site,
            "PATCH",
            &one,
            Some(json!({"page": {"revision": "1", "badgeIds": [ghost]}})),
        )
        .await;
    reply.expect(400, "INVALID_ARGUMENT");
    assert_eq!(reply.violated_fields(), ["page.badgeIds[0]"]);
    protect(&app, &site, "/other", &[]).await;
    app.call(
        &site,
        "PATCH",
        &one,
        Some(json!({"page": {"revision": "1", "path": "/other/"}})),
    )
    .await
    .expect(409, "ALREADY_EXISTS");
    for path in [
        "/insignia/v1/pages/nope",
        "/insignia/v1/pages/nope/badges",
        "/insignia/v1/badges/nope/pages",
    ] {
        app.call(&site, "GET", path, None).await.expect(400, "INVALID_ARGUMENT");
    }
    let missing = uuid::Uuid::new_v4();
    app.call(&site, "GET", &format!("{PAGES}/{missing}"), None)
        .await
        .expect(404, "NOT_FOUND");
    app.call(&site, "GET", &format!("{PAGES}/{missing}/badges"), None)
        .await
        .expect(404, "NOT_FOUND");
    app.call(&site, "GET", &format!("/insignia/v1/badges/{missing}/pages"), None)
        .await
        .expect(404, "NOT_FOUND");
    let page = app.call(&site, "GET", &one, None).await;
    assert_eq!(page.ok()["page"]["revision"], "1", "nothing above changed the page");
});

backend_test!(read_keys_read_and_check_but_cannot_change_pages, |backend| async move {
    let app = TestApp::new(backend).await;
    let owner = app.site(&[MANAGE]).await;
    let reader = Site {
        id: owner.id.clone(),
        key: app.key_for(&owner.id, &[READ]).await,
    };
    let gold = badge(&app, &owner, "Gold", true).await;
    let page = protect(&app, &owner, "/vip", &[&gold]).await;
    let one = format!("{PAGES}/{}", page["id"].as_str().unwrap());
    app.call(&reader, "POST", PAGES, Some(json!({"page": {"path": "/x"}})))
        .await
        .expect(403, "PERMISSION_DENIED");
    app.call(
        &reader,
        "PATCH",
        &one,
        Some(json!({"page": {"revision": "1", "title": "x"}})),
    )
    .await
    .expect(403, "PERMISSION_DENIED");
    app.call(&reader, "DELETE", &one, None)
        .await
        .expect(403, "PERMISSION_DENIED");
    assert_eq!(app.call(&reader, "GET", &one, None).await.ok()["page"], page);
    app.call(&reader, "POST", &format!("{PAGES}/query"), Some(json!({})))
        .await
        .ok();
    let check = json!({"memberId": uuid::Uuid::new_v4().to_string(), "pages": ["/vip"]});
    let reply = app
        .call(&reader, "POST", "/insignia/v1/access/check", Some(check))
        .await;
    assert_eq!(reply.ok()["results"][0]["allowed"], false);
    // Another site's key sees none of it.
    let stranger = app.site(&[MANAGE]).await;
    app.call(&stranger, "GET", &one, None).await.expect(404, "NOT_FOUND");
    let no_key = app.raw("GET", &one, &[], None).await;
    no_key.expect(401, "UNAUTHENTICATED");
});

backend_test!(a_badge_lists_its_pages_and_a_page_its_badges, |backend| async move {
    let app = TestApp::new(backend).await;
    let site = app.site(&[MANAGE]).await;
    let gold = badge(&app, &site, "Gold", true).await;
    let silver = badge(&app, &site, "Silver", false).await;
    let vip = protect(&app, &site, "/vip", &[&silver, &gold]).await;
    protect(&app, &site, "/gold", &[&gold]).await;
    protect(&app, &site, "/open", &[]).await;
    for i in 0..3 {
        let member = uuid::Uuid::new_v4().to_string();
        let badges: Vec<&str> = if i == 0 { vec![&gold, &silver] } else { vec![&gold] };
        for b in badges {
            app.call(
                &site,
                "POST",
                "/badges/v4/badge-assignments",
                Some(json!({"badgeAssignment": {"badgeId": b, "memberId": member}})),
            )
            .await
            .ok();
        }
    }
    let of_gold = app
        .call(&site, "GET", &format!("/insignia/v1/badges/{gold}/pages"), None)
        .await;
    assert_eq!(paths(&of_gold.ok()["pages"]), ["/gold", "/vip"]);
    assert_eq!(of_gold.body["permissionsEnabled"], true);
    assert_eq!(of_gold.body["pagingMetadata"]["total"], 2);
    let paged = app
        .call(
            &site,
            "GET",
            &format!("/insignia/v1/badges/{gold}/pages?paging.limit=1&paging.offset=1"),
            None,
        )
        .await;
    assert_eq!(paths(&paged.ok()["pages"]), ["/vip"]);
    app.call(
        &site,
        "GET",
        &format!("/insignia/v1/badges/{gold}/pages?paging.limit=0"),
        None,
    )
    .await
    .expect(400, "INVALID_ARGUMENT");
    let of_silver = app
        .call(&site, "GET", &format!("/insignia/v1/badges/{silver}/pages"), None)
        .await;
    assert_eq!(paths(&of_silver.ok()["pages"]), ["/vip"]);
    assert_eq!(of_silver.body["permissionsEnabled"], false);

    let badges = app
        .call(
            &site,
            "GET",
            &format!("{PAGES}/{}/badges", vip["id"].as_str().unwrap()),
            None,
        )
        .await;
    let listed = badges.ok()["badges"].as_array().unwrap();
    let summary: Vec<(String, bool, i64)> = listed
        .iter()
        .map(|b| {
            (
                b["badge"]["title"].as_str().unwrap().to_owned(),
                b["badge"]["permissionsEnabled"].as_bool().unwrap(),
                b["memberCount"].as_i64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        summary,
        [("Silver".to_owned(), false, 1), ("Gold".to_owned(), true, 3)],
        "in the page's order, with holder counts"
    );
    assert_eq!(badges.body["page"]["path"], "/vip");
});

backend_test!(deleting_a_badge_takes_it_off_every_page, |backend| async move {
    let app = TestApp::new(backend).await;
    let site = app.site(&[MANAGE]).await;
    let gold = badge(&app, &site, "Gold", true).await;
    let silver = badge(&app, &site, "Silver", true).await;
    let both = protect(&app, &site, "/both", &[&gold, &silver]).await;
    let only = protect(&app, &site, "/only-gold", &[&gold]).await;
    let untouched = protect(&app, &site, "/silver", &[&silver]).await;
    let member = uuid::Uuid::new_v4().to_string();
    app.call(
        &site,
        "POST",
        "/badges/v4/badge-assignments",
        Some(json!({"badgeAssignment": {"badgeId": gold, "memberId": member}})),
    )
    .await
    .ok();
    let check = json!({"memberId": member, "pages": ["/only-gold"]});
    let before = app
        .call(&site, "POST", "/insignia/v1/access/check", Some(check.clone()))
        .await;
    assert_eq!(before.ok()["results"][0]["allowed"], true);

    app.call(&site, "DELETE", &format!("/badges/v4/badges/{gold}"), None)
        .await
        .ok();
    let get = |page: &Value| format!("{PAGES}/{}", page["id"].as_str().unwrap());
    let both_now = app.call(&site, "GET", &get(&both), None).await.ok()["page"].clone();
    assert_eq!(both_now["badgeIds"], json!([silver]));
    assert_eq!(
        both_now["revision"], "2",
        "a page whose badges changed has a new revision"
    );
    let only_now = app.call(&site, "GET", &get(&only), None).await.ok()["page"].clone();
    assert_eq!(only_now["badgeIds"], json!([]));
    let silver_now = app.call(&site, "GET", &get(&untouched), None).await.ok()["page"].clone();
    assert_eq!(silver_now, untouched);
    let after = app.call(&site, "POST", "/insignia/v1/access/check", Some(check)).await;
    assert_eq!(after.ok()["results"][0]["allowed"], false);
    assert_eq!(after.body["results"][0]["reason"], "NO_GRANTING_BADGE");
    app.call(&site, "GET", &format!("/insignia/v1/badges/{gold}/pages"), None)
        .await
        .expect(404, "NOT_FOUND");
    let with_gold = app
        .call(
            &site,
            "POST",
            &format!("{PAGES}/query"),
            Some(json!({"query": {"filter": {"badgeIds": {"$hasSome": [gold]}}}})),
        )
        .await;
    assert!(with_gold.ok()["pages"].as_array().unwrap().is_empty());
});

backend_test!(a_site_protects_at_most_ten_thousand_pages, |backend| async move {
    let app = TestApp::new(backend).await;
    let site = app.site(&[MANAGE]).await;
    app.fill_pages(&site.id, 9_999).await;
    protect(&app, &site, "/the-last-one", &[]).await;
    let reply = app
        .call(&site, "POST", PAGES, Some(json!({"page": {"path": "/one-too-many"}})))
        .await;
    reply.expect(400, "PAGE_LIMIT_REACHED");
    assert!(
        reply.body["message"].as_str().unwrap().contains("10000"),
        "{}",
        reply.body
    );
    // Other sites have limits of their own.
    let other = app.site(&[MANAGE]).await;
    protect(&app, &other, "/mine", &[]).await;
});
