//! What every page is "as of": the date (default today) and the quarter
//! (default the date's). An unreadable value keeps what was typed and says
//! why next to the field; the page shows today instead. A date that reads but
//! lies outside the years whygo computes with (see [`read_date`]) is refused
//! with a 400 before any handler runs (`guard`); here it is only explained.
//!
//! And how every route reads its query string and form: [`Query`] and
//! [`Form`], axum's with their refusals made [`AppError`]s (the site's 400
//! page naming the parameter, JSON on JSON routes), never axum's plain text.
//! `clippy.toml` forbids axum's own.

use std::sync::Arc;

use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use chrono::NaiveDate;
use serde::Deserialize;
use serde::de::DeserializeOwned;

use super::{AppError, AppState, Tenancy};
use crate::db;
use crate::domain::calendar::Quarter;
use crate::domain::plan::Plan;
use crate::domain::report::{self, Report};

/// The years a date may have: four digits, as YYYY-MM-DD says. chrono reads
/// years from -262143 to 262142, where the calendar arithmetic of a page
/// (quarters, fiscal years, week offsets) overflows.
pub const FIRST_YEAR: i32 = 1000;
pub const LAST_YEAR: i32 = 9999;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DateError {
    /// Not YYYY-MM-DD at all (or no such day).
    Unreadable,
    /// A date, but outside [`FIRST_YEAR`]..=[`LAST_YEAR`].
    OutOfRange,
}

/// A YYYY-MM-DD date within the years whygo handles.
/// A list's `?page=` (from 1; none or empty: the first), or 400.
pub fn page_number(text: Option<&str>) -> Result<usize, AppError> {
    match text.map(str::trim) {
        None | Some("") => Ok(1),
        Some(text) => match text.parse::<usize>() {
            Ok(n) if n >= 1 => Ok(n),
            _ => Err(AppError::BadRequest(
                "page: a whole number from 1".to_owned(),
            )),
        },
    }
}

pub fn read_date(s: &str) -> Result<NaiveDate, DateError> {
    use chrono::Datelike as _;
    let date =
        NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d").map_err(|_| DateError::Unreadable)?;
    if (FIRST_YEAR..=LAST_YEAR).contains(&date.year()) {
        Ok(date)
    } else {
        Err(DateError::OutOfRange)
    }
}

/// The message for a date outside the years whygo handles.
pub fn out_of_range_message(input: &str) -> String {
    format!(
        "“{input}” is out of range: use a date between the years {FIRST_YEAR} and {LAST_YEAR} (YYYY-MM-DD)."
    )
}

/// The query string read into `T`, as `axum::extract::Query` reads it. One
/// it cannot read (a parameter given twice where one is expected) is
/// [`AppError::BadQuery`], whose message names the parameter and its values.
#[derive(Clone, Copy, Debug, Default)]
pub struct Query<T>(pub T);

impl<T, S> FromRequestParts<S> for Query<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, AppError> {
        let query = parts.uri.query().unwrap_or_default();
        serde_urlencoded::from_str(query)
            .map(Query)
            .map_err(|e| AppError::BadQuery {
                field: field_of(&e.to_string()),
                message: query_message(query, &e.to_string()),
                path: parts.uri.path().to_owned(),
            })
    }
}

/// The address's parameters read into `T`, as `axum::extract::Path` reads
/// them. Every key in whygo is text, so one that cannot be read (bytes
/// that are not UTF-8, say `%FF`) names nothing there is: the site's 404
/// page (JSON on JSON routes), not axum's plain-text rejection.
#[derive(Clone, Copy, Debug, Default)]
pub struct Path<T>(pub T);

impl<T, S> FromRequestParts<S> for Path<T>
where
    T: DeserializeOwned + Send,
    S: Send + Sync,
{
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, AppError> {
        #[allow(clippy::disallowed_types)]
        match axum::extract::Path::<T>::from_request_parts(parts, state).await {
            Ok(axum::extract::Path(t)) => Ok(Path(t)),
            Err(e) => {
                tracing::info!(path = %parts.uri.path(), error = %e, "an address that cannot be read");
                Err(AppError::NotFound)
            }
        }
    }
}

/// The parameter a deserializer's message names (between backticks).
fn field_of(error: &str) -> Option<String> {
    let start = error.find('`')? + 1;
    let len = error[start..].find('`')?;
    Some(error[start..start + len].to_owned()).filter(|f| !f.is_empty())
}

