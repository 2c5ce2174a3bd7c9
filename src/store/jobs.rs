//! Job records of bulk operations, and the rows a job runner works from.
//!
//! A job row holds its work (the filter, the tag change, the caller's
//! identity) and how far it got (the keyset cursor and the counts), so any
//! instance can take it up after a restart. A runner takes the oldest
//! unfinished job inside the transaction of the batch it runs, with
//! `FOR UPDATE SKIP LOCKED` on PostgreSQL: one instance works a job at a
//! time, others pass on to the next job, and the lock goes with the
//! transaction of an instance that dies. (SQLite has one writer, which
//! serialises the runners of its process already.)

use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};

use super::rows::{self, tags_json};
use super::{SqlStore, StoreResult};
use crate::domain::{Job, JobId, SiteId, Tags, Timestamp};
use crate::events::Actor;
use crate::query::Dialect;

/// An unfinished job, as a runner took it.
pub(super) struct ClaimedJob {
    pub job: Job,
    pub site: SiteId,
    pub site_pk: i64,
    /// The query-language JSON text the client sent (`None` on rows older than background jobs).
    pub filter: Option<String>,
    pub add: Tags,
    pub remove: Tags,
    /// Whose change it is: the identity of its events.
    pub actor: Actor,
    /// The id of the last row a committed batch looked at.
    pub after: Option<Vec<u8>>,
}

/// What a new job is to do.
pub(super) struct JobWork<'a> {
    pub filter: &'a str,
    pub add: &'a Tags,
    pub remove: &'a Tags,
}

const JOB_COLUMNS: &str = "jobs.id, jobs.kind, jobs.status, jobs.total, jobs.succeeded, jobs.failed, \
     jobs.created_at, jobs.updated_at";

impl SqlStore {
    /// Stores a new job, and wakes this instance's runner.
    pub(super) async fn queue_job(&self, site_pk: i64, job: &Job, work: JobWork<'_>) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO jobs (site_pk, id, kind, status, total, succeeded, failed, created_at, updated_at, \
             filter_json, add_tags, add_private_tags, remove_tags, remove_private_tags, identity) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)",
        )
        .bind(site_pk)
        .bind(job.id.to_bytes())
        .bind(job.kind.as_str())
        .bind(job.status.as_str())
        .bind(job.total)
        .bind(job.succeeded)
        .bind(job.failed)
        .bind(job.created_date.millis())
        .bind(job.updated_date.millis())
        .bind(work.filter)
        .bind(tags_json(&work.add.public))
        .bind(tags_json(&work.add.private))
        .bind(tags_json(&work.remove.public))
        .bind(tags_json(&work.remove.private))
        .bind(self.actor.identity_json())
        .execute(&self.write)
        .await?;
        self.changes.job_queued();
        Ok(())
    }

    /// The oldest unfinished job no other transaction holds, locked for this
    /// one until it ends (see the module).
    pub(super) async fn claim_job(&self, conn: &mut AnyConnection) -> StoreResult<Option<ClaimedJob>> {
        let lock = match self.dialect {
            Dialect::Postgres => " FOR UPDATE OF jobs SKIP LOCKED",
            Dialect::Sqlite => "",
        };
        let row = sqlx::query(&format!(
            "SELECT {JOB_COLUMNS}, jobs.site_pk, sites.id AS site_id, jobs.filter_json, jobs.add_tags, \
             jobs.add_private_tags, jobs.remove_tags, jobs.remove_private_tags, jobs.identity, jobs.after_id \
             FROM jobs JOIN sites ON sites.pk = jobs.site_pk \
             WHERE jobs.status = $1 ORDER BY jobs.created_at LIMIT 1{lock}"
        ))
        .bind(Job::IN_PROGRESS)
        .fetch_optional(&mut *conn)
        .await?;
        let Some(row) = row else { return Ok(None) };
        let identity: Option<String> = row.try_get("identity")?;
        Ok(Some(ClaimedJob {
            job: job(&row)?,
            site: rows::site_id(&row, "site_id")?,
            site_pk: row.try_get("site_pk")?,
            filter: row.try_get("filter_json")?,
            add: rows::tags(&row, "add_tags", "add_private_tags")?,
            remove: rows::tags(&row, "remove_tags", "remove_private_tags")?,
            actor: identity.as_deref().map(Actor::from_identity_json).unwrap_or_default(),
            after: row.try_get("after_id")?,
        }))
    }

    /// Records a job's progress and its cursor (inside the transaction of the batch it counts).
    pub(super) async fn record_progress(
        conn: &mut AnyConnection,
        site_pk: i64,
        job: &Job,
        after: Option<&[u8]>,
    ) -> StoreResult<()> {
        sqlx::query(
            "UPDATE jobs SET status = $1, total = $2, succeeded = $3, failed = $4, updated_at = $5, after_id = $6 \
             WHERE site_pk = $7 AND id = $8",
        )
        .bind(job.status.as_str())
        .bind(job.total)
        .bind(job.succeeded)
        .bind(job.failed)
        .bind(job.updated_date.millis())
        .bind(after.map(<[u8]>::to_vec))
        .bind(site_pk)
        .bind(job.id.to_bytes())
        .execute(&mut *conn)
        .await?;
        Ok(())
    }

    pub(super) async fn get_job_impl(&self, site: SiteId, id: JobId) -> StoreResult<Option<Job>> {
        let Some(site_pk) = self.existing_site_key(site).await? else {
            return Ok(None);
        };
        let row = sqlx::query(&format!(
            "SELECT {JOB_COLUMNS} FROM jobs WHERE site_pk = $1 AND id = $2"
        ))
        .bind(site_pk)
        .bind(id.to_bytes())
        .fetch_optional(&self.read)
        .await?;
        row.as_ref().map(job).transpose()
    }
}

fn job(row: &AnyRow) -> StoreResult<Job> {
    let id: Vec<u8> = row.try_get("id")?;
    Ok(Job {
        id: JobId::from_bytes(&id).ok_or_else(|| super::StoreError::Corrupt("jobs.id".into()))?,
        kind: row.try_get("kind")?,
        status: row.try_get("status")?,
        total: row.try_get("total")?,
        succeeded: row.try_get("succeeded")?,
        failed: row.try_get("failed")?,
        created_date: Timestamp::from_millis(row.try_get("created_at")?),
        updated_date: Timestamp::from_millis(row.try_get("updated_at")?),
    })
}
