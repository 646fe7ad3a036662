//! Who is due which reminder on a date, pure (docs/reminders.md).
//!
//! An organization checks in weekly: its **check-in day** (a weekday) closes
//! each *check-in week*, the seven days ending on it; a week is named by its
//! check-in day. On a date the schedule asks for at most:
//!
//! - the **reminder** of the week whose check-in day is the next one on or
//!   after the date, from `lead_days` before that day up to the day itself;
//! - the **escalation** of the week whose check-in day is the last one
//!   before the date: to managers from `manager_after` days after it, to
//!   department heads from `head_after` days after it (the first day the
//!   scan runs on or after those days; until the next check-in day);
//! - the **digest**, on the digest day.
//!
//! An outcome is **due** in a week for each of its owners when it belongs to
//! an approved WhyGO, takes check-ins (is not computed), is scored in the
//! quarter of the check-in day (a written target, or on the way to a later
//! one: not `TBD`, `Track`, blank after the last target), and has no actual
//! entered from the first day of the week until today. Entering any actual
//! for it ends that outcome's reminders and escalations for the week.
//!
//! The date is the date of the scan's instant in UTC (docs/reminders.md).

use std::collections::BTreeMap;

use chrono::{Datelike as _, Duration, NaiveDate, Weekday};

use super::calendar::{Quarter, YearPosition};
use super::pacing::{Status, evaluate_quarter};
use super::plan::Plan;

/// The organization's notification settings, as the scan reads them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Schedule {
    /// Check-in reminders and escalations, and the reminders of returned
    /// WhyGOs and of what waits for approvers and signers.
    pub reminders: bool,
    pub checkin_day: Weekday,
    /// The reminder goes this many days before the check-in day (0..=6).
    pub lead_days: u32,
    /// Days after the check-in day a missing check-in goes to the manager.
    pub manager_after: u32,
    /// Days after the check-in day it goes to the department head (more
    /// than `manager_after`, at most 6).
    pub head_after: u32,
    /// The digest's weekday, when it is on.
    pub digest: Option<Weekday>,
    pub digest_to: DigestRecipients,
    /// Nothing goes out before this hour (UTC) of the day.
    pub send_hour: u32,
}

impl Default for Schedule {
    /// The demo's rhythm: check in by Friday (reminded on Thursday), the
    /// manager told on Saturday, the head on Monday, the digest on Monday.
    fn default() -> Schedule {
        Schedule {
            reminders: true,
            checkin_day: Weekday::Fri,
            lead_days: 1,
            manager_after: 1,
            head_after: 3,
            digest: Some(Weekday::Mon),
            digest_to: DigestRecipients::Leaders,
            send_hour: 8,
        }
    }
}

/// Who receives the weekly digest.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum DigestRecipients {
    #[default]
    Leaders,
    LeadersAndHeads,
    LeadersHeadsAndAdmins,
}

impl DigestRecipients {
    pub const ALL: [DigestRecipients; 3] = [
        DigestRecipients::Leaders,
        DigestRecipients::LeadersAndHeads,
        DigestRecipients::LeadersHeadsAndAdmins,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            DigestRecipients::Leaders => "leaders",
            DigestRecipients::LeadersAndHeads => "leaders_and_heads",
            DigestRecipients::LeadersHeadsAndAdmins => "leaders_heads_and_admins",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            DigestRecipients::Leaders => "Leaders",
            DigestRecipients::LeadersAndHeads => "Leaders and department heads",
            DigestRecipients::LeadersHeadsAndAdmins => "Leaders, department heads and admins",
        }
    }

    pub fn parse(s: &str) -> Option<DigestRecipients> {
        DigestRecipients::ALL.into_iter().find(|r| r.as_str() == s)
    }

    pub fn heads(self) -> bool {
        self != DigestRecipients::Leaders
    }

    pub fn admins(self) -> bool {
        self == DigestRecipients::LeadersHeadsAndAdmins
    }
}

/// ISO weekday number, 1 (Monday) to 7 (Sunday), as stored.
pub fn weekday_from_number(n: u32) -> Option<Weekday> {
    let index = u8::try_from(n.checked_sub(1)?).ok()?;
    Weekday::try_from(index).ok()
}

pub fn weekday_number(d: Weekday) -> u32 {
    d.number_from_monday()
}

/// "Friday".
pub fn weekday_name(d: Weekday) -> &'static str {
    match d {
        Weekday::Mon => "Monday",
        Weekday::Tue => "Tuesday",
        Weekday::Wed => "Wednesday",
        Weekday::Thu => "Thursday",
        Weekday::Fri => "Friday",
        Weekday::Sat => "Saturday",
        Weekday::Sun => "Sunday",
    }
}

/// The first `day` on or after `d`.
pub fn next_on_or_after(d: NaiveDate, day: Weekday) -> NaiveDate {
    let ahead = (7 + i64::from(day.num_days_from_monday())
        - i64::from(d.weekday().num_days_from_monday()))
        % 7;
    d + Duration::days(ahead)
}

/// The last `day` strictly before `d`.
pub fn last_before(d: NaiveDate, day: Weekday) -> NaiveDate {
    next_on_or_after(d, day) - Duration::days(7)
}

/// The check-in week a date belongs to (named by its check-in day): what
/// a snooze made on that date covers.
pub fn week_of(d: NaiveDate, checkin_day: Weekday) -> NaiveDate {
    next_on_or_after(d, checkin_day)
}

/// The first day of the week of check-in day `week`.
pub fn week_start(week: NaiveDate) -> NaiveDate {
    week - Duration::days(6)
}

/// How far an escalation has gone.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Escalation {
    Manager,
    Head,
}

