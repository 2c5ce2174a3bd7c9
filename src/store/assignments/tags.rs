//! Changing the tags of assignments, by id, or by filter as a background job.
//! (The tag index rows follow through a trigger.)

use serde_json::Value;
use sqlx::any::AnyRow;
use sqlx::AnyConnection;

use super::{in_asked_order, of_site_by_id};
use crate::domain::{AssignmentId, BadgeAssignment, Job, JobId, SiteId, Tags, Timestamp};
use crate::events::NewEvent;
use crate::query::{compile_filter, parse_filter, Dialect, Filter, SqlParam, SqlText, ASSIGNMENTS};
use crate::store::jobs::JobWork;
use crate::store::outbox::SiteWrite;
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

    /// Queues a re-tag of every assignment `filter` (query-language JSON,
    /// checked by the caller) matches; the job runner does the work, batch
    /// by batch ([`Self::run_job_batch_impl`]).
    pub(in crate::store) async fn queue_retag_by_filter_impl(
        &self,
        site: SiteId,
        filter: &Value,
        add: &Tags,
        remove: &Tags,
    ) -> StoreResult<Job> {
        let site_pk = self.site_key(site).await?;
        let now = Timestamp::now();
        let job = Job {
            id: JobId::generate(),
            kind: Job::RETAG_BY_FILTER.into(),
            status: Job::IN_PROGRESS.into(),
            total: 0,
            succeeded: 0,
            failed: 0,
            created_date: now,
            updated_date: now,
        };
        let filter = filter.to_string();
        let work = JobWork {
            filter: &filter,
            add,
            remove,
        };
        self.queue_job(site_pk, &job, work).await?;
        Ok(job)
    }

    /// Runs the next batch of the oldest unfinished job: up to `batch` of
    /// its matching rows after its cursor, in id order, re-tagged in one
    /// transaction that also appends their events (as the job's caller) and
    /// moves the job's cursor and counts. A crash loses at most the batch in
    /// flight, which the next run does again; no row is re-tagged twice,
    /// whatever the change does to the filter's matches. Between two batches
    /// the writer is free for other writes. `None`: no job is waiting.
    pub(in crate::store) async fn run_job_batch_impl(&self, batch: usize) -> StoreResult<Option<Job>> {
        let batch = batch.max(1);
        let mut tx = self.write.begin().await?;
        let Some(claimed) = self.claim_job(&mut tx).await? else {
            tx.rollback().await?;
            return Ok(None);
        };
        let site_pk = claimed.site_pk;
        let mut job = claimed.job;
        job.updated_date = Timestamp::now();
        let filter = (job.kind == Job::RETAG_BY_FILTER)
            .then_some(claimed.filter)
            .flatten()
            .and_then(|raw| serde_json::from_str::<Value>(&raw).ok())
            .and_then(|raw| parse_filter(&ASSIGNMENTS, &raw, "filter").ok());
        let Some(filter) = filter else {
            // Nothing a later run could do differently: the job stops for good.
            tracing::warn!(job = %job.id, kind = %job.kind, "job stopped: its work cannot be read back");
            job.status = Job::FAILED.into();
            Self::record_progress(&mut tx, site_pk, &job, claimed.after.as_deref()).await?;
            tx.commit().await?;
            return Ok(Some(job));
        };
        // The site row next, as every writer of the site takes it before
        // its other rows (the job row is taken by no site writer).
        if self.dialect == Dialect::Postgres {
            sqlx::query("SELECT pk FROM sites WHERE pk = $1 FOR UPDATE")
                .bind(site_pk)
                .execute(&mut *tx)
                .await?;
        }
        let next = self.next_batch(site_pk, &filter, claimed.after.as_deref(), batch);
        let found = statement(&next).fetch_all(&mut *tx).await?;
        let updated = retag(&mut tx, site_pk, &found, &claimed.add, &claimed.remove).await?;
        job.total += found.len() as i64;
        job.succeeded += updated.len() as i64;
        job.failed += (found.len() - updated.len()) as i64;
        if found.len() < batch {
            job.status = Job::FINISHED.into();
        }
        let after = updated.last().map(|a| a.id.to_bytes()).or(claimed.after);
        Self::record_progress(&mut tx, site_pk, &job, after.as_deref()).await?;
        let mut write = SiteWrite {
            tx,
            site: claimed.site,
            site_pk,
            notices: Vec::new(),
        };
        let events: Vec<NewEvent> = updated.iter().map(NewEvent::assignment_tags_updated).collect();
        self.notify_members(&mut write, &updated).await?;
        let caller = SqlStore {
            actor: claimed.actor,
            ..self.clone()
        };
        let last = caller.append(&mut write, &events).await?;
        self.commit_write(write, last).await?;
        metrics::counter!(JOB_ROWS_METRIC, "kind" => Job::RETAG_BY_FILTER).increment(found.len() as u64);
        Ok(Some(job))
    }

    /// Up to `batch` rows of the site that `filter` matches, after the row
    /// `after` in id order.
    fn next_batch(&self, site_pk: i64, filter: &Filter, after: Option<&[u8]>, batch: usize) -> SqlText {
        let mut text = SqlText::new();
        let site_param = text.bind(SqlParam::Int(site_pk));
        text.push(&format!(
            "SELECT {ASSIGNMENT_COLUMNS} FROM badge_assignments WHERE badge_assignments.site_pk = {site_param} AND "
        ));
        if let Some(last) = after {
            let last = text.bind(SqlParam::Blob(last.to_vec()));
            text.push(&format!("badge_assignments.id > {last} AND "));
        }
        compile_filter(self.dialect, &ASSIGNMENTS, filter, &mut text);
        text.push(&format!(" ORDER BY badge_assignments.id LIMIT {batch}"));
        text
    }
}

/// Rows done by background jobs, counted as each batch commits (job progress).
pub const JOB_ROWS_METRIC: &str = "insignia_job_rows_total";

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
