//! The alignment tree (company -> department -> individual WhyGOs, with what
//! ladders to nothing flagged) and the org chart (reports-to, with pace).

use askama::Template;
use axum::Router;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use axum::routing::get;

use super::dashboard::WhenForm;
use super::error::render;
use super::params::{self, PageQuery, Query, When};
use super::view::{Chip, Chrome, Pace, approval_label};
use super::{AppError, AppState, Tenancy};
use crate::db::plan::Scope;
use crate::domain::pacing::Status;
use crate::domain::permissions::Org;
use crate::domain::plan::{Level, Plan, WhyGo};
use crate::domain::report::{Report, WhyGoReport};
use crate::domain::rollup::{Counts, Rollup, rollup_groups};
use serde::Deserialize;
use std::collections::{HashMap, HashSet};

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
    /// On a department-level node (and for the individual WhyGOs laddering
    /// straight to a company WhyGO): what is folded beneath it.
    beneath: Option<Beneath>,
}

/// The WhyGOs beneath a node, counted, with the link that opens them (or,
/// once open, folds them again).
struct Beneath {
    /// "14 individual WhyGOs ladder here", "1 WhyGO ladders here".
    what: String,
    counts: Counts,
    /// Not judged: drafts, proposals, or nothing scorable yet.
    not_scored: u32,
    href: String,
    link: String,
}

impl Beneath {
    fn of(
        base: &str,
        parent: &WhyGo,
        title: &str,
        under: &[&WhyGo],
        status_of: impl Fn(&WhyGo) -> Status,
        open: bool,
    ) -> Option<Beneath> {
        if under.is_empty() {
            return None;
        }
        let mut counts = Counts::default();
        let mut not_scored = 0;
        for w in under {
            match status_of(w) {
                Status::NotScored => not_scored += 1,
                s => counts.add(s),
            }
        }
        let kind = if under.iter().all(|w| w.level == Level::Individual) {
            "individual WhyGO"
        } else {
            "WhyGO"
        };
        let what = match under.len() {
            1 => format!("1 {kind}"),
            n => format!("{n} {kind}s"),
        };
        let the = if under.len() == 1 { "" } else { "the " };
        let verb = if under.len() == 1 {
            "ladders"
        } else {
            "ladder"
        };
        let (href, link) = if open {
            (base.to_owned(), format!("Hide {the}{what} under {title}"))
        } else {
            (
                format!("{base}&open={}", parent.key),
                format!("Show {the}{what} under {title}"),
            )
        };
        Some(Beneath {
            what: format!("{what} {verb} here"),
            counts,
            not_scored,
            href,
            link,
        })
    }
}

struct Flag {
    href: String,
    title: String,
    owner: String,
    /// A department WhyGO laddering to nothing may still have WhyGOs under it.
    beneath: Option<Beneath>,
    children: Vec<Node>,
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
    r.whygos.iter().map(|w| (w.key.as_str(), &**w)).collect()
}

fn title_of(w: &WhyGo) -> String {
    match w.number {
        Some(n) => format!("#{n} {}", w.title),
        None => w.title.clone(),
    }
}

/// The status a node shows: not in force yet, its pace is not asked for
/// (the badge says why).
fn status_of(reports: &HashMap<&str, &WhyGoReport>, w: &WhyGo) -> Status {
    reports
        .get(w.key.as_str())
        .copied()
        .filter(|_| w.in_force())
        .map_or(Status::NotScored, |x| x.status)
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
        title: title_of(w),
        owner: w
            .owner
            .as_deref()
            .map(|k| plan.person_name(k).to_owned())
            .unwrap_or_default(),
        approval: approval_label(w.status),
        chip: status_of(reports, w).into(),
        credit: crate::domain::report::percent(wr.and_then(|x| x.credit)),
        secondary: w.ladders_to.first().is_some_and(|p| p != parent),
        children: Vec::new(),
        beneath: None,
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
        beneath: None,
        children: Vec::new(),
    }
}

