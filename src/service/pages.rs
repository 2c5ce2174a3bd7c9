//! Protected pages: create, read, update (with the revision read), delete,
//! query. Every write is applied to this instance's access cache before it
//! answers, so the next check here sees it.

use crate::domain::{FieldViolation, NewPage, PageId, PagePatch, ProtectedPage, SiteId, MAX_PAGES_PER_SITE};
use crate::query::Query;
use crate::store::{Page, Store, StoreError};

use super::assignments::ItemError;
use super::{ServiceError, ServiceResult};

pub fn page_not_found(id: PageId) -> ServiceError {
    ServiceError::NotFound {
        entity: "page",
        id: id.to_string(),
    }
}

/// Store refusals of a page write, as the client should hear them. `badges`
/// is the list the client sent, so an unknown badge is named by its place.
fn from_store(id: Option<PageId>, badges: &[crate::domain::BadgeId], e: StoreError) -> ServiceError {
    match e {
        StoreError::NotFound => id.map(page_not_found).unwrap_or(ServiceError::Store(e)),
        StoreError::RevisionMismatch { current } => ServiceError::RevisionMismatch {
            entity: "page",
            current,
        },
        StoreError::UnknownBadge(badge) => {
            let index = badges.iter().position(|b| *b == badge).unwrap_or(0);
            let field = format!("page.badgeIds[{index}]");
            ServiceError::Invalid(vec![FieldViolation::new(
                field,
                "NOT_FOUND",
                format!("badge {badge} does not exist in this site"),
            )])
        }
        StoreError::PathTaken => ServiceError::Item(ItemError {
            code: "ALREADY_EXISTS",
            status: 409,
            description: "another page of this site already has this path".into(),
        }),
        StoreError::LimitReached(_) => ServiceError::Item(ItemError {
            code: "PAGE_LIMIT_REACHED",
            status: 400,
            description: format!("a site may protect at most {MAX_PAGES_PER_SITE} pages"),
        }),
        other => ServiceError::Store(other),
    }
}

/// Page use cases. The store tells the caches of each change as it commits.
pub struct Pages<'a> {
    store: &'a dyn Store,
}

impl<'a> Pages<'a> {
    pub fn new(store: &'a dyn Store) -> Self {
        Self { store }
    }

    pub async fn create(&self, site: SiteId, page: NewPage) -> ServiceResult<ProtectedPage> {
        let created = self
            .store
            .create_page(site, &page)
            .await
            .map_err(|e| from_store(None, page.badge_ids.as_slice(), e))?;
        Ok(created)
    }

    pub async fn get(&self, site: SiteId, id: PageId) -> ServiceResult<ProtectedPage> {
        self.store
            .get_page(site, id)
            .await
            .map_err(ServiceError::Store)?
            .ok_or_else(|| page_not_found(id))
    }

    pub async fn update(
        &self,
        site: SiteId,
        id: PageId,
        revision: i64,
        patch: PagePatch,
    ) -> ServiceResult<ProtectedPage> {
        let badges = patch.badge_ids.as_ref().map(|b| b.as_slice()).unwrap_or_default();
        let updated = self
            .store
            .update_page(site, id, revision, &patch)
            .await
            .map_err(|e| from_store(Some(id), badges, e))?;
        Ok(updated)
    }

    pub async fn delete(&self, site: SiteId, id: PageId) -> ServiceResult<ProtectedPage> {
        let deleted = self
            .store
            .delete_page(site, id)
            .await
            .map_err(|e| from_store(Some(id), &[], e))?;
        Ok(deleted)
    }

    pub async fn query(&self, site: SiteId, query: &Query) -> ServiceResult<Page<ProtectedPage>> {
        self.store.query_pages(site, query).await.map_err(ServiceError::Store)
    }
}
