//! Webhook subscriptions, their deliveries and attempts, and the signing
//! keys. Deliveries are made from the outbox by "fan-out" (one row per
//! event a subscription asked for) and leased by dispatchers: on PostgreSQL
//! with `FOR UPDATE SKIP LOCKED`, so instances share the work and a lease
//! that runs out (its instance died) is taken by another. A delivery is
//! only claimed when no earlier one of the same subscription and order key
//! is pending: per-entity order.

use std::collections::HashMap;

use sqlx::any::AnyRow;
use sqlx::Row;
use uuid::Uuid;

use super::outbox::stored_event;
use super::sql::{bind_all, positional, values_list};
use super::{rows, SqlStore, StoreError, StoreResult};
use crate::domain::{SiteId, Timestamp};
use crate::events::signing::KeyPair;
use crate::events::{
    Attempt, Claimed, Delivery, DeliveryStatus, EventType, NewWebhook, Outcome, StoredEvent, Webhook, WebhookPatch,
};
use crate::query::{Dialect, SqlParam};

pub(super) const WEBHOOK_COLUMNS: &str =
    "webhooks.pk, webhooks.id, webhooks.url, webhooks.event_types, webhooks.status, webhooks.revision, \
     webhooks.created_at, webhooks.updated_at";

/// Events read per subscription per fan-out round.
const FAN_OUT_BATCH: i64 = 2000;

pub(super) fn webhook(row: &AnyRow, site: SiteId) -> StoreResult<Webhook> {
    let id: Vec<u8> = row.try_get("id")?;
    let types: String = row.try_get("event_types")?;
    let types: Vec<String> = serde_json::from_str(&types).map_err(|_| StoreError::Corrupt("event_types".into()))?;
    Ok(Webhook {
        id: Uuid::from_slice(&id).map_err(|_| StoreError::Corrupt("webhook id".into()))?,
        site,
        url: row.try_get("url")?,
        event_types: types.iter().filter_map(|t| EventType::parse(t)).collect(),
        active: row.try_get::<String, _>("status")? == "ACTIVE",
        revision: row.try_get("revision")?,
        created_date: Timestamp::from_millis(row.try_get("created_at")?),
        updated_date: Timestamp::from_millis(row.try_get("updated_at")?),
    })
}

pub(super) fn types_json(types: &[EventType]) -> String {
    serde_json::to_string(&types.iter().map(|t| t.as_str()).collect::<Vec<_>>()).unwrap_or_else(|_| "[]".into())
}

pub(super) fn status_text(active: bool) -> &'static str {
    if active {
        "ACTIVE"
    } else {
        "PAUSED"
    }
}

impl SqlStore {
    // Signing keys

    pub(super) async fn insert_signing_key_impl(&self, key: &KeyPair) -> StoreResult<()> {
        sqlx::query("INSERT INTO signing_keys (id, private_pem, public_pem, created_at) VALUES ($1, $2, $3, $4)")
            .bind(key.id.as_str())
            .bind(key.private_pem.as_str())
            .bind(key.public_pem.as_str())
            .bind(Timestamp::now().millis())
            .execute(&self.write)
            .await?;
        Ok(())
    }

    /// The newest key not retired: the one new deliveries are signed with.
    pub(super) async fn current_signing_key_impl(&self) -> StoreResult<Option<KeyPair>> {
        let row = sqlx::query(
            "SELECT id, private_pem, public_pem FROM signing_keys WHERE retired_at IS NULL \
             ORDER BY created_at DESC, id LIMIT 1",
        )
        .fetch_optional(&self.write)
        .await?;
        row.map(|r| key_pair(&r)).transpose()
    }

    pub(super) async fn signing_key_impl(&self, id: &str) -> StoreResult<Option<KeyPair>> {
        let row = sqlx::query("SELECT id, private_pem, public_pem FROM signing_keys WHERE id = $1")
            .bind(id)
            .fetch_optional(&self.read)
            .await?;
        row.map(|r| key_pair(&r)).transpose()
    }

    /// Retires every key but `keep`, and deletes retired keys no pending delivery names.
    pub(super) async fn retire_signing_keys_impl(&self, keep: &str) -> StoreResult<()> {
        sqlx::query("UPDATE signing_keys SET retired_at = $1 WHERE id <> $2 AND retired_at IS NULL")
            .bind(Timestamp::now().millis())
            .bind(keep)
            .execute(&self.write)
            .await?;
        sqlx::query(
            "DELETE FROM signing_keys WHERE retired_at IS NOT NULL AND NOT EXISTS \
             (SELECT 1 FROM webhook_deliveries d WHERE d.key_id = signing_keys.id AND d.status = 'PENDING')",
        )
        .execute(&self.write)
        .await?;
        Ok(())
    }

