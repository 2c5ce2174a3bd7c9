//! Use cases. The API layers (V4 and the older V3) call these; business
//! rules live here and in `domain`, never in handlers. [`Services`] is what
//! the API layer holds: it builds each use-case group over the one store.

pub mod access;
pub mod admin_sessions;
pub mod api_keys;
pub mod assignments;
pub mod auth;
pub mod badges;
pub mod delegation;
pub mod events;
pub mod frontend;
pub mod health;
mod member_list;
pub mod pages;
pub mod tokens;
pub mod webhooks;

use std::sync::Arc;
use std::time::Duration;

use crate::access::{AccessCache, CacheBudget};
use crate::cache::{follower, reads::ReadCache, sessions, Caches, DEFAULT_READ_BYTES};
use crate::domain::{FieldViolation, SiteId};
use crate::events::Actor;
use crate::query::{CursorCodec, QueryError};
use crate::store::notices::NoticeSink;
use crate::store::{Store, StoreError, StoreResult};

use access::Access;
use admin_sessions::AdminSessions;
use api_keys::ApiKeys;
use assignments::Assignments;
use auth::{Authenticator, TokenSettings};
use badges::Badges;
use delegation::Delegation;
use frontend::{FrontEnd, OriginCache};
use health::Health;
use pages::Pages;

/// The cookie the forward-auth gate reads a member token from, unless configured.
pub const DEFAULT_FORWARD_AUTH_COOKIE: &str = "insignia_token";

/// How much this instance keeps in memory, and for how long.
#[derive(Debug, Clone, Copy)]
pub struct CacheSettings {
    /// Budgets of the access check's caches.
    pub access: CacheBudget,
    /// Bytes for badges and members' assignments (`cache::reads`).
    pub reads: usize,
    /// How long a known API key is trusted without a lookup.
    pub key_ttl: Duration,
    /// Front-end access tokens: lifetime and leeway.
    pub tokens: TokenSettings,
}

impl Default for CacheSettings {
    fn default() -> Self {
        Self {
            access: CacheBudget::default(),
            reads: DEFAULT_READ_BYTES,
            key_ttl: auth::DEFAULT_KEY_CACHE_TTL,
            tokens: TokenSettings::default(),
        }
    }
}

/// Every use case over one store, cheap to clone.
#[derive(Clone)]
pub struct Services {
    store: Arc<dyn Store>,
    auth: Arc<Authenticator>,
    /// The browser origins of the front-end clients (CORS).
    origins: Arc<OriginCache>,
    /// Sites' access rules, members' badge sets, badges and members' assignments.
    caches: Arc<Caches>,
    /// Signs query cursors; shared by every instance on one database.
    cursor_secret: Arc<[u8]>,
    /// How long an admin page sign-in lasts.
    admin_session_ttl: Duration,
    /// The cookie the forward-auth gate reads a member token from.
    forward_auth_cookie: Arc<str>,
    /// Whether webhook URLs may name loopback and private addresses.
    allow_private_webhook_urls: bool,
}

impl Services {
    pub async fn new(store: Arc<dyn Store>) -> StoreResult<Self> {
        Self::with_caches(store, CacheSettings::default()).await
    }

    /// The services, with caches of these sizes. The caches hear this
    /// instance's writes as they commit; on PostgreSQL they also follow
    /// other instances' changes (see `cache::follower`).
    pub async fn with_caches(store: Arc<dyn Store>, settings: CacheSettings) -> StoreResult<Self> {
        let secret = store.server_secret().await?;
        let signer = tokens::TokenSigner::new(store.token_signing_key().await?);
        let caches = Arc::new(Caches::new(
            settings.access,
            settings.reads,
            false,
            settings.tokens.revocation_window(),
        ));
        let sink: Arc<dyn NoticeSink> = caches.clone();
        store.local_notices().subscribe(Arc::downgrade(&sink));
        if !follower::start(store.clone(), &caches).await {
            // Nobody else writes this database: nothing to follow.
            caches.resume();
        }
        // Revocations made before this instance listened: a restart must not
        // let a revoked session's tokens back in.
        sessions::reload(store.as_ref(), &caches.sessions).await?;
        Ok(Self {
            auth: Arc::new(Authenticator::new(
                store.clone(),
                settings.key_ttl,
                signer,
                settings.tokens,
                caches.clone(),
            )),
            origins: Arc::new(OriginCache::new(settings.key_ttl)),
            caches,
            store,
            cursor_secret: secret.into(),
            admin_session_ttl: admin_sessions::DEFAULT_SESSION_TTL,
            forward_auth_cookie: Arc::from(DEFAULT_FORWARD_AUTH_COOKIE),
            allow_private_webhook_urls: false,
        })
    }

