//! Holder counts, kept on the badge row by every write that changes them.

use sqlx::{AnyConnection, Row};

use crate::domain::{BadgeId, SiteId};
use crate::query::{SqlParam, SqlText};
use crate::store::rows;
use crate::store::sql::statement;
use crate::store::{SqlStore, StoreResult};

impl SqlStore {
    /// Moves each badge's holder count by `step` for every time it appears in
    /// `badges`: one statement for the whole change.
    pub(in crate::store) async fn adjust_member_counts(
        conn: &mut AnyConnection,
        site: SiteId,
        badges: impl Iterator<Item = BadgeId>,
        step: i64,
    ) -> StoreResult<()> {
        let mut deltas: Vec<(BadgeId, i64)> = Vec::new();
        for badge in badges {
            match deltas.iter_mut().find(|(b, _)| *b == badge) {
                Some((_, delta)) => *delta += step,
                None => deltas.push((badge, step)),
            }
        }
        if deltas.is_empty() {
            return Ok(());
        }
        // `CASE id WHEN $2 THEN $3 …` with the ids reused in the `IN` list.
        let mut text = SqlText::new();
        let site = text.bind(SqlParam::Blob(site.to_bytes()));
        let mut cases = Vec::with_capacity(deltas.len());
        let mut ids = Vec::with_capacity(deltas.len());
        for (badge, delta) in &deltas {
            let id = text.bind(SqlParam::Blob(badge.to_bytes()));
            cases.push(format!("WHEN {id} THEN {}", text.bind(SqlParam::Int(*delta))));
            ids.push(id);
        }
        text.push(&format!(
            "UPDATE badges SET member_count = member_count + CASE id {} END WHERE site_id = {site} AND id IN ({})",
            cases.join(" "),
            ids.join(", ")
        ));
        statement(&text).execute(&mut *conn).await?;
        Ok(())
    }

    /// Holder counts of every badge of the site, in display order. Kept on the
    /// badge row, so this costs the same however many assignments exist.
    pub(in crate::store) async fn member_counts_impl(&self, site: SiteId) -> StoreResult<Vec<(BadgeId, i64)>> {
        let found = sqlx::query("SELECT id, member_count FROM badges WHERE site_id = $1 ORDER BY display_order, id")
            .bind(site.to_bytes())
            .fetch_all(&self.read)
            .await?;
        found
            .iter()
            .map(|r| Ok((rows::badge_id(r, "id")?, r.try_get("member_count")?)))
            .collect()
    }
}
