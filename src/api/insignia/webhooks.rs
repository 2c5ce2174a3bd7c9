//! `/insignia/v1/webhooks`: a site's webhook subscriptions, their
//! deliveries and redelivery, and the public key that verifies them.
//! Managing subscriptions needs the manage scope (a callback URL receives
//! every change); the public key is public.

use axum::extract::{Path, RawQuery, State};
use axum::Json;
use serde_json::{json, Map, Value};
use uuid::Uuid;

use crate::api::auth::Caller;
use crate::api::error::ApiError;
use crate::api::json::{required_object, Fields, JsonBody};
use crate::api::wire::query_params::QueryParams;
use crate::api::AppState;
use crate::domain::{parse_guid, FieldViolation, Scope};
use crate::events::{Delivery, DeliveryStatus, EventType, NewWebhook, Webhook, WebhookPatch};

use super::events::event_types;

pub(crate) fn webhook_json(w: &Webhook) -> Value {
    json!({
        "id": w.id.to_string(),
        "url": w.url,
        "eventTypes": w.event_types.iter().map(|t| t.as_str()).collect::<Vec<_>>(),
        "status": if w.active { "ACTIVE" } else { "PAUSED" },
        "revision": w.revision.to_string(),
        "createdDate": w.created_date,
        "updatedDate": w.updated_date,
    })
}

fn delivery_json(d: &Delivery) -> Value {
    json!({
        "eventId": d.event_id.to_string(),
        "sequence": d.seq.to_string(),
        "eventType": d.event_type,
        "status": d.status.as_str(),
        "createdDate": d.created_date,
        "nextAttemptDate": d.next_attempt,
        "attempts": d.attempts.iter().map(|a| json!({
            "date": a.at,
            "statusCode": a.status_code,
            "latencyMs": a.latency_ms,
            "response": a.response,
        })).collect::<Vec<_>>(),
    })
}

fn webhook_id(raw: &str) -> Result<Uuid, ApiError> {
    Ok(parse_guid("webhookId", raw)?)
}

/// The fields of `{"webhook": {…}}`: every one optional here; create checks
/// the required ones (an import reads its records with this too).
pub(crate) fn webhook_input(obj: &Map<String, Value>) -> Result<WebhookPatch, ApiError> {
    let mut f = Fields::new(obj, "webhook");
    f.refuse_unknown(&[
        "url",
        "eventTypes",
        "status",
        "id",
        "revision",
        "createdDate",
        "updatedDate",
    ]);
    let url = f.str("url").map(str::to_owned);
    let types = match f.get("eventTypes") {
        None => None,
        Some(Value::Array(items)) => {
            let mut names = Vec::new();
            for item in items {
                match item.as_str() {
                    Some(name) => names.push(name),
                    None => f.violations.push(FieldViolation::new(
                        "webhook.eventTypes",
                        "TYPE",
                        "`webhook.eventTypes` must be a list of strings",
                    )),
                }
            }
            match event_types(names, "webhook.eventTypes") {
                Ok(types) => Some(types),
                Err(_) => {
                    let known: Vec<&str> = EventType::ALL.iter().map(|t| t.as_str()).collect();
                    f.violations.push(FieldViolation::new(
                        "webhook.eventTypes",
                        "FORMAT",
                        format!("unknown event type; known: {}", known.join(", ")),
                    ));
                    None
                }
            }
        }
        Some(_) => {
            f.violations.push(FieldViolation::new(
                "webhook.eventTypes",
                "TYPE",
                "`webhook.eventTypes` must be a list of strings",
            ));
            None
        }
    };
    let active = match f.str("status") {
        None => None,
        Some("ACTIVE") => Some(true),
        Some("PAUSED") => Some(false),
        Some(_) => {
            f.violations.push(FieldViolation::new(
                "webhook.status",
                "FORMAT",
                "`webhook.status` must be ACTIVE or PAUSED",
            ));
            None
        }
    };
    f.finish()?;
    Ok(WebhookPatch {
        url,
        event_types: types,
        active,
    })
}

