//! Front-end identities through the real router on both backends: the token
//! endpoint, what visitor and member tokens may read, refused tokens,
//! `authorized_client`, delegated assignment and the forward-auth gate.

use serde_json::{json, Value};

use crate::backend_test;
use crate::helpers::{Reply, Site, TestApp, MANAGE, READ};
use crate::pages::{badge, protect};
use insignia::api::{router, AppState};
use insignia::domain::{SiteId, Timestamp};
use insignia::service::auth::TokenSettings;
use insignia::service::tokens::{now_seconds, AccessClaims, Subject, TokenSigner};
use insignia::service::{CacheSettings, Services};
use insignia::store::{OAuthClientRecord, Store};

const TOKEN: &str = "/oauth2/token";

fn guid() -> String {
    uuid::Uuid::new_v4().to_string()
}

/// A front-end client of `site`.
pub async fn client(app: &TestApp, site: &Site) -> String {
    let id = guid();
    app.db
        .store
        .insert_oauth_client(&OAuthClientRecord {
            id: id.clone(),
            site_id: SiteId::parse("site", &site.id).unwrap(),
            origins: vec!["https://shop.example".into()],
            created_at: Timestamp::now(),
            revoked_at: None,
        })
        .await
        .unwrap();
    id
}

async fn token_call(app: &TestApp, headers: &[(&str, &str)], body: Value) -> Reply {
    app.raw("POST", TOKEN, headers, Some(body.to_string().into_bytes()))
        .await
}

/// `(access, refresh)` of a new visitor.
async fn visitor(app: &TestApp, client: &str) -> (String, String) {
    let reply = token_call(app, &[], json!({"clientId": client, "grantType": "anonymous"})).await;
    let body = reply.ok();
    assert_eq!(body["token_type"], "Bearer");
    assert!(body["expires_in"].as_u64().unwrap() > 0);
    (
        body["access_token"].as_str().unwrap().to_owned(),
        body["refresh_token"].as_str().unwrap().to_owned(),
    )
}

/// `(access, refresh)` of `member`, vouched for by the site's manage key.
pub async fn member_tokens(app: &TestApp, site: &Site, client: &str, member: &str) -> (String, String) {
    let (visitor_token, _) = visitor(app, client).await;
    let authorization = format!("{visitor_token},{}", site.key);
    let reply = token_call(
        app,
        &[("authorization", &authorization)],
        json!({"grant_type": "authorized_client", "scope": "offline_access", "member_id": member}),
    )
    .await;
    let body = reply.ok();
    (
        body["access_token"].as_str().unwrap().to_owned(),
        body["refresh_token"].as_str().unwrap().to_owned(),
    )
}

/// A call with a front-end token, as the SDK makes it (no `wix-site-id`).
async fn as_browser(app: &TestApp, token: &str, method: &str, path: &str, body: Option<Value>) -> Reply {
    app.raw(
        method,
        path,
        &[("authorization", token)],
        body.map(|b| b.to_string().into_bytes()),
    )
    .await
}

async fn assign(app: &TestApp, site: &Site, badge: &str, member: &str) -> String {
    let reply = app
        .call(
            site,
            "POST",
            "/badges/v4/badge-assignments",
            Some(json!({"badgeAssignment": {"badgeId": badge, "memberId": member,
                "tags": {"tags": {"tagIds": ["public"]}, "privateTags": {"tagIds": ["secret"]}}}})),
        )
        .await;
    reply.ok()["badgeAssignment"]["id"].as_str().unwrap().to_owned()
}

async fn assignment_count(app: &TestApp, site: &Site) -> usize {
    let reply = app
        .call(
            site,
            "POST",
            "/badges/v4/badge-assignments/query",
            Some(json!({"query": {}})),
        )
        .await;
    reply.ok()["badgeAssignments"].as_array().unwrap().len()
}

async fn badge_count(app: &TestApp, site: &Site) -> usize {
    let reply = app
        .call(site, "POST", "/badges/v4/badges/query", Some(json!({"query": {}})))
        .await;
    reply.ok()["badges"].as_array().unwrap().len()
}

