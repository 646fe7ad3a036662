//! The small chart of an outcome: the pacing line across the year (the very
//! line the statuses are judged against) and the actuals as points. Only geometry here; the template draws the SVG.

use chrono::NaiveDate;

use crate::domain::calendar::{FiscalYear, Quarter};
use crate::domain::pacing::{OutcomeEval, position};
use crate::domain::plan::Outcome;
use crate::domain::target::{ActualValue, OutcomeKind, OutcomeSpec};

pub const WIDTH: f64 = 360.0;
pub const HEIGHT: f64 = 140.0;
const LEFT: f64 = 56.0;
const RIGHT: f64 = 8.0;
const TOP: f64 = 10.0;
const BOTTOM: f64 = 22.0;

#[derive(Clone, Debug)]
pub struct Chart {
    pub description: String,
    /// SVG polyline points of the target line: "x,y x,y …".
    pub target_line: String,
    pub points: Vec<Point>,
    pub y_ticks: Vec<Tick>,
    pub x_ticks: Vec<Tick>,
    /// The as-of date's x, when inside the year.
    pub today_x: Option<String>,
    pub plot_bottom: String,
    pub plot_left: String,
}

#[derive(Clone, Debug)]
pub struct Point {
    pub x: String,
    pub y: String,
    pub label: String,
    /// Whether this is the entry that counts for its quarter.
    pub counts: bool,
}

#[derive(Clone, Debug)]
pub struct Tick {
    pub at: String,
    pub label: String,
}

fn n(v: f64) -> String {
    format!("{v:.1}")
}

/// The chart of `outcome`, or None when nothing in it is a number or a stage.
pub fn chart(
    outcome: &Outcome,
    spec: &OutcomeSpec,
    eval: &OutcomeEval,
    fy: &FiscalYear,
    as_of: NaiveDate,
) -> Option<Chart> {
    let staged = matches!(spec.kind(), OutcomeKind::Staged);
    // The very line pacing judged against (position in quarters, value; for
    // stages the ladder level, 0 = not started), so chart and words agree.
    let line: Vec<(f64, f64)> = eval
        .line
        .as_ref()
        .map(|l| {
            l.points()
                .iter()
                .map(|p| (p.position / 4.0, p.value))
                .collect()
        })
        .unwrap_or_default();
    let entries: Vec<_> = outcome.actuals.iter().filter(|a| a.date <= as_of).collect();
    let mut dots: Vec<(f64, f64, String, bool)> = Vec::new();
    for a in &entries {
        let y = match spec.parse_actual(&a.value) {
            Ok(ActualValue::Number(v)) if !staged => v,
            Ok(ActualValue::Stage(i)) if staged => (i + 1) as f64,
            _ => continue,
        };
        let counting = outcome
            .counting_actual(a.quarter, as_of)
            .is_some_and(|c| c.seq == a.seq);
        dots.push((
            year_fraction(fy, a.date),
            y,
            format!(
                "{} · {} · {}",
                a.quarter,
                a.value,
                a.date.format("%-d %b %Y")
            ),
            counting,
        ));
    }
    if line.is_empty() && dots.is_empty() {
        return None;
    }

    let ys = line.iter().map(|p| p.1).chain(dots.iter().map(|d| d.1));
    let (mut lo, mut hi) = ys.fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), y| {
        (lo.min(y), hi.max(y))
    });
    if staged {
        lo = 0.0;
        hi = hi.max(spec.ladder().len().max(1) as f64);
    }
    if !lo.is_finite() || !hi.is_finite() {
        return None;
    }
    if !staged && lo > 0.0 && spec.cumulative() {
        lo = 0.0;
    }
    if (hi - lo).abs() < f64::EPSILON {
        hi = lo + 1.0;
        lo -= if staged { 0.0 } else { 1.0 };
    }
    // Stage names label the y axis: leave room for the longest one
    // (about 6 px a character at the tick size).
    let left = if staged {
        let longest = std::iter::once("not started")
            .chain(spec.ladder().iter().map(String::as_str))
            .map(|s| s.chars().count())
            .max()
            .unwrap_or(0);
        (longest as f64 * 6.0 + 10.0).clamp(LEFT, 130.0)
    } else {
        LEFT
    };
    let plot_w = WIDTH - left - RIGHT;
    let plot_h = HEIGHT - TOP - BOTTOM;
    let x = |f: f64| left + f.clamp(0.0, 1.0) * plot_w;
    let y = |v: f64| TOP + (1.0 - (v - lo) / (hi - lo)) * plot_h;

    let y_ticks = if staged {
        std::iter::once("not started")
            .chain(spec.ladder().iter().map(String::as_str))
            .enumerate()
            .map(|(i, s)| Tick {
                at: n(y(i as f64)),
                label: s.to_owned(),
            })
            .collect()
    } else {
        [lo, (lo + hi) / 2.0, hi]
            .iter()
            .map(|v| Tick {
                at: n(y(*v)),
                label: spec.format_value(*v),
            })
            .collect()
    };
    let x_ticks = Quarter::ALL
        .iter()
        .map(|q| Tick {
            at: n(x((f64::from(q.number()) - 0.5) / 4.0)),
            label: q.to_string(),
        })
        .collect();
    let today = year_fraction(fy, as_of);
    Some(Chart {
        description: format!(
            "{}: target line across the year and {} actual{} as points",
            outcome.name,
            dots.len(),
            if dots.len() == 1 { "" } else { "s" }
        ),
        target_line: line
            .iter()
            .map(|(f, v)| format!("{},{}", n(x(*f)), n(y(*v))))
            .collect::<Vec<_>>()
            .join(" "),
        points: dots
            .into_iter()
            .map(|(f, v, label, counts)| Point {
                x: n(x(f)),
                y: n(y(v)),
                label,
                counts,
            })
            .collect(),
        y_ticks,
        x_ticks,
        today_x: (0.0..=1.0).contains(&today).then(|| n(x(today))),
        plot_bottom: n(TOP + plot_h),
        plot_left: n(left),
    })
}

/// Where a date falls in the fiscal year, 0 at its start and 1 at its end,
/// measured in quarters as the pacing line is.
fn year_fraction(fy: &FiscalYear, d: NaiveDate) -> f64 {
    // Outside the year: off either end, so "today" is not drawn.
    if d < fy.start() {
        return -1.0;
    }
    if d > fy.end() {
        return 2.0;
    }
    position(fy, d) / 4.0
}
