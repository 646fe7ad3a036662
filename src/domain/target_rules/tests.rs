//! What a typed target or value may be: the seeds stay acceptable, each
//! decision of the module docs holds, and the properties hold for anything.

use super::*;
use proptest::prelude::*;

fn four(t: [&str; 4]) -> [String; 4] {
    t.map(str::to_owned)
}

fn problems(t: [&str; 4]) -> Vec<(u8, String)> {
    check_targets(&four(t), None)
        .into_iter()
        .map(|p| (p.quarter.number(), p.message))
        .collect()
}

fn refused_quarters(t: [&str; 4]) -> Vec<u8> {
    problems(t).into_iter().map(|(q, _)| q).collect()
}

fn spec(t: [&str; 4]) -> OutcomeSpec {
    OutcomeSpec::new(&four(t), OutcomeOptions::default())
}

fn value_error(t: [&str; 4], typed: &str) -> String {
    match check_value(&spec(t), typed) {
        Ok(v) => panic!("{typed:?} was accepted for {t:?} as {v:?}"),
        Err(e) => e.to_string(),
    }
}

fn number(t: [&str; 4], typed: &str) -> f64 {
    match check_value(&spec(t), typed) {
        Ok(ActualValue::Number(n)) => n,
        other => panic!("{typed:?} for {t:?}: {other:?}"),
    }
}

