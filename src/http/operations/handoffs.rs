//! `GET /{tenant}/engagements/handoffs`: the handoffs one figure counts,
//! grouped as the figure counts them (met; counted but not met; pending,
//! not settled yet; withdrawn), with the figure's sentence at the top.
//!
//! The query is a contract (the board's figures and computed outcomes link
//! here), every parameter optional:
//! `type=<handoff type key>&from=<department key>&to=<department key>`
//! `&engagement=<key>&quarter=<1-4>&as_of=<YYYY-MM-DD>`
//! `&figure=<compliance|first-pass|closing-reports>` (compliance when
//! absent). `quarter` is of the tenant's fiscal year; `as_of` replays the
//! end of that day (now when absent). A value that does not read, or names
//! nothing in this organization, is a 400 page saying which and why.

use askama::Template;
use axum::extract::State;
use axum::response::Html;
use serde::Deserialize;

use super::{Read, instant_of, instant_words, read, read_as_of, standing_css, standing_words};
use crate::domain::calendar::{FiscalYear, Quarter};
use crate::domain::operations::{
    HandoffId, Period, Ratio, Records, Selection, closing_reports, compliance, first_pass_rate,
};
use crate::http::error::render;
use crate::http::params::Query;
use crate::http::view::Chrome;
use crate::http::{AppError, AppState, Tenancy};

#[derive(Clone, Debug, Default, Deserialize)]
#[serde(default)]
pub(super) struct HandoffQuery {
    #[serde(rename = "type")]
    handoff_type: String,
    from: String,
    to: String,
    engagement: String,
    quarter: String,
    as_of: String,
    figure: String,
}

/// Which figure's counting the list follows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Figure {
    Compliance,
    FirstPass,
    ClosingReports,
}

impl Figure {
    fn parse(s: &str) -> Result<Figure, String> {
        match s.trim() {
            "" | "compliance" => Ok(Figure::Compliance),
            "first-pass" => Ok(Figure::FirstPass),
            "closing-reports" => Ok(Figure::ClosingReports),
            other => Err(format!(
                "“{other}” is not a figure: use compliance, first-pass or closing-reports."
            )),
        }
    }

    fn words(self) -> &'static str {
        match self {
            Figure::Compliance => "Compliance",
            Figure::FirstPass => "First-pass rate",
            Figure::ClosingReports => "Closing reports",
        }
    }

    /// The four groups' headings: met, counted but not met, pending,
    /// withdrawn.
    fn groups(self) -> [&'static str; 4] {
        match self {
            Figure::Compliance => [
                "Met: accepted complete within the SLA",
                "Counted, not met: late, breached, or answered late",
                "Pending: on the clock, not counted yet",
                "Withdrawn: not accepted, engagement lost",
            ],
            Figure::FirstPass => [
                "Met: accepted on the first submission",
                "Counted, not met: accepted after being sent back",
                "Pending: not accepted yet, not counted",
                "Withdrawn: not accepted, engagement lost",
            ],
            Figure::ClosingReports => [
                "Met: closing report accepted",
                "Counted, not met: delivered, closing report not accepted yet",
                "Pending",
                "Withdrawn",
            ],
        }
    }
}

/// The query read against the organization's records.
struct Asked {
    figure: Figure,
    selection: Selection,
    period: Option<Period>,
    /// What the list is of, in words: "type #1 · due in Q4".
    filters: Vec<String>,
}

fn ask(q: &HandoffQuery, read: &Read, year: FiscalYear) -> Result<Asked, String> {
    let figure = Figure::parse(&q.figure)?;
    let records = read.loaded.records();
    let mut selection = Selection::all();
    let mut filters = Vec::new();
    let given = |s: &str| Some(s.trim().to_owned()).filter(|s| !s.is_empty());
    if let Some(t) = given(&q.handoff_type) {
        let ty = records
            .handoff_type(&t)
            .ok_or_else(|| format!("There is no handoff type “{t}” here."))?;
        filters.push(format!("handoff {}", read.type_heading(ty)));
        selection.handoff_type = Some(t);
    }
    match (given(&q.from), given(&q.to)) {
        (None, None) => {}
        (Some(from), Some(to)) => {
            for d in [&from, &to] {
                if !read.departments.iter().any(|(k, _)| k == d) {
                    return Err(format!("There is no department “{d}” here."));
                }
            }
            filters.push(format!(
                "from {} to {}",
                read.department(&from),
                read.department(&to)
            ));
            selection.departments = Some((from, to));
        }
        _ => return Err("Give both departments, from and to, or neither.".to_owned()),
    }
    if let Some(e) = given(&q.engagement) {
        let found = records
            .engagement(&e)
            .ok_or_else(|| format!("There is no engagement “{e}” here."))?;
        filters.push(format!("of {}", found.name));
        selection.engagement = Some(e);
    }
    let period = match given(&q.quarter) {
        None => None,
        Some(s) => {
            let quarter = s
                .trim_start_matches(['Q', 'q'])
                .parse::<u8>()
                .ok()
                .and_then(Quarter::new)
                .ok_or_else(|| format!("“{s}” is not a quarter: use 1 to 4."))?;
            filters.push(format!("due in {quarter}"));
            Some(Period::new(year, quarter))
        }
    };
    if let Some(p) = period {
        selection = selection.due_in(p.year, p.quarter);
    }
    if figure == Figure::ClosingReports && (selection.handoff_type.is_none() || period.is_none()) {
        return Err(
            "Closing reports are counted for one handoff type (the closing report) and one quarter: give type and quarter.".to_owned(),
        );
    }
    Ok(Asked {
        figure,
        selection,
        period,
        filters,
    })
}

