//! Settings of webhooks and the event feed, as flags of `insignia serve`
//! (with environment fallbacks), and the `insignia webhooks` commands.

use std::time::Duration;

use clap::{Args, Subcommand};

use super::dispatcher::DispatchSettings;
use crate::config::DatabaseArgs;

#[derive(Debug, Clone, Args)]
pub struct WebhookArgs {
    /// Let webhook URLs name loopback, private and link-local addresses
    /// (local development and tests only).
    #[arg(long, env = "INSIGNIA_ALLOW_PRIVATE_WEBHOOK_URLS", default_value_t = false)]
    pub allow_private_webhook_urls: bool,
    /// How long a failing delivery is retried before it is marked dead, in seconds.
    #[arg(long, env = "INSIGNIA_WEBHOOK_RETRY_SECONDS", default_value_t = 24 * 60 * 60)]
    pub webhook_retry_seconds: u64,
    /// The first retry's delay in milliseconds; each next one doubles (with jitter).
    #[arg(long, env = "INSIGNIA_WEBHOOK_BACKOFF_MS", default_value_t = 1000)]
    pub webhook_backoff_ms: u64,
    /// The longest delay between two retries, in milliseconds.
    #[arg(long, env = "INSIGNIA_WEBHOOK_BACKOFF_MAX_MS", default_value_t = 15 * 60 * 1000)]
    pub webhook_backoff_max_ms: u64,
    /// One delivery attempt's time limit, in milliseconds.
    #[arg(long, env = "INSIGNIA_WEBHOOK_TIMEOUT_MS", default_value_t = 10_000)]
    pub webhook_timeout_ms: u64,
    /// How long a delivery an instance took stays its own, in milliseconds
    /// (after that, e.g. when the instance died, another sends it).
    #[arg(long, env = "INSIGNIA_WEBHOOK_LEASE_MS", default_value_t = 60_000)]
    pub webhook_lease_ms: u64,
    /// How long events are kept for the feed, in hours (those still to be
    /// delivered are kept until they are).
    #[arg(long, env = "INSIGNIA_EVENT_RETENTION_HOURS", default_value_t = 7 * 24)]
    pub event_retention_hours: u64,
    /// At shutdown, how long deliveries in flight may take to finish, in milliseconds.
    #[arg(long, env = "INSIGNIA_WEBHOOK_SHUTDOWN_MS", default_value_t = 5_000)]
    pub webhook_shutdown_ms: u64,
}

impl WebhookArgs {
    pub fn dispatch_settings(&self) -> DispatchSettings {
        DispatchSettings {
            retry_period: Duration::from_secs(self.webhook_retry_seconds),
            backoff_base: Duration::from_millis(self.webhook_backoff_ms.max(1)),
            backoff_max: Duration::from_millis(self.webhook_backoff_max_ms.max(1)),
            request_timeout: Duration::from_millis(self.webhook_timeout_ms.max(1)),
            lease: Duration::from_millis(self.webhook_lease_ms.max(1)),
            allow_private_urls: self.allow_private_webhook_urls,
            ..DispatchSettings::default()
        }
    }

    pub fn retention(&self) -> Duration {
        Duration::from_secs(self.event_retention_hours * 3600)
    }
}

#[derive(Debug, Subcommand)]
pub enum WebhooksCommand {
    /// Print the public key (SPKI PEM) that verifies deliveries; give it to
    /// `AppStrategy({appId, publicKey})`. Made on first use.
    PublicKey {
        #[command(flatten)]
        database: DatabaseArgs,
    },
    /// Make a new signing key for new deliveries and print its public key;
    /// the old key signs what is already queued, then goes.
    RotateKey {
        #[command(flatten)]
        database: DatabaseArgs,
    },
}
