//! `pagingMetadata` for the two paging styles.

use serde_json::{json, Value};

use crate::query::cursor::CursorPosition;
use crate::query::{CursorCodec, Query};
use crate::store::Page;

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
pub fn cursor_metadata<T>(codec: &CursorCodec, query: &Query, count: usize, page: &Page<T>) -> Value {
    let token = |key: &Option<Vec<crate::query::Value>>, backward: bool| {
        key.as_ref().map(|key| {
            codec.encode(&CursorPosition {
                shape: query.shape.clone(),
                key: key.clone(),
                backward,
            })
        })
    };
    let next = token(&page.next_key, false);
    let prev = token(&page.prev_key, true);
    json!({
        "count": count,
        "cursors": { "next": next, "prev": prev },
        "hasNext": next.is_some(),
    })
}

/// The metadata for whichever paging the query used.
pub fn query_metadata<T>(codec: &CursorCodec, query: &Query, count: usize, page: &Page<T>) -> Value {
    match &query.paging {
        crate::query::Paging::Offset { offset, .. } => offset_metadata(count, *offset, page.total),
        crate::query::Paging::Cursor { .. } => cursor_metadata(codec, query, count, page),
    }
}
