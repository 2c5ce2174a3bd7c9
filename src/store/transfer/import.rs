//! Writing one import batch: badges, pages and assignments with the ids and
//! dates they came with, their holder counts and tag rows, the ids mapped,
//! and the resume point, all in one transaction, so that a batch is there
//! whole or not at all.

use sqlx::{AnyConnection, Row};

use super::{ImportAssignment, ImportBadge, ImportBatch, ImportPage, Mapped, ResumePoint};
use crate::domain::{fold_case, BadgeAssignment, SiteId, Slug};
use crate::events::Webhook;
use crate::query::{Dialect, SqlParam};
use crate::store::badges::free_slug;
use crate::store::identity::insert_oauth_client;
use crate::store::notices::ChangeNotice;
use crate::store::pages::write_page_badges;
use crate::store::rows::tags_json;
use crate::store::sql::{bind_all, is_unique_violation, values_list};
use crate::store::webhooks::{status_text, types_json};
use crate::store::{SqlStore, StoreError, StoreResult};

/// Assignment rows per INSERT: 9 values each, far below either database's
/// parameter limit (32,766 on SQLite, 65,535 on PostgreSQL).
const ROWS_PER_INSERT: usize = 1000;

impl SqlStore {
    /// Writes the batch in one transaction. `source` names where the mapped
    /// ids and the resume point belong. A clash the caller did not see
    /// coming (a concurrent writer) fails the whole batch.
    pub async fn import_batch(&self, site: SiteId, source: &str, batch: &ImportBatch) -> StoreResult<()> {
        if batch.is_empty() {
            return Ok(());
        }
        let site_pk = self.site_key(site).await?;
        // The site's write lock, as every write takes it; an import writes no
        // events (it restores or moves data, it is not a change to announce).
        let mut write = self.begin_write(site).await?;
        let mut notices = Vec::new();
        let tx = &mut *write.tx;
        for badge in &batch.badges {
            insert_badge(tx, site, badge).await?;
        }
        for page in &batch.pages {
            insert_page(tx, site, page).await?;
        }
        for hook in &batch.webhooks {
            insert_webhook(tx, site_pk, hook).await?;
        }
        for client in &batch.clients {
            insert_oauth_client(tx, client).await?;
        }
        if !batch.assignments.is_empty() {
            // In primary-key order: each row lands next to the one before it,
            // so SQLite finds its leaf from the cursor instead of from the root.
            let mut ordered: Vec<&ImportAssignment> = batch.assignments.iter().collect();
            ordered.sort_unstable_by_key(|a| (a.member_id, a.badge_id));
            for chunk in ordered.chunks(ROWS_PER_INSERT) {
                insert_assignments(tx, self.dialect, site_pk, chunk).await?;
            }
            let made: Vec<BadgeAssignment> = batch.assignments.iter().map(as_assignment).collect();
            // Every one of them was inserted just now, for this site (or the batch failed).
            Self::insert_tag_rows(tx, self.dialect, None, made.iter()).await?;
            Self::adjust_member_counts(tx, site, made.iter().map(|a| a.badge_id), 1).await?;
            notices.push(ChangeNotice::members(site, made.iter().map(|a| a.member_id)));
        }
        if !batch.pages.is_empty() || !batch.badges.is_empty() {
            notices.extend([ChangeNotice::Pages(site), ChangeNotice::Badges(site)]);
        }
        for chunk in batch.mapped.chunks(ROWS_PER_INSERT) {
            insert_mapped(tx, self.dialect, site, source, chunk).await?;
        }
        if let Some(resume) = &batch.resume {
            save_resume(tx, site, source, resume).await?;
        }
        for notice in notices {
            self.notify(&mut write, notice).await?;
        }
        self.commit_write(write, None).await?;
        Ok(())
    }
}

fn as_assignment(a: &ImportAssignment) -> BadgeAssignment {
    BadgeAssignment {
        id: a.id,
        badge_id: a.badge_id,
        member_id: a.member_id,
        tags: a.tags.clone(),
        extended_fields: a.extended_fields.clone(),
        created_date: a.created,
        updated_date: a.updated,
    }
}

/// The badge goes after the site's last one; its slug, or a free variant of it.
async fn insert_badge(conn: &mut AnyConnection, site: SiteId, b: &ImportBadge) -> StoreResult<()> {
    let base = Slug::from_title(b.slug.as_deref().unwrap_or(b.badge.title.as_str()));
    let slug = free_slug(conn, site, &base, None).await?;
    let order: i64 = sqlx::query("SELECT COALESCE(MAX(display_order), 0) + 1 AS next FROM badges WHERE site_id = $1")
        .bind(site.to_bytes())
        .fetch_one(&mut *conn)
        .await?
        .try_get("next")?;
    let icon = b
        .badge
        .icon
        .as_ref()
        .map(|i| serde_json::to_string(i).unwrap_or_default());
    sqlx::query(
        "INSERT INTO badges (site_id, id, revision, title, description, background_color, text_color, icon, \
         permissions_enabled, slug, display_order, member_count, created_at, updated_at, \
         title_folded, slug_folded, description_folded) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, 0, $12, $13, $14, $15, $16)",
    )
    .bind(site.to_bytes())
    .bind(b.id.to_bytes())
    .bind(b.revision)
    .bind(b.badge.title.as_str())
    .bind(b.badge.description.as_str())
    .bind(b.badge.background_color.as_str())
    .bind(b.badge.text_color.as_str())
    .bind(icon)
    .bind(i64::from(b.badge.permissions_enabled))
    .bind(slug.as_str())
    .bind(order)
    .bind(b.created.millis())
    .bind(b.updated.millis())
    .bind(fold_case(b.badge.title.as_str()))
    .bind(fold_case(slug.as_str()))
    .bind(fold_case(b.badge.description.as_str()))
    .execute(&mut *conn)
    .await?;
    Ok(())
}

