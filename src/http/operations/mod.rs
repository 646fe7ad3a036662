//! Engagements and their handoffs (issue 11), one module per page:
//!
//! - [`board`]: `GET /{tenant}/engagements`, the list (filtered by status,
//!   vertical, producer, department), the board (every active engagement ×
//!   its cycle's handoff types, each cell the handoff's standing in words)
//!   and the board's figures (compliance per type, department pair and
//!   engagement; onboarding time; first-pass rate), each linking to the
//!   handoffs it counts;
//! - [`handoffs`]: `GET /{tenant}/engagements/handoffs`, the handoffs one
//!   figure counts, grouped (met, counted but not met, pending, withdrawn);
//!   computed outcomes link here too, so its query is a contract;
//! - [`engagement`]: one engagement's page with its handoffs, steps, SLA
//!   clocks and the moves the signed-in person may make, and the moves;
//! - [`forms`]: creating and editing an engagement.
//!
//! Reading: one tenant transaction, a fixed number of statements whatever
//! the number of engagements ([`crate::db::operations::load`]'s four, the
//! department and people names, and the two org facts that decide which
//! links and forms are shown). `?as_of=YYYY-MM-DD` replays the records as
//! they stood at the end of that day; without it a page reads them as of
//! now (steps are stamped with the database's clock, so "now" is the real
//! clock's, not a pinned date's).

mod board;
mod engagement;
mod forms;
mod handoffs;

use axum::Router;
use axum::routing::{get, post};
use chrono::{DateTime, NaiveDate, TimeDelta, Utc};

use super::{AppError, AppState, Tenancy};
use crate::db;
use crate::db::operations::{self as store, Loaded};
use crate::domain::operations::{
    EngagementPhase, HandoffState, HandoffType, Instant, Standing, start_of_day,
};
use crate::domain::permissions::Org;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/{tenant}/engagements", get(board::list))
        .route(
            "/{tenant}/engagements/new",
            get(forms::new_form).post(forms::create),
        )
        .route("/{tenant}/engagements/handoffs", get(handoffs::list))
        .route("/{tenant}/engagements/{key}", get(engagement::show))
        .route(
            "/{tenant}/engagements/{key}/edit",
            get(forms::edit_form).post(forms::update),
        )
        .route(
            "/{tenant}/engagements/{key}/handoffs/{handoff}/{move}",
            post(engagement::take),
        )
}

// ---------------------------------------------------------------------------
// Reading.
// ---------------------------------------------------------------------------

/// What the pages read, in one tenant transaction: the records as of an
/// instant, department and people names (in the order selects show them),
/// and the org facts that decide who may move a handoff or edit.
struct Read {
    loaded: Loaded,
    departments: Vec<(String, String)>,
    people: Vec<(String, String)>,
    org: Org,
}

impl Read {
    fn department(&self, key: &str) -> String {
        name_of(&self.departments, key)
    }

    fn person(&self, key: &str) -> String {
        name_of(&self.people, key)
    }

    /// "#1 Sales → Production".
    fn type_heading(&self, t: &HandoffType) -> String {
        format!(
            "{} {} → {}",
            t.label(),
            self.department(&t.from),
            self.department(&t.to)
        )
    }

    /// A type's name when its heading does not say it already (the demo's
    /// types are named after their departments: said once).
    fn type_name(&self, t: &HandoffType) -> String {
        if self.type_heading(t).ends_with(&t.name) {
            String::new()
        } else {
            t.name.clone()
        }
    }
}

fn name_of(pairs: &[(String, String)], key: &str) -> String {
    pairs
        .iter()
        .find(|(k, _)| k == key)
        .map_or_else(|| key.to_owned(), |(_, name)| name.clone())
}

