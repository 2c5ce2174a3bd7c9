//! The change feed: "site S's events now reach sequence number N".
//!
//! A store announces its own commits here right after they happen; on
//! PostgreSQL the commits of other instances arrive through
//! `LISTEN`/`NOTIFY` (see `store::outbox`). What changed is read from the
//! outbox with `events_since`; an announcement only says when to look, so a
//! missed one costs latency (the followers also poll), never an event.

use tokio::sync::broadcast;

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

/// Announcements of committed events, shared by the clones of one store.
#[derive(Debug, Clone)]
pub struct ChangeFeed {
    sender: broadcast::Sender<Advanced>,
}

impl Default for ChangeFeed {
    fn default() -> Self {
        Self::new()
    }
}

impl ChangeFeed {
    pub fn new() -> Self {
        let (sender, _) = broadcast::channel(CAPACITY);
        Self { sender }
    }

    /// Announces a commit (nobody listening is fine).
    pub fn advanced(&self, site: SiteId, seq: i64) {
        let _ = self.sender.send(Advanced { site, seq });
    }

    /// Announcements from now on.
    pub fn subscribe(&self) -> broadcast::Receiver<Advanced> {
        self.sender.subscribe()
    }
}
