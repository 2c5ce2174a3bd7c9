use serde_json::{json, Value};

use crate::backend_test;
use crate::helpers::{Site, TestApp, MANAGE};

async fn titles_in_order(app: &TestApp, site: &Site) -> Vec<String> {
    use insignia::store::Store;
    let site_id = insignia::domain::SiteId::parse("site", &site.id).unwrap();
    let page = app.db.store.list_badges(site_id, 1000, 0).await.unwrap();
    page.items.iter().map(|b| b.title.as_str().to_owned()).collect()
}

async fn make(app: &TestApp, site: &Site, titles: &[&str]) -> Vec<String> {
    let mut ids = Vec::new();
    for t in titles {
        ids.push(
            app.create_badge(site, json!({"title": t})).await["id"]
                .as_str()
                .unwrap()
                .to_owned(),
        );
    }
    ids
}

fn titles(reply: &Value) -> Vec<String> {
    reply["badges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b["title"].as_str().unwrap().to_owned())
        .collect()
}

backend_test!(new_badges_go_last_and_order_is_explicit, |backend| async move {
    let app = TestApp::new(backend).await;
    let site = app.site(&[MANAGE]).await;
    let ids = make(&app, &site, &["a", "b", "c", "d"]).await;
    assert_eq!(titles_in_order(&app, &site).await, ["a", "b", "c", "d"]);

    let reply = app
        .call(
            &site,
            "POST",
            "/badges/v4/badges/order",
            Some(json!({"ids": [ids[2], ids[0]]})),
        )
        .await;
    assert_eq!(
        titles(reply.ok()),
        ["c", "a", "b", "d"],
        "named first, the rest keep their order"
    );
    make(&app, &site, &["e"]).await;
    assert_eq!(titles_in_order(&app, &site).await, ["c", "a", "b", "d", "e"]);
});

backend_test!(move_first_last_after, |backend| async move {
    let app = TestApp::new(backend).await;
    let site = app.site(&[MANAGE]).await;
    let ids = make(&app, &site, &["a", "b", "c", "d"]).await;
    let mv = |id: &str, body: Value| {
        let path = format!("/badges/v4/badges/{id}/move");
        let app = &app;
        let site = &site;
        async move { app.call(site, "POST", &path, Some(body)).await }
    };
    assert_eq!(
        mv(&ids[3], json!({"badgeId": ids[3], "position": "FIRST"})).await.ok(),
        &json!({})
    );
    assert_eq!(titles_in_order(&app, &site).await, ["d", "a", "b", "c"]);
    mv(&ids[3], json!({"position": "LAST"})).await.ok();
    assert_eq!(titles_in_order(&app, &site).await, ["a", "b", "c", "d"]);
    mv(&ids[0], json!({"position": "AFTER", "moveAfterBadgeId": ids[2]}))
        .await
        .ok();
    assert_eq!(titles_in_order(&app, &site).await, ["b", "c", "a", "d"]);
    // No position: the SDK sends only the id; LAST is the default.
    mv(&ids[1], json!({"badgeId": ids[1]})).await.ok();
    assert_eq!(titles_in_order(&app, &site).await, ["c", "a", "d", "b"]);

    mv(&ids[0], json!({"position": "AFTER"}))
        .await
        .expect(400, "INVALID_ARGUMENT");
    mv(&ids[0], json!({"position": "MIDDLE"}))
        .await
        .expect(400, "INVALID_ARGUMENT");
    // A badge cannot be moved after itself.
    let itself = mv(&ids[0], json!({"position": "AFTER", "moveAfterBadgeId": ids[0]})).await;
    itself.expect(400, "INVALID_ARGUMENT");
    assert_eq!(itself.violated_fields(), ["moveAfterBadgeId"]);
    let stranger = uuid::Uuid::new_v4().to_string();
    mv(&ids[0], json!({"position": "AFTER", "moveAfterBadgeId": stranger}))
        .await
        .expect(404, "NOT_FOUND");
    mv(&stranger, json!({"position": "FIRST"}))
        .await
        .expect(404, "NOT_FOUND");
    assert_eq!(
        titles_in_order(&app, &site).await,
        ["c", "a", "d", "b"],
        "failed moves change nothing"
    );
});

backend_test!(order_requests_are_validated, |backend| async move {
    let app = TestApp::new(backend).await;
    let site = app.site(&[MANAGE]).await;
    let ids = make(&app, &site, &["a", "b"]).await;
    let order = |body: Value| async { app.call(&site, "POST", "/badges/v4/badges/order", Some(body)).await };
    order(json!({"ids": [ids[0], ids[0]]}))
        .await
        .expect(400, "INVALID_ARGUMENT");
    order(json!({"ids": ["nope"]})).await.expect(400, "INVALID_ARGUMENT");
    order(json!({"ids": "x"})).await.expect(400, "INVALID_ARGUMENT");
    let many: Vec<String> = (0..101).map(|_| uuid::Uuid::new_v4().to_string()).collect();
    order(json!({"ids": many})).await.expect(400, "INVALID_ARGUMENT");
    order(json!({"ids": [ids[1], uuid::Uuid::new_v4().to_string()]}))
        .await
        .expect(404, "NOT_FOUND");
    assert_eq!(titles_in_order(&app, &site).await, ["a", "b"]);
});

backend_test!(v4_queries_sort_by_display_order, |backend| async move {
    let app = TestApp::new(backend).await;
    let site = app.site(&[MANAGE]).await;
    let ids = make(&app, &site, &["a", "b", "c"]).await;
    let path = format!("/badges/v4/badges/{}/move", ids[2]);
    app.call(&site, "POST", &path, Some(json!({"position": "FIRST"})))
        .await
        .ok();
    let sorted = |order: &'static str| {
        let (app, site) = (&app, &site);
        async move {
            let query = json!({"query": {"sort": [{"fieldName": "displayOrder", "order": order}]}});
            let reply = app.call(site, "POST", "/badges/v4/badges/query", Some(query)).await;
            titles(reply.ok())
        }
    };
    assert_eq!(sorted("ASC").await, ["c", "a", "b"]);
    assert_eq!(sorted("DESC").await, ["b", "a", "c"]);
    // Without a sort, badges come newest first, as the SDK documents.
    let reply = app
        .call(&site, "POST", "/badges/v4/badges/query", Some(json!({"query": {}})))
        .await;
    assert_eq!(titles(reply.ok()), ["c", "b", "a"]);
});
