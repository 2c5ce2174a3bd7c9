//! Why an admin request did not happen, as an HTML page with the right status.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use maud::html;

use super::layout;
use crate::service::ServiceError;

#[derive(Debug)]
pub enum WebError {
    /// No live session: off to the sign-in page.
    SignInNeeded,
    /// A form without this browser's CSRF token.
    Csrf,
    /// A change asked for by a read-only session.
    ReadOnly,
    NotFound(String),
    BadRequest(String),
    Internal,
}

impl WebError {
    fn status_and_message(&self) -> (StatusCode, &str, String) {
        match self {
            WebError::SignInNeeded => (StatusCode::UNAUTHORIZED, "Sign in", "Please sign in.".into()),
            WebError::Csrf => (
                StatusCode::FORBIDDEN,
                "Form refused",
                "This form was not sent from this admin page, or it is too old. Nothing was changed: \
                 reload the page and try again."
                    .into(),
            ),
            WebError::ReadOnly => (
                StatusCode::FORBIDDEN,
                "Read-only",
                "You signed in with a read-only key, so nothing can be changed here. Nothing was changed.".into(),
            ),
            WebError::NotFound(what) => (StatusCode::NOT_FOUND, "Not found", what.clone()),
            WebError::BadRequest(what) => (StatusCode::BAD_REQUEST, "Bad request", what.clone()),
            WebError::Internal => (
                StatusCode::INTERNAL_SERVER_ERROR,
                "Something went wrong",
                "The server could not complete this request. Nothing you can fix from here; the cause is logged."
                    .into(),
            ),
        }
    }
}

impl IntoResponse for WebError {
    fn into_response(self) -> Response {
        if let WebError::SignInNeeded = self {
            return Redirect::to("/admin/signin").into_response();
        }
        let (status, title, message) = self.status_and_message();
        let body = html! {
            h1 { (title) }
            p role="alert" { (message) }
            p { a href="/admin" { "Back to the admin page" } }
        };
        (status, layout::bare_page(title, body)).into_response()
    }
}

impl From<ServiceError> for WebError {
    fn from(e: ServiceError) -> Self {
        match e {
            ServiceError::NotFound { entity, id } => WebError::NotFound(format!("There is no {entity} {id}.")),
            ServiceError::Query(q) => WebError::BadRequest(q.message),
            ServiceError::Invalid(violations) => WebError::BadRequest(
                violations
                    .iter()
                    .map(|v| v.description.as_str())
                    .collect::<Vec<_>>()
                    .join("; "),
            ),
            ServiceError::Item(item) => WebError::BadRequest(item.description),
            ServiceError::RevisionMismatch { entity, .. } => WebError::BadRequest(format!(
                "The {entity} was changed by someone else; reload and try again."
            )),
            ServiceError::Store(store) => {
                tracing::error!(error = %store, "store failure");
                WebError::Internal
            }
        }
    }
}
