//! A badge assignment as JSON.

use serde::Serialize;
use serde_json::Value;

use crate::domain::{AssignmentId, BadgeAssignment, BadgeId, MemberId, Timestamp};

/// An assignment on the wire, serialised straight into an answer (a query
/// of whole items) or into a `Value` (projections, events, exports). Fields
/// in name order, as a `Value`'s map writes them.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AssignmentWire<'a> {
    #[serde(serialize_with = "display")]
    badge_id: BadgeId,
    created_date: Timestamp,
    #[serde(skip_serializing_if = "Option::is_none")]
    extended_fields: Option<&'a Value>,
    #[serde(serialize_with = "display")]
    id: AssignmentId,
    #[serde(serialize_with = "display")]
    member_id: MemberId,
    // Both lists always, possibly empty: the SDK's types declare them non-null.
    tags: TagsWire<'a>,
    updated_date: Timestamp,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct TagsWire<'a> {
    private_tags: TagListWire<'a>,
    tags: TagListWire<'a>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct TagListWire<'a> {
    tag_ids: &'a [String],
}

fn display<T: std::fmt::Display, S: serde::Serializer>(value: &T, s: S) -> Result<S::Ok, S::Error> {
    s.collect_str(value)
}

impl<'a> AssignmentWire<'a> {
    /// As the site's backend sees it, or a browser (`with_private` false),
    /// whose `privateTags` always come back empty: they are the site's own.
    pub fn new(a: &'a BadgeAssignment, with_private: bool) -> Self {
        let private: &[String] = if with_private { a.tags.private.as_slice() } else { &[] };
        Self {
            badge_id: a.badge_id,
            created_date: a.created_date,
            extended_fields: a.extended_fields.as_ref(),
            id: a.id,
            member_id: a.member_id,
            tags: TagsWire {
                private_tags: TagListWire { tag_ids: private },
                tags: TagListWire {
                    tag_ids: a.tags.public.as_slice(),
                },
            },
            updated_date: a.updated_date,
        }
    }
}

pub fn assignment_json(a: &BadgeAssignment) -> Value {
    assignment_json_for(a, true)
}

/// As `assignment_json`, or for a browser (`with_private` false) without
/// its `privateTags`.
pub fn assignment_json_for(a: &BadgeAssignment, with_private: bool) -> Value {
    serde_json::to_value(AssignmentWire::new(a, with_private)).unwrap_or(Value::Null)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{TagIds, Tags};

    #[test]
    fn the_wire_shape_names_every_field_and_hides_private_tags_from_browsers() {
        let a = BadgeAssignment {
            id: AssignmentId::generate(),
            badge_id: BadgeId::generate(),
            member_id: MemberId::from_uuid(uuid::Uuid::new_v4()),
            tags: Tags {
                public: TagIds::from_stored(vec!["red".into()]),
                private: TagIds::from_stored(vec!["vip".into()]),
            },
            extended_fields: Some(serde_json::json!({"namespaces": {"app": {"n": 1}}})),
            created_date: Timestamp::from_millis(1_714_557_600_123),
            updated_date: Timestamp::from_millis(1_714_557_600_456),
        };
        let expected = serde_json::json!({
            "id": a.id.to_string(),
            "badgeId": a.badge_id.to_string(),
            "memberId": a.member_id.to_string(),
            "createdDate": "2024-05-01T10:00:00.123Z",
            "updatedDate": "2024-05-01T10:00:00.456Z",
            "tags": {"tags": {"tagIds": ["red"]}, "privateTags": {"tagIds": ["vip"]}},
            "extendedFields": {"namespaces": {"app": {"n": 1}}},
        });
        assert_eq!(assignment_json(&a), expected);
        let mut public = expected.clone();
        public["tags"]["privateTags"]["tagIds"] = serde_json::json!([]);
        assert_eq!(assignment_json_for(&a, false), public);
        // Written straight out, the same text a `Value` writes.
        let direct = serde_json::to_string(&AssignmentWire::new(&a, true)).unwrap();
        assert_eq!(direct, serde_json::to_string(&expected).unwrap());
    }
}
