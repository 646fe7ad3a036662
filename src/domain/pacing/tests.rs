//! Pacing rules, each with a hand-computed case, then properties.

use super::*;
use crate::domain::target::{OutcomeOptions, Unit};
use chrono::Datelike;
use proptest::prelude::*;

fn date(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).expect("valid test date")
}

fn calendar_year() -> FiscalYear {
    FiscalYear::new(date(2026, 1, 1))
}

fn spec(targets: [&str; 4]) -> OutcomeSpec {
    OutcomeSpec::new(&targets.map(String::from), OutcomeOptions::default())
}

fn spec_with(targets: [&str; 4], opts: OutcomeOptions) -> OutcomeSpec {
    OutcomeSpec::new(&targets.map(String::from), opts)
}

fn entry(q: u8, value: &str, on: NaiveDate) -> ActualEntry {
    ActualEntry {
        quarter: Quarter::new(q).expect("quarter"),
        value: value.to_string(),
        date: on,
        seq: 0,
    }
}

fn at(spec: &OutcomeSpec, actuals: &[ActualEntry], as_of: NaiveDate) -> OutcomeEval {
    evaluate(spec, actuals, &calendar_year(), as_of, &Rules::default())
}

fn rules(thresholds: Thresholds) -> Rules {
    Rules {
        thresholds,
        ..Rules::default()
    }
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() < 1e-6
}

const REVENUE: [&str; 4] = ["$1.5M", "$3.5M", "$5.5M", "$7M"];

#[test]
fn the_design_example_reads_exactly_as_written() {
    let s = spec(REVENUE);
    let e = at(
        &s,
        &[entry(2, "$2.3M", date(2026, 5, 15))],
        date(2026, 5, 16),
    );
    let q2 = e.quarter(Quarter::Q2);
    assert_eq!(
        q2.explanation,
        "expected $2.5M by May 16 (straight line from the Q1 target $1.5M on Mar 31 to the Q2 target $3.5M on Jun 30); actual $2.3M = 92% -> [~]"
    );
    assert_eq!(q2.status, Status::SlightlyOff);
    // 16 May is day 46 of a 91-day Q2: 1.5M + 46/91 * 2M.
    let expected = 1.5e6 + 46.0 / 91.0 * 2e6;
    assert!(close(q2.expected.expect("expected"), expected));
    assert!(close(q2.credit.expect("credit"), 2.3e6 / expected));
    assert_eq!(q2.expected_text.as_deref(), Some("$2.5M"));
    assert_eq!(q2.actual.as_deref(), Some("$2.3M"));
    assert_eq!(q2.actual_value, Some(2.3e6));
    assert_eq!(q2.actual_date, Some(date(2026, 5, 15)));
    assert!(q2.judged);
}

#[test]
fn a_range_is_met_at_its_lower_end() {
    let s = spec(["6-8", "12", "16", "20"]);
    let as_of = date(2026, 4, 10);
    let met = at(&s, &[entry(1, "6", date(2026, 3, 30))], as_of);
    assert_eq!(met.quarter(Quarter::Q1).status, Status::OnPace);
    assert_eq!(met.quarter(Quarter::Q1).credit, Some(1.0));
    assert_eq!(
        met.quarter(Quarter::Q1).explanation,
        "expected 6 by Mar 31 (the Q1 target 6-8); actual 6 = 100% -> [+]"
    );
    let short = at(&s, &[entry(1, "5", date(2026, 3, 30))], as_of);
    let q1 = short.quarter(Quarter::Q1);
    assert!(close(q1.credit.expect("credit"), 5.0 / 6.0));
    assert_eq!(q1.status, Status::SlightlyOff);
}

#[test]
fn a_lower_is_better_range_is_met_at_its_upper_end() {
    let s = spec_with(
        ["14-21 days", "14-21 days", "10-14 days", "10-14 days"],
        OutcomeOptions::default(),
    );
    assert_eq!(s.direction(), Direction::Lower);
    let e = at(
        &s,
        &[entry(1, "21 days", date(2026, 3, 1))],
        date(2026, 3, 2),
    );
    assert_eq!(e.quarter(Quarter::Q1).status, Status::OnPace);
    assert_eq!(e.quarter(Quarter::Q1).expected, Some(21.0));
}

#[test]
fn a_shortfall_never_reads_as_one_hundred_percent() {
    let s = spec(["6-8", "12", "16", "20"]);
    let e = at(&s, &[entry(2, "9", date(2026, 5, 1))], date(2026, 5, 16));
    let q2 = e.quarter(Quarter::Q2);
    assert_eq!(q2.status, Status::SlightlyOff);
    assert_eq!(
        q2.explanation,
        "expected 9 by May 16 (straight line from the Q1 target 6 (6-8) on Mar 31 to the Q2 target 12 on Jun 30); actual 9 = 99.6% -> [~]"
    );
}

#[test]
fn an_at_least_target_is_met_at_its_number() {
    let s = spec(["4", "10", "14", "18+"]);
    let after = date(2027, 1, 5);
    let e = at(&s, &[entry(4, "18", date(2026, 12, 20))], after);
    assert_eq!(e.quarter(Quarter::Q4).status, Status::OnPace);
    let e = at(&s, &[entry(4, "15", date(2026, 12, 20))], after);
    let q4 = e.quarter(Quarter::Q4);
    assert_eq!(q4.status, Status::SlightlyOff);
    assert_eq!(
        q4.explanation,
        "expected 18 by Dec 31 (the Q4 target 18+); actual 15 = 83% -> [~]"
    );
}

