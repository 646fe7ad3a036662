//! Departments: the list and the department form (adding one, editing its
//! name and head). The writes are [`crate::app::admin::departments`].

use askama::Template;
use axum::extract::State;
use axum::response::{Html, IntoResponse, Response};
use sqlx::PgConnection;

use super::home::Done;
use super::{FieldErrors, invalid, see_other};
use crate::app::admin::departments::{self as service, DepartmentInput, Saved};
use crate::db;
use crate::db::admin::{self as store, Choice, DepartmentRow};
use crate::domain::permissions::Action;
use crate::http::error::render;
use crate::http::params::{Form, Path, Query};
use crate::http::view::Chrome;
use crate::http::{AppError, AppState, Tenancy};

const ACTION: Action<'static> = Action::ManageDepartments;

#[derive(Template)]
#[template(path = "admin/departments.html")]
struct DepartmentsPage {
    chrome: Chrome,
    slug: String,
    departments: Vec<DepartmentRow>,
}

pub async fn list(State(state): State<AppState>, tenancy: Tenancy) -> Result<Response, AppError> {
    tenancy.require_role_action(ACTION)?;
    let tenant = tenancy.tenant.id;
    let mut tx = db::begin_tenant(&state.pool, tenant).await?;
    let departments = store::departments(&mut tx, tenant).await?;
    tx.commit().await?;
    let page = DepartmentsPage {
        chrome: tenancy.chrome(),
        slug: tenancy.tenant.slug.clone(),
        departments,
    };
    Ok(render(&page)?.into_response())
}

#[derive(Template)]
#[template(path = "admin/department.html")]
struct DepartmentPage {
    chrome: Chrome,
    slug: String,
    department: Option<DepartmentRow>,
    form: DepartmentInput,
    errors: FieldErrors,
    heads: Vec<Choice>,
    notice: Option<&'static str>,
}

/// What the department page shows besides its choices.
#[derive(Default)]
struct Parts {
    department: Option<DepartmentRow>,
    form: DepartmentInput,
    errors: FieldErrors,
    notice: Option<&'static str>,
}

async fn page(
    conn: &mut PgConnection,
    tenancy: &Tenancy,
    parts: Parts,
) -> Result<Html<String>, AppError> {
    let mut heads = store::active_people(conn, tenancy.tenant.id).await?;
    // The current head stays choosable even when no longer active.
    let current = parts.department.as_ref();
    if let Some((key, name)) = current.and_then(|d| d.head_key.as_ref().zip(d.head_name.as_ref())) {
        if !heads.iter().any(|c| &c.key == key) {
            heads.push(Choice {
                key: key.clone(),
                name: format!("{name} (inactive)"),
            });
        }
    }
    render(&DepartmentPage {
        chrome: tenancy.chrome(),
        slug: tenancy.tenant.slug.clone(),
        department: parts.department,
        form: parts.form,
        errors: parts.errors,
        heads,
        notice: parts.notice,
    })
}

/// The department page in a read transaction of its own.
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
        "created" => Some("Department added."),
        "saved" => Some("Saved."),
        "unchanged" => Some("Nothing to save: nothing changed."),
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
    let d = store::department(&mut tx, tenancy.tenant.id, &key)
        .await?
        .ok_or(AppError::NotFound)?;
    let parts = Parts {
        form: DepartmentInput::of(&d),
        department: Some(d),
        errors: FieldErrors::default(),
        notice: notice(q.done.as_deref()),
    };
    let html = page(&mut tx, &tenancy, parts).await?;
    tx.commit().await?;
    Ok(html.into_response())
}

/// After a save: 303 to the department's page (`key`, or the one just added)
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
            department,
            input,
            errors,
        } => {
            let parts = Parts {
                department: department.map(|d| *d),
                form: input,
                errors,
                notice: None,
            };
            return Ok(invalid(show(state, tenancy, parts).await?));
        }
    };
    let slug = &tenancy.tenant.slug;
    Ok(see_other(&format!(
        "/{slug}/admin/departments/{key}?done={done}"
    )))
}

pub async fn create(
    State(state): State<AppState>,
    tenancy: Tenancy,
    Form(input): Form<DepartmentInput>,
) -> Result<Response, AppError> {
    let outcome = service::create(&state.pool, &tenancy.acting(), input).await?;
    saved(&state, &tenancy, "", outcome).await
}

pub async fn update(
    State(state): State<AppState>,
    tenancy: Tenancy,
    Path((_, key)): Path<(String, String)>,
    Form(input): Form<DepartmentInput>,
) -> Result<Response, AppError> {
    let outcome = service::update(&state.pool, &tenancy.acting(), &key, input).await?;
    saved(&state, &tenancy, &key, outcome).await
}
