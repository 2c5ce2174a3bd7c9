//! Creating assignments: one insert per call that keeps only rows whose badge
//! exists in the site and skips pairs the primary key already holds, with
//! the holder counts and tag rows of what it made, in one transaction.

use std::collections::HashSet;

use sqlx::{AnyConnection, Row};

use super::of_site_by_id;
use crate::domain::{AssignmentId, AssignmentRefusal, BadgeAssignment, BadgeId, NewAssignment, SiteId, Timestamp};
use crate::events::NewEvent;
use crate::query::{Dialect, SqlParam, SqlText};
use crate::store::notices::ChangeNotice;
use crate::store::rows::{self, tags_json};
use crate::store::sql::{bind_all, positional, statement, values_list};
use crate::store::{SqlStore, StoreError, StoreResult};

impl SqlStore {
    pub(in crate::store) async fn create_assignments_impl(
        &self,
        site: SiteId,
        items: &[NewAssignment],
    ) -> StoreResult<Vec<Result<BadgeAssignment, AssignmentRefusal>>> {
        if items.is_empty() {
            return Ok(Vec::new());
        }
        let site_pk = self.site_key(site).await?;

        // Repeats within the call are refused here; everything else is one
        // INSERT that keeps only rows whose badge exists in the site and
        // skips rows the primary key already holds.
        let now = Timestamp::now();
        let mut outcome: Vec<Option<Result<BadgeAssignment, AssignmentRefusal>>> = vec![None; items.len()];
        let mut pending: Vec<(usize, BadgeAssignment)> = Vec::with_capacity(items.len());
        let mut seen = HashSet::with_capacity(items.len());
        for (index, item) in items.iter().enumerate() {
            if !seen.insert((item.badge_id, item.member_id)) {
                outcome[index] = Some(Err(AssignmentRefusal::AlreadyExists));
                continue;
            }
            pending.push((
                index,
                BadgeAssignment {
                    id: AssignmentId::generate(),
                    badge_id: item.badge_id,
                    member_id: item.member_id,
                    tags: item.tags.clone(),
                    extended_fields: item.extended_fields.clone(),
                    created_date: now,
                    updated_date: now,
                },
            ));
        }

        // The per-row values; the site and the dates, the same for every row,
        // are bound once after them.
        const COLUMNS: usize = 6;
        let shared = |k: usize| positional(self.dialect, pending.len() * COLUMNS + k);
        let site_param = shared(4);
        let values = format!(
            "v (id, badge_id, member_id, tags, private_tags, extended_fields) AS (VALUES {})",
            values_list(self.dialect, pending.len(), COLUMNS)
        );
        let insert = format!(
            "INSERT INTO badge_assignments (site_pk, id, badge_id, member_id, tags, private_tags, extended_fields, \
             created_at, updated_at) \
             SELECT {}, v.id, v.badge_id, v.member_id, v.tags, v.private_tags, v.extended_fields, {}, {} FROM v \
             WHERE EXISTS (SELECT 1 FROM badges b WHERE b.site_id = {site_param} AND b.id = v.badge_id) \
             ON CONFLICT (site_pk, member_id, badge_id) DO NOTHING",
            shared(1),
            shared(2),
            shared(3),
        );
        let sql = format!("WITH {values} {insert}");
        // On PostgreSQL the insert moves the holder counts of what it made
        // and names it, in the same statement: fewer round trips while the
        // site's row is locked (see `begin_write`).
        let counted_sql = format!(
            "WITH {values}, made AS ({insert} RETURNING id, badge_id), \
             counted AS (UPDATE badges SET member_count = member_count + d.n \
                         FROM (SELECT badge_id, COUNT(*) AS n FROM made GROUP BY badge_id) AS d \
                         WHERE badges.site_id = {site_param} AND badges.id = d.badge_id) \
             SELECT id FROM made"
        );
        let mut params: Vec<SqlParam> = Vec::with_capacity(pending.len() * COLUMNS + 4);
        for (_, a) in &pending {
            params.extend([
                SqlParam::Blob(a.id.to_bytes()),
                SqlParam::Blob(a.badge_id.to_bytes()),
                SqlParam::Blob(a.member_id.to_bytes()),
                SqlParam::NullableText(tags_json(&a.tags.public)),
                SqlParam::NullableText(tags_json(&a.tags.private)),
                SqlParam::NullableText(a.extended_fields.as_ref().map(|v| v.to_string())),
            ]);
        }
        params.extend([
            SqlParam::Int(site_pk),
            SqlParam::Int(now.millis()),
            SqlParam::Int(now.millis()),
            SqlParam::Blob(site.to_bytes()),
        ]);

        let mut badge_ids: Vec<BadgeId> = pending.iter().map(|(_, a)| a.badge_id).collect();
        badge_ids.sort();
        badge_ids.dedup();
        let ids: Vec<AssignmentId> = pending.iter().map(|(_, a)| a.id).collect();
        let untagged = pending
            .iter()
            .all(|(_, a)| a.tags.public.is_empty() && a.tags.private.is_empty());
        let (inserted, locked) = if self.dialect == Dialect::Sqlite && untagged {
            let events: Vec<(AssignmentId, NewEvent)> = pending
                .iter()
                .flat_map(|(_, a)| NewEvent::assignment_created(a).map(|e| (a.id, e)))
                .collect();
            let (made, last) = self
                .insert_untagged_sqlite(site, site_pk, sql, params, ids, &events)
                .await?;
            // Committed by the script, outside a site write: the same steps as `commit_write`.
            let holders = pending.iter().filter(|(_, a)| made.contains(&a.id));
            let notices = if made.is_empty() {
                Vec::new()
            } else {
                vec![ChangeNotice::members(site, holders.map(|(_, a)| a.member_id))]
            };
            self.committed(site, &notices, last);
            (made, None)
        } else {
            let sql = if self.dialect == Dialect::Postgres {
                &counted_sql
            } else {
                &sql
            };
            self.insert_in_transaction(site, site_pk, sql, &params, &pending, &badge_ids, ids)
                .await?
        };

        // Why the others were skipped: a missing badge, or a member who holds it already.
        let existing = match locked {
            Some(existing) => existing,
            None if inserted.len() < pending.len() => self.existing_badges(site, &badge_ids).await?,
            None => badge_ids.iter().copied().collect(),
        };
        for (index, assignment) in pending {
            outcome[index] = Some(if inserted.contains(&assignment.id) {
                Ok(assignment)
            } else if existing.contains(&assignment.badge_id) {
                Err(AssignmentRefusal::AlreadyExists)
            } else {
                Err(AssignmentRefusal::BadgeNotFound)
            });
        }
        Ok(outcome
            .into_iter()
            .map(|o| o.unwrap_or(Err(AssignmentRefusal::AlreadyExists)))
            .collect())
    }

