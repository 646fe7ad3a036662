//! The SLA of a handoff type, in the three shapes the seed documents use:
//!
//! - within N hours of the trigger ("SOW package within 48 hrs of signature");
//! - at least N days of lead time before a date ("pod requests with 1-week
//!   lead time");
//! - an answer within N hours of receipt ("Generative confirms availability
//!   within 24 hrs").
//!
//! An SLA is one or more of these terms (the seed's handoff #2 has a lead
//! time *and* an answer time). The first two set the handoff's deadline: the
//! instant by which the receiver must have accepted it. The third holds the
//! receiver: every submission must be answered (accepted or sent back)
//! within N hours.

use std::fmt;

use chrono::{NaiveDate, TimeDelta};

use super::{Instant, shifted, start_of_day};

/// One clause of an SLA.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum SlaTerm {
    /// Accepted within N hours of the trigger that opened the handoff.
    WithinHours(u32),
    /// Accepted at least N days before the date it is needed by.
    LeadDays(u32),
    /// Every submission answered (accepted or sent back) within N hours of
    /// its receipt.
    AnswerWithinHours(u32),
}

impl SlaTerm {
    /// The clause in words: "within 48 h of the trigger".
    pub fn words(self) -> String {
        match self {
            SlaTerm::WithinHours(h) => format!("within {h} h of the trigger"),
            SlaTerm::LeadDays(d) => format!("at least {} before the date needed", days(d)),
            SlaTerm::AnswerWithinHours(h) => format!("answered within {h} h of receipt"),
        }
    }

    /// The short form used in figures' sentences: "within 48 h".
    pub fn short(self) -> String {
        match self {
            SlaTerm::WithinHours(h) => format!("within {h} h"),
            SlaTerm::LeadDays(d) => format!("{} before needed", days(d)),
            SlaTerm::AnswerWithinHours(h) => format!("answered within {h} h"),
        }
    }
}

fn days(d: u32) -> String {
    if d == 1 {
        "1 day".to_string()
    } else {
        format!("{d} days")
    }
}

/// Why words could not be read as an SLA.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SlaError {
    /// No clause with a number of hours, days or weeks was found.
    NoTerm(String),
    /// A lead time in hours that is not a whole number of days.
    LeadNotInDays(String),
    /// A number of zero, or one too large to be a duration.
    BadNumber(String),
}

impl fmt::Display for SlaError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SlaError::NoTerm(w) => write!(
                f,
                "no SLA in \"{w}\": write e.g. \"within 48 hours of signature\", \
                 \"with 1-week lead time\" or \"answer within 24 hours of receipt\""
            ),
            SlaError::LeadNotInDays(w) => {
                write!(f, "a lead time is a whole number of days or weeks: \"{w}\"")
            }
            SlaError::BadNumber(w) => write!(f, "an SLA needs a number above zero: \"{w}\""),
        }
    }
}

impl std::error::Error for SlaError {}

/// The deadline a handoff's acceptance is held to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Deadline {
    /// Accepted at or before this instant to be on time.
    At(Instant),
    /// The SLA has no deadline term (only an answer time, or nothing).
    NoClock,
    /// A lead-time SLA whose handoff has no "needed by" date yet.
    NeedsDate,
}

impl Deadline {
    pub fn instant(self) -> Option<Instant> {
        match self {
            Deadline::At(t) => Some(t),
            Deadline::NoClock | Deadline::NeedsDate => None,
        }
    }
}

/// A handoff type's SLA: its terms in the order written. No terms means no
/// SLA: such a handoff is never late, and compliant once accepted complete.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Sla {
    terms: Vec<SlaTerm>,
}

impl Sla {
    pub fn none() -> Sla {
        Sla { terms: Vec::new() }
    }

    pub fn within_hours(h: u32) -> Sla {
        Sla::none().and(SlaTerm::WithinHours(h))
    }

    pub fn lead_days(d: u32) -> Sla {
        Sla::none().and(SlaTerm::LeadDays(d))
    }

    pub fn answer_within_hours(h: u32) -> Sla {
        Sla::none().and(SlaTerm::AnswerWithinHours(h))
    }

    /// This SLA with one more term (a repeated term is kept once).
    pub fn and(mut self, term: SlaTerm) -> Sla {
        if !self.terms.contains(&term) {
            self.terms.push(term);
        }
        self
    }

