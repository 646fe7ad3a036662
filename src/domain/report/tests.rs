use super::*;
use crate::domain::pacing::Thresholds;
use crate::domain::plan::{Actual, Department, Outcome, Person, Tenant, WhyGo};

fn date(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").expect("test date")
}

fn outcome(key: &str, targets: [&str; 4], actuals: &[(u8, &str, &str, &str)]) -> Outcome {
    Outcome {
        key: key.to_owned(),
        name: format!("Outcome {key}"),
        owners: vec!["ann".to_owned()],
        targets: targets.map(str::to_owned),
        direction: None,
        cumulative: Some(false),
        start: None,
        weight: 1.0,
        stages: None,
        actuals: actuals
            .iter()
            .enumerate()
            .map(|(i, (q, v, d, note))| Actual {
                quarter: Quarter::new(*q).expect("quarter"),
                value: (*v).to_owned(),
                note: (*note).to_owned(),
                date: date(d),
                seq: i as i64,
                by: Some("ann".to_owned()),
            })
            .collect(),
        computed: None,
    }
}

fn whygo(key: &str, level: Level, dept: Option<&str>, outcomes: Vec<Outcome>) -> WhyGo {
    WhyGo {
        key: key.to_owned(),
        level,
        department: dept.map(str::to_owned),
        person: None,
        owner: Some("ann".to_owned()),
        number: Some(1),
        title: format!("WhyGO {key}"),
        why: String::new(),
        goal: String::new(),
        status: Approval::Approved,
        ladders_to: vec![],
        outcomes,
    }
}

/// Level targets of 100 all year; as of the end of Q1 an actual of 100 is
/// [+], 90 is [~], 50 is [-], and no actual is missing.
fn plan() -> Plan {
    let t = ["100", "100", "100", "100"];
    Plan {
        tenant: Tenant {
            slug: "acme".to_owned(),
            name: "Acme | Co".to_owned(),
            fiscal_year_start: date("2026-01-01"),
            thresholds: Thresholds::default(),
            carry_days: crate::domain::pacing::DEFAULT_CARRY_DAYS,
            individuals_visible_to_all: false,
        },
        departments: vec![
            Department {
                key: "ops".to_owned(),
                name: "Ops".to_owned(),
                head: Some("ann".to_owned()),
            },
            Department {
                key: "exec".to_owned(),
                name: "Exec".to_owned(),
                head: None,
            },
        ],
        people: vec![Person {
            key: "ann".to_owned(),
            name: "Ann Lee".to_owned(),
            title: "COO".to_owned(),
            department: Some("ops".to_owned()),
            reports_to: None,
        }],
        whygos: vec![
            whygo(
                "c1",
                Level::Company,
                None,
                vec![
                    outcome("on", t, &[(1, "100", "2026-03-20", "")]),
                    outcome("slight", t, &[(1, "90", "2026-03-20", "waiting on legal")]),
                ],
            ),
            whygo(
                "c2",
                Level::Company,
                None,
                vec![outcome(
                    "off",
                    t,
                    &[(1, "50", "2026-03-20", "hiring | delayed")],
                )],
            ),
            whygo(
                "d1",
                Level::Department,
                Some("ops"),
                vec![outcome("gap", t, &[])],
            ),
            {
                let mut w = whygo(
                    "old",
                    Level::Department,
                    Some("ops"),
                    vec![outcome("gone", t, &[])],
                );
                w.status = Approval::Archived;
                w
            },
            {
                let mut w = whygo(
                    "idea",
                    Level::Department,
                    Some("ops"),
                    vec![outcome("draft", t, &[])],
                );
                w.status = Approval::Draft;
                w
            },
        ]
        .into_iter()
        .map(Arc::new)
        .collect(),
        cascade_only: vec![],
        coverage: Default::default(),
        hidden: vec![],
    }
}

#[test]
fn the_company_is_the_mean_of_its_whygos_and_counts_every_status() {
    let r = build(&plan(), date("2026-03-31"));
    assert_eq!(r.quarter, Quarter::new(1).expect("q1"));
    // c1 = mean(1.0, 0.9) = 0.95, c2 = 0.5: company = 0.725.
    let credit = r.company.credit.expect("scored");
    assert!((credit - 0.725).abs() < 1e-9, "{credit}");
    assert_eq!(r.company.status, Status::OffPace);
    assert_eq!(
        (
            r.company.counts.on_pace,
            r.company.counts.slightly_off,
            r.company.counts.off_pace
        ),
        (1, 1, 1)
    );
}

