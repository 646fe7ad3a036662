//! The cascade's progress: for the company and each department, who has an
//! approved individual WhyGO, who is drafting, waiting for approval or
//! revising, who has none, and the share of people with an approved one
//! (Kartel's "Individual WhyGO cascade 100% by Jan 29").
//!
//! Counted: every active person except department heads and the tenant's
//! signers, who lead the company and department WhyGOs (they are listed
//! apart). States and counts are shown to everyone; titles and pace only to
//! those who may see that person's individual WhyGOs.
//!
//! An organization of up to [`WHOLE_ORGANIZATION`] counted people is listed
//! on one page. A larger one shows the table by department, each row
//! linking to that department's people (`?department=KEY`, `-` for people
//! of no department): a manager approving the cascade works through their
//! own department, and the whole list of a 2,000-person organization is
//! megabytes of HTML.
//!
//! Everything is indexed once per request (WhyGOs and hidden states by
//! person, people by department, the leads, the report by WhyGO), so the
//! page costs in proportion to the organization, not its square; paces are
//! computed only for the people the page lists.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use askama::Template;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

use crate::db::lifecycle as store;
use crate::domain::lifecycle::{CascadeState, cascade_percent};
use crate::domain::permissions::{self, Action, Actor, Org};
use crate::domain::plan::{Approval, Level, Person, Plan, WhyGo};
use crate::domain::report::{self, Report, WhyGoReport};
use crate::domain::rollup::{Rollup, rollup_groups};
use crate::http::dashboard::WhenForm;
use crate::http::error::render;
use crate::http::params::{self, PageQuery, Query, When};
use crate::http::view::{Chrome, Pace, approval_label};
use crate::http::{AppError, AppState, Tenancy};

/// Up to this many counted people, the page lists everyone; above, one
/// department at a time.
pub const WHOLE_ORGANIZATION: usize = 100;

/// The `?department=` of the people who belong to no department (keys are
/// lowercase letters, digits and hyphens, never a lone hyphen).
const NO_DEPARTMENT: &str = "-";

#[derive(Clone, Debug, Default, Deserialize)]
pub struct CascadeQuery {
    pub as_of: Option<String>,
    pub quarter: Option<String>,
    /// One department's people (its key, or `-` for no department).
    pub department: Option<String>,
}

struct WhyGoLine {
    href: String,
    title: String,
    status: String,
}

struct PersonLine {
    href: String,
    name: String,
    title: String,
    state: CascadeState,
    /// Titles, when the viewer may see them.
    whygos: Vec<WhyGoLine>,
    /// "1 approved, 1 draft" when titles are hidden.
    summary: String,
    pace: Option<Pace>,
}

struct StateCount {
    label: &'static str,
    css: &'static str,
    n: usize,
}

struct Group {
    key: String,
    name: String,
    href: Option<String>,
    /// This department's people on the cascade page: an anchor when the
    /// page lists everyone, else `?department=KEY`.
    people_href: String,
    expected: usize,
    approved: usize,
    percent: String,
    counts: Vec<StateCount>,
    /// Listed on this page (empty when the page shows only the counts).
    people: Vec<PersonLine>,
}

#[derive(Template)]
#[template(path = "lifecycle/cascade.html")]
struct CascadePage {
    chrome: Chrome,
    when: WhenForm,
    slug: String,
    company: Group,
    departments: Vec<Group>,
    leads: Vec<PersonLine>,
    can_propose: bool,
    /// The department listed alone (`?department=`), if any.
    only: Option<String>,
    /// Too many people for one page: each department's people are listed
    /// on a page of their own.
    by_department: bool,
    /// The whole organization's cascade page, with the page's date.
    whole_href: String,
}

fn percent(approved: usize, expected: usize) -> String {
    cascade_percent(approved, expected).map_or_else(|| "—".to_owned(), |p| format!("{p}%"))
}

fn status_label(status: Approval) -> String {
    match approval_label(status) {
        l if l.is_empty() => "approved".to_owned(),
        l => l,
    }
}

