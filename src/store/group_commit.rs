//! Group commit on SQLite. SQLite has one writer, so concurrent creates
//! queue for it anyway; here they queue in a channel instead, and one task
//! applies everything waiting in one transaction and one commit.
//!
//! - The group's badges, of any sites, are created with one statement per
//!   step (see `SqlStore::create_badges_in`), then all their events with
//!   two more (each with its caller's identity). The statements on
//!   the single writer, not the work in them, bound how fast it goes, so
//!   fewer statements per create is what makes it faster.
//! - Should any of that fail, the transaction is rolled back and the group
//!   is applied again one create at a time, each in a savepoint of its
//!   own: a failing create rolls back alone and gets its own error, while
//!   its neighbours go on.
//! - Nobody hears an answer before the shared commit succeeded; if it
//!   fails, every create in it fails (nothing of it was written).
//! - Events keep their per-site gapless sequence: the group's transaction
//!   numbers them from the site's counter like any other write.
//!
//! PostgreSQL has many connections and row locks, and keeps one
//! transaction per create.

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use sqlx::{Acquire, Any, AnyConnection, Row, Transaction};
use tokio::sync::{mpsc, oneshot};
use uuid::Uuid;

use super::badges::SiteBadge;
use super::sql::{bind_all, positional, values_list};
use super::{SqlStore, StoreError, StoreResult};
use crate::domain::{Badge, NewBadge, SiteId, Timestamp};
use crate::events::{Actor, NewEvent};
use crate::query::SqlParam;

/// The most creates applied in one transaction. Bounds the statements'
/// sizes (17 parameters a badge) and how long one commit keeps the writer.
const MAX_GROUP: usize = 128;

/// Event rows per insert statement (8 parameters each).
const EVENTS_PER_INSERT: usize = 1000;

/// A create waiting for the writer.
struct QueuedCreate {
    site: SiteId,
    site_pk: i64,
    badge: NewBadge,
    actor: Actor,
    answer: oneshot::Sender<StoreResult<Badge>>,
}

/// The queue of the single writer's group commits.
#[derive(Clone)]
pub(super) struct GroupWriter {
    queue: mpsc::UnboundedSender<QueuedCreate>,
    /// Creates sent and not yet taken into a group (the `/metrics` gauge).
    waiting: Arc<AtomicUsize>,
}

impl GroupWriter {
    /// Starts the task that applies queued creates through `store`'s write
    /// pool. It ends when every handle to the queue is dropped.
    pub(super) fn start(store: SqlStore) -> Self {
        let (queue, received) = mpsc::unbounded_channel();
        let waiting = Arc::new(AtomicUsize::new(0));
        tokio::spawn(apply_groups(store, received, waiting.clone()));
        Self { queue, waiting }
    }

    /// Creates waiting for the next group.
    pub(super) fn waiting(&self) -> usize {
        self.waiting.load(Ordering::Relaxed)
    }

    /// Creates a badge in the next group commit. `None` when the writer task
    /// is gone (its runtime shut down), for the caller to write directly.
    pub(super) async fn create_badge(
        &self,
        site: SiteId,
        site_pk: i64,
        badge: NewBadge,
        actor: Actor,
    ) -> Option<StoreResult<Badge>> {
        let (answer, heard) = oneshot::channel();
        let queued = QueuedCreate {
            site,
            site_pk,
            badge,
            actor,
            answer,
        };
        self.waiting.fetch_add(1, Ordering::Relaxed);
        if self.queue.send(queued).is_err() {
            self.waiting.fetch_sub(1, Ordering::Relaxed);
            return None;
        }
        Some(
            heard
                .await
                .unwrap_or(Err(StoreError::Database(sqlx::Error::WorkerCrashed))),
        )
    }
}

async fn apply_groups(store: SqlStore, mut received: mpsc::UnboundedReceiver<QueuedCreate>, waiting: Arc<AtomicUsize>) {
    while let Some(first) = received.recv().await {
        let mut group = vec![first];
        while group.len() < MAX_GROUP {
            match received.try_recv() {
                Ok(next) => group.push(next),
                Err(_) => break,
            }
        }
        waiting.fetch_sub(group.len(), Ordering::Relaxed);
        apply_group(&store, group).await;
    }
}

/// The creates of one site by one actor, as indices into the group.
struct Bucket {
    site: SiteId,
    site_pk: i64,
    actor: Actor,
    members: Vec<usize>,
}

