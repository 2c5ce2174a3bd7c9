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

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::{json, Value};

use crate::diagnostics::describe;
use crate::domain::FieldViolation;
use crate::query::QueryError;
use crate::service::auth::AuthError;
use crate::service::ServiceError;

#[derive(Debug)]
pub struct ApiError {
    pub status: StatusCode,
    pub code: &'static str,
    pub message: String,
    pub data: Value,
    pub violations: Vec<FieldViolation>,
    /// Why the server failed: logged, never sent.
    pub cause: Option<anyhow::Error>,
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
        if self.status.is_server_error() {
            match &self.cause {
                Some(cause) => tracing::error!(code = self.code, error = %describe(cause), "request failed"),
                None => tracing::error!(code = self.code, message = %self.message, "request failed"),
            }
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
            ServiceError::Store(store) => Self::internal().with_cause(store),
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
            AuthError::Store(_) => Self::internal().with_cause(e),
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
            GrantError::Store(s) => Self::internal().with_cause(s),
        }
    }
}
