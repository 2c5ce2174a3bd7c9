//! Reading assignments with the query language.

use crate::domain::{BadgeAssignment, SiteId};
use crate::query::{Query, SqlParam, ASSIGNMENTS};
use crate::store::rows::{self, ASSIGNMENT_COLUMNS};
use crate::store::{Page, SqlStore, StoreResult};

impl SqlStore {
    pub(in crate::store) async fn query_assignments_impl(
        &self,
        site: SiteId,
        query: &Query,
    ) -> StoreResult<Page<BadgeAssignment>> {
        // A site that never stored anything has key -1, which matches no row.
        let site_pk = self.existing_site_key(site).await?.unwrap_or(-1);
        let (found, page) = self
            .run_query(
                &ASSIGNMENTS,
                "badge_assignments",
                ASSIGNMENT_COLUMNS,
                ("badge_assignments.site_pk", SqlParam::Int(site_pk)),
                query,
            )
            .await?;
        let items = found.iter().map(rows::assignment).collect::<StoreResult<Vec<_>>>()?;
        Ok(page.with_items(items))
    }

    /// The database's plan for the first page of an assignment query (see
    /// `first_page_plan`): which index answers it, and whether it sorts.
    pub async fn assignment_page_plan(&self, site: SiteId, query: &Query) -> StoreResult<Vec<String>> {
        let site_pk = self.existing_site_key(site).await?.unwrap_or(-1);
        self.first_page_plan(
            &ASSIGNMENTS,
            "badge_assignments",
            ASSIGNMENT_COLUMNS,
            ("badge_assignments.site_pk", SqlParam::Int(site_pk)),
            query,
        )
        .await
    }
}
