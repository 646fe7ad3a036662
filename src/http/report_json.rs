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
//! Page 1 builds the whole report (its roll-ups and lists cover every
//! WhyGO); a later page builds only its own WhyGOs and the approved ones
//! laddering to them ([`report::whygos_page`]). A 2,000-person
//! organization's whole report was 28 MB of JSON in one answer; its page 1
//! is about 3.6 MB (the lists) and the others about 0.5 MB (docs/api.md).

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

/// The roll-ups and lists of page 1.
struct Whole<'a> {
    company: &'a Rollup,
    whole_plan: &'a Rollup,
    departments: &'a [DepartmentReport],
    escalations: &'a [Attention],
    needs_attention: &'a [Attention],
    missing: &'a [Attention],
}

impl<'a> ReportPage<'a> {
    /// Page `page` of `total` WhyGOs, these being `whygos`; `whole` on
    /// page 1.
    fn new(
        plan: &'a Plan,
        when: &When,
        quarter: Quarter,
        (page, total): (usize, usize),
        whygos: &'a [WhyGoReport],
        whole: Option<Whole<'a>>,
    ) -> Self {
        let fy = plan.tenant.fiscal_year();
        let pages = pages(total);
        let slug = &plan.tenant.slug;
        ReportPage {
            tenant: slug,
            tenant_name: &plan.tenant.name,
            as_of: when.as_of,
            quarter,
            quarter_fraction: fy.elapsed_fraction(quarter, when.as_of),
            quarter_judged: when.as_of >= fy.quarter_start(quarter),
            company: whole.as_ref().map(|w| w.company),
            whole_plan: whole.as_ref().map(|w| w.whole_plan),
            departments: whole.as_ref().map(|w| w.departments),
            whygos,
            escalations: whole.as_ref().map(|w| w.escalations),
            needs_attention: whole.as_ref().map(|w| w.needs_attention),
            missing: whole.as_ref().map(|w| w.missing),
            page,
            pages,
            per_page: PER_PAGE,
            total_whygos: total,
            next: (page < pages).then(|| href(slug, when, page + 1)),
            previous: (page > 1).then(|| href(slug, when, page - 1)),
        }
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
    let plan = params::load_plan(&state, &tenancy, when.as_of, Scope::All).await?;
    // The date's quarter unless one is asked for, as the pages choose it.
    let quarter = when
        .quarter
        .unwrap_or_else(|| plan.tenant.fiscal_year().headline_quarter(when.as_of));
    // Page 1 builds the whole report (its roll-ups and lists cover every
    // WhyGO); a later page only its own WhyGOs and what ladders to them.
    let (r, rest);
    let body = if page == 1 {
        r = report::build_for(&plan, when.as_of, quarter);
        let total = r.whygos.len();
        let whole = Whole {
            company: &r.company,
            whole_plan: &r.whole_plan,
            departments: &r.departments,
            escalations: &r.escalations,
            needs_attention: &r.needs_attention,
            missing: &r.missing,
        };
        let first = &r.whygos[..PER_PAGE.min(total)];
        ReportPage::new(&plan, &when, quarter, (1, total), first, Some(whole))
    } else {
        let skip = (page - 1).saturating_mul(PER_PAGE);
        let (whygos, total) = report::whygos_page(&plan, when.as_of, quarter, skip, PER_PAGE);
        let pages = pages(total);
        if page > pages {
            return Ok(error(
                StatusCode::NOT_FOUND,
                &format!(
                    "There is no page {page}: this report has {pages} page{} of {PER_PAGE} WhyGOs.",
                    if pages == 1 { "" } else { "s" }
                ),
            ));
        }
        rest = whygos;
        ReportPage::new(&plan, &when, quarter, (page, total), &rest, None)
    };
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
