//! Creating and editing a badge. The form is read with the API's own badge
//! readers (`api::wire::badge_input`), so its inline errors are the API's field
//! violations. Editing sends the revision the form was opened at; if someone
//! changed the badge meanwhile, nothing is saved and the page says so.

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use maud::{html, Markup};
use serde::Deserialize;

use super::{badge_id, members};
use crate::api::error::ApiError;
use crate::api::json::Fields;
use crate::api::wire::badge_input::{self, MissingColour};
use crate::api::AppState;
use crate::domain::{Badge, Color};
use crate::service::admin_sessions::AdminSession;
use crate::service::ServiceError;
use crate::web::error::WebError;
use crate::web::form::FormBody;
use crate::web::layout::{csrf_field, page, text_field, FieldErrors};
use crate::web::session::{ManageForm, SignedIn};

/// The form's fields, named as the API names them.
const FIELDS: [&str; 5] = ["title", "description", "backgroundColor", "textColor", "icon"];
const PREFIX: &str = "badge";

/// What the form shows: a stored badge's values, or what the user typed.
struct Values {
    title: String,
    description: String,
    background_color: String,
    text_color: String,
    icon: String,
    permissions_enabled: bool,
    revision: String,
}

impl Values {
    fn fresh() -> Self {
        Self {
            title: String::new(),
            description: String::new(),
            background_color: Color::DEFAULT_BACKGROUND.to_owned(),
            text_color: Color::DEFAULT_TEXT.to_owned(),
            icon: String::new(),
            permissions_enabled: false,
            revision: String::new(),
        }
    }

    fn of(badge: &Badge) -> Self {
        Self {
            title: badge.title.as_str().to_owned(),
            description: badge.description.as_str().to_owned(),
            background_color: badge.background_color.as_str().to_owned(),
            text_color: badge.text_color.as_str().to_owned(),
            icon: badge.icon.as_ref().and_then(|i| i.url.clone()).unwrap_or_default(),
            permissions_enabled: badge.permissions_enabled,
            revision: badge.revision.to_string(),
        }
    }

    fn sent(form: &FormBody) -> Self {
        Self {
            title: form.text("title").to_owned(),
            description: form.text("description").to_owned(),
            background_color: form.text("backgroundColor").to_owned(),
            text_color: form.text("textColor").to_owned(),
            icon: form.text("icon").to_owned(),
            permissions_enabled: form.checked("permissionsEnabled"),
            revision: form.text("revision").to_owned(),
        }
    }
}

/// The form as the API's `badge` object.
fn badge_object(form: &FormBody) -> serde_json::Map<String, serde_json::Value> {
    let mut obj = form.json_object(&FIELDS);
    obj.insert(
        "permissionsEnabled".into(),
        serde_json::Value::Bool(form.checked("permissionsEnabled")),
    );
    obj
}

/// Field violations become inline errors; anything else is a failure.
fn inline_errors(e: ApiError) -> Result<FieldErrors, WebError> {
    if e.violations.is_empty() {
        tracing::error!(message = %e.message, "badge form could not be read");
        return Err(WebError::Internal);
    }
    Ok(FieldErrors::from_violations(&e.violations, PREFIX))
}

/// Why the save did not happen, when it is about the edit and not the server.
enum Refusal {
    Invalid(FieldErrors),
    Stale { current: i64 },
}

pub async fn new_page(SignedIn(session): SignedIn) -> Result<Markup, WebError> {
    if !session.can_manage() {
        return Err(WebError::ReadOnly);
    }
    Ok(form_page(
        &session,
        None,
        &Values::fresh(),
        &FieldErrors::default(),
        None,
    ))
}

pub async fn create(
    State(state): State<AppState>,
    ManageForm { session, form }: ManageForm,
) -> Result<Response, WebError> {
    // The page's own form: a colour left empty takes the default, as before.
    let new = match badge_input::new_badge(&badge_object(&form), PREFIX, MissingColour::Default) {
        Ok(new) => new,
        Err(e) => {
            let errors = inline_errors(e)?;
            let page = form_page(&session, None, &Values::sent(&form), &errors, None);
            return Ok((StatusCode::BAD_REQUEST, page).into_response());
        }
    };
    let badge = state.services.badges().create(session.site, new).await?;
    Ok(Redirect::to(&format!("/admin/badges/{}/edit?saved=created", badge.id)).into_response())
}