#[test]
fn lists_sort_outcomes_by_status_with_owner_names_and_last_notes() {
    let r = build(&plan(), date("2026-03-31"));
    assert_eq!(r.escalations.len(), 1);
    assert_eq!(r.escalations[0].outcome, "off");
    assert_eq!(r.escalations[0].owners, vec!["Ann Lee".to_owned()]);
    assert_eq!(r.escalations[0].note.as_deref(), Some("hiring | delayed"));
    assert_eq!(r.needs_attention.len(), 1);
    assert_eq!(r.needs_attention[0].outcome, "slight");
    let missing: Vec<&str> = r.missing.iter().map(|a| a.outcome.as_str()).collect();
    assert_eq!(
        missing,
        vec!["gap"],
        "archived and draft WhyGOs are left out"
    );
}

#[test]
fn a_department_without_whygos_has_no_pace_and_one_with_only_missing_is_missing() {
    let r = build(&plan(), date("2026-03-31"));
    let keys: Vec<&str> = r.departments.iter().map(|d| d.key.as_str()).collect();
    assert_eq!(keys, vec!["ops"]);
    assert_eq!(r.departments[0].status, Status::Missing);
    assert_eq!(r.departments[0].counts.missing, 1);
}

#[test]
fn a_draft_whygo_is_reported_with_its_approval_state_but_counts_nowhere() {
    let r = build(&plan(), date("2026-03-31"));
    let draft = r
        .whygos
        .iter()
        .find(|w| w.key == "idea")
        .expect("the draft is reported");
    assert_eq!(draft.approval, Approval::Draft);
    assert_eq!(draft.counts.missing, 1, "its own pace is still computed");
    assert!(
        r.whygos.iter().all(|w| w.key != "old"),
        "archived WhyGOs are not"
    );
    assert_eq!(
        r.departments[0].counts.missing, 1,
        "only the approved WhyGO counts"
    );
}

#[test]
fn actuals_entered_after_the_as_of_date_are_ignored() {
    let r = build(&plan(), date("2026-03-19"));
    // Nothing was entered by March 19: everything scored is missing.
    assert_eq!(r.escalations.len(), 0);
    assert_eq!(r.missing.len(), 4);
}

#[test]
fn the_markdown_escapes_table_cells_and_lists_each_section() {
    let r = build(&plan(), date("2026-03-31"));
    let md = r.to_markdown();
    assert!(
        md.starts_with("# Weekly WhyGO report: Acme \\| Co\n"),
        "{md}"
    );
    assert!(
        md.contains("| Outcome off | WhyGO c2 | Ann Lee | 100 | 100 | 50 | hiring \\| delayed |"),
        "{md}"
    );
    let pace = format!(
        "- **Company KPIs** (the company WhyGOs' own pace): [-] {} (",
        percent(r.company.credit)
    );
    assert!(md.contains(&pace), "{md}");
    assert!(
        md.contains("- **Whole plan** (every approved company and department WhyGO): [-] "),
        "{md}"
    );
    assert!(md.contains("- **WhyGO c1**: own pace [~] 95% (1 [+], 1 [~], 0 [-], 0 needs check-in); nothing approved ladders here yet"), "{md}");
    assert!(
        md.contains("| Ops | WhyGO d1 | needs check-in — | nothing approved ladders here yet |"),
        "{md}"
    );
    assert!(
        md.contains("| Ops | needs check-in | — | 0 | 0 | 0 | 1 |"),
        "{md}"
    );
}

#[test]
fn another_quarter_can_be_reported_as_known_on_the_date() {
    let p = plan();
    let q2 = Quarter::new(2).expect("q2");
    let r = build_for(&p, date("2026-03-31"), q2);
    assert_eq!(r.quarter, q2);
    assert!(!r.quarter_judged, "Q2 has not started on March 31");
    assert_eq!(r.company.credit, None);
    assert!(r.escalations.is_empty() && r.missing.is_empty());
    let later = build_for(&p, date("2026-12-31"), Quarter::new(1).expect("q1"));
    assert!(later.quarter_judged);
    assert_eq!(
        later.escalations.len(),
        1,
        "Q1's result, as known at year end"
    );
}

