//! The badges screen: the list in display order (reorder by drag or by
//! keyboard), create and edit, delete, and each badge's holders.

mod delete;
mod edit;
mod holders;
mod list;

use axum::routing::{get, post};
use axum::Router;
use maud::{html, Markup};

use super::error::WebError;
use crate::api::AppState;
use crate::domain::{Badge, BadgeId};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/admin/badges", get(list::page))
        .route("/admin/badges/{id}/move", post(list::move_badge))
        .route("/admin/badges/new", get(edit::new_page).post(edit::create))
        .route("/admin/badges/{id}/edit", get(edit::edit_page).post(edit::update))
        .route(
            "/admin/badges/{id}/delete",
            get(delete::confirm_page).post(delete::delete),
        )
        .route("/admin/badges/{id}/holders", get(holders::page).post(holders::assign))
        .route("/admin/badges/{id}/holders/remove", post(holders::unassign))
}

/// A badge id from the path; a malformed one is simply not found.
fn badge_id(raw: &str) -> Result<BadgeId, WebError> {
    BadgeId::parse("badgeId", raw).map_err(|_| WebError::NotFound(format!("There is no badge {raw}.")))
}

/// The badge as members see it: its colours, icon and title.
pub(in crate::web) fn chip(badge: &Badge) -> Markup {
    let icon = badge.icon.as_ref().and_then(|i| i.url.as_deref());
    html! {
        span.badge-chip style={ "background-color:" (badge.background_color.as_str()) ";color:" (badge.text_color.as_str()) } {
            @if let Some(url) = icon { img src=(url) alt="" width="16" height="16"; }
            span { (badge.title.as_str()) }
        }
    }
}

/// "1 member" / "3 members".
fn members(count: i64) -> String {
    if count == 1 {
        "1 member".to_owned()
    } else {
        format!("{count} members")
    }
}
