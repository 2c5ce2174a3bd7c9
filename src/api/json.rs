//! Reading request bodies: any JSON object, with Wix-shaped errors for
//! bodies that are too large, not JSON, or not an object, and typed field
//! readers that collect every violation before answering.

use axum::body::Bytes;
use axum::extract::{FromRequest, Request};
use axum::http::StatusCode;
use serde_json::{Map, Value};

use super::error::ApiError;
use crate::domain::{parse_guid, FieldViolation};

/// Request bodies above this size are refused with 413.
pub const MAX_BODY_BYTES: usize = 1024 * 1024;

/// A JSON object body. An empty body reads as `{}`.
pub struct JsonBody(pub Map<String, Value>);

impl<S: Send + Sync> FromRequest<S> for JsonBody {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let RawBody(bytes) = RawBody::from_request(req, state).await?;
        json_object(&bytes).map(JsonBody)
    }
}

/// The body's bytes, within the size limit, for handlers that read it
/// with a typed parser first (see [`json_object`] for the general one).
pub struct RawBody(pub Bytes);

impl<S: Send + Sync> FromRequest<S> for RawBody {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        Bytes::from_request(req, state).await.map(RawBody).map_err(|rejection| {
            if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
                ApiError::new(
                    StatusCode::PAYLOAD_TOO_LARGE,
                    "PAYLOAD_TOO_LARGE",
                    format!("request body is larger than {MAX_BODY_BYTES} bytes"),
                )
            } else {
                ApiError::bad_request(
                    "INVALID_ARGUMENT",
                    format!("could not read the request body: {rejection}"),
                )
            }
        })
    }
}

/// A body as a JSON object; an empty body reads as `{}`.
pub fn json_object(bytes: &[u8]) -> Result<Map<String, Value>, ApiError> {
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Ok(Map::new());
    }
    match serde_json::from_slice::<Value>(bytes) {
        Ok(Value::Object(map)) => Ok(map),
        Ok(_) => Err(ApiError::bad_request(
            "INVALID_ARGUMENT",
            "request body must be a JSON object",
        )),
        Err(e) => Err(ApiError::bad_request(
            "INVALID_ARGUMENT",
            format!("request body is not valid JSON: {e}"),
        )),
    }
}

/// Typed access to the fields of one JSON object. Wrong types are recorded
/// as violations (named by their full path) rather than returned one at a
/// time, so a client learns every problem from one answer.
pub struct Fields<'a> {
    obj: &'a Map<String, Value>,
    prefix: String,
    pub violations: Vec<FieldViolation>,
}

impl<'a> Fields<'a> {
    pub fn new(obj: &'a Map<String, Value>, prefix: &str) -> Self {
        Self {
            obj,
            prefix: prefix.to_owned(),
            violations: Vec::new(),
        }
    }

    pub fn path(&self, name: &str) -> String {
        if self.prefix.is_empty() {
            name.to_owned()
        } else {
            format!("{}.{name}", self.prefix)
        }
    }

