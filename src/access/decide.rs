//! The rule itself: may a member holding these badges open this page?

use super::rules::SiteRules;
use crate::domain::{BadgeId, ProtectedPage};

/// Why a member may or may not open a page.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reason {
    /// The member holds a badge of the page whose permissions are enabled.
    HoldsGrantingBadge,
    /// No protected path covers the page: anyone may open it.
    NotProtected,
    /// The member holds none of the page's badges (or the page has none).
    NoGrantingBadge,
    /// The member holds a badge of the page, but its permissions are disabled.
    PermissionsDisabled,
}

impl Reason {
    pub fn as_str(self) -> &'static str {
        match self {
            Reason::HoldsGrantingBadge => "HOLDS_GRANTING_BADGE",
            Reason::NotProtected => "NOT_PROTECTED",
            Reason::NoGrantingBadge => "NO_GRANTING_BADGE",
            Reason::PermissionsDisabled => "PERMISSIONS_DISABLED",
        }
    }
}

/// The answer for one page, with what explains it.
#[derive(Debug, Clone, PartialEq)]
pub struct Decision<'a> {
    /// The protected page that decided (the longest covering path), if any.
    pub page: Option<&'a ProtectedPage>,
    pub allowed: bool,
    pub reason: Reason,
    /// The member's badges that let them in.
    pub granted_by: Vec<BadgeId>,
    /// Every badge of the deciding page that would let a holder in now.
    pub would_grant: Vec<BadgeId>,
    /// The member's badges on the page whose permissions are disabled.
    pub held_without_permissions: Vec<BadgeId>,
}

/// Decides access to `page` (the deciding page, or `None` when no
/// protected path covers the URL) for a member holding `held` (sorted).
pub fn decide<'a>(rules: &SiteRules, page: Option<&'a ProtectedPage>, held: &[BadgeId]) -> Decision<'a> {
    let Some(page) = page else {
        return Decision {
            page: None,
            allowed: true,
            reason: Reason::NotProtected,
            granted_by: Vec::new(),
            would_grant: Vec::new(),
            held_without_permissions: Vec::new(),
        };
    };
    let holds = |badge: &BadgeId| held.binary_search(badge).is_ok();
    let badges = page.badge_ids.as_slice();
    let would_grant: Vec<BadgeId> = badges.iter().copied().filter(|b| rules.grants(*b)).collect();
    let granted_by: Vec<BadgeId> = would_grant.iter().copied().filter(holds).collect();
    let held_without_permissions: Vec<BadgeId> = badges
        .iter()
        .copied()
        .filter(|b| holds(b) && !rules.grants(*b))
        .collect();
    let reason = if !granted_by.is_empty() {
        Reason::HoldsGrantingBadge
    } else if !held_without_permissions.is_empty() {
        Reason::PermissionsDisabled
    } else {
        Reason::NoGrantingBadge
    };
    Decision {
        page: Some(page),
        allowed: reason == Reason::HoldsGrantingBadge,
        reason,
        granted_by,
        would_grant,
        held_without_permissions,
    }
}
