//! What a typed target or value may be: the one place that decides, asked by
//! the WhyGO forms (new, edit, amendment: through [`super::whygo_rules`]),
//! the workbook loader (the same, and [`check_value`] for its actuals) and
//! the check-in ([`super::checkin::preview`], its form and its JSON preview).
//!
//! Reading stays forgiving: [`Target::parse`] never fails and pacing shows a
//! stored text it cannot score as written. Here is the gate in front of the
//! store, so that nothing typed becomes "not scored" without the person
//! being told, next to the field, what to write instead.
//!
//! # Targets ([`check_targets`])
//! - Acceptable whatever the outcome: empty, `—`, `-`, `N/A` (no target that
//!   quarter); `TBD…` and `Track…` (deliberately not scored); `Baseline`
//!   (the quarter that measures the starting point, or a stage among stages),
//!   as DESIGN.md defines them.
//! - A number with its comparator, range and unit as the grammar in
//!   [`super::target`] reads it (`6-8`, `18+`, `$1.5M`, `90%+`, `<24 hours`,
//!   `4:1`, `Target 4:1`, `±15%`, `+25%`, `Zero`), qualifiers after it
//!   allowed (`50% by Q4`, `100GB+ parsed within SLA`).
//! - A stage (a text starting with a letter: `MVP`, `v1.0`, `Live by Q4`) in
//!   an outcome whose targets are stages; when the outcome declares its
//!   ladder (`stages` in the workbook), only a stage of that ladder.
//! - Refused: text that reads as nothing (`$`, `%`, `#1`); a word among
//!   numbers (`abc`, `abc%%` beside `<10 minutes`: it would silently be not
//!   scored); a number in another unit than the outcome's others (`40%`
//!   beside `$1.5M`; a bare number takes the outcome's unit); a negative
//!   count, duration or ratio (`-5` beside `<10 minutes`); and the number
//!   slips below.
//!
//! # Numbers, in targets and values alike ([`number_slip`])
//! - `1,000` is a thousand: commas separate thousands, in groups of three.
//! - `12,5` is refused with "write 12.5": a decimal comma cannot be told
//!   from a thousands comma once the digits are three (`1,500`), so whygo
//!   takes neither guess; the grammar alone would read `12,5` as 12.
//! - `1e6` is refused with "write 1,000,000 or 1M": nobody's plan says 1e6,
//!   and the grammar alone would read it as 1 (`e6` a qualifier).
//! - Numbers beyond 10^15 (16 digits and more, or `$2,000,000B`) are refused
//!   as too large: almost always a slip, and the limit keeps every later
//!   multiplication finite. The message says so rather than "not a number".
//! - Negative numbers: money and percentages may be negative (a loss, a
//!   fall); counts, durations and ratios may not, as targets or values.
//!
//! # Values ([`check_value`])
//! What [`OutcomeSpec::parse_actual`] reads (the same reading pacing uses
//! later, so what is accepted is what is scored), with one rule more: a
//! duration needs its unit (`19 days`, `3 weeks`, `36 hours`), since `19`
//! alone would be read as days whatever the targets say (`<10 minutes`,
//! `4 weeks`). A percentage may leave out `%` (45 is 45%) and an amount `$`.
//! Every refusal says which forms are accepted ([`OutcomeSpec::accepted`]).

use super::calendar::Quarter;
use super::target::{
    ActualError, ActualValue, OutcomeKind, OutcomeOptions, OutcomeSpec, Target, Unit, fold,
    format_in_unit, number_slip, written_duration,
};

/// How numbers are written, for the check-in form (once, above its rows).
pub const NUMBER_FORMS: &str = "Numbers take a point for decimals (12.5) and a comma, or nothing, between thousands (1,000 or 1000); K, M and B stand for thousands, millions and billions ($250K, $1.2M). Not accepted: 1e6 (write 1M) and 12,5 (write 12.5). A duration needs its unit: 19 days, 3 weeks, 36 hours.";

/// One quarter's target refused.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TargetProblem {
    pub quarter: Quarter,
    /// A sentence for the person who typed it, to show next to the field.
    pub message: String,
}

