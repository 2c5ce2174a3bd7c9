//! The older Badges API (`/members/v3/badges` and aliases) over the same data as V4.

use std::collections::HashMap;

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde_json::{json, Value};

use crate::backend_test;
use crate::helpers::{Reply, Site, TestApp, MANAGE, READ};

const V3: &str = "/_api/members/v3/badges";
const V3_ALIASES: [&str; 4] = [
    "/members/v3/badges",
    "/_api/members/v3/badges",
    "/badges/v3/badges",
    "/v3/badges",
];
const V4: &str = "/badges/v4/badges";
const V4_ASSIGNMENTS: &str = "/badges/v4/badge-assignments";

fn member() -> String {
    uuid::Uuid::new_v4().to_string()
}

async fn create(app: &TestApp, site: &Site, badge: Value) -> Value {
    app.call(site, "POST", V3, Some(json!({ "badge": badge }))).await.ok()["badge"].clone()
}

async fn create_titled(app: &TestApp, site: &Site, titles: &[&str]) -> Vec<String> {
    let mut ids = Vec::new();
    for title in titles {
        ids.push(
            create(app, site, json!({ "title": title })).await["id"]
                .as_str()
                .unwrap()
                .to_owned(),
        );
    }
    ids
}

async fn list(app: &TestApp, site: &Site, query: &str) -> Reply {
    app.call(site, "GET", &format!("{V3}{query}"), None).await
}

fn ids(values: &Value) -> Vec<String> {
    values
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b["id"].as_str().unwrap().to_owned())
        .collect()
}

fn strings(values: &Value) -> Vec<String> {
    let mut out: Vec<String> = values
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap().to_owned())
        .collect();
    out.sort();
    out
}

async fn assign(app: &TestApp, site: &Site, badge: &str, members: &[String]) -> Reply {
    app.call(
        site,
        "POST",
        &format!("{V3}/{badge}/members"),
        Some(json!({ "id": badge, "memberIds": members })),
    )
    .await
}

async fn unassign(app: &TestApp, site: &Site, badge: &str, members: &[String]) -> Reply {
    let query: Vec<String> = members
        .iter()
        .map(|m| {
            format!(
                "memberIds={}",
                form_urlencoded::byte_serialize(m.as_bytes()).collect::<String>()
            )
        })
        .collect();
    app.call(
        site,
        "DELETE",
        &format!("{V3}/{badge}/members?id={badge}&{}", query.join("&")),
        None,
    )
    .await
}

/// Every member holding `badge`, read through the V4 assignments query.
async fn v4_holders(app: &TestApp, site: &Site, badge: &str) -> Vec<String> {
    let reply = app
        .call(
            site,
            "POST",
            &format!("{V4_ASSIGNMENTS}/query"),
            Some(json!({"query": {"filter": {"badgeId": badge}, "cursorPaging": {"limit": 100}}})),
        )
        .await;
    let mut members: Vec<String> = reply.ok()["badgeAssignments"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["memberId"].as_str().unwrap().to_owned())
        .collect();
    members.sort();
    members
}

async fn member_counts(app: &TestApp, site: &Site) -> HashMap<String, i64> {
    let reply = app.call(site, "GET", &format!("{V3}/members/count"), None).await;
    reply.ok()["badgeMemberCounts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["badgeId"].as_str().unwrap().to_owned(),
                e["memberCount"].as_i64().unwrap(),
            )
        })
        .collect()
}

