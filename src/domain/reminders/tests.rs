use super::*;
use crate::domain::pacing::Thresholds;
use crate::domain::plan::{
    Actual, Approval, Coverage, Department, Level, Outcome, Person, Tenant, WhyGo,
};

fn date(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").expect("test date")
}

fn person(key: &str, dept: &str, reports_to: Option<&str>) -> Person {
    Person {
        key: key.to_owned(),
        name: format!("Person {key}"),
        title: String::new(),
        department: Some(dept.to_owned()),
        reports_to: reports_to.map(str::to_owned),
    }
}

fn outcome(key: &str, owners: &[&str], targets: [&str; 4], entered: &[&str]) -> Outcome {
    Outcome {
        key: key.to_owned(),
        name: format!("Outcome {key}"),
        owners: owners.iter().map(|o| (*o).to_owned()).collect(),
        targets: targets.map(str::to_owned),
        direction: None,
        cumulative: Some(false),
        start: None,
        weight: 1.0,
        stages: None,
        actuals: entered
            .iter()
            .enumerate()
            .map(|(i, d)| Actual {
                quarter: Quarter::Q4,
                value: "100".to_owned(),
                note: String::new(),
                date: date(d),
                seq: i as i64,
                by: None,
            })
            .collect(),
        computed: None,
    }
}

fn whygo(key: &str, status: Approval, outcomes: Vec<Outcome>) -> WhyGo {
    WhyGo {
        key: key.to_owned(),
        level: Level::Department,
        department: Some("ops".to_owned()),
        person: None,
        owner: Some("head".to_owned()),
        number: Some(1),
        title: format!("WhyGO {key}"),
        why: String::new(),
        goal: String::new(),
        status,
        ladders_to: vec![],
        outcomes,
    }
}

/// Ops: Hal heads it; Ivy and Jo report to Max, who reports to Hal.
fn plan(whygos: Vec<WhyGo>) -> Plan {
    Plan {
        tenant: Tenant {
            slug: "acme".to_owned(),
            name: "Acme".to_owned(),
            fiscal_year_start: date("2026-01-01"),
            thresholds: Thresholds::default(),
            carry_days: crate::domain::pacing::DEFAULT_CARRY_DAYS,
            individuals_visible_to_all: false,
        },
        departments: vec![Department {
            key: "ops".to_owned(),
            name: "Ops".to_owned(),
            head: Some("hal".to_owned()),
        }],
        people: vec![
            person("hal", "ops", None),
            person("max", "ops", Some("hal")),
            person("ivy", "ops", Some("max")),
            person("jo", "ops", Some("max")),
        ],
        whygos: whygos.into_iter().map(std::sync::Arc::new).collect(),
        cascade_only: vec![],
        coverage: Coverage::All,
        hidden: vec![],
    }
}

const T: [&str; 4] = ["100", "100", "100", "100"];

#[test]
fn weekdays_are_numbered_from_monday_as_stored() {
    assert_eq!(weekday_from_number(1), Some(Weekday::Mon));
    assert_eq!(weekday_from_number(5), Some(Weekday::Fri));
    assert_eq!(weekday_from_number(7), Some(Weekday::Sun));
    assert_eq!(weekday_from_number(0), None);
    assert_eq!(weekday_from_number(8), None);
    for n in 1..=7 {
        assert_eq!(weekday_from_number(n).map(weekday_number), Some(n));
    }
}

#[test]
fn a_week_is_named_by_its_check_in_day_and_starts_six_days_before() {
    // Friday 20 November 2026.
    let fri = date("2026-11-20");
    assert_eq!(week_of(date("2026-11-14"), Weekday::Fri), fri);
    assert_eq!(week_of(fri, Weekday::Fri), fri);
    assert_eq!(
        week_of(date("2026-11-21"), Weekday::Fri),
        date("2026-11-27")
    );
    assert_eq!(week_start(fri), date("2026-11-14"));
    assert_eq!(last_before(fri, Weekday::Fri), date("2026-11-13"));
    assert_eq!(last_before(date("2026-11-21"), Weekday::Fri), fri);
}

#[test]
fn the_reminder_goes_from_the_lead_day_to_the_check_in_day() {
    let s = Schedule::default();
    let fri = date("2026-11-20");
    assert_eq!(due_today(&s, date("2026-11-18"), 9).remind, None);
    assert_eq!(due_today(&s, date("2026-11-19"), 9).remind, Some(fri));
    assert_eq!(
        due_today(&s, fri, 9).remind,
        Some(fri),
        "a late scan catches up"
    );
    assert_eq!(
        due_today(&s, date("2026-11-19"), 7),
        DueToday::default(),
        "before the send hour"
    );
}

