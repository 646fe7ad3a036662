//! `GET /api/v1/{tenant}/whygos` and `…/whygos/{key}`: WhyGOs with their
//! outcomes and each quarter's pacing as of `as_of`, from the same plan
//! and report the pages read ([`crate::http::params::load_report`]): an
//! individual WhyGO its token may not see is not in them, as on the pages.
//! One WhyGO also lists each outcome's history of actuals.

use std::collections::HashMap;

use axum::Json;
use axum::extract::State;
use axum::response::Response;
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::auth::Caller;
use super::json::{Page, Paging, href, page_of, paged};
use super::{Refusals, when};
use crate::db::plan::Scope;
use crate::domain::pacing::QuarterEval;
use crate::domain::plan::{Level, Plan, WhyGo as PlanWhyGo};
use crate::domain::report::WhyGoReport;
use crate::domain::rollup;
use crate::http::params::{Path, Query, load_report};
use crate::http::{AppError, AppState};

#[derive(Clone, Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct WhyGoQuery {
    /// The date the pacing is as of, YYYY-MM-DD (default today).
    pub as_of: Option<String>,
    /// The quarter of the WhyGOs' own and cascade paces, 1 to 4 (default
    /// the date's).
    pub quarter: Option<String>,
    /// Only this level: `company`, `department` or `individual`.
    pub level: Option<String>,
    /// Only the WhyGOs of this department (its own, and its people's).
    pub department: Option<String>,
    /// Only this person's individual WhyGOs.
    pub person: Option<String>,
    /// The page, from 1.
    pub page: Option<String>,
    /// WhyGOs a page, 1 to 200 (default 50).
    pub per_page: Option<String>,
}

#[derive(Clone, Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AsOfQuery {
    /// The date the pacing is as of, YYYY-MM-DD (default today).
    pub as_of: Option<String>,
    /// The quarter of the WhyGO's own and cascade paces, 1 to 4.
    pub quarter: Option<String>,
}

/// How many of its items are on pace, slightly off, off pace, missing.
#[derive(Clone, Copy, Serialize, ToSchema)]
pub struct Counts {
    #[serde(rename = "+")]
    pub on_pace: u32,
    #[serde(rename = "~")]
    pub slightly_off: u32,
    #[serde(rename = "-")]
    pub off_pace: u32,
    pub missing: u32,
}

impl From<rollup::Counts> for Counts {
    fn from(c: rollup::Counts) -> Self {
        Counts {
            on_pace: c.on_pace,
            slightly_off: c.slightly_off,
            off_pace: c.off_pace,
            missing: c.missing,
        }
    }
}

/// A company or department WhyGO's cascade pace: the mean own credit of
/// the approved WhyGOs laddering to it.
#[derive(Serialize, ToSchema)]
pub struct Cascade {
    pub credit: Option<f64>,
    /// `+`, `~`, `-`, `missing` or `none`.
    pub status: String,
    pub counts: Counts,
    pub whygos: u32,
}

/// One quarter of an outcome, judged as of the date.
#[derive(Serialize, ToSchema)]
pub struct Quarter {
    pub quarter: u8,
    /// The target as written ("$1.5M", "90%+", "MVP", "TBD", "—").
    pub target: String,
    /// False for a quarter after the date.
    pub judged: bool,
    /// The expected value on the line (a stage's index for stages).
    pub expected: Option<f64>,
    pub expected_text: Option<String>,
    /// The counting actual, as entered.
    pub actual: Option<String>,
    pub actual_date: Option<NaiveDate>,
    /// The quarter whose reading stands in during this one's first days.
    pub carried_from: Option<u8>,
    pub credit: Option<f64>,
    /// `+`, `~`, `-`, `missing` or `none`.
    pub status: String,
    /// The status in words, with its inputs.
    pub explanation: String,
}

impl From<&QuarterEval> for Quarter {
    fn from(q: &QuarterEval) -> Self {
        Quarter {
            quarter: q.quarter.number(),
            target: q.target.clone(),
            judged: q.judged,
            expected: q.expected,
            expected_text: q.expected_text.clone(),
            actual: q.actual.clone(),
            actual_date: q.actual_date,
            carried_from: q.carried_from.map(crate::domain::calendar::Quarter::number),
            credit: q.credit,
            status: q.status.symbol().to_owned(),
            explanation: q.explanation.clone(),
        }
    }
}

