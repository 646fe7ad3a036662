//! Handoff cycles in the admin area (issue 11): every cycle with its types
//! in order, and the form of one type (departments, trigger, opener,
//! checklist, SLA). The writes are [`crate::app::admin::handoff_types`].

use askama::Template;
use axum::extract::State;
use axum::response::{Html, IntoResponse, Response};

use super::home::Done;
use super::{FieldErrors, invalid, see_other};
use crate::app::admin::handoff_types::{self as service, HandoffTypeInput, OPENERS, Saved};
use crate::db;
use crate::db::admin::Choice;
use crate::db::handoff_types::{self as store, HandoffTypeRow};
use crate::domain::operations::Sla;
use crate::domain::permissions::Action;
use crate::http::error::render;
use crate::http::params::{Form, Path, Query};
use crate::http::view::Chrome;
use crate::http::{AppError, AppState, Tenancy};

const ACTION: Action<'static> = Action::ManageHandoffTypes;

/// One cycle as the list shows it.
struct CycleView {
    key: String,
    types: Vec<TypeView>,
}

struct TypeView {
    row: HandoffTypeRow,
    from: String,
    to: String,
    /// The SLA as the board reads it, or why it cannot.
    sla: String,
}

#[derive(Template)]
#[template(path = "admin/handoff_types.html")]
struct ListPage {
    chrome: Chrome,
    slug: String,
    cycles: Vec<CycleView>,
    notice: Option<&'static str>,
}

fn name_of(departments: &[Choice], key: &str) -> String {
    departments
        .iter()
        .find(|c| c.key == key)
        .map_or_else(|| key.to_owned(), |c| c.name.clone())
}

fn group(rows: Vec<HandoffTypeRow>, departments: &[Choice]) -> Vec<CycleView> {
    let mut cycles: Vec<CycleView> = Vec::new();
    for row in rows {
        let sla = Sla::from_workbook(&row.sla, row.sla_hours.map(i64::from))
            .map_or_else(|e| format!("unreadable: {e}"), |s| s.words());
        let t = TypeView {
            from: name_of(departments, &row.from_department),
            to: name_of(departments, &row.to_department),
            sla,
            row,
        };
        match cycles.last_mut() {
            Some(c) if c.key == t.row.cycle_key => c.types.push(t),
            _ => cycles.push(CycleView {
                key: t.row.cycle_key.clone(),
                types: vec![t],
            }),
        }
    }
    cycles
}

pub async fn list(
    State(state): State<AppState>,
    tenancy: Tenancy,
    Query(q): Query<Done>,
) -> Result<Response, AppError> {
    tenancy.require_role_action(ACTION)?;
    let tenant = tenancy.tenant.id;
    let mut tx = db::begin_tenant(&state.pool, tenant).await?;
    let rows = store::rows(&mut tx, tenant).await?;
    let departments = db::admin::department_choices(&mut tx, tenant).await?;
    tx.commit().await?;
    let page = ListPage {
        chrome: tenancy.chrome(),
        slug: tenancy.tenant.slug.clone(),
        cycles: group(rows, &departments),
        notice: (q.done.as_deref() == Some("deleted")).then_some("Handoff type removed."),
    };
    Ok(render(&page)?.into_response())
}

#[derive(Template)]
#[template(path = "admin/handoff_type.html")]
struct FormPage {
    chrome: Chrome,
    slug: String,
    existing: Option<HandoffTypeRow>,
    form: HandoffTypeInput,
    errors: FieldErrors,
    departments: Vec<Choice>,
    openers: &'static [(&'static str, &'static str)],
    notice: Option<&'static str>,
}