/// "1 approved, 1 draft", in the order the states come; "none" without any.
fn summary(states: &[Approval]) -> String {
    if states.is_empty() {
        return "none".to_owned();
    }
    let mut tally: Vec<(String, usize)> = Vec::new();
    for status in states {
        let label = status_label(*status);
        match tally.iter_mut().find(|(s, _)| *s == label) {
            Some((_, n)) => *n += 1,
            None => tally.push((label, 1)),
        }
    }
    tally
        .iter()
        .map(|(s, n)| format!("{n} {s}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// What the page needs of the plan, indexed once per request.
struct Index<'a> {
    /// Each person's individual WhyGOs the viewer may see (not archived),
    /// in plan order.
    whygos: HashMap<&'a str, Vec<&'a Arc<WhyGo>>>,
    /// The approval states of each person's individual WhyGOs, those the
    /// viewer may see first, then the hidden ones (as
    /// [`Plan::individual_states`] gives them).
    states: HashMap<&'a str, Vec<Approval>>,
    /// Those who lead the company and department WhyGOs: the signers and
    /// the department heads.
    leads: HashSet<&'a str>,
    /// Active people by department (`None`: no department), in plan order.
    people: HashMap<Option<&'a str>, Vec<&'a Person>>,
}

impl<'a> Index<'a> {
    fn new(plan: &'a Plan, signers: &'a [String]) -> Self {
        let mut whygos: HashMap<&str, Vec<&Arc<WhyGo>>> = HashMap::new();
        let mut states: HashMap<&str, Vec<Approval>> = HashMap::new();
        for w in &plan.whygos {
            if w.level != Level::Individual || w.is_archived() {
                continue;
            }
            let Some(person) = w.person.as_deref() else {
                continue;
            };
            whygos.entry(person).or_default().push(w);
            states.entry(person).or_default().push(w.status);
        }
        for h in &plan.hidden {
            states.entry(h.person.as_str()).or_default().push(h.status);
        }
        let leads = signers
            .iter()
            .map(String::as_str)
            .chain(plan.departments.iter().filter_map(|d| d.head.as_deref()))
            .collect();
        let mut people: HashMap<Option<&str>, Vec<&Person>> = HashMap::new();
        for p in &plan.people {
            people.entry(p.department.as_deref()).or_default().push(p);
        }
        Index {
            whygos,
            states,
            leads,
            people,
        }
    }

    fn states(&self, person: &str) -> &[Approval] {
        self.states.get(person).map_or(&[], Vec::as_slice)
    }

    fn whygos(&self, person: &str) -> &[&'a Arc<WhyGo>] {
        self.whygos.get(person).map_or(&[], Vec::as_slice)
    }
}

/// One department (or "No department") before its people are drawn.
struct Section<'a> {
    key: Option<&'a str>,
    name: String,
    href: Option<String>,
    /// The counted people and their state.
    counted: Vec<(&'a Person, CascadeState)>,
    /// Its people who lead the company and department WhyGOs.
    leads: Vec<&'a Person>,
}

impl Section<'_> {
    fn query_key(&self) -> &str {
        self.key.unwrap_or(NO_DEPARTMENT)
    }
}

/// How the page draws a person: links, and whether titles and pace show.
struct Lines<'a> {
    plan: &'a Plan,
    index: &'a Index<'a>,
    org: Org,
    actor: Actor,
    carry: &'a str,
}

