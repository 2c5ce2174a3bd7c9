//! The site's API keys: create (the new key is shown once), list, revoke.

use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use maud::{html, Markup};
use serde::Deserialize;

use super::error::WebError;
use super::layout::{csrf_field, notice, page};
use super::session::{ManageForm, SignedIn};
use crate::api::AppState;
use crate::domain::Scope;
use crate::service::admin_sessions::AdminSession;
use crate::store::ApiKeyRecord;

const PATH: &str = "/admin/keys";

pub fn routes() -> axum::Router<AppState> {
    axum::Router::new()
        .route(PATH, axum::routing::get(list).post(create))
        .route("/admin/keys/{id}/revoke", axum::routing::post(revoke))
}

#[derive(Deserialize)]
pub struct KeysParams {
    revoked: Option<String>,
}

async fn list(
    State(state): State<AppState>,
    SignedIn(session): SignedIn,
    Query(params): Query<KeysParams>,
) -> Result<Markup, WebError> {
    let message = params.revoked.map(|id| format!("Key {id} revoked."));
    render(&state, &session, message.as_deref(), None).await
}

async fn render(
    state: &AppState,
    session: &AdminSession,
    message: Option<&str>,
    new_key: Option<(&ApiKeyRecord, &str)>,
) -> Result<Markup, WebError> {
    let keys = state.services.api_keys().list(session.site).await?;
    let manage = session.can_manage();
    let body = html! {
        h1 { "API keys" }
        p.lead { "Keys let programs call the badges APIs for this site. Only a hash of each key is stored." }
        (notice(message))
        @if let Some((record, secret)) = new_key {
            section.new-key role="alert" aria-labelledby="new-key-heading" {
                h2 #new-key-heading { "New key " code { (record.id) } }
                p { "Copy it now: it is shown only this once." }
                label for="new-key" { "The key" }
                input #new-key type="text" readonly value=(secret);
            }
        }
        @if manage {
            form.card method="post" action=(PATH) {
                (csrf_field(session))
                fieldset {
                    legend { "Create a key" }
                    div.field.radio {
                        input type="radio" id="scope-manage" name="scope" value="manage" checked;
                        label for="scope-manage" { "Manage: read and change badges and assignments" }
                    }
                    div.field.radio {
                        input type="radio" id="scope-read" name="scope" value="read";
                        label for="scope-read" { "Read-only" }
                    }
                }
                button.primary type="submit" { "Create key" }
            }
        }
        table #keys {
            caption.visually-hidden { "API keys of this site" }
            thead { tr {
                th scope="col" { "Id" } th scope="col" { "Scopes" } th scope="col" { "Created" } th scope="col" { "Status" }
                @if manage { th scope="col" { span.visually-hidden { "Actions" } } }
            } }
            tbody {
                @for key in &keys {
                    tr data-key-id=(key.id) {
                        td { code { (key.id) } }
                        td { (scope_label(&key.scopes)) }
                        td { (key.created_at.to_rfc3339()) }
                        td { @match key.revoked_at { Some(at) => { "Revoked " (at.to_rfc3339()) }, None => "Active" } }
                        @if manage {
                            td {
                                @if key.revoked_at.is_none() {
                                    form method="post" action={ "/admin/keys/" (key.id) "/revoke" } {
                                        (csrf_field(session))
                                        button.danger type="submit" aria-label={ "Revoke key " (key.id) } { "Revoke" }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
    };
    Ok(page("API keys", session, PATH, body))
}

fn scope_label(scopes: &[String]) -> &'static str {
    if scopes.iter().any(|s| s == Scope::MANAGE_BADGES) {
        "Manage"
    } else if scopes.iter().any(|s| s == Scope::READ_BADGES) {
        "Read-only"
    } else {
        "None"
    }
}

/// Answers the page itself (not a redirect), so the secret is never in a URL or history entry.
async fn create(State(state): State<AppState>, ManageForm { session, form }: ManageForm) -> Result<Response, WebError> {
    let scope = match form.text("scope") {
        "manage" => Scope::ManageBadges,
        "read" => Scope::ReadBadges,
        other => {
            return Err(WebError::BadRequest(format!(
                "unknown scope {other:?}: choose manage or read"
            )))
        }
    };
    let (record, secret) = state.services.api_keys().create(session.site, &[scope]).await?;
    Ok(render(&state, &session, Some("Key created."), Some((&record, &secret)))
        .await?
        .into_response())
}

async fn revoke(
    State(state): State<AppState>,
    Path(id): Path<String>,
    ManageForm { session, .. }: ManageForm,
) -> Result<Response, WebError> {
    state.services.api_keys().revoke(session.site, &id).await?;
    let id: String = form_urlencoded::byte_serialize(id.as_bytes()).collect();
    Ok(Redirect::to(&format!("{PATH}?revoked={id}")).into_response())
}
