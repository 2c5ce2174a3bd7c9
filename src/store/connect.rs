//! Opening a database: pools, per-connection settings and migrations for
//! each backend.

use std::str::FromStr;
use std::sync::Once;
use std::time::Duration;

use sqlx::any::{AnyConnectOptions, AnyPoolOptions};
use sqlx::{AnyPool, Executor};

use super::group_commit::GroupWriter;
use super::notices::NoticeSource;
use super::{SqlStore, StoreError, StoreResult};
use crate::query::Dialect;

static SQLITE_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("migrations/sqlite");
static POSTGRES_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("migrations/postgres");

#[derive(Debug, Clone)]
pub struct ConnectOptions {
    /// `sqlite://PATH` or `postgres://…`.
    pub url: String,
    /// Connections per pool (readers, for SQLite; SQLite has one writer).
    pub max_connections: u32,
    /// PostgreSQL `statement_timeout`, in milliseconds (0: none).
    pub statement_timeout_ms: u64,
    /// PostgreSQL schema to use instead of `public` (created if missing).
    pub schema: Option<String>,
    /// The longest wait for a pooled connection or a lock; past it the store
    /// answers an error that `StoreError::is_unavailable` recognises.
    pub wait: Duration,
    /// SQLite: bytes of the file all connections together may map.
    pub sqlite_mmap_bytes: u64,
    /// SQLite: page cache of each connection, in KiB.
    pub sqlite_cache_kib: u64,
}

impl ConnectOptions {
    pub fn new(url: impl Into<String>) -> Self {
        Self {
            url: url.into(),
            max_connections: 8,
            statement_timeout_ms: 30_000,
            schema: None,
            wait: Duration::from_secs(2),
            sqlite_mmap_bytes: 128 << 20,
            sqlite_cache_kib: 2048,
        }
    }
}

/// Connects and brings the schema up to date.
pub async fn connect(options: &ConnectOptions) -> StoreResult<SqlStore> {
    static DRIVERS: Once = Once::new();
    DRIVERS.call_once(sqlx::any::install_default_drivers);

    let url = options.url.as_str();
    if url.starts_with("sqlite:") {
        connect_sqlite(options).await
    } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        connect_postgres(options).await
    } else {
        Err(StoreError::Config(format!(
            "unsupported database URL {:?}: use sqlite://PATH or postgres://…",
            crate::diagnostics::redact_urls(url)
        )))
    }
}

/// Settings of every SQLite connection:
/// - 1 KiB pages: a bulk load of random member ids dirties one leaf page per
///   row, and every dirtied page is written to the WAL whole, so small pages
///   mean less copying per commit (only takes effect on a new file).
/// - WAL lets readers run beside the writer; `synchronous = NORMAL` is durable
///   across crashes of the process (a power cut may lose the last commits).
/// - Memory-mapped reads serve B-tree pages from the OS cache without copying,
///   so the page cache stays small (2 MiB by default): SQLite walks the whole
///   page cache on every commit, and a 64 MiB cache cost the writer 15% of
///   its time in a bulk load. Checkpoints every 10,000 pages write each hot
///   page back once, not once per commit.
/// - The map has a budget for the whole process, shared out among the
///   connections: each connection maps the file on its own and every mapping
///   counts in the process's resident size, so an unbounded map per
///   connection showed as gigabytes of RSS over a database of 225 MB.
/// - `busy_timeout`: how long a statement waits for another process's lock
///   before it fails with `SQLITE_BUSY` (answered 503).
/// - Case-sensitive LIKE makes the slug search agree with PostgreSQL.
fn sqlite_pragmas(options: &ConnectOptions, connections: u32) -> String {
    let mmap = options.sqlite_mmap_bytes / u64::from(connections.max(1));
    format!(
        "PRAGMA page_size = 1024; PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; \
         PRAGMA foreign_keys = ON; PRAGMA busy_timeout = {busy}; PRAGMA case_sensitive_like = ON; \
         PRAGMA mmap_size = {mmap}; PRAGMA cache_size = -{cache}; PRAGMA wal_autocheckpoint = 10000; \
         PRAGMA temp_store = MEMORY;",
        busy = options.wait.as_millis(),
        cache = options.sqlite_cache_kib.max(64),
    )
}

