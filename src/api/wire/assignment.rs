//! A badge assignment as JSON.

use serde_json::{json, Value};

use crate::domain::{BadgeAssignment, TagIds};

fn tag_list_json(tags: &TagIds) -> Value {
    json!({ "tagIds": tags.as_slice() })
}

pub fn assignment_json(a: &BadgeAssignment) -> Value {
    let mut out = json!({
        "id": a.id.to_string(),
        "badgeId": a.badge_id.to_string(),
        "memberId": a.member_id.to_string(),
        "createdDate": a.created_date,
        "updatedDate": a.updated_date,
        // Both lists always, possibly empty: the SDK's types declare them non-null.
        "tags": { "tags": tag_list_json(&a.tags.public), "privateTags": tag_list_json(&a.tags.private) },
    });
    if let Some(extended) = &a.extended_fields {
        out["extendedFields"] = extended.clone();
    }
    out
}

/// As `assignment_json`, or for a browser (`with_private` false), whose
/// `privateTags` always come back empty: they are the site's own.
pub fn assignment_json_for(a: &BadgeAssignment, with_private: bool) -> Value {
    let mut out = assignment_json(a);
    if !with_private {
        out["tags"]["privateTags"] = tag_list_json(&TagIds::default());
    }
    out
}
