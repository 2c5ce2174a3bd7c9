//! Badge assignment use cases, shared by the V4 API and the older API.

use crate::cache::reads::ReadCache;
use serde_json::Value;

use crate::domain::{
    AssignmentId, AssignmentRefusal, BadgeAssignment, BadgeId, FieldViolation, Job, JobId, MemberId, NewAssignment,
    SiteId, Tags,
};
use crate::query::{parse_filter, parse_sort, Paging, Query, ASSIGNMENTS};
use crate::store::{Page, Store};

use super::{member_list, ServiceError, ServiceResult};

/// Bulk calls take at most this many items.
pub const MAX_BULK_ITEMS: usize = 100;

/// The request field that lets update-tags-by-filter run with an empty
/// filter (not Wix's: Wix takes `{}` as every assignment without asking).
pub const ALLOW_EMPTY_FILTER: &str = "allowEmptyFilter";

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
}

impl From<ItemError> for ServiceError {
    fn from(e: ItemError) -> Self {
        ServiceError::Item(e)
    }
}

/// Assignment use cases. The store tells the caches of each change as it
/// commits; the badges of one member are read from memory when they can be
/// (see `member_list`).
pub struct Assignments<'a> {
    store: &'a dyn Store,
    reads: &'a ReadCache,
}

impl<'a> Assignments<'a> {
    pub fn new(store: &'a dyn Store, reads: &'a ReadCache) -> Self {
        Self { store, reads }
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
        let query = Query::by_id(&ASSIGNMENTS, id.as_uuid());
        let page = self
            .store
            .query_assignments(site, &query)
            .await
            .map_err(ServiceError::Store)?;
        Ok(page.items.into_iter().next().ok_or_else(|| ItemError::not_found(id))?)
    }

    /// The assignments among `ids` that exist (at most 100 ids).
    pub async fn get_many(&self, site: SiteId, ids: &[AssignmentId]) -> ServiceResult<Vec<BadgeAssignment>> {
        let ids: Vec<uuid::Uuid> = ids.iter().map(|id| id.as_uuid()).collect();
        let page = self
            .store
            .query_assignments(site, &Query::by_ids(&ASSIGNMENTS, &ids))
            .await
            .map_err(ServiceError::Store)?;
        Ok(page.items)
    }

