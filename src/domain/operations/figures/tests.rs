//! Figures over a small invented quarter of the seed's client cycle.
//!
//! Handoff #1 (Sales -> Production, within 48 h of the SOW) of:
//! - acme:  SOW 5 Jan, accepted complete 6 Jan 10:00 (compliant, first pass)
//! - beta:  SOW 2 Feb, accepted 5 Feb 06:00, 30 h late (breached)
//! - gamma: SOW 10 Mar, accepted on time without its Budget (breached)
//! - delta: SOW 1 Mar, sent back, resubmitted, accepted 2 Mar (compliant)
//! - eps:   SOW 29 Mar, due 31 Mar 00:00 (Q1), accepted 2 Apr (breached, in Q1)
//! - zeta:  SOW 31 Mar, due 2 Apr (Q2), accepted 31 Mar 10:00 (compliant, in Q2)
//! - lost:  SOW 10 Feb, never accepted, engagement lost on 1 Mar (withdrawn)
//!
//! acme also has #2 (Production -> Generative, 7 days' lead time, 24 h answer).

use super::*;
use crate::domain::operations::cycle::EngagementStatus;
use crate::domain::operations::cycle::tests::{client_cycle, date, engagement};
use crate::domain::operations::handoff::{Step, StepKind};
use crate::domain::operations::start_of_day;
use chrono::TimeDelta;

fn at(m: u32, d: u32, h: u32) -> Instant {
    start_of_day(date(2026, m, d)) + TimeDelta::hours(i64::from(h))
}

fn year() -> FiscalYear {
    FiscalYear::new(date(2026, 1, 1))
}

const ITEMS: [&str; 4] = ["Milestones", "Timeline", "Staffing plan", "Budget"];

/// A handoff opened at `opened`, then `moves` in order (each must be valid).
fn handoff(engagement: &str, t: &str, opened: Instant, moves: &[(Instant, StepKind)]) -> Handoff {
    let mut h = Handoff::new(engagement, t, ITEMS.map(String::from).to_vec());
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

/// Ticks every item, submits and accepts.
fn complete(submit: Instant, accept: Instant) -> Vec<(Instant, StepKind)> {
    let mut m: Vec<(Instant, StepKind)> = (0..4).map(|i| (submit, StepKind::Ticked(i))).collect();
    m.push((submit, StepKind::Submitted));
    m.push((accept, StepKind::Accepted));
    m
}

const H1: &str = "sales-to-production";
const H2: &str = "production-to-generative";

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
    acme.name = "Acme".into();
    acme.pod_started = Some(date(2026, 1, 26));
    let mut beta = engagement("beta", date(2026, 2, 2));
    beta.pod_started = Some(date(2026, 2, 26));
    let gamma = engagement("gamma", date(2026, 3, 10));
    let mut delta = engagement("delta", date(2026, 3, 1));
    delta.pod_started = Some(date(2026, 3, 19));
    let eps = engagement("eps", date(2026, 3, 29));
    let mut zeta = engagement("zeta", date(2026, 3, 31));
    zeta.pod_started = Some(date(2026, 4, 20));
    let mut lost = engagement("lost", date(2026, 2, 10));
    lost.status = EngagementStatus::Lost;
    lost.closed = Some(date(2026, 3, 1));
    let sow = |e: &Engagement| start_of_day(e.sow_signed.expect("sow"));

    let mut gamma_moves: Vec<(Instant, StepKind)> = (0..3)
        .map(|i| (at(3, 10, 8), StepKind::Ticked(i)))
        .collect();
    gamma_moves.push((at(3, 10, 9), StepKind::Submitted));
    gamma_moves.push((at(3, 11, 9), StepKind::Accepted));

    let mut delta_moves: Vec<(Instant, StepKind)> =
        (0..4).map(|i| (at(3, 1, 8), StepKind::Ticked(i))).collect();
    delta_moves.push((at(3, 1, 9), StepKind::Submitted));
    delta_moves.push((at(3, 1, 12), StepKind::SentBack("Budget is blank".into())));
    delta_moves.push((at(3, 1, 20), StepKind::Submitted));
    delta_moves.push((at(3, 2, 10), StepKind::Accepted));

    let mut acme2 = vec![(at(1, 6, 11), StepKind::NeededBy(date(2026, 1, 20)))];
    acme2.extend(complete(at(1, 9, 0), at(1, 9, 20)));

    let handoffs = vec![
        handoff("acme", H1, sow(&acme), &complete(at(1, 5, 9), at(1, 6, 10))),
        handoff("acme", H2, at(1, 6, 10), &acme2),
        handoff("beta", H1, sow(&beta), &complete(at(2, 4, 20), at(2, 5, 6))),
        handoff("gamma", H1, sow(&gamma), &gamma_moves),
        handoff("delta", H1, sow(&delta), &delta_moves),
        handoff("eps", H1, sow(&eps), &complete(at(4, 1, 9), at(4, 2, 10))),
        handoff(
            "zeta",
            H1,
            sow(&zeta),
            &complete(at(3, 31, 8), at(3, 31, 10)),
        ),
        handoff("lost", H1, sow(&lost), &[]),
    ];
    World {
        cycles: vec![client_cycle()],
        engagements: vec![acme, beta, gamma, delta, eps, zeta, lost],
        handoffs,
    }
}

