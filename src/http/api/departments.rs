//! `GET /api/v1/{tenant}/departments` and `…/departments/{key}`: the
//! departments, with their heads and people, from the plan as the pages
//! read it.

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
pub struct Department {
    pub key: String,
    pub name: String,
    /// The head's person key.
    pub head: Option<String>,
    /// The keys of the people who belong to it.
    pub people: Vec<String>,
}

fn department(plan: &Plan, d: &crate::domain::plan::Department) -> Department {
    Department {
        key: d.key.clone(),
        name: d.name.clone(),
        head: d.head.clone(),
        people: plan
            .people
            .iter()
            .filter(|p| p.department.as_deref() == Some(d.key.as_str()))
            .map(|p| p.key.clone())
            .collect(),
    }
}

/// The departments
///
/// Each with its head and the keys of its people, paged.
#[utoipa::path(
    get,
    path = "/api/v1/{tenant}/departments",
    tag = "organization",
    params(("tenant" = String, Path, description = "The organization's slug"), Paging),
    responses((status = 200, body = Page<Department>), Refusals)
)]
pub async fn list(
    State(state): State<AppState>,
    caller: Caller,
    Query(paging): Query<Paging>,
) -> Result<Response, AppError> {
    let (page, per_page) = paging.read()?;
    let t = &caller.tenancy;
    let plan = load_plan(&state, t, state.settings.today(), Scope::Org).await?;
    let all: Vec<Department> = plan
        .departments
        .iter()
        .map(|d| department(&plan, d))
        .collect();
    let path = format!("/api/v1/{}/departments", t.tenant.slug);
    let page = page_of(all, page, per_page, |n| href(&path, &[], per_page, n))?;
    Ok(paged(&page))
}

/// One department
#[utoipa::path(
    get,
    path = "/api/v1/{tenant}/departments/{key}",
    tag = "organization",
    params(
        ("tenant" = String, Path, description = "The organization's slug"),
        ("key" = String, Path, description = "The department's key")
    ),
    responses((status = 200, body = Department), Refusals)
)]
pub async fn show(
    State(state): State<AppState>,
    caller: Caller,
    Path((_, key)): Path<(String, String)>,
) -> Result<Json<Department>, AppError> {
    let plan = load_plan(&state, &caller.tenancy, state.settings.today(), Scope::Org).await?;
    let d = plan.department(&key).ok_or(AppError::NotFound)?;
    Ok(Json(department(&plan, d)))
}
