//! The pull feed: a site's events in commit order, from a cursor.

use crate::domain::SiteId;
use crate::events::{EventType, StoredEvent};
use crate::store::Store;

use super::{ServiceError, ServiceResult};

/// One page of the feed, and where the next one starts.
#[derive(Debug)]
pub struct FeedPage {
    pub events: Vec<StoredEvent>,
    /// The sequence number to continue after (resumable at any time).
    pub next: i64,
    /// More events were already there when this page was read.
    pub has_next: bool,
}

pub struct Events<'a> {
    store: &'a dyn Store,
}

impl<'a> Events<'a> {
    pub fn new(store: &'a dyn Store) -> Self {
        Self { store }
    }

    /// Events after `after`, only of `types` unless it is empty. The site's
    /// counter is read first: every event up to it has committed, so a page
    /// that comes back short has seen everything up to there, and the cursor
    /// moves past events of other types without skipping one still to come.
    pub async fn since(&self, site: SiteId, after: i64, types: &[EventType], limit: u32) -> ServiceResult<FeedPage> {
        let last = self.store.last_event_seq(site).await.map_err(ServiceError::Store)?;
        let names: Vec<String> = types.iter().map(|t| t.as_str().to_owned()).collect();
        let mut events = self
            .store
            .events_since(site, after, &names, limit)
            .await
            .map_err(ServiceError::Store)?;
        events.retain(|e| e.seq <= last);
        let full = events.len() as u32 >= limit;
        let next = match (full, events.last()) {
            (true, Some(e)) => e.seq,
            _ => last.max(after),
        };
        Ok(FeedPage {
            events,
            next,
            has_next: full,
        })
    }
}
