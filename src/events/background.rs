//! What `insignia serve` runs beside the API for events: the webhook
//! dispatcher and the outbox's retention sweep. Stopping waits for the
//! deliveries in flight, up to a deadline.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::watch;
use tokio::task::JoinHandle;

use super::config::WebhookArgs;
use super::dispatcher::Dispatcher;
use crate::domain::Timestamp;
use crate::service::webhooks::signing_key;
use crate::store::{Store, StoreResult};

/// How often old events are swept.
const SWEEP_EVERY: Duration = Duration::from_secs(600);

pub struct Background {
    stop: watch::Sender<bool>,
    dispatcher: JoinHandle<()>,
    sweeper: JoinHandle<()>,
    deadline: Duration,
}

/// Makes the signing key if there is none yet, and starts the work.
pub async fn start(store: Arc<dyn Store>, args: &WebhookArgs) -> StoreResult<Background> {
    signing_key(store.as_ref()).await?;
    let (stop, stopped) = watch::channel(false);
    let dispatcher =
        Dispatcher::new(store.clone(), args.dispatch_settings()).map_err(crate::store::StoreError::Config)?;
    let dispatcher = tokio::spawn(dispatcher.run(stopped));
    let retention = args.retention();
    let sweeper = tokio::spawn(async move {
        loop {
            let before = Timestamp::from_millis(Timestamp::now().millis() - retention.as_millis() as i64);
            if let Err(e) = store.prune_events(before).await {
                tracing::warn!(error = %e, "event retention sweep failed");
            }
            tokio::time::sleep(SWEEP_EVERY).await;
        }
    });
    Ok(Background {
        stop,
        dispatcher,
        sweeper,
        deadline: Duration::from_millis(args.webhook_shutdown_ms),
    })
}

impl Background {
    /// Stops claiming deliveries and waits for those in flight (up to the
    /// deadline; what is left stays in the outbox for the next start).
    pub async fn stop(self) {
        let _ = self.stop.send(true);
        self.sweeper.abort();
        let mut dispatcher = self.dispatcher;
        if tokio::time::timeout(self.deadline, &mut dispatcher).await.is_err() {
            dispatcher.abort();
            tracing::warn!("deliveries still in flight at the shutdown deadline were left to the outbox");
        }
    }
}
