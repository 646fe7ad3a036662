//! Target parsing: every target string of the seed documents, then the
//! outcome-level rules (context, direction, ladder, actuals, formatting).

use super::*;
use proptest::prelude::*;

const C: Unit = Unit::Count;
const P: Unit = Unit::Percent;
const M: Unit = Unit::Currency;
const D: Unit = Unit::Days;
const R: Unit = Unit::Ratio;

fn val(value: f64, unit: Unit) -> Target {
    Target::Value { value, unit }
}
fn range(low: f64, high: f64, unit: Unit) -> Target {
    Target::Range { low, high, unit }
}
fn at_least(value: f64, unit: Unit) -> Target {
    Target::AtLeast { value, unit }
}
fn at_most(value: f64, unit: Unit) -> Target {
    Target::AtMost { value, unit }
}
fn tolerance(value: f64, unit: Unit) -> Target {
    Target::Tolerance { value, unit }
}
fn relative(percent: f64) -> Target {
    Target::Relative { percent }
}
fn stage(name: &str) -> Target {
    Target::Stage(name.to_string())
}

/// Floats from unit conversions (2 hours = 1/12 day) compare approximately.
fn same(a: &Target, b: &Target) -> bool {
    fn close(x: f64, y: f64) -> bool {
        (x - y).abs() <= 1e-9 * x.abs().max(y.abs()).max(1.0)
    }
    match (a, b) {
        (Target::Value { value: x, unit: u }, Target::Value { value: y, unit: v })
        | (Target::AtLeast { value: x, unit: u }, Target::AtLeast { value: y, unit: v })
        | (Target::AtMost { value: x, unit: u }, Target::AtMost { value: y, unit: v })
        | (Target::Tolerance { value: x, unit: u }, Target::Tolerance { value: y, unit: v }) => {
            u == v && close(*x, *y)
        }
        (
            Target::Range {
                low: a1,
                high: a2,
                unit: u,
            },
            Target::Range {
                low: b1,
                high: b2,
                unit: v,
            },
        ) => u == v && close(*a1, *b1) && close(*a2, *b2),
        (Target::Relative { percent: x }, Target::Relative { percent: y }) => close(*x, *y),
        _ => a == b,
    }
}

