//! The access check and the reads that explain it: may a member open these
//! pages (and why), which pages a member may open, which pages a badge
//! unlocks, and which badges unlock a page. Answered from the access cache.

use std::sync::Arc;

use crate::access::{decide, AccessCache, Reason, SiteRules};
use crate::domain::{Badge, BadgeId, MemberId, PageId, PagePath, ProtectedPage, SiteId};
use crate::query::{Filter, Op, Order, Paging, Query, SortKey, Value, BADGES};
use crate::store::Store;

use super::pages::page_not_found;
use super::{ServiceError, ServiceResult};

/// A page asked about: a protected page's id, or a URL path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PageRef {
    Id(PageId),
    Path(PagePath),
}

/// The answer for one page.
#[derive(Debug, Clone, PartialEq)]
pub struct CheckResult {
    /// The normalised path that was decided.
    pub path: PagePath,
    /// The protected page that decided: its id and path.
    pub protected_by: Option<(PageId, PagePath)>,
    pub allowed: bool,
    pub reason: Reason,
    pub granted_by: Vec<BadgeId>,
    pub would_grant: Vec<BadgeId>,
    pub held_without_permissions: Vec<BadgeId>,
}

pub struct Access<'a> {
    store: &'a dyn Store,
    cache: &'a AccessCache,
}

impl<'a> Access<'a> {
    pub fn new(store: &'a dyn Store, cache: &'a AccessCache) -> Self {
        Self { store, cache }
    }

    async fn rules(&self, site: SiteId) -> ServiceResult<Arc<SiteRules>> {
        self.cache.rules(self.store, site).await.map_err(ServiceError::Store)
    }

    async fn held(&self, site: SiteId, member: MemberId) -> ServiceResult<Arc<[BadgeId]>> {
        self.cache
            .member_badges(self.store, site, member)
            .await
            .map_err(ServiceError::Store)
    }

    /// One result per page, in the order asked. An unknown page id is 404.
    pub async fn check(&self, site: SiteId, member: MemberId, pages: &[PageRef]) -> ServiceResult<Vec<CheckResult>> {
        let rules = self.rules(site).await?;
        // A site without pages protects nothing: no need to know the member's badges.
        let held = if rules.pages().next().is_some() {
            self.held(site, member).await?
        } else {
            Arc::from(Vec::new())
        };
        pages
            .iter()
            .map(|asked| {
                let path = match asked {
                    PageRef::Path(path) => path,
                    PageRef::Id(id) => &rules.page(*id).ok_or_else(|| page_not_found(*id))?.path,
                };
                let decision = decide(&rules, rules.deciding_page(path), &held);
                Ok(CheckResult {
                    path: path.clone(),
                    protected_by: decision.page.map(|p| (p.id, p.path.clone())),
                    allowed: decision.allowed,
                    reason: decision.reason,
                    granted_by: decision.granted_by,
                    would_grant: decision.would_grant,
                    held_without_permissions: decision.held_without_permissions,
                })
            })
            .collect()
    }

    /// May someone holding no badge (a visitor) open this path?
    pub async fn open_to_anyone(&self, site: SiteId, path: &PagePath) -> ServiceResult<bool> {
        let rules = self.rules(site).await?;
        Ok(decide(&rules, rules.deciding_page(path), &[]).allowed)
    }

    /// The protected pages `member` may open, in path order: one page of
    /// `limit` from `offset`, and how many there are in all.
    pub async fn member_pages(
        &self,
        site: SiteId,
        member: MemberId,
        limit: usize,
        offset: usize,
    ) -> ServiceResult<(Vec<ProtectedPage>, usize)> {
        let rules = self.rules(site).await?;
        let held = self.held(site, member).await?;
        let open: Vec<&ProtectedPage> = rules
            .pages_by_path()
            .into_iter()
            .filter(|page| decide(&rules, Some(page), &held).allowed)
            .collect();
        let total = open.len();
        Ok((open.into_iter().skip(offset).take(limit).cloned().collect(), total))
    }

    /// The badge, and the pages that list it, in path order (one page of
    /// `limit` from `offset`, and the total). They let its holders in only
    /// while its `permissionsEnabled` is true.
    pub async fn badge_pages(
        &self,
        site: SiteId,
        badge: BadgeId,
        limit: usize,
        offset: usize,
    ) -> ServiceResult<(Badge, Vec<ProtectedPage>, usize)> {
        let found = self
            .store
            .get_badge(site, badge)
            .await
            .map_err(ServiceError::Store)?
            .ok_or_else(|| ServiceError::NotFound {
                entity: "badge",
                id: badge.to_string(),
            })?;
        let rules = self.rules(site).await?;
        let listed: Vec<&ProtectedPage> = rules
            .pages_by_path()
            .into_iter()
            .filter(|page| page.badge_ids.contains(badge))
            .collect();
        let total = listed.len();
        Ok((
            found,
            listed.into_iter().skip(offset).take(limit).cloned().collect(),
            total,
        ))
    }

    /// The page and its badges (each with its holder count), in the page's order.
    pub async fn page_badges(&self, site: SiteId, page: PageId) -> ServiceResult<(ProtectedPage, Vec<Badge>)> {
        let page = self
            .store
            .get_page(site, page)
            .await
            .map_err(ServiceError::Store)?
            .ok_or_else(|| page_not_found(page))?;
        let ids = page.badge_ids.as_slice();
        if ids.is_empty() {
            return Ok((page, Vec::new()));
        }
        let query = Query {
            filter: Filter::Compare {
                field: BADGES.id,
                op: Op::In,
                value: Value::List(ids.iter().map(|id| Value::Guid(id.to_bytes())).collect()),
            },
            sort: vec![SortKey {
                field: BADGES.id,
                order: Order::Asc,
            }],
            paging: Paging::Offset {
                limit: ids.len() as u32,
                offset: 0,
            },
            shape: serde_json::Value::Null,
        };
        let mut found = self
            .store
            .query_badges(site, &query)
            .await
            .map_err(ServiceError::Store)?
            .items;
        found.sort_by_key(|b| ids.iter().position(|id| *id == b.id));
        Ok((page, found))
    }
}
