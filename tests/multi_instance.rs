//! Two real `insignia serve` processes on one PostgreSQL schema: what one
//! writes the other reads, the database decides every race between them, a
//! query cursor from one continues on the other, and a job is worked by one
//! instance at a time and finished by the other when the first dies.
//!
//! Runs when `INSIGNIA_TEST_DATABASE_URL` names a PostgreSQL server (CI sets
//! it); without it the test says so and passes.

mod common;

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::{mpsc, Arc, Mutex};
use std::time::Duration;

use common::{Backend, TestDb, PG_VAR};
use serde_json::{json, Value};

const MANAGE: &str = "SCOPE.DC-MEMBERS.MANAGE-BADGES";

/// Runs the binary with only the given settings (none inherited from the environment).
fn insignia() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_insignia"));
    for var in [
        "INSIGNIA_DATABASE_URL",
        "INSIGNIA_DATABASE_SCHEMA",
        "INSIGNIA_LISTEN",
        "INSIGNIA_DATABASE_POOL_SIZE",
    ] {
        command.env_remove(var);
    }
    command
}

/// One `insignia serve` process; killed when dropped.
struct Instance {
    name: &'static str,
    child: Child,
    base: String,
    log: Arc<Mutex<Vec<String>>>,
}

impl Instance {
    fn start(name: &'static str, url: &str, schema: &str) -> Instance {
        let mut child = insignia()
            .args([
                "serve",
                "--listen",
                "127.0.0.1:0",
                "--database",
                url,
                "--schema",
                schema,
            ])
            .args(["--pool-size", "4"])
            // Jobs in small batches, and idle runners that look often: a job
            // outlives its first instance, and the other takes it up soon.
            .args(["--job-batch-size", "5", "--job-poll-ms", "100"])
            .env("INSIGNIA_LOG", "info")
            .env("NO_COLOR", "1")
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start insignia serve");
        // The log is read to the end on its own thread, so the server never
        // blocks on a full pipe; the first "listening" line gives the address.
        let stderr = child.stderr.take().expect("stderr");
        let log = Arc::new(Mutex::new(Vec::new()));
        let (addr_tx, addr_rx) = mpsc::channel();
        let lines = log.clone();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                if let Some(rest) = line.split("listening on http://").nth(1) {
                    let addr = rest.split_whitespace().next().unwrap_or_default().to_owned();
                    let _ = addr_tx.send(addr);
                }
                lines.lock().unwrap().push(line);
            }
        });
        let mut instance = Instance {
            name,
            child,
            base: String::new(),
            log,
        };
        match addr_rx.recv_timeout(Duration::from_secs(60)) {
            Ok(addr) => instance.base = format!("http://{addr}"),
            Err(_) => panic!("instance {name} did not start:\n{}", instance.log()),
        }
        instance
    }

    fn log(&self) -> String {
        self.log.lock().unwrap().join("\n")
    }
}

impl Drop for Instance {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A site's key, made with the CLI as an operator would.
fn create_key(url: &str, schema: &str, site: &str) -> String {
    let out = insignia()
        .args(["keys", "create", "--database", url, "--schema", schema])
        .args(["--site", site, "--scope", MANAGE])
        .output()
        .expect("run insignia keys create");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).unwrap().trim().to_owned()
}

struct Client {
    http: reqwest::Client,
    key: String,
    site: String,
}

impl Client {
    async fn send(&self, instance: &Instance, method: &str, path: &str, body: Option<Value>) -> (u16, Value) {
        let method = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
        let mut request = self
            .http
            .request(method, format!("{}{path}", instance.base))
            .header("authorization", &self.key)
            .header("wix-site-id", &self.site);
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request
            .send()
            .await
            .unwrap_or_else(|e| panic!("request to {}: {e}\n{}", instance.name, instance.log()));
        let status = response.status().as_u16();
        let body = response.json().await.unwrap_or(Value::Null);
        (status, body)
    }

    #[track_caller]
    fn ok((status, body): (u16, Value)) -> Value {
        assert_eq!(status, 200, "{body}");
        body
    }
}

/// Two `insignia serve` processes on a fresh PostgreSQL schema, and a
/// client of one site. Fields drop in this order: the instances stop
/// before the schema is dropped.
struct TwoInstances {
    a: Instance,
    b: Instance,
    client: Client,
    schema: String,
    db: TestDb,
}

