//! Badge storage.

use std::collections::{HashMap, HashSet};

use sqlx::{AnyConnection, Row};

use super::notices::ChangeNotice;
use super::rows::{self, BADGE_COLUMNS};
use super::sql::{bind_all, is_unique_violation, positional, values_list};
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
    /// On SQLite a create joins the group commit of the single writer (see
    /// `group_commit`); on PostgreSQL each create is its own transaction.
    pub(super) async fn create_badge_impl(&self, site: SiteId, badge: &NewBadge) -> StoreResult<Badge> {
        let site_pk = self.site_key(site).await?;
        if let Some(group) = &self.group {
            if let Some(answer) = group
                .create_badge(site, site_pk, badge.clone(), self.actor.clone())
                .await
            {
                return answer;
            }
        }
        let mut last_error = None;
        for _ in 0..WRITE_ATTEMPTS {
            let mut write = self.begin_write(site).await?;
            match self.create_badge_in(&mut write.tx, site, site_pk, badge).await {
                Ok((created, last)) => {
                    self.commit_write(write, last).await?;
                    return Ok(created);
                }
                // Another instance took the slug between our read and insert: try the next one.
                Err(StoreError::Database(e)) if is_unique_violation(&e, "slug") => last_error = Some(e),
                Err(e) => return Err(e),
            }
        }
        Err(last_error.map(StoreError::from).unwrap_or(StoreError::NotFound))
    }

    /// Creates one badge inside the caller's transaction and appends its
    /// events. Returns the badge and the site's new last event number.
    pub(super) async fn create_badge_in(
        &self,
        conn: &mut AnyConnection,
        site: SiteId,
        site_pk: i64,
        badge: &NewBadge,
    ) -> StoreResult<(Badge, Option<i64>)> {
        let slug = free_slug(conn, site, &Slug::from_title(badge.title.as_str()), None).await?;
        let (top, count) = site_badge_span(conn, site).await?;
        if count >= MAX_BADGES_PER_SITE {
            return Err(StoreError::LimitReached(MAX_BADGES_PER_SITE));
        }
        let row = BadgeRow {
            site,
            badge,
            slug,
            order: top + 1,
        };
        let created = self.insert_badges(conn, &[row]).await?.remove(0);
        let last = self
            .append_events(conn, site, site_pk, &NewEvent::badge_created(&created))
            .await?;
        Ok((created, last))
    }

    /// Creates several badges, of one site or several, inside the caller's
    /// transaction with one statement per step however many there are: the
    /// sites' highest places and counts, the slugs already taken, one
    /// insert. A badge past its site's limit gets its own error and takes no
    /// place; the others are created in order. Appending their events is
    /// the caller's (they carry each caller's identity).
    /// An `Err` means nothing can be said per badge (the caller rolls back
    /// and tries them one by one).
    pub(super) async fn create_badges_in(
        &self,
        conn: &mut AnyConnection,
        items: &[SiteBadge<'_>],
    ) -> StoreResult<Vec<StoreResult<Badge>>> {
        let mut spans = self.site_badge_spans(conn, items).await?;
        let wanted: Vec<(SiteId, Slug)> = items
            .iter()
            .map(|i| (i.site, Slug::from_title(i.badge.title.as_str())))
            .collect();
        let mut taken = self.taken_slugs(conn, &wanted).await?;
        let mut rows = Vec::with_capacity(items.len());
        let mut refused = Vec::with_capacity(items.len());
        for (item, (site, base)) in items.iter().zip(&wanted) {
            let (top, count) = spans.entry(*site).or_insert((0, 0));
            if *count >= MAX_BADGES_PER_SITE {
                refused.push(true);
                continue;
            }
            let slug = first_free_slug(base, |s| taken.contains(&(*site, s.to_owned())));
            taken.insert((*site, slug.as_str().to_owned()));
            *count += 1;
            *top += 1;
            rows.push(BadgeRow {
                site: *site,
                badge: item.badge,
                slug,
                order: *top,
            });
            refused.push(false);
        }
        let mut created = self.insert_badges(conn, &rows).await?.into_iter();
        Ok(refused
            .into_iter()
            .map(|refused| match refused {
                true => Err(StoreError::LimitReached(MAX_BADGES_PER_SITE)),
                false => created.next().ok_or(StoreError::NotFound),
            })
            .collect())
    }

    /// Inserts badges whose slug and place are decided, in one statement;
    /// returns them in the order given.
    async fn insert_badges(&self, conn: &mut AnyConnection, rows: &[BadgeRow<'_>]) -> StoreResult<Vec<Badge>> {
        if rows.is_empty() {
            return Ok(Vec::new());
        }
        let now = Timestamp::now().millis();
        let sql = format!(
            "INSERT INTO badges (site_id, id, title, description, background_color, text_color, icon, \
             permissions_enabled, slug, display_order, created_at, updated_at, \
             title_folded, slug_folded, description_folded, revision, member_count) \
             VALUES {} RETURNING {BADGE_COLUMNS}",
            values_list(self.dialect, rows.len(), 17)
        );
        let mut params = Vec::with_capacity(rows.len() * 17);
        let mut ids = Vec::with_capacity(rows.len());
        for row in rows {
            let badge = row.badge;
            let id = BadgeId::generate();
            ids.push(id);
            params.extend([
                SqlParam::Blob(row.site.to_bytes()),
                SqlParam::Blob(id.to_bytes()),
                SqlParam::Text(badge.title.as_str().to_owned()),
                SqlParam::Text(badge.description.as_str().to_owned()),
                SqlParam::Text(badge.background_color.as_str().to_owned()),
                SqlParam::Text(badge.text_color.as_str().to_owned()),
                SqlParam::NullableText(
                    badge
                        .icon
                        .as_ref()
                        .map(|i| serde_json::to_string(i).unwrap_or_default()),
                ),
                SqlParam::Int(i64::from(badge.permissions_enabled)),
                SqlParam::Text(row.slug.as_str().to_owned()),
                SqlParam::Int(row.order),
                SqlParam::Int(now),
                SqlParam::Int(now),
                SqlParam::Text(fold_case(badge.title.as_str())),
                SqlParam::Text(fold_case(row.slug.as_str())),
                SqlParam::Text(fold_case(badge.description.as_str())),
                SqlParam::Int(1),
                SqlParam::Int(0),
            ]);
        }
        let found = bind_all(sqlx::query(&sql), &params).fetch_all(&mut *conn).await?;
        let mut by_id: HashMap<BadgeId, Badge> = found
            .iter()
            .map(|row| rows::badge(row).map(|b| (b.id, b)))
            .collect::<StoreResult<_>>()?;
        // RETURNING promises no order: answer in the order asked.
        ids.iter()
            .map(|id| by_id.remove(id).ok_or(StoreError::NotFound))
            .collect()
    }

    /// Each site's highest display order (0 without badges) and a bound on
    /// its number of badges, in one statement. Counting a site's badges
    /// reads all of them, its highest place one index entry. Every writer
    /// gives a site's badges distinct places from 1 up (a create the next
    /// after the highest, a reorder 1 to n), so there are never more badges
    /// than the highest place: the count is read only for a site that these
    /// creates could take past its limit.
    async fn site_badge_spans(
        &self,
        conn: &mut AnyConnection,
        items: &[SiteBadge<'_>],
    ) -> StoreResult<HashMap<SiteId, (i64, i64)>> {
        let mut sites: Vec<SiteId> = items.iter().map(|i| i.site).collect();
        sites.sort();
        sites.dedup();
        let arms: Vec<String> = (0..sites.len())
            .map(|i| {
                format!(
                    "SELECT {} AS site_id, (SELECT COALESCE(MAX(display_order), 0) FROM badges WHERE site_id = {}) AS top",
                    positional(self.dialect, 2 * i + 1),
                    positional(self.dialect, 2 * i + 2)
                )
            })
            .collect();
        let params: Vec<SqlParam> = sites
            .iter()
            .flat_map(|s| [SqlParam::Blob(s.to_bytes()), SqlParam::Blob(s.to_bytes())])
            .collect();
        let found = bind_all(sqlx::query(&arms.join(" UNION ALL ")), &params)
            .fetch_all(&mut *conn)
            .await?;
        let mut spans = HashMap::with_capacity(sites.len());
        for row in &found {
            let site = rows::site_id(row, "site_id")?;
            let top: i64 = row.try_get("top")?;
            let creating = items.iter().filter(|i| i.site == site).count() as i64;
            let span = if top + creating >= MAX_BADGES_PER_SITE {
                site_badge_span(conn, site).await?
            } else {
                (top, top)
            };
            spans.insert(site, span);
        }
        Ok(spans)
    }

    /// The slugs equal to one of the wanted `(site, base)` or to one of them
    /// with a `-n` suffix, in one statement: a `UNION ALL` of one index
    /// range per base (an `OR` of them would walk each site's whole index).
    /// At most `MAX_GROUP` bases, well below SQLite's 500 arms.
    async fn taken_slugs(
        &self,
        conn: &mut AnyConnection,
        wanted: &[(SiteId, Slug)],
    ) -> StoreResult<HashSet<(SiteId, String)>> {
        let mut wanted: Vec<&(SiteId, Slug)> = wanted.iter().collect();
        wanted.sort_by(|a, b| (a.0, a.1.as_str()).cmp(&(b.0, b.1.as_str())));
        wanted.dedup();
        if wanted.is_empty() {
            return Ok(HashSet::new());
        }
        let mut params = Vec::with_capacity(wanted.len() * 3);
        let mut arms = Vec::with_capacity(wanted.len());
        for (site, base) in &wanted {
            let n = params.len();
            let [p1, p2, p3] = [1, 2, 3].map(|k| positional(self.dialect, n + k));
            params.push(SqlParam::Blob(site.to_bytes()));
            params.push(SqlParam::Text(base.as_str().to_owned()));
            match self.dialect {
                // SQLite compares bytes: `base` up to `base.` (the byte
                // after `-`) holds `base` and every `base-…`.
                Dialect::Sqlite => {
                    arms.push(format!(
                        "SELECT site_id, slug FROM badges WHERE site_id = {p1} AND slug >= {p2} AND slug < {p3}"
                    ));
                    params.push(SqlParam::Text(format!("{}.", base.as_str())));
                }
                // PostgreSQL's collation may not order by bytes.
                Dialect::Postgres => {
                    arms.push(format!(
                        "SELECT site_id, slug FROM badges WHERE site_id = {p1} AND (slug = {p2} OR slug LIKE {p3} ESCAPE '\\')"
                    ));
                    params.push(SqlParam::Text(suffix_pattern(base)));
                }
            }
        }
        let found = bind_all(sqlx::query(&arms.join(" UNION ALL ")), &params)
            .fetch_all(&mut *conn)
            .await?;
        let mut taken = HashSet::with_capacity(found.len());
        for row in &found {
            let site = rows::site_id(row, "site_id")?;
            let slug: String = row.try_get("slug")?;
            // The range also holds `base` followed by other characters.
            let close = wanted.iter().any(|(s, base)| {
                *s == site
                    && slug
                        .strip_prefix(base.as_str())
                        .is_some_and(|rest| rest.is_empty() || rest.starts_with('-'))
            });
            if close {
                taken.insert((site, slug));
            }
        }
        Ok(taken)
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

/// A badge to create in a site.
pub(super) struct SiteBadge<'a> {
    pub site: SiteId,
    pub badge: &'a NewBadge,
}

/// A badge about to be inserted, its slug and place decided.
struct BadgeRow<'a> {
    site: SiteId,
    badge: &'a NewBadge,
    slug: Slug,
    order: i64,
}

/// The site's highest display order (0 with no badges) and how many badges it has.
async fn site_badge_span(conn: &mut AnyConnection, site: SiteId) -> StoreResult<(i64, i64)> {
    let row =
        sqlx::query("SELECT COALESCE(MAX(display_order), 0) AS top, COUNT(*) AS n FROM badges WHERE site_id = $1")
            .bind(site.to_bytes())
            .fetch_one(&mut *conn)
            .await?;
    Ok((row.try_get("top")?, row.try_get("n")?))
}

/// `LIKE` pattern of `base` with any `-suffix`.
fn suffix_pattern(base: &Slug) -> String {
    format!(
        "{}-%",
        base.as_str()
            .replace('\\', "\\\\")
            .replace('%', "\\%")
            .replace('_', "\\_")
    )
}

/// `base` if it is free, else `base-2`, `base-3`, …: the first not in `taken`.
fn first_free_slug(base: &Slug, taken: impl Fn(&str) -> bool) -> Slug {
    if !taken(base.as_str()) {
        return base.clone();
    }
    let n = (2..).find(|n| !taken(base.with_suffix(*n).as_str())).unwrap_or(2);
    base.with_suffix(n)
}

/// The first free slug for `base` in the site: `base`, then `base-2`, `base-3`, …
/// The unique index still has the last word if another writer races us.
pub(super) async fn free_slug(
    conn: &mut AnyConnection,
    site: SiteId,
    base: &Slug,
    exclude: Option<BadgeId>,
) -> StoreResult<Slug> {
    let exclude = exclude.map(|id| id.to_bytes()).unwrap_or_default();
    let taken: HashSet<String> = sqlx::query(
        "SELECT slug FROM badges WHERE site_id = $1 AND (slug = $2 OR slug LIKE $3 ESCAPE '\\') AND id <> $4",
    )
    .bind(site.to_bytes())
    .bind(base.as_str())
    .bind(suffix_pattern(base))
    .bind(exclude)
    .fetch_all(&mut *conn)
    .await?
    .iter()
    .map(|row| row.try_get::<String, _>("slug"))
    .collect::<Result<_, _>>()?;
    Ok(first_free_slug(base, |s| taken.contains(s)))
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