backend_test!(
    visitors_read_public_data_and_refresh_without_rotation,
    |backend| async move {
        let app = TestApp::new(backend).await;
        let site = app.site(&[MANAGE]).await;
        let staff = badge(&app, &site, "Staff", true).await;
        let holder = guid();
        assign(&app, &site, &staff, &holder).await;
        let client = client(&app, &site).await;
        let (access, refresh) = visitor(&app, &client).await;
        assert!(access.starts_with("IAT."), "{access}");

        let badges = as_browser(
            &app,
            &access,
            "POST",
            "/badges/v4/badges/query",
            Some(json!({"query": {}})),
        )
        .await;
        assert_eq!(badges.ok()["badges"][0]["id"], staff);
        let one = as_browser(&app, &access, "GET", &format!("/badges/v4/badges/{staff}"), None).await;
        assert_eq!(one.ok()["badge"]["title"], "Staff");
        let query = json!({"query": {"filter": {"memberId": holder}}});
        let held = as_browser(&app, &access, "POST", "/badges/v4/badge-assignments/query", Some(query)).await;
        let tags = &held.ok()["badgeAssignments"][0]["tags"];
        assert_eq!(tags["tags"]["tagIds"], json!(["public"]));
        assert_eq!(
            tags["privateTags"]["tagIds"],
            json!([]),
            "privateTags are the site's own"
        );
        let by_private = json!({"query": {"filter": {"tags.privateTags.tagIds": {"$hasSome": ["secret"]}}}});
        as_browser(
            &app,
            &access,
            "POST",
            "/badges/v4/badge-assignments/query",
            Some(by_private),
        )
        .await
        .expect(403, "PERMISSION_DENIED");
        let legacy = as_browser(
            &app,
            &access,
            "POST",
            "/_api/members/v3/badges/members",
            Some(json!({"memberIds": [holder]})),
        )
        .await;
        assert_eq!(legacy.ok()["memberBadgeIds"][0]["badgeIds"], json!([staff]));

        // Refresh, form-encoded and snake_case: a new access token, the same refresh token.
        let form = format!("grant_type=refresh_token&client_id={client}&refresh_token={refresh}");
        let renewed = app
            .raw(
                "POST",
                TOKEN,
                &[("content-type", "application/x-www-form-urlencoded")],
                Some(form.into_bytes()),
            )
            .await;
        let renewed = renewed.ok();
        assert_eq!(
            renewed["refresh_token"],
            refresh.as_str(),
            "refresh tokens never rotate"
        );
        let again = renewed["access_token"].as_str().unwrap();
        as_browser(
            &app,
            again,
            "POST",
            "/badges/v4/badges/query",
            Some(json!({"query": {}})),
        )
        .await
        .ok();

        // Unknown clients and grants are refused in the Wix shape.
        token_call(&app, &[], json!({"clientId": guid(), "grantType": "anonymous"}))
            .await
            .expect(400, "INVALID_CLIENT");
        token_call(
            &app,
            &[],
            json!({"clientId": client, "grantType": "refresh_token", "refreshToken": "IRT.nope"}),
        )
        .await
        .expect(400, "INVALID_GRANT");
        token_call(&app, &[], json!({"clientId": client, "grantType": "password"}))
            .await
            .expect(400, "INVALID_GRANT");
    }
);

