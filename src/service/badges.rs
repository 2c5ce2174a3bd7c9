//! Badge use cases, shared by the V4 and the older API.

use std::sync::Arc;

use crate::cache::reads::ReadCache;
use crate::domain::{Badge, BadgeId, BadgePatch, NewBadge, OrderChange, SiteId};
use crate::query::Query;
use crate::store::{Page, Store, StoreError};

use super::assignments::ItemError;
use super::{ServiceError, ServiceResult};

fn not_found(id: BadgeId) -> ServiceError {
    ServiceError::NotFound {
        entity: "badge",
        id: id.to_string(),
    }
}

fn from_store(id: BadgeId, e: StoreError) -> ServiceError {
    match e {
        StoreError::NotFound => not_found(id),
        StoreError::UnknownBadge(other) => not_found(other),
        StoreError::RevisionMismatch { current } => ServiceError::RevisionMismatch {
            entity: "badge",
            current,
        },
        other => ServiceError::Store(other),
    }
}

/// Badge use cases over one store; a badge is read from memory when it
/// can be (see `cache::reads`).
pub struct Badges<'a> {
    store: &'a dyn Store,
    reads: &'a ReadCache,
}

impl<'a> Badges<'a> {
    pub fn new(store: &'a dyn Store, reads: &'a ReadCache) -> Self {
        Self { store, reads }
    }

    pub async fn create(&self, site: SiteId, badge: NewBadge) -> ServiceResult<Badge> {
        self.store.create_badge(site, &badge).await.map_err(|e| match e {
            StoreError::LimitReached(max) => ServiceError::Item(ItemError {
                code: "BADGE_LIMIT_REACHED",
                status: 400,
                description: format!("a site may have at most {max} badges"),
            }),
            other => ServiceError::Store(other),
        })
    }

    pub async fn get(&self, site: SiteId, id: BadgeId) -> ServiceResult<Arc<Badge>> {
        self.reads
            .badge(self.store, site, id)
            .await
            .map_err(ServiceError::Store)?
            .ok_or_else(|| not_found(id))
    }

    /// `revision: None` is the older API's last-writer-wins update.
    pub async fn update(
        &self,
        site: SiteId,
        id: BadgeId,
        revision: Option<i64>,
        patch: BadgePatch,
    ) -> ServiceResult<Badge> {
        let updated = match revision {
            Some(revision) => self.store.update_badge(site, id, revision, &patch).await,
            None => self.store.update_badge_unchecked(site, id, &patch).await,
        };
        updated.map_err(|e| from_store(id, e))
    }

    /// Deletes the badge, its assignments, and its place on every page.
    pub async fn delete(&self, site: SiteId, id: BadgeId) -> ServiceResult<Badge> {
        self.store.delete_badge(site, id).await.map_err(|e| from_store(id, e))
    }

    pub async fn reorder(&self, site: SiteId, change: OrderChange) -> ServiceResult<Vec<Badge>> {
        let any_id = match &change {
            OrderChange::Front(ids) => ids.first().copied(),
            OrderChange::Move { id, .. } => Some(*id),
        };
        self.store
            .reorder_badges(site, &change)
            .await
            .map_err(|e| match (e, any_id) {
                (StoreError::UnknownBadge(id), _) => not_found(id),
                (e, Some(id)) => from_store(id, e),
                (e, None) => ServiceError::Store(e),
            })
    }

    /// One page of the site's badges in display order, with the total.
    pub async fn list(&self, site: SiteId, limit: u32, offset: u64) -> ServiceResult<Page<Badge>> {
        self.store
            .list_badges(site, limit, offset)
            .await
            .map_err(ServiceError::Store)
    }

    /// `(badge, holders)` for every badge of the site, in display order.
    pub async fn member_counts(&self, site: SiteId) -> ServiceResult<Vec<(BadgeId, i64)>> {
        self.store.member_counts(site).await.map_err(ServiceError::Store)
    }

    pub async fn query(&self, site: SiteId, query: &Query) -> ServiceResult<Page<Badge>> {
        self.store.query_badges(site, query).await.map_err(ServiceError::Store)
    }
}
