use super::*;
use crate::domain::plan::Actual;

fn d(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap_or_default()
}

fn fy() -> FiscalYear {
    FiscalYear::new(d("2026-01-01"))
}

fn q(n: u8) -> Quarter {
    Quarter::new(n).unwrap_or(Quarter::Q1)
}

fn outcome(targets: [&str; 4], actuals: Vec<Actual>) -> Outcome {
    Outcome {
        key: "o".to_owned(),
        name: "O".to_owned(),
        owners: vec!["ann".to_owned()],
        targets: targets.map(str::to_owned),
        direction: None,
        cumulative: None,
        start: None,
        weight: 1.0,
        stages: None,
        actuals,
        computed: None,
    }
}

#[test]
fn the_first_fourteen_days_of_a_quarter_keep_the_previous_one_open() {
    assert_eq!(open_quarters(&fy(), d("2026-10-01")), vec![q(3), q(4)]);
    assert_eq!(open_quarters(&fy(), d("2026-10-05")), vec![q(3), q(4)]);
    assert_eq!(open_quarters(&fy(), d("2026-10-14")), vec![q(3), q(4)]);
    assert_eq!(open_quarters(&fy(), d("2026-10-15")), vec![q(4)]);
    assert_eq!(open_quarters(&fy(), d("2026-10-20")), vec![q(4)]);
    assert_eq!(open_quarters(&fy(), d("2026-09-30")), vec![q(3)]);
}

#[test]
fn the_first_quarter_has_no_previous_quarter_in_its_year() {
    assert_eq!(open_quarters(&fy(), d("2026-01-05")), vec![q(1)]);
}

#[test]
fn the_last_quarter_stays_open_two_weeks_after_the_year_ends() {
    assert_eq!(open_quarters(&fy(), d("2027-01-05")), vec![q(4)]);
    assert_eq!(open_quarters(&fy(), d("2027-01-14")), vec![q(4)]);
    assert!(open_quarters(&fy(), d("2027-01-15")).is_empty());
    assert!(open_quarters(&fy(), d("2025-12-31")).is_empty());
    assert_eq!(last_entry_day(&fy(), q(4)), d("2027-01-14"));
    assert_eq!(last_entry_day(&fy(), q(3)), d("2026-10-14"));
}

#[test]
fn a_preview_is_what_the_pacing_module_says_after_the_entry() {
    // 20 expected at the end of Q4; on Nov 21 the line from 16 to 20 is at 18.3.
    let o = outcome(["6", "12", "16", "20"], Vec::new());
    let as_of = d("2026-11-21");
    let th = Rules::default();
    let on = preview(&o, q(4), "19", &fy(), as_of, &th).expect("reads");
    assert_eq!(on.eval.status, Status::OnPace);
    assert_eq!(on.note, NoteRule::Optional);
    let slight = preview(&o, q(4), "17", &fy(), as_of, &th).expect("reads");
    assert_eq!(slight.eval.status, Status::SlightlyOff);
    assert_eq!(slight.note, NoteRule::AskBlockers);
    let off = preview(&o, q(4), "10", &fy(), as_of, &th).expect("reads");
    assert_eq!(off.eval.status, Status::OffPace);
    assert_eq!(off.note, NoteRule::Required);
    assert!(off.eval.explanation.contains("actual 10"));
}

#[test]
fn a_new_entry_counts_over_an_earlier_one_of_the_same_day() {
    let same_day = Actual {
        quarter: q(4),
        value: "19".to_owned(),
        note: String::new(),
        date: d("2026-11-21"),
        seq: 99,
        by: None,
    };
    let o = outcome(["6", "12", "16", "20"], vec![same_day]);
    let p = preview(&o, q(4), "10", &fy(), d("2026-11-21"), &Rules::default()).expect("reads");
    assert_eq!(p.eval.status, Status::OffPace);
    assert_eq!(p.eval.actual.as_deref(), Some("10"));
}

#[test]
fn stages_are_read_case_insensitively_and_stored_as_the_ladder_spells_them() {
    let o = outcome(["MVP", "v1.0", "Iterate", "Validated"], Vec::new());
    let p = preview(
        &o,
        q(4),
        "  iterate ",
        &fy(),
        d("2026-11-21"),
        &Rules::default(),
    )
    .expect("a stage");
    assert_eq!(p.stored, "Iterate");
    assert!(preview(&o, q(4), "Done", &fy(), d("2026-11-21"), &Rules::default()).is_err());
}

#[test]
fn values_are_read_as_people_write_them() {
    let th = Rules::default();
    let as_of = d("2026-11-21");
    for (targets, value) in [
        (["40%", "45%", "48%", "50%"], "42%"),
        (["$1M", "$2M", "$3M", "$4M"], "$1.2M"),
        (["100", "500", "900", "1,200"], "1,000"),
        (["21 days", "17 days", "14 days", "14 days"], "19 days"),
        (["21 days", "17 days", "14 days", "14 days"], "3 weeks"),
    ] {
        let o = outcome(targets, Vec::new());
        assert!(
            preview(&o, q(4), value, &fy(), as_of, &th).is_ok(),
            "{value} for {targets:?}"
        );
    }
    let pct = outcome(["40%", "45%", "48%", "50%"], Vec::new());
    for bad in ["lots", "19 days", "12 widgets", ""] {
        assert!(
            preview(&pct, q(4), bad, &fy(), as_of, &th).is_err(),
            "{bad:?} is refused"
        );
    }
}
