//! Webhook subscriptions: site-scoped, validated, and nothing stored for bad input.

use serde_json::json;

use crate::backend_test;
use crate::helpers::{TestApp, MANAGE, READ};

const HOOKS: &str = "/insignia/v1/webhooks";

backend_test!(
    subscriptions_are_the_sites_own_and_bad_ones_are_refused,
    |backend| async move {
        let app = TestApp::new(backend).await;
        let site = app.site(&[MANAGE]).await;
        let other = app.site(&[MANAGE]).await;
        let reader = app.site(&[READ]).await;
        let types = json!(["wix.badges.v4.badge_created", "insignia.v1.page_created"]);
        for (url, event_types) in [
            ("ftp://example.org/hook", types.clone()),
            ("http://127.0.0.1:9000/hook", types.clone()),
            ("http://10.0.0.7/hook", types.clone()),
            ("http://localhost/hook", types.clone()),
            ("http://169.254.169.254/hook", types.clone()),
            ("https://example.org/hook", json!(["wix.badges.v4.badge_exploded"])),
            ("https://example.org/hook", json!([])),
            ("https://example.org/hook", json!("wix.badges.v4.badge_created")),
        ] {
            let reply = app
                .call(
                    &site,
                    "POST",
                    HOOKS,
                    Some(json!({"webhook": {"url": url, "eventTypes": event_types}})),
                )
                .await;
            reply.expect(400, "INVALID_ARGUMENT");
        }
        assert_eq!(app.call(&site, "GET", HOOKS, None).await.ok()["webhooks"], json!([]));

        let created = app
            .call(
                &site,
                "POST",
                HOOKS,
                Some(json!({"webhook": {"url": "https://example.org/hook", "eventTypes": types}})),
            )
            .await;
        let hook = created.ok()["webhook"].clone();
        assert_eq!(hook["status"], "ACTIVE");
        let id = hook["id"].as_str().unwrap();
        let path = format!("{HOOKS}/{id}");

        // Another site's key sees no such subscription and cannot change it.
        app.call(&other, "GET", &path, None).await.expect(404, "NOT_FOUND");
        app.call(&other, "PATCH", &path, Some(json!({"webhook": {"status": "PAUSED"}})))
            .await
            .expect(404, "NOT_FOUND");
        app.call(&other, "DELETE", &path, None).await.expect(404, "NOT_FOUND");
        assert_eq!(app.call(&other, "GET", HOOKS, None).await.ok()["webhooks"], json!([]));
        // A read-only key may not manage subscriptions.
        app.call(&reader, "GET", HOOKS, None)
            .await
            .expect(403, "PERMISSION_DENIED");

        let paused = app
            .call(&site, "PATCH", &path, Some(json!({"webhook": {"status": "PAUSED"}})))
            .await;
        assert_eq!(paused.ok()["webhook"]["status"], "PAUSED");
        app.call(
            &site,
            "PATCH",
            &path,
            Some(json!({"webhook": {"url": "http://192.168.1.1/x"}})),
        )
        .await
        .expect(400, "INVALID_ARGUMENT");
        assert_eq!(
            app.call(&site, "GET", &path, None).await.ok()["webhook"]["url"],
            "https://example.org/hook"
        );
        app.call(&site, "DELETE", &path, None).await.ok();
        app.call(&site, "GET", &path, None).await.expect(404, "NOT_FOUND");

        let key = app.raw("GET", &format!("{HOOKS}/public-key"), &[], None).await;
        assert!(key.ok()["publicKey"]
            .as_str()
            .unwrap()
            .starts_with("-----BEGIN PUBLIC KEY-----\n"));
    }
);
