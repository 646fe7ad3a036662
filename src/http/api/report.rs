//! `GET /api/v1/{tenant}/report`: the weekly report, a page at a time,
//! exactly as `/{tenant}/report.json` answers it (docs/api.md): the same
//! pages, fields, roll-ups and lists, built from the plan the token may see.

use axum::extract::State;
use axum::response::Response;
use serde::Deserialize;
use utoipa::IntoParams;

use super::auth::Caller;
use super::{Refusals, when};
use crate::db::plan::Scope;
use crate::http::params::{PageQuery, Query, load_report};
use crate::http::report_json::{answer, read_report_page};
use crate::http::{AppError, AppState};

#[derive(Clone, Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ReportQuery {
    /// The date the report is as of, YYYY-MM-DD (default today).
    pub as_of: Option<String>,
    /// The quarter of the roll-ups and lists, 1 to 4 (default the date's).
    pub quarter: Option<String>,
    /// The page, from 1: 100 WhyGOs and 100 entries of each list a page.
    pub page: Option<String>,
}

/// The weekly report, a page at a time
///
/// Exactly as `/{tenant}/report.json` pages it: roll-ups on page 1, 100 WhyGOs and 100 entries of each list a page.
#[utoipa::path(
    get,
    path = "/api/v1/{tenant}/report",
    tag = "plan",
    params(("tenant" = String, Path, description = "The organization's slug"), ReportQuery),
    responses(
        (status = 200, description = "A page of the weekly report, with the fields of `/{tenant}/report.json` (docs/api.md): `tenant`, `as_of`, `quarter`, `company`, `whole_plan` and `departments` (page 1), `whygos`, `escalations`, `needs_attention`, `missing`, `page`, `pages`, `next`, `previous`.", body = Object),
        Refusals
    )
)]
pub async fn show(
    State(state): State<AppState>,
    caller: Caller,
    Query(q): Query<ReportQuery>,
) -> Result<Response, AppError> {
    let (as_of, quarter) = when(
        state.settings.today(),
        q.as_of.as_deref(),
        q.quarter.as_deref(),
    )?;
    let page = read_report_page(q.page.as_deref()).map_err(|message| AppError::BadBody {
        field: Some("page".to_owned()),
        message,
    })?;
    let t = &caller.tenancy;
    let (plan, r) = load_report(&state, t, as_of, quarter, Scope::All).await?;
    let when = PageQuery {
        as_of: Some(as_of.to_string()),
        quarter: quarter.map(|q| q.number().to_string()),
    }
    .resolve(as_of);
    let base = format!("/api/v1/{}/report", t.tenant.slug);
    Ok(answer(&plan, &when, &r, page, &base))
}
