//! The outbox: each write transaction appends its events here, numbered
//! from the site's counter (`sites.event_seq`), so a site's events are
//! gapless and in commit order. Every writer of a site locks the site's row
//! first ([`SqlStore::begin_write`]): that serialises a site's writers on
//! PostgreSQL, which is what makes sequence order commit order, and gives
//! every writer the same lock order (site, then badges), so none deadlock.
//! On SQLite the single write connection already runs them one at a time.

use sqlx::any::AnyRow;
use sqlx::{Any, AnyConnection, Row, Transaction};
use uuid::Uuid;

use super::notices::ChangeNotice;
use super::sql::{bind_all, positional, values_list};
use super::{SqlStore, StoreError, StoreResult};
use crate::domain::{SiteId, Timestamp};
use crate::events::{NewEvent, StoredEvent};
use crate::query::{Dialect, SqlParam};

/// The PostgreSQL channel that carries "site advanced" announcements.
pub const EVENTS_CHANNEL: &str = "insignia_events";

/// Rows per insert statement (5 parameters each, far below both limits).
const CHUNK: usize = 1000;

pub(super) const EVENT_COLUMNS: &str =
    "events.seq, events.id, events.event_type, events.entity_id, events.event_time, events.identity, events.body";

/// A write transaction of one site, its site row locked (see the module).
pub(super) struct SiteWrite {
    pub tx: Transaction<'static, Any>,
    pub site: SiteId,
    pub site_pk: i64,
    /// What the write changed, for the caches (see `notices`).
    pub notices: Vec<ChangeNotice>,
}

impl SqlStore {
    /// Begins a write of `site`, locking its row on PostgreSQL before
    /// anything else is touched.
    pub(super) async fn begin_write(&self, site: SiteId) -> StoreResult<SiteWrite> {
        let site_pk = self.site_key(site).await?;
        let mut tx = self.write.begin().await?;
        if self.dialect == Dialect::Postgres {
            sqlx::query("SELECT pk FROM sites WHERE pk = $1 FOR UPDATE")
                .bind(site_pk)
                .fetch_optional(&mut *tx)
                .await?;
        }
        Ok(SiteWrite {
            tx,
            site,
            site_pk,
            notices: Vec::new(),
        })
    }

    /// Appends `events` to the transaction's outbox, as `self.actor`.
    /// Returns the site's new last sequence number (`None`: no events).
    pub(super) async fn append_events(
        &self,
        conn: &mut AnyConnection,
        site: SiteId,
        site_pk: i64,
        events: &[NewEvent],
    ) -> StoreResult<Option<i64>> {
        if events.is_empty() {
            return Ok(None);
        }
        if self.dialect == Dialect::Postgres && events.len() <= CHUNK {
            return self.append_events_pg(conn, site, site_pk, events).await.map(Some);
        }
        let last: i64 = sqlx::query("UPDATE sites SET event_seq = event_seq + $1 WHERE pk = $2 RETURNING event_seq")
            .bind(events.len() as i64)
            .bind(site_pk)
            .fetch_one(&mut *conn)
            .await?
            .try_get("event_seq")?;
        let first = last - events.len() as i64 + 1;
        let now = Timestamp::now().millis();
        let identity = self.actor.identity_json();
        for (c, chunk) in events.chunks(CHUNK).enumerate() {
            let shared = |k: usize| positional(self.dialect, chunk.len() * 5 + k);
            let sql = format!(
                "WITH v (seq, id, event_type, entity_id, body) AS (VALUES {}) \
                 INSERT INTO events (seq, id, event_type, entity_id, body, site_pk, event_time, identity) \
                 SELECT v.seq, v.id, v.event_type, v.entity_id, v.body, {}, {}, {} FROM v",
                values_list(self.dialect, chunk.len(), 5),
                shared(1),
                shared(2),
                shared(3),
            );
            let mut params = Vec::with_capacity(chunk.len() * 5 + 3);
            for (i, event) in chunk.iter().enumerate() {
                params.extend([
                    SqlParam::Int(first + (c * CHUNK + i) as i64),
                    SqlParam::Blob(Uuid::new_v4().as_bytes().to_vec()),
                    SqlParam::Text(event.event_type.as_str().to_owned()),
                    SqlParam::Blob(event.entity_id.as_bytes().to_vec()),
                    SqlParam::Text(event.body_text()),
                ]);
            }
            params.extend([
                SqlParam::Int(site_pk),
                SqlParam::Int(now),
                SqlParam::Text(identity.clone()),
            ]);
            bind_all(sqlx::query(&sql), &params).execute(&mut *conn).await?;
        }
        self.announce_in_transaction(conn, site, last).await?;
        Ok(Some(last))
    }

