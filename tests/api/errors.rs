use serde_json::json;

use crate::backend_test;
use crate::helpers::{TestApp, MANAGE};

backend_test!(malformed_bodies_get_wix_errors, |backend| async move {
    let app = TestApp::new(backend).await;
    let site = app.site(&[MANAGE]).await;
    let auth = [("authorization", site.key.as_str()), ("wix-site-id", site.id.as_str())];
    for body in [
        &b"{not json"[..],
        b"[1,2]",
        b"\"badge\"",
        b"{\"badge\": \"x\"}",
        &[0xff, 0xfe],
    ] {
        let reply = app.raw("POST", "/badges/v4/badges", &auth, Some(body.to_vec())).await;
        reply.expect(400, "INVALID_ARGUMENT");
    }
    // Deep nesting is refused by the parser, not by a stack overflow.
    let deep = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
    app.raw("POST", "/badges/v4/badges", &auth, Some(deep.into_bytes()))
        .await
        .expect(400, "INVALID_ARGUMENT");
    let none = app
        .call(&site, "POST", "/badges/v4/badges/query", Some(json!({})))
        .await;
    assert!(none.ok()["badges"].as_array().unwrap().is_empty());
});

backend_test!(bodies_over_one_mebibyte_are_refused, |backend| async move {
    let app = TestApp::new(backend).await;
    let site = app.site(&[MANAGE]).await;
    let big = json!({"badge": {"title": "big", "description": "x".repeat(1024 * 1024)}});
    let reply = app.call(&site, "POST", "/badges/v4/badges", Some(big)).await;
    reply.expect(413, "PAYLOAD_TOO_LARGE");
    let ok = app
        .call(&site, "POST", "/badges/v4/badges/query", Some(json!({})))
        .await;
    assert!(ok.ok()["badges"].as_array().unwrap().is_empty());
});

backend_test!(unknown_routes_and_methods_answer_in_wix_shape, |backend| async move {
    let app = TestApp::new(backend).await;
    let site = app.site(&[MANAGE]).await;
    app.call(&site, "GET", "/badges/v9/nothing", None)
        .await
        .expect(404, "NOT_FOUND");
    app.call(&site, "PUT", "/badges/v4/badges", None)
        .await
        .expect(405, "METHOD_NOT_ALLOWED");
});

backend_test!(every_answer_carries_a_request_id, |backend| async move {
    let app = TestApp::new(backend).await;
    let health = app.raw("GET", "/healthz", &[], None).await;
    assert_eq!(health.ok()["status"], "ok");
    let a = health.headers["x-wix-request-id"].to_str().unwrap().to_owned();
    let b = app.raw("GET", "/healthz", &[], None).await.headers["x-wix-request-id"]
        .to_str()
        .unwrap()
        .to_owned();
    assert_ne!(a, b);
    let ready = app.raw("GET", "/readyz", &[], None).await;
    assert_eq!(ready.ok()["status"], "ready");
});
