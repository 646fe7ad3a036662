//! Dated commitments outside the handoff cycle: dependencies between
//! departments (what one needs from another, by when) and the deliverables
//! of a WhyGO (the Generative document's "Q1 priorities").
//!
//! A due date is written as people write it: a date, a quarter ("Q1", "End
//! of Q1"), a span ("Q1-Q3": by the end of Q3), an open start ("Q1+": from
//! Q1 on, no end), a rhythm ("Per project", "Monthly", "On-demand") or
//! nothing ("—"). Only the first three have a last day, and only something
//! with a last day can be late.

use chrono::NaiveDate;

use crate::domain::calendar::{FiscalYear, Quarter};

/// When something is due, parsed from its words. Parsing never fails:
/// words that name no date are kept as [`Due::Text`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Due {
    /// A day (`2026-03-31`).
    Date(NaiveDate),
    /// By the end of a quarter: "Q1", "End of Q1", "by Q1".
    Quarter(Quarter),
    /// From one quarter to another, due by the end of the last: "Q1-Q3".
    Through(Quarter, Quarter),
    /// From a quarter on, ongoing: "Q1+". Never late.
    From(Quarter),
    /// A rhythm or anything else without a last day: "Per project".
    Text(String),
    /// No due date written: "", "—", "-".
    None,
}

impl Due {
    pub fn parse(words: &str) -> Due {
        let w = words.trim();
        if matches!(w, "" | "—" | "-" | "–") {
            return Due::None;
        }
        if let Ok(d) = NaiveDate::parse_from_str(w, "%Y-%m-%d") {
            return Due::Date(d);
        }
        let lower = w.to_lowercase();
        let bare = ["end of ", "by end of ", "by the end of ", "by "]
            .iter()
            .find_map(|p| lower.strip_prefix(p))
            .unwrap_or(&lower)
            .trim();
        if let Some(q) = quarter(bare) {
            return Due::Quarter(q);
        }
        if let Some(q) = bare.strip_suffix('+').and_then(quarter) {
            return Due::From(q);
        }
        let span = bare
            .split_once('-')
            .or_else(|| bare.split_once('–'))
            .and_then(|(a, b)| Some((quarter(a.trim())?, quarter(b.trim())?)));
        match span {
            Some((a, b)) if a <= b => Due::Through(a, b),
            _ => Due::Text(w.to_string()),
        }
    }

    /// The last day it may be done on, in `year`; `None` when it has none.
    pub fn deadline(&self, year: &FiscalYear) -> Option<NaiveDate> {
        match self {
            Due::Date(d) => Some(*d),
            Due::Quarter(q) | Due::Through(_, q) => Some(year.quarter_end(*q)),
            Due::From(_) | Due::Text(_) | Due::None => None,
        }
    }

    /// As people read it: "end of Q1", "Q1-Q3", "31 Mar 2026", "Per project".
    pub fn words(&self) -> String {
        match self {
            Due::Date(d) => d.format("%-d %b %Y").to_string(),
            Due::Quarter(q) => format!("end of {q}"),
            Due::Through(a, b) => format!("{a}-{b}"),
            Due::From(q) => format!("{q} on"),
            Due::Text(t) => t.clone(),
            Due::None => "no date".to_string(),
        }
    }
}

/// What a form's due field may hold.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DueKind {
    /// A dated commitment (a deliverable's deadline): a day, a quarter, a
    /// span of quarters, or nothing.
    Dated,
    /// A dependency's due: a dated one, or also an open start ("Q1+") or a
    /// rhythm ("Per project", "Monthly").
    AnyWords,
}

impl Due {
    /// Reads a due typed in a form, or says what is wrong: words that try to
    /// be a date or a quarter and are not ("2026-02-30", "Q5", "31/03/2026")
    /// are refused whatever `kind`, so a typo never silently becomes a
    /// rhythm that is never late.
    pub fn check(words: &str, kind: DueKind) -> Result<Due, String> {
        const HINT: &str = "a date as YYYY-MM-DD (2026-03-31), a quarter (Q1, End of Q1) or a span of quarters (Q1-Q3)";
        let due = Due::parse(words);
        match &due {
            Due::Date(d) if !(1000..=9999).contains(&chrono::Datelike::year(d)) => {
                Err(format!("Use a year between 1000 and 9999: {HINT}."))
            }
            Due::Text(t) if looks_dated(t) => {
                Err(format!("“{t}” is not a date or a quarter: write {HINT}."))
            }
            Due::Text(t) if t.chars().count() > 200 => Err(format!(
                "Keep it to 200 characters (this is {}).",
                t.chars().count()
            )),
            Due::Text(_) | Due::From(_) if kind == DueKind::Dated => {
                Err(format!("Write a deadline: {HINT}, or leave it empty."))
            }
            _ => Ok(due),
        }
    }
}

