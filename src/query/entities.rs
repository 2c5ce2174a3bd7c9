//! The filterable and sortable fields of each entity: wire names (REST and
//! SDK spellings) mapped to columns and types.

use super::ast::Order;
use super::fields::{Entity, Field, Kind};

const fn field(
    names: &'static [&'static str],
    column: &'static str,
    kind: Kind,
    filterable: bool,
    sortable: bool,
) -> Field {
    Field {
        names,
        column,
        kind,
        filterable,
        sortable,
        folded: None,
    }
}

/// A filterable, sortable text field with a case-folded copy in `folded`.
const fn text(names: &'static [&'static str], column: &'static str, folded: &'static str) -> Field {
    Field {
        folded: Some(folded),
        ..field(names, column, Kind::Text, true, true)
    }
}

// Every field `BadgeQuerySpec` declares (`_id`, `description`,
// `permissionsEnabled`, `slug`, `title`) filters and sorts, plus the dates.
static BADGE_FIELDS: [Field; 8] = [
    field(&["id", "_id"], "id", Kind::Guid, true, true),
    text(&["title"], "title", "title_folded"),
    text(&["slug"], "slug", "slug_folded"),
    text(&["description"], "description", "description_folded"),
    field(&["createdDate", "_createdDate"], "created_at", Kind::Date, true, true),
    field(&["updatedDate", "_updatedDate"], "updated_at", Kind::Date, true, true),
    field(&["permissionsEnabled"], "permissions_enabled", Kind::Bool, true, true),
    // Not a V4 wire field: the order a site shows its badges in (the legacy list order).
    // It sorts, so V4 `queryBadges` can read badges in display order (an extension).
    field(&["displayOrder"], "display_order", Kind::Int, false, true),
];

/// Badges, as both the V4 and the legacy API query them.
pub static BADGES: Entity = Entity {
    name: "badge",
    fields: &BADGE_FIELDS,
    id: &BADGE_FIELDS[0],
    // The SDK documents newest-first as the default order of badge queries.
    default_sort: &[(&BADGE_FIELDS[4], Order::Desc)],
    pk_column: "badges.pk",
};

const fn tag_set(kind: &'static str) -> Kind {
    Kind::TagSet {
        table: "badge_assignment_tags",
        owner_column: "assignment_id",
        value_column: "tag",
        kind_column: "kind",
        kind,
    }
}

static ASSIGNMENT_FIELDS: [Field; 7] = [
    field(&["id", "_id"], "badge_assignments.id", Kind::Guid, true, true),
    field(&["badgeId"], "badge_assignments.badge_id", Kind::Guid, true, true),
    field(&["memberId"], "badge_assignments.member_id", Kind::Guid, true, true),
    field(
        &["createdDate", "_createdDate"],
        "badge_assignments.created_at",
        Kind::Date,
        true,
        true,
    ),
    field(
        &["updatedDate", "_updatedDate"],
        "badge_assignments.updated_at",
        Kind::Date,
        true,
        true,
    ),
    field(
        &["tags.tags.tagIds"],
        "badge_assignments.tags",
        tag_set("public"),
        true,
        false,
    ),
    field(
        &["tags.privateTags.tagIds"],
        "badge_assignments.private_tags",
        tag_set("private"),
        true,
        false,
    ),
];

/// Badge assignments.
pub static ASSIGNMENTS: Entity = Entity {
    name: "badge assignment",
    fields: &ASSIGNMENT_FIELDS,
    id: &ASSIGNMENT_FIELDS[0],
    // Newest first, as the SDK documents: the (site[, badge | member], created, id)
    // indexes, read backwards, answer the first page with one index range.
    default_sort: &[(&ASSIGNMENT_FIELDS[3], Order::Desc)],
    pk_column: "badge_assignments.id",
};

static PAGE_FIELDS: [Field; 6] = [
    field(&["id", "_id"], "pages.id", Kind::Guid, true, true),
    field(&["path"], "pages.path", Kind::Text, true, true),
    field(&["title"], "pages.title", Kind::Text, true, true),
    field(
        &["createdDate", "_createdDate"],
        "pages.created_at",
        Kind::Date,
        true,
        true,
    ),
    field(
        &["updatedDate", "_updatedDate"],
        "pages.updated_at",
        Kind::Date,
        true,
        true,
    ),
    field(
        &["badgeIds"],
        "page_badges.badge_id",
        Kind::IdSet {
            table: "page_badges",
            owner_column: "page_pk",
            value_column: "badge_id",
        },
        true,
        false,
    ),
];

/// Protected pages.
pub static PAGES: Entity = Entity {
    name: "page",
    fields: &PAGE_FIELDS,
    id: &PAGE_FIELDS[0],
    // A site's pages read best in path order: a page sits just above the pages below it.
    default_sort: &[(&PAGE_FIELDS[1], Order::Asc)],
    pk_column: "pages.pk",
};
