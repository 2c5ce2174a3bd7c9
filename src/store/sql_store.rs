use async_trait::async_trait;
use sqlx::any::AnyRow;
use sqlx::{AnyPool, Row};

use super::notices::{LocalNotices, NoticeListener, NoticeSource};
use super::sites::SiteKeys;
use super::sql::{bind_all, statement};
use super::{
    AccessRules, AdminSessionRecord, ApiKeyRecord, LoginLinkRecord, OAuthClientRecord, Page, PoolStats, SessionRecord,
    Store, StoreError, StoreResult,
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
use crate::query::{
    compile_filter_for_order, compile_keyset, compile_order, Dialect, Entity, Kind, Paging, Query, SqlParam, SqlText,
    Value,
};

/// The SQL store, for SQLite and PostgreSQL alike.
///
/// Reads go to `read`; writes go to `write`, which for SQLite is a pool of
/// one connection (SQLite has one writer) and for PostgreSQL the same pool.
#[derive(Clone)]
pub struct SqlStore {
    pub(super) read: AnyPool,
    pub(super) write: AnyPool,
    pub(super) dialect: Dialect,
    /// Site GUID -> compact key (see `sites`).
    pub(super) site_keys: SiteKeys,
    /// Where other instances' change notices are heard (PostgreSQL only).
    pub(super) notices: Option<NoticeSource>,
    /// Who the writes of this handle are made by (their events' identity).
    pub(super) actor: Actor,
    /// Where this instance's commits are announced.
    pub(super) changes: ChangeFeed,
    /// This process's caches, told what each write changed when it commits.
    pub(super) local_notices: std::sync::Arc<LocalNotices>,
    /// SQLite: the single writer's queue of group-committed creates.
    pub(super) group: Option<super::group_commit::GroupWriter>,
}

impl SqlStore {
    pub(super) fn new(read: AnyPool, write: AnyPool, dialect: Dialect, notices: Option<NoticeSource>) -> Self {
        Self {
            read,
            write,
            dialect,
            site_keys: SiteKeys::default(),
            notices,
            actor: Actor::Unknown,
            changes: ChangeFeed::new(),
            local_notices: Default::default(),
            group: None,
        }
    }

    /// Closes the pools, waiting for connections in use to be returned.
    pub async fn close(&self) {
        self.write.close().await;
        self.read.close().await;
    }

    /// Runs a query-language query over `from` for one site. Returns the rows
    /// and the page metadata; the caller maps rows to its entity.
    /// `site` is the tenant condition: a column and the value it must equal.
    pub(super) async fn run_query(
        &self,
        entity: &Entity,
        from: &str,
        columns: &str,
        site: (&str, SqlParam),
        query: &Query,
    ) -> StoreResult<(Vec<AnyRow>, Page<()>)> {
        let mut text = self.page_select(entity, from, columns, site, query);
        match &query.paging {
            Paging::Offset { limit, offset } => {
                let where_text = text.clone();
                text.push(&format!(
                    " ORDER BY {} LIMIT {limit} OFFSET {offset}",
                    compile_order(&query.sort, false)
                ));
                let rows = self.query_statement(&text).fetch_all(&self.read).await?;
                // A short first page is its own count; otherwise count the filter.
                let total = if *offset == 0 && rows.len() < *limit as usize {
                    rows.len() as u64
                } else {
                    self.count_matching(&where_text).await?
                };
                let page = Page {
                    items: vec![(); rows.len()],
                    total: Some(total),
                    next_key: None,
                    prev_key: None,
                };
                Ok((rows, page))
            }
            Paging::Cursor { limit, after, backward } => {
                if let Some(key) = after {
                    let condition = compile_keyset(&query.sort, key, *backward, &mut text);
                    text.push(&format!(" AND {condition}"));
                }
                text.push(&format!(
                    " ORDER BY {} LIMIT {}",
                    compile_order(&query.sort, *backward),
                    u64::from(*limit) + 1
                ));
                let mut rows = self.query_statement(&text).fetch_all(&self.read).await?;
                let more = rows.len() > *limit as usize;
                rows.truncate(*limit as usize);
                if *backward {
                    rows.reverse();
                }
                let first = rows.first().map(|r| sort_key(r, query)).transpose()?;
                let last = rows.last().map(|r| sort_key(r, query)).transpose()?;
                // Going forward, a previous page exists when we started after a row;
                // going backward, a next page always exists (we came from it).
                let (has_next, has_prev) = if *backward {
                    (true, more)
                } else {
                    (more, after.is_some())
                };
                let page = Page {
                    items: vec![(); rows.len()],
                    total: None,
                    next_key: if has_next { last } else { None },
                    prev_key: if has_prev { first } else { None },
                };
                Ok((rows, page))
            }
        }
    }

    /// A query-language statement, ready to run. On PostgreSQL it is planned
    /// with its values every time (an unnamed statement, not a cached one):
    /// how many rows a filter keeps depends on the values (a one-letter
    /// prefix keeps thousands, a GUID one), and a cached generic plan that
    /// guesses wrong walks the whole site in sort order instead of reading
    /// the few rows in range. SQLite's plans do not depend on the values, so
    /// it keeps its statements prepared.
    fn query_statement<'q>(&self, text: &'q SqlText) -> sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments<'q>> {
        statement(text).persistent(self.dialect == Dialect::Sqlite)
    }

    /// `SELECT columns, sort keys FROM from WHERE site AND filter`: how every
    /// page of a query starts.
    fn page_select(
        &self,
        entity: &Entity,
        from: &str,
        columns: &str,
        site: (&str, SqlParam),
        query: &Query,
    ) -> SqlText {
        let key_columns: Vec<String> = query
            .sort
            .iter()
            .enumerate()
            .map(|(i, k)| format!("{} AS k{i}", k.field.column))
            .collect();
        let mut text = SqlText::new();
        let (site_column, site_value) = site;
        let site_param = text.bind(site_value);
        text.push(&format!(
            "SELECT {columns}, {} FROM {from} WHERE {site_column} = {site_param} AND ",
            key_columns.join(", ")
        ));
        let leading = query.sort.first().map(|key| key.field);
        compile_filter_for_order(self.dialect, entity, &query.filter, leading, &mut text);
        text
    }

    /// The database's plan for the first cursor page of `query`, one line per
    /// step, for checking which index answers it. On PostgreSQL sequential
    /// and bitmap scans are ruled out for the question, so the plan is the
    /// one a large table would get, which a small one cannot show.
    pub(super) async fn first_page_plan(
        &self,
        entity: &Entity,
        from: &str,
        columns: &str,
        site: (&str, SqlParam),
        query: &Query,
    ) -> StoreResult<Vec<String>> {
        let mut text = self.page_select(entity, from, columns, site, query);
        text.push(&format!(" ORDER BY {} LIMIT 51", compile_order(&query.sort, false)));
        let mut tx = self.read.begin().await?;
        let (explain, column) = match self.dialect {
            Dialect::Sqlite => ("EXPLAIN QUERY PLAN", "detail"),
            Dialect::Postgres => {
                for setting in ["enable_seqscan", "enable_bitmapscan"] {
                    sqlx::query(&format!("SET LOCAL {setting} = off"))
                        .execute(&mut *tx)
                        .await?;
                }
                ("EXPLAIN", "QUERY PLAN")
            }
        };
        let sql = format!("{explain} {}", text.sql);
        let rows = bind_all(sqlx::query(&sql), &text.params).fetch_all(&mut *tx).await?;
        tx.rollback().await?;
        rows.iter().map(|row| Ok(row.try_get::<String, _>(column)?)).collect()
    }

    /// Counts the rows of a filtered SELECT (used as a sub-query so both share one WHERE).
    async fn count_matching(&self, where_text: &SqlText) -> StoreResult<u64> {
        let sql = format!("SELECT COUNT(*) AS n FROM ({}) AS filtered", where_text.sql);
        let row = bind_all(sqlx::query(&sql), &where_text.params)
            .persistent(self.dialect == Dialect::Sqlite)
            .fetch_one(&self.read)
            .await?;
        let n: i64 = row.try_get("n")?;
        Ok(n.max(0) as u64)
    }
}

