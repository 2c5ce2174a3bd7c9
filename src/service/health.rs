//! Readiness: can this instance serve requests?

use std::time::Duration;

use crate::store::{PoolStats, Store, StoreError};

pub struct Health<'a> {
    store: &'a dyn Store,
}

impl<'a> Health<'a> {
    pub fn new(store: &'a dyn Store) -> Self {
        Self { store }
    }

    /// Ready when the database answers a read within `deadline`. It never
    /// writes: a writer held by a long transaction (or, on SQLite, another
    /// process) does not make the instance unready, since reads still work.
    pub async fn ready(&self, deadline: Duration) -> Result<(), StoreError> {
        match tokio::time::timeout(deadline, self.store.ping()).await {
            Ok(answer) => answer,
            Err(_) => Err(StoreError::Database(sqlx::Error::PoolTimedOut)),
        }
    }

    /// The store's connection pools, for metrics.
    pub fn pools(&self) -> Vec<PoolStats> {
        self.store.pool_stats()
    }

    /// Writes waiting for the single writer's next group commit, for metrics.
    pub fn writer_queue(&self) -> usize {
        self.store.writer_queue()
    }
}