/// Every distinct target string in the three seed documents: the WhyGO
/// outcome tables (Q1-Q4), the employee reference's KPI tables (quarterly
/// columns, single "Target" columns, the "Q2-Q4" column), and the dependency
/// tables' "Timeline" and "Success Criteria" columns. Plus the currency and
/// duration spellings the design names ($25K, $25-50K, 24hrs, 2 hours).
fn seed_table() -> Vec<(&'static str, Target)> {
    vec![
        // Money.
        ("$1.5M", val(1.5e6, M)),
        ("$3.5M", val(3.5e6, M)),
        ("$5.5M", val(5.5e6, M)),
        ("$7M", val(7e6, M)),
        ("$7M by EOY", val(7e6, M)),
        ("$25K", val(25e3, M)),
        ("$25-50K", range(25e3, 50e3, M)),
        // Growth over the baseline, and "+ word" stages.
        ("+25%", relative(25.0)),
        ("+50%", relative(50.0)),
        ("+75%", relative(75.0)),
        ("+ Prod", stage("+ Prod")),
        ("+ Comm", stage("+ Comm")),
        // Counts.
        ("1", val(1.0, C)),
        ("2", val(2.0, C)),
        ("3", val(3.0, C)),
        ("4", val(4.0, C)),
        ("5", val(5.0, C)),
        ("6", val(6.0, C)),
        ("8", val(8.0, C)),
        ("9", val(9.0, C)),
        ("10", val(10.0, C)),
        ("12", val(12.0, C)),
        ("14", val(14.0, C)),
        ("16", val(16.0, C)),
        ("20", val(20.0, C)),
        ("300", val(300.0, C)),
        ("500", val(500.0, C)),
        ("750", val(750.0, C)),
        ("1,000", val(1000.0, C)),
        ("5 by Q2", val(5.0, C)),
        ("5 by EOY", val(5.0, C)),
        ("20 by EOY", val(20.0, C)),
        // Ranges.
        ("6-8", range(6.0, 8.0, C)),
        ("5-6", range(5.0, 6.0, C)),
        ("4-5 by Q4", range(4.0, 5.0, C)),
        ("10-100x vs baseline", range(10.0, 100.0, R)),
        // At least.
        ("4+", at_least(4.0, C)),
        ("8+", at_least(8.0, C)),
        ("14+", at_least(14.0, C)),
        ("18+", at_least(18.0, C)),
        ("40+", at_least(40.0, C)),
        ("45+", at_least(45.0, C)),
        ("50+", at_least(50.0, C)),
        ("50+ by Q4", at_least(50.0, C)),
        ("100+ node production reliability", at_least(100.0, C)),
        ("1000+ consistent outputs per workflow", at_least(1000.0, C)),
        ("100GB+ parsed within SLA", at_least(100.0, C)),
        ("≥4.5/5", at_least(4.5, C)),
        ("90%+", at_least(90.0, P)),
        ("90%+ by Q4", at_least(90.0, P)),
        ("90%+ story points", at_least(90.0, P)),
        ("80%+ first-run success rate", at_least(80.0, P)),
        (">80% on new backend", at_least(80.0, P)),
        (">80% on new code", at_least(80.0, P)),
        (">90%", at_least(90.0, P)),
        (">95%", at_least(95.0, P)),
        ("≥85% pass rate", at_least(85.0, P)),
        ("≥90%", at_least(90.0, P)),
        ("First-round ≥75%", at_least(75.0, P)),
        // Percentages.
        ("40%", val(40.0, P)),
        ("45%", val(45.0, P)),
        ("48%", val(48.0, P)),
        ("50%", val(50.0, P)),
        ("50% by Q4", val(50.0, P)),
        ("80%", val(80.0, P)),
        ("85%", val(85.0, P)),
        ("90%", val(90.0, P)),
        ("95%", val(95.0, P)),
        ("99.9% availability", val(99.9, P)),
        ("100%", val(100.0, P)),
        ("100% before production", val(100.0, P)),
        ("100% before production begins", val(100.0, P)),
        ("100% by Jan 29", val(100.0, P)),
        ("100% by Q4", val(100.0, P)),
        ("100% completed", val(100.0, P)),
        ("100% compliance", val(100.0, P)),
        ("100% documented", val(100.0, P)),
        ("100% on-time", val(100.0, P)),
        ("100% usable assets", val(100.0, P)),
        ("100% usable for LoRA training", val(100.0, P)),
        ("100% workflows documented", val(100.0, P)),
        // At most (lower is better).
        ("<5% defect rate", at_most(5.0, P)),
        ("<24 hours", at_most(1.0, D)),
        ("P1 <2 hours", at_most(2.0 / 24.0, D)),
        ("P1 <24hrs, P2 <72hrs", at_most(1.0, D)),
        ("Zero", at_most(0.0, C)),
        ("Zero items falling through cracks", at_most(0.0, C)),
        ("Zero training poisoning", at_most(0.0, C)),
        // Tolerances.
        ("±15%", tolerance(15.0, P)),
        ("±5% of actual", tolerance(5.0, P)),
        ("Consistent (±10% variance)", tolerance(10.0, P)),
        // Durations, in days.
        ("21 days", val(21.0, D)),
        ("17 days", val(17.0, D)),
        ("14 days", val(14.0, D)),
        ("4 weeks", val(28.0, D)),
        ("3 weeks", val(21.0, D)),
        ("24hrs", val(1.0, D)),
        ("2 hours", val(2.0 / 24.0, D)),
        // Ratios.
        ("4:1", val(4.0, R)),
        ("Target 4:1", val(4.0, R)),
        // Blank, and not scored.
        ("—", Target::Blank),
        ("TBD", Target::NotScored),
        ("TBD based on client needs", Target::NotScored),
        ("Track", Target::NotScored),
        ("Baseline", Target::Baseline),
        // Stages: milestones of the WhyGO and KPI tables.
        ("Assessed", stage("Assessed")),
        ("Audit-ready", stage("Audit-ready")),
        ("Complete", stage("Complete")),
        ("Core", stage("Core")),
        ("Documented", stage("Documented")),
        ("Done", stage("Done")),
        ("Gen", stage("Gen")),
        ("Implemented", stage("Implemented")),
        ("Iterate", stage("Iterate")),
        ("Live", stage("Live")),
        ("Live by Q4", stage("Live")),
        ("MVP", stage("MVP")),
        ("Optimized", stage("Optimized")),
        ("Setup", stage("Setup")),
        ("Spec", stage("Spec")),
        ("Test", stage("Test")),
        ("Tested", stage("Tested")),
        ("Validated", stage("Validated")),
        ("Verified", stage("Verified")),
        ("v1.0", stage("v1.0")),
        // Stages: the reference's qualitative KPI targets.
        (
            "Achieves batch targets per project",
            stage("Achieves batch targets per project"),
        ),
        (
            "All projects properly logged",
            stage("All projects properly logged"),
        ),
        (
            "Broadcast-ready, no rework",
            stage("Broadcast-ready, no rework"),
        ),
        (
            "Built for role optimization",
            stage("Built for role optimization"),
        ),
        ("Clean financial records", stage("Clean financial records")),
        ("Completed and approved", stage("Completed and approved")),
        (
            "Completed for direct reports",
            stage("Completed for direct reports"),
        ),
        (
            "Full coverage of required angles",
            stage("Full coverage of required angles"),
        ),
        ("Full traceability", stage("Full traceability")),
        ("Functional integrations", stage("Functional integrations")),
        (
            "LoRA models capture brand DNA",
            stage("LoRA models capture brand DNA"),
        ),
        (
            "Meets brand compliance standards",
            stage("Meets brand compliance standards"),
        ),
        ("Met per project", stage("Met per project")),
        (
            "Minimizes troubleshooting cycles",
            stage("Minimizes troubleshooting cycles"),
        ),
        ("Monthly accuracy", stage("Monthly accuracy")),
        ("No rework required", stage("No rework required")),
        (
            "On-schedule asset packages",
            stage("On-schedule asset packages"),
        ),
        ("On-time and accurate", stage("On-time and accurate")),
        ("On-time delivery", stage("On-time delivery")),
        ("On-time, on-budget", stage("On-time, on-budget")),
        ("Optimized utilization", stage("Optimized utilization")),
        ("Per spec", stage("Per spec")),
        ("Per sprint plan", stage("Per sprint plan")),
        ("Per team cadence", stage("Per team cadence")),
        ("Per timeline", stage("Per timeline")),
        ("Positive feedback", stage("Positive feedback")),
        (
            "Proactive blocker flagging",
            stage("Proactive blocker flagging"),
        ),
        ("Submitted on time", stage("Submitted on time")),
        (
            "Successful LoRA training from capture",
            stage("Successful LoRA training from capture"),
        ),
        ("Timely and proactive", stage("Timely and proactive")),
        ("Weekly updates", stage("Weekly updates")),
        ("Within approved budget", stage("Within approved budget")),
        ("Within budget", stage("Within budget")),
        ("Workflows operational", stage("Workflows operational")),
        // Stages: the dependency tables' timelines and success criteria.
        ("Q1", stage("Q1")),
        ("Q3", stage("Q3")),
        ("Q1+", stage("Q1+")),
        ("Q1-Q3", stage("Q1-Q3")),
        ("Q1-Q4", stage("Q1-Q4")),
        ("Finalized Q1", stage("Finalized")),
        ("Live by Q1 (with Fill)", stage("Live")),
        ("Monthly", stage("Monthly")),
        ("Weekly", stage("Weekly")),
        ("On-demand", stage("On-demand")),
        ("Per project", stage("Per project")),
        (
            "Talent passes challenges, completes certification",
            stage("Talent passes challenges, completes certification"),
        ),
        (
            "Talent assigned to specific pod/role",
            stage("Talent assigned to specific pod/role"),
        ),
        (
            "Talent producing client work at quality standards",
            stage("Talent producing client work at quality standards"),
        ),
    ]
}

