//! Reading assignments and tag changes from request bodies.

use serde_json::{Map, Value};

use crate::api::error::ApiError;
use crate::api::json::Fields;
use crate::domain::{BadgeId, FieldViolation, MemberId, NewAssignment, TagIds, Tags};

/// `{"tags": {"tagIds": […]}, "privateTags": {"tagIds": […]}}`, both optional.
fn parse_tags(f: &mut Fields, name: &str) -> Option<Tags> {
    let obj = f.object(name)?;
    let path = f.path(name);
    let mut inner = Fields::new(obj, &path);
    let mut list = |key: &str| -> TagIds {
        let Some(holder) = inner.object(key) else {
            return TagIds::default();
        };
        let list_path = format!("{path}.{key}.tagIds");
        match holder.get("tagIds") {
            None | Some(Value::Null) => TagIds::default(),
            Some(Value::Array(items)) => inner.check(TagIds::parse(&list_path, items)).unwrap_or_default(),
            Some(_) => {
                inner.violations.push(FieldViolation::new(
                    list_path.clone(),
                    "TYPE",
                    format!("`{list_path}` must be an array of strings"),
                ));
                TagIds::default()
            }
        }
    };
    let tags = Tags {
        public: list("tags"),
        private: list("privateTags"),
    };
    f.violations.append(&mut inner.violations);
    Some(tags)
}

/// The most JSON one assignment's `extendedFields` may hold: every query
/// of assignments reads it back, so it stays small.
pub(super) const MAX_EXTENDED_FIELDS_BYTES: usize = 8 * 1024;

/// One `badgeAssignment` object of a request.
pub(crate) fn parse_new_assignment(
    obj: &Map<String, Value>,
    prefix: &str,
) -> Result<NewAssignment, Vec<FieldViolation>> {
    let mut f = Fields::new(obj, prefix);
    let badge = f.required_str("badgeId").and_then(|raw| {
        let path = f.path("badgeId");
        f.check(BadgeId::parse(&path, raw))
    });
    let member = f.required_str("memberId").and_then(|raw| {
        let path = f.path("memberId");
        f.check(MemberId::parse(&path, raw))
    });
    let tags = parse_tags(&mut f, "tags").unwrap_or_default();
    let extended_fields = f.object("extendedFields").map(|o| Value::Object(o.clone()));
    if let Some(fields) = &extended_fields {
        if fields.to_string().len() > MAX_EXTENDED_FIELDS_BYTES {
            let path = f.path("extendedFields");
            f.violations.push(FieldViolation::new(
                path,
                "MAX_SIZE",
                format!("`extendedFields` holds at most {MAX_EXTENDED_FIELDS_BYTES} bytes of JSON"),
            ));
        }
    }
    match (badge, member) {
        (Some(badge_id), Some(member_id)) if f.violations.is_empty() => Ok(NewAssignment {
            badge_id,
            member_id,
            tags,
            extended_fields,
        }),
        _ => Err(f.violations),
    }
}

/// `assignTags` and `unassignTags`; at least one must be sent.
pub(super) fn tag_change(body: &Map<String, Value>) -> Result<(Tags, Tags), ApiError> {
    let mut f = Fields::new(body, "");
    let add = parse_tags(&mut f, "assignTags");
    let remove = parse_tags(&mut f, "unassignTags");
    if add.is_none() && remove.is_none() && f.violations.is_empty() {
        f.violations.push(FieldViolation::new(
            "assignTags",
            "REQUIRED_FIELD",
            "send `assignTags`, `unassignTags` or both",
        ));
    }
    f.finish()?;
    Ok((add.unwrap_or_default(), remove.unwrap_or_default()))
}
