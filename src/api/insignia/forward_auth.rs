//! `GET /insignia/v1/forward-auth`: the gate a reverse proxy asks before
//! serving a page (nginx `auth_request`, Caddy `forward_auth`, Traefik
//! ForwardAuth).
//!
//! The member token comes from `Authorization` (raw or `Bearer`) or from a
//! cookie (`insignia_token` unless configured otherwise); the page from
//! `X-Forwarded-Uri` (Caddy, Traefik) or `X-Original-URI` (nginx), its query
//! dropped. Answers:
//! - 200 with `X-Insignia-Member-Id` when the member may open the page
//!   (a visitor token gets 200 without it for a page nothing protects);
//! - 401 without a valid token, or for a visitor at a protected page;
//! - 403 when the member holds no badge that grants the page.
//!
//! Decided by the access check's in-memory path: the token is checked by
//! its signature and the page against the cached rules and badge sets, so a
//! warm gate reads no database.

use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};

use crate::api::error::ApiError;
use crate::api::AppState;
use crate::domain::PagePath;
use crate::service::access::PageRef;
use crate::service::tokens::Subject;

pub const MEMBER_HEADER: &str = "x-insignia-member-id";

fn header<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::trim)
        .filter(|v| !v.is_empty())
}

/// The token from `Authorization`, else from the cookie `cookie_name`.
fn token<'a>(headers: &'a HeaderMap, cookie_name: &str) -> Option<&'a str> {
    if let Some(raw) = header(headers, "authorization") {
        return Some(match raw.split_once(' ') {
            Some((scheme, rest)) if scheme.eq_ignore_ascii_case("bearer") => rest.trim(),
            _ => raw,
        });
    }
    headers
        .get_all("cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, _)| *name == cookie_name)
        .map(|(_, value)| value.trim().trim_matches('"'))
}

pub async fn gate(State(state): State<AppState>, request: Request) -> Result<Response, ApiError> {
    // Taken, not copied: the gate runs on every page view.
    let (parts, _) = request.into_parts();
    let headers = &parts.headers;
    let uri = header(headers, "x-forwarded-uri")
        .or_else(|| header(headers, "x-original-uri"))
        .ok_or_else(|| ApiError::bad_request("MISSING_URI", "X-Forwarded-Uri or X-Original-URI is required"))?;
    let path = uri.split(['?', '#']).next().unwrap_or(uri);
    let path = PagePath::parse("X-Forwarded-Uri", path)?;
    let services = &state.services;
    let token = token(headers, services.forward_auth_cookie())
        .ok_or_else(|| ApiError::unauthenticated("no member token in Authorization or the cookie"))?;
    let claims = services.auth().authenticate_token(token)?;
    let access = services.access();
    match claims.subject {
        Subject::Member(member) => {
            let decided = access.check(claims.site, member, &[PageRef::Path(path)]).await?;
            if decided.first().is_some_and(|r| r.allowed) {
                let mut response = StatusCode::OK.into_response();
                if let Ok(value) = HeaderValue::from_str(&member.to_string()) {
                    response.headers_mut().insert(MEMBER_HEADER, value);
                }
                Ok(response)
            } else {
                Err(ApiError::forbidden("this member holds no badge that opens this page"))
            }
        }
        Subject::Visitor(_) => {
            if access.open_to_anyone(claims.site, &path).await? {
                Ok(StatusCode::OK.into_response())
            } else {
                Err(ApiError::unauthenticated("this page is for members: sign in first"))
            }
        }
    }
}
