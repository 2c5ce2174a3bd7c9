//! The admin page's security rules through the real router: cookie flags,
//! CSRF, read-only sessions, expiry, sign-out, one-time links.

use std::time::Duration;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use axum::Router;
use http_body_util::BodyExt;
use insignia::api::{router, AppState};
use insignia::domain::SiteId;
use insignia::service::Services;
use serde_json::json;
use tower::ServiceExt;

use crate::backend_test;
use crate::common::Backend;
use crate::helpers::{Site, TestApp, MANAGE, READ};

/// An answer from an admin page.
struct Page {
    status: StatusCode,
    location: Option<String>,
    set_cookies: Vec<String>,
    body: String,
}

impl Page {
    /// The value of the cookie `name` this answer sets.
    fn cookie(&self, name: &str) -> Option<String> {
        self.set_cookies
            .iter()
            .find_map(|c| c.strip_prefix(&format!("{name}=")))
            .map(|rest| rest.split(';').next().unwrap_or("").to_owned())
    }

    fn set_cookie_line(&self, name: &str) -> &str {
        self.set_cookies
            .iter()
            .find(|c| c.starts_with(&format!("{name}=")))
            .map(String::as_str)
            .unwrap_or_else(|| panic!("no Set-Cookie for {name}: {:?}", self.set_cookies))
    }

    /// The CSRF token of the first form on the page.
    fn csrf(&self) -> String {
        let at = self
            .body
            .find(r#"name="csrf" value=""#)
            .expect("a form with a CSRF field")
            + 19;
        self.body[at..].split('"').next().unwrap().to_owned()
    }
}

/// A browser: the router and the cookies it holds.
struct Browser {
    router: Router,
    cookies: Vec<(String, String)>,
    headers: Vec<(&'static str, &'static str)>,
}

impl Browser {
    fn new(router: Router) -> Self {
        Self {
            router,
            cookies: Vec::new(),
            headers: Vec::new(),
        }
    }

    async fn send(&mut self, method: &str, path: &str, form: Option<&[(&str, &str)]>) -> Page {
        let mut req = Request::builder().method(method).uri(path);
        if !self.cookies.is_empty() {
            let jar: Vec<String> = self.cookies.iter().map(|(k, v)| format!("{k}={v}")).collect();
            req = req.header("cookie", jar.join("; "));
        }
        for (name, value) in &self.headers {
            req = req.header(*name, *value);
        }
        let body = match form {
            Some(fields) => {
                req = req.header("content-type", "application/x-www-form-urlencoded");
                let encoded = form_urlencoded::Serializer::new(String::new())
                    .extend_pairs(fields.iter())
                    .finish();
                Body::from(encoded)
            }
            None => Body::empty(),
        };
        let res = self.router.clone().oneshot(req.body(body).unwrap()).await.unwrap();
        let status = res.status();
        let location = res.headers().get("location").map(|v| v.to_str().unwrap().to_owned());
        let set_cookies: Vec<String> = res
            .headers()
            .get_all("set-cookie")
            .iter()
            .map(|v| v.to_str().unwrap().to_owned())
            .collect();
        let bytes = res.into_body().collect().await.unwrap().to_bytes();
        let page = Page {
            status,
            location,
            set_cookies,
            body: String::from_utf8_lossy(&bytes).into_owned(),
        };
        for line in &page.set_cookies {
            let (pair, attributes) = line.split_once(';').unwrap_or((line, ""));
            let (name, value) = pair.split_once('=').unwrap();
            self.cookies.retain(|(k, _)| k != name);
            if !attributes.contains("Max-Age=0") {
                self.cookies.push((name.to_owned(), value.to_owned()));
            }
        }
        page
    }

    async fn get(&mut self, path: &str) -> Page {
        self.send("GET", path, None).await
    }

    async fn post(&mut self, path: &str, form: &[(&str, &str)]) -> Page {
        self.send("POST", path, Some(form)).await
    }

    /// Signs in by pasting `key`; returns the answer to the sign-in form.
    async fn sign_in(&mut self, key: &str) -> Page {
        let form = self.get("/admin/signin").await;
        assert_eq!(form.status, StatusCode::OK);
        let csrf = form.csrf();
        self.post("/admin/signin", &[("csrf", &csrf), ("key", key)]).await
    }

