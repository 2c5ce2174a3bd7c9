//! Events: every change, as a Wix-format event. The store writes each
//! change's events to the outbox in the change's own transaction
//! (`store::outbox`); the pull feed reads them back in commit order; the
//! dispatcher delivers them to webhook subscriptions, signed.

pub mod background;
mod catalogue;
pub mod config;
pub mod dispatcher;
mod envelope;
pub mod low_priority;
pub mod signing;
pub mod urls;
mod webhook;

pub use catalogue::EventType;
pub use envelope::{Actor, NewEvent, StoredEvent};
pub use webhook::{Attempt, Claimed, Delivery, DeliveryStatus, NewWebhook, Outcome, Webhook, WebhookPatch};