async fn insert_page(conn: &mut AnyConnection, site: SiteId, p: &ImportPage) -> StoreResult<()> {
    let row = sqlx::query(
        "INSERT INTO pages (site_id, id, revision, path, title, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING pk",
    )
    .bind(site.to_bytes())
    .bind(p.id.to_bytes())
    .bind(p.revision)
    .bind(p.path.as_str())
    .bind(p.title.as_str())
    .bind(p.created.millis())
    .bind(p.updated.millis())
    .fetch_one(&mut *conn)
    .await
    .map_err(|e| {
        if is_unique_violation(&e, "path") {
            StoreError::PathTaken
        } else {
            e.into()
        }
    })?;
    let pk: i64 = row.try_get("pk")?;
    write_page_badges(conn, site, pk, &p.badge_ids).await
}

/// The subscription starts at the site's present, as a new one does: it is
/// sent what happens after the import (the import itself sends nothing).
async fn insert_webhook(conn: &mut AnyConnection, site_pk: i64, w: &Webhook) -> StoreResult<()> {
    sqlx::query(
        "INSERT INTO webhooks (site_pk, id, url, event_types, status, revision, fanout_seq, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, (SELECT event_seq FROM sites WHERE pk = $1), $7, $8)",
    )
    .bind(site_pk)
    .bind(w.id.as_bytes().to_vec())
    .bind(w.url.as_str())
    .bind(types_json(&w.event_types))
    .bind(status_text(w.active))
    .bind(w.revision)
    .bind(w.created_date.millis())
    .bind(w.updated_date.millis())
    .execute(&mut *conn)
    .await?;
    Ok(())
}

async fn insert_assignments(
    conn: &mut AnyConnection,
    dialect: Dialect,
    site_pk: i64,
    rows: &[&ImportAssignment],
) -> StoreResult<()> {
    const COLUMNS: usize = 9;
    // On SQLite `OR FAIL`: a clash stops the statement without undoing the
    // rows it wrote, which spares SQLite a statement journal (a copy of every
    // page the statement changes, kept to undo it); the whole batch is rolled
    // back on any failure anyway. PostgreSQL has no such cost and no such clause.
    let verb = match dialect {
        Dialect::Sqlite => "INSERT OR FAIL",
        Dialect::Postgres => "INSERT",
    };
    let sql = format!(
        "{verb} INTO badge_assignments (site_pk, id, badge_id, member_id, tags, private_tags, extended_fields, \
         created_at, updated_at) VALUES {}",
        values_list(dialect, rows.len(), COLUMNS)
    );
    let mut params = Vec::with_capacity(rows.len() * COLUMNS);
    for a in rows {
        params.extend([
            SqlParam::Int(site_pk),
            SqlParam::Blob(a.id.to_bytes()),
            SqlParam::Blob(a.badge_id.to_bytes()),
            SqlParam::Blob(a.member_id.to_bytes()),
            SqlParam::NullableText(tags_json(&a.tags.public)),
            SqlParam::NullableText(tags_json(&a.tags.private)),
            SqlParam::NullableText(a.extended_fields.as_ref().map(|v| v.to_string())),
            SqlParam::Int(a.created.millis()),
            SqlParam::Int(a.updated.millis()),
        ]);
    }
    bind_all(sqlx::query(&sql), &params).execute(&mut *conn).await?;
    Ok(())
}

async fn insert_mapped(
    conn: &mut AnyConnection,
    dialect: Dialect,
    site: SiteId,
    source: &str,
    rows: &[Mapped],
) -> StoreResult<()> {
    const COLUMNS: usize = 5;
    let sql = format!(
        "INSERT INTO transfer_ids (site_id, source, kind, source_id, target_id) VALUES {} \
         ON CONFLICT (site_id, source, kind, source_id) DO UPDATE SET target_id = excluded.target_id",
        values_list(dialect, rows.len(), COLUMNS)
    );
    let mut params = Vec::with_capacity(rows.len() * COLUMNS);
    for m in rows {
        params.extend([
            SqlParam::Blob(site.to_bytes()),
            SqlParam::Text(source.to_owned()),
            SqlParam::Text(m.kind.to_owned()),
            SqlParam::Blob(m.source.as_bytes().to_vec()),
            SqlParam::Blob(m.target.as_bytes().to_vec()),
        ]);
    }
    bind_all(sqlx::query(&sql), &params).execute(&mut *conn).await?;
    Ok(())
}

async fn save_resume(conn: &mut AnyConnection, site: SiteId, source: &str, resume: &ResumePoint) -> StoreResult<()> {
    sqlx::query(
        "INSERT INTO transfer_resume (site_id, source, lines, digest) VALUES ($1, $2, $3, $4) \
         ON CONFLICT (site_id, source) DO UPDATE SET lines = excluded.lines, digest = excluded.digest",
    )
    .bind(site.to_bytes())
    .bind(source)
    .bind(resume.lines as i64)
    .bind(resume.digest.clone())
    .execute(&mut *conn)
    .await?;
    Ok(())
}