    /// `append_events` on PostgreSQL for up to one chunk of events: moving
    /// the site's counter, inserting the events and announcing them is one
    /// statement. Every writer of a site waits for the one before it to
    /// commit (the site row lock), so each round trip saved here shortens
    /// every site writer's turn.
    async fn append_events_pg(
        &self,
        conn: &mut AnyConnection,
        site: SiteId,
        site_pk: i64,
        events: &[NewEvent],
    ) -> StoreResult<i64> {
        let shared = |k: usize| positional(self.dialect, events.len() * 5 + k);
        let (count, site_key, now, identity, channel, announced_site) =
            (shared(1), shared(2), shared(3), shared(4), shared(5), shared(6));
        let sql = format!(
            "WITH s AS (UPDATE sites SET event_seq = event_seq + {count} WHERE pk = {site_key} RETURNING event_seq), \
             v (n, id, event_type, entity_id, body) AS (VALUES {}), \
             i AS (INSERT INTO events (seq, id, event_type, entity_id, body, site_pk, event_time, identity) \
                   SELECT s.event_seq - {count} + v.n, v.id, v.event_type, v.entity_id, v.body, {site_key}, {now}, {identity} \
                   FROM v, s) \
             SELECT event_seq, \
                    pg_notify({channel}, current_schema() || ' ' || {announced_site} || ' ' || event_seq)::text AS announced \
             FROM s",
            values_list(self.dialect, events.len(), 5),
        );
        let mut params = Vec::with_capacity(events.len() * 5 + 6);
        for (n, event) in events.iter().enumerate() {
            params.extend([
                SqlParam::Int(n as i64 + 1),
                SqlParam::Blob(Uuid::new_v4().as_bytes().to_vec()),
                SqlParam::Text(event.event_type.as_str().to_owned()),
                SqlParam::Blob(event.entity_id.as_bytes().to_vec()),
                SqlParam::Text(event.body_text()),
            ]);
        }
        params.extend([
            SqlParam::Int(events.len() as i64),
            SqlParam::Int(site_pk),
            SqlParam::Int(Timestamp::now().millis()),
            SqlParam::Text(self.actor.identity_json()),
            SqlParam::Text(EVENTS_CHANNEL.to_owned()),
            SqlParam::Text(site.to_string()),
        ]);
        let row = bind_all(sqlx::query(&sql), &params).fetch_one(&mut *conn).await?;
        Ok(row.try_get("event_seq")?)
    }

    /// On PostgreSQL, tells other instances (when this transaction commits)
    /// that the site's events reach `seq`.
    pub(super) async fn announce_in_transaction(
        &self,
        conn: &mut AnyConnection,
        site: SiteId,
        seq: i64,
    ) -> StoreResult<()> {
        if self.dialect == Dialect::Postgres {
            sqlx::query("SELECT pg_notify($1, current_schema() || ' ' || $2)")
                .bind(EVENTS_CHANNEL)
                .bind(format!("{site} {seq}"))
                .execute(&mut *conn)
                .await?;
        }
        Ok(())
    }

    /// Records that the write changes what `notice` names: other instances
    /// hear of it when it commits (PostgreSQL), this one in `commit_write`.
    pub(super) async fn notify(&self, write: &mut SiteWrite, notice: ChangeNotice) -> StoreResult<()> {
        super::notices::notify(&mut write.tx, self.dialect, &notice).await?;
        write.notices.push(notice);
        Ok(())
    }

    /// Commits a site write, then tells this instance's caches what it
    /// changed and announces its events, before the writer answers.
    pub(super) async fn commit_write(&self, write: SiteWrite, last: Option<i64>) -> StoreResult<()> {
        write.tx.commit().await?;
        self.committed(write.site, &write.notices, last);
        Ok(())
    }

    /// After a write of `site` committed: this instance's caches forget what
    /// it changed, and its events (up to `last`) are announced.
    pub(super) fn committed(&self, site: SiteId, notices: &[ChangeNotice], last: Option<i64>) {
        self.local_notices.publish(notices);
        if let Some(seq) = last {
            self.changes.advanced(site, seq);
        }
    }

    /// Appends to a site write's outbox.
    pub(super) async fn append(&self, write: &mut SiteWrite, events: &[NewEvent]) -> StoreResult<Option<i64>> {
        let (site, site_pk) = (write.site, write.site_pk);
        self.append_events(&mut write.tx, site, site_pk, events).await
    }

