//! Operations, pure: the handoff cycles an engagement moves through, the SLA
//! each handoff is held to, the state of a handoff at any instant (replayed
//! from its timestamped steps), the compliance figures built from those
//! states, and the dates of cross-department dependencies and WhyGO
//! deliverables. No web, no database: pages, the board, the weekly sync and
//! computed outcomes all ask this module, so they cannot disagree.
//!
//! Time: every step of a handoff is an instant, [`Instant`] (UTC). Dates
//! (an engagement's SOW-signed day, a dependency's due quarter) are calendar
//! days; where a date meets an instant it means the start of that day in UTC
//! ([`start_of_day`]), and an instant belongs to the quarter of its UTC date.
//! `docs/operations.md` states the counting rules in plain words.
//!
//! - [`sla`]: the three SLA shapes, parsed from the seed's words.
//! - [`cycle`]: handoff types, cycles, engagements and their key dates.
//! - [`handoff`]: a handoff's steps, the moves allowed, its state as of an instant.
//! - [`figures`]: compliance, first-pass rate, onboarding days, active engagements.
//! - [`commitments`]: dependencies and deliverables, late and overdue.
//! - [`sources`]: where a computed outcome takes its actuals from.
//! - [`from_workbook`]: the workbook's handoff types and dependencies as these.

pub mod commitments;
pub mod cycle;
pub mod figures;
pub mod from_workbook;
pub mod handoff;
pub mod sla;
pub mod sources;

use chrono::{DateTime, NaiveDate, TimeDelta, Utc};

pub use commitments::{
    Deliverable, DeliverableStanding, Dependency, DependencyStanding, DependencyState, Due,
};
pub use cycle::{
    Cycle, CycleError, Engagement, EngagementPhase, EngagementStatus, HandoffType, KeyDate, Opener,
};
pub use figures::{
    Average, Count, Period, Ratio, Records, Selection, active_engagements, closing_reports,
    compliance, first_pass_rate, onboarding_days,
};
pub use handoff::{
    Clock, Fault, Handoff, HandoffId, HandoffState, Phase, Standing, Step, StepKind,
};
pub use sla::{Deadline, Sla, SlaError, SlaTerm};
pub use sources::{Computed, Source};

/// A moment in time. Steps are stamped in UTC when they are done.
pub type Instant = DateTime<Utc>;

/// The first instant of a day (00:00 UTC): how a date such as "SOW signed on
/// 5 January" opens a handoff, and how "needed by 1 March" sets a deadline.
pub fn start_of_day(d: NaiveDate) -> Instant {
    d.and_hms_opt(0, 0, 0)
        .unwrap_or(chrono::NaiveDateTime::MIN)
        .and_utc()
}

/// `t + span`, saturating at the end of time instead of panicking (an SLA
/// of four billion hours is silly, not a crash).
pub fn shifted(t: Instant, span: TimeDelta) -> Instant {
    t.checked_add_signed(span)
        .unwrap_or(if span < TimeDelta::zero() {
            DateTime::<Utc>::MIN_UTC
        } else {
            DateTime::<Utc>::MAX_UTC
        })
}

/// A span in the words of the SLA clock: "45 min", "20 h", "3 d 4 h".
/// Whole units, rounded down; under three days in hours (SLAs are written in
/// hours), beyond that in days and hours. A negative span reads as its size.
pub fn span_words(span: TimeDelta) -> String {
    let minutes = span.num_minutes().unsigned_abs();
    let hours = minutes / 60;
    if hours == 0 {
        return format!("{minutes} min");
    }
    if hours < 72 {
        return format!("{hours} h");
    }
    let (days, rest) = (hours / 24, hours % 24);
    if rest == 0 {
        format!("{days} d")
    } else {
        format!("{days} d {rest} h")
    }
}

/// A share as people read it: 87.5 -> "88%" (halves round up).
pub fn percent_words(p: f64) -> String {
    format!("{}%", p.round() as i64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spans_read_in_minutes_hours_then_days() {
        assert_eq!(span_words(TimeDelta::minutes(45)), "45 min");
        assert_eq!(span_words(TimeDelta::minutes(20 * 60 + 59)), "20 h");
        assert_eq!(span_words(TimeDelta::hours(71)), "71 h");
        assert_eq!(span_words(TimeDelta::hours(72)), "3 d");
        assert_eq!(span_words(TimeDelta::hours(76)), "3 d 4 h");
        assert_eq!(span_words(TimeDelta::hours(-6)), "6 h");
        assert_eq!(span_words(TimeDelta::zero()), "0 min");
    }

    #[test]
    fn a_share_rounds_halves_up() {
        assert_eq!(percent_words(87.5), "88%");
        assert_eq!(percent_words(100.0), "100%");
        assert_eq!(percent_words(0.0), "0%");
        assert_eq!(percent_words(66.666), "67%");
    }

    #[test]
    fn shifting_past_the_end_of_time_saturates() {
        let t = start_of_day(NaiveDate::from_ymd_opt(2026, 1, 5).expect("date"));
        assert_eq!(shifted(t, TimeDelta::hours(2)), t + TimeDelta::hours(2));
        let far = TimeDelta::hours(i64::from(u32::MAX));
        assert_eq!(shifted(t, far), DateTime::<Utc>::MAX_UTC);
        assert_eq!(shifted(t, -far), DateTime::<Utc>::MIN_UTC);
    }

    #[test]
    fn a_date_starts_at_midnight_utc() {
        let d = NaiveDate::from_ymd_opt(2026, 1, 5).expect("date");
        assert_eq!(start_of_day(d).to_rfc3339(), "2026-01-05T00:00:00+00:00");
    }
}
