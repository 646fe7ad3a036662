//! Targets as people write them (`6-8`, `$1.5M`, `<24 hours`, `MVP`, `TBD`),
//! parsed into typed values, and the outcome-level context that resolves what
//! a single cell cannot say on its own (is `Baseline` a stage or a baseline?
//! which way is better? does the value accumulate?).
//!
//! Nothing here fails: an unreadable target becomes [`Target::Text`] and is
//! shown as written, never scored.
//!
//! The grammar, in the order it is tried:
//! - empty, `—`, `-`, `N/A`: blank (no target written); `TBD…`, `Track…`: not
//!   scored; `Baseline…`: baseline;
//!   `Zero…`: at most 0;
//! - text starting with a letter: a stage, unless it holds a compared number
//!   (`First-round ≥75%`, `P1 <24hrs, P2 <72hrs`) or reads `Target <number>`;
//!   trailing "by Q4", "(with Fill)" and a bare quarter are dropped from the name;
//! - `+ word`: a stage; otherwise a number: an optional comparator (`≥ > ≤ < ±`,
//!   `+`/`-` with a percent for relative), `$`, digits with `,` groups, an attached
//!   `K`/`M`/`B`, `x`, `%` or duration suffix, an optional `+`, an optional
//!   second number after `-` or `to` (a range, sharing units and multipliers),
//!   an optional unit word (`days`, `weeks`, `hours`); the rest is a qualifier.

use std::fmt;

use serde::{Deserialize, Serialize};

use super::calendar::Quarter;

/// Numbers larger than this (in absolute value) are treated as unreadable, so
/// later arithmetic (baseline * growth, interpolation) always stays finite.
const MAX_MAGNITUDE: f64 = 1e15;

/// The unit a number is measured in. Durations are normalised to days
/// (hours / 24, weeks * 7) so `<24 hours` and `1 day` compare directly.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Unit {
    Count,
    Percent,
    Currency,
    Days,
    Ratio,
}

impl Unit {
    /// A lowercase name for messages and exports.
    pub fn name(self) -> &'static str {
        match self {
            Unit::Count => "count",
            Unit::Percent => "percent",
            Unit::Currency => "currency",
            Unit::Days => "days",
            Unit::Ratio => "ratio",
        }
    }

    /// Money (a loss) and percentages (a margin, a change) can fall below
    /// zero; a count, a duration or a ratio cannot.
    pub fn can_be_negative(self) -> bool {
        matches!(self, Unit::Currency | Unit::Percent)
    }

    /// "a count", "a duration": the words used when refusing a value.
    pub fn noun(self) -> &'static str {
        match self {
            Unit::Count => "a count",
            Unit::Percent => "a percentage",
            Unit::Currency => "an amount",
            Unit::Days => "a duration",
            Unit::Ratio => "a ratio",
        }
    }

    /// What a person may type for this unit, used in messages and on the
    /// check-in form ([`super::target_rules`] says why these forms).
    pub fn accepted(self) -> &'static str {
        match self {
            Unit::Count => "a number such as 12, 12.5 or 1,000",
            Unit::Percent => "a percentage such as 45% or 12.5%",
            Unit::Currency => "an amount such as $1.2M, $250K or $1,000",
            Unit::Days => "a duration with its unit, such as 19 days, 3 weeks or 36 hours",
            Unit::Ratio => "a ratio such as 4:1 or 3.5:1",
        }
    }
}

/// Which way is better. Serialises as `"higher"` / `"lower"` (the workbook's
/// spelling).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Direction {
    #[default]
    Higher,
    Lower,
}

impl Direction {
    pub fn as_str(self) -> &'static str {
        match self {
            Direction::Higher => "higher",
            Direction::Lower => "lower",
        }
    }

    pub fn parse(s: &str) -> Option<Direction> {
        [Direction::Higher, Direction::Lower]
            .into_iter()
            .find(|d| d.as_str() == s)
    }
}

/// One quarter's target, parsed from its text without looking at the rest of
/// the outcome ([`OutcomeSpec`] resolves the context-dependent cases).
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Target {
    /// No target written for the quarter: empty, `—`, `-`. A cumulative
    /// outcome is still judged there against the line to a later target.
    Blank,
    /// Deliberately not judged: `TBD…`, `Track`.
    NotScored,
    /// `Baseline`: this quarter measures the starting point (in a numeric
    /// outcome); in a staged outcome it is resolved to a stage.
    Baseline,
    /// A plain number: `12`, `40%`, `$1.5M`, `21 days`, `4:1`, `Target 4:1`.
    Value { value: f64, unit: Unit },
    /// `a-b`: met at `low` when higher is better, at `high` when lower is.
    Range { low: f64, high: f64, unit: Unit },
    /// `a+`, `≥a`, `>a` (the strict `>` is paced like `≥`).
    AtLeast { value: f64, unit: Unit },
    /// `<a`, `≤a`, `Zero`: lower is better.
    AtMost { value: f64, unit: Unit },
    /// `±p%`: an error that must stay within `p`; lower is better, a level.
    Tolerance { value: f64, unit: Unit },
    /// `+p%`: the outcome's baseline times (1 + p/100).
    Relative { percent: f64 },
    /// A milestone word: `MVP`, `v1.0`, `Iterate`, `+ Prod` (qualifiers such
    /// as "by Q4" are dropped from the name).
    Stage(String),
    /// Something that could not be read; shown as written, not scored.
    Text(String),
}

impl Target {
    /// Reads one target cell. Never panics; the grammar is in the module docs.
    /// `Baseline` and `Test` are resolved by [`OutcomeSpec::new`].
    pub fn parse(text: &str) -> Target {
        parse_target(text)
    }

