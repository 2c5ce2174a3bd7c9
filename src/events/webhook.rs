//! Webhook subscriptions and their deliveries, as the store keeps them.

use uuid::Uuid;

use super::{EventType, StoredEvent};
use crate::domain::{SiteId, Timestamp};

#[derive(Debug, Clone, PartialEq)]
pub struct Webhook {
    pub id: Uuid,
    pub site: SiteId,
    pub url: String,
    pub event_types: Vec<EventType>,
    /// Paused subscriptions keep their place but are sent nothing.
    pub active: bool,
    pub revision: i64,
    pub created_date: Timestamp,
    pub updated_date: Timestamp,
}

#[derive(Debug, Clone, PartialEq)]
pub struct NewWebhook {
    pub url: String,
    pub event_types: Vec<EventType>,
    pub active: bool,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct WebhookPatch {
    pub url: Option<String>,
    pub event_types: Option<Vec<EventType>>,
    pub active: Option<bool>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeliveryStatus {
    Pending,
    Delivered,
    Dead,
}

impl DeliveryStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            DeliveryStatus::Pending => "PENDING",
            DeliveryStatus::Delivered => "DELIVERED",
            DeliveryStatus::Dead => "DEAD",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        [DeliveryStatus::Pending, DeliveryStatus::Delivered, DeliveryStatus::Dead]
            .into_iter()
            .find(|s| s.as_str() == raw)
    }
}

/// One try at delivering: when, the HTTP status (0: no answer), how long it
/// took, and the start of the answer (or the error).
#[derive(Debug, Clone, PartialEq)]
pub struct Attempt {
    pub at: Timestamp,
    pub status_code: i64,
    pub latency_ms: i64,
    pub response: String,
}

/// One event for one subscription, with its attempts.
#[derive(Debug, Clone, PartialEq)]
pub struct Delivery {
    pub seq: i64,
    pub event_id: Uuid,
    pub event_type: String,
    pub status: DeliveryStatus,
    pub created_date: Timestamp,
    pub next_attempt: Timestamp,
    pub attempts: Vec<Attempt>,
}

/// A delivery this instance has leased: where to send what, signed with which key.
#[derive(Debug, Clone)]
pub struct Claimed {
    pub delivery_pk: i64,
    pub url: String,
    pub key_id: String,
    pub attempts: i64,
    pub created_at: Timestamp,
    pub event: StoredEvent,
}

/// What became of a claimed delivery's attempt.
#[derive(Debug, Clone)]
pub struct Outcome {
    pub delivery_pk: i64,
    pub attempt: Attempt,
    /// Delivered, dead, or pending again from this time.
    pub status: DeliveryStatus,
    pub next_attempt: Timestamp,
}