backend_test!(visitors_and_members_write_nothing_else, |backend| async move {
    let app = TestApp::new(backend).await;
    let site = app.site(&[MANAGE]).await;
    let staff = badge(&app, &site, "Staff", true).await;
    let member = guid();
    let assignment = assign(&app, &site, &staff, &member).await;
    let client = client(&app, &site).await;
    let (visitor_token, _) = visitor(&app, &client).await;
    let (member_token, _) = member_tokens(&app, &site, &client, &member).await;
    let before = (badge_count(&app, &site).await, assignment_count(&app, &site).await);

    for token in [&visitor_token, &member_token] {
        let writes: Vec<(&str, String, Option<Value>)> = vec![
            (
                "POST",
                "/badges/v4/badges".into(),
                Some(json!({"badge": {"title": "Mine", "backgroundColor": "#000000", "textColor": "#FFFFFF"}})),
            ),
            (
                "PATCH",
                format!("/badges/v4/badges/{staff}"),
                Some(json!({"badge": {"title": "Renamed", "revision": "1"}})),
            ),
            ("DELETE", format!("/badges/v4/badges/{staff}"), None),
            (
                "POST",
                "/badges/v4/badge-assignments".into(),
                Some(json!({"badgeAssignment": {"badgeId": staff, "memberId": guid()}})),
            ),
            ("DELETE", format!("/badges/v4/badge-assignments/{assignment}"), None),
            (
                "POST",
                "/badges/v4/bulk/badge-assignments/create".into(),
                Some(json!({"badgeAssignments": [{"badgeId": staff, "memberId": guid()}]})),
            ),
            (
                "POST",
                format!("/_api/members/v3/badges/{staff}/members"),
                Some(json!({"memberIds": [guid()]})),
            ),
            (
                "DELETE",
                format!("/_api/members/v3/badges/{staff}/members?memberIds={member}"),
                None,
            ),
            (
                "POST",
                "/_api/members/v3/badges".into(),
                Some(json!({"badge": {"title": "Old"}})),
            ),
            (
                "POST",
                "/insignia/v1/pages".into(),
                Some(json!({"page": {"path": "/x", "title": "X", "badgeIds": [staff]}})),
            ),
            (
                "PUT",
                format!("/insignia/v1/badges/{staff}/delegation"),
                Some(json!({"delegation": {"assignerBadgeIds": [staff]}})),
            ),
            (
                "POST",
                "/insignia/v1/access/check".into(),
                Some(json!({"memberId": member, "pages": ["/x"]})),
            ),
        ];
        for (method, path, body) in writes {
            let reply = as_browser(&app, token, method, &path, body).await;
            assert_eq!(reply.status.as_u16(), 403, "{method} {path}: {}", reply.body);
            reply.expect(403, "PERMISSION_DENIED");
        }
    }
    let after = (badge_count(&app, &site).await, assignment_count(&app, &site).await);
    assert_eq!(before, after, "nothing changed");
    let reply = app
        .call(&site, "GET", &format!("/badges/v4/badges/{staff}"), None)
        .await;
    assert_eq!(reply.ok()["badge"]["title"], "Staff");
});

backend_test!(
    forged_expired_other_site_and_revoked_tokens_are_refused,
    |backend| async move {
        let app = TestApp::new(backend).await;
        let site = app.site(&[MANAGE]).await;
        let other = app.site(&[MANAGE]).await;
        let theirs = badge(&app, &other, "Theirs", true).await;
        let client = client(&app, &site).await;
        let (access, refresh) = visitor(&app, &client).await;
        let query = || Some(json!({"query": {}}));

        // Forged: the body changed, or signed with another key.
        let (body, signature) = access.rsplit_once('.').unwrap();
        let forged = format!("{body}A.{signature}");
        as_browser(&app, &forged, "POST", "/badges/v4/badges/query", query())
            .await
            .expect(401, "UNAUTHENTICATED");
        let site_id = SiteId::parse("site", &site.id).unwrap();
        let claims = |expires_at| AccessClaims {
            site: site_id,
            subject: Subject::Visitor(uuid::Uuid::new_v4()),
            client_id: client.clone(),
            session_id: "s".into(),
            issued_at: now_seconds() - 7200,
            expires_at,
        };
        let foreign_key = TokenSigner::new(vec![1; 32]).sign(&claims(now_seconds() + 600));
        as_browser(&app, &foreign_key, "POST", "/badges/v4/badges/query", query())
            .await
            .expect(401, "UNAUTHENTICATED");

        // Expired: signed with the real key, an hour past its expiry.
        let key = app.db.store.token_signing_key().await.unwrap();
        let expired = TokenSigner::new(key.clone()).sign(&claims(now_seconds() - 3600));
        as_browser(&app, &expired, "POST", "/badges/v4/badges/query", query())
            .await
            .expect(401, "UNAUTHENTICATED");
        let fresh = TokenSigner::new(key).sign(&claims(now_seconds() + 600));
        as_browser(&app, &fresh, "POST", "/badges/v4/badges/query", query())
            .await
            .ok();

        // Another site: named in wix-site-id, or by id.
        let reply = app
            .raw(
                "POST",
                "/badges/v4/badges/query",
                &[("authorization", &access), ("wix-site-id", &other.id)],
                Some(json!({"query": {}}).to_string().into_bytes()),
            )
            .await;
        reply.expect(403, "PERMISSION_DENIED");
        as_browser(&app, &access, "GET", &format!("/badges/v4/badges/{theirs}"), None)
            .await
            .expect(404, "NOT_FOUND");

        // Revoked: signing out ends the access token here at once and the refresh token everywhere.
        let out = as_browser(&app, &access, "POST", "/insignia/v1/sessions/sign-out", None).await;
        assert_eq!(out.ok()["revokedSessions"], 1);
        as_browser(&app, &access, "POST", "/badges/v4/badges/query", query())
            .await
            .expect(401, "UNAUTHENTICATED");
        token_call(
            &app,
            &[],
            json!({"clientId": client, "grantType": "refresh_token", "refreshToken": refresh}),
        )
        .await
        .expect(400, "INVALID_GRANT");
    }
);

