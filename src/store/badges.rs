//! Badge storage.

use std::collections::HashSet;

use sqlx::{AnyConnection, Row};

use super::notices::ChangeNotice;
use super::rows::{self, BADGE_COLUMNS};
use super::sql::is_unique_violation;
use super::{Page, SqlStore, StoreError, StoreResult};
use crate::domain::{
    fold_case, Badge, BadgeId, BadgePatch, NewBadge, OrderChange, SiteId, Slug, Timestamp, MAX_BADGES_PER_SITE,
};
use crate::events::NewEvent;
use crate::query::{Dialect, Query, SqlParam, BADGES};

/// How often a write is retried when a concurrent writer took the slug or
/// revision it was about to use.
const WRITE_ATTEMPTS: usize = 8;

impl SqlStore {
    pub(super) async fn create_badge_impl(&self, site: SiteId, badge: &NewBadge) -> StoreResult<Badge> {
        let base = Slug::from_title(badge.title.as_str());
        let icon = badge
            .icon
            .as_ref()
            .map(|i| serde_json::to_string(i).unwrap_or_default());
        let mut last_error = None;
        for _ in 0..WRITE_ATTEMPTS {
            let mut write = self.begin_write(site).await?;
            let tx = &mut *write.tx;
            let slug = free_slug(tx, site, &base, None).await?;
            let next = sqlx::query(
                "SELECT COALESCE(MAX(display_order), 0) + 1 AS next, COUNT(*) AS n FROM badges WHERE site_id = $1",
            )
            .bind(site.to_bytes())
            .fetch_one(&mut *tx)
            .await?;
            if next.try_get::<i64, _>("n")? >= MAX_BADGES_PER_SITE {
                return Err(StoreError::LimitReached(MAX_BADGES_PER_SITE));
            }
            let order: i64 = next.try_get("next")?;
            let now = Timestamp::now().millis();
            let sql = format!(
                "INSERT INTO badges (site_id, id, revision, title, description, background_color, text_color, icon, \
                 permissions_enabled, slug, display_order, member_count, created_at, updated_at, \
                 title_folded, slug_folded, description_folded) \
                 VALUES ($1, $2, 1, $3, $4, $5, $6, $7, $8, $9, $10, 0, $11, $11, $12, $13, $14) RETURNING {BADGE_COLUMNS}"
            );
            let inserted = sqlx::query(&sql)
                .bind(site.to_bytes())
                .bind(BadgeId::generate().to_bytes())
                .bind(badge.title.as_str())
                .bind(badge.description.as_str())
                .bind(badge.background_color.as_str())
                .bind(badge.text_color.as_str())
                .bind(icon.clone())
                .bind(i64::from(badge.permissions_enabled))
                .bind(slug.as_str())
                .bind(order)
                .bind(now)
                .bind(fold_case(badge.title.as_str()))
                .bind(fold_case(slug.as_str()))
                .bind(fold_case(badge.description.as_str()))
                .fetch_one(&mut *tx)
                .await;
            match inserted {
                Ok(row) => {
                    let created = rows::badge(&row)?;
                    let last = self.append(&mut write, &NewEvent::badge_created(&created)).await?;
                    self.commit_write(write, last).await?;
                    return Ok(created);
                }
                // Another instance took the slug between our read and insert: try the next one.
                Err(e) if is_unique_violation(&e, "slug") => last_error = Some(e),
                Err(e) => return Err(e.into()),
            }
        }
        Err(last_error.map(StoreError::from).unwrap_or(StoreError::NotFound))
    }

    pub(super) async fn get_badge_impl(&self, site: SiteId, id: BadgeId) -> StoreResult<Option<Badge>> {
        let sql = format!("SELECT {BADGE_COLUMNS} FROM badges WHERE site_id = $1 AND id = $2");
        let row = sqlx::query(&sql)
            .bind(site.to_bytes())
            .bind(id.to_bytes())
            .fetch_optional(&self.read)
            .await?;
        row.as_ref().map(rows::badge).transpose()
    }

