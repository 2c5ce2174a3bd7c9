//! The access check, and the pages a member may open.

use std::borrow::Cow;

use axum::extract::{Path, RawQuery, State};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::ser::SerializeSeq;
use serde::{Deserialize, Serialize, Serializer};
use serde_json::{json, Value};

use crate::api::auth::Caller;
use crate::api::error::ApiError;
use crate::api::json::{json_object, Fields, RawBody};
use crate::api::wire::page::page_json;
use crate::api::wire::paging::offset_metadata;
use crate::api::wire::query_params::QueryParams;
use crate::api::AppState;
use crate::domain::{BadgeId, FieldViolation, MemberId, PageId, PagePath, Scope};
use crate::service::access::{CheckResult, PageRef};

/// Pages one check may ask about.
const MAX_CHECK_PAGES: usize = 100;

/// `{"memberId", "pages": [page ids or URL paths]}` → `{"results": […]}`,
/// one result per page, in the order asked.
///
/// This runs on every page view of a member site, so a well-formed body is
/// read with a typed parser and the answer written without building a JSON
/// tree; any other body goes through the general reader, which names every
/// broken rule.
pub async fn check(
    State(state): State<AppState>,
    caller: Caller,
    RawBody(bytes): RawBody,
) -> Result<Response, ApiError> {
    caller.require(Scope::ReadBadges)?;
    let (member, asked, pages) = match serde_json::from_slice::<CheckBody>(&bytes) {
        Ok(body) => match read_check(body) {
            Some(read) => read,
            None => read_check_slowly(&bytes)?,
        },
        Err(_) => read_check_slowly(&bytes)?,
    };
    let results = state.services.access().check(caller.site, member, &pages).await?;
    let results: Vec<ResultJson> = results.iter().zip(&asked).map(|(r, a)| ResultJson::new(a, r)).collect();
    Ok(Json(CheckReply { results }).into_response())
}

/// The check's body, when it is well-formed.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CheckBody<'a> {
    #[serde(rename = "memberId", borrow)]
    member_id: Cow<'a, str>,
    #[serde(borrow)]
    pages: Vec<Cow<'a, str>>,
}

type CheckInput = (MemberId, Vec<String>, Vec<PageRef>);

/// A typed body that breaks no rule; `None` sends it to the general reader.
fn read_check(body: CheckBody) -> Option<CheckInput> {
    let member = MemberId::parse("memberId", &body.member_id).ok()?;
    if body.pages.is_empty() || body.pages.len() > MAX_CHECK_PAGES {
        return None;
    }
    let mut pages = Vec::with_capacity(body.pages.len());
    for (i, raw) in body.pages.iter().enumerate() {
        pages.push(page_ref(&format!("pages[{i}]"), raw).ok()?);
    }
    Some((member, body.pages.into_iter().map(Cow::into_owned).collect(), pages))
}

/// Any body: every broken rule named, or the same input as [`read_check`].
fn read_check_slowly(bytes: &[u8]) -> Result<CheckInput, ApiError> {
    let body = json_object(bytes)?;
    let mut f = Fields::new(&body, "");
    f.refuse_unknown(&["memberId", "pages"]);
    let member = f
        .required_str("memberId")
        .and_then(|raw| f.check(MemberId::parse("memberId", raw)));
    let pages = page_refs(&mut f);
    f.finish()?;
    let asked = body
        .get("pages")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .map(|v| v.as_str().unwrap_or_default().to_owned())
        .collect();
    match (member, pages) {
        (Some(member), Some(pages)) => Ok((member, asked, pages)),
        _ => Err(ApiError::internal()),
    }
}

fn page_ref(at: &str, raw: &str) -> Result<PageRef, FieldViolation> {
    if raw.starts_with('/') {
        return PagePath::parse(at, raw).map(PageRef::Path);
    }
    PageId::parse(at, raw).map(PageRef::Id).map_err(|_| {
        FieldViolation::new(
            at,
            "FORMAT",
            format!("`{at}` must be a URL path starting with `/` or a page id"),
        )
    })
}