#[test]
fn every_seed_target_string_parses_to_its_meaning() {
    let mut wrong = Vec::new();
    for (text, meaning) in seed_table() {
        let parsed = Target::parse(text);
        if !same(&parsed, &meaning) {
            wrong.push(format!("{text:?}: got {parsed:?}, want {meaning:?}"));
        }
    }
    assert!(wrong.is_empty(), "misread targets:\n{}", wrong.join("\n"));
}

#[test]
fn no_seed_target_string_is_left_unreadable() {
    for (text, _) in seed_table() {
        assert!(
            !matches!(Target::parse(text), Target::Text(_)),
            "{text:?} was not understood"
        );
    }
}

#[test]
fn the_seed_table_has_no_duplicates() {
    let table = seed_table();
    let mut texts: Vec<&str> = table.iter().map(|(t, _)| *t).collect();
    texts.sort_unstable();
    let before = texts.len();
    texts.dedup();
    assert_eq!(before, texts.len());
}

#[test]
fn empty_and_dash_targets_are_blank_and_tbd_or_track_not_scored() {
    for text in ["", "   ", "-", "—", "–", "--", "N/A"] {
        assert_eq!(Target::parse(text), Target::Blank, "{text:?}");
    }
    for text in ["tbd", "TBC", "track", "Tracking"] {
        assert_eq!(Target::parse(text), Target::NotScored, "{text:?}");
    }
}