/// Every outcome row of the three seed documents (`shared/seeds/`): the
/// WhyGO outcome tables and the employee reference's KPI tables, each row's
/// four quarters (a "Q2-Q4" column fills all three; a single "Target"
/// column is a Q4 target, as a KPI picked on the new-WhyGO form is), distinct
/// rows once. Extracted from the documents' markdown tables.
const SEED_ROWS: &[(&str, [&str; 4])] = &[
    ("Verticals with 2+ clients", ["", "", "", "5 by Q2"]),
    ("Revenue closed", ["", "", "", "$7M by EOY"]),
    ("Production margin", ["", "", "", "50% by Q4"]),
    ("Client NPS", ["", "", "", "50+ by Q4"]),
    ("Tier 5 talent deployed", ["", "", "", "20 by EOY"]),
    ("3-pillar platform", ["", "", "", "Live by Q4"]),
    ("On-time delivery", ["", "", "", "90%+ by Q4"]),
    ("Department WhyGO completion", ["", "", "", "100%"]),
    ("Weekly pacing reviews", ["", "", "", "100% completed"]),
    ("Individual WhyGO cascade", ["", "", "", "100% by Jan 29"]),
    ("Spec engagements signed", ["4", "10", "14", "18+"]),
    ("Revenue closed", ["$1.5M", "$3.5M", "$5.5M", "$7M"]),
    ("Paying clients", ["—", "3", "8", "14+"]),
    ("Verticals with 2+ clients", ["—", "2", "4", "5"]),
    ("Case studies published", ["", "", "", "5 by EOY"]),
    ("Client retention post-spec", ["", "", "", "90%+"]),
    ("Team built", ["", "", "", "4-5 by Q4"]),
    ("Handoff compliance", ["", "", "", "100% by Q4"]),
    ("Pipeline forecast accuracy", ["", "", "", "±15%"]),
    ("CRM data accuracy", ["", "", "", ">95%"]),
    ("Meeting scheduling", ["", "", "", "<24 hours"]),
    ("Process adherence", ["", "", "", ">90%"]),
    ("Pipeline report accuracy", ["", "", "", "±5% of actual"]),
    ("Active client engagements", ["6-8", "12", "16", "20"]),
    (
        "Handoff #1 Compliance (Sales→Prod)",
        ["80%", "90%", "95%", "100%"],
    ),
    ("Case study packages", ["2", "4", "6", "8+"]),
    (
        "Avg onboarding time",
        ["21 days", "17 days", "14 days", "14 days"],
    ),
    ("Production Margin", ["40%", "45%", "48%", "50%"]),
    ("On-Time Delivery vs SLA", ["80%", "85%", "90%", "90%+"]),
    ("Producers on team", ["3", "4", "5", "5-6"]),
    (
        "Client-to-Producer ratio",
        ["Baseline", "Track", "Track", "4:1"],
    ),
    (
        "Artist assignment accuracy",
        ["", "", "", "Optimized utilization"],
    ),
    ("On-time delivery", ["", "", "", "≥90%"]),
    ("Production margin targets", ["", "", "", "Met per project"]),
    ("Unapproved client communications", ["", "", "", "Zero"]),
    ("Client satisfaction", ["", "", "", "Positive feedback"]),
    ("Budget management", ["", "", "", "Within approved budget"]),
    ("SOW compliance", ["", "", "", "100% before production"]),
    ("Closing Reports", ["", "", "", "Submitted on time"]),
    ("Artist utilization", ["", "", "", "Optimized"]),
    (
        "Quarterly 1:1s",
        ["", "", "", "Completed for direct reports"],
    ),
    (
        "SOW compliance",
        ["", "", "", "100% before production begins"],
    ),
    (
        "Documentation",
        ["", "", "", "All projects properly logged"],
    ),
    ("Client communication", ["", "", "", "Timely and proactive"]),
    (
        "Follow-through",
        ["", "", "", "Zero items falling through cracks"],
    ),
    ("Role Playbooks completed", ["2", "4", "5", "5"]),
    ("Playbooks approved", ["1", "3", "5", "5"]),
    ("Pod capacity load-tested", ["Done", "—", "—", "—"]),
    (
        "Max clients per pod",
        ["Test", "Baseline", "Validated", "Documented"],
    ),
    ("R&D reports", ["3", "6", "9", "12"]),
    ("LoRA Eval tool", ["MVP", "v1.0", "Optimized", "—"]),
    ("Bulk run success rate", ["Baseline", "TBD", "TBD", "TBD"]),
    (
        "Internal Enterprise Platform use cases",
        ["1", "2", "3", "4"],
    ),
    (
        "Community Ecosystem Platform",
        ["MVP", "v1.0", "Iterate", "Validated"],
    ),
    ("Kartel Labs tools", ["2", "4", "5", "6"]),
    ("Role Playbook", ["", "", "", "Completed and approved"]),
    (
        "Kartel Labs tool",
        ["", "", "", "Built for role optimization"],
    ),
    (
        "Dataset quality",
        ["", "", "", "LoRA models capture brand DNA"],
    ),
    ("Processing speed", ["", "", "", "100GB+ parsed within SLA"]),
    ("Data cleanliness", ["", "", "", "Zero training poisoning"]),
    ("Capture quality", ["", "", "", "100% usable assets"]),
    ("Documentation", ["", "", "", "Full traceability"]),
    (
        "Capture quality",
        ["", "", "", "100% usable for LoRA training"],
    ),
    (
        "Dataset completeness",
        ["", "", "", "Full coverage of required angles"],
    ),
    ("Production delivery", ["", "", "", "On-time, on-budget"]),
    (
        "Model integration",
        ["", "", "", "Successful LoRA training from capture"],
    ),
    (
        "System reproducibility",
        ["", "", "", "80%+ first-run success rate"],
    ),
    (
        "Workflow complexity",
        ["", "", "", "100+ node production reliability"],
    ),
    (
        "Throughput improvement",
        ["", "", "", "10-100x vs baseline"],
    ),
    (
        "Output volume",
        ["", "", "", "1000+ consistent outputs per workflow"],
    ),
    ("Documentation", ["", "", "", "100% workflows documented"]),
    ("R&D reports", ["", "", "", "Per team cadence"]),
    (
        "Asset quality",
        ["", "", "", "Meets brand compliance standards"],
    ),
    (
        "Volume output",
        ["", "", "", "Achieves batch targets per project"],
    ),
    (
        "Workflow reliability",
        ["", "", "", "Minimizes troubleshooting cycles"],
    ),
    (
        "Delivery timeliness",
        ["", "", "", "On-schedule asset packages"],
    ),
    ("Communication", ["", "", "", "Proactive blocker flagging"]),
    ("Project delivery", ["", "", "", "100% on-time"]),
    ("Creative approval", ["", "", "", "First-round ≥75%"]),
    ("Output quality", ["", "", "", "Broadcast-ready, no rework"]),
    ("Client satisfaction", ["", "", "", "≥4.5/5"]),
    ("Workflow documentation", ["", "", "", "100% documented"]),
    ("Output quality", ["", "", "", "No rework required"]),
    (
        "Real estate vertical",
        ["", "", "", "Workflows operational"],
    ),
    ("Discord community members", ["300", "500", "750", "1,000"]),
    (
        "Tier 5 talent ready for deployment",
        ["5", "12", "20", "20"],
    ),
    (
        "Lighthouse certification",
        ["Setup", "Live", "Iterate", "Optimized"],
    ),
    ("Sponsored events", ["1", "2", "3", "4+"]),
    (
        "Production Management",
        ["MVP", "v1.0", "Iterate", "Iterate"],
    ),
    (
        "Generative Platform integration",
        ["Spec", "MVP", "v1.0", "Iterate"],
    ),
    (
        "Security controls",
        ["Baseline", "Core", "Complete", "Audit-ready"],
    ),
    (
        "Client data isolation",
        ["Assessed", "Implemented", "Verified", "Documented"],
    ),
    (
        "Compliance certification",
        ["TBD based on client needs", "", "", ""],
    ),
    (
        "Centralized user management",
        ["Spec", "MVP", "v1.0", "Live"],
    ),
    ("Identity providers", ["1", "2", "2", "2"]),
    ("Platforms with SSO", ["—", "1", "2", "4"]),
    (
        "Discord→Generative connection",
        ["MVP", "v1.0", "Live", "Optimized"],
    ),
    ("Full user journey", ["Spec", "MVP", "Live", "Optimized"]),
    (
        "Client Portal development",
        ["", "", "", "On-time delivery"],
    ),
    ("API connectivity", ["", "", "", "Functional integrations"]),
    ("Identity frontend", ["", "", "", "Per sprint plan"]),
    (
        "Sprint velocity",
        ["", "", "", "Consistent (±10% variance)"],
    ),
    ("Code quality", ["", "", "", "<5% defect rate"]),
    ("Test coverage", ["", "", "", ">80% on new code"]),
    ("Bug resolution", ["", "", "", "P1 <24hrs, P2 <72hrs"]),
    ("Generative Platform integration", ["", "", "", "Per spec"]),
    (
        "Security controls implementation",
        ["", "", "", "Per timeline"],
    ),
    ("API reliability", ["", "", "", "99.9% availability"]),
    ("Incident response", ["", "", "", "P1 <2 hours"]),
    ("Sprint completion", ["", "", "", "90%+ story points"]),
    ("Test coverage", ["", "", "", ">80% on new backend"]),
    (
        "Production margin tracking",
        ["", "", "", "Monthly accuracy"],
    ),
    ("Financial reporting", ["", "", "", "On-time and accurate"]),
    ("Cash position tracking", ["", "", "", "Weekly updates"]),
    ("Burn rate management", ["", "", "", "Within budget"]),
    ("Audit readiness", ["", "", "", "Clean financial records"]),
    (
        "Pod capacity load-tested (full cycle: workflow → LoRA → output → feedback)",
        ["Tested", "Validated", "Optimized", "Documented"],
    ),
    (
        "Platform adopted into standard workflow",
        ["—", "Gen", "+ Prod", "+ Comm"],
    ),
    (
        "Client job requests submitted (platform)",
        ["Baseline", "+25%", "+50%", "+75%"],
    ),
    (
        "Client NPS Score (collected by Sales)",
        ["Baseline", "40+", "45+", "50+"],
    ),
    (
        "Client-to-Producer ratio (actual)",
        ["Baseline", "Track", "Track", "Target 4:1"],
    ),
    (
        "Producer onboarding time (hire → independent)",
        ["Baseline", "4 weeks", "3 weeks", "3 weeks"],
    ),
];