    /// The field's value, treating `null` as absent.
    pub fn get(&self, name: &str) -> Option<&'a Value> {
        self.obj.get(name).filter(|v| !v.is_null())
    }

    pub fn has(&self, name: &str) -> bool {
        self.get(name).is_some()
    }

    fn wrong_type(&mut self, name: &str, expected: &str) {
        let path = self.path(name);
        self.violations.push(FieldViolation::new(
            path.clone(),
            "TYPE",
            format!("`{path}` must be {expected}"),
        ));
    }

    pub fn str(&mut self, name: &str) -> Option<&'a str> {
        match self.get(name)? {
            Value::String(s) => Some(s.as_str()),
            _ => {
                self.wrong_type(name, "a string");
                None
            }
        }
    }

    pub fn required_str(&mut self, name: &str) -> Option<&'a str> {
        if !self.has(name) {
            let path = self.path(name);
            self.violations.push(FieldViolation::new(
                path.clone(),
                "REQUIRED_FIELD",
                format!("`{path}` is required"),
            ));
            return None;
        }
        self.str(name)
    }

    pub fn bool(&mut self, name: &str) -> Option<bool> {
        match self.get(name)? {
            Value::Bool(b) => Some(*b),
            _ => {
                self.wrong_type(name, "true or false");
                None
            }
        }
    }

    /// An int64, which Wix sends as a string (a number is accepted too).
    pub fn int64(&mut self, name: &str) -> Option<i64> {
        let parsed = match self.get(name)? {
            Value::String(s) => s.trim().parse::<i64>().ok(),
            Value::Number(n) => n.as_i64(),
            _ => None,
        };
        if parsed.is_none() {
            self.wrong_type(name, "an integer");
        }
        parsed
    }

    pub fn object(&mut self, name: &str) -> Option<&'a Map<String, Value>> {
        match self.get(name)? {
            Value::Object(map) => Some(map),
            _ => {
                self.wrong_type(name, "an object");
                None
            }
        }
    }

    /// An array of GUID strings, with at most `max` items.
    pub fn guid_list(&mut self, name: &str, min: usize, max: usize) -> Option<Vec<uuid::Uuid>> {
        let path = self.path(name);
        let Some(value) = self.get(name) else {
            if min > 0 {
                self.violations.push(FieldViolation::new(
                    path.clone(),
                    "REQUIRED_FIELD",
                    format!("`{path}` is required"),
                ));
            }
            return if min > 0 { None } else { Some(Vec::new()) };
        };
        let Some(items) = value.as_array() else {
            self.wrong_type(name, "an array of GUIDs");
            return None;
        };
        if items.len() < min || items.len() > max {
            self.violations.push(FieldViolation::new(
                path.clone(),
                "SIZE",
                format!("`{path}` must hold {min} to {max} items, got {}", items.len()),
            ));
            return None;
        }
        let mut ids = Vec::with_capacity(items.len());
        for (i, item) in items.iter().enumerate() {
            let here = format!("{path}[{i}]");
            match item.as_str().map(|s| parse_guid(&here, s)) {
                Some(Ok(id)) => ids.push(id),
                Some(Err(v)) => self.violations.push(v),
                None => self.violations.push(FieldViolation::new(
                    here.clone(),
                    "TYPE",
                    format!("`{here}` must be a GUID string"),
                )),
            }
        }
        Some(ids)
    }

    /// Records every field of the object that is not one of `known`.
    pub fn refuse_unknown(&mut self, known: &[&str]) {
        for name in self.obj.keys() {
            if !known.contains(&name.as_str()) {
                let path = self.path(name);
                self.violations.push(FieldViolation::new(
                    path.clone(),
                    "UNKNOWN_FIELD",
                    format!("`{path}` is not a field here; known: {}", known.join(", ")),
                ));
            }
        }
    }

    /// Records a rule broken by a value that had the right type.
    pub fn check<T>(&mut self, result: Result<T, FieldViolation>) -> Option<T> {
        match result {
            Ok(v) => Some(v),
            Err(v) => {
                self.violations.push(v);
                None
            }
        }
    }

    /// Ok when nothing was wrong; otherwise one 400 listing every violation.
    pub fn finish(self) -> Result<(), ApiError> {
        if self.violations.is_empty() {
            Ok(())
        } else {
            Err(ApiError::invalid(self.violations))
        }
    }
}

/// The required object `name` of a body, or the given error code (e.g. `BADGE_NOT_PROVIDED`).
pub fn required_object<'a>(
    body: &'a Map<String, Value>,
    name: &str,
    code: &'static str,
) -> Result<&'a Map<String, Value>, ApiError> {
    match body.get(name) {
        Some(Value::Object(obj)) => Ok(obj),
        None | Some(Value::Null) => Err(ApiError::bad_request(code, format!("`{name}` is required"))),
        Some(_) => Err(ApiError::invalid(vec![FieldViolation::new(
            name,
            "TYPE",
            format!("`{name}` must be an object"),
        )])),
    }
}