/// The form page in a read transaction of its own.
async fn form_page(
    state: &AppState,
    tenancy: &Tenancy,
    existing: Option<HandoffTypeRow>,
    form: HandoffTypeInput,
    errors: FieldErrors,
    notice: Option<&'static str>,
) -> Result<Html<String>, AppError> {
    let mut tx = db::begin_tenant(&state.pool, tenancy.tenant.id).await?;
    let departments = db::admin::department_choices(&mut tx, tenancy.tenant.id).await?;
    tx.commit().await?;
    render(&FormPage {
        chrome: tenancy.chrome(),
        slug: tenancy.tenant.slug.clone(),
        existing,
        form,
        errors,
        departments,
        openers: &OPENERS,
        notice,
    })
}

pub async fn new_form(
    State(state): State<AppState>,
    tenancy: Tenancy,
) -> Result<Response, AppError> {
    tenancy.require_role_action(ACTION)?;
    let form = HandoffTypeInput {
        cycle: "client".to_owned(),
        ..HandoffTypeInput::default()
    };
    let html = form_page(&state, &tenancy, None, form, FieldErrors::default(), None).await?;
    Ok(html.into_response())
}

pub async fn edit_form(
    State(state): State<AppState>,
    tenancy: Tenancy,
    Path((_, key)): Path<(String, String)>,
    Query(q): Query<Done>,
) -> Result<Response, AppError> {
    tenancy.require_role_action(ACTION)?;
    let mut tx = db::begin_tenant(&state.pool, tenancy.tenant.id).await?;
    let row = store::row(&mut tx, tenancy.tenant.id, &key)
        .await?
        .ok_or(AppError::NotFound)?;
    tx.commit().await?;
    let notice = match q.done.as_deref() {
        Some("created") => Some("Handoff type added."),
        Some("saved") => {
            Some("Saved. Handoffs opened from now on use it; running ones keep their checklist.")
        }
        Some("unchanged") => Some("Nothing to save: nothing changed."),
        _ => None,
    };
    let form = HandoffTypeInput::of(&row);
    let html = form_page(
        &state,
        &tenancy,
        Some(row),
        form,
        FieldErrors::default(),
        notice,
    )
    .await?;
    Ok(html.into_response())
}

/// After a write: 303 to the page that says what happened, or the form
/// again with its messages (422).
async fn answer(
    state: &AppState,
    tenancy: &Tenancy,
    key: &str,
    outcome: Saved,
) -> Result<Response, AppError> {
    let slug = &tenancy.tenant.slug;
    let (key, done) = match outcome {
        Saved::Created(k) => (k, "created"),
        Saved::Updated => (key.to_owned(), "saved"),
        Saved::Unchanged => (key.to_owned(), "unchanged"),
        Saved::Deleted => return Ok(see_other(&format!("/{slug}/admin/handoffs?done=deleted"))),
        Saved::Invalid {
            existing,
            input,
            errors,
        } => {
            let html =
                form_page(state, tenancy, existing.map(|e| *e), *input, errors, None).await?;
            return Ok(invalid(html));
        }
    };
    Ok(see_other(&format!(
        "/{slug}/admin/handoffs/{key}?done={done}"
    )))
}

pub async fn create(
    State(state): State<AppState>,
    tenancy: Tenancy,
    Form(input): Form<HandoffTypeInput>,
) -> Result<Response, AppError> {
    let outcome = service::save(&state.pool, &tenancy.acting(), None, input).await?;
    answer(&state, &tenancy, "", outcome).await
}

pub async fn update(
    State(state): State<AppState>,
    tenancy: Tenancy,
    Path((_, key)): Path<(String, String)>,
    Form(input): Form<HandoffTypeInput>,
) -> Result<Response, AppError> {
    let outcome = service::save(&state.pool, &tenancy.acting(), Some(&key), input).await?;
    answer(&state, &tenancy, &key, outcome).await
}

pub async fn delete(
    State(state): State<AppState>,
    tenancy: Tenancy,
    Path((_, key)): Path<(String, String)>,
) -> Result<Response, AppError> {
    let outcome = service::delete(&state.pool, &tenancy.acting(), &key).await?;
    answer(&state, &tenancy, &key, outcome).await
}
