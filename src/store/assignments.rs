//! Badge assignment storage. Multi-row writes are one transaction each;
//! uniqueness of (site, member, badge) is the primary key's job. Each write
//! moves `badges.member_count` by what it changed, in its own transaction, so
//! the counts are exact at every commit. New assignments write their tag
//! index rows in the same transaction; a database trigger (see the
//! migrations) keeps them in step when tags change. Creating assignments,
//! the hot path of bulk loads, is in `assignment_insert`.

use std::collections::{HashMap, HashSet};

use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};

use super::rows;
use super::{Page, SqlStore, StoreResult};
use crate::domain::{AssignmentId, BadgeAssignment, BadgeId, Job, JobId, MemberId, SiteId, TagIds, Tags, Timestamp};
use crate::query::{compile_filter, Dialect, Filter, Query, SqlParam, SqlText, ASSIGNMENTS};

pub(super) const ASSIGNMENT_COLUMNS: &str = "badge_assignments.id, badge_assignments.badge_id, \
     badge_assignments.member_id, badge_assignments.tags, badge_assignments.private_tags, \
     badge_assignments.extended_fields, badge_assignments.created_at, badge_assignments.updated_at";

/// `$1, $2, …` for `n` parameters starting after `first - 1`.
pub(super) fn placeholders(first: usize, n: usize) -> String {
    (first..first + n)
        .map(|i| format!("${i}"))
        .collect::<Vec<_>>()
        .join(", ")
}

pub(super) fn tags_json(tags: &TagIds) -> Option<String> {
    (!tags.is_empty()).then(|| serde_json::to_string(tags.as_slice()).unwrap_or_default())
}

impl SqlStore {
    /// The compact key of a site, made on first use.
    pub(super) async fn site_key(&self, site: SiteId) -> StoreResult<i64> {
        if let Some(pk) = self.cached_site_key(site) {
            return Ok(pk);
        }
        sqlx::query("INSERT INTO sites (id) VALUES ($1) ON CONFLICT (id) DO NOTHING")
            .bind(site.to_bytes())
            .execute(&self.write)
            .await?;
        Ok(self.existing_site_key(site).await?.unwrap_or_default())
    }

    /// The compact key of a site that has one; `None` for a site never written to.
    pub(super) async fn existing_site_key(&self, site: SiteId) -> StoreResult<Option<i64>> {
        if let Some(pk) = self.cached_site_key(site) {
            return Ok(Some(pk));
        }
        let row = sqlx::query("SELECT pk FROM sites WHERE id = $1")
            .bind(site.to_bytes())
            .fetch_optional(&self.write)
            .await?;
        let Some(row) = row else { return Ok(None) };
        let pk: i64 = row.try_get("pk")?;
        if let Ok(mut keys) = self.site_keys.lock() {
            keys.insert(site, pk);
        }
        Ok(Some(pk))
    }

    fn cached_site_key(&self, site: SiteId) -> Option<i64> {
        self.site_keys.lock().ok().and_then(|keys| keys.get(&site).copied())
    }

    /// Which of these badges exist in the site. On PostgreSQL their rows are
    /// also locked, in id order, before any assignment row is touched: every
    /// writer takes the badge first, so a concurrent badge delete waits
    /// instead of leaving orphans, and writers of one badge queue rather than
    /// deadlock on its holder count.
    pub(super) async fn lock_badges(
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
        let sql = format!(
            "SELECT id FROM badges WHERE site_id = $1 AND id IN ({}){lock}",
            placeholders(2, ids.len())
        );
        let mut q = sqlx::query(&sql).bind(site.to_bytes());
        for id in ids {
            q = q.bind(id.to_bytes());
        }
        q.fetch_all(&mut *conn)
            .await?
            .iter()
            .map(|r| rows::badge_id(r, "id"))
            .collect()
    }

    /// The badges the given assignments belong to, locked (see `lock_badges`).
    async fn lock_badges_of(
        &self,
        conn: &mut AnyConnection,
        site_pk: i64,
        ids: &[AssignmentId],
        site: SiteId,
    ) -> StoreResult<()> {
        if self.dialect != Dialect::Postgres {
            return Ok(());
        }
        let sql = format!(
            "SELECT DISTINCT badge_id FROM badge_assignments WHERE site_pk = $1 AND id IN ({})",
            placeholders(2, ids.len())
        );
        let mut q = sqlx::query(&sql).bind(site_pk);
        for id in ids {
            q = q.bind(id.to_bytes());
        }
        let mut badges: Vec<BadgeId> = q
            .fetch_all(&mut *conn)
            .await?
            .iter()
            .map(|r| rows::badge_id(r, "badge_id"))
            .collect::<StoreResult<_>>()?;
        badges.sort();
        self.lock_badges(conn, site, &badges).await?;
        Ok(())
    }