/// `None` (and the test says so) when no PostgreSQL is configured.
async fn two_instances() -> Option<TwoInstances> {
    if std::env::var(PG_VAR).map_or(true, |v| v.is_empty()) {
        eprintln!("{PG_VAR} is not set: the multi-instance test needs PostgreSQL and was not run");
        return None;
    }
    let db = TestDb::new(Backend::Postgres).await.expect("PostgreSQL schema");
    let schema = db.schema.clone().expect("schema name");
    let site = uuid::Uuid::new_v4().to_string();
    let key = create_key(&db.url, &schema, &site);
    let a = Instance::start("A", &db.url, &schema);
    let b = Instance::start("B", &db.url, &schema);
    let client = Client {
        http: reqwest::Client::new(),
        key,
        site,
    };
    Some(TwoInstances {
        a,
        b,
        client,
        schema,
        db,
    })
}

/// Both statuses of a race, sorted, e.g. `[200, 409]`.
fn sorted(a: &(u16, Value), b: &(u16, Value)) -> [u16; 2] {
    let mut both = [a.0, b.0];
    both.sort();
    both
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_instances_share_one_database() {
    let Some(two) = two_instances().await else {
        return;
    };
    let TwoInstances { a, b, client, .. } = &two;
    assert_ne!(a.base, b.base);

    // Written through A, read through B, and the other way round.
    let created = Client::ok(
        client
            .send(
                a,
                "POST",
                "/badges/v4/badges",
                Some(json!({"badge": {"title": "Shared", "description": "made on A", "backgroundColor": "#796EFF", "textColor": "#FFFFFF"}})),
            )
            .await,
    )["badge"]
        .clone();
    let id = created["id"].as_str().unwrap().to_owned();
    let path = format!("/badges/v4/badges/{id}");
    let read = Client::ok(client.send(b, "GET", &path, None).await);
    assert_eq!(read["badge"], created);
    let from_b = Client::ok(
        client
            .send(
                b,
                "POST",
                "/badges/v4/badges",
                Some(json!({"badge": {"title": "Shared", "backgroundColor": "#796EFF", "textColor": "#FFFFFF"}})),
            )
            .await,
    )["badge"]
        .clone();
    assert_eq!(from_b["slug"], "shared-2", "slugs are decided by the database");
    let from_b_path = format!("/badges/v4/badges/{}", from_b["id"].as_str().unwrap());
    assert_eq!(
        Client::ok(client.send(a, "GET", &from_b_path, None).await)["badge"],
        from_b
    );

    // The same revision patched through both at once: one wins, one gets 409.
    for round in 0..6 {
        let current = Client::ok(client.send(a, "GET", &path, None).await)["badge"]["revision"]
            .as_str()
            .unwrap()
            .to_owned();
        let patch =
            |who: &str| Some(json!({"badge": {"revision": current, "description": format!("round {round} by {who}")}}));
        let (via_a, via_b) = tokio::join!(
            client.send(a, "PATCH", &path, patch("A")),
            client.send(b, "PATCH", &path, patch("B")),
        );
        assert_eq!(sorted(&via_a, &via_b), [200, 409], "round {round}: {via_a:?} {via_b:?}");
        let (winner, loser) = if via_a.0 == 200 {
            (&via_a, &via_b)
        } else {
            (&via_b, &via_a)
        };
        let next: i64 = current.parse::<i64>().unwrap() + 1;
        assert_eq!(winner.1["badge"]["revision"], next.to_string());
        assert_eq!(
            loser.1["details"]["applicationError"]["code"], "REVISION_MISMATCH",
            "{}",
            loser.1
        );
        // Both instances now read the winner's badge.
        for instance in [&a, &b] {
            let now = Client::ok(client.send(instance, "GET", &path, None).await);
            assert_eq!(now["badge"], winner.1["badge"]);
        }
    }

    // A query cursor issued by A continues on B (and back on A).
    for i in 0..5 {
        let body =
            json!({"badge": {"title": format!("Paged {i}"), "backgroundColor": "#796EFF", "textColor": "#FFFFFF"}});
        Client::ok(client.send(a, "POST", "/badges/v4/badges", Some(body)).await);
    }
    let whole = Client::ok(
        client
            .send(
                b,
                "POST",
                "/badges/v4/badges/query",
                Some(json!({"query": {"sort": [{"fieldName": "title"}], "cursorPaging": {"limit": 100}}})),
            )
            .await,
    );
    let titles = |page: &Value| -> Vec<String> {
        page["badges"]
            .as_array()
            .unwrap()
            .iter()
            .map(|b| b["title"].as_str().unwrap().to_owned())
            .collect()
    };
    let expected = titles(&whole);
    assert_eq!(expected.len(), 7);
    let mut walked = Vec::new();
    let mut body = json!({"query": {"sort": [{"fieldName": "title"}], "cursorPaging": {"limit": 3}}});
    let instances = [&a, &b];
    for page in 0.. {
        assert!(page < 10, "paging does not end");
        let reply = Client::ok(
            client
                .send(instances[page % 2], "POST", "/badges/v4/badges/query", Some(body))
                .await,
        );
        walked.extend(titles(&reply));
        match reply["pagingMetadata"]["cursors"]["next"].as_str() {
            Some(cursor) => body = json!({"query": {"cursorPaging": {"limit": 3, "cursor": cursor}}}),
            None => break,
        }
    }
    assert_eq!(walked, expected);

    // The same assignment created through both at once: one row.
    let holders = |member: &str| {
        let member = member.to_owned();
        let client = &client;
        let a = &a;
        async move {
            let body = json!({"query": {"filter": {"memberId": member}, "cursorPaging": {"limit": 100}}});
            let reply = Client::ok(
                client
                    .send(a, "POST", "/badges/v4/badge-assignments/query", Some(body))
                    .await,
            );
            reply["badgeAssignments"].as_array().unwrap().clone()
        }
    };
    for round in 0..6 {
        let member = uuid::Uuid::new_v4().to_string();
        let body = json!({"badgeAssignment": {"badgeId": id, "memberId": member}});
        let (via_a, via_b) = tokio::join!(
            client.send(a, "POST", "/badges/v4/badge-assignments", Some(body.clone())),
            client.send(b, "POST", "/badges/v4/badge-assignments", Some(body.clone())),
        );
        assert_eq!(sorted(&via_a, &via_b), [200, 409], "round {round}: {via_a:?} {via_b:?}");
        let loser = if via_a.0 == 409 { &via_a } else { &via_b };
        assert_eq!(
            loser.1["details"]["applicationError"]["code"], "ALREADY_EXISTS",
            "{}",
            loser.1
        );
        let held = holders(&member).await;
        assert_eq!(held.len(), 1, "round {round}: exactly one row");
        assert_eq!(held[0]["badgeId"], id.as_str());
    }

    // Overlapping bulk creates through both: every member holds the badge once.
    let members: Vec<String> = (0..40).map(|_| uuid::Uuid::new_v4().to_string()).collect();
    let bulk = |from: usize| {
        let items: Vec<Value> = members[from..from + 30]
            .iter()
            .map(|m| json!({"badgeId": id, "memberId": m}))
            .collect();
        Some(json!({"badgeAssignments": items}))
    };
    let (via_a, via_b) = tokio::join!(
        client.send(a, "POST", "/badges/v4/bulk/badge-assignments/create", bulk(0)),
        client.send(b, "POST", "/badges/v4/bulk/badge-assignments/create", bulk(10)),
    );
    let successes = |reply: &(u16, Value)| {
        assert_eq!(reply.0, 200, "{}", reply.1);
        reply.1["bulkActionMetadata"]["totalSuccesses"].as_i64().unwrap()
    };
    assert_eq!(successes(&via_a) + successes(&via_b), 40, "{via_a:?} {via_b:?}");
    for m in &members {
        assert_eq!(holders(m).await.len(), 1);
    }
}

/// Polls `probe` through `instance` until it answers `want`; returns how
/// long that took, or fails after `bound`.
async fn seen_within(bound: Duration, what: &str, mut probe: impl AsyncFnMut() -> Value, want: Value) -> Duration {
    let started = std::time::Instant::now();
    loop {
        let got = probe().await;
        if got == want {
            return started.elapsed();
        }
        assert!(
            started.elapsed() < bound,
            "{what}: not seen within {bound:?} (still {got})"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn access_changes_reach_the_other_instance_within_a_second() {
    let Some(two) = two_instances().await else {
        return;
    };
    let TwoInstances {
        a,
        b,
        client,
        schema,
        db,
    } = &two;
    // The documented bound for another instance's change.
    let bound = Duration::from_secs(1);
    let member = uuid::Uuid::new_v4().to_string();
    let check = |instance: &Instance, path: &'static str| {
        let (client, member) = (&client, member.clone());
        let base = instance.base.clone();
        let name = instance.name;
        async move {
            let body = json!({"memberId": member, "pages": [path]});
            let reply = client
                .http
                .post(format!("{base}/insignia/v1/access/check"))
                .header("authorization", &client.key)
                .header("wix-site-id", &client.site)
                .json(&body)
                .send()
                .await
                .unwrap_or_else(|e| panic!("check on {name}: {e}"));
            let body: Value = reply.json().await.unwrap();
            json!([body["results"][0]["allowed"], body["results"][0]["reason"]])
        }
    };

    let gold = Client::ok(
        client
            .send(
                a,
                "POST",
                "/badges/v4/badges",
                Some(json!({"badge": {"title": "Gold", "backgroundColor": "#796EFF", "textColor": "#FFFFFF", "permissionsEnabled": true}})),
            )
            .await,
    )["badge"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    // B caches "not protected" and the member's empty badge set.
    assert_eq!(check(b, "/club/room").await, json!([true, "NOT_PROTECTED"]));
    let page = Client::ok(
        client
            .send(
                a,
                "POST",
                "/insignia/v1/pages",
                Some(json!({"page": {"path": "/club", "badgeIds": [gold]}})),
            )
            .await,
    )["page"]
        .clone();
    let mut lags = Vec::new();
    lags.push(
        seen_within(
            bound,
            "a page protected on A, checked on B",
            || check(b, "/club/room"),
            json!([false, "NO_GRANTING_BADGE"]),
        )
        .await,
    );
    let assignment = Client::ok(
        client
            .send(
                a,
                "POST",
                "/badges/v4/badge-assignments",
                Some(json!({"badgeAssignment": {"badgeId": gold, "memberId": member}})),
            )
            .await,
    )["badgeAssignment"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    lags.push(
        seen_within(
            bound,
            "assigned on A, checked on B",
            || check(b, "/club/room"),
            json!([true, "HOLDS_GRANTING_BADGE"]),
        )
        .await,
    );
    // Permissions switched off on B, seen on A (which cached the grant).
    assert_eq!(check(a, "/club").await, json!([true, "HOLDS_GRANTING_BADGE"]));
    let revision = Client::ok(client.send(b, "GET", &format!("/badges/v4/badges/{gold}"), None).await)["badge"]
        ["revision"]
        .clone();
    Client::ok(
        client
            .send(
                b,
                "PATCH",
                &format!("/badges/v4/badges/{gold}"),
                Some(json!({"badge": {"revision": revision, "permissionsEnabled": false}})),
            )
            .await,
    );
    lags.push(
        seen_within(
            bound,
            "permissions off on B, checked on A",
            || check(a, "/club"),
            json!([false, "PERMISSIONS_DISABLED"]),
        )
        .await,
    );
    Client::ok(
        client
            .send(
                a,
                "PATCH",
                &format!("/badges/v4/badges/{gold}"),
                Some(json!({"badge": {"revision": (revision.as_str().unwrap().parse::<i64>().unwrap() + 1).to_string(), "permissionsEnabled": true}})),
            )
            .await,
    );
    lags.push(
        seen_within(
            bound,
            "permissions on again on A, checked on B",
            || check(b, "/club"),
            json!([true, "HOLDS_GRANTING_BADGE"]),
        )
        .await,
    );
    // Unassigned on A: B says no.
    Client::ok(
        client
            .send(a, "DELETE", &format!("/badges/v4/badge-assignments/{assignment}"), None)
            .await,
    );
    lags.push(
        seen_within(
            bound,
            "unassigned on A, checked on B",
            || check(b, "/club"),
            json!([false, "NO_GRANTING_BADGE"]),
        )
        .await,
    );
    // The page removed on B: A no longer protects it.
    Client::ok(
        client
            .send(
                b,
                "DELETE",
                &format!("/insignia/v1/pages/{}", page["id"].as_str().unwrap()),
                None,
            )
            .await,
    );
    lags.push(
        seen_within(
            bound,
            "page removed on B, checked on A",
            || check(a, "/club"),
            json!([true, "NOT_PROTECTED"]),
        )
        .await,
    );
    eprintln!("changes seen by the other instance after: {lags:?}");

    // A key revoked with the CLI stops working on both instances within the
    // key cache's lifetime (5 s by default).
    let revoke = insignia()
        .args(["keys", "list", "--database", &db.url, "--schema", schema])
        .output()
        .expect("keys list");
    let id = String::from_utf8(revoke.stdout)
        .unwrap()
        .split('\t')
        .next()
        .unwrap()
        .to_owned();
    let out = insignia()
        .args(["keys", "revoke", &id, "--database", &db.url, "--schema", schema])
        .output()
        .expect("keys revoke");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    for instance in [&a, &b] {
        let path = format!("/badges/v4/badges/{gold}");
        let status = || {
            let path = path.clone();
            let client = &client;
            async move { json!(client.send(instance, "GET", &path, None).await.0) }
        };
        seen_within(Duration::from_secs(8), "a key revoked with the CLI", status, json!(401)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reads_from_memory_follow_the_other_instance_within_a_second() {
    let Some(two) = two_instances().await else {
        return;
    };
    let TwoInstances { a, b, client, .. } = &two;
    // The documented bound for another instance's change.
    let bound = Duration::from_secs(1);
    let new_badge = json!({"badge": {"title": "Gold", "backgroundColor": "#796EFF", "textColor": "#FFFFFF"}});
    let gold = Client::ok(client.send(a, "POST", "/badges/v4/badges", Some(new_badge)).await)["badge"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let member = uuid::Uuid::new_v4().to_string();
    let title_on_b = || {
        let (client, path, b) = (&client, format!("/badges/v4/badges/{gold}"), &b);
        async move { Client::ok(client.send(b, "GET", &path, None).await)["badge"]["title"].clone() }
    };
    let badges_on_b = || {
        let (client, member, b) = (&client, member.clone(), &b);
        async move {
            let query = json!({"query": {"filter": {"memberId": member}}});
            let reply = Client::ok(
                client
                    .send(b, "POST", "/badges/v4/badge-assignments/query", Some(query))
                    .await,
            );
            json!(reply["badgeAssignments"].as_array().unwrap().len())
        }
    };
    // B keeps the badge and the member's (empty) list in memory.
    for _ in 0..2 {
        assert_eq!(title_on_b().await, json!("Gold"));
        assert_eq!(badges_on_b().await, json!(0));
    }
    let mut lags = Vec::new();
    let patch = json!({"badge": {"revision": "1", "title": "Platinum"}});
    Client::ok(
        client
            .send(a, "PATCH", &format!("/badges/v4/badges/{gold}"), Some(patch))
            .await,
    );
    lags.push(seen_within(bound, "a badge renamed on A, read on B", title_on_b, json!("Platinum")).await);

    let assign = json!({"badgeAssignment": {"badgeId": gold, "memberId": member}});
    let assignment = Client::ok(
        client
            .send(a, "POST", "/badges/v4/badge-assignments", Some(assign))
            .await,
    )["badgeAssignment"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    lags.push(seen_within(bound, "assigned on A, listed on B", badges_on_b, json!(1)).await);
    Client::ok(
        client
            .send(a, "DELETE", &format!("/badges/v4/badge-assignments/{assignment}"), None)
            .await,
    );
    lags.push(seen_within(bound, "unassigned on A, listed on B", badges_on_b, json!(0)).await);
    eprintln!("reads on the other instance followed after: {lags:?}");
}

/// A front-end OAuth client of `site`, made with the CLI.
fn create_oauth_client(url: &str, schema: &str, site: &str) -> String {
    let out = insignia()
        .args(["clients", "create", "--database", url, "--schema", schema])
        .args(["--site", site, "--origin", "https://shop.example"])
        .output()
        .expect("run insignia clients create");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).unwrap().trim().to_owned()
}

/// `POST /oauth2/token` on `instance`; the access token it grants.
async fn access_token(http: &reqwest::Client, instance: &Instance, authorization: Option<&str>, body: Value) -> String {
    let mut request = http.post(format!("{}/oauth2/token", instance.base)).json(&body);
    if let Some(value) = authorization {
        request = request.header("authorization", value);
    }
    let reply: Value = request.send().await.unwrap().json().await.unwrap();
    reply["access_token"]
        .as_str()
        .unwrap_or_else(|| panic!("no token: {reply}"))
        .to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_session_revoked_on_one_instance_is_refused_by_the_other_within_a_second() {
    let Some(two) = two_instances().await else { return };
    let (a, b, client) = (&two.a, &two.b, &two.client);
    let oauth_client = create_oauth_client(&two.db.url, &two.schema, &client.site);
    let http = &client.http;
    let visitor = access_token(
        http,
        a,
        None,
        json!({"clientId": oauth_client, "grantType": "anonymous"}),
    )
    .await;
    let vouched = format!("{visitor},{}", client.key);
    let member = uuid::Uuid::new_v4().to_string();
    let grant = json!({"grant_type": "authorized_client", "member_id": member});
    let signing_out = access_token(http, a, Some(&vouched), grant.clone()).await;
    let staying = access_token(http, a, Some(&vouched), grant).await;
    let status_on_b = async |token: &str| {
        let reply = http
            .post(format!("{}/badges/v4/badges/query", b.base))
            .header("authorization", token)
            .json(&json!({"query": {}}))
            .send()
            .await
            .unwrap();
        json!(reply.status().as_u16())
    };
    assert_eq!(status_on_b(&signing_out).await, json!(200));

    let out = http
        .post(format!("{}/insignia/v1/sessions/sign-out", a.base))
        .header("authorization", &signing_out)
        .send()
        .await
        .unwrap();
    assert_eq!(out.status(), 200);
    let took = seen_within(
        Duration::from_secs(1),
        "a sign-out on A refusing the token on B",
        async || status_on_b(&signing_out).await,
        json!(401),
    )
    .await;
    eprintln!("B refused the signed-out token {took:?} after the sign-out on A");
    assert_eq!(
        status_on_b(&staying).await,
        json!(200),
        "the member's other session is not touched"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_job_is_worked_once_and_outlives_its_instance() {
    const ROWS: usize = 3_000;
    let Some(mut two) = two_instances().await else {
        return;
    };
    let badge = Client::ok(
        two.client
            .send(
                &two.a,
                "POST",
                "/badges/v4/badges",
                Some(json!({"badge": {"title": "Job", "backgroundColor": "#796EFF", "textColor": "#FFFFFF"}})),
            )
            .await,
    )["badge"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    for _ in 0..ROWS / 100 {
        let items: Vec<Value> = (0..100)
            .map(|_| json!({"badgeId": badge, "memberId": uuid::Uuid::new_v4().to_string()}))
            .collect();
        Client::ok(
            two.client
                .send(
                    &two.a,
                    "POST",
                    "/badges/v4/bulk/badge-assignments/create",
                    Some(json!({ "badgeAssignments": items })),
                )
                .await,
        );
    }
    let queued = Client::ok(
        two.client
            .send(
                &two.a,
                "POST",
                "/badges/v4/bulk/badge-assignments/update-tags-by-filter",
                Some(json!({"filter": {"badgeId": badge}, "assignTags": {"tags": {"tagIds": ["club"]}}})),
            )
            .await,
    );
    let job_path = format!("/jobs/v1/jobs/{}", queued["jobId"].as_str().unwrap());
    // Both runners work the queue; A dies well into the job.
    loop {
        let job = Client::ok(two.client.send(&two.b, "GET", &job_path, None).await)["job"].clone();
        assert_eq!(job["status"], "IN_PROGRESS", "the job outran the test: {job}");
        if job["succeededItems"].as_i64().unwrap() >= 300 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    two.a.child.kill().unwrap();
    two.a.child.wait().unwrap();

    let deadline = std::time::Instant::now() + Duration::from_secs(120);
    let job = loop {
        let job = Client::ok(two.client.send(&two.b, "GET", &job_path, None).await)["job"].clone();
        if job["status"] != "IN_PROGRESS" {
            break job;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "B did not finish the job: {job}\n{}",
            two.b.log()
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert_eq!(job["status"], "FINISHED", "{job}");
    assert_eq!(
        (&job["totalItems"], &job["succeededItems"]),
        (&json!(ROWS), &json!(ROWS)),
        "{job}"
    );
    // Each row re-tagged once, whichever instance did it: one event per row.
    let mut entities = std::collections::HashSet::new();
    let mut events = 0;
    let mut cursor = String::new();
    loop {
        let path = format!("/insignia/v1/events?types=insignia.v1.badge_assignment_updated&limit=1000&cursor={cursor}");
        let feed = Client::ok(two.client.send(&two.b, "GET", &path, None).await);
        for event in feed["events"].as_array().unwrap() {
            let data: Value = serde_json::from_str(event["data"].as_str().unwrap()).unwrap();
            entities.insert(data["entityId"].as_str().unwrap().to_owned());
            events += 1;
        }
        cursor = feed["pagingMetadata"]["cursors"]["next"].as_str().unwrap().to_owned();
        if !feed["pagingMetadata"]["hasNext"].as_bool().unwrap() {
            break;
        }
    }
    assert_eq!((events, entities.len()), (ROWS, ROWS));
}