#[test]
fn an_at_most_target_is_better_low() {
    let s = spec(["<5%", "<5%", "<5%", "<5%"]);
    let as_of = date(2026, 5, 16);
    let e = at(&s, &[entry(2, "6%", date(2026, 5, 1))], as_of);
    let q2 = e.quarter(Quarter::Q2);
    // 2 - 6/5: 20% over the limit is 20% behind, still [~].
    assert!(close(q2.credit.expect("credit"), 0.8));
    assert_eq!(
        q2.explanation,
        "expected at most 5% by May 16 (the Q2 target <5%); actual 6%, 20% behind -> [~]"
    );
    let e = at(&s, &[entry(2, "4%", date(2026, 5, 1))], as_of);
    assert_eq!(e.quarter(Quarter::Q2).status, Status::OnPace);
}

#[test]
fn a_shorter_duration_is_better() {
    let s = spec(["21 days", "17 days", "14 days", "14 days"]);
    let e = at(
        &s,
        &[entry(2, "20 days", date(2026, 5, 10))],
        date(2026, 5, 16),
    );
    let q2 = e.quarter(Quarter::Q2);
    let expected = 21.0 + 46.0 / 91.0 * (17.0 - 21.0);
    assert!(close(q2.expected.expect("expected"), expected));
    assert!(close(q2.credit.expect("credit"), 2.0 - 20.0 / expected));
    assert_eq!(q2.status, Status::SlightlyOff);
    assert_eq!(
        q2.explanation,
        "expected at most 19 days by May 16 (straight line from the Q1 target 21 days on Mar 31 to the Q2 target 17 days on Jun 30); actual 20 days, 5% behind -> [~]"
    );
    let e = at(
        &s,
        &[entry(1, "19 days", date(2026, 2, 10))],
        date(2026, 2, 15),
    );
    assert_eq!(e.quarter(Quarter::Q1).status, Status::OnPace);
    let e = at(
        &s,
        &[entry(2, "2 weeks", date(2026, 5, 10))],
        date(2026, 5, 16),
    );
    assert_eq!(e.quarter(Quarter::Q2).status, Status::OnPace);
}

#[test]
fn a_tolerance_is_an_error_to_keep_small() {
    let s = spec(["±15%", "±15%", "±10%", "±10%"]);
    assert!(!s.cumulative());
    // 15 August is day 46 of a 92-day Q3: half way from 15% to 10%.
    let as_of = date(2026, 8, 15);
    let e = at(&s, &[entry(3, "±14%", date(2026, 8, 1))], as_of);
    let q3 = e.quarter(Quarter::Q3);
    assert!(close(q3.expected.expect("expected"), 12.5));
    assert!(close(q3.credit.expect("credit"), 2.0 - 14.0 / 12.5));
    assert_eq!(q3.status, Status::SlightlyOff);
    let e = at(&s, &[entry(3, "11%", date(2026, 8, 1))], as_of);
    assert_eq!(e.quarter(Quarter::Q3).status, Status::OnPace);
}

#[test]
fn a_relative_target_grows_from_the_q1_baseline() {
    let s = spec(["Baseline", "+25%", "+50%", "+75%"]);
    let actuals = [
        entry(1, "100", date(2026, 3, 20)),
        entry(2, "110", date(2026, 5, 12)),
    ];
    let e = at(&s, &actuals, date(2026, 5, 16));
    assert_eq!(e.baseline, Some(100.0));
    let q1 = e.quarter(Quarter::Q1);
    assert_eq!(q1.status, Status::NotScored);
    assert_eq!(
        q1.explanation,
        "baseline quarter: the Q1 actual 100 becomes the baseline"
    );
    let q2 = e.quarter(Quarter::Q2);
    let expected = 100.0 + 46.0 / 91.0 * 25.0;
    assert!(close(q2.expected.expect("expected"), expected));
    assert_eq!(q2.status, Status::SlightlyOff);
    assert_eq!(
        q2.explanation,
        "expected 112.6 by May 16 (straight line from the Q1 baseline 100 on Mar 31 to the Q2 target 125 (+25%) on Jun 30); actual 110 = 98% -> [~]"
    );
}

#[test]
fn a_relative_target_without_a_baseline_is_not_scored_and_says_why() {
    let s = spec(["Baseline", "+25%", "+50%", "+75%"]);
    let e = at(&s, &[entry(2, "110", date(2026, 5, 12))], date(2026, 5, 16));
    assert_eq!(e.baseline, None);
    assert_eq!(e.quarter(Quarter::Q1).status, Status::Missing);
    assert_eq!(
        e.quarter(Quarter::Q1).explanation,
        "needs baseline: enter the Q1 actual to set the baseline"
    );
    let q2 = e.quarter(Quarter::Q2);
    assert_eq!(q2.status, Status::NotScored);
    assert!(q2.explanation.contains("baseline"), "{}", q2.explanation);
    assert!(
        q2.explanation.contains("enter the Q1 actual"),
        "{}",
        q2.explanation
    );
}

#[test]
fn a_declared_start_value_is_the_baseline() {
    let s = spec_with(
        ["+25%", "+25%", "+50%", "+50%"],
        OutcomeOptions {
            start: Some(80.0),
            ..OutcomeOptions::default()
        },
    );
    let e = at(&s, &[entry(1, "100", date(2026, 3, 30))], date(2026, 4, 5));
    assert_eq!(e.baseline, Some(80.0));
    assert_eq!(e.quarter(Quarter::Q1).expected, Some(100.0));
    assert_eq!(e.quarter(Quarter::Q1).status, Status::OnPace);
}