#[derive(Deserialize)]
pub struct EditParams {
    /// Set by the redirect after a save: `created` or `updated`.
    saved: Option<String>,
}

pub async fn edit_page(
    State(state): State<AppState>,
    SignedIn(session): SignedIn,
    Path(id): Path<String>,
    Query(params): Query<EditParams>,
) -> Result<Markup, WebError> {
    let badge = state.services.badges().get(session.site, badge_id(&id)?).await?;
    let notice = params.saved.map(|s| {
        if s == "created" {
            "Badge created."
        } else {
            "Changes saved."
        }
    });
    let values = Values::of(&badge);
    Ok(render(
        &session,
        Some(&badge),
        &values,
        &FieldErrors::default(),
        None,
        notice,
    ))
}

pub async fn update(
    State(state): State<AppState>,
    Path(id): Path<String>,
    ManageForm { session, form }: ManageForm,
) -> Result<Response, WebError> {
    let badges = state.services.badges();
    let id = badge_id(&id)?;
    let badge = badges.get(session.site, id).await?;
    let refusal = match read_update(&form) {
        Ok((revision, patch)) => match badges.update(session.site, id, Some(revision), patch).await {
            Ok(_) => return Ok(Redirect::to(&format!("/admin/badges/{id}/edit?saved=updated")).into_response()),
            Err(ServiceError::RevisionMismatch { current, .. }) => Refusal::Stale { current },
            Err(other) => return Err(other.into()),
        },
        Err(e) => Refusal::Invalid(inline_errors(e)?),
    };
    let (status, errors, stale) = match refusal {
        Refusal::Invalid(errors) => (StatusCode::BAD_REQUEST, errors, None),
        Refusal::Stale { current } => (StatusCode::CONFLICT, FieldErrors::default(), Some(current)),
    };
    let page = form_page(&session, Some(&badge), &Values::sent(&form), &errors, stale);
    Ok((status, page).into_response())
}

/// The revision and the changes, read as `PATCH /badges/v4/badges/{id}` reads them.
fn read_update(form: &FormBody) -> Result<(i64, crate::domain::BadgePatch), ApiError> {
    let mut obj = badge_object(form);
    obj.insert(
        "revision".into(),
        serde_json::Value::String(form.text("revision").to_owned()),
    );
    let mut fields = Fields::new(&obj, PREFIX);
    let revision = fields.int64("revision");
    fields.finish()?;
    let patch = badge_input::badge_patch(&obj, PREFIX)?;
    Ok((revision.ok_or_else(ApiError::internal)?, patch))
}

fn form_page(
    session: &AdminSession,
    badge: Option<&Badge>,
    values: &Values,
    errors: &FieldErrors,
    stale: Option<i64>,
) -> Markup {
    render(session, badge, values, errors, stale, None)
}