    pub fn terms(&self) -> &[SlaTerm] {
        &self.terms
    }

    /// The hours a receiver has to answer a submission, if the SLA says.
    /// With two answer terms the stricter counts.
    pub fn answer_hours(&self) -> Option<u32> {
        self.terms
            .iter()
            .filter_map(|t| match t {
                SlaTerm::AnswerWithinHours(h) => Some(*h),
                _ => None,
            })
            .min()
    }

    /// Whether some term sets a deadline for acceptance.
    pub fn has_deadline(&self) -> bool {
        self.terms
            .iter()
            .any(|t| matches!(t, SlaTerm::WithinHours(_) | SlaTerm::LeadDays(_)))
    }

    /// The instant by which a handoff opened at `opened` (and needed by
    /// `needed_by`, for a lead time) must be accepted: the earliest of its
    /// deadline terms. A lead time without a date leaves it unknown.
    pub fn deadline(&self, opened: Instant, needed_by: Option<NaiveDate>) -> Deadline {
        let mut earliest: Option<Instant> = None;
        for term in &self.terms {
            let at = match *term {
                SlaTerm::WithinHours(h) => shifted(opened, TimeDelta::hours(i64::from(h))),
                SlaTerm::LeadDays(d) => match needed_by {
                    Some(date) => shifted(start_of_day(date), -TimeDelta::days(i64::from(d))),
                    None => return Deadline::NeedsDate,
                },
                SlaTerm::AnswerWithinHours(_) => continue,
            };
            earliest = Some(earliest.map_or(at, |e| e.min(at)));
        }
        earliest.map_or(Deadline::NoClock, Deadline::At)
    }

    /// The SLA in words: "within 48 h of the trigger"; "no SLA" when empty.
    pub fn words(&self) -> String {
        if self.terms.is_empty() {
            return "no SLA".to_string();
        }
        join(self.terms.iter().map(|t| t.words()))
    }

    /// The short form in figures: "within 48 h", "their SLA" when empty.
    pub fn short(&self) -> String {
        if self.terms.is_empty() {
            return "with no SLA".to_string();
        }
        join(self.terms.iter().map(|t| t.short()))
    }

    /// Reads an SLA from words such as the seed's. Clauses are separated by
    /// `;`. A clause with "lead time" (or "lead-time", "before") and a number
    /// of days or weeks is a lead time; a clause with "within" or
    /// "turnaround" and a number of hours, days or weeks is an answer time
    /// when it speaks of receipt, an answer, a response, a reply or a
    /// confirmation, else a time after the trigger. Days count as 24 hours,
    /// working days too. Clauses with no duration (e.g. "≥85% pass rate")
    /// are not SLA terms and are skipped.
    pub fn parse(words: &str) -> Result<Sla, SlaError> {
        let mut sla = Sla::none();
        for clause in words.split(';') {
            let lower = clause.to_lowercase();
            let Some((n, unit)) = find_duration(&lower) else {
                continue;
            };
            if n == 0 {
                return Err(SlaError::BadNumber(clause.trim().to_string()));
            }
            let hours = n
                .checked_mul(unit.hours())
                .ok_or_else(|| SlaError::BadNumber(clause.trim().to_string()))?;
            let term = if ["lead time", "lead-time", "before"]
                .iter()
                .any(|w| lower.contains(w))
            {
                if hours % 24 != 0 {
                    return Err(SlaError::LeadNotInDays(clause.trim().to_string()));
                }
                SlaTerm::LeadDays(hours / 24)
            } else if lower.contains("within") || lower.contains("turnaround") {
                let answer = ["receipt", "answer", "respon", "reply", "confirm"]
                    .iter()
                    .any(|w| lower.contains(w));
                if answer {
                    SlaTerm::AnswerWithinHours(hours)
                } else {
                    SlaTerm::WithinHours(hours)
                }
            } else {
                continue;
            };
            sla = sla.and(term);
        }
        if sla.terms.is_empty() {
            return Err(SlaError::NoTerm(words.trim().to_string()));
        }
        Ok(sla)
    }