/// Checks an outcome's four target texts (Q1..Q4) together: each one alone
/// and against the others (their unit, whether they are numbers or stages)
/// and the declared stage ladder, if any. Never panics; an empty list means
/// every target is acceptable. The rules are in the module docs.
pub fn check_targets(targets: &[String; 4], stages: Option<&[String]>) -> Vec<TargetProblem> {
    let declared: Vec<&str> = stages
        .unwrap_or_default()
        .iter()
        .map(|s| s.trim())
        .filter(|s| !s.is_empty())
        .collect();
    let spec = OutcomeSpec::new(
        targets,
        OutcomeOptions {
            stages: stages.map(<[String]>::to_vec),
            ..OutcomeOptions::default()
        },
    );
    let raw: [Target; 4] = std::array::from_fn(|i| Target::parse(&targets[i]));
    // The first number with a unit of its own sets the unit the others share.
    let first_unit = Quarter::ALL.into_iter().find_map(|q| {
        raw[q.index()]
            .unit()
            .filter(|u| *u != Unit::Count)
            .map(|u| (q, u))
    });
    let first_number = Quarter::ALL
        .into_iter()
        .find(|q| raw[q.index()].is_numeric())
        .map(|q| targets[q.index()].trim());
    let mut out = Vec::new();
    for q in Quarter::ALL {
        let text = targets[q.index()].trim();
        let problem = match &raw[q.index()] {
            Target::Blank | Target::NotScored | Target::Baseline => None,
            Target::Text(_) => Some(number_slip(text).map_or_else(
                || unreadable(text, &spec),
                |slip| format!("“{text}”: {slip}."),
            )),
            Target::Stage(name) => match spec.kind() {
                OutcomeKind::Numeric(unit) => Some(format!(
                    "“{text}” is a word, but this outcome’s other targets are numbers (“{}”), so it would never be scored: write {}, TBD or Track, or leave it empty.",
                    first_number.unwrap_or_default(),
                    unit.accepted()
                )),
                _ if !declared.is_empty()
                    && !declared
                        .iter()
                        .any(|d| fold(d) == fold(name) || fold(d) == fold(text)) =>
                {
                    Some(format!(
                        "“{text}” is not one of this outcome’s stages ({}): write one of them.",
                        declared.join(", ")
                    ))
                }
                _ => None,
            },
            t => number_problem(text, t, &spec, first_unit, q),
        };
        if let Some(message) = problem {
            out.push(TargetProblem {
                quarter: q,
                message,
            });
        }
    }
    out
}

/// The message for a target that reads as nothing at all.
fn unreadable(text: &str, spec: &OutcomeSpec) -> String {
    match spec.kind() {
        OutcomeKind::Numeric(unit) => format!(
            "“{text}” cannot be read as a target: write {}, a range or bound (6-8, 18+, <24 hours), TBD, Track or Baseline, or leave it empty.",
            unit.accepted()
        ),
        _ => format!(
            "“{text}” cannot be read as a target: write a number (12, 40%, $1.5M, 21 days, 4:1), a range or bound (6-8, 18+, <24 hours), a stage (MVP), TBD, Track or Baseline, or leave it empty."
        ),
    }
}

/// A numeric target's problem: a slip in how a number is written, a
/// negative count or duration, a unit other than the outcome's.
fn number_problem(
    text: &str,
    target: &Target,
    spec: &OutcomeSpec,
    first_unit: Option<(Quarter, Unit)>,
    q: Quarter,
) -> Option<String> {
    if let Some(slip) = number_slip(text) {
        return Some(format!("“{text}”: {slip}."));
    }
    let own = target.unit();
    if let (Some(u), Some((first_q, first))) = (own, first_unit)
        && u != Unit::Count
        && u != first
        && first_q != q
    {
        return Some(format!(
            "“{text}” is {}, but this outcome’s targets are {} (“{}”, {first_q}): write every quarter in the same unit.",
            u.noun(),
            plural(first),
            spec.target_text(first_q).trim(),
        ));
    }
    // A bare number is in the outcome's unit.
    let unit = match (own, spec.kind()) {
        (Some(Unit::Count) | None, OutcomeKind::Numeric(u)) => u,
        (Some(u), _) => u,
        (None, _) => Unit::Count,
    };
    let lowest = match *target {
        Target::Value { value, .. }
        | Target::AtLeast { value, .. }
        | Target::AtMost { value, .. }
        | Target::Tolerance { value, .. } => value,
        Target::Range { low, .. } => low,
        _ => 0.0,
    };
    (lowest < 0.0 && !unit.can_be_negative())
        .then(|| format!("“{text}”: {} cannot be negative.", unit.noun()))
}

fn plural(u: Unit) -> &'static str {
    match u {
        Unit::Count => "counts",
        Unit::Percent => "percentages",
        Unit::Currency => "amounts",
        Unit::Days => "durations",
        Unit::Ratio => "ratios",
    }
}

