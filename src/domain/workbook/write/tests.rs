use proptest::prelude::*;

use super::super::{DOC, KARTEL, Workbook, parse};
use super::write;

/// The workbook without the positions the reader records (line and column
/// of each table and value), which differ between two texts of the same
/// workbook.
fn unplaced(mut wb: Workbook) -> Workbook {
    for w in &mut wb.whygos {
        w.pos = (0, 0);
        for o in &mut w.outcomes {
            o.pos = (0, 0);
            o.targets_pos = (0, 0);
            o.target_pos = [(0, 0); 4];
        }
    }
    for e in &mut wb.engagements {
        e.pos = (0, 0);
    }
    for a in &mut wb.actuals {
        a.pos = (0, 0);
        a.value_pos = (0, 0);
    }
    wb
}

fn read(text: &str) -> Workbook {
    match parse("written.toml", text) {
        Ok(wb) => wb,
        Err(errors) => {
            let shown: Vec<String> = errors.iter().take(10).map(ToString::to_string).collect();
            panic!(
                "the written workbook is refused:\n{}\n\n{text}",
                shown.join("\n")
            )
        }
    }
}

fn written(wb: &Workbook) -> String {
    write(wb).unwrap_or_else(|e| panic!("cannot write: {e}"))
}

/// Written, read back: the same workbook; written again: the same text.
fn round_trip(wb: &Workbook) -> String {
    let text = written(wb);
    let back = read(&text);
    let mut expected = wb.clone();
    // The writer writes the current format version.
    expected.version = super::super::FORMAT_VERSION;
    assert!(
        unplaced(back.clone()) == unplaced(expected),
        "the workbook read back differs from the one written:\n{text}"
    );
    assert_eq!(written(&back), text, "a second writing differs");
    text
}

fn demo() -> Workbook {
    parse("kartel-2026.toml", KARTEL).unwrap_or_else(|e| panic!("the demo is valid: {e:?}"))
}

#[test]
fn the_demo_written_out_reads_back_as_the_same_workbook() {
    let text = round_trip(&demo());
    // Targets as written, and the sections in the documented order.
    assert!(
        text.contains("targets = [\"—\", \"—\", \"—\", \"$7M\"]"),
        "{text}"
    );
    assert!(text.contains("targets = [\"Baseline\", \"Track\", \"Track\", \"Target 4:1\"]"));
    let order = [
        "workbook = 2",
        "[organization]",
        "[[department]]",
        "[[person]]",
        "[[whygo]]",
        "[[signoff]]",
        "[[cycle]]",
        "[[handoff_type]]",
        "[[engagement]]",
        "[[dependency]]",
        "[[deliverable]]",
        "[[actual]]",
    ];
    let at: Vec<usize> = order
        .iter()
        .map(|h| text.find(h).unwrap_or_else(|| panic!("no {h}")))
        .collect();
    assert!(
        at.windows(2).all(|w| w[0] < w[1]),
        "sections out of order: {at:?}"
    );
}

#[test]
fn the_documented_examples_written_out_read_back_the_same() {
    // The small example of docs/workbook.md, and its version-2 fragment.
    let blocks: Vec<&str> = DOC
        .split("```toml\n")
        .skip(1)
        .filter_map(|b| b.split("```").next())
        .collect();
    let small = blocks.first().copied().unwrap_or_default();
    round_trip(&read(small));
    let ops = blocks.get(1).copied().unwrap_or_default();
    let v2 = format!("{}\n{ops}", small.replace("workbook = 1", "workbook = 2"));
    round_trip(&read(&v2));
}

#[test]
fn defaults_are_left_out_and_what_differs_from_them_is_written() {
    let mut wb = demo();
    let text = written(&wb);
    // The demo's defaults: approved WhyGOs, members, active people, open
    // dependencies, outcomes owned by their WhyGO's owner.
    assert!(!text.contains("status = \"approved\""));
    assert!(!text.contains("role = \"member\""));
    assert!(!text.contains("active = "));
    assert!(!text.contains("state = \"open\""));
    assert!(!text.contains("approved_by_plan"));

    wb.organization.individuals_visible_to_all = Some(true);
    wb.organization.max_individual_whygos = Some(5);
    wb.people[3].active = false;
    wb.people[4].title = String::new();
    let dept = wb
        .whygos
        .iter_mut()
        .find(|w| w.level == super::super::Level::Department)
        .expect("a department WhyGO");
    dept.approved_by_plan = false;
    let text = round_trip(&wb);
    assert!(text.contains("individuals_visible_to_all = true\nmax_individual_whygos = 5\n"));
    assert!(text.contains("active = false"));
    assert!(text.contains("approved_by_plan = false"));
}