/// Words that start like a date or a quarter: a digit, or "q" and a digit
/// (after "end of", "by").
fn looks_dated(words: &str) -> bool {
    let lower = words.trim().to_lowercase();
    let bare = ["end of ", "by end of ", "by the end of ", "by "]
        .iter()
        .find_map(|p| lower.strip_prefix(p))
        .unwrap_or(&lower)
        .trim();
    let mut chars = bare.chars();
    match (chars.next(), chars.next()) {
        (Some(c), _) if c.is_ascii_digit() => true,
        (Some('q'), Some(c)) => c.is_ascii_digit(),
        _ => false,
    }
}

/// "q1".."q4" (lowercase) to a quarter.
fn quarter(s: &str) -> Option<Quarter> {
    let n = s.strip_prefix('q')?.parse::<u8>().ok()?;
    Quarter::new(n)
}

/// Days from `from` to `to` (positive when `to` is later).
fn days(from: NaiveDate, to: NaiveDate) -> i64 {
    (to - from).num_days()
}

fn days_words(n: i64) -> String {
    if n.abs() == 1 {
        "1 day".to_string()
    } else {
        format!("{} days", n.abs())
    }
}

/// The state a dependency's owners give it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum DependencyState {
    #[default]
    Open,
    OnTrack,
    AtRisk,
    Done,
}

impl DependencyState {
    pub const ALL: [DependencyState; 4] = [
        DependencyState::Open,
        DependencyState::OnTrack,
        DependencyState::AtRisk,
        DependencyState::Done,
    ];

    /// The stored form: "open", "on_track", "at_risk", "done".
    pub fn as_str(self) -> &'static str {
        match self {
            DependencyState::Open => "open",
            DependencyState::OnTrack => "on_track",
            DependencyState::AtRisk => "at_risk",
            DependencyState::Done => "done",
        }
    }

    /// The inverse of [`DependencyState::as_str`].
    pub fn parse(s: &str) -> Option<DependencyState> {
        DependencyState::ALL
            .into_iter()
            .find(|k| k.as_str() == s.trim())
    }

    pub fn label(self) -> &'static str {
        match self {
            DependencyState::Open => "open",
            DependencyState::OnTrack => "on track",
            DependencyState::AtRisk => "at risk",
            DependencyState::Done => "done",
        }
    }
}

/// What one department needs from another.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Dependency {
    /// Department key that needs.
    pub from: String,
    /// Department key that delivers.
    pub on: String,
    pub need: String,
    pub deliverable: String,
    /// Person key.
    pub owner: Option<String>,
    pub due: Due,
    pub criteria: String,
    pub state: DependencyState,
}

/// A dependency on a day.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DependencyStanding {
    pub state: DependencyState,
    pub deadline: Option<NaiveDate>,
    /// Days past its last day, when not done: it is late.
    pub late_by_days: Option<i64>,
}

impl DependencyStanding {
    pub fn is_late(&self) -> bool {
        self.late_by_days.is_some()
    }

    /// "at risk, late by 12 days (due 31 Mar 2026)", "on track, due in 5
    /// days (31 Mar 2026)", "done", "open, no due date".
    pub fn words(&self) -> String {
        let state = self.state.label();
        match (self.state, self.deadline, self.late_by_days) {
            (DependencyState::Done, _, _) => state.to_string(),
            (_, Some(d), Some(late)) => format!(
                "{state}, late by {} (due {})",
                days_words(late),
                d.format("%-d %b %Y")
            ),
            (_, Some(d), None) => format!("{state}, due {}", d.format("%-d %b %Y")),
            (_, None, _) => format!("{state}, no due date"),
        }
    }
}

impl Dependency {
    /// Late on `today` when not done and past its last day (the last day
    /// itself is still on time). The state is as stored now: a dependency's
    /// state has no history here (the audit log keeps it), so a past day
    /// reads today's state.
    pub fn standing(&self, year: &FiscalYear, today: NaiveDate) -> DependencyStanding {
        let deadline = self.due.deadline(year);
        let late_by_days = deadline
            .filter(|d| self.state != DependencyState::Done && today > *d)
            .map(|d| days(d, today));
        DependencyStanding {
            state: self.state,
            deadline,
            late_by_days,
        }
    }
}

/// A dated commitment of a WhyGO: "QC process documented and in use, #2,
/// End of Q1".
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Deliverable {
    pub title: String,
    /// WhyGO key.
    pub whygo: String,
    /// Person key.
    pub owner: Option<String>,
    pub deadline: Due,
    /// The day it was done, if it has been.
    pub done_on: Option<NaiveDate>,
}

