//! Where a computed outcome takes its actuals from (issue 11). An outcome
//! with a source is not checked in: its value for a quarter, as of any day,
//! is computed from the operations records as they stood then, or copied
//! from another outcome's check-ins (one revenue check-in feeds the company
//! KPI and Sales' outcome).
//!
//! The words (stored in `outcomes.source`, written in the workbook's
//! `source = "…"`) are [`Source::parse`]'s, and [`Source::as_str`] gives them
//! back unchanged:
//!
//! | words                              | value for a quarter                                   |
//! |------------------------------------|-------------------------------------------------------|
//! | `handoff-compliance:<type key>`    | % of that type's handoffs due in it accepted complete within SLA |
//! | `first-pass-rate` / `first-pass-rate:<type key>` | % of handoffs accepted on first submission |
//! | `active-engagements` / `active-engagements:<cycle key>` | engagements active on the day         |
//! | `closing-reports:<type key>`       | % of engagements delivered in it whose closing report (that type) was accepted |
//! | `onboarding-days`                  | average days SOW signed -> pod started, pods started in it |
//! | `outcome:<outcome key>`            | that outcome's check-ins                              |

use std::fmt;

use chrono::{NaiveDate, TimeDelta};

use super::figures::{self, Period, Records, Selection};
use super::{Instant, percent_words, shifted, start_of_day};
use crate::domain::calendar::{FiscalYear, Quarter};
use crate::domain::target::{OutcomeKind, OutcomeSpec, Unit, format_in_unit};

/// A computed outcome's source. See the module's table for the words.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Source {
    HandoffCompliance { handoff_type: String },
    FirstPassRate { handoff_type: Option<String> },
    ActiveEngagements { cycle: Option<String> },
    ClosingReports { handoff_type: String },
    OnboardingDays,
    Outcome { key: String },
}

/// The kinds, in the order a form offers them: (words before the colon,
/// what it means, whether it takes a key after the colon: Some(true)
/// required, Some(false) optional, None never).
pub const KINDS: [(&str, &str, Option<bool>); 6] = [
    (
        "handoff-compliance",
        "compliance of a handoff type",
        Some(true),
    ),
    ("first-pass-rate", "first-pass rate", Some(false)),
    ("active-engagements", "active engagements", Some(false)),
    ("closing-reports", "closing reports delivered", Some(true)),
    ("onboarding-days", "average onboarding days", None),
    ("outcome", "another outcome's check-ins", Some(true)),
];

fn key_ok(k: &str) -> bool {
    !k.is_empty()
        && k.len() <= 63
        && k.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_')
}

impl Source {
    /// Reads the words; the error says what is wrong in a sentence.
    pub fn parse(words: &str) -> Result<Source, String> {
        let words = words.trim();
        let (kind, key) = match words.split_once(':') {
            Some((k, rest)) => (k.trim(), Some(rest.trim())),
            None => (words, None),
        };
        if let Some(k) = key {
            if !key_ok(k) {
                return Err(format!(
                    "\"{k}\" is not a key (lowercase letters, digits and dashes)"
                ));
            }
        }
        let owned = key.map(str::to_owned);
        let need = |what: &str| format!("\"{kind}\" needs {what} after a colon, e.g. \"{kind}:…\"");
        match kind {
            "handoff-compliance" => owned
                .map(|handoff_type| Source::HandoffCompliance { handoff_type })
                .ok_or_else(|| need("a handoff type's key")),
            "first-pass-rate" => Ok(Source::FirstPassRate {
                handoff_type: owned,
            }),
            "active-engagements" => Ok(Source::ActiveEngagements { cycle: owned }),
            "closing-reports" => owned
                .map(|handoff_type| Source::ClosingReports { handoff_type })
                .ok_or_else(|| need("the closing report's handoff type key")),
            "onboarding-days" => match owned {
                None => Ok(Source::OnboardingDays),
                Some(_) => Err("\"onboarding-days\" takes nothing after it".to_string()),
            },
            "outcome" => owned
                .map(|key| Source::Outcome { key })
                .ok_or_else(|| need("an outcome's key")),
            _ => Err(format!(
                "\"{kind}\" is not a source; one of: {}",
                KINDS.map(|k| k.0).join(", ")
            )),
        }
    }

