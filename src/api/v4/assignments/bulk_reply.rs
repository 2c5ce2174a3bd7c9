//! The answer of a bulk call: one result per item, in request order, and the totals.

use serde::Serialize;
use serde_json::{Map, Value};

use crate::service::assignments::ItemError;

/// One item's outcome in a bulk answer: the assignment id when known, and the
/// item (when `returnEntity` asked for it) or why it failed.
pub(super) type BulkItemResult = (Option<String>, Result<Option<Value>, ItemError>);

/// The bulk answer: one result per item in request order, and the totals.
/// Typed rather than built as a `Value`: bulk answers are the hot path of a load.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct BulkReply {
    results: Vec<BulkResult>,
    bulk_action_metadata: BulkActionMetadata,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct BulkResult {
    #[serde(skip_serializing_if = "Option::is_none")]
    item: Option<Value>,
    item_metadata: ItemMetadata,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ItemMetadata {
    #[serde(skip_serializing_if = "Option::is_none")]
    id: Option<String>,
    original_index: usize,
    success: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<BulkItemError>,
}

#[derive(Serialize)]
struct BulkItemError {
    code: &'static str,
    description: String,
    data: Map<String, Value>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct BulkActionMetadata {
    total_successes: usize,
    total_failures: usize,
    undetailed_failures: usize,
}

pub(super) fn bulk_reply(results: Vec<BulkItemResult>) -> BulkReply {
    let successes = results.iter().filter(|(_, r)| r.is_ok()).count();
    let failures = results.len() - successes;
    let results = results
        .into_iter()
        .enumerate()
        .map(|(index, (id, result))| {
            let (item, error) = match result {
                Ok(item) => (item, None),
                Err(e) => (
                    None,
                    Some(BulkItemError {
                        code: e.code,
                        description: e.description,
                        data: Map::new(),
                    }),
                ),
            };
            BulkResult {
                item,
                item_metadata: ItemMetadata {
                    id,
                    original_index: index,
                    success: error.is_none(),
                    error,
                },
            }
        })
        .collect();
    BulkReply {
        results,
        bulk_action_metadata: BulkActionMetadata {
            total_successes: successes,
            total_failures: failures,
            undetailed_failures: 0,
        },
    }
}
