//! The page shell every screen shares: head, header with sign-out,
//! navigation (from [`super::SCREENS`]), and small form helpers.

use maud::{html, Markup, DOCTYPE};

use super::csrf;
use super::SCREENS;
use crate::domain::FieldViolation;
use crate::service::admin_sessions::AdminSession;

fn head(title: &str) -> Markup {
    html! {
        head {
            meta charset="utf-8";
            meta name="viewport" content="width=device-width, initial-scale=1";
            link rel="icon" href="data:,";
            title { (title) " · Insignia admin" }
            link rel="stylesheet" href="/admin/assets/admin.css";
            script src="/admin/assets/admin.js" defer {}
        }
    }
}

/// A page of a signed-in user. `current` is the path of the screen it belongs to.
pub fn page(title: &str, session: &AdminSession, current: &str, body: Markup) -> Markup {
    html! {
        (DOCTYPE)
        html lang="en" {
            (head(title))
            body data-csrf=(csrf::token(&session.token)) {
                a.skip href="#main" { "Skip to content" }
                header.top {
                    span.brand { "Insignia admin" }
                    span.site { "Site " code { (session.site) } }
                    @if !session.can_manage() {
                        span.readonly-tag { "Read-only" }
                    }
                    form.signout method="post" action="/admin/signout" {
                        (csrf_field(session))
                        button type="submit" { "Sign out" }
                    }
                }
                nav aria-label="Admin sections" {
                    ul {
                        @for screen in SCREENS {
                            li {
                                a href=(screen.path) aria-current=[(screen.path == current).then_some("page")] {
                                    (screen.label)
                                }
                            }
                        }
                    }
                }
                main #main tabindex="-1" { (body) }
            }
        }
    }
}

/// A page outside a session: sign-in, and error pages.
pub fn bare_page(title: &str, body: Markup) -> Markup {
    html! {
        (DOCTYPE)
        html lang="en" {
            (head(title))
            body {
                header.top { span.brand { "Insignia admin" } }
                main #main tabindex="-1" { (body) }
            }
        }
    }
}

/// The hidden CSRF field every form of a session carries.
pub fn csrf_field(session: &AdminSession) -> Markup {
    csrf_input(&session.token)
}

/// The hidden CSRF field for the secret of a cookie.
pub fn csrf_input(cookie_secret: &str) -> Markup {
    html! { input type="hidden" name=(csrf::FIELD) value=(csrf::token(cookie_secret)); }
}

/// A message that screen readers announce.
pub fn notice(message: Option<&str>) -> Markup {
    html! {
        div.notice role="status" aria-live="polite" {
            @if let Some(message) = message { p { (message) } }
        }
    }
}

/// Validation errors by form field, from the API's field violations
/// (`badge.title` belongs to the `title` field when the prefix is `badge`).
#[derive(Debug, Default)]
pub struct FieldErrors(Vec<(String, String)>);

impl FieldErrors {
    pub fn from_violations(violations: &[FieldViolation], prefix: &str) -> Self {
        let strip = format!("{prefix}.");
        Self(
            violations
                .iter()
                .map(|v| {
                    let field = v.field.strip_prefix(&strip).unwrap_or(&v.field);
                    (field.to_owned(), v.description.clone())
                })
                .collect(),
        )
    }

    pub fn single(field: &str, message: impl Into<String>) -> Self {
        Self(vec![(field.to_owned(), message.into())])
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn get(&self, field: &str) -> Option<&str> {
        self.0.iter().find(|(f, _)| f == field).map(|(_, m)| m.as_str())
    }

    /// A summary at the top of a form, linking to each field.
    pub fn summary(&self) -> Markup {
        html! {
            @if !self.is_empty() {
                div.error-summary role="alert" {
                    h2 { "Nothing was saved:" }
                    ul {
                        @for (field, message) in &self.0 {
                            li { a href={ "#field-" (field) } { (message) } }
                        }
                    }
                }
            }
        }
    }
}

/// A labelled text input with its inline error.
pub fn text_field(name: &str, label: &str, value: &str, errors: &FieldErrors, hint: Option<&str>) -> Markup {
    let error = errors.get(name);
    let id = format!("field-{name}");
    let error_id = format!("{id}-error");
    let hint_id = format!("{id}-hint");
    let described = [hint.map(|_| hint_id.as_str()), error.map(|_| error_id.as_str())]
        .into_iter()
        .flatten()
        .collect::<Vec<_>>()
        .join(" ");
    html! {
        div.field.invalid[error.is_some()] {
            label for=(id) { (label) }
            @if let Some(hint) = hint { p.hint id=(hint_id) { (hint) } }
            input type="text" id=(id) name=(name) value=(value)
                aria-invalid=[error.map(|_| "true")]
                aria-describedby=[(!described.is_empty()).then_some(described.as_str())];
            @if let Some(error) = error { p.error id=(error_id) { (error) } }
        }
    }
}