    /// The CSRF token of this browser's session, read from a page.
    async fn session_csrf(&mut self) -> String {
        let page = self.get("/admin/badges").await;
        assert_eq!(page.status, StatusCode::OK, "signed in: {}", page.body);
        page.csrf()
    }
}

/// The real router, with sessions lasting `ttl`.
async fn app_with_ttl(backend: Backend, ttl: Duration) -> (TestApp, Router) {
    let app = TestApp::new(backend).await;
    let state = AppState::new(app.db.store.clone())
        .await
        .unwrap()
        .with_admin_session_ttl(ttl);
    let router = router(state);
    (app, router)
}

/// The id of the first key the keys page lists.
fn first_key_id(keys_page: &Page) -> String {
    let row = keys_page.body.split(r#"data-key-id=""#).nth(1).expect("a key row");
    row.split('"').next().unwrap().to_owned()
}

const TWELVE_HOURS: Duration = Duration::from_secs(12 * 3600);

async fn badge_titles(app: &TestApp, site: &Site) -> Vec<String> {
    let reply = app.call(site, "POST", "/badges/v4/badges/query", Some(json!({}))).await;
    let mut titles: Vec<String> = reply.ok()["badges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b["title"].as_str().unwrap().to_owned())
        .collect();
    titles.sort();
    titles
}

backend_test!(session_cookie_is_httponly_strict_and_expires, |backend| async move {
    let (app, router) = app_with_ttl(backend, TWELVE_HOURS).await;
    let site = app.site(&[MANAGE]).await;

    let mut browser = Browser::new(router.clone());
    let signed_in = browser.sign_in(&site.key).await;
    assert_eq!(signed_in.status, StatusCode::SEE_OTHER);
    assert_eq!(signed_in.location.as_deref(), Some("/admin/badges"));
    let line = signed_in.set_cookie_line("insignia_admin");
    for flag in ["HttpOnly", "SameSite=Strict", "Path=/admin", "Max-Age=43"] {
        assert!(line.contains(flag), "{flag} in {line}");
    }
    assert!(!line.contains("Secure"), "plain HTTP: not Secure: {line}");
    assert!(!line.contains(&site.key), "the cookie is not the API key");

    // Behind a TLS proxy the cookies are Secure.
    let mut over_tls = Browser::new(router);
    over_tls.headers.push(("x-forwarded-proto", "https"));
    let signin_form = over_tls.get("/admin/signin").await;
    assert!(signin_form
        .set_cookie_line("insignia_admin_signin")
        .contains("; Secure"));
    let signed_in = over_tls.sign_in(&site.key).await;
    assert!(signed_in.set_cookie_line("insignia_admin").contains("; Secure"));
});

backend_test!(
    unknown_revoked_and_scopeless_keys_do_not_sign_in,
    |backend| async move {
        let (app, router) = app_with_ttl(backend, TWELVE_HOURS).await;
        let site = app.site(&[MANAGE]).await;
        let scopeless = app
            .key_for(&uuid::Uuid::new_v4().to_string(), &["SCOPE.SOMETHING-ELSE"])
            .await;
        for key in ["insg_nope", scopeless.as_str(), ""] {
            let mut browser = Browser::new(router.clone());
            let answer = browser.sign_in(key).await;
            assert_eq!(answer.status, StatusCode::UNAUTHORIZED, "{key}");
            assert!(answer
                .body
                .contains("This key is unknown, revoked, or has no badge scope."));
            assert!(answer.cookie("insignia_admin").is_none());
        }
        // Revoking the key ends the sessions made with it.
        let mut browser = Browser::new(router);
        browser.sign_in(&site.key).await;
        let csrf = browser.session_csrf().await;
        let keys = browser.get("/admin/keys").await;
        let id = keys
            .body
            .split(r#"data-key-id=""#)
            .nth(1)
            .unwrap()
            .split('"')
            .next()
            .unwrap()
            .to_owned();
        let revoked = browser
            .post(&format!("/admin/keys/{id}/revoke"), &[("csrf", &csrf)])
            .await;
        assert_eq!(revoked.status, StatusCode::SEE_OTHER);
        let after = browser.get("/admin/badges").await;
        assert_eq!(after.location.as_deref(), Some("/admin/signin"));
    }
);

backend_test!(forged_or_missing_csrf_tokens_change_nothing, |backend| async move {
    let (app, router) = app_with_ttl(backend, TWELVE_HOURS).await;
    let site = app.site(&[MANAGE]).await;
    let mut browser = Browser::new(router.clone());
    browser.sign_in(&site.key).await;
    let csrf = browser.session_csrf().await;

    // Another browser's session has a token of its own, which is no good here.
    let mut other = Browser::new(router.clone());
    other.sign_in(&site.key).await;
    let others_csrf = other.session_csrf().await;
    assert_ne!(csrf, others_csrf);

    let forged = ["", "forged", others_csrf.as_str(), &csrf[..csrf.len() - 1]];
    for token in forged {
        let answer = browser
            .post("/admin/badges/new", &[("csrf", token), ("title", "Forged")])
            .await;
        assert_eq!(answer.status, StatusCode::FORBIDDEN, "token {token:?}");
        assert!(answer.body.contains("Nothing was changed"));
    }
    let no_field = browser.post("/admin/badges/new", &[("title", "Forged")]).await;
    assert_eq!(no_field.status, StatusCode::FORBIDDEN);
    assert!(badge_titles(&app, &site).await.is_empty());

    // Sign-out is a form too.
    let signout = browser.post("/admin/signout", &[("csrf", "forged")]).await;
    assert_eq!(signout.status, StatusCode::FORBIDDEN);
    assert_eq!(
        browser.get("/admin/badges").await.status,
        StatusCode::OK,
        "still signed in"
    );

    // Sign-in forms need the sign-in cookie's token.
    let mut stranger = Browser::new(router);
    let refused = stranger
        .post("/admin/signin", &[("csrf", "forged"), ("key", &site.key)])
        .await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    assert!(refused.cookie("insignia_admin").is_none());

    // The real token works.
    let made = browser
        .post(
            "/admin/badges/new",
            &[
                ("csrf", &csrf),
                ("title", "Real"),
                ("backgroundColor", "#112233"),
                ("textColor", "#FFFFFF"),
            ],
        )
        .await;
    assert_eq!(made.status, StatusCode::SEE_OTHER, "{}", made.body);
    assert_eq!(badge_titles(&app, &site).await, vec!["Real".to_owned()]);
});

backend_test!(read_only_sessions_are_refused_on_every_change, |backend| async move {
    let (app, router) = app_with_ttl(backend, TWELVE_HOURS).await;
    let site = app.site(&[MANAGE]).await;
    let reader = app.key_for(&site.id, &[READ]).await;
    let badge = app.create_badge(&site, json!({ "title": "Untouched" })).await;
    let id = badge["id"].as_str().unwrap().to_owned();
    let member = uuid::Uuid::new_v4().to_string();
    app.call(
        &site,
        "POST",
        "/badges/v4/badge-assignments",
        Some(json!({ "badgeAssignment": { "badgeId": id, "memberId": member } })),
    )
    .await
    .ok();

    let mut browser = Browser::new(router);
    let signed_in = browser.sign_in(&reader).await;
    assert_eq!(signed_in.status, StatusCode::SEE_OTHER);
    let csrf = browser.session_csrf().await;
    let list = browser.get("/admin/badges").await;
    assert!(list.body.contains("Read-only"));
    assert!(!list.body.contains("/move\""), "no move forms");
    assert!(!list.body.contains("New badge"));

    let key_id = first_key_id(&browser.get("/admin/keys").await);
    let every_change: Vec<(String, Vec<(&str, String)>)> = vec![
        ("/admin/badges/new".into(), vec![("title", "New".into())]),
        (
            format!("/admin/badges/{id}/edit"),
            vec![("title", "Renamed".into()), ("revision", "1".into())],
        ),
        (format!("/admin/badges/{id}/move"), vec![("after", String::new())]),
        (format!("/admin/badges/{id}/delete"), vec![]),
        (
            format!("/admin/badges/{id}/holders"),
            vec![("memberIds", uuid::Uuid::new_v4().to_string())],
        ),
        (
            format!("/admin/badges/{id}/holders/remove"),
            vec![("member", member.clone())],
        ),
        ("/admin/keys".into(), vec![("scope", "manage".into())]),
        (format!("/admin/keys/{key_id}/revoke"), vec![]),
    ];
    for (path, fields) in &every_change {
        let mut form: Vec<(&str, &str)> = vec![("csrf", csrf.as_str())];
        form.extend(fields.iter().map(|(k, v)| (*k, v.as_str())));
        let answer = browser.post(path, &form).await;
        assert_eq!(answer.status, StatusCode::FORBIDDEN, "{path}: {}", answer.body);
        assert!(answer.body.contains("read-only key"), "{path}");
    }
    // Pages that only exist to change something are refused too.
    for path in ["/admin/badges/new".to_owned(), format!("/admin/badges/{id}/delete")] {
        assert_eq!(browser.get(&path).await.status, StatusCode::FORBIDDEN, "{path}");
    }

    let stored = app.call(&site, "GET", &format!("/badges/v4/badges/{id}"), None).await;
    assert_eq!(stored.ok()["badge"]["title"], "Untouched");
    assert_eq!(stored.ok()["badge"]["revision"], "1");
    assert_eq!(badge_titles(&app, &site).await, vec!["Untouched".to_owned()]);
    let holders = app
        .call(&site, "POST", "/badges/v4/badge-assignments/query", Some(json!({})))
        .await;
    assert_eq!(holders.ok()["badgeAssignments"].as_array().unwrap().len(), 1);
    // Sign-out is still allowed.
    let out = browser.post("/admin/signout", &[("csrf", &csrf)]).await;
    assert_eq!(out.status, StatusCode::SEE_OTHER);
});

backend_test!(expired_sessions_are_signed_out, |backend| async move {
    let (app, router) = app_with_ttl(backend, Duration::ZERO).await;
    let site = app.site(&[MANAGE]).await;
    let mut browser = Browser::new(router);
    let signed_in = browser.sign_in(&site.key).await;
    assert_eq!(signed_in.status, StatusCode::SEE_OTHER);
    assert!(signed_in.set_cookie_line("insignia_admin").contains("Max-Age=0"));
    // Even a browser that keeps the cookie past its expiry is not let in.
    let token = signed_in.cookie("insignia_admin").unwrap();
    browser.cookies.push(("insignia_admin".into(), token));
    let page = browser.get("/admin/badges").await;
    assert_eq!(page.status, StatusCode::SEE_OTHER);
    assert_eq!(page.location.as_deref(), Some("/admin/signin"));
    let post = browser
        .post("/admin/badges/new", &[("csrf", "x"), ("title", "Late")])
        .await;
    assert_eq!(post.location.as_deref(), Some("/admin/signin"));
    assert!(badge_titles(&app, &site).await.is_empty());
});

backend_test!(sign_out_ends_the_session_everywhere, |backend| async move {
    let (app, router) = app_with_ttl(backend, TWELVE_HOURS).await;
    let site = app.site(&[MANAGE]).await;
    let mut browser = Browser::new(router);
    browser.sign_in(&site.key).await;
    let csrf = browser.session_csrf().await;
    let token = browser
        .cookies
        .iter()
        .find(|(k, _)| k == "insignia_admin")
        .unwrap()
        .1
        .clone();

    let out = browser.post("/admin/signout", &[("csrf", &csrf)]).await;
    assert_eq!(out.status, StatusCode::SEE_OTHER);
    assert_eq!(out.location.as_deref(), Some("/admin/signin?signed_out=1"));
    assert!(out.set_cookie_line("insignia_admin").contains("Max-Age=0"));

    // A copy of the old cookie is worth nothing now.
    browser.cookies.push(("insignia_admin".into(), token));
    assert_eq!(
        browser.get("/admin/badges").await.location.as_deref(),
        Some("/admin/signin")
    );
    let replay = browser
        .post("/admin/badges/new", &[("csrf", &csrf), ("title", "After")])
        .await;
    assert_eq!(replay.location.as_deref(), Some("/admin/signin"));
    assert!(badge_titles(&app, &site).await.is_empty());
});

backend_test!(a_one_time_link_signs_in_once, |backend| async move {
    let (app, router) = app_with_ttl(backend, TWELVE_HOURS).await;
    let site = app.site(&[MANAGE]).await;
    let services = Services::new(app.db.store.clone()).await.unwrap();
    let token = services
        .admin_sessions()
        .create_login_link(SiteId::parse("site", &site.id).unwrap())
        .await
        .unwrap();
    let link = insignia::web::login_link_url("http://127.0.0.1:8080/", &token);
    assert_eq!(link, format!("http://127.0.0.1:8080/admin/login?token={token}"));
    let path = link.trim_start_matches("http://127.0.0.1:8080");

    // Opening the link does not use it up; the button does.
    let mut first = Browser::new(router.clone());
    let opened = first.get(path).await;
    assert_eq!(opened.status, StatusCode::OK);
    let opened_again = first.get(path).await;
    let csrf = opened_again.csrf();
    let used = first.post("/admin/login", &[("csrf", &csrf), ("token", &token)]).await;
    assert_eq!(used.status, StatusCode::SEE_OTHER, "{}", used.body);
    assert!(used.set_cookie_line("insignia_admin").contains("HttpOnly"));
    let list = first.get("/admin/badges").await;
    assert_eq!(list.status, StatusCode::OK);
    assert!(list.body.contains(&site.id), "signed in to the link's site");
    assert!(!list.body.contains("Read-only"), "a link gives a managing session");

    let mut second = Browser::new(router);
    let csrf = second.get(path).await.csrf();
    let again = second.post("/admin/login", &[("csrf", &csrf), ("token", &token)]).await;
    assert_eq!(again.status, StatusCode::UNAUTHORIZED);
    assert!(again.body.contains("was used already"));
    assert!(again.cookie("insignia_admin").is_none());
    let unknown = second
        .post("/admin/login", &[("csrf", &csrf), ("token", "made-up")])
        .await;
    assert_eq!(unknown.status, StatusCode::UNAUTHORIZED);
});

backend_test!(
    invalid_input_shows_the_apis_errors_and_changes_nothing,
    |backend| async move {
        let (app, router) = app_with_ttl(backend, TWELVE_HOURS).await;
        let site = app.site(&[MANAGE]).await;
        let mut browser = Browser::new(router);
        browser.sign_in(&site.key).await;
        let csrf = browser.session_csrf().await;

        let long_title = "x".repeat(51);
        let api = app
            .call(
                &site,
                "POST",
                "/badges/v4/badges",
                Some(json!({ "badge": { "title": long_title, "textColor": "' OR 1=1 --", "backgroundColor": "#796EFF" } })),
            )
            .await;
        assert_eq!(api.status, StatusCode::BAD_REQUEST);
        let page = browser
            .post(
                "/admin/badges/new",
                &[
                    ("csrf", &csrf),
                    ("title", &long_title),
                    ("textColor", "' OR 1=1 --"),
                    ("backgroundColor", "#796EFF"),
                ],
            )
            .await;
        assert_eq!(page.status, StatusCode::BAD_REQUEST);
        for violation in api.body["details"]["validationError"]["fieldViolations"]
            .as_array()
            .unwrap()
        {
            let message = violation["description"].as_str().unwrap().replace('"', "&quot;");
            assert!(page.body.contains(&message), "{message} shown");
        }
        assert!(badge_titles(&app, &site).await.is_empty());

        // Ids that are not ids, and a NUL, are refused without a server error.
        assert_eq!(
            browser.get("/admin/badges/not-an-id/edit").await.status,
            StatusCode::NOT_FOUND
        );
        let nul = browser
            .post("/admin/badges/new", &[("csrf", &csrf), ("title", "a\0b")])
            .await;
        assert_eq!(nul.status, StatusCode::BAD_REQUEST);
        let oversized = "x".repeat(2 * 1024 * 1024);
        let big = browser
            .post("/admin/badges/new", &[("csrf", &csrf), ("title", &oversized)])
            .await;
        assert!(big.status.is_client_error(), "{}", big.status);
        assert!(badge_titles(&app, &site).await.is_empty());

        let badge = app.create_badge(&site, json!({ "title": "Paged" })).await;
        let holders = format!("/admin/badges/{}/holders", badge["id"].as_str().unwrap());
        let forged_cursor = browser.get(&format!("{holders}?cursor=abc.def")).await;
        assert_eq!(forged_cursor.status, StatusCode::BAD_REQUEST);
        let bad_search = browser.get(&format!("{holders}?member=%27%20OR%201%3D1")).await;
        assert_eq!(bad_search.status, StatusCode::OK);
        assert!(bad_search.body.contains("`memberId` must be a GUID"));
    }
);