impl Lines<'_> {
    fn may_see(&self, p: &Person) -> bool {
        permissions::can(
            &self.actor,
            Action::ViewIndividual { owner: &p.key },
            &self.org,
        )
    }

    /// `report` holds (at least) the own pace of every in-force WhyGO of the
    /// people listed; `None` for lines that show no pace.
    fn line(&self, p: &Person, report: Option<&HashMap<&str, &WhyGoReport>>) -> PersonLine {
        let slug = &self.plan.tenant.slug;
        let carry = self.carry;
        // The cascade's progress counts WhyGOs the viewer may not open too:
        // by state only (the plan keeps no more of them).
        let states = self.index.states(&p.key);
        let theirs = self.index.whygos(&p.key);
        let may_see = self.may_see(p);
        let pace = match report {
            Some(report) if may_see => {
                let approved: Vec<Rollup> = theirs
                    .iter()
                    .filter(|w| w.in_force())
                    .filter_map(|w| report.get(w.key.as_str()))
                    .map(|wr| Rollup {
                        credit: wr.credit,
                        status: wr.status,
                        counts: wr.counts,
                    })
                    .collect();
                (!approved.is_empty()).then(|| {
                    let rolled = rollup_groups(approved.iter(), &self.plan.tenant.thresholds);
                    Pace::new(rolled.status, rolled.credit, rolled.counts)
                })
            }
            _ => None,
        };
        PersonLine {
            href: format!("/{slug}/people/{}{carry}", p.key),
            name: p.name.clone(),
            title: p.title.clone(),
            state: CascadeState::of(states.iter().copied()),
            whygos: if may_see {
                theirs
                    .iter()
                    .map(|w| WhyGoLine {
                        href: format!("/{slug}/whygos/{}{carry}", w.key),
                        title: w.title.clone(),
                        status: status_label(w.status),
                    })
                    .collect()
            } else {
                Vec::new()
            },
            summary: summary(states),
            pace,
        }
    }
}

fn counts(states: impl Iterator<Item = CascadeState> + Clone) -> Vec<StateCount> {
    CascadeState::ALL
        .iter()
        .map(|s| StateCount {
            label: s.label(),
            css: s.css(),
            n: states.clone().filter(|x| x == s).count(),
        })
        .collect()
}

fn group(
    key: String,
    name: String,
    (href, people_href): (Option<String>, String),
    states: &[CascadeState],
    people: Vec<PersonLine>,
) -> Group {
    let approved = states
        .iter()
        .filter(|s| **s == CascadeState::Approved)
        .count();
    Group {
        key,
        name,
        href,
        people_href,
        expected: states.len(),
        approved,
        percent: percent(approved, states.len()),
        counts: counts(states.iter().copied()),
        people,
    }
}

pub async fn page(
    State(state): State<AppState>,
    tenancy: Tenancy,
    Query(q): Query<CascadeQuery>,
) -> Result<Response, AppError> {
    let query = PageQuery {
        as_of: q.as_of.clone(),
        quarter: q.quarter.clone(),
    };
    let when = query.resolve(state.settings.today());
    let plan = params::load_plan(&state, &tenancy, when.as_of, crate::db::plan::Scope::All).await?;
    let signers = store::signers(&state.pool, tenancy.tenant.id).await?;
    let only = q
        .department
        .as_deref()
        .map(str::trim)
        .filter(|d| !d.is_empty());
    let page = CascadePage::build(&tenancy, &plan, &when, &signers, only)?;
    Ok(render(&page)?.into_response())
}

/// The report of only `people`'s individual WhyGOs that count in a pace
/// (in force, visible to the viewer): the own pace of a WhyGO depends on
/// its outcomes alone, so it is the same as in the whole organization's
/// report, at the cost of the people listed.
fn report_of(plan: &Plan, whygos: Vec<Arc<WhyGo>>, when: &When) -> Report {
    let listed = Plan {
        tenant: plan.tenant.clone(),
        departments: Vec::new(),
        people: Vec::new(),
        whygos,
        cascade_only: Vec::new(),
        coverage: plan.coverage.clone(),
        hidden: Vec::new(),
    };
    match when.quarter {
        Some(q) => report::build_for(&listed, when.as_of, q),
        None => report::build(&listed, when.as_of),
    }
}

impl CascadePage {
    fn build(
        tenancy: &Tenancy,
        plan: &Plan,
        when: &When,
        signers: &[String],
        only: Option<&str>,
    ) -> Result<Self, AppError> {
        let slug = plan.tenant.slug.clone();
        let carry = PageQuery::carry(when);
        let index = Index::new(plan, signers);
        let sections = sections(plan, &index, &carry);
        if only.is_some_and(|k| !sections.iter().any(|s| s.query_key() == k)) {
            return Err(AppError::NotFound);
        }
        let counted: usize = sections.iter().map(|s| s.counted.len()).sum();
        let by_department = counted > WHOLE_ORGANIZATION;
        // Whose lines the page draws in full (with their pace).
        let listed = |s: &Section<'_>| match only {
            Some(k) => s.query_key() == k,
            None => !by_department,
        };
        let lines = Lines {
            plan,
            index: &index,
            org: plan.org(),
            actor: tenancy.actor(),
            carry: &carry,
        };

