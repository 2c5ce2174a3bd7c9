//! Reads answered from memory (GetBadge, the badges of one member) never
//! serve anything older than the instance's own last write, and answer
//! exactly what the store answers.

use serde_json::{json, Value};

use crate::backend_test;
use crate::helpers::{Site, TestApp, MANAGE};

const BULK: &str = "/badges/v4/bulk/badge-assignments";

/// The member's assignments by the query the read cache answers.
async fn badges_of(app: &TestApp, site: &Site, member: &str, query: Value) -> Value {
    let mut query = query;
    query["filter"] = json!({ "memberId": member });
    app.call(
        site,
        "POST",
        "/badges/v4/badge-assignments/query",
        Some(json!({ "query": query })),
    )
    .await
    .ok()
    .clone()
}

/// The same assignments by a query only the store answers (`$in`).
async fn badges_of_from_store(app: &TestApp, site: &Site, member: &str) -> Value {
    let query = json!({"query": {"filter": {"memberId": {"$in": [member]}}}});
    app.call(site, "POST", "/badges/v4/badge-assignments/query", Some(query))
        .await
        .ok()
        .clone()
}

fn ids(reply: &Value) -> Vec<String> {
    reply["badgeAssignments"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["badgeId"].as_str().unwrap().to_owned())
        .collect()
}

async fn get_badge(app: &TestApp, site: &Site, id: &str) -> crate::helpers::Reply {
    app.call(site, "GET", &format!("/badges/v4/badges/{id}"), None).await
}

backend_test!(a_badge_read_after_each_write_is_the_written_one, |backend| async move {
    let app = TestApp::new(backend).await;
    let site = app.site(&[MANAGE]).await;
    let badge = app.create_badge(&site, json!({"title": "Gold"})).await;
    let id = badge["id"].as_str().unwrap().to_owned();
    // Read twice: the second read comes from memory.
    for _ in 0..2 {
        assert_eq!(get_badge(&app, &site, &id).await.ok()["badge"], badge);
    }
    let patched = app
        .call(
            &site,
            "PATCH",
            &format!("/badges/v4/badges/{id}"),
            Some(json!({"badge": {"revision": "1", "title": "Platinum", "permissionsEnabled": true}})),
        )
        .await
        .ok()["badge"]
        .clone();
    let read = get_badge(&app, &site, &id).await.ok()["badge"].clone();
    assert_eq!(read, patched);
    assert_eq!(
        (read["title"].as_str(), read["revision"].as_str()),
        (Some("Platinum"), Some("2"))
    );
    // The older API's update, then the V4 read.
    app.call(
        &site,
        "PATCH",
        &format!("/members/v3/badges/{id}"),
        Some(json!({"badge": {"title": "Diamond"}})),
    )
    .await
    .ok();
    assert_eq!(get_badge(&app, &site, &id).await.ok()["badge"]["title"], "Diamond");
    app.call(&site, "DELETE", &format!("/badges/v4/badges/{id}"), None)
        .await
        .ok();
    get_badge(&app, &site, &id).await.expect(404, "NOT_FOUND");
});

backend_test!(
    a_members_badges_read_after_each_write_are_the_written_ones,
    |backend| async move {
        let app = TestApp::new(backend).await;
        let site = app.site(&[MANAGE]).await;
        let gold = app.create_badge(&site, json!({"title": "Gold"})).await["id"]
            .as_str()
            .unwrap()
            .to_owned();
        let silver = app.create_badge(&site, json!({"title": "Silver"})).await["id"]
            .as_str()
            .unwrap()
            .to_owned();
        let member = uuid::Uuid::new_v4().to_string();
        assert!(ids(&badges_of(&app, &site, &member, json!({})).await).is_empty());

        // Assigned: the next read has it, as the store has it.
        let assigned = app
            .call(
                &site,
                "POST",
                "/badges/v4/badge-assignments",
                Some(json!({"badgeAssignment": {"badgeId": gold, "memberId": member}})),
            )
            .await
            .ok()["badgeAssignment"]
            .clone();
        let read = badges_of(&app, &site, &member, json!({})).await;
        assert_eq!(ids(&read), vec![gold.clone()]);
        assert_eq!(read, badges_of_from_store(&app, &site, &member).await);

        // A bulk assign of another badge, then tags on the first.
        let bulk = json!({"badgeAssignments": [{"badgeId": silver, "memberId": member}]});
        app.call(&site, "POST", &format!("{BULK}/create"), Some(bulk))
            .await
            .ok();
        assert_eq!(
            badges_of(&app, &site, &member, json!({})).await["badgeAssignments"]
                .as_array()
                .unwrap()
                .len(),
            2
        );
        let tags = json!({"ids": [assigned["id"]], "assignTags": {"tags": {"tagIds": ["founder"]}}});
        app.call(&site, "POST", &format!("{BULK}/bulk-update-tags"), Some(tags))
            .await
            .ok();
        let read = badges_of(&app, &site, &member, json!({})).await;
        let tagged: Vec<&Value> = read["badgeAssignments"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|a| a["tags"]["tags"]["tagIds"] == json!(["founder"]))
            .collect();
        assert_eq!(tagged.len(), 1, "{read}");
        assert_eq!(read, badges_of_from_store(&app, &site, &member).await);

        // Offset pages of the list are the store's pages.
        let page = badges_of(&app, &site, &member, json!({"paging": {"limit": 1, "offset": 1}})).await;
        assert_eq!(page["badgeAssignments"].as_array().unwrap().len(), 1);
        assert_eq!(page["pagingMetadata"]["total"], 2);
        // A cursor page smaller than the list carries a cursor to the rest.
        let first = badges_of(&app, &site, &member, json!({"cursorPaging": {"limit": 1}})).await;
        let cursor = first["pagingMetadata"]["cursors"]["next"]
            .as_str()
            .expect("a next cursor")
            .to_owned();
        let rest = app
            .call(
                &site,
                "POST",
                "/badges/v4/badge-assignments/query",
                Some(json!({"query": {"cursorPaging": {"limit": 1, "cursor": cursor}}})),
            )
            .await;
        let mut both = ids(&first);
        both.extend(ids(rest.ok()));
        assert_eq!(both, ids(&badges_of(&app, &site, &member, json!({})).await));

        // Unassigned, then the badge deleted: each read follows.
        app.call(
            &site,
            "DELETE",
            &format!("/badges/v4/badge-assignments/{}", assigned["id"].as_str().unwrap()),
            None,
        )
        .await
        .ok();
        assert_eq!(
            ids(&badges_of(&app, &site, &member, json!({})).await),
            vec![silver.clone()]
        );
        app.call(&site, "DELETE", &format!("/badges/v4/badges/{silver}"), None)
            .await
            .ok();
        assert!(ids(&badges_of(&app, &site, &member, json!({})).await).is_empty());
    }
);
