//! `pagingMetadata` for the two paging styles.

use serde_json::{json, Value};

use crate::query::{CursorCodec, Page, Paging, Query};

/// Offset paging. `total` drives the SDK builder's `hasNext()`.
pub fn offset_metadata(count: usize, offset: u64, total: Option<u64>) -> Value {
    json!({
        "count": count,
        "offset": offset,
        "total": total.unwrap_or(0),
        "tooManyToCount": false,
    })
}

/// Cursor paging. The SDK's `hasNext()` reads only `cursors.next`, so it is
/// `null` on the last page.
fn cursor_metadata<T>(codec: &CursorCodec, query: &Query, count: usize, page: &Page<T>) -> Value {
    let cursors = codec.page_cursors(query, page);
    json!({
        "count": count,
        "cursors": { "next": cursors.next, "prev": cursors.prev },
        "hasNext": cursors.next.is_some(),
    })
}

/// The metadata for whichever paging the query used.
pub fn query_metadata<T>(codec: &CursorCodec, query: &Query, count: usize, page: &Page<T>) -> Value {
    match &query.paging {
        Paging::Offset { offset, .. } => offset_metadata(count, *offset, page.total),
        Paging::Cursor { .. } => cursor_metadata(codec, query, count, page),
    }
}