    /// With `expected` the update applies only at that revision. Without it
    /// (the older API) it applies to whatever is current, field by field.
    /// Either way the database decides: `UPDATE … WHERE revision = $n`.
    pub(super) async fn update_badge_impl(
        &self,
        site: SiteId,
        id: BadgeId,
        expected: Option<i64>,
        patch: &BadgePatch,
    ) -> StoreResult<Badge> {
        // On PostgreSQL the row is locked as it is read, so concurrent writers
        // queue and each sees the revision the one before it left.
        let lock = if self.dialect == Dialect::Postgres {
            " FOR UPDATE"
        } else {
            ""
        };
        for _ in 0..WRITE_ATTEMPTS {
            // The site's row first (a new title means a new slug; every write
            // numbers its events), then the badge's.
            let mut write = self.begin_write(site).await?;
            let tx = &mut *write.tx;
            let sql = format!("SELECT {BADGE_COLUMNS} FROM badges WHERE site_id = $1 AND id = $2{lock}");
            let row = sqlx::query(&sql)
                .bind(site.to_bytes())
                .bind(id.to_bytes())
                .fetch_optional(&mut *tx)
                .await?;
            let current = row.as_ref().map(rows::badge).transpose()?.ok_or(StoreError::NotFound)?;
            if let Some(expected) = expected {
                if expected != current.revision {
                    return Err(StoreError::RevisionMismatch {
                        current: current.revision,
                    });
                }
            }
            let next = patch.apply_to(&current);
            let slug = if next.title != current.title {
                free_slug(tx, site, &Slug::from_title(next.title.as_str()), Some(id)).await?
            } else {
                current.slug.clone()
            };
            let sql = format!(
                "UPDATE badges SET title = $1, description = $2, background_color = $3, text_color = $4, icon = $5, \
                 permissions_enabled = $6, slug = $7, revision = revision + 1, updated_at = $8, \
                 title_folded = $12, slug_folded = $13, description_folded = $14 \
                 WHERE site_id = $9 AND id = $10 AND revision = $11 RETURNING {BADGE_COLUMNS}"
            );
            let updated = sqlx::query(&sql)
                .bind(next.title.as_str())
                .bind(next.description.as_str())
                .bind(next.background_color.as_str())
                .bind(next.text_color.as_str())
                .bind(next.icon.as_ref().map(|i| serde_json::to_string(i).unwrap_or_default()))
                .bind(i64::from(next.permissions_enabled))
                .bind(slug.as_str())
                .bind(Timestamp::now().millis().max(current.updated_date.millis()))
                .bind(site.to_bytes())
                .bind(id.to_bytes())
                .bind(current.revision)
                .bind(fold_case(next.title.as_str()))
                .bind(fold_case(slug.as_str()))
                .bind(fold_case(next.description.as_str()))
                .fetch_optional(&mut *tx)
                .await;
            match updated {
                Ok(Some(row)) => {
                    let badge = rows::badge(&row)?;
                    if badge.permissions_enabled != current.permissions_enabled {
                        self.notify(&mut write, ChangeNotice::Pages(site)).await?;
                    }
                    self.notify(&mut write, ChangeNotice::Badges(site)).await?;
                    let last = self.append(&mut write, &NewEvent::badge_updated(&badge)).await?;
                    self.commit_write(write, last).await?;
                    return Ok(badge);
                }
                // Someone else updated it between our read and write.
                Ok(None) => {
                    drop(write);
                    if expected.is_some() {
                        let now = self.get_badge_impl(site, id).await?.ok_or(StoreError::NotFound)?;
                        return Err(StoreError::RevisionMismatch { current: now.revision });
                    }
                }
                Err(e) if is_unique_violation(&e, "slug") => {}
                Err(e) => return Err(e.into()),
            }
        }
        Err(StoreError::Database(sqlx::Error::PoolTimedOut))
    }

