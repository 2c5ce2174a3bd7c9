//! Protected pages: the site's pages and the badges that unlock each,
//! protect a page, remove one, and the check tool — a member id and a page
//! give "allowed" or "refused" and why, as the access check answers it.
//! The form is read with the API's own page reader, so its inline errors
//! are the API's field violations.

use std::collections::HashMap;

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::Router;
use maud::{html, Markup};
use serde::Deserialize;
use serde_json::{json, Value};

use super::badges::chip;
use super::error::WebError;
use super::layout::{csrf_field, notice, page as layout_page, text_field, FieldErrors};
use super::session::{ManageForm, SignedIn};
use crate::api::wire::page::new_page;
use crate::api::AppState;
use crate::domain::{Badge, BadgeId, FieldViolation, MemberId, PageId, PagePath, MAX_BADGES_PER_PAGE};
use crate::service::access::{CheckResult, PageRef};
use crate::service::admin_sessions::AdminSession;
use crate::service::ServiceError;

const PATH: &str = "/admin/pages";
/// The badges offered in the form (the site's first ones, in display order).
const MAX_BADGES_SHOWN: u32 = 1000;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route(PATH, get(list).post(create))
        .route("/admin/pages/{id}/delete", post(delete))
}

#[derive(Deserialize, Default)]
pub struct ListParams {
    /// The check tool: a member id and a page (URL path or page id).
    member: Option<String>,
    page: Option<String>,
    /// Set by the redirects after a change.
    created: Option<String>,
    deleted: Option<String>,
}

/// What the create form shows again after a refusal.
#[derive(Default)]
struct Sent {
    path: String,
    title: String,
    badges: Vec<String>,
}

async fn list(
    State(state): State<AppState>,
    SignedIn(session): SignedIn,
    Query(params): Query<ListParams>,
) -> Result<Response, WebError> {
    let message = match (&params.created, &params.deleted) {
        (Some(path), _) => Some(format!("{path} is protected.")),
        (None, Some(path)) => Some(format!("{path} is no longer protected.")),
        _ => None,
    };
    render(
        &state,
        &session,
        &params,
        message.as_deref(),
        &Sent::default(),
        &FieldErrors::default(),
    )
    .await
}

