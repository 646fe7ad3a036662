//! The alignment tree (company -> department -> individual WhyGOs, with what
//! ladders to nothing flagged) and the org chart (reports-to, with pace).

use askama::Template;
use axum::Router;
use axum::extract::{Query, State};
use axum::response::{IntoResponse, Response};
use axum::routing::get;

use super::dashboard::WhenForm;
use super::error::render;
use super::params::{self, PageQuery};
use super::view::{Chip, Chrome, Pace, approval_label};
use super::whygos::visible;
use super::{AppError, AppState, Tenancy};
use crate::db::plan::Scope;
use crate::domain::pacing::Status;
use crate::domain::plan::{Level, Plan, WhyGo};
use crate::domain::report::Report;
use crate::domain::rollup::{Rollup, rollup_groups};

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

fn node(plan: &Plan, r: &Report, w: &WhyGo, parent: &str, carry: &str) -> Node {
    let wr = r.whygos.iter().find(|x| x.key == w.key);
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
        approval: approval_label(&w.status),
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
    let carry = PageQuery::carry(&when);
    let shown = |w: &&WhyGo| !w.is_archived() && visible(&tenancy, &plan, w);
    let of_level = |level: Level| plan.whygos.iter().filter(move |w| w.level == level);

    let tree = of_level(Level::Company)
        .filter(|w| !w.is_archived())
        .map(|c| {
            let mut n = node(&plan, &r, c, "", &carry);
            n.children = plan
                .children(&c.key)
                .filter(shown)
                .map(|d| {
                    let mut dn = node(&plan, &r, d, &c.key, &carry);
                    dn.children = plan
                        .children(&d.key)
                        .filter(shown)
                        .map(|i| node(&plan, &r, i, &d.key, &carry))
                        .collect();
                    dn
                })
                .collect();
            n
        })
        .collect();
    let unlinked_company = of_level(Level::Company)
        .filter(|w| !w.is_archived() && plan.children(&w.key).next().is_none())
        .map(|w| flag(&plan, w, &carry))
        .collect();
    let unlinked = |level: Level| -> Vec<Flag> {
        of_level(level)
            .filter(shown)
            .filter(|w| w.ladders_to.is_empty())
            .map(|w| flag(&plan, w, &carry))
            .collect()
    };
    let when_form = WhenForm::new(format!("/{}/alignment", plan.tenant.slug), &when, &plan, &r);
    let page = AlignmentPage {
        chrome: tenancy.chrome_for(&when_form.quarter_label),
        when: when_form,
        tree,
        unlinked_company,
        unlinked_department: unlinked(Level::Department),
        unlinked_individual: unlinked(Level::Individual),
    };
    Ok(render(&page)?.into_response())
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
    let carry = PageQuery::carry(&when);
    let org = plan.org(tenancy.tenant.individuals_visible_to_all);

    // A person's pace: the WhyGOs in force they own and the viewer may see.
    let pace_of = |key: &str| -> Option<Pace> {
        let owned: Vec<Rollup> = r
            .whygos
            .iter()
            .filter(|wr| wr.owner.as_deref() == Some(key) && wr.approval == "approved")
            .filter(|wr| {
                wr.level != Level::Individual
                    || tenancy.can(
                        crate::domain::permissions::Action::ViewIndividual { owner: key },
                        &org,
                    )
            })
            .map(|wr| Rollup {
                credit: wr.credit,
                status: wr.status,
                counts: wr.counts,
            })
            .collect();
        if owned.is_empty() {
            return None;
        }
        let p = rollup_groups(owned.iter(), &plan.tenant.thresholds);
        Some(Pace::new(p.status, p.credit, p.counts))
    };

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
                .is_none_or(|m| plan.person(m).is_none())
        })
        .map(|p| (p.key.as_str(), 0))
        .rev()
        .collect();
    let mut last_depth = 0;
    while let Some((key, depth)) = stack.pop() {
        if !seen.insert(key) {
            continue;
        }
        let Some(p) = plan.person(key) else { continue };
        rows.push(OrgRow {
            opens: depth > last_depth,
            close: last_depth.saturating_sub(depth),
            href: format!("/{}/people/{}{carry}", plan.tenant.slug, p.key),
            name: p.name.clone(),
            title: p.title.clone(),
            department: p
                .department
                .as_deref()
                .and_then(|d| plan.department(d))
                .map(|d| d.name.clone())
                .unwrap_or_default(),
            pace: pace_of(key),
        });
        last_depth = depth;
        let reports: Vec<&str> = plan.reports(key).map(|p| p.key.as_str()).collect();
        stack.extend(reports.into_iter().rev().map(|k| (k, depth + 1)));
    }
    let when_form = WhenForm::new(format!("/{}/org", plan.tenant.slug), &when, &plan, &r);
    let page = OrgPage {
        chrome: tenancy.chrome_for(&when_form.quarter_label),
        when: when_form,
        close_at_end: last_depth,
        rows,
    };
    Ok(render(&page)?.into_response())
}
