//! The alignment tree (company -> department -> individual WhyGOs, with what
//! ladders to nothing flagged) and the org chart (reports-to, with pace).

use askama::Template;
use axum::Router;
use axum::extract::{Query, State};
use axum::response::{IntoResponse, Response};
use axum::routing::get;

use super::dashboard::WhenForm;
use super::error::render;
use super::params::{self, PageQuery, When};
use super::view::{Chip, Chrome, Pace, approval_label};
use super::{AppError, AppState, Tenancy};
use crate::db::plan::Scope;
use crate::domain::pacing::Status;
use crate::domain::permissions::Org;
use crate::domain::plan::{Level, Plan, WhyGo};
use crate::domain::report::{Report, WhyGoReport};
use crate::domain::rollup::{Rollup, rollup_groups};
use std::collections::HashMap;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/{tenant}/alignment", get(alignment))
        .route("/{tenant}/org", get(org_chart))
}

struct Node {
    href: String,
    title: String,
    owner: String,
    approval: String,
    chip: Chip,
    credit: String,
    secondary: bool,
    children: Vec<Node>,
}

struct Flag {
    href: String,
    title: String,
    owner: String,
}

#[derive(Template)]
#[template(path = "alignment.html")]
struct AlignmentPage {
    chrome: Chrome,
    when: WhenForm,
    tree: Vec<Node>,
    unlinked_company: Vec<Flag>,
    unlinked_department: Vec<Flag>,
    unlinked_individual: Vec<Flag>,
}

/// The report of each WhyGO by key, built once per page.
fn report_index(r: &Report) -> HashMap<&str, &crate::domain::report::WhyGoReport> {
    r.whygos.iter().map(|w| (w.key.as_str(), w)).collect()
}

fn node(
    plan: &Plan,
    reports: &HashMap<&str, &crate::domain::report::WhyGoReport>,
    w: &WhyGo,
    parent: &str,
    carry: &str,
) -> Node {
    let wr = reports.get(w.key.as_str()).copied();
    Node {
        href: format!("/{}/whygos/{}{carry}", plan.tenant.slug, w.key),
        title: match w.number {
            Some(n) => format!("#{n} {}", w.title),
            None => w.title.clone(),
        },
        owner: w
            .owner
            .as_deref()
            .map(|k| plan.person_name(k).to_owned())
            .unwrap_or_default(),
        approval: approval_label(w.status),
        // Not in force yet: its pace is not asked for (the badge says why).
        chip: wr
            .filter(|_| w.in_force())
            .map_or(Status::NotScored, |x| x.status)
            .into(),
        credit: crate::domain::report::percent(wr.and_then(|x| x.credit)),
        secondary: w.ladders_to.first().is_some_and(|p| p != parent),
        children: Vec::new(),
    }
}

fn flag(plan: &Plan, w: &WhyGo, carry: &str) -> Flag {
    Flag {
        href: format!("/{}/whygos/{}{carry}", plan.tenant.slug, w.key),
        title: w.title.clone(),
        owner: w
            .owner
            .as_deref()
            .map(|k| plan.person_name(k).to_owned())
            .unwrap_or_default(),
    }
}

async fn alignment(
    State(state): State<AppState>,
    tenancy: Tenancy,
    Query(q): Query<PageQuery>,
) -> Result<Response, AppError> {
    let (plan, r, when) = params::load(&state, &tenancy, &q, Scope::All).await?;
    let page = AlignmentPage::build(&tenancy, &plan, &r, &when);
    Ok(render(&page)?.into_response())
}

impl AlignmentPage {
    fn build(tenancy: &Tenancy, plan: &Plan, r: &Report, when: &When) -> Self {
        let carry = PageQuery::carry(when);
        let reports = report_index(r);
        let shown = |w: &&WhyGo| !w.is_archived();
        let of_level = |level: Level| plan.whygos.iter().filter(move |w| w.level == level);
        // Children of each WhyGO, in plan order, built once.
        let mut children: HashMap<&str, Vec<&WhyGo>> = HashMap::new();
        for w in plan.whygos.iter().filter(|w| !w.is_archived()) {
            for p in &w.ladders_to {
                children.entry(p.as_str()).or_default().push(w);
            }
        }
        let children_of = |key: &str| children.get(key).map(Vec::as_slice).unwrap_or_default();
        let node_of = |w: &WhyGo, parent: &str| node(plan, &reports, w, parent, &carry);

        let tree = of_level(Level::Company)
            .filter(|w| !w.is_archived())
            .map(|c| {
                let mut n = node_of(c, "");
                n.children = children_of(&c.key)
                    .iter()
                    .copied()
                    .filter(shown)
                    .map(|d| {
                        let mut dn = node_of(d, &c.key);
                        dn.children = children_of(&d.key)
                            .iter()
                            .copied()
                            .filter(shown)
                            .map(|i| node_of(i, &d.key))
                            .collect();
                        dn
                    })
                    .collect();
                n
            })
            .collect();
        let unlinked = |level: Level| -> Vec<Flag> {
            of_level(level)
                .filter(shown)
                .filter(|w| w.ladders_to.is_empty())
                .map(|w| flag(plan, w, &carry))
                .collect()
        };
        let when_form = WhenForm::new(format!("/{}/alignment", plan.tenant.slug), when, plan, r);
        AlignmentPage {
            chrome: tenancy.chrome_for(&when_form.quarter_label),
            when: when_form,
            tree,
            unlinked_company: of_level(Level::Company)
                .filter(|w| !w.is_archived() && children_of(&w.key).is_empty())
                .map(|w| flag(plan, w, &carry))
                .collect(),
            unlinked_department: unlinked(Level::Department),
            unlinked_individual: unlinked(Level::Individual),
        }
    }
}