#[test]
fn unreadable_targets_are_kept_as_text() {
    assert_eq!(Target::parse("???"), Target::Text("???".into()));
    assert_eq!(Target::parse("+12"), Target::Text("+12".into()));
    assert_eq!(Target::parse("$"), Target::Text("$".into()));
    assert_eq!(Target::parse("<"), Target::Text("<".into()));
    assert!(matches!(Target::parse("5%-$10"), Target::Text(_)));
}

#[test]
fn comparators_may_be_typed_in_ascii() {
    assert_eq!(Target::parse(">= 90%"), at_least(90.0, P));
    assert_eq!(Target::parse("<=3 days"), at_most(3.0, D));
    assert_eq!(Target::parse("+/-5%"), tolerance(5.0, P));
}

#[test]
fn range_spellings_share_units_and_multipliers() {
    assert_eq!(Target::parse("80-90%"), range(80.0, 90.0, P));
    assert_eq!(Target::parse("14–21 days"), range(14.0, 21.0, D));
    assert_eq!(Target::parse("4 to 5"), range(4.0, 5.0, C));
    assert_eq!(Target::parse("$25K-$50K"), range(25e3, 50e3, M));
    assert_eq!(Target::parse("$500-1.5M"), range(500.0, 1.5e6, M));
    assert_eq!(Target::parse("8-6"), range(6.0, 8.0, C));
}

#[test]
fn a_negative_percentage_is_a_shrinking_relative_target() {
    assert_eq!(Target::parse("-10%"), relative(-10.0));
    assert_eq!(Target::parse("-5"), val(-5.0, C));
}

#[test]
fn a_range_is_met_at_its_lower_end_when_higher_is_better() {
    let t = Target::parse("6-8");
    assert_eq!(t.met_at(Direction::Higher, None), Some(6.0));
    assert_eq!(t.met_at(Direction::Lower, None), Some(8.0));
}

#[test]
fn a_relative_target_needs_a_baseline() {
    let t = Target::parse("+25%");
    assert_eq!(t.met_at(Direction::Higher, None), None);
    assert_eq!(t.met_at(Direction::Higher, Some(80.0)), Some(100.0));
}

#[test]
fn huge_numbers_are_unreadable_rather_than_infinite() {
    let nines = "9".repeat(400);
    assert!(matches!(Target::parse(&nines), Target::Text(_)));
    assert!(matches!(Target::parse("1:0"), Target::Text(_)));
}

fn spec(targets: [&str; 4]) -> OutcomeSpec {
    OutcomeSpec::new(&targets.map(String::from), OutcomeOptions::default())
}

fn spec_with(targets: [&str; 4], opts: OutcomeOptions) -> OutcomeSpec {
    OutcomeSpec::new(&targets.map(String::from), opts)
}

