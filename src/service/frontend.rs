//! Front-end identities: a site's OAuth clients, the token grants the SDK's
//! `OAuthStrategy` asks for, and signing out.
//!
//! Grants (spec B5.2): `anonymous` opens a visitor session; `refresh_token`
//! gives a new access token for a session and hands back the same refresh
//! token (the SDK never replaces the one it has); `authorized_client` lets a
//! site's backend holding an API key turn a visitor into a member, so
//! Insignia never holds passwords.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use uuid::Uuid;

use super::auth::{AuthError, Authenticator, Caller, Identity};
use super::tokens::{now_seconds, AccessClaims, Subject, ACCESS_TOKEN_PREFIX};
use crate::domain::{hash_secret, MemberId, Scope, SecretToken, SiteId, Timestamp};
use crate::store::{OAuthClientRecord, SessionRecord, Store, StoreError};

const REFRESH_TOKEN_PREFIX: &str = "IRT.";

/// What a grant answers (`access_token`, `refresh_token`, `expires_in`).
#[derive(Debug, Clone)]
pub struct TokenGrant {
    pub access_token: String,
    pub refresh_token: String,
    pub expires_in: u64,
}

/// Why a grant was refused.
#[derive(Debug, thiserror::Error)]
pub enum GrantError {
    #[error("unknown or revoked OAuth client")]
    InvalidClient,
    #[error("{0}")]
    InvalidGrant(String),
    /// The credentials of an `authorized_client` grant.
    #[error(transparent)]
    Auth(#[from] AuthError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// A badly formed origin.
#[derive(Debug, thiserror::Error)]
#[error("{0:?} is not an origin such as https://example.com or http://127.0.0.1:8000")]
pub struct BadOrigin(pub String);

/// `scheme://host[:port]`, lower-case, as browsers send it in `Origin`.
pub fn parse_origin(raw: &str) -> Result<String, BadOrigin> {
    let origin = raw.trim().trim_end_matches('/').to_ascii_lowercase();
    let rest = origin
        .strip_prefix("https://")
        .or_else(|| origin.strip_prefix("http://"))
        .ok_or_else(|| BadOrigin(raw.to_owned()))?;
    let host_ok = !rest.is_empty()
        && rest
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b':' | b'[' | b']'));
    if host_ok {
        Ok(origin)
    } else {
        Err(BadOrigin(raw.to_owned()))
    }
}

/// The browser origins active clients list.
#[derive(Debug, Default)]
pub struct KnownOrigins {
    /// Every client's: a preflight carries no token, so it is answered for
    /// any listed origin.
    pub any_client: HashSet<String>,
    /// Client id -> its own: what a call made with that client's token may
    /// be read from.
    pub by_client: HashMap<String, HashSet<String>>,
}

impl KnownOrigins {
    /// May a page on `origin` read an answer? With the client id of the
    /// call's token, only that client's origins; without a token, any
    /// client's.
    pub fn allow(&self, origin: &str, client: Option<&str>) -> bool {
        match client {
            Some(id) => self.by_client.get(id).is_some_and(|o| o.contains(origin)),
            None => self.any_client.contains(origin),
        }
    }
}

/// The origins of the active clients, read again at most every `ttl`.
pub struct OriginCache {
    ttl: Duration,
    known: Mutex<Option<(Arc<KnownOrigins>, Instant)>>,
}

impl OriginCache {
    pub fn new(ttl: Duration) -> Self {
        Self {
            ttl,
            known: Mutex::new(None),
        }
    }

    fn known(&self) -> std::sync::MutexGuard<'_, Option<(Arc<KnownOrigins>, Instant)>> {
        self.known.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    pub async fn allowed(&self, store: &dyn Store) -> Result<Arc<KnownOrigins>, StoreError> {
        if let Some((origins, read_at)) = self.known().as_ref() {
            if read_at.elapsed() < self.ttl {
                return Ok(origins.clone());
            }
        }
        let read_at = Instant::now();
        let mut origins = KnownOrigins::default();
        for client in store.list_oauth_clients(None).await? {
            if client.revoked_at.is_none() {
                origins.any_client.extend(client.origins.iter().cloned());
                origins
                    .by_client
                    .insert(client.id, client.origins.into_iter().collect());
            }
        }
        let origins = Arc::new(origins);
        *self.known() = Some((origins.clone(), read_at));
        Ok(origins)
    }

    /// Read again at the next request (a client changed here).
    pub fn forget(&self) {
        *self.known() = None;
    }
}

pub struct FrontEnd<'a> {
    store: &'a dyn Store,
    auth: &'a Authenticator,
    origins: &'a OriginCache,
}