fn buckets(group: &[QueuedCreate]) -> Vec<Bucket> {
    let mut found: Vec<Bucket> = Vec::new();
    for (i, create) in group.iter().enumerate() {
        match found
            .iter_mut()
            .find(|b| b.site == create.site && b.actor == create.actor)
        {
            Some(bucket) => bucket.members.push(i),
            None => found.push(Bucket {
                site: create.site,
                site_pk: create.site_pk,
                actor: create.actor.clone(),
                members: vec![i],
            }),
        }
    }
    found
}

/// Applies one group in one transaction and answers each create after the
/// commit.
async fn apply_group(store: &SqlStore, group: Vec<QueuedCreate>) {
    let mut answers: Vec<Option<StoreResult<Badge>>> = group.iter().map(|_| None).collect();
    let mut advanced: Vec<(SiteId, i64)> = Vec::new();
    let outcome = write_group(store, &group, &mut answers, &mut advanced).await;
    match outcome {
        Ok(()) => {
            // Creates change nothing the caches hold: only the events are announced.
            for (site, seq) in advanced {
                store.committed(site, &[], Some(seq));
            }
        }
        Err(e) => {
            // Nothing of the group was written: every create that would have
            // succeeded fails with the reason; refused ones keep their own.
            let reason = e.to_string();
            for answer in &mut answers {
                if !matches!(answer, Some(Err(_))) {
                    *answer = Some(Err(StoreError::Database(sqlx::Error::Protocol(format!(
                        "the group commit failed: {reason}"
                    )))));
                }
            }
        }
    }
    for (create, answer) in group.into_iter().zip(answers) {
        let answer = answer.unwrap_or(Err(StoreError::NotFound));
        // A caller that went away no longer needs its answer.
        let _ = create.answer.send(answer);
    }
}

/// Writes every create of the group, filling in `answers` and the sites'
/// new last events, and commits. `Err`: the transaction failed as a whole.
async fn write_group(
    store: &SqlStore,
    group: &[QueuedCreate],
    answers: &mut [Option<StoreResult<Badge>>],
    advanced: &mut Vec<(SiteId, i64)>,
) -> StoreResult<()> {
    let mut conn = store.write.acquire().await?;
    // All together first, with one statement per step for the whole group.
    let mut tx = conn.begin().await?;
    match write_together(store, &mut tx, group).await {
        Ok((together, last)) => {
            tx.commit().await?;
            for (answer, together) in answers.iter_mut().zip(together) {
                *answer = Some(together);
            }
            advanced.extend(last);
            return Ok(());
        }
        Err(_) => tx.rollback().await?,
    }
    // Something in it failed: one by one, each in a savepoint of its own.
    let mut tx = conn.begin().await?;
    for (create, answer) in group.iter().zip(answers.iter_mut()) {
        let mut writer = store.clone();
        writer.actor = create.actor.clone();
        let (alone, last) = create_alone(&writer, &mut tx, create).await?;
        *answer = Some(alone);
        advanced.extend(last.map(|seq| (create.site, seq)));
    }
    tx.commit().await?;
    Ok(())
}

/// The whole group's badges in one go, then all their events in one go.
async fn write_together(
    store: &SqlStore,
    tx: &mut Transaction<'_, Any>,
    group: &[QueuedCreate],
) -> StoreResult<(Vec<StoreResult<Badge>>, Vec<(SiteId, i64)>)> {
    let items: Vec<SiteBadge<'_>> = group
        .iter()
        .map(|c| SiteBadge {
            site: c.site,
            badge: &c.badge,
        })
        .collect();
    let answers = store.create_badges_in(tx, &items).await?;
    let outbox: Vec<SiteEvents> = buckets(group)
        .into_iter()
        .map(|bucket| SiteEvents {
            site: bucket.site,
            site_pk: bucket.site_pk,
            identity: bucket.actor.identity_json(),
            events: bucket
                .members
                .iter()
                .filter_map(|&i| answers[i].as_ref().ok())
                .flat_map(NewEvent::badge_created)
                .collect(),
        })
        .collect();
    let advanced = append_events_of_sites(store, tx, &outbox).await?;
    Ok((answers, advanced))
}

/// Events of one site by one caller, for `append_events_of_sites`.
struct SiteEvents {
    site: SiteId,
    site_pk: i64,
    identity: String,
    events: Vec<NewEvent>,
}

