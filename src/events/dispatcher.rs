//! The dispatcher: turns new events into deliveries, leases due ones,
//! sends each signed afresh, and records every attempt. Any 2xx is a
//! delivery; anything else is retried with exponential backoff and jitter
//! until the retry period is over, then the delivery is dead.
//!
//! It wakes when this instance commits events (the change feed), when
//! another instance does (PostgreSQL `LISTEN`), and every poll interval
//! (retries coming due, missed announcements). Shutdown stops claiming;
//! what is in flight finishes; what was leased but not finished goes back
//! to the pool when its lease runs out.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use rand::Rng;
use tokio::sync::{watch, Semaphore};
use tokio::task::JoinSet;

use super::low_priority::LowPriorityRuntime;
use super::signing::Signer256;
use super::urls::resolves_publicly;
use super::{Attempt, Claimed, DeliveryStatus, Outcome};
use crate::domain::Timestamp;
use crate::service::webhooks::signing_key;
use crate::store::{Store, StoreResult};

/// How much of an answer an attempt keeps.
const RESPONSE_START: usize = 256;

#[derive(Debug, Clone)]
pub struct DispatchSettings {
    /// How long a failing delivery is retried before it is dead.
    pub retry_period: Duration,
    /// The first retry's delay; each next one doubles, up to `backoff_max`.
    pub backoff_base: Duration,
    pub backoff_max: Duration,
    /// One attempt's limit, connection included.
    pub request_timeout: Duration,
    /// How often the outbox is looked at without being woken.
    pub poll_interval: Duration,
    /// How long a claimed delivery is this instance's before others may take it.
    pub lease: Duration,
    /// Deliveries claimed per round, and sent at once.
    pub batch: u32,
    pub concurrency: usize,
    /// Threads that sign and send, at a low priority (see `low_priority`).
    pub send_threads: usize,
    /// Whether callbacks may reach loopback and private addresses.
    pub allow_private_urls: bool,
}

impl Default for DispatchSettings {
    fn default() -> Self {
        Self {
            retry_period: Duration::from_secs(24 * 60 * 60),
            backoff_base: Duration::from_secs(1),
            backoff_max: Duration::from_secs(15 * 60),
            request_timeout: Duration::from_secs(10),
            poll_interval: Duration::from_millis(500),
            lease: Duration::from_secs(60),
            batch: 200,
            concurrency: 32,
            send_threads: std::thread::available_parallelism().map_or(1, |n| n.get()),
            allow_private_urls: false,
        }
    }
}

impl DispatchSettings {
    /// The delay before retry number `failures` (1 for the first), with
    /// jitter of ±25 % so that receivers coming back are not hit by every
    /// retry at once.
    pub fn backoff(&self, failures: i64) -> Duration {
        let exp = failures.clamp(1, 30) as u32 - 1;
        let base = self
            .backoff_base
            .saturating_mul(2u32.saturating_pow(exp))
            .min(self.backoff_max);
        base.mul_f64(rand::thread_rng().gen_range(0.75..1.25))
    }
}

pub struct Dispatcher {
    store: Arc<dyn Store>,
    settings: DispatchSettings,
    http: reqwest::Client,
    signers: HashMap<String, Arc<Signer256>>,
    sending: LowPriorityRuntime,
    /// Whether the last round found a full batch ready (see `round`).
    backlog: bool,
}

impl Dispatcher {
    pub fn new(store: Arc<dyn Store>, settings: DispatchSettings) -> Result<Self, String> {
        let http = reqwest::Client::builder()
            .timeout(settings.request_timeout)
            .connect_timeout(settings.request_timeout)
            .redirect(reqwest::redirect::Policy::none())
            .user_agent("insignia-webhooks")
            .build()
            .map_err(|e| e.to_string())?;
        let sending = LowPriorityRuntime::start(settings.send_threads).map_err(|e| e.to_string())?;
        Ok(Self {
            store,
            settings,
            http,
            signers: HashMap::new(),
            sending,
            backlog: false,
        })
    }

    /// Runs until `shutdown` turns true; the round in flight finishes first.
    pub async fn run(mut self, mut shutdown: watch::Receiver<bool>) {
        let mut changes = self.store.changes().subscribe();
        let listener = self.store.follow_other_instances();
        while !*shutdown.borrow() {
            let worked = match self.round().await {
                Ok(n) => n > 0,
                Err(e) => {
                    tracing::warn!(error = ?e, "webhook dispatch round failed");
                    false
                }
            };
            if worked {
                continue;
            }
            tokio::select! {
                _ = changes.recv() => {}
                _ = tokio::time::sleep(self.settings.poll_interval) => {}
                _ = shutdown.changed() => {}
            }
        }
        if let Some(listener) = listener {
            listener.abort();
        }
    }

