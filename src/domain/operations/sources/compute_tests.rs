//! [`Source::compute`] over a small invented half-year of the client cycle
//! (calendar fiscal year 2026):
//!
//! Handoff #1 (Sales -> Production, within 48 h of the SOW):
//! - acme:  SOW 5 Jan, accepted complete 6 Jan 10:00 (met, first pass)
//! - beta:  SOW 2 Feb, accepted 5 Feb 06:00, 30 h late (breached)
//! - delta: SOW 1 Mar, sent back, accepted complete 2 Mar (met, not first pass)
//! - eps:   SOW 29 Mar, due 31 Mar 00:00 (Q1), accepted 2 Apr (breached, Q1's)
//! - zeta:  SOW 31 Mar, due 2 Apr (Q2), accepted 31 Mar 10:00 (met, Q2's)
//!
//! Pods: acme 26 Jan (21 days), beta 26 Feb (24 days), zeta 20 Apr (20 days).
//! Delivered: acme 10 Mar (closing report #4 accepted 12 Mar), beta 20 Mar
//! (none), delta 3 Apr (accepted 6 Apr). beta closed on 25 Mar.

use chrono::TimeDelta;

use super::*;
use crate::domain::operations::cycle::tests::{client_cycle, date, engagement};
use crate::domain::operations::cycle::{Cycle, Engagement, EngagementStatus};
use crate::domain::operations::figures::{active_engagements, compliance, first_pass_rate};
use crate::domain::operations::handoff::{Handoff, Step, StepKind};
use crate::domain::target::{OutcomeOptions, OutcomeSpec};

const H1: &str = "sales-to-production";
const H4: &str = "production-to-sales";

fn at(m: u32, d: u32, h: u32) -> Instant {
    start_of_day(date(2026, m, d)) + TimeDelta::hours(i64::from(h))
}

/// The end of a day of 2026, as a page as of that day reads the records.
fn eod(m: u32, d: u32) -> Instant {
    end_of_day(date(2026, m, d))
}

fn year() -> FiscalYear {
    FiscalYear::new(date(2026, 1, 1))
}

fn q(n: u8) -> Quarter {
    Quarter::new(n).expect("quarter")
}

fn handoff(engagement: &str, t: &str, opened: Instant, moves: &[(Instant, StepKind)]) -> Handoff {
    let mut h = Handoff::new(engagement, t, vec!["One".into(), "Two".into()]);
    let all = std::iter::once((opened, StepKind::Opened)).chain(moves.iter().cloned());
    for (at, kind) in all {
        h.record(Step {
            at,
            by: "someone".into(),
            kind,
        })
        .expect("valid move");
    }
    h
}

fn complete(submit: Instant, accept: Instant) -> Vec<(Instant, StepKind)> {
    vec![
        (submit, StepKind::Ticked(0)),
        (submit, StepKind::Ticked(1)),
        (submit, StepKind::Submitted),
        (accept, StepKind::Accepted),
    ]
}

struct World {
    cycles: Vec<Cycle>,
    engagements: Vec<Engagement>,
    handoffs: Vec<Handoff>,
}

impl World {
    fn records(&self) -> Records<'_> {
        Records {
            cycles: &self.cycles,
            engagements: &self.engagements,
            handoffs: &self.handoffs,
        }
    }
}