const PLATFORM: [&str; 4] = ["MVP", "v1.0", "Iterate", "Validated"];

fn platform_with_ladder() -> OutcomeSpec {
    spec_with(
        PLATFORM,
        OutcomeOptions {
            stages: Some(
                ["Spec", "Tested", "MVP", "v1.0", "Iterate", "Validated"]
                    .map(String::from)
                    .to_vec(),
            ),
            ..OutcomeOptions::default()
        },
    )
}

#[test]
fn a_stage_reached_is_on_pace() {
    let s = platform_with_ladder();
    let e = at(&s, &[entry(1, "mvp", date(2026, 3, 28))], date(2026, 4, 2));
    let q1 = e.quarter(Quarter::Q1);
    assert_eq!(q1.status, Status::OnPace);
    assert_eq!(q1.credit, Some(1.0));
    assert_eq!(q1.expected_text.as_deref(), Some("MVP"));
    assert_eq!(q1.expected, Some(2.0));
    assert_eq!(
        q1.explanation,
        "expected MVP by end of Q1; reached MVP, on pace -> [+]"
    );
}

#[test]
fn one_stage_behind_is_slightly_off() {
    let s = platform_with_ladder();
    let e = at(
        &s,
        &[entry(1, "Tested", date(2026, 3, 28))],
        date(2026, 4, 2),
    );
    let q1 = e.quarter(Quarter::Q1);
    assert_eq!(q1.credit, Some(0.8));
    assert_eq!(q1.status, Status::SlightlyOff);
    assert_eq!(
        q1.explanation,
        "expected MVP by end of Q1; reached Tested, one stage behind -> [~]"
    );
}

#[test]
fn two_stages_behind_is_off_pace() {
    let s = platform_with_ladder();
    let e = at(&s, &[entry(1, "Spec", date(2026, 3, 28))], date(2026, 4, 2));
    let q1 = e.quarter(Quarter::Q1);
    assert!(close(q1.credit.expect("credit"), 0.6));
    assert_eq!(q1.status, Status::OffPace);
    assert!(
        q1.explanation
            .ends_with("reached Spec, two stages behind -> [-]")
    );
}

#[test]
fn inside_a_quarter_last_quarters_stage_is_expected() {
    let s = spec(PLATFORM);
    let e = at(&s, &[entry(2, "MVP", date(2026, 5, 2))], date(2026, 5, 16));
    let q2 = e.quarter(Quarter::Q2);
    assert_eq!(q2.status, Status::OnPace);
    assert_eq!(
        q2.explanation,
        "expected MVP by May 16 (the Q1 target; v1.0 due by end of Q2); reached MVP, on pace -> [+]"
    );
    let ahead = at(
        &s,
        &[entry(2, "Iterate", date(2026, 5, 2))],
        date(2026, 5, 16),
    );
    assert!(
        ahead
            .quarter(Quarter::Q2)
            .explanation
            .contains("two stages ahead")
    );
    assert_eq!(ahead.quarter(Quarter::Q2).credit, Some(1.0));
}

#[test]
fn inside_the_first_stage_quarter_nothing_is_expected_yet() {
    let s = platform_with_ladder();
    let e = at(&s, &[entry(1, "Spec", date(2026, 2, 2))], date(2026, 2, 15));
    // MVP is the ladder's third stage: by 15 February (position 0.51) the
    // line from "not started" to MVP at the end of Q1 expects the first.
    let q1 = e.quarter(Quarter::Q1);
    assert_eq!(q1.status, Status::OnPace);
    assert_eq!(q1.expected, Some(0.0));
    assert_eq!(
        q1.explanation,
        "expected Spec by Feb 15 (straight line from not started on Jan 1 to the Q1 target MVP on Mar 31, rounded down to a stage; MVP due by end of Q1); reached Spec, on pace -> [+]"
    );
    let early = at(&s, &[], date(2026, 1, 20));
    assert_eq!(early.quarter(Quarter::Q1).expected, None);
    assert_eq!(
        early.quarter(Quarter::Q1).explanation,
        "needs check-in: no Q1 actual yet; nothing expected yet (MVP due by end of Q1)"
    );
}

#[test]
fn a_stage_outcome_with_a_dash_quarter_is_not_scored_there() {
    let s = spec(["Done", "—", "—", "—"]);
    let e = at(&s, &[entry(1, "done", date(2026, 3, 1))], date(2026, 5, 16));
    assert_eq!(e.quarter(Quarter::Q1).status, Status::OnPace);
    assert_eq!(e.quarter(Quarter::Q2).status, Status::NotScored);
    assert_eq!(
        e.quarter(Quarter::Q2).explanation,
        "not scored: no Q2 target"
    );
}

#[test]
fn an_unknown_stage_actual_needs_a_check_in_and_says_why() {
    let s = spec(PLATFORM);
    let e = at(&s, &[entry(1, "Beta", date(2026, 3, 2))], date(2026, 4, 2));
    let q1 = e.quarter(Quarter::Q1);
    assert_eq!(q1.status, Status::Missing);
    assert_eq!(
        q1.explanation,
        "needs check-in: the latest Q1 actual “Beta” (Mar 2) cannot be read: “Beta” is not a stage of this outcome (MVP, v1.0, Iterate, Validated); expected MVP by end of Q1"
    );
}