pub async fn create(
    State(state): State<AppState>,
    caller: Caller,
    JsonBody(body): JsonBody,
) -> Result<Json<Value>, ApiError> {
    caller.require(Scope::ManageBadges)?;
    let input = webhook_input(required_object(&body, "webhook", "WEBHOOK_NOT_PROVIDED")?)?;
    let Some(url) = input.url else {
        return Err(ApiError::invalid(vec![FieldViolation::new(
            "webhook.url",
            "REQUIRED_FIELD",
            "`webhook.url` is required",
        )]));
    };
    let new = NewWebhook {
        url,
        event_types: input.event_types.unwrap_or_default(),
        active: input.active.unwrap_or(true),
    };
    let created = state.services.webhooks().create(caller.site, new).await?;
    Ok(Json(json!({ "webhook": webhook_json(&created) })))
}

pub async fn fetch(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    caller.require(Scope::ManageBadges)?;
    let found = state.services.webhooks().get(caller.site, webhook_id(&id)?).await?;
    Ok(Json(json!({ "webhook": webhook_json(&found) })))
}

pub async fn list(State(state): State<AppState>, caller: Caller) -> Result<Json<Value>, ApiError> {
    caller.require(Scope::ManageBadges)?;
    let all = state.services.webhooks().list(caller.site).await?;
    Ok(Json(
        json!({ "webhooks": all.iter().map(webhook_json).collect::<Vec<_>>() }),
    ))
}

pub async fn update(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    JsonBody(body): JsonBody,
) -> Result<Json<Value>, ApiError> {
    caller.require(Scope::ManageBadges)?;
    let id = webhook_id(&id)?;
    let patch = webhook_input(required_object(&body, "webhook", "WEBHOOK_NOT_PROVIDED")?)?;
    let updated = state.services.webhooks().update(caller.site, id, patch).await?;
    Ok(Json(json!({ "webhook": webhook_json(&updated) })))
}

pub async fn delete(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    caller.require(Scope::ManageBadges)?;
    state.services.webhooks().delete(caller.site, webhook_id(&id)?).await?;
    Ok(Json(json!({})))
}

/// `?status=PENDING|DELIVERED|DEAD&limit=…`: newest event first, with every attempt.
pub async fn deliveries(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    RawQuery(raw): RawQuery,
) -> Result<Json<Value>, ApiError> {
    caller.require(Scope::ManageBadges)?;
    let params = QueryParams::parse(raw.as_deref());
    let bad = |field: &str, why: &str| ApiError::invalid(vec![FieldViolation::new(field, "QUERY_PARAMETER", why)]);
    let status = match params.one("status")? {
        None | Some("") => None,
        Some(raw) => Some(
            DeliveryStatus::parse(raw).ok_or_else(|| bad("status", "`status` must be PENDING, DELIVERED or DEAD"))?,
        ),
    };
    let limit = match params.one("limit")? {
        None | Some("") => 100,
        Some(raw) => raw
            .parse::<u32>()
            .ok()
            .filter(|l| (1..=1000).contains(l))
            .ok_or_else(|| bad("limit", "`limit` must be an integer from 1 to 1000"))?,
    };
    let found = state
        .services
        .webhooks()
        .deliveries(caller.site, webhook_id(&id)?, status, limit)
        .await?;
    Ok(Json(
        json!({ "deliveries": found.iter().map(delivery_json).collect::<Vec<_>>() }),
    ))
}

/// `{"sequence": "N"}` sends that event again; `{"dead": true}` every dead one.
pub async fn redeliver(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    JsonBody(body): JsonBody,
) -> Result<Json<Value>, ApiError> {
    caller.require(Scope::ManageBadges)?;
    let id = webhook_id(&id)?;
    let mut f = Fields::new(&body, "");
    f.refuse_unknown(&["sequence", "dead"]);
    let seq = f.int64("sequence");
    let dead = f.bool("dead").unwrap_or(false);
    if seq.is_some() == dead {
        f.violations.push(FieldViolation::new(
            "sequence",
            "REQUIRED_FIELD",
            "send `sequence` (one event) or `\"dead\": true` (every dead one), not both",
        ));
    }
    f.finish()?;
    let count = state.services.webhooks().redeliver(caller.site, id, seq).await?;
    Ok(Json(json!({ "redelivered": count })))
}

pub async fn public_key(State(state): State<AppState>) -> Result<Json<Value>, ApiError> {
    let pem = state.services.webhooks().public_key().await?;
    Ok(Json(json!({ "publicKey": pem })))
}