impl<'a> FrontEnd<'a> {
    pub fn new(store: &'a dyn Store, auth: &'a Authenticator, origins: &'a OriginCache) -> Self {
        Self { store, auth, origins }
    }

    // Clients

    /// A new client of `site`; its id, which the SDK calls `clientId`.
    pub async fn create_client(&self, site: SiteId, origins: &[String]) -> Result<String, StoreError> {
        let id = Uuid::new_v4().to_string();
        self.store
            .insert_oauth_client(&OAuthClientRecord {
                id: id.clone(),
                site_id: site,
                origins: origins.to_vec(),
                created_at: Timestamp::now(),
                revoked_at: None,
            })
            .await?;
        self.origins.forget();
        Ok(id)
    }

    pub async fn list_clients(&self, site: Option<SiteId>) -> Result<Vec<OAuthClientRecord>, StoreError> {
        self.store.list_oauth_clients(site).await
    }

    /// Its tokens can no longer be refreshed and its origins lose CORS.
    pub async fn revoke_client(&self, id: &str) -> Result<bool, StoreError> {
        let revoked = self.store.revoke_oauth_client(id).await?;
        self.origins.forget();
        Ok(revoked)
    }

    /// Revokes one of the site's active clients; another site's client is not found.
    pub async fn revoke_site_client(&self, site: SiteId, id: &str) -> Result<(), super::ServiceError> {
        let not_found = || super::ServiceError::NotFound {
            entity: "client",
            id: id.to_owned(),
        };
        // A client never changes site, so checking first cannot race with the revocation.
        let found = self
            .store
            .find_oauth_client(id)
            .await
            .map_err(super::ServiceError::Store)?;
        if !found.is_some_and(|c| c.site_id == site && c.revoked_at.is_none()) {
            return Err(not_found());
        }
        if self.revoke_client(id).await.map_err(super::ServiceError::Store)? {
            Ok(())
        } else {
            Err(not_found())
        }
    }

    pub async fn allowed_origins(&self) -> Result<Arc<KnownOrigins>, StoreError> {
        self.origins.allowed(self.store).await
    }

    /// The client a front-end access token was issued to, when its signature
    /// is good (whether it is still valid is for the call to decide).
    pub fn token_client(&self, token: &str) -> Option<String> {
        if !token.starts_with(ACCESS_TOKEN_PREFIX) {
            return None;
        }
        self.auth.signer().verify(token).ok().map(|claims| claims.client_id)
    }

    async fn active_client(&self, id: &str) -> Result<OAuthClientRecord, GrantError> {
        self.store
            .find_oauth_client(id)
            .await?
            .filter(|c| c.revoked_at.is_none())
            .ok_or(GrantError::InvalidClient)
    }

    // Grants

    /// A new session for `subject` and its first access token.
    async fn open_session(&self, client: &OAuthClientRecord, subject: Subject) -> Result<TokenGrant, GrantError> {
        let token = SecretToken::generate(REFRESH_TOKEN_PREFIX);
        let session = SessionRecord {
            token_hash: token.hash,
            id: Uuid::new_v4().simple().to_string(),
            client_id: client.id.clone(),
            site_id: client.site_id,
            role: subject.role().to_owned(),
            subject: subject.id().to_string(),
            created_at: Timestamp::now(),
            revoked_at: None,
        };
        self.store.insert_session(&session).await?;
        Ok(self.grant(&session, subject, token.secret))
    }

    fn grant(&self, session: &SessionRecord, subject: Subject, refresh_token: String) -> TokenGrant {
        let ttl = self.auth.token_settings().access_token_ttl.as_secs();
        let now = now_seconds();
        let access_token = self.auth.signer().sign(&AccessClaims {
            site: session.site_id,
            subject,
            client_id: session.client_id.clone(),
            session_id: session.id.clone(),
            issued_at: now,
            expires_at: now + ttl as i64,
        });
        TokenGrant {
            access_token,
            refresh_token,
            expires_in: ttl,
        }
    }

    /// `anonymous`: a new visitor of the client's site.
    pub async fn anonymous(&self, client_id: &str) -> Result<TokenGrant, GrantError> {
        let client = self.active_client(client_id).await?;
        self.open_session(&client, Subject::Visitor(Uuid::new_v4())).await
    }