#[test]
fn tbd_track_and_dash_targets_are_not_scored_even_without_actuals() {
    let s = spec(["Baseline", "TBD", "TBD", "TBD"]);
    let e = at(&s, &[], date(2026, 12, 1));
    for q in [Quarter::Q2, Quarter::Q3, Quarter::Q4] {
        assert_eq!(e.quarter(q).status, Status::NotScored, "{q}");
    }
    // A baseline quarter with no entry asks for one.
    assert_eq!(e.quarter(Quarter::Q1).status, Status::Missing);
    assert!(
        e.quarter(Quarter::Q1)
            .explanation
            .starts_with("needs baseline")
    );
    assert_eq!(
        e.quarter(Quarter::Q2).explanation,
        "not scored: “TBD” (target to be decided)"
    );
    let s = spec(["Baseline", "Track", "Track", "Target 4:1"]);
    let e = at(&s, &[], date(2026, 8, 1));
    assert_eq!(
        e.quarter(Quarter::Q2).explanation,
        "not scored: “Track” (tracked, no target)"
    );
    // A level's blank quarter is not judged (a cumulative one would be).
    let s = spec_with(
        ["—", "3", "8", "14+"],
        OutcomeOptions {
            cumulative: Some(false),
            ..OutcomeOptions::default()
        },
    );
    let e = at(&s, &[], date(2026, 2, 1));
    assert_eq!(e.quarter(Quarter::Q1).status, Status::NotScored);
}

#[test]
fn a_ratio_paces_from_its_baseline_past_tracked_quarters() {
    let s = spec(["Baseline", "Track", "Track", "Target 4:1"]);
    let actuals = [
        entry(1, "3:1", date(2026, 3, 25)),
        entry(4, "3.5:1", date(2026, 11, 10)),
    ];
    // 15 November is day 46 of a 92-day Q4: position 3.5, five sixths of
    // the way from the baseline (end of Q1) to the Q4 target (end of Q4).
    let e = at(&s, &actuals, date(2026, 11, 15));
    let q4 = e.quarter(Quarter::Q4);
    let expected = 3.0 + 2.5 / 3.0;
    assert!(close(q4.expected.expect("expected"), expected));
    assert_eq!(q4.status, Status::SlightlyOff);
    assert_eq!(
        q4.explanation,
        "expected 3.8:1 by Nov 15 (straight line from the Q1 baseline 3:1 on Mar 31 to the Q4 target 4:1 (Target 4:1) on Dec 31); actual 3.5:1 = 91% -> [~]"
    );
}

#[test]
fn a_stage_word_in_a_numeric_outcome_is_not_scored_and_says_why() {
    let s = spec(["Test", "5", "10", "15"]);
    let e = at(&s, &[entry(1, "3", date(2026, 3, 1))], date(2026, 3, 2));
    let q1 = e.quarter(Quarter::Q1);
    assert_eq!(q1.status, Status::NotScored);
    assert_eq!(q1.actual.as_deref(), Some("3"));
    assert_eq!(
        q1.explanation,
        "not scored: “Test” is a stage in an outcome measured in numbers"
    );
}

#[test]
fn an_unreadable_target_is_shown_as_text_and_not_scored() {
    let s = spec(["2", "???", "5", "5"]);
    let e = at(&s, &[entry(2, "3", date(2026, 5, 1))], date(2026, 5, 16));
    assert_eq!(e.quarter(Quarter::Q2).status, Status::NotScored);
    assert_eq!(e.quarter(Quarter::Q2).target, "???");
    assert_eq!(
        e.quarter(Quarter::Q2).explanation,
        "not scored: “???” is not a target that can be read"
    );
    // Q3 draws its line from the nearest earlier scored target, Q1's.
    let e = at(&s, &[], date(2026, 8, 15));
    assert!(
        e.quarter(Quarter::Q3)
            .explanation
            .contains("from the Q1 target 2 on Mar 31 to the Q3 target 5 on Sep 30")
    );
}

#[test]
fn a_judged_quarter_without_an_actual_needs_a_check_in() {
    let s = spec(["2", "4", "5", "5"]);
    let e = at(&s, &[entry(1, "2", date(2026, 3, 30))], date(2026, 5, 16));
    let q2 = e.quarter(Quarter::Q2);
    assert_eq!(q2.status, Status::Missing);
    assert_eq!(q2.credit, None);
    assert_eq!(
        q2.explanation,
        "needs check-in: no Q2 actual yet; expected 3 by May 16 (straight line from the Q1 target 2 on Mar 31 to the Q2 target 4 on Jun 30)"
    );
    assert_eq!(Status::Missing.chip(), "needs check-in");
}

#[test]
fn an_unreadable_latest_actual_needs_a_check_in_and_says_why() {
    let s = spec(["2", "4", "5", "5"]);
    let actuals = [
        entry(2, "3", date(2026, 5, 1)),
        entry(2, "three", date(2026, 5, 10)),
    ];
    let e = at(&s, &actuals, date(2026, 5, 16));
    let q2 = e.quarter(Quarter::Q2);
    assert_eq!(q2.status, Status::Missing);
    assert_eq!(q2.actual.as_deref(), Some("three"));
    assert!(
        q2.explanation.starts_with(
            "needs check-in: the latest Q2 actual “three” (May 10) cannot be read: expected a number such as 12, 12.5 or 1,000, got “three”"
        ),
        "{}",
        q2.explanation
    );
}

#[test]
fn a_cumulative_count_starts_from_zero() {
    let s = spec(["2", "4", "5", "5"]);
    // 15 February is day 46 of a 90-day Q1.
    let e = at(&s, &[entry(1, "1", date(2026, 2, 10))], date(2026, 2, 15));
    let q1 = e.quarter(Quarter::Q1);
    assert!(close(q1.expected.expect("expected"), 46.0 / 90.0 * 2.0));
    assert_eq!(q1.status, Status::SlightlyOff);
    assert!(
        q1.explanation
            .contains("(straight line from 0 on Jan 1 to the Q1 target 2 on Mar 31)"),
        "{}",
        q1.explanation
    );
}

