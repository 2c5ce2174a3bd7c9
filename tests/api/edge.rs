//! The edge: slow and idle clients cut off, overload shed, per-site rates,
//! query budgets, database trouble answered 503, metrics.

use std::time::Duration;

use insignia::api::limits::RequestLimits;
use insignia::api::rate::RateSettings;
use insignia::api::Edge;
use insignia::server::ConnectionLimits;
use serde_json::{json, Value};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::backend_test;
use crate::common::{Backend, TestDb};
use crate::helpers::{TestApp, MANAGE, READ};

/// Short limits, so that a test waits fractions of a second.
fn short_connections(max_connections: usize) -> ConnectionLimits {
    ConnectionLimits {
        max_connections,
        header_timeout: Duration::from_millis(300),
        drain_timeout: Duration::from_secs(5),
    }
}

fn edge(max_in_flight: usize, body_timeout_ms: u64) -> Edge {
    Edge::new(
        RequestLimits {
            max_in_flight,
            request_timeout: Duration::from_secs(20),
            body_timeout: Duration::from_millis(body_timeout_ms),
        },
        RateSettings::default(),
    )
}

/// Reads until the server closes the connection (or 10 s pass); returns what came.
async fn read_to_close(stream: &mut TcpStream) -> Option<String> {
    let mut seen = Vec::new();
    let read = tokio::time::timeout(Duration::from_secs(10), async {
        let mut buf = [0u8; 4096];
        loop {
            match stream.read(&mut buf).await {
                Ok(0) | Err(_) => break,
                Ok(n) => seen.extend_from_slice(&buf[..n]),
            }
        }
    })
    .await;
    read.ok().map(|()| String::from_utf8_lossy(&seen).into_owned())
}

async fn get(addr: std::net::SocketAddr, path: &str) -> reqwest::Response {
    reqwest::Client::new()
        .get(format!("http://{addr}{path}"))
        .timeout(Duration::from_secs(10))
        .send()
        .await
        .expect("an answer")
}