async fn render(
    state: &AppState,
    session: &AdminSession,
    params: &ListParams,
    message: Option<&str>,
    sent: &Sent,
    errors: &FieldErrors,
) -> Result<Response, WebError> {
    let badges = state
        .services
        .badges()
        .list(session.site, MAX_BADGES_SHOWN, 0)
        .await?
        .items;
    let by_id: HashMap<BadgeId, &Badge> = badges.iter().map(|b| (b.id, b)).collect();
    let pages = site_pages(state, session).await?;
    let check = run_check(state, session, params).await?;
    let manage = session.can_manage();
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::BAD_REQUEST
    };
    let body = html! {
        h1 { "Protected pages" }
        p.lead {
            "A page protects itself and every path below it. Members may open it when they hold one of its badges "
            "and that badge's permissions are on. Where several protected paths cover a URL, the longest decides."
        }
        (notice(message))
        section.card aria-labelledby="check-heading" {
            h2 #check-heading { "Check a member" }
            form #check-form method="get" action=(PATH) {
                div.field {
                    label for="check-member" { "Member id" }
                    input #check-member type="text" name="member" value=[params.member.as_deref()] required;
                }
                div.field {
                    label for="check-page" { "Page (a URL path such as /staff/rota, or a page id)" }
                    input #check-page type="text" name="page" value=[params.page.as_deref()] required;
                }
                button type="submit" { "Check" }
            }
            @if let Some(outcome) = &check { (outcome_markup(outcome, &by_id)) }
        }
        @if manage { (create_form(session, &badges, sent, errors)) }
        h2 { "Pages (" (pages.len()) ")" }
        @if pages.is_empty() {
            p.empty #no-pages { "No page is protected yet." }
        } @else {
            table #pages {
                caption.visually-hidden { "Protected pages of this site" }
                thead { tr {
                    th scope="col" { "Path" } th scope="col" { "Title" } th scope="col" { "Unlocked by" }
                    @if manage { th scope="col" { span.visually-hidden { "Actions" } } }
                } }
                tbody {
                    @for page in &pages {
                        tr data-page-id=(page.id) data-path=(page.path.as_str()) {
                            td { code { (page.path.as_str()) } }
                            td { (page.title.as_str()) }
                            td {
                                @if page.badge_ids.as_slice().is_empty() { "Nobody (no badge)" }
                                @for id in page.badge_ids.as_slice() {
                                    @if let Some(badge) = by_id.get(id) {
                                        (chip(badge))
                                        @if !badge.permissions_enabled { " " span.muted { "(permissions off)" } }
                                        " "
                                    } @else { code { (id) } " " }
                                }
                            }
                            @if manage {
                                td {
                                    form method="post" action={ "/admin/pages/" (page.id) "/delete" } {
                                        (csrf_field(session))
                                        button.danger type="submit" aria-label={ "Stop protecting " (page.path.as_str()) } { "Remove" }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
    };
    Ok((status, layout_page("Protected pages", session, PATH, body)).into_response())
}

/// Every protected page of the site, in path order.
async fn site_pages(state: &AppState, session: &AdminSession) -> Result<Vec<crate::domain::ProtectedPage>, WebError> {
    let raw = json!({"sort": [{"fieldName": "path"}], "paging": {"limit": 100}});
    let codec = state.services.cursors(session.site);
    let mut pages = Vec::new();
    let mut offset = 0u64;
    loop {
        let mut query = crate::query::parse_query(&crate::query::PAGES, &raw, "query", LIMITS, &codec)
            .map_err(|e| WebError::BadRequest(e.message))?;
        query.paging = crate::query::Paging::Offset { limit: 100, offset };
        let page = state.services.pages().query(session.site, &query).await?;
        let n = page.items.len();
        pages.extend(page.items);
        if n < 100 {
            return Ok(pages);
        }
        offset += 100;
    }
}

const LIMITS: crate::query::PageLimits = crate::query::PageLimits {
    default_limit: 100,
    max_limit: 100,
    default_cursor_limit: 100,
    max_cursor_limit: 100,
};

/// The check tool's answer: what was asked, and the result or why it could not be asked.
enum Outcome {
    Answered {
        member: String,
        asked: String,
        result: CheckResult,
    },
    Refused(String),
}

async fn run_check(state: &AppState, session: &AdminSession, params: &ListParams) -> Result<Option<Outcome>, WebError> {
    let (Some(member), Some(page)) = (params.member.as_deref(), params.page.as_deref()) else {
        return Ok(None);
    };
    let (member, page) = (member.trim(), page.trim());
    let member_id = match MemberId::parse("member", member) {
        Ok(id) => id,
        Err(_) => {
            return Ok(Some(Outcome::Refused(format!(
                "“{member}” is not a member id (a GUID)."
            ))))
        }
    };
    let asked = if page.starts_with('/') {
        PagePath::parse("page", page)
            .map(PageRef::Path)
            .map_err(|v| v.description)
    } else {
        PageId::parse("page", page)
            .map(PageRef::Id)
            .map_err(|_| format!("“{page}” is neither a URL path (starting with /) nor a page id."))
    };
    let asked = match asked {
        Ok(asked) => asked,
        Err(why) => return Ok(Some(Outcome::Refused(why))),
    };
    match state.services.access().check(session.site, member_id, &[asked]).await {
        Ok(mut results) => Ok(results.pop().map(|result| Outcome::Answered {
            member: member_id.to_string(),
            asked: page.to_owned(),
            result,
        })),
        Err(ServiceError::NotFound { id, .. }) => {
            Ok(Some(Outcome::Refused(format!("There is no protected page {id}."))))
        }
        Err(other) => Err(other.into()),
    }
}

fn badge_list(ids: &[BadgeId], by_id: &HashMap<BadgeId, &Badge>) -> Markup {
    html! {
        @for id in ids {
            @if let Some(badge) = by_id.get(id) { (chip(badge)) " " } @else { code { (id) } " " }
        }
    }
}

fn outcome_markup(outcome: &Outcome, by_id: &HashMap<BadgeId, &Badge>) -> Markup {
    match outcome {
        Outcome::Refused(why) => html! { div #check-result.check-result role="status" { p.error { (why) } } },
        Outcome::Answered { member, asked, result } => {
            let verdict = if result.allowed { "Allowed" } else { "Refused" };
            let why = match result.reason {
                crate::access::Reason::HoldsGrantingBadge => "The member holds a badge that unlocks this page.",
                crate::access::Reason::NotProtected => "No protected path covers this page: anyone may open it.",
                crate::access::Reason::NoGrantingBadge => "The member holds no badge that unlocks this page.",
                crate::access::Reason::PermissionsDisabled => {
                    "The member holds a badge of this page, but its permissions are off."
                }
            };
            html! {
                div #check-result.check-result.allowed[result.allowed].refused[!result.allowed] role="status" data-allowed=(result.allowed) data-reason=(result.reason.as_str()) {
                    p.verdict { strong { (verdict) } " — member " code { (member) } " at " code { (asked) } }
                    p.reason { (why) " " span.muted { "(" (result.reason.as_str()) ")" } }
                    @if let Some((_, path)) = &result.protected_by { p { "Decided by the protected page " code { (path.as_str()) } "." } }
                    @if !result.granted_by.is_empty() { p { "Let in by: " (badge_list(&result.granted_by, by_id)) } }
                    @if !result.allowed && result.protected_by.is_some() {
                        p { "Badges that would let a member in: "
                            @if result.would_grant.is_empty() { "none" } @else { (badge_list(&result.would_grant, by_id)) } }
                    }
                    @if !result.held_without_permissions.is_empty() {
                        p { "Held, but permissions off: " (badge_list(&result.held_without_permissions, by_id)) }
                    }
                }
            }
        }
    }
}

fn create_form(session: &AdminSession, badges: &[Badge], sent: &Sent, errors: &FieldErrors) -> Markup {
    let badge_error = errors.get("badgeIds");
    html! {
        form.card #protect-form method="post" action=(PATH) {
            h2 { "Protect a page" }
            (errors.summary())
            (csrf_field(session))
            (text_field("path", "Path", &sent.path, errors, Some("For example /staff: it protects /staff and every path below it.")))
            (text_field("title", "Title (optional)", &sent.title, errors, None))
            fieldset #field-badgeIds.invalid[badge_error.is_some()] {
                legend { "Badges that unlock it (at most " (MAX_BADGES_PER_PAGE) ")" }
                @if badges.is_empty() { p.hint { "The site has no badges yet: a page without badges is closed to every member." } }
                @for badge in badges {
                    @let id = badge.id.to_string();
                    div.field.checkbox {
                        input type="checkbox" id={ "badge-" (id) } name="badgeIds" value=(id) checked[sent.badges.contains(&id)];
                        label for={ "badge-" (id) } { (chip(badge)) @if !badge.permissions_enabled { " " span.muted { "(permissions off)" } } }
                    }
                }
                @if let Some(error) = badge_error { p.error { (error) } }
            }
            button.primary type="submit" { "Protect page" }
        }
    }
}

async fn create(State(state): State<AppState>, ManageForm { session, form }: ManageForm) -> Result<Response, WebError> {
    let sent = Sent {
        path: form.text("path").to_owned(),
        title: form.text("title").to_owned(),
        badges: form
            .0
            .iter()
            .filter(|(k, _)| k == "badgeIds")
            .map(|(_, v)| v.clone())
            .collect(),
    };
    let mut obj = serde_json::Map::new();
    obj.insert("path".into(), Value::String(sent.path.clone()));
    obj.insert("title".into(), Value::String(sent.title.clone()));
    obj.insert("badgeIds".into(), json!(sent.badges));
    let violations = match new_page(&obj, "page") {
        Ok(new) => match state.services.pages().create(session.site, new).await {
            Ok(page) => {
                let path: String = form_urlencoded::byte_serialize(page.path.as_str().as_bytes()).collect();
                return Ok(Redirect::to(&format!("{PATH}?created={path}")).into_response());
            }
            Err(ServiceError::Invalid(violations)) => violations,
            Err(ServiceError::Item(item)) => vec![FieldViolation::new("page.path", "UNIQUE", item.description)],
            Err(other) => return Err(other.into()),
        },
        Err(e) if !e.violations.is_empty() => e.violations,
        Err(e) => return Err(WebError::BadRequest(e.message)),
    };
    // Every problem with one of the badges belongs to the badge list.
    let violations: Vec<FieldViolation> = violations
        .into_iter()
        .map(|mut v| {
            if v.field.starts_with("page.badgeIds") {
                v.field = "page.badgeIds".into();
            }
            v
        })
        .collect();
    let errors = FieldErrors::from_violations(&violations, "page");
    render(&state, &session, &ListParams::default(), None, &sent, &errors).await
}

async fn delete(
    State(state): State<AppState>,
    Path(id): Path<String>,
    ManageForm { session, .. }: ManageForm,
) -> Result<Response, WebError> {
    let id = PageId::parse("pageId", &id).map_err(|_| WebError::NotFound(format!("There is no page {id}.")))?;
    let page = state.services.pages().delete(session.site, id).await?;
    let path: String = form_urlencoded::byte_serialize(page.path.as_str().as_bytes()).collect();
    Ok(Redirect::to(&format!("{PATH}?deleted={path}")).into_response())
}
