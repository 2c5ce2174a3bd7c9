//! CORS for browsers running a site's front end (the SDK's `OAuthStrategy`).
//!
//! An origin is allowed when an active OAuth client lists it. A preflight
//! carries no token, so it is answered for any listed origin; the call
//! itself, made with a front-end token, is readable only from an origin its
//! own client lists, and the token decides what the call may do. No credentials (cookies) are ever allowed:
//! the SDK sends none, and the admin pages' cookies must stay same-origin.

use axum::extract::{Request, State};
use axum::http::header::{
    ACCESS_CONTROL_ALLOW_HEADERS, ACCESS_CONTROL_ALLOW_METHODS, ACCESS_CONTROL_ALLOW_ORIGIN,
    ACCESS_CONTROL_EXPOSE_HEADERS, ACCESS_CONTROL_MAX_AGE, ACCESS_CONTROL_REQUEST_METHOD, AUTHORIZATION, ORIGIN, VARY,
};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::AppState;

/// Exactly the headers the SDK sends (spec B2, B5.2). `*` would not cover
/// `Authorization`, so they are listed.
const ALLOW_HEADERS: &str =
    "authorization, content-type, x-wix-bi-gateway, client-binding, wix-site-id, wix-account-id";
const ALLOW_METHODS: &str = "GET, POST, PATCH, PUT, DELETE";
const EXPOSE_HEADERS: &str = "x-wix-request-id, x-wix-consistent";
/// How long a browser may reuse a preflight's answer, in seconds.
const MAX_AGE: &str = "600";

pub async fn cors(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let Some(origin) = req.headers().get(ORIGIN).cloned() else {
        return next.run(req).await;
    };
    if req.uri().path().starts_with("/admin") {
        return next.run(req).await;
    }
    let preflight = req.method() == Method::OPTIONS && req.headers().contains_key(ACCESS_CONTROL_REQUEST_METHOD);
    // A call made with a front-end token is readable only from its own client's origins.
    let client = match preflight {
        true => None,
        false => req
            .headers()
            .get(AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|token| state.services.front_end().token_client(token)),
    };
    let allowed = match origin.to_str() {
        Ok(o) => match state.services.front_end().allowed_origins().await {
            Ok(origins) => origins.allow(&o.to_ascii_lowercase(), client.as_deref()),
            Err(e) => {
                tracing::warn!(error = %e, "could not read the OAuth clients' origins");
                false
            }
        },
        Err(_) => false,
    };
    if preflight {
        let mut response = StatusCode::NO_CONTENT.into_response();
        let headers = response.headers_mut();
        headers.insert(VARY, HeaderValue::from_static("origin"));
        if allowed {
            allow(headers, origin);
            headers.insert(ACCESS_CONTROL_ALLOW_METHODS, HeaderValue::from_static(ALLOW_METHODS));
            headers.insert(ACCESS_CONTROL_ALLOW_HEADERS, HeaderValue::from_static(ALLOW_HEADERS));
            headers.insert(ACCESS_CONTROL_MAX_AGE, HeaderValue::from_static(MAX_AGE));
        }
        return response;
    }
    let mut response = next.run(req).await;
    let headers = response.headers_mut();
    headers.append(VARY, HeaderValue::from_static("origin"));
    if allowed {
        allow(headers, origin);
    }
    response
}

fn allow(headers: &mut HeaderMap, origin: HeaderValue) {
    headers.insert(ACCESS_CONTROL_ALLOW_ORIGIN, origin);
    headers.insert(ACCESS_CONTROL_EXPOSE_HEADERS, HeaderValue::from_static(EXPOSE_HEADERS));
}