    pub async fn query(&self, site: SiteId, query: &Query) -> ServiceResult<Page<BadgeAssignment>> {
        if let Some(page) = member_list::answer(self.store, self.reads, site, query).await? {
            return Ok(page);
        }
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

    /// Queues the tag change for every assignment `raw_filter` matches (a
    /// background job; `None` is no filter) and returns the job at once.
    /// A filter without a condition would re-tag the whole site, so it is
    /// refused unless `allow_empty` says that is meant.
    pub async fn update_tags_by_filter(
        &self,
        site: SiteId,
        raw_filter: Option<&Value>,
        add: &Tags,
        remove: &Tags,
        allow_empty: bool,
    ) -> ServiceResult<Job> {
        let raw_filter = raw_filter.cloned().unwrap_or_else(|| Value::Object(Default::default()));
        let filter = parse_filter(&ASSIGNMENTS, &raw_filter, "filter")?;
        if filter.matches_everything() && !allow_empty {
            return Err(ServiceError::Invalid(vec![FieldViolation::new(
                "filter",
                "REQUIRED_FIELD",
                format!(
                    "`filter` has no condition, so it matches every assignment of the site: \
                     send `\"{ALLOW_EMPTY_FILTER}\": true` as well to re-tag them all"
                ),
            )]));
        }
        self.store
            .queue_retag_by_filter(site, &raw_filter, add, remove)
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

/// Assignments as the older API sees them: by badge and member, without
/// assignment ids. Stored as the same rows V4 reads.
impl Assignments<'_> {
    /// Gives a badge to members. Members who already hold it keep their
    /// assignment (the call is idempotent); returns the members holding it now.
    pub async fn assign_members(
        &self,
        site: SiteId,
        badge: BadgeId,
        members: &[MemberId],
    ) -> ServiceResult<Vec<MemberId>> {
        let items: Vec<NewAssignment> = members.iter().map(|member| untagged(badge, *member)).collect();
        let results = self
            .store
            .create_assignments(site, &items)
            .await
            .map_err(ServiceError::Store)?;
        for result in results {
            match result {
                Ok(_) | Err(AssignmentRefusal::AlreadyExists) => {}
                Err(AssignmentRefusal::BadgeNotFound) => return Err(badge_not_found(badge)),
            }
        }
        Ok(members.to_vec())
    }

    /// Gives several badges to one member; returns the badges newly given.
    /// Every badge must exist, or nothing is assigned.
    pub async fn assign_badges(
        &self,
        site: SiteId,
        member: MemberId,
        badges: &[BadgeId],
    ) -> ServiceResult<Vec<BadgeId>> {
        for badge in badges {
            self.require_badge(site, *badge).await?;
        }
        let items: Vec<NewAssignment> = badges.iter().map(|badge| untagged(*badge, member)).collect();
        let results = self.create_many(site, &items).await?;
        Ok(results.into_iter().filter_map(|r| r.ok().map(|a| a.badge_id)).collect())
    }

    /// Takes a badge away from members; members who do not hold it are skipped.
    pub async fn unassign_members(&self, site: SiteId, badge: BadgeId, members: &[MemberId]) -> ServiceResult<()> {
        self.require_badge(site, badge).await?;
        self.store
            .unassign_members(site, badge, members)
            .await
            .map_err(ServiceError::Store)?;
        Ok(())
    }

    /// One offset page of the members holding a badge, newest assignment first, with the total.
    pub async fn members_of_badge(
        &self,
        site: SiteId,
        badge: BadgeId,
        limit: u32,
        offset: u64,
    ) -> ServiceResult<(Vec<MemberId>, u64)> {
        self.require_badge(site, badge).await?;
        let filter = serde_json::json!({ "badgeId": badge.to_string() });
        let query = assignments_where(filter, Paging::Offset { limit, offset })?;
        let page = self.query(site, &query).await?;
        let members = page.items.iter().map(|a| a.member_id).collect();
        Ok((members, page.total.unwrap_or(0)))
    }

    /// The ids of the badges each member holds, in the site's display order,
    /// for each member in the order the members were given.
    pub async fn badges_per_member(
        &self,
        site: SiteId,
        members: &[MemberId],
    ) -> ServiceResult<Vec<(MemberId, Vec<BadgeId>)>> {
        let mut held: std::collections::HashMap<MemberId, Vec<BadgeId>> = std::collections::HashMap::new();
        // One query for every member, walked page by page: a member may hold any number of badges.
        let ids: Vec<String> = members.iter().map(ToString::to_string).collect();
        let first = Paging::Cursor {
            limit: 1000,
            after: None,
            backward: false,
        };
        let mut query = assignments_where(serde_json::json!({ "memberId": { "$in": ids } }), first)?;
        loop {
            let page = self.query(site, &query).await?;
            for a in &page.items {
                held.entry(a.member_id).or_default().push(a.badge_id);
            }
            match page.next_key {
                Some(key) => {
                    query.paging = Paging::Cursor {
                        limit: 1000,
                        after: Some(key),
                        backward: false,
                    }
                }
                None => break,
            }
        }
        // The site's display order ranks each member's badges. The holder
        // counts come in that order from the badge rows alone, one index range.
        let rank: std::collections::HashMap<BadgeId, usize> = self
            .store
            .member_counts(site)
            .await
            .map_err(ServiceError::Store)?
            .into_iter()
            .enumerate()
            .map(|(position, (badge, _))| (badge, position))
            .collect();
        for badges in held.values_mut() {
            badges.sort_by_key(|badge| rank.get(badge).copied().unwrap_or(usize::MAX));
        }
        Ok(members
            .iter()
            .map(|m| (*m, held.get(m).cloned().unwrap_or_default()))
            .collect())
    }

    async fn require_badge(&self, site: SiteId, badge: BadgeId) -> ServiceResult<()> {
        match self.store.get_badge(site, badge).await.map_err(ServiceError::Store)? {
            Some(_) => Ok(()),
            None => Err(badge_not_found(badge)),
        }
    }
}

/// An assignment as the older API makes them: no tags, no extended fields.
fn untagged(badge: BadgeId, member: MemberId) -> NewAssignment {
    NewAssignment {
        badge_id: badge,
        member_id: member,
        tags: Tags::default(),
        extended_fields: None,
    }
}

/// The assignments `raw_filter` matches, in the default order.
fn assignments_where(raw_filter: serde_json::Value, paging: Paging) -> ServiceResult<Query> {
    Ok(Query {
        filter: parse_filter(&ASSIGNMENTS, &raw_filter, "filter")?,
        sort: parse_sort(&ASSIGNMENTS, &serde_json::Value::Null, "sort")?,
        paging,
        shape: serde_json::json!({ "filter": raw_filter, "sort": null }),
    })
}

fn badge_not_found(badge: BadgeId) -> ServiceError {
    ServiceError::NotFound {
        entity: "badge",
        id: badge.to_string(),
    }
}