backend_test!(every_session_of_a_member_can_be_revoked, |backend| async move {
    let app = TestApp::new(backend).await;
    let site = app.site(&[MANAGE]).await;
    let client = client(&app, &site).await;
    let member = guid();
    let (first, first_refresh) = member_tokens(&app, &site, &client, &member).await;
    let (second, _) = member_tokens(&app, &site, &client, &member).await;
    let revoke = format!("/insignia/v1/members/{member}/sessions/revoke");
    let reader = Site {
        id: site.id.clone(),
        key: app.key_for(&site.id, &[READ]).await,
    };
    app.call(&reader, "POST", &revoke, None)
        .await
        .expect(403, "PERMISSION_DENIED");
    let reply = app.call(&site, "POST", &revoke, None).await;
    assert_eq!(reply.ok()["revokedSessions"], 2);
    for token in [&first, &second] {
        as_browser(
            &app,
            token,
            "POST",
            "/badges/v4/badges/query",
            Some(json!({"query": {}})),
        )
        .await
        .expect(401, "UNAUTHENTICATED");
    }
    token_call(
        &app,
        &[],
        json!({"grantType": "refresh_token", "refreshToken": first_refresh}),
    )
    .await
    .expect(400, "INVALID_GRANT");
});

backend_test!(
    authorized_client_needs_a_manage_key_of_the_same_site,
    |backend| async move {
        let app = TestApp::new(backend).await;
        let site = app.site(&[MANAGE]).await;
        let other = app.site(&[MANAGE]).await;
        let client = client(&app, &site).await;
        let (visitor_token, _) = visitor(&app, &client).await;
        let grant = json!({"grant_type": "authorized_client", "member_id": guid()});

        let with_other = format!("{visitor_token},{}", other.key);
        let reply = token_call(&app, &[("authorization", &with_other)], grant.clone()).await;
        reply.expect(403, "PERMISSION_DENIED");
        assert!(reply.body.get("access_token").is_none());

        let reader = app.key_for(&site.id, &[READ]).await;
        let with_reader = format!("{visitor_token},{reader}");
        token_call(&app, &[("authorization", &with_reader)], grant.clone())
            .await
            .expect(403, "PERMISSION_DENIED");
        let with_unknown = format!("{visitor_token},insg_{}", "x".repeat(43));
        token_call(&app, &[("authorization", &with_unknown)], grant.clone())
            .await
            .expect(401, "UNAUTHENTICATED");
        token_call(&app, &[("authorization", &site.key)], grant.clone())
            .await
            .expect(401, "UNAUTHENTICATED");
        token_call(&app, &[], grant).await.expect(401, "UNAUTHENTICATED");
    }
);

