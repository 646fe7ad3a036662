//! The cascade's progress: for the company and each department, who has an
//! approved individual WhyGO, who is drafting, waiting for approval or
//! revising, who has none, and the share of people with an approved one
//! (Kartel's "Individual WhyGO cascade 100% by Jan 29").
//!
//! Counted: every active person except department heads and the tenant's
//! signers, who lead the company and department WhyGOs (they are listed
//! apart). States and counts are shown to everyone; titles and pace only to
//! those who may see that person's individual WhyGOs.

use askama::Template;
use axum::extract::{Query, State};
use axum::response::{IntoResponse, Response};

use crate::db::lifecycle as store;
use crate::domain::lifecycle::{CascadeState, cascade_percent};
use crate::domain::permissions::Org;
use crate::domain::plan::{Approval, Level, Person, Plan, WhyGo};
use crate::domain::report::Report;
use crate::domain::rollup::{Rollup, rollup_groups};
use crate::http::dashboard::WhenForm;
use crate::http::error::render;
use crate::http::params::{self, PageQuery, When};
use crate::http::view::{Chrome, Pace, approval_label};
use crate::http::{AppError, AppState, Tenancy};

#[derive(Clone)]
struct WhyGoLine {
    href: String,
    title: String,
    status: String,
}

#[derive(Clone)]
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
    expected: usize,
    approved: usize,
    percent: String,
    counts: Vec<StateCount>,
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
}

fn percent(approved: usize, expected: usize) -> String {
    cascade_percent(approved, expected).map_or_else(|| "—".to_owned(), |p| format!("{p}%"))
}

fn counts(people: &[PersonLine]) -> Vec<StateCount> {
    CascadeState::ALL
        .iter()
        .map(|s| StateCount {
            label: s.label(),
            css: s.css(),
            n: people.iter().filter(|p| p.state == *s).count(),
        })
        .collect()
}

fn person_line(
    tenancy: &Tenancy,
    (plan, org): (&Plan, &Org),
    r: &Report,
    p: &Person,
    carry: &str,
) -> PersonLine {
    let slug = &plan.tenant.slug;
    let theirs: Vec<&WhyGo> = plan
        .whygos
        .iter()
        .filter(|w| {
            w.level == Level::Individual
                && w.person.as_deref() == Some(p.key.as_str())
                && !w.is_archived()
        })
        .collect();
    // The cascade's progress counts WhyGOs the viewer may not open too: by
    // state only (the plan keeps no more of them).
    let states: Vec<Approval> = plan.individual_states(&p.key).collect();
    let state = CascadeState::of(states.iter().copied());
    let may_see = tenancy.can(
        crate::domain::permissions::Action::ViewIndividual { owner: &p.key },
        org,
    );
    let mut tally: Vec<(String, usize)> = Vec::new();
    for status in &states {
        let label = match approval_label(*status) {
            l if l.is_empty() => "approved".to_owned(),
            l => l,
        };
        match tally.iter_mut().find(|(s, _)| *s == label) {
            Some((_, n)) => *n += 1,
            None => tally.push((label, 1)),
        }
    }
    let summary = if states.is_empty() {
        "none".to_owned()
    } else {
        tally
            .iter()
            .map(|(s, n)| format!("{n} {s}"))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let pace = may_see.then(|| {
        let approved: Vec<Rollup> = r
            .whygos
            .iter()
            .filter(|wr| theirs.iter().any(|w| w.key == wr.key && w.in_force()))
            .map(|wr| Rollup {
                credit: wr.credit,
                status: wr.status,
                counts: wr.counts,
            })
            .collect();
        (!approved.is_empty()).then(|| {
            let rolled = rollup_groups(approved.iter(), &plan.tenant.thresholds);
            Pace::new(rolled.status, rolled.credit, rolled.counts)
        })
    });
    PersonLine {
        href: format!("/{slug}/people/{}{carry}", p.key),
        name: p.name.clone(),
        title: p.title.clone(),
        state,
        whygos: if may_see {
            theirs
                .iter()
                .map(|w| WhyGoLine {
                    href: format!("/{slug}/whygos/{}{carry}", w.key),
                    title: w.title.clone(),
                    status: match approval_label(w.status) {
                        l if l.is_empty() => "approved".to_owned(),
                        l => l,
                    },
                })
                .collect()
        } else {
            Vec::new()
        },
        summary,
        pace: pace.flatten(),
    }
}

fn group(key: String, name: String, href: Option<String>, people: Vec<PersonLine>) -> Group {
    let approved = people
        .iter()
        .filter(|p| p.state == CascadeState::Approved)
        .count();
    Group {
        key,
        name,
        href,
        expected: people.len(),
        approved,
        percent: percent(approved, people.len()),
        counts: counts(&people),
        people,
    }
}

pub async fn page(
    State(state): State<AppState>,
    tenancy: Tenancy,
    Query(q): Query<PageQuery>,
) -> Result<Response, AppError> {
    let (plan, r, when) = params::load(&state, &tenancy, &q, crate::db::plan::Scope::All).await?;
    let signers = store::signers(&state.pool, tenancy.tenant.id).await?;
    let page = CascadePage::build(&tenancy, &plan, &r, &when, &signers);
    Ok(render(&page)?.into_response())
}

impl CascadePage {
    fn build(tenancy: &Tenancy, plan: &Plan, r: &Report, when: &When, signers: &[String]) -> Self {
        let slug = plan.tenant.slug.clone();
        let carry = PageQuery::carry(when);
        // The org facts once per page, not once per person.
        let org = plan.org();
        let leads_whygos = |p: &Person| {
            signers.contains(&p.key)
                || plan
                    .departments
                    .iter()
                    .any(|d| d.head.as_deref() == Some(p.key.as_str()))
        };

        let mut departments = Vec::new();
        let mut everyone = Vec::new();
        let mut leads = Vec::new();
        for (dept, name, href) in sections(plan, &carry) {
            let mut people = Vec::new();
            for p in plan
                .people
                .iter()
                .filter(|p| p.department.as_deref() == dept)
            {
                let line = person_line(tenancy, (plan, &org), r, p, &carry);
                if leads_whygos(p) {
                    leads.push(line);
                } else {
                    everyone.push(line.clone());
                    people.push(line);
                }
            }
            if people.is_empty() {
                continue;
            }
            departments.push(group(
                dept.unwrap_or_default().to_owned(),
                name,
                href,
                people,
            ));
        }
        let when_form = WhenForm::new(format!("/{slug}/cascade"), when, plan, r);
        CascadePage {
            chrome: tenancy.chrome_for(&when_form.quarter_label),
            when: when_form,
            company: group(String::new(), plan.tenant.name.clone(), None, everyone),
            departments,
            leads,
            can_propose: tenancy.person.is_some(),
            slug,
        }
    }
}

/// Each department (key, name, link), then "No department" when someone
/// belongs to none.
fn sections<'a>(plan: &'a Plan, carry: &str) -> Vec<(Option<&'a str>, String, Option<String>)> {
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
    if plan.people.iter().any(|p| p.department.is_none()) {
        sections.push((None, "No department".to_owned(), None));
    }
    sections
}