fn world() -> World {
    let mut acme = engagement("acme", date(2026, 1, 5));
    acme.pod_started = Some(date(2026, 1, 26));
    acme.delivered = Some(date(2026, 3, 10));
    let mut beta = engagement("beta", date(2026, 2, 2));
    beta.pod_started = Some(date(2026, 2, 26));
    beta.delivered = Some(date(2026, 3, 20));
    beta.closed = Some(date(2026, 3, 25));
    beta.status = EngagementStatus::Closed;
    let mut delta = engagement("delta", date(2026, 3, 1));
    delta.delivered = Some(date(2026, 4, 3));
    let eps = engagement("eps", date(2026, 3, 29));
    let mut zeta = engagement("zeta", date(2026, 3, 31));
    zeta.pod_started = Some(date(2026, 4, 20));
    let sow = |e: &Engagement| start_of_day(e.sow_signed.expect("sow"));

    let delta_moves = vec![
        (at(3, 1, 8), StepKind::Ticked(0)),
        (at(3, 1, 8), StepKind::Ticked(1)),
        (at(3, 1, 9), StepKind::Submitted),
        (at(3, 1, 12), StepKind::SentBack("Budget is blank".into())),
        (at(3, 1, 20), StepKind::Submitted),
        (at(3, 2, 10), StepKind::Accepted),
    ];
    let handoffs = vec![
        handoff("acme", H1, sow(&acme), &complete(at(1, 5, 9), at(1, 6, 10))),
        handoff(
            "acme",
            H4,
            at(3, 10, 0),
            &complete(at(3, 11, 9), at(3, 12, 10)),
        ),
        handoff("beta", H1, sow(&beta), &complete(at(2, 4, 20), at(2, 5, 6))),
        handoff("beta", H4, at(3, 20, 0), &[]),
        handoff("delta", H1, sow(&delta), &delta_moves),
        handoff(
            "delta",
            H4,
            at(4, 3, 0),
            &complete(at(4, 5, 9), at(4, 6, 9)),
        ),
        handoff("eps", H1, sow(&eps), &complete(at(4, 1, 9), at(4, 2, 10))),
        handoff(
            "zeta",
            H1,
            sow(&zeta),
            &complete(at(3, 31, 8), at(3, 31, 10)),
        ),
    ];
    World {
        cycles: vec![client_cycle()],
        engagements: vec![acme, beta, delta, eps, zeta],
        handoffs,
    }
}

fn source(words: &str) -> Source {
    Source::parse(words).expect("source words")
}

fn value(words: &str, quarter: u8, as_of: Instant) -> Option<String> {
    let w = world();
    source(words)
        .compute(&w.records(), &year(), q(quarter), as_of)
        .map(|c| c.value)
}

#[test]
fn compliance_is_the_figure_for_the_handoffs_due_in_the_quarter() {
    let w = world();
    let c = source("handoff-compliance:sales-to-production")
        .compute(&w.records(), &year(), q(1), eod(3, 31))
        .expect("a value");
    let sel = Selection::handoff_type(H1).due_in(year(), q(1));
    let figure = compliance(&w.records(), &sel, eod(3, 31));
    assert_eq!(c.sentence, figure.sentence);
    // acme and delta met; beta breached; eps late on 31 March.
    assert_eq!(
        c.sentence,
        "2 of 4 handoffs #1 due in Q1 accepted complete within 48 h = 50%"
    );
    assert_eq!(c.value, "50%");
    assert_eq!(c.number, 50.0);
    assert_eq!(c.unit, Unit::Percent);
    assert_eq!(
        c.link,
        "/engagements/handoffs?type=sales-to-production&quarter=1&as_of=2026-03-31&figure=compliance"
    );
    assert_eq!(c.date, date(2026, 3, 31));
}

#[test]
fn a_past_as_of_replays_the_value_the_records_gave_then() {
    let words = "handoff-compliance:sales-to-production";
    // 5 Jan: acme opened, its clock still runs: nothing countable yet.
    assert_eq!(value(words, 1, eod(1, 5)), None);
    // 6 Jan: acme accepted on time.
    assert_eq!(value(words, 1, eod(1, 6)), Some("100%".into()));
    // 4 Feb: beta due at 00:00 and not accepted: late.
    assert_eq!(value(words, 1, eod(2, 4)), Some("50%".into()));
    // 30 March: delta met; eps still on its clock (due 31 Mar 00:00).
    assert_eq!(value(words, 1, eod(3, 30)), Some("67%".into()));
    assert_eq!(value(words, 1, eod(3, 31)), Some("50%".into()));
}

