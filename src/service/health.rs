//! Readiness: can this instance serve requests?

use crate::store::{Store, StoreError};

pub struct Health<'a> {
    store: &'a dyn Store,
}

impl<'a> Health<'a> {
    pub fn new(store: &'a dyn Store) -> Self {
        Self { store }
    }

    /// Ready when the database answers.
    pub async fn ready(&self) -> Result<(), StoreError> {
        self.store.server_secret().await.map(drop)
    }
}
