//! The figures built from handoff and engagement records as of an instant:
//! compliance (per handoff type, department pair, engagement, quarter),
//! first-pass rate, average onboarding days and active engagements. Each
//! returns the counts it is made of, the records it counts (for links), and
//! a sentence saying how it was reached, so the board, computed outcomes and
//! the sync read the same numbers.
//!
//! Counting rules (also in `docs/operations.md`):
//! - A handoff belongs to the quarter its `due_at` falls in (UTC date):
//!   its acceptance deadline, or for an answer-only SLA the answer time of
//!   its first submission. A handoff with no `due_at` belongs to no quarter.
//! - Compliance counts the *settled* handoffs: accepted, late, or already at
//!   fault. Met: accepted complete within the SLA. A handoff whose clock is
//!   still running is *pending*: listed, not counted, so a quarter does not
//!   look bad on its first day. One due in Q1 and accepted in Q2 counts in
//!   Q1 only: late (not met) until accepted, then breached (not met).
//! - A handoff not yet opened as of the instant is not selected at all.
//! - An unaccepted handoff of an engagement lost on or before the as-of day
//!   is *withdrawn*: listed, not counted.

use chrono::NaiveDate;

use super::cycle::{Cycle, Engagement, EngagementPhase, HandoffType};
use super::handoff::{Handoff, HandoffId, HandoffState, Standing};
use super::{Instant, percent_words};
use crate::domain::calendar::{FiscalYear, Quarter, YearPosition};

/// The records the figures read, as loaded for one tenant.
#[derive(Clone, Copy, Debug)]
pub struct Records<'a> {
    pub cycles: &'a [Cycle],
    pub engagements: &'a [Engagement],
    pub handoffs: &'a [Handoff],
}

impl<'a> Records<'a> {
    /// A handoff type by key, in whichever cycle has it.
    pub fn handoff_type(&self, key: &str) -> Option<&'a HandoffType> {
        self.cycles.iter().find_map(|c| c.get(key))
    }

    pub fn engagement(&self, key: &str) -> Option<&'a Engagement> {
        self.engagements.iter().find(|e| e.key == key)
    }

    /// One row of the board: the engagement's cycle, type by type, with the
    /// state of its handoff of that type as of `as_of` (`None` when no such
    /// handoff exists yet).
    pub fn board_row(
        &self,
        engagement: &Engagement,
        as_of: Instant,
    ) -> Vec<(&'a HandoffType, Option<HandoffState>)> {
        let Some(cycle) = self.cycles.iter().find(|c| c.key == engagement.cycle) else {
            return Vec::new();
        };
        cycle
            .types()
            .iter()
            .map(|t| {
                let state = self
                    .handoffs
                    .iter()
                    .find(|h| h.engagement == engagement.key && h.handoff_type == t.key)
                    .map(|h| h.state(&t.sla, as_of));
                (t, state)
            })
            .collect()
    }
}

/// A quarter of a fiscal year.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Period {
    pub year: FiscalYear,
    pub quarter: Quarter,
}

impl Period {
    pub fn new(year: FiscalYear, quarter: Quarter) -> Period {
        Period { year, quarter }
    }

    /// Whether the instant's UTC date falls in this quarter.
    pub fn contains(&self, t: Instant) -> bool {
        self.contains_date(t.date_naive())
    }

    pub fn contains_date(&self, d: NaiveDate) -> bool {
        self.year.position(d) == YearPosition::In(self.quarter)
    }
}

/// Which handoffs a figure is about; every field left `None` selects all.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Selection {
    /// Handoff type key.
    pub handoff_type: Option<String>,
    /// (from, to) department keys.
    pub departments: Option<(String, String)>,
    /// Engagement key.
    pub engagement: Option<String>,
    /// Only handoffs due in this quarter.
    pub due_in: Option<Period>,
}

impl Selection {
    pub fn all() -> Selection {
        Selection::default()
    }

    pub fn handoff_type(key: impl Into<String>) -> Selection {
        Selection {
            handoff_type: Some(key.into()),
            ..Selection::default()
        }
    }

    pub fn departments(from: impl Into<String>, to: impl Into<String>) -> Selection {
        Selection {
            departments: Some((from.into(), to.into())),
            ..Selection::default()
        }
    }

