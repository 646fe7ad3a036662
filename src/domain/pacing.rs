//! Pacing: is an outcome on pace at a date? The one place statuses come from,
//! so pages, CLI, API and exports can never disagree.
//!
//! Numbers are judged against one straight line between written targets
//! (`line`), stages against the ladder level that line expects by now. Every
//! result carries an explanation in words (`words`), written from the same
//! figures the status was computed from.

mod line;
mod words;

use chrono::NaiveDate;
use serde::{Serialize, Serializer};

use super::calendar::{FiscalYear, Quarter, YearPosition};
use super::target::{ActualError, ActualValue, Direction, OutcomeKind, OutcomeSpec, Target};

pub use line::{Anchor, Line, Segment, Source, position, stage_level};

/// Credit cut-offs, a tenant setting: `credit >= on_pace` is `[+]`,
/// `credit >= slightly_off` is `[~]`, anything lower `[-]`.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct Thresholds {
    pub on_pace: f64,
    pub slightly_off: f64,
}

impl Default for Thresholds {
    fn default() -> Thresholds {
        Thresholds {
            on_pace: 1.0,
            slightly_off: 0.8,
        }
    }
}

impl Thresholds {
    /// The status a credit earns. A non-number credit is off pace rather
    /// than silently on pace.
    pub fn status_for(&self, credit: f64) -> Status {
        if credit >= self.on_pace {
            Status::OnPace
        } else if credit >= self.slightly_off {
            Status::SlightlyOff
        } else {
            Status::OffPace
        }
    }
}

/// The tenant's pacing settings: the credit thresholds and how many days
/// into a quarter the previous quarter's reading stands in.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct Rules {
    pub thresholds: Thresholds,
    /// During the first `carry_days` days of a quarter with no entry yet, the
    /// previous quarter's latest entry is read (marked as carried).
    pub carry_days: u32,
}

/// The default carry window, in days.
pub const DEFAULT_CARRY_DAYS: u32 = 14;

impl Default for Rules {
    fn default() -> Rules {
        Rules {
            thresholds: Thresholds::default(),
            carry_days: DEFAULT_CARRY_DAYS,
        }
    }
}

/// The pacing status of an outcome, a WhyGO or a roll-up.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Status {
    OnPace,
    SlightlyOff,
    OffPace,
    /// A judged quarter without a (readable) actual: "needs check-in".
    Missing,
    /// Not judged: no scorable target, a future quarter, a missing baseline.
    NotScored,
}

impl Status {
    /// The machine form used in JSON: "+", "~", "-", "missing", "none".
    pub fn symbol(self) -> &'static str {
        match self {
            Status::OnPace => "+",
            Status::SlightlyOff => "~",
            Status::OffPace => "-",
            Status::Missing => "missing",
            Status::NotScored => "none",
        }
    }

    /// The chip shown in pages and reports (text, never colour alone).
    pub fn chip(self) -> &'static str {
        match self {
            Status::OnPace => "[+]",
            Status::SlightlyOff => "[~]",
            Status::OffPace => "[-]",
            Status::Missing => "needs check-in",
            Status::NotScored => "not scored",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Status::OnPace => "on pace",
            Status::SlightlyOff => "slightly off pace",
            Status::OffPace => "off pace",
            Status::Missing => "needs check-in",
            Status::NotScored => "not scored",
        }
    }

    /// The status in a word or two, shown beside its symbol on every chip.
    pub fn word(self) -> &'static str {
        match self {
            Status::OnPace => "on pace",
            Status::SlightlyOff => "slightly off",
            Status::OffPace => "off pace",
            Status::Missing => "needs check-in",
            Status::NotScored => "not scored",
        }
    }

    /// CSS class suffix for the status chip.
    pub fn css(self) -> &'static str {
        match self {
            Status::OnPace => "on",
            Status::SlightlyOff => "slight",
            Status::OffPace => "off",
            Status::Missing => "missing",
            Status::NotScored => "none",
        }
    }

    /// Whether the status carries a credit (`[+]`, `[~]`, `[-]`).
    pub fn is_scored(self) -> bool {
        matches!(self, Status::OnPace | Status::SlightlyOff | Status::OffPace)
    }
}

impl Serialize for Status {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.symbol())
    }
}

/// One actual as entered. Entries are append-only; the latest per quarter
/// (by date, then `seq`) counts.
#[derive(Clone, Debug)]
pub struct ActualEntry {
    pub quarter: Quarter,
    pub value: String,
    pub date: NaiveDate,
    /// Breaks same-date ties: higher = later.
    pub seq: i64,
}

