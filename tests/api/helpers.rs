//! `TestApp`: the real router over a fresh database, and a small client.

use axum::body::Body;
use axum::http::{HeaderMap, Method, Request, StatusCode};
use axum::Router;
use http_body_util::BodyExt;
use insignia::api::{router, AppState};
use insignia::domain::{generate_api_key, SiteId, Timestamp};
use insignia::jobs::{JobRunner, JobSettings};
use insignia::service::CacheSettings;
use insignia::store::{ApiKeyRecord, Store};
use serde_json::Value;
use tower::ServiceExt;

use crate::common::{Backend, TestDb};

pub const MANAGE: &str = "SCOPE.DC-MEMBERS.MANAGE-BADGES";
pub const READ: &str = "SCOPE.DC-MEMBERS.READ-BADGES";

pub struct TestApp {
    pub router: Router,
    pub db: TestDb,
    /// The job runner `insignia serve` runs beside the router.
    pub jobs: JobRunner,
}

/// A site and a key for it.
#[derive(Clone, Debug)]
pub struct Site {
    pub id: String,
    pub key: String,
}

#[derive(Debug)]
pub struct Reply {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Value,
}

impl Reply {
    /// The Wix `applicationError.code`, or `INVALID_ARGUMENT` for a validation error.
    pub fn code(&self) -> &str {
        if self.body["details"]["validationError"].is_object() {
            return "INVALID_ARGUMENT";
        }
        self.body["details"]["applicationError"]["code"].as_str().unwrap_or("")
    }

