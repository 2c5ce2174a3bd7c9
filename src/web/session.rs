//! Admin sessions in the browser: the cookie, and the extractors handlers
//! use to require a session, a CSRF-checked form, and the manage scope.
//!
//! The session cookie is HttpOnly (scripts cannot read it), SameSite=Strict
//! (other sites' pages cannot send it), scoped to `/admin`, and lives as long
//! as the session. It is `Secure` when the request came over HTTPS: Insignia
//! serves plain HTTP itself, so a TLS-terminating proxy in front says so with
//! `X-Forwarded-Proto: https` (or `Forwarded: proto=https`). A client that
//! sends that header over plain HTTP only gets a cookie its browser will not
//! send back over HTTP, so trusting it harms nobody else.

use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::header::{self, HeaderMap, HeaderValue};
use axum::http::request::Parts;

use super::csrf;
use super::error::WebError;
use super::form::FormBody;
use crate::api::AppState;
use crate::domain::Timestamp;
use crate::service::admin_sessions::{AdminSession, AdminSessions};

pub const SESSION_COOKIE: &str = "insignia_admin";
/// Holds a random secret before sign-in, so the sign-in forms carry a CSRF token too.
pub const SIGNIN_COOKIE: &str = "insignia_admin_signin";

/// The value of cookie `name`, from any `Cookie` header.
pub fn cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.trim().to_owned())
        .filter(|v| !v.is_empty())
}

/// Did the browser reach us over HTTPS (through a proxy that says so)?
pub fn over_tls(headers: &HeaderMap) -> bool {
    let forwarded_proto = headers
        .get("x-forwarded-proto")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(',').next())
        .is_some_and(|v| v.trim().eq_ignore_ascii_case("https"));
    let forwarded = headers
        .get(header::FORWARDED)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(',').next())
        .is_some_and(|v| {
            v.split(';')
                .filter_map(|kv| kv.trim().split_once('='))
                .any(|(k, v)| k.eq_ignore_ascii_case("proto") && v.trim_matches('"').eq_ignore_ascii_case("https"))
        });
    forwarded_proto || forwarded
}

/// A `Set-Cookie` value; `max_age` 0 removes the cookie.
pub fn set_cookie(name: &str, value: &str, max_age_secs: i64, secure: bool) -> HeaderValue {
    let secure = if secure { "; Secure" } else { "" };
    let text = format!(
        "{name}={value}; Path=/admin; HttpOnly; SameSite=Strict; Max-Age={}{secure}",
        max_age_secs.max(0)
    );
    // Names and values are ours: ASCII letters, digits, `-` and `_`.
    HeaderValue::from_str(&text).unwrap_or_else(|_| HeaderValue::from_static("invalid=; Max-Age=0"))
}

/// The cookie that carries a new session.
pub fn session_cookie(session: &AdminSession, headers: &HeaderMap) -> HeaderValue {
    let seconds = (session.expires_at.millis() - Timestamp::now().millis()) / 1000;
    set_cookie(SESSION_COOKIE, &session.token, seconds, over_tls(headers))
}

/// The sign-in use cases, with this server's session lifetime.
pub fn sessions(state: &AppState) -> AdminSessions<'_> {
    state.services.admin_sessions()
}

/// The request's live session, if any.
async fn find_session(headers: &HeaderMap, state: &AppState) -> Result<Option<AdminSession>, WebError> {
    let Some(token) = cookie(headers, SESSION_COOKIE) else {
        return Ok(None);
    };
    Ok(sessions(state).find(&token).await?)
}

/// A signed-in user; pages without one redirect to the sign-in page.
pub struct SignedIn(pub AdminSession);

impl FromRequestParts<AppState> for SignedIn {
    type Rejection = WebError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        find_session(&parts.headers, state)
            .await?
            .map(SignedIn)
            .ok_or(WebError::SignInNeeded)
    }
}

/// Is the CSRF token in the form (or the script header) the one of `cookie_secret`?
pub fn check_csrf(headers: &HeaderMap, form: &FormBody, cookie_secret: &str) -> Result<(), WebError> {
    let sent = form
        .get(csrf::FIELD)
        .map(str::to_owned)
        .or_else(|| {
            headers
                .get(csrf::HEADER)
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned)
        })
        .unwrap_or_default();
    if csrf::verify(cookie_secret, &sent) {
        Ok(())
    } else {
        Err(WebError::Csrf)
    }
}

/// A form sent by a signed-in user, with that session's CSRF token.
pub struct SessionForm {
    pub session: AdminSession,
    pub form: FormBody,
}

impl FromRequest<AppState> for SessionForm {
    type Rejection = WebError;

    async fn from_request(req: Request, state: &AppState) -> Result<Self, Self::Rejection> {
        let headers = req.headers().clone();
        let session = find_session(&headers, state).await?.ok_or(WebError::SignInNeeded)?;
        let form = FormBody::from_request(req, state).await?;
        check_csrf(&headers, &form, &session.token)?;
        Ok(Self { session, form })
    }
}

/// A form that changes something: a [`SessionForm`] whose session may manage.
/// Every handler that changes data takes this, so a read-only session is
/// refused before any of them runs.
pub struct ManageForm {
    pub session: AdminSession,
    pub form: FormBody,
}

impl FromRequest<AppState> for ManageForm {
    type Rejection = WebError;

    async fn from_request(req: Request, state: &AppState) -> Result<Self, Self::Rejection> {
        let SessionForm { session, form } = SessionForm::from_request(req, state).await?;
        if !session.can_manage() {
            return Err(WebError::ReadOnly);
        }
        Ok(Self { session, form })
    }
}
