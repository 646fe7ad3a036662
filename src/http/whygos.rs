//! The WhyGO page: why, goal, what it ladders to and what ladders to it, each
//! outcome with its quarters, a chart, the explanation of every status in
//! words, and the history of actuals.

use askama::Template;
use axum::Router;
use axum::extract::State;
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use chrono::NaiveDate;

use super::chart::{self, Chart};
use super::comments::{self, CommentsView, Draft};
use super::dashboard::WhenForm;
use super::error::render;
use super::export::{Cell, Csv};
use super::params::{self, PageQuery, Path, Query, When};
use super::view::{CascadePace, Chip, Pace, approval_label};
use super::{AppError, AppState, Tenancy};
use crate::db::plan::Scope;
use crate::domain::pacing::{Status, evaluate};
use crate::domain::plan::{Level, Outcome, Plan, WhyGo};
use crate::domain::report::{Report, WhyGoReport};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/{tenant}/whygos/{key}", get(show))
        .route("/{tenant}/whygos/{key}/outcomes.csv", get(outcomes_csv))
        .route("/{tenant}/whygos/{key}/history.csv", get(history_csv))
}

pub struct Link {
    pub href: String,
    pub title: String,
    pub chip: Chip,
    pub primary: bool,
}

struct OutcomeView {
    name: String,
    owners: String,
    quarters: Vec<QuarterView>,
    chart: Option<Chart>,
    history: Vec<HistoryRow>,
    /// For a computed outcome: its source's words.
    source: Option<String>,
}

/// How a computed outcome's quarter was reached, and its records.
struct ComputedNote {
    sentence: String,
    href: String,
}

struct QuarterView {
    quarter: String,
    target: String,
    expected: String,
    actual: String,
    chip: Chip,
    judged: bool,
    explanation: String,
    headline: bool,
    computed: Option<ComputedNote>,
    /// Computed with no value yet: says so instead of "needs check-in".
    no_value: bool,
}

struct HistoryRow {
    quarter: String,
    value: String,
    date: String,
    by: String,
    note: String,
    counts: bool,
}

#[derive(Template)]
#[template(path = "whygo.html")]
struct WhyGoPage {
    chrome: super::view::Chrome,
    when: WhenForm,
    level: &'static str,
    heading: String,
    approval: String,
    owner: Option<(String, String)>,
    scope: Option<(String, String)>,
    why: String,
    goal: String,
    pace: Pace,
    cascade: Option<CascadePace>,
    ladders_to: Vec<Link>,
    children: Vec<Link>,
    outcomes: Vec<OutcomeView>,
    /// State, history and actions: see `lifecycle::section`.
    lifecycle: super::lifecycle::Section,
    width: f64,
    height: f64,
    comments: CommentsView,
    deliverables: super::commitments::DeliverablesSection,
    /// The outcomes table and the history of actuals as CSV, for the same
    /// date and quarter.
    outcomes_csv_href: String,
    history_csv_href: String,
}

async fn show(
    State(state): State<AppState>,
    tenancy: Tenancy,
    Path((_, key)): Path<(String, String)>,
    Query(q): Query<PageQuery>,
    Query(done): Query<super::lifecycle::Done>,
) -> Result<Response, AppError> {
    Ok(page(
        &state,
        &tenancy,
        &key,
        &q,
        Draft::default(),
        done.done.as_deref(),
    )
    .await?
    .into_response())
}

/// A WhyGO's outcomes as its page shows them, and the date shown: the
/// same loading and the same 404s as the page.
async fn outcome_views(
    state: &AppState,
    tenancy: &Tenancy,
    key: &str,
    q: &PageQuery,
) -> Result<(Vec<OutcomeView>, NaiveDate), AppError> {
    let (plan, r, when) = params::load(state, tenancy, q, Scope::WhyGo(key)).await?;
    let w = plan
        .whygo(key)
        .filter(|w| !w.is_archived())
        .ok_or(AppError::NotFound)?;
    if !r.whygos.iter().any(|x| x.key == key) {
        return Err(AppError::NotFound);
    }
    let views = w
        .outcomes
        .iter()
        .map(|o| OutcomeView::new(&plan, &r, when.as_of, o, &tenancy.tenant.slug))
        .collect();
    Ok((views, when.as_of))
}

