//! `/{tenant}/report.json`: the weekly report as JSON, a page of WhyGOs at a
//! time (`?page=N`, from 1, [`PER_PAGE`] WhyGOs a page, in the report's
//! order: company, department, then individual WhyGOs).
//!
//! Page 1 has the shape of `whygo report --format json` (the CLI stays
//! whole): the company and department roll-ups and the escalation,
//! needs-attention and missing lists, with only the first page of `whygos`.
//! Later pages leave the roll-ups and lists out. Every page adds `page`,
//! `pages`, `per_page`, `total_whygos`, and the `next` and `previous` pages'
//! addresses (null at either end), which carry the date and quarter so every
//! page is of the same report; the next page is also in a `Link` header
//! (`rel="next"`, and `rel="prev"`). An unreadable page (or date, or
//! quarter) answers 400 and a page after the last 404, each with
//! `{"error": "..."}`.
//!
//! A 2,000-person organization's whole report is 28 MB of JSON; a page is
//! well under a megabyte, so many clients at once no longer hold that much
//! each.

use axum::Json;
use axum::extract::{Query, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use super::params::{self, PageQuery, When};
use super::{AppError, AppState, Tenancy};
use crate::db::plan::Scope;
use crate::domain::calendar::Quarter;
use crate::domain::report::{Attention, DepartmentReport, Report, WhyGoReport};
use crate::domain::rollup::Rollup;

/// WhyGOs a page: the Kartel demo fits in one.
pub const PER_PAGE: usize = 100;

#[derive(Clone, Debug, Default, Deserialize)]
pub struct ReportQuery {
    pub as_of: Option<String>,
    pub quarter: Option<String>,
    pub page: Option<String>,
}

/// One page of the report. The fields of [`Report`] keep their names; the
/// roll-ups and lists are on page 1 only.
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
    whygos: &'a [WhyGoReport],
    #[serde(skip_serializing_if = "Option::is_none")]
    escalations: Option<&'a [Attention]>,
    #[serde(skip_serializing_if = "Option::is_none")]
    needs_attention: Option<&'a [Attention]>,
    #[serde(skip_serializing_if = "Option::is_none")]
    missing: Option<&'a [Attention]>,
    page: usize,
    pages: usize,
    per_page: usize,
    total_whygos: usize,
    next: Option<String>,
    previous: Option<String>,
}

/// An error of this endpoint, as JSON.
fn error(status: StatusCode, message: &str) -> Response {
    (status, Json(serde_json::json!({ "error": message }))).into_response()
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

/// The address of page `n` of the same report (date and quarter kept).
fn href(slug: &str, when: &When, n: usize) -> String {
    format!("/{slug}/report.json{}&page={n}", PageQuery::carry(when))
}

fn page_of<'a>(r: &'a Report, when: &When, page: usize) -> ReportPage<'a> {
    let total = r.whygos.len();
    let pages = pages(total);
    let start = (page - 1) * PER_PAGE;
    let whygos = &r.whygos[start.min(total)..(start + PER_PAGE).min(total)];
    let first = page == 1;
    ReportPage {
        tenant: &r.tenant,
        tenant_name: &r.tenant_name,
        as_of: r.as_of,
        quarter: r.quarter,
        quarter_fraction: r.quarter_fraction,
        quarter_judged: r.quarter_judged,
        company: first.then_some(&r.company),
        whole_plan: first.then_some(&r.whole_plan),
        departments: first.then_some(r.departments.as_slice()),
        whygos,
        escalations: first.then_some(r.escalations.as_slice()),
        needs_attention: first.then_some(r.needs_attention.as_slice()),
        missing: first.then_some(r.missing.as_slice()),
        page,
        pages,
        per_page: PER_PAGE,
        total_whygos: total,
        next: (page < pages).then(|| href(&r.tenant, when, page + 1)),
        previous: (page > 1).then(|| href(&r.tenant, when, page - 1)),
    }
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
    if let Some(message) = when.as_of_error.as_ref().or(when.quarter_error.as_ref()) {
        return Ok(error(StatusCode::BAD_REQUEST, message));
    }
    let page = match read_page(q.page.as_deref()) {
        Ok(n) => n,
        Err(message) => return Ok(error(StatusCode::BAD_REQUEST, &message)),
    };
    let (_, r, when) = params::load(&state, &tenancy, &query, Scope::All).await?;
    let pages = pages(r.whygos.len());
    if page > pages {
        return Ok(error(
            StatusCode::NOT_FOUND,
            &format!(
                "There is no page {page}: this report has {pages} page{} of {PER_PAGE} WhyGOs.",
                if pages == 1 { "" } else { "s" }
            ),
        ));
    }
    let body = page_of(&r, &when, page);
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
    Ok(res)
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