#[test]
fn baseline_is_not_scored_in_a_numeric_outcome() {
    let s = spec(["Baseline", "40+", "45+", "50+"]);
    assert_eq!(s.kind(), OutcomeKind::Numeric(C));
    assert_eq!(s.target(Quarter::Q1), &Target::Baseline);
    assert_eq!(s.baseline_quarter(), Some(Quarter::Q1));
    let s = spec(["Baseline", "TBD", "TBD", "TBD"]);
    assert_eq!(s.kind(), OutcomeKind::Unscored);
    assert_eq!(s.baseline_quarter(), Some(Quarter::Q1));
}

#[test]
fn baseline_and_test_are_stages_in_a_staged_outcome() {
    let s = spec(["Test", "Baseline", "Validated", "Documented"]);
    assert_eq!(s.kind(), OutcomeKind::Staged);
    assert_eq!(s.ladder(), ["Test", "Baseline", "Validated", "Documented"]);
    assert_eq!(s.target(Quarter::Q2), &stage("Baseline"));
    assert_eq!(s.baseline_quarter(), None);
    let s = spec(["Baseline", "Core", "Complete", "Audit-ready"]);
    assert_eq!(s.ladder(), ["Baseline", "Core", "Complete", "Audit-ready"]);
}

#[test]
fn a_stage_in_a_numeric_outcome_is_not_scored_and_warned_about() {
    let s = spec(["Test", "5", "10", "15"]);
    assert_eq!(s.kind(), OutcomeKind::Numeric(C));
    assert_eq!(s.target(Quarter::Q1), &Target::NotScored);
    assert_eq!(s.target_text(Quarter::Q1), "Test");
    assert_eq!(s.warnings().len(), 1);
}

#[test]
fn the_ladder_is_the_distinct_stages_in_quarter_order() {
    let s = spec(["MVP", "v1.0", "Iterate", "Iterate"]);
    assert_eq!(s.ladder(), ["MVP", "v1.0", "Iterate"]);
    let s = spec(["—", "Gen", "+ Prod", "+ Comm"]);
    assert_eq!(s.ladder(), ["Gen", "+ Prod", "+ Comm"]);
    assert_eq!(s.target(Quarter::Q1), &Target::Blank);
}

#[test]
fn a_declared_ladder_may_be_longer() {
    let s = spec_with(
        ["mvp", "v1.0", "—", "—"],
        OutcomeOptions {
            stages: Some(vec![
                "Spec".into(),
                "Tested".into(),
                "MVP".into(),
                "Beta".into(),
                "v1.0".into(),
            ]),
            ..OutcomeOptions::default()
        },
    );
    assert_eq!(s.ladder(), ["Spec", "Tested", "mvp", "Beta", "v1.0"]);
    assert!(s.warnings().is_empty());
}

#[test]
fn a_declared_ladder_missing_a_target_stage_is_ignored_with_a_warning() {
    let s = spec_with(
        ["MVP", "v1.0", "GA", "—"],
        OutcomeOptions {
            stages: Some(vec!["MVP".into(), "v1.0".into()]),
            ..OutcomeOptions::default()
        },
    );
    assert_eq!(s.ladder(), ["MVP", "v1.0", "GA"]);
    assert_eq!(s.warnings().len(), 1);
    assert!(s.warnings()[0].contains("GA"), "{:?}", s.warnings());
}

#[test]
fn durations_are_better_short_and_counts_better_high() {
    assert_eq!(
        spec(["21 days", "17 days", "14 days", "14 days"]).direction(),
        Direction::Lower
    );
    assert_eq!(spec(["2", "4", "6", "8+"]).direction(), Direction::Higher);
    assert_eq!(
        spec(["<5%", "<5%", "<4%", "<3%"]).direction(),
        Direction::Lower
    );
    assert_eq!(
        spec(["±15%", "±10%", "±10%", "±5%"]).direction(),
        Direction::Lower
    );
    assert_eq!(
        spec(["Baseline", "-5%", "-10%", "-15%"]).direction(),
        Direction::Lower
    );
    assert_eq!(
        spec(["≥30 days", "", "", ""]).direction(),
        Direction::Higher
    );
}