    /// The unit of a numeric target (`Tolerance` is in its own unit, a
    /// `Relative` target borrows the outcome's).
    pub fn unit(&self) -> Option<Unit> {
        match self {
            Target::Value { unit, .. }
            | Target::Range { unit, .. }
            | Target::AtLeast { unit, .. }
            | Target::AtMost { unit, .. }
            | Target::Tolerance { unit, .. } => Some(*unit),
            _ => None,
        }
    }

    /// A target compared with a number (everything numeric, relative included).
    pub fn is_numeric(&self) -> bool {
        matches!(
            self,
            Target::Value { .. }
                | Target::Range { .. }
                | Target::AtLeast { .. }
                | Target::AtMost { .. }
                | Target::Tolerance { .. }
                | Target::Relative { .. }
        )
    }

    /// The value at which the target counts as met, the one the pacing line is
    /// drawn through. `None` for non-numeric targets and for a relative target
    /// whose baseline is not known yet.
    pub fn met_at(&self, direction: Direction, baseline: Option<f64>) -> Option<f64> {
        match self {
            Target::Value { value, .. }
            | Target::AtLeast { value, .. }
            | Target::AtMost { value, .. }
            | Target::Tolerance { value, .. } => Some(*value),
            Target::Range { low, high, .. } => Some(match direction {
                Direction::Higher => *low,
                Direction::Lower => *high,
            }),
            Target::Relative { percent } => baseline
                .map(|b| b * (1.0 + percent / 100.0))
                .filter(|v| v.is_finite()),
            _ => None,
        }
    }

    /// Whether `actual` already meets this target, read in `direction`: at
    /// least the target when higher is better, at most when lower is; within
    /// the band of a tolerance. `None` when the target is not a number (or a
    /// relative target without a baseline).
    pub fn meets(&self, direction: Direction, baseline: Option<f64>, actual: f64) -> Option<bool> {
        if let Target::Tolerance { value, .. } = self {
            return Some(actual.abs() <= *value + 1e-9);
        }
        let at = self.met_at(direction, baseline)?;
        let slack = 1e-9 * at.abs().max(1.0);
        Some(match direction {
            Direction::Higher => actual >= at - slack,
            Direction::Lower => actual <= at + slack,
        })
    }
}

/// Per-outcome settings that override what the targets imply.
#[derive(Default, Clone, Debug)]
pub struct OutcomeOptions {
    pub direction: Option<Direction>,
    pub cumulative: Option<bool>,
    /// Baseline / start value, in the outcome's unit (percent as 42.0, days,
    /// dollars).
    pub start: Option<f64>,
    /// A declared (longer) ladder of stages.
    pub stages: Option<Vec<String>>,
}

/// What kind of values an outcome is judged on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OutcomeKind {
    Numeric(Unit),
    Staged,
    Unscored,
}

/// A value a person entered, read against its outcome.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum ActualValue {
    Number(f64),
    /// Index into [`OutcomeSpec::ladder`].
    Stage(usize),
}

/// Why an entered actual cannot be read; `Display` is a sentence the person
/// can act on, without its capital and full stop so it also reads inside a
/// pacing explanation ("… cannot be read: expected …, got “x”").
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ActualError {
    #[error("enter a value: {accepted}")]
    Empty { accepted: String },
    #[error("expected {accepted}, got “{got}”")]
    NotANumber { accepted: String, got: String },
    /// A number in another unit than the outcome's (`19 days` for a percent).
    #[error("expected {accepted}, got “{got}”, {typed}")]
    WrongUnit {
        accepted: String,
        got: String,
        typed: &'static str,
    },
    #[error("“{got}” is not a stage of this outcome ({})", .ladder.join(", "))]
    UnknownStage { got: String, ladder: Vec<String> },
    #[error("{what} cannot be negative, got “{got}”")]
    Negative { what: &'static str, got: String },
    /// `1e6`, `12,5`, a 16-digit number: how it was typed, not what.
    #[error("“{got}”: {slip}")]
    Slip { got: String, slip: Slip },
    /// A bare number for a duration (see [`super::target_rules::check_value`]).
    #[error("“{got}” needs its unit: write {suggestion}")]
    NoUnit { got: String, suggestion: String },
}

/// A number typed in a way whygo does not read, found by [`number_slip`]:
/// the same for targets and values. `Display` says what to write instead.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Slip {
    /// `1e6`, `2.5E3`.
    #[error("whygo does not read scientific notation: write {plain}")]
    Exponent { plain: String },
    /// `12,5`: a comma before one or two digits.
    #[error("write decimals with a point, {fixed} (a comma separates thousands, as in 1,000)")]
    DecimalComma { fixed: String },
    /// `1,0000`, `10,00,000`, `1.000,5`.
    #[error(
        "commas separate thousands in groups of three (1,000 or 25,000) and a point marks decimals (12.5)"
    )]
    Grouping,
    /// More than [`MAX_MAGNITUDE`], with its K/M/B multiplier.
    #[error("the number is too large: whygo reads numbers up to 1,000,000,000,000,000 (15 zeros)")]
    TooLarge,
}

/// An outcome's four targets in context: kind, unit, direction, cumulative
/// or level, stage ladder and start value. Built once, then asked by pacing.
#[derive(Clone, Debug)]
pub struct OutcomeSpec {
    texts: [String; 4],
    targets: [Target; 4],
    kind: OutcomeKind,
    direction: Direction,
    cumulative: bool,
    ladder: Vec<String>,
    start: Option<f64>,
    baseline_quarter: Option<Quarter>,
    error_metric: bool,
    warnings: Vec<String>,
}

