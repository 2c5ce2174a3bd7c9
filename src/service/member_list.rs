//! The badges of one member, from memory: the assignment query
//! `{"filter": {"memberId": M}}` in the default order, its first cursor page
//! or any offset page, which a member's profile asks on every view. Any
//! other query goes to the store.
//!
//! A member's whole list is kept (`cache::reads`) when the store returns it
//! in one read of at most [`MAX_KEPT`] assignments; a member holding more is
//! always read from the store.

use std::sync::OnceLock;

use crate::cache::reads::ReadCache;
use crate::domain::{BadgeAssignment, MemberId, SiteId};
use crate::query::{parse_sort, Filter, Op, Page, Paging, Query, SortKey, Value, ASSIGNMENTS};
use crate::store::Store;

use super::{ServiceError, ServiceResult};

/// The most assignments of one member kept in memory (the largest page).
const MAX_KEPT: u32 = 100;

/// The page `query` asks for, when it is a member's list that memory can
/// answer; `None` sends the query to the store.
pub(super) async fn answer(
    store: &dyn Store,
    reads: &ReadCache,
    site: SiteId,
    query: &Query,
) -> ServiceResult<Option<Page<BadgeAssignment>>> {
    let Some(member) = member_asked(query) else {
        return Ok(None);
    };
    if !matches!(
        query.paging,
        Paging::Offset { .. }
            | Paging::Cursor {
                after: None,
                backward: false,
                ..
            }
    ) || default_sort() != Some(query.sort.as_slice())
    {
        return Ok(None);
    }
    let whole = Query {
        paging: Paging::Cursor {
            limit: MAX_KEPT,
            after: None,
            backward: false,
        },
        ..query.clone()
    };
    let list = reads
        .member_assignments(site, member, || async {
            let page = store.query_assignments(site, &whole).await?;
            // A next page: the member holds more than is kept.
            Ok(page.next_key.is_none().then_some(page.items))
        })
        .await
        .map_err(ServiceError::Store)?;
    Ok(list.and_then(|list| page_of(&list, &query.paging)))
}

/// The assignments' default order, parsed once: every member query is
/// compared with it.
fn default_sort() -> Option<&'static [SortKey]> {
    static SORT: OnceLock<Option<Vec<SortKey>>> = OnceLock::new();
    SORT.get_or_init(|| parse_sort(&ASSIGNMENTS, &serde_json::Value::Null, "sort").ok())
        .as_deref()
}

/// The member a query's filter names, when it names nothing else.
fn member_asked(query: &Query) -> Option<MemberId> {
    match &query.filter {
        Filter::Compare {
            field,
            op: Op::Eq,
            value: Value::Guid(bytes),
        } if field.name() == "memberId" => uuid::Uuid::from_slice(bytes).ok().map(MemberId::from_uuid),
        _ => None,
    }
}

/// The page of a member's whole list, as the store would answer it.
fn page_of(list: &[BadgeAssignment], paging: &Paging) -> Option<Page<BadgeAssignment>> {
    match *paging {
        // The whole list fits the page: no next page, and no previous one.
        Paging::Cursor { limit, .. } if list.len() <= limit as usize => Some(Page {
            items: list.to_vec(),
            total: None,
            next_key: None,
            prev_key: None,
        }),
        Paging::Offset { limit, offset } => {
            let start = usize::try_from(offset).unwrap_or(usize::MAX).min(list.len());
            let end = start.saturating_add(limit as usize).min(list.len());
            Some(Page {
                items: list[start..end].to_vec(),
                total: Some(list.len() as u64),
                next_key: None,
                prev_key: None,
            })
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{AssignmentId, BadgeId, Tags, Timestamp};

    fn list(n: usize) -> Vec<BadgeAssignment> {
        let member = MemberId::from_uuid(uuid::Uuid::new_v4());
        (0..n)
            .map(|_| BadgeAssignment {
                id: AssignmentId::generate(),
                badge_id: BadgeId::generate(),
                member_id: member,
                tags: Tags::default(),
                extended_fields: None,
                created_date: Timestamp::now(),
                updated_date: Timestamp::now(),
            })
            .collect()
    }

    #[test]
    fn a_cursor_page_is_answered_only_when_the_whole_list_fits() {
        let five = list(5);
        let first = |limit| Paging::Cursor {
            limit,
            after: None,
            backward: false,
        };
        let page = page_of(&five, &first(5)).unwrap();
        assert_eq!(page.items, five);
        assert_eq!((page.next_key, page.prev_key), (None, None));
        assert!(page_of(&five, &first(4)).is_none(), "a next page needs a cursor");
    }

    #[test]
    fn offset_pages_slice_the_list_and_count_it() {
        let five = list(5);
        let page = page_of(&five, &Paging::Offset { limit: 2, offset: 3 }).unwrap();
        assert_eq!(page.items, five[3..5].to_vec());
        assert_eq!(page.total, Some(5));
        let past = page_of(&five, &Paging::Offset { limit: 2, offset: 9 }).unwrap();
        assert!(past.items.is_empty());
        assert_eq!(past.total, Some(5));
    }
}
