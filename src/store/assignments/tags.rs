//! Changing the tags of assignments, by id or by filter. (The tag index rows
//! follow through a trigger.)

use sqlx::any::AnyRow;
use sqlx::AnyConnection;

use super::{in_asked_order, of_site_by_id};
use crate::domain::{AssignmentId, BadgeAssignment, Job, JobId, SiteId, Tags, Timestamp};
use crate::events::NewEvent;
use crate::query::{compile_filter, Filter, SqlParam, SqlText, ASSIGNMENTS};
use crate::store::rows::{self, tags_json, ASSIGNMENT_COLUMNS};
use crate::store::sql::statement;
use crate::store::{SqlStore, StoreResult};

impl SqlStore {
    /// Adds and removes tags on the listed assignments; `None` for unknown ids.
    pub(in crate::store) async fn update_assignment_tags_impl(
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
        let mut write = self.begin_write(site).await?;
        let tx = &mut *write.tx;
        let mut text = SqlText::new();
        let named = of_site_by_id(&mut text, site_pk, ids);
        text.push(&format!(
            "SELECT {ASSIGNMENT_COLUMNS} FROM badge_assignments WHERE {named}"
        ));
        let found = statement(&text).fetch_all(&mut *tx).await?;
        let updated = retag(tx, site_pk, &found, add, remove).await?;
        let events: Vec<NewEvent> = updated.iter().map(NewEvent::assignment_tags_updated).collect();
        self.notify_members(&mut write, &updated).await?;
        let last = self.append(&mut write, &events).await?;
        self.commit_write(write, last).await?;
        Ok(in_asked_order(ids, updated))
    }

    /// Re-tags every assignment the filter matches, in batches of
    /// [`RETAG_BATCH`] in id order, each its own short transaction that also
    /// records the job's progress: other writes of the site go between two
    /// batches instead of waiting for the whole run (one transaction over a
    /// million rows held SQLite's only writer for minutes), and memory holds
    /// one batch. A run cut short leaves the job `IN_PROGRESS` with the
    /// batches done counted; each row is changed once, whatever the filter.
    pub(in crate::store) async fn update_assignment_tags_by_filter_impl(
        &self,
        site: SiteId,
        filter: &Filter,
        add: &Tags,
        remove: &Tags,
    ) -> StoreResult<Job> {
        let site_pk = self.site_key(site).await?;
        let now = Timestamp::now();
        let mut job = Job {
            id: JobId::generate(),
            kind: "BULK_UPDATE_BADGE_ASSIGNMENT_TAGS".into(),
            status: "IN_PROGRESS".into(),
            total: 0,
            succeeded: 0,
            failed: 0,
            created_date: now,
            updated_date: now,
        };
        Self::insert_job(&mut *self.write.acquire().await?, site_pk, &job).await?;
        let mut after: Option<Vec<u8>> = None;
        // Each batch is one short write: its retags, the job's progress and their events.
        loop {
            let mut write = self.begin_write(site).await?;
            let tx = &mut *write.tx;
            let mut text = SqlText::new();
            let site_param = text.bind(SqlParam::Int(site_pk));
            text.push(&format!(
                "SELECT {ASSIGNMENT_COLUMNS} FROM badge_assignments WHERE badge_assignments.site_pk = {site_param} AND "
            ));
            if let Some(last) = after.take() {
                let last = text.bind(SqlParam::Blob(last));
                text.push(&format!("badge_assignments.id > {last} AND "));
            }
            compile_filter(self.dialect, &ASSIGNMENTS, filter, &mut text);
            text.push(&format!(" ORDER BY badge_assignments.id LIMIT {RETAG_BATCH}"));
            let found = statement(&text).fetch_all(&mut *tx).await?;
            let updated = retag(tx, site_pk, &found, add, remove).await?;
            let finished = found.len() < RETAG_BATCH;
            job.total += found.len() as i64;
            job.succeeded += updated.len() as i64;
            job.failed += (found.len() - updated.len()) as i64;
            job.updated_date = Timestamp::now();
            if finished {
                job.status = "FINISHED".into();
            }
            Self::update_job(tx, site_pk, &job).await?;
            let events: Vec<NewEvent> = updated.iter().map(NewEvent::assignment_tags_updated).collect();
            self.notify_members(&mut write, &updated).await?;
            let last = self.append(&mut write, &events).await?;
            self.commit_write(write, last).await?;
            metrics::counter!(JOB_ROWS_METRIC, "kind" => "BULK_UPDATE_BADGE_ASSIGNMENT_TAGS")
                .increment(found.len() as u64);
            match updated.last() {
                Some(last) if !finished => after = Some(last.id.to_bytes()),
                _ => break,
            }
        }
        Ok(job)
    }
}

/// Rows done by background-style jobs, counted as each batch commits (job progress).
pub const JOB_ROWS_METRIC: &str = "insignia_job_rows_total";

/// Rows re-tagged per transaction by `update-tags-by-filter`.
pub(in crate::store) const RETAG_BATCH: usize = 500;

/// Applies a tag change to the given rows of the site; returns them as they are now.
async fn retag(
    conn: &mut AnyConnection,
    site_pk: i64,
    found: &[AnyRow],
    add: &Tags,
    remove: &Tags,
) -> StoreResult<Vec<BadgeAssignment>> {
    let now = Timestamp::now();
    let mut updated = Vec::with_capacity(found.len());
    for row in found {
        let mut current = rows::assignment(row)?;
        current.tags = current.tags.changed(add, remove);
        current.updated_date = now;
        sqlx::query(
            "UPDATE badge_assignments SET tags = $1, private_tags = $2, updated_at = $3 \
             WHERE site_pk = $4 AND id = $5",
        )
        .bind(tags_json(&current.tags.public))
        .bind(tags_json(&current.tags.private))
        .bind(now.millis())
        .bind(site_pk)
        .bind(current.id.to_bytes())
        .execute(&mut *conn)
        .await?;
        updated.push(current);
    }
    Ok(updated)
}