#[test]
fn every_target_of_the_seed_documents_is_acceptable() {
    for (metric, targets) in SEED_ROWS {
        assert_eq!(problems(*targets), Vec::new(), "{metric}: {targets:?}");
    }
}

#[test]
fn every_target_and_actual_of_the_demo_workbook_is_acceptable() {
    let text = include_str!("../../../seeds/kartel-2026.toml");
    let wb = match crate::domain::workbook::parse("kartel-2026.toml", text) {
        Ok(wb) => wb,
        Err(errors) => panic!("the demo workbook is refused: {errors:#?}"),
    };
    let mut outcomes = 0;
    for (_, o) in wb.outcomes() {
        let found = check_targets(&o.targets, o.stages.as_deref());
        assert_eq!(found, Vec::new(), "{}: {:?}", o.key, o.targets);
        outcomes += 1;
    }
    let mut kpis = 0;
    for p in &wb.people {
        for k in &p.kpis {
            // A KPI with one target for the year fills Q4 on the form.
            let targets: [String; 4] = std::array::from_fn(|i| {
                if k.is_quarterly() {
                    k.targets[i].clone()
                } else if i == 3 {
                    k.targets.first().cloned().unwrap_or_default()
                } else {
                    String::new()
                }
            });
            assert_eq!(
                check_targets(&targets, None),
                Vec::new(),
                "{}: {}",
                p.key,
                k.metric
            );
            kpis += 1;
        }
    }
    let mut actuals = 0;
    for a in &wb.actuals {
        let Some((_, o)) = wb.outcome(&a.outcome) else {
            panic!("actual of an unknown outcome {}", a.outcome)
        };
        let s = OutcomeSpec::new(
            &o.targets,
            OutcomeOptions {
                direction: o.direction,
                cumulative: o.cumulative,
                start: o.start,
                stages: o.stages.clone(),
            },
        );
        let read = check_value(&s, &a.value);
        assert!(read.is_ok(), "{}: {:?}: {read:?}", a.outcome, a.value);
        actuals += 1;
    }
    assert!(
        outcomes > 50 && kpis > 50 && actuals > 100,
        "{outcomes} {kpis} {actuals}"
    );
}