    /// These services, their writes made by `actor` (the identity their
    /// events carry).
    pub fn acting_as(&self, actor: Actor) -> Services {
        let mut services = self.clone();
        services.store = self.store.acting_as(actor);
        services
    }

    /// Lets webhook URLs name loopback and private addresses (development, tests).
    pub fn allowing_private_webhook_urls(mut self, allow: bool) -> Self {
        self.allow_private_webhook_urls = allow;
        self
    }

    pub fn webhooks(&self) -> webhooks::Webhooks<'_> {
        webhooks::Webhooks::new(self.store.as_ref(), self.allow_private_webhook_urls)
    }

    /// The store, for the background work that runs beside the API (the
    /// webhook dispatcher).
    pub fn store(&self) -> std::sync::Arc<dyn Store> {
        self.store.clone()
    }

    pub fn with_admin_session_ttl(mut self, ttl: Duration) -> Self {
        self.admin_session_ttl = ttl;
        self
    }

    pub fn with_forward_auth_cookie(mut self, name: &str) -> Self {
        self.forward_auth_cookie = Arc::from(name);
        self
    }

    pub fn forward_auth_cookie(&self) -> &str {
        &self.forward_auth_cookie
    }

    pub fn auth(&self) -> &Authenticator {
        &self.auth
    }

    pub fn badges(&self) -> Badges<'_> {
        Badges::new(self.store.as_ref(), &self.caches.reads)
    }

    pub fn assignments(&self) -> Assignments<'_> {
        Assignments::new(self.store.as_ref(), &self.caches.reads)
    }

    pub fn pages(&self) -> Pages<'_> {
        Pages::new(self.store.as_ref())
    }

    pub fn events(&self) -> events::Events<'_> {
        events::Events::new(self.store.as_ref())
    }

    pub fn access(&self) -> Access<'_> {
        Access::new(self.store.as_ref(), &self.caches.access)
    }

    /// The access cache itself (what it holds, for diagnostics and benchmarks).
    pub fn access_cache(&self) -> &AccessCache {
        &self.caches.access
    }

    /// The read cache itself (what it holds, for diagnostics and benchmarks).
    pub fn read_cache(&self) -> &ReadCache {
        &self.caches.reads
    }

    pub fn front_end(&self) -> FrontEnd<'_> {
        FrontEnd::new(self.store.as_ref(), &self.auth, &self.origins)
    }

    pub fn delegation(&self) -> Delegation<'_> {
        Delegation::new(self.store.as_ref(), &self.caches.access)
    }

    pub fn admin_sessions(&self) -> AdminSessions<'_> {
        AdminSessions::new(self.store.as_ref(), &self.auth, self.admin_session_ttl)
    }

    pub fn api_keys(&self) -> ApiKeys<'_> {
        ApiKeys::new(self.store.as_ref()).with_auth(&self.auth)
    }

    pub fn health(&self) -> Health<'_> {
        Health::new(self.store.as_ref())
    }

    /// The codec of one site's query cursors.
    pub fn cursors(&self, site: SiteId) -> CursorCodec {
        CursorCodec::for_site(&self.cursor_secret, site)
    }
}

impl auth::Caller {
    /// Who this caller's changes are made by.
    pub fn actor(&self) -> Actor {
        match self.identity() {
            auth::Identity::ApiKey { key_id } => Actor::ApiKey(key_id.clone()),
            auth::Identity::Member { member_id, .. } => Actor::Member(member_id.to_string()),
            auth::Identity::Visitor { visitor_id, .. } => Actor::Visitor(visitor_id.to_string()),
        }
    }
}

/// Why a use case did not happen. Each variant maps to one Wix error in `api::error`.
#[derive(Debug, thiserror::Error)]
pub enum ServiceError {
    #[error(transparent)]
    Query(#[from] QueryError),
    #[error("{entity} {id} not found")]
    NotFound { entity: &'static str, id: String },
    #[error("revision mismatch: the {entity} is at revision {current}")]
    RevisionMismatch { entity: &'static str, current: i64 },
    /// Input that breaks a rule of the use case, or one only the store could
    /// check (e.g. a badge that does not exist); answered like any invalid
    /// field.
    #[error("invalid input")]
    Invalid(Vec<FieldViolation>),
    /// One item's failure, answered as the whole call's error.
    #[error("{}", .0.description)]
    Item(assignments::ItemError),
    #[error(transparent)]
    Store(StoreError),
}

pub type ServiceResult<T> = Result<T, ServiceError>;