    pub fn engagement(key: impl Into<String>) -> Selection {
        Selection {
            engagement: Some(key.into()),
            ..Selection::default()
        }
    }

    /// This selection, narrowed to handoffs due in `quarter` of `year`.
    pub fn due_in(self, year: FiscalYear, quarter: Quarter) -> Selection {
        Selection {
            due_in: Some(Period::new(year, quarter)),
            ..self
        }
    }

    /// "handoffs #1 of Acme due in Q4".
    fn words(&self, records: &Records<'_>) -> String {
        let mut parts = vec!["handoffs".to_string()];
        match (&self.handoff_type, &self.departments) {
            (Some(key), _) => parts.push(
                records
                    .handoff_type(key)
                    .map_or_else(|| key.clone(), HandoffType::label),
            ),
            (None, Some((from, to))) => parts.push(format!("{from} → {to}")),
            (None, None) => {}
        }
        if let Some(key) = &self.engagement {
            let name = records
                .engagement(key)
                .map_or(key.as_str(), |e| e.name.as_str());
            parts.push(format!("of {name}"));
        }
        if let Some(p) = &self.due_in {
            parts.push(format!("due in {}", p.quarter));
        }
        parts.join(" ")
    }

    /// "within 48 h" for one type, else "within their SLA".
    fn sla_words(&self, records: &Records<'_>) -> String {
        self.handoff_type
            .as_deref()
            .and_then(|k| records.handoff_type(k))
            .map_or_else(|| "within their SLA".to_string(), |t| t.sla.short())
    }
}

/// A share of handoffs: `met` of `counted`, with the handoffs behind each.
#[derive(Clone, Debug, PartialEq)]
pub struct Ratio {
    /// The handoffs in the numerator.
    pub met: Vec<HandoffId>,
    /// The handoffs in the denominator (`met` among them).
    pub counted: Vec<HandoffId>,
    /// Selected but not counted yet (their clock still runs).
    pub pending: Vec<HandoffId>,
    /// Selected but not counted: unaccepted handoffs of lost engagements.
    pub withdrawn: Vec<HandoffId>,
    /// 0..=100; `None` when nothing is counted.
    pub percent: Option<f64>,
    pub sentence: String,
}

fn ratio(met: usize, counted: usize) -> Option<f64> {
    (counted > 0).then(|| met as f64 * 100.0 / counted as f64)
}

struct Selected {
    id: HandoffId,
    state: HandoffState,
    withdrawn: bool,
}

fn select(records: &Records<'_>, sel: &Selection, as_of: Instant) -> Vec<Selected> {
    let today = as_of.date_naive();
    let mut out = Vec::new();
    for h in records.handoffs {
        if sel.engagement.as_ref().is_some_and(|k| *k != h.engagement) {
            continue;
        }
        if sel
            .handoff_type
            .as_ref()
            .is_some_and(|k| *k != h.handoff_type)
        {
            continue;
        }
        let (Some(engagement), Some(t)) = (
            records.engagement(&h.engagement),
            records.handoff_type(&h.handoff_type),
        ) else {
            continue;
        };
        if let Some((from, to)) = &sel.departments {
            if t.from != *from || t.to != *to {
                continue;
            }
        }
        let state = h.state(&t.sla, as_of);
        if state.standing == Standing::NotOpened {
            continue;
        }
        if let Some(p) = &sel.due_in {
            if !state.due_at.is_some_and(|d| p.contains(d)) {
                continue;
            }
        }
        let withdrawn = engagement.phase_on(today) == EngagementPhase::Lost && !state.is_accepted();
        out.push(Selected {
            id: h.id(),
            state,
            withdrawn,
        });
    }
    out.sort_by(|a, b| a.id.cmp(&b.id));
    out
}

fn suffix(pending: usize, withdrawn: usize) -> String {
    let mut parts = Vec::new();
    if pending > 0 {
        parts.push(format!("{pending} more not settled yet"));
    }
    if withdrawn > 0 {
        parts.push(format!("{withdrawn} withdrawn (engagement lost)"));
    }
    if parts.is_empty() {
        String::new()
    } else {
        format!("; {}", parts.join(", "))
    }
}

