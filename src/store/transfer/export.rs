//! Reading one site for an export: every row from one snapshot (a read
//! transaction; `REPEATABLE READ` on PostgreSQL), streamed row by row so
//! memory stays flat however many assignments the site has.

use futures_util::TryStreamExt;
use sqlx::Row;

use super::{ExportError, ExportItem};
use crate::domain::SiteId;
use crate::query::Dialect;
use crate::store::identity::{oauth_client, CLIENT_COLUMNS};
use crate::store::pages::{with_badges, PAGE_COLUMNS};
use crate::store::rows::{self, ASSIGNMENT_COLUMNS, BADGE_COLUMNS};
use crate::store::webhooks::{webhook, WEBHOOK_COLUMNS};
use crate::store::SqlStore;

impl SqlStore {
    /// Hands every row of the site to `each`, in the order of [`ExportItem`].
    /// A site never written to exports as no rows.
    pub async fn export_site(
        &self,
        site: SiteId,
        each: &mut (dyn FnMut(ExportItem) -> anyhow::Result<()> + Send),
    ) -> Result<(), ExportError> {
        let mut tx = self.read.begin().await?;
        if self.dialect == Dialect::Postgres {
            sqlx::query("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
                .execute(&mut *tx)
                .await?;
        }
        // The first read starts the snapshot on SQLite; every later read sees it.
        let site_pk: Option<i64> = sqlx::query("SELECT pk FROM sites WHERE id = $1")
            .bind(site.to_bytes())
            .fetch_optional(&mut *tx)
            .await?
            .map(|r| r.try_get("pk"))
            .transpose()?;
        let count = |sql: &'static str| sqlx::query(sql);
        let badges: i64 = count("SELECT COUNT(*) AS n FROM badges WHERE site_id = $1")
            .bind(site.to_bytes())
            .fetch_one(&mut *tx)
            .await
            .and_then(|r| r.try_get("n"))?;
        let pages: i64 = count("SELECT COUNT(*) AS n FROM pages WHERE site_id = $1")
            .bind(site.to_bytes())
            .fetch_one(&mut *tx)
            .await
            .and_then(|r| r.try_get("n"))?;
        let assignments: i64 = count("SELECT COUNT(*) AS n FROM badge_assignments WHERE site_pk = $1")
            .bind(site_pk.unwrap_or(-1))
            .fetch_one(&mut *tx)
            .await
            .and_then(|r| r.try_get("n"))?;
        // Subscriptions and clients are few: read whole, counted as read.
        let sql = format!("SELECT {WEBHOOK_COLUMNS} FROM webhooks WHERE site_pk = $1 ORDER BY created_at, id");
        let webhooks = sqlx::query(&sql)
            .bind(site_pk.unwrap_or(-1))
            .fetch_all(&mut *tx)
            .await?
            .iter()
            .map(|r| webhook(r, site))
            .collect::<Result<Vec<_>, _>>()?;
        let clients = sqlx::query(&format!(
            "SELECT {CLIENT_COLUMNS} FROM oauth_clients WHERE site_id = $1 ORDER BY created_at, id"
        ))
        .bind(site.to_bytes())
        .fetch_all(&mut *tx)
        .await?
        .iter()
        .map(oauth_client)
        .collect::<Result<Vec<_>, _>>()?;
        each(ExportItem::Counts {
            badges: badges.max(0) as u64,
            pages: pages.max(0) as u64,
            webhooks: webhooks.len() as u64,
            clients: clients.len() as u64,
            assignments: assignments.max(0) as u64,
        })
        .map_err(ExportError::Write)?;

        let sql = format!("SELECT {BADGE_COLUMNS} FROM badges WHERE site_id = $1 ORDER BY display_order, id");
        let mut found = sqlx::query(&sql).bind(site.to_bytes()).fetch(&mut *tx);
        let mut position = 0;
        while let Some(row) = found.try_next().await? {
            position += 1;
            let badge = rows::badge(&row)?;
            each(ExportItem::Badge { badge, position }).map_err(ExportError::Write)?;
        }
        drop(found);

        // Pages are few (a site has at most 10,000) and read with their badges a page of rows at a time.
        let sql = format!("SELECT {PAGE_COLUMNS} FROM pages WHERE site_id = $1 ORDER BY created_at, id");
        let page_rows = sqlx::query(&sql).bind(site.to_bytes()).fetch_all(&mut *tx).await?;
        for chunk in page_rows.chunks(500) {
            for page in with_badges(&mut tx, site, chunk).await? {
                each(ExportItem::Page(page)).map_err(ExportError::Write)?;
            }
        }

        for hook in webhooks {
            each(ExportItem::Webhook(hook)).map_err(ExportError::Write)?;
        }
        for client in clients {
            each(ExportItem::Client(client)).map_err(ExportError::Write)?;
        }

        let sql =
            format!("SELECT {ASSIGNMENT_COLUMNS} FROM badge_assignments WHERE site_pk = $1 ORDER BY created_at, id");
        let mut found = sqlx::query(&sql).bind(site_pk.unwrap_or(-1)).fetch(&mut *tx);
        while let Some(row) = found.try_next().await? {
            each(ExportItem::Assignment(rows::assignment(&row)?)).map_err(ExportError::Write)?;
        }
        drop(found);
        tx.commit().await?;
        Ok(())
    }
}