#[test]
fn an_outcome_can_override_direction_and_cumulativeness() {
    let s = spec_with(
        ["3", "4", "5", "5-6"],
        OutcomeOptions {
            direction: Some(Direction::Lower),
            cumulative: Some(false),
            ..OutcomeOptions::default()
        },
    );
    assert_eq!(s.direction(), Direction::Lower);
    assert!(!s.cumulative());
    assert_eq!(
        s.target(Quarter::Q4).met_at(s.direction(), None),
        Some(6.0),
        "a lower-is-better range is met at its upper end"
    );
}

#[test]
fn counts_and_money_accumulate_while_levels_do_not() {
    assert!(spec(["2", "4", "6", "8"]).cumulative());
    assert!(spec(["$1.5M", "$3.5M", "$5.5M", "$7M"]).cumulative());
    assert!(!spec(["40%", "45%", "48%", "50%"]).cumulative());
    assert!(!spec(["21 days", "17 days", "14 days", "14 days"]).cumulative());
    assert!(!spec(["Baseline", "Track", "Track", "Target 4:1"]).cumulative());
    assert!(!spec(["MVP", "v1.0", "Iterate", "Validated"]).cumulative());
}

#[test]
fn the_unit_comes_from_the_first_numeric_target() {
    assert_eq!(
        spec(["Baseline", "+25%", "+50%", "+75%"]).kind(),
        OutcomeKind::Numeric(C)
    );
    assert_eq!(
        spec(["Baseline", "4 weeks", "3 weeks", "3 weeks"]).kind(),
        OutcomeKind::Numeric(D)
    );
    assert_eq!(
        spec(["Baseline", "Track", "Track", "Target 4:1"]).kind(),
        OutcomeKind::Numeric(R)
    );
    assert_eq!(spec(["—", "—", "—", "—"]).kind(), OutcomeKind::Unscored);
}

#[test]
fn a_bad_start_value_is_ignored() {
    let s = spec_with(
        ["1", "2", "3", "4"],
        OutcomeOptions {
            start: Some(f64::NAN),
            ..OutcomeOptions::default()
        },
    );
    assert_eq!(s.start(), None);
    assert_eq!(s.warnings().len(), 1);
}

fn number(s: &OutcomeSpec, text: &str) -> f64 {
    match s.parse_actual(text) {
        Ok(ActualValue::Number(v)) => v,
        other => panic!("{text:?} read as {other:?}"),
    }
}

#[test]
fn parse_actual_accepts_a_percentage_with_or_without_the_sign() {
    let s = spec(["40%", "45%", "48%", "50%"]);
    assert_eq!(number(&s, "42%"), 42.0);
    assert_eq!(number(&s, " 42 "), 42.0);
    assert_eq!(number(&s, "42.5 %"), 42.5);
}

#[test]
fn parse_actual_accepts_money_in_millions_and_thousands() {
    let s = spec(["$1.5M", "$3.5M", "$5.5M", "$7M"]);
    assert_eq!(number(&s, "$1.2M"), 1.2e6);
    assert_eq!(number(&s, "1.2M"), 1.2e6);
    assert_eq!(number(&s, "$900K"), 900e3);
    assert_eq!(number(&s, "$1,250,000"), 1.25e6);
}

#[test]
fn parse_actual_accepts_thousands_separators() {
    let s = spec(["300", "500", "750", "1,000"]);
    assert_eq!(number(&s, "1,000"), 1000.0);
    assert_eq!(number(&s, "7"), 7.0);
    assert_eq!(number(&s, "1.5K"), 1500.0);
}

#[test]
fn parse_actual_reads_durations_in_days_weeks_and_hours() {
    let s = spec(["21 days", "17 days", "14 days", "14 days"]);
    assert_eq!(number(&s, "19 days"), 19.0);
    assert_eq!(number(&s, "3 weeks"), 21.0);
    assert_eq!(number(&s, "1 week"), 7.0);
    assert_eq!(number(&s, "36 hours"), 1.5);
    assert_eq!(number(&s, "24hrs"), 1.0);
    assert_eq!(number(&s, "19"), 19.0);
}

