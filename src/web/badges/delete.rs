//! Deleting a badge, after a confirmation that says how many members lose it.

use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use maud::{html, Markup};

use super::{badge_id, chip, members};
use crate::api::AppState;
use crate::web::error::WebError;
use crate::web::layout::{csrf_field, page};
use crate::web::session::{ManageForm, SignedIn};

pub async fn confirm_page(
    State(state): State<AppState>,
    SignedIn(session): SignedIn,
    Path(id): Path<String>,
) -> Result<Markup, WebError> {
    if !session.can_manage() {
        return Err(WebError::ReadOnly);
    }
    let badge = state.services.badges().get(session.site, badge_id(&id)?).await?;
    let title = format!("Delete “{}”?", badge.title.as_str());
    let body = html! {
        p.back { a href={ "/admin/badges/" (badge.id) "/edit" } { "← Back to the badge" } }
        h1 { (title) }
        p { (chip(&badge)) }
        p.confirm-count #holder-count {
            @match badge.member_count {
                0 => "No member holds this badge.",
                n => { strong { (members(n)) } " hold this badge. Deleting it takes it away from " @if n == 1 { "that member" } @else { "all of them" } "." },
            }
        }
        p { "This cannot be undone." }
        form.card method="post" action={ "/admin/badges/" (badge.id) "/delete" } {
            (csrf_field(&session))
            div.buttons {
                button.danger type="submit" { "Delete badge" }
                a href="/admin/badges" { "Cancel" }
            }
        }
    };
    Ok(page(&title, &session, "/admin/badges", body))
}

pub async fn delete(
    State(state): State<AppState>,
    Path(id): Path<String>,
    ManageForm { session, .. }: ManageForm,
) -> Result<Response, WebError> {
    let deleted = state.services.badges().delete(session.site, badge_id(&id)?).await?;
    let title: String = form_urlencoded::byte_serialize(deleted.title.as_str().as_bytes()).collect();
    Ok(Redirect::to(&format!("/admin/badges?deleted={title}")).into_response())
}