    // Subscriptions

    pub(super) async fn create_webhook_impl(&self, site: SiteId, new: &NewWebhook) -> StoreResult<Webhook> {
        let site_pk = self.site_key(site).await?;
        let now = Timestamp::now().millis();
        // A subscription starts at the site's present: it is sent what happens from now on.
        let sql = format!(
            "INSERT INTO webhooks (site_pk, id, url, event_types, status, revision, fanout_seq, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, 1, (SELECT event_seq FROM sites WHERE pk = $1), $6, $6) \
             RETURNING {WEBHOOK_COLUMNS}"
        );
        let row = sqlx::query(&sql)
            .bind(site_pk)
            .bind(Uuid::now_v7().as_bytes().to_vec())
            .bind(new.url.as_str())
            .bind(types_json(&new.event_types))
            .bind(status_text(new.active))
            .bind(now)
            .fetch_one(&self.write)
            .await?;
        webhook(&row, site)
    }

    pub(super) async fn get_webhook_impl(&self, site: SiteId, id: Uuid) -> StoreResult<Option<Webhook>> {
        let Some(site_pk) = self.existing_site_key(site).await? else {
            return Ok(None);
        };
        let sql = format!("SELECT {WEBHOOK_COLUMNS} FROM webhooks WHERE site_pk = $1 AND id = $2");
        let row = sqlx::query(&sql)
            .bind(site_pk)
            .bind(id.as_bytes().to_vec())
            .fetch_optional(&self.read)
            .await?;
        row.map(|r| webhook(&r, site)).transpose()
    }

    pub(super) async fn list_webhooks_impl(&self, site: SiteId) -> StoreResult<Vec<Webhook>> {
        let Some(site_pk) = self.existing_site_key(site).await? else {
            return Ok(Vec::new());
        };
        let sql = format!("SELECT {WEBHOOK_COLUMNS} FROM webhooks WHERE site_pk = $1 ORDER BY created_at, id");
        let found = sqlx::query(&sql).bind(site_pk).fetch_all(&self.read).await?;
        found.iter().map(|r| webhook(r, site)).collect()
    }

    pub(super) async fn update_webhook_impl(
        &self,
        site: SiteId,
        id: Uuid,
        patch: &WebhookPatch,
    ) -> StoreResult<Webhook> {
        let current = self.get_webhook_impl(site, id).await?.ok_or(StoreError::NotFound)?;
        let site_pk = self.site_key(site).await?;
        let sql = format!(
            "UPDATE webhooks SET url = $1, event_types = $2, status = $3, revision = revision + 1, updated_at = $4 \
             WHERE site_pk = $5 AND id = $6 RETURNING {WEBHOOK_COLUMNS}"
        );
        let row = sqlx::query(&sql)
            .bind(patch.url.clone().unwrap_or(current.url))
            .bind(types_json(patch.event_types.as_deref().unwrap_or(&current.event_types)))
            .bind(status_text(patch.active.unwrap_or(current.active)))
            .bind(Timestamp::now().millis())
            .bind(site_pk)
            .bind(id.as_bytes().to_vec())
            .fetch_optional(&self.write)
            .await?;
        row.map(|r| webhook(&r, site)).transpose()?.ok_or(StoreError::NotFound)
    }

    pub(super) async fn delete_webhook_impl(&self, site: SiteId, id: Uuid) -> StoreResult<bool> {
        let Some(site_pk) = self.existing_site_key(site).await? else {
            return Ok(false);
        };
        let mut tx = self.write.begin().await?;
        let pk: Option<i64> = sqlx::query("SELECT pk FROM webhooks WHERE site_pk = $1 AND id = $2")
            .bind(site_pk)
            .bind(id.as_bytes().to_vec())
            .fetch_optional(&mut *tx)
            .await?
            .map(|r| r.try_get("pk"))
            .transpose()?;
        let Some(pk) = pk else { return Ok(false) };
        sqlx::query(
            "DELETE FROM webhook_attempts WHERE delivery_pk IN (SELECT pk FROM webhook_deliveries WHERE webhook_pk = $1)",
        )
        .bind(pk)
        .execute(&mut *tx)
        .await?;
        sqlx::query("DELETE FROM webhook_deliveries WHERE webhook_pk = $1")
            .bind(pk)
            .execute(&mut *tx)
            .await?;
        sqlx::query("DELETE FROM webhooks WHERE pk = $1")
            .bind(pk)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(true)
    }

    // Deliveries