#[test]
fn parse_actual_reads_ratios() {
    let s = spec(["Baseline", "Track", "Track", "Target 4:1"]);
    assert_eq!(number(&s, "3:1"), 3.0);
    assert_eq!(number(&s, "3.5"), 3.5);
}

#[test]
fn parse_actual_matches_a_stage_case_insensitively() {
    let s = spec(["MVP", "v1.0", "Iterate", "Validated"]);
    assert_eq!(s.parse_actual("mvp"), Ok(ActualValue::Stage(0)));
    assert_eq!(s.parse_actual("  V1.0 "), Ok(ActualValue::Stage(1)));
    assert_eq!(s.parse_actual("VALIDATED"), Ok(ActualValue::Stage(3)));
    let s = spec(["—", "Gen", "+ Prod", "+ Comm"]);
    assert_eq!(s.parse_actual("+ prod"), Ok(ActualValue::Stage(1)));
}

#[test]
fn parse_actual_rejects_an_unknown_stage_naming_the_ladder() {
    let s = spec(["MVP", "v1.0", "Iterate", "Validated"]);
    let err = s.parse_actual("Beta").expect_err("Beta is not a stage");
    assert_eq!(
        err.to_string(),
        "“Beta” is not a stage of this outcome (MVP, v1.0, Iterate, Validated)"
    );
}

#[test]
fn parse_actual_rejects_text_for_a_number() {
    let s = spec(["40%", "45%", "48%", "50%"]);
    let err = s.parse_actual("abc").expect_err("abc is not a number");
    assert_eq!(
        err.to_string(),
        "expected a percentage such as 45% or 12.5%, got “abc”"
    );
    let money = spec(["$1.5M", "$3.5M", "$5.5M", "$7M"]);
    assert_eq!(
        money.parse_actual("lots").expect_err("text").to_string(),
        "expected an amount such as $1.2M, $250K or $1,000, got “lots”"
    );
    assert!(s.parse_actual("42% roughly").is_err());
}

#[test]
fn parse_actual_rejects_a_value_in_another_unit() {
    let money = spec(["$1.5M", "$3.5M", "$5.5M", "$7M"]);
    assert_eq!(
        money.parse_actual("42%").expect_err("unit").to_string(),
        "expected an amount such as $1.2M, $250K or $1,000, got “42%”, a percentage"
    );
    let days = spec(["21 days", "17 days", "14 days", "14 days"]);
    assert!(days.parse_actual("$5").is_err());
}

#[test]
fn parse_actual_rejects_an_empty_value() {
    let s = spec(["2", "4", "6", "8"]);
    assert_eq!(
        s.parse_actual("  ").expect_err("empty").to_string(),
        "enter a value: a number such as 12, 12.5 or 1,000"
    );
}

#[test]
fn a_tolerance_actual_is_read_as_the_size_of_the_error() {
    let s = spec(["±15%", "±15%", "±10%", "±10%"]);
    assert_eq!(number(&s, "±12%"), 12.0);
    assert_eq!(number(&s, "-12%"), 12.0);
}

#[test]
fn an_unscored_outcome_accepts_any_number() {
    let s = spec(["Baseline", "TBD", "TBD", "TBD"]);
    assert_eq!(number(&s, "72%"), 72.0);
    assert!(s.parse_actual("good").is_err());
}

