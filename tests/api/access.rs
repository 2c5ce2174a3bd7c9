//! The access check (`POST /insignia/v1/access/check`) and the pages a
//! member may open, through the real router on both backends.

use serde_json::{json, Value};

use crate::backend_test;
use crate::helpers::{Site, TestApp, MANAGE};
use crate::pages::{badge, protect};

const CHECK: &str = "/insignia/v1/access/check";

fn member() -> String {
    uuid::Uuid::new_v4().to_string()
}

async fn assign(app: &TestApp, site: &Site, badge: &str, member: &str) -> String {
    let reply = app
        .call(
            site,
            "POST",
            "/badges/v4/badge-assignments",
            Some(json!({"badgeAssignment": {"badgeId": badge, "memberId": member}})),
        )
        .await;
    reply.ok()["badgeAssignment"]["id"].as_str().unwrap().to_owned()
}

async fn check(app: &TestApp, site: &Site, member: &str, pages: &[&str]) -> Vec<Value> {
    let reply = app
        .call(site, "POST", CHECK, Some(json!({"memberId": member, "pages": pages})))
        .await;
    reply.ok()["results"].as_array().unwrap().clone()
}

async fn allowed(app: &TestApp, site: &Site, member: &str, page: &str) -> bool {
    check(app, site, member, &[page]).await[0]["allowed"].as_bool().unwrap()
}

backend_test!(every_reason_with_the_badges_that_explain_it, |backend| async move {
    let app = TestApp::new(backend).await;
    let site = app.site(&[MANAGE]).await;
    let staff = badge(&app, &site, "Staff", true).await;
    let mentor = badge(&app, &site, "Mentor", true).await;
    let frozen = badge(&app, &site, "Frozen", false).await;
    let page = protect(&app, &site, "/staff", &[&staff, &frozen, &mentor]).await;
    let holder = member();
    assign(&app, &site, &staff, &holder).await;
    let frozen_holder = member();
    assign(&app, &site, &frozen, &frozen_holder).await;
    let nobody = member();

    let results = check(&app, &site, &holder, &["/staff/rota", "/public", "/staff"]).await;
    assert_eq!(results.len(), 3, "one result per page, in order");
    let granted = &results[0];
    assert_eq!(granted["page"], "/staff/rota");
    assert_eq!(granted["path"], "/staff/rota");
    assert_eq!(granted["allowed"], true);
    assert_eq!(granted["reason"], "HOLDS_GRANTING_BADGE");
    assert_eq!(granted["grantedBy"], json!([staff]));
    assert_eq!(
        granted["wouldGrant"],
        json!([staff, mentor]),
        "enabled badges of the page"
    );
    assert_eq!(granted["protectedBy"], json!({"id": page["id"], "path": "/staff"}));
    let open = &results[1];
    assert_eq!(
        (open["allowed"].clone(), open["reason"].clone()),
        (json!(true), json!("NOT_PROTECTED"))
    );
    assert_eq!(open["grantedBy"], json!([]));
    assert!(open.get("protectedBy").is_none());
    assert_eq!(results[2]["reason"], "HOLDS_GRANTING_BADGE");

    let refused = &check(&app, &site, &nobody, &["/staff"]).await[0];
    assert_eq!(
        (refused["allowed"].clone(), refused["reason"].clone()),
        (json!(false), json!("NO_GRANTING_BADGE"))
    );
    assert_eq!(refused["grantedBy"], json!([]));
    assert_eq!(
        refused["wouldGrant"],
        json!([staff, mentor]),
        "what would let this member in"
    );

    let disabled = &check(&app, &site, &frozen_holder, &["/staff"]).await[0];
    assert_eq!(disabled["allowed"], false);
    assert_eq!(disabled["reason"], "PERMISSIONS_DISABLED");
    assert_eq!(disabled["heldWithoutPermissions"], json!([frozen]));

    // A page asked by id is decided by its own rules.
    let id = page["id"].as_str().unwrap();
    let by_id = &check(&app, &site, &holder, &[id]).await[0];
    assert_eq!(
        (by_id["page"].as_str(), by_id["path"].as_str()),
        (Some(id), Some("/staff"))
    );
    assert_eq!(by_id["allowed"], true);
    // A page with no badges is closed to everyone.
    protect(&app, &site, "/locked", &[]).await;
    let locked = &check(&app, &site, &holder, &["/locked/room"]).await[0];
    assert_eq!(
        (locked["allowed"].clone(), locked["reason"].clone()),
        (json!(false), json!("NO_GRANTING_BADGE"))
    );
});

