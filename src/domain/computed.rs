//! Computed outcomes in the plan (issue 11): an outcome with a
//! [`Source`] gets its actuals here, when the plan is loaded, instead of
//! from check-ins. One actual per quarter started on the as-of day, dated
//! the as-of day (or the quarter's last day once it is over), so pacing,
//! roll-ups, dashboards, the sync and the report read computed outcomes
//! exactly as they read checked-in ones, and a past as-of date replays the
//! records as they stood then. The counting rules are in
//! `docs/operations.md`, "Computed outcomes".

use chrono::{Days, NaiveDate};

use super::calendar::{FiscalYear, Quarter};
use super::operations::sources::end_of_day;
use super::operations::{Instant, Records, Source};
use super::plan::{Actual, Computation, Explanation, Outcome};

/// The quarters of `year` started on `day`, in order.
fn started(year: &FiscalYear, day: NaiveDate) -> impl Iterator<Item = Quarter> + '_ {
    Quarter::ALL
        .into_iter()
        .filter(move |q| year.quarter_start(*q) <= day)
}

/// The days a quarter is read on as of `today`: today and each week
/// before it (what the pages and the sync's "a week ago" read), and the
/// quarter's last day once it is over, in order.
fn reading_days(year: &FiscalYear, q: Quarter, today: NaiveDate) -> Vec<NaiveDate> {
    let (first, last) = (year.quarter_start(q), year.quarter_end(q));
    let mut days: Vec<NaiveDate> =
        std::iter::successors(Some(today), |d| d.checked_sub_days(Days::new(7)))
            .take_while(|d| *d >= first)
            .filter(|d| *d <= last)
            .collect();
    if today > last {
        days.push(last);
    }
    days.sort();
    days.dedup();
    days
}

/// Sets `outcome`'s actuals from the records as they stood at `at` (the
/// end of the as-of day, or now when that is earlier). Each started
/// quarter is read on the as-of day, on each day a whole number of weeks
/// before it, and on its last day once over ([`reading_days`]; each at the
/// end of that day): an actual on every reading whose value changed (its
/// note, that day's sentence), so a report or chart as of the as-of day or
/// a week before (the sync) reads exactly the value of that day; and one
/// more on the last reading when only the sentence changed, so the
/// counting entry says how today's value is reached. `source` must not be
/// an `outcome:` one (see [`copy_from`]).
pub fn from_records(
    outcome: &mut Outcome,
    source: Source,
    records: &Records<'_>,
    year: &FiscalYear,
    at: Instant,
) {
    let spec = outcome.spec();
    let today = at.date_naive();
    let mut actuals = Vec::new();
    let mut quarters = Vec::new();
    for q in started(year, today) {
        let days = reading_days(year, q, today);
        let last = days.last().copied();
        let mut latest = None;
        let mut shown: Option<(String, String)> = None;
        for day in days {
            let instant = if day == today { at } else { end_of_day(day) };
            let Some(e) = source.explain(records, year, q, instant) else {
                break;
            };
            if let Some(value) = e.words_for(&spec) {
                let changed = shown.as_ref().is_none_or(|(v, _)| *v != value);
                let restated = Some(day) == last
                    && shown
                        .as_ref()
                        .is_some_and(|(v, s)| *v == value && *s != e.sentence);
                if changed || restated {
                    actuals.push(Actual {
                        quarter: q,
                        value: value.clone(),
                        note: e.sentence.clone(),
                        date: day,
                        // Unique, increasing: pages tell the counting
                        // entry by its seq.
                        seq: i64::try_from(actuals.len()).unwrap_or(i64::MAX),
                        by: None,
                    });
                    shown = Some((value, e.sentence.clone()));
                }
            }
            latest = Some(e);
        }
        if let Some(e) = latest {
            quarters.push(Explanation {
                quarter: q,
                value: e.words_for(&spec),
                sentence: e.sentence,
                link: e.link,
            });
        }
    }
    outcome.actuals = actuals;
    outcome.computed = Some(Computation { source, quarters });
}

/// The outcome an `outcome:` source copies, as loaded with the plan.
#[derive(Clone, Debug)]
pub struct Original {
    pub key: String,
    pub name: String,
    pub whygo: String,
    pub whygo_title: String,
    /// Its own source is set: a copy of a computed outcome is a chain,
    /// which gives no value (one step, so no loop to follow).
    pub computed: bool,
    /// Its check-ins, whole history.
    pub actuals: Vec<Actual>,
}

/// Sets `outcome`'s actuals to the check-ins of `original` (the outcome its
/// `outcome:` source names, `None` when the plan cycle has none of that
/// key). A missing or computed original gives no value; either way each
/// started quarter says where its value comes from.
pub fn copy_from(
    outcome: &mut Outcome,
    source: Source,
    original: Option<&Original>,
    year: &FiscalYear,
    as_of: NaiveDate,
) {
    let key = source.outcome().unwrap_or_default().to_owned();
    let (actuals, sentence, link) = match original {
        Some(o) if !o.computed => (
            o.actuals.clone(),
            format!(
                "copied from the check-ins of “{}” ({})",
                o.name, o.whygo_title
            ),
            format!("/whygos/{}", o.whygo),
        ),
        Some(o) => (
            Vec::new(),
            format!(
                "no value: “{}”, which this copies, is itself computed",
                o.name
            ),
            format!("/whygos/{}", o.whygo),
        ),
        None => (
            Vec::new(),
            format!("no value: this plan has no outcome “{key}” to copy"),
            String::new(),
        ),
    };
    let quarters = started(year, as_of)
        .map(|q| {
            let value = actuals
                .iter()
                .filter(|a| a.quarter == q && a.date <= as_of)
                .max_by_key(|a| (a.date, a.seq))
                .map(|a| a.value.clone());
            Explanation {
                quarter: q,
                value,
                sentence: sentence.clone(),
                link: link.clone(),
            }
        })
        .collect();
    outcome.actuals = actuals;
    outcome.computed = Some(Computation { source, quarters });
}

#[cfg(test)]
mod tests;