#[test]
fn the_heatmap_agrees_with_the_report_of_each_quarter() {
    let p = plan();
    let as_of = date("2026-03-31");
    let rows = build(&p, as_of).heatmap(&p);
    let names: Vec<&str> = rows.iter().map(|r| r.name.as_str()).collect();
    assert_eq!(names, vec!["Company", "Ops"]);
    for q in Quarter::ALL {
        let r = build_for(&p, as_of, q);
        assert_eq!(rows[0].quarters[q.index()].credit, r.company.credit, "{q}");
        assert_eq!(rows[0].quarters[q.index()].status, r.company.status, "{q}");
        assert_eq!(
            rows[1].quarters[q.index()].status,
            r.departments[0].status,
            "{q}"
        );
    }
}

#[test]
fn the_json_uses_the_design_shape() {
    let v = serde_json::to_value(build(&plan(), date("2026-03-31"))).expect("json");
    assert_eq!(v["tenant"], "acme");
    assert_eq!(v["as_of"], "2026-03-31");
    assert_eq!(v["quarter"], 1);
    assert_eq!(v["company"]["status"], "-");
    assert_eq!(v["company"]["counts"]["+"], 1);
    assert_eq!(v["departments"][0]["status"], "missing");
    let q1 = &v["whygos"][0]["outcomes"][1]["quarters"][0];
    assert_eq!(q1["status"], "~");
    assert_eq!(q1["target"], "100");
    assert_eq!(q1["actual"], "90");
    assert!(
        q1["credit"]
            .as_f64()
            .is_some_and(|c| (c - 0.9).abs() < 1e-9)
    );
}

/// c1 gets two department WhyGOs laddering to it: d1 (primary, 100 of 100
/// = 1.0) and d2 (secondary to c1, primary to c2; 50 of 100 = 0.5).
fn laddered_plan() -> Plan {
    let t = ["100", "100", "100", "100"];
    let mut p = plan();
    for w in &mut p.whygos {
        if w.key == "d1" {
            let w = Arc::make_mut(w);
            w.ladders_to = vec!["c1".to_owned()];
            w.outcomes = vec![outcome("full", t, &[(1, "100", "2026-03-20", "")])];
        }
    }
    let mut d2 = whygo(
        "d2",
        Level::Department,
        Some("ops"),
        vec![outcome("half", t, &[(1, "50", "2026-03-20", "")])],
    );
    d2.ladders_to = vec!["c2".to_owned(), "c1".to_owned()];
    p.whygos.push(Arc::new(d2));
    p
}

#[test]
fn a_company_whygo_shows_its_own_pace_and_the_cascade_of_what_ladders_to_it() {
    let r = build(&laddered_plan(), date("2026-03-31"));
    let c1 = r.whygos.iter().find(|w| w.key == "c1").expect("c1");
    // Own: mean(1.0, 0.9) = 0.95. Cascade: (1.0 * 1 + 0.5 * 0.5) / 1.5.
    assert_eq!(c1.credit, Some(0.95));
    let cascade = c1.cascade.as_ref().expect("a company WhyGO has a cascade");
    let expected = (1.0 + 0.25) / 1.5;
    assert!((cascade.credit.expect("credit") - expected).abs() < 1e-9);
    assert_eq!(cascade.status, Status::SlightlyOff);
    assert_eq!(cascade.whygos, 2);
    let c2 = r.whygos.iter().find(|w| w.key == "c2").expect("c2");
    let cascade = c2.cascade.as_ref().expect("cascade");
    assert_eq!((cascade.credit, cascade.whygos), (Some(0.5), 1));
    // Neither replaces the other.
    assert_eq!(c2.credit, Some(0.5));
    assert_eq!(c1.status, Status::SlightlyOff);
}

#[test]
fn a_draft_child_does_not_count_in_the_cascade_and_individuals_have_none() {
    let mut p = laddered_plan();
    for w in &mut p.whygos {
        if w.key == "d2" {
            Arc::make_mut(w).status = Approval::Submitted;
        }
    }
    let r = build(&p, date("2026-03-31"));
    let c1 = r.whygos.iter().find(|w| w.key == "c1").expect("c1");
    let cascade = c1.cascade.as_ref().expect("cascade");
    assert_eq!((cascade.credit, cascade.whygos), (Some(1.0), 1));
    let d1 = r.whygos.iter().find(|w| w.key == "d1").expect("d1");
    assert_eq!(d1.cascade.as_ref().map(|c| c.whygos), Some(0));
}

