//! The weekly check-in's rules, pure: which quarters are open for entries on
//! a date, what an entered value would make of an outcome's status (by asking
//! the pacing module, never by redoing its arithmetic), and what that status
//! asks of the note.

use chrono::NaiveDate;

use super::calendar::{FiscalYear, Quarter, YearPosition};
use super::pacing::{ActualEntry, QuarterEval, Rules, Status, evaluate};
use super::plan::Outcome;
use super::target::{ActualError, ActualValue};
use super::target_rules::check_value;

/// For this many days after a quarter ends, its actuals can still be entered
/// (the first two weeks of the next quarter).
pub const LATE_ENTRY_DAYS: i64 = 14;

/// The quarters of `fy` open for check-in on `as_of`, oldest first: the
/// quarter containing the date and, during the first [`LATE_ENTRY_DAYS`] days
/// of a quarter, the one before it. After the year's last quarter, that
/// quarter stays open for the same 14 days (the next year's first two weeks);
/// before the year starts, nothing is open.
pub fn open_quarters(fy: &FiscalYear, as_of: NaiveDate) -> Vec<Quarter> {
    match fy.position(as_of) {
        YearPosition::Before => Vec::new(),
        YearPosition::After => {
            if (as_of - fy.end()).num_days() <= LATE_ENTRY_DAYS {
                vec![Quarter::Q4]
            } else {
                Vec::new()
            }
        }
        YearPosition::In(q) => {
            let into = (as_of - fy.quarter_start(q)).num_days();
            match q.previous() {
                Some(p) if into < LATE_ENTRY_DAYS => vec![p, q],
                _ => vec![q],
            }
        }
    }
}

/// The last day a quarter takes entries: [`LATE_ENTRY_DAYS`] after it ends.
pub fn last_entry_day(fy: &FiscalYear, q: Quarter) -> NaiveDate {
    fy.quarter_end(q) + chrono::Duration::days(LATE_ENTRY_DAYS)
}

/// What a resulting status asks of the note.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NoteRule {
    Optional,
    /// `[~]`: ask for blockers and tactics; the note stays optional.
    AskBlockers,
    /// `[-]`: the note is the escalation reason and is required.
    Required,
}

impl NoteRule {
    pub fn for_status(s: Status) -> NoteRule {
        match s {
            Status::SlightlyOff => NoteRule::AskBlockers,
            Status::OffPace => NoteRule::Required,
            _ => NoteRule::Optional,
        }
    }

    /// The prompt shown next to the note, if any.
    pub fn prompt(self) -> Option<&'static str> {
        match self {
            NoteRule::Optional => None,
            NoteRule::AskBlockers => Some(
                "Slightly off pace: what is blocking this, and what will you do to catch up? (optional)",
            ),
            NoteRule::Required => Some(
                "Off pace: say why in the note (required). It goes on the escalation list of the weekly leadership sync.",
            ),
        }
    }

    /// "optional" | "ask" | "required", for the JSON preview.
    pub fn as_str(self) -> &'static str {
        match self {
            NoteRule::Optional => "optional",
            NoteRule::AskBlockers => "ask",
            NoteRule::Required => "required",
        }
    }
}

/// What entering `value` for `quarter` on `as_of` would make of the outcome.
#[derive(Clone, Debug)]
pub struct Preview {
    /// The value as it will be stored: trimmed, a stage spelled as the ladder
    /// spells it.
    pub stored: String,
    pub eval: QuarterEval,
    pub note: NoteRule,
}

/// Reads `value` against the outcome ([`check_value`]: what may be typed is
/// decided there, for the form and the JSON preview alike) and evaluates the quarter as if it had
/// been entered on `as_of` after every existing entry: exactly what saving it
/// produces, since a new entry gets a later sequence number than all others.
pub fn preview(
    outcome: &Outcome,
    quarter: Quarter,
    value: &str,
    fy: &FiscalYear,
    as_of: NaiveDate,
    rules: &Rules,
) -> Result<Preview, ActualError> {
    let spec = outcome.spec();
    let parsed = check_value(&spec, value)?;
    let stored = match parsed {
        ActualValue::Stage(i) => spec
            .ladder()
            .get(i)
            .cloned()
            .unwrap_or_else(|| value.trim().to_owned()),
        ActualValue::Number(_) => value.trim().to_owned(),
    };
    let mut entries = outcome.entries();
    entries.push(ActualEntry {
        quarter,
        value: stored.clone(),
        date: as_of,
        seq: i64::MAX,
    });
    let eval = evaluate(&spec, &entries, fy, as_of, rules)
        .quarter(quarter)
        .clone();
    let note = NoteRule::for_status(eval.status);
    Ok(Preview { stored, eval, note })
}

#[cfg(test)]
mod tests;