/// The pacing of one quarter of one outcome.
#[derive(Clone, Debug, Serialize)]
pub struct QuarterEval {
    pub quarter: Quarter,
    /// The target text as written.
    pub target: String,
    /// False for future quarters.
    pub judged: bool,
    pub fraction: f64,
    /// Numeric expected value, or the expected stage's index in the ladder.
    pub expected: Option<f64>,
    /// "$2.5M", "MVP".
    pub expected_text: Option<String>,
    /// The counting actual, as entered.
    pub actual: Option<String>,
    pub actual_value: Option<f64>,
    pub actual_date: Option<NaiveDate>,
    /// The quarter whose reading stands in during the first days of this one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub carried_from: Option<Quarter>,
    pub credit: Option<f64>,
    pub status: Status,
    pub explanation: String,
    /// The part of the line the expectation was read from.
    #[serde(skip)]
    pub segment: Option<Segment>,
}

/// The pacing of an outcome's four quarters at one as-of date.
#[derive(Clone, Debug, Serialize)]
pub struct OutcomeEval {
    pub quarters: [QuarterEval; 4],
    /// The baseline used (declared start value, or the baseline quarter's actual).
    pub baseline: Option<f64>,
    /// The line every quarter was judged against (the chart draws it).
    #[serde(skip)]
    pub line: Option<Line>,
}

impl OutcomeEval {
    pub fn quarter(&self, q: Quarter) -> &QuarterEval {
        &self.quarters[q.index()]
    }
}

/// The counting actual of a quarter as of a date, read against the outcome.
struct Reading<'a> {
    entry: &'a ActualEntry,
    parsed: Result<ActualValue, ActualError>,
}

impl Reading<'_> {
    fn number(&self) -> Option<f64> {
        match self.parsed {
            Ok(ActualValue::Number(v)) => Some(v),
            _ => None,
        }
    }
}

/// Evaluates every quarter of an outcome as of `as_of`. Pure and total: any
/// dates, any entries, never panics.
pub fn evaluate(
    spec: &OutcomeSpec,
    actuals: &[ActualEntry],
    fy: &FiscalYear,
    as_of: NaiveDate,
    rules: &Rules,
) -> OutcomeEval {
    with_context(spec, actuals, fy, as_of, rules, |ctx, line, baseline| {
        OutcomeEval {
            quarters: Quarter::ALL.map(|q| ctx.quarter(q)),
            baseline,
            line,
        }
    })
}

/// One quarter of [`evaluate`], for roll-ups that need no other (the
/// cascade pace of WhyGOs a page does not show).
pub fn evaluate_quarter(
    spec: &OutcomeSpec,
    actuals: &[ActualEntry],
    fy: &FiscalYear,
    as_of: NaiveDate,
    rules: &Rules,
    q: Quarter,
) -> QuarterEval {
    with_context(spec, actuals, fy, as_of, rules, |ctx, _, _| ctx.quarter(q))
}

/// Reads the entries, draws the line, and hands both to `f`.
fn with_context<T>(
    spec: &OutcomeSpec,
    actuals: &[ActualEntry],
    fy: &FiscalYear,
    as_of: NaiveDate,
    rules: &Rules,
    f: impl FnOnce(&Context<'_>, Option<Line>, Option<f64>) -> T,
) -> T {
    let readings: [Option<Reading>; 4] = std::array::from_fn(|i| {
        actuals
            .iter()
            .filter(|e| e.quarter.index() == i && e.date <= as_of)
            .max_by_key(|e| (e.date, e.seq))
            .map(|entry| Reading {
                entry,
                parsed: spec.parse_actual(&entry.value),
            })
    });
    let measured = spec.baseline_quarter().and_then(|bq| {
        readings[bq.index()]
            .as_ref()
            .and_then(Reading::number)
            .map(|v| (v, bq))
    });
    let line = match spec.kind() {
        OutcomeKind::Numeric(_) => Line::numeric(spec, fy, measured),
        OutcomeKind::Staged => Line::staged(spec, fy),
        OutcomeKind::Unscored => None,
    };
    let baseline = spec.start().or(measured.map(|(v, _)| v));
    let ctx = Context {
        spec,
        fy,
        as_of,
        rules,
        readings: &readings,
        line: line.as_ref(),
        baseline,
    };
    f(&ctx, line.clone(), baseline)
}

struct Context<'a> {
    spec: &'a OutcomeSpec,
    fy: &'a FiscalYear,
    as_of: NaiveDate,
    rules: &'a Rules,
    readings: &'a [Option<Reading<'a>>; 4],
    line: Option<&'a Line>,
    baseline: Option<f64>,
}

