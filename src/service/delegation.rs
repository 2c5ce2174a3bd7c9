//! Delegated assignment: a badge may name the badges whose holders may
//! assign and unassign it. A member holding one of them may then create and
//! delete that badge's assignments, and nothing else.

use crate::access::AccessCache;
use crate::domain::{BadgeId, FieldViolation, Scope};
use crate::store::{Store, StoreError};

use super::auth::{AuthError, Caller};
use super::{ServiceError, ServiceResult};

/// Most assigner badges one badge may name.
pub const MAX_ASSIGNER_BADGES: usize = 50;

pub struct Delegation<'a> {
    store: &'a dyn Store,
    cache: &'a AccessCache,
}

/// Why a caller may not assign a badge: a refusal, or a failure to find out.
#[derive(Debug, thiserror::Error)]
pub enum AssignRefusal {
    #[error(transparent)]
    Auth(#[from] AuthError),
    #[error(transparent)]
    Service(#[from] ServiceError),
}

impl<'a> Delegation<'a> {
    pub fn new(store: &'a dyn Store, cache: &'a AccessCache) -> Self {
        Self { store, cache }
    }

    fn not_found(badge: BadgeId) -> ServiceError {
        ServiceError::NotFound {
            entity: "badge",
            id: badge.to_string(),
        }
    }

    /// The badges whose holders may assign `badge`.
    pub async fn get(&self, caller: &Caller, badge: BadgeId) -> ServiceResult<Vec<BadgeId>> {
        if self
            .store
            .get_badge(caller.site, badge)
            .await
            .map_err(ServiceError::Store)?
            .is_none()
        {
            return Err(Self::not_found(badge));
        }
        self.store
            .badge_delegation(caller.site, badge)
            .await
            .map_err(ServiceError::Store)
    }

    /// Replaces them; every badge named must be the site's.
    pub async fn set(&self, caller: &Caller, badge: BadgeId, assigners: &[BadgeId]) -> ServiceResult<Vec<BadgeId>> {
        match self.store.set_badge_delegation(caller.site, badge, assigners).await {
            Ok(()) => Ok(assigners.to_vec()),
            Err(StoreError::NotFound) => Err(Self::not_found(badge)),
            Err(StoreError::UnknownBadge(id)) => Err(ServiceError::Invalid(vec![FieldViolation::new(
                "delegation.assignerBadgeIds",
                "EXISTS",
                format!("badge {id} not found"),
            )])),
            Err(e) => Err(ServiceError::Store(e)),
        }
    }

    /// May `caller` assign and unassign every one of `badges`? One refusal
    /// refuses them all, so a bulk call is applied whole or not at all.
    pub async fn require_assigner_of_all(&self, caller: &Caller, badges: &[BadgeId]) -> Result<(), AssignRefusal> {
        let mut seen = std::collections::HashSet::new();
        for badge in badges {
            if seen.insert(badge) {
                self.require_assigner(caller, *badge).await?;
            }
        }
        Ok(())
    }

    /// May `caller` assign and unassign `badge`? An API key needs the manage
    /// scope; a member must hold one of the badge's assigner badges.
    pub async fn require_assigner(&self, caller: &Caller, badge: BadgeId) -> Result<(), AssignRefusal> {
        let Some(member) = caller.member() else {
            return Ok(caller.require(Scope::ManageBadges)?);
        };
        let assigners = self
            .store
            .badge_delegation(caller.site, badge)
            .await
            .map_err(ServiceError::Store)?;
        if assigners.is_empty() {
            return Err(AuthError::NotAssigner.into());
        }
        let held = self
            .cache
            .member_badges(self.store, caller.site, member)
            .await
            .map_err(ServiceError::Store)?;
        if assigners.iter().any(|a| held.contains(a)) {
            Ok(())
        } else {
            Err(AuthError::NotAssigner.into())
        }
    }
}