    /// The general insert: one transaction holding the insert, the holder
    /// counts and the tag rows. On PostgreSQL the badges are locked first
    /// (see `lock_badges`) and returned as the ones that exist, and `sql`
    /// also moves the holder counts and returns the ids it inserted.
    #[allow(clippy::too_many_arguments)]
    async fn insert_in_transaction(
        &self,
        site: SiteId,
        site_pk: i64,
        sql: &str,
        params: &[SqlParam],
        pending: &[(usize, BadgeAssignment)],
        badge_ids: &[BadgeId],
        ids: Vec<AssignmentId>,
    ) -> StoreResult<(HashSet<AssignmentId>, Option<HashSet<BadgeId>>)> {
        let mut write = self.begin_write(site).await?;
        let tx = &mut *write.tx;
        let locked = if self.dialect == Dialect::Postgres {
            Some(self.lock_badges(tx, site, badge_ids).await?)
        } else {
            None
        };
        let inserted = if self.dialect == Dialect::Postgres {
            bind_all(sqlx::query(sql), params)
                .fetch_all(&mut *tx)
                .await?
                .iter()
                .map(|r| rows::assignment_id(r, "id"))
                .collect::<StoreResult<HashSet<AssignmentId>>>()?
        } else {
            let inserted_count = bind_all(sqlx::query(sql), params)
                .execute(&mut *tx)
                .await?
                .rows_affected() as usize;
            let inserted = Self::inserted_ids(tx, site_pk, inserted_count, ids).await?;
            let added = pending
                .iter()
                .filter(|(_, a)| inserted.contains(&a.id))
                .map(|(_, a)| a.badge_id);
            Self::adjust_member_counts(tx, site, added, 1).await?;
            inserted
        };
        let made: Vec<&BadgeAssignment> = pending
            .iter()
            .map(|(_, a)| a)
            .filter(|a| inserted.contains(&a.id))
            .collect();
        Self::insert_tag_rows(tx, self.dialect, Some(site_pk), made.iter().copied()).await?;
        let events: Vec<NewEvent> = made.iter().flat_map(|a| NewEvent::assignment_created(a)).collect();
        self.notify_members(&mut write, made).await?;
        let last = self.append(&mut write, &events).await?;
        self.commit_write(write, last).await?;
        Ok((inserted, locked))
    }

