//! Following other instances' changes (PostgreSQL): a task listens for the
//! store's change notices and makes the cache forget what they name. The
//! notices are sent inside the writing transactions, so they arrive when a
//! change commits, usually within milliseconds and well inside a second.
//!
//! While the listening connection is down, notices may be missed, so the
//! cache is suspended (every check reads the store) until listening again,
//! and everything cached before is forgotten then.
//!
//! The event feed of the outbox will replace the notices as the source of
//! changes; [`AccessCache::apply`] is all a source has to call.

use std::sync::{Arc, Weak};
use std::time::Duration;

use super::cache::AccessCache;
use crate::store::Store;

/// How long to wait before listening again after a failure.
const RETRY: Duration = Duration::from_secs(1);

/// Starts following when the store has notices to follow; returns whether it did.
pub async fn start(store: Arc<dyn Store>, cache: &Arc<AccessCache>) -> bool {
    let first = match store.listen_for_changes().await {
        Ok(Some(listener)) => Some(listener),
        Ok(None) => return false,
        Err(e) => {
            tracing::warn!(error = %crate::diagnostics::describe(&anyhow::Error::from(e)), "cannot listen for changes yet; the access cache is off until it can");
            None
        }
    };
    if first.is_some() {
        cache.resume();
    }
    tokio::spawn(follow(store, Arc::downgrade(cache), first));
    true
}

async fn follow(
    store: Arc<dyn Store>,
    cache: Weak<AccessCache>,
    mut listener: Option<crate::store::notices::NoticeListener>,
) {
    loop {
        let Some(active) = listener.as_mut() else {
            tokio::time::sleep(RETRY).await;
            if cache.strong_count() == 0 {
                return;
            }
            match store.listen_for_changes().await {
                Ok(Some(l)) => {
                    listener = Some(l);
                    // Listening again: forget whatever may have changed meanwhile.
                    if let Some(cache) = cache.upgrade() {
                        cache.resume();
                    }
                    tracing::info!("listening for changes again; the access cache is back on");
                }
                Ok(None) => return,
                Err(_) => {}
            }
            continue;
        };
        // Not raced against a timer: a notice half read must not be dropped.
        // The task ends at the first notice after the cache is gone.
        let next = active.next().await;
        let Some(cache) = cache.upgrade() else { return };
        match next {
            Ok(notice) => cache.apply(&notice),
            Err(e) => {
                tracing::warn!(error = %crate::diagnostics::describe(&anyhow::Error::from(e)), "lost the change notices connection; the access cache is off until it is back");
                cache.suspend();
                listener = None;
            }
        }
    }
}