// ------------------------------------------------ targets

#[test]
fn blank_tbd_track_and_baseline_are_acceptable_anywhere() {
    for t in [
        "",
        " ",
        "—",
        "-",
        "N/A",
        "TBD",
        "TBD based on client needs",
        "Track",
        "Baseline",
    ] {
        assert_eq!(problems([t, t, t, t]), Vec::new(), "{t:?}");
        assert_eq!(problems(["10", t, "<24 hours", t]), Vec::new(), "{t:?}");
        assert_eq!(problems(["MVP", t, "Live", t]), Vec::new(), "{t:?}");
    }
}

#[test]
fn a_word_among_numbers_is_refused_where_it_would_silently_not_be_scored() {
    let found = problems(["40%", "45%", "48%", "abc%%"]);
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(found[0].0, 4);
    assert_eq!(
        found[0].1,
        "“abc%%” is a word, but this outcome’s other targets are numbers (“40%”), so it would never be scored: write a percentage such as 45% or 12.5%, TBD or Track, or leave it empty."
    );
}

#[test]
fn abc_minus_five_and_a_dollar_sign_are_no_targets_of_a_duration() {
    let found = problems(["<10 minutes", "abc", "-5", "$"]);
    assert_eq!(found.iter().map(|(q, _)| *q).collect::<Vec<_>>(), [2, 3, 4]);
    assert!(found[0].1.starts_with("“abc” is a word"), "{}", found[0].1);
    assert_eq!(found[1].1, "“-5”: a duration cannot be negative.");
    assert!(
        found[2]
            .1
            .starts_with("“$” cannot be read as a target: write a duration with its unit"),
        "{}",
        found[2].1
    );
}

#[test]
fn text_that_reads_as_nothing_is_refused_in_any_outcome() {
    for t in ["$", "%", "#1", "?", "+12", "~"] {
        assert_eq!(refused_quarters([t, "", "", ""]), [1], "{t:?}");
        assert_eq!(refused_quarters(["MVP", t, "", ""]), [2], "{t:?}");
    }
}

