//! Reading `application/x-www-form-urlencoded` bodies.

use axum::body::Bytes;
use axum::extract::{FromRequest, Request};
use serde_json::{Map, Value};

use super::error::WebError;

/// The fields of a form, in the order sent.
#[derive(Debug, Default)]
pub struct FormBody(pub Vec<(String, String)>);

impl FormBody {
    pub fn parse(bytes: &[u8]) -> Self {
        Self(form_urlencoded::parse(bytes).into_owned().collect())
    }

    /// The first value of `name`.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.0.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
    }

    /// The value of `name`, or "" when absent.
    pub fn text(&self, name: &str) -> &str {
        self.get(name).unwrap_or("")
    }

    /// A checkbox: present means on.
    pub fn checked(&self, name: &str) -> bool {
        self.get(name).is_some()
    }

    /// The named text fields as a JSON object, for the API's input readers.
    pub fn json_object(&self, names: &[&str]) -> Map<String, Value> {
        names
            .iter()
            .filter_map(|name| {
                self.get(name)
                    .map(|v| ((*name).to_owned(), Value::String(v.to_owned())))
            })
            .collect()
    }
}

impl<S: Send + Sync> FromRequest<S> for FormBody {
    type Rejection = WebError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let bytes = Bytes::from_request(req, state)
            .await
            .map_err(|e| WebError::BadRequest(format!("could not read the form: {e}")))?;
        Ok(Self::parse(&bytes))
    }
}
