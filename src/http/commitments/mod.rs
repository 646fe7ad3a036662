//! Dated commitments (issue 11): the dependency matrix and list with their
//! forms, the deliverables of a WhyGO (its section on the WhyGO page and
//! their forms), and what the department and sync pages show of both: late
//! dependencies, overdue deliverables and (on the sync) late and breached
//! handoffs.
//!
//! Reading: one tenant transaction per page part, a fixed number of
//! statements whatever the number of rows. Individual WhyGOs' deliverables
//! are shown only to those the permission table lets see the WhyGO (the
//! same `ViewIndividual` row `Plan::visible_to` applies).
//!
//! Writing: each form posts to the service ([`crate::app::commitments`]);
//! success redirects (303), bad input comes back next to its field with what
//! was typed (422), a refusal is 403 and a missing row 404.

mod deliverables;
mod dependencies;
mod sections;

use axum::Router;
use chrono::NaiveDate;
use uuid::Uuid;

use super::{AppError, AppState};
use crate::db::commitments::{DeliverableRow, DependencyRow};
use crate::domain::calendar::FiscalYear;
pub(super) use deliverables::{DeliverablesSection, whygo_section};
pub(super) use sections::{
    DepartmentCommitments, SyncCommitments, department_section, sync_section,
};

pub fn router() -> Router<AppState> {
    Router::new()
        .merge(dependencies::router())
        .merge(deliverables::router())
}

/// A path's id: anything else is no such row.
fn read_id(id: &str) -> Result<Uuid, AppError> {
    Uuid::parse_str(id).map_err(|_| AppError::NotFound)
}

/// A row's `updated_at` as a form carries it (microseconds, as stored), so
/// a save over someone else's newer one is noticed.
fn seen(t: chrono::DateTime<chrono::Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Micros, true)
}

fn day_words(d: NaiveDate) -> String {
    d.format("%-d %b %Y").to_string()
}

/// A dependency as listed (list page, department page, sync page).
pub(in crate::http) struct DependencyLine {
    pub(in crate::http) id: String,
    pub(in crate::http) from: String,
    pub(in crate::http) on: String,
    pub(in crate::http) need: String,
    pub(in crate::http) deliverable: String,
    pub(in crate::http) owner: String,
    pub(in crate::http) due: String,
    pub(in crate::http) criteria: String,
    pub(in crate::http) standing: String,
    pub(in crate::http) late: bool,
    pub(in crate::http) edit_href: Option<String>,
    pub(in crate::http) href: String,
}

impl DependencyLine {
    fn new(slug: &str, d: &DependencyRow, year: &FiscalYear, day: NaiveDate, edit: bool) -> Self {
        let domain = d.domain();
        let standing = domain.standing(year, day);
        DependencyLine {
            id: d.id.to_string(),
            from: d.from_name.clone(),
            on: d.on_name.clone(),
            need: d.need.clone(),
            deliverable: d.deliverable.clone(),
            owner: d.owner_name.clone().unwrap_or_else(|| "—".to_owned()),
            due: domain.due.words(),
            criteria: d.criteria.clone(),
            late: standing.is_late(),
            standing: standing.words(),
            edit_href: edit.then(|| format!("/{slug}/dependencies/{}/edit", d.id)),
            href: format!(
                "/{slug}/dependencies?from={}&on={}#dependency-{}",
                d.from_key, d.on_key, d.id
            ),
        }
    }
}

/// A deliverable as listed.
pub(in crate::http) struct DeliverableLine {
    pub(in crate::http) id: String,
    pub(in crate::http) title: String,
    pub(in crate::http) owner: String,
    pub(in crate::http) deadline: String,
    pub(in crate::http) standing: String,
    /// "done", "overdue" or "open": a css class (the words say it too).
    pub(in crate::http) css: &'static str,
    pub(in crate::http) done: bool,
    pub(in crate::http) whygo: String,
    pub(in crate::http) whygo_href: String,
}

impl DeliverableLine {
    fn new(slug: &str, d: &DeliverableRow, year: &FiscalYear, day: NaiveDate) -> Self {
        use crate::domain::operations::commitments::DeliverableStanding as S;
        let domain = d.domain();
        let standing = domain.standing(year, day);
        DeliverableLine {
            id: d.id.to_string(),
            title: d.title.clone(),
            owner: d.owner_name.clone().unwrap_or_else(|| "—".to_owned()),
            deadline: domain.deadline.words(),
            standing: standing.words(),
            css: match standing {
                S::Done { .. } => "done",
                S::Overdue { .. } => "overdue",
                S::Open { .. } => "open",
            },
            done: matches!(standing, S::Done { .. }),
            whygo: d.whygo_heading(),
            whygo_href: format!("/{slug}/whygos/{}#deliverables", d.whygo),
        }
    }
}