/// What the schedule asks for on a date.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct DueToday {
    /// Remind the owners of outcomes due in this week (its check-in day),
    /// and send the weekly reminders of returned and waiting WhyGOs.
    pub remind: Option<NaiveDate>,
    /// Escalate the missing check-ins of this week, to managers and, from
    /// `head_after` days on, to department heads too.
    pub escalate: Option<(NaiveDate, Escalation)>,
    /// Send the digest of the week ending on this date.
    pub digest: Option<NaiveDate>,
}

impl DueToday {
    pub fn is_empty(&self) -> bool {
        self.remind.is_none() && self.escalate.is_none() && self.digest.is_none()
    }
}

/// What `s` asks for on `date` at `hour` (UTC).
pub fn due_today(s: &Schedule, date: NaiveDate, hour: u32) -> DueToday {
    if hour < s.send_hour {
        return DueToday::default();
    }
    let mut due = DueToday::default();
    if s.reminders {
        let next = next_on_or_after(date, s.checkin_day);
        if (next - date).num_days() <= i64::from(s.lead_days) {
            due.remind = Some(next);
        }
        let last = last_before(date, s.checkin_day);
        let after = (date - last).num_days();
        if after >= i64::from(s.head_after) {
            due.escalate = Some((last, Escalation::Head));
        } else if after >= i64::from(s.manager_after) {
            due.escalate = Some((last, Escalation::Manager));
        }
    }
    if s.digest == Some(date.weekday()) {
        due.digest = Some(date);
    }
    due
}

/// An outcome a person has not checked in this week.
#[derive(Clone, Debug, PartialEq)]
pub struct DueOutcome {
    pub whygo: String,
    pub whygo_title: String,
    pub outcome: String,
    pub name: String,
    pub quarter: Quarter,
    pub target: String,
    /// Expected by the check-in day (or today, when that has passed).
    pub expected: Option<String>,
    /// The latest actual counting for the quarter, if any.
    pub last: Option<String>,
    pub status: Status,
}

/// Every active person's outcomes due in the week of check-in day `week`
/// and not checked in by `today`, by person key (owners in plan order).
/// `plan` must hold every WhyGO (read as of `today`).
pub fn checkins_due(
    plan: &Plan,
    week: NaiveDate,
    today: NaiveDate,
) -> BTreeMap<String, Vec<DueOutcome>> {
    let mut due: BTreeMap<String, Vec<DueOutcome>> = BTreeMap::new();
    let fy = plan.tenant.fiscal_year();
    let YearPosition::In(quarter) = fy.position(week) else {
        return due;
    };
    let rules = plan.tenant.rules();
    let from = week_start(week);
    // Judged as of the check-in day; once it has passed, as of today.
    let as_of = week.max(today);
    for w in plan.whygos.iter().filter(|w| w.in_force()) {
        for o in w.outcomes.iter().filter(|o| !o.is_computed()) {
            let entered = o.actuals.iter().any(|a| a.date >= from && a.date <= today);
            if entered {
                continue;
            }
            let eval = evaluate_quarter(&o.spec(), &o.entries(), &fy, as_of, &rules, quarter);
            if eval.status == Status::NotScored {
                continue;
            }
            for owner in &o.owners {
                if plan.person(owner).is_none() {
                    continue;
                }
                due.entry(owner.clone()).or_default().push(DueOutcome {
                    whygo: w.key.clone(),
                    whygo_title: w.title.clone(),
                    outcome: o.key.clone(),
                    name: o.name.clone(),
                    quarter,
                    target: eval.target.clone(),
                    expected: eval.expected_text.clone(),
                    last: eval.actual.clone(),
                    status: eval.status,
                });
            }
        }
    }
    due
}

/// One person's missed check-in, as an escalation names it.
#[derive(Clone, Debug, PartialEq)]
pub struct Missed {
    pub person: String,
    pub outcomes: Vec<DueOutcome>,
}

/// A person who snoozed the week, with their reason.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Snoozed {
    pub person: String,
    pub reason: String,
}

/// What one manager or head is told about a week.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Notice {
    pub missed: Vec<Missed>,
    /// Only in a manager's notice: the reports who would have missed the
    /// check-in but snoozed the week, instead of an escalation about them.
    pub snoozed: Vec<Snoozed>,
}

/// The escalation notices of a week at `level`, by recipient (person key):
/// to each missing person's manager (reports-to), or to the head of their
/// department. A head is not told about their own check-in (their manager
/// is); a snoozed week is not escalated: the manager is told the reason.
pub fn escalations(
    plan: &Plan,
    due: &BTreeMap<String, Vec<DueOutcome>>,
    snoozes: &BTreeMap<String, String>,
    level: Escalation,
) -> BTreeMap<String, Notice> {
    let mut notices: BTreeMap<String, Notice> = BTreeMap::new();
    // In the org chart's order, so a notice lists people as pages do.
    for p in &plan.people {
        let Some(outcomes) = due.get(&p.key).filter(|o| !o.is_empty()) else {
            continue;
        };
        let recipient = match level {
            Escalation::Manager => p.reports_to.clone(),
            Escalation::Head => p
                .department
                .as_deref()
                .and_then(|d| plan.department(d))
                .and_then(|d| d.head.clone()),
        };
        let Some(recipient) = recipient.filter(|r| *r != p.key && plan.person(r).is_some()) else {
            continue;
        };
        match snoozes.get(&p.key) {
            Some(reason) if level == Escalation::Manager => {
                notices.entry(recipient).or_default().snoozed.push(Snoozed {
                    person: p.key.clone(),
                    reason: reason.clone(),
                });
            }
            Some(_) => {}
            None => notices.entry(recipient).or_default().missed.push(Missed {
                person: p.key.clone(),
                outcomes: outcomes.clone(),
            }),
        }
    }
    notices
}

#[cfg(test)]
mod tests;
