//! The dependency matrix and list, and the dependency forms.

use askama::Template;
use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::get;
use chrono::NaiveDate;
use serde::Deserialize;
use uuid::Uuid;

use super::{DependencyLine, day_words, read_id, seen};
use crate::app::FieldErrors;
use crate::app::commitments::{self as svc, DependencyInput, Saved};
use crate::db;
use crate::db::commitments::DependencyRow;
use crate::domain::calendar::FiscalYear;
use crate::domain::operations::commitments::DependencyState;
use crate::domain::permissions::{Action, Org};
use crate::http::error::render;
use crate::http::params::{Form, PageQuery, Path, Query};
use crate::http::view::Chrome;
use crate::http::{AppError, AppState, Tenancy};

// ---------------------------------------------------------------------------
// Dependencies: matrix and list.
// ---------------------------------------------------------------------------

pub(super) fn router() -> Router<AppState> {
    Router::new()
        .route("/{tenant}/dependencies", get(dependencies))
        .route(
            "/{tenant}/dependencies/new",
            get(new_dependency).post(create_dependency),
        )
        .route(
            "/{tenant}/dependencies/{id}/edit",
            get(edit_dependency).post(save_dependency),
        )
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct DependenciesQuery {
    from: String,
    on: String,
    as_of: Option<String>,
}

struct MatrixCell {
    /// Empty: no dependency (or the diagonal).
    href: String,
    words: String,
    late: bool,
}

struct MatrixRow {
    name: String,
    cells: Vec<MatrixCell>,
}

#[derive(Template)]
#[template(path = "commitments/dependencies.html")]
struct DependenciesPage {
    chrome: Chrome,
    slug: String,
    as_of: String,
    as_of_input: String,
    as_of_error: Option<String>,
    columns: Vec<String>,
    matrix: Vec<MatrixRow>,
    /// The department pair the list is filtered to (kept by the as-of form).
    from: String,
    on: String,
    filter: String,
    rows: Vec<DependencyLine>,
    can_create: bool,
}

/// "3: 1 open, 2 at risk; 1 late".
fn cell_words(deps: &[&DependencyRow], year: &FiscalYear, day: NaiveDate) -> String {
    let states: Vec<String> = DependencyState::ALL
        .into_iter()
        .filter_map(|s| {
            let n = deps.iter().filter(|d| d.domain().state == s).count();
            (n > 0).then(|| format!("{n} {}", s.label()))
        })
        .collect();
    let late = deps.iter().filter(|d| d.is_late(year, day)).count();
    let late = if late > 0 {
        format!("; {late} late")
    } else {
        String::new()
    };
    format!("{}: {}{late}", deps.len(), states.join(", "))
}

async fn dependencies(
    State(state): State<AppState>,
    tenancy: Tenancy,
    Query(q): Query<DependenciesQuery>,
) -> Result<Response, AppError> {
    let when = PageQuery {
        as_of: q.as_of.clone(),
        quarter: None,
    }
    .resolve(state.settings.today());
    let tenant = tenancy.tenant.id;
    let mut tx = db::begin_tenant(&state.pool, tenant).await?;
    let rows = db::commitments::dependencies(&mut tx, tenant).await?;
    let departments = db::admin::department_choices(&mut tx, tenant).await?;
    let (heads, member_of) = db::operations::departments_of_people(&mut tx, tenant).await?;
    tx.commit().await?;
    let org = Org {
        heads,
        member_of,
        ..Org::default()
    };
    let page = DependenciesPage::build(&tenancy, &q, when.as_of, &rows, &departments, &org);
    let page = DependenciesPage {
        as_of_input: when.as_of_input,
        as_of_error: when.as_of_error,
        ..page
    };
    Ok(render(&page)?.into_response())
}

impl DependenciesPage {
    fn build(
        tenancy: &Tenancy,
        q: &DependenciesQuery,
        day: NaiveDate,
        rows: &[DependencyRow],
        departments: &[db::admin::Choice],
        org: &Org,
    ) -> Self {
        let slug = &tenancy.tenant.slug;
        let year = FiscalYear::new(tenancy.tenant.fiscal_year_start);
        // A day asked for stays on the list the matrix links to.
        let carry = match q.as_of.as_deref().map(str::trim) {
            Some(d) if !d.is_empty() => format!("&as_of={day}"),
            _ => String::new(),
        };
        let matrix = departments
            .iter()
            .map(|from| MatrixRow {
                name: from.name.clone(),
                cells: departments
                    .iter()
                    .map(|on| {
                        let deps: Vec<&DependencyRow> = rows
                            .iter()
                            .filter(|d| d.from_key == from.key && d.on_key == on.key)
                            .collect();
                        if deps.is_empty() {
                            return MatrixCell {
                                href: String::new(),
                                words: "—".to_owned(),
                                late: false,
                            };
                        }
                        MatrixCell {
                            href: format!(
                                "/{slug}/dependencies?from={}&on={}{carry}#list",
                                from.key, on.key
                            ),
                            words: cell_words(&deps, &year, day),
                            late: deps.iter().any(|d| d.is_late(&year, day)),
                        }
                    })
                    .collect(),
            })
            .collect();
        let name = |k: &str| {
            departments
                .iter()
                .find(|d| d.key == k)
                .map_or_else(|| format!("“{k}”"), |d| d.name.clone())
        };
        let (from, on) = (q.from.trim(), q.on.trim());
        let filter = match (from.is_empty(), on.is_empty()) {
            (true, true) => String::new(),
            (false, true) => format!("what {} needs", name(from)),
            (true, false) => format!("what {} delivers", name(on)),
            (false, false) => format!("what {} needs from {}", name(from), name(on)),
        };
        DependenciesPage {
            chrome: tenancy.chrome(),
            slug: slug.clone(),
            as_of: day_words(day),
            as_of_input: day.to_string(),
            as_of_error: None,
            columns: departments.iter().map(|d| d.name.clone()).collect(),
            matrix,
            from: from.to_owned(),
            on: on.to_owned(),
            filter,
            rows: rows
                .iter()
                .filter(|d| {
                    (from.is_empty() || d.from_key == from) && (on.is_empty() || d.on_key == on)
                })
                .map(|d| {
                    let edit = tenancy.can(
                        Action::ManageDependency {
                            from: &d.from_key,
                            on: &d.on_key,
                        },
                        org,
                    );
                    DependencyLine::new(slug, d, &year, day, edit)
                })
                .collect(),
            can_create: svc::may_create_dependencies(&tenancy.acting(), org),
        }
    }
}

// ---------------------------------------------------------------------------
// Dependency forms.
// ---------------------------------------------------------------------------

#[derive(Clone, Debug, Default, Deserialize)]
#[serde(default)]
struct DependencyForm {
    from: String,
    on: String,
    need: String,
    deliverable: String,
    owner: String,
    due: String,
    criteria: String,
    state: String,
    seen: String,
}

impl DependencyForm {
    fn input(&self) -> DependencyInput {
        DependencyInput {
            from: self.from.clone(),
            on: self.on.clone(),
            need: self.need.clone(),
            deliverable: self.deliverable.clone(),
            owner: self.owner.clone(),
            due: self.due.clone(),
            criteria: self.criteria.clone(),
            state: self.state.clone(),
            seen: self.seen.clone(),
        }
    }

    fn of(d: &DependencyRow) -> Self {
        DependencyForm {
            from: d.from_key.clone(),
            on: d.on_key.clone(),
            need: d.need.clone(),
            deliverable: d.deliverable.clone(),
            owner: d.owner.clone().unwrap_or_default(),
            due: d.due.clone(),
            criteria: d.criteria.clone(),
            state: d.state.clone(),
            seen: seen(d.updated_at),
        }
    }
}

#[derive(Template)]
#[template(path = "commitments/dependency_form.html")]
struct DependencyFormPage {
    chrome: Chrome,
    heading: String,
    action: String,
    back: String,
    form: DependencyForm,
    errors: FieldErrors,
    departments: Vec<db::admin::Choice>,
    people: Vec<(String, String)>,
    states: Vec<(&'static str, &'static str)>,
}

/// The form page (new when `id` is none), with what was typed and its
/// messages, or the stored values.
async fn dependency_page(
    state: &AppState,
    tenancy: &Tenancy,
    id: Option<Uuid>,
    typed: Option<(DependencyForm, FieldErrors)>,
) -> Result<Html<String>, AppError> {
    let data = svc::dependency_form(&state.pool, &tenancy.acting(), id).await?;
    let slug = &tenancy.tenant.slug;
    let (mut form, errors) = typed.unwrap_or_else(|| {
        let form = data
            .dependency
            .as_ref()
            .map_or_else(DependencyForm::default, DependencyForm::of);
        (form, FieldErrors::default())
    });
    // Told that someone saved meanwhile, the next save is over their values.
    if let Some(d) = data.dependency.as_ref().filter(|_| errors.has("seen")) {
        form.seen = seen(d.updated_at);
    }
    render(&DependencyFormPage {
        chrome: tenancy.chrome(),
        heading: match &data.dependency {
            Some(d) => format!("Edit: what {} needs from {}", d.from_name, d.on_name),
            None => "New dependency".to_owned(),
        },
        action: match id {
            Some(id) => format!("/{slug}/dependencies/{id}/edit"),
            None => format!("/{slug}/dependencies/new"),
        },
        back: format!("/{slug}/dependencies"),
        form,
        errors,
        departments: data.departments,
        people: data.people,
        states: DependencyState::ALL
            .into_iter()
            .map(|s| (s.as_str(), s.label()))
            .collect(),
    })
}

async fn new_dependency(
    State(state): State<AppState>,
    tenancy: Tenancy,
) -> Result<Response, AppError> {
    Ok(dependency_page(&state, &tenancy, None, None)
        .await?
        .into_response())
}

async fn edit_dependency(
    State(state): State<AppState>,
    tenancy: Tenancy,
    Path((_, id)): Path<(String, String)>,
) -> Result<Response, AppError> {
    let id = read_id(&id)?;
    Ok(dependency_page(&state, &tenancy, Some(id), None)
        .await?
        .into_response())
}

/// After a save: back to the list of that pair, at the row.
fn saved_dependency(slug: &str, form: &DependencyForm, id: Uuid) -> Response {
    let to = format!(
        "/{slug}/dependencies?from={}&on={}#dependency-{id}",
        form.from.trim(),
        form.on.trim()
    );
    Redirect::to(&to).into_response()
}

async fn create_dependency(
    State(state): State<AppState>,
    tenancy: Tenancy,
    Form(form): Form<DependencyForm>,
) -> Result<Response, AppError> {
    let actor = tenancy.acting();
    match svc::create_dependency(&state.pool, &actor, &form.input()).await? {
        Saved::Saved(id) => Ok(saved_dependency(&tenancy.tenant.slug, &form, id)),
        Saved::Invalid(errors) => {
            let html = dependency_page(&state, &tenancy, None, Some((form, errors))).await?;
            Ok((StatusCode::UNPROCESSABLE_ENTITY, html).into_response())
        }
    }
}

async fn save_dependency(
    State(state): State<AppState>,
    tenancy: Tenancy,
    Path((_, id)): Path<(String, String)>,
    Form(form): Form<DependencyForm>,
) -> Result<Response, AppError> {
    let id = read_id(&id)?;
    let actor = tenancy.acting();
    match svc::edit_dependency(&state.pool, &actor, id, &form.input()).await? {
        Saved::Saved(id) => Ok(saved_dependency(&tenancy.tenant.slug, &form, id)),
        Saved::Invalid(errors) => {
            let html = dependency_page(&state, &tenancy, Some(id), Some((form, errors))).await?;
            Ok((StatusCode::UNPROCESSABLE_ENTITY, html).into_response())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap_or_default()
    }

    fn row(due: &str, state: &str) -> DependencyRow {
        DependencyRow {
            id: Uuid::nil(),
            from_key: "community".into(),
            from_name: "Community".into(),
            on_key: "generative".into(),
            on_name: "Generative".into(),
            need: "Platform".into(),
            deliverable: String::new(),
            partner: None,
            due: due.into(),
            criteria: String::new(),
            state: state.into(),
            owner: None,
            owner_name: None,
            updated_at: chrono::Utc::now(),
        }
    }

    #[test]
    fn a_matrix_cell_counts_states_in_order_and_then_the_late_ones() {
        let year = FiscalYear::new(date(2026, 1, 1));
        let rows = [
            row("Q1", "at_risk"),
            row("Q4", "open"),
            row("Q1", "done"),
            row("Per project", "open"),
        ];
        let refs: Vec<&DependencyRow> = rows.iter().collect();
        assert_eq!(
            cell_words(&refs, &year, date(2026, 4, 1)),
            "4: 2 open, 1 at risk, 1 done; 1 late"
        );
        assert_eq!(
            cell_words(&refs[1..2], &year, date(2026, 4, 1)),
            "1: 1 open"
        );
    }
}