#[test]
fn a_level_starts_at_its_first_target() {
    let s = spec(["40%", "45%", "48%", "50%"]);
    let e = at(&s, &[entry(1, "38%", date(2026, 2, 10))], date(2026, 2, 15));
    let q1 = e.quarter(Quarter::Q1);
    assert_eq!(q1.expected, Some(40.0));
    assert_eq!(
        q1.explanation,
        "expected 40% by Feb 15 (the Q1 target); actual 38% = 95% -> [~]"
    );
}

#[test]
fn an_outcome_can_make_a_count_a_level_or_give_it_a_start() {
    let level = spec_with(
        ["2", "4", "5", "5"],
        OutcomeOptions {
            cumulative: Some(false),
            ..OutcomeOptions::default()
        },
    );
    let e = at(&level, &[], date(2026, 2, 15));
    assert_eq!(e.quarter(Quarter::Q1).expected, Some(2.0));
    let started = spec_with(
        ["2", "4", "5", "5"],
        OutcomeOptions {
            start: Some(1.0),
            ..OutcomeOptions::default()
        },
    );
    let e = at(&started, &[], date(2026, 2, 15));
    assert!(close(
        e.quarter(Quarter::Q1).expected.expect("expected"),
        1.0 + 46.0 / 90.0
    ));
    assert!(
        e.quarter(Quarter::Q1)
            .explanation
            .contains("from the start value 1 on Jan 1 to the Q1 target 2 on Mar 31")
    );
}

#[test]
fn a_level_percentage_follows_a_straight_line_mid_quarter() {
    let s = spec(["40%", "45%", "48%", "50%"]);
    let e = at(&s, &[entry(2, "43%", date(2026, 5, 14))], date(2026, 5, 16));
    let q2 = e.quarter(Quarter::Q2);
    assert!(close(
        q2.expected.expect("expected"),
        40.0 + 46.0 / 91.0 * 5.0
    ));
    assert_eq!(q2.expected_text.as_deref(), Some("42.5%"));
    assert_eq!(q2.status, Status::OnPace);
    assert!(close(q2.fraction, 46.0 / 91.0));
}

#[test]
fn an_ended_quarter_is_judged_against_its_full_target() {
    let s = spec(REVENUE);
    let e = at(
        &s,
        &[entry(2, "$3.2M", date(2026, 6, 28))],
        date(2026, 7, 10),
    );
    let q2 = e.quarter(Quarter::Q2);
    assert_eq!(q2.fraction, 1.0);
    assert_eq!(q2.expected, Some(3.5e6));
    assert_eq!(
        q2.explanation,
        "expected $3.5M by Jun 30 (the Q2 target); actual $3.2M = 91% -> [~]"
    );
    // Day 10 of Q3 with no Q3 entry: Q2's reading stands in, marked.
    let q3 = e.quarter(Quarter::Q3);
    assert!(q3.judged);
    assert!(close(q3.fraction, 10.0 / 92.0));
    assert_eq!(q3.carried_from, Some(Quarter::Q2));
    assert_eq!(q3.actual.as_deref(), Some("$3.2M"));
    assert!(q3.status.is_scored());
}

#[test]
fn a_future_quarter_is_not_judged() {
    let s = spec(REVENUE);
    let e = at(&s, &[entry(3, "$4M", date(2026, 5, 1))], date(2026, 5, 16));
    let q3 = e.quarter(Quarter::Q3);
    assert!(!q3.judged);
    assert_eq!(q3.status, Status::NotScored);
    assert_eq!(q3.credit, None);
    assert_eq!(q3.fraction, 0.0);
    assert_eq!(q3.explanation, "not judged yet: Q3 starts Jul 1, 2026");
    let before = at(&s, &[], date(2025, 12, 31));
    assert!(
        before
            .quarters
            .iter()
            .all(|q| !q.judged && q.status == Status::NotScored)
    );
}

#[test]
fn a_fiscal_year_starting_in_april_shifts_the_quarters() {
    let fy = FiscalYear::new(date(2026, 4, 1));
    let s = spec(REVENUE);
    let th = Thresholds::default();
    // 15 August is day 46 of a 92-day fiscal Q2 (July-September): half way.
    let e = evaluate(
        &s,
        &[entry(2, "$2.5M", date(2026, 8, 14))],
        &fy,
        date(2026, 8, 15),
        &rules(th),
    );
    let q2 = e.quarter(Quarter::Q2);
    assert_eq!(q2.expected, Some(2.5e6));
    assert_eq!(q2.status, Status::OnPace);
    assert_eq!(
        q2.explanation,
        "expected $2.5M by Aug 15 (straight line from the Q1 target $1.5M on Jun 30 to the Q2 target $3.5M on Sep 30); actual $2.5M = 100% -> [+]"
    );
    assert_eq!(e.quarter(Quarter::Q1).fraction, 1.0);
    assert!(!e.quarter(Quarter::Q3).judged);
    let early = evaluate(&s, &[], &fy, date(2026, 3, 31), &rules(th));
    assert!(early.quarters.iter().all(|q| !q.judged));
}

