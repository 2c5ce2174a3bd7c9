//! Events: every change, as a Wix-format event. The store writes each
//! change's events to the outbox in the change's own transaction
//! (`store::outbox`); the pull feed reads them back in commit order; the
//! dispatcher delivers them to webhook subscriptions, signed.

mod catalogue;
mod envelope;

pub use catalogue::EventType;
pub use envelope::{Actor, NewEvent, StoredEvent};
