//! The sentences that explain a status. Each is written from the figures the
//! status was computed from (the segment of the line, the actual, the
//! comparison), never recomputed, so the words cannot disagree with the
//! table or the chart.

use chrono::NaiveDate;

use super::line::{Anchor, Segment, Source};
use super::{Comparison, expected_level as expected_level_of, stage_level};
use crate::domain::calendar::Quarter;
use crate::domain::target::{Direction, OutcomeKind, OutcomeSpec, Target};

fn day(d: NaiveDate) -> String {
    d.format("%b %-d").to_string()
}

/// "the Q1 target $1.5M", or "the Q1 target 6 (6-8)" when the text says more.
fn describe_target(spec: &OutcomeSpec, q: Quarter, value: f64) -> String {
    let shown = spec.format_value(value);
    let text = spec.target_text(q).trim();
    if shown == text {
        format!("the {q} target {shown}")
    } else {
        format!("the {q} target {shown} ({text})")
    }
}

/// A point of the line in words, without its date.
fn describe_anchor(spec: &OutcomeSpec, a: &Anchor) -> String {
    match a.source {
        Source::Target(q) if spec.kind() == OutcomeKind::Staged => {
            format!("the {q} target {}", stage_name(spec, a.value as usize))
        }
        Source::Target(q) => describe_target(spec, q, a.value),
        Source::Start => format!("the start value {}", spec.format_value(a.value)),
        Source::Baseline(q) => format!("the {q} baseline {}", spec.format_value(a.value)),
        Source::Zero => spec.format_value(a.value),
        Source::NotStarted => "not started".to_string(),
    }
}

/// The name of a ladder level (1 = the first stage).
fn stage_name(spec: &OutcomeSpec, level: usize) -> String {
    match level.checked_sub(1).and_then(|i| spec.ladder().get(i)) {
        Some(name) => name.clone(),
        None => "not started".to_string(),
    }
}

/// The line part of a sentence: "the Q1 target 6-8" when the expectation is
/// a target itself, else "straight line from … on … to … on …".
fn describe_segment(spec: &OutcomeSpec, s: &Segment) -> String {
    // At (or before) the line's first point: that point alone.
    if s.from.position >= s.to.position && !matches!(s.to.source, Source::Target(_)) {
        return describe_anchor(spec, &s.to);
    }
    if let (true, Source::Target(q)) = (s.at_end(), s.to.source) {
        let text = spec.target_text(q).trim();
        let shown = if spec.kind() == OutcomeKind::Staged {
            stage_name(spec, s.to.value as usize)
        } else {
            spec.format_value(s.to.value)
        };
        return if shown == text {
            format!("the {q} target")
        } else {
            format!("the {q} target {text}")
        };
    }
    format!(
        "straight line from {} on {} to {} on {}",
        describe_anchor(spec, &s.from),
        day(s.from.date),
        describe_anchor(spec, &s.to),
        day(s.to.date)
    )
}

/// "expected $6.2M by Nov 21 (straight line from $0 on Jan 1 to the Q4
/// target $7M on Dec 31)".
pub(super) fn numeric_head(spec: &OutcomeSpec, s: &Segment, by: NaiveDate) -> String {
    let lower = spec.direction() == Direction::Lower;
    format!(
        "expected {}{} by {} ({})",
        if lower { "at most " } else { "" },
        spec.format_value(s.value),
        day(by),
        describe_segment(spec, s)
    )
}

/// "(carried from Q3, entered Sep 25)" for a reading standing in.
fn carried_words(carried: Option<Quarter>, date: NaiveDate) -> String {
    carried.map_or_else(String::new, |p| {
        format!(" (carried from {p}, entered {})", day(date))
    })
}

/// "actual $5.9M = 95%", "actual 26 days, 24% behind", "actual 45, meets
/// the Q2 target 40+".
pub(super) fn numeric_actual(
    spec: &OutcomeSpec,
    q: Quarter,
    actual: f64,
    comparison: Comparison,
    date: NaiveDate,
    carried: Option<Quarter>,
) -> String {
    let shown = format!(
        "actual {}{}",
        spec.format_value(actual),
        carried_words(carried, date)
    );
    match comparison {
        Comparison::MeetsTarget => {
            format!(
                "{shown}, meets the {q} target {}",
                spec.target_text(q).trim()
            )
        }
        Comparison::ZeroExpected { met: true } => format!("{shown}, as expected"),
        Comparison::ZeroExpected { met: false } => format!("{shown}, not met"),
        Comparison::Ratio(r) => match spec.direction() {
            Direction::Higher => format!("{shown} = {}", percent_of(r)),
            Direction::Lower => format!("{shown}, {}", behind_or_ahead(r)),
        },
    }
}

