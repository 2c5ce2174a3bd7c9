//! Storage. One trait, [`Store`], which the service layer calls; one SQL
//! implementation that serves SQLite and PostgreSQL through sqlx, with the
//! differences between the two kept in [`connect`] (pools, pragmas,
//! migrations) and in the query compiler's [`Dialect`].

mod admin;
mod assignments;
mod availability;
mod badges;
mod connect;
mod group_commit;
mod identity;
mod jobs;
mod keys;
pub mod notices;
mod outbox;
mod pages;
mod rows;
mod sites;
mod sql;
mod sql_store;
mod transfer;
mod webhooks;

use async_trait::async_trait;

pub use connect::{connect, ConnectOptions};
pub use outbox::EVENTS_CHANNEL;
pub use sql_store::SqlStore;
pub use transfer::{
    ExportError, ExportItem, ImportAssignment, ImportBadge, ImportBatch, ImportPage, Mapped, ResumePoint,
};

use crate::changes::ChangeFeed;
use crate::domain::{
    AssignmentId, AssignmentRefusal, Badge, BadgeAssignment, BadgeId, BadgePatch, Job, JobId, MemberId, NewAssignment,
    NewBadge, NewPage, OrderChange, PageId, PagePatch, ProtectedPage, SiteId, Tags, Timestamp,
};
use crate::events::signing::KeyPair;
use crate::events::{
    Actor, Claimed, Delivery, DeliveryStatus, NewWebhook, Outcome, StoredEvent, Webhook, WebhookPatch,
};
pub use crate::query::Page;
use crate::query::{Dialect, Query};

pub type StoreResult<T> = Result<T, StoreError>;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("not found")]
    NotFound,
    /// The row exists but is at another revision; nothing was changed.
    #[error("revision mismatch: the current revision is {current}")]
    RevisionMismatch { current: i64 },
    /// A listed badge does not exist in the site.
    #[error("badge {0} not found")]
    UnknownBadge(BadgeId),
    /// Another page of the site already has this path.
    #[error("another page has this path")]
    PathTaken,
    /// The site already has as many rows of this kind as it may.
    #[error("limit of {0} reached")]
    LimitReached(i64),
    #[error("database error")]
    Database(#[from] sqlx::Error),
    #[error("migration failed")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    /// A stored value that cannot be read back; never caused by client input.
    #[error("corrupt row: {0}")]
    Corrupt(String),
    #[error("{0}")]
    Config(String),
}

/// The state of one connection pool, for metrics.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PoolStats {
    /// `read` or `write` (on PostgreSQL one pool serves both: `shared`).
    pub pool: &'static str,
    pub open: u32,
    pub idle: u32,
    pub max: u32,
}

/// A stored API key (never the key itself, only its hash).
#[derive(Debug, Clone, PartialEq)]
pub struct ApiKeyRecord {
    pub id: String,
    pub key_hash: Vec<u8>,
    pub site_id: SiteId,
    pub scopes: Vec<String>,
    pub created_at: Timestamp,
    pub revoked_at: Option<Timestamp>,
}

/// What the access check is built from: every protected page of a site,
/// and whether each badge they name grants permissions, from one snapshot.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct AccessRules {
    pub pages: Vec<ProtectedPage>,
    /// `(badge, permissionsEnabled)` for the badges the pages name.
    pub permissions: Vec<(BadgeId, bool)>,
}

/// A signed-in admin browser; only the hash of its cookie's token is kept.
#[derive(Debug, Clone, PartialEq)]
pub struct AdminSessionRecord {
    pub token_hash: Vec<u8>,
    pub site_id: SiteId,
    /// The API key signed in with; `None` for a one-time link.
    pub key_id: Option<String>,
    pub scopes: Vec<String>,
    pub created_at: Timestamp,
    pub expires_at: Timestamp,
}

/// A one-time admin sign-in link; only the hash of its token is kept.
#[derive(Debug, Clone, PartialEq)]
pub struct LoginLinkRecord {
    pub token_hash: Vec<u8>,
    pub site_id: SiteId,
    pub created_at: Timestamp,
    pub expires_at: Timestamp,
}

/// A site's front-end OAuth client: a public id (no secret) and the browser
/// origins its pages run on.
#[derive(Debug, Clone, PartialEq)]
pub struct OAuthClientRecord {
    pub id: String,
    pub site_id: SiteId,
    pub origins: Vec<String>,
    pub created_at: Timestamp,
    pub revoked_at: Option<Timestamp>,
}