/// The parts of a [`QuarterEval`] every branch fills the same way.
struct Frame {
    quarter: Quarter,
    target: String,
    judged: bool,
    fraction: f64,
    actual: Option<String>,
    actual_value: Option<f64>,
    actual_date: Option<NaiveDate>,
    carried_from: Option<Quarter>,
    /// The date the quarter is judged at: the as-of date, or its last day
    /// (for a carried reading, the last day of the quarter it comes from).
    by: NaiveDate,
}

/// What a judged quarter is held to.
enum Held {
    /// Its own written target (a numeric value, or a ladder level).
    Own(f64),
    /// A blank cell on the way to a later target: the line only.
    Line,
}

impl Frame {
    fn finish(
        self,
        expected: Option<f64>,
        expected_text: Option<String>,
        credit: Option<f64>,
        status: Status,
        explanation: String,
        segment: Option<Segment>,
    ) -> QuarterEval {
        QuarterEval {
            quarter: self.quarter,
            target: self.target,
            judged: self.judged,
            fraction: self.fraction,
            expected,
            expected_text,
            actual: self.actual,
            actual_value: self.actual_value,
            actual_date: self.actual_date,
            carried_from: self.carried_from,
            credit,
            status,
            explanation,
            segment,
        }
    }

    fn not_scored(self, explanation: String) -> QuarterEval {
        self.finish(None, None, None, Status::NotScored, explanation, None)
    }
}

