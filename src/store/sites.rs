//! Sites: the site GUID -> compact `sites.pk` map, which assignment and job
//! rows carry instead of the 16-byte GUID. A site's key never changes once
//! made, so every instance may cache it.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use sqlx::Row;

use super::{SqlStore, StoreResult};
use crate::domain::SiteId;

/// The cache of site keys one store shares between its clones.
pub(super) type SiteKeys = Arc<Mutex<HashMap<SiteId, i64>>>;

impl SqlStore {
    /// The compact key of a site, made on first use.
    pub(super) async fn site_key(&self, site: SiteId) -> StoreResult<i64> {
        if let Some(pk) = self.cached_site_key(site) {
            return Ok(pk);
        }
        sqlx::query("INSERT INTO sites (id) VALUES ($1) ON CONFLICT (id) DO NOTHING")
            .bind(site.to_bytes())
            .execute(&self.write)
            .await?;
        Ok(self.existing_site_key(site).await?.unwrap_or_default())
    }

    /// The compact key of a site that has one; `None` for a site never written to.
    pub(super) async fn existing_site_key(&self, site: SiteId) -> StoreResult<Option<i64>> {
        if let Some(pk) = self.cached_site_key(site) {
            return Ok(Some(pk));
        }
        let row = sqlx::query("SELECT pk FROM sites WHERE id = $1")
            .bind(site.to_bytes())
            .fetch_optional(&self.write)
            .await?;
        let Some(row) = row else { return Ok(None) };
        let pk: i64 = row.try_get("pk")?;
        if let Ok(mut keys) = self.site_keys.lock() {
            keys.insert(site, pk);
        }
        Ok(Some(pk))
    }

    fn cached_site_key(&self, site: SiteId) -> Option<i64> {
        self.site_keys.lock().ok().and_then(|keys| keys.get(&site).copied())
    }
}