fn ids(keys: &[&str], t: &str) -> Vec<HandoffId> {
    keys.iter()
        .map(|k| HandoffId {
            engagement: k.to_string(),
            handoff_type: t.to_string(),
        })
        .collect()
}

fn q(n: u8) -> Quarter {
    Quarter::new(n).expect("quarter")
}

#[test]
fn compliance_of_handoff_1_in_q1_counts_each_case_as_the_rules_say() {
    let w = world();
    let sel = Selection::handoff_type(H1).due_in(year(), q(1));
    let r = compliance(&w.records(), &sel, at(4, 15, 0));
    assert_eq!(r.met, ids(&["acme", "delta"], H1));
    assert_eq!(
        r.counted,
        ids(&["acme", "beta", "delta", "eps", "gamma"], H1)
    );
    assert_eq!(r.withdrawn, ids(&["lost"], H1));
    assert!(r.pending.is_empty());
    assert_eq!(r.percent, Some(40.0));
    assert_eq!(
        r.sentence,
        "2 of 5 handoffs #1 due in Q1 accepted complete within 48 h = 40%; \
         1 withdrawn (engagement lost)"
    );
}

#[test]
fn a_handoff_due_in_q1_and_accepted_in_q2_counts_in_q1_only() {
    let w = world();
    let q1 = Selection::handoff_type(H1).due_in(year(), q(1));
    let q2 = Selection::handoff_type(H1).due_in(year(), q(2));
    let eps = ids(&["eps"], H1);
    // Late on 31 March: counted in Q1, not met.
    let march = compliance(&w.records(), &q1, at(3, 31, 12));
    assert!(march.counted.contains(&eps[0]) && !march.met.contains(&eps[0]));
    // Accepted on 2 April: breached, still Q1's, never Q2's.
    let april = compliance(&w.records(), &q1, at(4, 3, 0));
    assert!(april.counted.contains(&eps[0]) && !april.met.contains(&eps[0]));
    let q2_figure = compliance(&w.records(), &q2, at(4, 3, 0));
    assert!(!q2_figure.counted.contains(&eps[0]));
    // zeta is due on 2 April and accepted on 31 March: Q2's, and met.
    assert_eq!(q2_figure.met, ids(&["zeta"], H1));
    assert_eq!(q2_figure.counted, ids(&["zeta"], H1));
}

#[test]
fn a_handoff_due_next_quarter_and_accepted_early_counts_there_at_once() {
    let w = world();
    let q2 = Selection::handoff_type(H1).due_in(year(), q(2));
    let r = compliance(&w.records(), &q2, at(3, 31, 12));
    assert_eq!(
        r.sentence,
        "1 of 1 handoffs #1 due in Q2 accepted complete within 48 h = 100%"
    );
}

