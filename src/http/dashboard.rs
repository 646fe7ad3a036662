//! The read-only company dashboard: the same
//! pacing as `whygo report`, computed from the same plan snapshot.

use askama::Template;
use axum::extract::{Query, State};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use chrono::NaiveDate;
use serde::Deserialize;

use super::error::render;
use super::view::{Chrome, Pace, WhyGoCard};
use super::{AppError, AppState, Tenancy};
use crate::db;
use crate::domain::plan::Level;
use crate::domain::report::{self, Attention};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/{tenant}", get(company))
        .route("/{tenant}/report.json", get(report_json))
}

#[derive(Deserialize)]
struct AsOfQuery {
    as_of: Option<String>,
}

/// The as-of date asked for, or today with a message when it cannot be read.
fn as_of(q: &AsOfQuery, today: NaiveDate) -> (NaiveDate, String, Option<String>) {
    match q.as_of.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        None => (today, today.to_string(), None),
        Some(s) => match NaiveDate::parse_from_str(s, "%Y-%m-%d") {
            Ok(d) => (d, s.to_owned(), None),
            Err(_) => (
                today,
                s.to_owned(),
                Some(format!(
                    "“{s}” is not a date: use YYYY-MM-DD. Showing today instead."
                )),
            ),
        },
    }
}

#[derive(Template)]
#[template(path = "company.html")]
struct CompanyPage {
    chrome: Chrome,
    tenant_slug: String,
    tenant_name: String,
    as_of_input: String,
    as_of_error: Option<String>,
    as_of_long: String,
    quarter: String,
    quarter_progress: String,
    company: Pace,
    departments: Vec<DepartmentCard>,
    company_whygos: Vec<WhyGoCard>,
    department_whygos: Vec<(String, Vec<WhyGoCard>)>,
    escalations: Vec<Attention>,
    needs_attention: Vec<Attention>,
    missing: Vec<Attention>,
}

struct DepartmentCard {
    name: String,
    head: String,
    pace: Pace,
}

async fn company(
    State(state): State<AppState>,
    tenancy: Tenancy,
    Query(q): Query<AsOfQuery>,
) -> Result<Response, AppError> {
    let tenant = &tenancy.tenant;
    let (as_of, as_of_input, as_of_error) = as_of(&q, chrono::Local::now().date_naive());
    let plan = db::plan::load(&state.pool, tenant, as_of).await?;
    let r = report::build(&plan, as_of);

    let departments = r
        .departments
        .iter()
        .map(|d| DepartmentCard {
            name: d.name.clone(),
            head: d
                .head
                .as_deref()
                .map(|k| plan.person_name(k).to_owned())
                .unwrap_or_default(),
            pace: Pace::new(d.status, d.credit, d.counts),
        })
        .collect();
    let company_whygos = r
        .whygos
        .iter()
        .filter(|w| w.level == Level::Company)
        .map(|w| WhyGoCard::new(&plan, &r, w))
        .collect();
    let department_whygos = plan
        .departments
        .iter()
        .map(|d| {
            let cards: Vec<WhyGoCard> = r
                .whygos
                .iter()
                .filter(|w| {
                    w.level == Level::Department && w.department.as_deref() == Some(d.key.as_str())
                })
                .map(|w| WhyGoCard::new(&plan, &r, w))
                .collect();
            (d.name.clone(), cards)
        })
        .filter(|(_, cards)| !cards.is_empty())
        .collect();

    let page = CompanyPage {
        chrome: tenancy.chrome(),
        tenant_slug: plan.tenant.slug.clone(),
        tenant_name: plan.tenant.name.clone(),
        as_of_input,
        as_of_error,
        as_of_long: as_of.format("%A %-d %B %Y").to_string(),
        quarter: format!(
            "{} {}",
            r.quarter,
            fiscal_label(plan.tenant.fiscal_year_start)
        ),
        quarter_progress: format!("{:.0}%", r.quarter_fraction * 100.0),
        company: Pace::new(r.company.status, r.company.credit, r.company.counts),
        departments,
        company_whygos,
        department_whygos,
        escalations: r.escalations,
        needs_attention: r.needs_attention,
        missing: r.missing,
    };
    Ok(render(&page)?.into_response())
}

/// "FY2026", or "FY2026/27" when the fiscal year does not start in January.
fn fiscal_label(start: NaiveDate) -> String {
    use chrono::Datelike as _;
    if start.month() == 1 && start.day() == 1 {
        format!("FY{}", start.year())
    } else {
        format!("FY{}/{:02}", start.year(), (start.year() + 1) % 100)
    }
}

/// The weekly report as JSON: the same shape as `whygo report --format json`.
async fn report_json(
    State(state): State<AppState>,
    tenancy: Tenancy,
    Query(q): Query<AsOfQuery>,
) -> Result<Json<report::Report>, AppError> {
    let tenant = &tenancy.tenant;
    let (as_of, _, error) = as_of(&q, chrono::Local::now().date_naive());
    if let Some(message) = error {
        return Err(AppError::BadRequest(message));
    }
    let plan = db::plan::load(&state.pool, tenant, as_of).await?;
    Ok(Json(report::build(&plan, as_of)))
}
