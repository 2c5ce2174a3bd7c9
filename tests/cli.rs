//! The `insignia` binary as a newcomer uses it: keys, migrate, serve, and a
//! graceful stop on SIGTERM.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::Duration;

fn insignia(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_insignia"))
        .args(args)
        .env_remove("INSIGNIA_DATABASE_URL")
        .output()
        .expect("run insignia")
}

#[test]
fn keys_create_list_revoke() {
    let dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite://{}", dir.path().join("keys.db").display());
    let site = uuid::Uuid::new_v4().to_string();

    let created = insignia(&[
        "keys",
        "create",
        "--site",
        &site,
        "--scope",
        "SCOPE.DC-MEMBERS.READ-BADGES",
        "--database",
        &db,
    ]);
    assert!(created.status.success(), "{}", String::from_utf8_lossy(&created.stderr));
    let stdout = String::from_utf8(created.stdout).unwrap();
    let key = stdout.trim();
    assert_eq!(stdout.lines().count(), 1, "only the key is printed: {stdout:?}");
    assert!(key.starts_with("insg_") && key.len() > 40);

    let listed = insignia(&["keys", "list", "--database", &db]);
    let listing = String::from_utf8(listed.stdout).unwrap();
    assert!(
        listing.contains(&site) && listing.contains("SCOPE.DC-MEMBERS.READ-BADGES"),
        "{listing}"
    );
    assert!(!listing.contains(key), "the key itself is never shown");
    let id = listing.split('\t').next().unwrap().to_owned();

    assert!(insignia(&["keys", "revoke", &id, "--database", &db]).status.success());
    let again = insignia(&["keys", "revoke", &id, "--database", &db]);
    assert!(!again.status.success(), "a revoked key cannot be revoked twice");
    let listing = String::from_utf8(insignia(&["keys", "list", "--site", &site, "--database", &db]).stdout).unwrap();
    assert!(
        !listing.trim_end().ends_with("\t-"),
        "revocation date is listed: {listing}"
    );

    let bad_scope = insignia(&["keys", "create", "--site", &site, "--scope", "ADMIN", "--database", &db]);
    assert!(!bad_scope.status.success());
    let bad_site = insignia(&[
        "keys",
        "create",
        "--site",
        "nope",
        "--scope",
        "SCOPE.DC-MEMBERS.READ-BADGES",
        "--database",
        &db,
    ]);
    assert!(!bad_site.status.success());
    let bad_url = insignia(&["migrate", "--database", "mysql://x"]);
    assert!(!bad_url.status.success());
    assert!(String::from_utf8_lossy(&bad_url.stderr).contains("unsupported database URL"));
}

#[test]
fn clients_create_list_revoke() {
    let dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite://{}", dir.path().join("clients.db").display());
    let site = uuid::Uuid::new_v4().to_string();

    let created = insignia(&[
        "clients",
        "create",
        "--site",
        &site,
        "--origin",
        "https://Shop.Example/",
        "--origin",
        "http://127.0.0.1:8000",
        "--database",
        &db,
    ]);
    assert!(created.status.success(), "{}", String::from_utf8_lossy(&created.stderr));
    let stdout = String::from_utf8(created.stdout).unwrap();
    assert_eq!(stdout.lines().count(), 1, "only the client id is printed: {stdout:?}");
    let id = stdout.trim();
    assert!(uuid::Uuid::try_parse(id).is_ok(), "{id}");

    let listing = String::from_utf8(insignia(&["clients", "list", "--site", &site, "--database", &db]).stdout).unwrap();
    assert!(
        listing.starts_with(&format!("{id}\t{site}\thttps://shop.example,http://127.0.0.1:8000\t")),
        "origins are kept as browsers send them: {listing}"
    );
    assert!(listing.trim_end().ends_with("\t-"), "{listing}");

    assert!(insignia(&["clients", "revoke", id, "--database", &db]).status.success());
    assert!(!insignia(&["clients", "revoke", id, "--database", &db]).status.success());
    let listing = String::from_utf8(insignia(&["clients", "list", "--database", &db]).stdout).unwrap();
    assert!(
        !listing.trim_end().ends_with("\t-"),
        "revocation date is listed: {listing}"
    );

    for origin in ["ftp://x", "https://shop.example/path", "shop.example"] {
        let bad = insignia(&[
            "clients",
            "create",
            "--site",
            &site,
            "--origin",
            origin,
            "--database",
            &db,
        ]);
        assert!(!bad.status.success(), "{origin} is not an origin");
    }
}

#[test]
fn admin_login_link_prints_one_link_for_the_base_url() {
    let dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite://{}", dir.path().join("admin.db").display());
    let site = uuid::Uuid::new_v4().to_string();

    let default = insignia(&["admin", "login-link", "--site", &site, "--database", &db]);
    assert!(default.status.success(), "{}", String::from_utf8_lossy(&default.stderr));
    let link = String::from_utf8(default.stdout).unwrap();
    assert_eq!(link.lines().count(), 1, "only the link is printed: {link:?}");
    assert!(link.starts_with("http://127.0.0.1:8080/admin/login?token="), "{link}");

    let proxied = insignia(&[
        "admin",
        "login-link",
        "--site",
        &site,
        "--base-url",
        "https://badges.example.com/",
        "--database",
        &db,
    ]);
    let other = String::from_utf8(proxied.stdout).unwrap();
    assert!(
        other.starts_with("https://badges.example.com/admin/login?token="),
        "{other}"
    );
    assert_ne!(link.split('=').nth(1), other.split('=').nth(1), "every link is new");

    let bad_site = insignia(&["admin", "login-link", "--site", "nope", "--database", &db]);
    assert!(!bad_site.status.success());
    assert!(String::from_utf8_lossy(&bad_site.stderr).contains("--site"));
}

