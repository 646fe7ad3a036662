//! Pacing: is an outcome on pace at a date? The one place statuses come from,
//! so pages, CLI, API and exports can never disagree.
//!
//! Numbers are judged against a straight line from last quarter's target to
//! this quarter's; stages against the ladder position expected by now. Every
//! result carries an explanation in words, with figures in the outcome's unit.

use chrono::NaiveDate;
use serde::{Serialize, Serializer};

use super::calendar::{FiscalYear, Quarter};
use super::target::{ActualError, ActualValue, Direction, OutcomeKind, OutcomeSpec, Target};

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
    /// Numeric expected value, or the expected stage's index.
    pub expected: Option<f64>,
    /// "$2.5M", "MVP".
    pub expected_text: Option<String>,
    /// The latest counting actual, as entered.
    pub actual: Option<String>,
    pub actual_value: Option<f64>,
    pub actual_date: Option<NaiveDate>,
    pub credit: Option<f64>,
    pub status: Status,
    pub explanation: String,
}

/// The pacing of an outcome's four quarters at one as-of date.
#[derive(Clone, Debug, Serialize)]
pub struct OutcomeEval {
    pub quarters: [QuarterEval; 4],
    /// The baseline used (declared start value, or the baseline quarter's actual).
    pub baseline: Option<f64>,
}

impl OutcomeEval {
    pub fn quarter(&self, q: Quarter) -> &QuarterEval {
        &self.quarters[q.index()]
    }
}

/// The latest actual of a quarter as of a date, read against the outcome.
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

/// Where the pacing line starts, for the explanation.
#[derive(Clone, Copy)]
enum Origin {
    Target(Quarter),
    Start,
    Baseline,
    Zero,
}

/// Evaluates every quarter of an outcome as of `as_of`. Pure and total: any
/// dates, any entries, never panics.
pub fn evaluate(
    spec: &OutcomeSpec,
    actuals: &[ActualEntry],
    fy: &FiscalYear,
    as_of: NaiveDate,
    th: &Thresholds,
) -> OutcomeEval {
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
    let measured_baseline = spec
        .baseline_quarter()
        .and_then(|bq| readings[bq.index()].as_ref())
        .and_then(Reading::number);
    let ctx = Context {
        spec,
        fy,
        as_of,
        th,
        readings: &readings,
        measured_baseline,
    };
    OutcomeEval {
        quarters: Quarter::ALL.map(|q| ctx.quarter(q)),
        baseline: spec.start().or(measured_baseline),
    }
}

struct Context<'a> {
    spec: &'a OutcomeSpec,
    fy: &'a FiscalYear,
    as_of: NaiveDate,
    th: &'a Thresholds,
    readings: &'a [Option<Reading<'a>>; 4],
    measured_baseline: Option<f64>,
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
}

impl Frame {
    fn finish(
        self,
        expected: Option<f64>,
        expected_text: Option<String>,
        credit: Option<f64>,
        status: Status,
        explanation: String,
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
            credit,
            status,
            explanation,
        }
    }

    fn not_scored(self, explanation: String) -> QuarterEval {
        self.finish(None, None, None, Status::NotScored, explanation)
    }
}

