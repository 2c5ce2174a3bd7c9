//! What an instance keeps in memory, and how it forgets it.
//!
//! - the access check's caches (`crate::access::AccessCache`): sites' rules
//!   and members' badge sets;
//! - [`reads`]: badges by id and members' assignments;
//! - [`weighted`]: the budgeted least-recently-used map both are made of.
//!
//! One mechanism keeps them all correct: every write records change notices
//! (`store::notices`). This instance's caches hear them as the write
//! commits, before it is answered, so an instance always reads its own
//! writes; other instances' caches hear them through the database
//! ([`follower`], PostgreSQL's `LISTEN/NOTIFY`), usually within milliseconds.

pub mod follower;
pub mod reads;
pub mod sessions;
pub mod weighted;

use std::time::Duration;

use crate::access::{AccessCache, CacheBudget};
use crate::store::notices::{ChangeNotice, NoticeSink};
use reads::ReadCache;
use sessions::RevokedSessions;

/// Bytes for badges and members' assignments, unless configured.
pub const DEFAULT_READ_BYTES: usize = 64 << 20;

/// Every cache of one instance, told of changes as one.
pub struct Caches {
    pub access: AccessCache,
    pub reads: ReadCache,
    /// Not a cache to forget: a deny-list, kept through suspensions.
    pub sessions: RevokedSessions,
}

impl Caches {
    /// `following`: whether changes by other processes are followed from the
    /// start (true when nothing else writes the database).
    /// `session_window`: how long a revoked session's access tokens could
    /// still be presented.
    pub fn new(access: CacheBudget, read_bytes: usize, following: bool, session_window: Duration) -> Self {
        Self {
            access: AccessCache::new(access, following),
            reads: ReadCache::new(read_bytes, following),
            sessions: RevokedSessions::new(session_window),
        }
    }

    /// Forgets everything, and keeps nothing until [`resume`](Self::resume):
    /// changes made elsewhere may be missed meanwhile.
    pub fn suspend(&self) {
        self.access.suspend();
        self.reads.suspend();
    }

    /// Changes made elsewhere are followed again.
    pub fn resume(&self) {
        self.access.resume();
        self.reads.resume();
    }
}

impl NoticeSink for Caches {
    fn apply(&self, notice: &ChangeNotice) {
        if let ChangeNotice::Sessions(_, ids) = notice {
            self.sessions.revoked_now(ids.iter().cloned());
        }
        self.access.apply(notice);
        self.reads.apply(notice);
    }
}
