//! Protected pages, and the reads the access check is built from.
//!
//! Page writers of one site take the site's lock first (on PostgreSQL; the
//! single SQLite writer orders them anyway), then the rows of the badges
//! they name, in id order, then the page: so the page limit holds across
//! instances, and a badge deleted meanwhile is either on the page and
//! removed by the delete, or refused as unknown — never left behind.

use std::collections::HashMap;

use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};

use super::notices::ChangeNotice;
use super::rows;
use super::sql::{is_unique_violation, statement};
use super::{AccessRules, Page, SqlStore, StoreError, StoreResult};
use crate::domain::{
    BadgeId, MemberId, NewPage, PageBadges, PageId, PagePatch, PagePath, PageTitle, ProtectedPage, SiteId, Timestamp,
    MAX_PAGES_PER_SITE,
};
use crate::events::NewEvent;
use crate::query::{Dialect, Query, SqlParam, SqlText, PAGES};

pub(super) const PAGE_COLUMNS: &str =
    "pages.pk, pages.id, pages.revision, pages.path, pages.title, pages.created_at, pages.updated_at";

impl SqlStore {
    pub(super) async fn create_page_impl(&self, site: SiteId, page: &NewPage) -> StoreResult<ProtectedPage> {
        let mut write = self.begin_write(site).await?;
        let tx = &mut *write.tx;
        let count: i64 = sqlx::query("SELECT COUNT(*) AS n FROM pages WHERE site_id = $1")
            .bind(site.to_bytes())
            .fetch_one(&mut *tx)
            .await?
            .try_get("n")?;
        if count >= MAX_PAGES_PER_SITE {
            return Err(StoreError::LimitReached(MAX_PAGES_PER_SITE));
        }
        self.require_badges(tx, site, page.badge_ids.as_slice(), &[]).await?;
        let now = Timestamp::now().millis();
        let sql = format!(
            "INSERT INTO pages (site_id, id, revision, path, title, created_at, updated_at) \
             VALUES ($1, $2, 1, $3, $4, $5, $5) RETURNING {PAGE_COLUMNS}"
        );
        let row = sqlx::query(&sql)
            .bind(site.to_bytes())
            .bind(PageId::generate().to_bytes())
            .bind(page.path.as_str())
            .bind(page.title.as_str())
            .bind(now)
            .fetch_one(&mut *tx)
            .await
            .map_err(path_taken)?;
        let pk: i64 = row.try_get("pk")?;
        write_page_badges(tx, site, pk, &page.badge_ids).await?;
        let created = page_row(&row, page.badge_ids.clone())?;
        self.notify(&mut write, ChangeNotice::Pages(site)).await?;
        let last = self.append(&mut write, &[NewEvent::page_created(&created)]).await?;
        self.commit_write(write, last).await?;
        Ok(created)
    }

    pub(super) async fn get_page_impl(&self, site: SiteId, id: PageId) -> StoreResult<Option<ProtectedPage>> {
        let mut conn = self.read.acquire().await?;
        let sql = format!("SELECT {PAGE_COLUMNS} FROM pages WHERE site_id = $1 AND id = $2");
        let row = sqlx::query(&sql)
            .bind(site.to_bytes())
            .bind(id.to_bytes())
            .fetch_optional(&mut *conn)
            .await?;
        match row {
            Some(row) => Ok(with_badges(&mut conn, site, &[row]).await?.pop()),
            None => Ok(None),
        }
    }

    /// Applies `patch` only if the page is at `revision`; bumps the revision.
    pub(super) async fn update_page_impl(
        &self,
        site: SiteId,
        id: PageId,
        revision: i64,
        patch: &PagePatch,
    ) -> StoreResult<ProtectedPage> {
        let mut write = self.begin_write(site).await?;
        let tx = &mut *write.tx;
        let current = read_page(tx, site, id).await?.ok_or(StoreError::NotFound)?;
        if current.revision != revision {
            return Err(StoreError::RevisionMismatch {
                current: current.revision,
            });
        }
        let next = patch.apply_to(&current);
        let pk = page_pk(tx, site, id).await?;
        if next.badge_ids != current.badge_ids {
            self.require_badges(tx, site, next.badge_ids.as_slice(), current.badge_ids.as_slice())
                .await?;
        }
        let sql = format!(
            "UPDATE pages SET path = $1, title = $2, revision = revision + 1, updated_at = $3 \
             WHERE site_id = $4 AND id = $5 RETURNING {PAGE_COLUMNS}"
        );
        let row = sqlx::query(&sql)
            .bind(next.path.as_str())
            .bind(next.title.as_str())
            .bind(Timestamp::now().millis().max(current.updated_date.millis()))
            .bind(site.to_bytes())
            .bind(id.to_bytes())
            .fetch_one(&mut *tx)
            .await
            .map_err(path_taken)?;
        if next.badge_ids != current.badge_ids {
            sqlx::query("DELETE FROM page_badges WHERE site_id = $1 AND page_pk = $2")
                .bind(site.to_bytes())
                .bind(pk)
                .execute(&mut *tx)
                .await?;
            write_page_badges(tx, site, pk, &next.badge_ids).await?;
        }
        let updated = page_row(&row, next.badge_ids)?;
        self.notify(&mut write, ChangeNotice::Pages(site)).await?;
        let last = self.append(&mut write, &[NewEvent::page_updated(&updated)]).await?;
        self.commit_write(write, last).await?;
        Ok(updated)
    }