impl OutcomeSpec {
    /// Never fails: resolves `Baseline`/`Test` by context (stages in a staged
    /// outcome, not scored in a numeric one), infers unit, direction and
    /// cumulativeness, and builds the stage ladder. Anything questionable is
    /// recorded in [`OutcomeSpec::warnings`].
    pub fn new(targets: &[String; 4], opts: OutcomeOptions) -> OutcomeSpec {
        let texts = targets.clone();
        let parsed: [Target; 4] = std::array::from_fn(|i| Target::parse(&targets[i]));
        let mut warnings = Vec::new();

        let has_numeric = parsed.iter().any(Target::is_numeric);
        let has_stage = parsed.iter().any(|t| matches!(t, Target::Stage(_)));

        let kind = if has_numeric {
            let unit = parsed.iter().find_map(Target::unit).unwrap_or(Unit::Count);
            OutcomeKind::Numeric(unit)
        } else if has_stage {
            OutcomeKind::Staged
        } else {
            OutcomeKind::Unscored
        };

        let resolved: [Target; 4] = parsed.map(|t| match (kind, t) {
            (OutcomeKind::Staged, Target::Baseline) => Target::Stage("Baseline".to_string()),
            (OutcomeKind::Numeric(_), Target::Stage(name)) => {
                warnings.push(format!(
                    "“{name}” is a stage in an outcome measured in numbers; it is not scored"
                ));
                Target::NotScored
            }
            (_, t) => t,
        });

        let ladder = if kind == OutcomeKind::Staged {
            build_ladder(&resolved, opts.stages.as_deref(), &mut warnings)
        } else {
            if opts.stages.as_ref().is_some_and(|s| !s.is_empty()) {
                warnings.push("stages are declared but the targets are not stages; ignored".into());
            }
            Vec::new()
        };

        let direction = opts
            .direction
            .unwrap_or_else(|| infer_direction(kind, &resolved));
        let cumulative = opts.cumulative.unwrap_or(matches!(
            kind,
            OutcomeKind::Numeric(Unit::Count | Unit::Currency)
        ));
        let start = opts.start.filter(|v| sane(*v));
        if opts.start.is_some() && start.is_none() {
            warnings.push("the start value is not a usable number; ignored".into());
        }
        let baseline_quarter = if kind == OutcomeKind::Staged {
            None
        } else {
            Quarter::ALL
                .into_iter()
                .find(|q| resolved[q.index()] == Target::Baseline)
        };
        let error_metric = resolved
            .iter()
            .any(|t| matches!(t, Target::Tolerance { .. }));

        OutcomeSpec {
            texts,
            targets: resolved,
            kind,
            direction,
            cumulative,
            ladder,
            start,
            baseline_quarter,
            error_metric,
            warnings,
        }
    }

    /// The resolved target of a quarter.
    pub fn target(&self, q: Quarter) -> &Target {
        &self.targets[q.index()]
    }

    /// The target exactly as written.
    pub fn target_text(&self, q: Quarter) -> &str {
        &self.texts[q.index()]
    }

    pub fn kind(&self) -> OutcomeKind {
        self.kind
    }

    pub fn direction(&self) -> Direction {
        self.direction
    }

    pub fn cumulative(&self) -> bool {
        self.cumulative
    }

    /// The stages in order (empty unless the outcome is staged).
    pub fn ladder(&self) -> &[String] {
        &self.ladder
    }

    /// The declared start value (`OutcomeOptions::start`), if usable.
    pub fn start(&self) -> Option<f64> {
        self.start
    }

    /// The first quarter whose target is `Baseline` in a numeric (or
    /// unscored) outcome: its actual becomes the baseline.
    pub fn baseline_quarter(&self) -> Option<Quarter> {
        self.baseline_quarter
    }

    /// Things a workbook author may want to fix (ignored ladder, stage in a
    /// numeric outcome); pacing still works without fixing them.
    pub fn warnings(&self) -> &[String] {
        &self.warnings
    }

    /// How a person typed a value: "42%", "$1.2M", "1,000", "19 days",
    /// "3 weeks", "7", or a stage of the ladder (case-insensitive).
    pub fn parse_actual(&self, text: &str) -> Result<ActualValue, ActualError> {
        let trimmed = normalize(text);
        if trimmed.is_empty() {
            return Err(ActualError::Empty {
                accepted: self.accepted(),
            });
        }
        if self.kind != OutcomeKind::Staged
            && let Some(slip) = number_slip(&trimmed)
        {
            return Err(ActualError::Slip {
                got: text.trim().to_string(),
                slip,
            });
        }
        match self.kind {
            OutcomeKind::Staged => {
                let wanted = fold(&stage_name(&trimmed));
                let whole = fold(&trimmed);
                self.ladder
                    .iter()
                    .position(|s| fold(s) == wanted || fold(s) == whole)
                    .map(ActualValue::Stage)
                    .ok_or_else(|| ActualError::UnknownStage {
                        got: text.trim().to_string(),
                        ladder: self.ladder.clone(),
                    })
            }
            OutcomeKind::Numeric(unit) => {
                let (value, typed_unit) =
                    parse_plain_amount(&trimmed).ok_or_else(|| ActualError::NotANumber {
                        accepted: unit.accepted().to_string(),
                        got: text.trim().to_string(),
                    })?;
                if let Some(typed) = typed_unit.filter(|u| *u != unit) {
                    return Err(ActualError::WrongUnit {
                        accepted: unit.accepted().to_string(),
                        got: text.trim().to_string(),
                        typed: typed.noun(),
                    });
                }
                if value < 0.0 && !unit.can_be_negative() {
                    return Err(ActualError::Negative {
                        what: unit.noun(),
                        got: text.trim().to_string(),
                    });
                }
                let value = if self.error_metric {
                    value.abs()
                } else {
                    value
                };
                Ok(ActualValue::Number(value))
            }
            OutcomeKind::Unscored => parse_plain_amount(&trimmed)
                .map(|(v, _)| ActualValue::Number(v))
                .ok_or_else(|| ActualError::NotANumber {
                    accepted: self.accepted(),
                    got: text.trim().to_string(),
                }),
        }
    }