#[test]
fn a_word_among_words_is_a_stage() {
    assert_eq!(problems(["Spec", "MVP", "abc", "Live by Q4"]), Vec::new());
    assert_eq!(problems(["—", "Gen", "+ Prod", "+ Comm"]), Vec::new());
    assert_eq!(
        problems(["Test", "Baseline", "Validated", "Documented"]),
        Vec::new()
    );
}

#[test]
fn a_stage_must_be_on_the_declared_ladder() {
    let ladder = ["Spec", "MVP", "v1.0", "Integrated", "Live"].map(str::to_owned);
    let ok = four(["Spec", "mvp", "—", "Live by Q4"]);
    assert_eq!(check_targets(&ok, Some(&ladder)), Vec::new());
    let off = four(["Spec", "MVP", "Beta", "Live"]);
    let found = check_targets(&off, Some(&ladder));
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].quarter, Quarter::Q3);
    assert_eq!(
        found[0].message,
        "“Beta” is not one of this outcome’s stages (Spec, MVP, v1.0, Integrated, Live): write one of them."
    );
}

#[test]
fn the_targets_of_an_outcome_share_a_unit() {
    let found = problems(["$1.5M", "40%", "$5.5M", "7"]);
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(
        found[0].1,
        "“40%” is a percentage, but this outcome’s targets are amounts (“$1.5M”, Q1): write every quarter in the same unit."
    );
    // A bare number is in the outcome's unit; hours and days are both durations.
    assert_eq!(problems(["10", "20%", "30%", "40"]), Vec::new());
    assert_eq!(problems(["<24 hours", "1 day", "", "12h"]), Vec::new());
}

#[test]
fn negative_counts_durations_and_ratios_are_refused_money_and_percentages_may_be_negative() {
    assert_eq!(
        problems(["-5", "", "", ""])[0].1,
        "“-5”: a count cannot be negative."
    );
    assert_eq!(refused_quarters(["21 days", "-3 days", "", ""]), [2]);
    assert_eq!(refused_quarters(["4:1", "-2", "", ""]), [2]);
    assert_eq!(problems(["-$20K", "-$10K", "$0", "$50K"]), Vec::new());
    assert_eq!(problems(["-5%", "0%", "5%", "10%"]), Vec::new());
    assert_eq!(problems(["Baseline", "-10%", "-20%", "-25%"]), Vec::new());
}

// ------------------------------------------------ numbers, in targets and values

#[test]
fn a_thousands_comma_is_read_and_a_decimal_comma_is_refused_with_the_point_spelled() {
    assert_eq!(
        problems(["1,000", "25,000", "1,000,000", "1,500.5"]),
        Vec::new()
    );
    assert_eq!(number(["10", "", "", ""], "1,000"), 1000.0);
    assert_eq!(number(["10", "", "", ""], "1,234,567.5"), 1_234_567.5);
    assert_eq!(
        problems(["12,5", "", "", ""])[0].1,
        "“12,5”: write decimals with a point, 12.5 (a comma separates thousands, as in 1,000)."
    );
    assert_eq!(
        value_error(["10", "", "", ""], "12,5"),
        "“12,5”: write decimals with a point, 12.5 (a comma separates thousands, as in 1,000)"
    );
    assert_eq!(
        value_error(["40%", "", "", ""], "12,50%"),
        "“12,50%”: write decimals with a point, 12.50 (a comma separates thousands, as in 1,000)"
    );
    for slip in ["1,0000", "10,00,000", "1.000,5", "1,000,5"] {
        assert!(
            value_error(["10", "", "", ""], slip).contains("groups of three"),
            "{slip}"
        );
        assert_eq!(refused_quarters([slip, "", "", ""]), [1], "{slip}");
    }
}

#[test]
fn scientific_notation_is_refused_and_written_out() {
    assert_eq!(
        value_error(["10", "", "", ""], "1e6"),
        "“1e6”: whygo does not read scientific notation: write 1,000,000 or 1M"
    );
    assert_eq!(
        value_error(["$1M", "", "", ""], "$2.5E3"),
        "“$2.5E3”: whygo does not read scientific notation: write 2,500 or 2.5K"
    );
    assert!(value_error(["10", "", "", ""], "1e-3").contains("in digits"));
    // As a target the grammar alone would read 1e6 as 1.
    assert_eq!(
        problems(["1e6", "", "", ""])[0].1,
        "“1e6”: whygo does not read scientific notation: write 1,000,000 or 1M."
    );
    // Words with an e after digits are no exponents.
    assert_eq!(problems(["3 each", "5e", "", ""]), Vec::new());
}

