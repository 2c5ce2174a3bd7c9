//! Fresh databases for tests: a temporary SQLite file always, and a fresh
//! PostgreSQL schema when `INSIGNIA_TEST_DATABASE_URL` names a server.
#![allow(dead_code)]

use std::sync::Arc;

use insignia::store::{connect, ConnectOptions, SqlStore};

/// The variable that points the tests at PostgreSQL.
pub const PG_VAR: &str = "INSIGNIA_TEST_DATABASE_URL";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// A database that lives as long as the test: the SQLite directory is
/// removed, the PostgreSQL schema dropped, when this is dropped.
pub struct TestDb {
    pub store: Arc<SqlStore>,
    pub url: String,
    pub schema: Option<String>,
    _dir: Option<tempfile::TempDir>,
}

impl TestDb {
    /// `None` when the backend is PostgreSQL and no server is configured.
    pub async fn new(backend: Backend) -> Option<TestDb> {
        match backend {
            Backend::Sqlite => {
                let dir = tempfile::tempdir().expect("temp dir");
                let url = format!("sqlite://{}", dir.path().join("insignia.db").display());
                let store = connect(&ConnectOptions::new(&url)).await.expect("open SQLite");
                Some(TestDb {
                    store: Arc::new(store),
                    url,
                    schema: None,
                    _dir: Some(dir),
                })
            }
            Backend::Postgres => {
                let url = std::env::var(PG_VAR).ok().filter(|u| !u.is_empty())?;
                let schema = format!("insignia_test_{}", uuid::Uuid::new_v4().simple());
                let mut options = ConnectOptions::new(&url);
                options.schema = Some(schema.clone());
                options.max_connections = 4;
                let store = connect(&options).await.expect("open PostgreSQL");
                Some(TestDb {
                    store: Arc::new(store),
                    url,
                    schema: Some(schema),
                    _dir: None,
                })
            }
        }
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        let Some(schema) = self.schema.take() else {
            return;
        };
        let url = self.url.clone();
        // Drop runs outside async code; a short-lived runtime on its own thread does the clean-up.
        let _ = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .ok()?;
            rt.block_on(async move {
                use sqlx::Executor;
                sqlx::any::install_default_drivers();
                let pool = sqlx::any::AnyPoolOptions::new()
                    .max_connections(1)
                    .connect(&url)
                    .await
                    .ok()?;
                pool.execute(format!("DROP SCHEMA IF EXISTS {schema} CASCADE").as_str())
                    .await
                    .ok()?;
                pool.close().await;
                Some(())
            })
        })
        .join();
    }
}

/// Runs one async test body on SQLite, and on PostgreSQL when configured.
/// `backend_test!(name, |backend| async move { … })` makes `name::sqlite` and `name::postgres`.
#[macro_export]
macro_rules! backend_test {
    ($name:ident, $body:expr) => {
        mod $name {
            #[allow(unused_imports)]
            use super::*;

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                ($body)($crate::common::Backend::Sqlite).await
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                if std::env::var($crate::common::PG_VAR).map_or(true, |v| v.is_empty()) {
                    eprintln!(
                        "{} is not set: PostgreSQL variant not run",
                        $crate::common::PG_VAR
                    );
                    return;
                }
                ($body)($crate::common::Backend::Postgres).await
            }
        }
    };
}
