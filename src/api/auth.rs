//! Who is calling: the API key in `Authorization` and the site in `wix-site-id`.

use axum::extract::FromRequestParts;
use axum::http::request::Parts;

use super::error::ApiError;
use super::AppState;
use crate::domain::{hash_api_key, Scope, SiteId};

/// An authenticated caller, acting for exactly one site.
#[derive(Debug, Clone)]
pub struct Caller {
    pub site: SiteId,
    pub scopes: Vec<Scope>,
}

impl Caller {
    /// 403 unless one of the key's scopes covers `needed`.
    pub fn require(&self, needed: Scope) -> Result<(), ApiError> {
        if self.scopes.iter().any(|s| s.covers(needed)) {
            Ok(())
        } else {
            Err(ApiError::forbidden(format!(
                "this API key lacks the scope {}",
                needed.as_str()
            )))
        }
    }
}

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
        let key = state
            .store
            .find_api_key(&hash_api_key(secret))
            .await
            .map_err(|e| {
                tracing::error!(error = %e, "API key lookup failed");
                ApiError::internal()
            })?
            .filter(|k| k.revoked_at.is_none())
            .ok_or_else(|| ApiError::unauthenticated("unknown or revoked API key"))?;
        if let Some(site) = header("wix-site-id").filter(|v| !v.is_empty()) {
            let site = SiteId::parse("wix-site-id", site)?;
            if site != key.site_id {
                return Err(ApiError::forbidden(
                    "this API key does not belong to the site in wix-site-id",
                ));
            }
        }
        Ok(Caller {
            site: key.site_id,
            scopes: key.scopes.iter().filter_map(|s| Scope::parse(s)).collect(),
        })
    }
}
