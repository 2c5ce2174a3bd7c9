//! The event types Insignia emits: the seven the official SDK has handlers
//! for, the older API's REST-only badge events, and Insignia's own (pages,
//! tag changes, display order), which no Wix SDK handler expects.

/// One kind of event: its `eventType` (the SDK routes by this exact text),
/// and the `entityFqdn` and `slug` its domain event carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum EventType {
    BadgeCreated,
    BadgeUpdated,
    BadgeDeleted,
    AssignmentCreated,
    AssignmentDeleted,
    BadgeAssigned,
    BadgeUnassigned,
    LegacyBadgeCreated,
    LegacyBadgeUpdated,
    LegacyBadgeDeleted,
    AssignmentTagsUpdated,
    BadgesReordered,
    PageCreated,
    PageUpdated,
    PageDeleted,
}

impl EventType {
    pub const ALL: [EventType; 15] = [
        EventType::BadgeCreated,
        EventType::BadgeUpdated,
        EventType::BadgeDeleted,
        EventType::AssignmentCreated,
        EventType::AssignmentDeleted,
        EventType::BadgeAssigned,
        EventType::BadgeUnassigned,
        EventType::LegacyBadgeCreated,
        EventType::LegacyBadgeUpdated,
        EventType::LegacyBadgeDeleted,
        EventType::AssignmentTagsUpdated,
        EventType::BadgesReordered,
        EventType::PageCreated,
        EventType::PageUpdated,
        EventType::PageDeleted,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            EventType::BadgeCreated => "wix.badges.v4.badge_created",
            EventType::BadgeUpdated => "wix.badges.v4.badge_updated",
            EventType::BadgeDeleted => "wix.badges.v4.badge_deleted",
            EventType::AssignmentCreated => "wix.badges.v4.badge_assignment_created",
            EventType::AssignmentDeleted => "wix.badges.v4.badge_assignment_deleted",
            EventType::BadgeAssigned => "wix.badges.v3.badge_badge_assigned",
            EventType::BadgeUnassigned => "wix.badges.v3.badge_badge_unassigned",
            EventType::LegacyBadgeCreated => "wix.badges.v3.badge_created",
            EventType::LegacyBadgeUpdated => "wix.badges.v3.badge_updated",
            EventType::LegacyBadgeDeleted => "wix.badges.v3.badge_deleted",
            EventType::AssignmentTagsUpdated => "insignia.v1.badge_assignment_updated",
            EventType::BadgesReordered => "insignia.v1.badges_reordered",
            EventType::PageCreated => "insignia.v1.page_created",
            EventType::PageUpdated => "insignia.v1.page_updated",
            EventType::PageDeleted => "insignia.v1.page_deleted",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|t| t.as_str() == raw)
    }

    /// `(entityFqdn, slug)` of the domain event.
    pub fn fqdn_and_slug(self) -> (&'static str, &'static str) {
        match self {
            EventType::BadgeCreated => ("wix.badges.v4.badge", "created"),
            EventType::BadgeUpdated => ("wix.badges.v4.badge", "updated"),
            EventType::BadgeDeleted => ("wix.badges.v4.badge", "deleted"),
            EventType::AssignmentCreated => ("wix.badges.v4.badge_assignment", "created"),
            EventType::AssignmentDeleted => ("wix.badges.v4.badge_assignment", "deleted"),
            EventType::BadgeAssigned => ("wix.badges.v3.badge", "badge_assigned"),
            EventType::BadgeUnassigned => ("wix.badges.v3.badge", "badge_unassigned"),
            EventType::LegacyBadgeCreated => ("wix.badges.v3.badge", "created"),
            EventType::LegacyBadgeUpdated => ("wix.badges.v3.badge", "updated"),
            EventType::LegacyBadgeDeleted => ("wix.badges.v3.badge", "deleted"),
            EventType::AssignmentTagsUpdated => ("insignia.v1.badge_assignment", "updated"),
            EventType::BadgesReordered => ("insignia.v1.site", "badges_reordered"),
            EventType::PageCreated => ("insignia.v1.page", "created"),
            EventType::PageUpdated => ("insignia.v1.page", "updated"),
            EventType::PageDeleted => ("insignia.v1.page", "deleted"),
        }
    }

    /// The older API's assign events are about a badge and one member: their
    /// order matters per pair, not per badge (a badge may have a million).
    pub fn ordered_by_member(self) -> bool {
        matches!(self, EventType::BadgeAssigned | EventType::BadgeUnassigned)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_type_reads_back_from_its_text() {
        for t in EventType::ALL {
            assert_eq!(EventType::parse(t.as_str()), Some(t));
        }
        assert_eq!(EventType::parse("wix.badges.v4.badge_exploded"), None);
    }
}