    /// Turns new events into deliveries for every active subscription whose
    /// site moved on. Returns how many deliveries were made.
    pub(super) async fn fan_out_impl(&self, key_id: &str) -> StoreResult<u64> {
        let behind = sqlx::query(
            "SELECT w.pk FROM webhooks w JOIN sites s ON s.pk = w.site_pk \
             WHERE w.status = 'ACTIVE' AND w.fanout_seq < s.event_seq",
        )
        .fetch_all(&self.read)
        .await?;
        let mut made = 0;
        for row in behind {
            let pk: i64 = row.try_get("pk")?;
            made += self.fan_out_one(pk, key_id).await?;
        }
        Ok(made)
    }

    async fn fan_out_one(&self, webhook_pk: i64, key_id: &str) -> StoreResult<u64> {
        let mut tx = self.write.begin().await?;
        let sql = format!(
            "SELECT w.site_pk, w.fanout_seq, w.event_types, s.id AS site_id FROM webhooks w \
             JOIN sites s ON s.pk = w.site_pk WHERE w.pk = $1{}",
            match self.dialect {
                Dialect::Postgres => " FOR UPDATE OF w SKIP LOCKED",
                Dialect::Sqlite => "",
            }
        );
        let Some(hook) = sqlx::query(&sql).bind(webhook_pk).fetch_optional(&mut *tx).await? else {
            // Another instance is fanning this one out.
            return Ok(0);
        };
        let site_pk: i64 = hook.try_get("site_pk")?;
        let after: i64 = hook.try_get("fanout_seq")?;
        let site = rows::site_id(&hook, "site_id")?;
        let types: Vec<String> = serde_json::from_str(&hook.try_get::<String, _>("event_types")?)
            .map_err(|_| StoreError::Corrupt("event_types".into()))?;
        let sql = format!(
            "SELECT {} FROM events WHERE site_pk = $1 AND seq > $2 ORDER BY seq LIMIT {FAN_OUT_BATCH}",
            super::outbox::EVENT_COLUMNS
        );
        let found = sqlx::query(&sql).bind(site_pk).bind(after).fetch_all(&mut *tx).await?;
        let Some(last) = found.last().map(|r| r.try_get::<i64, _>("seq")).transpose()? else {
            return Ok(0);
        };
        let wanted: Vec<StoredEvent> = found
            .iter()
            .map(|r| stored_event(r, site))
            .collect::<StoreResult<Vec<_>>>()?
            .into_iter()
            .filter(|e| types.contains(&e.event_type))
            .collect();
        let now = Timestamp::now().millis();
        for chunk in wanted.chunks(500) {
            let shared = |k: usize| positional(self.dialect, chunk.len() * 2 + k);
            let sql = format!(
                "WITH v (seq, order_key) AS (VALUES {}) \
                 INSERT INTO webhook_deliveries (webhook_pk, site_pk, seq, order_key, key_id, status, attempts, \
                 created_at, next_attempt_at) \
                 SELECT {}, {}, v.seq, v.order_key, {}, 'PENDING', 0, {}, {} FROM v WHERE true \
                 ON CONFLICT (webhook_pk, seq) DO NOTHING",
                values_list(self.dialect, chunk.len(), 2),
                shared(1),
                shared(2),
                shared(3),
                shared(4),
                shared(5),
            );
            let mut params = Vec::with_capacity(chunk.len() * 2 + 5);
            for event in chunk {
                params.push(SqlParam::Int(event.seq));
                params.push(SqlParam::Blob(event.order_key()));
            }
            params.extend([
                SqlParam::Int(webhook_pk),
                SqlParam::Int(site_pk),
                SqlParam::Text(key_id.to_owned()),
                SqlParam::Int(now),
                SqlParam::Int(now),
            ]);
            bind_all(sqlx::query(&sql), &params).execute(&mut *tx).await?;
        }
        sqlx::query("UPDATE webhooks SET fanout_seq = $1 WHERE pk = $2")
            .bind(last)
            .bind(webhook_pk)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(wanted.len() as u64)
    }