    /// A value in the outcome's unit: "$2.5M", "92%", "19 days", "4:1", "12";
    /// for a staged outcome, the stage at that index.
    pub fn format_value(&self, v: f64) -> String {
        match self.kind {
            OutcomeKind::Numeric(unit) => format_in_unit(unit, v),
            OutcomeKind::Staged => {
                let idx = v.round();
                if (v - idx).abs() < 1e-9 && idx >= 0.0 && (idx as usize) < self.ladder.len() {
                    self.ladder[idx as usize].clone()
                } else {
                    format_in_unit(Unit::Count, v)
                }
            }
            OutcomeKind::Unscored => format_in_unit(Unit::Count, v),
        }
    }

    /// What a value of this outcome may be, in words: "a percentage such as
    /// 45% or 12.5%", "one of the stages MVP, v1.0, Live".
    pub fn accepted(&self) -> String {
        match self.kind {
            OutcomeKind::Numeric(unit) => unit.accepted().to_string(),
            OutcomeKind::Staged => format!("one of the stages {}", self.ladder.join(", ")),
            OutcomeKind::Unscored => "a number such as 12, 12.5, 1,000, 45% or $1.2M".to_string(),
        }
    }

    /// The unit a person typed with a value (`19 days`: days; `19`: none),
    /// `None` when the text is no amount at all.
    pub fn typed_unit(text: &str) -> Option<Option<Unit>> {
        parse_plain_amount(&normalize(text)).map(|(_, unit)| unit)
    }
}

impl fmt::Display for Unit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Formats `v` in `unit` the way the seed documents write numbers.
pub fn format_in_unit(unit: Unit, v: f64) -> String {
    if !v.is_finite() {
        return "—".to_string();
    }
    match unit {
        Unit::Count => group_thousands(v),
        Unit::Percent => format!("{}%", group_thousands(v)),
        Unit::Currency => format_money(v),
        Unit::Days => format_days(v),
        Unit::Ratio => format!("{}:1", group_thousands(v)),
    }
}

fn format_money(v: f64) -> String {
    let sign = if v < 0.0 { "-" } else { "" };
    let a = v.abs();
    // Step up a multiplier when the smaller one would print 1,000 or more.
    let (scale, suffix) = if round1(a / 1e6) >= 1000.0 {
        (1e9, "B")
    } else if round1(a / 1e3) >= 1000.0 {
        (1e6, "M")
    } else if a.round() >= 1000.0 {
        (1e3, "K")
    } else {
        return format!("{sign}${}", group_thousands(a.round()));
    };
    format!("{sign}${}{suffix}", group_thousands(a / scale))
}

fn format_days(v: f64) -> String {
    let a = v.abs();
    if a > 0.0 && round1(a) < 1.0 {
        let hours = v * 24.0;
        let text = group_thousands(hours);
        return if text == "1" {
            "1 hour".to_string()
        } else {
            format!("{text} hours")
        };
    }
    let text = group_thousands(v);
    if text == "1" {
        "1 day".to_string()
    } else {
        format!("{text} days")
    }
}

fn round1(v: f64) -> f64 {
    (v * 10.0).round() / 10.0
}

/// One decimal at most, no trailing `.0`, thousands separated by commas.
fn group_thousands(v: f64) -> String {
    let r = round1(v);
    let negative = r < 0.0;
    let a = r.abs();
    let whole = a.trunc();
    let tenth = ((a - whole) * 10.0).round() as u64;
    // Whole numbers below 2^53 print exactly as integers, and much faster
    // than through float formatting (a report formats tens of thousands).
    let digits = if whole < 9.0e15 {
        (whole as u64).to_string()
    } else {
        format!("{whole:.0}")
    };
    let mut grouped = String::new();
    for (i, ch) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            grouped.push(',');
        }
        grouped.push(ch);
    }
    let mut out = String::new();
    if negative && (whole > 0.0 || tenth > 0) {
        out.push('-');
    }
    out.push_str(&grouped);
    if tenth > 0 {
        out.push('.');
        out.push_str(&tenth.to_string());
    }
    out
}

fn sane(v: f64) -> bool {
    v.is_finite() && v.abs() <= MAX_MAGNITUDE
}

/// Stage names compare without case and extra spaces.
pub(crate) fn fold(s: &str) -> String {
    s.split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_lowercase()
}

