//! Handoff moves and states, each with a hand-computed case, then properties.

use super::*;
use crate::domain::operations::sla::SlaTerm;
use crate::domain::operations::start_of_day;
use proptest::prelude::*;

fn day(m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, m, d).expect("valid test date")
}

/// 2026-`m`-`d` at `h`:00 UTC.
fn at(m: u32, d: u32, h: u32) -> Instant {
    start_of_day(day(m, d)) + TimeDelta::hours(i64::from(h))
}

fn step(at: Instant, kind: StepKind) -> Step {
    Step {
        at,
        by: "someone".to_string(),
        kind,
    }
}

const ITEMS: [&str; 4] = ["Milestones", "Timeline", "Staffing plan", "Budget"];

/// Handoff #1 of "acme", opened on 5 January at 00:00.
fn opened() -> Handoff {
    let mut h = Handoff::new(
        "acme",
        "sales-to-production",
        ITEMS.map(String::from).to_vec(),
    );
    h.record(step(at(1, 5, 0), StepKind::Opened)).expect("open");
    h
}

fn tick_all(h: &mut Handoff, when: Instant) {
    for i in 0..h.checklist.len() {
        h.record(step(when, StepKind::Ticked(i))).expect("tick");
    }
}

/// Opened 5 Jan 00:00, ticked and submitted at `submit`, accepted at `accept`.
fn handed_over(submit: Instant, accept: Instant) -> Handoff {
    let mut h = opened();
    tick_all(&mut h, submit);
    h.record(step(submit, StepKind::Submitted)).expect("submit");
    h.record(step(accept, StepKind::Accepted)).expect("accept");
    h
}

fn sla48() -> Sla {
    Sla::within_hours(48)
}

#[test]
fn accepted_complete_within_48_hours_is_compliant_and_first_pass() {
    let h = handed_over(at(1, 6, 10), at(1, 6, 15));
    let s = h.state(&sla48(), at(2, 1, 0));
    assert_eq!(s.standing, Standing::Compliant);
    assert!(s.is_first_pass());
    assert!(s.is_settled());
    assert_eq!(s.deadline, Deadline::At(at(1, 7, 0)));
    assert_eq!(s.due_at, Some(at(1, 7, 0)));
    assert_eq!(s.checklist_progress(), (4, 4));
    assert_eq!(s.words(), "done: accepted complete within SLA");
    assert_eq!(s.standing.label(), "done");
}

#[test]
fn accepted_exactly_at_the_deadline_is_on_time() {
    let h = handed_over(at(1, 6, 10), at(1, 7, 0));
    assert_eq!(h.state(&sla48(), at(1, 7, 0)).standing, Standing::Compliant);
}

#[test]
fn an_open_handoff_is_due_then_late_as_the_clock_runs() {
    let h = opened();
    let s = h.state(&sla48(), at(1, 6, 4));
    assert_eq!(s.words(), "due in 20 h");
    assert!(!s.is_settled());
    assert_eq!(h.state(&sla48(), at(1, 7, 0)).words(), "due in 0 min");
    let late = h.state(&sla48(), at(1, 7, 6));
    assert_eq!(late.words(), "late by 6 h");
    assert_eq!(late.standing.label(), "late");
    assert!(late.is_settled());
    assert_eq!(h.state(&sla48(), at(1, 10, 6)).words(), "late by 3 d 6 h");
}

#[test]
fn accepted_30_hours_late_is_breached() {
    let h = handed_over(at(1, 7, 20), at(1, 8, 6));
    let s = h.state(&sla48(), at(1, 9, 0));
    assert_eq!(s.standing, Standing::Breached);
    assert_eq!(s.faults, [Fault::AcceptedLate(TimeDelta::hours(30))]);
    assert_eq!(s.words(), "breached: accepted 30 h late");
    // Before its acceptance the same handoff was late.
    assert_eq!(h.state(&sla48(), at(1, 8, 5)).words(), "late by 29 h");
}

