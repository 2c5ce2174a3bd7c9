//! The outbox and the pull feed: every change's events, in commit order,
//! with a cursor to resume from.

use serde_json::{json, Value};

use crate::backend_test;
use crate::helpers::{Site, TestApp, MANAGE, READ};

const FEED: &str = "/insignia/v1/events";

/// Every event of the site from `cursor` on, page by page; returns them and the last cursor.
async fn read_feed(app: &TestApp, site: &Site, cursor: &str, query: &str) -> (Vec<Value>, String) {
    let mut cursor = cursor.to_owned();
    let mut events = Vec::new();
    loop {
        let reply = app
            .call(site, "GET", &format!("{FEED}?cursor={cursor}&limit=3{query}"), None)
            .await;
        let body = reply.ok();
        events.extend(body["events"].as_array().unwrap().iter().cloned());
        cursor = body["pagingMetadata"]["cursors"]["next"].as_str().unwrap().to_owned();
        if !body["pagingMetadata"]["hasNext"].as_bool().unwrap() {
            return (events, cursor);
        }
    }
}

/// `(eventType, domain event)` of each envelope.
fn decoded(events: &[Value]) -> Vec<(String, Value)> {
    events
        .iter()
        .map(|e| {
            assert!(e["data"].is_string() && e["identity"].is_string(), "{e}");
            let data: Value = serde_json::from_str(e["data"].as_str().unwrap()).unwrap();
            (e["eventType"].as_str().unwrap().to_owned(), data)
        })
        .collect()
}

fn types(events: &[(String, Value)]) -> Vec<&str> {
    events.iter().map(|(t, _)| t.as_str()).collect()
}

backend_test!(every_change_is_in_the_feed_in_commit_order, |backend| async move {
    let app = TestApp::new(backend).await;
    let site = app.site(&[MANAGE]).await;
    let badge = app.create_badge(&site, json!({"title": "Rising Star"})).await;
    let badge_id = badge["id"].as_str().unwrap();
    let member = uuid::Uuid::new_v4().to_string();
    let created = app
        .call(
            &site,
            "POST",
            "/badges/v4/bulk/badge-assignments/create",
            Some(json!({"badgeAssignments": [{"badgeId": badge_id, "memberId": member}], "returnEntity": true})),
        )
        .await;
    let assignment_id = created.ok()["results"][0]["item"]["id"].as_str().unwrap().to_owned();
    app.call(
        &site,
        "PATCH",
        &format!("/badges/v4/badges/{badge_id}"),
        Some(json!({"badge": {"revision": "1", "title": "Rising Star II"}})),
    )
    .await
    .ok();
    app.call(&site, "DELETE", &format!("/badges/v4/badges/{badge_id}"), None)
        .await
        .ok();

    let (events, cursor) = read_feed(&app, &site, "", "").await;
    let events = decoded(&events);
    assert_eq!(
        types(&events),
        [
            "wix.badges.v4.badge_created",
            "wix.badges.v3.badge_created",
            "wix.badges.v4.badge_assignment_created",
            "wix.badges.v3.badge_badge_assigned",
            "wix.badges.v4.badge_updated",
            "wix.badges.v3.badge_updated",
            "wix.badges.v4.badge_assignment_deleted",
            "wix.badges.v3.badge_badge_unassigned",
            "wix.badges.v4.badge_deleted",
            "wix.badges.v3.badge_deleted",
        ]
    );
    let sequences: Vec<i64> = events
        .iter()
        .map(|(_, e)| e["entityEventSequence"].as_str().unwrap().parse().unwrap())
        .collect();
    assert_eq!(sequences, (1..=10).collect::<Vec<i64>>(), "gapless, in commit order");
    let (_, assigned) = &events[2];
    assert_eq!(assigned["entityId"], assignment_id.as_str());
    assert_eq!(assigned["createdEvent"]["entity"]["memberId"], member.as_str());
    let (_, cascaded) = &events[6];
    assert_eq!(cascaded["originatedFrom"], "badge_deleted");
    assert_eq!(cascaded["deletedEvent"]["deletedEntity"]["id"], assignment_id.as_str());
    assert_eq!(events[8].1["deletedEvent"], json!({}));
    assert_eq!(events[4].1["updatedEvent"]["currentEntity"]["title"], "Rising Star II");

    // Resuming from the last cursor finds only what came after.
    app.create_badge(&site, json!({"title": "Later"})).await;
    let (later, _) = read_feed(&app, &site, &cursor, "").await;
    assert_eq!(
        types(&decoded(&later)),
        ["wix.badges.v4.badge_created", "wix.badges.v3.badge_created"]
    );

    // A type filter keeps only those types, in order.
    let (only, _) = read_feed(&app, &site, "0", "&types=wix.badges.v4.badge_created").await;
    assert_eq!(types(&decoded(&only)), ["wix.badges.v4.badge_created"; 2]);
});

