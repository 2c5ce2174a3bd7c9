//! Front-end identities: OAuth clients, refresh-token sessions, the key that
//! signs access tokens, and which badges' holders may assign a badge.

use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};

use super::keys::setting_secret;
use super::notices::{self, ChangeNotice};
use super::rows::{badge_id, site_id};
use super::{OAuthClientRecord, SessionRecord, SqlStore, StoreError, StoreResult};
use crate::domain::{BadgeId, SiteId, Timestamp};

const TOKEN_SIGNING_KEY: &str = "token_signing_key";

pub(super) const CLIENT_COLUMNS: &str = "id, site_id, origins, created_at, revoked_at";

pub(super) fn oauth_client(row: &AnyRow) -> StoreResult<OAuthClientRecord> {
    let origins: String = row.try_get("origins")?;
    let revoked: Option<i64> = row.try_get("revoked_at")?;
    Ok(OAuthClientRecord {
        id: row.try_get("id")?,
        site_id: site_id(row, "site_id")?,
        origins: origins.split_whitespace().map(str::to_owned).collect(),
        created_at: Timestamp::from_millis(row.try_get("created_at")?),
        revoked_at: revoked.map(Timestamp::from_millis),
    })
}

fn session(row: &AnyRow) -> StoreResult<SessionRecord> {
    let revoked: Option<i64> = row.try_get("revoked_at")?;
    Ok(SessionRecord {
        token_hash: row.try_get("token_hash")?,
        id: row.try_get("id")?,
        client_id: row.try_get("client_id")?,
        site_id: site_id(row, "site_id")?,
        role: row.try_get("role")?,
        subject: row.try_get("subject")?,
        created_at: Timestamp::from_millis(row.try_get("created_at")?),
        revoked_at: revoked.map(Timestamp::from_millis),
    })
}

/// Writes a client as it is (an import keeps its id and dates).
pub(super) async fn insert_oauth_client(conn: &mut AnyConnection, c: &OAuthClientRecord) -> StoreResult<()> {
    sqlx::query("INSERT INTO oauth_clients (id, site_id, origins, created_at, revoked_at) VALUES ($1, $2, $3, $4, $5)")
        .bind(c.id.as_str())
        .bind(c.site_id.to_bytes())
        .bind(c.origins.join(" "))
        .bind(c.created_at.millis())
        .bind(c.revoked_at.map(|t| t.millis()))
        .execute(conn)
        .await?;
    Ok(())
}

/// Forgets a deleted badge as a delegated badge and as an assigner.
pub(super) async fn remove_badge_from_delegations(
    conn: &mut AnyConnection,
    site: SiteId,
    badge: BadgeId,
) -> StoreResult<()> {
    sqlx::query("DELETE FROM badge_delegations WHERE site_id = $1 AND (badge_id = $2 OR assigner_badge_id = $2)")
        .bind(site.to_bytes())
        .bind(badge.to_bytes())
        .execute(conn)
        .await?;
    Ok(())
}

impl SqlStore {
    pub(super) async fn token_signing_key_impl(&self) -> StoreResult<Vec<u8>> {
        setting_secret(&self.write, TOKEN_SIGNING_KEY).await
    }

    pub(super) async fn insert_oauth_client_impl(&self, c: &OAuthClientRecord) -> StoreResult<()> {
        let mut conn = self.write.acquire().await?;
        insert_oauth_client(&mut conn, c).await
    }

    pub(super) async fn find_oauth_client_impl(&self, id: &str) -> StoreResult<Option<OAuthClientRecord>> {
        let row = sqlx::query("SELECT * FROM oauth_clients WHERE id = $1")
            .bind(id)
            .fetch_optional(&self.read)
            .await?;
        row.as_ref().map(oauth_client).transpose()
    }

    pub(super) async fn list_oauth_clients_impl(&self, site: Option<SiteId>) -> StoreResult<Vec<OAuthClientRecord>> {
        let rows = match site {
            Some(site) => {
                sqlx::query("SELECT * FROM oauth_clients WHERE site_id = $1 ORDER BY created_at, id")
                    .bind(site.to_bytes())
                    .fetch_all(&self.read)
                    .await?
            }
            None => {
                sqlx::query("SELECT * FROM oauth_clients ORDER BY created_at, id")
                    .fetch_all(&self.read)
                    .await?
            }
        };
        rows.iter().map(oauth_client).collect()
    }

    pub(super) async fn revoke_oauth_client_impl(&self, id: &str) -> StoreResult<bool> {
        let done = sqlx::query("UPDATE oauth_clients SET revoked_at = $1 WHERE id = $2 AND revoked_at IS NULL")
            .bind(Timestamp::now().millis())
            .bind(id)
            .execute(&self.write)
            .await?;
        Ok(done.rows_affected() > 0)
    }