impl Context<'_> {
    fn quarter(&self, q: Quarter) -> QuarterEval {
        let reading = self.readings[q.index()].as_ref();
        let start = self.fy.quarter_start(q);
        let judged = self.as_of >= start;
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
        };
        if !judged {
            return frame.not_scored(format!(
                "not judged yet: {q} starts {}",
                start.format("%b %-d, %Y")
            ));
        }
        match self.spec.kind() {
            OutcomeKind::Staged => self.staged(frame, reading),
            OutcomeKind::Numeric(_) => self.numeric(frame, reading),
            OutcomeKind::Unscored => match self.spec.target(q) {
                Target::Baseline => self.baseline_quarter(frame, reading),
                _ => {
                    let text = self.not_scored_words(q);
                    frame.not_scored(text)
                }
            },
        }
    }

    /// The baseline usable in quarter `q`: the declared start value, or the
    /// actual of an earlier baseline quarter.
    fn baseline_for(&self, q: Quarter) -> Option<(f64, Origin)> {
        if let Some(v) = self.spec.start() {
            return Some((v, Origin::Start));
        }
        match (self.spec.baseline_quarter(), self.measured_baseline) {
            (Some(bq), Some(v)) if bq < q => Some((v, Origin::Baseline)),
            _ => None,
        }
    }

    fn met_at(&self, q: Quarter) -> Option<f64> {
        self.spec
            .target(q)
            .met_at(self.spec.direction(), self.baseline_for(q).map(|(v, _)| v))
    }

    /// T(q-1): the nearest earlier scored target, else T(0), the start value.
    fn line_start(&self, q: Quarter) -> (f64, Origin) {
        let mut k = q.previous();
        while let Some(p) = k {
            if let Some(v) = self.met_at(p) {
                return (v, Origin::Target(p));
            }
            k = p.previous();
        }
        if let Some(found) = self.baseline_for(q) {
            return found;
        }
        if self.spec.cumulative() {
            return (0.0, Origin::Zero);
        }
        // A level with no baseline starts at its first target: no ramp.
        Quarter::ALL
            .into_iter()
            .find_map(|p| self.met_at(p).map(|v| (v, Origin::Target(p))))
            .unwrap_or((0.0, Origin::Zero))
    }

    /// "the Q1 target $1.5M", or "the Q1 target 6 (6-8)" when the text says more.
    fn describe_target(&self, q: Quarter, value: f64) -> String {
        let shown = self.spec.format_value(value);
        let text = self.spec.target_text(q).trim();
        if shown == text {
            format!("the {q} target {shown}")
        } else {
            format!("the {q} target {shown} ({text})")
        }
    }

    fn not_scored_words(&self, q: Quarter) -> String {
        let text = self.spec.target_text(q).trim();
        let numeric = matches!(self.spec.kind(), OutcomeKind::Numeric(_));
        match self.spec.target(q) {
            Target::Text(_) => format!("not scored: “{text}” is not a target that can be read"),
            _ if text.is_empty() => format!("not scored: no {q} target"),
            _ if numeric && matches!(Target::parse(text), Target::Stage(_)) => {
                format!("not scored: “{text}” is a stage in an outcome measured in numbers")
            }
            _ => {
                let lower = text.to_lowercase();
                if lower.starts_with("track") {
                    format!("not scored: “{text}” (tracked, no target)")
                } else if lower.starts_with("tbd") || lower.starts_with("tbc") {
                    format!("not scored: “{text}” (target to be decided)")
                } else {
                    format!("not scored: “{text}”")
                }
            }
        }
    }

    fn baseline_quarter(&self, frame: Frame, reading: Option<&Reading>) -> QuarterEval {
        let q = frame.quarter;
        let explanation = match reading {
            Some(r) => match &r.parsed {
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
            None => format!("baseline quarter: enter the {q} actual to set the baseline"),
        };
        frame.not_scored(explanation)
    }

    fn numeric(&self, frame: Frame, reading: Option<&Reading>) -> QuarterEval {
        let q = frame.quarter;
        let spec = self.spec;
        let target = spec.target(q);
        match target {
            Target::Baseline => return self.baseline_quarter(frame, reading),
            t if !t.is_numeric() => {
                let text = self.not_scored_words(q);
                return frame.not_scored(text);
            }
            _ => {}
        }
        let Some(goal) = self.met_at(q) else {
            let text = spec.target_text(q).trim();
            let how = match spec.baseline_quarter() {
                Some(bq) if bq < q => format!("enter the {bq} actual"),
                _ => "set the outcome's start value".to_string(),
            };
            return frame.not_scored(format!(
                "not scored yet: “{text}” is measured against a baseline, which is not known ({how})"
            ));
        };
        let (from, origin) = self.line_start(q);
        let fraction = frame.fraction;
        let expected = if fraction >= 1.0 {
            goal
        } else {
            from + fraction * (goal - from)
        };
        let lower = spec.direction() == Direction::Lower;
        let end = self.fy.quarter_end(q);
        let by = if self.as_of < end { self.as_of } else { end };
        let line = if spec.format_value(from) == spec.format_value(goal) || fraction >= 1.0 {
            let text = spec.target_text(q).trim();
            if spec.format_value(goal) == text {
                format!("the {q} target")
            } else {
                format!("the {q} target {text}")
            }
        } else {
            let origin_words = match origin {
                Origin::Target(p) => self.describe_target(p, from),
                Origin::Start => format!("the start value {}", spec.format_value(from)),
                Origin::Baseline => format!("the baseline {}", spec.format_value(from)),
                Origin::Zero => format!("{} at the start of the year", spec.format_value(from)),
            };
            format!(
                "straight line from {origin_words} to {}",
                self.describe_target(q, goal)
            )
        };
        let head = format!(
            "expected {}{} by {} ({line})",
            if lower { "at most " } else { "" },
            spec.format_value(expected),
            by.format("%b %-d"),
        );
        let expected_text = Some(spec.format_value(expected));
        let actual = match reading {
            None => {
                return frame.finish(
                    Some(expected),
                    expected_text,
                    None,
                    Status::Missing,
                    format!("needs check-in: no {q} actual yet; {head}"),
                );
            }
            Some(r) => match (&r.parsed, r.number()) {
                (_, Some(v)) => v,
                (Err(e), _) => {
                    return frame.finish(
                        Some(expected),
                        expected_text,
                        None,
                        Status::Missing,
                        format!(
                            "needs check-in: the latest {q} actual “{}” ({}) cannot be read: {e}; {head}",
                            r.entry.value.trim(),
                            r.entry.date.format("%b %-d")
                        ),
                    );
                }
                (Ok(_), None) => {
                    return frame.finish(
                        Some(expected),
                        expected_text,
                        None,
                        Status::Missing,
                        format!(
                            "needs check-in: the latest {q} actual “{}” is not a number; {head}",
                            r.entry.value.trim()
                        ),
                    );
                }
            },
        };
        let (credit, ratio) = numeric_credit(spec.direction(), expected, actual);
        let status = self.th.status_for(credit);
        let ratio_words = ratio.map(percent_words).unwrap_or_default();
        let explanation = format!(
            "{head}; actual {}{ratio_words} -> {}",
            spec.format_value(actual),
            status.chip()
        );
        frame.finish(
            Some(expected),
            expected_text,
            Some(credit),
            status,
            explanation,
        )
    }

    fn staged(&self, frame: Frame, reading: Option<&Reading>) -> QuarterEval {
        let q = frame.quarter;
        let spec = self.spec;
        let ladder = spec.ladder();
        let index_of = |p: Quarter| match spec.target(p) {
            Target::Stage(name) => ladder
                .iter()
                .position(|s| s.to_lowercase() == name.to_lowercase()),
            _ => None,
        };
        let Some(goal) = index_of(q) else {
            let text = self.not_scored_words(q);
            return frame.not_scored(text);
        };
        let ended = frame.fraction >= 1.0;
        let earlier = {
            let mut k = q.previous();
            let mut found = None;
            while let Some(p) = k {
                if let Some(i) = index_of(p) {
                    found = Some((i, p));
                    break;
                }
                k = p.previous();
            }
            found
        };
        let expected = if ended { Some((goal, q)) } else { earlier };
        let goal_name = &ladder[goal];
        let end = self.fy.quarter_end(q);
        let head = match expected {
            Some((i, _)) if ended => format!("expected {} by end of {q}", ladder[i]),
            Some((i, p)) => format!(
                "expected {} by {} (the {p} target; {goal_name} due by end of {q})",
                ladder[i],
                self.as_of.min(end).format("%b %-d")
            ),
            None => format!("nothing expected yet ({goal_name} due by end of {q})"),
        };
        let expected_index = expected.map(|(i, _)| i as f64);
        let expected_text = expected.map(|(i, _)| ladder[i].clone());
        let reached = match reading {
            None => {
                return frame.finish(
                    expected_index,
                    expected_text,
                    None,
                    Status::Missing,
                    format!("needs check-in: no {q} actual yet; {head}"),
                );
            }
            Some(r) => match &r.parsed {
                Ok(ActualValue::Stage(i)) => *i,
                Ok(ActualValue::Number(_)) => {
                    return frame.finish(
                        expected_index,
                        expected_text,
                        None,
                        Status::Missing,
                        format!(
                            "needs check-in: the latest {q} actual “{}” is not a stage; {head}",
                            r.entry.value.trim()
                        ),
                    );
                }
                Err(e) => {
                    return frame.finish(
                        expected_index,
                        expected_text,
                        None,
                        Status::Missing,
                        format!(
                            "needs check-in: the latest {q} actual “{}” ({}) cannot be read: {e}; {head}",
                            r.entry.value.trim(),
                            r.entry.date.format("%b %-d")
                        ),
                    );
                }
            },
        };
        let gap = expected.map_or(0, |(i, _)| i as i64 - reached as i64);
        let credit = stage_credit(gap);
        let status = self.th.status_for(credit);
        let reached_name = ladder.get(reached).map_or("?", |s| s.as_str());
        let gap_words = match (expected, gap) {
            (None, _) => String::new(),
            (Some(_), 0) => ", on pace".to_string(),
            (Some(_), g) if g > 0 => format!(", {} behind", stages_word(g)),
            (Some(_), g) => format!(", {} ahead", stages_word(-g)),
        };
        let explanation = format!(
            "{head}; reached {reached_name}{gap_words} -> {}",
            status.chip()
        );
        frame.finish(
            expected_index,
            expected_text,
            Some(credit),
            status,
            explanation,
        )
    }
}

