//! API keys and server settings.

use rand::RngCore;
use sqlx::Row;

use super::rows;
use super::{ApiKeyRecord, SqlStore, StoreResult};
use crate::domain::{SiteId, Timestamp};

const CURSOR_SECRET: &str = "cursor_secret";

/// The random secret stored under `name`, made by the first instance to ask;
/// every later one reads the same value.
pub(super) async fn setting_secret(pool: &sqlx::AnyPool, name: &str) -> StoreResult<Vec<u8>> {
    let mut fresh = vec![0u8; 32];
    rand::thread_rng().fill_bytes(&mut fresh);
    sqlx::query("INSERT INTO settings (name, value) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING")
        .bind(name)
        .bind(fresh)
        .execute(pool)
        .await?;
    let row = sqlx::query("SELECT value FROM settings WHERE name = $1")
        .bind(name)
        .fetch_one(pool)
        .await?;
    Ok(row.try_get("value")?)
}

impl SqlStore {
    pub(super) async fn server_secret_impl(&self) -> StoreResult<Vec<u8>> {
        setting_secret(&self.write, CURSOR_SECRET).await
    }

    pub(super) async fn insert_api_key_impl(&self, key: &ApiKeyRecord) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO api_keys (id, key_hash, site_id, scopes, created_at, revoked_at) VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(key.id.as_str())
        .bind(key.key_hash.as_slice())
        .bind(key.site_id.to_bytes())
        .bind(key.scopes.join(" "))
        .bind(key.created_at.millis())
        .bind(key.revoked_at.map(|t| t.millis()))
        .execute(&self.write)
        .await?;
        Ok(())
    }

    pub(super) async fn find_api_key_impl(&self, key_hash: &[u8]) -> StoreResult<Option<ApiKeyRecord>> {
        let row = sqlx::query("SELECT * FROM api_keys WHERE key_hash = $1")
            .bind(key_hash)
            .fetch_optional(&self.read)
            .await?;
        row.as_ref().map(rows::api_key).transpose()
    }

    pub(super) async fn list_api_keys_impl(&self, site: Option<SiteId>) -> StoreResult<Vec<ApiKeyRecord>> {
        let found = match site {
            Some(site) => {
                sqlx::query("SELECT * FROM api_keys WHERE site_id = $1 ORDER BY created_at, id")
                    .bind(site.to_bytes())
                    .fetch_all(&self.read)
                    .await?
            }
            None => {
                sqlx::query("SELECT * FROM api_keys ORDER BY created_at, id")
                    .fetch_all(&self.read)
                    .await?
            }
        };
        found.iter().map(rows::api_key).collect()
    }

    pub(super) async fn revoke_api_key_impl(&self, id: &str) -> StoreResult<bool> {
        let done = sqlx::query("UPDATE api_keys SET revoked_at = $1 WHERE id = $2 AND revoked_at IS NULL")
            .bind(Timestamp::now().millis())
            .bind(id)
            .execute(&self.write)
            .await?;
        Ok(done.rows_affected() > 0)
    }
}