    /// Leases up to `limit` due deliveries until `lease_until`: each the
    /// first pending one of its subscription and order key.
    pub(super) async fn claim_deliveries_impl(
        &self,
        now: Timestamp,
        lease_until: Timestamp,
        limit: u32,
    ) -> StoreResult<Vec<Claimed>> {
        let mut tx = self.write.begin().await?;
        let lock = match self.dialect {
            Dialect::Postgres => " FOR UPDATE OF d SKIP LOCKED",
            Dialect::Sqlite => "",
        };
        let sql = format!(
            "SELECT d.pk AS delivery_pk, d.key_id, d.attempts, d.created_at AS delivery_created, w.url, s.id AS site_id, \
             {} FROM webhook_deliveries d \
             JOIN webhooks w ON w.pk = d.webhook_pk \
             JOIN sites s ON s.pk = d.site_pk \
             JOIN events ON events.site_pk = d.site_pk AND events.seq = d.seq \
             WHERE d.status = 'PENDING' AND d.next_attempt_at <= $1 \
             AND (d.lease_until IS NULL OR d.lease_until < $1) AND w.status = 'ACTIVE' \
             AND NOT EXISTS (SELECT 1 FROM webhook_deliveries p WHERE p.webhook_pk = d.webhook_pk \
                 AND p.order_key = d.order_key AND p.status = 'PENDING' AND p.seq < d.seq) \
             ORDER BY d.next_attempt_at, d.seq LIMIT {limit}{lock}",
            super::outbox::EVENT_COLUMNS
        );
        let found = sqlx::query(&sql).bind(now.millis()).fetch_all(&mut *tx).await?;
        let mut claimed = Vec::with_capacity(found.len());
        for row in &found {
            let site = rows::site_id(row, "site_id")?;
            claimed.push(Claimed {
                delivery_pk: row.try_get("delivery_pk")?,
                url: row.try_get("url")?,
                key_id: row.try_get("key_id")?,
                attempts: row.try_get("attempts")?,
                created_at: Timestamp::from_millis(row.try_get("delivery_created")?),
                event: stored_event(row, site)?,
            });
        }
        for chunk in claimed.chunks(500) {
            let mut params = vec![SqlParam::Int(lease_until.millis())];
            let names: Vec<String> = chunk
                .iter()
                .enumerate()
                .map(|(i, c)| {
                    params.push(SqlParam::Int(c.delivery_pk));
                    format!("${}", i + 2)
                })
                .collect();
            let sql = format!(
                "UPDATE webhook_deliveries SET lease_until = $1 WHERE pk IN ({})",
                names.join(", ")
            );
            bind_all(sqlx::query(&sql), &params).execute(&mut *tx).await?;
        }
        tx.commit().await?;
        Ok(claimed)
    }

    /// Records attempts and what became of each delivery, in one transaction.
    pub(super) async fn finish_deliveries_impl(&self, outcomes: &[Outcome]) -> StoreResult<()> {
        if outcomes.is_empty() {
            return Ok(());
        }
        let mut tx = self.write.begin().await?;
        // One statement per chunk: each statement is a turn of the single
        // writer that a bulk write waits behind.
        for chunk in outcomes.chunks(500) {
            let sql = format!(
                "WITH v (pk, status, next_attempt_at, attempted_at) AS (VALUES {}) \
                 UPDATE webhook_deliveries SET status = v.status, attempts = attempts + 1, \
                 next_attempt_at = v.next_attempt_at, lease_until = NULL, \
                 finished_at = CASE WHEN v.status = 'PENDING' THEN NULL ELSE v.attempted_at END \
                 FROM v WHERE webhook_deliveries.pk = v.pk",
                values_list(self.dialect, chunk.len(), 4)
            );
            let mut params = Vec::with_capacity(chunk.len() * 4);
            for o in chunk {
                params.extend([
                    SqlParam::Int(o.delivery_pk),
                    SqlParam::Text(o.status.as_str().to_owned()),
                    SqlParam::Int(o.next_attempt.millis()),
                    SqlParam::Int(o.attempt.at.millis()),
                ]);
            }
            bind_all(sqlx::query(&sql), &params).execute(&mut *tx).await?;
        }
        for chunk in outcomes.chunks(500) {
            let sql = format!(
                "INSERT INTO webhook_attempts (delivery_pk, attempted_at, status_code, latency_ms, response) VALUES {}",
                values_list(self.dialect, chunk.len(), 5)
            );
            let mut params = Vec::with_capacity(chunk.len() * 5);
            for o in chunk {
                params.extend([
                    SqlParam::Int(o.delivery_pk),
                    SqlParam::Int(o.attempt.at.millis()),
                    SqlParam::Int(o.attempt.status_code),
                    SqlParam::Int(o.attempt.latency_ms),
                    SqlParam::Text(o.attempt.response.clone()),
                ]);
            }
            bind_all(sqlx::query(&sql), &params).execute(&mut *tx).await?;
        }
        tx.commit().await?;
        Ok(())
    }

    async fn webhook_pk(&self, site: SiteId, id: Uuid) -> StoreResult<i64> {
        let site_pk = self.existing_site_key(site).await?.ok_or(StoreError::NotFound)?;
        sqlx::query("SELECT pk FROM webhooks WHERE site_pk = $1 AND id = $2")
            .bind(site_pk)
            .bind(id.as_bytes().to_vec())
            .fetch_optional(&self.read)
            .await?
            .map(|r| r.try_get::<i64, _>("pk"))
            .transpose()?
            .ok_or(StoreError::NotFound)
    }