/// The ratio as a whole percentage, except that a shortfall never reads
/// "100%" (99.6 shows as "99.6%", so the `[~]` beside it makes sense).
fn percent_of(r: f64) -> String {
    let pct = r * 100.0;
    if r < 1.0 && pct.round() >= 100.0 {
        let tenths = ((pct * 10.0).floor() / 10.0).min(99.9);
        format!("{tenths:.1}%")
    } else {
        format!("{}%", pct.round())
    }
}

/// For lower-is-better: "24% behind" when over the expected value, "10%
/// ahead" under it; a sliver over never reads "0% behind".
fn behind_or_ahead(r: f64) -> String {
    let pct = (r - 1.0) * 100.0;
    let shown = |p: f64| {
        if p > 0.0 && p.round() == 0.0 {
            format!("{:.1}%", (p * 10.0).ceil() / 10.0)
        } else {
            format!("{}%", p.round())
        }
    };
    if pct > 1e-9 {
        format!("{} behind", shown(pct))
    } else if pct < -1e-9 {
        format!("{} ahead", shown(-pct))
    } else {
        "as expected".to_string()
    }
}

/// "expected Integrated by Nov 21 (straight line from not started on Jan 1
/// to the Q4 target Live on Dec 31)", or "nothing expected yet (MVP due by
/// end of Q1)".
pub(super) fn stage_head(spec: &OutcomeSpec, s: &Segment, level: usize, by: NaiveDate) -> String {
    let due = match s.to.source {
        Source::Target(q) => format!(
            "{} due by end of {q}",
            stage_name(spec, s.to.value as usize)
        ),
        _ => String::new(),
    };
    if level == 0 {
        return if due.is_empty() {
            "nothing expected yet".to_owned()
        } else {
            format!("nothing expected yet ({due})")
        };
    }
    if let (Source::Target(q), true) = (s.to.source, s.at_end()) {
        return format!("expected {} by end of {q}", stage_name(spec, level));
    }
    match s.from.source {
        // Still at the last target's stage: say so plainly.
        Source::Target(p) if expected_level_of(s.from.value) == level => format!(
            "expected {} by {} (the {p} target; {due})",
            stage_name(spec, level),
            day(by)
        ),
        _ => format!(
            "expected {} by {} ({}, rounded down to a stage; {due})",
            stage_name(spec, level),
            day(by),
            describe_segment(spec, s)
        ),
    }
}

/// "reached Spec, three stages behind", "reached v1.0, the Q2 target".
#[allow(clippy::too_many_arguments)]
pub(super) fn stage_reached(
    spec: &OutcomeSpec,
    q: Quarter,
    reached: usize,
    gap: i64,
    meets: bool,
    expected_level: usize,
    date: NaiveDate,
    carried: Option<Quarter>,
) -> String {
    let shown = format!(
        "reached {}{}",
        stage_name(spec, reached),
        carried_words(carried, date)
    );
    if meets && gap > 0 {
        return format!("{shown}, the {q} target");
    }
    match gap {
        _ if expected_level == 0 => shown,
        0 => format!("{shown}, on pace"),
        g if g > 0 => format!("{shown}, {} behind", stages_word(g)),
        g => format!("{shown}, {} ahead", stages_word(-g)),
    }
}

fn stages_word(n: i64) -> String {
    const WORDS: [&str; 11] = [
        "zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten",
    ];
    let count = usize::try_from(n)
        .ok()
        .and_then(|i| WORDS.get(i).map(std::string::ToString::to_string))
        .unwrap_or_else(|| n.to_string());
    if n == 1 {
        format!("{count} stage")
    } else {
        format!("{count} stages")
    }
}

/// Why a quarter is not scored, in the words of its cell.
pub(super) fn not_scored(spec: &OutcomeSpec, q: Quarter) -> String {
    let text = spec.target_text(q).trim();
    let numeric = matches!(spec.kind(), OutcomeKind::Numeric(_));
    match spec.target(q) {
        Target::Text(_) => format!("not scored: “{text}” is not a target that can be read"),
        Target::Blank => {
            let later = Quarter::ALL
                .into_iter()
                .filter(|p| *p > q)
                .any(|p| spec.target(p).is_numeric() || stage_level(spec, p).is_some());
            if later {
                format!(
                    "not scored: no {q} target (a level is judged only where a target is written)"
                )
            } else {
                format!("not scored: no {q} target")
            }
        }
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

/// A relative target whose baseline is not known yet.
pub(super) fn baseline_unknown(spec: &OutcomeSpec, q: Quarter) -> String {
    let text = spec.target_text(q).trim();
    let how = match spec.baseline_quarter() {
        Some(bq) if bq < q => format!("enter the {bq} actual"),
        _ => "set the outcome's start value".to_string(),
    };
    format!("not scored yet: “{text}” is measured against a baseline, which is not known ({how})")
}