backend_test!(
    paths_match_on_whole_segments_and_the_longest_decides,
    |backend| async move {
        let app = TestApp::new(backend).await;
        let site = app.site(&[MANAGE]).await;
        let staff = badge(&app, &site, "Staff", true).await;
        let senior = badge(&app, &site, "Senior", true).await;
        protect(&app, &site, "/staff", &[&staff]).await;
        protect(&app, &site, "/staff/payroll", &[&senior]).await;
        let m = member();
        assign(&app, &site, &staff, &m).await;
        for (url, expected) in [
            ("/staff", true),
            ("/staff/", true),
            ("/staff/rota/week-1", true),
            ("//staff//rota", true),
            ("/public/../staff", true),
            ("/%73taff", true),
            ("/staffroom", true),
            ("/Staff", true),
            ("/staff/payroll", false),
            ("/staff/payroll/2024", false),
            ("/staff/./payroll", false),
            ("/staff/payrollx", true),
        ] {
            let result = &check(&app, &site, &m, &[url]).await[0];
            assert_eq!(result["allowed"], expected, "{url}: {result}");
        }
        let staffroom = &check(&app, &site, &m, &["/staffroom"]).await[0];
        assert_eq!(staffroom["reason"], "NOT_PROTECTED", "/staff does not cover /staffroom");
        let payroll = &check(&app, &site, &m, &["/staff/payroll/x"]).await[0];
        assert_eq!(payroll["protectedBy"]["path"], "/staff/payroll");
        assert_eq!(payroll["wouldGrant"], json!([senior]));
        // `/` protects the whole site; longer paths still decide for themselves.
        protect(&app, &site, "/", &[&senior]).await;
        let outside = &check(&app, &site, &m, &["/public"]).await[0];
        assert_eq!(
            (outside["allowed"].clone(), outside["protectedBy"]["path"].clone()),
            (json!(false), json!("/"))
        );
        assert!(allowed(&app, &site, &m, "/staff/rota").await);
    }
);

backend_test!(permissions_switched_off_and_on, |backend| async move {
    let app = TestApp::new(backend).await;
    let site = app.site(&[MANAGE]).await;
    let vip = badge(&app, &site, "VIP", true).await;
    protect(&app, &site, "/lounge", &[&vip]).await;
    let m = member();
    assign(&app, &site, &vip, &m).await;
    assert!(allowed(&app, &site, &m, "/lounge").await);

    // Off through V4 (with the revision)…
    let path = format!("/badges/v4/badges/{vip}");
    let current = app.call(&site, "GET", &path, None).await.ok()["badge"]["revision"].clone();
    app.call(
        &site,
        "PATCH",
        &path,
        Some(json!({"badge": {"revision": current, "permissionsEnabled": false}})),
    )
    .await
    .ok();
    let off = &check(&app, &site, &m, &["/lounge"]).await[0];
    assert_eq!(
        (off["allowed"].clone(), off["reason"].clone()),
        (json!(false), json!("PERMISSIONS_DISABLED"))
    );
    assert_eq!(off["wouldGrant"], json!([]));
    let pages = app
        .call(&site, "GET", &format!("/insignia/v1/members/{m}/pages"), None)
        .await;
    assert!(pages.ok()["pages"].as_array().unwrap().is_empty());
    // …on through the older API…
    app.call(
        &site,
        "PATCH",
        &format!("/members/v3/badges/{vip}"),
        Some(json!({"badge": {"permissionsEnabled": true}})),
    )
    .await
    .ok();
    assert!(allowed(&app, &site, &m, "/lounge").await);
    // …and off again through the older API.
    app.call(
        &site,
        "PATCH",
        &format!("/members/v3/badges/{vip}"),
        Some(json!({"badge": {"permissionsEnabled": false}})),
    )
    .await
    .ok();
    assert!(!allowed(&app, &site, &m, "/lounge").await);
});