/// Reads the sort-key columns (`k0`, `k1`, …) of a row back into typed values.
fn sort_key(row: &AnyRow, query: &Query) -> StoreResult<Vec<Value>> {
    query
        .sort
        .iter()
        .enumerate()
        .map(|(i, k)| {
            let name = format!("k{i}");
            Ok(match k.field.kind {
                Kind::Text => Value::Text(row.try_get(name.as_str())?),
                Kind::Guid => Value::Guid(row.try_get(name.as_str())?),
                Kind::Date => Value::Date(row.try_get(name.as_str())?),
                Kind::Int => Value::Int(row.try_get(name.as_str())?),
                Kind::Bool => Value::Bool(row.try_get::<i64, _>(name.as_str())? != 0),
                Kind::TagSet { .. } | Kind::IdSet { .. } => {
                    return Err(StoreError::Corrupt(format!("cannot sort on {}", k.field.name())))
                }
            })
        })
        .collect()
}

#[async_trait]
impl Store for SqlStore {
    fn dialect(&self) -> Dialect {
        self.dialect
    }

    async fn ping(&self) -> StoreResult<()> {
        sqlx::query("SELECT 1").execute(&self.read).await?;
        Ok(())
    }

    fn writer_queue(&self) -> usize {
        self.group.as_ref().map_or(0, |group| group.waiting())
    }

