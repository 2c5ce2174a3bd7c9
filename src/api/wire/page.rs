//! A protected page as JSON, and the page fields a client sends (the admin
//! page's forms read them with the same functions).

use serde_json::{json, Map, Value};

use crate::api::error::ApiError;
use crate::api::json::Fields;
use crate::domain::{BadgeId, NewPage, PageBadges, PagePatch, PagePath, PageTitle, ProtectedPage, MAX_BADGES_PER_PAGE};

pub fn page_json(page: &ProtectedPage) -> Value {
    json!({
        "id": page.id.to_string(),
        "revision": page.revision.to_string(),
        "path": page.path.as_str(),
        "title": page.title.as_str(),
        "badgeIds": page.badge_ids.as_slice().iter().map(ToString::to_string).collect::<Vec<_>>(),
        "createdDate": page.created_date,
        "updatedDate": page.updated_date,
    })
}

/// Every field a page object may carry. Read-only ones (`id`, `revision`,
/// dates) are ignored where they are not needed, so a client may send back
/// what it read; any other name is refused.
const PAGE_FIELDS: [&str; 7] = [
    "id",
    "revision",
    "path",
    "title",
    "badgeIds",
    "createdDate",
    "updatedDate",
];

/// `path` is required.
pub fn new_page(obj: &Map<String, Value>, prefix: &str) -> Result<NewPage, ApiError> {
    let mut f = Fields::new(obj, prefix);
    f.refuse_unknown(&PAGE_FIELDS);
    let path = f.required_str("path").and_then(|raw| {
        let at = f.path("path");
        f.check(PagePath::parse(&at, raw))
    });
    let title = title(&mut f).unwrap_or_default();
    let badge_ids = badges(&mut f).unwrap_or_default();
    f.finish()?;
    Ok(NewPage {
        path: path.ok_or_else(ApiError::internal)?,
        title,
        badge_ids,
    })
}

/// Only the fields present change; `null` means "not sent".
pub fn page_patch(obj: &Map<String, Value>, prefix: &str) -> Result<PagePatch, ApiError> {
    let mut f = Fields::new(obj, prefix);
    f.refuse_unknown(&PAGE_FIELDS);
    let path = f.str("path").and_then(|raw| {
        let at = f.path("path");
        f.check(PagePath::parse(&at, raw))
    });
    let patch = PagePatch {
        path,
        title: title(&mut f),
        badge_ids: badges(&mut f),
    };
    f.finish()?;
    Ok(patch)
}

fn title(f: &mut Fields) -> Option<PageTitle> {
    let raw = f.str("title")?;
    let at = f.path("title");
    f.check(PageTitle::parse(&at, raw))
}

fn badges(f: &mut Fields) -> Option<PageBadges> {
    if !f.has("badgeIds") {
        return None;
    }
    let ids = f.guid_list("badgeIds", 0, MAX_BADGES_PER_PAGE)?;
    let at = f.path("badgeIds");
    f.check(PageBadges::parse(
        &at,
        ids.into_iter().map(BadgeId::from_uuid).collect(),
    ))
}