/// Trims, collapses whitespace and spells look-alike characters one way, so
/// the grammar below only sees `-`, `≥`, `≤`, `±`.
fn normalize(text: &str) -> String {
    let replaced = text
        .replace(['\u{2212}', '\u{2013}'], "-")
        .replace(">=", "≥")
        .replace("=>", "≥")
        .replace("<=", "≤")
        .replace("=<", "≤")
        .replace("+/-", "±");
    replaced.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn first_word(s: &str) -> String {
    s.split(|c: char| c.is_whitespace() || c == ',' || c == '.' || c == ':' || c == '(')
        .next()
        .unwrap_or("")
        .to_lowercase()
}

fn parse_target(text: &str) -> Target {
    let t = normalize(text);
    let lower = t.to_lowercase();
    if matches!(lower.as_str(), "" | "—" | "-" | "--" | "n/a" | "na") {
        return Target::Blank;
    }
    let word = first_word(&t);
    match word.as_str() {
        "tbd" | "tbc" | "track" | "tracked" | "tracking" => return Target::NotScored,
        "baseline" => return Target::Baseline,
        "zero" => {
            return Target::AtMost {
                value: 0.0,
                unit: Unit::Count,
            };
        }
        _ => {}
    }
    let chars: Vec<char> = t.chars().collect();
    let first = chars.first().copied().unwrap_or(' ');
    if first.is_alphabetic() {
        // "Target 4:1": the label goes, the number stays.
        if word == "target" {
            let rest: Vec<char> = chars.iter().skip(6).copied().collect();
            let rest: Vec<char> = rest.into_iter().skip_while(|c| c.is_whitespace()).collect();
            if let Some(target) = parse_numeric(&rest) {
                return target;
            }
        }
        // "First-round ≥75%", "P1 <24hrs, P2 <72hrs", "Consistent (±10% variance)":
        // the first compared number wins, the words around it are qualifiers.
        let compared = chars
            .iter()
            .enumerate()
            .filter(|(_, c)| matches!(c, '<' | '>' | '≤' | '≥' | '±'))
            .find_map(|(i, _)| parse_numeric(&chars[i..]));
        if let Some(target) = compared {
            return target;
        }
        return Target::Stage(stage_name(&t));
    }
    // "+ Prod", "+ Comm": a plus, a space and a word is a stage.
    if first == '+' {
        let rest = chars[1..].iter().find(|c| !c.is_whitespace());
        if rest.is_some_and(|c| c.is_alphabetic()) {
            return Target::Stage(stage_name(&t));
        }
    }
    parse_numeric(&chars).unwrap_or(Target::Text(t))
}

/// Drops trailing qualifiers from a stage's name so "Live by Q4" and
/// "Live by Q1 (with Fill)" both mean the stage "Live".
fn stage_name(text: &str) -> String {
    let mut s = normalize(text);
    // A trailing parenthetical, when something precedes it.
    if let Some(open) = s.ends_with(')').then(|| s.rfind('(')).flatten() {
        let head = s[..open].trim_end();
        if !head.is_empty() {
            s = head.to_string();
        }
    }
    // " by <when>".
    let words: Vec<&str> = s.split(' ').collect();
    if let Some(pos) = words.iter().enumerate().skip(1).find_map(|(i, w)| {
        let next = words.get(i + 1).copied().unwrap_or("");
        (w.eq_ignore_ascii_case("by") && is_time_reference(next)).then_some(i)
    }) {
        s = words[..pos].join(" ");
    }
    // A trailing bare quarter: "Finalized Q1".
    let words: Vec<&str> = s.split(' ').collect();
    if words.len() > 1 && words.last().is_some_and(|w| is_quarter_word(w)) {
        s = words[..words.len() - 1].join(" ");
    }
    let s = s.trim_end_matches([',', ';', ':']).trim().to_string();
    if s.is_empty() { normalize(text) } else { s }
}

fn is_quarter_word(w: &str) -> bool {
    let lower = w.to_lowercase();
    let mut chars = lower.chars();
    chars.next() == Some('q') && matches!(chars.next(), Some('1'..='4')) && chars.next().is_none()
}

fn is_time_reference(w: &str) -> bool {
    let lower = w.to_lowercase();
    const MONTHS: [&str; 12] = [
        "january",
        "february",
        "march",
        "april",
        "may",
        "june",
        "july",
        "august",
        "september",
        "october",
        "november",
        "december",
    ];
    let word = lower.trim_end_matches([',', '.']);
    is_quarter_word(word)
        || matches!(
            word,
            "eoy" | "eoq" | "end" | "year-end" | "h1" | "h2" | "sept"
        )
        || MONTHS
            .iter()
            .any(|m| word == *m || (word.len() == 3 && m.starts_with(word)))
        || word.chars().next().is_some_and(|c| c.is_ascii_digit())
}

/// A number as typed, before it is combined with others.
#[derive(Clone, Copy, Debug)]
struct Amount {
    value: f64,
    unit: Option<Unit>,
    /// The K/M/B multiplier written after the number (1 when none), so
    /// `$25-50K` can lend it to the 25.
    scale: Option<f64>,
    /// The factor of an attached duration suffix (`24hrs`), likewise lent.
    duration: Option<f64>,
}

struct Cursor<'a> {
    chars: &'a [char],
    pos: usize,
}

impl Cursor<'_> {
    fn peek(&self) -> Option<char> {
        self.chars.get(self.pos).copied()
    }
    fn peek_at(&self, ahead: usize) -> Option<char> {
        self.chars.get(self.pos + ahead).copied()
    }
    fn eat(&mut self, c: char) -> bool {
        if self.peek() == Some(c) {
            self.pos += 1;
            true
        } else {
            false
        }
    }
    fn skip_spaces(&mut self) {
        while self.peek().is_some_and(char::is_whitespace) {
            self.pos += 1;
        }
    }
    fn at_end(&self) -> bool {
        self.pos >= self.chars.len()
    }
    fn letters(&mut self) -> String {
        let start = self.pos;
        while self.peek().is_some_and(char::is_alphabetic) {
            self.pos += 1;
        }
        self.chars[start..self.pos].iter().collect()
    }
    fn starts_amount(&self) -> bool {
        match self.peek() {
            Some(c) if c.is_ascii_digit() => true,
            Some('$') => true,
            Some('.') => self.peek_at(1).is_some_and(|c| c.is_ascii_digit()),
            _ => false,
        }
    }
}

