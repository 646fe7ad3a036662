//! The company dashboard, the weekly leadership sync, and the report as JSON:
//! the same pacing as `whygo report`, computed from the same plan snapshot.

use askama::Template;
use axum::extract::{Query, State};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use chrono::{Duration, NaiveDate};

use super::error::render;
use super::params::{self, PageQuery, When};
use super::view::{Chrome, Pace, WhyGoCard};
use super::{AppError, AppState, Tenancy};
use crate::db::plan::Scope;
use crate::domain::calendar::Quarter;
use crate::domain::pacing::Status;
use crate::domain::plan::{Level, Plan};
use crate::domain::report::{self, Attention, Report};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/{tenant}", get(company))
        .route("/{tenant}/sync", get(sync))
        .route("/{tenant}/report.json", get(report_json))
}

/// The as-of form every overview page shows.
pub struct WhenForm {
    pub action: String,
    pub as_of_input: String,
    pub as_of_error: Option<String>,
    pub quarter: u8,
    pub quarter_error: Option<String>,
    pub as_of_long: String,
    pub quarter_label: String,
    pub quarter_progress: String,
    pub carry: String,
}

impl WhenForm {
    pub fn new(action: String, when: &When, plan: &Plan, r: &Report) -> WhenForm {
        WhenForm {
            action,
            as_of_input: when.as_of_input.clone(),
            as_of_error: when.as_of_error.clone(),
            quarter: r.quarter.number(),
            quarter_error: when.quarter_error.clone(),
            as_of_long: when.as_of.format("%A %-d %B %Y").to_string(),
            quarter_label: format!(
                "{} {}",
                r.quarter,
                fiscal_label(plan.tenant.fiscal_year_start)
            ),
            quarter_progress: if r.quarter_judged {
                format!("{:.0}% through the quarter", r.quarter_fraction * 100.0)
            } else {
                "not started yet".to_owned()
            },
            carry: PageQuery::carry(when),
        }
    }
}

/// "FY2026", or "FY2026/27" when the fiscal year does not start in January.
pub fn fiscal_label(start: NaiveDate) -> String {
    use chrono::Datelike as _;
    if start.month() == 1 && start.day() == 1 {
        format!("FY{}", start.year())
    } else {
        format!("FY{}/{:02}", start.year(), (start.year() + 1) % 100)
    }
}

#[derive(Template)]
#[template(path = "company.html")]
struct CompanyPage {
    chrome: Chrome,
    tenant_slug: String,
    tenant_name: String,
    when: WhenForm,
    company: Pace,
    whole_plan: Pace,
    departments: Vec<DepartmentCard>,
    heatmap: Vec<HeatRow>,
    company_whygos: Vec<WhyGoCard>,
    department_whygos: Vec<(String, String, Vec<WhyGoCard>)>,
    escalations: Vec<Attention>,
    needs_attention: Vec<Attention>,
    missing: Vec<Attention>,
}

struct DepartmentCard {
    key: String,
    name: String,
    head: String,
    pace: Pace,
}

struct HeatRow {
    name: String,
    href: String,
    cells: Vec<Pace>,
}

async fn company(
    State(state): State<AppState>,
    tenancy: Tenancy,
    Query(q): Query<PageQuery>,
) -> Result<Response, AppError> {
    let (plan, r, when) = params::load(&state, &tenancy, &q, Scope::Org).await?;
    let page = CompanyPage::build(&tenancy, &plan, r, &when);
    Ok(render(&page)?.into_response())
}