fn render(
    session: &AdminSession,
    badge: Option<&Badge>,
    values: &Values,
    errors: &FieldErrors,
    stale: Option<i64>,
    notice: Option<&str>,
) -> Markup {
    let manage = session.can_manage();
    let title = match badge {
        None => "New badge".to_owned(),
        Some(b) if manage => format!("Edit “{}”", b.title.as_str()),
        Some(b) => format!("“{}”", b.title.as_str()),
    };
    let action = match badge {
        Some(b) => format!("/admin/badges/{}/edit", b.id),
        None => "/admin/badges/new".to_owned(),
    };
    let body = html! {
        p.back { a href="/admin/badges" { "← All badges" } }
        h1 { (title) }
        (crate::web::layout::notice(notice))
        @if let (Some(current), Some(b)) = (stale, badge) {
            div.error-summary #stale role="alert" {
                h2 { "Someone else changed this badge" }
                p {
                    "You opened revision " (values.revision) "; it is now at revision " (current)
                    ". Nothing was saved. Your edits are still in the form below."
                }
                p { a.button href={ "/admin/badges/" (b.id) "/edit" } { "Reload the badge" } " to see the current version (your edits here are dropped)." }
            }
        }
        (errors.summary())
        @if let Some(b) = badge {
            p {
                a href={ "/admin/badges/" (b.id) "/holders" } { (members(b.member_count)) " hold this badge" }
                " · slug " code { (b.slug.as_str()) } " · revision " (b.revision)
            }
        }
        div.editor {
            form.card.badge-form method="post" action=(action) novalidate {
                (csrf_field(session))
                @if badge.is_some() { input type="hidden" name="revision" value=(values.revision); }
                fieldset disabled[!manage] {
                    legend.visually-hidden { "Badge" }
                    (text_field("title", "Title", &values.title, errors, Some("1 to 50 characters.")))
                    (textarea_field(values, errors))
                    (color_field("backgroundColor", "Background colour", &values.background_color, errors))
                    (color_field("textColor", "Text colour", &values.text_color, errors))
                    (text_field("icon", "Icon URL", &values.icon, errors, Some("An image URL, shown at 16×16 before the title. Leave empty for none.")))
                    div.field.checkbox {
                        input type="checkbox" id="field-permissionsEnabled" name="permissionsEnabled" checked[values.permissions_enabled];
                        label for="field-permissionsEnabled" { "Members holding this badge get its page permissions" }
                    }
                    @if manage {
                        div.buttons {
                            button.primary type="submit" { @if badge.is_some() { "Save changes" } @else { "Create badge" } }
                            a href="/admin/badges" { "Cancel" }
                        }
                    }
                }
            }
            (preview(values))
        }
        @if let (Some(b), true) = (badge, manage) {
            p { a.danger href={ "/admin/badges/" (b.id) "/delete" } { "Delete this badge…" } }
        }
    };
    page(&title, session, "/admin/badges", body)
}

fn textarea_field(values: &Values, errors: &FieldErrors) -> Markup {
    let error = errors.get("description");
    html! {
        div.field.invalid[error.is_some()] {
            label for="field-description" { "Description" }
            textarea id="field-description" name="description" rows="3"
                aria-invalid=[error.map(|_| "true")]
                aria-describedby=[error.map(|_| "field-description-error")] { (values.description) }
            @if let Some(error) = error { p.error id="field-description-error" { (error) } }
        }
    }
}

/// A `#RRGGBB` text input (what is sent, and validated as the API does) with
/// a colour picker beside it that the script keeps in step.
fn color_field(name: &str, label: &str, value: &str, errors: &FieldErrors) -> Markup {
    let picker = Color::parse(name, value)
        .map(|c| c.as_str().to_ascii_lowercase())
        .unwrap_or_else(|_| "#000000".to_owned());
    html! {
        div.color-field {
            (text_field(name, label, value, errors, Some("#RRGGBB")))
            input type="color" value=(picker) data-color-for={ "field-" (name) } aria-label={ (label) " picker" } tabindex="-1";
        }
    }
}

/// The badge as members will see it, kept live by the script, with the
/// contrast warning (WCAG: under 4.5:1 is hard to read).
fn preview(values: &Values) -> Markup {
    // Only colours that parse go into the style attribute; the script shows the rest as typed.
    let colour =
        |raw: &str, fallback: &str| Color::parse("", raw).map_or(fallback.to_owned(), |c| c.as_str().to_owned());
    let style = format!(
        "background-color:{};color:{}",
        colour(&values.background_color, Color::DEFAULT_BACKGROUND),
        colour(&values.text_color, Color::DEFAULT_TEXT)
    );
    html! {
        aside.preview aria-labelledby="preview-heading" {
            h2 #preview-heading { "Preview" }
            span.badge-chip #badge-preview style=(style) {
                img #preview-icon src=[(!values.icon.is_empty()).then_some(values.icon.as_str())] alt="" width="16" height="16" hidden[values.icon.is_empty()];
                span #preview-title { @if values.title.is_empty() { "Badge title" } @else { (values.title) } }
            }
            p.warning #contrast-warning role="status" hidden {}
            p.warning #icon-warning role="status" hidden { "The icon URL did not load as an image." }
        }
    }
}
