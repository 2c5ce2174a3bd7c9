//! Who is calling: turns the secret a request presents into a [`Caller`].
//! Handlers never see how keys are stored; a key cache or other kinds of
//! credentials belong in [`Authenticator`], behind the same call.

use std::sync::Arc;

use crate::domain::{hash_api_key, is_well_formed_api_key, Scope, SiteId};
use crate::store::{Store, StoreError};

/// An authenticated caller, acting for exactly one site.
#[derive(Debug, Clone)]
pub struct Caller {
    pub site: SiteId,
    pub scopes: Vec<Scope>,
    /// The id of the API key presented (as `keys list` shows it).
    pub key_id: String,
}

impl Caller {
    /// Refused unless one of the caller's scopes covers `needed`.
    pub fn require(&self, needed: Scope) -> Result<(), AuthError> {
        if self.scopes.iter().any(|s| s.covers(needed)) {
            Ok(())
        } else {
            Err(AuthError::MissingScope(needed))
        }
    }

    /// A key belongs to one site: a request naming another site is refused.
    pub fn check_site(&self, site: SiteId) -> Result<(), AuthError> {
        if site == self.site {
            Ok(())
        } else {
            Err(AuthError::WrongSite)
        }
    }
}

/// Why a request may not go ahead. Each variant maps to one Wix error in `api::error`.
#[derive(Debug, thiserror::Error)]
pub enum AuthError {
    /// Text that no key of this service could have; refused without a lookup.
    #[error("malformed API key")]
    Malformed,
    #[error("unknown or revoked API key")]
    Unknown,
    #[error("this API key does not belong to the site in wix-site-id")]
    WrongSite,
    #[error("this API key lacks the scope {}", .0.as_str())]
    MissingScope(Scope),
    #[error("API key lookup failed")]
    Store(#[source] StoreError),
}

/// Checks API keys against the store.
pub struct Authenticator {
    store: Arc<dyn Store>,
}

impl Authenticator {
    pub fn new(store: Arc<dyn Store>) -> Self {
        Self { store }
    }

    /// The caller `secret` stands for.
    pub async fn authenticate(&self, secret: &str) -> Result<Caller, AuthError> {
        if !is_well_formed_api_key(secret) {
            return Err(AuthError::Malformed);
        }
        let key = self
            .store
            .find_api_key(&hash_api_key(secret))
            .await
            .map_err(AuthError::Store)?
            .filter(|k| k.revoked_at.is_none())
            .ok_or(AuthError::Unknown)?;
        Ok(Caller {
            site: key.site_id,
            scopes: key.scopes.iter().filter_map(|s| Scope::parse(s)).collect(),
            key_id: key.id,
        })
    }
}
