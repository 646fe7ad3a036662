//! Quarters of a tenant's fiscal year.
//!
//! Pacing is judged per quarter, and a tenant's year need not start in January
//! (a fiscal year may start on 1 April), so every date question goes through
//! [`FiscalYear`] rather than the calendar.

use std::fmt;

use chrono::{Months, NaiveDate};
use serde::{Deserialize, Deserializer, Serialize};

/// A quarter of the fiscal year, 1..=4. Serialises as the bare number so JSON
/// reports read `"quarter": 2`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct Quarter(u8);

impl Quarter {
    pub const Q1: Quarter = Quarter(1);
    pub const Q2: Quarter = Quarter(2);
    pub const Q3: Quarter = Quarter(3);
    pub const Q4: Quarter = Quarter(4);
    /// The four quarters in order, for loops over a year.
    pub const ALL: [Quarter; 4] = [Quarter(1), Quarter(2), Quarter(3), Quarter(4)];

    /// `None` outside 1..=4, so an out-of-range quarter cannot exist.
    pub fn new(n: u8) -> Option<Quarter> {
        (1..=4).contains(&n).then_some(Quarter(n))
    }

    /// 1..=4, as people and the workbook number quarters.
    pub fn number(self) -> u8 {
        self.0
    }

    /// 0..=3, for indexing per-quarter arrays.
    pub fn index(self) -> usize {
        usize::from(self.0 - 1)
    }

    /// The quarter before, whose target starts this quarter's pacing line.
    pub fn previous(self) -> Option<Quarter> {
        Quarter::new(self.0 - 1)
    }

    pub fn next(self) -> Option<Quarter> {
        Quarter::new(self.0 + 1)
    }
}

impl fmt::Display for Quarter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Q{}", self.0)
    }
}

impl TryFrom<u8> for Quarter {
    type Error = String;
    fn try_from(n: u8) -> Result<Quarter, String> {
        Quarter::new(n).ok_or_else(|| format!("a quarter is 1, 2, 3 or 4, got {n}"))
    }
}

/// Reads a bare number 1..=4 and refuses anything else, so a workbook with
/// `quarter = 5` gets a clear error instead of a silent clamp.
impl<'de> Deserialize<'de> for Quarter {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Quarter, D::Error> {
        let n = u8::deserialize(d)?;
        Quarter::try_from(n).map_err(serde::de::Error::custom)
    }
}

/// A fiscal year, known by the first day of its Q1.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FiscalYear {
    start: NaiveDate,
}

/// Where a date falls relative to a fiscal year.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum YearPosition {
    Before,
    In(Quarter),
    After,
}

impl FiscalYear {
    /// Any day of the year may start it (e.g. 2026-04-01); quarters are whole
    /// months after it.
    pub fn new(start: NaiveDate) -> FiscalYear {
        FiscalYear { start }
    }

    pub fn start(&self) -> NaiveDate {
        self.start
    }

    /// Last day of Q4 (inclusive).
    pub fn end(&self) -> NaiveDate {
        day_before(self.months_after_start(12))
    }

    /// `start + 3*(q-1)` months; clamps to the month's end (a year starting on
    /// 31 January has Q2 starting 30 April) and saturates at the calendar's end.
    pub fn quarter_start(&self, q: Quarter) -> NaiveDate {
        self.months_after_start(3 * u32::from(q.number() - 1))
    }

    /// Inclusive last day of the quarter: the day before the next one starts.
    pub fn quarter_end(&self, q: Quarter) -> NaiveDate {
        day_before(self.months_after_start(3 * u32::from(q.number())))
    }

    pub fn position(&self, d: NaiveDate) -> YearPosition {
        if d < self.start {
            return YearPosition::Before;
        }
        if d > self.end() {
            return YearPosition::After;
        }
        let q = Quarter::ALL
            .into_iter()
            .rev()
            .find(|q| self.quarter_start(*q) <= d)
            .unwrap_or(Quarter::Q1);
        YearPosition::In(q)
    }

    /// The quarter a report headlines: the one containing `d`, Q1 before the
    /// year begins and Q4 after it ends.
    pub fn headline_quarter(&self, d: NaiveDate) -> Quarter {
        match self.position(d) {
            YearPosition::Before => Quarter::Q1,
            YearPosition::In(q) => q,
            YearPosition::After => Quarter::Q4,
        }
    }

    /// (days from quarter start to d, counting d itself) / quarter length;
    /// 0.0 before the quarter, 1.0 on or after its last day.
    pub fn elapsed_fraction(&self, q: Quarter, d: NaiveDate) -> f64 {
        let start = self.quarter_start(q);
        let end = self.quarter_end(q);
        if d < start {
            return 0.0;
        }
        if d >= end {
            return 1.0;
        }
        let length = (end - start).num_days() + 1;
        let elapsed = (d - start).num_days() + 1;
        if length <= 0 {
            return 1.0;
        }
        (elapsed as f64 / length as f64).clamp(0.0, 1.0)
    }