    pub(super) async fn delete_page_impl(&self, site: SiteId, id: PageId) -> StoreResult<ProtectedPage> {
        let mut write = self.begin_write(site).await?;
        let tx = &mut *write.tx;
        let page = read_page(tx, site, id).await?.ok_or(StoreError::NotFound)?;
        // Its badge rows go with it (ON DELETE CASCADE).
        sqlx::query("DELETE FROM pages WHERE site_id = $1 AND id = $2")
            .bind(site.to_bytes())
            .bind(id.to_bytes())
            .execute(&mut *tx)
            .await?;
        self.notify(&mut write, ChangeNotice::Pages(site)).await?;
        let last = self.append(&mut write, &[NewEvent::page_deleted(&page)]).await?;
        self.commit_write(write, last).await?;
        Ok(page)
    }

    pub(super) async fn query_pages_impl(&self, site: SiteId, query: &Query) -> StoreResult<Page<ProtectedPage>> {
        let (found, page) = self
            .run_query(
                &PAGES,
                "pages",
                PAGE_COLUMNS,
                ("pages.site_id", SqlParam::Blob(site.to_bytes())),
                query,
            )
            .await?;
        let mut conn = self.read.acquire().await?;
        let items = with_badges(&mut conn, site, &found).await?;
        Ok(page.with_items(items))
    }