/// Digits with optional `,ddd` groups and decimals: `1,000`, `1.5`, `.5`.
fn parse_number(c: &mut Cursor) -> Option<f64> {
    let start = c.pos;
    let mut text = String::new();
    while let Some(ch) = c.peek() {
        if ch.is_ascii_digit() {
            text.push(ch);
            c.pos += 1;
        } else if ch == ','
            && !text.is_empty()
            && !text.contains('.')
            && (1..=3).all(|k| c.peek_at(k).is_some_and(|d| d.is_ascii_digit()))
            && !c.peek_at(4).is_some_and(|d| d.is_ascii_digit())
        {
            c.pos += 1;
        } else if ch == '.'
            && !text.contains('.')
            && c.peek_at(1).is_some_and(|d| d.is_ascii_digit())
        {
            text.push('.');
            c.pos += 1;
        } else {
            break;
        }
    }
    if text.is_empty() {
        c.pos = start;
        return None;
    }
    text.parse::<f64>().ok().filter(|v| sane(*v))
}

/// The first way `text` writes a number that the grammar above would misread
/// or refuse without saying why: scientific notation (`1e6`, read as 1), a
/// decimal comma (`12,5`, read as 12), commas that are no thousands groups
/// (`1,0000`), or a number beyond [`MAX_MAGNITUDE`] with its K/M/B
/// multiplier (`12345678901234567`, `$2,000,000B`). Letters and other
/// characters around the numbers are not judged here.
pub fn number_slip(text: &str) -> Option<Slip> {
    let chars: Vec<char> = text.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        let starts = chars[i].is_ascii_digit()
            || (chars[i] == '.' && chars.get(i + 1).is_some_and(char::is_ascii_digit));
        let inside_word = i > 0 && (chars[i - 1].is_alphanumeric() || chars[i - 1] == '.');
        if !starts || inside_word {
            i += 1;
            continue;
        }
        // The token: digits, with ',' and '.' between digits.
        let start = i;
        while i < chars.len() {
            let c = chars[i];
            let joins = (c == '.' || (c == ',' && i > start))
                && chars.get(i + 1).is_some_and(char::is_ascii_digit);
            if c.is_ascii_digit() || joins {
                i += 1;
            } else {
                break;
            }
        }
        // Never empty: a token starts at a digit or at a point before one.
        i = i.max(start + 1);
        let token: String = chars[start..i].iter().collect();
        if let Some(slip) = token_slip(&token, &chars[i..]) {
            return Some(slip);
        }
    }
    None
}

/// `1,000,000 or 1M`: a number of at least 1 in digits, and with its
/// multiplier when that says it exactly.
fn in_digits(v: f64) -> String {
    let digits = group_thousands(v);
    let scaled = [(1e9, "B"), (1e6, "M"), (1e3, "K")]
        .into_iter()
        .find(|(scale, _)| v >= *scale)
        .map(|(scale, suffix)| (v / scale, suffix))
        .filter(|(n, _)| (round1(*n) - n).abs() < 1e-9);
    match scaled {
        Some((n, suffix)) => format!("{digits} or {}{suffix}", group_thousands(n)),
        None => digits,
    }
}

/// Judges one number token given what follows it.
fn token_slip(token: &str, after: &[char]) -> Option<Slip> {
    // "1e6", "2.5E-3": an exponent right after the digits.
    if matches!(after.first(), Some('e' | 'E')) {
        let rest = match after.get(1) {
            Some('+' | '-') => 2,
            _ => 1,
        };
        if after.get(rest).is_some_and(char::is_ascii_digit) {
            let digits: String = after[rest..]
                .iter()
                .take_while(|c| c.is_ascii_digit())
                .collect();
            let sign = if after.get(1) == Some(&'-') { "-" } else { "" };
            let value = format!("{}e{sign}{digits}", token.replace(',', ""))
                .parse::<f64>()
                .ok();
            if value.is_some_and(|v| !sane(v)) {
                return Some(Slip::TooLarge);
            }
            let plain = match value {
                Some(v) if v >= 1.0 => in_digits(v),
                _ => "the number in digits, with a point for decimals".to_string(),
            };
            return Some(Slip::Exponent { plain });
        }
    }
    if token.contains(',') {
        let groups: Vec<&str> = token.split(',').collect();
        let last = groups.last().copied().unwrap_or_default();
        let (last_whole, _) = last.split_once('.').unwrap_or((last, ""));
        let first = groups.first().copied().unwrap_or_default();
        let middle_ok = groups[1..groups.len() - 1]
            .iter()
            .all(|g| g.len() == 3 && g.bytes().all(|b| b.is_ascii_digit()));
        let first_ok = (1..=3).contains(&first.len()) && first.bytes().all(|b| b.is_ascii_digit());
        if groups.len() == 2 && first_ok && (1..=2).contains(&last.len()) && !last.contains('.') {
            return Some(Slip::DecimalComma {
                fixed: token.replace(',', "."),
            });
        }
        if !(first_ok && middle_ok && last_whole.len() == 3) {
            return Some(Slip::Grouping);
        }
    }
    let value: f64 = token.replace(',', "").parse().ok()?;
    let word: String = after
        .iter()
        .take_while(|c| c.is_alphabetic())
        .collect::<String>()
        .to_lowercase();
    let scale = match word.as_str() {
        "k" => 1e3,
        "m" | "mm" | "mn" => 1e6,
        "b" | "bn" => 1e9,
        _ => 1.0,
    };
    (value * scale > MAX_MAGNITUDE).then_some(Slip::TooLarge)
}

/// The duration unit a target is written in, as (days per unit, its plural
/// word): `<10 minutes` is minutes, `P1 <24hrs` hours, `21 days` days.
pub fn written_duration(text: &str) -> Option<(f64, &'static str)> {
    for word in normalize(text).split(|c: char| c.is_whitespace() || c == ',') {
        let letters: String = word
            .trim_start_matches(|c: char| !c.is_alphabetic())
            .chars()
            .take_while(|c| c.is_alphabetic())
            .collect();
        // A bare "d"/"h"/"w" is too short to be sure of, as in the grammar.
        if letters.len() < 2 && !word.starts_with(|c: char| c.is_ascii_digit()) {
            continue;
        }
        if let Some(unit) = duration_unit(&letters) {
            return Some(unit);
        }
    }
    None
}

