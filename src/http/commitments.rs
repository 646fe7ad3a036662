//! Dated commitments (issue 11): the dependency matrix and list with their
//! forms, the deliverables of a WhyGO (its section on the WhyGO page and
//! their forms), and what the department and sync pages show of both: late
//! dependencies, overdue deliverables and (on the sync) late and breached
//! handoffs.
//!
//! Reading: one tenant transaction per page part, a fixed number of
//! statements whatever the number of rows. Individual WhyGOs' deliverables
//! are shown only to those the permission table lets see the WhyGO (the
//! same `ViewIndividual` row `Plan::visible_to` applies).
//!
//! Writing: each form posts to the service ([`crate::app::commitments`]);
//! success redirects (303), bad input comes back next to its field with what
//! was typed (422), a refusal is 403 and a missing row 404.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use chrono::{Duration, NaiveDate, Utc};
use serde::Deserialize;
use uuid::Uuid;

use super::error::render;
use super::params::PageQuery;
use super::view::Chrome;
use super::{AppError, AppState, Tenancy};
use crate::app::FieldErrors;
use crate::app::commitments::{self as svc, DeliverableInput, DependencyInput, Saved};
use crate::db;
use crate::db::commitments::{DeliverableRow, DependencyRow};
use crate::domain::calendar::{FiscalYear, Quarter};
use crate::domain::operations::commitments::DependencyState;
use crate::domain::operations::figures::Period;
use crate::domain::operations::{EngagementPhase, Instant, Standing, start_of_day};
use crate::domain::permissions::{Action, Org};
use crate::domain::plan::{Plan, WhyGo};

pub fn router() -> Router<AppState> {
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
        .route(
            "/{tenant}/whygos/{key}/deliverables/new",
            get(new_deliverable).post(create_deliverable),
        )
        .route(
            "/{tenant}/whygos/{key}/deliverables/{id}/edit",
            get(edit_deliverable).post(save_deliverable),
        )
        .route(
            "/{tenant}/whygos/{key}/deliverables/{id}/done",
            post(mark_done),
        )
        .route(
            "/{tenant}/whygos/{key}/deliverables/{id}/undone",
            post(undo_done),
        )
}

/// A path's id: anything else is no such row.
fn read_id(id: &str) -> Result<Uuid, AppError> {
    Uuid::parse_str(id).map_err(|_| AppError::NotFound)
}

fn day_words(d: NaiveDate) -> String {
    d.format("%-d %b %Y").to_string()
}

// ---------------------------------------------------------------------------
// Dependencies: matrix and list.
// ---------------------------------------------------------------------------

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

/// A dependency as listed (list page, department page, sync page).
pub(super) struct DependencyLine {
    pub(super) id: String,
    pub(super) from: String,
    pub(super) on: String,
    pub(super) need: String,
    pub(super) deliverable: String,
    pub(super) owner: String,
    pub(super) due: String,
    pub(super) criteria: String,
    pub(super) standing: String,
    pub(super) late: bool,
    pub(super) edit_href: Option<String>,
    pub(super) href: String,
}

