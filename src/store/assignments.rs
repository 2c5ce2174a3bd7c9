//! Badge assignment storage. Multi-row writes are one transaction each;
//! uniqueness of (site, member, badge) is the primary key's job. Each write
//! moves `badges.member_count` by what it changed, in its own transaction, so
//! the counts are exact at every commit. New assignments write their tag
//! index rows in the same transaction; a database trigger (see the
//! migrations) keeps them in step when tags change.

use std::collections::{HashMap, HashSet};

use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};

use super::rows;
use super::sql_store::bind_all;
use super::{Page, SqlStore, StoreError, StoreResult};
use crate::domain::{
    AssignmentId, AssignmentRefusal, BadgeAssignment, BadgeId, Job, JobId, MemberId, NewAssignment, SiteId, TagIds,
    Tags, Timestamp,
};
use crate::query::{compile_filter, Dialect, Filter, Query, SqlParam, SqlText, ASSIGNMENTS};

pub(super) const ASSIGNMENT_COLUMNS: &str = "badge_assignments.id, badge_assignments.badge_id, \
     badge_assignments.member_id, badge_assignments.tags, badge_assignments.private_tags, \
     badge_assignments.extended_fields, badge_assignments.created_at, badge_assignments.updated_at";

/// `$1, $2, …` for `n` parameters starting after `first - 1`.
fn placeholders(first: usize, n: usize) -> String {
    (first..first + n)
        .map(|i| format!("${i}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// `rows` tuples of `columns` placeholders each, for a `VALUES` list whose
/// parameters are all positional and in order. SQLite resolves each named
/// `$n` by a linear search of every name in the statement, which costs O(n²)
/// on a 900-parameter insert; its plain `?` takes the next position directly,
/// and every tuple is the same text.
fn values_list(dialect: Dialect, rows: usize, columns: usize) -> String {
    match dialect {
        Dialect::Sqlite => {
            let tuple = format!("({})", vec!["?"; columns].join(", "));
            vec![tuple.as_str(); rows].join(", ")
        }
        Dialect::Postgres => (0..rows)
            .map(|i| format!("({})", placeholders(i * columns + 1, columns)))
            .collect::<Vec<_>>()
            .join(", "),
    }
}

fn tags_json(tags: &TagIds) -> Option<String> {
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
    async fn lock_badges(
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

    pub(super) async fn create_assignments_impl(
        &self,
        site: SiteId,
        items: &[NewAssignment],
    ) -> StoreResult<Vec<Result<BadgeAssignment, AssignmentRefusal>>> {
        if items.is_empty() {
            return Ok(Vec::new());
        }
        let site_pk = self.site_key(site).await?;

        // Repeats within the call are refused here; everything else is one
        // INSERT that keeps only rows whose badge exists in the site and
        // skips rows the primary key already holds.
        let now = Timestamp::now();
        let mut outcome: Vec<Option<Result<BadgeAssignment, AssignmentRefusal>>> = vec![None; items.len()];
        let mut pending: Vec<(usize, BadgeAssignment)> = Vec::with_capacity(items.len());
        let mut seen = HashSet::with_capacity(items.len());
        for (index, item) in items.iter().enumerate() {
            if !seen.insert((item.badge_id, item.member_id)) {
                outcome[index] = Some(Err(AssignmentRefusal::AlreadyExists));
                continue;
            }
            pending.push((
                index,
                BadgeAssignment {
                    id: AssignmentId::generate(),
                    badge_id: item.badge_id,
                    member_id: item.member_id,
                    tags: item.tags.clone(),
                    extended_fields: item.extended_fields.clone(),
                    created_date: now,
                    updated_date: now,
                },
            ));
        }

        // The per-row values; the site and the dates, the same for every row,
        // are bound once after them.
        const COLUMNS: usize = 6;
        let shared = |k: usize| match self.dialect {
            Dialect::Sqlite => "?".to_owned(),
            Dialect::Postgres => format!("${}", pending.len() * COLUMNS + k),
        };
        let sql = format!(
            "WITH v (id, badge_id, member_id, tags, private_tags, extended_fields) AS (VALUES {}) \
             INSERT INTO badge_assignments (site_pk, id, badge_id, member_id, tags, private_tags, extended_fields, \
             created_at, updated_at) \
             SELECT {}, v.id, v.badge_id, v.member_id, v.tags, v.private_tags, v.extended_fields, {}, {} FROM v \
             WHERE EXISTS (SELECT 1 FROM badges b WHERE b.site_id = {} AND b.id = v.badge_id) \
             ON CONFLICT (site_pk, member_id, badge_id) DO NOTHING",
            values_list(self.dialect, pending.len(), COLUMNS),
            shared(1),
            shared(2),
            shared(3),
            shared(4),
        );
        let mut params: Vec<SqlParam> = Vec::with_capacity(pending.len() * COLUMNS + 4);
        for (_, a) in &pending {
            params.extend([
                SqlParam::Blob(a.id.to_bytes()),
                SqlParam::Blob(a.badge_id.to_bytes()),
                SqlParam::Blob(a.member_id.to_bytes()),
                SqlParam::NullableText(tags_json(&a.tags.public)),
                SqlParam::NullableText(tags_json(&a.tags.private)),
                SqlParam::NullableText(a.extended_fields.as_ref().map(|v| v.to_string())),
            ]);
        }
        params.extend([
            SqlParam::Int(site_pk),
            SqlParam::Int(now.millis()),
            SqlParam::Int(now.millis()),
            SqlParam::Blob(site.to_bytes()),
        ]);

        let mut badge_ids: Vec<BadgeId> = pending.iter().map(|(_, a)| a.badge_id).collect();
        badge_ids.sort();
        badge_ids.dedup();
        let ids: Vec<AssignmentId> = pending.iter().map(|(_, a)| a.id).collect();
        let untagged = pending
            .iter()
            .all(|(_, a)| a.tags.public.is_empty() && a.tags.private.is_empty());
        let (inserted, locked) = if self.dialect == Dialect::Sqlite && untagged {
            (self.insert_untagged_sqlite(site, sql, params, ids).await?, None)
        } else {
            self.insert_in_transaction(site, &sql, &params, &pending, &badge_ids)
                .await?
        };

        // Why the others were skipped: a missing badge, or a member who holds it already.
        let existing = match locked {
            Some(existing) => existing,
            None if inserted.len() < pending.len() => self.existing_badges(site, &badge_ids).await?,
            None => badge_ids.iter().copied().collect(),
        };
        for (index, assignment) in pending {
            outcome[index] = Some(if inserted.contains(&assignment.id) {
                Ok(assignment)
            } else if existing.contains(&assignment.badge_id) {
                Err(AssignmentRefusal::AlreadyExists)
            } else {
                Err(AssignmentRefusal::BadgeNotFound)
            });
        }
        Ok(outcome
            .into_iter()
            .map(|o| o.unwrap_or(Err(AssignmentRefusal::AlreadyExists)))
            .collect())
    }

    /// The general insert: one transaction holding the insert, the holder
    /// counts and the tag rows. On PostgreSQL the badges are locked first
    /// (see `lock_badges`) and returned as the ones that exist.
    async fn insert_in_transaction(
        &self,
        site: SiteId,
        sql: &str,
        params: &[SqlParam],
        pending: &[(usize, BadgeAssignment)],
        badge_ids: &[BadgeId],
    ) -> StoreResult<(HashSet<AssignmentId>, Option<HashSet<BadgeId>>)> {
        let mut tx = self.write.begin().await?;
        let locked = if self.dialect == Dialect::Postgres {
            Some(self.lock_badges(&mut tx, site, badge_ids).await?)
        } else {
            None
        };
        let inserted_count = bind_all(sqlx::query(sql), params)
            .execute(&mut *tx)
            .await?
            .rows_affected() as usize;
        // Usually every row goes in; only when some did not is it worth asking which.
        let inserted: HashSet<AssignmentId> = if inserted_count == pending.len() {
            pending.iter().map(|(_, a)| a.id).collect()
        } else {
            let ids: Vec<AssignmentId> = pending.iter().map(|(_, a)| a.id).collect();
            Self::present_assignments(&mut tx, &ids).await?
        };
        let added = pending
            .iter()
            .filter(|(_, a)| inserted.contains(&a.id))
            .map(|(_, a)| a.badge_id);
        Self::adjust_member_counts(&mut tx, site, added, 1).await?;
        let tagged = pending.iter().map(|(_, a)| a).filter(|a| inserted.contains(&a.id));
        Self::insert_tag_rows(&mut tx, self.dialect, tagged).await?;
        tx.commit().await?;
        Ok((inserted, locked))
    }

    /// The common bulk load on SQLite, an untagged insert, in one round trip
    /// to the writer: the insert and the holder counts travel as one script
    /// inside `BEGIN IMMEDIATE … COMMIT`. The single write connection is busy
    /// only while the script runs, not while this task is scheduled between
    /// statements. It runs as a task of its own so that a cancelled request
    /// cannot stop it half way with the transaction open.
    async fn insert_untagged_sqlite(
        &self,
        site: SiteId,
        insert_sql: String,
        mut params: Vec<SqlParam>,
        ids: Vec<AssignmentId>,
    ) -> StoreResult<HashSet<AssignmentId>> {
        let id_list = vec!["?"; ids.len()].join(", ");
        // Counts by badge of the rows this script made: the ids are fresh, so
        // every id found was inserted just now.
        let script = format!(
            "BEGIN IMMEDIATE; {insert_sql}; SELECT changes() AS inserted; \
             UPDATE badges SET member_count = member_count + d.n \
             FROM (SELECT badge_id, COUNT(*) AS n FROM badge_assignments WHERE id IN ({id_list}) GROUP BY badge_id) AS d \
             WHERE badges.site_id = ? AND badges.id = d.badge_id; COMMIT"
        );
        params.extend(ids.iter().map(|id| SqlParam::Blob(id.to_bytes())));
        params.push(SqlParam::Blob(site.to_bytes()));
        let write = self.write.clone();
        let task = tokio::spawn(async move {
            let mut conn = write.acquire().await?;
            let rows = match bind_all(sqlx::query(&script), &params).fetch_all(&mut *conn).await {
                Ok(rows) => rows,
                Err(e) => {
                    // A statement failed inside the script: end its transaction here.
                    let _ = sqlx::query("ROLLBACK").execute(&mut *conn).await;
                    return Err(e.into());
                }
            };
            let inserted: i64 = match rows.first() {
                Some(row) => row.try_get("inserted")?,
                None => 0,
            };
            if inserted as usize == ids.len() {
                return Ok(ids.into_iter().collect());
            }
            // Still on the only write connection: nothing has changed since the script.
            Self::present_assignments(&mut conn, &ids).await
        });
        task.await
            .map_err(|e| StoreError::Corrupt(format!("insert task failed: {e}")))?
    }

    /// Which of these (freshly generated) assignment ids are stored.
    async fn present_assignments(conn: &mut AnyConnection, ids: &[AssignmentId]) -> StoreResult<HashSet<AssignmentId>> {
        let sql = format!(
            "SELECT id FROM badge_assignments WHERE id IN ({})",
            placeholders(1, ids.len())
        );
        let mut q = sqlx::query(&sql);
        for id in ids {
            q = q.bind(id.to_bytes());
        }
        q.fetch_all(&mut *conn)
            .await?
            .iter()
            .map(|r| rows::assignment_id(r, "id"))
            .collect()
    }

    /// The tag index rows of new assignments (tag changes later are the
    /// update trigger's). Untagged assignments cost nothing here.
    async fn insert_tag_rows(
        conn: &mut AnyConnection,
        dialect: Dialect,
        assignments: impl Iterator<Item = &BadgeAssignment>,
    ) -> StoreResult<()> {
        let rows: Vec<(&AssignmentId, &str, &String)> = assignments
            .flat_map(|a| {
                let public = a.tags.public.as_slice().iter().map(move |t| (&a.id, "public", t));
                let private = a.tags.private.as_slice().iter().map(move |t| (&a.id, "private", t));
                public.chain(private)
            })
            .collect();
        // 300 rows of 3 parameters stay far below either database's parameter limit.
        for chunk in rows.chunks(300) {
            let sql = format!(
                "INSERT INTO badge_assignment_tags (assignment_id, kind, tag) VALUES {} ON CONFLICT DO NOTHING",
                values_list(dialect, chunk.len(), 3)
            );
            let mut q = sqlx::query(&sql);
            for (id, kind, tag) in chunk {
                q = q.bind(id.to_bytes()).bind(*kind).bind(tag.as_str());
            }
            q.execute(&mut *conn).await?;
        }
        Ok(())
    }

    /// Moves each badge's holder count by `step` for every time it appears in
    /// `badges`: one statement for the whole change.
    async fn adjust_member_counts(
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
    async fn existing_badges(&self, site: SiteId, ids: &[BadgeId]) -> StoreResult<HashSet<BadgeId>> {
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
