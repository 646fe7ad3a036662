//! `/{tenant}/report.json`: the weekly report as JSON, a page of WhyGOs at a
//! time (`?page=N`, from 1, [`PER_PAGE`] WhyGOs a page, in the report's
//! order: company, department, then individual WhyGOs).
//!
//! Page 1 has the shape of `whygo report --format json` (the CLI stays
//! whole): the company and department roll-ups, then the first
//! [`PER_PAGE`] WhyGOs and the first [`PER_PAGE`] entries of each of the
//! escalation, needs-attention and missing lists. Page N has the N-th slice
//! of every list (empty once a list is done) and leaves the roll-ups out, so
//! following `next` from page 1 to the last gives the whole report; each
//! list's length is on every page (`escalations_total`...). Every page adds
//! `page`, `pages` (enough for the longest list), `per_page`,
//! `total_whygos`, and the `next` and `previous` pages' addresses (null at
//! either end), which carry the date and quarter so every page is of the
//! same report; the next page is also in a `Link` header (`rel="next"`, and
//! `rel="prev"`). An unreadable page (or date, or quarter) answers 400 and a
//! page after the last 404, each with `{"error": "...", "field": "page"}`;
//! every other refusal (not signed in: 401, not a member: 404, an address
//! that cannot be read: 400) is JSON too (`error.rs`).
//!
//! A 2,000-person organization's whole report was 28 MB of JSON in one
//! answer, 3.6 MB on page 1 with the lists whole; a page is now about
//! 0.5 MB. Every page is cut from the whole report, which the plan and page
//! caches build once per data version (docs/performance.md).

use std::sync::Arc;

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use super::error::json_error;
use super::params::{self, PageQuery, Query, When};
use super::{AppError, AppState, Tenancy};
use crate::db::plan::Scope;
use crate::domain::calendar::Quarter;
use crate::domain::plan::Plan;
use crate::domain::report::{self, Attention, DepartmentReport, WhyGoReport};
use crate::domain::rollup::Rollup;

/// WhyGOs a page: the Kartel demo fits in one.
pub const PER_PAGE: usize = 100;

#[derive(Clone, Debug, Default, Deserialize)]
pub struct ReportQuery {
    pub as_of: Option<String>,
    pub quarter: Option<String>,
    pub page: Option<String>,
}

/// One page of the report. The fields of [`report::Report`] keep their
/// names; the roll-ups and lists are on page 1 only.
#[derive(Serialize)]
struct ReportPage<'a> {
    tenant: &'a str,
    tenant_name: &'a str,
    as_of: NaiveDate,
    quarter: Quarter,
    quarter_fraction: f64,
    quarter_judged: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    company: Option<&'a Rollup>,
    #[serde(skip_serializing_if = "Option::is_none")]
    whole_plan: Option<&'a Rollup>,
    #[serde(skip_serializing_if = "Option::is_none")]
    departments: Option<&'a [DepartmentReport]>,
    whygos: &'a [Arc<WhyGoReport>],
    escalations: &'a [Attention],
    needs_attention: &'a [Attention],
    missing: &'a [Attention],
    escalations_total: usize,
    needs_attention_total: usize,
    missing_total: usize,
    page: usize,
    pages: usize,
    per_page: usize,
    total_whygos: usize,
    next: Option<String>,
    previous: Option<String>,
}

/// `?page=`: absent or empty is page 1.
fn read_page(s: Option<&str>) -> Result<usize, String> {
    let Some(s) = s.map(str::trim).filter(|s| !s.is_empty()) else {
        return Ok(1);
    };
    match s.parse::<usize>() {
        Ok(n) if n >= 1 => Ok(n),
        _ => Err(format!(
            "“{s}” is not a page: pages are numbered from 1 (?page=1)."
        )),
    }
}

/// How many pages `total` WhyGOs take (at least one, even empty).
fn pages(total: usize) -> usize {
    total.div_ceil(PER_PAGE).max(1)
}

/// The address of page `n` of the same report (date and quarter kept), at
/// `base` (`/{tenant}/report.json`, or the API's `/api/v1/{tenant}/report`).
fn href(base: &str, when: &When, n: usize) -> String {
    format!("{base}{}&page={n}", PageQuery::carry(when))
}

/// The roll-ups of page 1.
struct Rollups<'a> {
    company: &'a Rollup,
    whole_plan: &'a Rollup,
    departments: &'a [DepartmentReport],
}

/// Page `page` of `list`: its slice (empty past its end).
fn slice<T>(list: &[T], page: usize) -> &[T] {
    let start = (page - 1).saturating_mul(PER_PAGE).min(list.len());
    &list[start..(start + PER_PAGE).min(list.len())]
}

