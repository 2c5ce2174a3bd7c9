//! Signing in to the admin page: with an API key, or with a one-time link
//! made by `insignia admin login-link`. Either gives a session whose token
//! lives in the browser's cookie; the database keeps only hashes, so every
//! instance on one database knows every session and every link.

use std::time::Duration;

use crate::domain::{hash_secret, Scope, SecretToken, SiteId, Timestamp};
use crate::store::{AdminSessionRecord, LoginLinkRecord, Store};

use super::auth::{AuthError, Authenticator};

use super::{ServiceError, ServiceResult};

/// How long a one-time link may wait to be used.
pub const LOGIN_LINK_TTL: Duration = Duration::from_secs(15 * 60);

/// How long a session lasts unless configured otherwise (a working day).
pub const DEFAULT_SESSION_TTL: Duration = Duration::from_secs(12 * 60 * 60);

/// A signed-in admin page user, acting for one site.
#[derive(Debug, Clone)]
pub struct AdminSession {
    pub site: SiteId,
    pub scopes: Vec<Scope>,
    /// The secret the browser holds; it also keys the session's CSRF token.
    pub token: String,
    pub expires_at: Timestamp,
}

impl AdminSession {
    /// Sessions of a read-only key may look but not change anything.
    pub fn can_manage(&self) -> bool {
        self.scopes.iter().any(|s| s.covers(Scope::ManageBadges))
    }
}

pub struct AdminSessions<'a> {
    store: &'a dyn Store,
    auth: &'a Authenticator,
    ttl: Duration,
}

impl<'a> AdminSessions<'a> {
    pub fn new(store: &'a dyn Store, auth: &'a Authenticator, ttl: Duration) -> Self {
        Self { store, auth, ttl }
    }

    /// Checks the key as the API does. `None` when it is malformed, unknown,
    /// revoked, or carries no badge scope.
    pub async fn sign_in_with_key(&self, key: &str) -> ServiceResult<Option<AdminSession>> {
        let caller = match self.auth.authenticate(key.trim()).await {
            Ok(caller) => caller,
            Err(AuthError::Store(e)) => return Err(ServiceError::Store(e)),
            Err(_) => return Ok(None),
        };
        if caller.require(Scope::ReadBadges).is_err() {
            return Ok(None);
        }
        self.start(caller.site, Some(caller.key_id), caller.scopes)
            .await
            .map(Some)
    }

    /// A new one-time link's secret; whoever runs the command may manage the site.
    pub async fn create_login_link(&self, site: SiteId) -> ServiceResult<String> {
        let token = SecretToken::generate("");
        let now = Timestamp::now();
        self.store
            .insert_login_link(&LoginLinkRecord {
                token_hash: token.hash,
                site_id: site,
                created_at: now,
                expires_at: later(now, LOGIN_LINK_TTL),
            })
            .await
            .map_err(ServiceError::Store)?;
        Ok(token.secret)
    }

    /// `None` when the link is unknown, expired, or was used already.
    pub async fn redeem_login_link(&self, secret: &str) -> ServiceResult<Option<AdminSession>> {
        let link = self
            .store
            .take_login_link(&hash_secret(secret), Timestamp::now())
            .await
            .map_err(ServiceError::Store)?;
        match link {
            Some(link) => self
                .start(link.site_id, None, vec![Scope::ManageBadges])
                .await
                .map(Some),
            None => Ok(None),
        }
    }

    /// The live session a cookie names, if any.
    pub async fn find(&self, secret: &str) -> ServiceResult<Option<AdminSession>> {
        let found = self
            .store
            .find_admin_session(&hash_secret(secret), Timestamp::now())
            .await
            .map_err(ServiceError::Store)?;
        Ok(found.map(|record| AdminSession {
            site: record.site_id,
            scopes: record.scopes.iter().filter_map(|s| Scope::parse(s)).collect(),
            token: secret.to_owned(),
            expires_at: record.expires_at,
        }))
    }

    pub async fn sign_out(&self, session: &AdminSession) -> ServiceResult<()> {
        self.store
            .delete_admin_session(&hash_secret(&session.token))
            .await
            .map_err(ServiceError::Store)?;
        Ok(())
    }

    async fn start(&self, site: SiteId, key_id: Option<String>, scopes: Vec<Scope>) -> ServiceResult<AdminSession> {
        let token = SecretToken::generate("");
        let now = Timestamp::now();
        let expires_at = later(now, self.ttl);
        self.store
            .insert_admin_session(&AdminSessionRecord {
                token_hash: token.hash,
                site_id: site,
                key_id,
                scopes: scopes.iter().map(|s| s.as_str().to_owned()).collect(),
                created_at: now,
                expires_at,
            })
            .await
            .map_err(ServiceError::Store)?;
        Ok(AdminSession {
            site,
            scopes,
            token: token.secret,
            expires_at,
        })
    }
}

fn later(now: Timestamp, by: Duration) -> Timestamp {
    let by = i64::try_from(by.as_millis()).unwrap_or(i64::MAX);
    Timestamp::from_millis(now.millis().saturating_add(by))
}
