//! The person page: title, department, manager and reports, the suggested
//! KPIs of their role, their individual WhyGOs with approval state and pace
//! (to those allowed to see them), and the other outcomes they own.

use askama::Template;
use axum::Router;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use axum::routing::get;

use super::dashboard::WhenForm;
use super::error::render;
use super::params::{self, PageQuery, Path, Query, When};
use super::view::{Chip, Chrome, WhyGoCard};
use super::{AppError, AppState, Tenancy};
use crate::db;
use crate::db::pages::Kpi;
use crate::db::plan::Scope;
use crate::domain::plan::{Level, Person, Plan};
use crate::domain::report::Report;

pub fn router() -> Router<AppState> {
    Router::new().route("/{tenant}/people/{key}", get(show))
}

struct KpiGroup {
    heading: String,
    quarterly: bool,
    rows: Vec<(String, Vec<String>)>,
}

struct OwnedOutcome {
    href: String,
    whygo: String,
    name: String,
    target: String,
    actual: String,
    chip: Chip,
}

#[derive(Template)]
#[template(path = "person.html")]
struct PersonPage {
    chrome: Chrome,
    when: WhenForm,
    name: String,
    title: String,
    department: Option<(String, String)>,
    manager: Option<(String, String)>,
    reports: Vec<(String, String, String)>,
    kpis: Vec<KpiGroup>,
    individual: Vec<WhyGoCard>,
    individual_hidden: bool,
    /// The signed-in person's own page: offer to propose an individual WhyGO.
    propose: Option<String>,
    owned: Vec<OwnedOutcome>,
}

async fn show(
    State(state): State<AppState>,
    tenancy: Tenancy,
    Path((_, key)): Path<(String, String)>,
    Query(q): Query<PageQuery>,
) -> Result<Response, AppError> {
    let (plan, r, when) = params::load(&state, &tenancy, &q, Scope::Person(&key)).await?;
    let person = plan.person(&key).ok_or(AppError::NotFound)?;
    let kpis = db::pages::person_kpis(&state.pool, tenancy.tenant.id, &key).await?;
    let page = PersonPage::build(&tenancy, &plan, &r, &when, person, kpis);
    Ok(render(&page)?.into_response())
}

impl PersonPage {
    fn build(
        tenancy: &Tenancy,
        plan: &Plan,
        r: &Report,
        when: &When,
        person: &Person,
        kpis: Vec<Kpi>,
    ) -> Self {
        let slug = &plan.tenant.slug;
        let key = &person.key;
        let carry = PageQuery::carry(when);
        let individual_hidden = !tenancy.can(
            crate::domain::permissions::Action::ViewIndividual { owner: key },
            &plan.org(),
        );
        let individual = if individual_hidden {
            Vec::new()
        } else {
            individual_cards(plan, r, key, &carry)
        };
        let link = |k: &str| {
            (
                format!("/{slug}/people/{k}{carry}"),
                plan.person_name(k).to_owned(),
            )
        };
        let when_form = WhenForm::new(format!("/{slug}/people/{key}"), when, plan, r);
        PersonPage {
            chrome: tenancy.chrome_for(&when_form.quarter_label),
            when: when_form,
            name: person.name.clone(),
            title: person.title.clone(),
            department: person
                .department
                .as_deref()
                .and_then(|d| plan.department(d))
                .map(|d| {
                    (
                        format!("/{slug}/departments/{}{carry}", d.key),
                        d.name.clone(),
                    )
                }),
            manager: person.reports_to.as_deref().map(link),
            reports: plan
                .reports(key)
                .map(|p| {
                    (
                        format!("/{slug}/people/{}{carry}", p.key),
                        p.name.clone(),
                        p.title.clone(),
                    )
                })
                .collect(),
            kpis: kpi_groups(kpis),
            individual,
            individual_hidden,
            propose: (tenancy.person.as_ref().map(|p| p.key.as_str()) == Some(key.as_str()))
                .then(|| format!("/{slug}/whygos/new")),
            owned: owned_outcomes(plan, r, key, &carry),
        }
    }
}

/// The suggested KPIs in runs of the same heading and kind (quarterly or
/// for the year), in their order.
fn kpi_groups(kpis: Vec<Kpi>) -> Vec<KpiGroup> {
    let mut groups: Vec<KpiGroup> = Vec::new();
    for k in kpis {
        let heading = k.grp.clone().unwrap_or_default();
        let quarterly = k.targets.len() == 4;
        match groups.last_mut() {
            Some(g) if g.heading == heading && g.quarterly == quarterly => {
                g.rows.push((k.metric, k.targets));
            }
            _ => groups.push(KpiGroup {
                heading,
                quarterly,
                rows: vec![(k.metric, k.targets)],
            }),
        }
    }
    groups
}

/// The cards of the person's individual WhyGOs (archived ones left out).
fn individual_cards(plan: &Plan, r: &Report, key: &str, carry: &str) -> Vec<WhyGoCard> {
    let mine: Vec<_> = plan
        .whygos
        .iter()
        .filter(|w| {
            w.level == Level::Individual && w.person.as_deref() == Some(key) && !w.is_archived()
        })
        .collect();
    r.whygos
        .iter()
        .filter(|wr| mine.iter().any(|w| w.key == wr.key))
        .map(|wr| WhyGoCard::new(plan, r, wr, carry))
        .collect()
}

/// Outcomes of company and department WhyGOs the person owns, in the
/// report's quarter.
fn owned_outcomes(plan: &Plan, r: &Report, key: &str, carry: &str) -> Vec<OwnedOutcome> {
    let slug = &plan.tenant.slug;
    let i = r.quarter.index();
    r.whygos
        .iter()
        .filter(|wr| wr.level != Level::Individual)
        .flat_map(|wr| wr.outcomes.iter().map(move |o| (wr, o)))
        .filter(|(_, o)| o.owners.iter().any(|k| k == key))
        .filter_map(|(wr, o)| {
            let q = o.quarters.get(i)?;
            Some(OwnedOutcome {
                href: format!("/{slug}/whygos/{}{carry}", wr.key),
                whygo: wr.title.clone(),
                name: o.name.clone(),
                target: q.target.clone(),
                actual: q.actual.clone().unwrap_or_default(),
                chip: q.status.into(),
            })
        })
        .collect()
}