fn sqlite_url(url: &str) -> String {
    // `mode=rwc` creates the file when it does not exist yet.
    if url.contains('?') {
        url.to_owned()
    } else {
        format!("{url}?mode=rwc")
    }
}

async fn connect_sqlite(options: &ConnectOptions) -> StoreResult<SqlStore> {
    let any = AnyConnectOptions::from_str(&sqlite_url(&options.url))?;
    let readers = options.max_connections.max(1);
    let pragmas: std::sync::Arc<str> = sqlite_pragmas(options, readers + 1).into();
    let pool = |max: u32| {
        let pragmas = pragmas.clone();
        AnyPoolOptions::new()
            .max_connections(max)
            .acquire_timeout(options.wait)
            // A local file cannot go stale: skip the ping before every use.
            .test_before_acquire(false)
            .after_connect(move |conn, _| {
                let pragmas = pragmas.clone();
                Box::pin(async move {
                    conn.execute(&*pragmas).await?;
                    Ok(())
                })
            })
            .connect_with(any.clone())
    };
    // SQLite has one writer at a time. A single-connection write pool queues
    // writers in the process instead of letting them fail with SQLITE_BUSY.
    let write = pool(1).await?;
    SQLITE_MIGRATIONS.run(&write).await?;
    super::badges::fold_unfolded_badges(&write).await?;
    let read = pool(readers).await?;
    let mut store = SqlStore::new(read, write, Dialect::Sqlite, None);
    // The writer task's own handle has no queue: it never waits on itself.
    store.group = Some(GroupWriter::start(store.clone()));
    Ok(store)
}

async fn connect_postgres(options: &ConnectOptions) -> StoreResult<SqlStore> {
    let any = AnyConnectOptions::from_str(&options.url)?;
    if let Some(schema) = &options.schema {
        if !schema.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') || schema.is_empty() {
            return Err(StoreError::Config(format!("invalid schema name {schema:?}")));
        }
    }
    let setup_schema = options.schema.clone();
    // Migrations on a connection of their own, without the short lock wait
    // of request connections: instances starting together queue on the
    // migration lock for as long as the migrations take.
    let setup: AnyPool = AnyPoolOptions::new()
        .max_connections(1)
        .acquire_timeout(Duration::from_secs(30))
        .after_connect(move |conn, _| {
            let schema = setup_schema.clone();
            Box::pin(async move {
                if let Some(schema) = schema {
                    conn.execute(format!("SET search_path TO {schema}").as_str()).await?;
                }
                Ok(())
            })
        })
        .connect_with(any.clone())
        .await?;
    if let Some(schema) = &options.schema {
        setup
            .execute(format!("CREATE SCHEMA IF NOT EXISTS {schema}").as_str())
            .await?;
    }
    POSTGRES_MIGRATIONS.run(&setup).await?;
    super::badges::fold_unfolded_badges(&setup).await?;
    setup.close().await;

    let schema = options.schema.clone();
    let timeout = options.statement_timeout_ms;
    let lock_timeout = options.wait.as_millis();
    let pool = AnyPoolOptions::new()
        .max_connections(options.max_connections.max(1))
        // An unreachable server is retried until this wait is over, then
        // answered 503 (`PoolTimedOut`); a restarted server is reconnected
        // to by the next request, since every connection is tested first.
        .acquire_timeout(options.wait)
        .after_connect(move |conn, _| {
            let schema = schema.clone();
            Box::pin(async move {
                // A statement waiting on another's lock fails after the same wait.
                conn.execute(format!("SET statement_timeout = {timeout}; SET lock_timeout = {lock_timeout}").as_str())
                    .await?;
                if let Some(schema) = schema {
                    conn.execute(format!("SET search_path TO {schema}").as_str()).await?;
                }
                Ok(())
            })
        })
        .connect_with(any)
        .await?;
    let notices = NoticeSource {
        url: options.url.clone(),
        schema: options.schema.clone(),
    };
    Ok(SqlStore::new(pool.clone(), pool, Dialect::Postgres, Some(notices)))
}
