//! Creating and editing an engagement: `GET/POST /{tenant}/engagements/new`
//! and `GET/POST /{tenant}/engagements/{key}/edit`, through
//! [`crate::app::operations::create_engagement`] and `edit_engagement`
//! (the permission table, the checks and the audit are theirs). A saved
//! form goes to the engagement's page (303); one with bad fields comes back
//! with each message next to its field and everything typed kept (422),
//! nothing written. The forms and their links are shown only to those the
//! permission table lets manage the cycle's engagements (Sales, Production
//! and leaders for the client cycle); others get 403.

use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use chrono::Utc;

use super::{Read, read};
use crate::app::FieldErrors;
use crate::app::operations::{self as ops, EngagementInput, Saved, running_departments};
use crate::domain::operations::EngagementStatus;
use crate::domain::permissions::Action;
use crate::http::error::render;
use crate::http::params::{Form, Path};
use crate::http::view::Chrome;
use crate::http::{AppError, AppState, Tenancy};

/// Whether the signed-in person may create or edit engagements of `cycle`.
pub(super) fn may_edit(read: &Read, tenancy: &Tenancy, cycle: &str) -> bool {
    let c = read.loaded.cycles.iter().find(|c| c.key == cycle);
    let runs = running_departments(c);
    tenancy.can(Action::ManageEngagements { departments: &runs }, &read.org)
}

/// Whether they may create an engagement of at least one cycle.
pub(super) fn may_create(read: &Read, tenancy: &Tenancy) -> bool {
    read.loaded
        .cycles
        .iter()
        .any(|c| may_edit(read, tenancy, &c.key))
}

struct Choice {
    value: String,
    label: String,
}

/// A field of the form shown in a loop: its name, label and typed value.
struct Field {
    field: &'static str,
    label: &'static str,
    value: String,
}

fn owners(f: &EngagementInput) -> Vec<Field> {
    vec![
        Field {
            field: "producer",
            label: "Producer",
            value: f.producer.clone(),
        },
        Field {
            field: "account_manager",
            label: "Account manager",
            value: f.account_manager.clone(),
        },
    ]
}

fn dates(f: &EngagementInput) -> Vec<Field> {
    [
        ("sow_signed", "SOW signed", &f.sow_signed),
        ("pod_started", "Pod started", &f.pod_started),
        ("delivered", "Delivered", &f.delivered),
        ("closed", "Closed", &f.closed),
    ]
    .into_iter()
    .map(|(field, label, value)| Field {
        field,
        label,
        value: value.clone(),
    })
    .collect()
}

#[derive(Template)]
#[template(path = "operations/form.html")]
struct FormPage {
    chrome: Chrome,
    /// None: a new engagement; Some: the key of the one edited.
    editing: Option<String>,
    heading: String,
    action: String,
    cancel_href: String,
    list_href: String,
    form: EngagementInput,
    errors: FieldErrors,
    cycles: Vec<Choice>,
    /// The cycle's name (an edit shows it; it does not change).
    cycle_name: String,
    people: Vec<Choice>,
    statuses: Vec<&'static str>,
    owners: Vec<Field>,
    dates: Vec<Field>,
}

fn page(
    tenancy: &Tenancy,
    read: &Read,
    editing: Option<&str>,
    form: EngagementInput,
    errors: FieldErrors,
) -> Result<Response, AppError> {
    let slug = &tenancy.tenant.slug;
    let list_href = format!("/{slug}/engagements");
    let (heading, action, cancel_href) = match editing {
        None => (
            "New engagement".to_owned(),
            format!("{list_href}/new"),
            list_href.clone(),
        ),
        Some(key) => {
            let name = read
                .loaded
                .rows
                .iter()
                .find(|r| r.key == key)
                .map_or(key, |r| r.name.as_str());
            (
                format!("Edit {name}"),
                format!("{list_href}/{key}/edit"),
                format!("{list_href}/{key}"),
            )
        }
    };
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let page = FormPage {
        chrome: tenancy.chrome(),
        editing: editing.map(str::to_owned),
        heading,
        action,
        cancel_href,
        list_href,
        cycle_name: super::name_of(
            &read
                .loaded
                .cycles
                .iter()
                .map(|c| (c.key.clone(), c.name.clone()))
                .collect::<Vec<_>>(),
            &form.cycle,
        ),
        cycles: read
            .loaded
            .cycles
            .iter()
            .filter(|c| may_edit(read, tenancy, &c.key))
            .map(|c| Choice {
                value: c.key.clone(),
                label: c.name.clone(),
            })
            .collect(),
        people: read
            .people
            .iter()
            .map(|(k, n)| Choice {
                value: k.clone(),
                label: n.clone(),
            })
            .collect(),
        statuses: EngagementStatus::ALL.map(EngagementStatus::as_str).to_vec(),
        owners: owners(&form),
        dates: dates(&form),
        form,
        errors,
    };
    Ok((status, render(&page)?).into_response())
}

