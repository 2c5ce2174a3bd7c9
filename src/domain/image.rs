use serde::{Deserialize, Serialize};

use super::FieldViolation;

/// The Wix `Image` shape. Only `url` matters to Insignia; the rest is kept
/// as sent so clients read back what they wrote.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Image {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub height: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub width: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub alt_text: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub filename: Option<String>,
}

impl Image {
    const MAX_URL_LEN: usize = 2048;

    /// Checks an icon that arrived on the wire (as an object, or as a bare URL
    /// string, which the older API and some SDK paths send).
    pub fn parse(field: &str, raw: &serde_json::Value) -> Result<Option<Self>, FieldViolation> {
        let image = match raw {
            serde_json::Value::Null => return Ok(None),
            serde_json::Value::String(url) if url.is_empty() => return Ok(None),
            serde_json::Value::String(url) => Image {
                url: Some(url.clone()),
                ..Image::default()
            },
            other => serde_json::from_value::<Image>(other.clone())
                .map_err(|e| FieldViolation::new(field, "TYPE", format!("`{field}` must be an Image object: {e}")))?,
        };
        let too_long = |s: &Option<String>| s.as_ref().is_some_and(|s| s.len() > Self::MAX_URL_LEN);
        if too_long(&image.url) || too_long(&image.id) || too_long(&image.alt_text) || too_long(&image.filename) {
            return Err(FieldViolation::new(
                field,
                "MAX_LENGTH",
                format!("`{field}` strings may be at most {} characters", Self::MAX_URL_LEN),
            ));
        }
        if image.height.is_some_and(|h| h < 0) || image.width.is_some_and(|w| w < 0) {
            return Err(FieldViolation::new(
                field,
                "MIN",
                format!("`{field}` sizes may not be negative"),
            ));
        }
        Ok(Some(image))
    }
}
