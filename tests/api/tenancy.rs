use serde_json::json;

use crate::backend_test;
use crate::helpers::{TestApp, MANAGE, READ};

backend_test!(keys_are_required_and_checked, |backend| async move {
    let app = TestApp::new(backend).await;
    let site = app.site(&[MANAGE]).await;
    let path = "/badges/v4/badges/query";
    app.raw("POST", path, &[], Some(b"{}".to_vec()))
        .await
        .expect(401, "UNAUTHENTICATED");
    app.raw("POST", path, &[("authorization", "insg_made_up")], Some(b"{}".to_vec()))
        .await
        .expect(401, "UNAUTHENTICATED");
    // Bearer form and no wix-site-id (the key's site is used).
    let bearer = format!("Bearer {}", site.key);
    app.raw("POST", path, &[("authorization", &bearer)], Some(b"{}".to_vec()))
        .await
        .ok();
    // A key used for another site's id.
    let other = uuid::Uuid::new_v4().to_string();
    app.raw(
        "POST",
        path,
        &[("authorization", &site.key), ("wix-site-id", &other)],
        Some(b"{}".to_vec()),
    )
    .await
    .expect(403, "PERMISSION_DENIED");
    app.raw(
        "POST",
        path,
        &[("authorization", &site.key), ("wix-site-id", "nope")],
        Some(b"{}".to_vec()),
    )
    .await
    .expect(400, "INVALID_ARGUMENT");
});

backend_test!(malformed_keys_are_refused_without_a_lookup, |backend| async move {
    let app = TestApp::new(backend).await;
    let site = app.site(&[MANAGE]).await;
    let path = "/badges/v4/badges/query";
    // With the database closed, only an answer that needs no lookup can be given.
    app.db.store.close().await;
    let longer = format!("{}x", site.key);
    let shorter = site.key[..site.key.len() - 1].to_owned();
    let bearer = "Bearer insg_made_up".to_owned();
    for key in ["insg_made_up", "not-a-real-key", "x", &longer, &shorter, &bearer] {
        let reply = app
            .raw(
                "POST",
                path,
                &[("authorization", key), ("wix-site-id", &site.id)],
                Some(b"{}".to_vec()),
            )
            .await;
        reply.expect(401, "UNAUTHENTICATED");
        assert_eq!(reply.body["message"], "malformed API key", "{key:?}");
    }
    // A key of the right shape is looked up, and the closed database fails that.
    let reply = app.call(&site, "POST", path, Some(json!({}))).await;
    assert!(reply.status.is_server_error(), "{reply:?}");
});

backend_test!(revoked_keys_stop_working, |backend| async move {
    // Keys are trusted for the cache's lifetime; a revocation made outside
    // this instance (the CLI, another instance) counts once it runs out.
    let caches = insignia::service::CacheSettings {
        key_ttl: std::time::Duration::from_millis(300),
        ..Default::default()
    };
    let app = TestApp::with_caches(backend, caches).await;
    let site = app.site(&[MANAGE]).await;
    app.call(&site, "POST", "/badges/v4/badges/query", Some(json!({})))
        .await
        .ok();
    let keys = app.db.store.list_api_keys(None).await.unwrap();
    use insignia::store::Store;
    assert!(app.db.store.revoke_api_key(&keys[0].id).await.unwrap());
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    loop {
        let reply = app
            .call(&site, "POST", "/badges/v4/badges/query", Some(json!({})))
            .await;
        if reply.status == 401 {
            reply.expect(401, "UNAUTHENTICATED");
            break;
        }
        reply.ok();
        assert!(std::time::Instant::now() < deadline, "the revoked key still works");
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
});

backend_test!(read_only_keys_cannot_write, |backend| async move {
    let app = TestApp::new(backend).await;
    let writer = app.site(&[MANAGE]).await;
    let reader = crate::helpers::Site {
        id: writer.id.clone(),
        key: app.key_for(&writer.id, &[READ]).await,
    };
    let badge = app.create_badge(&writer, json!({"title": "Mine"})).await;
    let id = badge["id"].as_str().unwrap();
    let path = format!("/badges/v4/badges/{id}");
    assert_eq!(app.call(&reader, "GET", &path, None).await.ok()["badge"], badge);
    app.call(&reader, "POST", "/badges/v4/badges/query", Some(json!({})))
        .await
        .ok();
    let denied = [
        (
            "POST",
            "/badges/v4/badges".to_owned(),
            Some(json!({"badge": {"title": "x"}})),
        ),
        (
            "PATCH",
            path.clone(),
            Some(json!({"badge": {"revision": "1", "title": "x"}})),
        ),
        ("DELETE", path.clone(), None),
        ("POST", "/badges/v4/badges/order".to_owned(), Some(json!({"ids": [id]}))),
        (
            "POST",
            format!("{path}/move"),
            Some(json!({"badgeId": id, "position": "FIRST"})),
        ),
    ];
    for (method, path, body) in denied {
        app.call(&reader, method, &path, body)
            .await
            .expect(403, "PERMISSION_DENIED");
    }
    assert_eq!(app.call(&writer, "GET", &path, None).await.ok()["badge"], badge);

    let no_scope = crate::helpers::Site {
        id: writer.id.clone(),
        key: app.key_for(&writer.id, &["SCOPE.SOMETHING-ELSE"]).await,
    };
    app.call(&no_scope, "GET", &path, None)
        .await
        .expect(403, "PERMISSION_DENIED");
});

backend_test!(sites_never_see_each_other, |backend| async move {
    let app = TestApp::new(backend).await;
    let a = app.site(&[MANAGE]).await;
    let b = app.site(&[MANAGE]).await;
    let badge = app.create_badge(&a, json!({"title": "A only"})).await;
    let id = badge["id"].as_str().unwrap();
    let path = format!("/badges/v4/badges/{id}");
    app.call(&b, "GET", &path, None).await.expect(404, "NOT_FOUND");
    app.call(
        &b,
        "PATCH",
        &path,
        Some(json!({"badge": {"revision": "1", "title": "stolen"}})),
    )
    .await
    .expect(404, "NOT_FOUND");
    app.call(&b, "DELETE", &path, None).await.expect(404, "NOT_FOUND");
    app.call(&b, "POST", &format!("{path}/move"), Some(json!({"position": "FIRST"})))
        .await
        .expect(404, "NOT_FOUND");
    app.call(&b, "POST", "/badges/v4/badges/order", Some(json!({"ids": [id]})))
        .await
        .expect(404, "NOT_FOUND");
    let listed = app
        .call(
            &b,
            "POST",
            "/badges/v4/badges/query",
            Some(json!({"query": {"filter": {"id": id}}})),
        )
        .await;
    assert!(listed.ok()["badges"].as_array().unwrap().is_empty());
    assert_eq!(listed.body["pagingMetadata"]["total"], 0);
    // A's cursor is worthless in B.
    app.create_badge(&a, json!({"title": "A two"})).await;
    let page = app
        .call(
            &a,
            "POST",
            "/badges/v4/badges/query",
            Some(json!({"query": {"cursorPaging": {"limit": 1}}})),
        )
        .await;
    let cursor = page.ok()["pagingMetadata"]["cursors"]["next"]
        .as_str()
        .unwrap()
        .to_owned();
    app.call(
        &b,
        "POST",
        "/badges/v4/badges/query",
        Some(json!({"query": {"cursorPaging": {"cursor": cursor}}})),
    )
    .await
    .expect(400, "INVALID_ARGUMENT");
    assert_eq!(app.call(&a, "GET", &path, None).await.ok()["badge"], badge);
});