/// The form of a stored engagement, as the service reads it back.
fn form_of(read: &Read, key: &str) -> Option<EngagementInput> {
    let r = read.loaded.rows.iter().find(|r| r.key == key)?;
    let date = |d: Option<chrono::NaiveDate>| d.map(|d| d.to_string()).unwrap_or_default();
    Some(EngagementInput {
        key: r.key.clone(),
        name: r.name.clone(),
        client: r.client.clone(),
        vertical: r.vertical.clone(),
        cycle: r.cycle_key.clone(),
        producer: r.producer.clone().unwrap_or_default(),
        account_manager: r.account_manager.clone().unwrap_or_default(),
        sow_signed: date(r.sow_signed),
        pod_started: date(r.pod_started),
        delivered: date(r.delivered),
        closed: date(r.closed),
        status: r.status.clone(),
    })
}

pub(super) async fn new_form(
    State(state): State<AppState>,
    tenancy: Tenancy,
) -> Result<Response, AppError> {
    let read = read(&state, &tenancy, Utc::now()).await?;
    if !may_create(&read, &tenancy) {
        return Err(AppError::Forbidden);
    }
    let cycle = read
        .loaded
        .cycles
        .iter()
        .find(|c| may_edit(&read, &tenancy, &c.key))
        .map(|c| c.key.clone())
        .unwrap_or_default();
    let form = EngagementInput {
        cycle,
        status: EngagementStatus::Active.as_str().to_owned(),
        ..EngagementInput::default()
    };
    page(&tenancy, &read, None, form, FieldErrors::default())
}

pub(super) async fn edit_form(
    State(state): State<AppState>,
    tenancy: Tenancy,
    Path((_, key)): Path<(String, String)>,
) -> Result<Response, AppError> {
    let read = read(&state, &tenancy, Utc::now()).await?;
    let form = form_of(&read, &key).ok_or(AppError::NotFound)?;
    if !may_edit(&read, &tenancy, &form.cycle) {
        return Err(AppError::Forbidden);
    }
    page(&tenancy, &read, Some(&key), form, FieldErrors::default())
}

/// After a save: the engagement's page, or the form again with its messages.
async fn saved(
    state: &AppState,
    tenancy: &Tenancy,
    editing: Option<&str>,
    form: EngagementInput,
    outcome: Saved,
) -> Result<Response, AppError> {
    match outcome {
        Saved::Saved { key, .. } => {
            let to = format!("/{}/engagements/{key}", tenancy.tenant.slug);
            Ok(Redirect::to(&to).into_response())
        }
        Saved::Invalid(errors) => {
            let read = read(state, tenancy, Utc::now()).await?;
            let form = match editing {
                // The key and cycle of an edited engagement stay as stored.
                Some(key) => EngagementInput {
                    key: key.to_owned(),
                    cycle: form_of(&read, key).map(|f| f.cycle).unwrap_or_default(),
                    ..form
                },
                None => form,
            };
            page(tenancy, &read, editing, form, errors)
        }
    }
}

pub(super) async fn create(
    State(state): State<AppState>,
    tenancy: Tenancy,
    Form(form): Form<EngagementInput>,
) -> Result<Response, AppError> {
    let outcome = ops::create_engagement(&state.pool, &tenancy.acting(), &form).await?;
    saved(&state, &tenancy, None, form, outcome).await
}

pub(super) async fn update(
    State(state): State<AppState>,
    tenancy: Tenancy,
    Path((_, key)): Path<(String, String)>,
    Form(form): Form<EngagementInput>,
) -> Result<Response, AppError> {
    let outcome = ops::edit_engagement(&state.pool, &tenancy.acting(), &key, &form).await?;
    saved(&state, &tenancy, Some(&key), form, outcome).await
}