#[test]
fn accepted_with_an_item_unticked_is_breached_though_on_time() {
    let mut h = opened();
    for i in 0..3 {
        h.record(step(at(1, 6, 1), StepKind::Ticked(i)))
            .expect("tick");
    }
    h.record(step(at(1, 6, 2), StepKind::Submitted))
        .expect("submit");
    h.record(step(at(1, 6, 3), StepKind::Accepted))
        .expect("accept");
    let s = h.state(&sla48(), at(1, 6, 3));
    assert_eq!(s.standing, Standing::Breached);
    assert_eq!(s.faults, [Fault::Incomplete(vec!["Budget".to_string()])]);
    assert_eq!(s.words(), "breached: accepted with Budget unticked");
    assert!(s.is_first_pass(), "first pass says nothing of compliance");
}

#[test]
fn an_unticked_item_counts_as_missing() {
    let mut h = opened();
    tick_all(&mut h, at(1, 5, 1));
    h.record(step(at(1, 5, 2), StepKind::Unticked(1)))
        .expect("untick");
    h.record(step(at(1, 5, 2), StepKind::Unticked(3)))
        .expect("untick");
    h.record(step(at(1, 5, 3), StepKind::Submitted))
        .expect("submit");
    h.record(step(at(1, 5, 4), StepKind::Accepted))
        .expect("accept");
    let s = h.state(&sla48(), at(1, 5, 4));
    assert_eq!(
        s.words(),
        "breached: accepted with Timeline and Budget unticked"
    );
    assert_eq!(s.checklist_progress(), (2, 4));
}

#[test]
fn sent_back_then_accepted_in_time_is_compliant_but_not_first_pass() {
    let mut h = opened();
    tick_all(&mut h, at(1, 5, 9));
    h.record(step(at(1, 5, 10), StepKind::Submitted))
        .expect("submit");
    h.record(step(
        at(1, 5, 12),
        StepKind::SentBack("Budget missing the pod".into()),
    ))
    .expect("send back");
    let s = h.state(&sla48(), at(1, 5, 13));
    assert_eq!(s.phase, Phase::SentBack);
    assert_eq!(s.words(), "due in 35 h");
    h.record(step(at(1, 6, 6), StepKind::Submitted))
        .expect("resubmit");
    h.record(step(at(1, 6, 16), StepKind::Accepted))
        .expect("accept");
    let s = h.state(&sla48(), at(1, 8, 0));
    assert_eq!(s.standing, Standing::Compliant);
    assert_eq!(s.submissions, 2);
    assert!(!s.is_first_pass());
    assert_eq!(
        s.sent_back,
        [(at(1, 5, 12), "Budget missing the pod".to_string())]
    );
}

#[test]
fn a_lead_time_needs_its_date_and_then_counts_back_from_it() {
    // Handoff #2: pod request at least 7 days before the pod is needed.
    let sla = Sla::lead_days(7);
    let mut h = opened();
    let s = h.state(&sla, at(1, 6, 0));
    assert_eq!(s.standing, Standing::Waiting { needs_date: true });
    assert_eq!(s.due_at, None);
    assert!(s.words().contains("needs the date"));
    h.record(step(at(1, 6, 0), StepKind::NeededBy(day(2, 1))))
        .expect("date");
    let s = h.state(&sla, at(1, 20, 0));
    assert_eq!(s.deadline, Deadline::At(at(1, 25, 0)));
    assert_eq!(s.words(), "due in 5 d");
    tick_all(&mut h, at(1, 24, 0));
    h.record(step(at(1, 24, 0), StepKind::Submitted))
        .expect("submit");
    h.record(step(at(1, 24, 12), StepKind::Accepted))
        .expect("accept");
    assert_eq!(h.state(&sla, at(1, 30, 0)).standing, Standing::Compliant);
}

#[test]
fn a_lead_time_accepted_inside_the_week_is_breached() {
    let sla = Sla::lead_days(7);
    let mut h = opened();
    h.record(step(at(1, 6, 0), StepKind::NeededBy(day(2, 1))))
        .expect("date");
    tick_all(&mut h, at(1, 25, 0));
    h.record(step(at(1, 25, 0), StepKind::Submitted))
        .expect("submit");
    h.record(step(at(1, 26, 12), StepKind::Accepted))
        .expect("accept");
    let s = h.state(&sla, at(1, 30, 0));
    assert_eq!(s.words(), "breached: accepted 36 h late");
}

