//! The change feed: "site S's events now reach sequence number N".
//!
//! A store announces its own commits here right after they happen; on
//! PostgreSQL the commits of other instances arrive through
//! `LISTEN`/`NOTIFY` (see `store::outbox`). What changed is read from the
//! outbox with `events_since`; an announcement only says when to look, so a
//! missed one costs latency (the followers also poll), never an event.
//!
//! The feed also wakes this instance's job runner when a job is queued here
//! (other instances' jobs are found by polling).

use std::sync::Arc;

use tokio::sync::{broadcast, Notify};

use crate::domain::SiteId;

/// How many announcements a slow follower may fall behind before it is told
/// it lagged (and should re-read the outbox).
const CAPACITY: usize = 1024;

/// One site's events reach `seq`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Advanced {
    pub site: SiteId,
    pub seq: i64,
}

/// Announcements of committed events and queued jobs, shared by the clones
/// of one store.
#[derive(Debug, Clone)]
pub struct ChangeFeed {
    sender: broadcast::Sender<Advanced>,
    jobs: Arc<Notify>,
}

impl Default for ChangeFeed {
    fn default() -> Self {
        Self::new()
    }
}

impl ChangeFeed {
    pub fn new() -> Self {
        let (sender, _) = broadcast::channel(CAPACITY);
        Self {
            sender,
            jobs: Arc::new(Notify::new()),
        }
    }

    /// Announces a commit (nobody listening is fine).
    pub fn advanced(&self, site: SiteId, seq: i64) {
        let _ = self.sender.send(Advanced { site, seq });
    }

    /// Announcements from now on.
    pub fn subscribe(&self) -> broadcast::Receiver<Advanced> {
        self.sender.subscribe()
    }

    /// Says a job was queued. A wake-up given while the runner is busy is
    /// kept for its next wait, so none is lost.
    pub fn job_queued(&self) {
        self.jobs.notify_one();
    }

    /// Resolves once a job is queued after the last wake-up.
    pub async fn next_job(&self) {
        self.jobs.notified().await;
    }
}
