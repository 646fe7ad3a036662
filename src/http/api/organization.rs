//! `GET /api/v1/{tenant}`: the organization, and who the token acts as.

use axum::Json;
use axum::extract::State;
use chrono::NaiveDate;
use serde::Serialize;
use utoipa::ToSchema;

use super::Refusals;
use super::auth::Caller;
use crate::http::{AppError, AppState};

#[derive(Serialize, ToSchema)]
pub struct Organization {
    pub slug: String,
    pub name: String,
    /// The first day of the fiscal year; quarters follow from it.
    pub fiscal_year_start: NaiveDate,
    /// The pacing thresholds: a credit at or above `on_pace` is `+`, at or
    /// above `slightly_off` is `~`, below is `-`.
    pub on_pace: f64,
    pub slightly_off: f64,
    /// Days into a quarter during which the previous quarter's reading
    /// stands in for one not yet entered.
    pub carry_days: i32,
    /// Whether every member sees every individual WhyGO.
    pub individuals_visible_to_all: bool,
    /// The server's date, and its quarter: what check-ins are entered as of.
    pub today: NaiveDate,
    pub quarter: u8,
    pub token: TokenInfo,
}

/// The token the request came with, and whom it acts as.
#[derive(Serialize, ToSchema)]
pub struct TokenInfo {
    pub name: String,
    /// `personal` (acts as its account) or `service` (a role, no person).
    pub kind: String,
    /// `read` or `read-write`.
    pub scope: String,
    /// `admin`, `leader` or `member`.
    pub role: String,
    /// The person it acts as (its key), if any.
    pub person: Option<String>,
}

/// The organization, and the token the request came with
///
/// The fiscal year, pacing thresholds and today's quarter; whom the token acts as (kind, scope, role, person).
#[utoipa::path(
    get,
    path = "/api/v1/{tenant}",
    tag = "organization",
    params(("tenant" = String, Path, description = "The organization's slug")),
    responses((status = 200, body = Organization), Refusals)
)]
pub async fn show(
    State(state): State<AppState>,
    caller: Caller,
) -> Result<Json<Organization>, AppError> {
    let t = &caller.tenancy;
    let today = state.settings.today();
    let fy = crate::domain::calendar::FiscalYear::new(t.tenant.fiscal_year_start);
    Ok(Json(Organization {
        slug: t.tenant.slug.clone(),
        name: t.tenant.name.clone(),
        fiscal_year_start: t.tenant.fiscal_year_start,
        on_pace: t.tenant.on_pace,
        slightly_off: t.tenant.slightly_off,
        carry_days: t.tenant.carry_days,
        individuals_visible_to_all: t.tenant.individuals_visible_to_all,
        today,
        quarter: fy.headline_quarter(today).number(),
        token: TokenInfo {
            name: caller.token_name.clone(),
            kind: caller.kind.as_str().to_owned(),
            scope: caller.scope.as_str().to_owned(),
            role: t.role.as_str().to_owned(),
            person: t.person.as_ref().map(|p| p.key.clone()),
        },
    }))
}