#[test]
fn a_later_needed_by_date_moves_the_deadline_from_then_on() {
    let sla = Sla::lead_days(7);
    let mut h = opened();
    h.record(step(at(1, 6, 0), StepKind::NeededBy(day(2, 1))))
        .expect("date");
    h.record(step(at(1, 27, 0), StepKind::NeededBy(day(3, 1))))
        .expect("date");
    assert_eq!(h.state(&sla, at(1, 26, 0)).words(), "late by 24 h");
    assert_eq!(h.state(&sla, at(1, 27, 0)).words(), "due in 26 d");
}

#[test]
fn an_answer_within_24_hours_runs_the_receivers_clock() {
    let sla = Sla::answer_within_hours(24);
    let mut h = opened();
    let s = h.state(&sla, at(1, 9, 0));
    assert_eq!(s.standing, Standing::Waiting { needs_date: false });
    assert_eq!(s.words(), "open, being prepared");
    tick_all(&mut h, at(1, 10, 0));
    h.record(step(at(1, 10, 0), StepKind::Submitted))
        .expect("submit");
    assert_eq!(h.state(&sla, at(1, 10, 20)).words(), "answer due in 4 h");
    assert_eq!(h.state(&sla, at(1, 11, 1)).words(), "answer late by 1 h");
    assert_eq!(h.state(&sla, at(1, 10, 20)).due_at, Some(at(1, 11, 0)));
    h.record(step(at(1, 11, 6), StepKind::Accepted))
        .expect("accept");
    let s = h.state(&sla, at(1, 12, 0));
    assert_eq!(s.words(), "breached: answered 6 h late");
}

#[test]
fn an_answer_in_time_is_compliant_and_a_late_send_back_already_counts() {
    let sla = Sla::answer_within_hours(24);
    let h = handed_over(at(1, 10, 0), at(1, 10, 23));
    assert_eq!(h.state(&sla, at(1, 12, 0)).standing, Standing::Compliant);

    let mut h = opened();
    tick_all(&mut h, at(1, 10, 0));
    h.record(step(at(1, 10, 0), StepKind::Submitted))
        .expect("submit");
    h.record(step(
        at(1, 11, 2),
        StepKind::SentBack("Timeline unclear".into()),
    ))
    .expect("send back");
    let s = h.state(&sla, at(1, 11, 3));
    assert!(s.is_settled(), "a late answer already decides it");
    assert_eq!(s.words(), "open, sent back; already answered 2 h late");
}

#[test]
fn the_seeds_handoff_2_holds_both_its_lead_time_and_its_answer_time() {
    let sla = Sla::lead_days(7).and(SlaTerm::AnswerWithinHours(24));
    let mut h = opened();
    h.record(step(at(1, 6, 0), StepKind::NeededBy(day(2, 1))))
        .expect("date");
    tick_all(&mut h, at(1, 20, 0));
    h.record(step(at(1, 20, 0), StepKind::Submitted))
        .expect("submit");
    // Both clocks run; the nearer one shows.
    assert_eq!(h.state(&sla, at(1, 20, 1)).words(), "answer due in 23 h");
    h.record(step(at(1, 22, 0), StepKind::Accepted))
        .expect("accept");
    let s = h.state(&sla, at(1, 22, 0));
    assert_eq!(
        s.words(),
        "breached: answered 24 h late",
        "on time for the lead time, but answered in 48 h"
    );
}

#[test]
fn a_handoff_before_its_trigger_is_not_opened() {
    let h = opened();
    let s = h.state(&sla48(), at(1, 4, 23));
    assert_eq!(s.standing, Standing::NotOpened);
    assert_eq!(s.words(), "not opened yet");
    assert_eq!(s.due_at, None);
    let none = Handoff::new("acme", "x", vec![]);
    assert_eq!(none.phase(), Phase::NotOpened);
}

#[test]
fn a_handoff_with_no_sla_is_never_late() {
    let h = opened();
    let s = h.state(&Sla::none(), at(12, 31, 0));
    assert_eq!(s.standing, Standing::Waiting { needs_date: false });
    assert!(!s.is_settled());
}

