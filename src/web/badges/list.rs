//! The site's badges in display order. Each row has "move up" and "move
//! down" buttons (plain forms: the keyboard way to reorder, which works
//! without JavaScript too); the script adds dragging, which posts the same
//! move form.

use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use maud::{html, Markup};
use serde::Deserialize;

use super::{badge_id, chip, members};
use crate::api::AppState;
use crate::domain::{Badge, BadgeId, OrderChange, Position};
use crate::service::admin_sessions::AdminSession;
use crate::web::error::WebError;
use crate::web::layout::{csrf_field, notice, page as layout_page};
use crate::web::session::{ManageForm, SignedIn};

const PAGE_SIZE: u32 = 100;
/// Pages past this are empty anyway; the cap keeps offsets small.
const MAX_PAGE: u64 = 100_000;

#[derive(Deserialize, Default)]
pub struct ListParams {
    page: Option<u64>,
    /// Set after a move: the badge moved, and which button moved it (to give it focus again).
    moved: Option<String>,
    dir: Option<String>,
    deleted: Option<String>,
}

/// One row and where its buttons move it: `Some(None)` is "to the front".
struct Row {
    badge: Badge,
    position: u64,
    up: Option<Option<BadgeId>>,
    down: Option<Option<BadgeId>>,
}

pub async fn page(
    State(state): State<AppState>,
    SignedIn(session): SignedIn,
    Query(params): Query<ListParams>,
) -> Result<Markup, WebError> {
    let page = params.page.unwrap_or(1).clamp(1, MAX_PAGE);
    let offset = (page - 1) * u64::from(PAGE_SIZE);
    // Two badges before the page and one after it decide where the edge rows move.
    let start = offset.saturating_sub(2);
    let window = state.services.badges().list(session.site, PAGE_SIZE + 3, start).await?;
    let total = window.total.unwrap_or(0);
    let at = |global: u64| -> Option<&Badge> {
        global
            .checked_sub(start)
            .and_then(|i| window.items.get(usize::try_from(i).ok()?))
    };
    let rows: Vec<Row> = (offset..offset + u64::from(PAGE_SIZE))
        .map_while(|g| {
            let badge = at(g)?.clone();
            let up = match g {
                0 => None,
                1 => Some(None),
                _ => at(g - 2).map(|b| Some(b.id)),
            };
            let down = at(g + 1).map(|b| Some(b.id));
            Some(Row {
                badge,
                position: g + 1,
                up,
                down,
            })
        })
        .collect();
    // Dragging a row to the top of a later page puts it after the previous page's last badge.
    let before_page = offset.checked_sub(1).and_then(at).map(|b| b.id.to_string());

    let moved = params.moved.as_deref();
    let message = match (moved, params.deleted.as_deref()) {
        (Some(id), _) => rows
            .iter()
            .find(|r| r.badge.id.to_string() == id)
            .map(|r| format!("Moved “{}” to position {}.", r.badge.title.as_str(), r.position)),
        (None, Some(title)) => Some(format!("Deleted “{title}”.")),
        _ => None,
    };
    let pages = total.div_ceil(u64::from(PAGE_SIZE)).max(1);

    let body = html! {
        div.heading {
            h1 { "Badges" }
            @if session.can_manage() { a.button.primary href="/admin/badges/new" { "New badge" } }
        }
        p.lead {
            (total) " badges, in the order members see them. "
            @if session.can_manage() {
                "Drag a row to reorder, or use its Move up and Move down buttons."
            }
        }
        (notice(message.as_deref()))
        @if rows.is_empty() {
            p.empty { "No badges yet." }
        } @else {
            ol #badge-list.badge-list start=(offset + 1)
                data-manage=(session.can_manage()) data-page=(page) data-before-page=[before_page]
                data-moved=[moved] data-dir=[params.dir.as_deref()] {
                @for row in &rows { (row_markup(&session, row, page)) }
            }
        }
        @if pages > 1 {
            nav.pager aria-label="Badge pages" {
                @if page > 1 { a href={ "/admin/badges?page=" (page - 1) } { "Previous page" } }
                span { "Page " (page) " of " (pages) }
                @if page < pages { a href={ "/admin/badges?page=" (page + 1) } { "Next page" } }
            }
        }
    };
    Ok(layout_page("Badges", &session, "/admin/badges", body))
}

fn row_markup(session: &AdminSession, row: &Row, page: u64) -> Markup {
    let badge = &row.badge;
    let id = badge.id.to_string();
    let title = badge.title.as_str();
    let manage = session.can_manage();
    html! {
        li.badge-row #{ "badge-" (id) } data-badge-id=(id) draggable=[manage.then_some("true")] {
            @if manage { span.handle aria-hidden="true" title="Drag to reorder" { "⠿" } }
            span.position aria-hidden="true" { (row.position) }
            (chip(badge))
            a.holders href={ "/admin/badges/" (id) "/holders" } { (members(badge.member_count)) }
            span.actions {
                a href={ "/admin/badges/" (id) "/edit" } {
                    @if manage { "Edit" } @else { "View" }
                    span.visually-hidden { " " (title) }
                }
                @if manage {
                    a href={ "/admin/badges/" (id) "/delete" } { "Delete" span.visually-hidden { " " (title) } }
                    (move_form(session, &id, title, "up", row.up, page))
                    (move_form(session, &id, title, "down", row.down, page))
                }
            }
        }
    }
}

fn move_form(
    session: &AdminSession,
    id: &str,
    title: &str,
    dir: &str,
    target: Option<Option<BadgeId>>,
    page: u64,
) -> Markup {
    let (symbol, label) = if dir == "up" {
        ("↑", "Move up")
    } else {
        ("↓", "Move down")
    };
    html! {
        form.move method="post" action={ "/admin/badges/" (id) "/move" } {
            (csrf_field(session))
            input type="hidden" name="page" value=(page);
            input type="hidden" name="dir" value=(dir);
            input type="hidden" name="after" value=[target.flatten().map(|b| b.to_string())];
            button type="submit" data-dir=(dir) disabled[target.is_none()] aria-label={ (label) ": " (title) } {
                (symbol) span.visually-hidden { " " (label) }
            }
        }
    }
}

/// Moves one badge: after the badge named in `after`, or to the front when
/// `after` is empty.
pub async fn move_badge(
    State(state): State<AppState>,
    Path(id): Path<String>,
    ManageForm { session, form }: ManageForm,
) -> Result<Response, WebError> {
    let id = badge_id(&id)?;
    let position = match form.text("after").trim() {
        "" => Position::First,
        raw => Position::After(BadgeId::parse("after", raw).map_err(|v| WebError::BadRequest(v.description))?),
    };
    state
        .services
        .badges()
        .reorder(session.site, OrderChange::Move { id, position })
        .await?;
    let page = form.text("page").parse::<u64>().unwrap_or(1).clamp(1, MAX_PAGE);
    let dir = match form.text("dir") {
        "up" => "up",
        "down" => "down",
        _ => "drag",
    };
    // No #fragment: jumping to one would take focus away from the button the script focuses.
    Ok(Redirect::to(&format!("/admin/badges?page={page}&moved={id}&dir={dir}")).into_response())
}
