//! Webhook subscriptions of a site, their deliveries, and the public key
//! receivers verify deliveries with.

use uuid::Uuid;

use crate::domain::{FieldViolation, SiteId};
use crate::events::signing::KeyPair;
use crate::events::urls::check_callback_url;
use crate::events::{Delivery, DeliveryStatus, EventType, NewWebhook, Webhook, WebhookPatch};
use crate::store::{Store, StoreError, StoreResult};

use super::{ServiceError, ServiceResult};

fn not_found(id: Uuid) -> ServiceError {
    ServiceError::NotFound {
        entity: "webhook",
        id: id.to_string(),
    }
}

fn from_store(id: Uuid, e: StoreError) -> ServiceError {
    match e {
        StoreError::NotFound => not_found(id),
        other => ServiceError::Store(other),
    }
}

/// The signing key of this database, made (and stored) on first need, so
/// every instance signs with the same key.
pub async fn signing_key(store: &dyn Store) -> StoreResult<KeyPair> {
    if let Some(key) = store.current_signing_key().await? {
        return Ok(key);
    }
    let key = KeyPair::generate().map_err(StoreError::Config)?;
    store.insert_signing_key(&key).await?;
    // Two instances starting together may both make one: the newest wins everywhere.
    Ok(store.current_signing_key().await?.unwrap_or(key))
}

pub struct Webhooks<'a> {
    store: &'a dyn Store,
    allow_private_urls: bool,
}

impl<'a> Webhooks<'a> {
    pub fn new(store: &'a dyn Store, allow_private_urls: bool) -> Self {
        Self {
            store,
            allow_private_urls,
        }
    }

    fn check_url(&self, url: &str) -> ServiceResult<()> {
        check_callback_url(url, self.allow_private_urls)
            .map(|_| ())
            .map_err(|why| ServiceError::Invalid(vec![FieldViolation::new("webhook.url", "FORMAT", why)]))
    }

    fn check_types(types: &[EventType]) -> ServiceResult<()> {
        if types.is_empty() {
            return Err(ServiceError::Invalid(vec![FieldViolation::new(
                "webhook.eventTypes",
                "REQUIRED_FIELD",
                "name at least one event type",
            )]));
        }
        Ok(())
    }

    pub async fn create(&self, site: SiteId, new: NewWebhook) -> ServiceResult<Webhook> {
        self.check_url(&new.url)?;
        Self::check_types(&new.event_types)?;
        self.store.create_webhook(site, &new).await.map_err(ServiceError::Store)
    }

    pub async fn get(&self, site: SiteId, id: Uuid) -> ServiceResult<Webhook> {
        self.store
            .get_webhook(site, id)
            .await
            .map_err(ServiceError::Store)?
            .ok_or_else(|| not_found(id))
    }

    pub async fn list(&self, site: SiteId) -> ServiceResult<Vec<Webhook>> {
        self.store.list_webhooks(site).await.map_err(ServiceError::Store)
    }

    pub async fn update(&self, site: SiteId, id: Uuid, patch: WebhookPatch) -> ServiceResult<Webhook> {
        if let Some(url) = &patch.url {
            self.check_url(url)?;
        }
        if let Some(types) = &patch.event_types {
            Self::check_types(types)?;
        }
        self.store
            .update_webhook(site, id, &patch)
            .await
            .map_err(|e| from_store(id, e))
    }

    pub async fn delete(&self, site: SiteId, id: Uuid) -> ServiceResult<()> {
        match self.store.delete_webhook(site, id).await.map_err(ServiceError::Store)? {
            true => Ok(()),
            false => Err(not_found(id)),
        }
    }

    pub async fn deliveries(
        &self,
        site: SiteId,
        id: Uuid,
        status: Option<DeliveryStatus>,
        limit: u32,
    ) -> ServiceResult<Vec<Delivery>> {
        self.store
            .list_deliveries(site, id, status, limit)
            .await
            .map_err(|e| from_store(id, e))
    }

    /// Sends one event again, or (`None`) every dead one; returns how many.
    pub async fn redeliver(&self, site: SiteId, id: Uuid, seq: Option<i64>) -> ServiceResult<u64> {
        self.store.redeliver(site, id, seq).await.map_err(|e| from_store(id, e))
    }

    /// The SPKI PEM that verifies deliveries.
    pub async fn public_key(&self) -> ServiceResult<String> {
        Ok(signing_key(self.store).await.map_err(ServiceError::Store)?.public_pem)
    }
}