backend_test!(the_next_check_after_a_change_sees_it, |backend| async move {
    let app = TestApp::new(backend).await;
    let site = app.site(&[MANAGE]).await;
    let gold = badge(&app, &site, "Gold", true).await;
    let m = member();
    // Cached as "not protected", then protected: the next check knows.
    assert!(allowed(&app, &site, &m, "/gold").await);
    let page = protect(&app, &site, "/gold", &[&gold]).await;
    assert!(!allowed(&app, &site, &m, "/gold").await);
    // Cached as "holds nothing", then assigned.
    let assignment = assign(&app, &site, &gold, &m).await;
    assert!(allowed(&app, &site, &m, "/gold").await);
    // Unassigned (V4): the very next check says no.
    app.call(
        &site,
        "DELETE",
        &format!("/badges/v4/badge-assignments/{assignment}"),
        None,
    )
    .await
    .ok();
    assert!(!allowed(&app, &site, &m, "/gold").await);
    // Bulk create and bulk delete.
    let bulk = app
        .call(
            &site,
            "POST",
            "/badges/v4/bulk/badge-assignments/create",
            Some(json!({"badgeAssignments": [{"badgeId": gold, "memberId": m}]})),
        )
        .await;
    let id = bulk.ok()["results"][0]["itemMetadata"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(allowed(&app, &site, &m, "/gold").await);
    app.call(
        &site,
        "POST",
        "/badges/v4/bulk/badge-assignments/delete",
        Some(json!({"badgeAssignmentIds": [id]})),
    )
    .await
    .ok();
    assert!(!allowed(&app, &site, &m, "/gold").await);
    // The older API's assign and unassign.
    app.call(
        &site,
        "POST",
        &format!("/members/v3/badges/{gold}/members"),
        Some(json!({"memberIds": [m]})),
    )
    .await
    .ok();
    assert!(allowed(&app, &site, &m, "/gold").await);
    app.call(
        &site,
        "DELETE",
        &format!("/members/v3/badges/{gold}/members?memberIds={m}"),
        None,
    )
    .await
    .ok();
    assert!(!allowed(&app, &site, &m, "/gold").await);
    // The page's badges change, then the page goes.
    let silver = badge(&app, &site, "Silver", true).await;
    assign(&app, &site, &silver, &m).await;
    assert!(!allowed(&app, &site, &m, "/gold").await);
    let one = format!("/insignia/v1/pages/{}", page["id"].as_str().unwrap());
    app.call(
        &site,
        "PATCH",
        &one,
        Some(json!({"page": {"revision": "1", "badgeIds": [silver]}})),
    )
    .await
    .ok();
    assert!(allowed(&app, &site, &m, "/gold").await);
    app.call(&site, "DELETE", &one, None).await.ok();
    let gone = &check(&app, &site, &m, &["/gold"]).await[0];
    assert_eq!(gone["reason"], "NOT_PROTECTED");
});

backend_test!(the_pages_a_member_may_open, |backend| async move {
    let app = TestApp::new(backend).await;
    let site = app.site(&[MANAGE]).await;
    let staff = badge(&app, &site, "Staff", true).await;
    let senior = badge(&app, &site, "Senior", true).await;
    let frozen = badge(&app, &site, "Frozen", false).await;
    protect(&app, &site, "/staff", &[&staff]).await;
    protect(&app, &site, "/staff/payroll", &[&senior]).await;
    protect(&app, &site, "/archive", &[&frozen, &staff]).await;
    protect(&app, &site, "/frozen", &[&frozen]).await;
    let m = member();
    assign(&app, &site, &staff, &m).await;
    assign(&app, &site, &frozen, &m).await;
    let reply = app
        .call(&site, "GET", &format!("/insignia/v1/members/{m}/pages"), None)
        .await;
    let paths: Vec<&str> = reply.ok()["pages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["path"].as_str().unwrap())
        .collect();
    assert_eq!(paths, ["/archive", "/staff"]);
    assert_eq!(reply.body["pagingMetadata"]["total"], 2);
    let second = app
        .call(
            &site,
            "GET",
            &format!("/insignia/v1/members/{m}/pages?paging.limit=1&paging.offset=1"),
            None,
        )
        .await;
    assert_eq!(second.ok()["pages"][0]["path"], "/staff");
    let stranger = app
        .call(&site, "GET", &format!("/insignia/v1/members/{}/pages", member()), None)
        .await;
    assert!(stranger.ok()["pages"].as_array().unwrap().is_empty());
    app.call(&site, "GET", "/insignia/v1/members/nope/pages", None)
        .await
        .expect(400, "INVALID_ARGUMENT");
});

backend_test!(bad_checks_are_refused, |backend| async move {
    let app = TestApp::new(backend).await;
    let site = app.site(&[MANAGE]).await;
    let m = member();
    let too_many: Vec<String> = (0..101).map(|i| format!("/p{i}")).collect();
    for (body, field) in [
        (json!({"pages": ["/x"]}), "memberId"),
        (json!({"memberId": "nope", "pages": ["/x"]}), "memberId"),
        (json!({"memberId": m}), "pages"),
        (json!({"memberId": m, "pages": []}), "pages"),
        (json!({"memberId": m, "pages": too_many}), "pages"),
        (json!({"memberId": m, "pages": "/x"}), "pages"),
        (json!({"memberId": m, "pages": [7]}), "pages[0]"),
        (json!({"memberId": m, "pages": ["/ok", "staff"]}), "pages[1]"),
        (json!({"memberId": m, "pages": ["/a?b=c"]}), "pages[0]"),
        (json!({"memberId": m, "pages": ["/a%2Fb"]}), "pages[0]"),
        (json!({"memberId": m, "pages": ["/../etc"]}), "pages[0]"),
        (json!({"memberId": m, "pages": ["/x"], "extra": 1}), "extra"),
    ] {
        let reply = app.call(&site, "POST", CHECK, Some(body.clone())).await;
        reply.expect(400, "INVALID_ARGUMENT");
        assert!(
            reply.violated_fields().contains(&field.to_owned()),
            "{body}: {}",
            reply.body
        );
    }
    let hundred: Vec<String> = (0..100).map(|i| format!("/p{i}")).collect();
    let reply = app
        .call(&site, "POST", CHECK, Some(json!({"memberId": m, "pages": hundred})))
        .await;
    assert_eq!(reply.ok()["results"].as_array().unwrap().len(), 100);
    let ghost = uuid::Uuid::new_v4().to_string();
    let reply = app
        .call(&site, "POST", CHECK, Some(json!({"memberId": m, "pages": [ghost]})))
        .await;
    reply.expect(404, "NOT_FOUND");
    let auth = [("authorization", site.key.as_str()), ("wix-site-id", site.id.as_str())];
    app.raw("POST", CHECK, &auth, Some(b"{oops".to_vec()))
        .await
        .expect(400, "INVALID_ARGUMENT");
    app.raw("GET", CHECK, &auth, None)
        .await
        .expect(405, "METHOD_NOT_ALLOWED");
});