#[test]
fn the_latest_actual_counts_and_later_ones_are_ignored() {
    let s = spec(REVENUE);
    let mut actuals = vec![
        ActualEntry {
            seq: 3,
            ..entry(2, "$2.4M", date(2026, 5, 10))
        },
        ActualEntry {
            seq: 9,
            ..entry(2, "$3.0M", date(2026, 5, 20))
        },
        ActualEntry {
            seq: 1,
            ..entry(2, "$2.0M", date(2026, 5, 1))
        },
        ActualEntry {
            seq: 2,
            ..entry(2, "$2.6M", date(2026, 5, 10))
        },
    ];
    let e = at(&s, &actuals, date(2026, 5, 16));
    let q2 = e.quarter(Quarter::Q2);
    assert_eq!(
        q2.actual.as_deref(),
        Some("$2.4M"),
        "same day: higher seq wins"
    );
    assert_eq!(q2.actual_date, Some(date(2026, 5, 10)));
    let replay = at(&s, &actuals, date(2026, 5, 5));
    assert_eq!(replay.quarter(Quarter::Q2).actual.as_deref(), Some("$2.0M"));
    actuals.reverse();
    let later = at(&s, &actuals, date(2026, 5, 25));
    assert_eq!(later.quarter(Quarter::Q2).actual.as_deref(), Some("$3.0M"));
}

#[test]
fn the_tenant_thresholds_decide_the_status() {
    let s = spec(REVENUE);
    let actuals = [entry(2, "$2.3M", date(2026, 5, 15))];
    let as_of = date(2026, 5, 16);
    let lenient = Thresholds {
        on_pace: 0.9,
        slightly_off: 0.7,
    };
    let e = evaluate(&s, &actuals, &calendar_year(), as_of, &rules(lenient));
    assert_eq!(e.quarter(Quarter::Q2).status, Status::OnPace);
    assert!(e.quarter(Quarter::Q2).explanation.ends_with("-> [+]"));
    let strict = Thresholds {
        on_pace: 1.0,
        slightly_off: 0.95,
    };
    let e = evaluate(&s, &actuals, &calendar_year(), as_of, &rules(strict));
    assert_eq!(e.quarter(Quarter::Q2).status, Status::OffPace);
}

#[test]
fn default_thresholds_are_one_and_point_eight() {
    let th = Thresholds::default();
    assert_eq!(th.status_for(1.0), Status::OnPace);
    assert_eq!(th.status_for(0.8), Status::SlightlyOff);
    assert_eq!(th.status_for(0.79), Status::OffPace);
    assert_eq!(th.status_for(f64::NAN), Status::OffPace);
}

#[test]
fn zero_is_met_only_by_zero() {
    let s = spec(["Zero", "Zero", "Zero", "Zero"]);
    let e = at(&s, &[entry(1, "0", date(2026, 2, 1))], date(2026, 2, 15));
    assert_eq!(e.quarter(Quarter::Q1).credit, Some(1.0));
    assert_eq!(
        e.quarter(Quarter::Q1).explanation,
        "expected at most 0 by Feb 15 (the Q1 target Zero); actual 0, as expected -> [+]"
    );
    let e = at(&s, &[entry(1, "1", date(2026, 2, 1))], date(2026, 2, 15));
    assert_eq!(e.quarter(Quarter::Q1).credit, Some(0.0));
    assert_eq!(e.quarter(Quarter::Q1).status, Status::OffPace);
}

#[test]
fn nothing_expected_yet_is_full_credit() {
    let (credit, comparison) = numeric_credit(Direction::Higher, 0.0, 0.0);
    assert_eq!(
        (credit, comparison),
        (1.0, Comparison::ZeroExpected { met: true })
    );
    assert_eq!(numeric_credit(Direction::Higher, 10.0, 12.0).0, 1.0);
    assert_eq!(numeric_credit(Direction::Higher, 10.0, -3.0).0, 0.0);
    assert_eq!(numeric_credit(Direction::Lower, 10.0, 0.0).0, 1.0);
    // 2 - 15/10: half again the expected duration is half the credit.
    assert_eq!(numeric_credit(Direction::Lower, 10.0, 15.0).0, 0.5);
    assert_eq!(numeric_credit(Direction::Lower, 10.0, 20.0).0, 0.0);
    assert_eq!(stage_credit(-2), 1.0);
    assert_eq!(stage_credit(7), 0.0);
}

#[test]
fn an_exact_hit_is_on_pace_despite_floating_point() {
    let s = spec(["0.1", "0.3", "0.6", "1"]);
    let e = at(&s, &[entry(2, "0.3", date(2026, 6, 30))], date(2026, 6, 30));
    assert_eq!(e.quarter(Quarter::Q2).status, Status::OnPace);
    let (credit, _) = numeric_credit(Direction::Higher, 0.1 + 0.2, 0.3);
    assert_eq!(credit, 1.0);
}

#[test]
fn an_evaluation_serialises_with_status_symbols() {
    let s = spec(REVENUE);
    let e = at(
        &s,
        &[entry(2, "$2.3M", date(2026, 5, 15))],
        date(2026, 5, 16),
    );
    let json = serde_json::to_value(&e).expect("json");
    assert_eq!(json["quarters"][1]["status"], "~");
    assert_eq!(json["quarters"][1]["quarter"], 2);
    assert_eq!(json["quarters"][2]["status"], "none");
    assert_eq!(json["quarters"][1]["actual_date"], "2026-05-15");
    assert_eq!(Status::OnPace.symbol(), "+");
    assert_eq!(Status::SlightlyOff.label(), "slightly off pace");
    assert_eq!(Status::OffPace.css(), "off");
    assert_eq!(Status::NotScored.chip(), "not scored");
}