/// A front-end session: its refresh token's hash, and whom it stands for.
#[derive(Debug, Clone, PartialEq)]
pub struct SessionRecord {
    pub token_hash: Vec<u8>,
    /// The session id access tokens carry.
    pub id: String,
    pub client_id: String,
    pub site_id: SiteId,
    /// `visitor` or `member`.
    pub role: String,
    /// The visitor id or the member id.
    pub subject: String,
    pub created_at: Timestamp,
    pub revoked_at: Option<Timestamp>,
}

#[async_trait]
pub trait Store: Send + Sync + 'static {
    fn dialect(&self) -> Dialect;

    /// One read of the database, through the readers' pool: it never writes
    /// and never waits on the writer (readiness).
    async fn ping(&self) -> StoreResult<()>;

    /// How many connections each pool holds, and how many of them are idle.
    fn pool_stats(&self) -> Vec<PoolStats> {
        Vec::new()
    }

    /// Writes waiting for the single writer's next group commit (SQLite's
    /// badge creates); 0 where writes do not queue in the process.
    fn writer_queue(&self) -> usize {
        0
    }

    /// A random secret shared by every instance on this database (signs cursors).
    async fn server_secret(&self) -> StoreResult<Vec<u8>>;

    /// This store, its writes made by `actor` (their events' identity).
    fn acting_as(&self, actor: Actor) -> std::sync::Arc<dyn Store>;

    /// Where this instance announces its commits (see `changes`).
    fn changes(&self) -> &ChangeFeed;

    /// Starts announcing other instances' commits on [`Store::changes`]
    /// (PostgreSQL); `None` where this process is the only writer.
    fn follow_other_instances(&self) -> Option<tokio::task::JoinHandle<()>>;

    // Events
    /// The site's events after sequence number `after`, in commit order, at
    /// most `limit`; only those of `types` unless it is empty.
    async fn events_since(
        &self,
        site: SiteId,
        after: i64,
        types: &[String],
        limit: u32,
    ) -> StoreResult<Vec<StoredEvent>>;
    /// The site's last sequence number (0 before any event).
    async fn last_event_seq(&self, site: SiteId) -> StoreResult<i64>;
    /// Drops events older than `before` that no subscription still needs.
    async fn prune_events(&self, before: Timestamp) -> StoreResult<u64>;

    // Webhooks
    async fn insert_signing_key(&self, key: &KeyPair) -> StoreResult<()>;
    /// The key new deliveries are signed with (the newest not retired).
    async fn current_signing_key(&self) -> StoreResult<Option<KeyPair>>;
    async fn signing_key(&self, id: &str) -> StoreResult<Option<KeyPair>>;
    /// Retires every key but `keep`; a retired key is dropped once no
    /// pending delivery is to be signed with it.
    async fn retire_signing_keys(&self, keep: &str) -> StoreResult<()>;
    async fn create_webhook(&self, site: SiteId, new: &NewWebhook) -> StoreResult<Webhook>;
    async fn get_webhook(&self, site: SiteId, id: uuid::Uuid) -> StoreResult<Option<Webhook>>;
    async fn list_webhooks(&self, site: SiteId) -> StoreResult<Vec<Webhook>>;
    async fn update_webhook(&self, site: SiteId, id: uuid::Uuid, patch: &WebhookPatch) -> StoreResult<Webhook>;
    /// Removes the subscription with its deliveries; false when there was none.
    async fn delete_webhook(&self, site: SiteId, id: uuid::Uuid) -> StoreResult<bool>;
    /// Makes deliveries of new events for every active subscription.
    async fn fan_out(&self, key_id: &str) -> StoreResult<u64>;
    /// Leases due deliveries, each the first pending of its order key.
    async fn claim_deliveries(&self, now: Timestamp, lease_until: Timestamp, limit: u32) -> StoreResult<Vec<Claimed>>;
    async fn finish_deliveries(&self, outcomes: &[Outcome]) -> StoreResult<()>;
    async fn list_deliveries(
        &self,
        site: SiteId,
        id: uuid::Uuid,
        status: Option<DeliveryStatus>,
        limit: u32,
    ) -> StoreResult<Vec<Delivery>>;
    /// Sends one event again (`Some(seq)`) or every dead one; returns how many.
    async fn redeliver(&self, site: SiteId, id: uuid::Uuid, seq: Option<i64>) -> StoreResult<u64>;

    /// Where this process's caches hear of its own writes as they commit.
    fn local_notices(&self) -> &notices::LocalNotices;

    /// A listener for the change notices other processes' writes send, when
    /// they send any (PostgreSQL); `None` when this process is the only
    /// writer that matters (SQLite).
    async fn listen_for_changes(&self) -> StoreResult<Option<notices::NoticeListener>>;

    // API keys
    async fn insert_api_key(&self, key: &ApiKeyRecord) -> StoreResult<()>;
    async fn find_api_key(&self, key_hash: &[u8]) -> StoreResult<Option<ApiKeyRecord>>;
    async fn list_api_keys(&self, site: Option<SiteId>) -> StoreResult<Vec<ApiKeyRecord>>;
    /// Returns false when no active key has that id.
    async fn revoke_api_key(&self, id: &str) -> StoreResult<bool>;

    // Front-end identities
    /// A random key shared by every instance on this database (signs access tokens).
    async fn token_signing_key(&self) -> StoreResult<Vec<u8>>;
    async fn insert_oauth_client(&self, client: &OAuthClientRecord) -> StoreResult<()>;
    async fn find_oauth_client(&self, id: &str) -> StoreResult<Option<OAuthClientRecord>>;
    async fn list_oauth_clients(&self, site: Option<SiteId>) -> StoreResult<Vec<OAuthClientRecord>>;
    /// Returns false when no active client has that id.
    async fn revoke_oauth_client(&self, id: &str) -> StoreResult<bool>;
    async fn insert_session(&self, session: &SessionRecord) -> StoreResult<()>;
    async fn find_session(&self, token_hash: &[u8]) -> StoreResult<Option<SessionRecord>>;
    /// Revokes one session of `subject` (by id), or all of them; returns the ids revoked.
    async fn revoke_sessions(&self, site: SiteId, subject: &str, session_id: Option<&str>) -> StoreResult<Vec<String>>;
    /// The sessions revoked at or after `since`, with when.
    async fn sessions_revoked_since(&self, since: Timestamp) -> StoreResult<Vec<(String, Timestamp)>>;
    /// Deletes up to `limit` sessions that can no longer be used: visitors'
    /// sessions opened before `visitors_created_before`, and sessions revoked
    /// before `revoked_before`. Returns how many.
    async fn delete_stale_sessions(
        &self,
        visitors_created_before: Timestamp,
        revoked_before: Timestamp,
        limit: usize,
    ) -> StoreResult<u64>;
    /// The badges whose holders may assign `badge`, in the order given.
    async fn badge_delegation(&self, site: SiteId, badge: BadgeId) -> StoreResult<Vec<BadgeId>>;
    /// Replaces that list; `NotFound` for an unknown `badge`, `UnknownBadge` for an unknown assigner.
    async fn set_badge_delegation(&self, site: SiteId, badge: BadgeId, assigners: &[BadgeId]) -> StoreResult<()>;

    // Admin page sign-ins
    /// Stores a session (and drops the site's expired ones).
    async fn insert_admin_session(&self, session: &AdminSessionRecord) -> StoreResult<()>;
    /// The session, unless it expired at `now` or its API key was revoked.
    async fn find_admin_session(&self, token_hash: &[u8], now: Timestamp) -> StoreResult<Option<AdminSessionRecord>>;
    /// Returns false when there was no such session.
    async fn delete_admin_session(&self, token_hash: &[u8]) -> StoreResult<bool>;
    /// Stores a one-time link (and drops the site's expired ones).
    async fn insert_login_link(&self, link: &LoginLinkRecord) -> StoreResult<()>;
    /// Removes the link and returns it if it had not expired at `now`; a
    /// link can be taken once, by one caller, whatever the instance.
    async fn take_login_link(&self, token_hash: &[u8], now: Timestamp) -> StoreResult<Option<LoginLinkRecord>>;

    // Badges
    async fn create_badge(&self, site: SiteId, badge: &NewBadge) -> StoreResult<Badge>;
    async fn get_badge(&self, site: SiteId, id: BadgeId) -> StoreResult<Option<Badge>>;
    /// Applies `patch` only if the badge is at `revision`; bumps the revision.
    async fn update_badge(&self, site: SiteId, id: BadgeId, revision: i64, patch: &BadgePatch) -> StoreResult<Badge>;
    /// Last-writer-wins update, for the older API which has no revisions.
    async fn update_badge_unchecked(&self, site: SiteId, id: BadgeId, patch: &BadgePatch) -> StoreResult<Badge>;
    /// Deletes the badge, its assignments and its place on every page, in one transaction.
    async fn delete_badge(&self, site: SiteId, id: BadgeId) -> StoreResult<Badge>;
    /// Applies a display-order change atomically; returns every badge of the site in the new order.
    async fn reorder_badges(&self, site: SiteId, change: &OrderChange) -> StoreResult<Vec<Badge>>;
    async fn query_badges(&self, site: SiteId, query: &Query) -> StoreResult<Page<Badge>>;
    /// Badges in display order, with the site's total.
    async fn list_badges(&self, site: SiteId, limit: u32, offset: u64) -> StoreResult<Page<Badge>>;

    // Badge assignments
    /// Creates each assignment independently of the others (a refused item
    /// does not stop the rest); all that succeed commit together.
    async fn create_assignments(
        &self,
        site: SiteId,
        items: &[NewAssignment],
    ) -> StoreResult<Vec<Result<BadgeAssignment, AssignmentRefusal>>>;
    /// Deletes by id, in one transaction; `None` for ids that are not the site's.
    async fn delete_assignments(&self, site: SiteId, ids: &[AssignmentId])
        -> StoreResult<Vec<Option<BadgeAssignment>>>;
    /// Takes a badge away from members; returns the assignments removed.
    async fn unassign_members(
        &self,
        site: SiteId,
        badge: BadgeId,
        members: &[MemberId],
    ) -> StoreResult<Vec<BadgeAssignment>>;
    async fn query_assignments(&self, site: SiteId, query: &Query) -> StoreResult<Page<BadgeAssignment>>;
    /// Adds `add` and removes `remove` on each listed assignment; `None` for unknown ids.
    async fn update_assignment_tags(
        &self,
        site: SiteId,
        ids: &[AssignmentId],
        add: &Tags,
        remove: &Tags,
    ) -> StoreResult<Vec<Option<BadgeAssignment>>>;
    /// Queues the same change for every assignment `filter` (query-language
    /// JSON, already checked) matches, as a job made by this handle's actor;
    /// [`Store::run_job_batch`] does the work.
    async fn queue_retag_by_filter(
        &self,
        site: SiteId,
        filter: &serde_json::Value,
        add: &Tags,
        remove: &Tags,
    ) -> StoreResult<Job>;
    /// Runs the next batch of at most `batch` rows of the oldest unfinished
    /// job that no other runner holds, in one transaction that also records
    /// the job's progress. Returns the job as it now stands; `None` when no
    /// job is waiting.
    async fn run_job_batch(&self, batch: usize) -> StoreResult<Option<Job>>;
    async fn get_job(&self, site: SiteId, id: JobId) -> StoreResult<Option<Job>>;
    /// `(badge, holders)` for every badge of the site, in display order.
    async fn member_counts(&self, site: SiteId) -> StoreResult<Vec<(BadgeId, i64)>>;
    /// The badges a member holds, in no particular order.
    async fn member_badges(&self, site: SiteId, member: MemberId) -> StoreResult<Vec<BadgeId>>;

    // Protected pages
    /// Refuses a path another page has (`PathTaken`), an unknown badge
    /// (`UnknownBadge`), and a site at its page limit (`LimitReached`).
    async fn create_page(&self, site: SiteId, page: &NewPage) -> StoreResult<ProtectedPage>;
    async fn get_page(&self, site: SiteId, id: PageId) -> StoreResult<Option<ProtectedPage>>;
    /// Applies `patch` only if the page is at `revision`; bumps the revision.
    async fn update_page(
        &self,
        site: SiteId,
        id: PageId,
        revision: i64,
        patch: &PagePatch,
    ) -> StoreResult<ProtectedPage>;
    async fn delete_page(&self, site: SiteId, id: PageId) -> StoreResult<ProtectedPage>;
    async fn query_pages(&self, site: SiteId, query: &Query) -> StoreResult<Page<ProtectedPage>>;
    /// Every page of the site and the permissions of their badges, in one snapshot.
    async fn access_rules(&self, site: SiteId) -> StoreResult<AccessRules>;
}