backend_test!(create_answers_the_legacy_shape_on_every_alias, |backend| async move {
    let app = TestApp::new(backend).await;
    let site = app.site(&[MANAGE]).await;
    let icon = "https://static.example.com/gold.svg";
    let badge = create(
        &app,
        &site,
        json!({"title": "Gold Member", "icon": icon, "textColor": "#00ff7f"}),
    )
    .await;
    assert_eq!(badge["title"], "Gold Member");
    assert_eq!(badge["slug"], "gold-member");
    assert_eq!(badge["backgroundColor"], "#796EFF");
    assert_eq!(badge["textColor"], "#00FF7F");
    assert_eq!(badge["icon"], icon, "the legacy icon is its URL string");
    assert_eq!(badge["permissionsEnabled"], false);
    assert!(badge.get("revision").is_none(), "legacy badges carry no revision");
    assert!(badge["createdDate"].is_string() && badge["updatedDate"].is_string());
    let id = badge["id"].as_str().unwrap();
    for prefix in V3_ALIASES {
        let got = app.call(&site, "GET", &format!("{prefix}/{id}?id={id}"), None).await;
        assert_eq!(got.ok()["badge"], badge, "through {prefix}");
    }
});

backend_test!(create_validates_and_stores_nothing_on_error, |backend| async move {
    let app = TestApp::new(backend).await;
    let site = app.site(&[MANAGE]).await;
    let bad = [
        json!({"badge": {"title": "x".repeat(51)}}),
        json!({"badge": {"title": ""}}),
        json!({"badge": {"title": "Ok", "backgroundColor": "red"}}),
        json!({"badge": {"title": "Ok", "icon": 42}}),
        json!({"badge": "not an object"}),
        json!({"badge": {"title": 7}}),
    ];
    for body in bad {
        let reply = app.call(&site, "POST", V3, Some(body.clone())).await;
        assert_eq!(reply.status.as_u16(), 400, "{body}: {}", reply.body);
    }
    app.call(&site, "POST", V3, Some(json!({})))
        .await
        .expect(400, "BADGE_NOT_PROVIDED");
    let reply = app
        .raw(
            "POST",
            V3,
            &[("authorization", &site.key), ("content-type", "application/json")],
            Some(b"{not json".to_vec()),
        )
        .await;
    reply.expect(400, "INVALID_ARGUMENT");
    assert_eq!(list(&app, &site, "").await.ok()["metadata"]["total"], 0);
});

backend_test!(
    update_is_last_writer_wins_and_the_slug_follows_the_title,
    |backend| async move {
        let app = TestApp::new(backend).await;
        let site = app.site(&[MANAGE]).await;
        let before = create(
            &app,
            &site,
            json!({"title": "Old Name", "description": "kept", "icon": "https://x/a.png"}),
        )
        .await;
        let id = before["id"].as_str().unwrap();
        // No revision is needed; a stale one sent by an old client is ignored.
        let reply = app
            .call(
                &site,
                "PATCH",
                &format!("{V3}/{id}"),
                Some(json!({"badge": {"id": id, "title": "New Name", "revision": "1"}})),
            )
            .await;
        let after = reply.ok()["badge"].clone();
        assert_eq!(after["title"], "New Name");
        assert_eq!(after["slug"], "new-name");
        assert_eq!(after["description"], "kept");
        assert_eq!(after["icon"], "https://x/a.png");
        assert_eq!(after["createdDate"], before["createdDate"]);
        let again = app
            .call(
                &site,
                "PATCH",
                &format!("{V3}/{id}"),
                Some(json!({"badge": {"icon": ""}})),
            )
            .await;
        assert!(again.ok()["badge"].get("icon").is_none(), "an empty icon clears it");
        // Every legacy write moves the V4 revision on.
        let v4 = app.call(&site, "GET", &format!("{V4}/{id}"), None).await;
        assert_eq!(v4.ok()["badge"]["revision"], "3");
    }
);

