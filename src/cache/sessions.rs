//! Front-end sessions revoked lately. An access token is checked without a
//! database read, so a revoked session's access tokens would stay good
//! until they expire; this list refuses them at once. An entry is kept for
//! as long as a token of its session could still be presented (the access
//! token's lifetime plus the leeway), then dropped.
//!
//! Entries come from revocations through this instance, from the other
//! instances' change notices, and from the store whenever this instance
//! starts following (at start-up and after losing the notices connection),
//! so a restart or a missed notice never lets a revoked token back in.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;

use crate::domain::Timestamp;
use crate::service::tokens::now_seconds;
use crate::store::{Store, StoreResult};

pub struct RevokedSessions {
    /// How long after its revocation a session's tokens could be presented.
    keep_for: Duration,
    /// Session id -> until when (Unix seconds) its tokens must be refused.
    until: Mutex<HashMap<String, i64>>,
}

impl RevokedSessions {
    pub fn new(keep_for: Duration) -> Self {
        Self {
            keep_for,
            until: Mutex::new(HashMap::new()),
        }
    }

    /// How far back revocations still matter.
    pub fn keep_for(&self) -> Duration {
        self.keep_for
    }

    /// These sessions were revoked at `revoked_at` (Unix seconds).
    pub fn revoked_at(&self, session_ids: impl IntoIterator<Item = String>, revoked_at: i64) {
        let now = now_seconds();
        let until = revoked_at + self.keep_for.as_secs() as i64;
        let mut map = self.until.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        // Entries whose tokens have all expired by now are no longer needed.
        map.retain(|_, kept_until| *kept_until >= now);
        if until >= now {
            for id in session_ids {
                map.insert(id, until);
            }
        }
    }

    /// These sessions were revoked just now.
    pub fn revoked_now(&self, session_ids: impl IntoIterator<Item = String>) {
        self.revoked_at(session_ids, now_seconds());
    }

    pub fn contains(&self, session_id: &str) -> bool {
        let map = self.until.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        map.contains_key(session_id)
    }
}

/// Adds the revocations the store holds that still matter.
pub async fn reload(store: &dyn Store, sessions: &RevokedSessions) -> StoreResult<()> {
    let since = Timestamp::from_millis((now_seconds() - sessions.keep_for().as_secs() as i64) * 1000);
    for (id, revoked_at) in store.sessions_revoked_since(since).await? {
        sessions.revoked_at([id], revoked_at.millis() / 1000);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_revocation_is_kept_while_its_tokens_could_be_presented() {
        let sessions = RevokedSessions::new(Duration::from_secs(60));
        sessions.revoked_now(["now".to_owned()]);
        sessions.revoked_at(["a-minute-ago".to_owned()], now_seconds() - 30);
        sessions.revoked_at(["long-ago".to_owned()], now_seconds() - 3600);
        assert!(sessions.contains("now"));
        assert!(sessions.contains("a-minute-ago"));
        assert!(!sessions.contains("long-ago"), "its tokens have all expired");
        assert!(!sessions.contains("never"));
    }
}