impl Context<'_> {
    /// The reading of quarter `q`: its own latest entry, or during the first
    /// days of the as-of date's quarter, the previous quarter's.
    fn reading(&self, q: Quarter) -> (Option<&Reading<'_>>, Option<Quarter>) {
        if let Some(r) = self.readings[q.index()].as_ref() {
            return (Some(r), None);
        }
        let day = (self.as_of - self.fy.quarter_start(q)).num_days() + 1;
        let in_window = self.fy.position(self.as_of) == YearPosition::In(q)
            && day <= i64::from(self.rules.carry_days);
        match q.previous() {
            Some(p) if in_window => match self.readings[p.index()].as_ref() {
                Some(r) => (Some(r), Some(p)),
                None => (None, None),
            },
            _ => (None, None),
        }
    }

    fn quarter(&self, q: Quarter) -> QuarterEval {
        let start = self.fy.quarter_start(q);
        let judged = self.as_of >= start;
        let (reading, carried_from) = if judged {
            self.reading(q)
        } else {
            (None, None)
        };
        let frame = Frame {
            quarter: q,
            target: self.spec.target_text(q).to_string(),
            judged,
            fraction: if judged {
                self.fy.elapsed_fraction(q, self.as_of)
            } else {
                0.0
            },
            actual: reading.map(|r| r.entry.value.clone()),
            actual_value: reading.and_then(|r| match r.parsed {
                Ok(ActualValue::Number(v)) => Some(v),
                Ok(ActualValue::Stage(i)) => Some(i as f64),
                Err(_) => None,
            }),
            actual_date: reading.map(|r| r.entry.date),
            carried_from,
            // A carried reading is judged where it was taken, against the
            // line at its own quarter's end: the first days of a quarter
            // show last quarter's closing pace, not a stale shortfall.
            by: match carried_from {
                Some(p) => self.fy.quarter_end(p),
                None => self.as_of.min(self.fy.quarter_end(q)),
            },
        };
        if !judged {
            return frame.not_scored(format!(
                "not judged yet: {q} starts {}",
                start.format("%b %-d, %Y")
            ));
        }
        match (self.spec.kind(), self.spec.target(q)) {
            (OutcomeKind::Numeric(_) | OutcomeKind::Unscored, Target::Baseline) => {
                // Only the quarter's own entry sets a baseline.
                self.baseline_quarter(frame, self.readings[q.index()].as_ref())
            }
            (OutcomeKind::Staged, _) => self.staged(frame, reading),
            (OutcomeKind::Numeric(_), _) => self.numeric(frame, reading),
            (OutcomeKind::Unscored, _) => {
                let text = words::not_scored(self.spec, q);
                frame.not_scored(text)
            }
        }
    }

    fn baseline_quarter(&self, frame: Frame, reading: Option<&Reading>) -> QuarterEval {
        let q = frame.quarter;
        let (status, explanation) = match reading {
            Some(r) => (
                Status::NotScored,
                match &r.parsed {
                    Ok(ActualValue::Number(_)) => format!(
                        "baseline quarter: the {q} actual {} becomes the baseline",
                        r.entry.value.trim()
                    ),
                    Ok(ActualValue::Stage(_)) => {
                        format!("baseline quarter: the {q} actual is not a number")
                    }
                    Err(e) => format!(
                        "baseline quarter: the {q} actual “{}” cannot be read: {e}",
                        r.entry.value.trim()
                    ),
                },
            ),
            None => (
                Status::Missing,
                format!("needs baseline: enter the {q} actual to set the baseline"),
            ),
        };
        let frame = Frame {
            actual: reading.map(|r| r.entry.value.clone()),
            actual_value: reading.and_then(Reading::number),
            actual_date: reading.map(|r| r.entry.date),
            carried_from: None,
            ..frame
        };
        frame.finish(None, None, None, status, explanation, None)
    }

    /// What quarter `q` is held to, or why it is not judged.
    fn held(&self, q: Quarter, own: Option<f64>) -> Result<Held, String> {
        if let Some(v) = own {
            return Ok(Held::Own(v));
        }
        let on_the_way = matches!(self.spec.target(q), Target::Blank)
            && (self.spec.cumulative() || self.spec.kind() == OutcomeKind::Staged)
            && self.line.is_some_and(|l| l.continues_after(q));
        if on_the_way {
            Ok(Held::Line)
        } else {
            Err(words::not_scored(self.spec, q))
        }
    }

    /// What the quarter is held to and where on the line it is judged, or
    /// the quarter's evaluation as not scored.
    fn on_the_line(
        &self,
        frame: Frame,
        own: Option<f64>,
    ) -> Result<(Held, Segment, Frame), Box<QuarterEval>> {
        let q = frame.quarter;
        let held = match self.held(q, own) {
            Ok(h) => h,
            Err(text) => return Err(Box::new(frame.not_scored(text))),
        };
        match self.line.and_then(|l| l.at(position(self.fy, frame.by))) {
            Some(segment) => Ok((held, segment, frame)),
            None => Err(Box::new(frame.not_scored(words::not_scored(self.spec, q)))),
        }
    }

    fn numeric(&self, frame: Frame, reading: Option<&Reading>) -> QuarterEval {
        let q = frame.quarter;
        let spec = self.spec;
        let target = spec.target(q);
        if target.is_numeric() && target.met_at(spec.direction(), self.baseline).is_none() {
            return frame.not_scored(words::baseline_unknown(spec, q));
        }
        let own = target.met_at(spec.direction(), self.baseline);
        let (held, segment, frame) = match self.on_the_line(frame, own) {
            Ok(found) => found,
            Err(not_scored) => return *not_scored,
        };
        let expected = segment.value;
        let head = words::numeric_head(spec, &segment, frame.by);
        let expected_text = Some(spec.format_value(expected));
        let missing = |frame: Frame, why: String| {
            frame.finish(
                Some(expected),
                expected_text.clone(),
                None,
                Status::Missing,
                format!("needs check-in: {why}; {head}"),
                Some(segment),
            )
        };
        let Some(r) = reading else {
            return missing(frame, format!("no {q} actual yet"));
        };
        let actual = match (&r.parsed, r.number()) {
            (_, Some(v)) => v,
            (Err(e), _) => {
                let why = format!(
                    "the latest {q} actual “{}” ({}) cannot be read: {e}",
                    r.entry.value.trim(),
                    r.entry.date.format("%b %-d")
                );
                return missing(frame, why);
            }
            (Ok(_), None) => {
                let why = format!(
                    "the latest {q} actual “{}” is not a number",
                    r.entry.value.trim()
                );
                return missing(frame, why);
            }
        };
        let meets = matches!(held, Held::Own(_))
            && target.meets(spec.direction(), self.baseline, actual) == Some(true);
        // A met quarter target is on pace whatever the line says; the words
        // say so only when the line alone would not have.
        let (credit, comparison) = match numeric_credit(spec.direction(), expected, actual) {
            (c, _) if meets && c < 1.0 => (1.0, Comparison::MeetsTarget),
            found => found,
        };
        let status = self.rules.thresholds.status_for(credit);
        let explanation = format!(
            "{head}; {} -> {}",
            words::numeric_actual(
                spec,
                q,
                actual,
                comparison,
                r.entry.date,
                frame.carried_from
            ),
            status.chip()
        );
        frame.finish(
            Some(expected),
            expected_text,
            Some(credit),
            status,
            explanation,
            Some(segment),
        )
    }

    fn staged(&self, frame: Frame, reading: Option<&Reading>) -> QuarterEval {
        let q = frame.quarter;
        let spec = self.spec;
        let ladder = spec.ladder();
        let own = stage_level(spec, q).map(|l| l as f64);
        let (held, segment, frame) = match self.on_the_line(frame, own) {
            Ok(found) => found,
            Err(not_scored) => return *not_scored,
        };
        let expected_level = expected_level(segment.value);
        let expected_index = expected_level.checked_sub(1);
        let expected_text = expected_index.and_then(|i| ladder.get(i).cloned());
        let expected = expected_index.map(|i| i as f64);
        let head = words::stage_head(spec, &segment, expected_level, frame.by);
        let finish = |frame: Frame, credit, status, explanation| {
            frame.finish(
                expected,
                expected_text.clone(),
                credit,
                status,
                explanation,
                Some(segment),
            )
        };
        let reached = match reading.map(|r| (r, &r.parsed)) {
            None if expected_level == 0 && matches!(held, Held::Line) => {
                return finish(frame, None, Status::NotScored, head);
            }
            None => {
                let text = format!("needs check-in: no {q} actual yet; {head}");
                return finish(frame, None, Status::Missing, text);
            }
            Some((_, Ok(ActualValue::Stage(i)))) => *i + 1,
            Some((r, Ok(ActualValue::Number(_)))) => {
                let text = format!(
                    "needs check-in: the latest {q} actual “{}” is not a stage; {head}",
                    r.entry.value.trim()
                );
                return finish(frame, None, Status::Missing, text);
            }
            Some((r, Err(e))) => {
                let text = format!(
                    "needs check-in: the latest {q} actual “{}” ({}) cannot be read: {e}; {head}",
                    r.entry.value.trim(),
                    r.entry.date.format("%b %-d")
                );
                return finish(frame, None, Status::Missing, text);
            }
        };
        let meets = matches!(held, Held::Own(l) if reached as f64 >= l);
        let gap = expected_level as i64 - reached as i64;
        let credit = if meets { 1.0 } else { stage_credit(gap) };
        let status = self.rules.thresholds.status_for(credit);
        let date = reading.map_or(frame.by, |r| r.entry.date);
        let explanation = format!(
            "{head}; {} -> {}",
            words::stage_reached(
                spec,
                q,
                reached,
                gap,
                meets,
                expected_level,
                date,
                frame.carried_from
            ),
            status.chip()
        );
        finish(frame, Some(credit), status, explanation)
    }
}