#[test]
fn a_handoff_due_in_q1_and_accepted_in_q2_stays_in_q1_and_q1_keeps_its_final_value() {
    let words = "handoff-compliance:sales-to-production";
    // After Q1 ends its value is read at the end of 31 March, whatever
    // happens later: eps accepted on 2 April stays a breach of Q1.
    for as_of in [eod(4, 1), eod(4, 3), eod(6, 30), eod(12, 31)] {
        assert_eq!(value(words, 1, as_of), Some("50%".into()));
    }
    // Q2 holds zeta (due 2 April, accepted 31 March): met, and not eps.
    let w = world();
    let c = source(words)
        .compute(&w.records(), &year(), q(2), eod(4, 15))
        .expect("a value");
    assert_eq!(
        c.sentence,
        "1 of 1 handoffs #1 due in Q2 accepted complete within 48 h = 100%"
    );
}

#[test]
fn a_quarter_not_started_on_the_as_of_day_has_no_value() {
    for words in [
        "handoff-compliance:sales-to-production",
        "first-pass-rate",
        "active-engagements",
        "closing-reports:production-to-sales",
        "onboarding-days",
    ] {
        assert_eq!(value(words, 2, eod(3, 31)), None, "{words}");
        assert_eq!(value(words, 4, eod(6, 30)), None, "{words}");
    }
    // The first instant of a quarter has started it.
    assert_eq!(
        value("active-engagements", 2, start_of_day(date(2026, 4, 1))),
        Some("4".into())
    );
}

#[test]
fn first_pass_rate_counts_accepted_handoffs_due_in_the_quarter() {
    let w = world();
    let c = source("first-pass-rate:sales-to-production")
        .compute(&w.records(), &year(), q(1), eod(3, 31))
        .expect("a value");
    let sel = Selection::handoff_type(H1).due_in(year(), q(1));
    assert_eq!(
        c.sentence,
        first_pass_rate(&w.records(), &sel, eod(3, 31)).sentence
    );
    // acme and beta first pass; delta was sent back; eps not accepted yet.
    assert_eq!(c.value, "67%");
    assert!(c.link.ends_with("&figure=first-pass"), "{}", c.link);
    // Every type: #4 of acme counts too (due in Q1, first pass).
    let all = source("first-pass-rate")
        .compute(&w.records(), &year(), q(1), eod(3, 31))
        .expect("a value");
    assert_eq!(all.value, "75%");
    assert_eq!(
        all.link,
        "/engagements/handoffs?quarter=1&as_of=2026-03-31&figure=first-pass"
    );
}

#[test]
fn closing_reports_count_engagements_delivered_in_the_quarter() {
    let words = "closing-reports:production-to-sales";
    // 11 March: acme delivered, its report not accepted yet.
    assert_eq!(value(words, 1, eod(3, 9)), None);
    assert_eq!(value(words, 1, eod(3, 11)), Some("0%".into()));
    assert_eq!(value(words, 1, eod(3, 12)), Some("100%".into()));
    // beta delivered on 20 March without one.
    let w = world();
    let c = source(words)
        .compute(&w.records(), &year(), q(1), eod(5, 1))
        .expect("a value");
    assert_eq!(c.value, "50%");
    assert_eq!(
        c.sentence,
        "1 of 2 engagements delivered in Q1 have their closing report (#4) accepted = 50%"
    );
    assert!(c.link.ends_with("&figure=closing-reports"), "{}", c.link);
    // delta, delivered on 3 April, is Q2's.
    assert_eq!(value(words, 2, eod(4, 5)), Some("0%".into()));
    assert_eq!(value(words, 2, eod(4, 6)), Some("100%".into()));
}