/// A deliverable on a day.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DeliverableStanding {
    /// Done on or before the day; `late_days` after its deadline (0 if on time).
    Done { on: NaiveDate, late_days: i64 },
    /// Not done, its deadline not passed (or it has none).
    Open {
        deadline: Option<NaiveDate>,
        days_left: Option<i64>,
    },
    /// Not done and past its deadline.
    Overdue { deadline: NaiveDate, days: i64 },
}

impl DeliverableStanding {
    pub fn is_overdue(self) -> bool {
        matches!(self, DeliverableStanding::Overdue { .. })
    }

    /// "done on 20 Mar 2026", "done 3 days late", "due in 12 days
    /// (31 Mar 2026)", "overdue by 4 days (due 31 Mar 2026)".
    pub fn words(self) -> String {
        match self {
            DeliverableStanding::Done { on, late_days } if late_days > 0 => format!(
                "done on {}, {} late",
                on.format("%-d %b %Y"),
                days_words(late_days)
            ),
            DeliverableStanding::Done { on, .. } => format!("done on {}", on.format("%-d %b %Y")),
            DeliverableStanding::Open {
                deadline: Some(d),
                days_left: Some(left),
            } => format!("due in {} ({})", days_words(left), d.format("%-d %b %Y")),
            DeliverableStanding::Open { .. } => "open, no deadline".to_string(),
            DeliverableStanding::Overdue { deadline, days } => format!(
                "overdue by {} (due {})",
                days_words(days),
                deadline.format("%-d %b %Y")
            ),
        }
    }
}