/// The level a staged line expects: rounded down, so a stage is expected
/// only once the line has fully reached it.
pub fn expected_level(value: f64) -> usize {
    let floored = (value + 1e-9).floor();
    if floored.is_finite() && floored > 0.0 {
        floored as usize
    } else {
        0
    }
}

/// How an actual compares with what was expected, for the words.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Comparison {
    /// The actual meets the quarter's own target.
    MeetsTarget,
    /// `actual / expected`, for a positive expected value.
    Ratio(f64),
    /// Nothing or less than nothing was expected: met or not.
    ZeroExpected { met: bool },
}

/// Credit of a numeric actual against its expected value: `a / e` when
/// higher is better, `2 - a / e` when lower is better (so "20% behind" means
/// the same both ways), clamped to [0, 1]. An expected value of zero or less
/// is met or not. Rounded to 1e-9 so floating-point noise cannot turn an
/// exact hit into `[~]`.
pub fn numeric_credit(direction: Direction, expected: f64, actual: f64) -> (f64, Comparison) {
    let (credit, comparison) = if expected <= 0.0 || !expected.is_finite() {
        let met = match direction {
            Direction::Higher => actual >= expected,
            Direction::Lower => actual <= expected,
        };
        (
            if met { 1.0 } else { 0.0 },
            Comparison::ZeroExpected { met },
        )
    } else {
        let r = actual / expected;
        let c = match direction {
            Direction::Higher => r,
            Direction::Lower => 2.0 - r,
        };
        (c, Comparison::Ratio(r))
    };
    let credit = if credit.is_finite() {
        ((credit.clamp(0.0, 1.0)) * 1e9).round() / 1e9
    } else {
        0.0
    };
    (credit, comparison)
}

/// `max(0, 1 - 0.2 * gap)`, capped at 1: one stage behind is 0.8.
pub fn stage_credit(gap: i64) -> f64 {
    let c = 1.0 - 0.2 * gap as f64;
    ((c.clamp(0.0, 1.0)) * 1e9).round() / 1e9
}

#[cfg(test)]
mod tests;