#[test]
fn compliance_replays_the_records_as_they_stood_on_each_date() {
    let w = world();
    let sel = Selection::handoff_type(H1).due_in(year(), q(1));
    let table = [
        (at(1, 4, 0), "no handoffs #1 due in Q1 settled yet"),
        (
            at(1, 5, 12),
            "no handoffs #1 due in Q1 settled yet; 1 more not settled yet",
        ),
        (
            at(1, 6, 12),
            "1 of 1 handoffs #1 due in Q1 accepted complete within 48 h = 100%",
        ),
        (
            at(2, 4, 12),
            "1 of 2 handoffs #1 due in Q1 accepted complete within 48 h = 50%",
        ),
        (
            at(2, 20, 0),
            "1 of 3 handoffs #1 due in Q1 accepted complete within 48 h = 33%",
        ),
        (
            at(3, 1, 0),
            "1 of 2 handoffs #1 due in Q1 accepted complete within 48 h = 50%; \
             1 more not settled yet, 1 withdrawn (engagement lost)",
        ),
        (
            at(3, 31, 12),
            "2 of 5 handoffs #1 due in Q1 accepted complete within 48 h = 40%; \
             1 withdrawn (engagement lost)",
        ),
    ];
    for (when, sentence) in table {
        assert_eq!(
            compliance(&w.records(), &sel, when).sentence,
            sentence,
            "as of {when}"
        );
    }
}

#[test]
fn compliance_per_department_pair_and_per_engagement() {
    let w = world();
    let pair = Selection::departments("production", "generative");
    let r = compliance(&w.records(), &pair, at(4, 15, 0));
    assert_eq!(r.met, ids(&["acme"], H2));
    assert_eq!(
        r.sentence,
        "1 of 1 handoffs production → generative accepted complete within their SLA = 100%"
    );
    let acme = compliance(&w.records(), &Selection::engagement("acme"), at(4, 15, 0));
    assert_eq!(acme.counted.len(), 2);
    assert_eq!(
        acme.sentence,
        "2 of 2 handoffs of Acme accepted complete within their SLA = 100%"
    );
    let sales_prod = compliance(
        &w.records(),
        &Selection::departments("sales", "production").due_in(year(), q(1)),
        at(4, 15, 0),
    );
    assert_eq!(sales_prod.percent, Some(40.0));
}

#[test]
fn the_lead_time_type_words_its_sla_in_the_sentence() {
    let w = world();
    let r = compliance(&w.records(), &Selection::handoff_type(H2), at(1, 10, 0));
    assert_eq!(
        r.sentence,
        "1 of 1 handoffs #2 accepted complete 7 days before needed and answered within 24 h = 100%"
    );
    // Before its acceptance the lead-time handoff was pending.
    let before = compliance(&w.records(), &Selection::handoff_type(H2), at(1, 9, 10));
    assert_eq!(before.pending, ids(&["acme"], H2));
}

#[test]
fn an_unaccepted_handoff_of_a_lost_engagement_is_withdrawn_from_its_loss() {
    let w = world();
    let sel = Selection::engagement("lost");
    let before = compliance(&w.records(), &sel, at(2, 28, 0));
    assert_eq!(before.counted, ids(&["lost"], H1));
    assert_eq!(before.percent, Some(0.0));
    let after = compliance(&w.records(), &sel, at(3, 1, 0));
    assert!(after.counted.is_empty());
    assert_eq!(after.withdrawn, ids(&["lost"], H1));
    assert_eq!(
        after.sentence,
        "no handoffs of lost settled yet; 1 withdrawn (engagement lost)"
    );
}

#[test]
fn first_pass_rate_counts_accepted_handoffs_only() {
    let w = world();
    let sel = Selection::handoff_type(H1).due_in(year(), q(1));
    let r = first_pass_rate(&w.records(), &sel, at(4, 15, 0));
    assert_eq!(r.met, ids(&["acme", "beta", "eps", "gamma"], H1));
    assert_eq!(r.counted.len(), 5);
    assert_eq!(
        r.sentence,
        "4 of 5 accepted handoffs #1 due in Q1 were accepted on first submission = 80%; \
         1 withdrawn (engagement lost)"
    );
    let early = first_pass_rate(&w.records(), &sel, at(2, 20, 0));
    assert_eq!(
        early.sentence,
        "2 of 2 accepted handoffs #1 due in Q1 were accepted on first submission = 100%; \
         1 not accepted yet"
    );
    let none = first_pass_rate(&w.records(), &sel, at(1, 5, 12));
    assert_eq!(
        none.sentence,
        "no handoffs #1 due in Q1 accepted yet; 1 not accepted yet"
    );
}

