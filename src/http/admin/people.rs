//! People: the list and the person form (adding, editing, deactivating and
//! reactivating). The writes are [`crate::app::admin::people`]; this module
//! renders and redirects.

use askama::Template;
use axum::extract::State;
use axum::response::{Html, IntoResponse, Response};
use sqlx::PgConnection;

use super::home::Done;
use super::{FieldErrors, invalid, see_other};
use crate::app::admin::people::{self as service, Deactivation, PersonInput, Saved};
use crate::db;
use crate::db::admin::{self as store, Choice, PersonRow};
use crate::domain::permissions::{Action, Role};
use crate::http::error::render;
use crate::http::params::{Form, Path, Query};
use crate::http::view::Chrome;
use crate::http::{AppError, AppState, Tenancy};

const ACTION: Action<'static> = Action::ManagePeople;

// ----- the list -----

#[derive(Template)]
#[template(path = "admin/people.html")]
struct PeoplePage {
    chrome: Chrome,
    slug: String,
    people: Vec<PersonRow>,
}

pub async fn list(State(state): State<AppState>, tenancy: Tenancy) -> Result<Response, AppError> {
    tenancy.require_role_action(ACTION)?;
    let tenant = tenancy.tenant.id;
    let mut tx = db::begin_tenant(&state.pool, tenant).await?;
    let people = store::people(&mut tx, tenant).await?;
    tx.commit().await?;
    let page = PeoplePage {
        chrome: tenancy.chrome(),
        slug: tenancy.tenant.slug.clone(),
        people,
    };
    Ok(render(&page)?.into_response())
}

// ----- the form -----

#[derive(Template)]
#[template(path = "admin/person.html")]
struct PersonPage {
    chrome: Chrome,
    slug: String,
    /// The person being edited; none when adding one.
    person: Option<PersonRow>,
    /// The role of the person's account, when they have one.
    account_role: Option<&'static str>,
    form: PersonInput,
    errors: FieldErrors,
    departments: Vec<Choice>,
    managers: Vec<Choice>,
    notice: Option<&'static str>,
    /// Why deactivating was refused.
    status_error: Option<String>,
}

/// What the person page shows besides its choices.
#[derive(Default)]
struct Parts {
    person: Option<PersonRow>,
    form: PersonInput,
    errors: FieldErrors,
    notice: Option<&'static str>,
    status_error: Option<String>,
}

impl Parts {
    /// The form of an existing person.
    fn of(person: PersonRow) -> Parts {
        Parts {
            form: PersonInput::of(&person),
            person: Some(person),
            ..Parts::default()
        }
    }
}

/// Managers to choose from: active people but the person, and the current
/// manager even when no longer active.
async fn managers(
    conn: &mut PgConnection,
    tenancy: &Tenancy,
    person: Option<&PersonRow>,
) -> sqlx::Result<Vec<Choice>> {
    let mut managers: Vec<Choice> = store::active_people(conn, tenancy.tenant.id)
        .await?
        .into_iter()
        .filter(|c| person.is_none_or(|p| p.key != c.key))
        .collect();
    if let Some((key, name)) =
        person.and_then(|p| p.manager_key.as_ref().zip(p.manager_name.as_ref()))
    {
        if !managers.iter().any(|c| &c.key == key) {
            managers.push(Choice {
                key: key.clone(),
                name: format!("{name} (inactive)"),
            });
        }
    }
    Ok(managers)
}

async fn page(
    conn: &mut PgConnection,
    tenancy: &Tenancy,
    parts: Parts,
) -> Result<Html<String>, AppError> {
    let tenant = tenancy.tenant.id;
    let departments = store::department_choices(conn, tenant).await?;
    let managers = managers(conn, tenancy, parts.person.as_ref()).await?;
    let account_role = match &parts.person {
        Some(p) if p.has_account() => store::member_of_person(conn, tenant, p.id)
            .await?
            .and_then(|m| m.role())
            .map(Role::label),
        _ => None,
    };
    render(&PersonPage {
        chrome: tenancy.chrome(),
        slug: tenancy.tenant.slug.clone(),
        person: parts.person,
        account_role,
        form: parts.form,
        errors: parts.errors,
        departments,
        managers,
        notice: parts.notice,
        status_error: parts.status_error,
    })
}