#[test]
fn sixteen_digits_and_more_are_too_large_rather_than_unreadable() {
    let too_large =
        "the number is too large: whygo reads numbers up to 1,000,000,000,000,000 (15 zeros)";
    for typed in [
        "1234567890123456",
        "12345678901234567890",
        "9,999,999,999,999,999",
        "$2,000,000B",
        "1e20",
    ] {
        assert_eq!(
            value_error(["$1M", "", "", ""], typed),
            format!("“{typed}”: {too_large}"),
        );
        assert_eq!(
            problems([typed, "", "", ""])[0].1,
            format!("“{typed}”: {too_large}."),
        );
    }
    assert_eq!(
        number(["10", "", "", ""], "999999999999999"),
        999_999_999_999_999.0
    );
}

// ------------------------------------------------ values

#[test]
fn value_messages_say_which_forms_are_accepted() {
    assert_eq!(
        value_error(["40%", "45%", "48%", "50%"], "abc"),
        "expected a percentage such as 45% or 12.5%, got “abc”"
    );
    assert_eq!(
        value_error(["$1.5M", "", "", "$7M"], "lots"),
        "expected an amount such as $1.2M, $250K or $1,000, got “lots”"
    );
    assert_eq!(
        value_error(["$1.5M", "", "", "$7M"], "42%"),
        "expected an amount such as $1.2M, $250K or $1,000, got “42%”, a percentage"
    );
    assert_eq!(
        value_error(["2", "4", "6", "8"], " "),
        "enter a value: a number such as 12, 12.5 or 1,000"
    );
    assert_eq!(
        value_error(["MVP", "v1.0", "Live", ""], "Beta"),
        "“Beta” is not a stage of this outcome (MVP, v1.0, Live)"
    );
    assert_eq!(
        value_error(["Baseline", "TBD", "TBD", "TBD"], "many"),
        "expected a number such as 12, 12.5, 1,000, 45% or $1.2M, got “many”"
    );
}

#[test]
fn a_duration_value_needs_its_unit() {
    assert_eq!(
        value_error(["<10 minutes", "", "", ""], "8"),
        "“8” needs its unit: write 8 minutes, 8 days, 8 weeks or 8 hours"
    );
    assert_eq!(
        value_error(["Baseline", "4 weeks", "3 weeks", "3 weeks"], "5"),
        "“5” needs its unit: write 5 weeks, 5 days or 5 hours"
    );
    assert_eq!(number(["21 days", "", "", ""], "19 days"), 19.0);
    assert_eq!(number(["21 days", "", "", ""], "3 weeks"), 21.0);
    assert_eq!(number(["<24 hours", "", "", ""], "36 hours"), 1.5);
    assert_eq!(number(["<24 hours", "", "", ""], "0"), 0.0);
    assert_eq!(
        value_error(["<10 minutes", "", "", ""], "-5 minutes"),
        "a duration cannot be negative, got “-5 minutes”"
    );
}

#[test]
fn a_percentage_may_leave_out_its_sign_and_an_amount_its_dollar() {
    assert_eq!(number(["40%", "", "", ""], "45"), 45.0);
    assert_eq!(number(["40%", "", "", ""], "12.5%"), 12.5);
    assert_eq!(number(["$1M", "", "", ""], "1200000"), 1.2e6);
    assert_eq!(number(["$1M", "", "", ""], "$1.2M"), 1.2e6);
    assert_eq!(number(["$1M", "", "", ""], "-$20K"), -20e3);
}

// ------------------------------------------------ the check-in's example

