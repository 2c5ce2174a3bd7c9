//! Signing in (with an API key, or a one-time link from
//! `insignia admin login-link`) and out.

use axum::extract::{Query, State};
use axum::http::header::{self, HeaderMap};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::Router;
use maud::{html, Markup};
use serde::Deserialize;

use super::error::WebError;
use super::form::FormBody;
use super::layout::{bare_page, csrf_input, notice};
use super::session::{self, check_csrf, cookie, over_tls, sessions, set_cookie, SessionForm, SIGNIN_COOKIE};
use crate::api::AppState;
use crate::domain::SecretToken;
use crate::service::admin_sessions::AdminSession;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/admin/signin", get(signin_page).post(signin_with_key))
        .route("/admin/login", get(link_page).post(signin_with_link))
        .route("/admin/signout", post(signout))
}

/// How long the pre-sign-in cookie lives: long enough to paste a key.
const SIGNIN_COOKIE_SECS: i64 = 60 * 60;

/// The browser's sign-in secret, and the `Set-Cookie` to send when it is new.
fn signin_secret(headers: &HeaderMap) -> (String, Option<axum::http::HeaderValue>) {
    match cookie(headers, SIGNIN_COOKIE) {
        Some(secret) => (secret, None),
        None => {
            let secret = SecretToken::generate("").secret;
            let set = set_cookie(SIGNIN_COOKIE, &secret, SIGNIN_COOKIE_SECS, over_tls(headers));
            (secret, Some(set))
        }
    }
}

fn with_cookie(status: StatusCode, set: Option<axum::http::HeaderValue>, page: Markup) -> Response {
    let mut response = (status, page).into_response();
    if let Some(set) = set {
        response.headers_mut().append(header::SET_COOKIE, set);
    }
    response
}

#[derive(Deserialize)]
struct SigninParams {
    signed_out: Option<String>,
}

async fn signin_page(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(params): Query<SigninParams>,
) -> Result<Response, WebError> {
    if let Some(token) = cookie(&headers, session::SESSION_COOKIE) {
        let found = sessions(&state).find(&token).await?;
        if found.is_some() {
            return Ok(Redirect::to("/admin/badges").into_response());
        }
    }
    let (secret, set) = signin_secret(&headers);
    let message = params.signed_out.map(|_| "You are signed out.");
    Ok(with_cookie(StatusCode::OK, set, signin_form(&secret, message, None)))
}

fn signin_form(secret: &str, message: Option<&str>, error: Option<&str>) -> Markup {
    let body = html! {
        h1 { "Sign in" }
        (notice(message))
        form.card method="post" action="/admin/signin" {
            (csrf_input(secret))
            div.field.invalid[error.is_some()] {
                label for="field-key" { "API key" }
                p.hint id="field-key-hint" {
                    "A key with the manage scope can change everything; a read-only key gives a read-only page. "
                    "Create one with " code { "insignia keys create" } "."
                }
                input type="password" id="field-key" name="key" autocomplete="off" required
                    aria-describedby={ "field-key-hint" @if error.is_some() { " field-key-error" } }
                    aria-invalid=[error.map(|_| "true")];
                @if let Some(error) = error { p.error id="field-key-error" { (error) } }
            }
            button.primary type="submit" { "Sign in" }
        }
        p {
            "No key at hand? On the server, run "
            code { "insignia admin login-link --site SITE_ID" }
            " for a one-time link."
        }
    };
    bare_page("Sign in", body)
}

/// A signed-in browser goes to the badges; the sign-in cookie has done its job.
fn signed_in(session: &AdminSession, headers: &HeaderMap) -> Response {
    let mut response = Redirect::to("/admin/badges").into_response();
    let cookies = response.headers_mut();
    cookies.append(header::SET_COOKIE, session::session_cookie(session, headers));
    cookies.append(header::SET_COOKIE, set_cookie(SIGNIN_COOKIE, "", 0, over_tls(headers)));
    response
}

/// The sign-in secret of a form that must carry its CSRF token.
fn checked_signin_secret(headers: &HeaderMap, form: &FormBody) -> Result<String, WebError> {
    let secret = cookie(headers, SIGNIN_COOKIE).ok_or(WebError::Csrf)?;
    check_csrf(headers, form, &secret)?;
    Ok(secret)
}

/// Signed in, or 401 with the form again.
fn sign_in_answer(session: Option<AdminSession>, headers: &HeaderMap, refused: impl FnOnce() -> Markup) -> Response {
    match session {
        Some(session) => signed_in(&session, headers),
        None => (StatusCode::UNAUTHORIZED, refused()).into_response(),
    }
}

async fn signin_with_key(
    State(state): State<AppState>,
    headers: HeaderMap,
    form: FormBody,
) -> Result<Response, WebError> {
    let secret = checked_signin_secret(&headers, &form)?;
    let session = sessions(&state).sign_in_with_key(form.text("key")).await?;
    Ok(sign_in_answer(session, &headers, || {
        signin_form(
            &secret,
            None,
            Some("This key is unknown, revoked, or has no badge scope."),
        )
    }))
}

#[derive(Deserialize)]
struct LinkParams {
    token: Option<String>,
}

/// Opening the link only shows a button: a link preview or scanner that
/// fetches the URL does not use the link up.
async fn link_page(headers: HeaderMap, Query(params): Query<LinkParams>) -> Response {
    let (secret, set) = signin_secret(&headers);
    let token = params.token.unwrap_or_default();
    with_cookie(StatusCode::OK, set, link_form(&secret, &token, None))
}

fn link_form(secret: &str, token: &str, error: Option<&str>) -> Markup {
    let body = html! {
        h1 { "Sign in with a one-time link" }
        @if let Some(error) = error {
            p.error role="alert" { (error) }
            p { a href="/admin/signin" { "Sign in with an API key" } }
        } @else {
            form.card method="post" action="/admin/login" {
                (csrf_input(secret))
                input type="hidden" name="token" value=(token);
                p { "This link signs this browser in to the site's admin page. It works once." }
                button.primary type="submit" { "Continue" }
            }
        }
    };
    bare_page("Sign in", body)
}

async fn signin_with_link(
    State(state): State<AppState>,
    headers: HeaderMap,
    form: FormBody,
) -> Result<Response, WebError> {
    let secret = checked_signin_secret(&headers, &form)?;
    let session = sessions(&state).redeem_login_link(form.text("token")).await?;
    Ok(sign_in_answer(session, &headers, || {
        link_form(
            &secret,
            "",
            Some("This link is unknown, has expired, or was used already. Run `insignia admin login-link` for a new one."),
        )
    }))
}

async fn signout(State(state): State<AppState>, headers: HeaderMap, form: SessionForm) -> Result<Response, WebError> {
    sessions(&state).sign_out(&form.session).await?;
    let mut response = Redirect::to("/admin/signin?signed_out=1").into_response();
    response.headers_mut().append(
        header::SET_COOKIE,
        set_cookie(session::SESSION_COOKIE, "", 0, over_tls(&headers)),
    );
    Ok(response)
}