/// The person page in a read transaction of its own.
async fn show(state: &AppState, tenancy: &Tenancy, parts: Parts) -> Result<Html<String>, AppError> {
    let mut tx = db::begin_tenant(&state.pool, tenancy.tenant.id).await?;
    let html = page(&mut tx, tenancy, parts).await?;
    tx.commit().await?;
    Ok(html)
}

pub async fn new_form(
    State(state): State<AppState>,
    tenancy: Tenancy,
) -> Result<Response, AppError> {
    tenancy.require_role_action(ACTION)?;
    Ok(show(&state, &tenancy, Parts::default())
        .await?
        .into_response())
}

fn notice(done: Option<&str>) -> Option<&'static str> {
    match done? {
        "created" => Some("Person added. To let them sign in, invite them from Members and roles."),
        "saved" => Some("Saved."),
        "unchanged" => Some("Nothing to save: nothing changed."),
        "deactivated" => Some(
            "Deactivated. Their history stays; their account can no longer open this organization.",
        ),
        "reactivated" => Some(
            "Reactivated. They have no account access until you invite them again from Members and roles.",
        ),
        _ => None,
    }
}

pub async fn edit_form(
    State(state): State<AppState>,
    tenancy: Tenancy,
    Path((_, key)): Path<(String, String)>,
    Query(q): Query<Done>,
) -> Result<Response, AppError> {
    tenancy.require_role_action(ACTION)?;
    let mut tx = db::begin_tenant(&state.pool, tenancy.tenant.id).await?;
    let person = store::person(&mut tx, tenancy.tenant.id, &key)
        .await?
        .ok_or(AppError::NotFound)?;
    let parts = Parts {
        notice: notice(q.done.as_deref()),
        ..Parts::of(person)
    };
    let html = page(&mut tx, &tenancy, parts).await?;
    tx.commit().await?;
    Ok(html.into_response())
}

/// After a save: 303 to the person's page (`key`, or the one just added)
/// saying what happened, or the form again with its messages (422).
async fn saved(
    state: &AppState,
    tenancy: &Tenancy,
    key: &str,
    outcome: Saved,
) -> Result<Response, AppError> {
    let (key, done) = match outcome {
        Saved::Created(created) => (created, "created"),
        Saved::Updated => (key.to_owned(), "saved"),
        Saved::Unchanged => (key.to_owned(), "unchanged"),
        Saved::Invalid {
            person,
            input,
            errors,
        } => {
            let parts = Parts {
                person: person.map(|p| *p),
                form: input,
                errors,
                ..Parts::default()
            };
            return Ok(invalid(show(state, tenancy, parts).await?));
        }
    };
    Ok(see_other(&to_person(tenancy, &key, done)))
}

fn to_person(tenancy: &Tenancy, key: &str, done: &str) -> String {
    format!("/{}/admin/people/{key}?done={done}", tenancy.tenant.slug)
}

pub async fn create(
    State(state): State<AppState>,
    tenancy: Tenancy,
    Form(input): Form<PersonInput>,
) -> Result<Response, AppError> {
    let outcome = service::create(&state.pool, &tenancy.acting(), input).await?;
    saved(&state, &tenancy, "", outcome).await
}

pub async fn update(
    State(state): State<AppState>,
    tenancy: Tenancy,
    Path((_, key)): Path<(String, String)>,
    Form(input): Form<PersonInput>,
) -> Result<Response, AppError> {
    let outcome = service::update(&state.pool, &tenancy.acting(), &key, input).await?;
    saved(&state, &tenancy, &key, outcome).await
}

pub async fn deactivate(
    State(state): State<AppState>,
    tenancy: Tenancy,
    Path((_, key)): Path<(String, String)>,
) -> Result<Response, AppError> {
    match service::deactivate(&state.pool, &tenancy.acting(), &key).await? {
        Deactivation::Done => Ok(see_other(&to_person(&tenancy, &key, "deactivated"))),
        Deactivation::LastAdmin { person, message } => {
            let parts = Parts {
                status_error: Some(message),
                ..Parts::of(*person)
            };
            Ok(invalid(show(&state, &tenancy, parts).await?))
        }
    }
}

pub async fn reactivate(
    State(state): State<AppState>,
    tenancy: Tenancy,
    Path((_, key)): Path<(String, String)>,
) -> Result<Response, AppError> {
    service::reactivate(&state.pool, &tenancy.acting(), &key).await?;
    Ok(see_other(&to_person(&tenancy, &key, "reactivated")))
}
