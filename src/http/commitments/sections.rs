//! What the department and sync pages show of dated commitments.

use chrono::{Duration, NaiveDate, Utc};

use super::{DeliverableLine, DependencyLine};
use crate::db;
use crate::db::commitments::{DeliverableRow, DependencyRow};
use crate::db::operations::Loaded;
use crate::domain::calendar::{FiscalYear, Quarter};
use crate::domain::operations::figures::Period;
use crate::domain::operations::{Instant, start_of_day};
use crate::domain::permissions::{Action, Org};
use crate::domain::plan::Plan;
use crate::domain::sync::late_handoffs;
use crate::http::{AppError, AppState, Tenancy};

// ---------------------------------------------------------------------------
// What the department and sync pages show.
// ---------------------------------------------------------------------------

/// Whether the viewer may see the deliverables of `d`'s WhyGO: an
/// individual WhyGO's only when the permission table lets them see it.
fn visible(tenancy: &Tenancy, d: &DeliverableRow, org: &Org) -> bool {
    match (d.whygo_level.as_str(), d.whygo_person.as_deref()) {
        ("individual", Some(owner)) => tenancy.can(Action::ViewIndividual { owner }, org),
        ("individual", None) => false,
        _ => true,
    }
}

/// Late dependencies and overdue deliverables on a department page.
#[derive(Default)]
pub(in crate::http) struct DepartmentCommitments {
    pub(in crate::http) late: Vec<DependencyLine>,
    pub(in crate::http) overdue: Vec<DeliverableLine>,
    pub(in crate::http) dependencies_href: String,
}

/// The department `key`'s late dependencies (either end) and the overdue
/// deliverables of its WhyGOs and its people's (those the viewer may see),
/// as of `day`; and every dependency, as the page's lists read them. One
/// tenant transaction.
pub(in crate::http) async fn department_section(
    state: &AppState,
    tenancy: &Tenancy,
    plan: &Plan,
    key: &str,
    day: NaiveDate,
) -> Result<(DepartmentCommitments, Vec<db::pages::Dependency>), AppError> {
    let tenant = tenancy.tenant.id;
    let mut tx = db::begin_tenant(&state.pool, tenant).await?;
    let deps = db::commitments::dependencies(&mut tx, tenant).await?;
    let deliverables = db::commitments::deliverables(&mut tx, tenant, None).await?;
    tx.commit().await?;
    let slug = &plan.tenant.slug;
    let year = plan.tenant.fiscal_year();
    let org = plan.org();
    let section = DepartmentCommitments {
        late: late_dependencies(&deps, &year, day)
            .filter(|d| d.from_key == key || d.on_key == key)
            .map(|d| line(tenancy, slug, d, &org, &year, day))
            .collect(),
        overdue: deliverables
            .iter()
            .filter(|d| d.whygo_department.as_deref() == Some(key))
            .filter(|d| visible(tenancy, d, &org))
            .map(|d| DeliverableLine::new(slug, d, &year, day))
            .filter(|d| d.css == "overdue")
            .collect(),
        dependencies_href: format!("/{slug}/dependencies"),
    };
    Ok((section, deps.iter().map(DependencyRow::listed).collect()))
}

fn late_dependencies<'a>(
    deps: &'a [DependencyRow],
    year: &'a FiscalYear,
    day: NaiveDate,
) -> impl Iterator<Item = &'a DependencyRow> + 'a {
    deps.iter().filter(move |d| d.is_late(year, day))
}

fn line(
    tenancy: &Tenancy,
    slug: &str,
    d: &DependencyRow,
    org: &Org,
    year: &FiscalYear,
    day: NaiveDate,
) -> DependencyLine {
    let edit = tenancy.can(
        Action::ManageDependency {
            from: &d.from_key,
            on: &d.on_key,
        },
        org,
    );
    DependencyLine::new(slug, d, year, day, edit)
}

/// A late or breached handoff on the sync page.
pub(in crate::http) struct HandoffLine {
    pub(in crate::http) href: String,
    pub(in crate::http) engagement: String,
    pub(in crate::http) client: String,
    pub(in crate::http) handoff: String,
    /// "late" or "breached".
    pub(in crate::http) label: &'static str,
    pub(in crate::http) words: String,
}

