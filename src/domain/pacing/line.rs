//! The line: the expected value of an outcome at any point of the year.
//!
//! Time is measured in quarters: a date a fraction `f` through quarter `q`
//! sits at position `q - 1 + f`. The line is straight between *written*
//! targets, each placed at its quarter's end, and starts at the outcome's
//! start value. Blank cells add no point, so the line never restarts at a
//! quarter boundary. The table, the sentence and the chart all read this one
//! line, so they cannot disagree.

use chrono::NaiveDate;
use serde::Serialize;

use crate::domain::calendar::{FiscalYear, Quarter, YearPosition};
use crate::domain::target::{OutcomeKind, OutcomeSpec, Target};

/// Where a point of the line comes from, for the words that explain it.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
#[serde(tag = "kind", content = "quarter", rename_all = "snake_case")]
pub enum Source {
    /// A target written in that quarter's cell.
    Target(Quarter),
    /// The outcome's declared start value, at the start of the year.
    Start,
    /// The actual of a `Baseline` quarter, at that quarter's end.
    Baseline(Quarter),
    /// A cumulative outcome with no baseline starts from zero.
    Zero,
    /// A stage ladder starts before its first stage.
    NotStarted,
}

/// One point of the line.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct Anchor {
    /// In quarters, 0 (start of the year) to 4 (its end).
    pub position: f64,
    pub date: NaiveDate,
    /// In the outcome's unit; for stages, the level (0 = not started,
    /// 1 = the ladder's first stage).
    pub value: f64,
    pub source: Source,
}

/// The part of the line a position falls on, and the value there.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct Segment {
    pub from: Anchor,
    pub to: Anchor,
    pub position: f64,
    pub value: f64,
}

impl Segment {
    /// Whether the value is simply the `to` point (the position is at its
    /// end, or the two ends are equal).
    pub fn at_end(&self) -> bool {
        (self.position - self.to.position).abs() < 1e-12 || self.from.value == self.to.value
    }
}

/// The points of an outcome's line, in increasing position.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Line {
    points: Vec<Anchor>,
}

/// Position of a date in the fiscal year, in quarters: 0 before the year,
/// 4 after it.
pub fn position(fy: &FiscalYear, d: NaiveDate) -> f64 {
    match fy.position(d) {
        YearPosition::Before => 0.0,
        YearPosition::After => 4.0,
        YearPosition::In(q) => f64::from(q.number() - 1) + fy.elapsed_fraction(q, d),
    }
}

/// The date at a whole position: the year's start, or a quarter's last day.
fn date_at(fy: &FiscalYear, q: Option<Quarter>) -> NaiveDate {
    match q {
        None => fy.start(),
        Some(q) => fy.quarter_end(q),
    }
}

fn at_quarter_end(fy: &FiscalYear, q: Quarter, value: f64, source: Source) -> Anchor {
    Anchor {
        position: f64::from(q.number()),
        date: date_at(fy, Some(q)),
        value,
        source,
    }
}

impl Line {
    /// The line of a numeric outcome. `measured` is the actual of its
    /// `Baseline` quarter, when known. `None` when no target can be placed.
    pub fn numeric(
        spec: &OutcomeSpec,
        fy: &FiscalYear,
        measured: Option<(f64, Quarter)>,
    ) -> Option<Line> {
        if !matches!(spec.kind(), OutcomeKind::Numeric(_)) {
            return None;
        }
        let baseline = spec.start().or(measured.map(|(v, _)| v));
        let written: Vec<(Quarter, f64)> = Quarter::ALL
            .into_iter()
            .filter_map(|q| Some((q, spec.target(q).met_at(spec.direction(), baseline)?)))
            .collect();
        let first = *written.first()?;
        let start = if let Some(v) = spec.start() {
            Anchor {
                position: 0.0,
                date: fy.start(),
                value: v,
                source: Source::Start,
            }
        } else if let Some((v, bq)) = measured {
            at_quarter_end(fy, bq, v, Source::Baseline(bq))
        } else if spec.cumulative() {
            Anchor {
                position: 0.0,
                date: fy.start(),
                value: 0.0,
                source: Source::Zero,
            }
        } else {
            // A level with no baseline starts at its first target: no ramp.
            Anchor {
                position: 0.0,
                date: fy.start(),
                value: first.1,
                source: Source::Target(first.0),
            }
        };
        Some(Line::through(fy, start, written))
    }

    /// The line of a staged outcome over ladder levels: from "not started"
    /// at the start of the year through each written stage.
    pub fn staged(spec: &OutcomeSpec, fy: &FiscalYear) -> Option<Line> {
        if spec.kind() != OutcomeKind::Staged {
            return None;
        }
        let written: Vec<(Quarter, f64)> = Quarter::ALL
            .into_iter()
            .filter_map(|q| Some((q, stage_level(spec, q)? as f64)))
            .collect();
        written.first()?;
        let start = Anchor {
            position: 0.0,
            date: fy.start(),
            value: 0.0,
            source: Source::NotStarted,
        };
        Some(Line::through(fy, start, written))
    }

    fn through(fy: &FiscalYear, start: Anchor, written: Vec<(Quarter, f64)>) -> Line {
        let mut points = vec![start];
        for (q, v) in written {
            let p = at_quarter_end(fy, q, v, Source::Target(q));
            // Points strictly increase in position; a target at or before a
            // measured baseline's quarter has nothing to ramp from.
            if points.last().is_some_and(|l| p.position > l.position) {
                points.push(p);
            }
        }
        Line { points }
    }

    pub fn points(&self) -> &[Anchor] {
        &self.points
    }

    /// The value at `position` and the segment it lies on. Before the first
    /// point the line is flat at it; past the last written target there is
    /// no line (`None`).
    pub fn at(&self, position: f64) -> Option<Segment> {
        let first = *self.points.first()?;
        if position <= first.position {
            return Some(Segment {
                from: first,
                to: first,
                position,
                value: first.value,
            });
        }
        let i = self
            .points
            .iter()
            .position(|p| p.position >= position - 1e-12)?;
        let (from, to) = (self.points[i - 1], self.points[i]);
        let span = to.position - from.position;
        let t = if span > 0.0 {
            ((position - from.position) / span).clamp(0.0, 1.0)
        } else {
            1.0
        };
        let value = if t >= 1.0 {
            to.value
        } else {
            from.value + t * (to.value - from.value)
        };
        Some(Segment {
            from,
            to,
            position,
            value,
        })
    }

    /// Whether a target is written after quarter `q` (so a blank `q` of a
    /// cumulative outcome lies on the way to it).
    pub fn continues_after(&self, q: Quarter) -> bool {
        self.points.iter().any(|p| {
            p.position > f64::from(q.number()) + 0.5 && matches!(p.source, Source::Target(_))
        })
    }
}

/// The ladder level of quarter `q`'s stage target: 1 for the ladder's first
/// stage; `None` when the cell is not a stage of the ladder.
pub fn stage_level(spec: &OutcomeSpec, q: Quarter) -> Option<usize> {
    match spec.target(q) {
        Target::Stage(name) => spec
            .ladder()
            .iter()
            .position(|s| s.to_lowercase() == name.to_lowercase())
            .map(|i| i + 1),
        _ => None,
    }
}