    /// The workbook's pair (`sla` words, `sla_hours`): the words when they
    /// hold an SLA, else `sla_hours` as "within N hours of the trigger".
    /// The seed's handoff #2 writes its 1-week lead time as `sla_hours =
    /// 168`; its words say more (a lead time and a 24-hour answer), so the
    /// words win.
    pub fn from_workbook(words: &str, hours: Option<i64>) -> Result<Sla, SlaError> {
        match Sla::parse(words) {
            Ok(sla) => Ok(sla),
            Err(SlaError::NoTerm(w)) => match hours.map(u32::try_from) {
                Some(Ok(h)) if h > 0 => Ok(Sla::within_hours(h)),
                Some(_) => Err(SlaError::BadNumber(w)),
                None => Err(SlaError::NoTerm(w)),
            },
            Err(e) => Err(e),
        }
    }
}

impl fmt::Display for Sla {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.words())
    }
}

fn join(parts: impl Iterator<Item = String>) -> String {
    parts.collect::<Vec<_>>().join(" and ")
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Unit {
    Hour,
    Day,
    Week,
}

impl Unit {
    fn hours(self) -> u32 {
        match self {
            Unit::Hour => 1,
            Unit::Day => 24,
            Unit::Week => 168,
        }
    }
}

/// The first "<number>[ -]<unit>" in lowercase text: "48 hrs", "1-week",
/// "3-day", "5 working days", "24h". A number not followed by a unit ("85%")
/// is passed over.
fn find_duration(text: &str) -> Option<(u32, Unit)> {
    let bytes = text.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        if !bytes[i].is_ascii_digit() {
            i += 1;
            continue;
        }
        let start = i;
        while i < bytes.len() && bytes[i].is_ascii_digit() {
            i += 1;
        }
        let number = text.get(start..i).and_then(|s| s.parse::<u32>().ok());
        let rest = text.get(i..).unwrap_or("");
        let rest = rest.trim_start_matches([' ', '-']);
        let rest = rest.strip_prefix("working ").unwrap_or(rest);
        let rest = rest.strip_prefix("business ").unwrap_or(rest);
        if let (Some(n), Some(unit)) = (number, unit_at(rest)) {
            return Some((n, unit));
        }
    }
    None
}

