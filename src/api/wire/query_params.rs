//! The query string of GET and DELETE calls (the older API's, and Insignia's own lists):
//! `paging.limit`/`paging.offset`, and repeated keys such as `memberIds=a&memberIds=b`.

use crate::api::error::ApiError;
use crate::domain::FieldViolation;
use crate::query::MAX_OFFSET;

/// Legacy lists: 100 rows unless asked, at most 1,000.
pub const DEFAULT_LIMIT: u32 = 100;
pub const MAX_LIMIT: u32 = 1000;

/// The decoded `key=value` pairs of a query string, in order.
pub struct QueryParams(Vec<(String, String)>);

impl QueryParams {
    pub fn parse(raw: Option<&str>) -> Self {
        let pairs = form_urlencoded::parse(raw.unwrap_or("").as_bytes())
            .map(|(k, v)| (k.into_owned(), v.into_owned()))
            .collect();
        Self(pairs)
    }

    /// Every value given for `name`.
    pub fn all(&self, name: &str) -> Vec<&str> {
        self.0
            .iter()
            .filter(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
            .collect()
    }

    /// The single value of `name`; given twice is an error.
    pub fn one(&self, name: &str) -> Result<Option<&str>, ApiError> {
        match self.all(name).as_slice() {
            [] => Ok(None),
            [value] => Ok(Some(value)),
            _ => Err(violation(name, format!("`{name}` may be given only once"))),
        }
    }

    /// `(limit, offset)` from `paging.limit` and `paging.offset`.
    pub fn paging(&self) -> Result<(u32, u64), ApiError> {
        let limit = match self.one("paging.limit")? {
            None | Some("") => DEFAULT_LIMIT,
            Some(raw) => raw
                .parse::<u32>()
                .ok()
                .filter(|l| (1..=MAX_LIMIT).contains(l))
                .ok_or_else(|| {
                    violation(
                        "paging.limit",
                        format!("`paging.limit` must be an integer from 1 to {MAX_LIMIT}"),
                    )
                })?,
        };
        let offset = match self.one("paging.offset")? {
            None | Some("") => 0,
            Some(raw) => raw.parse::<u64>().ok().filter(|o| *o <= MAX_OFFSET).ok_or_else(|| {
                violation(
                    "paging.offset",
                    format!("`paging.offset` must be an integer from 0 to {MAX_OFFSET}"),
                )
            })?,
        };
        Ok((limit, offset))
    }
}

fn violation(field: &str, description: String) -> ApiError {
    ApiError::invalid(vec![FieldViolation::new(field, "QUERY_PARAMETER", description)])
}
