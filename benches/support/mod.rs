//! What every benchmark sets up: a fresh database (a temporary SQLite file,
//! or a PostgreSQL schema of its own that is dropped afterwards), a site with
//! an API key, and the real router on a local port.
#![allow(dead_code)]

use std::sync::Arc;
use std::time::Duration;

use insignia::api::limits::RequestLimits;
use insignia::api::rate::RateSettings;
use insignia::api::{router, AppState, Edge};
use insignia::domain::{generate_api_key, SiteId, Timestamp};
use insignia::server::ConnectionLimits;
use insignia::store::{connect, ApiKeyRecord, ConnectOptions, SqlStore, Store};
use sqlx::Executor;

pub fn env_or(name: &str, default: usize) -> usize {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

pub fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

/// A database for one benchmark run.
pub struct BenchDb {
    pub url: String,
    pub store: Arc<SqlStore>,
    /// The PostgreSQL schema made for this run.
    pub schema: Option<String>,
    _dir: tempfile::TempDir,
}

impl BenchDb {
    /// `url` names a PostgreSQL server, or `None` for a temporary SQLite file.
    pub async fn open(url: Option<&str>) -> BenchDb {
        Self::open_with(url, |_| {}).await
    }

    /// As [`BenchDb::open`], with the connection settings adjusted first.
    pub async fn open_with(url: Option<&str>, adjust: impl FnOnce(&mut ConnectOptions)) -> BenchDb {
        let dir = tempfile::tempdir().expect("temp dir");
        let url = url
            .map(str::to_owned)
            .unwrap_or_else(|| format!("sqlite://{}", dir.path().join("bench.db").display()));
        let mut options = ConnectOptions::new(&url);
        // The SQLite map budget of `insignia serve --sqlite-mmap-mb`, to compare its cost.
        if let Ok(mib) = std::env::var("BENCH_SQLITE_MMAP_MIB") {
            options.sqlite_mmap_bytes = mib.parse::<u64>().expect("BENCH_SQLITE_MMAP_MIB") << 20;
        }
        adjust(&mut options);
        if url.starts_with("postgres") {
            options.schema = Some(format!("insignia_bench_{}", uuid::Uuid::new_v4().simple()));
        }
        let store = Arc::new(connect(&options).await.expect("database"));
        BenchDb {
            url,
            store,
            schema: options.schema,
            _dir: dir,
        }
    }

    /// `BENCH_DATABASE_URL`, or a temporary SQLite file.
    pub async fn from_env() -> BenchDb {
        Self::open(std::env::var("BENCH_DATABASE_URL").ok().as_deref()).await
    }

    /// The size of the SQLite file and its WAL (`None` on PostgreSQL).
    pub fn sqlite_bytes(&self) -> Option<u64> {
        let path = self.url.strip_prefix("sqlite://")?;
        let size = |p: &str| std::fs::metadata(p).map_or(0, |m| m.len());
        Some(size(path) + size(&format!("{path}-wal")))
    }

    pub fn backend(&self) -> &'static str {
        if self.schema.is_some() {
            "PostgreSQL"
        } else {
            "SQLite"
        }
    }

    /// A table name as a second connection (outside the store) must write it.
    pub fn table(&self, name: &str) -> String {
        match &self.schema {
            Some(schema) => format!("{schema}.{name}"),
            None => name.to_owned(),
        }
    }

    /// One statement on a connection of its own.
    pub async fn run_sql(&self, sql: &str) {
        run_sql(&self.url, sql).await.expect("statement");
    }

    /// A new key for `site` with one scope.
    pub async fn key(&self, site: SiteId, scope: &str) -> String {
        let key = generate_api_key();
        self.store
            .insert_api_key(&ApiKeyRecord {
                id: key.id,
                key_hash: key.hash,
                site_id: site,
                scopes: vec![scope.to_owned()],
                created_at: Timestamp::now(),
                revoked_at: None,
            })
            .await
            .expect("api key");
        key.secret
    }

    /// The real router on a free local port: its base URL, and the task serving it.
    pub async fn serve(&self) -> (String, tokio::task::JoinHandle<std::io::Result<()>>) {
        // The load of one benchmark comes from one site: no per-site rate.
        let unlimited = RateSettings {
            per_second: 0,
            burst: 0,
        };
        let state = AppState::new(self.store.clone())
            .await
            .expect("app state")
            .with_edge(Edge::new(RequestLimits::default(), unlimited));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("listen");
        let base = format!("http://{}", listener.local_addr().expect("address"));
        let serving = tokio::spawn(insignia::server::serve(
            listener,
            router(state),
            ConnectionLimits::default(),
            std::future::pending(),
        ));
        (base, serving)
    }
}

impl Drop for BenchDb {
    fn drop(&mut self) {
        let Some(schema) = self.schema.take() else {
            return;
        };
        let url = self.url.clone();
        // Drop may run outside async code: a short-lived runtime on its own thread does it.
        let _ = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .ok()?;
            rt.block_on(run_sql(&url, &format!("DROP SCHEMA IF EXISTS {schema} CASCADE")))
                .ok()
        })
        .join();
    }
}

async fn run_sql(url: &str, sql: &str) -> Result<(), sqlx::Error> {
    let pool = sqlx::any::AnyPoolOptions::new().max_connections(1).connect(url).await?;
    pool.execute(sql).await?;
    pool.close().await;
    Ok(())
}