    /// `refresh_token`: a new access token; the refresh token stays the same.
    pub async fn refresh(&self, client_id: Option<&str>, refresh_token: &str) -> Result<TokenGrant, GrantError> {
        let invalid = || GrantError::InvalidGrant("unknown, revoked or malformed refresh token".into());
        if !refresh_token.starts_with(REFRESH_TOKEN_PREFIX) || refresh_token.len() > 256 {
            return Err(invalid());
        }
        let session = self
            .store
            .find_session(&hash_secret(refresh_token))
            .await?
            .filter(|s| s.revoked_at.is_none() && !self.visitor_session_ended(s))
            .ok_or_else(invalid)?;
        if client_id.is_some_and(|id| id != session.client_id) {
            return Err(GrantError::InvalidGrant(
                "the refresh token belongs to another client".into(),
            ));
        }
        self.active_client(&session.client_id).await?;
        let subject = Subject::from_parts(&session.role, &session.subject)
            .ok_or_else(|| StoreError::Corrupt("refresh_tokens.subject".into()))?;
        Ok(self.grant(&session, subject, refresh_token.to_owned()))
    }

    /// `authorized_client`: the site's backend, with its API key, vouches
    /// that the browser holding `front_token` is `member`. The key must
    /// belong to the token's site and may manage badges.
    pub async fn authorized_client(
        &self,
        front_token: &str,
        api_key: &str,
        member: MemberId,
    ) -> Result<TokenGrant, GrantError> {
        let claims = self.auth.authenticate_token(front_token)?;
        let key = self.auth.authenticate(api_key).await?;
        key.check_site(claims.site)?;
        key.require(Scope::ManageBadges)?;
        let client = self.active_client(&claims.client_id).await?;
        if client.site_id != claims.site {
            return Err(GrantError::InvalidClient);
        }
        self.open_session(&client, Subject::Member(member)).await
    }

    fn visitor_session_ended(&self, session: &SessionRecord) -> bool {
        session.role == Subject::VISITOR_ROLE && session.created_at < self.visitors_opened_before()
    }

    /// Visitors' sessions opened before this have ended.
    fn visitors_opened_before(&self) -> Timestamp {
        let ttl = self.auth.token_settings().visitor_session_ttl;
        Timestamp::from_millis(Timestamp::now().millis() - ttl.as_millis() as i64)
    }

    /// Deletes the sessions nobody can use any more: visitors' sessions that
    /// ended, and revoked sessions whose access tokens have all expired.
    /// Returns how many.
    pub async fn delete_stale_sessions(&self) -> Result<u64, StoreError> {
        const SLICE: usize = 1_000;
        let window = self.auth.token_settings().revocation_window();
        let revoked_before = Timestamp::from_millis(Timestamp::now().millis() - window.as_millis() as i64);
        let mut deleted = 0;
        loop {
            let done = self
                .store
                .delete_stale_sessions(self.visitors_opened_before(), revoked_before, SLICE)
                .await?;
            deleted += done;
            if done < SLICE as u64 {
                return Ok(deleted);
            }
        }
    }

    // Signing out

    /// Ends the caller's own session, or with `everywhere` every session of
    /// the caller (a member's "sign out on all devices"). Returns how many.
    pub async fn sign_out(&self, caller: &Caller, everywhere: bool) -> Result<usize, StoreError> {
        let (subject, session_id) = match caller.identity() {
            Identity::Visitor { visitor_id, session_id } => (*visitor_id, session_id.as_str()),
            Identity::Member { member_id, session_id } => (member_id.as_uuid(), session_id.as_str()),
            Identity::ApiKey { .. } => return Ok(0),
        };
        let only = (!everywhere).then_some(session_id);
        let ids = self
            .store
            .revoke_sessions(caller.site, &subject.to_string(), only)
            .await?;
        // The store tells every instance's caches, this one's included.
        Ok(ids.len())
    }

    /// Ends every session of a member of `site` (the site's backend asks).
    pub async fn revoke_member_sessions(&self, site: SiteId, member: MemberId) -> Result<usize, StoreError> {
        let ids = self.store.revoke_sessions(site, &member.to_string(), None).await?;
        Ok(ids.len())
    }
}

/// How often sessions nobody can use any more are deleted.
const SESSION_SWEEP_EVERY: Duration = Duration::from_secs(3600);

/// Deletes stale sessions now and then (`insignia serve` runs it beside the
/// API), so a site's visitors do not pile up in the database for ever.
pub async fn sweep_sessions(services: Arc<super::Services>) {
    loop {
        match services.front_end().delete_stale_sessions().await {
            Ok(0) => {}
            Ok(deleted) => tracing::info!(deleted, "deleted ended and revoked sessions"),
            Err(e) => tracing::warn!(error = %e, "session sweep failed"),
        }
        tokio::time::sleep(SESSION_SWEEP_EVERY).await;
    }
}