#[test]
fn serve_answers_and_stops_gracefully_on_sigterm() {
    let dir = tempfile::tempdir().unwrap();
    let db_path = dir.path().join("serve.db");
    let db = format!("sqlite://{}", db_path.display());
    assert!(insignia(&["migrate", "--database", &db]).status.success());
    assert!(db_path.exists(), "the SQLite file is created");

    let mut child = Command::new(env!("CARGO_BIN_EXE_insignia"))
        .args(["serve", "--listen", "127.0.0.1:0", "--database", &db])
        .stderr(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stderr.take().unwrap()).lines();
    let addr = loop {
        let line = lines.next().expect("server log").unwrap();
        if let Some(rest) = line.split("listening on http://").nth(1) {
            break rest.split_whitespace().next().unwrap().to_owned();
        }
    };
    let rt = tokio::runtime::Runtime::new().unwrap();
    let status = rt.block_on(async { reqwest::get(format!("http://{addr}/healthz")).await.unwrap().status() });
    assert_eq!(status, 200);

    // SIGTERM: the server finishes and exits cleanly.
    assert!(Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap()
        .success());
    let mut waited = Duration::ZERO;
    let exit = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        assert!(waited < Duration::from_secs(20), "server did not stop");
        std::thread::sleep(Duration::from_millis(50));
        waited += Duration::from_millis(50);
    };
    assert!(exit.success(), "{exit:?}");
    let rest: Vec<String> = lines.map_while(Result::ok).collect();
    assert!(rest.iter().any(|l| l.contains("shutting down")), "{rest:?}");
}

#[test]
fn a_database_password_is_never_echoed() {
    // Refused before any connection is made: an unknown scheme, and a bad option.
    for url in [
        "mysql://alice:s3cret@127.0.0.1:1/db",
        "postgres://alice:s3cret@127.0.0.1:1/db?sslmode=bogus",
    ] {
        let run = insignia(&["migrate", "--database", url]);
        let stderr = String::from_utf8_lossy(&run.stderr);
        assert!(!run.status.success(), "{url} is refused");
        assert!(stderr.starts_with("insignia: "), "{stderr}");
        assert!(!stderr.contains("s3cret"), "the password leaked: {stderr}");
    }
    let run = insignia(&["migrate", "--database", "mysql://alice:s3cret@127.0.0.1:1/db"]);
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert!(stderr.contains("mysql://alice:***@127.0.0.1:1/db"), "{stderr}");
}

#[test]
fn sigterm_lets_a_request_in_flight_finish() {
    use std::io::{Read, Write};
    let dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite://{}", dir.path().join("drain.db").display());
    let site = "6a1b2c3d-4e5f-4a6b-8c7d-8e9f0a1b2c3d";
    let key = insignia(&[
        "keys",
        "create",
        "--site",
        site,
        "--scope",
        "SCOPE.DC-MEMBERS.MANAGE-BADGES",
        "--database",
        &db,
    ]);
    assert!(key.status.success());
    let key = String::from_utf8(key.stdout).unwrap().trim().to_owned();

    let mut child = Command::new(env!("CARGO_BIN_EXE_insignia"))
        .args(["serve", "--listen", "127.0.0.1:0", "--database", &db])
        .stderr(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stderr.take().unwrap()).lines();
    let addr = loop {
        let line = lines.next().expect("server log").unwrap();
        if let Some(rest) = line.split("listening on http://").nth(1) {
            break rest.split_whitespace().next().unwrap().to_owned();
        }
    };
    let body = r##"{"badge": {"title": "Drained", "backgroundColor": "#796EFF", "textColor": "#FFFFFF"}}"##;
    let mut stream = std::net::TcpStream::connect(&addr).unwrap();
    write!(
        stream,
        "POST /badges/v4/badges HTTP/1.1\r\nHost: x\r\nAuthorization: {key}\r\nwix-site-id: {site}\r\n\
         Content-Type: application/json\r\nContent-Length: {}\r\n\r\n{}",
        body.len(),
        &body[..10]
    )
    .unwrap();
    std::thread::sleep(Duration::from_millis(300));

    // SIGTERM while the request's body is on its way: the server stops
    // accepting, but answers the request before it exits.
    assert!(Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap()
        .success());
    std::thread::sleep(Duration::from_millis(300));
    stream.write_all(&body.as_bytes()[10..]).unwrap();
    let mut answer = String::new();
    stream.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
    let _ = stream.read_to_string(&mut answer);
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    assert!(answer.contains("Drained"), "{answer}");
    let exit = child.wait().unwrap();
    assert!(exit.success(), "{exit:?}");
}
