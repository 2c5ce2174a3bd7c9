//! Building blocks for the conformance tests: a fresh store, sites, badges,
//! members and parsed queries.

use std::sync::Arc;

use insignia::domain::{
    Badge, BadgeAssignment, BadgeDescription, BadgeId, BadgeTitle, Color, Job, MemberId, NewAssignment, NewBadge,
    SiteId, TagIds, Tags,
};
use insignia::query::{parse_query, CursorCodec, Entity, PageLimits, Paging, Query, Value};
use insignia::store::{Page, Store};

use crate::common::{Backend, TestDb};

/// A fresh database for `backend`, and the store behind it as the trait.
pub async fn open(backend: Backend) -> (TestDb, Arc<dyn Store>) {
    let db = TestDb::new(backend).await.expect("database for this backend");
    let store: Arc<dyn Store> = db.store.clone();
    (db, store)
}

pub fn site() -> SiteId {
    SiteId::from_uuid(uuid::Uuid::new_v4())
}

pub fn member() -> MemberId {
    MemberId::from_uuid(uuid::Uuid::new_v4())
}

pub fn unknown_badge() -> BadgeId {
    BadgeId::from_uuid(uuid::Uuid::new_v4())
}

pub fn new_badge(title: &str) -> NewBadge {
    NewBadge {
        title: BadgeTitle::parse("title", title).expect("valid title"),
        description: BadgeDescription::default(),
        background_color: Color::default_background(),
        text_color: Color::default_text(),
        icon: None,
        permissions_enabled: false,
    }
}

pub async fn badge(store: &dyn Store, site: SiteId, title: &str) -> Badge {
    store.create_badge(site, &new_badge(title)).await.expect("create badge")
}

pub fn tag_ids(tags: &[&str]) -> TagIds {
    TagIds::from_stored(tags.iter().map(|t| t.to_string()).collect())
}

pub fn tags(public: &[&str], private: &[&str]) -> Tags {
    Tags {
        public: tag_ids(public),
        private: tag_ids(private),
    }
}

pub fn new_assignment(badge: BadgeId, member: MemberId) -> NewAssignment {
    NewAssignment {
        badge_id: badge,
        member_id: member,
        tags: Tags::default(),
        extended_fields: None,
    }
}

/// Assigns `badge` to `member`; panics unless it is a new assignment.
pub async fn assign(store: &dyn Store, site: SiteId, badge: BadgeId, member: MemberId) -> BadgeAssignment {
    let mut result = store
        .create_assignments(site, &[new_assignment(badge, member)])
        .await
        .expect("create assignment");
    result.remove(0).expect("assignment made")
}

const LIMITS: PageLimits = PageLimits {
    default_limit: 100,
    max_limit: 1000,
    default_cursor_limit: 100,
    max_cursor_limit: 1000,
};

/// A query as a client would send it (`{"filter", "sort", "paging" | "cursorPaging"}`).
pub fn query(entity: &'static Entity, raw: serde_json::Value) -> Query {
    let codec = CursorCodec::new(b"conformance", b"site");
    parse_query(entity, &raw, "query", LIMITS, &codec).expect("valid query")
}

/// The same query, continued from a page's sort key (forward, or backward from it).
pub fn continued(query: &Query, key: Vec<Value>, backward: bool) -> Query {
    let limit = match query.paging {
        Paging::Offset { limit, .. } | Paging::Cursor { limit, .. } => limit,
    };
    let mut next = query.clone();
    next.paging = Paging::Cursor {
        limit,
        after: Some(key),
        backward,
    };
    next
}

/// Walks every cursor page of a query forward; returns the pages.
pub async fn all_pages<T, F, Fut>(first: &Query, run: F) -> Vec<Page<T>>
where
    F: Fn(Query) -> Fut,
    Fut: std::future::Future<Output = Page<T>>,
{
    let mut pages = vec![run(first.clone()).await];
    while let Some(key) = pages.last().and_then(|p| p.next_key.clone()) {
        assert!(pages.len() < 1000, "paging does not end");
        pages.push(run(continued(first, key, false)).await);
    }
    pages
}

/// Holder count of one badge, from `member_counts`.
pub async fn count_of(store: &dyn Store, site: SiteId, badge: BadgeId) -> Option<i64> {
    store
        .member_counts(site)
        .await
        .expect("member counts")
        .into_iter()
        .find(|(b, _)| *b == badge)
        .map(|(_, n)| n)
}

/// Every assignment of the site (query, one big page).
pub async fn all_assignments(store: &dyn Store, site: SiteId) -> Vec<BadgeAssignment> {
    let q = query(
        &insignia::query::ASSIGNMENTS,
        serde_json::json!({"paging": {"limit": 1000}}),
    );
    store.query_assignments(site, &q).await.expect("query").items
}

/// Queues a re-tag by filter and runs the queue dry in batches of `batch`,
/// as the job runner would; returns the job as it ended.
pub async fn retag_by_filter(
    store: &dyn Store,
    site: SiteId,
    filter: serde_json::Value,
    add: &Tags,
    remove: &Tags,
    batch: usize,
) -> Job {
    let queued = store.queue_retag_by_filter(site, &filter, add, remove).await.unwrap();
    assert_eq!(queued.status, Job::IN_PROGRESS);
    while store.run_job_batch(batch).await.unwrap().is_some() {}
    store.get_job(site, queued.id).await.unwrap().expect("the queued job")
}