impl CompanyPage {
    fn build(tenancy: &Tenancy, plan: &Plan, r: Report, when: &When) -> Self {
        let slug = &plan.tenant.slug;
        let carry = PageQuery::carry(when);
        let when_form = WhenForm::new(format!("/{slug}"), when, plan, &r);
        CompanyPage {
            chrome: tenancy.chrome_for(&when_form.quarter_label),
            tenant_slug: slug.clone(),
            tenant_name: plan.tenant.name.clone(),
            when: when_form,
            company: Pace::of(&r.company),
            whole_plan: Pace::of(&r.whole_plan),
            departments: r
                .departments
                .iter()
                .map(|d| DepartmentCard {
                    key: d.key.clone(),
                    name: d.name.clone(),
                    head: d
                        .head
                        .as_deref()
                        .map(|k| plan.person_name(k).to_owned())
                        .unwrap_or_default(),
                    pace: Pace::new(d.status, d.credit, d.counts),
                })
                .collect(),
            heatmap: heatmap(plan, &r, &carry),
            company_whygos: company_cards(plan, &r, &carry),
            department_whygos: department_cards(plan, &r, &carry),
            escalations: r.escalations,
            needs_attention: r.needs_attention,
            missing: r.missing,
        }
    }
}

/// The company and each department, by quarter.
fn heatmap(plan: &Plan, r: &Report, carry: &str) -> Vec<HeatRow> {
    let slug = &plan.tenant.slug;
    r.heatmap(plan)
        .into_iter()
        .map(|row| HeatRow {
            href: if row.key.is_empty() {
                format!("/{slug}{carry}")
            } else {
                format!("/{slug}/departments/{}{carry}", row.key)
            },
            name: row.name,
            cells: row
                .quarters
                .iter()
                .map(|q| Pace::new(q.status, q.credit, q.counts))
                .collect(),
        })
        .collect()
}

fn company_cards(plan: &Plan, r: &Report, carry: &str) -> Vec<WhyGoCard> {
    r.whygos
        .iter()
        .filter(|w| w.level == Level::Company)
        .map(|w| WhyGoCard::new(plan, r, w, carry))
        .collect()
}

/// Each department that has WhyGOs: its key, name and their cards.
fn department_cards(plan: &Plan, r: &Report, carry: &str) -> Vec<(String, String, Vec<WhyGoCard>)> {
    plan.departments
        .iter()
        .map(|d| {
            let cards: Vec<WhyGoCard> = r
                .whygos
                .iter()
                .filter(|w| {
                    w.level == Level::Department && w.department.as_deref() == Some(d.key.as_str())
                })
                .map(|w| WhyGoCard::new(plan, r, w, carry))
                .collect();
            (d.key.clone(), d.name.clone(), cards)
        })
        .filter(|(_, _, cards)| !cards.is_empty())
        .collect()
}

#[derive(Template)]
#[template(path = "sync.html")]
struct SyncPage {
    chrome: Chrome,
    tenant_slug: String,
    tenant_name: String,
    when: WhenForm,
    since: String,
    company: Pace,
    whole_plan: Pace,
    company_whygos: Vec<WhyGoCard>,
    departments: Vec<(String, Pace)>,
    escalations: Vec<Attention>,
    needs_attention: Vec<Attention>,
    missing: Vec<Attention>,
    changes: Vec<StatusChange>,
    new_actuals: Vec<NewActual>,
    commitments: super::commitments::SyncCommitments,
}

struct StatusChange {
    whygo: String,
    outcome: String,
    before: Status,
    after: Status,
    better: bool,
}

struct NewActual {
    whygo: String,
    outcome: String,
    quarter: Quarter,
    value: String,
    by: String,
    date: String,
    note: String,
}

/// The weekly leadership sync: what is off pace, what changed in the seven
/// days before the as-of date, and who has not checked in.
async fn sync(
    State(state): State<AppState>,
    tenancy: Tenancy,
    Query(q): Query<PageQuery>,
) -> Result<Response, AppError> {
    let (plan, r, when) = params::load(&state, &tenancy, &q, Scope::Org).await?;
    let commitments =
        super::commitments::sync_section(&state, &tenancy, &plan, when.as_of, r.quarter).await?;
    let page = SyncPage {
        commitments,
        ..SyncPage::build(&tenancy, &plan, r, &when)
    };
    Ok(render(&page)?.into_response())
}