#[test]
fn the_example_is_in_the_targets_unit_and_never_above_the_target() {
    let cases = [
        (["<24 hours", "", "", ""], "19 hours"),
        (["<10 minutes", "", "", ""], "8 minutes"),
        (["Baseline", "4 weeks", "3 weeks", "3 weeks"], "2 weeks"),
        (["21 days", "17 days", "14 days", "14 days"], "11 days"),
        (["$1.5M", "$3.5M", "$5.5M", "$7M"], "$5.6M"),
        (["80%", "85%", "90%", "90%+"], "72%"),
        (["1", "2", "3", "4"], "3"),
        (["—", "—", "—", "1"], "1"),
        (["Baseline", "Track", "Track", "4:1"], "3.2:1"),
        (["Zero", "", "", ""], "0"),
        (["±15%", "", "", ""], "12%"),
        (["1,000", "", "", ""], "800"),
    ];
    for (targets, example) in cases {
        assert_eq!(
            example_value(&spec(targets), Quarter::Q4).as_deref(),
            Some(example),
            "{targets:?}"
        );
    }
    assert_eq!(
        example_value(&spec(["MVP", "v1.0", "", ""]), Quarter::Q1),
        None
    );
    assert_eq!(
        example_value(&spec(["Baseline", "+25%", "+50%", "+75%"]), Quarter::Q2),
        None
    );
    // The quarter's own target first.
    assert_eq!(
        example_value(&spec(["10", "20", "30", "40"]), Quarter::Q1).as_deref(),
        Some("8")
    );
}

#[test]
fn the_hint_says_the_forms_accepted_with_an_example_below_the_target() {
    assert_eq!(
        value_hint(&spec(["40%", "", "", ""]), Quarter::Q1),
        "Enter a percentage such as 32%; the % sign may be left out."
    );
    assert_eq!(
        value_hint(&spec(["<24 hours", "", "", ""]), Quarter::Q1),
        "Enter a duration with its unit (days, weeks, hours) such as 19 hours."
    );
    assert_eq!(
        value_hint(&spec(["Baseline", "+25%", "", ""]), Quarter::Q2),
        "Enter a number."
    );
    assert_eq!(
        value_hint(&spec(["MVP", "", "", ""]), Quarter::Q1),
        "Choose the stage reached."
    );
    for form in ["1e6", "12,5", "1,000", "12.5"] {
        assert!(NUMBER_FORMS.contains(form), "{form}");
    }
}

// ------------------------------------------------ properties

/// Target-ish texts: seed spellings, garbage, numbers with slips, anything.
fn typed() -> impl Strategy<Value = String> {
    prop_oneof![
        proptest::sample::select(vec![
            "",
            "—",
            "TBD",
            "Track",
            "Baseline",
            "MVP",
            "v1.0",
            "Live by Q4",
            "+ Prod",
            "6-8",
            "18+",
            "$1.5M",
            "90%+",
            "<24 hours",
            "21 days",
            "4 weeks",
            "4:1",
            "Target 4:1",
            "±15%",
            "+25%",
            "Zero",
            "abc",
            "abc%%",
            "$",
            "-5",
            "1e6",
            "12,5",
            "1,000",
            "<10 minutes",
            "P1 <24hrs, P2 <72hrs",
            "≥4.5/5",
            "10-100x vs baseline",
        ])
        .prop_map(str::to_owned),
        "[<>≥≤±~+$-]{0,2}[0-9]{1,20}([.,][0-9]{1,4})?([eE][+-]?[0-9]{1,3})?[KMBkmx%]?( ?(days|hours|weeks|minutes|%))?[+]?",
        "\\PC{0,16}",
        ".{0,8}",
    ]
}

