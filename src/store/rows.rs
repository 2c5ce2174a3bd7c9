//! Turning stored rows back into domain values.

use sqlx::any::AnyRow;
use sqlx::Row;

use super::{ApiKeyRecord, StoreError, StoreResult};
use crate::domain::{
    AssignmentId, Badge, BadgeAssignment, BadgeDescription, BadgeId, BadgeTitle, Color, Image, MemberId, SiteId, Slug,
    TagIds, Tags, Timestamp,
};

pub(super) const BADGE_COLUMNS: &str = "badges.pk, badges.site_id, badges.id, badges.revision, badges.title, \
     badges.description, badges.background_color, badges.text_color, badges.icon, badges.permissions_enabled, \
     badges.slug, badges.display_order, badges.member_count, badges.created_at, badges.updated_at";

pub(super) const ASSIGNMENT_COLUMNS: &str = "badge_assignments.id, badge_assignments.badge_id, \
     badge_assignments.member_id, badge_assignments.tags, badge_assignments.private_tags, \
     badge_assignments.extended_fields, badge_assignments.created_at, badge_assignments.updated_at";

fn corrupt(what: &str) -> StoreError {
    StoreError::Corrupt(what.to_owned())
}

pub(super) fn site_id(row: &AnyRow, column: &str) -> StoreResult<SiteId> {
    let bytes: Vec<u8> = row.try_get(column)?;
    SiteId::from_bytes(&bytes).ok_or_else(|| corrupt(column))
}

pub(super) fn badge_id(row: &AnyRow, column: &str) -> StoreResult<BadgeId> {
    let bytes: Vec<u8> = row.try_get(column)?;
    BadgeId::from_bytes(&bytes).ok_or_else(|| corrupt(column))
}

pub(super) fn assignment_id(row: &AnyRow, column: &str) -> StoreResult<AssignmentId> {
    let bytes: Vec<u8> = row.try_get(column)?;
    AssignmentId::from_bytes(&bytes).ok_or_else(|| corrupt(column))
}

pub(super) fn badge(row: &AnyRow) -> StoreResult<Badge> {
    let icon: Option<String> = row.try_get("icon")?;
    let icon = match icon {
        Some(json) => Some(serde_json::from_str::<Image>(&json).map_err(|_| corrupt("badges.icon"))?),
        None => None,
    };
    Ok(Badge {
        id: badge_id(row, "id")?,
        site_id: site_id(row, "site_id")?,
        revision: row.try_get("revision")?,
        title: BadgeTitle::from_stored(row.try_get("title")?),
        description: BadgeDescription::from_stored(row.try_get("description")?),
        background_color: Color::from_stored(row.try_get("background_color")?),
        text_color: Color::from_stored(row.try_get("text_color")?),
        icon,
        permissions_enabled: row.try_get::<i64, _>("permissions_enabled")? != 0,
        slug: Slug::from_stored(row.try_get("slug")?),
        display_order: row.try_get("display_order")?,
        member_count: row.try_get("member_count")?,
        created_date: Timestamp::from_millis(row.try_get("created_at")?),
        updated_date: Timestamp::from_millis(row.try_get("updated_at")?),
    })
}

pub(super) fn api_key(row: &AnyRow) -> StoreResult<ApiKeyRecord> {
    let scopes: String = row.try_get("scopes")?;
    let revoked: Option<i64> = row.try_get("revoked_at")?;
    Ok(ApiKeyRecord {
        id: row.try_get("id")?,
        key_hash: row.try_get("key_hash")?,
        site_id: site_id(row, "site_id")?,
        scopes: scopes.split_whitespace().map(str::to_owned).collect(),
        created_at: Timestamp::from_millis(row.try_get("created_at")?),
        revoked_at: revoked.map(Timestamp::from_millis),
    })
}

/// The stored form of a tag list: a JSON array, or NULL when empty.
pub(super) fn tags_json(tags: &TagIds) -> Option<String> {
    (!tags.is_empty()).then(|| serde_json::to_string(tags.as_slice()).unwrap_or_default())
}

/// The two tag lists stored (by [`tags_json`]) in these columns.
pub(super) fn tags(row: &AnyRow, public: &str, private: &str) -> StoreResult<Tags> {
    let tag_list = |column: &str| -> StoreResult<TagIds> {
        let raw: Option<String> = row.try_get(column)?;
        match raw {
            None => Ok(TagIds::default()),
            Some(json) => serde_json::from_str::<Vec<String>>(&json)
                .map(TagIds::from_stored)
                .map_err(|_| corrupt(column)),
        }
    };
    Ok(Tags {
        public: tag_list(public)?,
        private: tag_list(private)?,
    })
}

pub(super) fn assignment(row: &AnyRow) -> StoreResult<BadgeAssignment> {
    let member: Vec<u8> = row.try_get("member_id")?;
    let extended: Option<String> = row.try_get("extended_fields")?;
    Ok(BadgeAssignment {
        id: assignment_id(row, "id")?,
        badge_id: badge_id(row, "badge_id")?,
        member_id: MemberId::from_bytes(&member).ok_or_else(|| corrupt("member_id"))?,
        tags: tags(row, "tags", "private_tags")?,
        extended_fields: extended
            .map(|e| serde_json::from_str(&e))
            .transpose()
            .map_err(|_| corrupt("extended_fields"))?,
        created_date: Timestamp::from_millis(row.try_get("created_at")?),
        updated_date: Timestamp::from_millis(row.try_get("updated_at")?),
    })
}