impl SyncPage {
    fn build(tenancy: &Tenancy, plan: &Plan, r: Report, when: &When) -> Self {
        let slug = &plan.tenant.slug;
        let week_ago = when.as_of - Duration::days(7);
        let before = report::build_for(plan, week_ago, r.quarter);
        let when_form = WhenForm::new(format!("/{slug}/sync"), when, plan, &r);
        SyncPage {
            chrome: tenancy.chrome_for(&when_form.quarter_label),
            tenant_slug: slug.clone(),
            tenant_name: plan.tenant.name.clone(),
            when: when_form,
            since: week_ago.format("%A %-d %B").to_string(),
            company: Pace::of(&r.company),
            whole_plan: Pace::of(&r.whole_plan),
            company_whygos: company_cards(plan, &r, &PageQuery::carry(when)),
            departments: r
                .departments
                .iter()
                .map(|d| (d.name.clone(), Pace::new(d.status, d.credit, d.counts)))
                .collect(),
            changes: status_changes(&r, &before),
            new_actuals: new_actuals(plan, week_ago, when.as_of),
            escalations: r.escalations,
            needs_attention: r.needs_attention,
            missing: r.missing,
            // Read by the caller (`commitments::sync_section`).
            commitments: Default::default(),
        }
    }
}

/// The outcomes of WhyGOs in force whose status in the report's quarter is
/// not what it was a week before (`before`).
fn status_changes(r: &Report, before: &Report) -> Vec<StatusChange> {
    let rank = |s: Status| match s {
        Status::OnPace => 3,
        Status::SlightlyOff => 2,
        Status::OffPace => 1,
        Status::Missing | Status::NotScored => 0,
    };
    let mut changes = Vec::new();
    for (now_w, then_w) in r.whygos.iter().zip(&before.whygos) {
        for (now_o, then_o) in now_w.outcomes.iter().zip(&then_w.outcomes) {
            let i = r.quarter.index();
            let (Some(a), Some(b)) = (now_o.quarters.get(i), then_o.quarters.get(i)) else {
                continue;
            };
            if a.status != b.status && now_w.approval.in_force() {
                changes.push(StatusChange {
                    whygo: now_w.title.clone(),
                    outcome: now_o.name.clone(),
                    before: b.status,
                    after: a.status,
                    better: rank(a.status) > rank(b.status),
                });
            }
        }
    }
    changes
}

/// Actuals of WhyGOs in force dated after `week_ago` up to `as_of`, newest
/// first. Computed outcomes' values are not entered by anyone: not listed.
fn new_actuals(plan: &Plan, week_ago: NaiveDate, as_of: NaiveDate) -> Vec<NewActual> {
    let mut entered: Vec<_> = plan
        .whygos
        .iter()
        .filter(|w| w.in_force())
        .flat_map(|w| w.outcomes.iter().map(move |o| (w, o)))
        .filter(|(_, o)| !o.is_computed())
        .flat_map(|(w, o)| {
            o.actuals
                .iter()
                .filter(|a| a.date > week_ago && a.date <= as_of)
                .map(move |a| (w, o, a))
        })
        .collect();
    // Newest first, by the date (and the order of entry), not by its text.
    entered.sort_by_key(|(_, _, a)| std::cmp::Reverse((a.date, a.seq)));
    entered
        .into_iter()
        .map(|(w, o, a)| NewActual {
            whygo: w.title.clone(),
            outcome: o.name.clone(),
            quarter: a.quarter,
            value: a.value.clone(),
            by: a
                .by
                .as_deref()
                .map(|k| plan.person_name(k).to_owned())
                .unwrap_or_default(),
            date: a.date.format("%a %-d %b").to_string(),
            note: a.note.clone(),
        })
        .collect()
}

/// The weekly report as JSON: the same shape as `whygo report --format json`.
async fn report_json(
    State(state): State<AppState>,
    tenancy: Tenancy,
    Query(q): Query<PageQuery>,
) -> Result<Json<report::Report>, AppError> {
    let when = q.resolve(state.settings.today());
    if let Some(message) = when.as_of_error.or(when.quarter_error) {
        return Err(AppError::BadRequest(message));
    }
    let (_, r, _) = params::load(&state, &tenancy, &q, Scope::All).await?;
    Ok(Json(r))
}
