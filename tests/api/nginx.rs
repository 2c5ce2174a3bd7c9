//! The forward-auth gate behind a real nginx (`auth_request`), started on a
//! free loopback port in front of the real router.

use std::net::TcpListener as StdListener;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use serde_json::json;

use crate::backend_test;
use crate::helpers::{TestApp, MANAGE};
use crate::identity::{client, member_tokens};
use crate::pages::{badge, protect};

const NGINX: &str = "/usr/sbin/nginx";

/// An nginx that stops with the test.
struct Nginx {
    child: Child,
    port: u16,
    _dir: tempfile::TempDir,
}

impl Drop for Nginx {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_port() -> u16 {
    StdListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

fn open_to_all(path: &Path, mode: u32) {
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).unwrap();
}

/// nginx serving `www/` with every path under `/staff/` behind Insignia's gate at `insignia`.
async fn start_nginx(insignia: u16) -> Nginx {
    let dir = tempfile::tempdir().unwrap();
    let www = dir.path().join("www");
    std::fs::create_dir_all(www.join("staff")).unwrap();
    std::fs::write(www.join("staff/index.html"), "staff only\n").unwrap();
    // nginx's workers may run as another user: they must be able to read the pages.
    for (path, mode) in [(dir.path(), 0o755), (&www, 0o755), (&www.join("staff"), 0o755)] {
        open_to_all(path, mode);
    }
    open_to_all(&www.join("staff/index.html"), 0o644);
    let port = free_port();
    let prefix = dir.path().display();
    let config = format!(
        r#"daemon off;
worker_processes 1;
pid {prefix}/nginx.pid;
error_log {prefix}/error.log;
events {{ worker_connections 64; }}
http {{
    access_log off;
    client_body_temp_path {prefix}/body;
    proxy_temp_path {prefix}/proxy;
    fastcgi_temp_path {prefix}/fastcgi;
    uwsgi_temp_path {prefix}/uwsgi;
    scgi_temp_path {prefix}/scgi;
    server {{
        listen 127.0.0.1:{port};
        root {prefix}/www;
        location /staff/ {{
            auth_request /_insignia;
        }}
        location = /_insignia {{
            internal;
            proxy_pass http://127.0.0.1:{insignia}/insignia/v1/forward-auth;
            proxy_pass_request_body off;
            proxy_set_header Content-Length "";
            proxy_set_header X-Original-URI $request_uri;
        }}
    }}
}}
"#
    );
    let conf = dir.path().join("nginx.conf");
    std::fs::write(&conf, config).unwrap();
    let child = Command::new(NGINX)
        .arg("-p")
        .arg(dir.path())
        .arg("-c")
        .arg(&conf)
        .stdout(Stdio::null())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap_or_else(|e| panic!("could not start {NGINX} (apt-get install nginx-light): {e}"));
    let nginx = Nginx { child, port, _dir: dir };
    for _ in 0..100 {
        if tokio::net::TcpStream::connect(("127.0.0.1", port)).await.is_ok() {
            return nginx;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let log = std::fs::read_to_string(nginx._dir.path().join("error.log")).unwrap_or_default();
    panic!("nginx did not listen on {port}: {log}");
}

backend_test!(
    nginx_auth_request_admits_members_with_a_granting_badge,
    |backend| async move {
        let app = TestApp::new(backend).await;
        let site = app.site(&[MANAGE]).await;
        let staff = badge(&app, &site, "Staff", true).await;
        protect(&app, &site, "/staff", &[&staff]).await;
        let member = uuid::Uuid::new_v4().to_string();
        let reply = app
            .call(
                &site,
                "POST",
                "/badges/v4/badge-assignments",
                Some(json!({"badgeAssignment": {"badgeId": staff, "memberId": member}})),
            )
            .await;
        let assignment = reply.ok()["badgeAssignment"]["id"].as_str().unwrap().to_owned();
        let client_id = client(&app, &site).await;
        let (token, _) = member_tokens(&app, &site, &client_id, &member).await;

        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let insignia = listener.local_addr().unwrap().port();
        let router = app.router.clone();
        let server = tokio::spawn(async move { axum::serve(listener, router).await });
        let nginx = start_nginx(insignia).await;
        let page = format!("http://127.0.0.1:{}/staff/index.html", nginx.port);
        let http = reqwest::Client::new();
        let cookie = format!("insignia_token={token}");

        let granted = http.get(&page).header("cookie", &cookie).send().await.unwrap();
        assert_eq!(granted.status().as_u16(), 200);
        assert_eq!(granted.text().await.unwrap(), "staff only\n");
        let anonymous = http.get(&page).send().await.unwrap();
        assert_eq!(anonymous.status().as_u16(), 401);

        app.call(
            &site,
            "DELETE",
            &format!("/badges/v4/badge-assignments/{assignment}"),
            None,
        )
        .await
        .ok();
        let after = http.get(&page).header("cookie", &cookie).send().await.unwrap();
        assert_eq!(
            after.status().as_u16(),
            403,
            "refused as soon as the badge is taken away"
        );

        drop(nginx);
        server.abort();
    }
);