backend_test!(members_read_their_own_pages, |backend| async move {
    let app = TestApp::new(backend).await;
    let site = app.site(&[MANAGE]).await;
    let staff = badge(&app, &site, "Staff", true).await;
    protect(&app, &site, "/staff", &[&staff]).await;
    let member = guid();
    assign(&app, &site, &staff, &member).await;
    let client = client(&app, &site).await;
    let (token, _) = member_tokens(&app, &site, &client, &member).await;
    let own = as_browser(
        &app,
        &token,
        "GET",
        &format!("/insignia/v1/members/{member}/pages"),
        None,
    )
    .await;
    assert_eq!(own.ok()["pages"][0]["path"], "/staff");
    as_browser(
        &app,
        &token,
        "GET",
        &format!("/insignia/v1/members/{}/pages", guid()),
        None,
    )
    .await
    .expect(403, "PERMISSION_DENIED");
    let (visitor_token, _) = visitor(&app, &client).await;
    as_browser(
        &app,
        &visitor_token,
        "GET",
        &format!("/insignia/v1/members/{member}/pages"),
        None,
    )
    .await
    .expect(403, "PERMISSION_DENIED");
});

/// `(team lead, staff only, other)`: an assigner badge, the badge it may be
/// given the right to assign, and a badge of no one's delegation.
async fn team_badges(app: &TestApp, site: &Site) -> (String, String, String) {
    (
        badge(app, site, "Team lead", false).await,
        badge(app, site, "Staff only", true).await,
        badge(app, site, "Other", false).await,
    )
}

backend_test!(
    holders_of_an_assigner_badge_assign_the_delegated_badge,
    |backend| async move {
        let app = TestApp::new(backend).await;
        let site = app.site(&[MANAGE]).await;
        let (lead, staff_only, other) = team_badges(&app, &site).await;
        let delegation = format!("/insignia/v1/badges/{staff_only}/delegation");
        let set = app
            .call(
                &site,
                "PUT",
                &delegation,
                Some(json!({"delegation": {"assignerBadgeIds": [lead]}})),
            )
            .await;
        assert_eq!(set.ok()["delegation"]["assignerBadgeIds"], json!([lead]));
        assert_eq!(
            app.call(&site, "GET", &delegation, None).await.ok()["delegation"]["assignerBadgeIds"],
            json!([lead])
        );
        app.call(
            &site,
            "PUT",
            &delegation,
            Some(json!({"delegation": {"assignerBadgeIds": [guid()]}})),
        )
        .await
        .expect(400, "INVALID_ARGUMENT");
        app.call(
            &site,
            "GET",
            &format!("/insignia/v1/badges/{}/delegation", guid()),
            None,
        )
        .await
        .expect(404, "NOT_FOUND");

        let boss = guid();
        assign(&app, &site, &lead, &boss).await;
        let client = client(&app, &site).await;
        let (token, _) = member_tokens(&app, &site, &client, &boss).await;
        let newcomer = guid();

        // V4: create, then delete, the delegated badge's assignment.
        let created = as_browser(
            &app,
            &token,
            "POST",
            "/badges/v4/badge-assignments",
            Some(json!({"badgeAssignment": {"badgeId": staff_only, "memberId": newcomer}})),
        )
        .await;
        let id = created.ok()["badgeAssignment"]["id"].as_str().unwrap().to_owned();
        as_browser(
            &app,
            &token,
            "DELETE",
            &format!("/badges/v4/badge-assignments/{id}"),
            None,
        )
        .await
        .ok();
        // The older API: assign and unassign.
        let members = format!("/_api/members/v3/badges/{staff_only}/members");
        let assigned = as_browser(&app, &token, "POST", &members, Some(json!({"memberIds": [newcomer]}))).await;
        assert_eq!(assigned.ok()["memberIds"], json!([newcomer]));
        as_browser(&app, &token, "DELETE", &format!("{members}?memberIds={newcomer}"), None)
            .await
            .ok();

        // Each of those changes is recorded as the member's: the events name them.
        let feed = app
            .call(&site, "GET", "/insignia/v1/events?types=wix.badges.v4.badge_assignment_created,wix.badges.v4.badge_assignment_deleted&limit=100", None)
            .await;
        let by_member: Vec<Value> = feed.ok()["events"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| serde_json::from_str(e["identity"].as_str().unwrap()).unwrap())
            .filter(|identity: &Value| identity["memberId"] == json!(boss))
            .collect();
        assert_eq!(by_member.len(), 4, "two V4 changes and two of the older API");
        assert!(by_member.iter().all(|i| i["identityType"] == "MEMBER"), "{by_member:?}");

        // Nothing else: another badge, its own badge, or without the assigner badge.
        let before = assignment_count(&app, &site).await;
        for badge_id in [&other, &lead] {
            as_browser(
                &app,
                &token,
                "POST",
                "/badges/v4/badge-assignments",
                Some(json!({"badgeAssignment": {"badgeId": badge_id, "memberId": newcomer}})),
            )
            .await
            .expect(403, "PERMISSION_DENIED");
            as_browser(
                &app,
                &token,
                "POST",
                &format!("/_api/members/v3/badges/{badge_id}/members"),
                Some(json!({"memberIds": [newcomer]})),
            )
            .await
            .expect(403, "PERMISSION_DENIED");
        }
        let lead_assignment = assign(&app, &site, &lead, &newcomer).await;
        as_browser(
            &app,
            &token,
            "DELETE",
            &format!("/badges/v4/badge-assignments/{lead_assignment}"),
            None,
        )
        .await
        .expect(403, "PERMISSION_DENIED");
        let (outsider, _) = member_tokens(&app, &site, &client, &guid()).await;
        as_browser(
            &app,
            &outsider,
            "POST",
            "/badges/v4/badge-assignments",
            Some(json!({"badgeAssignment": {"badgeId": staff_only, "memberId": newcomer}})),
        )
        .await
        .expect(403, "PERMISSION_DENIED");
        assert_eq!(
            assignment_count(&app, &site).await,
            before + 1,
            "only the site's own assignment was added"
        );
    }
);