fn ladder() -> impl Strategy<Value = Option<Vec<String>>> {
    proptest::option::of(proptest::collection::vec(
        proptest::sample::select(vec!["Spec", "MVP", "v1.0", "Live", "Baseline", "abc", ""])
            .prop_map(str::to_owned),
        0..5,
    ))
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn whatever_is_accepted_is_scored_or_deliberately_not_scored(
        t in [typed(), typed(), typed(), typed()],
        stages in ladder(),
    ) {
        let found = check_targets(&t, stages.as_deref());
        prop_assert!(found.iter().all(|p| !p.message.is_empty()));
        if !found.is_empty() {
            return Ok(());
        }
        let s = OutcomeSpec::new(
            &t,
            OutcomeOptions { stages: stages.clone(), ..OutcomeOptions::default() },
        );
        for q in Quarter::ALL {
            let target = s.target(q);
            match target {
                Target::Text(x) => prop_assert!(false, "{t:?}: {q} accepted as unreadable {x:?}"),
                // A stage among numbers is resolved to not scored: only TBD
                // and Track may end up there.
                Target::NotScored => {
                    prop_assert_eq!(Target::parse(&t[q.index()]), Target::NotScored, "{:?}: {}", t, q);
                }
                Target::Stage(name) => {
                    prop_assert_eq!(s.kind(), OutcomeKind::Staged, "{:?}", t);
                    prop_assert!(
                        s.ladder().iter().any(|l| fold(l) == fold(name)),
                        "{:?}: {} off the ladder {:?}", t, name, s.ladder()
                    );
                }
                _ => {}
            }
            if let Some(unit) = target.unit() {
                let effective = match s.kind() {
                    OutcomeKind::Numeric(u) if unit == Unit::Count => u,
                    _ => unit,
                };
                if let Some(v) = target.met_at(s.direction(), None) {
                    prop_assert!(v.is_finite() && v.abs() <= 1e15, "{t:?}");
                    prop_assert!(
                        v >= 0.0 || effective.can_be_negative(),
                        "{t:?}: {q} {v} for {effective:?}"
                    );
                }
            }
        }
        prop_assert!(
            s.warnings().iter().all(|w| !w.contains("measured in numbers") && !w.contains("do not include")),
            "{t:?}: {:?}", s.warnings()
        );
    }

    #[test]
    fn a_value_accepted_is_a_finite_number_or_a_stage_of_the_ladder(
        t in [typed(), typed(), typed(), typed()],
        v in typed(),
    ) {
        let s = OutcomeSpec::new(&t, OutcomeOptions::default());
        match check_value(&s, &v) {
            Err(e) => prop_assert!(!e.to_string().is_empty()),
            Ok(ActualValue::Stage(i)) => prop_assert!(i < s.ladder().len()),
            Ok(ActualValue::Number(n)) => {
                prop_assert!(n.is_finite() && n.abs() <= 1e15, "{v:?}: {n}");
                if let OutcomeKind::Numeric(u) = s.kind() {
                    prop_assert!(n >= 0.0 || u.can_be_negative(), "{v:?} for {t:?}: {n}");
                }
                prop_assert!(number_slip(&v).is_none(), "{v:?} accepted with a slip");
            }
        }
    }

    #[test]
    fn the_example_reads_back_and_is_never_above_its_target(
        t in [typed(), typed(), typed(), typed()],
        q in 1u8..=4,
    ) {
        let s = OutcomeSpec::new(&t, OutcomeOptions::default());
        let q = Quarter::new(q).unwrap_or(Quarter::Q1);
        if let Some(example) = example_value(&s, q) {
            let read = check_value(&s, &example);
            prop_assert!(
                matches!(read, Ok(ActualValue::Number(_))),
                "{example:?} for {t:?}: {read:?}"
            );
            let highest = Quarter::ALL
                .iter()
                .filter_map(|o| s.target(*o).met_at(s.direction(), s.start()))
                .fold(f64::NEG_INFINITY, f64::max);
            if let Ok(ActualValue::Number(n)) = read {
                prop_assert!(
                    n <= highest + 1e-9 * highest.abs().max(1.0),
                    "{example:?} above every target of {t:?}"
                );
            }
        }
    }

    #[test]
    fn a_value_formatted_in_the_outcomes_unit_is_accepted_back(
        t in [typed(), typed(), typed(), typed()],
        n in 0u32..10_000_000,
    ) {
        let s = OutcomeSpec::new(&t, OutcomeOptions::default());
        if let OutcomeKind::Numeric(unit) = s.kind() {
            let text = format_in_unit(unit, f64::from(n) / 10.0);
            let read = check_value(&s, &text);
            prop_assert!(read.is_ok(), "{text:?} for {t:?}: {read:?}");
        }
    }
}
