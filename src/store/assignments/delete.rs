//! Removing assignments: by id, by badge and members, and all of a badge.

use sqlx::AnyConnection;

use super::{in_asked_order, of_site_by_id};
use crate::domain::{AssignmentId, BadgeAssignment, BadgeId, MemberId, SiteId};
use crate::events::NewEvent;
use crate::query::{SqlParam, SqlText};
use crate::store::rows::{self, ASSIGNMENT_COLUMNS};
use crate::store::sql::statement;
use crate::store::{SqlStore, StoreResult};

impl SqlStore {
    /// Deletes by id; `None` for each id that is not an assignment of the site.
    pub(in crate::store) async fn delete_assignments_impl(
        &self,
        site: SiteId,
        ids: &[AssignmentId],
    ) -> StoreResult<Vec<Option<BadgeAssignment>>> {
        let Some(site_pk) = self.existing_site_key(site).await? else {
            return Ok(vec![None; ids.len()]);
        };
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let mut write = self.begin_write(site).await?;
        let tx = &mut *write.tx;
        self.lock_badges_of(tx, site, site_pk, ids).await?;
        let mut text = SqlText::new();
        let named = of_site_by_id(&mut text, site_pk, ids);
        text.push(&format!(
            "DELETE FROM badge_assignments WHERE {named} RETURNING {ASSIGNMENT_COLUMNS}"
        ));
        let deleted = statement(&text).fetch_all(&mut *tx).await?;
        let deleted: Vec<BadgeAssignment> = deleted.iter().map(rows::assignment).collect::<StoreResult<_>>()?;
        Self::adjust_member_counts(tx, site, deleted.iter().map(|a| a.badge_id), -1).await?;
        self.notify_members(&mut write, &deleted).await?;
        let events: Vec<NewEvent> = deleted
            .iter()
            .flat_map(|a| NewEvent::assignment_deleted(a, None))
            .collect();
        let last = self.append(&mut write, &events).await?;
        self.commit_write(write, last).await?;
        Ok(in_asked_order(ids, deleted))
    }

    /// Removes the badge from these members; returns the assignments removed.
    pub(in crate::store) async fn unassign_members_impl(
        &self,
        site: SiteId,
        badge: BadgeId,
        members: &[MemberId],
    ) -> StoreResult<Vec<BadgeAssignment>> {
        let Some(site_pk) = self.existing_site_key(site).await? else {
            return Ok(Vec::new());
        };
        if members.is_empty() {
            return Ok(Vec::new());
        }
        let mut write = self.begin_write(site).await?;
        let tx = &mut *write.tx;
        self.lock_badges(tx, site, &[badge]).await?;
        let mut text = SqlText::new();
        let site_param = text.bind(SqlParam::Int(site_pk));
        let badge_param = text.bind(SqlParam::Blob(badge.to_bytes()));
        let member_list = text.bind_list(members.iter().map(|m| SqlParam::Blob(m.to_bytes())));
        text.push(&format!(
            "DELETE FROM badge_assignments WHERE site_pk = {site_param} AND badge_id = {badge_param} \
             AND member_id IN ({member_list}) RETURNING {ASSIGNMENT_COLUMNS}"
        ));
        let deleted: Vec<BadgeAssignment> = statement(&text)
            .fetch_all(&mut *tx)
            .await?
            .iter()
            .map(rows::assignment)
            .collect::<StoreResult<_>>()?;
        Self::adjust_member_counts(tx, site, deleted.iter().map(|a| a.badge_id), -1).await?;
        self.notify_members(&mut write, &deleted).await?;
        let events: Vec<NewEvent> = deleted
            .iter()
            .flat_map(|a| NewEvent::assignment_deleted(a, None))
            .collect();
        let last = self.append(&mut write, &events).await?;
        self.commit_write(write, last).await?;
        Ok(deleted)
    }

    /// Removes every assignment of a badge (inside the badge's delete transaction).
    pub(in crate::store) async fn delete_assignments_of_badge(
        conn: &mut AnyConnection,
        site: SiteId,
        badge: BadgeId,
    ) -> StoreResult<Vec<BadgeAssignment>> {
        let sql = format!(
            "DELETE FROM badge_assignments WHERE site_pk = (SELECT pk FROM sites WHERE id = $1) AND badge_id = $2 \
             RETURNING {ASSIGNMENT_COLUMNS}"
        );
        let deleted = sqlx::query(&sql)
            .bind(site.to_bytes())
            .bind(badge.to_bytes())
            .fetch_all(&mut *conn)
            .await?;
        deleted.iter().map(rows::assignment).collect()
    }
}
