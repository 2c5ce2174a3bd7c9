//! Which badges exist, and, on PostgreSQL, the badge-row locks every
//! assignment writer takes first.

use std::collections::HashSet;

use sqlx::AnyConnection;

use super::of_site_by_id;
use crate::domain::{AssignmentId, BadgeId, SiteId};
use crate::query::{Dialect, SqlParam, SqlText};
use crate::store::rows;
use crate::store::sql::statement;
use crate::store::{SqlStore, StoreResult};

impl SqlStore {
    /// Which of these badges exist in the site. On PostgreSQL their rows are
    /// also locked, in id order, before any assignment row is touched: every
    /// writer takes the badge first, so a concurrent badge delete waits
    /// instead of leaving orphans, and writers of one badge queue rather than
    /// deadlock on its holder count.
    pub(in crate::store) async fn lock_badges(
        &self,
        conn: &mut AnyConnection,
        site: SiteId,
        ids: &[BadgeId],
    ) -> StoreResult<HashSet<BadgeId>> {
        if ids.is_empty() {
            return Ok(HashSet::new());
        }
        let lock = if self.dialect == Dialect::Postgres {
            " ORDER BY id FOR UPDATE"
        } else {
            ""
        };
        let mut text = SqlText::new();
        let site = text.bind(SqlParam::Blob(site.to_bytes()));
        let ids = text.bind_list(ids.iter().map(|id| SqlParam::Blob(id.to_bytes())));
        text.push(&format!(
            "SELECT id FROM badges WHERE site_id = {site} AND id IN ({ids}){lock}"
        ));
        statement(&text)
            .fetch_all(&mut *conn)
            .await?
            .iter()
            .map(|r| rows::badge_id(r, "id"))
            .collect()
    }

    /// The badges the given assignments belong to, locked (see `lock_badges`).
    pub(super) async fn lock_badges_of(
        &self,
        conn: &mut AnyConnection,
        site: SiteId,
        site_pk: i64,
        ids: &[AssignmentId],
    ) -> StoreResult<()> {
        if self.dialect != Dialect::Postgres {
            return Ok(());
        }
        let mut text = SqlText::new();
        let named = of_site_by_id(&mut text, site_pk, ids);
        text.push(&format!(
            "SELECT DISTINCT badge_id FROM badge_assignments WHERE {named}"
        ));
        let mut badges: Vec<BadgeId> = statement(&text)
            .fetch_all(&mut *conn)
            .await?
            .iter()
            .map(|r| rows::badge_id(r, "badge_id"))
            .collect::<StoreResult<_>>()?;
        badges.sort();
        self.lock_badges(conn, site, &badges).await?;
        Ok(())
    }

    /// Which of these badges exist in the site.
    pub(super) async fn existing_badges(&self, site: SiteId, ids: &[BadgeId]) -> StoreResult<HashSet<BadgeId>> {
        let mut conn = self.read.acquire().await?;
        self.lock_badges(&mut conn, site, ids).await
    }
}