/// The figure's ratio on the records: the handoffs it counts, grouped.
fn ratio(asked: &Asked, records: &Records<'_>, as_of: crate::domain::operations::Instant) -> Ratio {
    match asked.figure {
        Figure::Compliance => compliance(records, &asked.selection, as_of),
        Figure::FirstPass => first_pass_rate(records, &asked.selection, as_of),
        // `ask` makes sure both the type and the quarter are given.
        Figure::ClosingReports => match (&asked.selection.handoff_type, asked.period) {
            (Some(t), Some(period)) => closing_reports(records, t, period, as_of),
            _ => compliance(records, &asked.selection, as_of),
        },
    }
}

struct Row {
    engagement: String,
    handoff: String,
    css: &'static str,
    words: String,
    due: String,
    href: String,
}

struct Group {
    heading: &'static str,
    rows: Vec<Row>,
}

#[derive(Template)]
#[template(path = "operations/handoffs.html")]
struct HandoffsPage {
    chrome: Chrome,
    board_href: String,
    as_of: String,
    figure: &'static str,
    filters: String,
    sentence: String,
    groups: Vec<Group>,
}

/// A row of the list; `replay` is "?as_of=…" when the list is of a past
/// day, so its link shows the handoff as it stood then.
fn row(read: &Read, slug: &str, replay: &str, id: &HandoffId) -> Row {
    let records = read.loaded.records();
    let as_of = read.loaded.as_of;
    let t = records.handoff_type(&id.handoff_type);
    let state = t.and_then(|t| {
        records
            .handoffs
            .iter()
            .find(|h| h.engagement == id.engagement && h.handoff_type == id.handoff_type)
            .map(|h| h.state(&t.sla, as_of))
    });
    Row {
        engagement: records
            .engagement(&id.engagement)
            .map_or_else(|| id.engagement.clone(), |e| e.name.clone()),
        handoff: t.map_or_else(|| id.handoff_type.clone(), |t| read.type_heading(t)),
        css: standing_css(state.as_ref()),
        words: standing_words(state.as_ref()),
        due: state
            .as_ref()
            .and_then(|s| s.due_at)
            .map_or_else(|| "—".to_owned(), instant_words),
        href: format!(
            "/{slug}/engagements/{}{replay}#handoff-{}",
            id.engagement, id.handoff_type
        ),
    }
}

/// The four groups of a figure's handoffs: met; counted but not met;
/// pending; withdrawn.
fn groups(read: &Read, slug: &str, replay: &str, figure: Figure, r: &Ratio) -> Vec<Group> {
    let not_met: Vec<HandoffId> = r
        .counted
        .iter()
        .filter(|id| !r.met.contains(id))
        .cloned()
        .collect();
    [&r.met, &not_met, &r.pending, &r.withdrawn]
        .into_iter()
        .zip(figure.groups())
        .map(|(ids, heading)| Group {
            heading,
            rows: ids.iter().map(|id| row(read, slug, replay, id)).collect(),
        })
        .collect()
}

pub(super) async fn list(
    State(state): State<AppState>,
    tenancy: Tenancy,
    Query(q): Query<HandoffQuery>,
) -> Result<Html<String>, AppError> {
    let day_asked = read_as_of(&q.as_of).map_err(AppError::BadRequest)?;
    let read = read(&state, &tenancy, instant_of(day_asked)).await?;
    let year = FiscalYear::new(tenancy.tenant.fiscal_year_start);
    let asked = ask(&q, &read, year).map_err(AppError::BadRequest)?;
    let r = ratio(&asked, &read.loaded.records(), read.loaded.as_of);
    let slug = &tenancy.tenant.slug;
    let replay = day_asked.map(|d| format!("?as_of={d}")).unwrap_or_default();
    let groups = groups(&read, slug, &replay, asked.figure, &r);
    render(&HandoffsPage {
        chrome: tenancy.chrome(),
        board_href: match day_asked {
            Some(d) => format!("/{slug}/engagements?as_of={d}"),
            None => format!("/{slug}/engagements"),
        },
        as_of: super::board::as_of_words(day_asked, read.loaded.as_of),
        figure: asked.figure.words(),
        filters: if asked.filters.is_empty() {
            "every handoff".to_owned()
        } else {
            asked.filters.join(", ")
        },
        sentence: r.sentence,
        groups,
    })
}