/// Credit of a numeric actual against its expected value, with the ratio
/// shown to people when it is defined. Rounded to 1e-9 so that floating-point
/// noise cannot turn an exact hit into `[~]`.
pub fn numeric_credit(direction: Direction, expected: f64, actual: f64) -> (f64, Option<f64>) {
    let (credit, ratio) = match direction {
        Direction::Higher if expected <= 0.0 => (1.0, None),
        Direction::Higher => {
            let r = actual / expected;
            (r, Some(r))
        }
        Direction::Lower if actual <= 0.0 => (1.0, None),
        Direction::Lower => {
            let r = expected / actual;
            (r, Some(r))
        }
    };
    let credit = if credit.is_finite() {
        ((credit.clamp(0.0, 1.0)) * 1e9).round() / 1e9
    } else {
        0.0
    };
    (credit, ratio.filter(|r| r.is_finite()))
}

/// " = 92%": the ratio as a whole percentage, except that a shortfall never
/// reads "100%" (99.6 shows as "99.6%", so the `[~]` beside it makes sense).
fn percent_words(r: f64) -> String {
    let pct = r * 100.0;
    if r < 1.0 && pct.round() >= 100.0 {
        let tenths = ((pct * 10.0).floor() / 10.0).min(99.9);
        format!(" = {tenths:.1}%")
    } else {
        format!(" = {}%", pct.round())
    }
}

/// `max(0, 1 - 0.2 * gap)`, capped at 1: one stage behind is 0.8.
pub fn stage_credit(gap: i64) -> f64 {
    let c = 1.0 - 0.2 * gap as f64;
    ((c.clamp(0.0, 1.0)) * 1e9).round() / 1e9
}

fn stages_word(n: i64) -> String {
    const WORDS: [&str; 11] = [
        "zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten",
    ];
    let count = usize::try_from(n)
        .ok()
        .and_then(|i| WORDS.get(i).map(|w| w.to_string()))
        .unwrap_or_else(|| n.to_string());
    if n == 1 {
        format!("{count} stage")
    } else {
        format!("{count} stages")
    }
}

#[cfg(test)]
mod tests;
