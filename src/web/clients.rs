//! The site's front-end OAuth clients (for the SDK's `OAuthStrategy` in the
//! site's pages): create with the origins its pages run on, list, revoke.

use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use maud::{html, Markup};
use serde::Deserialize;

use super::error::WebError;
use super::layout::{csrf_field, notice, page};
use super::session::{ManageForm, SignedIn};
use crate::api::AppState;
use crate::service::admin_sessions::AdminSession;
use crate::service::frontend::parse_origin;
use crate::service::ServiceError;

const PATH: &str = "/admin/clients";

pub fn routes() -> axum::Router<AppState> {
    axum::Router::new()
        .route(PATH, axum::routing::get(list).post(create))
        .route("/admin/clients/{id}/revoke", axum::routing::post(revoke))
}

#[derive(Deserialize)]
pub struct ClientsParams {
    created: Option<String>,
    revoked: Option<String>,
}

async fn list(
    State(state): State<AppState>,
    SignedIn(session): SignedIn,
    Query(params): Query<ClientsParams>,
) -> Result<Markup, WebError> {
    let message = match (params.created, params.revoked) {
        (Some(id), _) => Some(format!("Client {id} created.")),
        (_, Some(id)) => Some(format!("Client {id} revoked.")),
        _ => None,
    };
    render(&state, &session, message.as_deref()).await
}

async fn render(state: &AppState, session: &AdminSession, message: Option<&str>) -> Result<Markup, WebError> {
    let clients = state
        .services
        .front_end()
        .list_clients(Some(session.site))
        .await
        .map_err(ServiceError::Store)?;
    let manage = session.can_manage();
    let body = html! {
        h1 { "Front-end clients" }
        p.lead {
            "A client lets the site's pages read badges with the SDK's OAuthStrategy, as visitors and members, "
            "without an API key. Its id is public; browsers may call from the origins listed."
        }
        (notice(message))
        @if manage {
            form.card method="post" action=(PATH) {
                (csrf_field(session))
                div.field {
                    label for="origins" { "Origins (one a line), e.g. https://shop.example" }
                    textarea #origins name="origins" rows="3" required {}
                }
                button.primary type="submit" { "Create client" }
            }
        }
        table #clients {
            caption.visually-hidden { "Front-end clients of this site" }
            thead { tr {
                th scope="col" { "Client id" } th scope="col" { "Origins" } th scope="col" { "Created" } th scope="col" { "Status" }
                @if manage { th scope="col" { span.visually-hidden { "Actions" } } }
            } }
            tbody {
                @for client in &clients {
                    tr data-client-id=(client.id) {
                        td { code { (client.id) } }
                        td { (client.origins.join(" ")) }
                        td { (client.created_at.to_rfc3339()) }
                        td { @match client.revoked_at { Some(at) => { "Revoked " (at.to_rfc3339()) }, None => "Active" } }
                        @if manage {
                            td {
                                @if client.revoked_at.is_none() {
                                    form method="post" action={ "/admin/clients/" (client.id) "/revoke" } {
                                        (csrf_field(session))
                                        button.danger type="submit" aria-label={ "Revoke client " (client.id) } { "Revoke" }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
    };
    Ok(page("Front-end clients", session, PATH, body))
}

async fn create(State(state): State<AppState>, ManageForm { session, form }: ManageForm) -> Result<Response, WebError> {
    let origins = form
        .text("origins")
        .split_whitespace()
        .map(parse_origin)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| WebError::BadRequest(e.to_string()))?;
    if origins.is_empty() {
        return Err(WebError::BadRequest("name at least one origin".into()));
    }
    let id = state
        .services
        .front_end()
        .create_client(session.site, &origins)
        .await
        .map_err(ServiceError::Store)?;
    Ok(Redirect::to(&format!("{PATH}?created={id}")).into_response())
}

async fn revoke(
    State(state): State<AppState>,
    Path(id): Path<String>,
    ManageForm { session, .. }: ManageForm,
) -> Result<Response, WebError> {
    state.services.front_end().revoke_site_client(session.site, &id).await?;
    let id: String = form_urlencoded::byte_serialize(id.as_bytes()).collect();
    Ok(Redirect::to(&format!("{PATH}?revoked={id}")).into_response())
}