backend_test!(update_errors_leave_the_badge_unchanged, |backend| async move {
    let app = TestApp::new(backend).await;
    let site = app.site(&[MANAGE]).await;
    let reader = Site {
        id: site.id.clone(),
        key: app.key_for(&site.id, &[READ]).await,
    };
    let badge = create(&app, &site, json!({"title": "Guarded"})).await;
    let id = badge["id"].as_str().unwrap();
    let path = format!("{V3}/{id}");
    app.call(&site, "PATCH", &path, Some(json!({"badge": {"title": "t".repeat(51)}})))
        .await
        .expect(400, "INVALID_ARGUMENT");
    app.call(&reader, "PATCH", &path, Some(json!({"badge": {"title": "Mine"}})))
        .await
        .expect(403, "PERMISSION_DENIED");
    app.call(
        &site,
        "PATCH",
        &format!("{V3}/{}", member()),
        Some(json!({"badge": {"title": "Ghost"}})),
    )
    .await
    .expect(404, "NOT_FOUND");
    app.call(
        &site,
        "PATCH",
        &format!("{V3}/not-a-guid"),
        Some(json!({"badge": {"title": "Bad"}})),
    )
    .await
    .expect(400, "INVALID_ARGUMENT");
    assert_eq!(app.call(&site, "GET", &path, None).await.ok()["badge"], badge);
});

backend_test!(
    delete_removes_the_badge_its_holders_and_its_count,
    |backend| async move {
        let app = TestApp::new(backend).await;
        let site = app.site(&[MANAGE]).await;
        let ids = create_titled(&app, &site, &["Doomed", "Kept"]).await;
        let members = vec![member(), member()];
        assign(&app, &site, &ids[0], &members).await.ok();
        assign(&app, &site, &ids[1], &members[..1]).await.ok();
        let reply = app
            .call(&site, "DELETE", &format!("{V3}/{}?id={}", ids[0], ids[0]), None)
            .await;
        assert_eq!(reply.ok(), &json!({}));
        app.call(&site, "GET", &format!("{V3}/{}", ids[0]), None)
            .await
            .expect(404, "NOT_FOUND");
        app.call(&site, "DELETE", &format!("{V3}/{}", ids[0]), None)
            .await
            .expect(404, "NOT_FOUND");
        assert!(v4_holders(&app, &site, &ids[0]).await.is_empty());
        let counts = member_counts(&app, &site).await;
        assert_eq!(counts.len(), 1);
        assert_eq!(counts[&ids[1]], 1);
    }
);

backend_test!(list_pages_in_display_order_with_legacy_limits, |backend| async move {
    let app = TestApp::new(backend).await;
    let site = app.site(&[MANAGE]).await;
    let titles: Vec<String> = (0..105).map(|i| format!("Badge {i:03}")).collect();
    let titles: Vec<&str> = titles.iter().map(String::as_str).collect();
    let created = create_titled(&app, &site, &titles).await;

    // Without paging: the first 100, in display order (creation order until changed).
    let all = list(&app, &site, "").await;
    assert_eq!(ids(&all.ok()["badges"]), created[..100]);
    assert_eq!(
        all.body["metadata"],
        json!({"count": 100, "offset": 0, "total": 105, "tooManyToCount": false})
    );

    let page = list(&app, &site, "?paging.limit=2&paging.offset=103").await;
    assert_eq!(ids(&page.ok()["badges"]), created[103..]);
    assert_eq!(page.body["metadata"]["offset"], 103);
    assert_eq!(page.body["metadata"]["count"], 2);
    assert_eq!(
        ids(&list(&app, &site, "?paging.limit=1000").await.ok()["badges"]).len(),
        105
    );

    for bad in [
        "paging.limit=1001",
        "paging.limit=0",
        "paging.limit=abc",
        "paging.offset=-1",
        "paging.limit=1&paging.limit=2",
    ] {
        let reply = list(&app, &site, &format!("?{bad}")).await;
        reply.expect(400, "INVALID_ARGUMENT");
    }
});

