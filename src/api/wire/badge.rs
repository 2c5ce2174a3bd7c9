//! A badge as JSON.

use serde_json::{json, Value};

use crate::domain::Badge;

/// A badge as V4 sends it: int64 revision as a string, RFC 3339 dates.
pub fn badge_json(badge: &Badge) -> Value {
    let mut out = json!({
        "id": badge.id.to_string(),
        "revision": badge.revision.to_string(),
        "title": badge.title.as_str(),
        "description": badge.description.as_str(),
        "backgroundColor": badge.background_color.as_str(),
        "textColor": badge.text_color.as_str(),
        "permissionsEnabled": badge.permissions_enabled,
        "slug": badge.slug.as_str(),
        "createdDate": badge.created_date,
        "updatedDate": badge.updated_date,
    });
    if let Some(icon) = &badge.icon {
        out["icon"] = json!(icon);
    }
    out
}

/// A badge as the older API sends it: V4's fields without the revision, and
/// the icon as its URL.
pub fn legacy_badge_json(badge: &Badge) -> Value {
    let mut out = badge_json(badge);
    if let Some(fields) = out.as_object_mut() {
        fields.remove("revision");
        fields.remove("icon");
        if let Some(url) = badge.icon.as_ref().and_then(|icon| icon.url.as_deref()) {
            fields.insert("icon".into(), json!(url));
        }
    }
    out
}