/// One person of the org chart, flattened in depth-first order; the template
/// opens and closes nested lists from `depth`.
struct OrgRow {
    /// Deeper than the row before: opens a nested list inside it.
    opens: bool,
    /// Nested lists to close before this row (when it is shallower than the last).
    close: usize,
    href: String,
    name: String,
    title: String,
    department: String,
    pace: Option<Pace>,
}

#[derive(Template)]
#[template(path = "org.html")]
struct OrgPage {
    chrome: Chrome,
    when: WhenForm,
    rows: Vec<OrgRow>,
    /// Lists still open after the last row.
    close_at_end: usize,
}

async fn org_chart(
    State(state): State<AppState>,
    tenancy: Tenancy,
    Query(q): Query<PageQuery>,
) -> Result<Response, AppError> {
    let (plan, r, when) = params::load(&state, &tenancy, &q, Scope::All).await?;
    let page = OrgPage::build(&tenancy, &plan, &r, &when);
    Ok(render(&page)?.into_response())
}

impl OrgPage {
    fn build(tenancy: &Tenancy, plan: &Plan, r: &Report, when: &When) -> Self {
        let carry = PageQuery::carry(when);
        let org = plan.org();
        let paces = OwnerPaces::new(tenancy, &org, plan, r);
        let (rows, close_at_end) = org_rows(plan, &carry, |key| paces.of(key));
        let when_form = WhenForm::new(format!("/{}/org", plan.tenant.slug), when, plan, r);
        OrgPage {
            chrome: tenancy.chrome_for(&when_form.quarter_label),
            when: when_form,
            close_at_end,
            rows,
        }
    }
}

/// Each person's WhyGOs in force, indexed once, to roll up their pace.
struct OwnerPaces<'a> {
    tenancy: &'a Tenancy,
    org: &'a Org,
    plan: &'a Plan,
    owned: HashMap<&'a str, Vec<&'a WhyGoReport>>,
}

impl<'a> OwnerPaces<'a> {
    fn new(tenancy: &'a Tenancy, org: &'a Org, plan: &'a Plan, r: &'a Report) -> Self {
        let mut owned: HashMap<&str, Vec<&WhyGoReport>> = HashMap::new();
        for wr in r.whygos.iter().filter(|wr| wr.approval.in_force()) {
            if let Some(o) = wr.owner.as_deref() {
                owned.entry(o).or_default().push(wr);
            }
        }
        OwnerPaces {
            tenancy,
            org,
            plan,
            owned,
        }
    }

    /// A person's pace: the WhyGOs in force they own and the viewer may see.
    fn of(&self, key: &str) -> Option<Pace> {
        let sees_individual = self.tenancy.can(
            crate::domain::permissions::Action::ViewIndividual { owner: key },
            self.org,
        );
        let rollups: Vec<Rollup> = self
            .owned
            .get(key)
            .map(Vec::as_slice)
            .unwrap_or_default()
            .iter()
            .filter(|wr| wr.level != Level::Individual || sees_individual)
            .map(|wr| Rollup {
                credit: wr.credit,
                status: wr.status,
                counts: wr.counts,
            })
            .collect();
        if rollups.is_empty() {
            return None;
        }
        let p = rollup_groups(rollups.iter(), &self.plan.tenant.thresholds);
        Some(Pace::new(p.status, p.credit, p.counts))
    }
}

/// The people depth-first down the reporting lines, and how many nested
/// lists are still open after the last row.
fn org_rows(
    plan: &Plan,
    carry: &str,
    pace_of: impl Fn(&str) -> Option<Pace>,
) -> (Vec<OrgRow>, usize) {
    let mut reports_of: HashMap<&str, Vec<&str>> = HashMap::new();
    for p in &plan.people {
        if let Some(m) = p.reports_to.as_deref() {
            reports_of.entry(m).or_default().push(p.key.as_str());
        }
    }
    let people: HashMap<&str, &crate::domain::plan::Person> =
        plan.people.iter().map(|p| (p.key.as_str(), p)).collect();

    let departments: HashMap<&str, &str> = plan
        .departments
        .iter()
        .map(|d| (d.key.as_str(), d.name.as_str()))
        .collect();
    let mut rows = Vec::new();
    // Depth-first from the people who report to no one; `seen` guards against
    // a reporting cycle in bad data.
    let mut seen = std::collections::HashSet::new();
    let mut stack: Vec<(&str, usize)> = plan
        .people
        .iter()
        .filter(|p| {
            p.reports_to
                .as_deref()
                .is_none_or(|m| !people.contains_key(m))
        })
        .map(|p| (p.key.as_str(), 0))
        .rev()
        .collect();
    let mut last_depth = 0;
    while let Some((key, depth)) = stack.pop() {
        if !seen.insert(key) {
            continue;
        }
        let Some(p) = people.get(key).copied() else {
            continue;
        };
        rows.push(OrgRow {
            opens: depth > last_depth,
            close: last_depth.saturating_sub(depth),
            href: format!("/{}/people/{}{carry}", plan.tenant.slug, p.key),
            name: p.name.clone(),
            title: p.title.clone(),
            department: p
                .department
                .as_deref()
                .and_then(|d| departments.get(d).copied())
                .unwrap_or_default()
                .to_owned(),
            pace: pace_of(key),
        });
        last_depth = depth;
        let reports = reports_of.get(key).map(Vec::as_slice).unwrap_or_default();
        stack.extend(reports.iter().rev().map(|k| (*k, depth + 1)));
    }
    (rows, last_depth)
}