/// `/{tenant}/whygos/{key}/outcomes.csv`: each outcome's quarters (target,
/// expected today, actual, status), as the page's tables.
async fn outcomes_csv(
    State(state): State<AppState>,
    tenancy: Tenancy,
    Path((_, key)): Path<(String, String)>,
    Query(q): Query<PageQuery>,
) -> Result<Response, AppError> {
    let (views, as_of) = outcome_views(&state, &tenancy, &key, &q).await?;
    let mut csv = Csv::new(&[
        "Outcome", "Owner", "Quarter", "Target", "Expected", "Actual", "Status",
    ])?;
    for o in &views {
        for qv in &o.quarters {
            csv.row(&[
                Cell::Text(&o.name),
                Cell::Text(&o.owners),
                Cell::Plain(&qv.quarter),
                Cell::Value(&qv.target),
                Cell::Value(&qv.expected),
                Cell::Value(&qv.actual),
                Cell::Plain(if qv.judged { qv.chip.label } else { "" }),
            ])?;
        }
    }
    csv.download(&format!(
        "{}-{key}-outcomes-{as_of}.csv",
        tenancy.tenant.slug
    ))
}

/// `/{tenant}/whygos/{key}/history.csv`: the check-in history of every
/// outcome, newest first, as the page's "History of actuals".
async fn history_csv(
    State(state): State<AppState>,
    tenancy: Tenancy,
    Path((_, key)): Path<(String, String)>,
    Query(q): Query<PageQuery>,
) -> Result<Response, AppError> {
    let (views, as_of) = outcome_views(&state, &tenancy, &key, &q).await?;
    let mut csv = Csv::new(&[
        "Outcome", "Quarter", "Value", "Date", "By", "Note", "Counts",
    ])?;
    for o in &views {
        for h in &o.history {
            csv.row(&[
                Cell::Text(&o.name),
                Cell::Plain(&h.quarter),
                Cell::Value(&h.value),
                Cell::Plain(&h.date),
                Cell::Text(&h.by),
                Cell::Text(&h.note),
                Cell::Plain(if h.counts { "yes" } else { "no" }),
            ])?;
        }
    }
    csv.download(&format!(
        "{}-{key}-history-{as_of}.csv",
        tenancy.tenant.slug
    ))
}

/// The page, with the comment form as typed (`draft`, and its messages when
/// a comment was refused) and the notice of a lifecycle step just done.
pub(super) async fn page(
    state: &AppState,
    tenancy: &Tenancy,
    key: &str,
    q: &PageQuery,
    draft: Draft,
    done: Option<&str>,
) -> Result<Html<String>, AppError> {
    let (plan, r, when) = params::load(state, tenancy, q, Scope::WhyGo(key)).await?;
    let w = plan
        .whygo(key)
        .filter(|w| !w.is_archived())
        .ok_or(AppError::NotFound)?;
    // Hidden and missing answer the same (the plan holds neither): nothing
    // to learn from the status code.
    let wr = r
        .whygos
        .iter()
        .find(|x| x.key == key)
        .ok_or(AppError::NotFound)?;
    let lifecycle =
        super::lifecycle::section(state, tenancy, &plan, &r, w, when.as_of, done).await?;
    let comments_carry = comments::explicit_carry(q, &when);
    let comments = comments::view(&state.pool, tenancy, w, &comments_carry, draft).await?;
    let deliverables =
        super::commitments::whygo_section(state, tenancy, &plan, w, when.as_of).await?;
    let page = WhyGoPage {
        deliverables,
        ..WhyGoPage::build(tenancy, &plan, &r, &when, (w, wr), lifecycle, comments)
    };
    render(&page)
}