backend_test!(
    display_order_changed_through_either_api_is_seen_by_the_other,
    |backend| async move {
        let app = TestApp::new(backend).await;
        let site = app.site(&[MANAGE]).await;
        let [a, b, c]: [String; 3] = create_titled(&app, &site, &["A", "B", "C"]).await.try_into().unwrap();

        let reply = app
            .call(
                &site,
                "PATCH",
                &format!("{V3}/order"),
                Some(json!({"badgeIds": [c, a]})),
            )
            .await;
        assert_eq!(ids(&reply.ok()["badges"]), [c.clone(), a.clone(), b.clone()]);
        // V4 sees the legacy order: moving B after C puts it between C and A.
        app.call(
            &site,
            "POST",
            &format!("{V4}/{b}/move"),
            Some(json!({"position": "AFTER", "moveAfterBadgeId": c})),
        )
        .await
        .ok();
        assert_eq!(
            ids(&list(&app, &site, "").await.ok()["badges"]),
            [c.clone(), b.clone(), a.clone()]
        );
        // And a V4 reorder shows in the legacy list.
        app.call(&site, "POST", &format!("{V4}/order"), Some(json!({"ids": [a, b]})))
            .await
            .ok();
        assert_eq!(ids(&list(&app, &site, "").await.ok()["badges"]), [a.clone(), b, c]);

        app.call(&site, "PATCH", &format!("{V3}/order"), Some(json!({"badgeIds": []})))
            .await
            .expect(400, "INVALID_ARGUMENT");
        app.call(
            &site,
            "PATCH",
            &format!("{V3}/order"),
            Some(json!({"badgeIds": [member()]})),
        )
        .await
        .expect(404, "NOT_FOUND");
        app.call(
            &site,
            "PATCH",
            &format!("{V3}/order"),
            Some(json!({"badgeIds": [a, a]})),
        )
        .await
        .expect(400, "INVALID_ARGUMENT");
    }
);

backend_test!(query_and_count_use_the_query_language, |backend| async move {
    let app = TestApp::new(backend).await;
    let site = app.site(&[MANAGE]).await;
    create_titled(&app, &site, &["Gold", "Golden Star", "Silver", "Bronze"]).await;

    let reply = app
        .call(
            &site,
            "POST",
            &format!("{V3}/query"),
            Some(json!({
                "filter": {"title": {"$startsWith": "Gold"}},
                "sort": [{"fieldName": "title", "order": "DESC"}],
                "paging": {"limit": 1, "offset": 1}
            })),
        )
        .await;
    let body = reply.ok();
    assert_eq!(body["badges"][0]["title"], "Gold");
    assert_eq!(body["metadata"]["total"], 2);
    assert_eq!(body["metadata"]["count"], 1);
    assert!(body["badges"][0].get("revision").is_none());

    let count = app
        .call(
            &site,
            "POST",
            &format!("{V3}/count"),
            Some(json!({"filter": {"title": {"$in": ["Silver", "Bronze", "Iron"]}}})),
        )
        .await;
    assert_eq!(count.ok(), &json!({"count": "2"}));
    let everything = app.call(&site, "POST", &format!("{V3}/count"), Some(json!({}))).await;
    assert_eq!(everything.ok()["count"], "4");

    for bad in [
        json!({"filter": {"colour": "red"}}),
        json!({"filter": {"title": {"$regex": ".*"}}}),
        json!({"paging": {"limit": 1001}}),
        json!({"filter": {"title": {"$eq": 5}}}),
    ] {
        let reply = app.call(&site, "POST", &format!("{V3}/query"), Some(bad.clone())).await;
        assert_eq!(reply.status.as_u16(), 400, "{bad}: {}", reply.body);
    }
    app.call(
        &site,
        "POST",
        &format!("{V3}/count"),
        Some(json!({"filter": {"nope": 1}})),
    )
    .await
    .expect(400, "INVALID_ARGUMENT");
});

backend_test!(assign_is_idempotent_and_creates_v4_assignments, |backend| async move {
    let app = TestApp::new(backend).await;
    let site = app.site(&[MANAGE]).await;
    let badge = create_titled(&app, &site, &["Bridge"]).await.remove(0);
    let (m1, m2) = (member(), member());

    let first = assign(&app, &site, &badge, &[m1.clone(), m2.clone(), m1.clone()]).await;
    let mut expected = vec![m1.clone(), m2.clone()];
    expected.sort();
    assert_eq!(strings(&first.ok()["memberIds"]), expected);
    let again = assign(&app, &site, &badge, std::slice::from_ref(&m1)).await;
    assert_eq!(strings(&again.ok()["memberIds"]), std::slice::from_ref(&m1));
    assert_eq!(
        v4_holders(&app, &site, &badge).await,
        expected,
        "one row per member, visible to V4"
    );
    assert_eq!(member_counts(&app, &site).await[&badge], 2);

    // A V4 assignment of the same pair is refused: legacy and V4 share the row.
    app.call(
        &site,
        "POST",
        V4_ASSIGNMENTS,
        Some(json!({"badgeAssignment": {"badgeId": badge, "memberId": m2}})),
    )
    .await
    .expect(409, "ALREADY_EXISTS");
});

