//! Field projection of query answers: `query.fields` names the top-level
//! fields each returned item keeps. The entity's `id` is always kept, so
//! every item can still be told apart. No fieldsets are defined, so any
//! `fieldsets` value other than an empty list is refused.

use serde_json::{Map, Value};

use super::error::ApiError;
use crate::domain::FieldViolation;

/// The fields to keep, or `None` for whole items.
pub struct Projection(Option<Vec<&'static str>>);

impl Projection {
    /// Takes `fields` and `fieldsets` out of `query` (the engine does not
    /// project) and checks every name against `known`, the item's fields.
    /// SDK spellings (`_id`, `_createdDate`, …) are accepted.
    pub fn take(query: &mut Value, at: &str, known: &[&'static str]) -> Result<Self, ApiError> {
        let Some(obj) = query.as_object_mut() else {
            return Ok(Self(None));
        };
        let fields = obj.remove("fields");
        match obj.remove("fieldsets") {
            None | Some(Value::Null) => {}
            Some(Value::Array(sets)) if sets.is_empty() => {}
            Some(_) => return Err(violation(format!("{at}.fieldsets"), "no fieldsets are defined".into())),
        }
        let names = match fields {
            None | Some(Value::Null) => return Ok(Self(None)),
            Some(Value::Array(names)) if names.is_empty() => return Ok(Self(None)),
            Some(Value::Array(names)) => names,
            Some(_) => {
                return Err(violation(
                    format!("{at}.fields"),
                    "must be an array of field names".into(),
                ))
            }
        };
        let mut kept = Vec::with_capacity(names.len() + 1);
        kept.push("id");
        for (i, name) in names.iter().enumerate() {
            let raw = name.as_str().unwrap_or_default();
            let plain = raw.strip_prefix('_').unwrap_or(raw);
            let Some(field) = known.iter().find(|k| **k == plain) else {
                return Err(violation(
                    format!("{at}.fields[{i}]"),
                    format!(
                        "{name} is not a field that can be returned; known: {}",
                        known.join(", ")
                    ),
                ));
            };
            if !kept.contains(field) {
                kept.push(field);
            }
        }
        Ok(Self(Some(kept)))
    }

    /// Whether items are answered whole (no `fields` asked).
    pub fn is_whole(&self) -> bool {
        self.0.is_none()
    }

    /// The item with only the kept fields.
    pub fn apply(&self, item: Value) -> Value {
        match (&self.0, item) {
            (Some(kept), Value::Object(mut fields)) => Value::Object(
                kept.iter()
                    .filter_map(|name| fields.remove(*name).map(|v| ((*name).to_owned(), v)))
                    .collect::<Map<String, Value>>(),
            ),
            (_, item) => item,
        }
    }
}

fn violation(field: String, description: String) -> ApiError {
    ApiError::invalid(vec![FieldViolation::new(field, "PROJECTION", description)])
}