impl WhyGoPage {
    fn build(
        tenancy: &Tenancy,
        plan: &Plan,
        r: &Report,
        when: &When,
        (w, wr): (&WhyGo, &WhyGoReport),
        lifecycle: super::lifecycle::Section,
        comments: CommentsView,
    ) -> Self {
        let slug = &plan.tenant.slug;
        let carry = PageQuery::carry(when);
        let link = |x: &WhyGo, primary: bool| Link::new(plan, r, x, primary, &carry);
        let when_form = WhenForm::new(format!("/{slug}/whygos/{}", w.key), when, plan, r);
        WhyGoPage {
            chrome: tenancy.chrome_for(&when_form.quarter_label),
            when: when_form,
            level: match w.level {
                Level::Company => "Company WhyGO",
                Level::Department => "Department WhyGO",
                Level::Individual => "Individual WhyGO",
            },
            heading: match w.number {
                Some(n) => format!("#{n} {}", w.title),
                None => w.title.clone(),
            },
            approval: approval_label(w.status),
            owner: w.owner.as_ref().map(|k| {
                (
                    format!("/{slug}/people/{k}{carry}"),
                    plan.person_name(k).to_owned(),
                )
            }),
            scope: scope(plan, w, &carry),
            why: w.why.clone(),
            goal: w.goal.clone(),
            pace: Pace::new(wr.status, wr.credit, wr.counts),
            cascade: wr.cascade.as_ref().map(CascadePace::of),
            ladders_to: w
                .ladders_to
                .iter()
                .enumerate()
                .filter_map(|(i, k)| plan.whygo(k).map(|p| link(p, i == 0)))
                .collect(),
            children: plan
                .children(&w.key)
                .map(|c| link(c, c.ladders_to.first() == Some(&w.key)))
                .collect(),
            outcomes: w
                .outcomes
                .iter()
                .map(|o| OutcomeView::new(plan, r, when.as_of, o, &tenancy.tenant.slug))
                .collect(),
            lifecycle,
            width: chart::WIDTH,
            height: chart::HEIGHT,
            comments,
            // Read by the caller (`commitments::whygo_section`).
            deliverables: Default::default(),
            outcomes_csv_href: format!("/{slug}/whygos/{}/outcomes.csv{carry}", w.key),
            history_csv_href: format!("/{slug}/whygos/{}/history.csv{carry}", w.key),
        }
    }
}

/// The department or person a WhyGO belongs to, linked.
fn scope(plan: &Plan, w: &WhyGo, carry: &str) -> Option<(String, String)> {
    let slug = &plan.tenant.slug;
    match (w.level, &w.department, &w.person) {
        (Level::Department, Some(d), _) => plan
            .department(d)
            .map(|dep| (format!("/{slug}/departments/{d}{carry}"), dep.name.clone())),
        (Level::Individual, _, Some(p)) => Some((
            format!("/{slug}/people/{p}{carry}"),
            plan.person_name(p).to_owned(),
        )),
        _ => None,
    }
}

impl Link {
    fn new(plan: &Plan, r: &Report, x: &WhyGo, primary: bool, carry: &str) -> Self {
        let report = r.whygos.iter().find(|o| o.key == x.key);
        Link {
            href: format!("/{}/whygos/{}{carry}", plan.tenant.slug, x.key),
            title: match x.number {
                Some(n) => format!("#{n} {}", x.title),
                None => x.title.clone(),
            },
            chip: report
                .map_or(crate::domain::pacing::Status::NotScored, |o| o.status)
                .into(),
            primary,
        }
    }
}

impl OutcomeView {
    /// An outcome evaluated as of `as_of`: its quarters, chart and history.
    fn new(plan: &Plan, r: &Report, as_of: NaiveDate, o: &Outcome, slug: &str) -> Self {
        let fy = plan.tenant.fiscal_year();
        let spec = o.spec();
        let eval = evaluate(&spec, &o.entries(), &fy, as_of, &plan.tenant.rules());
        let mut history: Vec<HistoryRow> = o
            .actuals
            .iter()
            .map(|a| HistoryRow {
                quarter: a.quarter.to_string(),
                value: a.value.clone(),
                date: a.date.format("%-d %b %Y").to_string(),
                by: a
                    .by
                    .as_deref()
                    .map(|k| plan.person_name(k).to_owned())
                    .unwrap_or_default(),
                note: a.note.clone(),
                counts: o
                    .counting_actual(a.quarter, as_of)
                    .is_some_and(|c| c.seq == a.seq),
            })
            .collect();
        history.reverse();
        OutcomeView {
            name: o.name.clone(),
            owners: o
                .owners
                .iter()
                .map(|k| plan.person_name(k))
                .collect::<Vec<_>>()
                .join(", "),
            chart: chart::chart(o, &spec, &eval, &fy, as_of),
            quarters: eval
                .quarters
                .iter()
                .map(|qe| QuarterView {
                    quarter: qe.quarter.to_string(),
                    target: qe.target.clone(),
                    expected: qe.expected_text.clone().unwrap_or_default(),
                    actual: qe.actual.clone().unwrap_or_default(),
                    chip: qe.status.into(),
                    judged: qe.judged,
                    explanation: qe.explanation.clone(),
                    headline: qe.quarter == r.quarter,
                    computed: o.explanation(qe.quarter).map(|e| ComputedNote {
                        sentence: e.sentence.clone(),
                        href: if e.link.is_empty() {
                            String::new()
                        } else {
                            format!("/{slug}{}", e.link)
                        },
                    }),
                    no_value: o.is_computed() && qe.status == Status::Missing,
                })
                .collect(),
            history,
            source: o.computed.as_ref().map(|c| c.source.to_string()),
        }
    }
}