    /// A subscription's deliveries, newest event first, with their attempts.
    pub(super) async fn list_deliveries_impl(
        &self,
        site: SiteId,
        id: Uuid,
        status: Option<DeliveryStatus>,
        limit: u32,
    ) -> StoreResult<Vec<Delivery>> {
        let pk = self.webhook_pk(site, id).await?;
        let mut params = vec![SqlParam::Int(pk)];
        let filter = match status {
            Some(s) => {
                params.push(SqlParam::Text(s.as_str().to_owned()));
                " AND d.status = $2"
            }
            None => "",
        };
        let sql = format!(
            "SELECT d.pk, d.seq, d.status, d.created_at, d.next_attempt_at, e.id AS event_id, e.event_type \
             FROM webhook_deliveries d LEFT JOIN events e ON e.site_pk = d.site_pk AND e.seq = d.seq \
             WHERE d.webhook_pk = $1{filter} ORDER BY d.seq DESC LIMIT {limit}"
        );
        let found = bind_all(sqlx::query(&sql), &params).fetch_all(&self.read).await?;
        let mut deliveries = Vec::with_capacity(found.len());
        let mut by_pk = HashMap::new();
        for row in &found {
            let event_id: Option<Vec<u8>> = row.try_get("event_id")?;
            by_pk.insert(row.try_get::<i64, _>("pk")?, deliveries.len());
            deliveries.push(Delivery {
                seq: row.try_get("seq")?,
                event_id: event_id.and_then(|b| Uuid::from_slice(&b).ok()).unwrap_or_default(),
                event_type: row.try_get::<Option<String>, _>("event_type")?.unwrap_or_default(),
                status: DeliveryStatus::parse(&row.try_get::<String, _>("status")?)
                    .ok_or_else(|| StoreError::Corrupt("delivery status".into()))?,
                created_date: Timestamp::from_millis(row.try_get("created_at")?),
                next_attempt: Timestamp::from_millis(row.try_get("next_attempt_at")?),
                attempts: Vec::new(),
            });
        }
        if !by_pk.is_empty() {
            let pks: Vec<i64> = by_pk.keys().copied().collect();
            let names: Vec<String> = (1..=pks.len()).map(|i| format!("${i}")).collect();
            let sql = format!(
                "SELECT delivery_pk, attempted_at, status_code, latency_ms, response FROM webhook_attempts \
                 WHERE delivery_pk IN ({}) ORDER BY attempted_at",
                names.join(", ")
            );
            let params: Vec<SqlParam> = pks.iter().map(|p| SqlParam::Int(*p)).collect();
            for row in bind_all(sqlx::query(&sql), &params).fetch_all(&self.read).await? {
                let pk: i64 = row.try_get("delivery_pk")?;
                if let Some(i) = by_pk.get(&pk) {
                    deliveries[*i].attempts.push(Attempt {
                        at: Timestamp::from_millis(row.try_get("attempted_at")?),
                        status_code: row.try_get("status_code")?,
                        latency_ms: row.try_get("latency_ms")?,
                        response: row.try_get("response")?,
                    });
                }
            }
        }
        Ok(deliveries)
    }

    /// Sends again one event (`Some(seq)`, whatever became of it) or every
    /// dead one of the subscription, with a fresh retry period.
    pub(super) async fn redeliver_impl(&self, site: SiteId, id: Uuid, seq: Option<i64>) -> StoreResult<u64> {
        let pk = self.webhook_pk(site, id).await?;
        let now = Timestamp::now().millis();
        let (filter, value) = match seq {
            Some(seq) => ("seq = $3", seq),
            None => ("status = 'DEAD' AND $3 = $3", 0),
        };
        let sql = format!(
            "UPDATE webhook_deliveries SET status = 'PENDING', next_attempt_at = $1, created_at = $1, \
             lease_until = NULL, finished_at = NULL WHERE webhook_pk = $2 AND {filter}"
        );
        let done = sqlx::query(&sql)
            .bind(now)
            .bind(pk)
            .bind(value)
            .execute(&self.write)
            .await?;
        Ok(done.rows_affected())
    }
}

fn key_pair(row: &AnyRow) -> StoreResult<KeyPair> {
    Ok(KeyPair {
        id: row.try_get("id")?,
        private_pem: row.try_get("private_pem")?,
        public_pem: row.try_get("public_pem")?,
    })
}
