//! Following other instances' changes (PostgreSQL): a task listens for the
//! store's change notices and makes the caches forget what they name. The
//! notices are sent inside the writing transactions, so they arrive when a
//! change commits, usually within milliseconds and well inside a second.
//!
//! While the listening connection is down, notices may be missed, so the
//! caches are suspended (every read goes to the store) until listening
//! again, and everything cached before is forgotten then.

use std::sync::{Arc, Weak};
use std::time::Duration;

use super::Caches;
use crate::store::notices::NoticeSink;
use crate::store::Store;

/// How long to wait before listening again after a failure.
const RETRY: Duration = Duration::from_secs(1);

/// Starts following when the store has notices to follow; returns whether it did.
pub async fn start(store: Arc<dyn Store>, caches: &Arc<Caches>) -> bool {
    let first = match store.listen_for_changes().await {
        Ok(Some(listener)) => Some(listener),
        Ok(None) => return false,
        Err(e) => {
            tracing::warn!(error = %crate::diagnostics::describe(&anyhow::Error::from(e)), "cannot listen for changes yet; the caches are off until it can");
            None
        }
    };
    if first.is_some() {
        caches.resume();
    }
    tokio::spawn(follow(store, Arc::downgrade(caches), first));
    true
}

async fn follow(
    store: Arc<dyn Store>,
    caches: Weak<Caches>,
    mut listener: Option<crate::store::notices::NoticeListener>,
) {
    loop {
        let Some(active) = listener.as_mut() else {
            tokio::time::sleep(RETRY).await;
            if caches.strong_count() == 0 {
                return;
            }
            match store.listen_for_changes().await {
                Ok(Some(l)) => {
                    listener = Some(l);
                    // Listening again: forget whatever may have changed meanwhile.
                    if let Some(caches) = caches.upgrade() {
                        caches.resume();
                        if let Err(e) = super::sessions::reload(store.as_ref(), &caches.sessions).await {
                            // Entries come back with the next reconnection or revocation; a
                            // token's own expiry bounds what a missed one allows.
                            tracing::warn!(error = %crate::diagnostics::describe(&anyhow::Error::from(e)), "could not reload the revoked sessions");
                        }
                    }
                    tracing::info!("listening for changes again; the caches are back on");
                }
                Ok(None) => return,
                Err(_) => {}
            }
            continue;
        };
        // Not raced against a timer: a notice half read must not be dropped.
        // The task ends at the first notice after the caches is gone.
        let next = active.next().await;
        let Some(caches) = caches.upgrade() else { return };
        match next {
            Ok(notice) => caches.apply(&notice),
            Err(e) => {
                tracing::warn!(error = %crate::diagnostics::describe(&anyhow::Error::from(e)), "lost the change notices connection; the caches are off until it is back");
                caches.suspend();
                listener = None;
            }
        }
    }
}