#[test]
fn texts_are_quoted_and_escaped_by_the_toml_serializer() {
    let mut wb = demo();
    let nasty = [
        "He said \"ship it\"",
        "C:\\path\\to\\file",
        "two\nlines",
        "windows\r\nline",
        "tab\there",
        "'single' and ''' triple",
        "\"\"\" triple double",
        "ends with a quote\"",
        "\nstarts with a newline",
        "emoji 🚀 and → arrows, “curly” quotes",
        "# not a comment",
        "a = \"not a key\"",
        "[[person]]",
    ];
    for (i, text) in nasty.iter().enumerate() {
        wb.whygos[i].why = (*text).to_owned();
        wb.people[i].title = (*text).to_owned();
        wb.actuals[i].note = Some((*text).to_owned());
        wb.engagements[0].steps[i].by_label = None;
    }
    wb.engagements[0].steps[5].reason = None;
    let text = round_trip(&wb);
    assert!(text.contains(r#"why = 'He said "ship it"'"#), "{text}");
}

#[test]
fn a_step_taken_by_an_account_without_a_person_keeps_its_label() {
    let mut wb = demo();
    let step = wb.engagements[0]
        .steps
        .iter_mut()
        .find(|s| s.by.is_some())
        .expect("a step by someone");
    step.by = None;
    step.by_label = Some("guest@kartel.example".to_owned());
    let text = round_trip(&wb);
    assert!(text.contains("by_label = \"guest@kartel.example\""));
}

#[test]
fn a_checklist_edited_after_handoffs_opened_is_kept_with_their_engagement() {
    let mut wb = demo();
    let t = wb.handoff_types[0].clone();
    let opened_with = t.checklist.clone();
    wb.handoff_types[0].checklist = vec!["Scope".to_owned()];
    for e in wb
        .engagements
        .iter_mut()
        .filter(|e| e.steps.iter().any(|s| s.handoff == t.key))
    {
        e.checklists = vec![(t.key.clone(), opened_with.clone())];
    }
    let text = round_trip(&wb);
    assert!(text.contains(&format!(
        "checklists = {{ {} = [\"Milestones\", \"Timeline\", \"Staffing plan\", \"Budget\"] }}",
        t.key
    )));
}

#[test]
fn app_made_records_with_empty_optional_texts_read_back() {
    // What the admin pages and forms may leave empty: a person's title, a
    // handoff type's trigger, SLA words (sla_hours gives the SLA) and
    // checklist, a dependency's deliverable.
    let mut wb = demo();
    wb.people[0].title = String::new();
    let t = &mut wb.handoff_types[0];
    t.trigger = String::new();
    t.sla = String::new();
    t.sla_hours = Some(48);
    let last = wb.handoff_types.len() - 1;
    wb.handoff_types[last].checklist.clear();
    // The talent cycle's engagements tick items of that checklist: keep
    // only their openings.
    let key = wb.handoff_types[last].key.clone();
    for e in &mut wb.engagements {
        let mut keep_rest = true;
        e.steps.retain(|s| {
            if s.handoff == key {
                let first = keep_rest;
                keep_rest = false;
                first && s.kind == super::super::StepWord::Opened
            } else {
                true
            }
        });
    }
    wb.dependencies[0].deliverable = String::new();
    let text = round_trip(&wb);
    assert!(text.contains("checklist = []"));
}

/// Text a person could type into a whygo form: any characters but the
/// control ones the forms refuse (line breaks and tabs are fine), not blank.
fn typed() -> impl Strategy<Value = String> {
    proptest::string::string_regex("[^\\p{Cc}]{0,12}(\\r?\\n|\\r|\\t|\"|'|\\\\)?[^\\p{Cc}]{1,12}")
        .unwrap_or_else(|e| panic!("{e}"))
        .prop_filter("not blank", |s| !s.trim().is_empty())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    /// Whatever people typed, the workbook written out reads back equal.
    #[test]
    fn any_typed_texts_and_numbers_read_back_as_written(
        texts in proptest::collection::vec(typed(), 16),
        on_pace in 0.5f64..=1.0,
        share in 0.01f64..=1.0,
        start in -1.0e9f64..1.0e9,
        weight in 0.001f64..1.0e6,
        carry in 0i64..=92,
        visible in any::<bool>(),
        max in 1i64..=20,
    ) {
        let mut wb = demo();
        let t = |i: usize| texts[i % texts.len()].clone();
        wb.organization.name = t(0);
        wb.organization.on_pace = Some(on_pace);
        wb.organization.slightly_off = Some(on_pace * share);
        wb.organization.carry_days = Some(carry);
        wb.organization.individuals_visible_to_all = Some(visible);
        wb.organization.max_individual_whygos = Some(max);
        wb.departments[0].name = t(1);
        wb.people[0].name = t(2);
        wb.people[1].title = t(3);
        wb.people[2].kpis[0].metric = t(4);
        wb.people[2].kpis[0].group = Some(t(5));
        wb.whygos[0].title = t(6);
        wb.whygos[0].why = t(7);
        wb.whygos[1].goal = t(8);
        wb.whygos[1].outcomes[0].name = t(9);
        wb.whygos[1].outcomes[0].start = Some(start);
        wb.whygos[1].outcomes[0].weight = Some(weight);
        wb.actuals[0].note = Some(t(10));
        wb.dependencies[0].need = t(11);
        wb.dependencies[0].criteria = Some(t(12));
        wb.engagements[0].name = t(13);
        wb.engagements[0].client = t(14);
        wb.deliverables[0].title = t(15);
        let text = written(&wb);
        let back = unplaced(read(&text));
        prop_assert!(back == unplaced(wb), "differs after reading back:\n{}", text);
    }
}
