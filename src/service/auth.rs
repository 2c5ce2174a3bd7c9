//! Who is calling: turns the secret a request presents into a [`Caller`].
//! Handlers never see how keys are stored; other kinds of credentials
//! belong in [`Authenticator`], behind the same call.
//!
//! Two kinds of callers: a site's backend with an API key, and a browser
//! with a front-end access token (a visitor or a member, see `tokens`). An
//! access token is checked by its signature alone, with no database read;
//! a session revoked through this instance stops at once here, and
//! everywhere else when its access token expires (`access_token_ttl`).
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
use uuid::Uuid;

use super::tokens::{now_seconds, AccessClaims, Subject, TokenError, TokenSigner, ACCESS_TOKEN_PREFIX};
use crate::cache::Caches;
use crate::domain::{hash_api_key, is_well_formed_api_key, MemberId, Scope, SiteId};
use crate::store::{Store, StoreError};

/// Who stands behind a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Identity {
    /// A site's backend, by the id of its API key (as `keys list` shows it).
    ApiKey { key_id: String },
    /// A browser of someone who has not signed in (an id per anonymous grant).
    Visitor { visitor_id: Uuid, session_id: String },
    /// A browser of a signed-in member of the site.
    Member { member_id: MemberId, session_id: String },
}

/// An authenticated caller, acting for exactly one site.
#[derive(Debug, Clone)]
pub struct Caller {
    pub site: SiteId,
    /// What an API key may do; none for a front-end token, whose rights are
    /// the fixed ones below ([`Caller::require_read`], delegation).
    pub scopes: Vec<Scope>,
    /// The id of the API key presented (as `keys list` shows it); empty for a front-end token.
    pub key_id: String,
    identity: Identity,
}

impl Caller {
    /// A caller with an API key.
    pub fn with_key(site: SiteId, scopes: Vec<Scope>, key_id: String) -> Self {
        Self {
            site,
            scopes,
            identity: Identity::ApiKey { key_id: key_id.clone() },
            key_id,
        }
    }

    /// A caller with a front-end access token.
    pub fn with_token(claims: &AccessClaims) -> Self {
        let session_id = claims.session_id.clone();
        let identity = match claims.subject {
            Subject::Visitor(visitor_id) => Identity::Visitor { visitor_id, session_id },
            Subject::Member(member_id) => Identity::Member { member_id, session_id },
        };
        Self {
            site: claims.site,
            scopes: Vec::new(),
            key_id: String::new(),
            identity,
        }
    }

    /// Who made the request: what a change records as its author.
    pub fn identity(&self) -> &Identity {
        &self.identity
    }

    /// The member behind a member token.
    pub fn member(&self) -> Option<MemberId> {
        match &self.identity {
            Identity::Member { member_id, .. } => Some(*member_id),
            _ => None,
        }
    }

    /// A browser (visitor or member) rather than a site's backend.
    pub fn is_front_end(&self) -> bool {
        !matches!(self.identity, Identity::ApiKey { .. })
    }

    /// Refused unless one of the caller's scopes covers `needed`. A
    /// front-end token has no scopes: everything guarded this way is refused.
    pub fn require(&self, needed: Scope) -> Result<(), AuthError> {
        if self.scopes.iter().any(|s| s.covers(needed)) {
            Ok(())
        } else if self.is_front_end() {
            Err(AuthError::FrontEnd)
        } else {
            Err(AuthError::MissingScope(needed))
        }
    }

    /// The public reads of badges and assignments: an API key that may read,
    /// or any visitor or member of the site.
    pub fn require_read(&self) -> Result<(), AuthError> {
        if self.is_front_end() {
            Ok(())
        } else {
            self.require(Scope::ReadBadges)
        }
    }

    /// Only a site's backend sees `privateTags`; browsers get them empty.
    pub fn sees_private_tags(&self) -> bool {
        !self.is_front_end()
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
    /// A visitor or member token, for something only a site's backend may do.
    #[error("a visitor or member token may not do this")]
    FrontEnd,
    /// A member without a badge that may assign the badge in question.
    #[error("this member holds no badge that may assign this badge")]
    NotAssigner,
    #[error(transparent)]
    Token(#[from] TokenError),
    #[error("API key lookup failed")]
    Store(#[source] StoreError),
}

/// How front-end access tokens are checked.
#[derive(Debug, Clone, Copy)]
pub struct TokenSettings {
    /// How long an access token lasts.
    pub access_token_ttl: Duration,
    /// How long past its expiry a token is still accepted: the SDK renews
    /// only after its own clock says the token expired, with no margin.
    pub leeway: Duration,
    /// How long a visitor's session (its refresh token) lasts. A visitor
    /// whose session ended becomes a new visitor: the SDK asks for new
    /// anonymous tokens when a refresh fails. Members' sessions last until
    /// revoked.
    pub visitor_session_ttl: Duration,
}

/// Visitors' sessions end after 30 days.
pub const DEFAULT_VISITOR_SESSION_TTL: Duration = Duration::from_secs(30 * 24 * 3600);

impl TokenSettings {
    /// How long after its revocation a session's access tokens could still
    /// be presented.
    pub fn revocation_window(&self) -> Duration {
        self.access_token_ttl + self.leeway
    }
}

impl Default for TokenSettings {
    fn default() -> Self {
        Self {
            access_token_ttl: Duration::from_secs(900),
            leeway: Duration::from_secs(60),
            visitor_session_ttl: DEFAULT_VISITOR_SESSION_TTL,
        }
    }
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
    signer: TokenSigner,
    tokens: TokenSettings,
    /// The caches; their list of revoked sessions refuses those sessions'
    /// access tokens although their signatures are good.
    caches: Arc<Caches>,
}

impl Authenticator {
    pub fn new(
        store: Arc<dyn Store>,
        ttl: Duration,
        signer: TokenSigner,
        tokens: TokenSettings,
        caches: Arc<Caches>,
    ) -> Self {
        let capacity = std::num::NonZeroUsize::new(KEY_CACHE_ENTRIES).unwrap_or(std::num::NonZeroUsize::MIN);
        Self {
            store,
            known: Mutex::new(LruCache::new(capacity)),
            ttl,
            signer,
            tokens,
            caches,
        }
    }

    pub fn signer(&self) -> &TokenSigner {
        &self.signer
    }

    pub fn token_settings(&self) -> TokenSettings {
        self.tokens
    }

    /// The caller an API key or a front-end access token stands for.
    pub async fn authenticate_any(&self, secret: &str) -> Result<Caller, AuthError> {
        if secret.starts_with(ACCESS_TOKEN_PREFIX) {
            self.authenticate_token(secret)
                .map(|claims| Caller::with_token(&claims))
        } else {
            self.authenticate(secret).await
        }
    }

    /// The claims of a valid access token: signed with this database's key,
    /// not past its expiry (plus the leeway), its session not revoked.
    pub fn authenticate_token(&self, token: &str) -> Result<AccessClaims, AuthError> {
        let claims = self.signer.verify(token)?;
        let now = now_seconds();
        if claims.expires_at + (self.tokens.leeway.as_secs() as i64) < now {
            return Err(TokenError::Expired.into());
        }
        if self.caches.sessions.contains(&claims.session_id) {
            return Err(TokenError::Revoked.into());
        }
        Ok(claims)
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
        let caller = Caller::with_key(
            key.site_id,
            key.scopes.iter().filter_map(|s| Scope::parse(s)).collect(),
            key.id,
        );
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