/// The page's query: its date, and the one node to open (a company or
/// department WhyGO's key on the alignment tree, a person's on the org chart).
#[derive(Debug, Default, Deserialize)]
struct TreeQuery {
    as_of: Option<String>,
    quarter: Option<String>,
    open: Option<String>,
}

impl TreeQuery {
    fn split(self) -> (PageQuery, Option<String>) {
        let open = self.open.filter(|k| !k.trim().is_empty());
        (
            PageQuery {
                as_of: self.as_of,
                quarter: self.quarter,
            },
            open,
        )
    }
}

async fn alignment(
    State(state): State<AppState>,
    tenancy: Tenancy,
    Query(q): Query<TreeQuery>,
) -> Result<Response, AppError> {
    let (q, open) = q.split();
    let (plan, r, when) = params::load(&state, &tenancy, &q, Scope::All).await?;
    let page = AlignmentPage::build(&tenancy, &plan, &r, &when, open.as_deref())?;
    Ok(render(&page)?.into_response())
}

impl AlignmentPage {
    /// The tree down to department WhyGOs; what ladders below them is
    /// counted on them, and listed only under `open`, which must name a
    /// company or department WhyGO the viewer sees (the plan is already cut
    /// to them), else the page is not found.
    fn build(
        tenancy: &Tenancy,
        plan: &Plan,
        r: &Report,
        when: &When,
        open: Option<&str>,
    ) -> Result<Self, AppError> {
        if let Some(key) = open {
            plan.whygos
                .iter()
                .find(|w| w.key == key && !w.is_archived() && w.level != Level::Individual)
                .ok_or(AppError::NotFound)?;
        }
        let carry = PageQuery::carry(when);
        let base = format!("/{}/alignment{carry}", plan.tenant.slug);
        let reports = report_index(r);
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
        let is_open = |w: &WhyGo| open == Some(w.key.as_str());
        // Counts what is under `w` (`under`), and lists it when `w` is open.
        let fold = |w: &WhyGo, under: &[&WhyGo]| -> (Option<Beneath>, Vec<Node>) {
            let title = title_of(w);
            let beneath = Beneath::of(
                &base,
                w,
                &title,
                under,
                |x| status_of(&reports, x),
                is_open(w),
            );
            let listed = if is_open(w) {
                under.iter().map(|i| node_of(i, &w.key)).collect()
            } else {
                Vec::new()
            };
            (beneath, listed)
        };
        // A department-level node: everything laddering to it is folded.
        let department_node = |d: &WhyGo, parent: &str| {
            let mut dn = node_of(d, parent);
            let (beneath, listed) = fold(d, children_of(&d.key));
            dn.beneath = beneath;
            dn.children = listed;
            dn
        };

        let tree = of_level(Level::Company)
            .filter(|w| !w.is_archived())
            .map(|c| {
                let mut n = node_of(c, "");
                let (individual, above): (Vec<&WhyGo>, Vec<&WhyGo>) = children_of(&c.key)
                    .iter()
                    .partition(|w| w.level == Level::Individual);
                n.children = above
                    .into_iter()
                    .map(|d| department_node(d, &c.key))
                    .collect();
                let (beneath, listed) = fold(c, &individual);
                n.beneath = beneath;
                n.children.extend(listed);
                n
            })
            .collect();
        let unlinked = |level: Level| -> Vec<Flag> {
            of_level(level)
                .filter(|w| !w.is_archived())
                .filter(|w| w.ladders_to.is_empty())
                .map(|w| {
                    let mut f = flag(plan, w, &carry);
                    if level != Level::Individual {
                        (f.beneath, f.children) = fold(w, children_of(&w.key));
                    }
                    f
                })
                .collect()
        };
        let when_form = WhenForm::new(format!("/{}/alignment", plan.tenant.slug), when, plan, r)
            .keeping("open", open);
        Ok(AlignmentPage {
            chrome: tenancy.chrome_for(&when_form.quarter_label),
            when: when_form,
            tree,
            unlinked_company: of_level(Level::Company)
                .filter(|w| !w.is_archived() && children_of(&w.key).is_empty())
                .map(|w| flag(plan, w, &carry))
                .collect(),
            unlinked_department: unlinked(Level::Department),
            unlinked_individual: unlinked(Level::Individual),
        })
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
    beneath: Option<PeopleBeneath>,
}

/// The people who report up through a person, counted, with the pace counts
/// of their WhyGOs, and the link that shows (or hides) their direct reports.
struct PeopleBeneath {
    /// "14 people".
    what: String,
    /// The outcomes of their WhyGOs the viewer may see, by status; `None`
    /// when they own none.
    counts: Option<Counts>,
    link: Option<(String, String)>,
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
    Query(q): Query<TreeQuery>,
) -> Result<Response, AppError> {
    let (q, open) = q.split();
    let (plan, r, when) = params::load(&state, &tenancy, &q, Scope::All).await?;
    let page = OrgPage::build(&tenancy, &plan, &r, &when, open.as_deref())?;
    Ok(render(&page)?.into_response())
}

impl OrgPage {
    /// The people down to the department heads; below them each person
    /// counts who is beneath, and only `open` (a person's key, else the page
    /// is not found) and the people above it show their direct reports.
    fn build(
        tenancy: &Tenancy,
        plan: &Plan,
        r: &Report,
        when: &When,
        open: Option<&str>,
    ) -> Result<Self, AppError> {
        if let Some(key) = open {
            plan.person(key).ok_or(AppError::NotFound)?;
        }
        let carry = PageQuery::carry(when);
        let org = plan.org();
        let paces = OwnerPaces::new(tenancy, &org, plan, r);
        let (rows, close_at_end) = org_rows(plan, &carry, open, |key| paces.of(key));
        let when_form = WhenForm::new(format!("/{}/org", plan.tenant.slug), when, plan, r)
            .keeping("open", open);
        Ok(OrgPage {
            chrome: tenancy.chrome_for(&when_form.quarter_label),
            when: when_form,
            close_at_end,
            rows,
        })
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

/// The people depth-first down the reporting lines, down to the department
/// heads and to the direct reports of `open` and of everyone above it, and
/// how many nested lists are still open after the last row. Everything is
/// indexed once: one walk down the tree, one back up to count.
fn org_rows(
    plan: &Plan,
    carry: &str,
    open: Option<&str>,
    pace_of: impl Fn(&str) -> Option<Pace>,
) -> (Vec<OrgRow>, usize) {
    let mut reports_of: HashMap<&str, Vec<&str>> = HashMap::new();
    for p in &plan.people {
        if let Some(m) = p.reports_to.as_deref() {
            reports_of.entry(m).or_default().push(p.key.as_str());
        }
    }
    let reports_of = |key: &str| reports_of.get(key).map(Vec::as_slice).unwrap_or_default();
    let people: HashMap<&str, &crate::domain::plan::Person> =
        plan.people.iter().map(|p| (p.key.as_str(), p)).collect();
    let departments: HashMap<&str, &str> = plan
        .departments
        .iter()
        .map(|d| (d.key.as_str(), d.name.as_str()))
        .collect();
    // The people always shown: every department head and everyone above one.
    let mut spine: HashSet<&str> = HashSet::new();
    for d in &plan.departments {
        if let Some(head) = d.head.as_deref() {
            up(&people, head, &mut spine);
        }
    }
    // Whose direct reports are shown: `open` and everyone above it.
    let mut expanded: HashSet<&str> = HashSet::new();
    if let Some(key) = open {
        up(&people, key, &mut expanded);
    }

    // Depth-first from the people who report to no one; `seen` guards against
    // a reporting cycle in bad data. Each entry: person, depth, parent's index.
    let mut order: Vec<(&crate::domain::plan::Person, usize, Option<usize>)> = Vec::new();
    let mut seen = HashSet::new();
    let mut stack: Vec<(&str, usize, Option<usize>)> = plan
        .people
        .iter()
        .filter(|p| {
            p.reports_to
                .as_deref()
                .is_none_or(|m| !people.contains_key(m))
        })
        .map(|p| (p.key.as_str(), 0, None))
        .rev()
        .collect();
    while let Some((key, depth, parent)) = stack.pop() {
        if !seen.insert(key) {
            continue;
        }
        let Some(p) = people.get(key).copied() else {
            continue;
        };
        let at = order.len();
        order.push((p, depth, parent));
        stack.extend(
            reports_of(key)
                .iter()
                .rev()
                .map(|k| (*k, depth + 1, Some(at))),
        );
    }
    // Back up the tree: how many people are beneath each, and the pace
    // counts of their WhyGOs.
    let paces: Vec<Option<Pace>> = order.iter().map(|(p, _, _)| pace_of(&p.key)).collect();
    let mut beneath: Vec<(usize, Option<Counts>)> = vec![(0, None); order.len()];
    for (i, (_, _, parent)) in order.iter().enumerate().rev() {
        let Some(parent) = *parent else { continue };
        let (n, counts) = beneath[i];
        let own = paces[i].as_ref().map(|p| p.counts);
        let mut sum = beneath[parent].1;
        for c in [counts, own].into_iter().flatten() {
            sum.get_or_insert_with(Counts::default).merge(&c);
        }
        beneath[parent] = (beneath[parent].0 + n + 1, sum);
    }

    let base = format!("/{}/org{carry}", plan.tenant.slug);
    let mut shown = vec![false; order.len()];
    let mut rows = Vec::new();
    let mut last_depth = 0;
    for (i, ((p, depth, parent), pace)) in order.iter().zip(paces).enumerate() {
        shown[i] = match *parent {
            None => true,
            Some(m) => {
                shown[m]
                    && (spine.contains(p.key.as_str())
                        || expanded.contains(order[m].0.key.as_str()))
            }
        };
        if !shown[i] {
            continue;
        }
        let key = p.key.as_str();
        // The direct reports only an open link shows.
        let folded = reports_of(key)
            .iter()
            .filter(|k| !spine.contains(*k))
            .count();
        let others = folded < reports_of(key).len();
        let reports = match (folded, others) {
            (1, false) => "the 1 direct report".to_owned(),
            (1, true) => "1 more direct report".to_owned(),
            (n, false) => format!("the {n} direct reports"),
            (n, true) => format!("{n} more direct reports"),
        };
        let link = if folded == 0 {
            None
        } else if expanded.contains(key) {
            // Folding goes back to the manager's view of the tree.
            let href = match p.reports_to.as_deref().filter(|m| people.contains_key(m)) {
                Some(m) => format!("{base}&open={m}"),
                None => base.clone(),
            };
            Some((href, format!("Hide {reports} of {}", p.name)))
        } else {
            Some((
                format!("{base}&open={key}"),
                format!("Show {reports} of {}", p.name),
            ))
        };
        let (n, counts) = beneath[i];
        rows.push(OrgRow {
            opens: *depth > last_depth,
            close: last_depth.saturating_sub(*depth),
            href: format!("/{}/people/{}{carry}", plan.tenant.slug, p.key),
            name: p.name.clone(),
            title: p.title.clone(),
            department: p
                .department
                .as_deref()
                .and_then(|d| departments.get(d).copied())
                .unwrap_or_default()
                .to_owned(),
            pace,
            beneath: (n > 0).then(|| PeopleBeneath {
                what: match n {
                    1 => "1 person".to_owned(),
                    n => format!("{n} people"),
                },
                counts,
                link,
            }),
        });
        last_depth = *depth;
    }
    (rows, last_depth)
}

/// Adds `from` and everyone above it to `set`, stopping where an earlier
/// walk has been (or at a reporting cycle in bad data).
fn up<'a>(
    people: &HashMap<&'a str, &'a crate::domain::plan::Person>,
    from: &str,
    set: &mut HashSet<&'a str>,
) {
    let mut at = people.get(from).copied();
    while let Some(p) = at {
        if !set.insert(p.key.as_str()) {
            break;
        }
        at = p.reports_to.as_deref().and_then(|m| people.get(m).copied());
    }
}