backend_test!(forward_auth_lets_granted_members_through, |backend| async move {
    let app = TestApp::new(backend).await;
    let site = app.site(&[MANAGE]).await;
    let staff = badge(&app, &site, "Staff", true).await;
    protect(&app, &site, "/staff", &[&staff]).await;
    let member = guid();
    let assignment = assign(&app, &site, &staff, &member).await;
    let client = client(&app, &site).await;
    let (token, _) = member_tokens(&app, &site, &client, &member).await;
    let (visitor_token, _) = visitor(&app, &client).await;
    let gate = "/insignia/v1/forward-auth";
    let cookie = format!("theme=dark; insignia_token={token}");

    let reply = app
        .raw(
            "GET",
            gate,
            &[("cookie", &cookie), ("x-original-uri", "/staff/rota?x=1")],
            None,
        )
        .await;
    assert_eq!(reply.status.as_u16(), 200, "{}", reply.body);
    assert_eq!(reply.headers["x-insignia-member-id"], member.as_str());
    let bearer = format!("Bearer {token}");
    let reply = app
        .raw(
            "GET",
            gate,
            &[("authorization", &bearer), ("x-forwarded-uri", "/staff")],
            None,
        )
        .await;
    assert_eq!(reply.status.as_u16(), 200, "{}", reply.body);

    app.raw("GET", gate, &[("x-forwarded-uri", "/staff")], None)
        .await
        .expect(401, "UNAUTHENTICATED");
    app.raw(
        "GET",
        gate,
        &[("authorization", &visitor_token), ("x-forwarded-uri", "/staff")],
        None,
    )
    .await
    .expect(401, "UNAUTHENTICATED");
    let open = app
        .raw(
            "GET",
            gate,
            &[("authorization", &visitor_token), ("x-forwarded-uri", "/about")],
            None,
        )
        .await;
    assert_eq!(open.status.as_u16(), 200);
    app.raw("GET", gate, &[("authorization", &token)], None)
        .await
        .expect(400, "MISSING_URI");

    app.call(
        &site,
        "DELETE",
        &format!("/badges/v4/badge-assignments/{assignment}"),
        None,
    )
    .await
    .ok();
    app.raw(
        "GET",
        gate,
        &[("cookie", &cookie), ("x-original-uri", "/staff/rota")],
        None,
    )
    .await
    .expect(403, "PERMISSION_DENIED");
});

