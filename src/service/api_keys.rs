//! A site's API keys: create (the secret is shown once), list, revoke.

use crate::domain::{generate_api_key, Scope, SiteId, Timestamp};
use crate::store::{ApiKeyRecord, Store};

use super::auth::Authenticator;
use super::{ServiceError, ServiceResult};

pub struct ApiKeys<'a> {
    store: &'a dyn Store,
    /// This instance's key checker, told of revocations at once.
    auth: Option<&'a Authenticator>,
}

impl<'a> ApiKeys<'a> {
    pub fn new(store: &'a dyn Store) -> Self {
        Self { store, auth: None }
    }

    /// Revocations also reach `auth`'s cache of known keys at once.
    pub fn with_auth(mut self, auth: &'a Authenticator) -> Self {
        self.auth = Some(auth);
        self
    }

    /// The stored key and its secret, which is never available again.
    pub async fn create(&self, site: SiteId, scopes: &[Scope]) -> ServiceResult<(ApiKeyRecord, String)> {
        let key = generate_api_key();
        let record = ApiKeyRecord {
            id: key.id,
            key_hash: key.hash,
            site_id: site,
            scopes: scopes.iter().map(|s| s.as_str().to_owned()).collect(),
            created_at: Timestamp::now(),
            revoked_at: None,
        };
        self.store.insert_api_key(&record).await.map_err(ServiceError::Store)?;
        Ok((record, key.secret))
    }

    /// Every key of the site, oldest first, revoked ones included.
    pub async fn list(&self, site: SiteId) -> ServiceResult<Vec<ApiKeyRecord>> {
        self.store.list_api_keys(Some(site)).await.map_err(ServiceError::Store)
    }

    /// Revokes one of the site's active keys; another site's key is not found.
    pub async fn revoke(&self, site: SiteId, id: &str) -> ServiceResult<()> {
        let not_found = || ServiceError::NotFound {
            entity: "API key",
            id: id.to_owned(),
        };
        // A key never changes site, so checking first cannot race with the revocation.
        let keys = self.list(site).await?;
        if !keys.iter().any(|k| k.id == id && k.revoked_at.is_none()) {
            return Err(not_found());
        }
        if self.store.revoke_api_key(id).await.map_err(ServiceError::Store)? {
            if let Some(auth) = self.auth {
                auth.forget_key(id);
            }
            Ok(())
        } else {
            Err(not_found())
        }
    }
}