#[test]
fn onboarding_days_average_the_pods_started_by_the_as_of_date() {
    let w = world();
    let q1 = Some(Period::new(year(), q(1)));
    let r = onboarding_days(&w.records(), q1, at(4, 15, 0));
    assert_eq!(
        r.items,
        [
            ("acme".into(), 21),
            ("beta".into(), 24),
            ("delta".into(), 18)
        ]
    );
    assert_eq!(r.value, Some(21.0));
    assert_eq!(
        r.sentence,
        "3 engagements whose pod started in Q1 took 63 days from SOW signed to pod started \
         = 21 days on average"
    );
    let feb = onboarding_days(&w.records(), q1, at(2, 20, 0));
    assert_eq!(
        feb.sentence,
        "1 engagement whose pod started in Q1 took 21 days from SOW signed to pod started \
         = 21 days on average"
    );
    let all = onboarding_days(&w.records(), None, at(12, 31, 0));
    assert_eq!(all.items.len(), 4);
    assert_eq!(all.value, Some(20.75), "zeta's 20 days join from Q2");
    let q3 = onboarding_days(&w.records(), Some(Period::new(year(), q(3))), at(12, 31, 0));
    assert_eq!(q3.value, None);
    assert_eq!(q3.sentence, "no engagement's pod started in Q3 yet");
}

#[test]
fn onboarding_skips_a_pod_started_before_its_sow_and_rounds_to_tenths() {
    let mut w = world();
    let mut bad = engagement("bad", date(2026, 2, 10));
    bad.pod_started = Some(date(2026, 2, 1));
    w.engagements.push(bad);
    let mut extra = engagement("extra", date(2026, 1, 1));
    extra.pod_started = Some(date(2026, 1, 21));
    w.engagements.push(extra);
    let r = onboarding_days(&w.records(), Some(Period::new(year(), q(1))), at(4, 1, 0));
    assert_eq!(
        r.skipped,
        [(
            "bad".to_string(),
            "pod started 9 days before its SOW was signed".to_string()
        )]
    );
    // (21 + 24 + 18 + 20) / 4 = 20.75
    assert_eq!(r.value, Some(20.75));
    assert!(
        r.sentence.ends_with("= 20.8 days on average"),
        "{}",
        r.sentence
    );
}

#[test]
fn active_engagements_are_counted_on_the_as_of_day() {
    let w = world();
    let r = active_engagements(&w.records(), None, at(3, 15, 0));
    assert_eq!(r.items, ["acme", "beta", "delta", "gamma"]);
    assert_eq!(r.value(), 4);
    assert_eq!(r.sentence, "4 engagements active on 15 Mar 2026");
    let feb = active_engagements(&w.records(), Some("client"), at(2, 20, 0));
    assert_eq!(feb.items, ["acme", "beta", "lost"]);
    assert_eq!(
        feb.sentence,
        "3 engagements active on 20 Feb 2026 (Client cycle)"
    );
    assert_eq!(
        active_engagements(&w.records(), Some("talent"), at(2, 20, 0)).value(),
        0
    );
}

#[test]
fn the_board_row_shows_each_type_of_the_cycle_in_order() {
    let w = world();
    let acme = w.records().engagement("acme").expect("acme");
    let row = w.records().board_row(acme, at(1, 8, 0));
    let cells: Vec<(u32, Option<String>)> = row
        .iter()
        .map(|(t, s)| (t.number, s.as_ref().map(HandoffState::words)))
        .collect();
    assert_eq!(
        cells,
        [
            (1, Some("done: accepted complete within SLA".to_string())),
            (2, Some("due in 5 d".to_string())),
            (3, None),
            (4, None),
        ]
    );
    let mut orphan = engagement("orphan", date(2026, 1, 5));
    orphan.cycle = "none".into();
    assert!(w.records().board_row(&orphan, at(1, 8, 0)).is_empty());
}

#[test]
fn records_of_unknown_types_or_engagements_are_left_out() {
    let mut w = world();
    w.handoffs.push(handoff(
        "nobody",
        H1,
        at(1, 5, 0),
        &complete(at(1, 5, 1), at(1, 5, 2)),
    ));
    w.handoffs
        .push(handoff("acme", "no-such-type", at(1, 5, 0), &[]));
    let r = compliance(&w.records(), &Selection::all(), at(4, 15, 0));
    assert!(r.counted.iter().all(|id| id.engagement != "nobody"));
    assert!(r.counted.iter().all(|id| id.handoff_type != "no-such-type"));
    assert_eq!(r.counted.len(), 7);
}