/// Days per unit for duration words and suffixes.
fn duration_factor(word: &str) -> Option<f64> {
    duration_unit(word).map(|(f, _)| f)
}

/// Days per unit, and the unit's plural word, for duration words and suffixes.
fn duration_unit(word: &str) -> Option<(f64, &'static str)> {
    Some(match word.to_lowercase().as_str() {
        "d" | "day" | "days" => (1.0, "days"),
        "w" | "wk" | "wks" | "week" | "weeks" => (7.0, "weeks"),
        "h" | "hr" | "hrs" | "hour" | "hours" => (1.0 / 24.0, "hours"),
        "min" | "mins" | "minute" | "minutes" => (1.0 / 1440.0, "minutes"),
        "mo" | "mos" | "month" | "months" => (30.0, "months"),
        _ => return None,
    })
}

/// `[$]number[:number][K|M|B|x|hrs|…][%]`, with no space before the suffix.
fn parse_amount(c: &mut Cursor) -> Option<Amount> {
    let currency = c.eat('$');
    if currency {
        c.skip_spaces();
    }
    let mut value = parse_number(c)?;
    let mut unit = currency.then_some(Unit::Currency);
    let mut scale = None;
    let mut duration = None;
    if c.peek() == Some(':') && c.peek_at(1).is_some_and(|d| d.is_ascii_digit() || d == '.') {
        c.pos += 1;
        let denominator = parse_number(c)?;
        if denominator == 0.0 {
            return None;
        }
        value /= denominator;
        return sane(value).then_some(Amount {
            value,
            unit: Some(Unit::Ratio),
            scale: None,
            duration: None,
        });
    }
    let suffix = c.letters();
    match suffix.to_lowercase().as_str() {
        "" => {}
        "k" => scale = Some(1e3),
        "m" | "mm" | "mn" => scale = Some(1e6),
        "b" | "bn" => scale = Some(1e9),
        "x" => unit = unit.or(Some(Unit::Ratio)),
        other => {
            if let Some(f) = duration_factor(other) {
                duration = Some(f);
                unit = unit.or(Some(Unit::Days));
            }
            // Any other attached word ("100GB") is a qualifier of a count.
        }
    }
    if c.peek() == Some('%') || (c.peek() == Some(' ') && c.peek_at(1) == Some('%')) {
        c.skip_spaces();
        c.pos += 1;
        unit = Some(Unit::Percent);
    }
    value *= scale.unwrap_or(1.0) * duration.unwrap_or(1.0);
    sane(value).then_some(Amount {
        value,
        unit,
        scale,
        duration,
    })
}

/// Looks at the word after the amount(s) for a unit written apart:
/// `21 days`, `3 weeks`, `40 percent`, `10 times`.
fn trailing_unit_word(c: &mut Cursor) -> Option<(Unit, f64)> {
    let save = c.pos;
    c.skip_spaces();
    let word = c.letters();
    let next_is_letterish = c.peek().is_some_and(|ch| ch.is_alphanumeric() || ch == '-');
    let found = if next_is_letterish {
        None
    } else if let Some(f) = duration_factor(&word) {
        // A bare "d"/"h"/"w" apart from the number is too ambiguous to be a unit.
        (word.len() > 1).then_some((Unit::Days, f))
    } else {
        match word.to_lowercase().as_str() {
            "percent" | "pct" => Some((Unit::Percent, 1.0)),
            "times" => Some((Unit::Ratio, 1.0)),
            _ => None,
        }
    };
    if found.is_none() {
        c.pos = save;
    }
    found
}

#[derive(Clone, Copy, PartialEq)]
enum Prefix {
    None,
    AtLeast,
    AtMost,
    Tolerance,
    Plus,
    Minus,
}

