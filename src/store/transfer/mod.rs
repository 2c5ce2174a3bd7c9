//! Moving a site in and out: reading one site from a single snapshot,
//! writing imported rows with the ids and dates they came with, the map of
//! source to target ids, and resume points. These are the store's part of
//! `insignia export|import|backup`; what the rows mean on the way in (ids
//! kept or fresh, clashes, unknown badges) is decided by `crate::transfer`.

mod backup;
mod export;
mod ids;
mod import;

use super::sql::is_unique_violation;
use super::OAuthClientRecord;
use crate::domain::{
    AssignmentId, Badge, BadgeAssignment, BadgeId, MemberId, NewBadge, PageBadges, PageId, PagePath, PageTitle,
    ProtectedPage, Tags, Timestamp,
};
use crate::events::Webhook;

/// One row of an export, in the order they are written: badges (display
/// order), pages, webhook subscriptions, OAuth clients, then assignments
/// (each oldest first).
#[derive(Debug, Clone, PartialEq)]
pub enum ExportItem {
    /// How many rows follow, read in the same snapshot (for progress).
    Counts {
        badges: u64,
        pages: u64,
        webhooks: u64,
        clients: u64,
        assignments: u64,
    },
    /// A badge and its place in the site's display order, from 1.
    Badge {
        badge: Badge,
        position: i64,
    },
    Page(ProtectedPage),
    /// Without its deliveries: they are history, not data to move.
    Webhook(Webhook),
    /// Without its sessions (refresh tokens are secrets).
    Client(OAuthClientRecord),
    Assignment(BadgeAssignment),
}

/// An export failed: reading the database, or handing a row on.
#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    #[error(transparent)]
    Store(#[from] super::StoreError),
    #[error(transparent)]
    Write(anyhow::Error),
}

impl From<sqlx::Error> for ExportError {
    fn from(e: sqlx::Error) -> Self {
        Self::Store(e.into())
    }
}

impl super::StoreError {
    /// Whether an import batch was refused because one of its assignments
    /// has an id, or a (member, badge) pair, that is taken (by the site, by
    /// another site, or by another row of the batch). The batch was rolled back.
    pub fn is_taken_assignment(&self) -> bool {
        matches!(self, super::StoreError::Database(e) if is_unique_violation(e, "badge_assignments"))
    }
}

/// A badge to write as it is: its id, dates and revision are kept, and it
/// goes after the site's last badge.
#[derive(Debug, Clone, PartialEq)]
pub struct ImportBadge {
    pub id: BadgeId,
    pub badge: NewBadge,
    /// The slug it had; a free variant is taken when the site has it already.
    pub slug: Option<String>,
    pub revision: i64,
    pub created: Timestamp,
    pub updated: Timestamp,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ImportPage {
    pub id: PageId,
    pub path: PagePath,
    pub title: PageTitle,
    pub badge_ids: PageBadges,
    pub revision: i64,
    pub created: Timestamp,
    pub updated: Timestamp,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ImportAssignment {
    pub id: AssignmentId,
    pub badge_id: BadgeId,
    pub member_id: MemberId,
    pub tags: Tags,
    pub extended_fields: Option<serde_json::Value>,
    pub created: Timestamp,
    pub updated: Timestamp,
}

/// A source id and the target id it became, recorded with the rows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Mapped {
    pub kind: &'static str,
    pub source: uuid::Uuid,
    pub target: uuid::Uuid,
}

/// How far a file import got: its first `lines` lines, whose SHA-256 is `digest`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResumePoint {
    pub lines: u64,
    pub digest: Vec<u8>,
}

/// Everything one batch writes, in one transaction.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ImportBatch {
    pub badges: Vec<ImportBadge>,
    pub pages: Vec<ImportPage>,
    /// Subscriptions with the ids, dates and revision they came with; each
    /// is sent the site's events from the import on.
    pub webhooks: Vec<Webhook>,
    pub clients: Vec<OAuthClientRecord>,
    pub assignments: Vec<ImportAssignment>,
    /// `(source, mappings)`: ids to remember for the next run from `source`.
    pub mapped: Vec<Mapped>,
    /// Where a re-run of this source continues, once the batch commits.
    pub resume: Option<ResumePoint>,
}

impl ImportBatch {
    pub fn is_empty(&self) -> bool {
        self.rows() == 0 && self.mapped.is_empty() && self.resume.is_none()
    }

    pub fn rows(&self) -> usize {
        self.badges.len() + self.pages.len() + self.webhooks.len() + self.clients.len() + self.assignments.len()
    }
}
