//! `POST /oauth2/token`: the token endpoint the SDK's `OAuthStrategy` calls
//! (spec B2.1, B5.2), and signing out of a front-end session.
//!
//! Bodies come as JSON or form-encoded, with camelCase or snake_case names
//! (`grantType`/`grant_type`, `clientId`/`client_id`, …). Answers are
//! `{"access_token", "refresh_token", "expires_in", "token_type": "Bearer"}`;
//! a refused grant is 400 in the Wix error shape (`INVALID_GRANT`,
//! `INVALID_CLIENT`, `INVALID_ARGUMENT`), bad credentials of an
//! `authorized_client` grant 401, a key of another site or without the
//! manage scope 403.

use std::collections::HashMap;

use axum::extract::State;
use axum::http::{HeaderMap, Method};
use axum::Json;
use serde_json::{json, Value};

use super::auth::Caller;
use super::error::ApiError;
use super::json::{json_object, RawBody};
use super::routes::{Access, Routes};
use super::AppState;
use crate::domain::MemberId;
use crate::service::frontend::TokenGrant;

pub fn routes() -> Routes {
    Routes::new()
        .add(Method::POST, "/oauth2/token", Access::ClientId, token)
        .add(
            Method::POST,
            "/insignia/v1/sessions/sign-out",
            Access::FrontEndToken,
            sign_out,
        )
}

/// The body's fields as text, whatever the encoding.
fn read_fields(headers: &HeaderMap, bytes: &[u8]) -> Result<HashMap<String, String>, ApiError> {
    let form = headers
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.to_ascii_lowercase().starts_with("application/x-www-form-urlencoded"));
    if form {
        return Ok(form_urlencoded::parse(bytes).into_owned().collect());
    }
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Ok(HashMap::new());
    }
    Ok(json_object(bytes)?
        .into_iter()
        .filter_map(|(name, value)| match value {
            Value::String(s) => Some((name, s)),
            _ => None,
        })
        .collect())
}

/// A field by either spelling.
fn field<'a>(fields: &'a HashMap<String, String>, camel: &str, snake: &str) -> Option<&'a str> {
    fields
        .get(camel)
        .or_else(|| fields.get(snake))
        .map(|s| s.trim())
        .filter(|s| !s.is_empty())
}

fn missing(name: &str) -> ApiError {
    ApiError::bad_request("INVALID_ARGUMENT", format!("`{name}` is required"))
}

async fn token(
    State(state): State<AppState>,
    headers: HeaderMap,
    RawBody(bytes): RawBody,
) -> Result<Json<Value>, ApiError> {
    let fields = read_fields(&headers, &bytes)?;
    let front_end = state.services.front_end();
    let grant = match field(&fields, "grantType", "grant_type").ok_or_else(|| missing("grantType"))? {
        "anonymous" => {
            let client = field(&fields, "clientId", "client_id").ok_or_else(|| missing("clientId"))?;
            front_end.anonymous(client).await?
        }
        "refresh_token" => {
            let refresh = field(&fields, "refreshToken", "refresh_token").ok_or_else(|| missing("refreshToken"))?;
            front_end
                .refresh(field(&fields, "clientId", "client_id"), refresh)
                .await?
        }
        "authorized_client" => {
            // The SDK sends `Authorization: <visitor access token>,<API key>`.
            let authorization = headers.get("authorization").and_then(|v| v.to_str().ok()).unwrap_or("");
            let (front_token, api_key) = authorization
                .split_once(',')
                .map(|(a, b)| (a.trim(), b.trim()))
                .filter(|(a, b)| !a.is_empty() && !b.is_empty())
                .ok_or_else(|| {
                    ApiError::unauthenticated("authorized_client needs `Authorization: <access token>,<API key>`")
                })?;
            let member = field(&fields, "memberId", "member_id").ok_or_else(|| missing("member_id"))?;
            let member = MemberId::parse("member_id", member)?;
            front_end.authorized_client(front_token, api_key, member).await?
        }
        other => {
            return Err(ApiError::bad_request(
                "INVALID_GRANT",
                format!("unsupported grant type {other:?}: use anonymous, refresh_token or authorized_client"),
            ))
        }
    };
    Ok(Json(grant_json(&grant)))
}

fn grant_json(grant: &TokenGrant) -> Value {
    json!({
        "access_token": grant.access_token,
        "refresh_token": grant.refresh_token,
        "expires_in": grant.expires_in,
        "token_type": "Bearer",
    })
}

/// `POST /insignia/v1/sessions/sign-out` with a visitor or member token
/// (`{"allSessions": true}` to end every session of the member) →
/// `{"revokedSessions": n}`. Its refresh token stops working at once; its
/// access tokens at once on this instance, elsewhere when they expire.
async fn sign_out(
    State(state): State<AppState>,
    caller: Caller,
    RawBody(bytes): RawBody,
) -> Result<Json<Value>, ApiError> {
    if !caller.is_front_end() {
        return Err(ApiError::forbidden(
            "sign-out takes a visitor or member token; a site's backend uses /insignia/v1/members/{memberId}/sessions/revoke",
        ));
    }
    let everywhere = if bytes.iter().all(u8::is_ascii_whitespace) {
        false
    } else {
        let body = json_object(&bytes)?;
        let mut f = super::json::Fields::new(&body, "");
        let everywhere = f.bool("allSessions").unwrap_or(false);
        f.finish()?;
        everywhere
    };
    let count = state
        .services
        .front_end()
        .sign_out(&caller, everywhere)
        .await
        .map_err(|e| ApiError::internal().with_cause(e))?;
    Ok(Json(json!({ "revokedSessions": count })))
}