    fn pool_stats(&self) -> Vec<PoolStats> {
        let stats = |pool: &'static str, p: &AnyPool| PoolStats {
            pool,
            open: p.size(),
            idle: p.num_idle() as u32,
            max: p.options().get_max_connections(),
        };
        match self.dialect {
            Dialect::Sqlite => vec![stats("read", &self.read), stats("write", &self.write)],
            Dialect::Postgres => vec![stats("shared", &self.read)],
        }
    }

    async fn server_secret(&self) -> StoreResult<Vec<u8>> {
        self.server_secret_impl().await
    }

    fn acting_as(&self, actor: Actor) -> std::sync::Arc<dyn Store> {
        let mut store = self.clone();
        store.actor = actor;
        std::sync::Arc::new(store)
    }

    fn changes(&self) -> &ChangeFeed {
        &self.changes
    }

    fn follow_other_instances(&self) -> Option<tokio::task::JoinHandle<()>> {
        self.follow_other_instances_impl()
    }

    async fn events_since(
        &self,
        site: SiteId,
        after: i64,
        types: &[String],
        limit: u32,
    ) -> StoreResult<Vec<StoredEvent>> {
        self.events_since_impl(site, after, types, limit).await
    }

    async fn last_event_seq(&self, site: SiteId) -> StoreResult<i64> {
        self.last_event_seq_impl(site).await
    }

    async fn prune_events(&self, before: Timestamp) -> StoreResult<u64> {
        self.prune_events_impl(before).await
    }

    async fn insert_signing_key(&self, key: &KeyPair) -> StoreResult<()> {
        self.insert_signing_key_impl(key).await
    }

    async fn current_signing_key(&self) -> StoreResult<Option<KeyPair>> {
        self.current_signing_key_impl().await
    }

    async fn signing_key(&self, id: &str) -> StoreResult<Option<KeyPair>> {
        self.signing_key_impl(id).await
    }

    async fn retire_signing_keys(&self, keep: &str) -> StoreResult<()> {
        self.retire_signing_keys_impl(keep).await
    }

    async fn create_webhook(&self, site: SiteId, new: &NewWebhook) -> StoreResult<Webhook> {
        self.create_webhook_impl(site, new).await
    }

    async fn get_webhook(&self, site: SiteId, id: uuid::Uuid) -> StoreResult<Option<Webhook>> {
        self.get_webhook_impl(site, id).await
    }

    async fn list_webhooks(&self, site: SiteId) -> StoreResult<Vec<Webhook>> {
        self.list_webhooks_impl(site).await
    }

    async fn update_webhook(&self, site: SiteId, id: uuid::Uuid, patch: &WebhookPatch) -> StoreResult<Webhook> {
        self.update_webhook_impl(site, id, patch).await
    }

    async fn delete_webhook(&self, site: SiteId, id: uuid::Uuid) -> StoreResult<bool> {
        self.delete_webhook_impl(site, id).await
    }

    async fn fan_out(&self, key_id: &str) -> StoreResult<u64> {
        self.fan_out_impl(key_id).await
    }

    async fn claim_deliveries(&self, now: Timestamp, lease_until: Timestamp, limit: u32) -> StoreResult<Vec<Claimed>> {
        self.claim_deliveries_impl(now, lease_until, limit).await
    }

    async fn finish_deliveries(&self, outcomes: &[Outcome]) -> StoreResult<()> {
        self.finish_deliveries_impl(outcomes).await
    }

    async fn list_deliveries(
        &self,
        site: SiteId,
        id: uuid::Uuid,
        status: Option<DeliveryStatus>,
        limit: u32,
    ) -> StoreResult<Vec<Delivery>> {
        self.list_deliveries_impl(site, id, status, limit).await
    }

    async fn redeliver(&self, site: SiteId, id: uuid::Uuid, seq: Option<i64>) -> StoreResult<u64> {
        self.redeliver_impl(site, id, seq).await
    }

    fn local_notices(&self) -> &LocalNotices {
        &self.local_notices
    }

    async fn listen_for_changes(&self) -> StoreResult<Option<NoticeListener>> {
        match &self.notices {
            Some(source) => Ok(Some(NoticeListener::connect(source).await?)),
            None => Ok(None),
        }
    }

    async fn insert_api_key(&self, key: &ApiKeyRecord) -> StoreResult<()> {
        self.insert_api_key_impl(key).await
    }

    async fn find_api_key(&self, key_hash: &[u8]) -> StoreResult<Option<ApiKeyRecord>> {
        self.find_api_key_impl(key_hash).await
    }

    async fn list_api_keys(&self, site: Option<SiteId>) -> StoreResult<Vec<ApiKeyRecord>> {
        self.list_api_keys_impl(site).await
    }

    async fn revoke_api_key(&self, id: &str) -> StoreResult<bool> {
        self.revoke_api_key_impl(id).await
    }

    async fn token_signing_key(&self) -> StoreResult<Vec<u8>> {
        self.token_signing_key_impl().await
    }

    async fn insert_oauth_client(&self, client: &OAuthClientRecord) -> StoreResult<()> {
        self.insert_oauth_client_impl(client).await
    }

    async fn find_oauth_client(&self, id: &str) -> StoreResult<Option<OAuthClientRecord>> {
        self.find_oauth_client_impl(id).await
    }

    async fn list_oauth_clients(&self, site: Option<SiteId>) -> StoreResult<Vec<OAuthClientRecord>> {
        self.list_oauth_clients_impl(site).await
    }

    async fn revoke_oauth_client(&self, id: &str) -> StoreResult<bool> {
        self.revoke_oauth_client_impl(id).await
    }

    async fn insert_session(&self, session: &SessionRecord) -> StoreResult<()> {
        self.insert_session_impl(session).await
    }

    async fn find_session(&self, token_hash: &[u8]) -> StoreResult<Option<SessionRecord>> {
        self.find_session_impl(token_hash).await
    }

    async fn revoke_sessions(&self, site: SiteId, subject: &str, session_id: Option<&str>) -> StoreResult<Vec<String>> {
        self.revoke_sessions_impl(site, subject, session_id).await
    }

    async fn sessions_revoked_since(&self, since: Timestamp) -> StoreResult<Vec<(String, Timestamp)>> {
        self.sessions_revoked_since_impl(since).await
    }

    async fn delete_stale_sessions(
        &self,
        visitors_created_before: Timestamp,
        revoked_before: Timestamp,
        limit: usize,
    ) -> StoreResult<u64> {
        self.delete_stale_sessions_impl(visitors_created_before, revoked_before, limit)
            .await
    }

    async fn badge_delegation(&self, site: SiteId, badge: BadgeId) -> StoreResult<Vec<BadgeId>> {
        self.badge_delegation_impl(site, badge).await
    }

    async fn set_badge_delegation(&self, site: SiteId, badge: BadgeId, assigners: &[BadgeId]) -> StoreResult<()> {
        self.set_badge_delegation_impl(site, badge, assigners).await
    }

    async fn insert_admin_session(&self, session: &AdminSessionRecord) -> StoreResult<()> {
        self.insert_admin_session_impl(session).await
    }

    async fn find_admin_session(&self, token_hash: &[u8], now: Timestamp) -> StoreResult<Option<AdminSessionRecord>> {
        self.find_admin_session_impl(token_hash, now).await
    }

    async fn delete_admin_session(&self, token_hash: &[u8]) -> StoreResult<bool> {
        self.delete_admin_session_impl(token_hash).await
    }

    async fn insert_login_link(&self, link: &LoginLinkRecord) -> StoreResult<()> {
        self.insert_login_link_impl(link).await
    }

    async fn take_login_link(&self, token_hash: &[u8], now: Timestamp) -> StoreResult<Option<LoginLinkRecord>> {
        self.take_login_link_impl(token_hash, now).await
    }

    async fn create_badge(&self, site: SiteId, badge: &NewBadge) -> StoreResult<Badge> {
        self.create_badge_impl(site, badge).await
    }

    async fn get_badge(&self, site: SiteId, id: BadgeId) -> StoreResult<Option<Badge>> {
        self.get_badge_impl(site, id).await
    }

    async fn update_badge(&self, site: SiteId, id: BadgeId, revision: i64, patch: &BadgePatch) -> StoreResult<Badge> {
        self.update_badge_impl(site, id, Some(revision), patch).await
    }

    async fn update_badge_unchecked(&self, site: SiteId, id: BadgeId, patch: &BadgePatch) -> StoreResult<Badge> {
        self.update_badge_impl(site, id, None, patch).await
    }

    async fn delete_badge(&self, site: SiteId, id: BadgeId) -> StoreResult<Badge> {
        self.delete_badge_impl(site, id).await
    }

    async fn reorder_badges(&self, site: SiteId, change: &OrderChange) -> StoreResult<Vec<Badge>> {
        self.reorder_badges_impl(site, change).await
    }

    async fn query_badges(&self, site: SiteId, query: &Query) -> StoreResult<Page<Badge>> {
        self.query_badges_impl(site, query).await
    }

    async fn list_badges(&self, site: SiteId, limit: u32, offset: u64) -> StoreResult<Page<Badge>> {
        self.list_badges_impl(site, limit, offset).await
    }

    async fn create_assignments(
        &self,
        site: SiteId,
        items: &[NewAssignment],
    ) -> StoreResult<Vec<Result<BadgeAssignment, AssignmentRefusal>>> {
        self.create_assignments_impl(site, items).await
    }

    async fn delete_assignments(
        &self,
        site: SiteId,
        ids: &[AssignmentId],
    ) -> StoreResult<Vec<Option<BadgeAssignment>>> {
        self.delete_assignments_impl(site, ids).await
    }

    async fn unassign_members(
        &self,
        site: SiteId,
        badge: BadgeId,
        members: &[MemberId],
    ) -> StoreResult<Vec<BadgeAssignment>> {
        self.unassign_members_impl(site, badge, members).await
    }

    async fn query_assignments(&self, site: SiteId, query: &Query) -> StoreResult<Page<BadgeAssignment>> {
        self.query_assignments_impl(site, query).await
    }

    async fn update_assignment_tags(
        &self,
        site: SiteId,
        ids: &[AssignmentId],
        add: &Tags,
        remove: &Tags,
    ) -> StoreResult<Vec<Option<BadgeAssignment>>> {
        self.update_assignment_tags_impl(site, ids, add, remove).await
    }

    async fn queue_retag_by_filter(
        &self,
        site: SiteId,
        filter: &serde_json::Value,
        add: &Tags,
        remove: &Tags,
    ) -> StoreResult<Job> {
        self.queue_retag_by_filter_impl(site, filter, add, remove).await
    }

    async fn run_job_batch(&self, batch: usize) -> StoreResult<Option<Job>> {
        self.run_job_batch_impl(batch).await
    }

    async fn get_job(&self, site: SiteId, id: JobId) -> StoreResult<Option<Job>> {
        self.get_job_impl(site, id).await
    }

    async fn member_counts(&self, site: SiteId) -> StoreResult<Vec<(BadgeId, i64)>> {
        self.member_counts_impl(site).await
    }

    async fn member_badges(&self, site: SiteId, member: MemberId) -> StoreResult<Vec<BadgeId>> {
        self.member_badges_impl(site, member).await
    }

    async fn create_page(&self, site: SiteId, page: &NewPage) -> StoreResult<ProtectedPage> {
        self.create_page_impl(site, page).await
    }

    async fn get_page(&self, site: SiteId, id: PageId) -> StoreResult<Option<ProtectedPage>> {
        self.get_page_impl(site, id).await
    }

    async fn update_page(
        &self,
        site: SiteId,
        id: PageId,
        revision: i64,
        patch: &PagePatch,
    ) -> StoreResult<ProtectedPage> {
        self.update_page_impl(site, id, revision, patch).await
    }

    async fn delete_page(&self, site: SiteId, id: PageId) -> StoreResult<ProtectedPage> {
        self.delete_page_impl(site, id).await
    }

    async fn query_pages(&self, site: SiteId, query: &Query) -> StoreResult<Page<ProtectedPage>> {
        self.query_pages_impl(site, query).await
    }

    async fn access_rules(&self, site: SiteId) -> StoreResult<AccessRules> {
        self.access_rules_impl(site).await
    }
}