backend_test!(tags_pages_and_the_older_api_write_events, |backend| async move {
    let app = TestApp::new(backend).await;
    let site = app.site(&[MANAGE]).await;
    let badge = app.create_badge(&site, json!({"title": "Gold"})).await;
    let badge_id = badge["id"].as_str().unwrap();
    let member = uuid::Uuid::new_v4().to_string();
    let (_, start) = read_feed(&app, &site, "", "").await;
    app.call(
        &site,
        "POST",
        &format!("/_api/members/v3/badges/{badge_id}/members"),
        Some(json!({"memberIds": [member]})),
    )
    .await
    .ok();
    let id = app
        .call(
            &site,
            "POST",
            "/badges/v4/badge-assignments/query",
            Some(json!({"query": {"filter": {"memberId": member}}})),
        )
        .await
        .ok()["badgeAssignments"][0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    app.call(
        &site,
        "POST",
        "/badges/v4/bulk/badge-assignments/bulk-update-tags",
        Some(json!({"ids": [id], "assignTags": {"tags": {"tagIds": ["vip"]}}})),
    )
    .await
    .ok();
    app.call(
        &site,
        "POST",
        "/insignia/v1/pages",
        Some(json!({"page": {"path": "/gold", "title": "Gold", "badgeIds": [badge_id]}})),
    )
    .await
    .ok();
    app.call(
        &site,
        "DELETE",
        &format!("/_api/members/v3/badges/{badge_id}/members?memberIds={member}"),
        None,
    )
    .await
    .ok();
    let (events, _) = read_feed(&app, &site, &start, "").await;
    let events = decoded(&events);
    assert_eq!(
        types(&events),
        [
            "wix.badges.v4.badge_assignment_created",
            "wix.badges.v3.badge_badge_assigned",
            "insignia.v1.badge_assignment_updated",
            "insignia.v1.page_created",
            "wix.badges.v4.badge_assignment_deleted",
            "wix.badges.v3.badge_badge_unassigned",
        ]
    );
    assert_eq!(events[1].1["actionEvent"]["body"]["memberId"], member.as_str());
    assert_eq!(events[1].1["entityId"], badge_id);
    assert_eq!(
        events[2].1["updatedEvent"]["currentEntity"]["tags"]["tags"]["tagIds"],
        json!(["vip"])
    );
});

backend_test!(the_feed_is_the_sites_own_and_refuses_bad_input, |backend| async move {
    let app = TestApp::new(backend).await;
    let site = app.site(&[MANAGE]).await;
    let other = app.site(&[READ]).await;
    app.create_badge(&site, json!({"title": "Mine"})).await;
    let (theirs, _) = read_feed(&app, &other, "", "").await;
    assert!(theirs.is_empty());
    for query in [
        "cursor=abc",
        "cursor=-1",
        "limit=0",
        "limit=5000",
        "types=wix.badges.v4.nothing",
    ] {
        let reply = app.call(&site, "GET", &format!("{FEED}?{query}"), None).await;
        reply.expect(400, "INVALID_ARGUMENT");
    }
});