    /// Moves each badge's holder count by `step` for every time it appears in
    /// `badges`: one statement for the whole change.
    pub(super) async fn adjust_member_counts(
        conn: &mut AnyConnection,
        site: SiteId,
        badges: impl Iterator<Item = BadgeId>,
        step: i64,
    ) -> StoreResult<()> {
        let mut deltas: Vec<(BadgeId, i64)> = Vec::new();
        for badge in badges {
            match deltas.iter_mut().find(|(b, _)| *b == badge) {
                Some((_, delta)) => *delta += step,
                None => deltas.push((badge, step)),
            }
        }
        if deltas.is_empty() {
            return Ok(());
        }
        // `CASE id WHEN $2 THEN $3 …` with the ids reused in the `IN` list.
        let cases: Vec<String> = (0..deltas.len())
            .map(|i| format!("WHEN ${} THEN ${}", 2 + 2 * i, 3 + 2 * i))
            .collect();
        let ids: Vec<String> = (0..deltas.len()).map(|i| format!("${}", 2 + 2 * i)).collect();
        let sql = format!(
            "UPDATE badges SET member_count = member_count + CASE id {} END WHERE site_id = $1 AND id IN ({})",
            cases.join(" "),
            ids.join(", ")
        );
        let mut q = sqlx::query(&sql).bind(site.to_bytes());
        for (badge, delta) in &deltas {
            q = q.bind(badge.to_bytes()).bind(*delta);
        }
        q.execute(&mut *conn).await?;
        Ok(())
    }

    /// Which of these badges exist in the site.
    pub(super) async fn existing_badges(&self, site: SiteId, ids: &[BadgeId]) -> StoreResult<HashSet<BadgeId>> {
        let mut conn = self.read.acquire().await?;
        self.lock_badges(&mut conn, site, ids).await
    }

    /// Deletes by id; `None` for each id that is not an assignment of the site.
    pub(super) async fn delete_assignments_impl(
        &self,
        site: SiteId,
        ids: &[AssignmentId],
    ) -> StoreResult<Vec<Option<BadgeAssignment>>> {
        let Some(site_pk) = self.existing_site_key(site).await? else {
            return Ok(vec![None; ids.len()]);
        };
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let mut tx = self.write.begin().await?;
        self.lock_badges_of(&mut tx, site_pk, ids, site).await?;
        let sql = format!(
            "DELETE FROM badge_assignments WHERE site_pk = $1 AND id IN ({}) RETURNING {ASSIGNMENT_COLUMNS}",
            placeholders(2, ids.len())
        );
        let mut q = sqlx::query(&sql).bind(site_pk);
        for id in ids {
            q = q.bind(id.to_bytes());
        }
        let deleted = q.fetch_all(&mut *tx).await?;
        let deleted: Vec<BadgeAssignment> = deleted.iter().map(assignment).collect::<StoreResult<_>>()?;
        Self::adjust_member_counts(&mut tx, site, deleted.iter().map(|a| a.badge_id), -1).await?;
        tx.commit().await?;
        let by_id: HashMap<AssignmentId, BadgeAssignment> = deleted.into_iter().map(|a| (a.id, a)).collect();
        Ok(ids.iter().map(|id| by_id.get(id).cloned()).collect())
    }

    /// Removes the badge from these members; returns the assignments removed.
    pub(super) async fn unassign_members_impl(
        &self,
        site: SiteId,
        badge: BadgeId,
        members: &[MemberId],
    ) -> StoreResult<Vec<BadgeAssignment>> {
        let Some(site_pk) = self.existing_site_key(site).await? else {
            return Ok(Vec::new());
        };
        if members.is_empty() {
            return Ok(Vec::new());
        }
        let mut tx = self.write.begin().await?;
        self.lock_badges(&mut tx, site, &[badge]).await?;
        let sql = format!(
            "DELETE FROM badge_assignments WHERE site_pk = $1 AND badge_id = $2 AND member_id IN ({}) \
             RETURNING {ASSIGNMENT_COLUMNS}",
            placeholders(3, members.len())
        );
        let mut q = sqlx::query(&sql).bind(site_pk).bind(badge.to_bytes());
        for m in members {
            q = q.bind(m.to_bytes());
        }
        let deleted: Vec<BadgeAssignment> = q
            .fetch_all(&mut *tx)
            .await?
            .iter()
            .map(assignment)
            .collect::<StoreResult<_>>()?;
        Self::adjust_member_counts(&mut tx, site, deleted.iter().map(|a| a.badge_id), -1).await?;
        tx.commit().await?;
        Ok(deleted)
    }