        // Paces of the listed people only.
        let mut paced: Vec<Arc<WhyGo>> = Vec::new();
        for s in sections.iter().filter(|s| listed(s)) {
            for (p, _) in &s.counted {
                if lines.may_see(p) {
                    paced.extend(
                        index
                            .whygos(&p.key)
                            .iter()
                            .filter(|w| w.in_force())
                            .map(|w| Arc::clone(w)),
                    );
                }
            }
        }
        let r = report_of(plan, paced, when);
        let by_key: HashMap<&str, &WhyGoReport> =
            r.whygos.iter().map(|w| (w.key.as_str(), &**w)).collect();

        let mut departments = Vec::new();
        let mut everyone: Vec<CascadeState> = Vec::new();
        let mut leads = Vec::new();
        for s in &sections {
            if only.is_none() {
                // The leads show on the whole organization's page, with their
                // own WhyGOs by state only.
                leads.extend(s.leads.iter().map(|p| lines.line(p, None)));
            }
            let states: Vec<CascadeState> = s.counted.iter().map(|(_, st)| *st).collect();
            everyone.extend(&states);
            if states.is_empty() {
                continue;
            }
            let people = if listed(s) {
                s.counted
                    .iter()
                    .map(|(p, _)| lines.line(p, Some(&by_key)))
                    .collect()
            } else {
                Vec::new()
            };
            let key = s.key.unwrap_or_default().to_owned();
            let people_href = if by_department || only.is_some() {
                format!("/{slug}/cascade{carry}&department={}", s.query_key())
            } else {
                format!("#cascade-{key}")
            };
            departments.push(group(
                key,
                s.name.clone(),
                (s.href.clone(), people_href),
                &states,
                people,
            ));
        }
        let when_form =
            WhenForm::new(format!("/{slug}/cascade"), when, plan, &r).keeping("department", only);
        Ok(CascadePage {
            chrome: tenancy.chrome_for(&when_form.quarter_label),
            when: when_form,
            company: group(
                String::new(),
                plan.tenant.name.clone(),
                (None, String::new()),
                &everyone,
                Vec::new(),
            ),
            departments,
            leads,
            can_propose: tenancy.person.is_some(),
            only: only.map(|k| {
                sections
                    .iter()
                    .find(|s| s.query_key() == k)
                    .map(|s| s.name.clone())
                    .unwrap_or_default()
            }),
            by_department,
            whole_href: format!("/{slug}/cascade{carry}"),
            slug,
        })
    }
}

/// Each department (key, name, link), then "No department" when someone
/// belongs to none; each with its people, counted or leading.
fn sections<'a>(plan: &'a Plan, index: &Index<'a>, carry: &str) -> Vec<Section<'a>> {
    let slug = &plan.tenant.slug;
    let mut sections: Vec<(Option<&str>, String, Option<String>)> = plan
        .departments
        .iter()
        .map(|d| {
            (
                Some(d.key.as_str()),
                d.name.clone(),
                Some(format!("/{slug}/departments/{}{carry}", d.key)),
            )
        })
        .collect();
    if index.people.contains_key(&None) {
        sections.push((None, "No department".to_owned(), None));
    }
    sections
        .into_iter()
        .map(|(key, name, href)| {
            let (mut counted, mut leads) = (Vec::new(), Vec::new());
            for p in index.people.get(&key).map_or(&[][..], Vec::as_slice) {
                if index.leads.contains(p.key.as_str()) {
                    leads.push(*p);
                } else {
                    let state = CascadeState::of(index.states(&p.key).iter().copied());
                    counted.push((*p, state));
                }
            }
            Section {
                key,
                name,
                href,
                counted,
                leads,
            }
        })
        .collect()
}