/// The numeric grammar: an optional comparator, one amount or a range of two,
/// an optional `+`, an optional unit word; whatever follows is a qualifier.
fn parse_numeric(chars: &[char]) -> Option<Target> {
    let mut c = Cursor { chars, pos: 0 };
    while c.eat('~') || c.eat('≈') {
        c.skip_spaces();
    }
    let prefix = match c.peek() {
        Some('≥' | '>') => Prefix::AtLeast,
        Some('≤' | '<') => Prefix::AtMost,
        Some('±') => Prefix::Tolerance,
        Some('+') => Prefix::Plus,
        Some('-') => Prefix::Minus,
        _ => Prefix::None,
    };
    if prefix != Prefix::None {
        c.pos += 1;
        c.skip_spaces();
    }
    if !c.starts_amount() {
        return None;
    }
    let mut first = parse_amount(&mut c)?;
    let mut plus = c.eat('+');

    // A range: "6-8", "$25-50K", "10-100x", "14 - 21 days", "4 to 5".
    let mut second = None;
    if !plus && matches!(prefix, Prefix::None | Prefix::AtLeast | Prefix::AtMost) {
        let save = c.pos;
        c.skip_spaces();
        let joined = if c.eat('-') {
            true
        } else {
            let word = c.letters();
            word.eq_ignore_ascii_case("to")
        };
        c.skip_spaces();
        if joined && c.starts_amount() {
            match parse_amount(&mut c) {
                Some(amount) => {
                    second = Some(amount);
                    plus = c.eat('+');
                }
                None => c.pos = save,
            }
        } else {
            c.pos = save;
        }
    }

    if let Some(mut high) = second {
        // The second number lends its multipliers and unit to the first.
        if first.scale.is_none() && first.duration.is_none() {
            let raw_first = first.value;
            let raw_high = high.value / high.scale.unwrap_or(1.0) / high.duration.unwrap_or(1.0);
            if raw_first <= raw_high {
                first.value *= high.scale.unwrap_or(1.0) * high.duration.unwrap_or(1.0);
            }
        }
        let unit = match (first.unit, high.unit) {
            (Some(a), Some(b)) if a != b => return None,
            (a, b) => a.or(b),
        };
        let mut unit = unit;
        if let Some((u, f)) = unit.is_none().then(|| trailing_unit_word(&mut c)).flatten() {
            unit = Some(u);
            first.value *= f;
            high.value *= f;
        }
        let (low, high) = if first.value <= high.value {
            (first.value, high.value)
        } else {
            (high.value, first.value)
        };
        if !sane(low) || !sane(high) {
            return None;
        }
        return Some(Target::Range {
            low,
            high,
            unit: unit.unwrap_or(Unit::Count),
        });
    }

    let mut value = first.value;
    let mut unit = first.unit;
    if let Some((u, f)) = unit.is_none().then(|| trailing_unit_word(&mut c)).flatten() {
        unit = Some(u);
        value *= f;
    }
    if !sane(value) {
        return None;
    }
    let unit_or_count = unit.unwrap_or(Unit::Count);
    Some(match prefix {
        Prefix::AtLeast => Target::AtLeast {
            value,
            unit: unit_or_count,
        },
        Prefix::AtMost => Target::AtMost {
            value,
            unit: unit_or_count,
        },
        Prefix::Tolerance => Target::Tolerance {
            value,
            unit: unit_or_count,
        },
        Prefix::Plus if unit == Some(Unit::Percent) => Target::Relative { percent: value },
        Prefix::Minus if unit == Some(Unit::Percent) => Target::Relative { percent: -value },
        // "+12" without a percent says neither a level nor a growth rate.
        Prefix::Plus => return None,
        Prefix::Minus => Target::Value {
            value: -value,
            unit: unit_or_count,
        },
        Prefix::None if plus => Target::AtLeast {
            value,
            unit: unit_or_count,
        },
        Prefix::None => Target::Value {
            value,
            unit: unit_or_count,
        },
    })
}

/// An actual as typed: one amount, optionally signed, with nothing after it
/// but a unit word. Returns the value and the unit the person wrote, if any.
fn parse_plain_amount(text: &str) -> Option<(f64, Option<Unit>)> {
    let chars: Vec<char> = text.chars().collect();
    let mut c = Cursor {
        chars: &chars,
        pos: 0,
    };
    while c.eat('~') || c.eat('≈') {
        c.skip_spaces();
    }
    let negative = if c.eat('-') {
        true
    } else {
        let _ = c.eat('+') || c.eat('±');
        false
    };
    c.skip_spaces();
    if !c.starts_amount() {
        return None;
    }
    let amount = parse_amount(&mut c)?;
    let mut value = amount.value;
    let mut unit = amount.unit;
    // "1.2M" without "$" stays unit-less: a large number, read in the outcome's unit.
    if let Some((u, f)) = unit.is_none().then(|| trailing_unit_word(&mut c)).flatten() {
        unit = Some(u);
        value *= f;
    }
    c.skip_spaces();
    if !c.at_end() {
        return None;
    }
    let value = if negative { -value } else { value };
    sane(value).then_some((value, unit))
}

fn build_ladder(
    targets: &[Target; 4],
    declared: Option<&[String]>,
    warnings: &mut Vec<String>,
) -> Vec<String> {
    let mut derived: Vec<String> = Vec::new();
    for t in targets {
        match t {
            Target::Stage(name) if !derived.iter().any(|s| fold(s) == fold(name)) => {
                derived.push(name.clone());
            }
            _ => {}
        }
    }
    let Some(declared) = declared else {
        return derived;
    };
    let mut ladder: Vec<String> = Vec::new();
    for s in declared {
        let name = normalize(s);
        if !name.is_empty() && !ladder.iter().any(|l| fold(l) == fold(&name)) {
            ladder.push(name);
        }
    }
    if ladder.is_empty() {
        return derived;
    }
    let missing: Vec<&String> = derived
        .iter()
        .filter(|d| !ladder.iter().any(|l| fold(l) == fold(d)))
        .collect();
    if missing.is_empty() {
        // Use the targets' spelling where they name the same stage, so the
        // ladder and the target cells read alike.
        ladder
            .into_iter()
            .map(|l| {
                derived
                    .iter()
                    .find(|d| fold(d) == fold(&l))
                    .cloned()
                    .unwrap_or(l)
            })
            .collect()
    } else {
        let names: Vec<&str> = missing.iter().map(|s| s.as_str()).collect();
        warnings.push(format!(
            "the declared stages do not include {}; using the targets' stages instead",
            names.join(", ")
        ));
        derived
    }
}

/// Explicit comparators decide first (the first one in quarter order), then
/// the unit (durations are better short), then a shrinking relative target.
fn infer_direction(kind: OutcomeKind, targets: &[Target; 4]) -> Direction {
    for t in targets {
        match t {
            Target::AtLeast { .. } => return Direction::Higher,
            Target::AtMost { .. } | Target::Tolerance { .. } => return Direction::Lower,
            _ => {}
        }
    }
    if kind == OutcomeKind::Numeric(Unit::Days) {
        return Direction::Lower;
    }
    let relatives: Vec<f64> = targets
        .iter()
        .filter_map(|t| match t {
            Target::Relative { percent } => Some(*percent),
            _ => None,
        })
        .collect();
    if !relatives.is_empty() && relatives.iter().all(|p| *p < 0.0) {
        return Direction::Lower;
    }
    Direction::Higher
}

#[cfg(test)]
mod tests;