    pub(super) async fn query_assignments_impl(
        &self,
        site: SiteId,
        query: &Query,
    ) -> StoreResult<Page<BadgeAssignment>> {
        // A site that never stored anything has key -1, which matches no row.
        let site_pk = self.existing_site_key(site).await?.unwrap_or(-1);
        let (found, page) = self
            .run_query(
                &ASSIGNMENTS,
                "badge_assignments",
                ASSIGNMENT_COLUMNS,
                ("badge_assignments.site_pk", SqlParam::Int(site_pk)),
                query,
            )
            .await?;
        let items = found.iter().map(assignment).collect::<StoreResult<Vec<_>>>()?;
        Ok(page.with_items(items))
    }

    /// Adds and removes tags on the listed assignments; `None` for unknown ids.
    pub(super) async fn update_assignment_tags_impl(
        &self,
        site: SiteId,
        ids: &[AssignmentId],
        add: &Tags,
        remove: &Tags,
    ) -> StoreResult<Vec<Option<BadgeAssignment>>> {
        let Some(site_pk) = self.existing_site_key(site).await? else {
            return Ok(vec![None; ids.len()]);
        };
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let mut tx = self.write.begin().await?;
        let sql = format!(
            "SELECT {ASSIGNMENT_COLUMNS} FROM badge_assignments WHERE site_pk = $1 AND id IN ({})",
            placeholders(2, ids.len())
        );
        let mut q = sqlx::query(&sql).bind(site_pk);
        for id in ids {
            q = q.bind(id.to_bytes());
        }
        let found = q.fetch_all(&mut *tx).await?;
        let updated = retag(&mut tx, &found, add, remove).await?;
        tx.commit().await?;
        let by_id: HashMap<AssignmentId, BadgeAssignment> = updated.into_iter().map(|a| (a.id, a)).collect();
        Ok(ids.iter().map(|id| by_id.get(id).cloned()).collect())
    }

    /// Re-tags every assignment the filter matches, in one transaction, and
    /// records the run as a finished job.
    pub(super) async fn update_assignment_tags_by_filter_impl(
        &self,
        site: SiteId,
        filter: &Filter,
        add: &Tags,
        remove: &Tags,
    ) -> StoreResult<Job> {
        let site_pk = self.site_key(site).await?;
        let mut tx = self.write.begin().await?;
        let mut text = SqlText::new();
        let site_param = text.bind(SqlParam::Int(site_pk));
        text.push(&format!(
            "SELECT {ASSIGNMENT_COLUMNS} FROM badge_assignments WHERE badge_assignments.site_pk = {site_param} AND "
        ));
        compile_filter(self.dialect, &ASSIGNMENTS, filter, &mut text);
        let found = super::sql_store::bind_all(sqlx::query(&text.sql), &text.params)
            .fetch_all(&mut *tx)
            .await?;
        let updated = retag(&mut tx, &found, add, remove).await?;
        let now = Timestamp::now();
        let job = Job {
            id: JobId::generate(),
            kind: "BULK_UPDATE_BADGE_ASSIGNMENT_TAGS".into(),
            status: "FINISHED".into(),
            total: found.len() as i64,
            succeeded: updated.len() as i64,
            failed: (found.len() - updated.len()) as i64,
            created_date: now,
            updated_date: now,
        };
        sqlx::query(
            "INSERT INTO jobs (site_pk, id, kind, status, total, succeeded, failed, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8)",
        )
        .bind(site_pk)
        .bind(job.id.to_bytes())
        .bind(job.kind.as_str())
        .bind(job.status.as_str())
        .bind(job.total)
        .bind(job.succeeded)
        .bind(job.failed)
        .bind(now.millis())
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(job)
    }