    pub(super) async fn delete_badge_impl(&self, site: SiteId, id: BadgeId) -> StoreResult<Badge> {
        // The site first, as page writers take it, then the badge: a page
        // write and this delete never wait for each other in a circle.
        let mut write = self.begin_write(site).await?;
        let tx = &mut *write.tx;
        let sql = format!("DELETE FROM badges WHERE site_id = $1 AND id = $2 RETURNING {BADGE_COLUMNS}");
        let row = sqlx::query(&sql)
            .bind(site.to_bytes())
            .bind(id.to_bytes())
            .fetch_optional(&mut *tx)
            .await?;
        let deleted = row.as_ref().map(rows::badge).transpose()?.ok_or(StoreError::NotFound)?;
        let holders = SqlStore::delete_assignments_of_badge(tx, site, id).await?;
        super::identity::remove_badge_from_delegations(tx, site, id).await?;
        let on_pages = super::pages::remove_badge_from_pages(tx, site, id).await? > 0;
        if on_pages {
            self.notify(&mut write, ChangeNotice::Pages(site)).await?;
        }
        self.notify(&mut write, ChangeNotice::Badges(site)).await?;
        if !holders.is_empty() {
            let members = ChangeNotice::members(site, holders.iter().map(|a| a.member_id));
            self.notify(&mut write, members).await?;
        }
        // The assignments go first, each as caused by the badge's delete.
        let mut events: Vec<NewEvent> = holders
            .iter()
            .flat_map(|a| NewEvent::assignment_deleted(a, Some("badge_deleted")))
            .collect();
        events.extend(NewEvent::badge_deleted(&deleted));
        let last = self.append(&mut write, &events).await?;
        self.commit_write(write, last).await?;
        Ok(deleted)
    }

    pub(super) async fn reorder_badges_impl(&self, site: SiteId, change: &OrderChange) -> StoreResult<Vec<Badge>> {
        let mut write = self.begin_write(site).await?;
        let tx = &mut *write.tx;
        let lock = if self.dialect == Dialect::Postgres {
            " FOR UPDATE"
        } else {
            ""
        };
        // Rows are locked in id order, as every other writer locks badges, and
        // sorted here: a PostgreSQL SELECT … FOR UPDATE that waited for a
        // concurrent reorder returns the new values in the old order.
        let sql = format!("SELECT id, display_order FROM badges WHERE site_id = $1 ORDER BY id{lock}");
        let current = sqlx::query(&sql).bind(site.to_bytes()).fetch_all(&mut *tx).await?;
        let mut positions = current
            .iter()
            .map(|row| Ok((row.try_get::<i64, _>("display_order")?, rows::badge_id(row, "id")?)))
            .collect::<StoreResult<Vec<(i64, BadgeId)>>>()?;
        positions.sort();
        let (orders, ids): (Vec<i64>, Vec<BadgeId>) = positions.into_iter().unzip();
        let next = change.apply(&ids).map_err(StoreError::UnknownBadge)?;
        for (index, id) in next.iter().enumerate() {
            let wanted = index as i64 + 1;
            // Only rows whose position really changes are written.
            if ids.get(index) != Some(id) || orders.get(index) != Some(&wanted) {
                sqlx::query("UPDATE badges SET display_order = $1 WHERE site_id = $2 AND id = $3")
                    .bind(wanted)
                    .bind(site.to_bytes())
                    .bind(id.to_bytes())
                    .execute(&mut *tx)
                    .await?;
            }
        }
        let sql = format!("SELECT {BADGE_COLUMNS} FROM badges WHERE site_id = $1 ORDER BY display_order, id");
        let all = sqlx::query(&sql).bind(site.to_bytes()).fetch_all(&mut *tx).await?;
        let badges = all.iter().map(rows::badge).collect::<StoreResult<Vec<_>>>()?;
        let last = if next != ids {
            self.notify(&mut write, ChangeNotice::Badges(site)).await?;
            let order: Vec<BadgeId> = badges.iter().map(|b| b.id).collect();
            self.append(&mut write, &[NewEvent::badges_reordered(site, &order)])
                .await?
        } else {
            None
        };
        self.commit_write(write, last).await?;
        Ok(badges)
    }

