//! The one place where failures become Wix error JSON and HTTP statuses.
//!
//! Two body shapes, as Wix sends them:
//! - `{"message", "details": {"applicationError": {code, description, data}}}`
//!   — the SDK hands the caller `details.applicationError.code`;
//! - `{"message", "details": {"validationError": {"fieldViolations": […]}}}`
//!   — for input that breaks a field rule (400).
//!
//! A failure of the server is logged here, once, with its cause chain, as it
//! becomes a response; nothing below the API layer logs it.

use std::num::NonZeroU32;

use axum::http::header::RETRY_AFTER;
use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::{json, Value};

use crate::diagnostics::describe;
use crate::domain::FieldViolation;
use crate::query::QueryError;
use crate::service::auth::AuthError;
use crate::service::ServiceError;
use crate::store::StoreError;

#[derive(Debug)]
pub struct ApiError {
    pub status: StatusCode,
    pub code: &'static str,
    pub message: String,
    pub data: Value,
    pub violations: Vec<FieldViolation>,
    /// Why the server failed: logged, never sent.
    pub cause: Option<anyhow::Error>,
    /// Seconds after which a retry may succeed (`Retry-After`).
    pub retry_after: Option<NonZeroU32>,
}

impl ApiError {
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        Self {
            status,
            code,
            message: message.into(),
            data: json!({}),
            violations: Vec::new(),
            cause: None,
            retry_after: None,
        }
    }

    /// Records the failure behind this answer for the log.
    pub fn with_cause(mut self, cause: impl Into<anyhow::Error>) -> Self {
        self.cause = Some(cause.into());
        self
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

    /// 503: the database cannot be reached or did not answer within its
    /// wait; nothing was changed, and the same call may succeed shortly.
    pub fn unavailable(message: impl Into<String>) -> Self {
        Self::new(StatusCode::SERVICE_UNAVAILABLE, "UNAVAILABLE", message).with_retry_after(1)
    }

    /// Asks the client to wait this many seconds before trying again.
    pub fn with_retry_after(mut self, seconds: u64) -> Self {
        self.retry_after = NonZeroU32::new(u32::try_from(seconds).unwrap_or(u32::MAX).max(1));
        self
    }

    /// A store failure: 503 when the database is away or busy, else 500.
    pub fn from_store(e: StoreError) -> Self {
        if e.is_unavailable() {
            Self::unavailable("the database is unavailable; try again shortly").with_cause(e)
        } else {
            Self::internal().with_cause(e)
        }
    }

    pub fn internal() -> Self {
        // Clients only learn that it happened; `with_cause` keeps why, for the log.
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
        // Shedding and deadlines (503/504 without a cause) are the edge doing
        // its job; under overload a line each would flood the log, and the
        // metrics count them by status.
        let failed = self.status == StatusCode::INTERNAL_SERVER_ERROR || self.cause.is_some();
        if self.status.is_server_error() && failed {
            match &self.cause {
                Some(cause) => tracing::error!(code = self.code, error = %describe(cause), "request failed"),
                None => tracing::error!(code = self.code, message = %self.message, "request failed"),
            }
        } else {
            tracing::debug!(status = self.status.as_u16(), code = self.code, message = %self.message, "request refused");
        }
        let mut response = (self.status, Json(self.body())).into_response();
        if let Some(seconds) = self.retry_after {
            response
                .headers_mut()
                .insert(RETRY_AFTER, HeaderValue::from(seconds.get()));
        }
        response
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
            ServiceError::Query(q) => q.into(),
            ServiceError::Invalid(violations) => Self::invalid(violations),
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
            ServiceError::Store(store) => Self::from_store(store),
        }
    }
}

impl From<AuthError> for ApiError {
    fn from(e: AuthError) -> Self {
        match e {
            AuthError::Malformed | AuthError::Unknown | AuthError::Token(_) => Self::unauthenticated(e.to_string()),
            AuthError::WrongSite | AuthError::MissingScope(_) | AuthError::FrontEnd | AuthError::NotAssigner => {
                Self::forbidden(e.to_string())
            }
            AuthError::Store(store) => Self::from_store(store),
        }
    }
}

impl From<crate::service::delegation::AssignRefusal> for ApiError {
    fn from(e: crate::service::delegation::AssignRefusal) -> Self {
        match e {
            crate::service::delegation::AssignRefusal::Auth(a) => a.into(),
            crate::service::delegation::AssignRefusal::Service(s) => s.into(),
        }
    }
}

impl From<crate::service::frontend::GrantError> for ApiError {
    fn from(e: crate::service::frontend::GrantError) -> Self {
        use crate::service::frontend::GrantError;
        match e {
            GrantError::InvalidClient => Self::bad_request("INVALID_CLIENT", e.to_string()),
            GrantError::InvalidGrant(message) => Self::bad_request("INVALID_GRANT", message),
            GrantError::Auth(a) => a.into(),
            GrantError::Store(s) => Self::from_store(s),
        }
    }
}