#[test]
fn a_replay_reads_only_the_steps_at_or_before_its_instant() {
    let mut h = opened();
    h.record(step(at(1, 5, 8), StepKind::Ticked(0)))
        .expect("tick");
    h.record(step(at(1, 5, 9), StepKind::Ticked(1)))
        .expect("tick");
    h.record(step(at(1, 5, 10), StepKind::Ticked(2)))
        .expect("tick");
    h.record(step(at(1, 5, 11), StepKind::Submitted))
        .expect("submit");
    h.record(step(
        at(1, 5, 15),
        StepKind::SentBack("Budget is blank".into()),
    ))
    .expect("back");
    h.record(step(at(1, 7, 10), StepKind::Ticked(3)))
        .expect("tick");
    h.record(step(at(1, 7, 11), StepKind::Submitted))
        .expect("resubmit");
    h.record(step(at(1, 7, 14), StepKind::Accepted))
        .expect("accept");
    let sla = sla48();
    let table = [
        (at(1, 4, 0), Phase::NotOpened, "not opened yet", (0, 4)),
        (at(1, 5, 0), Phase::Preparing, "due in 48 h", (0, 4)),
        (at(1, 5, 9), Phase::Preparing, "due in 39 h", (2, 4)),
        (at(1, 5, 11), Phase::Submitted, "due in 37 h", (3, 4)),
        (at(1, 5, 20), Phase::SentBack, "due in 28 h", (3, 4)),
        (at(1, 7, 9), Phase::SentBack, "late by 9 h", (3, 4)),
        (at(1, 7, 12), Phase::Submitted, "late by 12 h", (4, 4)),
        (
            at(1, 7, 14),
            Phase::Accepted,
            "breached: accepted 14 h late",
            (4, 4),
        ),
        (
            at(6, 1, 0),
            Phase::Accepted,
            "breached: accepted 14 h late",
            (4, 4),
        ),
    ];
    for (when, phase, words, progress) in table {
        let s = h.state(&sla, when);
        assert_eq!(
            (s.phase, s.words().as_str(), s.checklist_progress()),
            (phase, words, progress),
            "as of {when}"
        );
    }
}

#[test]
fn moves_out_of_turn_are_refused_with_a_reason() {
    let mut h = Handoff::new("acme", "x", vec!["One".into()]);
    assert_eq!(
        h.record(step(at(1, 5, 0), StepKind::Submitted)),
        Err("It is not open yet: its trigger has not fired.")
    );
    h.record(step(at(1, 5, 0), StepKind::Opened)).expect("open");
    assert_eq!(
        h.record(step(at(1, 5, 0), StepKind::Opened)),
        Err("It is already open.")
    );
    assert_eq!(
        h.record(step(at(1, 5, 1), StepKind::Ticked(1))),
        Err("There is no such checklist item.")
    );
    assert_eq!(
        h.record(step(at(1, 5, 1), StepKind::Accepted)),
        Err("It has not been submitted yet.")
    );
    h.record(step(at(1, 5, 2), StepKind::Submitted))
        .expect("submit");
    assert_eq!(
        h.record(step(at(1, 5, 2), StepKind::Submitted)),
        Err("It is already submitted and waiting for the receiver's answer.")
    );
    assert_eq!(
        h.record(step(at(1, 5, 3), StepKind::Ticked(0))),
        Err("It is submitted: the checklist waits for the receiver's answer.")
    );
    assert_eq!(
        h.record(step(at(1, 5, 3), StepKind::SentBack("  ".into()))),
        Err("Say why it is sent back.")
    );
    assert_eq!(
        h.record(step(at(1, 5, 1), StepKind::Accepted)),
        Err("A step cannot be dated before the step it follows.")
    );
    h.record(step(at(1, 5, 3), StepKind::Accepted))
        .expect("accept");
    assert_eq!(
        h.record(step(at(1, 5, 4), StepKind::SentBack("late idea".into()))),
        Err("It is already accepted.")
    );
    assert_eq!(h.steps.len(), 3);
    assert_eq!(h.phase(), Phase::Accepted);
    assert_eq!(StepKind::SentBack(String::new()).verb(), "send back");
}

