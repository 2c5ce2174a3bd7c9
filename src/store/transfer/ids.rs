//! What an import asks before it writes: which ids and (member, badge)
//! pairs the target has, the ids earlier runs mapped, and resume points.

use std::collections::{HashMap, HashSet};

use sqlx::Row;

use super::ResumePoint;
use crate::domain::{AssignmentId, BadgeId, MemberId, PageId, SiteId};
use crate::query::{SqlParam, SqlText};
use crate::store::rows;
use crate::store::sql::statement;
use crate::store::{SqlStore, StoreError, StoreResult};

/// Ids per `IN (…)` list: far below either database's parameter limit.
const CHUNK: usize = 500;

fn uuid_of(bytes: &[u8], column: &str) -> StoreResult<uuid::Uuid> {
    uuid::Uuid::from_slice(bytes).map_err(|_| StoreError::Corrupt(column.to_owned()))
}

impl SqlStore {
    /// Every badge id of the site.
    pub async fn badge_ids(&self, site: SiteId) -> StoreResult<HashSet<BadgeId>> {
        sqlx::query("SELECT id FROM badges WHERE site_id = $1")
            .bind(site.to_bytes())
            .fetch_all(&self.read)
            .await?
            .iter()
            .map(|r| rows::badge_id(r, "id"))
            .collect()
    }

    /// Every page id and path of the site.
    pub async fn page_ids_and_paths(&self, site: SiteId) -> StoreResult<(HashSet<PageId>, HashSet<String>)> {
        let found = sqlx::query("SELECT id, path FROM pages WHERE site_id = $1")
            .bind(site.to_bytes())
            .fetch_all(&self.read)
            .await?;
        let mut ids = HashSet::new();
        let mut paths = HashSet::new();
        for row in &found {
            let id: Vec<u8> = row.try_get("id")?;
            ids.insert(PageId::from_bytes(&id).ok_or_else(|| StoreError::Corrupt("pages.id".into()))?);
            paths.insert(row.try_get::<String, _>("path")?);
        }
        Ok((ids, paths))
    }

    /// Which of `ids` some site already uses (assignment ids are unique across sites).
    pub async fn taken_assignment_ids(&self, ids: &[AssignmentId]) -> StoreResult<HashSet<AssignmentId>> {
        let mut taken = HashSet::new();
        for chunk in ids.chunks(CHUNK) {
            let mut text = SqlText::new();
            let list = text.bind_list(chunk.iter().map(|id| SqlParam::Blob(id.to_bytes())));
            text.push(&format!("SELECT id FROM badge_assignments WHERE id IN ({list})"));
            for row in statement(&text).fetch_all(&self.read).await? {
                taken.insert(rows::assignment_id(&row, "id")?);
            }
        }
        Ok(taken)
    }

    /// Whether some site has a webhook with this id (they are unique across sites).
    pub async fn webhook_id_taken(&self, id: uuid::Uuid) -> StoreResult<bool> {
        let found = sqlx::query("SELECT 1 AS one FROM webhooks WHERE id = $1")
            .bind(id.as_bytes().to_vec())
            .fetch_optional(&self.read)
            .await?;
        Ok(found.is_some())
    }

    /// Whether some site has an OAuth client with this id (unique across sites).
    pub async fn client_id_taken(&self, id: &str) -> StoreResult<bool> {
        let found = sqlx::query("SELECT 1 AS one FROM oauth_clients WHERE id = $1")
            .bind(id)
            .fetch_optional(&self.read)
            .await?;
        Ok(found.is_some())
    }

