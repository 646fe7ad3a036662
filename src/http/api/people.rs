//! `GET /api/v1/{tenant}/people` and `…/people/{key}`: the org chart's
//! people (title, department, manager, reports), from the plan as the pages
//! read it. Their individual WhyGOs are under `/whygos?person=KEY`, where
//! the visibility rules apply.

use axum::Json;
use axum::extract::State;
use axum::response::Response;
use serde::Serialize;
use utoipa::ToSchema;

use super::Refusals;
use super::auth::Caller;
use super::json::{Page, Paging, href, page_of, paged};
use crate::db::plan::Scope;
use crate::domain::plan::Plan;
use crate::http::params::{Path, Query, load_plan};
use crate::http::{AppError, AppState};

#[derive(Serialize, ToSchema)]
pub struct Person {
    pub key: String,
    pub name: String,
    pub title: String,
    /// Department key.
    pub department: Option<String>,
    /// The manager's person key.
    pub reports_to: Option<String>,
    /// The keys of the people reporting to them directly.
    pub reports: Vec<String>,
}

fn person(plan: &Plan, p: &crate::domain::plan::Person) -> Person {
    Person {
        key: p.key.clone(),
        name: p.name.clone(),
        title: p.title.clone(),
        department: p.department.clone(),
        reports_to: p.reports_to.clone(),
        reports: plan.reports(&p.key).map(|r| r.key.clone()).collect(),
    }
}

/// The people
///
/// Title, department, manager and direct reports of each, paged.
#[utoipa::path(
    get,
    path = "/api/v1/{tenant}/people",
    tag = "organization",
    params(("tenant" = String, Path, description = "The organization's slug"), Paging),
    responses((status = 200, body = Page<Person>), Refusals)
)]
pub async fn list(
    State(state): State<AppState>,
    caller: Caller,
    Query(paging): Query<Paging>,
) -> Result<Response, AppError> {
    let (page, per_page) = paging.read()?;
    let t = &caller.tenancy;
    let plan = load_plan(&state, t, state.settings.today(), Scope::Org).await?;
    let all: Vec<Person> = plan.people.iter().map(|p| person(&plan, p)).collect();
    let path = format!("/api/v1/{}/people", t.tenant.slug);
    let page = page_of(all, page, per_page, |n| href(&path, &[], per_page, n))?;
    Ok(paged(&page))
}

/// One person
#[utoipa::path(
    get,
    path = "/api/v1/{tenant}/people/{key}",
    tag = "organization",
    params(
        ("tenant" = String, Path, description = "The organization's slug"),
        ("key" = String, Path, description = "The person's key")
    ),
    responses((status = 200, body = Person), Refusals)
)]
pub async fn show(
    State(state): State<AppState>,
    caller: Caller,
    Path((_, key)): Path<(String, String)>,
) -> Result<Json<Person>, AppError> {
    let plan = load_plan(&state, &caller.tenancy, state.settings.today(), Scope::Org).await?;
    let p = plan.person(&key).ok_or(AppError::NotFound)?;
    Ok(Json(person(&plan, p)))
}
