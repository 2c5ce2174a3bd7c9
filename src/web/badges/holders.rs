//! A badge's holders: cursor-paged, searchable by member id; assign many
//! members by pasting their ids (each id's result is shown); unassign one.

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use maud::{html, Markup};
use serde::Deserialize;
use serde_json::json;

use super::{badge_id, chip, members};
use crate::api::AppState;
use crate::domain::{Badge, BadgeAssignment, MemberId, NewAssignment, Tags};
use crate::query::{parse_query, CursorCodec, PageLimits, Query as WixQuery, ASSIGNMENTS};
use crate::service::admin_sessions::AdminSession;
use crate::service::assignments::MAX_BULK_ITEMS;
use crate::web::error::WebError;
use crate::web::layout::{csrf_field, notice, page as layout_page, FieldErrors};
use crate::web::session::{ManageForm, SignedIn};

const PAGE_SIZE: u32 = 50;
const LIMITS: PageLimits = PageLimits {
    default_limit: PAGE_SIZE,
    max_limit: PAGE_SIZE,
    default_cursor_limit: PAGE_SIZE,
    max_cursor_limit: PAGE_SIZE,
};

#[derive(Deserialize, Default)]
pub struct HoldersParams {
    /// Search: one member id.
    member: Option<String>,
    cursor: Option<String>,
    /// Set by the redirect after an unassign.
    removed: Option<String>,
}

/// What happened to one pasted id.
enum Outcome {
    Assigned,
    AlreadyHeld,
    Repeated,
    Refused(String),
}

pub async fn page(
    State(state): State<AppState>,
    SignedIn(session): SignedIn,
    Path(id): Path<String>,
    Query(params): Query<HoldersParams>,
) -> Result<Response, WebError> {
    let badge = state.services.badges().get(session.site, badge_id(&id)?).await?;
    let message = params
        .removed
        .as_deref()
        .map(|m| format!("Took the badge from member {m}."));
    render(
        &state,
        &session,
        &badge,
        &params,
        message.as_deref(),
        None,
        &FieldErrors::default(),
        "",
    )
    .await
}

/// Renders the page; `results` are the outcomes of a paste.
#[allow(clippy::too_many_arguments)]
async fn render(
    state: &AppState,
    session: &AdminSession,
    badge: &Badge,
    params: &HoldersParams,
    message: Option<&str>,
    results: Option<&[(String, Outcome)]>,
    errors: &FieldErrors,
    pasted: &str,
) -> Result<Response, WebError> {
    let codec = state.services.cursors(session.site);
    let search = params.member.as_deref().map(str::trim).filter(|m| !m.is_empty());
    let mut search_error = None;
    let member = match search.map(|m| MemberId::parse("memberId", m)) {
        Some(Ok(member)) => Some(member),
        Some(Err(v)) => {
            search_error = Some(v.description);
            None
        }
        None => None,
    };
    let query = holders_query(badge, member, params.cursor.as_deref(), &codec)?;
    let holders = state.services.assignments().query(session.site, &query).await?;
    let cursors = codec.page_cursors(&query, &holders);
    let (next, prev) = (url_token(cursors.next), url_token(cursors.prev));
    let base = format!("/admin/badges/{}/holders", badge.id);
    let manage = session.can_manage();
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::BAD_REQUEST
    };

    let body = html! {
        p.back { a href="/admin/badges" { "← All badges" } }
        h1 { "Holders of " (chip(badge)) }
        p.lead #holder-total { (members(badge.member_count)) " hold this badge." }
        (notice(message))
        @if let Some(results) = results { (results_table(results)) }
        @if manage { (assign_form(session, badge, errors, pasted)) }
        form.search role="search" method="get" action=(base) {
            div.field.invalid[search_error.is_some()] {
                label for="field-member" { "Find a member by id" }
                input type="search" id="field-member" name="member" value=[search]
                    aria-invalid=[search_error.as_ref().map(|_| "true")]
                    aria-describedby=[search_error.as_ref().map(|_| "field-member-error")];
                @if let Some(error) = &search_error { p.error id="field-member-error" { (error) } }
            }
            button type="submit" { "Search" }
            @if search.is_some() { a href=(base) { "Show all" } }
        }
        @if holders.items.is_empty() {
            p.empty #no-holders { @if search.is_some() { "That member does not hold this badge." } @else { "Nobody holds this badge yet." } }
        } @else {
            table.holders #holders {
                caption.visually-hidden { "Members holding this badge" }
                thead { tr { th scope="col" { "Member id" } th scope="col" { "Since" } @if manage { th scope="col" { span.visually-hidden { "Actions" } } } } }
                tbody {
                    @for holder in &holders.items { (holder_row(session, badge, holder)) }
                }
            }
        }
        @if next.is_some() || prev.is_some() {
            nav.pager aria-label="Holder pages" {
                @if let Some(prev) = &prev { a href={ (base) "?cursor=" (prev) } { "Previous page" } }
                @if let Some(next) = &next { a href={ (base) "?cursor=" (next) } { "Next page" } }
            }
        }
    };
    let title = format!("Holders of “{}”", badge.title.as_str());
    Ok((status, layout_page(&title, session, "/admin/badges", body)).into_response())
}