impl Deliverable {
    /// On `today`: done if its done date is on or before it (so a past day
    /// replays exactly), else overdue after its deadline, else open.
    pub fn standing(&self, year: &FiscalYear, today: NaiveDate) -> DeliverableStanding {
        let deadline = self.deadline.deadline(year);
        if let Some(on) = self.done_on.filter(|d| *d <= today) {
            let late_days = deadline.map_or(0, |d| days(d, on).max(0));
            return DeliverableStanding::Done { on, late_days };
        }
        match deadline {
            Some(d) if today > d => DeliverableStanding::Overdue {
                deadline: d,
                days: days(d, today),
            },
            _ => DeliverableStanding::Open {
                deadline,
                days_left: deadline.map(|d| days(today, d)),
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).expect("valid test date")
    }

    fn year() -> FiscalYear {
        FiscalYear::new(date(2026, 1, 1))
    }

    fn q(n: u8) -> Quarter {
        Quarter::new(n).expect("quarter")
    }

    #[test]
    fn the_seeds_due_words_parse_as_written() {
        let table = [
            ("Q1", Due::Quarter(q(1))),
            ("End of Q1", Due::Quarter(q(1))),
            ("by Q3", Due::Quarter(q(3))),
            ("Q1-Q3", Due::Through(q(1), q(3))),
            ("Q1–Q4", Due::Through(q(1), q(4))),
            ("Q1+", Due::From(q(1))),
            ("2026-03-31", Due::Date(date(2026, 3, 31))),
            ("Per project", Due::Text("Per project".into())),
            ("Monthly", Due::Text("Monthly".into())),
            ("On-demand", Due::Text("On-demand".into())),
            ("Q3-Q1", Due::Text("Q3-Q1".into())),
            ("Q5", Due::Text("Q5".into())),
            ("—", Due::None),
            ("", Due::None),
        ];
        for (words, due) in table {
            assert_eq!(Due::parse(words), due, "{words}");
        }
    }

    #[test]
    fn only_dates_quarters_and_spans_have_a_last_day() {
        let fy = year();
        assert_eq!(Due::parse("Q1").deadline(&fy), Some(date(2026, 3, 31)));
        assert_eq!(Due::parse("Q1-Q3").deadline(&fy), Some(date(2026, 9, 30)));
        assert_eq!(
            Due::parse("2026-05-01").deadline(&fy),
            Some(date(2026, 5, 1))
        );
        for words in ["Q1+", "Per project", "—"] {
            assert_eq!(Due::parse(words).deadline(&fy), None, "{words}");
        }
        let april = FiscalYear::new(date(2026, 4, 1));
        assert_eq!(Due::parse("Q1").deadline(&april), Some(date(2026, 6, 30)));
        assert_eq!(Due::parse("End of Q1").words(), "end of Q1");
        assert_eq!(Due::parse("Q1+").words(), "Q1 on");
        assert_eq!(Due::None.words(), "no date");
    }

    #[test]
    fn a_typed_due_that_tries_to_be_a_date_and_is_not_is_refused() {
        for words in ["2026-02-30", "31/03/2026", "Q5", "End of Q9", "0999-01-01"] {
            assert!(Due::check(words, DueKind::AnyWords).is_err(), "{words}");
            assert!(Due::check(words, DueKind::Dated).is_err(), "{words}");
        }
        for words in ["Per project", "Q1+", "Monthly"] {
            assert!(Due::check(words, DueKind::AnyWords).is_ok(), "{words}");
            assert!(Due::check(words, DueKind::Dated).is_err(), "{words}");
        }
        for words in ["2026-03-31", "Q1", "End of Q2", "Q1-Q3", "", "—"] {
            assert_eq!(
                Due::check(words, DueKind::Dated),
                Ok(Due::parse(words)),
                "{words}"
            );
        }
    }

    fn dependency(due: &str, state: DependencyState) -> Dependency {
        Dependency {
            from: "community".into(),
            on: "generative".into(),
            need: "Platform for credits, challenges, tier progression".into(),
            deliverable: "Community Ecosystem MVP".into(),
            owner: Some("fill".into()),
            due: Due::parse(due),
            criteria: "Live by Q1 (with Fill)".into(),
            state,
        }
    }

    #[test]
    fn a_dependency_is_late_the_day_after_its_quarter_unless_done() {
        let d = dependency("Q1", DependencyState::AtRisk);
        let on_last_day = d.standing(&year(), date(2026, 3, 31));
        assert!(!on_last_day.is_late());
        assert_eq!(on_last_day.words(), "at risk, due 31 Mar 2026");
        let after = d.standing(&year(), date(2026, 4, 12));
        assert_eq!(after.late_by_days, Some(12));
        assert_eq!(after.words(), "at risk, late by 12 days (due 31 Mar 2026)");
        let done = dependency("Q1", DependencyState::Done).standing(&year(), date(2026, 9, 1));
        assert!(!done.is_late());
        assert_eq!(done.words(), "done");
        let ongoing =
            dependency("Q1+", DependencyState::OnTrack).standing(&year(), date(2026, 9, 1));
        assert!(!ongoing.is_late());
        assert_eq!(ongoing.words(), "on track, no due date");
        let one = dependency("Q1", DependencyState::Open).standing(&year(), date(2026, 4, 1));
        assert_eq!(one.words(), "open, late by 1 day (due 31 Mar 2026)");
    }

    #[test]
    fn dependency_states_read_back_as_themselves() {
        for s in DependencyState::ALL {
            assert_eq!(DependencyState::parse(s.as_str()), Some(s));
        }
        assert_eq!(DependencyState::parse("blocked"), None);
        assert_eq!(DependencyState::default(), DependencyState::Open);
    }

    fn priority(done_on: Option<NaiveDate>) -> Deliverable {
        Deliverable {
            title: "QC process documented and in use".into(),
            whygo: "gen-2".into(),
            owner: Some("fill".into()),
            deadline: Due::parse("End of Q1"),
            done_on,
        }
    }

    #[test]
    fn a_deliverable_is_overdue_after_its_deadline_unless_done() {
        let open = priority(None);
        assert_eq!(
            open.standing(&year(), date(2026, 3, 19)).words(),
            "due in 12 days (31 Mar 2026)"
        );
        assert!(!open.standing(&year(), date(2026, 3, 31)).is_overdue());
        let late = open.standing(&year(), date(2026, 4, 4));
        assert!(late.is_overdue());
        assert_eq!(late.words(), "overdue by 4 days (due 31 Mar 2026)");
    }

    #[test]
    fn a_deliverable_done_late_replays_as_overdue_before_its_done_date() {
        let d = priority(Some(date(2026, 4, 3)));
        assert!(d.standing(&year(), date(2026, 4, 2)).is_overdue());
        let done = d.standing(&year(), date(2026, 4, 3));
        assert_eq!(
            done,
            DeliverableStanding::Done {
                on: date(2026, 4, 3),
                late_days: 3
            }
        );
        assert_eq!(done.words(), "done on 3 Apr 2026, 3 days late");
        let early = priority(Some(date(2026, 3, 2))).standing(&year(), date(2026, 6, 1));
        assert_eq!(early.words(), "done on 2 Mar 2026");
    }

    #[test]
    fn a_deliverable_without_a_date_is_never_overdue() {
        let d = Deliverable {
            deadline: Due::parse("Per project"),
            ..priority(None)
        };
        let s = d.standing(&year(), date(2027, 1, 1));
        assert!(!s.is_overdue());
        assert_eq!(s.words(), "open, no deadline");
    }
}
