//! Badge assignment storage. Multi-row writes are one transaction each;
//! uniqueness of (site, member, badge) is the primary key's job. Each write
//! moves `badges.member_count` by what it changed, in its own transaction, so
//! the counts are exact at every commit. New assignments write their tag
//! index rows in the same transaction; a database trigger (see the
//! migrations) keeps them in step when tags change. Every statement names
//! the site, even where the ids it touches are fresh.

mod counts;
mod delete;
mod insert;
mod locks;
mod query;
mod tags;

use std::collections::HashMap;

use crate::domain::{AssignmentId, BadgeAssignment};
use crate::query::{SqlParam, SqlText};
use crate::store::notices::ChangeNotice;
use crate::store::outbox::SiteWrite;
use crate::store::{SqlStore, StoreResult};

impl SqlStore {
    /// Records that the holders of these assignments changed (nothing when
    /// none changed): the caches forget their assignments and badge sets.
    async fn notify_members<'a>(
        &self,
        write: &mut SiteWrite,
        changed: impl IntoIterator<Item = &'a BadgeAssignment>,
    ) -> StoreResult<()> {
        let mut changed = changed.into_iter().peekable();
        if changed.peek().is_none() {
            return Ok(());
        }
        let notice = ChangeNotice::members(write.site, changed.map(|a| a.member_id));
        self.notify(write, notice).await
    }
}

/// `+site_pk = $n AND id IN (…)`: the assignments of one site, named by id.
/// The unary plus keeps `site_pk` out of index choice, so both databases
/// look the ids up in the id index and check the site on each row found.
/// Without it SQLite took `site_pk = ?` as the cheaper range and read every
/// assignment of the site (the primary key, or a covering index) per call.
fn of_site_by_id(text: &mut SqlText, site_pk: i64, ids: &[AssignmentId]) -> String {
    let site = text.bind(SqlParam::Int(site_pk));
    let ids = text.bind_list(ids.iter().map(|id| SqlParam::Blob(id.to_bytes())));
    format!("+site_pk = {site} AND id IN ({ids})")
}

/// One answer per id asked for, in the order asked: the assignment, or
/// `None` where there was none.
fn in_asked_order(ids: &[AssignmentId], found: Vec<BadgeAssignment>) -> Vec<Option<BadgeAssignment>> {
    let mut by_id: HashMap<AssignmentId, BadgeAssignment> = found.into_iter().map(|a| (a.id, a)).collect();
    ids.iter().map(|id| by_id.remove(id)).collect()
}
