//! The one place where failures become Wix error JSON and HTTP statuses.
//!
//! Two body shapes, as Wix sends them:
//! - `{"message", "details": {"applicationError": {code, description, data}}}`
//!   — the SDK hands the caller `details.applicationError.code`;
//! - `{"message", "details": {"validationError": {"fieldViolations": […]}}}`
//!   — for input that breaks a field rule (400).

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::{json, Value};

use crate::domain::FieldViolation;
use crate::query::QueryError;
use crate::service::ServiceError;

#[derive(Debug)]
pub struct ApiError {
    pub status: StatusCode,
    pub code: &'static str,
    pub message: String,
    pub data: Value,
    pub violations: Vec<FieldViolation>,
}

impl ApiError {
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        Self {
            status,
            code,
            message: message.into(),
            data: json!({}),
            violations: Vec::new(),
        }
    }

    pub fn with_data(mut self, data: Value) -> Self {
        self.data = data;
        self
    }

    /// 400 with a `validationError` listing every broken rule.
    pub fn invalid(violations: Vec<FieldViolation>) -> Self {
        let message = violations
            .iter()
            .map(|v| format!("{}: {}", v.field, v.description))
            .collect::<Vec<_>>()
            .join("; ");
        Self {
            violations,
            ..Self::new(StatusCode::BAD_REQUEST, "INVALID_ARGUMENT", message)
        }
    }

    pub fn bad_request(code: &'static str, message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, code, message)
    }

    pub fn unauthenticated(message: impl Into<String>) -> Self {
        Self::new(StatusCode::UNAUTHORIZED, "UNAUTHENTICATED", message)
    }

    pub fn forbidden(message: impl Into<String>) -> Self {
        Self::new(StatusCode::FORBIDDEN, "PERMISSION_DENIED", message)
    }

    pub fn not_found(message: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, "NOT_FOUND", message)
    }

    pub fn internal() -> Self {
        // The cause is logged where it happened; clients only learn that it did.
        Self::new(StatusCode::INTERNAL_SERVER_ERROR, "INTERNAL", "internal error")
    }

    fn body(&self) -> Value {
        if self.violations.is_empty() {
            json!({
                "message": self.message,
                "details": {"applicationError": {
                    "code": self.code,
                    "description": self.message,
                    "data": self.data,
                }},
            })
        } else {
            let violations: Vec<Value> = self
                .violations
                .iter()
                .map(|v| json!({"field": v.field, "description": v.description, "violatedRule": v.rule}))
                .collect();
            json!({
                "message": self.message,
                "details": {"validationError": {"fieldViolations": violations}},
            })
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        if self.status.is_server_error() {
            tracing::error!(code = self.code, message = %self.message, "request failed");
        } else {
            tracing::debug!(status = self.status.as_u16(), code = self.code, message = %self.message, "request refused");
        }
        (self.status, Json(self.body())).into_response()
    }
}

impl From<FieldViolation> for ApiError {
    fn from(v: FieldViolation) -> Self {
        Self::invalid(vec![v])
    }
}

impl From<QueryError> for ApiError {
    fn from(e: QueryError) -> Self {
        Self::invalid(vec![FieldViolation::new(e.field, "QUERY", e.message)])
    }
}

impl From<ServiceError> for ApiError {
    fn from(e: ServiceError) -> Self {
        match e {
            ServiceError::Invalid(_, violations) => Self::invalid(violations),
            ServiceError::Query(q) => q.into(),
            ServiceError::NotFound { entity, id } => {
                Self::not_found(format!("{entity} {id} not found")).with_data(json!({"id": id}))
            }
            ServiceError::RevisionMismatch { entity, current } => Self::new(
                StatusCode::CONFLICT,
                "REVISION_MISMATCH",
                format!("the {entity} was changed by someone else; it is now at revision {current}"),
            )
            .with_data(json!({"currentRevision": current.to_string()})),
            ServiceError::Item(item) => Self::new(
                StatusCode::from_u16(item.status).unwrap_or(StatusCode::BAD_REQUEST),
                item.code,
                item.description,
            ),
            ServiceError::Store(store) => {
                tracing::error!(error = %store, "store failure");
                Self::internal()
            }
        }
    }
}
