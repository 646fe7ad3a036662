//! The department page: its WhyGOs with what they ladder to, its people and
//! the state of their individual WhyGOs, dependencies on and from it, and the
//! sign-offs of its WhyGOs.

use askama::Template;
use axum::Router;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use axum::routing::get;

use super::dashboard::WhenForm;
use super::error::render;
use super::params::{self, PageQuery, Path, Query, When};
use super::view::{Chrome, Pace, WhyGoCard};
use super::{AppError, AppState, Tenancy};
use crate::db;
use crate::db::pages::{Dependency, Signoff};
use crate::db::plan::Scope;
use crate::domain::pacing::Status;
use crate::domain::permissions::{Action, Org};
use crate::domain::plan::{Department, Level, Person, Plan, WhyGo};
use crate::domain::report::{Report, WhyGoReport};
use crate::domain::rollup::{Rollup, rollup_groups};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/{tenant}/departments/{key}", get(show))
        .route(
            "/{tenant}/departments/{key}/outcomes.csv",
            get(outcomes_csv),
        )
}

struct WhyGoBlock {
    card: WhyGoCard,
    why: String,
    goal: String,
    ladders_to: Vec<(String, String)>,
    signoffs: Vec<String>,
}

struct PersonRow {
    href: String,
    name: String,
    title: String,
    /// "2 approved, 1 draft", or why it is not shown.
    whygos: String,
    pace: Option<Pace>,
}

struct DependencyRow {
    other_href: String,
    other: String,
    need: String,
    deliverable: String,
    due: String,
    criteria: String,
}

#[derive(Template)]
#[template(path = "department.html")]
struct DepartmentPage {
    chrome: Chrome,
    when: WhenForm,
    name: String,
    head: Option<(String, String)>,
    pace: Pace,
    whygos: Vec<WhyGoBlock>,
    /// The WhyGOs' outcome tables as CSV, for the same date and quarter.
    csv_href: String,
    people: Vec<PersonRow>,
    needs: Vec<DependencyRow>,
    delivers: Vec<DependencyRow>,
    commitments: super::commitments::DepartmentCommitments,
}

async fn show(
    State(state): State<AppState>,
    tenancy: Tenancy,
    Path((_, key)): Path<(String, String)>,
    Query(q): Query<PageQuery>,
) -> Result<Response, AppError> {
    let (plan, r, when) = params::load(&state, &tenancy, &q, Scope::Department(&key)).await?;
    let dept = plan.department(&key).ok_or(AppError::NotFound)?;
    let keys: Vec<String> = plan
        .whygos
        .iter()
        .filter(|w| of_department(w, &key))
        .map(|w| w.key.clone())
        .collect();
    let signoffs = db::pages::signoffs(&state.pool, tenancy.tenant.id, &keys).await?;
    // Its dependencies are read with the late ones and the overdue
    // deliverables, in one transaction.
    let (commitments, dependencies) =
        super::commitments::department_section(&state, &tenancy, &plan, &key, when.as_of).await?;
    let page = DepartmentPage {
        commitments,
        ..DepartmentPage::build(&tenancy, &plan, &r, &when, dept, &signoffs, &dependencies)
    };
    Ok(render(&page)?.into_response())
}

/// `/{tenant}/departments/{key}/outcomes.csv`: the outcome tables of the
/// department's own WhyGOs, as its page shows them.
async fn outcomes_csv(
    State(state): State<AppState>,
    tenancy: Tenancy,
    Path((_, key)): Path<(String, String)>,
    Query(q): Query<PageQuery>,
) -> Result<Response, AppError> {
    let (plan, r, when) = params::load(&state, &tenancy, &q, Scope::Department(&key)).await?;
    let dept = plan.department(&key).ok_or(AppError::NotFound)?;
    let carry = PageQuery::carry(&when);
    let cards: Vec<WhyGoCard> = r
        .whygos
        .iter()
        .filter(|wr| plan.whygo(&wr.key).is_some_and(|w| of_department(w, &key)))
        .map(|wr| WhyGoCard::new(&plan, &r, wr, &carry))
        .collect();
    super::export::outcomes_csv(
        &cards,
        &format!(
            "{}-{}-outcomes-{}.csv",
            plan.tenant.slug, dept.key, when.as_of
        ),
    )
}

/// A WhyGO of the department itself (not one of its people's).
fn of_department(w: &WhyGo, key: &str) -> bool {
    w.level == Level::Department && w.department.as_deref() == Some(key)
}