    /// The words [`Source::parse`] reads back.
    pub fn as_str(&self) -> String {
        match self {
            Source::HandoffCompliance { handoff_type } => {
                format!("handoff-compliance:{handoff_type}")
            }
            Source::FirstPassRate { handoff_type: None } => "first-pass-rate".to_string(),
            Source::FirstPassRate {
                handoff_type: Some(t),
            } => format!("first-pass-rate:{t}"),
            Source::ActiveEngagements { cycle: None } => "active-engagements".to_string(),
            Source::ActiveEngagements { cycle: Some(c) } => format!("active-engagements:{c}"),
            Source::ClosingReports { handoff_type } => format!("closing-reports:{handoff_type}"),
            Source::OnboardingDays => "onboarding-days".to_string(),
            Source::Outcome { key } => format!("outcome:{key}"),
        }
    }

    /// The outcome whose check-ins this one copies, if that is its source.
    pub fn outcome(&self) -> Option<&str> {
        match self {
            Source::Outcome { key } => Some(key),
            _ => None,
        }
    }
}

/// A source's value for one quarter as of an instant, with how it was
/// reached and where its records are listed.
#[derive(Clone, Debug, PartialEq)]
pub struct Computed {
    /// The value in the words of its own unit: "88%", "20.7 days", "12".
    pub value: String,
    /// The same value as a number (rounded as `value` shows it), in `unit`.
    pub number: f64,
    pub unit: Unit,
    /// "14 of 16 handoffs #1 due in Q4 accepted complete within 48 h = 88%".
    pub sentence: String,
    /// The records it counts, a path and query relative to the tenant
    /// ("/engagements/handoffs?type=…"): pages put `/{tenant}` before it.
    pub link: String,
    /// The day the value is read on: the as-of day, or the quarter's last
    /// day once the quarter is over.
    pub date: NaiveDate,
}

impl Computed {
    /// The value in words the outcome's targets read: its own unit, or a
    /// bare number when the targets are bare numbers ("88" against "85"),
    /// so pacing judges it like a typed value.
    pub fn words_for(&self, spec: &OutcomeSpec) -> String {
        words_for(spec, &self.value, self.number, self.unit)
    }
}

fn words_for(spec: &OutcomeSpec, value: &str, number: f64, unit: Unit) -> String {
    match spec.kind() {
        OutcomeKind::Numeric(Unit::Count) if unit != Unit::Count => {
            format_in_unit(Unit::Count, number)
        }
        _ => value.to_owned(),
    }
}

/// The last instant of a day (timestamps are stored to the microsecond).
pub fn end_of_day(d: NaiveDate) -> Instant {
    shifted(
        start_of_day(d),
        TimeDelta::days(1) - TimeDelta::microseconds(1),
    )
}

/// Which figure a handoff link lists (the `figure=` of the link).
fn handoffs_link(handoff_type: Option<&str>, q: Quarter, day: NaiveDate, figure: &str) -> String {
    let of_type = handoff_type.map_or_else(String::new, |t| format!("type={t}&"));
    format!(
        "/engagements/handoffs?{of_type}quarter={}&as_of={day}&figure={figure}",
        q.number()
    )
}

fn engagements_link(day: NaiveDate) -> String {
    format!("/engagements?as_of={day}")
}

/// A source's figure for one quarter, whether or not it has a value yet:
/// its sentence and link say what was counted even when nothing was.
#[derive(Clone, Debug, PartialEq)]
pub struct Explained {
    /// (value in its unit's words, the number, the unit); `None` when
    /// nothing is countable yet.
    pub value: Option<(String, f64, Unit)>,
    pub sentence: String,
    pub link: String,
    pub date: NaiveDate,
}

impl Explained {
    /// Its value in words the outcome's targets read (see
    /// [`Computed::words_for`]), if it has one.
    pub fn words_for(&self, spec: &OutcomeSpec) -> Option<String> {
        let (value, number, unit) = self.value.as_ref()?;
        Some(words_for(spec, value, *number, *unit))
    }
}

impl Source {
    /// The value for `quarter` of `year` as the records stood at `as_of`,
    /// or at the end of the quarter's last day once it is over (a past
    /// quarter keeps its final value). `None` for a quarter not started by
    /// `as_of`, when nothing is countable yet, and for an `outcome:` source
    /// (its check-ins are copied when the plan is loaded).
    pub fn compute(
        &self,
        records: &Records<'_>,
        year: &FiscalYear,
        quarter: Quarter,
        as_of: Instant,
    ) -> Option<Computed> {
        let e = self.explain(records, year, quarter, as_of)?;
        let (value, number, unit) = e.value?;
        Some(Computed {
            value,
            number,
            unit,
            sentence: e.sentence,
            link: e.link,
            date: e.date,
        })
    }