backend_test!(assign_refuses_bad_input_and_assigns_nothing, |backend| async move {
    let app = TestApp::new(backend).await;
    let site = app.site(&[MANAGE]).await;
    let reader = Site {
        id: site.id.clone(),
        key: app.key_for(&site.id, &[READ]).await,
    };
    let badge = create_titled(&app, &site, &["Closed"]).await.remove(0);
    assign(&app, &site, &member(), &[member()])
        .await
        .expect(404, "NOT_FOUND");
    assign(&app, &site, &badge, &[member(), "nope".into()])
        .await
        .expect(400, "INVALID_ARGUMENT");
    assign(&app, &site, &badge, &[]).await.expect(400, "INVALID_ARGUMENT");
    let many: Vec<String> = (0..1001).map(|_| member()).collect();
    assign(&app, &site, &badge, &many).await.expect(400, "INVALID_ARGUMENT");
    assign(&app, &reader, &badge, &[member()])
        .await
        .expect(403, "PERMISSION_DENIED");
    assign(&app, &site, "not-a-guid", &[member()])
        .await
        .expect(400, "INVALID_ARGUMENT");
    assert!(v4_holders(&app, &site, &badge).await.is_empty());
});

backend_test!(assign_several_badges_to_one_member, |backend| async move {
    let app = TestApp::new(backend).await;
    let site = app.site(&[MANAGE]).await;
    let badges = create_titled(&app, &site, &["One", "Two", "Three"]).await;
    let m = member();
    assign(&app, &site, &badges[0], std::slice::from_ref(&m)).await.ok();
    let reply = app
        .call(
            &site,
            "POST",
            &format!("{V3}/assign"),
            Some(json!({"ids": badges, "memberId": m})),
        )
        .await;
    assert_eq!(strings(&reply.ok()["ids"]), {
        let mut newly = badges[1..].to_vec();
        newly.sort();
        newly
    });
    // An unknown badge in the list assigns none of them.
    let other = member();
    let reply = app
        .call(
            &site,
            "POST",
            &format!("{V3}/assign"),
            Some(json!({"ids": [badges[0], member()], "memberId": other})),
        )
        .await;
    reply.expect(404, "NOT_FOUND");
    assert!(!v4_holders(&app, &site, &badges[0]).await.contains(&other));
    app.call(&site, "POST", &format!("{V3}/assign"), Some(json!({"ids": badges})))
        .await
        .expect(400, "INVALID_ARGUMENT");
});

backend_test!(unassign_removes_only_the_given_members, |backend| async move {
    let app = TestApp::new(backend).await;
    let site = app.site(&[MANAGE]).await;
    let badge = create_titled(&app, &site, &["Removable"]).await.remove(0);
    let members = vec![member(), member(), member()];
    assign(&app, &site, &badge, &members).await.ok();

    let reply = unassign(&app, &site, &badge, &[members[0].clone(), members[2].clone(), member()]).await;
    assert_eq!(reply.ok(), &json!({}));
    assert_eq!(v4_holders(&app, &site, &badge).await, [members[1].clone()]);
    assert_eq!(member_counts(&app, &site).await[&badge], 1);

    unassign(&app, &site, &badge, &[]).await.expect(400, "INVALID_ARGUMENT");
    unassign(&app, &site, &badge, &["x'; DROP TABLE badges; --".into()])
        .await
        .expect(400, "INVALID_ARGUMENT");
    unassign(&app, &site, &member(), &[members[1].clone()])
        .await
        .expect(404, "NOT_FOUND");
    assert_eq!(v4_holders(&app, &site, &badge).await, [members[1].clone()]);
});