#[test]
fn every_seed_outcome_evaluates_without_surprises() {
    // The WhyGO outcome tables of the two department documents.
    let outcomes: [[&str; 4]; 20] = [
        ["2", "4", "5", "5"],
        ["1", "3", "5", "5"],
        ["Tested", "Validated", "Optimized", "Documented"],
        ["Test", "Baseline", "Validated", "Documented"],
        ["Done", "—", "—", "—"],
        ["3", "6", "9", "12"],
        ["MVP", "v1.0", "Optimized", "—"],
        ["Baseline", "TBD", "TBD", "TBD"],
        ["1", "2", "3", "4"],
        ["MVP", "v1.0", "Iterate", "Validated"],
        ["—", "Gen", "+ Prod", "+ Comm"],
        ["2", "4", "5", "6"],
        ["6-8", "12", "16", "20"],
        ["80%", "90%", "95%", "100%"],
        ["2", "4", "6", "8+"],
        ["21 days", "17 days", "14 days", "14 days"],
        ["40%", "45%", "48%", "50%"],
        ["80%", "85%", "90%", "90%+"],
        ["Baseline", "+25%", "+50%", "+75%"],
        ["Baseline", "40+", "45+", "50+"],
    ];
    for targets in outcomes {
        let s = spec(targets);
        assert!(s.warnings().is_empty(), "{targets:?}: {:?}", s.warnings());
        assert_ne!(s.kind(), OutcomeKind::Numeric(Unit::Ratio));
        let e = at(&s, &[], date(2026, 12, 31));
        for q in &e.quarters {
            assert!(!q.explanation.is_empty());
        }
    }
    let producers = spec(["3", "4", "5", "5-6"]);
    assert_eq!(producers.kind(), OutcomeKind::Numeric(Unit::Count));
    let onboarding = spec(["Baseline", "4 weeks", "3 weeks", "3 weeks"]);
    let e = at(
        &onboarding,
        &[
            entry(1, "6 weeks", date(2026, 3, 20)),
            entry(2, "33 days", date(2026, 5, 10)),
        ],
        date(2026, 5, 16),
    );
    // From the 42-day baseline towards 28 days: 42 - 46/91 * 14.
    let q2 = e.quarter(Quarter::Q2);
    assert!(close(
        q2.expected.expect("expected"),
        42.0 - 46.0 / 91.0 * 14.0
    ));
    assert_eq!(q2.status, Status::OnPace);
}

// ---------------------------------------------------------------- properties

fn any_date() -> impl Strategy<Value = NaiveDate> {
    let min = NaiveDate::MIN.num_days_from_ce();
    let max = NaiveDate::MAX.num_days_from_ce();
    let near = date(2024, 1, 1).num_days_from_ce();
    prop_oneof![(near..near + 5 * 366), (min..=max), Just(min), Just(max),]
        .prop_map(|d| NaiveDate::from_num_days_from_ce_opt(d).expect("in range"))
}

fn in_2026() -> impl Strategy<Value = NaiveDate> {
    let start = date(2026, 1, 1).num_days_from_ce();
    (start - 20..start + 385)
        .prop_map(|d| NaiveDate::from_num_days_from_ce_opt(d).expect("in range"))
}

fn target_text() -> impl Strategy<Value = String> {
    prop_oneof![
        proptest::sample::select(vec![
            "6-8",
            "12",
            "$1.5M",
            "90%+",
            ">95%",
            "<24 hours",
            "21 days",
            "4 weeks",
            "4:1",
            "Target 4:1",
            "±15%",
            "+25%",
            "MVP",
            "v1.0",
            "Done",
            "Baseline",
            "Track",
            "TBD",
            "—",
            "Test",
            "Zero",
            "",
            "+ Prod",
            "≥4.5/5",
            "-10%",
        ])
        .prop_map(String::from),
        any::<String>(),
        "[0-9$%+<>:. -]{0,8}",
    ]
}

fn actual_text() -> impl Strategy<Value = String> {
    prop_oneof![
        proptest::sample::select(vec![
            "7", "42%", "$1.2M", "1,000", "19 days", "3 weeks", "MVP", "v1.0", "Beta", "", "0",
            "-3", "±4%", "3:1",
        ])
        .prop_map(String::from),
        any::<String>(),
    ]
}

fn entries() -> impl Strategy<Value = Vec<ActualEntry>> {
    proptest::collection::vec(
        (1u8..=4, actual_text(), any_date(), any::<i64>()).prop_map(|(q, value, date, seq)| {
            ActualEntry {
                quarter: Quarter::new(q).expect("1..=4"),
                value,
                date,
                seq,
            }
        }),
        0..8,
    )
}

fn rank(s: Status) -> u8 {
    match s {
        Status::OffPace => 0,
        Status::SlightlyOff => 1,
        Status::OnPace => 2,
        Status::Missing | Status::NotScored => 99,
    }
}

fn numeric_targets() -> impl Strategy<Value = [String; 4]> {
    let one = prop_oneof![
        (1u32..1000).prop_map(|n| n.to_string()),
        (1u32..100, 1u32..100).prop_map(|(a, b)| format!("{}-{}", a.min(b), a.max(b))),
        (1u32..100).prop_map(|n| format!("{n}+")),
        Just("—".to_string()),
        Just("Track".to_string()),
    ];
    [one.clone(), one.clone(), one.clone(), one]
}

fn duration_targets() -> impl Strategy<Value = [String; 4]> {
    let one = prop_oneof![
        (1u32..60).prop_map(|n| format!("{n} days")),
        (1u32..8).prop_map(|n| format!("{n} weeks")),
        (1u32..72).prop_map(|n| format!("<{n} hours")),
        Just("—".to_string()),
    ];
    [one.clone(), one.clone(), one.clone(), one]
}

