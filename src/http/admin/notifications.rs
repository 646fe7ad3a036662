//! `/{tenant}/admin/notifications`: when reminders, escalations and the
//! weekly digest go out (the checks and the write are
//! [`crate::app::notifications`]), whether email is on, and the messages
//! sent lately and still queued.

use askama::Template;
use axum::extract::State;
use axum::response::{IntoResponse, Response};

use super::home::Done;
use super::{FieldErrors, invalid, see_other};
use crate::app::notifications::{self as service, Outbox, Saved, SettingsInput};
use crate::domain::permissions::Action;
use crate::domain::reminders::{DigestRecipients, weekday_from_number, weekday_name};
use crate::http::error::render;
use crate::http::params::{Form, Query};
use crate::http::view::Chrome;
use crate::http::{AppError, AppState, Tenancy};
use crate::notify::MailInfo;

/// An option of a select, marked when the form holds it.
struct Choice {
    value: String,
    label: &'static str,
    selected: bool,
}

/// Each weekday (Monday first), `typed` selected.
fn weekdays(typed: &str) -> Vec<Choice> {
    (1..=7)
        .filter_map(|n| {
            let value = n.to_string();
            Some(Choice {
                selected: typed.trim() == value,
                label: weekday_name(weekday_from_number(n)?),
                value,
            })
        })
        .collect()
}

struct SentLine {
    at: String,
    to: String,
    kind: String,
    subject: String,
    /// Empty when it was sent; why it was given up otherwise.
    error: String,
}

struct PendingLine {
    run_at: String,
    to: String,
    kind: String,
    subject: String,
    attempts: String,
    error: String,
}

#[derive(Template)]
#[template(path = "admin/notifications.html")]
struct NotificationsPage {
    chrome: Chrome,
    slug: String,
    form: SettingsInput,
    errors: FieldErrors,
    notice: Option<&'static str>,
    mail: MailInfo,
    checkin_days: Vec<Choice>,
    digest_days: Vec<Choice>,
    recipients: Vec<Choice>,
    sent: Vec<SentLine>,
    pending: Vec<PendingLine>,
}

fn text(v: &serde_json::Value, key: &str) -> String {
    v.get(key)
        .and_then(serde_json::Value::as_str)
        .unwrap_or_default()
        .to_owned()
}

impl NotificationsPage {
    fn new(state: &AppState, tenancy: &Tenancy, form: SettingsInput, outbox: Outbox) -> Self {
        NotificationsPage {
            chrome: tenancy.chrome(),
            slug: tenancy.tenant.slug.clone(),
            errors: FieldErrors::default(),
            notice: None,
            mail: state.settings.mail.clone(),
            checkin_days: weekdays(&form.checkin_weekday),
            digest_days: weekdays(&form.digest_weekday),
            recipients: DigestRecipients::ALL
                .into_iter()
                .map(|r| Choice {
                    value: r.as_str().to_owned(),
                    label: r.label(),
                    selected: form.digest_recipients.trim() == r.as_str(),
                })
                .collect(),
            sent: outbox
                .sent
                .into_iter()
                .map(|e| {
                    let after = e.after.unwrap_or_default();
                    SentLine {
                        at: e.at.format("%Y-%m-%d %H:%M UTC").to_string(),
                        to: e.entity_key,
                        kind: text(&after, "kind"),
                        subject: text(&after, "subject"),
                        error: if e.action == "send" {
                            String::new()
                        } else {
                            text(&after, "error")
                        },
                    }
                })
                .collect(),
            pending: outbox
                .pending
                .into_iter()
                .map(|j| PendingLine {
                    run_at: j.run_at.format("%Y-%m-%d %H:%M UTC").to_string(),
                    to: text(&j.payload, "to"),
                    kind: text(&j.payload, "kind"),
                    subject: text(&j.payload, "subject"),
                    attempts: format!("{} of {}", j.attempt, j.max_attempts),
                    error: j.last_error.unwrap_or_default(),
                })
                .collect(),
            form,
        }
    }
}

pub async fn form(
    State(state): State<AppState>,
    tenancy: Tenancy,
    Query(q): Query<Done>,
) -> Result<Response, AppError> {
    tenancy.require_role_action(Action::ManageSettings)?;
    let actor = tenancy.acting();
    let current = service::settings(&state.pool, &actor).await?;
    let outbox = service::outbox(&state.pool, &actor).await?;
    let notice = match q.done.as_deref() {
        Some("saved") => Some("Notification settings saved."),
        Some("unchanged") => Some("Nothing to save: nothing changed."),
        _ => None,
    };
    let page = NotificationsPage {
        notice,
        ..NotificationsPage::new(&state, &tenancy, SettingsInput::of(&current), outbox)
    };
    Ok(render(&page)?.into_response())
}

pub async fn save(
    State(state): State<AppState>,
    tenancy: Tenancy,
    Form(input): Form<SettingsInput>,
) -> Result<Response, AppError> {
    let actor = tenancy.acting();
    let done = match service::save(&state.pool, &actor, &input).await? {
        Saved::Saved => "saved",
        Saved::Unchanged => "unchanged",
        Saved::Invalid(errors) => {
            let outbox = service::outbox(&state.pool, &actor).await?;
            let page = NotificationsPage {
                errors,
                ..NotificationsPage::new(&state, &tenancy, input, outbox)
            };
            return Ok(invalid(render(&page)?));
        }
    };
    let slug = &tenancy.tenant.slug;
    Ok(see_other(&format!(
        "/{slug}/admin/notifications?done={done}"
    )))
}