#[test]
fn stored_steps_out_of_order_are_sorted_and_invalid_ones_skipped() {
    let h = Handoff {
        steps: vec![
            step(at(1, 5, 3), StepKind::Accepted),
            step(at(1, 5, 2), StepKind::Submitted),
            step(at(1, 5, 0), StepKind::Opened),
            step(at(1, 5, 1), StepKind::Ticked(0)),
            step(at(1, 5, 1), StepKind::Ticked(7)),
            step(at(1, 5, 4), StepKind::Submitted),
        ],
        ..Handoff::new("acme", "x", vec!["One".into()])
    };
    let s = h.state(&sla48(), at(1, 9, 0));
    assert_eq!(s.standing, Standing::Compliant);
    assert_eq!(s.submissions, 1);
}

// ---------------------------------------------------------------------------
// Properties over random valid histories.

fn arb_kind() -> impl Strategy<Value = StepKind> {
    prop_oneof![
        3 => (0usize..3).prop_map(StepKind::Ticked),
        1 => (0usize..3).prop_map(StepKind::Unticked),
        2 => Just(StepKind::Submitted),
        2 => Just(StepKind::Accepted),
        1 => Just(StepKind::SentBack("not yet".to_string())),
    ]
}

fn arb_sla() -> impl Strategy<Value = Sla> {
    prop_oneof![
        (1u32..200).prop_map(Sla::within_hours),
        (1u32..200).prop_map(Sla::answer_within_hours),
        ((1u32..200), (1u32..48))
            .prop_map(|(a, b)| Sla::within_hours(a).and(SlaTerm::AnswerWithinHours(b))),
        Just(Sla::none()),
    ]
}

/// A valid history: opened at 5 Jan 00:00, then moves `gap` hours apart
/// (the invalid ones dropped by `record`).
fn history(moves: &[(u32, StepKind)]) -> Handoff {
    let mut h = Handoff::new("acme", "x", vec!["A".into(), "B".into(), "C".into()]);
    let mut t = at(1, 5, 0);
    let _ = h.record(step(t, StepKind::Opened));
    for (gap, kind) in moves {
        t += TimeDelta::hours(i64::from(*gap));
        let _ = h.record(step(t, kind.clone()));
    }
    h
}

proptest! {
    #[test]
    fn a_replay_ignores_every_later_step(
        moves in prop::collection::vec((0u32..40, arb_kind()), 0..25),
        sla in arb_sla(),
        cut in 0i64..600,
    ) {
        let h = history(&moves);
        let as_of = at(1, 5, 0) + TimeDelta::hours(cut);
        let earlier = Handoff {
            steps: h.steps.iter().filter(|s| s.at <= as_of).cloned().collect(),
            ..h.clone()
        };
        prop_assert_eq!(h.state(&sla, as_of), earlier.state(&sla, as_of));
    }

    #[test]
    fn a_settled_handoff_stays_settled_and_compliance_never_changes_after(
        moves in prop::collection::vec((0u32..40, arb_kind()), 0..25),
        sla in arb_sla(),
        t1 in 0i64..600,
        later in 0i64..600,
    ) {
        let h = history(&moves);
        let first = h.state(&sla, at(1, 5, 0) + TimeDelta::hours(t1));
        let second = h.state(&sla, at(1, 5, 0) + TimeDelta::hours(t1 + later));
        if first.is_settled() {
            prop_assert!(second.is_settled());
        }
        if first.standing == Standing::Compliant {
            prop_assert_eq!(second.standing, Standing::Compliant);
        }
        if first.is_settled() && first.standing != Standing::Compliant {
            prop_assert_ne!(second.standing, Standing::Compliant);
        }
    }

    #[test]
    fn compliant_means_accepted_complete_in_time(
        moves in prop::collection::vec((0u32..40, arb_kind()), 0..25),
        sla in arb_sla(),
    ) {
        let h = history(&moves);
        let s = h.state(&sla, at(12, 31, 0));
        if s.standing == Standing::Compliant {
            let accepted = s.accepted_at.expect("compliant means accepted");
            prop_assert!(s.ticked.iter().all(|t| *t));
            if let Deadline::At(due) = s.deadline {
                prop_assert!(accepted <= due);
            }
        }
        prop_assert_eq!(s.is_first_pass(), s.is_accepted() && s.submissions == 1);
    }
}
