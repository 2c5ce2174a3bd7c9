//! Settings of the job runner (update-tags-by-filter runs as a job).

use std::time::Duration;

use clap::Args;

use crate::jobs::JobSettings;

#[derive(Debug, Clone, Args)]
pub struct JobArgs {
    /// Rows a job does per transaction; other writes of the site go
    /// between two batches.
    #[arg(long, env = "INSIGNIA_JOB_BATCH_SIZE", default_value_t = 500)]
    pub job_batch_size: usize,
    /// How often an idle runner looks for jobs queued by other instances
    /// or left by one that stopped, in milliseconds (jobs queued by this
    /// instance start at once).
    #[arg(long, env = "INSIGNIA_JOB_POLL_MS", default_value_t = 1_000)]
    pub job_poll_ms: u64,
}

impl JobArgs {
    pub fn settings(&self) -> JobSettings {
        JobSettings {
            batch_size: self.job_batch_size.max(1),
            poll_interval: Duration::from_millis(self.job_poll_ms.max(1)),
        }
    }
}