backend_test!(a_trickled_header_is_cut_off, |backend| async move {
    let app = TestApp::new(backend).await;
    let addr = app.serve(short_connections(64)).await;
    let mut slow = TcpStream::connect(addr).await.unwrap();
    slow.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: ")
        .await
        .unwrap();
    let trickle = tokio::spawn(async move {
        for _ in 0..50 {
            if slow.write_all(b"a").await.is_err() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        read_to_close(&mut slow).await
    });
    // A normal request meanwhile is answered.
    assert_eq!(get(addr, "/healthz").await.status(), 200);
    let seen = trickle.await.unwrap().expect("the slow connection was closed");
    assert!(!seen.contains("200 OK"), "the trickled request was served: {seen}");
});

backend_test!(a_trickled_body_is_answered_408, |backend| async move {
    let app = TestApp::with_edge(backend, edge(64, 300)).await;
    let site = app.site(&[MANAGE]).await;
    let addr = app.serve(short_connections(64)).await;
    let mut slow = TcpStream::connect(addr).await.unwrap();
    let head = format!(
        "POST /badges/v4/badges HTTP/1.1\r\nHost: x\r\nAuthorization: {}\r\nwix-site-id: {}\r\n\
         Content-Type: application/json\r\nContent-Length: 100\r\n\r\n{{",
        site.key, site.id
    );
    slow.write_all(head.as_bytes()).await.unwrap();
    let reply = tokio::spawn(async move {
        for _ in 0..50 {
            if slow.write_all(b" ").await.is_err() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        read_to_close(&mut slow).await
    });
    assert_eq!(get(addr, "/healthz").await.status(), 200);
    let seen = reply.await.unwrap().expect("an answer to the slow body");
    assert!(seen.starts_with("HTTP/1.1 408"), "{seen}");
    assert!(seen.contains("REQUEST_TIMEOUT"), "{seen}");
    // Nothing was created.
    let page = app
        .call(&site, "POST", "/badges/v4/badges/query", Some(json!({})))
        .await;
    assert_eq!(page.ok()["badges"].as_array().unwrap().len(), 0);
});

backend_test!(
    idle_connections_at_the_cap_do_not_lock_out_others,
    |backend| async move {
        let app = TestApp::new(backend).await;
        let addr = app.serve(short_connections(4)).await;
        let mut idle = Vec::new();
        // A kept-alive connection that goes quiet after one request is idle too.
        let mut kept = TcpStream::connect(addr).await.unwrap();
        kept.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
            .await
            .unwrap();
        let mut head = [0u8; 12];
        kept.read_exact(&mut head).await.unwrap();
        assert_eq!(&head, b"HTTP/1.1 200");
        idle.push(kept);
        for _ in 0..8 {
            idle.push(TcpStream::connect(addr).await.unwrap());
        }
        // Idle connections are closed after the header timeout, so this is
        // answered although more than the cap were opened first.
        assert_eq!(get(addr, "/healthz").await.status(), 200);
        for mut stream in idle {
            assert!(
                read_to_close(&mut stream).await.is_some(),
                "an idle connection stayed open"
            );
        }
    }
);

backend_test!(requests_above_the_cap_are_shed_with_503, |backend| async move {
    let app = TestApp::with_edge(backend, edge(1, 5_000)).await;
    let site = app.site(&[MANAGE]).await;
    let badge = app.create_badge(&site, json!({"title": "Gold"})).await;
    let addr = app.serve(short_connections(64)).await;
    // One request holds the only slot while its body has not arrived.
    let mut holder = TcpStream::connect(addr).await.unwrap();
    let head = format!(
        "POST /badges/v4/badges HTTP/1.1\r\nHost: x\r\nAuthorization: {}\r\nwix-site-id: {}\r\n\
         Content-Type: application/json\r\nContent-Length: 1000\r\n\r\n{{",
        site.key, site.id
    );
    holder.write_all(head.as_bytes()).await.unwrap();
    tokio::time::sleep(Duration::from_millis(200)).await;
    let assign = json!({"badgeAssignments": [{"badgeId": badge["id"], "memberId": uuid::Uuid::new_v4()}]});
    let shed = reqwest::Client::new()
        .post(format!("http://{addr}/badges/v4/bulk/badge-assignments/create"))
        .header("authorization", &site.key)
        .header("wix-site-id", &site.id)
        .json(&assign)
        .send()
        .await
        .unwrap();
    assert_eq!(shed.status(), 503);
    assert_eq!(shed.headers()["retry-after"], "1");
    let body: Value = shed.json().await.unwrap();
    assert_eq!(body["details"]["applicationError"]["code"], "UNAVAILABLE");
    // Probes still answer.
    assert_eq!(get(addr, "/healthz").await.status(), 200);
    // The held request completes (its body names no badge: 400) and frees the slot.
    holder
        .write_all(format!("}}{}", " ".repeat(998)).as_bytes())
        .await
        .unwrap();
    let mut head = [0u8; 12];
    holder.read_exact(&mut head).await.unwrap();
    assert_eq!(&head, b"HTTP/1.1 400");
    // Nothing of the shed call was applied.
    let held = app
        .call(
            &site,
            "POST",
            "/badges/v4/badge-assignments/query",
            Some(json!({"query": {}})),
        )
        .await;
    assert_eq!(held.ok()["badgeAssignments"].as_array().unwrap().len(), 0);
});

backend_test!(
    a_site_over_its_rate_gets_429_while_another_is_served,
    |backend| async move {
        let edge = Edge::new(
            RequestLimits::default(),
            RateSettings {
                per_second: 1,
                burst: 3,
            },
        );
        let app = TestApp::with_edge(backend, edge).await;
        let (noisy, quiet) = (app.site(&[READ]).await, app.site(&[READ]).await);
        let query = || Some(json!({"query": {}}));
        for _ in 0..3 {
            app.call(&noisy, "POST", "/badges/v4/badges/query", query()).await.ok();
        }
        let refused = app.call(&noisy, "POST", "/badges/v4/badges/query", query()).await;
        refused.expect(429, "RESOURCE_EXHAUSTED");
        assert!(refused.headers.contains_key("retry-after"));
        app.call(&quiet, "POST", "/badges/v4/badges/query", query()).await.ok();
    }
);

backend_test!(
    the_largest_queries_a_body_holds_are_refused_with_400,
    |backend| async move {
        let app = TestApp::new(backend).await;
        let site = app.site(&[READ]).await;
        let ids = |n: usize| {
            (0..n)
                .map(|_| Value::from(uuid::Uuid::new_v4().to_string()))
                .collect::<Vec<_>>()
        };
        let tags = |n: usize| (0..n).map(|i| Value::from(format!("t{i}"))).collect::<Vec<_>>();
        // About 1 MiB each: one huge list, lists spread over many conditions,
        // and empty sub-filters.
        let chunks: Vec<Value> = (0..200).map(|_| json!({"badgeId": {"$in": ids(120)}})).collect();
        let bodies = [
            json!({"query": {"filter": {"badgeId": {"$in": ids(25_000)}}}}),
            json!({"query": {"filter": {"$or": chunks}}}),
            json!({"query": {"filter": {"tags": {"$hasSome": tags(90_000)}}}}),
            json!({"query": {"filter": {"$or": vec![json!({}); 100_000]}}}),
        ];
        for body in bodies {
            assert!(body.to_string().len() < 1 << 20);
            let reply = app
                .call(&site, "POST", "/badges/v4/badge-assignments/query", Some(body))
                .await;
            reply.expect(400, "INVALID_ARGUMENT");
        }
        // At the budget: answered.
        let chunks: Vec<Value> = (0..2).map(|_| json!({"badgeId": {"$in": ids(1000)}})).collect();
        let body = json!({"query": {"filter": {"$or": chunks}}});
        app.call(&site, "POST", "/badges/v4/badge-assignments/query", Some(body))
            .await
            .ok();
        let body = json!({"query": {"filter": {"$or": vec![json!({}); 200]}}});
        app.call(&site, "POST", "/badges/v4/badge-assignments/query", Some(body))
            .await
            .ok();
    }
);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_locked_sqlite_database_answers_503_and_recovers() {
    use sqlx::Connection;
    let app = TestApp::new(Backend::Sqlite).await;
    let site = app.site(&[MANAGE]).await;
    app.create_badge(&site, json!({"title": "Before"})).await;
    // Another process holds the database: no writer may start.
    let mut other = sqlx::SqliteConnection::connect(&app.db.url).await.unwrap();
    sqlx::query("BEGIN EXCLUSIVE").execute(&mut other).await.unwrap();
    let create = || Some(json!({"badge": {"title": "During", "backgroundColor": "#796EFF", "textColor": "#FFFFFF"}}));
    let reply = app.call(&site, "POST", "/badges/v4/badges", create()).await;
    reply.expect(503, "UNAVAILABLE");
    assert!(reply.headers.contains_key("retry-after"));
    // Readiness only reads, and reads work.
    assert_eq!(app.raw("GET", "/readyz", &[], None).await.status, 200);
    sqlx::query("ROLLBACK").execute(&mut other).await.unwrap();
    app.call(&site, "POST", "/badges/v4/badges", create()).await.ok();
}

/// A TCP relay to PostgreSQL that can refuse connections and cut those open.
struct Relay {
    port: u16,
    task: Option<tokio::task::JoinHandle<()>>,
}

impl Relay {
    async fn start(port: u16, upstream: std::net::SocketAddr) -> Relay {
        let listener = tokio::net::TcpListener::bind(("127.0.0.1", port)).await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let task = tokio::spawn(async move {
            let mut pipes = tokio::task::JoinSet::new();
            while let Ok((mut client, _)) = listener.accept().await {
                pipes.spawn(async move {
                    if let Ok(mut server) = TcpStream::connect(upstream).await {
                        let _ = tokio::io::copy_bidirectional(&mut client, &mut server).await;
                    }
                });
            }
        });
        Relay { port, task: Some(task) }
    }

    /// Closes the listener (connections are refused) and every open pipe.
    fn stop(&mut self) {
        if let Some(task) = self.task.take() {
            task.abort();
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_down_answers_503_and_recovers() {
    let Some(url) = std::env::var(crate::common::PG_VAR).ok().filter(|u| !u.is_empty()) else {
        eprintln!("{} is not set: PostgreSQL variant not run", crate::common::PG_VAR);
        return;
    };
    let db = TestDb::new(Backend::Postgres).await.unwrap();
    let parsed = reqwest::Url::parse(&url).unwrap();
    let upstream = tokio::net::lookup_host((parsed.host_str().unwrap(), parsed.port().unwrap_or(5432)))
        .await
        .unwrap()
        .next()
        .unwrap();
    let mut relay = Relay::start(0, upstream).await;
    let mut relayed = parsed.clone();
    relayed.set_port(Some(relay.port)).unwrap();
    let mut options = insignia::store::ConnectOptions::new(relayed.as_str());
    options.schema = db.schema.clone();
    options.max_connections = 2;
    options.wait = Duration::from_millis(1000);
    // A loaded machine may take longer than the wait to open the first connection.
    let mut attempts = 0;
    let store = loop {
        match insignia::store::connect(&options).await {
            Ok(store) => break std::sync::Arc::new(store),
            Err(e) if attempts < 5 => {
                attempts += 1;
                eprintln!("connect: {e}; again");
            }
            Err(e) => panic!("connect through the relay: {e}"),
        }
    };
    let state = insignia::api::AppState::new(store).await.unwrap();
    let app = TestApp {
        router: insignia::api::router(state),
        // The runner reads the database directly: the relay is the requests' alone.
        jobs: insignia::jobs::start(db.store.clone(), Default::default()),
        db,
    };
    let site = app.site(&[MANAGE]).await;
    let badge = app.create_badge(&site, json!({"title": "Gold"})).await;
    let path = format!("/badges/v4/badges/{}", badge["id"].as_str().unwrap());
    app.call(&site, "GET", &path, None).await.ok();
    // Read only during the outage: not in memory, so the database must answer.
    let unread = app.create_badge(&site, json!({"title": "Silver"})).await;
    let unread = format!("/badges/v4/badges/{}", unread["id"].as_str().unwrap());

    relay.stop();
    for _ in 0..2 {
        let reply = app.call(&site, "GET", &unread, None).await;
        reply.expect(503, "UNAVAILABLE");
    }
    let create = || Some(json!({"badge": {"title": "Down", "backgroundColor": "#796EFF", "textColor": "#FFFFFF"}}));
    app.call(&site, "POST", "/badges/v4/badges", create())
        .await
        .expect(503, "UNAVAILABLE");
    assert_eq!(app.raw("GET", "/readyz", &[], None).await.status, 503);

    // The database is back: answers are too, without a restart.
    let _relay = Relay::start(relay.port, upstream).await;
    // The next requests are served (a loaded machine may need a few tries
    // to open connections within the wait).
    let mut tries = 0;
    while app.call(&site, "GET", &path, None).await.status != 200 {
        tries += 1;
        assert!(tries < 10, "the server did not recover");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    app.call(&site, "POST", "/badges/v4/badges", create()).await.ok();
    assert_eq!(app.raw("GET", "/readyz", &[], None).await.status, 200);
}

backend_test!(metrics_parse_and_move_with_traffic, |backend| async move {
    let app = TestApp::new(backend).await;
    let site = app.site(&[READ]).await;
    let count = |text: &str| -> f64 {
        text.lines()
            .filter(|l| {
                l.starts_with("insignia_http_requests_total{")
                    && l.contains("route=\"/badges/v4/badges/query\"")
                    && l.contains("status=\"200\"")
            })
            .map(|l| l.rsplit(' ').next().unwrap().parse::<f64>().unwrap())
            .sum()
    };
    let scrape = || async {
        let addr = app.serve(short_connections(16)).await;
        let text = get(addr, "/metrics").await.text().await.unwrap();
        // Prometheus text: comments, or `name{labels} value`.
        for line in text.lines().filter(|l| !l.is_empty() && !l.starts_with('#')) {
            let (series, value) = line.rsplit_once(' ').expect(line);
            assert!(value.parse::<f64>().is_ok(), "{line}");
            assert!(series.starts_with(|c: char| c.is_ascii_alphabetic()), "{line}");
        }
        text
    };
    let before = scrape().await;
    for _ in 0..3 {
        app.call(&site, "POST", "/badges/v4/badges/query", Some(json!({})))
            .await
            .ok();
    }
    // Creates queue for SQLite's group commit; once answered, none waits.
    let creator = app.site(&[MANAGE]).await;
    for i in 0..3 {
        app.create_badge(&creator, json!({ "title": format!("Queued {i}") }))
            .await;
    }
    let after = scrape().await;
    assert!(count(&after) >= count(&before) + 3.0, "{after}");
    assert!(after.contains("insignia_http_request_duration_seconds_bucket"));
    assert!(after.contains("insignia_db_pool_connections{"));
    assert!(after.lines().any(|l| l == "insignia_db_writer_queue 0"), "{after}");
});

backend_test!(extended_fields_have_a_size_cap, |backend| async move {
    let app = TestApp::new(backend).await;
    let site = app.site(&[MANAGE]).await;
    let badge = app.create_badge(&site, json!({"title": "Gold"})).await;
    let assignment = |size: usize| {
        Some(json!({"badgeAssignment": {
            "badgeId": badge["id"],
            "memberId": uuid::Uuid::new_v4(),
            "extendedFields": {"note": "x".repeat(size)},
        }}))
    };
    let refused = app
        .call(&site, "POST", "/badges/v4/badge-assignments", assignment(9_000))
        .await;
    refused.expect(400, "INVALID_ARGUMENT");
    assert!(refused.violated_fields().iter().any(|f| f.ends_with("extendedFields")));
    app.call(&site, "POST", "/badges/v4/badge-assignments", assignment(1_000))
        .await
        .ok();
});

backend_test!(a_site_has_at_most_ten_thousand_badges, |backend| async move {
    let app = TestApp::new(backend).await;
    let site = app.site(&[MANAGE]).await;
    app.fill_badges(&site.id, 9_999).await;
    app.create_badge(&site, json!({"title": "Last"})).await;
    let body = json!({"badge": {"title": "One more", "backgroundColor": "#796EFF", "textColor": "#FFFFFF"}});
    let refused = app.call(&site, "POST", "/badges/v4/badges", Some(body)).await;
    refused.expect(400, "BADGE_LIMIT_REACHED");
    // Site-wide answers stay within the cap.
    let counts = app.call(&site, "GET", "/members/v3/badges/members/count", None).await;
    assert_eq!(counts.ok()["badgeMemberCounts"].as_array().unwrap().len(), 10_000);
});
