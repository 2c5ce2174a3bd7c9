use serde_json::Value;

use super::{AssignmentId, BadgeId, FieldViolation, JobId, MemberId, Timestamp};

/// A list of tag ids: at most 100, each 1–100 characters, no repeats
/// (repeats are dropped, order of first appearance kept).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct TagIds(Vec<String>);

impl TagIds {
    pub const MAX_TAGS: usize = 100;
    pub const MAX_LEN: usize = 100;

    pub fn parse(field: &str, raw: &[Value]) -> Result<Self, FieldViolation> {
        if raw.len() > Self::MAX_TAGS {
            return Err(FieldViolation::new(
                field,
                "MAX_SIZE",
                format!("`{field}` holds at most {} tag ids", Self::MAX_TAGS),
            ));
        }
        let mut tags: Vec<String> = Vec::with_capacity(raw.len());
        for (i, item) in raw.iter().enumerate() {
            let tag = item
                .as_str()
                .filter(|t| !t.is_empty() && t.chars().count() <= Self::MAX_LEN && !t.contains('\0'))
                .ok_or_else(|| {
                    FieldViolation::new(
                        format!("{field}[{i}]"),
                        "FORMAT",
                        format!("tag ids are strings of 1 to {} characters, without NUL", Self::MAX_LEN),
                    )
                })?;
            if !tags.iter().any(|t| t == tag) {
                tags.push(tag.to_owned());
            }
        }
        Ok(Self(tags))
    }

    pub fn from_stored(tags: Vec<String>) -> Self {
        Self(tags)
    }

    pub fn as_slice(&self) -> &[String] {
        &self.0
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// `self` with `remove` taken out, then `add` appended (skipping ones
    /// present): a tag named in both lists ends up assigned.
    pub fn changed(&self, add: &TagIds, remove: &TagIds) -> TagIds {
        let mut next: Vec<String> = self.0.clone();
        next.retain(|t| !remove.0.contains(t));
        for tag in &add.0 {
            if !next.contains(tag) {
                next.push(tag.clone());
            }
        }
        TagIds(next)
    }
}

/// The two tag lists of an assignment.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Tags {
    pub public: TagIds,
    pub private: TagIds,
}

impl Tags {
    pub fn changed(&self, add: &Tags, remove: &Tags) -> Tags {
        Tags {
            public: self.public.changed(&add.public, &remove.public),
            private: self.private.changed(&add.private, &remove.private),
        }
    }
}

/// A badge held by a member.
#[derive(Debug, Clone, PartialEq)]
pub struct BadgeAssignment {
    pub id: AssignmentId,
    pub badge_id: BadgeId,
    pub member_id: MemberId,
    pub tags: Tags,
    /// `{"namespaces": {…}}` as the client sent it.
    pub extended_fields: Option<Value>,
    pub created_date: Timestamp,
    pub updated_date: Timestamp,
}

#[derive(Debug, Clone, PartialEq)]
pub struct NewAssignment {
    pub badge_id: BadgeId,
    pub member_id: MemberId,
    pub tags: Tags,
    pub extended_fields: Option<Value>,
}

/// Why one assignment of a (bulk) create was not made.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AssignmentRefusal {
    /// The badge does not exist in the caller's site.
    BadgeNotFound,
    /// The member already holds the badge.
    AlreadyExists,
}

/// A bulk operation's record.
#[derive(Debug, Clone, PartialEq)]
pub struct Job {
    pub id: JobId,
    pub kind: String,
    pub status: String,
    pub total: i64,
    pub succeeded: i64,
    pub failed: i64,
    pub created_date: Timestamp,
    pub updated_date: Timestamp,
}

impl Job {
    /// Re-tagging every assignment a filter matches (update-tags-by-filter).
    pub const RETAG_BY_FILTER: &'static str = "BULK_UPDATE_BADGE_ASSIGNMENT_TAGS";
    /// Queued or running: batches remain.
    pub const IN_PROGRESS: &'static str = "IN_PROGRESS";
    /// Every matched row was done.
    pub const FINISHED: &'static str = "FINISHED";
    /// Stopped for good (a run cut short before jobs could resume, or a
    /// stored filter that no longer parses).
    pub const FAILED: &'static str = "FAILED";
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn tag_ids_are_deduplicated_and_bounded() {
        let tags = TagIds::parse("t", &[json!("a"), json!("b"), json!("a")]).unwrap();
        assert_eq!(tags.as_slice(), ["a", "b"]);
        assert!(TagIds::parse("t", &[json!("")]).is_err());
        assert!(TagIds::parse("t", &[json!(5)]).is_err());
        assert!(TagIds::parse("t", &[json!("a\u{0}")]).is_err());
        let many: Vec<Value> = (0..101).map(|i| json!(i.to_string())).collect();
        assert!(TagIds::parse("t", &many).is_err());
    }

    #[test]
    fn changes_remove_then_add() {
        let t = |v: &[&str]| TagIds::from_stored(v.iter().map(|s| s.to_string()).collect());
        assert_eq!(t(&["a", "b"]).changed(&t(&["c", "a"]), &t(&["b"])), t(&["a", "c"]));
        assert_eq!(t(&["a", "b"]).changed(&t(&["b"]), &t(&["a", "b"])), t(&["b"]));
    }
}
