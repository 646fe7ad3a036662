//! The department page: its WhyGOs with what they ladder to, its people and
//! the state of their individual WhyGOs, dependencies on and from it, and the
//! sign-offs of its WhyGOs.

use askama::Template;
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Response};
use axum::routing::get;

use super::dashboard::WhenForm;
use super::error::render;
use super::params::{self, PageQuery};
use super::view::{Chrome, Pace, WhyGoCard};
use super::{AppError, AppState, Tenancy};
use crate::db;
use crate::db::plan::Scope;
use crate::domain::permissions::Action;
use crate::domain::plan::Level;
use crate::domain::rollup::rollup_groups;

pub fn router() -> Router<AppState> {
    Router::new().route("/{tenant}/departments/{key}", get(show))
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
    people: Vec<PersonRow>,
    needs: Vec<DependencyRow>,
    delivers: Vec<DependencyRow>,
}

async fn show(
    State(state): State<AppState>,
    tenancy: Tenancy,
    Path((_, key)): Path<(String, String)>,
    Query(q): Query<PageQuery>,
) -> Result<Response, AppError> {
    let (plan, r, when) = params::load(&state, &tenancy, &q, Scope::Department(&key)).await?;
    let dept = plan.department(&key).ok_or(AppError::NotFound)?;
    let slug = &plan.tenant.slug;
    let carry = PageQuery::carry(&when);
    let keys: Vec<String> = plan
        .whygos
        .iter()
        .filter(|w| w.level == Level::Department && w.department.as_deref() == Some(key.as_str()))
        .map(|w| w.key.clone())
        .collect();
    let signoffs = db::pages::signoffs(&state.pool, tenancy.tenant.id, &keys).await?;
    let dependencies = db::pages::dependencies(&state.pool, tenancy.tenant.id).await?;

    let whygos = r
        .whygos
        .iter()
        .filter(|w| keys.contains(&w.key))
        .filter_map(|wr| {
            let w = plan.whygo(&wr.key)?;
            Some(WhyGoBlock {
                card: WhyGoCard::new(&plan, &r, wr, &carry),
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
                        format!(
                            "{} on {}{}",
                            s.person_name,
                            s.signed_on.format("%-d %b %Y"),
                            if s.current() {
                                ""
                            } else {
                                " (an earlier version)"
                            }
                        )
                    })
                    .collect(),
            })
        })
        .collect();

    let org = plan.org();
    let people = plan
        .people
        .iter()
        .filter(|p| p.department.as_deref() == Some(key.as_str()))
        .map(|p| {
            let theirs: Vec<_> = plan
                .whygos
                .iter()
                .filter(|w| {
                    w.level == Level::Individual
                        && w.person.as_deref() == Some(p.key.as_str())
                        && !w.is_archived()
                })
                .collect();
            let may_see = tenancy.can(Action::ViewIndividual { owner: &p.key }, &org);
            let (whygos, pace) = if !may_see {
                ("not visible to you".to_owned(), None)
            } else if theirs.is_empty() {
                ("none yet".to_owned(), None)
            } else {
                let mut states: Vec<(String, usize)> = Vec::new();
                for w in &theirs {
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
                let rolled = rollup_groups(
                    r.whygos
                        .iter()
                        .filter(|wr| theirs.iter().any(|w| w.key == wr.key && w.in_force()))
                        .map(|wr| crate::domain::rollup::Rollup {
                            credit: wr.credit,
                            status: wr.status,
                            counts: wr.counts,
                        })
                        .collect::<Vec<_>>()
                        .iter(),
                    &plan.tenant.thresholds,
                );
                (
                    states
                        .iter()
                        .map(|(s, n)| format!("{n} {s}"))
                        .collect::<Vec<_>>()
                        .join(", "),
                    Some(Pace::new(rolled.status, rolled.credit, rolled.counts)),
                )
            };
            PersonRow {
                href: format!("/{slug}/people/{}{carry}", p.key),
                name: p.name.clone(),
                title: p.title.clone(),
                whygos,
                pace,
            }
        })
        .collect();

    let row = |other_key: &str, other: &str, d: &db::pages::Dependency| DependencyRow {
        other_href: format!("/{slug}/departments/{other_key}{carry}"),
        other: other.to_owned(),
        need: d.need.clone(),
        deliverable: d.deliverable.clone(),
        due: d.due.clone(),
        criteria: d.criteria.clone(),
    };
    let needs = dependencies
        .iter()
        .filter(|d| d.from_key == key)
        .map(|d| row(&d.on_key, &d.on_name, d))
        .collect();
    let delivers = dependencies
        .iter()
        .filter(|d| d.on_key == key)
        .map(|d| row(&d.from_key, &d.from_name, d))
        .collect();

    let pace = r.departments.iter().find(|d| d.key == key).map_or_else(
        || {
            Pace::new(
                crate::domain::pacing::Status::NotScored,
                None,
                Default::default(),
            )
        },
        |d| Pace::new(d.status, d.credit, d.counts),
    );
    let when_form = WhenForm::new(format!("/{slug}/departments/{key}"), &when, &plan, &r);
    let page = DepartmentPage {
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
        whygos,
        people,
        needs,
        delivers,
    };
    Ok(render(&page)?.into_response())
}
