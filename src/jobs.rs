//! The job runner `insignia serve` runs beside the API: it works the
//! queued bulk jobs (update-tags-by-filter) batch by batch, each batch one
//! short transaction (see `Store::run_job_batch`), so other writes of the
//! site go between two batches, and a restart goes on after the last batch
//! that committed. It wakes when this instance queues a job, and every poll
//! interval (jobs queued elsewhere, jobs left by an instance that stopped).

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::store::Store;

/// How long stopping waits for the batch in flight (a batch is short; one
/// cut off is rolled back and done again after the restart).
const STOP_DEADLINE: Duration = Duration::from_secs(5);

#[derive(Debug, Clone, Copy)]
pub struct JobSettings {
    /// Rows per batch, each batch one transaction.
    pub batch_size: usize,
    /// How often the queue is looked at when nothing woke the runner.
    pub poll_interval: Duration,
}

impl Default for JobSettings {
    fn default() -> Self {
        Self {
            batch_size: 500,
            poll_interval: Duration::from_secs(1),
        }
    }
}

pub struct JobRunner {
    stop: watch::Sender<bool>,
    task: JoinHandle<()>,
}

/// Starts working the queue.
pub fn start(store: Arc<dyn Store>, settings: JobSettings) -> JobRunner {
    let (stop, stopped) = watch::channel(false);
    let task = tokio::spawn(run(store, settings, stopped));
    JobRunner { stop, task }
}

impl JobRunner {
    /// Stops after the batch in flight.
    pub async fn stop(self) {
        let _ = self.stop.send(true);
        let mut task = self.task;
        if tokio::time::timeout(STOP_DEADLINE, &mut task).await.is_err() {
            task.abort();
        }
    }
}

async fn run(store: Arc<dyn Store>, settings: JobSettings, mut stop: watch::Receiver<bool>) {
    while !*stop.borrow() {
        match store.run_job_batch(settings.batch_size).await {
            // Straight on to the next batch; writers waiting for the
            // connection are served first (the pool queues them in order).
            Ok(Some(_)) => continue,
            Ok(None) => {}
            Err(e) => tracing::warn!(error = ?e, "job batch failed; it is tried again"),
        }
        tokio::select! {
            () = store.changes().next_job() => {}
            () = tokio::time::sleep(settings.poll_interval) => {}
            _ = stop.changed() => {}
        }
    }
}
