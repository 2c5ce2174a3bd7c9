//! `GET /insignia/v1/events?cursor=…&types=…&limit=…`: the site's events in
//! commit order, each in the envelope webhook handlers receive (the JWS
//! claim `data`, parsed once: `data` and `identity` stay JSON text), with a
//! cursor to resume from. The cursor is the site's sequence number of the
//! last event seen; keep the `next` one and ask again later.

use axum::extract::{RawQuery, State};
use axum::Json;
use serde_json::{json, Value};

use crate::api::auth::Caller;
use crate::api::error::ApiError;
use crate::api::wire::query_params::QueryParams;
use crate::api::AppState;
use crate::domain::{FieldViolation, Scope};
use crate::events::EventType;

const DEFAULT_LIMIT: u32 = 100;
const MAX_LIMIT: u32 = 1000;

fn violation(field: &str, description: impl Into<String>) -> ApiError {
    ApiError::invalid(vec![FieldViolation::new(field, "QUERY_PARAMETER", description)])
}

/// `types=a&types=b` or `types=a,b`; unknown types are refused.
pub fn event_types<'a>(values: impl IntoIterator<Item = &'a str>, field: &str) -> Result<Vec<EventType>, ApiError> {
    let mut types = Vec::new();
    for raw in values.into_iter().flat_map(|v| v.split(',')).map(str::trim) {
        if raw.is_empty() {
            continue;
        }
        let t = EventType::parse(raw).ok_or_else(|| violation(field, format!("unknown event type `{raw}`")))?;
        if !types.contains(&t) {
            types.push(t);
        }
    }
    Ok(types)
}

pub async fn feed(
    State(state): State<AppState>,
    caller: Caller,
    RawQuery(raw): RawQuery,
) -> Result<Json<Value>, ApiError> {
    caller.require(Scope::ReadBadges)?;
    let params = QueryParams::parse(raw.as_deref());
    let after = match params.one("cursor")? {
        None | Some("") => 0,
        Some(raw) => raw
            .parse::<i64>()
            .ok()
            .filter(|c| *c >= 0)
            .ok_or_else(|| violation("cursor", "`cursor` must be a cursor this feed gave"))?,
    };
    let limit = match params.one("limit")? {
        None | Some("") => DEFAULT_LIMIT,
        Some(raw) => raw
            .parse::<u32>()
            .ok()
            .filter(|l| (1..=MAX_LIMIT).contains(l))
            .ok_or_else(|| violation("limit", format!("`limit` must be an integer from 1 to {MAX_LIMIT}")))?,
    };
    let types = event_types(params.all("types"), "types")?;
    let page = state.services.events().since(caller.site, after, &types, limit).await?;
    let events: Vec<Value> = page.events.iter().map(|e| e.envelope()).collect();
    Ok(Json(json!({
        "events": events,
        "pagingMetadata": {
            "count": events.len(),
            "cursors": { "next": page.next.to_string() },
            "hasNext": page.has_next,
        },
    })))
}