    pub(super) async fn insert_session_impl(&self, s: &SessionRecord) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO refresh_tokens (token_hash, id, client_id, site_id, role, subject, created_at, revoked_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(s.token_hash.as_slice())
        .bind(s.id.as_str())
        .bind(s.client_id.as_str())
        .bind(s.site_id.to_bytes())
        .bind(s.role.as_str())
        .bind(s.subject.as_str())
        .bind(s.created_at.millis())
        .bind(s.revoked_at.map(|t| t.millis()))
        .execute(&self.write)
        .await?;
        Ok(())
    }

    pub(super) async fn find_session_impl(&self, token_hash: &[u8]) -> StoreResult<Option<SessionRecord>> {
        let row = sqlx::query("SELECT * FROM refresh_tokens WHERE token_hash = $1")
            .bind(token_hash)
            .fetch_optional(&self.write)
            .await?;
        row.as_ref().map(session).transpose()
    }

    /// Revokes the sessions and, in the same transaction, tells every
    /// instance (its access tokens are refused from the commit on).
    pub(super) async fn revoke_sessions_impl(
        &self,
        site: SiteId,
        subject: &str,
        session_id: Option<&str>,
    ) -> StoreResult<Vec<String>> {
        let mut tx = self.write.begin().await?;
        let rows = sqlx::query(
            "UPDATE refresh_tokens SET revoked_at = $1 \
             WHERE site_id = $2 AND subject = $3 AND ($4 IS NULL OR id = $4) AND revoked_at IS NULL RETURNING id",
        )
        .bind(Timestamp::now().millis())
        .bind(site.to_bytes())
        .bind(subject)
        .bind(session_id)
        .fetch_all(&mut *tx)
        .await?;
        let ids = rows
            .iter()
            .map(|r| Ok(r.try_get::<String, _>("id")?))
            .collect::<StoreResult<Vec<String>>>()?;
        let notices = ChangeNotice::sessions(site, &ids);
        for notice in &notices {
            notices::notify(&mut tx, self.dialect, notice).await?;
        }
        tx.commit().await?;
        self.local_notices.publish(&notices);
        Ok(ids)
    }

    pub(super) async fn sessions_revoked_since_impl(&self, since: Timestamp) -> StoreResult<Vec<(String, Timestamp)>> {
        let rows = sqlx::query("SELECT id, revoked_at FROM refresh_tokens WHERE revoked_at >= $1")
            .bind(since.millis())
            .fetch_all(&self.read)
            .await?;
        rows.iter()
            .map(|r| {
                Ok((
                    r.try_get::<String, _>("id")?,
                    Timestamp::from_millis(r.try_get("revoked_at")?),
                ))
            })
            .collect()
    }

    pub(super) async fn delete_stale_sessions_impl(
        &self,
        visitors_created_before: Timestamp,
        revoked_before: Timestamp,
        limit: usize,
    ) -> StoreResult<u64> {
        // In slices, so a large backlog never holds the writer for long.
        let done = sqlx::query(
            "DELETE FROM refresh_tokens WHERE token_hash IN (\
                 SELECT token_hash FROM refresh_tokens \
                 WHERE (role = 'visitor' AND created_at < $1) OR revoked_at < $2 LIMIT $3)",
        )
        .bind(visitors_created_before.millis())
        .bind(revoked_before.millis())
        .bind(limit as i64)
        .execute(&self.write)
        .await?;
        Ok(done.rows_affected())
    }

    pub(super) async fn badge_delegation_impl(&self, site: SiteId, badge: BadgeId) -> StoreResult<Vec<BadgeId>> {
        let rows = sqlx::query(
            "SELECT assigner_badge_id FROM badge_delegations WHERE site_id = $1 AND badge_id = $2 ORDER BY position",
        )
        .bind(site.to_bytes())
        .bind(badge.to_bytes())
        .fetch_all(&self.write)
        .await?;
        rows.iter().map(|r| badge_id(r, "assigner_badge_id")).collect()
    }

    pub(super) async fn set_badge_delegation_impl(
        &self,
        site: SiteId,
        badge: BadgeId,
        assigners: &[BadgeId],
    ) -> StoreResult<()> {
        let mut tx = self.write.begin().await?;
        // Every badge named must be the site's: the delegated one and each assigner.
        for id in std::iter::once(&badge).chain(assigners) {
            let found = sqlx::query("SELECT 1 AS one FROM badges WHERE site_id = $1 AND id = $2")
                .bind(site.to_bytes())
                .bind(id.to_bytes())
                .fetch_optional(&mut *tx)
                .await?;
            if found.is_none() {
                return Err(if *id == badge {
                    StoreError::NotFound
                } else {
                    StoreError::UnknownBadge(*id)
                });
            }
        }
        sqlx::query("DELETE FROM badge_delegations WHERE site_id = $1 AND badge_id = $2")
            .bind(site.to_bytes())
            .bind(badge.to_bytes())
            .execute(&mut *tx)
            .await?;
        for (position, assigner) in assigners.iter().enumerate() {
            sqlx::query(
                "INSERT INTO badge_delegations (site_id, badge_id, assigner_badge_id, position) VALUES ($1, $2, $3, $4)",
            )
            .bind(site.to_bytes())
            .bind(badge.to_bytes())
            .bind(assigner.to_bytes())
            .bind(position as i64)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(())
    }
}