/// An entry of an outcome's history (append-only: the latest of a quarter
/// on or before a date counts).
#[derive(Serialize, ToSchema)]
pub struct Actual {
    pub quarter: u8,
    pub value: String,
    pub note: String,
    /// The day it was entered.
    pub date: NaiveDate,
    /// Who entered it (a person key).
    pub by: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct Outcome {
    pub key: String,
    pub name: String,
    /// Person keys.
    pub owners: Vec<String>,
    pub weight: f64,
    /// Computed from records (no check-ins taken).
    pub computed: bool,
    pub quarters: Vec<Quarter>,
    /// Every actual entered, oldest first (one WhyGO's answer only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub history: Option<Vec<Actual>>,
}

#[derive(Serialize, ToSchema)]
pub struct WhyGo {
    pub key: String,
    /// `company`, `department` or `individual`.
    pub level: String,
    pub department: Option<String>,
    /// An individual WhyGO's person key.
    pub person: Option<String>,
    pub owner: Option<String>,
    pub number: Option<i32>,
    pub title: String,
    pub why: String,
    pub goal: String,
    /// `draft`, `submitted`, `approved`, `changes_requested` (only approved
    /// WhyGOs count in roll-ups).
    pub approval: String,
    /// The keys of the WhyGOs it ladders to, primary first.
    pub ladders_to: Vec<String>,
    /// Its own pace in the quarter: the weighted mean credit of its outcomes.
    pub credit: Option<f64>,
    pub status: String,
    pub counts: Counts,
    pub cascade: Option<Cascade>,
    pub outcomes: Vec<Outcome>,
}

/// A WhyGO's answer: its report part (pacing) and its plan part (texts,
/// history when asked).
fn whygo(r: &WhyGoReport, w: Option<&PlanWhyGo>, history: bool) -> WhyGo {
    let plan_outcomes: HashMap<&str, &crate::domain::plan::Outcome> = w
        .map(|w| w.outcomes.iter().map(|o| (o.key.as_str(), o)).collect())
        .unwrap_or_default();
    WhyGo {
        key: r.key.clone(),
        level: r.level.as_str().to_owned(),
        department: r.department.clone(),
        person: r.person.clone(),
        owner: r.owner.clone(),
        number: r.number,
        title: r.title.clone(),
        why: w.map(|w| w.why.clone()).unwrap_or_default(),
        goal: w.map(|w| w.goal.clone()).unwrap_or_default(),
        approval: r.approval.as_str().to_owned(),
        ladders_to: r.ladders_to.clone(),
        credit: r.credit,
        status: r.status.symbol().to_owned(),
        counts: r.counts.into(),
        cascade: r.cascade.as_ref().map(|c| Cascade {
            credit: c.credit,
            status: c.status.symbol().to_owned(),
            counts: c.counts.into(),
            whygos: c.whygos,
        }),
        outcomes: r
            .outcomes
            .iter()
            .map(|o| {
                let plan = plan_outcomes.get(o.key.as_str());
                Outcome {
                    key: o.key.clone(),
                    name: o.name.clone(),
                    owners: o.owners.clone(),
                    weight: o.weight,
                    computed: plan.is_some_and(|p| p.is_computed()),
                    quarters: o.quarters.iter().map(Quarter::from).collect(),
                    history: history.then(|| {
                        plan.map(|p| {
                            p.actuals
                                .iter()
                                .map(|a| Actual {
                                    quarter: a.quarter.number(),
                                    value: a.value.clone(),
                                    note: a.note.clone(),
                                    date: a.date,
                                    by: a.by.clone(),
                                })
                                .collect()
                        })
                        .unwrap_or_default()
                    }),
                }
            })
            .collect(),
    }
}

/// Whether WhyGO `r` belongs to department `d`: its own, or its person's.
fn of_department(plan: &Plan, r: &WhyGoReport, d: &str) -> bool {
    r.department.as_deref() == Some(d)
        || r.person
            .as_deref()
            .and_then(|p| plan.person(p))
            .is_some_and(|p| p.department.as_deref() == Some(d))
}

/// WhyGOs with their outcomes and pacing
///
/// The WhyGOs the token may see (as on the pages), with each outcome's four quarters judged as of `as_of`, filtered by level, department or person, paged.
#[utoipa::path(
    get,
    path = "/api/v1/{tenant}/whygos",
    tag = "plan",
    params(("tenant" = String, Path, description = "The organization's slug"), WhyGoQuery),
    responses((status = 200, body = Page<WhyGo>), Refusals)
)]
pub async fn list(
    State(state): State<AppState>,
    caller: Caller,
    Query(q): Query<WhyGoQuery>,
) -> Result<Response, AppError> {
    let (page, per_page) = Paging {
        page: q.page.clone(),
        per_page: q.per_page.clone(),
    }
    .read()?;
    let (as_of, quarter) = when(
        state.settings.today(),
        q.as_of.as_deref(),
        q.quarter.as_deref(),
    )?;
    let given = |s: &Option<String>| {
        s.as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
    };
    let (level_in, department, person) = (given(&q.level), given(&q.department), given(&q.person));
    let level = match level_in.as_deref() {
        None => None,
        Some(l) => Some(Level::parse(l).ok_or_else(|| AppError::BadBody {
            field: Some("level".to_owned()),
            message: format!("“{l}” is not a level: use company, department or individual."),
        })?),
    };
    // The narrowest plan that holds what is asked for.
    let scope = match (&person, &department) {
        (Some(p), _) => Scope::Person(p),
        (None, Some(d)) => Scope::Department(d),
        (None, None) => Scope::All,
    };
    let t = &caller.tenancy;
    let (plan, report) = load_report(&state, t, as_of, quarter, scope).await?;
    if let Some(d) = &department {
        if plan.department(d).is_none() {
            return Err(AppError::Missing {
                field: Some("department".to_owned()),
                message: format!("There is no department “{d}” here."),
            });
        }
    }
    if let Some(p) = &person {
        if plan.person(p).is_none() {
            return Err(AppError::Missing {
                field: Some("person".to_owned()),
                message: format!("There is no person “{p}” here."),
            });
        }
    }
    let all: Vec<WhyGo> = report
        .whygos
        .iter()
        .filter(|r| level.is_none_or(|l| r.level == l))
        .filter(|r| {
            person
                .as_deref()
                .is_none_or(|p| r.person.as_deref() == Some(p))
        })
        .filter(|r| {
            department
                .as_deref()
                .is_none_or(|d| of_department(&plan, r, d))
        })
        .map(|r| whygo(r, plan.whygo(&r.key), false))
        .collect();
    let path = format!("/api/v1/{}/whygos", t.tenant.slug);
    let params = [
        ("as_of", as_of.to_string()),
        ("quarter", report.quarter.number().to_string()),
        ("level", level_in.unwrap_or_default()),
        ("department", department.unwrap_or_default()),
        ("person", person.unwrap_or_default()),
    ];
    let page = page_of(all, page, per_page, |n| href(&path, &params, per_page, n))?;
    Ok(paged(&page))
}

/// One WhyGO with its outcomes, pacing and history of actuals
#[utoipa::path(
    get,
    path = "/api/v1/{tenant}/whygos/{key}",
    tag = "plan",
    params(
        ("tenant" = String, Path, description = "The organization's slug"),
        ("key" = String, Path, description = "The WhyGO's key"),
        AsOfQuery
    ),
    responses((status = 200, body = WhyGo), Refusals)
)]
pub async fn show(
    State(state): State<AppState>,
    caller: Caller,
    Path((_, key)): Path<(String, String)>,
    Query(q): Query<AsOfQuery>,
) -> Result<Json<WhyGo>, AppError> {
    let (as_of, quarter) = when(
        state.settings.today(),
        q.as_of.as_deref(),
        q.quarter.as_deref(),
    )?;
    let (plan, report) =
        load_report(&state, &caller.tenancy, as_of, quarter, Scope::WhyGo(&key)).await?;
    let r = report
        .whygos
        .iter()
        .find(|r| r.key == key)
        .ok_or(AppError::NotFound)?;
    Ok(Json(whygo(r, plan.whygo(&key), true)))
}