backend_test!(assign_and_unassign_take_a_thousand_members, |backend| async move {
    let app = TestApp::new(backend).await;
    let site = app.site(&[MANAGE]).await;
    let badge = create_titled(&app, &site, &["Crowd"]).await.remove(0);
    let thousand: Vec<String> = (0..1000).map(|_| member()).collect();
    let reply = assign(&app, &site, &badge, &thousand).await;
    assert_eq!(reply.ok()["memberIds"].as_array().unwrap().len(), 1000);
    assert_eq!(member_counts(&app, &site).await[&badge], 1000);

    let mut too_many = thousand.clone();
    too_many.push(member());
    assign(&app, &site, &badge, &too_many)
        .await
        .expect(400, "INVALID_ARGUMENT");
    unassign(&app, &site, &badge, &too_many)
        .await
        .expect(400, "INVALID_ARGUMENT");
    assert_eq!(member_counts(&app, &site).await[&badge], 1000);

    assert_eq!(unassign(&app, &site, &badge, &thousand).await.ok(), &json!({}));
    assert_eq!(member_counts(&app, &site).await[&badge], 0);
});

backend_test!(members_of_a_badge_page_with_legacy_paging, |backend| async move {
    let app = TestApp::new(backend).await;
    let site = app.site(&[MANAGE]).await;
    let badge = create_titled(&app, &site, &["Crowd"]).await.remove(0);
    let members: Vec<String> = (0..5).map(|_| member()).collect();
    assign(&app, &site, &badge, &members).await.ok();

    let mut seen = Vec::new();
    for offset in [0, 2, 4] {
        let reply = app
            .call(
                &site,
                "GET",
                &format!("{V3}/{badge}/members?id={badge}&paging.limit=2&paging.offset={offset}"),
                None,
            )
            .await;
        let body = reply.ok();
        assert_eq!(body["metadata"]["total"], 5);
        assert_eq!(body["metadata"]["offset"], offset);
        let page = body["memberIds"].as_array().unwrap().clone();
        assert_eq!(body["metadata"]["count"], page.len());
        seen.extend(page.iter().map(|m| m.as_str().unwrap().to_owned()));
    }
    let mut expected = members.clone();
    expected.sort();
    seen.sort();
    assert_eq!(seen, expected, "pages visit every holder once");

    app.call(&site, "GET", &format!("{V3}/{}/members", member()), None)
        .await
        .expect(404, "NOT_FOUND");
    app.call(&site, "GET", &format!("{V3}/{badge}/members?paging.limit=5000"), None)
        .await
        .expect(400, "INVALID_ARGUMENT");
});

backend_test!(badges_per_member_and_counts, |backend| async move {
    let app = TestApp::new(backend).await;
    let site = app.site(&[MANAGE]).await;
    let [b1, b2, b3]: [String; 3] = create_titled(&app, &site, &["B1", "B2", "B3"])
        .await
        .try_into()
        .unwrap();
    let (m1, m2, nobody) = (member(), member(), member());
    // m1 gets B3, then B2, then B1: newest first would be B1, B2, B3.
    assign(&app, &site, &b3, std::slice::from_ref(&m1)).await.ok();
    assign(&app, &site, &b2, std::slice::from_ref(&m1)).await.ok();
    assign(&app, &site, &b1, &[m1.clone(), m2.clone()]).await.ok();
    app.call(
        &site,
        "PATCH",
        &format!("{V3}/order"),
        Some(json!({"badgeIds": [b2, b3, b1]})),
    )
    .await
    .ok();

    let reply = app
        .call(
            &site,
            "POST",
            &format!("{V3}/members"),
            Some(json!({"memberIds": [m1, m2, nobody]})),
        )
        .await;
    let entries = reply.ok()["memberBadgeIds"].as_array().unwrap().clone();
    assert_eq!(entries.len(), 3);
    assert_eq!(entries[0]["memberId"], m1.as_str());
    // Each member's badges come in the site's display order.
    assert_eq!(entries[0]["badgeIds"], json!([b2, b3, b1]));
    assert_eq!(entries[1]["badgeIds"], json!([b1]));
    assert_eq!(entries[2]["badgeIds"], json!([]));

    let counts = member_counts(&app, &site).await;
    assert_eq!((counts[&b1], counts[&b2], counts[&b3]), (2, 1, 1));

    for bad in [json!({"memberIds": []}), json!({}), json!({"memberIds": ["nope"]})] {
        app.call(&site, "POST", &format!("{V3}/members"), Some(bad))
            .await
            .expect(400, "INVALID_ARGUMENT");
    }
    let many: Vec<String> = (0..101).map(|_| member()).collect();
    app.call(
        &site,
        "POST",
        &format!("{V3}/members"),
        Some(json!({"memberIds": many})),
    )
    .await
    .expect(400, "INVALID_ARGUMENT");
});