/// Appends the events of several sites to the outbox with two statements:
/// one moves every site's counter on, one inserts the rows. Like
/// `SqlStore::append_events` for one site, each site's events are numbered
/// on from its counter, without a gap, in the order given. Returns each
/// site's new last number.
async fn append_events_of_sites(
    store: &SqlStore,
    conn: &mut AnyConnection,
    outbox: &[SiteEvents],
) -> StoreResult<Vec<(SiteId, i64)>> {
    let mut totals: Vec<(SiteId, i64, i64)> = Vec::new();
    for part in outbox.iter().filter(|p| !p.events.is_empty()) {
        match totals.iter_mut().find(|(_, pk, _)| *pk == part.site_pk) {
            Some((_, _, n)) => *n += part.events.len() as i64,
            None => totals.push((part.site, part.site_pk, part.events.len() as i64)),
        }
    }
    if totals.is_empty() {
        return Ok(Vec::new());
    }
    let p = |n: usize| positional(store.dialect, n);
    let cases: Vec<String> = (0..totals.len())
        .map(|i| format!("WHEN {} THEN {}", p(2 * i + 1), p(2 * i + 2)))
        .collect();
    let keys: Vec<String> = (0..totals.len()).map(|i| p(2 * totals.len() + i + 1)).collect();
    let sql = format!(
        "UPDATE sites SET event_seq = event_seq + CASE pk {} END WHERE pk IN ({}) RETURNING pk, event_seq",
        cases.join(" "),
        keys.join(", ")
    );
    let mut params: Vec<SqlParam> = totals
        .iter()
        .flat_map(|(_, pk, n)| [SqlParam::Int(*pk), SqlParam::Int(*n)])
        .collect();
    params.extend(totals.iter().map(|(_, pk, _)| SqlParam::Int(*pk)));
    let moved = bind_all(sqlx::query(&sql), &params).fetch_all(&mut *conn).await?;
    // The next number to give in each site.
    let mut next: HashMap<i64, i64> = HashMap::with_capacity(totals.len());
    for row in &moved {
        let pk: i64 = row.try_get("pk")?;
        let last: i64 = row.try_get("event_seq")?;
        let total = totals.iter().find(|(_, k, _)| *k == pk).map_or(0, |(_, _, n)| *n);
        next.insert(pk, last - total + 1);
    }
    let now = Timestamp::now().millis();
    let mut rows: Vec<[SqlParam; 8]> = Vec::new();
    for part in outbox {
        for event in &part.events {
            let seq = next.get_mut(&part.site_pk).ok_or(StoreError::NotFound)?;
            rows.push([
                SqlParam::Int(*seq),
                SqlParam::Blob(Uuid::new_v4().as_bytes().to_vec()),
                SqlParam::Text(event.event_type.as_str().to_owned()),
                SqlParam::Blob(event.entity_id.as_bytes().to_vec()),
                SqlParam::Text(event.body_text()),
                SqlParam::Int(part.site_pk),
                SqlParam::Int(now),
                SqlParam::Text(part.identity.clone()),
            ]);
            *seq += 1;
        }
    }
    for chunk in rows.chunks(EVENTS_PER_INSERT) {
        let sql = format!(
            "INSERT INTO events (seq, id, event_type, entity_id, body, site_pk, event_time, identity) VALUES {}",
            values_list(store.dialect, chunk.len(), 8)
        );
        let params: Vec<SqlParam> = chunk.iter().flat_map(|row| row.iter().cloned()).collect();
        bind_all(sqlx::query(&sql), &params).execute(&mut *conn).await?;
    }
    let mut advanced = Vec::with_capacity(totals.len());
    for (site, pk, _) in totals {
        let last = next.get(&pk).map_or(0, |n| n - 1);
        store.announce_in_transaction(conn, site, last).await?;
        advanced.push((site, last));
    }
    Ok(advanced)
}

/// One create in a savepoint of its own. The outer `Err` is a failure of
/// the transaction itself (the savepoint could not be set or undone).
async fn create_alone(
    writer: &SqlStore,
    tx: &mut Transaction<'_, Any>,
    create: &QueuedCreate,
) -> StoreResult<(StoreResult<Badge>, Option<i64>)> {
    let mut savepoint = tx.begin().await?;
    let written = writer
        .create_badge_in(&mut savepoint, create.site, create.site_pk, &create.badge)
        .await;
    Ok(match written {
        Ok((badge, last)) => {
            savepoint.commit().await?;
            (Ok(badge), last)
        }
        Err(e) => {
            savepoint.rollback().await?;
            (Err(e), None)
        }
    })
}