/// Compliance of the selected handoffs as of `as_of`: of those settled, the
/// share accepted complete within their SLA. "14 of 16 handoffs #1 due in
/// Q4 accepted complete within 48 h = 88%".
pub fn compliance(records: &Records<'_>, sel: &Selection, as_of: Instant) -> Ratio {
    let mut r = Ratio {
        met: Vec::new(),
        counted: Vec::new(),
        pending: Vec::new(),
        withdrawn: Vec::new(),
        percent: None,
        sentence: String::new(),
    };
    for s in select(records, sel, as_of) {
        if s.withdrawn {
            r.withdrawn.push(s.id);
        } else if s.state.is_settled() {
            if s.state.standing == Standing::Compliant {
                r.met.push(s.id.clone());
            }
            r.counted.push(s.id);
        } else {
            r.pending.push(s.id);
        }
    }
    r.percent = ratio(r.met.len(), r.counted.len());
    let what = sel.words(records);
    let rest = suffix(r.pending.len(), r.withdrawn.len());
    r.sentence = match r.percent {
        Some(p) => format!(
            "{} of {} {what} accepted complete {} = {}{rest}",
            r.met.len(),
            r.counted.len(),
            sel.sla_words(records),
            percent_words(p)
        ),
        None => format!("no {what} settled yet{rest}"),
    };
    r
}

/// First-pass rate of the selected handoffs as of `as_of`: of those
/// accepted, the share accepted on their first submission.
pub fn first_pass_rate(records: &Records<'_>, sel: &Selection, as_of: Instant) -> Ratio {
    let mut r = Ratio {
        met: Vec::new(),
        counted: Vec::new(),
        pending: Vec::new(),
        withdrawn: Vec::new(),
        percent: None,
        sentence: String::new(),
    };
    for s in select(records, sel, as_of) {
        if s.withdrawn {
            r.withdrawn.push(s.id);
        } else if s.state.is_accepted() {
            if s.state.is_first_pass() {
                r.met.push(s.id.clone());
            }
            r.counted.push(s.id);
        } else {
            r.pending.push(s.id);
        }
    }
    r.percent = ratio(r.met.len(), r.counted.len());
    let what = sel.words(records);
    let rest = match r.pending.len() {
        0 => suffix(0, r.withdrawn.len()),
        n => format!(
            "; {n} not accepted yet{}",
            suffix(0, r.withdrawn.len()).replacen(';', ",", 1)
        ),
    };
    r.sentence = match r.percent {
        Some(p) => format!(
            "{} of {} accepted {what} were accepted on first submission = {}{rest}",
            r.met.len(),
            r.counted.len(),
            percent_words(p)
        ),
        None => format!("no {what} accepted yet{rest}"),
    };
    r
}

/// Closing reports: of the engagements of the type's cycle delivered in
/// `period` on or before the as-of day, the share whose handoff of type
/// `handoff_type` (the closing report) was accepted by the as-of instant,
/// on time or not. Each engagement counts as one (engagement, type) id,
/// whether or not its handoff was opened yet. "3 of 4 engagements delivered
/// in Q1 have their closing report (#4) accepted = 75%".
pub fn closing_reports(
    records: &Records<'_>,
    handoff_type: &str,
    period: Period,
    as_of: Instant,
) -> Ratio {
    let today = as_of.date_naive();
    let cycle = records
        .cycles
        .iter()
        .find(|c| c.get(handoff_type).is_some());
    let label = records
        .handoff_type(handoff_type)
        .map_or_else(|| handoff_type.to_string(), HandoffType::label);
    let mut r = Ratio {
        met: Vec::new(),
        counted: Vec::new(),
        pending: Vec::new(),
        withdrawn: Vec::new(),
        percent: None,
        sentence: String::new(),
    };
    if let Some((cycle, t)) = cycle.and_then(|c| Some((c, c.get(handoff_type)?))) {
        let mut delivered: Vec<&Engagement> = records
            .engagements
            .iter()
            .filter(|e| e.cycle == cycle.key)
            .filter(|e| {
                e.delivered
                    .is_some_and(|d| d <= today && period.contains_date(d))
            })
            .collect();
        delivered.sort_by(|a, b| a.key.cmp(&b.key));
        for e in delivered {
            let id = HandoffId {
                engagement: e.key.clone(),
                handoff_type: t.key.clone(),
            };
            let accepted = records
                .handoffs
                .iter()
                .find(|h| h.engagement == e.key && h.handoff_type == t.key)
                .is_some_and(|h| h.state(&t.sla, as_of).is_accepted());
            if accepted {
                r.met.push(id.clone());
            }
            r.counted.push(id);
        }
    }
    r.percent = ratio(r.met.len(), r.counted.len());
    r.sentence = match r.percent {
        Some(p) => format!(
            "{} of {} delivered in {} {} their closing report ({label}) accepted = {}",
            r.met.len(),
            engagements(r.counted.len()),
            period.quarter,
            if r.counted.len() == 1 { "has" } else { "have" },
            percent_words(p)
        ),
        None => format!("no engagement delivered in {} yet", period.quarter),
    };
    r
}