backend_test!(cross_api_create_delete_and_assign, |backend| async move {
    let app = TestApp::new(backend).await;
    let site = app.site(&[MANAGE]).await;
    // V4 → legacy: the Image object reads back as its URL.
    let v4 = app
        .create_badge(
            &site,
            json!({"title": "From V4", "icon": {"url": "https://x/i.png"}, "permissionsEnabled": true}),
        )
        .await;
    let id = v4["id"].as_str().unwrap();
    let legacy = app.call(&site, "GET", &format!("{V3}/{id}"), None).await.ok()["badge"].clone();
    assert_eq!(legacy["icon"], "https://x/i.png");
    assert_eq!(legacy["slug"], v4["slug"]);
    assert_eq!(legacy["permissionsEnabled"], true);
    // Legacy → V4: revision 1 and the icon as an Image.
    let made = create(&app, &site, json!({"title": "From V3", "icon": "https://x/j.png"})).await;
    let made_id = made["id"].as_str().unwrap();
    let seen = app.call(&site, "GET", &format!("{V4}/{made_id}"), None).await.ok()["badge"].clone();
    assert_eq!(seen["revision"], "1");
    assert_eq!(seen["icon"]["url"], "https://x/j.png");

    // A member assigned through V4 shows in the legacy lists; a V4 delete removes it everywhere.
    let m = member();
    app.call(
        &site,
        "POST",
        V4_ASSIGNMENTS,
        Some(json!({"badgeAssignment": {"badgeId": id, "memberId": m}})),
    )
    .await
    .ok();
    let holders = app.call(&site, "GET", &format!("{V3}/{id}/members"), None).await;
    assert_eq!(holders.ok()["memberIds"], json!([m]));
    app.call(&site, "DELETE", &format!("{V4}/{id}"), None).await.ok();
    assert_eq!(ids(&list(&app, &site, "").await.ok()["badges"]), [made_id.to_owned()]);
    assert!(!member_counts(&app, &site).await.contains_key(id));
    let per = app
        .call(&site, "POST", &format!("{V3}/members"), Some(json!({"memberIds": [m]})))
        .await;
    assert_eq!(per.ok()["memberBadgeIds"][0]["badgeIds"], json!([]));
});