backend_test!(
    bulk_calls_of_a_member_are_delegated_all_or_nothing,
    |backend| async move {
        let app = TestApp::new(backend).await;
        let site = app.site(&[MANAGE]).await;
        let (lead, staff_only, other) = team_badges(&app, &site).await;
        let delegation = format!("/insignia/v1/badges/{staff_only}/delegation");
        let assigners = json!({"delegation": {"assignerBadgeIds": [lead]}});
        app.call(&site, "PUT", &delegation, Some(assigners)).await.ok();
        let boss = guid();
        assign(&app, &site, &lead, &boss).await;
        let client = client(&app, &site).await;
        let (token, _) = member_tokens(&app, &site, &client, &boss).await;
        let (first, second) = (guid(), guid());
        let create = "/badges/v4/bulk/badge-assignments/create";
        let delete = "/badges/v4/bulk/badge-assignments/delete";

        // One item the member may not assign refuses the whole call.
        let before = assignment_count(&app, &site).await;
        let mixed = json!({"badgeAssignments": [
            {"badgeId": staff_only, "memberId": first},
            {"badgeId": other, "memberId": second},
        ]});
        as_browser(&app, &token, "POST", create, Some(mixed))
            .await
            .expect(403, "PERMISSION_DENIED");
        let private = json!({"badgeAssignments": [
            {"badgeId": staff_only, "memberId": first, "tags": {"privateTags": {"tagIds": ["secret"]}}},
        ]});
        as_browser(&app, &token, "POST", create, Some(private))
            .await
            .expect(403, "PERMISSION_DENIED");
        assert_eq!(assignment_count(&app, &site).await, before, "nothing was added");

        // Only delegated badges: every item is created, as the member's change.
        let allowed = json!({"badgeAssignments": [
            {"badgeId": staff_only, "memberId": first},
            {"badgeId": staff_only, "memberId": second},
        ]});
        let reply = as_browser(&app, &token, "POST", create, Some(allowed)).await;
        let results = reply.ok()["results"].as_array().unwrap().clone();
        assert_eq!(reply.body["bulkActionMetadata"]["totalSuccesses"], 2, "{}", reply.body);
        let created: Vec<String> = results
            .iter()
            .map(|r| r["itemMetadata"]["id"].as_str().unwrap().to_owned())
            .collect();
        assert_eq!(assignment_count(&app, &site).await, before + 2);

        // Deleting: an assignment of a badge not delegated to them refuses the call.
        let outside = assign(&app, &site, &other, &first).await;
        let ids = json!({"badgeAssignmentIds": [created[0], outside]});
        as_browser(&app, &token, "POST", delete, Some(ids))
            .await
            .expect(403, "PERMISSION_DENIED");
        assert_eq!(assignment_count(&app, &site).await, before + 3, "nothing was deleted");
        let ids = json!({"badgeAssignmentIds": [created[0], created[1]]});
        let reply = as_browser(&app, &token, "POST", delete, Some(ids)).await;
        assert_eq!(reply.ok()["bulkActionMetadata"]["totalSuccesses"], 2, "{}", reply.body);
        assert_eq!(
            assignment_count(&app, &site).await,
            before + 1,
            "only the outside one is left"
        );

        // Re-tagging is not the member's to do, even for a delegated badge.
        let tags = json!({"ids": [outside], "assignTags": {"tagIds": ["x"]}});
        as_browser(
            &app,
            &token,
            "POST",
            "/badges/v4/bulk/badge-assignments/bulk-update-tags",
            Some(tags),
        )
        .await
        .expect(403, "PERMISSION_DENIED");

        let feed = app
            .call(
                &site,
                "GET",
                "/insignia/v1/events?types=wix.badges.v4.badge_assignment_created&limit=100",
                None,
            )
            .await;
        let by_member = feed.ok()["events"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|e| e["identity"].as_str().unwrap().contains(&boss))
            .count();
        assert_eq!(by_member, 2, "the bulk create is recorded as the member's");
    }
);

backend_test!(a_revoked_session_stays_refused_after_a_restart, |backend| async move {
    let mut app = TestApp::new(backend).await;
    let site = app.site(&[MANAGE]).await;
    let client = client(&app, &site).await;
    let (signed_out, _) = member_tokens(&app, &site, &client, &guid()).await;
    let (kept, _) = member_tokens(&app, &site, &client, &guid()).await;
    let query = || Some(json!({"query": {}}));
    as_browser(&app, &signed_out, "POST", "/insignia/v1/sessions/sign-out", None)
        .await
        .ok();

    // A new instance over the same database: nothing in its memory yet.
    let restarted = AppState::with_caches(app.db.store.clone(), CacheSettings::default())
        .await
        .unwrap();
    app.router = router(restarted);
    as_browser(&app, &signed_out, "POST", "/badges/v4/badges/query", query())
        .await
        .expect(401, "UNAUTHENTICATED");
    as_browser(&app, &kept, "POST", "/badges/v4/badges/query", query())
        .await
        .ok();
});