impl DependencyLine {
    fn new(slug: &str, d: &DependencyRow, year: &FiscalYear, day: NaiveDate, edit: bool) -> Self {
        let domain = d.domain();
        let standing = domain.standing(year, day);
        DependencyLine {
            id: d.id.to_string(),
            from: d.from_name.clone(),
            on: d.on_name.clone(),
            need: d.need.clone(),
            deliverable: d.deliverable.clone(),
            owner: d.owner_name.clone().unwrap_or_else(|| "—".to_owned()),
            due: domain.due.words(),
            criteria: d.criteria.clone(),
            late: standing.is_late(),
            standing: standing.words(),
            edit_href: edit.then(|| format!("/{slug}/dependencies/{}/edit", d.id)),
            href: format!(
                "/{slug}/dependencies?from={}&on={}#dependency-{}",
                d.from_key, d.on_key, d.id
            ),
        }
    }
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

/// A row's `updated_at` as a form carries it (microseconds, as stored).
fn seen(t: chrono::DateTime<Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Micros, true)
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
) -> Result<axum::response::Html<String>, AppError> {
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

// ---------------------------------------------------------------------------
// Deliverables: the WhyGO page's section and the forms.
// ---------------------------------------------------------------------------

/// A deliverable as listed.
pub(super) struct DeliverableLine {
    pub(super) id: String,
    pub(super) title: String,
    pub(super) owner: String,
    pub(super) deadline: String,
    pub(super) standing: String,
    /// "done", "overdue" or "open": a css class (the words say it too).
    pub(super) css: &'static str,
    pub(super) done: bool,
    pub(super) whygo: String,
    pub(super) whygo_href: String,
}

impl DeliverableLine {
    fn new(slug: &str, d: &DeliverableRow, year: &FiscalYear, day: NaiveDate) -> Self {
        use crate::domain::operations::commitments::DeliverableStanding as S;
        let domain = d.domain();
        let standing = domain.standing(year, day);
        DeliverableLine {
            id: d.id.to_string(),
            title: d.title.clone(),
            owner: d.owner_name.clone().unwrap_or_else(|| "—".to_owned()),
            deadline: domain.deadline.words(),
            standing: standing.words(),
            css: match standing {
                S::Done { .. } => "done",
                S::Overdue { .. } => "overdue",
                S::Open { .. } => "open",
            },
            done: matches!(standing, S::Done { .. }),
            whygo: d.whygo_heading(),
            whygo_href: format!("/{slug}/whygos/{}#deliverables", d.whygo),
        }
    }
}

/// The "Deliverables" section of the WhyGO page.
#[derive(Default)]
pub(super) struct DeliverablesSection {
    pub(super) rows: Vec<DeliverableLine>,
    /// Where its forms post: `…/whygos/{key}/deliverables/`.
    pub(super) base: String,
    pub(super) can_manage: bool,
}

/// The department a WhyGO's deliverables answer to: a department WhyGO's,
/// or an individual's department.
fn whygo_department<'a>(plan: &'a Plan, w: &'a WhyGo) -> Option<&'a str> {
    w.department.as_deref().or_else(|| {
        let person = w.person.as_deref()?;
        plan.people
            .iter()
            .find(|p| p.key == person)?
            .department
            .as_deref()
    })
}

/// The section for WhyGO `w` (which the viewer may see: the page checked),
/// as of `day`. One tenant transaction.
pub(super) async fn whygo_section(
    state: &AppState,
    tenancy: &Tenancy,
    plan: &Plan,
    w: &WhyGo,
    day: NaiveDate,
) -> Result<DeliverablesSection, AppError> {
    let tenant = tenancy.tenant.id;
    let mut tx = db::begin_tenant(&state.pool, tenant).await?;
    let rows = db::commitments::deliverables(&mut tx, tenant, Some(&w.key)).await?;
    tx.commit().await?;
    let slug = &plan.tenant.slug;
    let year = plan.tenant.fiscal_year();
    let manage = Action::ManageDeliverables {
        owner: w.owner.as_deref(),
        department: whygo_department(plan, w),
    };
    Ok(DeliverablesSection {
        rows: rows
            .iter()
            .map(|d| DeliverableLine::new(slug, d, &year, day))
            .collect(),
        base: format!("/{slug}/whygos/{}/deliverables", w.key),
        can_manage: tenancy.can(manage, &plan.org()) && !w.is_archived(),
    })
}

#[derive(Clone, Debug, Default, Deserialize)]
#[serde(default)]
struct DeliverableForm {
    title: String,
    owner: String,
    due: String,
    done_on: String,
    seen: String,
}

impl DeliverableForm {
    fn input(&self) -> DeliverableInput {
        DeliverableInput {
            title: self.title.clone(),
            owner: self.owner.clone(),
            due: self.due.clone(),
            done_on: self.done_on.clone(),
            seen: self.seen.clone(),
        }
    }

    fn of(d: &DeliverableRow) -> Self {
        DeliverableForm {
            title: d.title.clone(),
            owner: d.owner.clone().unwrap_or_default(),
            due: d.due.clone(),
            done_on: d.done_on.map(|d| d.to_string()).unwrap_or_default(),
            seen: seen(d.updated_at),
        }
    }
}

#[derive(Template)]
#[template(path = "commitments/deliverable_form.html")]
struct DeliverableFormPage {
    chrome: Chrome,
    heading: String,
    whygo: String,
    action: String,
    back: String,
    form: DeliverableForm,
    errors: FieldErrors,
    people: Vec<(String, String)>,
}

async fn deliverable_page(
    state: &AppState,
    tenancy: &Tenancy,
    (key, id): (&str, Option<Uuid>),
    typed: Option<(DeliverableForm, FieldErrors)>,
) -> Result<axum::response::Html<String>, AppError> {
    let data = svc::deliverable_form(&state.pool, &tenancy.acting(), key, id).await?;
    let slug = &tenancy.tenant.slug;
    let (mut form, errors) = typed.unwrap_or_else(|| {
        let form = data
            .deliverable
            .as_ref()
            .map_or_else(DeliverableForm::default, DeliverableForm::of);
        (form, FieldErrors::default())
    });
    if let Some(d) = data.deliverable.as_ref().filter(|_| errors.has("seen")) {
        form.seen = seen(d.updated_at);
    }
    let base = format!("/{slug}/whygos/{}", data.whygo.key);
    render(&DeliverableFormPage {
        chrome: tenancy.chrome(),
        heading: if id.is_some() {
            "Edit a deliverable".to_owned()
        } else {
            "Add a deliverable".to_owned()
        },
        whygo: match data.whygo.number {
            Some(n) => format!("#{n} {}", data.whygo.title),
            None => data.whygo.title.clone(),
        },
        action: match id {
            Some(id) => format!("{base}/deliverables/{id}/edit"),
            None => format!("{base}/deliverables/new"),
        },
        back: format!("{base}#deliverables"),
        form,
        errors,
        people: data.people,
    })
}

async fn new_deliverable(
    State(state): State<AppState>,
    tenancy: Tenancy,
    Path((_, key)): Path<(String, String)>,
) -> Result<Response, AppError> {
    Ok(deliverable_page(&state, &tenancy, (&key, None), None)
        .await?
        .into_response())
}

async fn edit_deliverable(
    State(state): State<AppState>,
    tenancy: Tenancy,
    Path((_, key, id)): Path<(String, String, String)>,
) -> Result<Response, AppError> {
    let id = read_id(&id)?;
    Ok(deliverable_page(&state, &tenancy, (&key, Some(id)), None)
        .await?
        .into_response())
}

fn back_to_whygo(tenancy: &Tenancy, key: &str) -> Response {
    let to = format!("/{}/whygos/{key}#deliverables", tenancy.tenant.slug);
    Redirect::to(&to).into_response()
}

async fn create_deliverable(
    State(state): State<AppState>,
    tenancy: Tenancy,
    Path((_, key)): Path<(String, String)>,
    Form(form): Form<DeliverableForm>,
) -> Result<Response, AppError> {
    let actor = tenancy.acting();
    match svc::add_deliverable(&state.pool, &actor, &key, &form.input()).await? {
        Saved::Saved(_) => Ok(back_to_whygo(&tenancy, &key)),
        Saved::Invalid(errors) => {
            let html =
                deliverable_page(&state, &tenancy, (&key, None), Some((form, errors))).await?;
            Ok((StatusCode::UNPROCESSABLE_ENTITY, html).into_response())
        }
    }
}

async fn save_deliverable(
    State(state): State<AppState>,
    tenancy: Tenancy,
    Path((_, key, id)): Path<(String, String, String)>,
    Form(form): Form<DeliverableForm>,
) -> Result<Response, AppError> {
    let id = read_id(&id)?;
    let actor = tenancy.acting();
    match svc::edit_deliverable(&state.pool, &actor, &key, id, &form.input()).await? {
        Saved::Saved(_) => Ok(back_to_whygo(&tenancy, &key)),
        Saved::Invalid(errors) => {
            let typed = Some((form, errors));
            let html = deliverable_page(&state, &tenancy, (&key, Some(id)), typed).await?;
            Ok((StatusCode::UNPROCESSABLE_ENTITY, html).into_response())
        }
    }
}

/// Marks it done today (the server's today, which tests pin).
async fn mark_done(
    State(state): State<AppState>,
    tenancy: Tenancy,
    Path((_, key, id)): Path<(String, String, String)>,
) -> Result<Response, AppError> {
    let id = read_id(&id)?;
    let today = state.settings.today();
    svc::set_done(&state.pool, &tenancy.acting(), &key, id, Some(today)).await?;
    Ok(back_to_whygo(&tenancy, &key))
}

async fn undo_done(
    State(state): State<AppState>,
    tenancy: Tenancy,
    Path((_, key, id)): Path<(String, String, String)>,
) -> Result<Response, AppError> {
    let id = read_id(&id)?;
    svc::set_done(&state.pool, &tenancy.acting(), &key, id, None).await?;
    Ok(back_to_whygo(&tenancy, &key))
}

// ---------------------------------------------------------------------------
// What the department and sync pages show.
// ---------------------------------------------------------------------------

/// Whether the viewer may see the deliverables of `d`'s WhyGO: an
/// individual WhyGO's only when the permission table lets them see it.
fn visible(tenancy: &Tenancy, d: &DeliverableRow, org: &Org) -> bool {
    match (d.whygo_level.as_str(), d.whygo_person.as_deref()) {
        ("individual", Some(owner)) => tenancy.can(Action::ViewIndividual { owner }, org),
        ("individual", None) => false,
        _ => true,
    }
}

/// Late dependencies and overdue deliverables on a department page.
#[derive(Default)]
pub(super) struct DepartmentCommitments {
    pub(super) late: Vec<DependencyLine>,
    pub(super) overdue: Vec<DeliverableLine>,
    pub(super) dependencies_href: String,
}

/// The department `key`'s late dependencies (either end) and the overdue
/// deliverables of its WhyGOs and its people's (those the viewer may see),
/// as of `day`; and every dependency, as the page's lists read them. One
/// tenant transaction.
pub(super) async fn department_section(
    state: &AppState,
    tenancy: &Tenancy,
    plan: &Plan,
    key: &str,
    day: NaiveDate,
) -> Result<(DepartmentCommitments, Vec<db::pages::Dependency>), AppError> {
    let tenant = tenancy.tenant.id;
    let mut tx = db::begin_tenant(&state.pool, tenant).await?;
    let deps = db::commitments::dependencies(&mut tx, tenant).await?;
    let deliverables = db::commitments::deliverables(&mut tx, tenant, None).await?;
    tx.commit().await?;
    let slug = &plan.tenant.slug;
    let year = plan.tenant.fiscal_year();
    let org = plan.org();
    let section = DepartmentCommitments {
        late: late_dependencies(&deps, &year, day)
            .filter(|d| d.from_key == key || d.on_key == key)
            .map(|d| line(tenancy, slug, d, &org, &year, day))
            .collect(),
        overdue: deliverables
            .iter()
            .filter(|d| d.whygo_department.as_deref() == Some(key))
            .filter(|d| visible(tenancy, d, &org))
            .map(|d| DeliverableLine::new(slug, d, &year, day))
            .filter(|d| d.css == "overdue")
            .collect(),
        dependencies_href: format!("/{slug}/dependencies"),
    };
    Ok((section, deps.iter().map(DependencyRow::listed).collect()))
}

fn late_dependencies<'a>(
    deps: &'a [DependencyRow],
    year: &'a FiscalYear,
    day: NaiveDate,
) -> impl Iterator<Item = &'a DependencyRow> + 'a {
    deps.iter().filter(move |d| d.is_late(year, day))
}

