//! Use cases. The API layers (V4 and the older V3) call these; business
//! rules live here and in `domain`, never in handlers.

pub mod admin_sessions;
pub mod api_keys;
pub mod assignments;
pub mod badges;

use crate::domain::FieldViolation;
use crate::query::QueryError;
use crate::store::StoreError;

/// Why a use case did not happen. Each variant maps to one Wix error in `api::error`.
#[derive(Debug, thiserror::Error)]
pub enum ServiceError {
    #[error("{0}")]
    Invalid(String, Vec<FieldViolation>),
    #[error(transparent)]
    Query(#[from] QueryError),
    #[error("{entity} {id} not found")]
    NotFound { entity: &'static str, id: String },
    #[error("revision mismatch: the {entity} is at revision {current}")]
    RevisionMismatch { entity: &'static str, current: i64 },
    /// One item's failure, answered as the whole call's error.
    #[error("{}", .0.description)]
    Item(assignments::ItemError),
    #[error(transparent)]
    Store(StoreError),
}

impl ServiceError {
    pub fn invalid(violations: Vec<FieldViolation>) -> Self {
        let message = violations
            .iter()
            .map(|v| v.description.clone())
            .collect::<Vec<_>>()
            .join("; ");
        ServiceError::Invalid(message, violations)
    }

    pub fn violation(v: FieldViolation) -> Self {
        Self::invalid(vec![v])
    }
}

pub type ServiceResult<T> = Result<T, ServiceError>;