#[test]
fn whole_plan_is_the_mean_over_company_and_department_whygos() {
    let r = build(&laddered_plan(), date("2026-03-31"));
    // Company KPIs: mean(c1 0.95, c2 0.5); whole plan adds d1 1.0 and d2 0.5.
    assert_eq!(r.company.credit, Some(0.725));
    let whole = r.whole_plan.credit.expect("credit");
    assert!(
        (whole - (0.95 + 0.5 + 1.0 + 0.5) / 4.0).abs() < 1e-9,
        "{whole}"
    );
    assert_eq!(r.whole_plan.counts.on_pace, 2);
}

#[test]
fn a_page_without_every_child_shows_no_cascade_for_it() {
    let mut p = laddered_plan();
    p.coverage = crate::domain::plan::Coverage::Org;
    let r = build(&p, date("2026-03-31"));
    let c1 = r.whygos.iter().find(|w| w.key == "c1").expect("c1");
    assert!(c1.cascade.is_some(), "company WhyGOs always have theirs");
    let d1 = r.whygos.iter().find(|w| w.key == "d1").expect("d1");
    assert!(
        d1.cascade.is_none(),
        "its individual WhyGOs were not loaded"
    );
    p.coverage = crate::domain::plan::Coverage::Department("ops".to_owned());
    let r = build(&p, date("2026-03-31"));
    let d1 = r.whygos.iter().find(|w| w.key == "d1").expect("d1");
    assert!(d1.cascade.is_some());
}

#[test]
fn a_whygo_loaded_only_for_the_cascade_counts_there_and_nowhere_else() {
    let t = ["100", "100", "100", "100"];
    let mut p = laddered_plan();
    p.coverage = crate::domain::plan::Coverage::Org;
    let mut ind = whygo(
        "ann-1",
        Level::Individual,
        Some("ops"),
        vec![outcome("ann-off", t, &[(1, "10", "2026-03-20", "")])],
    );
    ind.ladders_to = vec!["c2".to_owned()];
    p.cascade_only.push(Arc::new(ind));
    let r = build(&p, date("2026-03-31"));
    let c2 = r.whygos.iter().find(|w| w.key == "c2").expect("c2");
    let cascade = c2.cascade.as_ref().expect("cascade");
    // d2 (primary, 0.5) and ann-1 (primary, 0.1): (0.5 + 0.1) / 2.
    assert_eq!(cascade.whygos, 2);
    assert!((cascade.credit.expect("credit") - 0.3).abs() < 1e-9);
    assert!(r.whygos.iter().all(|w| w.key != "ann-1"), "not reported");
    assert!(
        r.escalations.iter().all(|a| a.whygo != "ann-1"),
        "not escalated"
    );
}

#[test]
fn the_json_carries_cascade_whole_plan_and_carried_readings() {
    let p = laddered_plan();
    // 1 April: Q2 has no entries yet; Q1's readings stand in.
    let r = build(&p, date("2026-04-01"));
    assert_eq!(r.quarter, Quarter::Q2);
    assert!(
        r.company.credit.is_some(),
        "the first morning of Q2 is not blank"
    );
    let v = serde_json::to_value(&r).expect("json");
    assert!(v["whole_plan"]["credit"].is_number());
    let c1 = &v["whygos"][0];
    assert_eq!(c1["key"], "c1");
    assert_eq!(c1["cascade"]["whygos"], 2);
    assert!(c1["cascade"]["credit"].is_number());
    let q2 = &c1["outcomes"][0]["quarters"][1];
    assert_eq!(q2["carried_from"], 1);
    assert_eq!(q2["actual"], "100");
    let q1 = &c1["outcomes"][0]["quarters"][0];
    assert!(
        q1.get("carried_from").is_none(),
        "only carried quarters say so"
    );
    // On the fifteenth day the carried readings are gone: missing check-ins.
    let r = build(&p, date("2026-04-15"));
    assert_eq!(r.company.credit, None);
    assert_eq!(r.company.status, Status::Missing);
}