/// Whether a typed value is acceptable for the outcome, and what it is: the
/// check-in's and the workbook's one question. The reading is
/// [`OutcomeSpec::parse_actual`]'s (so what is accepted is what pacing
/// scores), and a duration must say its unit. Never panics.
pub fn check_value(spec: &OutcomeSpec, text: &str) -> Result<ActualValue, ActualError> {
    let value = spec.parse_actual(text)?;
    if let (OutcomeKind::Numeric(Unit::Days), ActualValue::Number(n)) = (spec.kind(), value)
        && n != 0.0
        && OutcomeSpec::typed_unit(text) == Some(None)
    {
        let got = text.trim().to_string();
        let written = written_unit(spec);
        let mut words: Vec<&str> = vec![written.map_or("days", |(_, w)| w)];
        for w in ["days", "weeks", "hours"] {
            if !words.contains(&w) {
                words.push(w);
            }
        }
        let mut options: Vec<String> = words.iter().map(|w| format!("{got} {w}")).collect();
        let last = options.pop().unwrap_or_default();
        let suggestion = format!("{} or {last}", options.join(", "));
        return Err(ActualError::NoUnit { got, suggestion });
    }
    Ok(value)
}

/// The duration unit the outcome's targets are written in, if any.
fn written_unit(spec: &OutcomeSpec) -> Option<(f64, &'static str)> {
    Quarter::ALL
        .into_iter()
        .find_map(|q| written_duration(spec.target_text(q)))
}

/// What the check-in shows next to a value field of quarter `q`: the forms
/// accepted, with an example from [`example_value`] (so never above the
/// target), e.g. "Enter a percentage such as 36%; the % sign may be left
/// out."
pub fn value_hint(spec: &OutcomeSpec, q: Quarter) -> String {
    let (what, note) = match spec.kind() {
        OutcomeKind::Staged => return "Choose the stage reached.".to_string(),
        OutcomeKind::Numeric(Unit::Percent) => ("a percentage", "; the % sign may be left out"),
        OutcomeKind::Numeric(Unit::Currency) => ("an amount", "; the $ may be left out"),
        OutcomeKind::Numeric(Unit::Days) => ("a duration with its unit (days, weeks, hours)", ""),
        OutcomeKind::Numeric(Unit::Ratio) => ("a ratio", "; the :1 may be left out"),
        OutcomeKind::Numeric(Unit::Count) | OutcomeKind::Unscored => ("a number", ""),
    };
    match example_value(spec, q) {
        Some(example) => format!("Enter {what} such as {example}{note}."),
        None => format!("Enter {what}{note}."),
    }
}

/// An example value for quarter `q`, in the outcome's unit and as its
/// targets write it ("8 minutes" for `<10 minutes`), never above the target
/// it is drawn from: the quarter's own when it has a number, else the next
/// written one, else the last before it. `None` for stages, an outcome with
/// no number (or only relative targets without a baseline), or when no
/// round example fits under the target.
pub fn example_value(spec: &OutcomeSpec, q: Quarter) -> Option<String> {
    let OutcomeKind::Numeric(unit) = spec.kind() else {
        return None;
    };
    let met = |q: &Quarter| {
        spec.target(*q)
            .met_at(spec.direction(), spec.start())
            .filter(|v| v.is_finite())
    };
    let later = Quarter::ALL
        .into_iter()
        .filter(|o| o.number() >= q.number());
    let earlier = Quarter::ALL
        .into_iter()
        .rev()
        .filter(|o| o.number() < q.number());
    let target = later.chain(earlier).find_map(|o| met(&o))?;
    let text = match unit {
        Unit::Days => match written_unit(spec) {
            Some((per, word)) => {
                let n = round_below(target / per, true);
                let word = if n == 1.0 {
                    word.trim_end_matches('s')
                } else {
                    word
                };
                format!("{} {word}", format_in_unit(Unit::Count, n))
            }
            None => format_in_unit(Unit::Days, round_below(target, true)),
        },
        Unit::Count => format_in_unit(unit, round_below(target, true)),
        _ => format_in_unit(unit, round_below(target, false)),
    };
    // The guard the hint's promise rests on: read back, it is no more than
    // the target (formatting rounds).
    match check_value(spec, &text) {
        Ok(ActualValue::Number(v)) if v <= target + 1e-9 * target.abs().max(1.0) => Some(text),
        _ => None,
    }
}

/// A round number a little below `t` (80% of it, to two significant
/// digits and one decimal; whole when `whole` and at least 1), or `t`
/// itself when it is not positive.
fn round_below(t: f64, whole: bool) -> f64 {
    if t <= 0.0 || !t.is_finite() {
        return t;
    }
    let y = t * 0.8;
    let step = 10f64.powf(y.log10().floor() - 1.0);
    let mut y = (y / step).floor() * step;
    y = (y * 10.0).floor() / 10.0;
    if whole {
        y = y.floor();
        if y < 1.0 {
            y = t.floor();
        }
    }
    y
}

#[cfg(test)]
mod tests;
