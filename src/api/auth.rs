//! Who is calling: the API key or front-end access token in
//! `Authorization` and the site in `wix-site-id`, read from the request and
//! checked by the auth service.

use axum::extract::FromRequestParts;
use axum::http::request::Parts;

use super::error::ApiError;
use super::AppState;
use crate::domain::SiteId;
pub use crate::service::auth::Caller;

impl FromRequestParts<AppState> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let header = |name: &str| parts.headers.get(name).and_then(|v| v.to_str().ok()).map(str::trim);
        let raw = header("authorization")
            .filter(|v| !v.is_empty())
            .ok_or_else(|| ApiError::unauthenticated("missing Authorization header"))?;
        // The SDK sends the raw key; `Bearer <key>` is accepted too.
        let secret = match raw.split_once(' ') {
            Some((scheme, rest)) if scheme.eq_ignore_ascii_case("bearer") => rest.trim(),
            _ => raw,
        };
        let caller = state.services.auth().authenticate_any(secret).await?;
        state.edge.rates.check(caller.site)?;
        // Without `wix-site-id` the key's (or the token's) own site is used.
        if let Some(site) = header("wix-site-id").filter(|v| !v.is_empty()) {
            caller.check_site(SiteId::parse("wix-site-id", site)?)?;
        }
        Ok(caller)
    }
}
