//! Admin page sign-ins: sessions and one-time login links, by token hash.

use sqlx::any::AnyRow;
use sqlx::Row;

use super::rows;
use super::{AdminSessionRecord, LoginLinkRecord, SqlStore, StoreResult};
use crate::domain::Timestamp;

impl SqlStore {
    pub(super) async fn insert_admin_session_impl(&self, session: &AdminSessionRecord) -> StoreResult<()> {
        let mut tx = self.write.begin().await?;
        // Expired sessions of the site go when a new one starts, so the table stays small.
        sqlx::query("DELETE FROM admin_sessions WHERE site_id = $1 AND expires_at <= $2")
            .bind(session.site_id.to_bytes())
            .bind(session.created_at.millis())
            .execute(&mut *tx)
            .await?;
        sqlx::query(
            "INSERT INTO admin_sessions (token_hash, site_id, key_id, scopes, created_at, expires_at) \
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(session.token_hash.as_slice())
        .bind(session.site_id.to_bytes())
        .bind(session.key_id.as_deref())
        .bind(session.scopes.join(" "))
        .bind(session.created_at.millis())
        .bind(session.expires_at.millis())
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(())
    }

    pub(super) async fn find_admin_session_impl(
        &self,
        token_hash: &[u8],
        now: Timestamp,
    ) -> StoreResult<Option<AdminSessionRecord>> {
        // A session made with an API key ends when the key is revoked.
        let row = sqlx::query(
            "SELECT s.token_hash, s.site_id, s.key_id, s.scopes, s.created_at, s.expires_at \
             FROM admin_sessions s LEFT JOIN api_keys k ON k.id = s.key_id \
             WHERE s.token_hash = $1 AND s.expires_at > $2 \
             AND (s.key_id IS NULL OR (k.id IS NOT NULL AND k.revoked_at IS NULL))",
        )
        .bind(token_hash)
        .bind(now.millis())
        .fetch_optional(&self.read)
        .await?;
        row.as_ref().map(session).transpose()
    }

    pub(super) async fn delete_admin_session_impl(&self, token_hash: &[u8]) -> StoreResult<bool> {
        let done = sqlx::query("DELETE FROM admin_sessions WHERE token_hash = $1")
            .bind(token_hash)
            .execute(&self.write)
            .await?;
        Ok(done.rows_affected() > 0)
    }

    pub(super) async fn insert_login_link_impl(&self, link: &LoginLinkRecord) -> StoreResult<()> {
        let mut tx = self.write.begin().await?;
        sqlx::query("DELETE FROM admin_login_links WHERE site_id = $1 AND expires_at <= $2")
            .bind(link.site_id.to_bytes())
            .bind(link.created_at.millis())
            .execute(&mut *tx)
            .await?;
        sqlx::query(
            "INSERT INTO admin_login_links (token_hash, site_id, created_at, expires_at) VALUES ($1, $2, $3, $4)",
        )
        .bind(link.token_hash.as_slice())
        .bind(link.site_id.to_bytes())
        .bind(link.created_at.millis())
        .bind(link.expires_at.millis())
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(())
    }

    pub(super) async fn take_login_link_impl(
        &self,
        token_hash: &[u8],
        now: Timestamp,
    ) -> StoreResult<Option<LoginLinkRecord>> {
        // One statement deletes and returns: of two instances redeeming the
        // same link at once, exactly one gets the row.
        let row = sqlx::query(
            "DELETE FROM admin_login_links WHERE token_hash = $1 \
             RETURNING token_hash, site_id, created_at, expires_at",
        )
        .bind(token_hash)
        .fetch_optional(&self.write)
        .await?;
        let link = row.as_ref().map(login_link).transpose()?;
        Ok(link.filter(|l| l.expires_at > now))
    }
}

fn session(row: &AnyRow) -> StoreResult<AdminSessionRecord> {
    let scopes: String = row.try_get("scopes")?;
    Ok(AdminSessionRecord {
        token_hash: row.try_get("token_hash")?,
        site_id: rows::site_id(row, "site_id")?,
        key_id: row.try_get("key_id")?,
        scopes: scopes.split_whitespace().map(str::to_owned).collect(),
        created_at: Timestamp::from_millis(row.try_get("created_at")?),
        expires_at: Timestamp::from_millis(row.try_get("expires_at")?),
    })
}

fn login_link(row: &AnyRow) -> StoreResult<LoginLinkRecord> {
    Ok(LoginLinkRecord {
        token_hash: row.try_get("token_hash")?,
        site_id: rows::site_id(row, "site_id")?,
        created_at: Timestamp::from_millis(row.try_get("created_at")?),
        expires_at: Timestamp::from_millis(row.try_get("expires_at")?),
    })
}
