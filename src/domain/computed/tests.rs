use chrono::TimeDelta;

use super::*;
use crate::domain::operations::cycle::tests::{client_cycle, date, engagement};
use crate::domain::operations::handoff::{Handoff, Step, StepKind};
use crate::domain::operations::sources::end_of_day;
use crate::domain::operations::{Selection, compliance, start_of_day};
use crate::domain::pacing::{Rules, Status, Thresholds, evaluate};

const H1: &str = "sales-to-production";

fn year() -> FiscalYear {
    FiscalYear::new(date(2026, 1, 1))
}

fn outcome(targets: [&str; 4]) -> Outcome {
    Outcome {
        key: "h1-compliance".into(),
        name: "Handoff #1 compliance".into(),
        owners: vec!["wayan".into()],
        targets: targets.map(String::from),
        direction: None,
        cumulative: None,
        start: None,
        weight: 1.0,
        stages: None,
        actuals: vec![Actual {
            quarter: Quarter::Q1,
            value: "99%".into(),
            note: "typed before it was computed".into(),
            date: date(2026, 1, 2),
            seq: 1,
            by: Some("wayan".into()),
        }],
        computed: None,
    }
}

/// acme's #1 accepted on time on 6 Jan; beta's (SOW 2 Feb) never.
fn handoffs() -> Vec<Handoff> {
    let mut acme = Handoff::new("acme", H1, vec!["One".into()]);
    let t = start_of_day(date(2026, 1, 5));
    for (h, kind) in [
        (0, StepKind::Opened),
        (9, StepKind::Ticked(0)),
        (9, StepKind::Submitted),
        (30, StepKind::Accepted),
    ] {
        acme.record(Step {
            at: t + TimeDelta::hours(h),
            by: "x".into(),
            kind,
        })
        .expect("move");
    }
    let mut beta = Handoff::new("beta", H1, vec!["One".into()]);
    beta.record(Step {
        at: start_of_day(date(2026, 2, 2)),
        by: "x".into(),
        kind: StepKind::Opened,
    })
    .expect("move");
    vec![acme, beta]
}

fn rules() -> Rules {
    Rules {
        thresholds: Thresholds {
            on_pace: 0.9,
            slightly_off: 0.7,
        },
        carry_days: 0,
    }
}

#[test]
fn an_outcome_computed_from_records_gets_one_actual_per_started_quarter() {
    let cycles = vec![client_cycle()];
    let engagements = vec![
        engagement("acme", date(2026, 1, 5)),
        engagement("beta", date(2026, 2, 2)),
    ];
    let handoffs = handoffs();
    let records = Records {
        cycles: &cycles,
        engagements: &engagements,
        handoffs: &handoffs,
    };
    let source = Source::parse("handoff-compliance:sales-to-production").expect("words");
    let at = end_of_day(date(2026, 4, 10));
    let mut o = outcome(["90%", "90%", "90%", "90%"]);
    from_records(&mut o, source.clone(), &records, &year(), at);

    // Q1's value is read at the end of 31 March; Q2 has started, with
    // nothing due in it: explained, no value.
    let q1 = compliance(
        &records,
        &Selection::handoff_type(H1).due_in(year(), Quarter::Q1),
        end_of_day(date(2026, 3, 31)),
    );
    // Read on 10 April and every week before: one actual per change (acme
    // accepted on time on 6 Jan, read on 9 Jan; beta late from 4 Feb, read
    // on 6 Feb); the typed value is gone.
    let seen: Vec<(NaiveDate, &str, Option<&str>)> = o
        .actuals
        .iter()
        .map(|a| (a.date, a.value.as_str(), a.by.as_deref()))
        .collect();
    assert_eq!(
        seen,
        [
            (date(2026, 1, 9), "100%", None),
            (date(2026, 2, 6), "50%", None)
        ]
    );
    let counting = o
        .counting_actual(Quarter::Q1, date(2026, 4, 10))
        .expect("Q1 counts");
    assert_eq!(counting.note, q1.sentence);
    // Each day read (a week apart from the as-of day) gives the figure of
    // that day.
    for weeks in 1..15 {
        let d = date(2026, 4, 10) - chrono::Days::new(7 * weeks);
        if d < date(2026, 1, 1) {
            break;
        }
        let figure = compliance(
            &records,
            &Selection::handoff_type(H1).due_in(year(), Quarter::Q1),
            end_of_day(d),
        );
        assert_eq!(
            o.counting_actual(Quarter::Q1, d).map(|a| a.value.clone()),
            figure.percent.map(crate::domain::operations::percent_words),
            "{d}"
        );
    }
    let c = o.computed.as_ref().expect("computed");
    assert_eq!(c.source, source);
    assert_eq!(c.quarters.len(), 2);
    assert_eq!(c.quarters[1].quarter, Quarter::Q2);
    assert_eq!(c.quarters[1].value, None);
    assert_eq!(
        c.quarters[1].sentence,
        "no handoffs #1 due in Q2 settled yet"
    );
    assert!(o.is_computed());
    assert_eq!(
        o.explanation(Quarter::Q1).map(|e| e.link.as_str()),
        Some(
            "/engagements/handoffs?type=sales-to-production&quarter=1&as_of=2026-03-31&figure=compliance"
        )
    );

    // Pacing reads the computed value like a typed one.
    let eval = evaluate(
        &o.spec(),
        &o.entries(),
        &year(),
        date(2026, 4, 10),
        &rules(),
    );
    assert_eq!(eval.quarter(Quarter::Q1).status, Status::OffPace);
}