fn unit_at(rest: &str) -> Option<Unit> {
    let word: String = rest.chars().take_while(char::is_ascii_alphabetic).collect();
    match word.as_str() {
        "h" | "hr" | "hrs" | "hour" | "hours" => Some(Unit::Hour),
        "d" | "day" | "days" => Some(Unit::Day),
        "w" | "wk" | "wks" | "week" | "weeks" => Some(Unit::Week),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(y: i32, m: u32, d: u32, h: u32) -> Instant {
        start_of_day(NaiveDate::from_ymd_opt(y, m, d).expect("date")) + TimeDelta::hours(h.into())
    }

    #[test]
    fn the_seeds_handoff_1_is_within_48_hours_of_the_trigger() {
        let sla = Sla::parse("SOW package within 48 hrs of signature").expect("sla");
        assert_eq!(sla, Sla::within_hours(48));
        assert_eq!(sla.words(), "within 48 h of the trigger");
    }

    #[test]
    fn the_seeds_handoff_2_is_a_lead_time_and_an_answer_time() {
        let sla = Sla::parse(
            "Pod requests with 1-week lead time; Generative confirms availability within 24 hrs",
        )
        .expect("sla");
        assert_eq!(
            sla.terms(),
            &[SlaTerm::LeadDays(7), SlaTerm::AnswerWithinHours(24)]
        );
        assert_eq!(sla.answer_hours(), Some(24));
        assert_eq!(
            sla.words(),
            "at least 7 days before the date needed and answered within 24 h of receipt"
        );
    }

    #[test]
    fn the_seeds_handoff_3_reads_its_turnaround_and_skips_the_pass_rate() {
        let sla = Sla::parse(
            "Within the client's workflow SLA (e.g., 3-day turnaround); ≥85% pass rate on first-pass quality",
        )
        .expect("sla");
        assert_eq!(sla, Sla::within_hours(72));
    }

    #[test]
    fn the_seeds_handoff_4_counts_working_days_as_days() {
        let sla =
            Sla::parse("Closing Report within 5 working days of final delivery").expect("sla");
        assert_eq!(sla, Sla::within_hours(120));
    }

    #[test]
    fn an_answer_within_hours_of_receipt_is_the_receivers_clock() {
        let sla = Sla::parse("an answer within 24 hours of receipt").expect("sla");
        assert_eq!(sla, Sla::answer_within_hours(24));
        assert!(!sla.has_deadline());
        assert_eq!(sla.deadline(at(2026, 1, 5, 0), None), Deadline::NoClock);
        let sla = Sla::parse("Availability response within 24 hrs").expect("sla");
        assert_eq!(sla, Sla::answer_within_hours(24));
    }

    #[test]
    fn lead_times_read_days_and_weeks_but_not_odd_hours() {
        assert_eq!(
            Sla::parse("at least 10 days before kickoff"),
            Ok(Sla::lead_days(10))
        );
        assert_eq!(Sla::parse("2 weeks lead time"), Ok(Sla::lead_days(14)));
        assert_eq!(Sla::parse("48h lead time"), Ok(Sla::lead_days(2)));
        assert!(matches!(
            Sla::parse("30 hours lead time"),
            Err(SlaError::LeadNotInDays(_))
        ));
    }

    #[test]
    fn words_without_a_duration_are_no_sla() {
        assert!(matches!(
            Sla::parse("100% compliance"),
            Err(SlaError::NoTerm(_))
        ));
        assert!(matches!(Sla::parse(""), Err(SlaError::NoTerm(_))));
        assert!(matches!(
            Sla::parse("within 48 parsecs"),
            Err(SlaError::NoTerm(_))
        ));
        assert!(matches!(
            Sla::parse("within 0 hours"),
            Err(SlaError::BadNumber(_))
        ));
        assert!(matches!(
            Sla::parse("within 99999999999 weeks"),
            Err(SlaError::NoTerm(_))
        ));
        assert!(matches!(
            Sla::parse("within 4000000000 weeks"),
            Err(SlaError::BadNumber(_))
        ));
        let message = Sla::parse("soon").map_err(|e| e.to_string());
        assert!(matches!(message, Err(m) if m.contains("within 48 hours of signature")));
    }

    #[test]
    fn the_workbook_falls_back_to_sla_hours_when_the_words_hold_none() {
        assert_eq!(
            Sla::from_workbook("as agreed with the client", Some(72)),
            Ok(Sla::within_hours(72))
        );
        assert_eq!(
            Sla::from_workbook("Pod requests with 1-week lead time", Some(168)),
            Ok(Sla::lead_days(7))
        );
        assert!(Sla::from_workbook("as agreed", None).is_err());
        assert!(Sla::from_workbook("as agreed", Some(0)).is_err());
        assert!(Sla::from_workbook("as agreed", Some(-4)).is_err());
    }

    #[test]
    fn the_deadline_is_the_earliest_term() {
        let opened = at(2026, 1, 5, 9);
        assert_eq!(
            Sla::within_hours(48).deadline(opened, None),
            Deadline::At(at(2026, 1, 7, 9))
        );
        let needed = NaiveDate::from_ymd_opt(2026, 2, 1).expect("date");
        assert_eq!(
            Sla::lead_days(7).deadline(opened, Some(needed)),
            Deadline::At(at(2026, 1, 25, 0))
        );
        assert_eq!(
            Sla::lead_days(7).deadline(opened, None),
            Deadline::NeedsDate
        );
        let both = Sla::within_hours(24 * 30).and(SlaTerm::LeadDays(7));
        assert_eq!(
            both.deadline(opened, Some(needed)),
            Deadline::At(at(2026, 1, 25, 0))
        );
        assert_eq!(Sla::none().deadline(opened, None), Deadline::NoClock);
        assert_eq!(Sla::none().words(), "no SLA");
    }

    #[test]
    fn an_absurd_sla_saturates_instead_of_panicking() {
        let opened = at(2026, 1, 5, 0);
        let far = Sla::within_hours(u32::MAX).deadline(opened, None);
        assert_eq!(far, Deadline::At(chrono::DateTime::<chrono::Utc>::MAX_UTC));
        let lead = Sla::lead_days(u32::MAX).deadline(opened, NaiveDate::from_ymd_opt(2026, 2, 1));
        assert_eq!(lead, Deadline::At(chrono::DateTime::<chrono::Utc>::MIN_UTC));
    }

    #[test]
    fn a_repeated_term_is_kept_once() {
        let sla = Sla::within_hours(48).and(SlaTerm::WithinHours(48));
        assert_eq!(sla.terms().len(), 1);
        assert_eq!(sla.short(), "within 48 h");
    }
}