/// `pages`: 1–100 strings, each a URL path (starting with `/`) or a page id.
fn page_refs(f: &mut Fields) -> Option<Vec<PageRef>> {
    let Some(value) = f.get("pages") else {
        f.violations
            .push(FieldViolation::new("pages", "REQUIRED_FIELD", "`pages` is required"));
        return None;
    };
    let Some(items) = value.as_array() else {
        f.violations.push(FieldViolation::new(
            "pages",
            "TYPE",
            "`pages` must be an array of page ids or URL paths",
        ));
        return None;
    };
    if items.is_empty() || items.len() > MAX_CHECK_PAGES {
        f.violations.push(FieldViolation::new(
            "pages",
            "SIZE",
            format!("`pages` must hold 1 to {MAX_CHECK_PAGES} items, got {}", items.len()),
        ));
        return None;
    }
    let mut refs = Vec::with_capacity(items.len());
    for (i, item) in items.iter().enumerate() {
        let at = format!("pages[{i}]");
        let parsed = match item.as_str() {
            Some(raw) => page_ref(&at, raw),
            None => Err(FieldViolation::new(
                at.clone(),
                "TYPE",
                format!("`{at}` must be a string: a URL path or a page id"),
            )),
        };
        if let Some(page) = f.check(parsed) {
            refs.push(page);
        }
    }
    Some(refs)
}

/// Badge ids as a JSON array of strings, written without collecting them.
struct Ids<'a>(&'a [BadgeId]);

impl Serialize for Ids<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut seq = serializer.serialize_seq(Some(self.0.len()))?;
        for id in self.0 {
            seq.serialize_element(&DisplayStr(id))?;
        }
        seq.end()
    }
}

struct DisplayStr<T>(T);

impl<T: std::fmt::Display> Serialize for DisplayStr<T> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(&self.0)
    }
}

#[derive(Serialize)]
struct CheckReply<'a> {
    results: Vec<ResultJson<'a>>,
}

/// One result: the page as asked, the normalised path, the answer, its
/// reason, the badges that let the member in, every badge that would, the
/// member's badges on the page whose permissions are off, and the
/// protected page that decided (absent when none covers the path).
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ResultJson<'a> {
    page: &'a str,
    path: &'a str,
    allowed: bool,
    reason: &'static str,
    granted_by: Ids<'a>,
    would_grant: Ids<'a>,
    held_without_permissions: Ids<'a>,
    #[serde(skip_serializing_if = "Option::is_none")]
    protected_by: Option<ProtectedBy<'a>>,
}

#[derive(Serialize)]
struct ProtectedBy<'a> {
    id: DisplayStr<PageId>,
    path: &'a str,
}

impl<'a> ResultJson<'a> {
    fn new(asked: &'a str, result: &'a CheckResult) -> Self {
        Self {
            page: asked,
            path: result.path.as_str(),
            allowed: result.allowed,
            reason: result.reason.as_str(),
            granted_by: Ids(&result.granted_by),
            would_grant: Ids(&result.would_grant),
            held_without_permissions: Ids(&result.held_without_permissions),
            protected_by: result.protected_by.as_ref().map(|(id, path)| ProtectedBy {
                id: DisplayStr(*id),
                path: path.as_str(),
            }),
        }
    }
}

/// The protected pages a member may open (`?paging.limit=&paging.offset=`, in path order).
pub async fn member_pages(
    State(state): State<AppState>,
    caller: Caller,
    Path(member): Path<String>,
    RawQuery(raw): RawQuery,
) -> Result<Json<Value>, ApiError> {
    let member = MemberId::parse("memberId", &member)?;
    // A member may read their own pages with their own token.
    if caller.member() != Some(member) {
        caller.require(Scope::ReadBadges)?;
    }
    let (limit, offset) = QueryParams::parse(raw.as_deref()).paging()?;
    let (pages, total) = state
        .services
        .access()
        .member_pages(caller.site, member, limit as usize, offset as usize)
        .await?;
    Ok(Json(json!({
        "memberId": member.to_string(),
        "pages": pages.iter().map(page_json).collect::<Vec<_>>(),
        "pagingMetadata": offset_metadata(pages.len(), offset, Some(total as u64)),
    })))
}