    /// Every page of the site and the permissions of the badges they name,
    /// read in one snapshot.
    pub(super) async fn access_rules_impl(&self, site: SiteId) -> StoreResult<AccessRules> {
        let mut tx = self.read.begin().await?;
        if self.dialect == Dialect::Postgres {
            // Three statements, one snapshot.
            sqlx::query("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
                .execute(&mut *tx)
                .await?;
        }
        let sql = format!("SELECT {PAGE_COLUMNS} FROM pages WHERE site_id = $1");
        let found = sqlx::query(&sql).bind(site.to_bytes()).fetch_all(&mut *tx).await?;
        let pages = with_badges(&mut tx, site, &found).await?;
        let permissions = sqlx::query(
            "SELECT id, permissions_enabled FROM badges WHERE site_id = $1 \
             AND id IN (SELECT badge_id FROM page_badges WHERE site_id = $1)",
        )
        .bind(site.to_bytes())
        .fetch_all(&mut *tx)
        .await?
        .iter()
        .map(|r| {
            Ok((
                rows::badge_id(r, "id")?,
                r.try_get::<i64, _>("permissions_enabled")? != 0,
            ))
        })
        .collect::<StoreResult<Vec<_>>>()?;
        tx.commit().await?;
        Ok(AccessRules { pages, permissions })
    }

    /// The badges a member holds, in no particular order.
    pub(super) async fn member_badges_impl(&self, site: SiteId, member: MemberId) -> StoreResult<Vec<BadgeId>> {
        let Some(site_pk) = self.existing_site_key(site).await? else {
            return Ok(Vec::new());
        };
        sqlx::query("SELECT badge_id FROM badge_assignments WHERE site_pk = $1 AND member_id = $2")
            .bind(site_pk)
            .bind(member.to_bytes())
            .fetch_all(&self.read)
            .await?
            .iter()
            .map(|r| rows::badge_id(r, "badge_id"))
            .collect()
    }

    /// Locks `wanted` and `also` (badges a page drops), in id order; refuses
    /// the first of `wanted` (in the owner's order) that does not exist.
    async fn require_badges(
        &self,
        conn: &mut AnyConnection,
        site: SiteId,
        wanted: &[BadgeId],
        also: &[BadgeId],
    ) -> StoreResult<()> {
        let mut all: Vec<BadgeId> = wanted.iter().chain(also).copied().collect();
        all.sort();
        all.dedup();
        let existing = self.lock_badges(conn, site, &all).await?;
        match wanted.iter().find(|id| !existing.contains(id)) {
            Some(missing) => Err(StoreError::UnknownBadge(*missing)),
            None => Ok(()),
        }
    }
}

/// Inside a badge's delete: takes the badge off every page of the site, and
/// moves those pages to a new revision (their badges changed).
pub(super) async fn remove_badge_from_pages(
    conn: &mut AnyConnection,
    site: SiteId,
    badge: BadgeId,
) -> StoreResult<u64> {
    let touched = sqlx::query(
        "UPDATE pages SET revision = revision + 1, updated_at = $1 WHERE site_id = $2 AND pk IN \
         (SELECT page_pk FROM page_badges WHERE site_id = $2 AND badge_id = $3)",
    )
    .bind(Timestamp::now().millis())
    .bind(site.to_bytes())
    .bind(badge.to_bytes())
    .execute(&mut *conn)
    .await?
    .rows_affected();
    sqlx::query("DELETE FROM page_badges WHERE site_id = $1 AND badge_id = $2")
        .bind(site.to_bytes())
        .bind(badge.to_bytes())
        .execute(&mut *conn)
        .await?;
    Ok(touched)
}

/// A second page on the same path breaks the unique index: the path is taken.
fn path_taken(e: sqlx::Error) -> StoreError {
    if is_unique_violation(&e, "path") {
        StoreError::PathTaken
    } else {
        e.into()
    }
}

async fn page_pk(conn: &mut AnyConnection, site: SiteId, id: PageId) -> StoreResult<i64> {
    let row = sqlx::query("SELECT pk FROM pages WHERE site_id = $1 AND id = $2")
        .bind(site.to_bytes())
        .bind(id.to_bytes())
        .fetch_one(&mut *conn)
        .await?;
    Ok(row.try_get("pk")?)
}

async fn read_page(conn: &mut AnyConnection, site: SiteId, id: PageId) -> StoreResult<Option<ProtectedPage>> {
    let sql = format!("SELECT {PAGE_COLUMNS} FROM pages WHERE site_id = $1 AND id = $2");
    let row = sqlx::query(&sql)
        .bind(site.to_bytes())
        .bind(id.to_bytes())
        .fetch_optional(&mut *conn)
        .await?;
    match row {
        Some(row) => Ok(with_badges(conn, site, &[row]).await?.pop()),
        None => Ok(None),
    }
}

pub(super) async fn write_page_badges(
    conn: &mut AnyConnection,
    site: SiteId,
    page_pk: i64,
    badges: &PageBadges,
) -> StoreResult<()> {
    if badges.as_slice().is_empty() {
        return Ok(());
    }
    let mut text = SqlText::new();
    let tuples: Vec<String> = badges
        .as_slice()
        .iter()
        .enumerate()
        .map(|(position, badge)| {
            format!(
                "({}, {}, {}, {})",
                text.bind(SqlParam::Blob(site.to_bytes())),
                text.bind(SqlParam::Int(page_pk)),
                text.bind(SqlParam::Blob(badge.to_bytes())),
                text.bind(SqlParam::Int(position as i64)),
            )
        })
        .collect();
    text.push(&format!(
        "INSERT INTO page_badges (site_id, page_pk, badge_id, position) VALUES {}",
        tuples.join(", ")
    ));
    statement(&text).execute(&mut *conn).await?;
    Ok(())
}

/// The pages of these rows, each with its badges in the owner's order.
pub(super) async fn with_badges(
    conn: &mut AnyConnection,
    site: SiteId,
    found: &[AnyRow],
) -> StoreResult<Vec<ProtectedPage>> {
    if found.is_empty() {
        return Ok(Vec::new());
    }
    let pks = found
        .iter()
        .map(|r| r.try_get::<i64, _>("pk"))
        .collect::<Result<Vec<_>, _>>()?;
    let mut badges: HashMap<i64, Vec<BadgeId>> = HashMap::with_capacity(pks.len());
    // In chunks, to stay far below either database's parameter limit.
    for chunk in pks.chunks(500) {
        let mut text = SqlText::new();
        let site = text.bind(SqlParam::Blob(site.to_bytes()));
        let list = text.bind_list(chunk.iter().map(|pk| SqlParam::Int(*pk)));
        text.push(&format!(
            "SELECT page_pk, badge_id FROM page_badges WHERE site_id = {site} AND page_pk IN ({list}) \
             ORDER BY page_pk, position"
        ));
        for row in statement(&text).fetch_all(&mut *conn).await? {
            let pk: i64 = row.try_get("page_pk")?;
            badges.entry(pk).or_default().push(rows::badge_id(&row, "badge_id")?);
        }
    }
    found
        .iter()
        .zip(pks)
        .map(|(row, pk)| page_row(row, PageBadges::from_stored(badges.remove(&pk).unwrap_or_default())))
        .collect()
}

fn page_row(row: &AnyRow, badge_ids: PageBadges) -> StoreResult<ProtectedPage> {
    let id: Vec<u8> = row.try_get("id")?;
    Ok(ProtectedPage {
        id: PageId::from_bytes(&id).ok_or_else(|| StoreError::Corrupt("pages.id".into()))?,
        revision: row.try_get("revision")?,
        path: PagePath::from_stored(row.try_get("path")?),
        title: PageTitle::from_stored(row.try_get("title")?),
        badge_ids,
        created_date: Timestamp::from_millis(row.try_get("created_at")?),
        updated_date: Timestamp::from_millis(row.try_get("updated_at")?),
    })
}