    /// The common bulk load on SQLite, an untagged insert, in one round trip
    /// to the writer: the insert and the holder counts travel as one script
    /// inside `BEGIN IMMEDIATE … COMMIT`. The single write connection is busy
    /// only while the script runs, not while this task is scheduled between
    /// statements. It runs as a task of its own so that a cancelled request
    /// cannot stop it half way with the transaction open. Returns the ids
    /// it made and the site's last event number, for the caller to announce.
    #[allow(clippy::too_many_arguments)]
    async fn insert_untagged_sqlite(
        &self,
        site: SiteId,
        site_pk: i64,
        insert_sql: String,
        mut params: Vec<SqlParam>,
        ids: Vec<AssignmentId>,
        events: &[(AssignmentId, NewEvent)],
    ) -> StoreResult<(HashSet<AssignmentId>, Option<i64>)> {
        let id_list = vec!["?"; ids.len()].join(", ");
        // Counts by badge of the rows this script made: the ids are fresh, so
        // every id found was inserted just now. `+site_pk` keeps the planner
        // on the id index: with `site_pk = ?` usable it walked the site's
        // whole holders index (every assignment of the site) on every call.
        // The events of the rows made are numbered in the order given, after
        // the site's last number.
        let script = format!(
            "BEGIN IMMEDIATE; {insert_sql}; SELECT changes() AS inserted; \
             UPDATE badges SET member_count = member_count + d.n \
             FROM (SELECT badge_id, COUNT(*) AS n FROM badge_assignments \
                   WHERE +site_pk = ? AND id IN ({id_list}) GROUP BY badge_id) AS d \
             WHERE badges.site_id = ? AND badges.id = d.badge_id; \
             WITH e (n, id, assignment_id, event_type, entity_id, body) AS (VALUES {}) \
             INSERT INTO events (site_pk, seq, id, event_type, entity_id, event_time, identity, body) \
             SELECT ?, (SELECT event_seq FROM sites WHERE pk = ?) + ROW_NUMBER() OVER (ORDER BY e.n), \
                    e.id, e.event_type, e.entity_id, ?, ?, e.body FROM e \
             WHERE EXISTS (SELECT 1 FROM badge_assignments a WHERE a.site_pk = ? AND a.id = e.assignment_id); \
             UPDATE sites SET event_seq = event_seq + changes() WHERE pk = ?; \
             SELECT event_seq AS last_seq FROM sites WHERE pk = ?; COMMIT",
            values_list(Dialect::Sqlite, events.len(), 6)
        );
        params.push(SqlParam::Int(site_pk));
        params.extend(ids.iter().map(|id| SqlParam::Blob(id.to_bytes())));
        params.push(SqlParam::Blob(site.to_bytes()));
        for (n, (assignment, event)) in events.iter().enumerate() {
            params.extend([
                SqlParam::Int(n as i64),
                SqlParam::Blob(uuid::Uuid::new_v4().as_bytes().to_vec()),
                SqlParam::Blob(assignment.to_bytes()),
                SqlParam::Text(event.event_type.as_str().to_owned()),
                SqlParam::Blob(event.entity_id.as_bytes().to_vec()),
                SqlParam::Text(event.body_text()),
            ]);
        }
        params.extend([
            SqlParam::Int(site_pk),
            SqlParam::Int(site_pk),
            SqlParam::Int(Timestamp::now().millis()),
            SqlParam::Text(self.actor.identity_json()),
            SqlParam::Int(site_pk),
            SqlParam::Int(site_pk),
            SqlParam::Int(site_pk),
        ]);
        let write = self.write.clone();
        let task = tokio::spawn(async move {
            let mut conn = write.acquire().await?;
            let rows = match bind_all(sqlx::query(&script), &params).fetch_all(&mut *conn).await {
                Ok(rows) => rows,
                Err(e) => {
                    // A statement failed inside the script: end its transaction
                    // here. A connection that cannot say whether it did must
                    // never serve another request still inside it.
                    if sqlx::query("ROLLBACK").execute(&mut *conn).await.is_err() {
                        let _ = conn.close().await;
                    }
                    return Err(e.into());
                }
            };
            let inserted: i64 = match rows.first() {
                Some(row) => row.try_get("inserted")?,
                None => 0,
            };
            let last_seq: Option<i64> = match rows.get(1) {
                Some(row) if inserted > 0 => Some(row.try_get("last_seq")?),
                _ => None,
            };
            // Still on the only write connection: nothing has changed since the script.
            let made = Self::inserted_ids(&mut conn, site_pk, inserted as usize, ids).await?;
            Ok::<_, StoreError>((made, last_seq))
        });
        task.await
            .map_err(|e| StoreError::Corrupt(format!("insert task failed: {e}")))?
    }