fn holder_row(session: &AdminSession, badge: &Badge, holder: &BadgeAssignment) -> Markup {
    let member = holder.member_id.to_string();
    html! {
        tr data-member-id=(member) {
            td { code { (member) } }
            td { (holder.created_date.to_rfc3339()) }
            @if session.can_manage() {
                td {
                    form method="post" action={ "/admin/badges/" (badge.id) "/holders/remove" } {
                        (csrf_field(session))
                        input type="hidden" name="member" value=(member);
                        button type="submit" aria-label={ "Unassign member " (member) } { "Unassign" }
                    }
                }
            }
        }
    }
}

fn assign_form(session: &AdminSession, badge: &Badge, errors: &FieldErrors, pasted: &str) -> Markup {
    let error = errors.get("memberIds");
    html! {
        form.card.assign method="post" action={ "/admin/badges/" (badge.id) "/holders" } {
            (csrf_field(session))
            div.field.invalid[error.is_some()] {
                label for="field-memberIds" { "Assign to members" }
                p.hint id="field-memberIds-hint" {
                    "Paste up to " (MAX_BULK_ITEMS) " member ids, separated by spaces, commas or new lines."
                }
                textarea id="field-memberIds" name="memberIds" rows="4"
                    aria-describedby={ "field-memberIds-hint" @if error.is_some() { " field-memberIds-error" } }
                    aria-invalid=[error.map(|_| "true")] { (pasted) }
                @if let Some(error) = error { p.error id="field-memberIds-error" { (error) } }
            }
            button.primary type="submit" { "Assign" }
        }
    }
}

fn results_table(results: &[(String, Outcome)]) -> Markup {
    html! {
        section.results aria-labelledby="results-heading" {
            h2 #results-heading { "Results" }
            table #assign-results {
                thead { tr { th scope="col" { "Member id" } th scope="col" { "Result" } } }
                tbody {
                    @for (id, outcome) in results {
                        @let (class, text) = match outcome {
                            Outcome::Assigned => ("ok", "Assigned".to_owned()),
                            Outcome::AlreadyHeld => ("same", "Already holds this badge".to_owned()),
                            Outcome::Repeated => ("same", "Listed more than once; see its first line".to_owned()),
                            Outcome::Refused(why) => ("bad", why.clone()),
                        };
                        tr class=(class) { td { code { (id) } } td { (text) } }
                    }
                }
            }
        }
    }
}

/// The holders query, as the V4 assignments query would read it. A cursor
/// carries its own filter, so it must be one of this badge's.
fn holders_query(
    badge: &Badge,
    member: Option<MemberId>,
    cursor: Option<&str>,
    codec: &CursorCodec,
) -> Result<WixQuery, WebError> {
    let mut filter = json!({ "badgeId": badge.id.to_string() });
    if let Some(member) = member {
        filter["memberId"] = json!(member.to_string());
    }
    let raw = json!({ "filter": filter, "cursorPaging": { "limit": PAGE_SIZE, "cursor": cursor } });
    let query = parse_query(&ASSIGNMENTS, &raw, "query", LIMITS, codec).map_err(|e| WebError::BadRequest(e.message))?;
    if query.shape["filter"]["badgeId"] != json!(badge.id.to_string()) {
        return Err(WebError::BadRequest("That page link belongs to another badge.".into()));
    }
    Ok(query)
}

/// A cursor as a query-string value.
fn url_token(token: Option<String>) -> Option<String> {
    token.map(|t| form_urlencoded::byte_serialize(t.as_bytes()).collect())
}