/// What to tell a person whose address cannot be read, in whygo's words
/// (the deserializer's are not shown).
fn query_message(query: &str, error: &str) -> String {
    let pairs: Vec<(String, String)> = serde_urlencoded::from_str(query).unwrap_or_default();
    match field_of(error) {
        Some(field) if error.starts_with("duplicate field") => {
            let values: Vec<String> = pairs
                .iter()
                .filter(|(k, _)| *k == field)
                .map(|(_, v)| format!("“{v}”"))
                .collect();
            let first = pairs
                .iter()
                .find(|(k, _)| *k == field)
                .map(|(_, v)| v.as_str())
                .unwrap_or_default();
            let times = match values.len() {
                0..=2 => "twice".to_owned(),
                n => format!("{n} times"),
            };
            format!(
                "The address gives “{field}” {times} ({}): give it once, e.g. ?{}.",
                values.join(" and "),
                serde_urlencoded::to_string([(field.as_str(), first)]).unwrap_or_default()
            )
        }
        Some(field) => format!(
            "The address’s “{field}” cannot be read: open the page from its links, or remove “{field}” from the address."
        ),
        None => {
            "The address’s parameters (after “?”) cannot be read: open the page from its links."
                .to_owned()
        }
    }
}

/// A posted form read into `T`, as `axum::Form` reads it; one it cannot
/// read (a field sent twice, not a form at all) is a 400 with a sentence.
#[derive(Clone, Copy, Debug, Default)]
pub struct Form<T>(pub T);

impl<T, S> FromRequest<S> for Form<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = AppError;

    async fn from_request(req: Request, state: &S) -> Result<Self, AppError> {
        #[allow(clippy::disallowed_types)]
        let read = axum::Form::<T>::from_request(req, state).await;
        match read {
            Ok(axum::Form(value)) => Ok(Form(value)),
            Err(rejection) => {
                let why = rejection.body_text();
                let message = match field_of(&why) {
                    Some(field) if why.contains("duplicate field") => format!(
                        "This form sent “{field}” twice, so it was not saved. Go back, reload the page and submit it again."
                    ),
                    _ => "This form could not be read, so it was not saved. Go back, reload the page and submit it again.".to_owned(),
                };
                tracing::info!(%why, "refused a form that could not be read");
                Err(AppError::BadRequest(message))
            }
        }
    }
}

#[derive(Clone, Debug, Default, Deserialize)]
pub struct PageQuery {
    pub as_of: Option<String>,
    pub quarter: Option<String>,
}

#[derive(Clone, Debug)]
pub struct When {
    pub as_of: NaiveDate,
    pub as_of_input: String,
    pub as_of_error: Option<String>,
    /// The quarter asked for, if any (else the as-of date's).
    pub quarter: Option<Quarter>,
    pub quarter_error: Option<String>,
}

impl PageQuery {
    pub fn resolve(&self, today: NaiveDate) -> When {
        let (as_of, as_of_input, as_of_error) = match self
            .as_of
            .as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
        {
            None => (today, today.to_string(), None),
            Some(s) => match read_date(s) {
                Ok(d) => (d, s.to_owned(), None),
                Err(DateError::OutOfRange) => (
                    today,
                    s.to_owned(),
                    Some(format!(
                        "{} Showing today instead.",
                        out_of_range_message(s)
                    )),
                ),
                Err(DateError::Unreadable) => (
                    today,
                    s.to_owned(),
                    Some(format!(
                        "“{s}” is not a date: use YYYY-MM-DD. Showing today instead."
                    )),
                ),
            },
        };
        let (quarter, quarter_error) = match self
            .quarter
            .as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
        {
            None => (None, None),
            Some(s) => match s
                .trim_start_matches(['Q', 'q'])
                .parse::<u8>()
                .ok()
                .and_then(Quarter::new)
            {
                Some(q) => (Some(q), None),
                None => (
                    None,
                    Some(format!("“{s}” is not a quarter: choose Q1 to Q4.")),
                ),
            },
        };
        When {
            as_of,
            as_of_input,
            as_of_error,
            quarter,
            quarter_error,
        }
    }

    /// `?as_of=...&quarter=...` to carry the page's date onto its links.
    pub fn carry(when: &When) -> String {
        match when.quarter {
            Some(quarter) => format!("?as_of={}&quarter={}", when.as_of, quarter.number()),
            None => format!("?as_of={}", when.as_of),
        }
    }
}

/// The date a request shows: its `as_of` parameter when readable, else
/// today (what [`PageQuery::resolve`] makes of it).
pub fn request_as_of(uri: &axum::http::Uri, today: NaiveDate) -> NaiveDate {
    uri.query()
        .and_then(|q| serde_urlencoded::from_str::<Vec<(String, String)>>(q).ok())
        .and_then(|fields| {
            fields
                .into_iter()
                .find(|(k, _)| k == "as_of")
                .and_then(|(_, v)| read_date(&v).ok())
        })
        .unwrap_or(today)
}

/// The plan with the individual WhyGOs `scope` asks for, as the signed-in
/// person may see it: the one way pages and endpoints read plan data, so
/// none can show a WhyGO its viewer may not see.
pub async fn load_plan(
    state: &AppState,
    tenancy: &Tenancy,
    as_of: NaiveDate,
    scope: db::plan::Scope<'_>,
) -> Result<Arc<Plan>, AppError> {
    Ok(plan_for_viewer(state, tenancy, as_of, scope).await?.0)
}