fn line(
    tenancy: &Tenancy,
    slug: &str,
    d: &DependencyRow,
    org: &Org,
    year: &FiscalYear,
    day: NaiveDate,
) -> DependencyLine {
    let edit = tenancy.can(
        Action::ManageDependency {
            from: &d.from_key,
            on: &d.on_key,
        },
        org,
    );
    DependencyLine::new(slug, d, year, day, edit)
}

/// A late or breached handoff on the sync page.
pub(super) struct HandoffLine {
    pub(super) href: String,
    pub(super) engagement: String,
    pub(super) client: String,
    pub(super) handoff: String,
    /// "late" or "breached".
    pub(super) label: &'static str,
    pub(super) words: String,
}

/// What the weekly sync shows beside the `[-]`/`[~]` outcomes.
#[derive(Default)]
pub(super) struct SyncCommitments {
    pub(super) handoffs: Vec<HandoffLine>,
    pub(super) late: Vec<DependencyLine>,
    pub(super) overdue: Vec<DeliverableLine>,
    pub(super) engagements_href: String,
    pub(super) dependencies_href: String,
}

/// The instant a day's figures are read at: the end of `day`, or now when
/// that is earlier (the rest of today has not happened).
fn end_of(day: NaiveDate) -> Instant {
    let end = day
        .succ_opt()
        .map_or_else(|| start_of_day(day), start_of_day)
        - Duration::seconds(1);
    end.min(Utc::now())
}

