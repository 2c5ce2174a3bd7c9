use serde_json::{json, Value};

use crate::backend_test;
use crate::helpers::{TestApp, MANAGE};

backend_test!(create_fills_defaults_and_reads_back, |backend| async move {
    let app = TestApp::new(backend).await;
    let site = app.site(&[MANAGE]).await;
    let badge = app
        .create_badge(&site, json!({"title": "Top Contributor", "backgroundColor": "#a1b2c3", "textColor": "#ffffff", "icon": {"url": "https://img.example/star.png"}}))
        .await;
    assert_eq!(badge["title"], "Top Contributor");
    assert_eq!(badge["slug"], "top-contributor");
    assert_eq!(badge["backgroundColor"], "#A1B2C3", "colours are stored upper case");
    assert_eq!(badge["textColor"], "#FFFFFF");
    assert_eq!(badge["revision"], "1", "int64 revision travels as a string");
    assert_eq!(badge["permissionsEnabled"], false);
    assert_eq!(badge["icon"], json!({"url": "https://img.example/star.png"}));
    let created = badge["createdDate"].as_str().unwrap();
    assert!(
        created.ends_with('Z') && created.len() == 24,
        "RFC 3339 with milliseconds: {created}"
    );

    let id = badge["id"].as_str().unwrap();
    let read = app
        .call(&site, "GET", &format!("/badges/v4/badges/{id}?badgeId={id}"), None)
        .await;
    assert_eq!(read.ok()["badge"], badge);
});

backend_test!(
    v4_create_requires_both_colours_and_the_older_api_defaults_them,
    |backend| async move {
        let app = TestApp::new(backend).await;
        let site = app.site(&[MANAGE]).await;
        // The SDK marks `backgroundColor` and `textColor` required, so V4 answers 400 naming each.
        let bare = app
            .call(
                &site,
                "POST",
                "/badges/v4/badges",
                Some(json!({"badge": {"title": "Plain"}})),
            )
            .await;
        bare.expect(400, "INVALID_ARGUMENT");
        assert_eq!(bare.violated_fields(), ["badge.backgroundColor", "badge.textColor"]);
        let no_text = app
            .call(
                &site,
                "POST",
                "/badges/v4/badges",
                Some(json!({"badge": {"title": "Plain", "backgroundColor": "#000000"}})),
            )
            .await;
        no_text.expect(400, "INVALID_ARGUMENT");
        assert_eq!(no_text.violated_fields(), ["badge.textColor"]);
        let listed = app
            .call(&site, "POST", "/badges/v4/badges/query", Some(json!({})))
            .await;
        assert_eq!(listed.ok()["badges"], json!([]), "nothing was created");

        // The older API keeps its documented defaults.
        let legacy = app
            .call(
                &site,
                "POST",
                "/members/v3/badges",
                Some(json!({"badge": {"title": "Plain"}})),
            )
            .await;
        let legacy = &legacy.ok()["badge"];
        assert_eq!(legacy["backgroundColor"], "#796EFF");
        assert_eq!(legacy["textColor"], "#FFFFFF");
    }
);

backend_test!(every_path_alias_answers, |backend| async move {
    let app = TestApp::new(backend).await;
    let site = app.site(&[MANAGE]).await;
    for prefix in ["/badges/v4/badges", "/_api/badges/v4/badges", "/v4/badges"] {
        let created = app
            .call(
                &site,
                "POST",
                prefix,
                Some(json!({"badge": {"title": prefix, "backgroundColor": "#000000", "textColor": "#FFFFFF"}})),
            )
            .await;
        let id = created.ok()["badge"]["id"].as_str().unwrap().to_owned();
        app.call(&site, "GET", &format!("{prefix}/{id}"), None).await.ok();
        app.call(&site, "POST", &format!("{prefix}/query"), Some(json!({})))
            .await
            .ok();
        app.call(&site, "DELETE", &format!("{prefix}/{id}"), None).await.ok();
    }
});