#[test]
fn active_engagements_are_counted_on_the_as_of_day_or_the_quarters_last() {
    let w = world();
    let c = source("active-engagements")
        .compute(&w.records(), &year(), q(1), eod(3, 24))
        .expect("a value");
    // acme, beta, delta; eps and zeta are not signed yet.
    assert_eq!(c.value, "3");
    assert_eq!(
        c.sentence,
        active_engagements(&w.records(), None, eod(3, 24)).sentence
    );
    assert_eq!(c.link, "/engagements?as_of=2026-03-24");
    // beta closed on 25 March; eps and zeta signed on 29 and 31 March.
    assert_eq!(value("active-engagements", 1, eod(3, 25)), Some("2".into()));
    assert_eq!(value("active-engagements", 1, eod(8, 1)), Some("4".into()));
    assert_eq!(
        value("active-engagements:client", 1, eod(1, 10)),
        Some("1".into())
    );
    assert_eq!(
        value("active-engagements:talent", 1, eod(1, 10)),
        Some("0".into())
    );
}

#[test]
fn onboarding_days_average_the_pods_started_in_the_quarter() {
    let w = world();
    let c = source("onboarding-days")
        .compute(&w.records(), &year(), q(1), eod(3, 31))
        .expect("a value");
    assert_eq!(c.value, "22.5 days");
    assert_eq!(c.number, 22.5);
    assert_eq!(c.unit, Unit::Days);
    assert_eq!(
        c.sentence,
        "2 engagements whose pod started in Q1 took 45 days from SOW signed to pod started = 22.5 days on average"
    );
    assert_eq!(c.link, "/engagements?as_of=2026-03-31");
    // Before beta's pod started, acme alone.
    assert_eq!(
        value("onboarding-days", 1, eod(2, 1)),
        Some("21 days".into())
    );
    assert_eq!(value("onboarding-days", 1, eod(1, 20)), None);
    assert_eq!(value("onboarding-days", 2, eod(4, 19)), None);
    assert_eq!(
        value("onboarding-days", 2, eod(4, 20)),
        Some("20 days".into())
    );
}

#[test]
fn an_outcome_source_is_not_computed_from_records() {
    assert_eq!(value("outcome:co-revenue", 1, eod(3, 31)), None);
}

#[test]
fn an_unknown_handoff_type_has_no_value() {
    assert_eq!(value("handoff-compliance:nope", 1, eod(3, 31)), None);
    assert_eq!(value("closing-reports:nope", 1, eod(3, 31)), None);
}

fn spec(targets: [&str; 4]) -> OutcomeSpec {
    OutcomeSpec::new(&targets.map(String::from), OutcomeOptions::default())
}

#[test]
fn the_value_is_worded_so_the_outcomes_targets_read_it() {
    let w = world();
    let records = w.records();
    let pct = source("handoff-compliance:sales-to-production")
        .compute(&records, &year(), q(1), eod(3, 31))
        .expect("a value");
    let days = source("onboarding-days")
        .compute(&records, &year(), q(1), eod(3, 31))
        .expect("a value");
    let count = source("active-engagements")
        .compute(&records, &year(), q(1), eod(3, 24))
        .expect("a value");
    let cases = [
        (&pct, spec(["80%", "85%", "90%", "95%"]), "50%", 50.0),
        (&pct, spec(["80", "85", "90", "95"]), "50", 50.0),
        (
            &days,
            spec(["<30 days", "<25 days", "21 days", "21 days"]),
            "22.5 days",
            22.5,
        ),
        (&days, spec(["30", "25", "21", "21"]), "22.5", 22.5),
        (&count, spec(["4", "6", "8", "10"]), "3", 3.0),
        (&count, spec(["4+", "6+", "8+", "10+"]), "3", 3.0),
    ];
    for (c, s, words, number) in cases {
        let typed = c.words_for(&s);
        assert_eq!(typed, words);
        assert_eq!(
            s.parse_actual(&typed),
            Ok(crate::domain::target::ActualValue::Number(number)),
            "{typed}"
        );
    }
}

#[test]
fn a_day_ends_at_its_last_microsecond() {
    assert_eq!(
        end_of_day(date(2026, 3, 31)).to_rfc3339(),
        "2026-03-31T23:59:59.999999+00:00"
    );
}