/// Late handoffs (past their SLA, not accepted, of engagements not lost)
/// and handoffs breached in `quarter` (accepted late, incomplete or
/// answered late; placed by their acceptance), as of the end of `day`;
/// late dependencies and overdue deliverables (those the viewer may see).
/// One tenant transaction.
pub(super) async fn sync_section(
    state: &AppState,
    tenancy: &Tenancy,
    plan: &Plan,
    day: NaiveDate,
    quarter: Quarter,
) -> Result<SyncCommitments, AppError> {
    let tenant = tenancy.tenant.id;
    let as_of = end_of(day);
    let mut tx = db::begin_tenant(&state.pool, tenant).await?;
    let loaded = db::operations::load(&mut tx, tenant, as_of).await?;
    let deps = db::commitments::dependencies(&mut tx, tenant).await?;
    let deliverables = db::commitments::deliverables(&mut tx, tenant, None).await?;
    tx.commit().await?;
    let slug = &plan.tenant.slug;
    let year = plan.tenant.fiscal_year();
    let period = Period::new(year, quarter);
    let org = plan.org();
    let department = |k: &str| {
        plan.department(k)
            .map_or_else(|| k.to_owned(), |d| d.name.clone())
    };
    let records = loaded.records();
    let mut handoffs = Vec::new();
    for e in &loaded.engagements {
        if e.phase_on(day) == EngagementPhase::Lost {
            continue;
        }
        for (t, s) in records.board_row(e, as_of) {
            let Some(s) = s else { continue };
            let label = match s.standing {
                Standing::Late { .. } => "late",
                Standing::Breached if s.accepted_at.is_some_and(|at| period.contains(at)) => {
                    "breached"
                }
                _ => continue,
            };
            handoffs.push(HandoffLine {
                href: format!("/{slug}/engagements/{}#handoff-{}", e.key, t.key),
                engagement: e.name.clone(),
                client: e.client.clone(),
                handoff: format!(
                    "{} {} → {}",
                    t.label(),
                    department(&t.from),
                    department(&t.to)
                ),
                label,
                words: s.words(),
            });
        }
    }
    Ok(SyncCommitments {
        handoffs,
        late: late_dependencies(&deps, &year, day)
            .map(|d| line(tenancy, slug, d, &org, &year, day))
            .collect(),
        overdue: deliverables
            .iter()
            .filter(|d| visible(tenancy, d, &org))
            .map(|d| DeliverableLine::new(slug, d, &year, day))
            .filter(|d| d.css == "overdue")
            .collect(),
        engagements_href: format!("/{slug}/engagements"),
        dependencies_href: format!("/{slug}/dependencies"),
    })
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
            updated_at: Utc::now(),
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

    #[test]
    fn a_past_day_is_read_at_its_last_second() {
        let day = date(2026, 10, 5);
        assert_eq!(end_of(day).to_rfc3339(), "2026-10-05T23:59:59+00:00");
        // Today's end has not happened: now instead.
        assert!(end_of(date(9999, 1, 1)) <= Utc::now());
    }
}