#[test]
fn a_viewer_who_may_not_see_an_individual_whygo_gets_a_plan_without_it() {
    use crate::domain::permissions::{Actor, Role};
    let t = ["100", "100", "100", "100"];
    let mut p = laddered_plan();
    let mut ind = whygo(
        "ann-1",
        Level::Individual,
        Some("ops"),
        vec![outcome(
            "ann-off",
            t,
            &[(1, "10", "2026-03-20", "a private note")],
        )],
    );
    ind.person = Some("ann".to_owned());
    ind.ladders_to = vec!["c2".to_owned()];
    p.whygos.push(Arc::new(ind));
    let stranger = Actor {
        role: Role::Member,
        person: None,
    };
    let seen = p.clone().visible_to(&stranger);
    assert!(seen.whygos.iter().all(|w| w.key != "ann-1"));
    assert_eq!(seen.hidden.len(), 1);
    assert_eq!(seen.hidden[0].person, "ann");
    let r = build(&seen, date("2026-03-31"));
    let json = serde_json::to_string(&r).expect("json");
    assert!(!json.contains("ann-1") && !json.contains("a private note"));
    // Counted, unnamed, in the cascade pace: the same figure as the owner's.
    let own = build(
        &p.clone().visible_to(&Actor {
            role: Role::Member,
            person: Some("ann".to_owned()),
        }),
        date("2026-03-31"),
    );
    let c2 = |r: &Report| {
        r.whygos
            .iter()
            .find(|w| w.key == "c2")
            .and_then(|w| w.cascade.as_ref())
            .map(|c| (c.credit, c.whygos))
    };
    assert_eq!(c2(&r), c2(&own));
    assert_eq!(c2(&r).map(|(_, n)| n), Some(2));
    assert!(serde_json::to_string(&own).expect("json").contains("ann-1"));
}

/// A check-in brought into a plan in memory gives the report a plan read
/// with it would give.
#[test]
fn a_plan_brought_up_to_date_with_a_days_entries_reports_as_one_read_with_them() {
    let as_of = date("2026-03-31");
    let before = plan();
    let fresh_actual = Actual {
        quarter: Quarter::new(1).expect("quarter"),
        value: "100".to_owned(),
        note: String::new(),
        date: date("2026-03-25"),
        seq: 99,
        by: Some("ann".to_owned()),
    };
    let fresh = vec![("slight".to_owned(), fresh_actual.clone())];
    let patched = before
        .with_entries_of(&[date("2026-03-25")], &fresh)
        .expect("nothing copies it");
    let mut read = plan();
    Arc::make_mut(&mut read.whygos[0]).outcomes[1]
        .actuals
        .push(fresh_actual);
    let json = |p: &Plan| serde_json::to_value(build(p, as_of)).expect("the report as JSON");
    assert_eq!(json(&patched), json(&read));
    assert_ne!(json(&before), json(&read), "it matters");

    // A date's entries are replaced whole: what is not among them is gone.
    let only_on = vec![(
        "on".to_owned(),
        before.whygos[0].outcomes[0].actuals[0].clone(),
    )];
    let replaced = before
        .with_entries_of(&[date("2026-03-20")], &only_on)
        .expect("nothing copies it");
    assert_eq!(replaced.whygos[0].outcomes[0].actuals.len(), 1);
    assert!(replaced.whygos[0].outcomes[1].actuals.is_empty());
    assert!(replaced.whygos[1].outcomes[0].actuals.is_empty());
}

#[test]
fn a_change_to_an_outcome_another_copies_needs_the_plan_read_again() {
    let mut p = plan();
    Arc::make_mut(&mut p.whygos[1]).outcomes[0].computed = Some(crate::domain::plan::Computation {
        source: crate::domain::operations::Source::Outcome {
            key: "on".to_owned(),
        },
        quarters: Vec::new(),
    });
    assert!(!p.reads_the_clock(), "a copy reads no clock");
    let entry = p.whygos[0].outcomes[0].actuals[0].clone();
    assert!(
        p.with_entries_of(&[entry.date], &[("on".to_owned(), entry.clone())])
            .is_none()
    );
    assert!(
        p.with_entries_of(&[entry.date], &[("slight".to_owned(), entry)])
            .is_some()
    );
}