impl DepartmentPage {
    fn build(
        tenancy: &Tenancy,
        plan: &Plan,
        r: &Report,
        when: &When,
        dept: &Department,
        signoffs: &[Signoff],
        dependencies: &[Dependency],
    ) -> Self {
        let slug = &plan.tenant.slug;
        let key = &dept.key;
        let carry = PageQuery::carry(when);
        let org = plan.org();
        let pace = r.departments.iter().find(|d| d.key == *key).map_or_else(
            || Pace::new(Status::NotScored, None, Default::default()),
            |d| Pace::new(d.status, d.credit, d.counts),
        );
        let when_form = WhenForm::new(format!("/{slug}/departments/{key}"), when, plan, r);
        DepartmentPage {
            chrome: tenancy.chrome_for(&when_form.quarter_label),
            when: when_form,
            name: dept.name.clone(),
            head: dept.head.as_ref().map(|h| {
                (
                    format!("/{slug}/people/{h}{carry}"),
                    plan.person_name(h).to_owned(),
                )
            }),
            pace,
            csv_href: format!("/{slug}/departments/{key}/outcomes.csv{carry}"),
            whygos: r
                .whygos
                .iter()
                .filter_map(|wr| {
                    let w = plan.whygo(&wr.key).filter(|w| of_department(w, key))?;
                    Some(WhyGoBlock::new(plan, r, wr, w, signoffs, &carry))
                })
                .collect(),
            people: plan
                .people
                .iter()
                .filter(|p| p.department.as_deref() == Some(key.as_str()))
                .map(|p| PersonRow::new(tenancy, (plan, &org), r, p, &carry))
                .collect(),
            needs: dependencies
                .iter()
                .filter(|d| d.from_key == *key)
                .map(|d| DependencyRow::new(slug, &d.on_key, &d.on_name, d, &carry))
                .collect(),
            delivers: dependencies
                .iter()
                .filter(|d| d.on_key == *key)
                .map(|d| DependencyRow::new(slug, &d.from_key, &d.from_name, d, &carry))
                .collect(),
            // Read by the caller (`commitments::department_section`).
            commitments: Default::default(),
        }
    }
}

impl WhyGoBlock {
    fn new(
        plan: &Plan,
        r: &Report,
        wr: &WhyGoReport,
        w: &WhyGo,
        signoffs: &[Signoff],
        carry: &str,
    ) -> Self {
        let slug = &plan.tenant.slug;
        WhyGoBlock {
            card: WhyGoCard::new(plan, r, wr, carry),
            why: w.why.clone(),
            goal: w.goal.clone(),
            ladders_to: w
                .ladders_to
                .iter()
                .filter_map(|p| plan.whygo(p))
                .map(|p| {
                    (
                        format!("/{slug}/whygos/{}{carry}", p.key),
                        match p.number {
                            Some(n) => format!("#{n} {}", p.title),
                            None => p.title.clone(),
                        },
                    )
                })
                .collect(),
            signoffs: signoffs
                .iter()
                .filter(|s| s.whygo == w.key)
                .map(|s| {
                    let earlier = if s.current() {
                        ""
                    } else {
                        " (an earlier version)"
                    };
                    match s.signed_on.filter(|_| !s.by_plan) {
                        Some(on) => {
                            format!("{} on {}{earlier}", s.person_name, on.format("%-d %b %Y"))
                        }
                        None => format!(
                            "version {} approved with the plan loaded from the workbook, no sign-off recorded in whygo{earlier}",
                            s.whygo_version
                        ),
                    }
                })
                .collect(),
        }
    }
}

impl PersonRow {
    /// A person of the department, with the state and pace of their
    /// individual WhyGOs when the viewer may see them.
    fn new(
        tenancy: &Tenancy,
        (plan, org): (&Plan, &Org),
        r: &Report,
        p: &Person,
        carry: &str,
    ) -> Self {
        let theirs: Vec<_> = plan
            .whygos
            .iter()
            .filter(|w| {
                w.level == Level::Individual
                    && w.person.as_deref() == Some(p.key.as_str())
                    && !w.is_archived()
            })
            .map(|w| &**w)
            .collect();
        let may_see = tenancy.can(Action::ViewIndividual { owner: &p.key }, org);
        let (whygos, pace) = if !may_see {
            ("not visible to you".to_owned(), None)
        } else if theirs.is_empty() {
            ("none yet".to_owned(), None)
        } else {
            (states(&theirs), Some(pace_in_force(plan, r, &theirs)))
        };
        PersonRow {
            href: format!("/{}/people/{}{carry}", plan.tenant.slug, p.key),
            name: p.name.clone(),
            title: p.title.clone(),
            whygos,
            pace,
        }
    }
}

/// "2 approved, 1 draft": how many of `whygos` are in each state.
fn states(whygos: &[&WhyGo]) -> String {
    let mut states: Vec<(String, usize)> = Vec::new();
    for w in whygos {
        let label = super::view::approval_label(w.status);
        let label = if label.is_empty() {
            "approved".to_owned()
        } else {
            label
        };
        match states.iter_mut().find(|(s, _)| *s == label) {
            Some((_, n)) => *n += 1,
            None => states.push((label, 1)),
        }
    }
    states
        .iter()
        .map(|(s, n)| format!("{n} {s}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The pace of those of `whygos` that are in force, rolled up.
fn pace_in_force(plan: &Plan, r: &Report, whygos: &[&WhyGo]) -> Pace {
    let rolled = rollup_groups(
        r.whygos
            .iter()
            .filter(|wr| whygos.iter().any(|w| w.key == wr.key && w.in_force()))
            .map(|wr| Rollup {
                credit: wr.credit,
                status: wr.status,
                counts: wr.counts,
            })
            .collect::<Vec<_>>()
            .iter(),
        &plan.tenant.thresholds,
    );
    Pace::new(rolled.status, rolled.credit, rolled.counts)
}

impl DependencyRow {
    fn new(slug: &str, other_key: &str, other: &str, d: &Dependency, carry: &str) -> Self {
        DependencyRow {
            other_href: format!("/{slug}/departments/{other_key}{carry}"),
            other: other.to_owned(),
            need: d.need.clone(),
            deliverable: d.deliverable.clone(),
            due: d.due.clone(),
            criteria: d.criteria.clone(),
        }
    }
}