async fn read(state: &AppState, tenancy: &Tenancy, as_of: Instant) -> Result<Read, AppError> {
    let tenant = tenancy.tenant.id;
    let mut tx = db::begin_tenant(&state.pool, tenant).await?;
    let loaded = store::load(&mut tx, tenant, as_of).await?;
    let departments = db::admin::department_choices(&mut tx, tenant)
        .await?
        .into_iter()
        .map(|c| (c.key, c.name))
        .collect();
    let people = db::lifecycle::people(&mut tx, tenant).await?;
    let (heads, member_of) = store::departments_of_people(&mut tx, tenant).await?;
    tx.commit().await?;
    Ok(Read {
        loaded,
        departments,
        people,
        org: Org {
            heads,
            member_of,
            individuals_visible_to_all: tenancy.tenant.individuals_visible_to_all,
            ..Org::default()
        },
    })
}

// ---------------------------------------------------------------------------
// As of when.
// ---------------------------------------------------------------------------

/// The last instant of a day (23:59:59.999999 UTC): a page "as of" a day
/// counts every step stamped that day, one stamped at its last microsecond
/// too (steps are stamped to the microsecond).
fn end_of_day(d: NaiveDate) -> Instant {
    d.succ_opt()
        .and_then(|next| start_of_day(next).checked_sub_signed(TimeDelta::microseconds(1)))
        .unwrap_or(DateTime::<Utc>::MAX_UTC)
}

/// `?as_of=` read: the day asked for, or `None` for now. The message says
/// what is wrong with what was typed.
fn read_as_of(typed: &str) -> Result<Option<NaiveDate>, String> {
    let typed = typed.trim();
    if typed.is_empty() {
        return Ok(None);
    }
    match super::params::read_date(typed) {
        Ok(d) => Ok(Some(d)),
        Err(super::params::DateError::OutOfRange) => {
            Err(super::params::out_of_range_message(typed))
        }
        Err(super::params::DateError::Unreadable) => Err(format!(
            "“{typed}” is not a date: use YYYY-MM-DD, e.g. 2026-03-31."
        )),
    }
}

/// The instant a page replays: the end of the day asked for, or now.
fn instant_of(day: Option<NaiveDate>) -> Instant {
    day.map_or_else(Utc::now, end_of_day)
}

// ---------------------------------------------------------------------------
// Words shared by the pages.
// ---------------------------------------------------------------------------

fn day(d: Option<NaiveDate>) -> String {
    d.map_or_else(|| "—".to_owned(), |d| d.format("%-d %b %Y").to_string())
}

fn instant_words(t: Instant) -> String {
    t.format("%-d %b %Y, %H:%M UTC").to_string()
}

fn phase_words(p: EngagementPhase) -> &'static str {
    match p {
        EngagementPhase::NotStarted => "not started",
        EngagementPhase::Active => "active",
        EngagementPhase::Closed => "closed",
        EngagementPhase::Lost => "lost",
    }
}

/// The css class of a standing. The words say it (they start with it:
/// "due in 20 h", "late by 6 h", "breached: …"), so no label repeats them;
/// colour is extra.
fn standing_css(s: Option<&HandoffState>) -> &'static str {
    match s.map(|s| s.standing) {
        None | Some(Standing::NotOpened) => "not-opened",
        Some(Standing::Waiting { .. }) => "open",
        Some(Standing::Due { .. }) => "due",
        Some(Standing::Late { .. }) => "late",
        Some(Standing::Compliant) => "done",
        Some(Standing::Breached) => "breached",
    }
}

fn standing_words(s: Option<&HandoffState>) -> String {
    s.map_or_else(|| "not opened yet".to_owned(), HandoffState::words)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_day_ends_at_its_last_microsecond() {
        let d = NaiveDate::from_ymd_opt(2026, 3, 31).unwrap_or_default();
        assert_eq!(
            end_of_day(d).to_rfc3339(),
            "2026-03-31T23:59:59.999999+00:00"
        );
        assert_eq!(end_of_day(NaiveDate::MAX), DateTime::<Utc>::MAX_UTC);
    }

    #[test]
    fn an_as_of_day_reads_or_says_why_not() {
        assert_eq!(read_as_of("  "), Ok(None));
        assert_eq!(
            read_as_of("2026-03-31"),
            Ok(NaiveDate::from_ymd_opt(2026, 3, 31))
        );
        assert!(read_as_of("last week").is_err_and(|e| e.contains("YYYY-MM-DD")));
        assert!(read_as_of("0999-01-01").is_err_and(|e| e.contains("out of range")));
    }
}
