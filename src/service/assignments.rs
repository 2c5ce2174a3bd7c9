//! Badge assignment use cases, shared by the V4 API and the older API.

use crate::domain::{
    AssignmentId, AssignmentRefusal, BadgeAssignment, BadgeId, Job, JobId, MemberId, NewAssignment, SiteId, Tags,
};
use crate::query::{Filter, Query};
use crate::store::{Page, Store};

use super::{ServiceError, ServiceResult};

/// Bulk calls take at most this many items.
pub const MAX_BULK_ITEMS: usize = 100;

/// Why one item of a call failed: a Wix error code, its HTTP status and a description.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ItemError {
    pub code: &'static str,
    pub status: u16,
    pub description: String,
}

impl ItemError {
    pub fn badge_not_found(badge: BadgeId) -> Self {
        Self {
            code: "BADGE_NOT_FOUND",
            status: 404,
            description: format!("badge {badge} not found"),
        }
    }

    pub fn already_exists(badge: BadgeId, member: MemberId) -> Self {
        Self {
            code: "ALREADY_EXISTS",
            status: 409,
            description: format!("member {member} already holds badge {badge}"),
        }
    }

    pub fn not_found(id: AssignmentId) -> Self {
        Self {
            code: "NOT_FOUND",
            status: 404,
            description: format!("badge assignment {id} not found"),
        }
    }

    pub fn invalid(description: String) -> Self {
        Self {
            code: "INVALID_ARGUMENT",
            status: 400,
            description,
        }
    }
}

impl From<ItemError> for ServiceError {
    fn from(e: ItemError) -> Self {
        ServiceError::Item(e)
    }
}

pub struct Assignments<'a> {
    store: &'a dyn Store,
}

impl<'a> Assignments<'a> {
    pub fn new(store: &'a dyn Store) -> Self {
        Self { store }
    }

    /// Creates many; each item succeeds or fails on its own.
    pub async fn create_many(
        &self,
        site: SiteId,
        items: &[NewAssignment],
    ) -> ServiceResult<Vec<Result<BadgeAssignment, ItemError>>> {
        let results = self
            .store
            .create_assignments(site, items)
            .await
            .map_err(ServiceError::Store)?;
        Ok(results
            .into_iter()
            .zip(items)
            .map(|(result, item)| {
                result.map_err(|refusal| match refusal {
                    AssignmentRefusal::BadgeNotFound => ItemError::badge_not_found(item.badge_id),
                    AssignmentRefusal::AlreadyExists => ItemError::already_exists(item.badge_id, item.member_id),
                })
            })
            .collect())
    }

    pub async fn create(&self, site: SiteId, item: NewAssignment) -> ServiceResult<BadgeAssignment> {
        let mut results = self.create_many(site, std::slice::from_ref(&item)).await?;
        Ok(results
            .pop()
            .ok_or_else(|| ItemError::already_exists(item.badge_id, item.member_id))??)
    }

    pub async fn delete_many(
        &self,
        site: SiteId,
        ids: &[AssignmentId],
    ) -> ServiceResult<Vec<Result<BadgeAssignment, ItemError>>> {
        let results = self
            .store
            .delete_assignments(site, ids)
            .await
            .map_err(ServiceError::Store)?;
        Ok(results
            .into_iter()
            .zip(ids)
            .map(|(found, id)| found.ok_or_else(|| ItemError::not_found(*id)))
            .collect())
    }

    pub async fn delete(&self, site: SiteId, id: AssignmentId) -> ServiceResult<BadgeAssignment> {
        let mut results = self.delete_many(site, &[id]).await?;
        Ok(results.pop().ok_or_else(|| ItemError::not_found(id))??)
    }

    pub async fn get(&self, site: SiteId, id: AssignmentId) -> ServiceResult<BadgeAssignment> {
        let query = Query::by_id(&crate::query::ASSIGNMENTS, id.as_uuid());
        let page = self
            .store
            .query_assignments(site, &query)
            .await
            .map_err(ServiceError::Store)?;
        Ok(page.items.into_iter().next().ok_or_else(|| ItemError::not_found(id))?)
    }

    pub async fn query(&self, site: SiteId, query: &Query) -> ServiceResult<Page<BadgeAssignment>> {
        self.store
            .query_assignments(site, query)
            .await
            .map_err(ServiceError::Store)
    }

    pub async fn update_tags(
        &self,
        site: SiteId,
        ids: &[AssignmentId],
        add: &Tags,
        remove: &Tags,
    ) -> ServiceResult<Vec<Result<BadgeAssignment, ItemError>>> {
        let results = self
            .store
            .update_assignment_tags(site, ids, add, remove)
            .await
            .map_err(ServiceError::Store)?;
        Ok(results
            .into_iter()
            .zip(ids)
            .map(|(found, id)| found.ok_or_else(|| ItemError::not_found(*id)))
            .collect())
    }

    pub async fn update_tags_by_filter(
        &self,
        site: SiteId,
        filter: &Filter,
        add: &Tags,
        remove: &Tags,
    ) -> ServiceResult<Job> {
        self.store
            .update_assignment_tags_by_filter(site, filter, add, remove)
            .await
            .map_err(ServiceError::Store)
    }

    pub async fn job(&self, site: SiteId, id: JobId) -> ServiceResult<Job> {
        self.store
            .get_job(site, id)
            .await
            .map_err(ServiceError::Store)?
            .ok_or_else(|| ServiceError::NotFound {
                entity: "job",
                id: id.to_string(),
            })
    }
}