    fn months_after_start(&self, months: u32) -> NaiveDate {
        self.start
            .checked_add_months(Months::new(months))
            .unwrap_or(NaiveDate::MAX)
    }
}

fn day_before(d: NaiveDate) -> NaiveDate {
    d.pred_opt().unwrap_or(NaiveDate::MIN)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).expect("valid test date")
    }

    #[test]
    fn a_quarter_exists_only_from_one_to_four() {
        assert_eq!(Quarter::new(0), None);
        assert_eq!(Quarter::new(5), None);
        assert_eq!(Quarter::new(3).map(Quarter::number), Some(3));
        assert_eq!(Quarter::Q1.previous(), None);
        assert_eq!(Quarter::Q3.previous(), Some(Quarter::Q2));
        assert_eq!(Quarter::Q4.next(), None);
        assert_eq!(Quarter::Q4.index(), 3);
        assert_eq!(Quarter::Q2.to_string(), "Q2");
    }

    #[test]
    fn a_quarter_serialises_as_its_number_and_rejects_five() {
        assert_eq!(serde_json::to_string(&Quarter::Q3).expect("json"), "3");
        let q: Quarter = serde_json::from_str("2").expect("json");
        assert_eq!(q, Quarter::Q2);
        assert!(serde_json::from_str::<Quarter>("5").is_err());
    }

    #[test]
    fn a_calendar_year_has_calendar_quarters() {
        let fy = FiscalYear::new(date(2026, 1, 1));
        assert_eq!(fy.quarter_start(Quarter::Q2), date(2026, 4, 1));
        assert_eq!(fy.quarter_end(Quarter::Q1), date(2026, 3, 31));
        assert_eq!(fy.quarter_end(Quarter::Q4), date(2026, 12, 31));
        assert_eq!(fy.end(), date(2026, 12, 31));
    }

    #[test]
    fn a_fiscal_year_starting_in_april_ends_in_march() {
        let fy = FiscalYear::new(date(2026, 4, 1));
        assert_eq!(fy.quarter_start(Quarter::Q3), date(2026, 10, 1));
        assert_eq!(fy.quarter_start(Quarter::Q4), date(2027, 1, 1));
        assert_eq!(fy.quarter_end(Quarter::Q4), date(2027, 3, 31));
        assert_eq!(
            fy.position(date(2027, 2, 14)),
            YearPosition::In(Quarter::Q4)
        );
        assert_eq!(fy.position(date(2026, 3, 31)), YearPosition::Before);
        assert_eq!(fy.position(date(2027, 4, 1)), YearPosition::After);
    }

    #[test]
    fn the_headline_quarter_is_q1_before_the_year_and_q4_after_it() {
        let fy = FiscalYear::new(date(2026, 1, 1));
        assert_eq!(fy.headline_quarter(date(2025, 12, 31)), Quarter::Q1);
        assert_eq!(fy.headline_quarter(date(2026, 5, 16)), Quarter::Q2);
        assert_eq!(fy.headline_quarter(date(2027, 1, 1)), Quarter::Q4);
    }

    #[test]
    fn the_elapsed_fraction_counts_the_day_itself() {
        let fy = FiscalYear::new(date(2026, 1, 1));
        // Q2 2026 has 91 days; 16 May is its 46th.
        let f = fy.elapsed_fraction(Quarter::Q2, date(2026, 5, 16));
        assert!((f - 46.0 / 91.0).abs() < 1e-12);
        assert_eq!(fy.elapsed_fraction(Quarter::Q2, date(2026, 3, 31)), 0.0);
        assert_eq!(fy.elapsed_fraction(Quarter::Q2, date(2026, 6, 30)), 1.0);
        assert_eq!(fy.elapsed_fraction(Quarter::Q2, date(2026, 9, 1)), 1.0);
        let first = fy.elapsed_fraction(Quarter::Q1, date(2026, 1, 1));
        assert!((first - 1.0 / 90.0).abs() < 1e-12);
    }

    #[test]
    fn a_year_starting_on_the_31st_clamps_to_month_ends() {
        let fy = FiscalYear::new(date(2026, 1, 31));
        assert_eq!(fy.quarter_start(Quarter::Q2), date(2026, 4, 30));
        assert_eq!(fy.quarter_end(Quarter::Q1), date(2026, 4, 29));
    }

    #[test]
    fn dates_at_the_end_of_the_calendar_do_not_panic() {
        let fy = FiscalYear::new(NaiveDate::MAX);
        let _ = fy.position(NaiveDate::MIN);
        let _ = fy.elapsed_fraction(Quarter::Q4, NaiveDate::MAX);
        let fy = FiscalYear::new(NaiveDate::MIN);
        let _ = fy.headline_quarter(NaiveDate::MAX);
    }
}