    pub(super) async fn list_badges_impl(&self, site: SiteId, limit: u32, offset: u64) -> StoreResult<Page<Badge>> {
        let sql = format!(
            "SELECT {BADGE_COLUMNS} FROM badges WHERE site_id = $1 ORDER BY display_order, id LIMIT {limit} OFFSET {offset}"
        );
        let found = sqlx::query(&sql).bind(site.to_bytes()).fetch_all(&self.read).await?;
        let total: i64 = sqlx::query("SELECT COUNT(*) AS n FROM badges WHERE site_id = $1")
            .bind(site.to_bytes())
            .fetch_one(&self.read)
            .await?
            .try_get("n")?;
        Ok(Page {
            items: found.iter().map(rows::badge).collect::<StoreResult<Vec<_>>>()?,
            total: Some(total.max(0) as u64),
            next_key: None,
            prev_key: None,
        })
    }

    pub(super) async fn query_badges_impl(&self, site: SiteId, query: &Query) -> StoreResult<Page<Badge>> {
        let (found, page) = self
            .run_query(
                &BADGES,
                "badges",
                BADGE_COLUMNS,
                ("badges.site_id", SqlParam::Blob(site.to_bytes())),
                query,
            )
            .await?;
        let items = found.iter().map(rows::badge).collect::<StoreResult<Vec<_>>>()?;
        Ok(page.with_items(items))
    }
}

/// The first free slug for `base` in the site: `base`, then `base-2`, `base-3`, …
/// The unique index still has the last word if another writer races us.
pub(super) async fn free_slug(
    conn: &mut AnyConnection,
    site: SiteId,
    base: &Slug,
    exclude: Option<BadgeId>,
) -> StoreResult<Slug> {
    let pattern = format!(
        "{}-%",
        base.as_str()
            .replace('\\', "\\\\")
            .replace('%', "\\%")
            .replace('_', "\\_")
    );
    let exclude = exclude.map(|id| id.to_bytes()).unwrap_or_default();
    let taken: HashSet<String> = sqlx::query(
        "SELECT slug FROM badges WHERE site_id = $1 AND (slug = $2 OR slug LIKE $3 ESCAPE '\\') AND id <> $4",
    )
    .bind(site.to_bytes())
    .bind(base.as_str())
    .bind(pattern)
    .bind(exclude)
    .fetch_all(&mut *conn)
    .await?
    .iter()
    .map(|row| row.try_get::<String, _>("slug"))
    .collect::<Result<_, _>>()?;
    if !taken.contains(base.as_str()) {
        return Ok(base.clone());
    }
    let n = (2..)
        .find(|n| !taken.contains(base.with_suffix(*n).as_str()))
        .unwrap_or(2);
    Ok(base.with_suffix(n))
}

/// Gives every badge stored before folded copies existed (migration 0010)
/// its folded title, slug and description, a batch per transaction, walking
/// the primary key. Runs at start-up after the migrations; once every row is
/// folded it costs one index probe. Several instances starting together fold
/// the same rows to the same values, so they cannot disagree.
pub(super) async fn fold_unfolded_badges(pool: &sqlx::AnyPool) -> StoreResult<()> {
    const BATCH: i64 = 500;
    let mut after: i64 = i64::MIN;
    loop {
        let mut tx = pool.begin().await?;
        let found = sqlx::query(
            "SELECT pk, title, slug, description FROM badges \
             WHERE pk > $1 AND (title_folded IS NULL OR slug_folded IS NULL OR description_folded IS NULL) \
             ORDER BY pk LIMIT $2",
        )
        .bind(after)
        .bind(BATCH)
        .fetch_all(&mut *tx)
        .await?;
        for row in &found {
            let pk: i64 = row.try_get("pk")?;
            let text = |column: &str| -> StoreResult<String> { Ok(fold_case(&row.try_get::<String, _>(column)?)) };
            sqlx::query("UPDATE badges SET title_folded = $1, slug_folded = $2, description_folded = $3 WHERE pk = $4")
                .bind(text("title")?)
                .bind(text("slug")?)
                .bind(text("description")?)
                .bind(pk)
                .execute(&mut *tx)
                .await?;
            after = pk;
        }
        tx.commit().await?;
        if (found.len() as i64) < BATCH {
            return Ok(());
        }
    }
}