proptest! {
    #[test]
    fn evaluate_never_panics_and_credit_stays_in_range(
        targets in [target_text(), target_text(), target_text(), target_text()],
        start in proptest::option::of(any::<f64>()),
        cumulative in proptest::option::of(any::<bool>()),
        lower in proptest::option::of(any::<bool>()),
        fy_start in any_date(),
        as_of in any_date(),
        actuals in entries(),
        on_pace in any::<f64>(),
        slightly_off in any::<f64>(),
    ) {
        let opts = OutcomeOptions {
            direction: lower.map(|l| if l { Direction::Lower } else { Direction::Higher }),
            cumulative,
            start,
            stages: None,
        };
        let s = OutcomeSpec::new(&targets, opts);
        let th = Thresholds { on_pace, slightly_off };
        let e = evaluate(&s, &actuals, &FiscalYear::new(fy_start), as_of, &rules(th));
        for q in &e.quarters {
            if let Some(c) = q.credit {
                prop_assert!((0.0..=1.0).contains(&c), "credit {c} out of range");
            }
            prop_assert!((0.0..=1.0).contains(&q.fraction));
            prop_assert_eq!(q.credit.is_some(), q.status.is_scored());
            if !q.judged {
                prop_assert_eq!(q.status, Status::NotScored);
            }
        }
    }

    #[test]
    fn a_higher_actual_never_worsens_a_higher_is_better_outcome(
        targets in numeric_targets(),
        as_of in in_2026(),
        q in 1u8..=4,
        a in 0u32..2000,
        b in 0u32..2000,
    ) {
        let s = OutcomeSpec::new(&targets, OutcomeOptions::default());
        prop_assume!(s.direction() == Direction::Higher);
        let (worse, better) = (a.min(b), a.max(b));
        let day = date(2025, 12, 1);
        let th = Thresholds::default();
        let fy = calendar_year();
        let ew = evaluate(&s, &[entry(q, &worse.to_string(), day)], &fy, as_of, &rules(th));
        let eb = evaluate(&s, &[entry(q, &better.to_string(), day)], &fy, as_of, &rules(th));
        let (w, b) = (&ew.quarters[usize::from(q - 1)], &eb.quarters[usize::from(q - 1)]);
        prop_assert_eq!(w.status.is_scored(), b.status.is_scored());
        if let (Some(cw), Some(cb)) = (w.credit, b.credit) {
            prop_assert!(cb >= cw, "{} gave {}, {} gave {}", better, cb, worse, cw);
            prop_assert!(rank(b.status) >= rank(w.status));
        }
    }

    #[test]
    fn a_shorter_duration_never_worsens_a_lower_is_better_outcome(
        targets in duration_targets(),
        as_of in in_2026(),
        q in 1u8..=4,
        a in 0u32..100,
        b in 0u32..100,
    ) {
        let s = OutcomeSpec::new(&targets, OutcomeOptions::default());
        prop_assume!(s.kind() == OutcomeKind::Numeric(Unit::Days));
        prop_assert_eq!(s.direction(), Direction::Lower);
        let (better, worse) = (a.min(b), a.max(b));
        let day = date(2025, 12, 1);
        let th = Thresholds::default();
        let fy = calendar_year();
        let ew = evaluate(&s, &[entry(q, &format!("{worse} days"), day)], &fy, as_of, &rules(th));
        let eb = evaluate(&s, &[entry(q, &format!("{better} days"), day)], &fy, as_of, &rules(th));
        let (w, b) = (&ew.quarters[usize::from(q - 1)], &eb.quarters[usize::from(q - 1)]);
        if let (Some(cw), Some(cb)) = (w.credit, b.credit) {
            prop_assert!(cb >= cw, "{} days gave {}, {} days gave {}", better, cb, worse, cw);
            prop_assert!(rank(b.status) >= rank(w.status));
        }
    }

    #[test]
    fn a_later_stage_never_worsens_a_staged_outcome(
        picks in [0usize..6, 0usize..6, 0usize..6, 0usize..6],
        as_of in in_2026(),
        q in 1u8..=4,
        a in 0usize..5,
        b in 0usize..5,
    ) {
        let ladder = ["Spec", "MVP", "v1.0", "Iterate", "Validated"];
        // Index 5 stands for "—", a quarter without a stage target.
        let mut sorted = picks;
        sorted.sort_unstable();
        let targets = sorted.map(|i| ladder.get(i).map_or("—", |s| *s).to_string());
        let opts = OutcomeOptions {
            stages: Some(ladder.map(String::from).to_vec()),
            ..OutcomeOptions::default()
        };
        let s = OutcomeSpec::new(&targets, opts);
        prop_assume!(s.kind() == OutcomeKind::Staged);
        let (worse, better) = (a.min(b), a.max(b));
        let day = date(2025, 12, 1);
        let th = Thresholds::default();
        let fy = calendar_year();
        let ew = evaluate(&s, &[entry(q, ladder[worse], day)], &fy, as_of, &rules(th));
        let eb = evaluate(&s, &[entry(q, ladder[better], day)], &fy, as_of, &rules(th));
        let (w, b) = (&ew.quarters[usize::from(q - 1)], &eb.quarters[usize::from(q - 1)]);
        prop_assert_eq!(w.status.is_scored(), b.status.is_scored());
        if let (Some(cw), Some(cb)) = (w.credit, b.credit) {
            prop_assert!(cb >= cw);
            prop_assert!(rank(b.status) >= rank(w.status));
        }
    }
}

mod rules;