    /// The ids an insert of `ids` made, given how many rows it reported.
    /// Usually every row goes in; only when some did not is it worth asking
    /// which: the ids are fresh, so every one stored was inserted just now.
    async fn inserted_ids(
        conn: &mut AnyConnection,
        site_pk: i64,
        inserted: usize,
        ids: Vec<AssignmentId>,
    ) -> StoreResult<HashSet<AssignmentId>> {
        if inserted == ids.len() {
            return Ok(ids.into_iter().collect());
        }
        let mut text = SqlText::new();
        let named = of_site_by_id(&mut text, site_pk, &ids);
        text.push(&format!("SELECT id FROM badge_assignments WHERE {named}"));
        statement(&text)
            .fetch_all(&mut *conn)
            .await?
            .iter()
            .map(|r| rows::assignment_id(r, "id"))
            .collect()
    }

    /// The tag index rows of new assignments (tag changes later are the
    /// update trigger's). With `Some(site_pk)` each is written only where its
    /// assignment is that site's; `None` when the caller inserted every one
    /// of these assignments in this transaction, which spares a lookup per
    /// row. Untagged assignments cost nothing here.
    pub(in crate::store) async fn insert_tag_rows(
        conn: &mut AnyConnection,
        dialect: Dialect,
        site_pk: Option<i64>,
        assignments: impl Iterator<Item = &BadgeAssignment>,
    ) -> StoreResult<()> {
        let rows: Vec<(&AssignmentId, &str, &String)> = assignments
            .flat_map(|a| {
                let public = a.tags.public.as_slice().iter().map(move |t| (&a.id, "public", t));
                let private = a.tags.private.as_slice().iter().map(move |t| (&a.id, "private", t));
                public.chain(private)
            })
            .collect();
        // 300 rows of 3 parameters stay far below either database's parameter limit.
        for chunk in rows.chunks(300) {
            let values = values_list(dialect, chunk.len(), 3);
            let sql = match site_pk {
                Some(_) => format!(
                    "WITH v (assignment_id, kind, tag) AS (VALUES {values}) \
                     INSERT INTO badge_assignment_tags (assignment_id, kind, tag) \
                     SELECT v.assignment_id, v.kind, v.tag FROM v WHERE EXISTS \
                     (SELECT 1 FROM badge_assignments a WHERE a.site_pk = {} AND a.id = v.assignment_id) \
                     ON CONFLICT DO NOTHING",
                    positional(dialect, chunk.len() * 3 + 1),
                ),
                None => format!(
                    "INSERT INTO badge_assignment_tags (assignment_id, kind, tag) VALUES {values} ON CONFLICT DO NOTHING"
                ),
            };
            let mut params: Vec<SqlParam> = Vec::with_capacity(chunk.len() * 3 + 1);
            for (id, kind, tag) in chunk {
                params.extend([
                    SqlParam::Blob(id.to_bytes()),
                    SqlParam::Text((*kind).to_owned()),
                    SqlParam::Text((*tag).clone()),
                ]);
            }
            params.extend(site_pk.map(SqlParam::Int));
            bind_all(sqlx::query(&sql), &params).execute(&mut *conn).await?;
        }
        Ok(())
    }
}
