//! Who is calling: turns the secret a request presents into a [`Caller`].
//! Handlers never see how keys are stored; other kinds of credentials
//! belong in [`Authenticator`], behind the same call.
//!
//! Known keys are kept in memory, by the hash of the key, for a few seconds
//! ([`DEFAULT_KEY_CACHE_TTL`]), so a busy client costs one key lookup per
//! period instead of one per request. A key revoked through this instance
//! (the admin page) stops working here at once; revoked anywhere else (the
//! `insignia keys revoke` command, another instance) it stops working
//! everywhere within that period. Unknown keys are never kept, so a new key
//! works at once.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use lru::LruCache;

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

/// How long a known key is trusted without asking the store again.
pub const DEFAULT_KEY_CACHE_TTL: Duration = Duration::from_secs(5);

/// Most keys kept in memory (least recently used ones go first).
const KEY_CACHE_ENTRIES: usize = 10_000;

/// Checks API keys against the store, through a short-lived cache.
pub struct Authenticator {
    store: Arc<dyn Store>,
    /// SHA-256 of the key -> the caller it stood for, and when that was read.
    known: Mutex<LruCache<Vec<u8>, (Caller, Instant)>>,
    ttl: Duration,
}

impl Authenticator {
    pub fn new(store: Arc<dyn Store>, ttl: Duration) -> Self {
        let capacity = std::num::NonZeroUsize::new(KEY_CACHE_ENTRIES).unwrap_or(std::num::NonZeroUsize::MIN);
        Self {
            store,
            known: Mutex::new(LruCache::new(capacity)),
            ttl,
        }
    }

    fn known(&self) -> std::sync::MutexGuard<'_, LruCache<Vec<u8>, (Caller, Instant)>> {
        self.known.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// The caller `secret` stands for.
    pub async fn authenticate(&self, secret: &str) -> Result<Caller, AuthError> {
        if !is_well_formed_api_key(secret) {
            return Err(AuthError::Malformed);
        }
        let hash = hash_api_key(secret);
        if let Some((caller, read_at)) = self.known().get(&hash) {
            if read_at.elapsed() < self.ttl {
                return Ok(caller.clone());
            }
        }
        let read_at = Instant::now();
        let key = self
            .store
            .find_api_key(&hash)
            .await
            .map_err(AuthError::Store)?
            .filter(|k| k.revoked_at.is_none());
        let Some(key) = key else {
            self.known().pop(&hash);
            return Err(AuthError::Unknown);
        };
        let caller = Caller {
            site: key.site_id,
            scopes: key.scopes.iter().filter_map(|s| Scope::parse(s)).collect(),
            key_id: key.id,
        };
        if !self.ttl.is_zero() {
            self.known().put(hash, (caller.clone(), read_at));
        }
        Ok(caller)
    }

    /// Stops trusting the key `key_id` at once (it was just revoked here).
    pub fn forget_key(&self, key_id: &str) {
        let mut known = self.known();
        let doomed: Vec<Vec<u8>> = known
            .iter()
            .filter(|(_, (caller, _))| caller.key_id == key_id)
            .map(|(hash, _)| hash.clone())
            .collect();
        for hash in doomed {
            known.pop(&hash);
        }
    }
}
