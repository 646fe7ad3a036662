//! What the weekly leadership sync shows besides the report's lists: the
//! outcomes whose status changed in the week, the actuals entered in it, and
//! the late and breached handoffs. Pure, so the sync page and the weekly
//! digest email (src/notify/digest.rs) list the very same lines.

use chrono::NaiveDate;

use super::calendar::Quarter;
use super::operations::figures::Period;
use super::operations::{EngagementPhase, Instant, Records, Standing};
use super::pacing::Status;
use super::plan::Plan;
use super::report::Report;

/// An outcome of a WhyGO in force whose status is not what it was a week
/// before.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StatusChange {
    pub whygo: String,
    pub outcome: String,
    pub before: Status,
    pub after: Status,
    pub better: bool,
}

/// An actual entered in the week.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewActual {
    pub whygo: String,
    pub outcome: String,
    pub quarter: Quarter,
    pub value: String,
    /// Who entered it (their name), or empty.
    pub by: String,
    pub date: NaiveDate,
    pub note: String,
}

/// The outcomes of WhyGOs in force whose status in the report's quarter is
/// not what it was a week before (`before`: the same plan's report seven
/// days earlier, for the same quarter).
pub fn status_changes(r: &Report, before: &Report) -> Vec<StatusChange> {
    let rank = |s: Status| match s {
        Status::OnPace => 3,
        Status::SlightlyOff => 2,
        Status::OffPace => 1,
        Status::Missing | Status::NotScored => 0,
    };
    let mut changes = Vec::new();
    for (now_w, then_w) in r.whygos.iter().zip(&before.whygos) {
        for (now_o, then_o) in now_w.outcomes.iter().zip(&then_w.outcomes) {
            let i = r.quarter.index();
            let (Some(a), Some(b)) = (now_o.quarters.get(i), then_o.quarters.get(i)) else {
                continue;
            };
            if a.status != b.status && now_w.approval.in_force() {
                changes.push(StatusChange {
                    whygo: now_w.title.clone(),
                    outcome: now_o.name.clone(),
                    before: b.status,
                    after: a.status,
                    better: rank(a.status) > rank(b.status),
                });
            }
        }
    }
    changes
}

/// Actuals of WhyGOs in force dated after `week_ago` up to `as_of`, newest
/// first. Computed outcomes' values are not entered by anyone: not listed.
pub fn new_actuals(plan: &Plan, week_ago: NaiveDate, as_of: NaiveDate) -> Vec<NewActual> {
    let mut entered: Vec<_> = plan
        .whygos
        .iter()
        .filter(|w| w.in_force())
        .flat_map(|w| w.outcomes.iter().map(move |o| (w, o)))
        .filter(|(_, o)| !o.is_computed())
        .flat_map(|(w, o)| {
            o.actuals
                .iter()
                .filter(|a| a.date > week_ago && a.date <= as_of)
                .map(move |a| (w, o, a))
        })
        .collect();
    // Newest first, by the date (and the order of entry), not by its text.
    entered.sort_by_key(|(_, _, a)| std::cmp::Reverse((a.date, a.seq)));
    entered
        .into_iter()
        .map(|(w, o, a)| NewActual {
            whygo: w.title.clone(),
            outcome: o.name.clone(),
            quarter: a.quarter,
            value: a.value.clone(),
            by: a
                .by
                .as_deref()
                .map(|k| plan.person_name(k).to_owned())
                .unwrap_or_default(),
            date: a.date,
            note: a.note.clone(),
        })
        .collect()
}

/// A late or breached handoff.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LateHandoff {
    pub engagement_key: String,
    pub engagement: String,
    pub client: String,
    pub handoff_key: String,
    /// "#1 Sales → Production".
    pub handoff: String,
    /// "late" or "breached".
    pub label: &'static str,
    /// Its standing on its SLA, in words.
    pub words: String,
}

/// The handoffs the sync lists as of `as_of` (the end of `day`): late ones
/// (past their SLA, not accepted) of engagements not lost, and those
/// breached (accepted late, incomplete or answered late) with their
/// acceptance in `period`.
pub fn late_handoffs(
    plan: &Plan,
    records: &Records<'_>,
    as_of: Instant,
    day: NaiveDate,
    period: Period,
) -> Vec<LateHandoff> {
    let department = |k: &str| {
        plan.department(k)
            .map_or_else(|| k.to_owned(), |d| d.name.clone())
    };
    let mut lines = Vec::new();
    for e in records.engagements {
        if e.phase_on(day) == EngagementPhase::Lost {
            continue;
        }
        for (t, s) in records.board_row(e, as_of) {
            let Some(s) = s else { continue };
            let label = match s.standing {
                Standing::Late { .. } => "late",
                Standing::Breached if s.accepted_at.is_some_and(|at| period.contains(at)) => {
                    "breached"
                }
                _ => continue,
            };
            lines.push(LateHandoff {
                engagement_key: e.key.clone(),
                engagement: e.name.clone(),
                client: e.client.clone(),
                handoff_key: t.key.clone(),
                handoff: format!(
                    "{} {} → {}",
                    t.label(),
                    department(&t.from),
                    department(&t.to)
                ),
                label,
                words: s.words(),
            });
        }
    }
    lines
}
