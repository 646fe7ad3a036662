//! `GET /api/v1/{tenant}/engagements` and `…/engagements/{key}`: the
//! engagements and their handoffs (phase, SLA standing in words, checklist),
//! read as the engagements pages read them
//! ([`crate::app::operations::records`]), as of now or the end of `as_of`.
//! One engagement also lists every step of its handoffs.

use axum::Json;
use axum::extract::State;
use axum::response::Response;
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::auth::Caller;
use super::json::{Page, Paging, href, page_of, paged};
use super::{Refusals, when};
use crate::db::operations::{EngagementRow, Loaded};
use crate::domain::operations::StepKind;
use crate::domain::operations::sources::end_of_day;
use crate::http::params::{Path, Query};
use crate::http::{AppError, AppState};

#[derive(Clone, Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct EngagementQuery {
    /// Replays the records as they stood at the end of this day,
    /// YYYY-MM-DD (default now).
    pub as_of: Option<String>,
    /// The page, from 1.
    pub page: Option<String>,
    /// Engagements a page, 1 to 200 (default 50).
    pub per_page: Option<String>,
}

#[derive(Clone, Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AsOf {
    /// Replays the records as they stood at the end of this day (default now).
    pub as_of: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct ChecklistItem {
    pub item: String,
    pub ticked: bool,
}

#[derive(Serialize, ToSchema)]
pub struct SentBack {
    pub at: DateTime<Utc>,
    pub reason: String,
}

#[derive(Serialize, ToSchema)]
pub struct StepOut {
    pub at: DateTime<Utc>,
    /// Who (a person key, or an account's label).
    pub by: String,
    /// `open`, `tick`, `untick`, `submit`, `accept`, `send back`, `set needed-by date`.
    pub step: String,
    /// The checklist item a tick or untick is about.
    pub item: Option<String>,
    pub reason: Option<String>,
    pub needed_by: Option<NaiveDate>,
}

#[derive(Serialize, ToSchema)]
pub struct Handoff {
    /// The handoff type's key (the `{type}` of its step addresses).
    pub handoff_type: String,
    /// Its number in the cycle: 1 for "#1".
    pub number: u32,
    pub name: String,
    /// Department keys.
    pub from: String,
    pub to: String,
    /// `not opened yet`, `being prepared`, `submitted, awaiting an answer`,
    /// `sent back`, `accepted`.
    pub phase: String,
    /// `not opened`, `open`, `due`, `late`, `done`, `breached`.
    pub standing: String,
    /// The SLA clock in words ("due in 20 h", "late by 6 h").
    pub words: String,
    pub opened_at: Option<DateTime<Utc>>,
    pub deadline: Option<DateTime<Utc>>,
    pub accepted_at: Option<DateTime<Utc>>,
    pub submissions: u32,
    pub checklist: Vec<ChecklistItem>,
    pub sent_back: Vec<SentBack>,
    /// Every step, oldest first (one engagement's answer only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub steps: Option<Vec<StepOut>>,
}

#[derive(Serialize, ToSchema)]
pub struct Engagement {
    pub key: String,
    pub name: String,
    pub client: String,
    pub vertical: String,
    /// The cycle's key (`client`, …).
    pub cycle: String,
    /// Person keys.
    pub producer: Option<String>,
    pub account_manager: Option<String>,
    pub sow_signed: Option<NaiveDate>,
    pub pod_started: Option<NaiveDate>,
    pub delivered: Option<NaiveDate>,
    pub closed: Option<NaiveDate>,
    /// `active`, `won`/`closed`, `lost`, … as stored.
    pub status: String,
    /// Invented for the demo.
    pub demo: bool,
    pub handoffs: Vec<Handoff>,
}