#[test]
fn values_are_formatted_in_the_outcome_unit() {
    let money = spec(["$1.5M", "$3.5M", "$5.5M", "$7M"]);
    assert_eq!(money.format_value(2_511_000.0), "$2.5M");
    assert_eq!(money.format_value(7e6), "$7M");
    assert_eq!(money.format_value(25e3), "$25K");
    assert_eq!(money.format_value(999_960.0), "$1M");
    assert_eq!(money.format_value(950.0), "$950");
    let pct = spec(["40%", "45%", "48%", "50%"]);
    assert_eq!(pct.format_value(92.0), "92%");
    assert_eq!(pct.format_value(99.9), "99.9%");
    let days = spec(["21 days", "17 days", "14 days", "14 days"]);
    assert_eq!(days.format_value(19.0), "19 days");
    assert_eq!(days.format_value(1.0), "1 day");
    assert_eq!(days.format_value(2.0 / 24.0), "2 hours");
    let ratio = spec(["Baseline", "Track", "Track", "4:1"]);
    assert_eq!(ratio.format_value(4.0), "4:1");
    let count = spec(["300", "500", "750", "1,000"]);
    assert_eq!(count.format_value(12.0), "12");
    assert_eq!(count.format_value(1000.0), "1,000");
    assert_eq!(count.format_value(2.25), "2.3");
    assert_eq!(count.format_value(-1234.5), "-1,234.5");
    assert_eq!(count.format_value(f64::NAN), "—");
    let staged = spec(["MVP", "v1.0", "Iterate", "Validated"]);
    assert_eq!(staged.format_value(1.0), "v1.0");
    assert_eq!(staged.format_value(9.0), "9");
}

#[test]
fn the_original_text_is_kept() {
    let s = spec(["6-8", "12", "16", "20"]);
    assert_eq!(s.target_text(Quarter::Q1), "6-8");
    assert_eq!(s.target(Quarter::Q1), &range(6.0, 8.0, C));
}

fn any_text() -> impl Strategy<Value = String> {
    prop_oneof![
        any::<String>(),
        "[0-9$%+<>≥≤±:,. x\\-—KMkmdaysweekhrs]{0,16}",
        proptest::sample::select(
            seed_table()
                .into_iter()
                .map(|(t, _)| t.to_string())
                .collect::<Vec<_>>()
        ),
    ]
}

proptest! {
    #[test]
    fn parsing_a_target_never_panics(text in any_text()) {
        let _ = Target::parse(&text);
    }

    #[test]
    fn building_an_outcome_never_panics(
        a in any_text(), b in any_text(), c in any_text(), d in any_text(),
        start in proptest::option::of(any::<f64>()),
        stages in proptest::option::of(proptest::collection::vec(any_text(), 0..5)),
        actual in any_text(),
        v in any::<f64>(),
    ) {
        let s = OutcomeSpec::new(
            &[a, b, c, d],
            OutcomeOptions { direction: None, cumulative: None, start, stages },
        );
        let _ = s.parse_actual(&actual);
        let _ = s.format_value(v);
        for q in Quarter::ALL {
            let _ = s.target(q).met_at(s.direction(), start);
        }
    }

    #[test]
    fn a_readable_number_reads_back_in_its_unit(n in 0u32..10_000_000) {
        let s = spec(["1", "2", "3", "4"]);
        prop_assert_eq!(s.parse_actual(&s.format_value(f64::from(n))), Ok(ActualValue::Number(f64::from(n))));
    }
}

proptest! {
    /// Whole numbers print the same through the integer shortcut as through
    /// float formatting, grouped by thousands, with the tenth when there is one.
    #[test]
    fn numbers_print_grouped_with_their_tenth(v in -9.5e15f64..9.5e15) {
        let printed = group_thousands(v);
        let r = (v * 10.0).round() / 10.0;
        let whole = r.abs().trunc();
        let digits: String = printed.chars().filter(char::is_ascii_digit).collect();
        let tenth = ((r.abs() - whole) * 10.0).round() as u64;
        let expected = if tenth > 0 {
            format!("{whole:.0}{tenth}")
        } else {
            format!("{whole:.0}")
        };
        prop_assert_eq!(digits, expected, "{} printed {}", v, printed);
        prop_assert_eq!(printed.starts_with('-'), r < 0.0 && (whole > 0.0 || tenth > 0));
    }
}

#[test]
fn numbers_print_grouped_by_thousands() {
    assert_eq!(group_thousands(0.0), "0");
    assert_eq!(group_thousands(1234567.0), "1,234,567");
    assert_eq!(group_thousands(-1234.56), "-1,234.6");
    assert_eq!(group_thousands(999.96), "1,000");
    assert_eq!(group_thousands(1.0e16), "10,000,000,000,000,000");
}