#[test]
fn escalations_go_to_the_manager_then_the_head_until_the_next_check_in_day() {
    let s = Schedule::default();
    let fri = date("2026-11-20");
    assert_eq!(
        due_today(&s, fri, 9).escalate,
        Some((date("2026-11-13"), Escalation::Head))
    );
    assert_eq!(
        due_today(&s, date("2026-11-21"), 9).escalate,
        Some((fri, Escalation::Manager))
    );
    assert_eq!(
        due_today(&s, date("2026-11-22"), 9).escalate,
        Some((fri, Escalation::Manager))
    );
    assert_eq!(
        due_today(&s, date("2026-11-23"), 9).escalate,
        Some((fri, Escalation::Head))
    );
    assert_eq!(
        due_today(&s, date("2026-11-26"), 9).escalate,
        Some((fri, Escalation::Head))
    );
}

#[test]
fn the_digest_goes_on_its_day_and_reminders_can_be_off() {
    let mut s = Schedule::default();
    assert_eq!(
        due_today(&s, date("2026-11-23"), 9).digest,
        Some(date("2026-11-23"))
    );
    assert_eq!(due_today(&s, date("2026-11-24"), 9).digest, None);
    s.reminders = false;
    let due = due_today(&s, date("2026-11-23"), 9);
    assert_eq!((due.remind, due.escalate), (None, None));
    s.digest = None;
    assert!(due_today(&s, date("2026-11-23"), 9).is_empty());
}

#[test]
fn an_outcome_is_due_for_each_owner_until_an_actual_is_entered_in_the_week() {
    let p = plan(vec![whygo(
        "ops-1",
        Approval::Approved,
        vec![
            outcome("a", &["ivy", "jo"], T, &["2026-11-10"]),
            outcome("b", &["ivy"], T, &["2026-11-16"]),
        ],
    )]);
    let fri = date("2026-11-20");
    let due = checkins_due(&p, fri, date("2026-11-19"));
    let names = |k: &str| -> Vec<String> {
        due.get(k)
            .map(|v| v.iter().map(|o| o.outcome.clone()).collect())
            .unwrap_or_default()
    };
    assert_eq!(
        names("ivy"),
        ["a"],
        "b has an actual this week (Monday 16th)"
    );
    assert_eq!(names("jo"), ["a"]);
    assert_eq!(due["ivy"][0].quarter, Quarter::Q4);
    assert_eq!(due["ivy"][0].last.as_deref(), Some("100"));
}

#[test]
fn drafts_computed_and_unscored_outcomes_are_never_due() {
    let mut computed = outcome("c", &["ivy"], T, &[]);
    computed.computed = Some(crate::domain::plan::Computation {
        source: crate::domain::operations::Source::ActiveEngagements { cycle: None },
        quarters: vec![],
    });
    let p = plan(vec![
        whygo(
            "draft",
            Approval::Draft,
            vec![outcome("d", &["ivy"], T, &[])],
        ),
        whygo(
            "ops-1",
            Approval::Approved,
            vec![
                computed,
                outcome("tbd", &["ivy"], ["TBD", "TBD", "TBD", "TBD"], &[]),
            ],
        ),
    ]);
    assert!(checkins_due(&p, date("2026-11-20"), date("2026-11-19")).is_empty());
}

#[test]
fn nothing_is_due_outside_the_fiscal_year() {
    let p = plan(vec![whygo(
        "ops-1",
        Approval::Approved,
        vec![outcome("a", &["ivy"], T, &[])],
    )]);
    assert!(checkins_due(&p, date("2027-01-01"), date("2026-12-31")).is_empty());
    assert!(!checkins_due(&p, date("2026-12-25"), date("2026-12-24")).is_empty());
}

#[test]
fn escalations_name_the_missing_to_their_manager_and_the_snoozed_with_their_reason() {
    let p = plan(vec![whygo(
        "ops-1",
        Approval::Approved,
        vec![
            outcome("a", &["ivy"], T, &[]),
            outcome("b", &["jo"], T, &[]),
            outcome("c", &["max"], T, &[]),
        ],
    )]);
    let due = checkins_due(&p, date("2026-11-20"), date("2026-11-21"));
    let snoozes = BTreeMap::from([("jo".to_owned(), "on leave".to_owned())]);
    let to_managers = escalations(&p, &due, &snoozes, Escalation::Manager);
    let max = &to_managers["max"];
    assert_eq!(max.missed.len(), 1);
    assert_eq!(max.missed[0].person, "ivy");
    assert_eq!(
        max.snoozed,
        [Snoozed {
            person: "jo".into(),
            reason: "on leave".into()
        }]
    );
    assert_eq!(to_managers["hal"].missed[0].person, "max");

    // The head hears of everyone in the department but themselves, and of
    // no snoozed week.
    let to_heads = escalations(&p, &due, &snoozes, Escalation::Head);
    let hal = &to_heads["hal"];
    let people: Vec<&str> = hal.missed.iter().map(|m| m.person.as_str()).collect();
    assert_eq!(people, ["max", "ivy"]);
    assert!(hal.snoozed.is_empty());
    assert_eq!(to_heads.len(), 1);
}

#[test]
fn digest_recipients_read_back_what_they_write() {
    for r in DigestRecipients::ALL {
        assert_eq!(DigestRecipients::parse(r.as_str()), Some(r));
    }
    assert_eq!(DigestRecipients::parse("everyone"), None);
}