    /// One round: fan out, claim, send, record. Returns how many were sent.
    ///
    /// While the last round found a full batch ready (a backlog, e.g. after
    /// a bulk write), new events are not fanned out until the deliveries
    /// ready run short: deliveries are then made at the pace they are sent,
    /// not at the pace events are written, and the writes that make them do
    /// not crowd the single SQLite writer while the bulk write still needs
    /// it. Events not fanned out yet wait in the outbox, which keeps them.
    pub async fn round(&mut self) -> StoreResult<usize> {
        let key = signing_key(self.store.as_ref()).await?;
        let batch = self.settings.batch;
        let fanned_out = !self.backlog;
        if fanned_out {
            self.store.fan_out(&key.id).await?;
        }
        let mut claimed = self.claim(batch).await?;
        if !fanned_out && claimed.len() < batch as usize && self.store.fan_out(&key.id).await? > 0 {
            claimed.extend(self.claim(batch - claimed.len() as u32).await?);
        }
        self.backlog = claimed.len() >= batch as usize;
        if claimed.is_empty() {
            return Ok(0);
        }
        let permits = Arc::new(Semaphore::new(self.settings.concurrency.max(1)));
        let mut sending = JoinSet::new();
        for delivery in claimed {
            let signer = self.signer(&delivery.key_id).await?;
            let sender = Sender {
                http: self.http.clone(),
                settings: self.settings.clone(),
                signer,
            };
            let permits = permits.clone();
            let attempt = async move {
                let _permit = permits.acquire_owned().await;
                sender.attempt(delivery).await
            };
            sending.spawn_on(attempt, self.sending.handle());
        }
        let mut outcomes = Vec::new();
        while let Some(done) = sending.join_next().await {
            if let Ok(outcome) = done {
                outcomes.push(outcome);
            }
        }
        self.store.finish_deliveries(&outcomes).await?;
        Ok(outcomes.len())
    }

    async fn claim(&self, limit: u32) -> StoreResult<Vec<Claimed>> {
        let now = Timestamp::now();
        let lease_until = Timestamp::from_millis(now.millis() + self.settings.lease.as_millis() as i64);
        self.store.claim_deliveries(now, lease_until, limit).await
    }

    async fn signer(&mut self, key_id: &str) -> StoreResult<Option<Arc<Signer256>>> {
        if let Some(signer) = self.signers.get(key_id) {
            return Ok(Some(signer.clone()));
        }
        let Some(pair) = self.store.signing_key(key_id).await? else {
            return Ok(None);
        };
        let Ok(signer) = pair.signer() else { return Ok(None) };
        let signer = Arc::new(signer);
        self.signers.insert(key_id.to_owned(), signer.clone());
        Ok(Some(signer))
    }
}

/// What one attempt needs.
struct Sender {
    http: reqwest::Client,
    settings: DispatchSettings,
    signer: Option<Arc<Signer256>>,
}

impl Sender {
    /// One attempt at one delivery, and what becomes of it.
    async fn attempt(self, delivery: Claimed) -> Outcome {
        let started = Instant::now();
        let at = Timestamp::now();
        let (status_code, response) = match self.send(&delivery, at).await {
            Ok(answer) => answer,
            Err(error) => (0, error),
        };
        let attempt = Attempt {
            at,
            status_code,
            latency_ms: started.elapsed().as_millis() as i64,
            response,
        };
        let failures = delivery.attempts + 1;
        let (status, next_attempt) = if (200..300).contains(&status_code) {
            (DeliveryStatus::Delivered, at)
        } else {
            let next = at.millis() + self.settings.backoff(failures).as_millis() as i64;
            let deadline = delivery.created_at.millis() + self.settings.retry_period.as_millis() as i64;
            if next > deadline {
                (DeliveryStatus::Dead, at)
            } else {
                (DeliveryStatus::Pending, Timestamp::from_millis(next))
            }
        };
        Outcome {
            delivery_pk: delivery.delivery_pk,
            attempt,
            status,
            next_attempt,
        }
    }

    async fn send(&self, delivery: &Claimed, at: Timestamp) -> Result<(i64, String), String> {
        let signer = self.signer.clone().ok_or("the signing key of this delivery is gone")?;
        let url = url::Url::parse(&delivery.url).map_err(|e| e.to_string())?;
        if !self.settings.allow_private_urls && !resolves_publicly(&url).await {
            return Err("refused: the callback resolves to a private address, or does not resolve".into());
        }
        let body = signer.sign_envelope(&delivery.event.envelope(), at.millis() / 1000)?;
        let res = self
            .http
            .post(url)
            .header("content-type", "text/plain")
            .body(body)
            .send()
            .await
            .map_err(|e| format!("no answer: {e}"))?;
        let status = i64::from(res.status().as_u16());
        let text = res.text().await.unwrap_or_default();
        let start: String = text.chars().take(RESPONSE_START).collect();
        Ok((status, start))
    }
}