/// An engagement with its handoffs as of the records' instant.
fn engagement(loaded: &Loaded, row: &EngagementRow, steps: bool) -> Engagement {
    let as_of = loaded.as_of;
    let cycle = loaded.cycles.iter().find(|c| c.key == row.cycle_key);
    let handoffs = loaded
        .handoffs
        .iter()
        .filter(|h| h.engagement == row.key)
        .filter_map(|h| {
            let t = cycle.and_then(|c| c.get(&h.handoff_type))?;
            let state = h.state(&t.sla, as_of);
            Some(Handoff {
                handoff_type: t.key.clone(),
                number: t.number,
                name: t.name.clone(),
                from: t.from.clone(),
                to: t.to.clone(),
                phase: state.phase.words().to_owned(),
                standing: state.standing.label().to_owned(),
                words: state.words(),
                opened_at: state.opened_at,
                deadline: state.deadline.instant(),
                accepted_at: state.accepted_at,
                submissions: state.submissions,
                checklist: h
                    .checklist
                    .iter()
                    .zip(state.ticked.iter().chain(std::iter::repeat(&false)))
                    .map(|(item, ticked)| ChecklistItem {
                        item: item.clone(),
                        ticked: *ticked,
                    })
                    .collect(),
                sent_back: state
                    .sent_back
                    .iter()
                    .map(|(at, reason)| SentBack {
                        at: *at,
                        reason: reason.clone(),
                    })
                    .collect(),
                steps: steps.then(|| {
                    h.steps
                        .iter()
                        .filter(|s| s.at <= as_of)
                        .map(|s| StepOut {
                            at: s.at,
                            by: s.by.clone(),
                            step: s.kind.verb().to_owned(),
                            item: match &s.kind {
                                StepKind::Ticked(i) | StepKind::Unticked(i) => {
                                    h.checklist.get(*i).cloned()
                                }
                                _ => None,
                            },
                            reason: match &s.kind {
                                StepKind::SentBack(r) => Some(r.clone()),
                                _ => None,
                            },
                            needed_by: match &s.kind {
                                StepKind::NeededBy(d) => Some(*d),
                                _ => None,
                            },
                        })
                        .collect()
                }),
            })
        })
        .collect();
    Engagement {
        key: row.key.clone(),
        name: row.name.clone(),
        client: row.client.clone(),
        vertical: row.vertical.clone(),
        cycle: row.cycle_key.clone(),
        producer: row.producer.clone(),
        account_manager: row.account_manager.clone(),
        sow_signed: row.sow_signed,
        pod_started: row.pod_started,
        delivered: row.delivered,
        closed: row.closed,
        status: row.status.clone(),
        demo: row.demo,
        handoffs,
    }
}

/// The records as of the end of `as_of`, or now.
async fn records(
    state: &AppState,
    caller: &Caller,
    as_of: Option<&str>,
) -> Result<Loaded, AppError> {
    let day = match as_of.map(str::trim).filter(|s| !s.is_empty()) {
        None => None,
        Some(_) => Some(when(state.settings.today(), as_of, None)?.0),
    };
    let instant = day.map_or_else(Utc::now, end_of_day);
    Ok(crate::app::operations::records(&state.pool, &caller.acting(), instant).await?)
}

/// Engagements and their handoffs
///
/// Each handoff's phase, SLA standing in words, checklist and send-backs, as of now or the end of `as_of`, paged.
#[utoipa::path(
    get,
    path = "/api/v1/{tenant}/engagements",
    tag = "operations",
    params(("tenant" = String, Path, description = "The organization's slug"), EngagementQuery),
    responses((status = 200, body = Page<Engagement>), Refusals)
)]
pub async fn list(
    State(state): State<AppState>,
    caller: Caller,
    Query(q): Query<EngagementQuery>,
) -> Result<Response, AppError> {
    let (page, per_page) = Paging {
        page: q.page.clone(),
        per_page: q.per_page.clone(),
    }
    .read()?;
    let loaded = records(&state, &caller, q.as_of.as_deref()).await?;
    let all: Vec<Engagement> = loaded
        .rows
        .iter()
        .map(|row| engagement(&loaded, row, false))
        .collect();
    let path = format!("/api/v1/{}/engagements", caller.tenancy.tenant.slug);
    let params = [("as_of", q.as_of.clone().unwrap_or_default())];
    let page = page_of(all, page, per_page, |n| href(&path, &params, per_page, n))?;
    Ok(paged(&page))
}

/// One engagement, with every step of its handoffs
#[utoipa::path(
    get,
    path = "/api/v1/{tenant}/engagements/{key}",
    tag = "operations",
    params(
        ("tenant" = String, Path, description = "The organization's slug"),
        ("key" = String, Path, description = "The engagement's key"),
        AsOf
    ),
    responses((status = 200, body = Engagement), Refusals)
)]
pub async fn show(
    State(state): State<AppState>,
    caller: Caller,
    Path((_, key)): Path<(String, String)>,
    Query(q): Query<AsOf>,
) -> Result<Json<Engagement>, AppError> {
    let loaded = records(&state, &caller, q.as_of.as_deref()).await?;
    let row = loaded
        .rows
        .iter()
        .find(|r| r.key == key)
        .ok_or(AppError::NotFound)?;
    Ok(Json(engagement(&loaded, row, true)))
}