backend_test!(slugs_are_unique_within_a_site, |backend| async move {
    let app = TestApp::new(backend).await;
    let site = app.site(&[MANAGE]).await;
    let other = app.site(&[MANAGE]).await;
    let slugs: Vec<String> = futures_slugs(&app, &site, 3).await;
    assert_eq!(slugs, ["gold-member", "gold-member-2", "gold-member-3"]);
    let elsewhere = app.create_badge(&other, json!({"title": "Gold Member"})).await;
    assert_eq!(elsewhere["slug"], "gold-member", "slugs are per site");
});

async fn futures_slugs(app: &TestApp, site: &crate::helpers::Site, n: usize) -> Vec<String> {
    let mut slugs = Vec::new();
    for _ in 0..n {
        let b = app.create_badge(site, json!({"title": "Gold  Member!"})).await;
        slugs.push(b["slug"].as_str().unwrap().to_owned());
    }
    slugs
}

backend_test!(
    update_changes_only_sent_fields_and_bumps_revision,
    |backend| async move {
        let app = TestApp::new(backend).await;
        let site = app.site(&[MANAGE]).await;
        let badge = app
            .create_badge(
                &site,
                json!({"title": "Helper", "description": "helps", "textColor": "#000000"}),
            )
            .await;
        let id = badge["id"].as_str().unwrap();
        let reply = app
            .call(
                &site,
                "PATCH",
                &format!("/badges/v4/badges/{id}"),
                Some(
                    json!({"badge": {"id": id, "revision": "1", "title": "Super Helper", "permissionsEnabled": true}}),
                ),
            )
            .await;
        let updated = reply.ok()["badge"].clone();
        assert_eq!(updated["revision"], "2");
        assert_eq!(updated["title"], "Super Helper");
        assert_eq!(updated["slug"], "super-helper", "the slug follows the title");
        assert_eq!(updated["permissionsEnabled"], true);
        assert_eq!(updated["description"], "helps", "unsent fields keep their values");
        assert_eq!(updated["textColor"], "#000000");
        assert_eq!(updated["createdDate"], badge["createdDate"]);
        assert!(updated["updatedDate"].as_str() >= badge["updatedDate"].as_str());
    }
);

backend_test!(stale_revision_changes_nothing, |backend| async move {
    let app = TestApp::new(backend).await;
    let site = app.site(&[MANAGE]).await;
    let badge = app.create_badge(&site, json!({"title": "Original"})).await;
    let id = badge["id"].as_str().unwrap();
    let path = format!("/badges/v4/badges/{id}");
    app.call(
        &site,
        "PATCH",
        &path,
        Some(json!({"badge": {"revision": "1", "description": "first"}})),
    )
    .await
    .ok();
    let stale = app
        .call(
            &site,
            "PATCH",
            &path,
            Some(json!({"badge": {"revision": "1", "title": "Overwrite"}})),
        )
        .await;
    stale.expect(409, "REVISION_MISMATCH");
    assert_eq!(
        stale.body["details"]["applicationError"]["data"]["currentRevision"],
        "2"
    );
    let now = app.call(&site, "GET", &path, None).await;
    assert_eq!(now.ok()["badge"]["title"], "Original");
    assert_eq!(now.ok()["badge"]["revision"], "2");
});

backend_test!(update_requires_badge_and_revision, |backend| async move {
    let app = TestApp::new(backend).await;
    let site = app.site(&[MANAGE]).await;
    let badge = app.create_badge(&site, json!({"title": "T"})).await;
    let path = format!("/badges/v4/badges/{}", badge["id"].as_str().unwrap());
    app.call(&site, "PATCH", &path, Some(json!({})))
        .await
        .expect(400, "BADGE_NOT_PROVIDED");
    let no_rev = app
        .call(&site, "PATCH", &path, Some(json!({"badge": {"title": "U"}})))
        .await;
    no_rev.expect(400, "INVALID_ARGUMENT");
    assert_eq!(no_rev.violated_fields(), ["badge.revision"]);
    let bad_rev = app
        .call(&site, "PATCH", &path, Some(json!({"badge": {"revision": "one"}})))
        .await;
    bad_rev.expect(400, "INVALID_ARGUMENT");
});

