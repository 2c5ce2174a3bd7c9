//! Job records of bulk operations.

use sqlx::{AnyConnection, Row};

use super::{SqlStore, StoreResult};
use crate::domain::{Job, JobId, SiteId, Timestamp};

impl SqlStore {
    /// Records a job (inside the transaction of the work it reports).
    pub(super) async fn insert_job(conn: &mut AnyConnection, site_pk: i64, job: &Job) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO jobs (site_pk, id, kind, status, total, succeeded, failed, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
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
        .execute(&mut *conn)
        .await?;
        Ok(())
    }

    /// Records a job's progress (inside the transaction of the batch it counts).
    pub(super) async fn update_job(conn: &mut AnyConnection, site_pk: i64, job: &Job) -> StoreResult<()> {
        sqlx::query(
            "UPDATE jobs SET status = $1, total = $2, succeeded = $3, failed = $4, updated_at = $5 \
             WHERE site_pk = $6 AND id = $7",
        )
        .bind(job.status.as_str())
        .bind(job.total)
        .bind(job.succeeded)
        .bind(job.failed)
        .bind(job.updated_date.millis())
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
}