/// An average over engagements, with each one's figure.
#[derive(Clone, Debug, PartialEq)]
pub struct Average {
    /// (engagement key, its figure), in key order.
    pub items: Vec<(String, i64)>,
    /// Engagements left out, each with why.
    pub skipped: Vec<(String, String)>,
    pub value: Option<f64>,
    pub sentence: String,
}

/// Average onboarding days (SOW signed -> pod started) of the engagements
/// whose pod started on or before the as-of day, and in `period` when one is
/// given (an engagement counts in the quarter its pod started). A pod start
/// before the SOW is skipped as a data error.
pub fn onboarding_days(records: &Records<'_>, period: Option<Period>, as_of: Instant) -> Average {
    let today = as_of.date_naive();
    let mut items = Vec::new();
    let mut skipped = Vec::new();
    for e in records.engagements {
        let (Some(sow), Some(pod)) = (e.sow_signed, e.pod_started) else {
            continue;
        };
        if pod > today || period.is_some_and(|p| !p.contains_date(pod)) {
            continue;
        }
        let days = (pod - sow).num_days();
        if days < 0 {
            skipped.push((
                e.key.clone(),
                format!("pod started {} days before its SOW was signed", -days),
            ));
        } else {
            items.push((e.key.clone(), days));
        }
    }
    items.sort();
    skipped.sort();
    let total: i64 = items.iter().map(|(_, d)| d).sum();
    let value = (!items.is_empty()).then(|| total as f64 / items.len() as f64);
    let when = period.map_or_else(String::new, |p| format!(" in {}", p.quarter));
    let sentence = match value {
        Some(v) => format!(
            "{} whose pod started{when} took {total} days from SOW signed to pod started = {} days on average",
            engagements(items.len()),
            one_decimal(v)
        ),
        None => format!("no engagement's pod started{when} yet"),
    };
    Average {
        items,
        skipped,
        value,
        sentence,
    }
}

fn engagements(n: usize) -> String {
    if n == 1 {
        "1 engagement".to_string()
    } else {
        format!("{n} engagements")
    }
}

/// 21 -> "21", 20.666 -> "20.7".
fn one_decimal(v: f64) -> String {
    let tenths = (v * 10.0).round() / 10.0;
    if tenths.fract() == 0.0 {
        format!("{tenths:.0}")
    } else {
        format!("{tenths:.1}")
    }
}

/// A count of records, with the records.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Count {
    /// Keys, in order.
    pub items: Vec<String>,
    pub sentence: String,
}

impl Count {
    pub fn value(&self) -> usize {
        self.items.len()
    }
}

/// Engagements active on the as-of day (SOW signed, not closed or lost by
/// then), of one cycle when `cycle` is given.
pub fn active_engagements(records: &Records<'_>, cycle: Option<&str>, as_of: Instant) -> Count {
    let today = as_of.date_naive();
    let mut items: Vec<String> = records
        .engagements
        .iter()
        .filter(|e| cycle.is_none_or(|c| e.cycle == c))
        .filter(|e| e.phase_on(today) == EngagementPhase::Active)
        .map(|e| e.key.clone())
        .collect();
    items.sort();
    let of_cycle = cycle
        .and_then(|c| records.cycles.iter().find(|x| x.key == c))
        .map_or_else(String::new, |c| format!(" ({})", c.name));
    let sentence = format!(
        "{} active on {}{of_cycle}",
        engagements(items.len()),
        today.format("%-d %b %Y")
    );
    Count { items, sentence }
}

#[cfg(test)]
mod tests;