/// What the weekly sync shows beside the `[-]`/`[~]` outcomes.
#[derive(Default)]
pub(in crate::http) struct SyncCommitments {
    pub(in crate::http) handoffs: Vec<HandoffLine>,
    /// The first [`super::super::dashboard::SYNC_LIST`] late dependencies,
    /// and how many more are late (the dependencies page has them all).
    pub(in crate::http) late: Vec<DependencyLine>,
    pub(in crate::http) late_more: usize,
    pub(in crate::http) overdue: Vec<DeliverableLine>,
    pub(in crate::http) engagements_href: String,
    pub(in crate::http) dependencies_href: String,
}

/// The instant a day's figures are read at: the end of `day`, or now when
/// that is earlier (the rest of today has not happened).
fn end_of(day: NaiveDate) -> Instant {
    let end = day
        .succ_opt()
        .map_or_else(|| start_of_day(day), start_of_day)
        - Duration::seconds(1);
    end.min(Utc::now())
}

/// The handoffs the sync lists as of the end of `day` (`loaded`'s instant):
/// [`crate::domain::sync::late_handoffs`], linked to their engagements.
fn handoff_lines(plan: &Plan, loaded: &Loaded, day: NaiveDate, period: Period) -> Vec<HandoffLine> {
    let slug = &plan.tenant.slug;
    late_handoffs(plan, &loaded.records(), loaded.as_of, day, period)
        .into_iter()
        .map(|h| HandoffLine {
            href: format!(
                "/{slug}/engagements/{}#handoff-{}",
                h.engagement_key, h.handoff_key
            ),
            engagement: h.engagement,
            client: h.client,
            handoff: h.handoff,
            label: h.label,
            words: h.words,
        })
        .collect()
}

/// Late handoffs (past their SLA, not accepted, of engagements not lost)
/// and handoffs breached in `quarter` (accepted late, incomplete or
/// answered late; placed by their acceptance), as of the end of `day`;
/// late dependencies and overdue deliverables (those the viewer may see).
/// One tenant transaction.
pub(in crate::http) async fn sync_section(
    state: &AppState,
    tenancy: &Tenancy,
    plan: &Plan,
    day: NaiveDate,
    quarter: Quarter,
) -> Result<SyncCommitments, AppError> {
    let tenant = tenancy.tenant.id;
    let as_of = end_of(day);
    let mut tx = db::begin_tenant(&state.pool, tenant).await?;
    let loaded = db::operations::load(&mut tx, tenant, as_of).await?;
    let deps = db::commitments::dependencies(&mut tx, tenant).await?;
    let deliverables = db::commitments::deliverables(&mut tx, tenant, None).await?;
    tx.commit().await?;
    let slug = &plan.tenant.slug;
    let year = plan.tenant.fiscal_year();
    let org = plan.org();
    let mut late: Vec<DependencyLine> = late_dependencies(&deps, &year, day)
        .map(|d| line(tenancy, slug, d, &org, &year, day))
        .collect();
    let late_more = late
        .len()
        .saturating_sub(super::super::dashboard::SYNC_LIST);
    late.truncate(super::super::dashboard::SYNC_LIST);
    Ok(SyncCommitments {
        handoffs: handoff_lines(plan, &loaded, day, Period::new(year, quarter)),
        late,
        late_more,
        overdue: deliverables
            .iter()
            .filter(|d| visible(tenancy, d, &org))
            .map(|d| DeliverableLine::new(slug, d, &year, day))
            .filter(|d| d.css == "overdue")
            .collect(),
        engagements_href: format!("/{slug}/engagements"),
        dependencies_href: format!("/{slug}/dependencies"),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap_or_default()
    }

    #[test]
    fn a_past_day_is_read_at_its_last_second() {
        let day = date(2026, 10, 5);
        assert_eq!(end_of(day).to_rfc3339(), "2026-10-05T23:59:59+00:00");
        // Today's end has not happened: now instead.
        assert!(end_of(date(9999, 1, 1)) <= Utc::now());
    }
}