backend_test!(ended_visitor_sessions_are_refused_and_swept, |backend| async move {
    let settings = CacheSettings {
        tokens: TokenSettings {
            access_token_ttl: std::time::Duration::from_secs(1),
            leeway: std::time::Duration::ZERO,
            visitor_session_ttl: std::time::Duration::from_secs(1),
        },
        ..CacheSettings::default()
    };
    let app = TestApp::with_caches(backend, settings).await;
    let site = app.site(&[MANAGE]).await;
    let client = client(&app, &site).await;
    // Four visitor sessions (one here, one behind each member grant) and two members.
    let (_, visitor_refresh) = visitor(&app, &client).await;
    let (_, member_refresh) = member_tokens(&app, &site, &client, &guid()).await;
    let (leaving, _) = member_tokens(&app, &site, &client, &guid()).await;
    as_browser(&app, &leaving, "POST", "/insignia/v1/sessions/sign-out", None)
        .await
        .ok();
    tokio::time::sleep(std::time::Duration::from_millis(1_500)).await;

    let refresh = |token: &str| json!({"clientId": client, "grantType": "refresh_token", "refreshToken": token});
    token_call(&app, &[], refresh(&visitor_refresh))
        .await
        .expect(400, "INVALID_GRANT");
    token_call(&app, &[], refresh(&member_refresh)).await.ok();

    // The ended visitors' sessions and the revoked one go; the member's stays.
    let services = Services::with_caches(app.db.store.clone(), settings).await.unwrap();
    assert_eq!(services.front_end().delete_stale_sessions().await.unwrap(), 4);
    assert_eq!(services.front_end().delete_stale_sessions().await.unwrap(), 0);
    token_call(&app, &[], refresh(&member_refresh)).await.ok();
});

backend_test!(
    a_token_call_is_readable_only_from_its_own_clients_origins,
    |backend| async move {
        let app = TestApp::new(backend).await;
        let site = app.site(&[MANAGE]).await;
        let other = app.site(&[MANAGE]).await;
        let ours = client(&app, &site).await; // https://shop.example
        app.db
            .store
            .insert_oauth_client(&OAuthClientRecord {
                id: guid(),
                site_id: SiteId::parse("site", &other.id).unwrap(),
                origins: vec!["https://elsewhere.example".into()],
                created_at: Timestamp::now(),
                revoked_at: None,
            })
            .await
            .unwrap();
        let (token, _) = visitor(&app, &ours).await;
        let allowed_origin = |reply: &Reply| {
            reply
                .headers
                .get("access-control-allow-origin")
                .map(|v| v.to_str().unwrap().to_owned())
        };
        let preflight = async |origin: &str| {
            app.raw(
                "OPTIONS",
                "/badges/v4/badges/query",
                &[
                    ("origin", origin),
                    ("access-control-request-method", "POST"),
                    ("access-control-request-headers", "authorization,content-type"),
                ],
                None,
            )
            .await
        };
        let query = async |origin: &str| {
            app.raw(
                "POST",
                "/badges/v4/badges/query",
                &[("origin", origin), ("authorization", &token)],
                Some(json!({"query": {}}).to_string().into_bytes()),
            )
            .await
        };

        // A preflight carries no token: any active client's origin passes it.
        for origin in ["https://shop.example", "https://elsewhere.example"] {
            assert_eq!(allowed_origin(&preflight(origin).await).as_deref(), Some(origin));
        }
        assert_eq!(allowed_origin(&preflight("https://evil.example").await), None);
        // The call itself is readable only from its own client's origins.
        let own = query("https://shop.example").await;
        own.ok();
        assert_eq!(allowed_origin(&own).as_deref(), Some("https://shop.example"));
        assert_eq!(allowed_origin(&query("https://elsewhere.example").await), None);
    }
);