/// A check-in of `value` for quarter 1 on `day`, as the database hands it
/// to [`Plan::with_entries_of`]: every entry of that day, by outcome key.
fn check_in(p: &Plan, outcome: &str, value: &str, day: &str) -> Plan {
    let day = date(day);
    let mut fresh: Vec<(String, Actual)> = p
        .whygos
        .iter()
        .flat_map(|w| &w.outcomes)
        .flat_map(|o| o.actuals.iter().map(move |a| (o.key.clone(), a.clone())))
        .filter(|(_, a)| a.date == day)
        .collect();
    fresh.push((
        outcome.to_owned(),
        Actual {
            quarter: Quarter::new(1).expect("quarter"),
            value: value.to_owned(),
            note: format!("checked in {value}"),
            date: day,
            seq: 1000 + fresh.len() as i64,
            by: Some("ann".to_owned()),
        },
    ));
    p.with_entries_of(&[day], &fresh)
        .expect("nothing copies these outcomes")
}

fn as_json(r: &Report) -> serde_json::Value {
    serde_json::to_value(r).expect("the report as JSON")
}

/// After a check-in the report built from the previous one equals a report
/// built anew, and keeps (shares) the part of every WhyGO the check-in did
/// not touch; the cascade pace above the touched WhyGO moves with it.
#[test]
fn a_report_brought_up_to_date_after_a_check_in_equals_one_built_anew() {
    let as_of = date("2026-03-31");
    let q1 = Quarter::new(1).expect("quarter");
    let before = laddered_plan();
    let old = build_for(&before, as_of, q1);
    // d1 ladders to c1 (primary): 100 -> 40 moves c1's cascade pace.
    let after = check_in(&before, "full", "40", "2026-03-30");
    let reused = build_reusing(&after, as_of, q1, Some((&before, &old)));
    let fresh = build_for(&after, as_of, q1);
    assert_eq!(as_json(&reused), as_json(&fresh));
    assert_ne!(as_json(&reused), as_json(&old), "the check-in matters");

    let part = |r: &Report, key: &str| {
        Arc::clone(
            r.whygos
                .iter()
                .find(|w| w.key == key)
                .expect("in the report"),
        )
    };
    assert!(
        Arc::ptr_eq(&part(&old, "c2"), &part(&reused, "c2")),
        "untouched: kept"
    );
    assert!(
        Arc::ptr_eq(&part(&old, "d2"), &part(&reused, "d2")),
        "untouched: kept"
    );
    assert!(
        !Arc::ptr_eq(&part(&old, "d1"), &part(&reused, "d1")),
        "checked in: built again"
    );
    assert_ne!(
        part(&old, "c1").cascade,
        part(&reused, "c1").cascade,
        "the cascade pace above it moved"
    );
    assert!(reused.escalations.iter().any(|a| a.outcome == "full"));
}

/// A previous report of another date or quarter is not reused.
#[test]
fn a_previous_report_of_another_date_or_quarter_is_not_reused() {
    let q1 = Quarter::new(1).expect("quarter");
    let p = laddered_plan();
    for old in [
        build_for(&p, date("2026-03-20"), q1),
        build_for(&p, date("2026-03-31"), Quarter::new(2).expect("quarter")),
    ] {
        let reused = build_reusing(&p, date("2026-03-31"), q1, Some((&p, &old)));
        assert_eq!(
            as_json(&reused),
            as_json(&build_for(&p, date("2026-03-31"), q1))
        );
        assert!(
            reused
                .whygos
                .iter()
                .zip(&old.whygos)
                .all(|(a, b)| !Arc::ptr_eq(a, b))
        );
    }
}

proptest::proptest! {
    /// Any run of check-ins, each report brought up to date from the one
    /// before, gives the report built anew at every step.
    #[test]
    fn any_run_of_check_ins_keeps_the_reused_report_equal_to_one_built_anew(
        steps in proptest::collection::vec((0usize..5, 0u32..160, 20u32..31), 1..8)
    ) {
        let as_of = date("2026-03-31");
        let q1 = Quarter::new(1).expect("quarter");
        let keys = ["on", "slight", "off", "full", "half"];
        let mut plan = laddered_plan();
        let mut report = build_for(&plan, as_of, q1);
        for (k, value, day) in steps {
            let next = check_in(&plan, keys[k], &value.to_string(), &format!("2026-03-{day}"));
            let reused = build_reusing(&next, as_of, q1, Some((&plan, &report)));
            proptest::prop_assert_eq!(as_json(&reused), as_json(&build_for(&next, as_of, q1)));
            plan = next;
            report = reused;
        }
    }
}