/// The ids in a paste: anything between spaces, commas and semicolons.
fn pasted_ids(text: &str) -> Vec<&str> {
    text.split(|c: char| c.is_whitespace() || c == ',' || c == ';')
        .filter(|s| !s.is_empty())
        .collect()
}

pub async fn assign(
    State(state): State<AppState>,
    Path(id): Path<String>,
    ManageForm { session, form }: ManageForm,
) -> Result<Response, WebError> {
    let badge = state.services.badges().get(session.site, badge_id(&id)?).await?;
    let pasted = form.text("memberIds");
    let ids = pasted_ids(pasted);
    let refuse = |message: String| FieldErrors::single("memberIds", message);
    let errors = if ids.is_empty() {
        refuse("Paste at least one member id.".into())
    } else if ids.len() > MAX_BULK_ITEMS {
        refuse(format!(
            "Paste at most {MAX_BULK_ITEMS} member ids at once; this paste has {}.",
            ids.len()
        ))
    } else {
        FieldErrors::default()
    };
    if !errors.is_empty() {
        let params = HoldersParams::default();
        return render(&state, &session, &badge, &params, None, None, &errors, pasted).await;
    }

    let (results, assigned) = assign_each(&state, &session, &badge, &ids).await?;
    // Counts changed: show the badge as it is now.
    let badge = state.services.badges().get(session.site, badge.id).await?;
    let message = format!("Assigned {assigned} of {} ids.", ids.len());
    let params = HoldersParams::default();
    render(
        &state,
        &session,
        &badge,
        &params,
        Some(&message),
        Some(&results),
        &FieldErrors::default(),
        "",
    )
    .await
}

/// Assigns every valid, distinct id in one bulk call; each id gets its outcome.
async fn assign_each(
    state: &AppState,
    session: &AdminSession,
    badge: &Badge,
    ids: &[&str],
) -> Result<(Vec<(String, Outcome)>, usize), WebError> {
    let mut outcomes: Vec<(String, Option<Outcome>)> = Vec::with_capacity(ids.len());
    let mut items: Vec<NewAssignment> = Vec::new();
    let mut slots = Vec::new();
    for raw in ids {
        let outcome = match MemberId::parse("memberId", raw) {
            Err(v) => Some(Outcome::Refused(v.description)),
            Ok(member) if items.iter().any(|i| i.member_id == member) => Some(Outcome::Repeated),
            Ok(member) => {
                slots.push(outcomes.len());
                items.push(NewAssignment {
                    badge_id: badge.id,
                    member_id: member,
                    tags: Tags::default(),
                    extended_fields: None,
                });
                None
            }
        };
        outcomes.push(((*raw).to_owned(), outcome));
    }
    let mut assigned = 0;
    if !items.is_empty() {
        let results = state.services.assignments().create_many(session.site, &items).await?;
        for (slot, result) in slots.into_iter().zip(results) {
            outcomes[slot].1 = Some(match result {
                Ok(_) => {
                    assigned += 1;
                    Outcome::Assigned
                }
                Err(e) if e.code == "ALREADY_EXISTS" => Outcome::AlreadyHeld,
                Err(e) => Outcome::Refused(e.description),
            });
        }
    }
    let outcomes = outcomes
        .into_iter()
        .map(|(id, o)| (id, o.unwrap_or(Outcome::Refused("not processed".into()))))
        .collect();
    Ok((outcomes, assigned))
}

pub async fn unassign(
    State(state): State<AppState>,
    Path(id): Path<String>,
    ManageForm { session, form }: ManageForm,
) -> Result<Response, WebError> {
    let badge = badge_id(&id)?;
    let member =
        MemberId::parse("member", form.text("member").trim()).map_err(|v| WebError::BadRequest(v.description))?;
    state
        .services
        .assignments()
        .unassign_members(session.site, badge, &[member])
        .await?;
    Ok(Redirect::to(&format!("/admin/badges/{badge}/holders?removed={member}")).into_response())
}

#[cfg(test)]
mod tests {
    use super::pasted_ids;

    #[test]
    fn a_paste_splits_on_spaces_commas_and_lines() {
        assert_eq!(pasted_ids(" a, b\n\nc;d\te "), vec!["a", "b", "c", "d", "e"]);
        assert!(pasted_ids(" ,\n ").is_empty());
    }
}