    pub(super) async fn get_job_impl(&self, site: SiteId, id: JobId) -> StoreResult<Option<Job>> {
        let Some(site_pk) = self.existing_site_key(site).await? else {
            return Ok(None);
        };
        let row = sqlx::query("SELECT * FROM jobs WHERE site_pk = $1 AND id = $2")
            .bind(site_pk)
            .bind(id.to_bytes())
            .fetch_optional(&self.read)
            .await?;
        let Some(row) = row else { return Ok(None) };
        Ok(Some(Job {
            id,
            kind: row.try_get("kind")?,
            status: row.try_get("status")?,
            total: row.try_get("total")?,
            succeeded: row.try_get("succeeded")?,
            failed: row.try_get("failed")?,
            created_date: Timestamp::from_millis(row.try_get("created_at")?),
            updated_date: Timestamp::from_millis(row.try_get("updated_at")?),
        }))
    }

    /// Holder counts of every badge of the site, in display order. Kept on the
    /// badge row, so this costs the same however many assignments exist.
    pub(super) async fn member_counts_impl(&self, site: SiteId) -> StoreResult<Vec<(BadgeId, i64)>> {
        let found = sqlx::query("SELECT id, member_count FROM badges WHERE site_id = $1 ORDER BY display_order, id")
            .bind(site.to_bytes())
            .fetch_all(&self.read)
            .await?;
        found
            .iter()
            .map(|r| Ok((rows::badge_id(r, "id")?, r.try_get("member_count")?)))
            .collect()
    }

    /// Removes every assignment of a badge (inside the badge's delete transaction).
    pub(super) async fn delete_assignments_of_badge(
        conn: &mut AnyConnection,
        site: SiteId,
        badge: BadgeId,
    ) -> StoreResult<Vec<BadgeAssignment>> {
        let sql = format!(
            "DELETE FROM badge_assignments WHERE site_pk = (SELECT pk FROM sites WHERE id = $1) AND badge_id = $2 \
             RETURNING {ASSIGNMENT_COLUMNS}"
        );
        let deleted = sqlx::query(&sql)
            .bind(site.to_bytes())
            .bind(badge.to_bytes())
            .fetch_all(&mut *conn)
            .await?;
        deleted.iter().map(assignment).collect()
    }
}

/// Applies a tag change to the given rows; returns them as they are now.
/// (The tag index follows through a trigger.)
async fn retag(
    conn: &mut AnyConnection,
    found: &[AnyRow],
    add: &Tags,
    remove: &Tags,
) -> StoreResult<Vec<BadgeAssignment>> {
    let now = Timestamp::now();
    let mut updated = Vec::with_capacity(found.len());
    for row in found {
        let mut current = assignment(row)?;
        current.tags = current.tags.changed(add, remove);
        current.updated_date = now;
        sqlx::query("UPDATE badge_assignments SET tags = $1, private_tags = $2, updated_at = $3 WHERE id = $4")
            .bind(tags_json(&current.tags.public))
            .bind(tags_json(&current.tags.private))
            .bind(now.millis())
            .bind(current.id.to_bytes())
            .execute(&mut *conn)
            .await?;
        updated.push(current);
    }
    Ok(updated)
}

pub(super) fn assignment(row: &AnyRow) -> StoreResult<BadgeAssignment> {
    let corrupt = |what: &str| super::StoreError::Corrupt(what.to_owned());
    let tag_list = |column: &str| -> StoreResult<TagIds> {
        let raw: Option<String> = row.try_get(column)?;
        match raw {
            None => Ok(TagIds::default()),
            Some(json) => serde_json::from_str::<Vec<String>>(&json)
                .map(TagIds::from_stored)
                .map_err(|_| corrupt(column)),
        }
    };
    let id: Vec<u8> = row.try_get("id")?;
    let member: Vec<u8> = row.try_get("member_id")?;
    let extended: Option<String> = row.try_get("extended_fields")?;
    Ok(BadgeAssignment {
        id: AssignmentId::from_bytes(&id).ok_or_else(|| corrupt("id"))?,
        badge_id: rows::badge_id(row, "badge_id")?,
        member_id: MemberId::from_bytes(&member).ok_or_else(|| corrupt("member_id"))?,
        tags: Tags {
            public: tag_list("tags")?,
            private: tag_list("private_tags")?,
        },
        extended_fields: extended
            .map(|e| serde_json::from_str(&e))
            .transpose()
            .map_err(|_| corrupt("extended_fields"))?,
        created_date: Timestamp::from_millis(row.try_get("created_at")?),
        updated_date: Timestamp::from_millis(row.try_get("updated_at")?),
    })
}
