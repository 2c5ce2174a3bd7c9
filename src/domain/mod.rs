//! Validated domain values. Constructing one is the only way in, so the
//! service and store layers never re-check them.

mod api_key;
mod assignment;
mod badge;
mod color;
mod fold;
mod ids;
mod image;
mod order;
mod page;
mod scope;
mod slug;
mod time;
mod token;

pub use api_key::{generate_api_key, hash_api_key, is_well_formed_api_key, GeneratedKey};
pub use assignment::{AssignmentRefusal, BadgeAssignment, Job, NewAssignment, TagIds, Tags};
pub use badge::{Badge, BadgeDescription, BadgePatch, BadgeTitle, NewBadge, MAX_BADGES_PER_SITE};
pub use color::Color;
pub use fold::{fold_case, unfolded_bounds};
pub use ids::{parse_guid, AssignmentId, BadgeId, JobId, MemberId, PageId, SiteId};
pub use image::Image;
pub use order::{OrderChange, Position};
pub use page::{
    NewPage, PageBadges, PagePatch, PagePath, PageTitle, ProtectedPage, MAX_BADGES_PER_PAGE, MAX_PAGES_PER_SITE,
};
pub use scope::Scope;
pub use slug::Slug;
pub use time::Timestamp;
pub use token::{hash_secret, SecretToken};

/// A rule broken by one field of the input; becomes one Wix `fieldViolation`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldViolation {
    pub field: String,
    pub description: String,
    pub rule: &'static str,
}

impl FieldViolation {
    pub fn new(field: impl Into<String>, rule: &'static str, description: impl Into<String>) -> Self {
        Self {
            field: field.into(),
            description: description.into(),
            rule,
        }
    }
}

/// Refuses text holding U+0000. PostgreSQL cannot store it in a text column,
/// so accepting it would make the two backends answer differently.
pub fn reject_nul(field: &str, raw: &str) -> Result<(), FieldViolation> {
    if raw.contains('\0') {
        return Err(FieldViolation::new(
            field,
            "FORMAT",
            format!("`{field}` must not contain the NUL character (U+0000)"),
        ));
    }
    Ok(())
}