fn original(computed: bool) -> Original {
    Original {
        key: "co-revenue".into(),
        name: "Revenue".into(),
        whygo: "company-1".into(),
        whygo_title: "Grow revenue".into(),
        computed,
        actuals: vec![
            Actual {
                quarter: Quarter::Q1,
                value: "$1M".into(),
                note: String::new(),
                date: date(2026, 2, 1),
                seq: 1,
                by: Some("ben".into()),
            },
            Actual {
                quarter: Quarter::Q1,
                value: "$1.5M".into(),
                note: String::new(),
                date: date(2026, 3, 1),
                seq: 2,
                by: Some("ben".into()),
            },
        ],
    }
}

#[test]
fn an_outcome_copied_from_another_takes_its_check_ins() {
    let source = Source::parse("outcome:co-revenue").expect("words");
    let mut o = outcome(["$1M", "$2M", "$3M", "$4M"]);
    copy_from(
        &mut o,
        source,
        Some(&original(false)),
        &year(),
        date(2026, 2, 15),
    );
    assert_eq!(o.actuals, original(false).actuals);
    let e = o.explanation(Quarter::Q1).expect("Q1 explained");
    assert_eq!(e.value.as_deref(), Some("$1M"), "as of 15 Feb");
    assert_eq!(
        e.sentence,
        "copied from the check-ins of “Revenue” (Grow revenue)"
    );
    assert_eq!(e.link, "/whygos/company-1");
    assert!(o.explanation(Quarter::Q2).is_none());
}

#[test]
fn a_copy_of_a_missing_or_computed_outcome_has_no_value() {
    let source = Source::parse("outcome:co-revenue").expect("words");
    let mut chained = outcome(["$1M", "$2M", "$3M", "$4M"]);
    copy_from(
        &mut chained,
        source.clone(),
        Some(&original(true)),
        &year(),
        date(2026, 5, 1),
    );
    assert!(chained.actuals.is_empty());
    let e = chained.explanation(Quarter::Q2).expect("Q2 explained");
    assert_eq!(e.value, None);
    assert!(e.sentence.contains("is itself computed"), "{}", e.sentence);

    let mut missing = outcome(["$1M", "$2M", "$3M", "$4M"]);
    copy_from(&mut missing, source, None, &year(), date(2026, 5, 1));
    assert!(missing.actuals.is_empty());
    assert_eq!(
        missing
            .explanation(Quarter::Q1)
            .map(|e| e.sentence.as_str()),
        Some("no value: this plan has no outcome “co-revenue” to copy")
    );
}

#[test]
fn the_as_of_day_restates_its_sentence_when_only_the_sentence_changed() {
    let cycles = vec![client_cycle()];
    let engagements = vec![
        engagement("acme", date(2026, 1, 5)),
        engagement("beta", date(2026, 2, 2)),
    ];
    let handoffs = handoffs();
    let records = Records {
        cycles: &cycles,
        engagements: &engagements,
        handoffs: &handoffs,
    };
    let source = Source::parse("handoff-compliance:sales-to-production").expect("words");
    let mut o = outcome(["90%", "90%", "90%", "90%"]);
    // 3 Feb: still 100%, but beta is now on its clock.
    from_records(
        &mut o,
        source,
        &records,
        &year(),
        end_of_day(date(2026, 2, 3)),
    );
    let seen: Vec<(NaiveDate, &str, &str)> = o
        .actuals
        .iter()
        .map(|a| (a.date, a.value.as_str(), a.note.as_str()))
        .collect();
    assert_eq!(
        seen,
        [
            (
                date(2026, 1, 6),
                "100%",
                "1 of 1 handoffs #1 due in Q1 accepted complete within 48 h = 100%"
            ),
            (
                date(2026, 2, 3),
                "100%",
                "1 of 1 handoffs #1 due in Q1 accepted complete within 48 h = 100%; 1 more not settled yet"
            ),
        ]
    );
    assert!(o.actuals[0].seq < o.actuals[1].seq);
}

#[test]
fn a_quarter_is_read_on_the_as_of_day_each_week_before_and_its_last_day() {
    let y = year();
    assert_eq!(
        reading_days(&y, Quarter::Q1, date(2026, 1, 20)),
        [date(2026, 1, 6), date(2026, 1, 13), date(2026, 1, 20)]
    );
    // Over: the weeks that fall in it, and its last day.
    let q1 = reading_days(&y, Quarter::Q1, date(2026, 4, 3));
    assert_eq!(q1.first(), Some(&date(2026, 1, 2)));
    assert_eq!(&q1[q1.len() - 2..], [date(2026, 3, 27), date(2026, 3, 31)]);
    assert_eq!(q1.len(), 14);
    assert_eq!(
        reading_days(&y, Quarter::Q2, date(2026, 4, 3)),
        [date(2026, 4, 3)]
    );
}