    /// [`Source::compute`]'s figure, also when it has no value yet ("no
    /// handoffs #1 due in Q2 settled yet"); `None` only for a quarter not
    /// started by `as_of` and for an `outcome:` source.
    pub fn explain(
        &self,
        records: &Records<'_>,
        year: &FiscalYear,
        quarter: Quarter,
        as_of: Instant,
    ) -> Option<Explained> {
        if as_of.date_naive() < year.quarter_start(quarter) {
            return None;
        }
        let at = as_of.min(end_of_day(year.quarter_end(quarter)));
        let date = at.date_naive();
        let period = Period::new(*year, quarter);
        let q = quarter;
        let percent = |r: figures::Ratio, t: Option<&str>, figure: &str| Explained {
            value: r
                .percent
                .map(|p| (percent_words(p), p.round(), Unit::Percent)),
            sentence: r.sentence,
            link: handoffs_link(t, q, date, figure),
            date,
        };
        Some(match self {
            Source::HandoffCompliance { handoff_type } => {
                let sel = Selection::handoff_type(handoff_type.as_str()).due_in(*year, q);
                let r = figures::compliance(records, &sel, at);
                percent(r, Some(handoff_type), "compliance")
            }
            Source::FirstPassRate { handoff_type } => {
                let sel = Selection {
                    handoff_type: handoff_type.clone(),
                    ..Selection::all()
                }
                .due_in(*year, q);
                let r = figures::first_pass_rate(records, &sel, at);
                percent(r, handoff_type.as_deref(), "first-pass")
            }
            Source::ClosingReports { handoff_type } => {
                let r = figures::closing_reports(records, handoff_type, period, at);
                percent(r, Some(handoff_type), "closing-reports")
            }
            Source::ActiveEngagements { cycle } => {
                let c = figures::active_engagements(records, cycle.as_deref(), at);
                let n = c.value() as f64;
                Explained {
                    value: Some((format_in_unit(Unit::Count, n), n, Unit::Count)),
                    sentence: c.sentence,
                    link: engagements_link(date),
                    date,
                }
            }
            Source::OnboardingDays => {
                let a = figures::onboarding_days(records, Some(period), at);
                Explained {
                    value: a.value.map(|v| {
                        let v = (v * 10.0).round() / 10.0;
                        (format_in_unit(Unit::Days, v), v, Unit::Days)
                    }),
                    sentence: a.sentence,
                    link: engagements_link(date),
                    date,
                }
            }
            Source::Outcome { .. } => return None,
        })
    }
}

impl fmt::Display for Source {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kind_reads_back_as_written() {
        for words in [
            "handoff-compliance:sales-to-production",
            "first-pass-rate",
            "first-pass-rate:generative-to-production",
            "active-engagements",
            "active-engagements:client",
            "closing-reports:production-to-sales",
            "onboarding-days",
            "outcome:co-revenue",
        ] {
            let s = Source::parse(words).unwrap();
            assert_eq!(s.as_str(), words);
            assert_eq!(Source::parse(&s.to_string()).unwrap(), s);
        }
    }

    #[test]
    fn spaces_around_the_words_are_forgiven() {
        assert_eq!(
            Source::parse("  outcome : co-revenue ").unwrap(),
            Source::Outcome {
                key: "co-revenue".into()
            }
        );
    }

    #[test]
    fn bad_words_say_what_is_wrong() {
        let e = Source::parse("handoff-compliance").unwrap_err();
        assert!(e.contains("needs a handoff type's key"), "{e}");
        let e = Source::parse("revenue").unwrap_err();
        assert!(
            e.contains("not a source") && e.contains("onboarding-days"),
            "{e}"
        );
        let e = Source::parse("outcome:Co Revenue").unwrap_err();
        assert!(e.contains("not a key"), "{e}");
        assert!(Source::parse("onboarding-days:x").is_err());
        assert!(Source::parse("outcome:").is_err());
        assert!(Source::parse("").is_err());
    }

    #[test]
    fn only_the_outcome_kind_names_an_outcome() {
        assert_eq!(
            Source::parse("outcome:co-revenue").unwrap().outcome(),
            Some("co-revenue")
        );
        assert_eq!(Source::OnboardingDays.outcome(), None);
    }
}

#[cfg(test)]
#[path = "sources/compute_tests.rs"]
mod compute_tests;