backend_test!(sites_never_see_each_others_legacy_data, |backend| async move {
    let app = TestApp::new(backend).await;
    let a = app.site(&[MANAGE]).await;
    let b = app.site(&[MANAGE]).await;
    let badge = create_titled(&app, &a, &["A only"]).await.remove(0);
    let m = member();
    assign(&app, &a, &badge, std::slice::from_ref(&m)).await.ok();

    app.call(&b, "GET", &format!("{V3}/{badge}"), None)
        .await
        .expect(404, "NOT_FOUND");
    assign(&app, &b, &badge, &[member()]).await.expect(404, "NOT_FOUND");
    unassign(&app, &b, &badge, std::slice::from_ref(&m))
        .await
        .expect(404, "NOT_FOUND");
    app.call(&b, "GET", &format!("{V3}/{badge}/members"), None)
        .await
        .expect(404, "NOT_FOUND");
    app.call(
        &b,
        "PATCH",
        &format!("{V3}/{badge}"),
        Some(json!({"badge": {"title": "Mine"}})),
    )
    .await
    .expect(404, "NOT_FOUND");
    app.call(&b, "DELETE", &format!("{V3}/{badge}"), None)
        .await
        .expect(404, "NOT_FOUND");
    app.call(&b, "PATCH", &format!("{V3}/order"), Some(json!({"badgeIds": [badge]})))
        .await
        .expect(404, "NOT_FOUND");
    assert_eq!(list(&app, &b, "").await.ok()["metadata"]["total"], 0);
    assert!(member_counts(&app, &b).await.is_empty());
    let per = app
        .call(&b, "POST", &format!("{V3}/members"), Some(json!({"memberIds": [m]})))
        .await;
    assert_eq!(per.ok()["memberBadgeIds"][0]["badgeIds"], json!([]));
    assert_eq!(v4_holders(&app, &a, &badge).await, [m]);
});

backend_test!(member_counts_stay_exact_under_random_operations, |backend| async move {
    let app = TestApp::new(backend).await;
    let site = app.site(&[MANAGE]).await;
    let seed: u64 = rand::random();
    let mut rng = StdRng::seed_from_u64(seed);
    let mut badges = create_titled(&app, &site, &["R1", "R2", "R3", "R4"]).await;
    let members: Vec<String> = (0..8).map(|_| member()).collect();
    let pick = |rng: &mut StdRng, n: usize| -> Vec<String> {
        (0..rng.gen_range(1..=n))
            .map(|_| members[rng.gen_range(0..members.len())].clone())
            .collect()
    };

    for step in 0..60 {
        let badge = badges[rng.gen_range(0..badges.len())].clone();
        match rng.gen_range(0..10) {
            0..=3 => {
                assign(&app, &site, &badge, &pick(&mut rng, 4)).await.ok();
            }
            4..=5 => {
                unassign(&app, &site, &badge, &pick(&mut rng, 4)).await.ok();
            }
            6 => {
                let m = &members[rng.gen_range(0..members.len())];
                let reply = app
                    .call(
                        &site,
                        "POST",
                        V4_ASSIGNMENTS,
                        Some(json!({"badgeAssignment": {"badgeId": badge, "memberId": m}})),
                    )
                    .await;
                assert!(matches!(reply.status.as_u16(), 200 | 409), "{}", reply.body);
            }
            7 => {
                let reply = app
                    .call(
                        &site,
                        "POST",
                        &format!("{V4_ASSIGNMENTS}/query"),
                        Some(json!({"query": {"filter": {"badgeId": badge}, "cursorPaging": {"limit": 1}}})),
                    )
                    .await;
                if let Some(a) = reply.ok()["badgeAssignments"].as_array().unwrap().first() {
                    let id = a["id"].as_str().unwrap();
                    app.call(&site, "DELETE", &format!("{V4_ASSIGNMENTS}/{id}"), None)
                        .await
                        .ok();
                }
            }
            8 if badges.len() > 1 => {
                app.call(&site, "DELETE", &format!("{V3}/{badge}"), None).await.ok();
                badges.retain(|b| *b != badge);
                let fresh = format!("R{}", step + 10);
                badges.extend(create_titled(&app, &site, &[fresh.as_str()]).await);
            }
            _ => {
                app.call(
                    &site,
                    "POST",
                    &format!("{V3}/assign"),
                    Some(json!({"ids": [badge], "memberId": members[0]})),
                )
                .await
                .ok();
            }
        }
        let counts = member_counts(&app, &site).await;
        assert_eq!(counts.len(), badges.len(), "seed {seed}, step {step}");
        for b in &badges {
            let holders = v4_holders(&app, &site, b).await.len() as i64;
            assert_eq!(counts[b], holders, "seed {seed}, step {step}: count of {b}");
        }
    }
});