    /// The `field` of every validation violation.
    pub fn violated_fields(&self) -> Vec<String> {
        self.body["details"]["validationError"]["fieldViolations"]
            .as_array()
            .map(|v| {
                v.iter()
                    .filter_map(|f| f["field"].as_str().map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default()
    }

    #[track_caller]
    pub fn ok(&self) -> &Value {
        assert_eq!(
            self.status,
            StatusCode::OK,
            "expected 200, got {}: {}",
            self.status,
            self.body
        );
        &self.body
    }

    #[track_caller]
    pub fn expect(&self, status: u16, code: &str) {
        assert_eq!(self.status.as_u16(), status, "body: {}", self.body);
        assert_eq!(self.code(), code, "body: {}", self.body);
        assert!(
            self.body["message"].is_string(),
            "Wix errors carry a message: {}",
            self.body
        );
        assert!(self.headers.contains_key("x-wix-request-id"));
    }
}

impl TestApp {
    pub async fn new(backend: Backend) -> TestApp {
        Self::with_caches(backend, CacheSettings::default()).await
    }

    /// The app with caches of these sizes and lifetimes.
    pub async fn with_caches(backend: Backend, caches: CacheSettings) -> TestApp {
        let db = TestDb::new(backend).await.expect("database for this backend");
        let state = AppState::with_caches(db.store.clone(), caches)
            .await
            .expect("app state");
        TestApp {
            router: router(state),
            jobs: insignia::jobs::start(db.store.clone(), JobSettings::default()),
            db,
        }
    }

    /// The app with a job runner of these settings.
    pub async fn with_jobs(backend: Backend, settings: JobSettings) -> TestApp {
        let mut app = Self::new(backend).await;
        let default = std::mem::replace(&mut app.jobs, insignia::jobs::start(app.db.store.clone(), settings));
        default.stop().await;
        app
    }

    /// The app with these request limits and per-site rates.
    pub async fn with_edge(backend: Backend, edge: insignia::api::Edge) -> TestApp {
        let db = TestDb::new(backend).await.expect("database for this backend");
        Self::over(db, edge).await
    }

    /// The app over a database opened by the test.
    pub async fn over(db: TestDb, edge: insignia::api::Edge) -> TestApp {
        let state = AppState::new(db.store.clone())
            .await
            .expect("app state")
            .with_edge(edge);
        TestApp {
            router: router(state),
            jobs: insignia::jobs::start(db.store.clone(), JobSettings::default()),
            db,
        }
    }

    /// Serves the router on a free local port, as `insignia serve` does.
    pub async fn serve(&self, limits: insignia::server::ConnectionLimits) -> std::net::SocketAddr {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let app = self.router.clone();
        tokio::spawn(insignia::server::serve(listener, app, limits, std::future::pending()));
        addr
    }

    /// Adds `count` badges (`Filler 1`, …) to a site straight through SQL.
    pub async fn fill_badges(&self, site: &str, count: i64) {
        use sqlx::Executor;
        let site = SiteId::parse("site", site).unwrap().to_bytes();
        let columns = "site_id, id, revision, title, description, background_color, text_color, icon, \
                       permissions_enabled, slug, display_order, member_count, created_at, updated_at, \
                       title_folded, slug_folded, description_folded";
        let values = "$1, {id}, 1, 'Filler ' || i, '', '#796EFF', '#FFFFFF', NULL, 0, 'filler-' || i, i, 0, 0, 0, \
                      'filler ' || i, 'filler-' || i, ''";
        let sql = match &self.db.schema {
            Some(schema) => format!(
                "INSERT INTO {schema}.badges ({columns}) SELECT {} FROM generate_series(1, $2) AS i",
                values.replace("{id}", "decode(md5(random()::text || i::text), 'hex')")
            ),
            None => format!(
                "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < $2) \
                 INSERT INTO badges ({columns}) SELECT {} FROM n",
                values.replace("{id}", "randomblob(16)")
            ),
        };
        let pool = self.direct().await;
        pool.execute(sqlx::query(&sql).bind(site).bind(count)).await.unwrap();
        pool.close().await;
    }

    /// Adds `count` protected pages (`/filler/1`, …) to a site straight
    /// through SQL, as a large site's data would already be there.
    pub async fn fill_pages(&self, site: &str, count: i64) {
        use sqlx::Executor;
        let site = SiteId::parse("site", site).unwrap().to_bytes();
        let (sql, table) = match &self.db.schema {
            Some(schema) => (
                "INSERT INTO {table} (site_id, id, revision, path, title, created_at, updated_at) \
                 SELECT $1, decode(md5(random()::text || i::text), 'hex'), 1, '/filler/' || i, '', 0, 0 \
                 FROM generate_series(1, $2) AS i",
                format!("{schema}.pages"),
            ),
            None => (
                "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < $2) \
                 INSERT INTO {table} (site_id, id, revision, path, title, created_at, updated_at) \
                 SELECT $1, randomblob(16), 1, '/filler/' || i, '', 0, 0 FROM n",
                "pages".to_owned(),
            ),
        };
        let pool = self.direct().await;
        let sql = sql.replace("{table}", &table);
        pool.execute(sqlx::query(&sql).bind(site).bind(count)).await.unwrap();
        pool.close().await;
    }

    /// A connection of the test's own to the database, beside the app's.
    async fn direct(&self) -> sqlx::AnyPool {
        sqlx::any::install_default_drivers();
        sqlx::any::AnyPoolOptions::new()
            .max_connections(1)
            .connect(&self.db.url)
            .await
            .unwrap()
    }

    /// The rows of one table, counted in SQL (for what no API shows).
    pub async fn count_rows(&self, table: &str) -> i64 {
        use sqlx::Row;
        let table = match &self.db.schema {
            Some(schema) => format!("{schema}.{table}"),
            None => table.to_owned(),
        };
        let pool = self.direct().await;
        let count: i64 = sqlx::query(&format!("SELECT COUNT(*) AS n FROM {table}"))
            .fetch_one(&pool)
            .await
            .unwrap()
            .try_get("n")
            .unwrap();
        pool.close().await;
        count
    }

    /// A new site with a key carrying `scopes`.
    pub async fn site(&self, scopes: &[&str]) -> Site {
        let id = uuid::Uuid::new_v4().to_string();
        let key = self.key_for(&id, scopes).await;
        Site { id, key }
    }

    pub async fn key_for(&self, site: &str, scopes: &[&str]) -> String {
        let key = generate_api_key();
        self.db
            .store
            .insert_api_key(&ApiKeyRecord {
                id: key.id,
                key_hash: key.hash,
                site_id: SiteId::parse("site", site).unwrap(),
                scopes: scopes.iter().map(|s| s.to_string()).collect(),
                created_at: Timestamp::now(),
                revoked_at: None,
            })
            .await
            .unwrap();
        key.secret
    }

    /// Sends a request with the site's key and id, as the SDK does.
    pub async fn call(&self, site: &Site, method: &str, path: &str, body: Option<Value>) -> Reply {
        let body = body.map(|b| b.to_string().into_bytes());
        self.raw(
            method,
            path,
            &[("authorization", &site.key), ("wix-site-id", &site.id)],
            body,
        )
        .await
    }

    pub async fn raw(&self, method: &str, path: &str, headers: &[(&str, &str)], body: Option<Vec<u8>>) -> Reply {
        let mut req = Request::builder()
            .method(Method::from_bytes(method.as_bytes()).unwrap())
            .uri(path);
        for (name, value) in headers {
            req = req.header(*name, *value);
        }
        if body.is_some() {
            req = req.header("content-type", "application/json");
        }
        let req = req.body(body.map(Body::from).unwrap_or_else(Body::empty)).unwrap();
        let res = self.router.clone().oneshot(req).await.unwrap();
        let status = res.status();
        let headers = res.headers().clone();
        let bytes = res.into_body().collect().await.unwrap().to_bytes();
        let body = if bytes.is_empty() {
            Value::Null
        } else {
            serde_json::from_slice(&bytes)
                .unwrap_or_else(|_| panic!("non-JSON body: {}", String::from_utf8_lossy(&bytes)))
        };
        Reply { status, headers, body }
    }

    /// The record of a job once it is no longer `IN_PROGRESS` (the runner
    /// works it in the background); fails after 60 s.
    pub async fn finished_job(&self, site: &Site, job_id: &str) -> Value {
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
        loop {
            let reply = self.call(site, "GET", &format!("/jobs/v1/jobs/{job_id}"), None).await;
            let job = reply.ok()["job"].clone();
            if job["status"] != "IN_PROGRESS" {
                return job;
            }
            assert!(std::time::Instant::now() < deadline, "job still running: {job}");
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
    }

    /// Creates a V4 badge. The colours V4 requires are filled in when `badge` leaves them out.
    pub async fn create_badge(&self, site: &Site, mut badge: Value) -> Value {
        for (colour, default) in [("backgroundColor", "#796EFF"), ("textColor", "#FFFFFF")] {
            if badge.get(colour).is_none() {
                badge[colour] = Value::from(default);
            }
        }
        let reply = self
            .call(
                site,
                "POST",
                "/badges/v4/badges",
                Some(serde_json::json!({ "badge": badge })),
            )
            .await;
        reply.ok()["badge"].clone()
    }
}
