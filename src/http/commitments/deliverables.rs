//! The deliverables of a WhyGO: its page's section and the forms.

use askama::Template;
use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use chrono::NaiveDate;
use serde::Deserialize;
use uuid::Uuid;

use super::{DeliverableLine, read_id, seen};
use crate::app::FieldErrors;
use crate::app::commitments::{self as svc, DeliverableInput, Saved};
use crate::db;
use crate::db::commitments::DeliverableRow;
use crate::domain::permissions::Action;
use crate::domain::plan::{Plan, WhyGo};
use crate::http::error::render;
use crate::http::params::{Form, Path};
use crate::http::view::Chrome;
use crate::http::{AppError, AppState, Tenancy};

// ---------------------------------------------------------------------------
// Deliverables: the WhyGO page's section and the forms.
// ---------------------------------------------------------------------------

pub(super) fn router() -> Router<AppState> {
    Router::new()
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

/// The "Deliverables" section of the WhyGO page.
#[derive(Default)]
pub(in crate::http) struct DeliverablesSection {
    pub(in crate::http) rows: Vec<DeliverableLine>,
    /// Where its forms post: `…/whygos/{key}/deliverables/`.
    pub(in crate::http) base: String,
    pub(in crate::http) can_manage: bool,
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
pub(in crate::http) async fn whygo_section(
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
) -> Result<Html<String>, AppError> {
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