/// [`load_plan`], and whether the plan is the cache's shared one (its
/// report may be shared too) rather than a copy cut to the viewer.
async fn plan_for_viewer(
    state: &AppState,
    tenancy: &Tenancy,
    as_of: NaiveDate,
    scope: db::plan::Scope<'_>,
) -> Result<(Arc<Plan>, bool), AppError> {
    let plan = state
        .plans
        .plan(
            &state.pool,
            &tenancy.tenant,
            tenancy.versions_as_of(as_of),
            as_of,
            scope,
        )
        .await?;
    // The shared plan stays whole; a viewer who may see every individual
    // WhyGO reads it as it is, anyone else gets a copy cut to them.
    let viewer = tenancy.actor();
    if crate::domain::permissions::sees_every_individual(
        &viewer,
        plan.tenant.individuals_visible_to_all,
    ) {
        return Ok((plan, true));
    }
    Ok((
        Arc::new(Arc::unwrap_or_clone(plan).visible_to(&viewer)),
        false,
    ))
}

/// The plan (see [`load_plan`]) and its report as of `as_of` for `quarter`
/// (the date's own quarter when `None`): the report of the shared plan is
/// built once and kept ([`super::cache::PlanCache::report`]).
pub async fn load_report(
    state: &AppState,
    tenancy: &Tenancy,
    as_of: NaiveDate,
    quarter: Option<Quarter>,
    scope: db::plan::Scope<'_>,
) -> Result<(Arc<Plan>, Arc<Report>), AppError> {
    let (plan, shared) = plan_for_viewer(state, tenancy, as_of, scope).await?;
    let quarter = quarter.unwrap_or_else(|| plan.tenant.fiscal_year().headline_quarter(as_of));
    let r = if shared {
        state.plans.report(&plan, as_of, quarter).await?
    } else {
        Arc::new(
            state
                .plans
                .timed(|| report::build_for(&plan, as_of, quarter)),
        )
    };
    Ok((plan, r))
}

/// The plan (see [`load_plan`]) and its report for a page: the queries of
/// every page.
pub async fn load(
    state: &AppState,
    tenancy: &Tenancy,
    query: &PageQuery,
    scope: db::plan::Scope<'_>,
) -> Result<(Arc<Plan>, Arc<Report>, When), AppError> {
    let when = query.resolve(state.settings.today());
    let (plan, r) = load_report(state, tenancy, when.as_of, when.quarter, scope).await?;
    Ok((plan, r, when))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn today() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 11, 21).unwrap_or_default()
    }

    #[test]
    fn no_parameters_mean_today_and_its_quarter() {
        let w = PageQuery::default().resolve(today());
        assert_eq!(w.as_of, today());
        assert_eq!(w.quarter, None);
        assert!(w.as_of_error.is_none() && w.quarter_error.is_none());
    }

    #[test]
    fn unreadable_values_are_kept_and_explained() {
        let w = PageQuery {
            as_of: Some("21/11/2026".to_owned()),
            quarter: Some("Q7".to_owned()),
        }
        .resolve(today());
        assert_eq!(w.as_of, today());
        assert_eq!(w.as_of_input, "21/11/2026");
        assert!(w.as_of_error.is_some_and(|e| e.contains("YYYY-MM-DD")));
        assert!(w.quarter_error.is_some_and(|e| e.contains("Q1 to Q4")));
    }

    #[test]
    fn dates_outside_four_digit_years_are_out_of_range_not_a_panic() {
        for s in [
            "-262143-01-01",
            "+262142-12-31",
            "+10000-01-01",
            "0999-12-31",
        ] {
            assert_eq!(read_date(s), Err(DateError::OutOfRange), "{s}");
            let w = PageQuery {
                as_of: Some(s.to_owned()),
                ..PageQuery::default()
            }
            .resolve(today());
            assert_eq!(w.as_of, today(), "{s}");
            assert!(
                w.as_of_error.is_some_and(|e| e.contains("out of range")),
                "{s}"
            );
        }
        assert_eq!(read_date("2026-02-30"), Err(DateError::Unreadable));
        assert_eq!(read_date(" 2026-11-21 "), Ok(today()));
    }

    #[test]
    fn a_duplicated_parameter_is_named_with_its_values_in_whygos_words() {
        let q = "as_of=2026-11-21&as_of=2026-11-22";
        let e = serde_urlencoded::from_str::<PageQuery>(q)
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert_eq!(field_of(&e).as_deref(), Some("as_of"));
        assert_eq!(
            query_message(q, &e),
            "The address gives “as_of” twice (“2026-11-21” and “2026-11-22”): give it once, e.g. ?as_of=2026-11-21."
        );
        assert!(!query_message(q, &e).contains("duplicate field"));
        assert!(query_message("x", "something else").contains("cannot be read"));
    }

    #[test]
    fn quarters_are_read_with_or_without_the_q() {
        for s in ["2", "Q2", "q2"] {
            let w = PageQuery {
                quarter: Some(s.to_owned()),
                ..PageQuery::default()
            }
            .resolve(today());
            assert_eq!(w.quarter, Quarter::new(2), "{s}");
        }
    }
}