backend_test!(delete_removes_the_badge, |backend| async move {
    let app = TestApp::new(backend).await;
    let site = app.site(&[MANAGE]).await;
    let badge = app.create_badge(&site, json!({"title": "Temp"})).await;
    let path = format!("/badges/v4/badges/{}", badge["id"].as_str().unwrap());
    assert_eq!(app.call(&site, "DELETE", &path, None).await.ok(), &json!({}));
    app.call(&site, "GET", &path, None).await.expect(404, "NOT_FOUND");
    app.call(&site, "DELETE", &path, None).await.expect(404, "NOT_FOUND");
});

backend_test!(
    validation_errors_name_the_field_and_change_nothing,
    |backend| async move {
        let app = TestApp::new(backend).await;
        let site = app.site(&[MANAGE]).await;
        let cases = [
            (json!({"title": "x".repeat(51)}), "badge.title"),
            (json!({"title": ""}), "badge.title"),
            (json!({}), "badge.title"),
            (json!({"title": 42}), "badge.title"),
            (
                json!({"title": "ok", "backgroundColor": "red"}),
                "badge.backgroundColor",
            ),
            (json!({"title": "ok", "textColor": "#12345"}), "badge.textColor"),
            (
                json!({"title": "ok", "description": "d".repeat(1501)}),
                "badge.description",
            ),
            (
                json!({"title": "ok", "permissionsEnabled": "yes"}),
                "badge.permissionsEnabled",
            ),
            (json!({"title": "ok", "icon": {"url": 5}}), "badge.icon"),
            (json!({"title": "ok", "icon": 7}), "badge.icon"),
            // V4 requires both colours (`@requiredField`); the older API defaults them.
            (json!({"title": "ok", "textColor": null}), "badge.textColor"),
            (json!({"title": "ok", "backgroundColor": null}), "badge.backgroundColor"),
        ];
        for (mut badge, field) in cases {
            for colour in ["backgroundColor", "textColor"] {
                match badge.get(colour) {
                    None => badge[colour] = json!("#000000"),
                    Some(Value::Null) => {
                        badge.as_object_mut().unwrap().remove(colour);
                    }
                    Some(_) => {}
                }
            }
            let reply = app
                .call(&site, "POST", "/badges/v4/badges", Some(json!({"badge": badge})))
                .await;
            reply.expect(400, "INVALID_ARGUMENT");
            assert_eq!(reply.violated_fields(), [field], "{badge}");
        }
        app.call(&site, "POST", "/badges/v4/badges", Some(json!({})))
            .await
            .expect(400, "BADGE_NOT_PROVIDED");
        let fifty = app.create_badge(&site, json!({"title": "é".repeat(50)})).await;
        assert_eq!(fifty["title"].as_str().unwrap().chars().count(), 50);

        let all = app
            .call(&site, "POST", "/badges/v4/badges/query", Some(json!({})))
            .await;
        assert_eq!(
            all.ok()["badges"].as_array().unwrap().len(),
            1,
            "only the valid badge exists"
        );

        // An invalid update leaves the badge as it was.
        let path = format!("/badges/v4/badges/{}", fifty["id"].as_str().unwrap());
        let bad = app
            .call(
                &site,
                "PATCH",
                &path,
                Some(json!({"badge": {"revision": "1", "title": "fine", "backgroundColor": "#zzzzzz"}})),
            )
            .await;
        bad.expect(400, "INVALID_ARGUMENT");
        let now = app.call(&site, "GET", &path, None).await;
        assert_eq!(now.ok()["badge"], fifty);
    }
);

backend_test!(ids_must_be_guids, |backend| async move {
    let app = TestApp::new(backend).await;
    let site = app.site(&[MANAGE]).await;
    for path in ["/badges/v4/badges/not-a-guid", "/badges/v4/badges/'%20OR%201=1--"] {
        app.call(&site, "GET", path, None).await.expect(400, "INVALID_ARGUMENT");
        app.call(&site, "DELETE", path, None)
            .await
            .expect(400, "INVALID_ARGUMENT");
    }
    let unknown = format!("/badges/v4/badges/{}", uuid::Uuid::new_v4());
    app.call(&site, "GET", &unknown, None).await.expect(404, "NOT_FOUND");
    app.call(&site, "PATCH", &unknown, Some(json!({"badge": {"revision": "1"}})))
        .await
        .expect(404, "NOT_FOUND");
});
