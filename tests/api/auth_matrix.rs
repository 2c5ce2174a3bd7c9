//! The auth matrix, generated from the route table: every route × (no key,
//! malformed key, unknown key, revoked key, a read key on a write, a key
//! with another site's id) is refused with the expected 401 or 403 in the
//! Wix shape, and the right key gets past authentication. A route added to
//! the table is tested here without further ado.

use insignia::api::routes::{table, Access};
use insignia::domain::{generate_api_key, Scope};
use insignia::store::Store;

use crate::backend_test;
use crate::helpers::{Reply, TestApp, MANAGE, READ};

/// The path with every `{param}` filled with a fresh GUID.
fn concrete(template: &str) -> String {
    template
        .split('/')
        .map(|segment| {
            if segment.starts_with('{') {
                uuid::Uuid::new_v4().to_string()
            } else {
                segment.to_owned()
            }
        })
        .collect::<Vec<_>>()
        .join("/")
}

async fn send(app: &TestApp, method: &str, path: &str, key: Option<&str>, site: &str) -> Reply {
    let mut headers = vec![("wix-site-id", site)];
    if let Some(key) = key {
        headers.push(("authorization", key));
    }
    let body = matches!(method, "POST" | "PATCH").then(|| b"{}".to_vec());
    app.raw(method, path, &headers, body).await
}

backend_test!(every_route_refuses_every_wrong_key, |backend| async move {
    let app = TestApp::new(backend).await;
    let site = app.site(&[MANAGE]).await;
    let reader = app.key_for(&site.id, &[READ]).await;
    let other = app.site(&[MANAGE]).await;
    let revoked = app.key_for(&site.id, &[MANAGE]).await;
    let revoked_id = app
        .db
        .store
        .list_api_keys(None)
        .await
        .unwrap()
        .into_iter()
        .find(|k| k.key_hash == insignia::domain::hash_api_key(&revoked))
        .unwrap()
        .id;
    assert!(app.db.store.revoke_api_key(&revoked_id).await.unwrap());
    let unknown = generate_api_key().secret;

    let routes = table();
    assert!(routes.len() > 100, "the table lists every route");
    let mut checked = 0;
    for route in &routes {
        let method = route.method.as_str();
        let path = concrete(&route.path);
        let what = format!("{method} {}", route.path);
        match route.access {
            Access::Public => {
                use tower::ServiceExt;
                let request = axum::http::Request::builder()
                    .method(method)
                    .uri(&path)
                    .body(axum::body::Body::empty())
                    .unwrap();
                let status = app.router.clone().oneshot(request).await.unwrap().status();
                assert!(status.is_success(), "{what}: {status}");
            }
            // Signed in with a cookie session, not a key: the admin tests cover it.
            Access::AdminSession => {}
            // Front-end tokens and the token endpoint: tests/api/identity.rs covers them.
            Access::FrontEndToken | Access::ClientId => {}
            Access::Key(scope) => {
                for (key, case) in [
                    (None, "no key"),
                    (Some("not-a-key"), "malformed key"),
                    (Some(unknown.as_str()), "unknown key"),
                    (Some(revoked.as_str()), "revoked key"),
                ] {
                    let reply = send(&app, method, &path, key, &site.id).await;
                    assert_eq!(reply.status, 401, "{what} with {case}: {}", reply.body);
                    reply.expect(401, "UNAUTHENTICATED");
                }
                let reply = send(&app, method, &path, Some(&other.key), &site.id).await;
                assert_eq!(reply.status, 403, "{what} with another site's key: {}", reply.body);
                reply.expect(403, "PERMISSION_DENIED");
                let reply = send(&app, method, &path, Some(&reader), &site.id).await;
                if scope == Scope::ManageBadges {
                    assert_eq!(reply.status, 403, "{what} with a read key: {}", reply.body);
                    reply.expect(403, "PERMISSION_DENIED");
                } else {
                    assert!(
                        !matches!(reply.status.as_u16(), 401 | 403) && reply.status.as_u16() < 500,
                        "{what} with a read key: {} {}",
                        reply.status,
                        reply.body
                    );
                }
                let reply = send(&app, method, &path, Some(&site.key), &site.id).await;
                assert!(
                    !matches!(reply.status.as_u16(), 401 | 403) && reply.status.as_u16() < 500,
                    "{what} with a manage key: {} {}",
                    reply.status,
                    reply.body
                );
                checked += 1;
            }
        }
    }
    assert!(checked > 100);
});