impl<'a> ReportPage<'a> {
    /// Page `page` of the report `r`, with its roll-ups on page 1; its
    /// neighbours' addresses at `base`.
    fn new(plan: &'a Plan, when: &When, r: &'a report::Report, page: usize, base: &str) -> Self {
        let fy = plan.tenant.fiscal_year();
        let pages = pages_of(r);
        let slug = &plan.tenant.slug;
        let rollups = (page == 1).then_some(Rollups {
            company: &r.company,
            whole_plan: &r.whole_plan,
            departments: &r.departments,
        });
        ReportPage {
            tenant: slug,
            tenant_name: &plan.tenant.name,
            as_of: when.as_of,
            quarter: r.quarter,
            quarter_fraction: fy.elapsed_fraction(r.quarter, when.as_of),
            quarter_judged: when.as_of >= fy.quarter_start(r.quarter),
            company: rollups.as_ref().map(|w| w.company),
            whole_plan: rollups.as_ref().map(|w| w.whole_plan),
            departments: rollups.as_ref().map(|w| w.departments),
            whygos: slice(&r.whygos, page),
            escalations: slice(&r.escalations, page),
            needs_attention: slice(&r.needs_attention, page),
            missing: slice(&r.missing, page),
            escalations_total: r.escalations.len(),
            needs_attention_total: r.needs_attention.len(),
            missing_total: r.missing.len(),
            page,
            pages,
            per_page: PER_PAGE,
            total_whygos: r.whygos.len(),
            next: (page < pages).then(|| href(base, when, page + 1)),
            previous: (page > 1).then(|| href(base, when, page - 1)),
        }
    }
}

/// How many pages the report takes: enough for its longest list.
fn pages_of(r: &report::Report) -> usize {
    [
        r.whygos.len(),
        r.escalations.len(),
        r.needs_attention.len(),
        r.missing.len(),
    ]
    .into_iter()
    .map(pages)
    .max()
    .unwrap_or(1)
}

pub async fn report_json(
    State(state): State<AppState>,
    tenancy: Tenancy,
    Query(q): Query<ReportQuery>,
) -> Result<Response, AppError> {
    let query = PageQuery {
        as_of: q.as_of,
        quarter: q.quarter,
    };
    let when = query.resolve(state.settings.today());
    let path = format!("/{}/report.json", tenancy.tenant.slug);
    let bad = |field: &str, message: &str| AppError::BadQuery {
        field: Some(field.to_owned()),
        message: message.to_owned(),
        path: path.clone(),
    };
    // The pages show today instead of an unreadable date; this answers 400.
    if let Some(message) = &when.as_of_error {
        return Err(bad(
            "as_of",
            message.trim_end_matches(" Showing today instead."),
        ));
    }
    if let Some(message) = &when.quarter_error {
        return Err(bad("quarter", message));
    }
    let page = read_page(q.page.as_deref()).map_err(|message| bad("page", &message))?;
    // The date's quarter unless one is asked for, as the pages choose it.
    let (plan, r) =
        params::load_report(&state, &tenancy, when.as_of, when.quarter, Scope::All).await?;
    Ok(answer(&plan, &when, &r, page, &path))
}

/// Page `page` of the report as the answer (JSON, with its `Link` header),
/// its neighbours' addresses at `base`; a page after the last is a 404
/// naming `page`. The API's report (`/api/v1/{tenant}/report`) answers the
/// same.
pub fn answer(plan: &Plan, when: &When, r: &report::Report, page: usize, base: &str) -> Response {
    let pages = pages_of(r);
    if page > pages {
        return json_error(
            StatusCode::NOT_FOUND,
            &format!(
                "There is no page {page}: this report has {pages} page{} of {PER_PAGE} entries a list.",
                if pages == 1 { "" } else { "s" }
            ),
            Some("page"),
        );
    }
    let body = ReportPage::new(plan, when, r, page, base);
    let links: Vec<String> = [(&body.next, "next"), (&body.previous, "prev")]
        .into_iter()
        .filter_map(|(to, rel)| Some(format!("<{}>; rel=\"{rel}\"", to.as_ref()?)))
        .collect();
    let mut res = Json(&body).into_response();
    if let Ok(v) = HeaderValue::from_str(&links.join(", ")) {
        if !links.is_empty() {
            res.headers_mut().insert(header::LINK, v);
        }
    }
    res
}

/// `?page=` read as the report reads it (absent or empty: 1).
pub fn read_report_page(s: Option<&str>) -> Result<usize, String> {
    read_page(s)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_page_is_page_one_and_pages_count_from_one() {
        assert_eq!(read_page(None), Ok(1));
        assert_eq!(read_page(Some(" ")), Ok(1));
        assert_eq!(read_page(Some("3")), Ok(3));
        assert!(read_page(Some("0")).is_err());
        assert!(read_page(Some("-1")).is_err());
        assert!(read_page(Some("two")).is_err_and(|e| e.contains("numbered from 1")));
    }

    #[test]
    fn an_empty_report_still_has_one_page() {
        assert_eq!(pages(0), 1);
        assert_eq!(pages(PER_PAGE), 1);
        assert_eq!(pages(PER_PAGE + 1), 2);
        assert_eq!(pages(7_000), 70);
    }
}
