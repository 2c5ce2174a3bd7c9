//! "These badges first": V4's `updateBadgesDisplayOrder` and the older API's
//! `updateBadgesDisplayOrder` take the same list under different names.

use std::collections::HashSet;

use serde_json::{Map, Value};

use crate::api::auth::Caller;
use crate::api::error::ApiError;
use crate::api::json::Fields;
use crate::api::AppState;
use crate::domain::{Badge, BadgeId, FieldViolation, OrderChange, Scope};

/// Most badges one reorder call may name.
const MAX_ORDER_IDS: usize = 100;

/// Puts the badges listed in `body[name]` first, in that order; answers every
/// badge of the site in the new order.
pub async fn reorder_front(
    state: &AppState,
    caller: &Caller,
    body: &Map<String, Value>,
    name: &str,
) -> Result<Vec<Badge>, ApiError> {
    caller.require(Scope::ManageBadges)?;
    let ids = order_ids(body, name)?;
    Ok(state
        .services
        .badges()
        .reorder(caller.site, OrderChange::Front(ids))
        .await?)
}

/// 1–100 distinct badge ids.
fn order_ids(body: &Map<String, Value>, name: &str) -> Result<Vec<BadgeId>, ApiError> {
    let mut f = Fields::new(body, "");
    let ids = f.guid_list(name, 1, MAX_ORDER_IDS).unwrap_or_default();
    let mut seen = HashSet::new();
    if let Some(dup) = ids.iter().find(|id| !seen.insert(**id)) {
        f.violations.push(FieldViolation::new(
            name,
            "UNIQUE",
            format!("`{name}` names badge {dup} more than once"),
        ));
    }
    f.finish()?;
    Ok(ids.into_iter().map(BadgeId::from_uuid).collect())
}