    /// Which of these (member, badge) pairs the site holds already.
    pub async fn held_pairs(
        &self,
        site: SiteId,
        pairs: &[(MemberId, BadgeId)],
    ) -> StoreResult<HashSet<(MemberId, BadgeId)>> {
        let mut held = HashSet::new();
        let Some(site_pk) = self.existing_site_key(site).await? else {
            return Ok(held);
        };
        for chunk in pairs.chunks(CHUNK) {
            let mut text = SqlText::new();
            let site_param = text.bind(SqlParam::Int(site_pk));
            let members = text.bind_list(chunk.iter().map(|(m, _)| SqlParam::Blob(m.to_bytes())));
            // Members first (the primary key's order), then the exact pairs here.
            text.push(&format!(
                "SELECT member_id, badge_id FROM badge_assignments WHERE site_pk = {site_param} AND member_id IN ({members})"
            ));
            let wanted: HashSet<&(MemberId, BadgeId)> = chunk.iter().collect();
            for row in statement(&text).fetch_all(&self.read).await? {
                let member: Vec<u8> = row.try_get("member_id")?;
                let member = MemberId::from_bytes(&member).ok_or_else(|| StoreError::Corrupt("member_id".into()))?;
                let pair = (member, rows::badge_id(&row, "badge_id")?);
                if wanted.contains(&pair) {
                    held.insert(pair);
                }
            }
        }
        Ok(held)
    }

    /// The ids of `kind` earlier runs from `source` mapped: source -> target.
    pub async fn mapped_ids(
        &self,
        site: SiteId,
        source: &str,
        kind: &str,
    ) -> StoreResult<HashMap<uuid::Uuid, uuid::Uuid>> {
        let found = sqlx::query(
            "SELECT source_id, target_id FROM transfer_ids WHERE site_id = $1 AND source = $2 AND kind = $3",
        )
        .bind(site.to_bytes())
        .bind(source)
        .bind(kind)
        .fetch_all(&self.read)
        .await?;
        found
            .iter()
            .map(|r| {
                let source: Vec<u8> = r.try_get("source_id")?;
                let target: Vec<u8> = r.try_get("target_id")?;
                Ok((uuid_of(&source, "source_id")?, uuid_of(&target, "target_id")?))
            })
            .collect()
    }

    /// Which of `ids` (of `kind`, from `source`) earlier runs mapped already.
    pub async fn mapped_among(
        &self,
        site: SiteId,
        source: &str,
        kind: &str,
        ids: &[uuid::Uuid],
    ) -> StoreResult<HashSet<uuid::Uuid>> {
        let mut mapped = HashSet::new();
        for chunk in ids.chunks(CHUNK) {
            let mut text = SqlText::new();
            let site_param = text.bind(SqlParam::Blob(site.to_bytes()));
            let source_param = text.bind(SqlParam::Text(source.to_owned()));
            let kind_param = text.bind(SqlParam::Text(kind.to_owned()));
            let list = text.bind_list(chunk.iter().map(|id| SqlParam::Blob(id.as_bytes().to_vec())));
            text.push(&format!(
                "SELECT source_id FROM transfer_ids WHERE site_id = {site_param} AND source = {source_param} \
                 AND kind = {kind_param} AND source_id IN ({list})"
            ));
            for row in statement(&text).fetch_all(&self.read).await? {
                let id: Vec<u8> = row.try_get("source_id")?;
                mapped.insert(uuid_of(&id, "source_id")?);
            }
        }
        Ok(mapped)
    }

    pub async fn resume_point(&self, site: SiteId, source: &str) -> StoreResult<Option<ResumePoint>> {
        let row = sqlx::query("SELECT lines, digest FROM transfer_resume WHERE site_id = $1 AND source = $2")
            .bind(site.to_bytes())
            .bind(source)
            .fetch_optional(&self.read)
            .await?;
        row.map(|r| {
            Ok(ResumePoint {
                lines: r.try_get::<i64, _>("lines")?.max(0) as u64,
                digest: r.try_get("digest")?,
            })
        })
        .transpose()
    }

    /// Forgets the resume point once an import completed.
    pub async fn clear_resume_point(&self, site: SiteId, source: &str) -> StoreResult<()> {
        sqlx::query("DELETE FROM transfer_resume WHERE site_id = $1 AND source = $2")
            .bind(site.to_bytes())
            .bind(source)
            .execute(&self.write)
            .await?;
        Ok(())
    }
}