    pub(super) async fn events_since_impl(
        &self,
        site: SiteId,
        after: i64,
        types: &[String],
        limit: u32,
    ) -> StoreResult<Vec<StoredEvent>> {
        let Some(site_pk) = self.existing_site_key(site).await? else {
            return Ok(Vec::new());
        };
        let mut params = vec![SqlParam::Int(site_pk), SqlParam::Int(after)];
        let type_filter = if types.is_empty() {
            String::new()
        } else {
            let names: Vec<String> = (0..types.len()).map(|i| format!("${}", i + 3)).collect();
            params.extend(types.iter().map(|t| SqlParam::Text(t.clone())));
            format!(" AND event_type IN ({})", names.join(", "))
        };
        let sql = format!(
            "SELECT {EVENT_COLUMNS} FROM events WHERE site_pk = $1 AND seq > $2{type_filter} ORDER BY seq LIMIT {limit}"
        );
        let found = bind_all(sqlx::query(&sql), &params).fetch_all(&self.read).await?;
        found.iter().map(|row| stored_event(row, site)).collect()
    }

    /// The site's last sequence number (0 before its first event).
    pub(super) async fn last_event_seq_impl(&self, site: SiteId) -> StoreResult<i64> {
        let row = sqlx::query("SELECT event_seq FROM sites WHERE id = $1")
            .bind(site.to_bytes())
            .fetch_optional(&self.read)
            .await?;
        Ok(match row {
            Some(row) => row.try_get("event_seq")?,
            None => 0,
        })
    }

    /// Drops events older than `before` that no subscription still needs
    /// (not yet fanned out, or with a delivery pending). Returns how many.
    pub(super) async fn prune_events_impl(&self, before: Timestamp) -> StoreResult<u64> {
        let done = sqlx::query(
            "DELETE FROM events WHERE event_time < $1 \
             AND NOT EXISTS (SELECT 1 FROM webhooks w WHERE w.site_pk = events.site_pk AND w.fanout_seq < events.seq) \
             AND NOT EXISTS (SELECT 1 FROM webhook_deliveries d WHERE d.site_pk = events.site_pk \
                             AND d.seq = events.seq AND d.status = 'PENDING')",
        )
        .bind(before.millis())
        .execute(&self.write)
        .await?;
        Ok(done.rows_affected())
    }
}

pub(super) fn stored_event(row: &AnyRow, site: SiteId) -> StoreResult<StoredEvent> {
    let uuid = |column: &str| -> StoreResult<Uuid> {
        let bytes: Vec<u8> = row.try_get(column)?;
        Uuid::from_slice(&bytes).map_err(|_| StoreError::Corrupt(column.to_owned()))
    };
    Ok(StoredEvent {
        site,
        seq: row.try_get("seq")?,
        id: uuid("id")?,
        event_type: row.try_get("event_type")?,
        entity_id: uuid("entity_id")?,
        event_time: Timestamp::from_millis(row.try_get("event_time")?),
        identity: row.try_get("identity")?,
        body: row.try_get("body")?,
    })
}

impl SqlStore {
    /// On PostgreSQL, a task that hears other instances' commits (see
    /// `announce_in_transaction`) and announces them on this store's change
    /// feed, reconnecting when its connection drops; `None` on SQLite.
    pub(super) fn follow_other_instances_impl(&self) -> Option<tokio::task::JoinHandle<()>> {
        let source = self.notices.clone()?;
        let changes = self.changes.clone();
        Some(tokio::spawn(async move {
            loop {
                if let Err(e) = listen(&source, &changes).await {
                    tracing::debug!(error = %e, "events listener lost its connection");
                }
                tokio::time::sleep(std::time::Duration::from_millis(500)).await;
            }
        }))
    }
}

async fn listen(source: &super::notices::NoticeSource, changes: &crate::changes::ChangeFeed) -> StoreResult<()> {
    let mut listener = sqlx::postgres::PgListener::connect(&source.url).await?;
    let schema = match &source.schema {
        Some(schema) => schema.clone(),
        None => {
            sqlx::query_scalar::<_, String>("SELECT current_schema()")
                .fetch_one(&mut listener)
                .await?
        }
    };
    listener.listen(EVENTS_CHANNEL).await?;
    loop {
        let Some(notification) = listener.try_recv().await? else {
            return Ok(());
        };
        let mut words = notification.payload().split(' ');
        if words.next() != Some(schema.as_str()) {
            continue;
        }
        let site = words.next().and_then(|s| SiteId::parse("site", s).ok());
        let seq = words.next().and_then(|s| s.parse::<i64>().ok());
        if let (Some(site), Some(seq)) = (site, seq) {
            changes.advanced(site, seq);
        }
    }
}
