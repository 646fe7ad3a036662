use std::collections::HashMap;

use super::*;

/// A small valid workbook the error tests break one piece at a time.
const BASE: &str = r#"workbook = 1

[organization]
name = "Acme"
slug = "acme"
fiscal_year_start = "2026-01-01"
signers = ["ceo"]

[[department]]
key = "sales"
name = "Sales"
head = "sam"

[[department]]
key = "ops"
name = "Operations"

[[person]]
key = "ceo"
name = "Cora Chief"
title = "CEO"
role = "leader"

[[person]]
key = "sam"
name = "Sam Seller"
title = "Head of Sales"
department = "sales"
reports_to = "ceo"

[[person.kpi]]
metric = "Deals"
targets = ["1", "2", "3", "4"]

[[whygo]]
key = "company-1"
level = "company"
number = 1
title = "Grow"
owner = "ceo"
why = "We need to grow."
goal = "Double revenue."

[[whygo.outcome]]
key = "revenue"
name = "Revenue"
targets = ["$1M", "$2M", "$3M", "$4M"]

[[whygo]]
key = "sales-1"
level = "department"
department = "sales"
number = 1
title = "Sell"
owner = "sam"
ladders_to = ["company-1"]
why = "Revenue comes from deals."
goal = "Close four deals."

[[whygo.outcome]]
key = "deals"
name = "Deals"
owners = ["sam"]
targets = ["1", "2", "3", "4"]

[[signoff]]
whygo = "sales-1"
by = "sam"
date = "2026-01-20"

[[handoff_type]]
key = "sales-to-ops"
number = 1
name = "Sales → Operations"
from = "sales"
to = "ops"
trigger = "Contract signed"
sla_hours = 48
sla = "48 hours after signature"
checklist = ["Scope", "Budget"]

[[dependency]]
from = "ops"
on = "sales"
need = "Signed contracts"
deliverable = "Contract package"
due = "Per project"

[[actual]]
outcome = "deals"
quarter = 1
value = "1"
date = "2026-03-27"
by = "sam"
"#;

/// `BASE` with `from` replaced by `to` (which must occur exactly once).
fn with(from: &str, to: &str) -> String {
    assert_eq!(
        BASE.matches(from).count(),
        1,
        "“{from}” must occur once in BASE"
    );
    BASE.replacen(from, to, 1)
}

fn errors(text: &str) -> Vec<WorkbookError> {
    match parse("acme.toml", text) {
        Ok(_) => panic!("expected errors, the workbook parsed"),
        Err(errors) => errors,
    }
}

/// The only error of `text`; fails showing them all otherwise.
fn only_error(text: &str) -> WorkbookError {
    let errors = errors(text);
    assert_eq!(
        errors.len(),
        1,
        "expected one error, got:\n{}",
        show(&errors)
    );
    errors.into_iter().next().unwrap()
}

fn show(errors: &[WorkbookError]) -> String {
    errors.iter().map(|e| format!("{e}\n")).collect()
}

/// 1-based line of the `n`th (from 1) line containing `needle`.
fn line_of(text: &str, needle: &str, n: usize) -> usize {
    text.lines()
        .enumerate()
        .filter(|(_, l)| l.contains(needle))
        .nth(n - 1)
        .map_or_else(|| panic!("“{needle}” #{n} not found"), |(i, _)| i + 1)
}

fn assert_error(e: &WorkbookError, line: usize, key: &str, message_part: &str) {
    assert_eq!((e.line, e.key.as_str()), (line, key), "{e}");
    assert!(
        e.message.contains(message_part),
        "“{message_part}” not in: {e}"
    );
}

// ---------------------------------------------------------------------------
// A valid workbook
// ---------------------------------------------------------------------------

#[test]
fn a_small_valid_workbook_parses_with_its_defaults() {
    let wb = parse("acme.toml", BASE).unwrap_or_else(|e| panic!("{}", show(&e)));
    assert_eq!(wb.organization.slug, "acme");
    assert_eq!(
        wb.organization.fiscal_year_start,
        NaiveDate::from_ymd_opt(2026, 1, 1).unwrap()
    );
    assert_eq!(
        (wb.organization.on_pace, wb.organization.slightly_off),
        (None, None)
    );
    assert_eq!(wb.organization.thresholds(), (1.0, 0.8));
    assert_eq!(wb.person("sam").unwrap().role, Role::Member);
    assert_eq!(wb.person("ceo").unwrap().role, Role::Leader);
    let (w, revenue) = wb.outcome("revenue").unwrap();
    assert_eq!(w.status, Approval::Approved);
    assert_eq!(
        revenue.owners,
        vec!["ceo".to_string()],
        "owners default to the WhyGO's owner"
    );
    assert_eq!((revenue.weight, revenue.weight_or_default()), (None, 1.0));
    assert_eq!(
        (revenue.direction, revenue.cumulative, revenue.start),
        (None, None, None)
    );
    assert_eq!(wb.actuals_for("deals").count(), 1);
    assert_eq!(
        wb.person("sam").unwrap().kpis[0].targets,
        ["1", "2", "3", "4"]
    );
}

#[test]
fn actuals_and_targets_keep_the_position_of_their_text() {
    let wb = parse("acme.toml", BASE).unwrap();
    let actual = &wb.actuals[0];
    assert_eq!(actual.value_pos, (line_of(BASE, "value = \"1\"", 1), 9));
    assert_eq!(actual.pos.0, line_of(BASE, "[[actual]]", 1));
    let (_, deals) = wb.outcome("deals").unwrap();
    let line = line_of(BASE, "targets = [\"1\", \"2\", \"3\", \"4\"]", 2);
    assert_eq!(deals.targets_pos, (line, 11));
    assert_eq!(
        deals.target_pos,
        [(line, 12), (line, 17), (line, 22), (line, 27)]
    );
}

#[test]
fn columns_count_characters_not_bytes() {
    let line = "actual = [{ note = \"→→ “x”\", outcome = \"deals\", quarter = 9, value = \"1\", date = \"2026-03-27\", by = \"sam\" }]";
    let text = BASE
        .replace(
            "[[actual]]\noutcome = \"deals\"\nquarter = 1\nvalue = \"1\"\ndate = \"2026-03-27\"\nby = \"sam\"\n",
            "",
        )
        .replace("workbook = 1\n", &format!("workbook = 1\n{line}\n"));
    let e = only_error(&text);
    let at = line.find("quarter = 9").unwrap() + "quarter = ".len();
    assert_eq!((e.key.as_str(), e.line), ("actual[0].quarter", 2), "{e}");
    assert_eq!(e.column, line[..at].chars().count() + 1, "{e}");
    assert!(e.column < at + 1, "counted in characters, not bytes");
}

#[test]
fn errors_display_as_file_line_column_key_message() {
    let e = only_error(&with(
        "date = \"2026-03-27\"\nby = \"sam\"",
        "date = \"2026-03-27\"\nby = \"sma\"",
    ));
    let line = line_of(BASE, "by = \"sam\"", 2);
    assert_eq!(
        e.to_string(),
        format!(
            "acme.toml:{line}:6: actual[0].by: unknown person “sma” (expected a [[person]] key such as “sam”)"
        )
    );
    let built = WorkbookError::at("x.toml", 3, 7, "actual[2].value", "does not fit");
    assert_eq!(
        built.to_string(),
        "x.toml:3:7: actual[2].value: does not fit"
    );
}

// ---------------------------------------------------------------------------
// Syntax, version, types, unknown and missing keys
// ---------------------------------------------------------------------------

#[test]
fn a_toml_syntax_error_is_reported_with_its_line_and_column() {
    let text = with("[[handoff_type]]", "[[handoff_type]\nbroken = \"x");
    let errors = errors(&text);
    assert!(!errors.is_empty());
    assert_eq!(errors[0].key, "toml");
    assert_eq!(errors[0].line, line_of(&text, "[[handoff_type]", 1));
    assert!(
        errors[0].message.contains("not valid TOML"),
        "{}",
        errors[0]
    );
}

#[test]
fn a_workbook_of_another_format_version_is_refused() {
    let e = only_error(&with("workbook = 1", "workbook = 3"));
    assert_error(&e, 1, "workbook", "unsupported format version 3");
    assert!(
        e.message.contains("workbook = 1") && e.message.contains("workbook = 2"),
        "{e}"
    );
}

#[test]
fn a_workbook_without_a_format_version_is_refused() {
    let e = only_error(&with("workbook = 1\n", ""));
    assert_error(&e, 1, "workbook", "expected `workbook = 2`");
}

#[test]
fn a_value_of_the_wrong_type_names_the_expected_type() {
    let text = with("quarter = 1", "quarter = \"one\"");
    let e = only_error(&text);
    assert_error(
        &e,
        line_of(&text, "quarter = \"one\"", 1),
        "actual[0].quarter",
        "expected a whole number",
    );
    assert!(e.message.contains("\"one\""), "shows what was found: {e}");
}

#[test]
fn an_unknown_field_is_an_error_with_a_suggestion() {
    let text = with(
        "title = \"Head of Sales\"",
        "title = \"Head of Sales\"\nnmae = \"Sam\"",
    );
    let e = only_error(&text);
    assert_error(
        &e,
        line_of(&text, "nmae", 1),
        "person[1].nmae",
        "did you mean “name”?",
    );
    assert!(
        e.message.contains("expected one of: key, name, title"),
        "{e}"
    );
}

#[test]
fn an_unknown_top_level_table_is_an_error() {
    let text = format!("{BASE}\n[[persn]]\nkey = \"x\"\n");
    let e = only_error(&text);
    assert_error(
        &e,
        line_of(&text, "[[persn]]", 1),
        "persn",
        "did you mean “person”?",
    );
}

#[test]
fn a_missing_required_key_is_reported_at_its_table() {
    let text = with("title = \"CEO\"\n", "");
    let e = only_error(&text);
    assert_error(
        &e,
        line_of(&text, "[[person]]", 1),
        "person[0].title",
        "missing required key “title”",
    );
}

#[test]
fn a_missing_organization_is_reported() {
    let text = BASE.replace(
        "[organization]\nname = \"Acme\"\nslug = \"acme\"\nfiscal_year_start = \"2026-01-01\"\nsigners = [\"ceo\"]\n",
        "",
    );
    let errs = errors(&text);
    assert!(
        errs.iter()
            .any(|e| e.key == "organization" && e.message.contains("missing [organization]")),
        "{}",
        show(&errs)
    );
}

#[test]
fn an_entry_that_is_not_a_table_is_reported_and_later_ones_keep_their_index() {
    let text = format!("{BASE}\n[[whygo]]\n")
        .replace("workbook = 1\n", "workbook = 1\nsignoff = [\"oops\", { whygo = \"sales-1\", by = \"smа\", date = \"2026-01-20\" }]\n")
        .replace("[[signoff]]\nwhygo = \"sales-1\"\nby = \"sam\"\ndate = \"2026-01-20\"\n", "");
    let errs = errors(&text);
    assert!(
        errs.iter()
            .any(|e| e.key == "signoff[0]" && e.message.contains("expected a [[signoff]] table")),
        "{}",
        show(&errs)
    );
    assert!(
        errs.iter().any(|e| e.key == "signoff[1].by"),
        "{}",
        show(&errs)
    );
}

// ---------------------------------------------------------------------------
// Duplicates
// ---------------------------------------------------------------------------

#[test]
fn a_duplicate_department_key_is_reported_at_the_second_one() {
    let text = format!("{BASE}\n[[department]]\nkey = \"sales\"\nname = \"Sales again\"\n");
    let e = only_error(&text);
    let first = line_of(&text, "key = \"sales\"", 1);
    assert_error(
        &e,
        line_of(&text, "key = \"sales\"", 2),
        "department[2].key",
        &format!("already used at line {first}"),
    );
}

#[test]
fn a_duplicate_person_key_is_reported() {
    let text = with("key = \"sam\"", "key = \"ceo\"").replace("\"sam\"", "\"ceo\"");
    let errs = errors(&text);
    let e = errs
        .iter()
        .find(|e| e.key == "person[1].key")
        .unwrap_or_else(|| panic!("{}", show(&errs)));
    assert_error(
        e,
        line_of(&text, "key = \"ceo\"", 2),
        "person[1].key",
        "duplicate person key “ceo”",
    );
}

#[test]
fn a_duplicate_whygo_key_is_reported() {
    let text = with("key = \"sales-1\"", "key = \"company-1\"")
        .replace("whygo = \"sales-1\"", "whygo = \"company-1\"");
    let errs = errors(&text);
    let e = errs
        .iter()
        .find(|e| e.key == "whygo[1].key")
        .unwrap_or_else(|| panic!("{}", show(&errs)));
    assert_error(
        e,
        line_of(&text, "key = \"company-1\"", 2),
        "whygo[1].key",
        "duplicate WhyGO key “company-1”",
    );
}

#[test]
fn outcome_keys_are_unique_across_the_whole_workbook() {
    let text = with("key = \"deals\"", "key = \"revenue\"")
        .replace("outcome = \"deals\"", "outcome = \"revenue\"");
    let e = only_error(&text);
    assert_error(
        &e,
        line_of(&text, "key = \"revenue\"", 2),
        "whygo[1].outcome[0].key",
        "duplicate outcome key “revenue”",
    );
}

#[test]
fn a_duplicate_handoff_type_key_is_reported() {
    let text = format!(
        "{BASE}\n[[handoff_type]]\nkey = \"sales-to-ops\"\nnumber = 2\nname = \"Again\"\nfrom = \"sales\"\nto = \"ops\"\ntrigger = \"t\"\nsla_hours = 1\nsla = \"1 hour\"\nchecklist = [\"x\"]\n"
    );
    let e = only_error(&text);
    assert_error(
        &e,
        line_of(&text, "key = \"sales-to-ops\"", 2),
        "handoff_type[1].key",
        "duplicate handoff type key",
    );
}

#[test]
fn a_duplicate_whygo_number_in_the_same_department_is_reported() {
    let text = format!(
        "{BASE}\n[[whygo]]\nkey = \"sales-2\"\nlevel = \"department\"\ndepartment = \"sales\"\nnumber = 1\ntitle = \"T\"\nowner = \"sam\"\nladders_to = [\"company-1\"]\nwhy = \"w\"\ngoal = \"g\"\n\n[[whygo.outcome]]\nkey = \"s2-deals\"\nname = \"Deals\"\ntargets = [\"1\", \"2\", \"3\", \"4\"]\n"
    );
    let e = only_error(&text);
    assert_error(
        &e,
        line_of(&text, "number = 1", 4),
        "whygo[2].number",
        "already used by “sales-1”",
    );
}

// ---------------------------------------------------------------------------
// References
// ---------------------------------------------------------------------------

#[test]
fn every_reference_to_an_unknown_key_is_reported_where_it_is_written() {
    let dependency = "[[dependency]]\nfrom = \"ops\"\non = \"sales\"";
    let handoff = "from = \"sales\"\nto = \"ops\"";
    let cases: &[(&str, &str, &str, &str)] = &[
        (
            "head = \"sam\"",
            "head = \"sma\"",
            "department[0].head",
            "unknown person “sma” (expected a [[person]] key such as “sam”)",
        ),
        (
            "reports_to = \"ceo\"",
            "reports_to = \"coe\"",
            "person[1].reports_to",
            "unknown person “coe”",
        ),
        (
            "department = \"sales\"\nreports_to",
            "department = \"sale\"\nreports_to",
            "person[1].department",
            "unknown department “sale” (expected a [[department]] key such as “sales”)",
        ),
        (
            "owner = \"ceo\"",
            "owner = \"cea\"",
            "whygo[0].owner",
            "unknown person “cea”",
        ),
        (
            "department = \"sales\"\nnumber",
            "department = \"sails\"\nnumber",
            "whygo[1].department",
            "unknown department “sails”",
        ),
        (
            "owners = [\"sam\"]",
            "owners = [\"sam\", \"bob\"]",
            "whygo[1].outcome[0].owners[1]",
            "unknown person “bob”",
        ),
        (
            "ladders_to = [\"company-1\"]",
            "ladders_to = [\"company-9\"]",
            "whygo[1].ladders_to[0]",
            "unknown WhyGO “company-9” (expected a [[whygo]] key such as “company-1”)",
        ),
        (
            "whygo = \"sales-1\"",
            "whygo = \"sales-2\"",
            "signoff[0].whygo",
            "unknown WhyGO “sales-2”",
        ),
        (
            "by = \"sam\"\ndate = \"2026-01-20\"",
            "by = \"samm\"\ndate = \"2026-01-20\"",
            "signoff[0].by",
            "unknown person “samm”",
        ),
        (
            "outcome = \"deals\"",
            "outcome = \"deal\"",
            "actual[0].outcome",
            "unknown outcome “deal” (expected a [[whygo.outcome]] key such as “deals”)",
        ),
        (
            handoff,
            "from = \"sale\"\nto = \"ops\"",
            "handoff_type[0].from",
            "unknown department “sale”",
        ),
        (
            handoff,
            "from = \"sales\"\nto = \"op\"",
            "handoff_type[0].to",
            "unknown department “op”",
        ),
        (
            dependency,
            "[[dependency]]\nfrom = \"opz\"\non = \"sales\"",
            "dependency[0].from",
            "unknown department “opz”",
        ),
        (
            dependency,
            "[[dependency]]\nfrom = \"ops\"\non = \"salez\"",
            "dependency[0].on",
            "unknown department “salez”",
        ),
        (
            "signers = [\"ceo\"]",
            "signers = [\"ceo\", \"cfo\"]",
            "organization.signers[1]",
            "unknown person “cfo”",
        ),
    ];
    for (from, to, key, message) in cases {
        let text = with(from, to);
        let e = only_error(&text);
        let needle = to
            .lines()
            .find(|l| !BASE.contains(&format!("{l}\n")))
            .unwrap_or(to);
        assert_error(&e, line_of(&text, needle, 1), key, message);
    }
    // actual.by, the example of the brief.
    let text = BASE.replace(
        "date = \"2026-03-27\"\nby = \"sam\"",
        "date = \"2026-03-27\"\nby = \"wayne\"",
    );
    let e = only_error(&text);
    assert_error(
        &e,
        line_of(&text, "by = \"wayne\"", 1),
        "actual[0].by",
        "unknown person “wayne”",
    );
}

#[test]
fn a_key_that_is_not_a_lowercase_identifier_is_rejected() {
    let text = with("key = \"ops\"", "key = \"Ops Team\"").replace("\"ops\"", "\"Ops Team\"");
    let errs = errors(&text);
    let e = errs
        .iter()
        .find(|e| e.key == "department[1].key")
        .unwrap_or_else(|| panic!("{}", show(&errs)));
    assert_error(
        e,
        line_of(&text, "key = \"Ops Team\"", 1),
        "department[1].key",
        "e.g. \"ops-team\"",
    );
}

#[test]
fn a_reports_to_cycle_is_reported_once() {
    let text = with(
        "role = \"leader\"",
        "role = \"leader\"\nreports_to = \"sam\"",
    );
    let e = only_error(&text);
    assert_error(
        &e,
        line_of(&text, "reports_to = \"sam\"", 1),
        "person[0].reports_to",
        "cycle: ceo → sam → ceo",
    );
}

#[test]
fn reporting_to_oneself_is_rejected() {
    let text = with("reports_to = \"ceo\"", "reports_to = \"sam\"");
    let e = only_error(&text);
    assert_error(
        &e,
        line_of(&text, "reports_to = \"sam\"", 1),
        "person[1].reports_to",
        "cannot report to themselves",
    );
}

// ---------------------------------------------------------------------------
// Values
// ---------------------------------------------------------------------------

#[test]
fn a_quarter_outside_one_to_four_is_rejected() {
    let text = with("quarter = 1", "quarter = 5");
    let e = only_error(&text);
    assert_error(
        &e,
        line_of(&text, "quarter = 5", 1),
        "actual[0].quarter",
        "quarter must be 1, 2, 3 or 4, found 5",
    );
}

#[test]
fn an_actual_value_longer_than_the_database_keeps_is_rejected() {
    let long = "9".repeat(201);
    let text = with("value = \"1\"", &format!("value = \"{long}\""));
    let e = only_error(&text);
    assert_error(
        &e,
        line_of(&text, &long, 1),
        "actual[0].value",
        "at most 200 characters",
    );
}

#[test]
fn an_impossible_date_is_rejected() {
    let text = with("date = \"2026-03-27\"", "date = \"2026-02-30\"");
    let e = only_error(&text);
    assert_error(
        &e,
        line_of(&text, "2026-02-30", 1),
        "actual[0].date",
        "expected a date written YYYY-MM-DD",
    );
}

#[test]
fn a_bare_toml_date_is_accepted() {
    let wb = parse(
        "acme.toml",
        &with("date = \"2026-03-27\"", "date = 2026-03-28"),
    )
    .unwrap();
    assert_eq!(
        wb.actuals[0].date,
        NaiveDate::from_ymd_opt(2026, 3, 28).unwrap()
    );
}

#[test]
fn an_actual_dated_before_its_quarter_starts_is_rejected() {
    let text = with("quarter = 1", "quarter = 2");
    let e = only_error(&text);
    assert_error(
        &e,
        line_of(&text, "date = \"2026-03-27\"", 1),
        "actual[0].date",
        "before Q2 starts on 2026-04-01",
    );
}

#[test]
fn outcome_targets_must_be_exactly_four() {
    let text = with(
        "targets = [\"$1M\", \"$2M\", \"$3M\", \"$4M\"]",
        "targets = [\"$1M\", \"$2M\", \"$3M\"]",
    );
    let e = only_error(&text);
    assert_error(
        &e,
        line_of(&text, "targets = [\"$1M\"", 1),
        "whygo[0].outcome[0].targets",
        "exactly four quarterly targets",
    );
}

#[test]
fn a_garbage_target_is_refused_naming_its_outcome_and_quarter() {
    let text = with(
        "targets = [\"$1M\", \"$2M\", \"$3M\", \"$4M\"]",
        "targets = [\"$1M\", \"$2M\", \"$3M\", \"abc%%\"]",
    );
    let e = only_error(&text);
    assert_error(
        &e,
        line_of(&text, "\"abc%%\"", 1),
        "whygo[0].outcome[0].targets[3]",
        "outcome “revenue”, Q4 target: “abc%%” is a word, but this outcome’s other targets are numbers",
    );
    for (garbage, why) in [
        ("$", "cannot be read as a target"),
        ("-5", "cannot be negative"),
        ("12,5", "write decimals with a point, 12.5"),
        ("1e6", "scientific notation"),
    ] {
        let text = with(
            "owners = [\"sam\"]\ntargets = [\"1\", \"2\", \"3\", \"4\"]",
            &format!("owners = [\"sam\"]\ntargets = [\"1\", \"{garbage}\", \"3\", \"4\"]"),
        );
        let e = only_error(&text);
        assert_eq!(e.key, "whygo[1].outcome[0].targets[1]", "{e}");
        assert!(
            e.message.starts_with("outcome “deals”, Q2 target: ") && e.message.contains(why),
            "{garbage}: {e}"
        );
    }
}

#[test]
fn a_stage_target_must_be_on_the_outcomes_declared_ladder() {
    let text = with(
        "owners = [\"sam\"]\ntargets = [\"1\", \"2\", \"3\", \"4\"]",
        "owners = [\"sam\"]\ntargets = [\"Spec\", \"MVP\", \"Beta\", \"Live\"]\nstages = [\"Spec\", \"MVP\", \"v1.0\", \"Live\"]",
    );
    let e = only_error(&text);
    assert_eq!(e.key, "whygo[1].outcome[0].targets[2]", "{e}");
    assert!(
        e.message
            .contains("“Beta” is not one of this outcome’s stages (Spec, MVP, v1.0, Live)"),
        "{e}"
    );
}

#[test]
fn a_weight_of_zero_or_less_is_rejected() {
    let text = with("owners = [\"sam\"]", "owners = [\"sam\"]\nweight = 0");
    let e = only_error(&text);
    assert_error(
        &e,
        line_of(&text, "weight = 0", 1),
        "whygo[1].outcome[0].weight",
        "weight must be greater than 0",
    );
}

#[test]
fn thresholds_must_satisfy_zero_below_slightly_off_below_on_pace_below_one() {
    let text = with("signers", "on_pace = 0.9\nslightly_off = 0.95\nsigners");
    let e = only_error(&text);
    assert_error(
        &e,
        line_of(&text, "slightly_off", 1),
        "organization.slightly_off",
        "at most on_pace (0.9)",
    );
    let text = with("signers", "on_pace = 1.5\nsigners");
    let e = only_error(&text);
    assert_error(
        &e,
        line_of(&text, "on_pace", 1),
        "organization.on_pace",
        "at most 1",
    );
}

#[test]
fn carry_days_defaults_to_fourteen_and_must_be_a_quarter_at_most() {
    assert_eq!(
        parse("base.toml", BASE)
            .expect("valid")
            .organization
            .carry_days(),
        14
    );
    let text = with("signers", "carry_days = 7\nsigners");
    assert_eq!(
        parse("carry.toml", &text)
            .expect("valid")
            .organization
            .carry_days(),
        7
    );
    let text = with("signers", "carry_days = 93\nsigners");
    let e = only_error(&text);
    assert_error(
        &e,
        line_of(&text, "carry_days", 1),
        "organization.carry_days",
        "between 0 and 92",
    );
}

#[test]
fn a_slug_that_is_one_of_whygos_own_addresses_is_rejected() {
    let text = with("slug = \"acme\"", "slug = \"admin\"");
    let e = only_error(&text);
    assert_error(&e, 5, "organization.slug", "one of whygo's own addresses");
}

#[test]
fn keys_follow_the_same_rule_as_the_admin_pages() {
    let first_key = BASE
        .lines()
        .find_map(|l| l.strip_prefix("key = \""))
        .and_then(|rest| rest.strip_suffix('"'))
        .expect("a key in the base workbook");
    let long = "a".repeat(64);
    for bad in ["new", "ann_lee", long.as_str()] {
        let text = with(
            &format!("key = \"{first_key}\""),
            &format!("key = \"{bad}\""),
        );
        let errors = parse("keys.toml", &text).expect_err(bad);
        assert!(
            errors
                .iter()
                .any(|e| e.message.contains("is not a valid key")),
            "{bad}: {errors:?}"
        );
    }
}

#[test]
fn a_slug_with_capitals_is_rejected() {
    let text = with("slug = \"acme\"", "slug = \"Acme\"");
    let e = only_error(&text);
    assert_error(&e, 5, "organization.slug", "not a valid slug");
}

#[test]
fn a_kpi_with_both_target_forms_is_rejected() {
    let text = with(
        "metric = \"Deals\"",
        "metric = \"Deals\"\ntarget = \"4 by Q4\"",
    );
    let e = only_error(&text);
    assert_error(
        &e,
        line_of(&text, "[[person.kpi]]", 1),
        "person[1].kpi[0].target",
        "not both",
    );
}

// ---------------------------------------------------------------------------
// The cascade
// ---------------------------------------------------------------------------

#[test]
fn a_company_whygo_with_a_department_is_rejected() {
    let text = with(
        "level = \"company\"",
        "level = \"company\"\ndepartment = \"sales\"",
    );
    let e = only_error(&text);
    assert_error(
        &e,
        line_of(&text, "department = \"sales\"", 2),
        "whygo[0].department",
        "a company WhyGO belongs to no department",
    );
}

#[test]
fn a_company_whygo_with_a_person_is_rejected() {
    let text = with(
        "level = \"company\"",
        "level = \"company\"\nperson = \"sam\"",
    );
    let e = only_error(&text);
    assert_error(
        &e,
        line_of(&text, "person = \"sam\"", 1),
        "whygo[0].person",
        "belongs to no person",
    );
}

#[test]
fn a_company_whygo_ladders_to_nothing() {
    let text = with(
        "owner = \"ceo\"",
        "owner = \"ceo\"\nladders_to = [\"sales-1\"]",
    );
    let e = only_error(&text);
    assert_error(
        &e,
        line_of(&text, "ladders_to = [\"sales-1\"]", 1),
        "whygo[0].ladders_to",
        "Company WhyGOs ladder to nothing higher",
    );
}

#[test]
fn a_department_whygo_without_a_department_is_rejected() {
    let text = with("department = \"sales\"\nnumber = 1", "number = 1");
    let e = only_error(&text);
    assert_error(
        &e,
        line_of(&text, "[[whygo]]", 2),
        "whygo[1].department",
        "needs its department",
    );
}

#[test]
fn a_department_whygo_must_ladder_to_something() {
    let text = with("ladders_to = [\"company-1\"]\n", "");
    let e = only_error(&text);
    assert_error(
        &e,
        line_of(&text, "[[whygo]]", 2),
        "whygo[1].ladders_to",
        "Choose at least one company WhyGO this one ladders up to",
    );
}

#[test]
fn laddering_to_the_same_level_is_rejected() {
    let text = format!(
        "{BASE}\n[[whygo]]\nkey = \"sales-2\"\nlevel = \"department\"\ndepartment = \"sales\"\nnumber = 2\ntitle = \"T\"\nowner = \"sam\"\nladders_to = [\"company-1\", \"sales-1\"]\nwhy = \"w\"\ngoal = \"g\"\n\n[[whygo.outcome]]\nkey = \"s2-deals\"\nname = \"Deals\"\ntargets = [\"1\", \"2\", \"3\", \"4\"]\n"
    );
    let e = only_error(&text);
    assert_error(
        &e,
        line_of(&text, "\"sales-1\"]", 1),
        "whygo[2].ladders_to[1]",
        "“sales-1” is a department WhyGO: a department WhyGO ladders to company WhyGOs",
    );
}

#[test]
fn an_individual_whygo_ladders_to_department_or_company_whygos() {
    let individual = |ladder: &str| {
        format!(
            "{BASE}\n[[whygo]]\nkey = \"sam-1\"\nlevel = \"individual\"\nperson = \"sam\"\nnumber = 1\ntitle = \"T\"\nstatus = \"draft\"\nladders_to = [{ladder}]\nwhy = \"w\"\ngoal = \"g\"\n\n[[whygo.outcome]]\nkey = \"sam-a\"\nname = \"A\"\ntargets = [\"1\", \"2\", \"3\", \"4\"]\n\n[[whygo.outcome]]\nkey = \"sam-b\"\nname = \"B\"\ntargets = [\"1\", \"2\", \"3\", \"4\"]\n"
        )
    };
    let wb = parse("acme.toml", &individual("\"sales-1\", \"company-1\"")).unwrap();
    let mine = wb.whygo("sam-1").unwrap();
    assert_eq!(
        (mine.owner.as_str(), mine.status),
        ("sam", Approval::Draft),
        "owner defaults to the person"
    );
    let text = individual("\"sam-1\"");
    let e = only_error(&text);
    assert_error(
        &e,
        line_of(&text, "ladders_to = [\"sam-1\"]", 1),
        "whygo[2].ladders_to[0]",
        "cannot ladder to itself",
    );
}

#[test]
fn only_signers_and_the_department_head_sign_off_a_department_whygo() {
    let text = format!(
        "{BASE}\n[[person]]\nkey = \"ann\"\nname = \"Ann\"\ntitle = \"Ops\"\n\n[[signoff]]\nwhygo = \"sales-1\"\nby = \"ann\"\ndate = \"2026-01-21\"\n"
    );
    let e = only_error(&text);
    assert_error(
        &e,
        line_of(&text, "by = \"ann\"", 1),
        "signoff[1].by",
        "“ann” may not sign off “sales-1”",
    );
    assert!(
        e.message.contains("signers (“ceo”)") && e.message.contains("head “sam”"),
        "{e}"
    );
}

#[test]
fn a_handoff_needs_two_different_departments_and_a_checklist() {
    let text = with("to = \"ops\"", "to = \"sales\"")
        .replace("checklist = [\"Scope\", \"Budget\"]", "checklist = []");
    let errs = errors(&text);
    assert_eq!(errs.len(), 2, "{}", show(&errs));
    assert_error(
        &errs[0],
        line_of(&text, "to = \"sales\"", 1),
        "handoff_type[0].to",
        "from one department to another",
    );
    assert_error(
        &errs[1],
        line_of(&text, "checklist = []", 1),
        "handoff_type[0].checklist",
        "at least one checklist item",
    );
}

#[test]
fn a_department_depends_on_itself_only_through_a_partner() {
    let text = with("on = \"sales\"", "on = \"ops\"");
    let e = only_error(&text);
    assert_error(
        &e,
        line_of(&text, "on = \"ops\"", 1),
        "dependency[0].on",
        "does not depend on itself",
    );
    parse(
        "acme.toml",
        &with("on = \"sales\"", "on = \"ops\"\npartner = \"Lighthouse\""),
    )
    .unwrap();
}

#[test]
fn every_problem_is_reported_in_one_run_sorted_by_line() {
    let text = with("quarter = 1", "quarter = 7")
        .replace("head = \"sam\"", "head = \"nobody\"")
        .replace("title = \"Grow\"", "title = 5");
    let errs = errors(&text);
    let keys: Vec<&str> = errs.iter().map(|e| e.key.as_str()).collect();
    assert_eq!(
        keys,
        ["department[0].head", "whygo[0].title", "actual[0].quarter"],
        "{}",
        show(&errs)
    );
}

#[test]
fn the_documented_example_workbook_parses() {
    let start = DOC
        .find("```toml\n")
        .expect("a toml example in docs/workbook.md")
        + "```toml\n".len();
    let len = DOC[start..].find("```").expect("the example's end");
    let wb = parse("docs/workbook.md", &DOC[start..start + len])
        .unwrap_or_else(|e| panic!("{}", show(&e)));
    assert_eq!(
        (
            wb.people.len(),
            wb.whygos.len(),
            wb.outcomes().count(),
            wb.actuals.len()
        ),
        (3, 2, 4, 2)
    );
    assert_eq!(wb.person("sam").unwrap().kpis[1].targets, ["±10%"]);
}

// ---------------------------------------------------------------------------
// The Kartel AI workbook
// ---------------------------------------------------------------------------

fn kartel() -> Workbook {
    parse("kartel-2026.toml", KARTEL).unwrap_or_else(|e| panic!("{}", show(&e)))
}

fn targets(wb: &Workbook, outcome: &str) -> [String; 4] {
    wb.outcome(outcome)
        .unwrap_or_else(|| panic!("no outcome {outcome}"))
        .1
        .targets
        .clone()
}

fn four(t: [&str; 4]) -> [String; 4] {
    t.map(String::from)
}

#[test]
fn the_kartel_workbook_has_the_organization_and_its_departments() {
    let wb = kartel();
    let org = &wb.organization;
    assert_eq!(
        (org.name.as_str(), org.slug.as_str()),
        ("Kartel AI", "kartel")
    );
    assert_eq!(
        org.fiscal_year_start,
        NaiveDate::from_ymd_opt(2026, 1, 1).unwrap()
    );
    assert_eq!(org.signers, ["kevin", "luke"]);
    let heads: Vec<(&str, &str)> = wb
        .departments
        .iter()
        .map(|d| (d.key.as_str(), d.head.as_deref().unwrap_or("")))
        .collect();
    assert_eq!(
        heads,
        [
            ("executive", "kevin"),
            ("sales", "ben"),
            ("production", "wayan"),
            ("generative", "fill"),
            ("community", "daniel"),
            ("platform", "niels"),
            ("management", "jerry"),
        ]
    );
}

#[test]
fn the_kartel_workbook_has_all_22_people_with_the_org_charts_reports_to() {
    let wb = kartel();
    assert_eq!(wb.people.len(), 22);
    let chart: HashMap<&str, Option<&str>> = wb
        .people
        .iter()
        .map(|p| (p.key.as_str(), p.reports_to.as_deref()))
        .collect();
    let expected = [
        ("kevin", None),
        ("luke", None),
        ("ben", Some("kevin")),
        ("emmet", Some("ben")),
        ("jerry", Some("kevin")),
        ("wayan", Some("luke")),
        ("veronica", Some("wayan")),
        ("noah", Some("veronica")),
        ("estefania", Some("wayan")),
        ("jason", Some("wayan")),
        ("fill", Some("luke")),
        ("brandon", Some("fill")),
        ("sean", Some("fill")),
        ("trent", Some("fill")),
        ("elliot", Some("fill")),
        ("marc", Some("fill")),
        ("ahmed", Some("fill")),
        ("daniel", Some("luke")),
        ("niels", Some("luke")),
        ("matthias", Some("niels")),
        ("lukas", Some("niels")),
        ("zac", Some("niels")),
    ];
    for (person, manager) in expected {
        assert_eq!(chart.get(person), Some(&manager), "{person}");
    }
    let counts = wb
        .people
        .iter()
        .fold(HashMap::new(), |mut m: HashMap<&str, usize>, p| {
            *m.entry(p.department.as_deref().unwrap_or("")).or_default() += 1;
            m
        });
    // The Department Summary's team sizes.
    for (dept, n) in [
        ("executive", 2),
        ("sales", 2),
        ("production", 5),
        ("generative", 7),
        ("community", 1),
        ("platform", 4),
        ("management", 1),
    ] {
        assert_eq!(counts.get(dept), Some(&n), "{dept}");
    }
    let title = |k: &str| wb.person(k).unwrap().title.as_str();
    assert_eq!(title("jerry"), "Chief Financial Officer (Part-Time)");
    assert_eq!(title("brandon"), "Data Training Specialist / LoRA Models");
    assert_eq!(title("ahmed"), "Workflow Engineer - Real Estate");
    assert_eq!(wb.person("noah").unwrap().name, "Noah Shields");
    assert_eq!(
        wb.person("estefania").unwrap().email.as_deref(),
        Some("estefania@kartel.example")
    );
    let roles: Vec<(&str, Role)> = wb
        .people
        .iter()
        .filter(|p| p.role != Role::Member)
        .map(|p| (p.key.as_str(), p.role))
        .collect();
    assert_eq!(
        roles,
        [
            ("kevin", Role::Leader),
            ("luke", Role::Leader),
            ("zac", Role::Admin)
        ]
    );
}

#[test]
fn the_kartel_workbook_keeps_every_roles_suggested_kpis_as_written() {
    let wb = kartel();
    assert!(
        wb.people.iter().all(|p| !p.kpis.is_empty()),
        "everyone has suggested KPIs"
    );
    let kpi = |person: &str, metric: &str| {
        wb.person(person)
            .unwrap()
            .kpis
            .iter()
            .find(|k| k.metric == metric)
            .unwrap_or_else(|| panic!("{person}: {metric}"))
            .clone()
    };
    assert_eq!(kpi("kevin", "Revenue closed").targets, ["$7M by EOY"]);
    assert_eq!(kpi("emmet", "Meeting scheduling").targets, ["<24 hours"]);
    assert_eq!(
        kpi("marc", "Creative approval").targets,
        ["First-round ≥75%"]
    );
    let paying = kpi("ben", "Paying clients");
    assert_eq!(
        paying.group.as_deref(),
        Some("Sales WhyGO #1: Land Enterprise Clients")
    );
    assert_eq!(paying.targets, ["—", "3", "8", "14+"]);
    assert_eq!(
        kpi("daniel", "Active member rate").targets,
        ["Baseline", "TBD", "TBD", "TBD"]
    );
    assert_eq!(
        kpi("wayan", "Client-to-Producer ratio").targets,
        ["Baseline", "Track", "Track", "4:1"]
    );
    assert_eq!(
        kpi("niels", "Compliance certification").targets,
        ["TBD based on client needs"]
    );
    assert_eq!(kpi("zac", "Incident response").targets, ["P1 <2 hours"]);
}

#[test]
fn the_kartel_workbook_has_the_four_company_whygos_with_the_ceos_kpis() {
    let wb = kartel();
    let company: Vec<(&str, i32, &str, usize)> = wb
        .whygos
        .iter()
        .filter(|w| w.level == Level::Company)
        .map(|w| (w.key.as_str(), w.number, w.title.as_str(), w.outcomes.len()))
        .collect();
    assert_eq!(
        company,
        [
            ("company-1", 1, "Product-Market Fit Across Verticals", 3),
            ("company-2", 2, "Operational Excellence", 1),
            ("company-3", 3, "Talent Engine", 1),
            ("company-4", 4, "Enterprise Platform", 1),
        ]
    );
    assert_eq!(targets(&wb, "co-verticals"), four(["—", "5", "5", "5"]));
    assert_eq!(targets(&wb, "co-revenue"), four(["—", "—", "—", "$7M"]));
    assert_eq!(targets(&wb, "co-tier5"), four(["—", "—", "—", "20"]));
    let (_, platform) = wb.outcome("co-platform").unwrap();
    assert_eq!(platform.targets, four(["—", "—", "—", "Live"]));
    assert_eq!(
        platform
            .stages
            .as_ref()
            .and_then(|s| s.last())
            .map(String::as_str),
        Some("Live")
    );
    assert_eq!(wb.outcome("co-revenue").unwrap().1.owners, ["ben"]);
    assert_eq!(wb.outcome("co-margin").unwrap().1.owners, ["luke"]);
    assert_eq!(wb.outcome("co-tier5").unwrap().1.owners, ["fill", "daniel"]);
    assert_eq!(wb.outcome("co-platform").unwrap().1.owners, ["niels"]);
}

#[test]
fn the_kartel_workbook_has_each_departments_whygos_and_outcomes() {
    let wb = kartel();
    let shape: Vec<(&str, &str, usize, Vec<&str>)> = wb
        .whygos
        .iter()
        .filter(|w| w.level == Level::Department)
        .map(|w| {
            (
                w.department.as_deref().unwrap_or(""),
                w.title.as_str(),
                w.outcomes.len(),
                w.ladders_to.iter().map(String::as_str).collect(),
            )
        })
        .collect();
    assert_eq!(
        shape,
        [
            (
                "production",
                "Scale Through Disciplined Handoffs",
                7,
                vec!["company-1", "company-4"]
            ),
            (
                "production",
                "Deliver Premier Client Experience",
                4,
                vec!["company-2"]
            ),
            (
                "production",
                "Scale Production Capacity With Revenue",
                4,
                vec!["company-1", "company-2"]
            ),
            (
                "generative",
                "Role Definition & Scale Readiness",
                4,
                vec!["company-2", "company-3"]
            ),
            (
                "generative",
                "Technical Excellence & R&D",
                4,
                vec!["company-2"]
            ),
            (
                "generative",
                "Generative Platform Expansion & Adoption",
                5,
                vec!["company-3", "company-4"]
            ),
            (
                "sales",
                "Land Enterprise Clients",
                4,
                vec!["company-1", "company-2"]
            ),
            (
                "sales",
                "Client Success Engine",
                3,
                vec!["company-1", "company-2"]
            ),
            (
                "sales",
                "Scalable Sales Ops",
                3,
                vec!["company-1", "company-2"]
            ),
            (
                "community",
                "Talent Engine",
                4,
                vec!["company-3", "company-1"]
            ),
            (
                "community",
                "Community System Performance",
                3,
                vec!["company-3", "company-1"]
            ),
            (
                "platform",
                "Deploy Enterprise Platform",
                3,
                vec!["company-4", "company-2"]
            ),
            (
                "platform",
                "Enterprise Security & Compliance",
                3,
                vec!["company-4", "company-2"]
            ),
            (
                "platform",
                "Unified Identity & Access Management",
                5,
                vec!["company-4", "company-2"]
            ),
        ]
    );
    assert_eq!(wb.outcomes().count(), 66);
}

#[test]
fn the_kartel_workbook_copies_the_production_document_exactly() {
    let wb = kartel();
    assert_eq!(
        targets(&wb, "prod-active-clients"),
        four(["6-8", "12", "16", "20"])
    );
    assert_eq!(
        targets(&wb, "prod-case-studies"),
        four(["2", "4", "6", "8+"])
    );
    assert_eq!(
        targets(&wb, "prod-onboarding-time"),
        four(["21 days", "17 days", "14 days", "14 days"])
    );
    assert_eq!(
        targets(&wb, "prod-on-time"),
        four(["80%", "85%", "90%", "90%+"])
    );
    assert_eq!(
        targets(&wb, "prod-job-requests"),
        four(["Baseline", "+25%", "+50%", "+75%"])
    );
    assert_eq!(
        targets(&wb, "prod-client-ratio"),
        four(["Baseline", "Track", "Track", "Target 4:1"])
    );
    assert_eq!(
        targets(&wb, "prod-producer-onboarding"),
        four(["Baseline", "4 weeks", "3 weeks", "3 weeks"])
    );
    assert_eq!(
        targets(&wb, "prod-producer-jd"),
        four(["Done", "—", "—", "—"])
    );
    let (_, h1) = wb.outcome("prod-handoff-1").unwrap();
    assert_eq!(
        (h1.name.as_str(), h1.owners.as_slice()),
        (
            "Handoff #1 Compliance (Sales→Prod)",
            ["wayan".to_string(), "ben".to_string()].as_slice()
        )
    );
    assert_eq!(
        wb.outcome("prod-handoff-3").unwrap().1.owners,
        ["wayan", "fill"]
    );
    assert_eq!(wb.outcome("prod-nps").unwrap().1.owners, ["ben"]);
    let numbers: Vec<(i32, &str, Option<i32>)> = wb
        .handoff_types
        .iter()
        .filter(|h| h.cycle == CLIENT_CYCLE)
        .map(|h| (h.number, h.name.as_str(), h.sla_hours))
        .collect();
    assert_eq!(
        numbers,
        [
            (1, "Sales → Production", Some(48)),
            (2, "Production → Generative", Some(168)),
            (3, "Generative → Production", Some(72)),
            (4, "Production → Sales", Some(120))
        ]
    );
    assert_eq!(
        wb.handoff_types[0].checklist,
        ["Milestones", "Timeline", "Staffing plan", "Budget"]
    );
    assert_eq!(
        wb.handoff_types[1].checklist,
        [
            "Pod roles",
            "Timeline",
            "Deliverable specs",
            "Brand context"
        ]
    );
    assert_eq!(
        wb.handoff_types[3].checklist,
        ["Margin data", "Case study visuals", "Use cases for Sales"]
    );
}

#[test]
fn the_kartel_workbook_copies_the_generative_document_exactly() {
    let wb = kartel();
    assert_eq!(
        targets(&wb, "gen-pod-load-test"),
        four(["Tested", "Validated", "Optimized", "Documented"])
    );
    assert_eq!(
        targets(&wb, "gen-max-clients"),
        four(["Test", "Baseline", "Validated", "Documented"])
    );
    assert_eq!(
        targets(&wb, "gen-lora-eval"),
        four(["MVP", "v1.0", "Optimized", "—"])
    );
    assert_eq!(
        targets(&wb, "gen-bulk-run"),
        four(["Baseline", "TBD", "TBD", "TBD"])
    );
    assert_eq!(
        targets(&wb, "gen-platform-adoption"),
        four(["—", "Gen", "+ Prod", "+ Comm"])
    );
    assert_eq!(targets(&wb, "gen-demo-days"), four(["3", "6", "9", "12"]));
    assert_eq!(
        wb.outcome("gen-community-platform").unwrap().1.owners,
        ["fill", "niels"]
    );
    assert_eq!(
        wb.outcome("gen-bulk-run").unwrap().1.name,
        "Bulk run success rate (≥1 client-worthy output per batch)"
    );
}

#[test]
fn the_kartel_workbook_turns_the_employee_reference_tables_into_outcomes() {
    let wb = kartel();
    assert_eq!(
        targets(&wb, "sales-revenue"),
        four(["$1.5M", "$3.5M", "$5.5M", "$7M"])
    );
    assert_eq!(
        targets(&wb, "sales-spec-engagements"),
        four(["4", "10", "14", "18+"])
    );
    assert_eq!(targets(&wb, "sales-nps"), four(["—", "—", "—", "50+"]));
    assert_eq!(
        targets(&wb, "sales-retention"),
        four(["90%+", "90%+", "90%+", "90%+"])
    );
    assert_eq!(
        targets(&wb, "sales-forecast-accuracy"),
        four(["±15%", "±15%", "±15%", "±15%"])
    );
    assert_eq!(targets(&wb, "sales-team"), four(["—", "—", "—", "4-5"]));
    assert_eq!(
        targets(&wb, "comm-discord-members"),
        four(["300", "500", "750", "1,000"])
    );
    assert_eq!(
        targets(&wb, "comm-credits"),
        four(["Baseline", "TBD", "TBD", "TBD"])
    );
    assert_eq!(targets(&wb, "plat-sso"), four(["—", "1", "2", "4"]));
    assert_eq!(
        targets(&wb, "plat-security-controls"),
        four(["Baseline", "Core", "Complete", "Audit-ready"])
    );
    let level = |k: &str| wb.outcome(k).unwrap().1.cumulative;
    assert_eq!(level("prod-active-clients"), Some(false));
    assert_eq!(level("prod-producers"), Some(false));
    assert_eq!(level("comm-discord-members"), Some(true));
}

#[test]
fn the_kartel_workbook_has_the_deduplicated_dependencies_and_sign_offs() {
    let wb = kartel();
    assert_eq!(wb.dependencies.len(), 18);
    let qc = wb
        .dependencies
        .iter()
        .find(|d| d.need.starts_with("QC-passed assets"))
        .unwrap();
    assert_eq!(
        (qc.from.as_str(), qc.on.as_str(), qc.criteria.as_deref()),
        ("production", "generative", Some("≥85% pass rate"))
    );
    assert_eq!(
        wb.dependencies
            .iter()
            .filter(|d| d.partner.as_deref() == Some("Lighthouse"))
            .count(),
        1
    );
    assert_eq!(wb.signoffs.len(), 18);
    let individual: Vec<(&str, Approval)> = wb
        .whygos
        .iter()
        .filter(|w| w.level == Level::Individual)
        .map(|w| (w.person.as_deref().unwrap_or(""), w.status))
        .collect();
    assert_eq!(
        individual,
        [("trent", Approval::Submitted), ("brandon", Approval::Draft)]
    );
}

#[test]
fn the_kartel_demo_actuals_cover_three_quarters_and_most_of_q4() {
    let wb = kartel();
    // 228 check-ins less the 34 of the eight outcomes now computed from the
    // engagements (or, for Sales' revenue, from the company KPI).
    assert_eq!(wb.actuals.len(), 194);
    let q4: std::collections::BTreeSet<&str> = wb
        .actuals
        .iter()
        .filter(|a| a.quarter == 4)
        .map(|a| a.outcome.as_str())
        .collect();
    assert_eq!(q4.len(), 41);
    let (from, to) = (
        NaiveDate::from_ymd_opt(2026, 10, 9).unwrap(),
        NaiveDate::from_ymd_opt(2026, 11, 20).unwrap(),
    );
    assert!(
        wb.actuals
            .iter()
            .filter(|a| a.quarter == 4)
            .all(|a| (from..=to).contains(&a.date))
    );
    assert_eq!(
        wb.actuals_for("prod-margin")
            .filter(|a| a.quarter == 3)
            .count(),
        2,
        "a Q3 correction"
    );
    let latest = wb
        .actuals_for("co-revenue")
        .filter(|a| a.quarter == 4)
        .max_by_key(|a| a.date)
        .unwrap();
    assert_eq!(latest.value, "$5.9M");
    assert!(latest.note.is_some());
}

#[test]
fn hostile_texts_are_refused_at_their_key() {
    // A NUL byte (TOML's \u0000 escape) in a name.
    let e = only_error(&with(
        "name = \"Sam Seller\"",
        "name = \"Sam\\u0000Seller\"",
    ));
    assert_eq!(e.key, "person[1].name", "{e}");
    assert!(
        e.message.contains("control characters, found U+0000"),
        "{e}"
    );
    // A megabyte of title.
    let long = "x".repeat(1_000_000);
    let e = only_error(&with("title = \"Grow\"", &format!("title = \"{long}\"")));
    assert_eq!(e.key, "whygo[0].title", "{e}");
    assert!(e.message.contains("at most 10000 characters"), "{e}");
    // A title over the WhyGO form's limit of 200.
    let e = only_error(&with(
        "title = \"Grow\"",
        &format!("title = \"{}\"", "t".repeat(201)),
    ));
    assert_eq!(e.key, "whygo[0].title", "{e}");
    assert!(e.message.contains("Keep it to 200 characters"), "{e}");
    // A slug that is one of whygo's own addresses.
    let e = only_error(&with("slug = \"acme\"", "slug = \"admin\""));
    assert_eq!(e.key, "organization.slug", "{e}");
}

#[test]
fn a_file_of_many_unknown_keys_is_read_in_one_pass_and_lists_a_bounded_number() {
    let junk: String = (0..50_000).map(|i| format!("junk{i} = 1\n")).collect();
    let text = BASE.replacen("[organization]\n", &format!("[organization]\n{junk}"), 1);
    let errors = errors(&text);
    assert_eq!(
        errors.len(),
        read::MAX_ERRORS + 1,
        "the first ones and a line saying more follow"
    );
    assert!(
        errors
            .iter()
            .any(|e| e.message.contains("more problems follow"))
    );
}

// ---------------------------------------------------------------------------
// Version 2: cycles, engagements and their steps, deliverables, dependency
// state and owner, outcome sources
// ---------------------------------------------------------------------------

/// The operations tables a version-2 `BASE` gets, broken one piece at a time.
const OPS: &str = r#"
[[cycle]]
key = "client"
name = "Client cycle"

[[engagement]]
key = "acme-launch"
name = "Launch films"
client = "Acme Retail"
vertical = "Retail"
producer = "sam"
account_manager = "sam"
sow_signed = 2026-01-05
pod_started = 2026-01-20
demo = true
step = [
    { handoff = "sales-to-ops", kind = "opened", at = 2026-01-05T00:00:00Z },
    { handoff = "sales-to-ops", kind = "ticked", at = 2026-01-05T09:00:00Z, by = "sam", item = "Scope" },
    { handoff = "sales-to-ops", kind = "ticked", at = 2026-01-05T09:05:00Z, by = "sam", item = "Budget" },
    { handoff = "sales-to-ops", kind = "submitted", at = 2026-01-05T10:00:00Z, by = "sam" },
    { handoff = "sales-to-ops", kind = "sent_back", at = 2026-01-05T12:00:00Z, by = "ceo", reason = "Budget has no contingency" },
    { handoff = "sales-to-ops", kind = "submitted", at = 2026-01-06T08:00:00Z, by = "sam" },
    { handoff = "sales-to-ops", kind = "accepted", at = 2026-01-06T11:30:00+02:00, by = "ceo" },
]

[[deliverable]]
whygo = "sales-1"
title = "Pricing sheet"
owner = "sam"
due = "End of Q1"
done = 2026-03-20

[[deliverable]]
whygo = "sales-1"
title = "Partner list"
due = 2026-06-30
"#;

/// `BASE` as version 2 with [`OPS`], then `from` replaced by `to` (which
/// must occur exactly once).
fn v2_with(from: &str, to: &str) -> String {
    let text = format!("{}{OPS}", BASE.replacen("workbook = 1", "workbook = 2", 1));
    assert_eq!(text.matches(from).count(), 1, "“{from}” must occur once");
    text.replacen(from, to, 1)
}

fn v2() -> String {
    v2_with("[[cycle]]", "[[cycle]]")
}

#[test]
fn a_version_2_workbook_reads_its_operations_tables() {
    let wb = parse("acme.toml", &v2()).unwrap_or_else(|e| panic!("{}", show(&e)));
    assert_eq!(wb.version, 2);
    assert_eq!(
        wb.cycles(),
        [Cycle {
            key: "client".into(),
            name: "Client cycle".into()
        }]
    );
    let t = &wb.handoff_types[0];
    assert_eq!(
        (t.cycle.as_str(), t.opener, t.sla_hours),
        ("client", None, Some(48))
    );
    let e = &wb.engagements[0];
    assert_eq!(
        (e.key.as_str(), e.vertical.as_str(), e.status, e.demo),
        ("acme-launch", "Retail", EngagementStatus::Active, true)
    );
    assert_eq!(e.steps.len(), 7);
    assert_eq!(e.steps[0].by, None, "opened by its trigger");
    assert_eq!(e.steps[4].kind, StepWord::SentBack);
    assert_eq!(
        e.steps[4].reason.as_deref(),
        Some("Budget has no contingency")
    );
    // Offsets are read and kept in UTC.
    assert_eq!(e.steps[6].at.to_rfc3339(), "2026-01-06T09:30:00+00:00");
    assert_eq!(
        wb.deliverables[1].due, "2026-06-30",
        "a bare date is kept as written"
    );
    assert_eq!(
        wb.deliverables[0].done,
        NaiveDate::from_ymd_opt(2026, 3, 20)
    );
    assert_eq!(wb.dependencies[0].state, DependencyState::Open);
    // The replay gives the domain's handoff: sent back once, then accepted.
    let (handoffs, problems) = crate::domain::operations::from_workbook::handoffs(&wb);
    assert!(problems.is_empty(), "{problems:?}");
    assert_eq!(handoffs.len(), 1);
    assert_eq!(
        handoffs[0].phase(),
        crate::domain::operations::Phase::Accepted
    );
}

#[test]
fn a_version_1_workbook_is_told_which_keys_need_version_2() {
    let text = with(
        "due = \"Per project\"",
        "due = \"Per project\"\nstate = \"done\"",
    );
    let e = only_error(&text);
    assert_error(
        &e,
        line_of(&text, "state = \"done\"", 1),
        "dependency[0].state",
        "“state” is a `workbook = 2` key",
    );
    let text =
        format!("{BASE}\n[[deliverable]]\nwhygo = \"sales-1\"\ntitle = \"x\"\ndue = \"Q1\"\n");
    let e = only_error(&text);
    assert_error(
        &e,
        line_of(&text, "[[deliverable]]", 1),
        "deliverable",
        "write `workbook = 2`",
    );
    // In version 1 the hours stay required.
    let e = only_error(&with("sla_hours = 48\n", ""));
    assert_eq!(e.key, "handoff_type[0].sla_hours", "{e}");
}

#[test]
fn a_handoff_type_names_a_cycle_that_exists_and_an_sla_that_reads() {
    let text = v2_with("sla_hours = 48\n", "sla_hours = 48\ncycle = \"talent\"\n");
    let all = errors(&text);
    assert_error(
        &all[0],
        line_of(&text, "cycle = \"talent\"", 1),
        "handoff_type[0].cycle",
        "unknown cycle “talent”",
    );
    // The client cycle is left without types; the steps are not blamed too.
    assert_eq!(all.len(), 2, "{}", show(&all));
    assert_eq!(all[1].key, "cycle[0]");
    // Without the hours, the words must hold an SLA.
    let text = v2_with(
        "sla_hours = 48\nsla = \"48 hours after signature\"",
        "sla = \"as agreed\"",
    );
    let e = only_error(&text);
    assert_error(
        &e,
        line_of(&text, "sla = \"as agreed\"", 1),
        "handoff_type[0].sla",
        "no SLA in \"as agreed\"",
    );
    let text = v2_with(
        "sla = \"48 hours after signature\"",
        "sla = \"0 hours after signature\"",
    );
    assert_eq!(only_error(&text).key, "handoff_type[0].sla");
    let text = v2_with(
        "checklist = [\"Scope\", \"Budget\"]",
        "checklist = [\"Scope\", \"Budget\"]\nopener = \"whenever\"",
    );
    let e = only_error(&text);
    assert_error(
        &e,
        line_of(&text, "opener = \"whenever\"", 1),
        "handoff_type[0].opener",
        "\"sow_signed\", \"pod_started\", \"delivered\", \"closed\", \"previous\", \"manual\"",
    );
}

#[test]
fn numbers_are_unique_within_a_cycle_and_every_cycle_has_types() {
    let second = "\n[[handoff_type]]\nkey = \"ops-to-sales\"\ncycle = \"talent\"\nnumber = 1\nname = \"Back\"\nfrom = \"ops\"\nto = \"sales\"\ntrigger = \"t\"\nsla = \"within 24 hours\"\nchecklist = [\"x\"]\n";
    let cycle = "[[cycle]]\nkey = \"talent\"\nname = \"Talent\"\n\n";
    // Number 1 again, in another cycle: fine.
    let ok = v2_with("[[engagement]]", &format!("{cycle}[[engagement]]")) + second;
    parse("acme.toml", &ok).unwrap_or_else(|e| panic!("{}", show(&e)));
    // Number 1 again in the same cycle: refused at the second.
    let text = v2() + &second.replace("cycle = \"talent\"\n", "");
    let e = only_error(&text);
    assert_error(
        &e,
        line_of(&text, "name = \"Back\"", 1) - 1,
        "handoff_type[1].number",
        "already used by handoff type “sales-to-ops” in the cycle “client”",
    );
    // A cycle nothing runs through.
    let text = v2_with("[[engagement]]", &format!("{cycle}[[engagement]]"));
    let e = only_error(&text);
    assert_error(
        &e,
        line_of(&text, "[[cycle]]", 2),
        "cycle[1]",
        "the cycle “talent” has no handoff types",
    );
    // Without [[cycle]], only the client cycle exists.
    let text = v2_with("[[cycle]]\nkey = \"client\"\nname = \"Client cycle\"\n", "");
    parse("acme.toml", &text).unwrap_or_else(|e| panic!("{}", show(&e)));
    let text = v2_with("[[cycle]]\nkey = \"client\"\nname = \"Client cycle\"\n", "").replacen(
        "sla_hours = 48",
        "sla_hours = 48\ncycle = \"clients\"",
        1,
    );
    assert_error(
        &only_error(&text),
        line_of(&text, "cycle = \"clients\"", 1),
        "handoff_type[0].cycle",
        "a file without [[cycle]] has the client cycle only",
    );
}

#[test]
fn an_engagement_names_people_and_a_cycle_that_exist_with_dates_in_order() {
    let text = v2_with("producer = \"sam\"", "producer = \"sal\"");
    assert_error(
        &only_error(&text),
        line_of(&text, "producer = \"sal\"", 1),
        "engagement[0].producer",
        "unknown person “sal”",
    );
    let text = v2_with(
        "vertical = \"Retail\"",
        "vertical = \"Retail\"\ncycle = \"talent\"",
    );
    assert_error(
        &only_error(&text),
        line_of(&text, "cycle = \"talent\"", 1),
        "engagement[0].cycle",
        "unknown cycle “talent”",
    );
    let text = v2_with("pod_started = 2026-01-20", "pod_started = 2026-01-02");
    assert_error(
        &only_error(&text),
        line_of(&text, "[[engagement]]", 1),
        "engagement[0]",
        "Pod started (2026-01-02) is before SOW signed (2026-01-05)",
    );
    let text = v2_with("demo = true", "demo = true\nstatus = \"closed\"");
    assert_error(
        &only_error(&text),
        line_of(&text, "[[engagement]]", 1),
        "engagement[0]",
        "A closed engagement needs its closed date",
    );
    let text = v2_with("demo = true", "demo = true\nstatus = \"won\"");
    assert_error(
        &only_error(&text),
        line_of(&text, "status = \"won\"", 1),
        "engagement[0].status",
        "\"active\", \"closed\", \"lost\"",
    );
    let text =
        v2() + "\n[[engagement]]\nkey = \"acme-launch\"\nname = \"Again\"\nclient = \"Acme\"\n";
    assert_error(
        &only_error(&text),
        line_of(&text, "key = \"acme-launch\"", 2),
        "engagement[1].key",
        "duplicate engagement key “acme-launch”",
    );
}

#[test]
fn an_impossible_step_is_an_error_at_its_line() {
    let accept = "{ handoff = \"sales-to-ops\", kind = \"accepted\", at = 2026-01-06T11:30:00+02:00, by = \"ceo\" },";
    let resubmit = "{ handoff = \"sales-to-ops\", kind = \"submitted\", at = 2026-01-06T08:00:00Z, by = \"sam\" },";
    // Accepted twice: nothing follows acceptance.
    let text = v2_with(accept, &format!("{accept}\n    {accept}"));
    let e = only_error(&text);
    assert_error(
        &e,
        line_of(&text, "kind = \"accepted\"", 2),
        "engagement[0].step[7].kind",
        "cannot be “accepted” here: It is already accepted.",
    );
    // Accepted without the resubmission after a send-back.
    let text = v2_with(&format!("{resubmit}\n"), "");
    assert_error(
        &only_error(&text),
        line_of(&text, "kind = \"accepted\"", 1),
        "engagement[0].step[5].kind",
        "It has not been submitted yet.",
    );
    // Dated before the step it follows.
    let text = v2_with("at = 2026-01-06T08:00:00Z", "at = 2026-01-05T11:00:00Z");
    assert_error(
        &only_error(&text),
        line_of(&text, "at = 2026-01-05T11:00:00Z", 1),
        "engagement[0].step[5].at",
        "A step cannot be dated before the step it follows.",
    );
    // The first step of a handoff opens it.
    let opened = "{ handoff = \"sales-to-ops\", kind = \"opened\", at = 2026-01-05T00:00:00Z },\n";
    let text = v2_with(opened, "");
    assert_error(
        &only_error(&text),
        line_of(&text, "item = \"Scope\"", 1),
        "engagement[0].step[0].kind",
        "the first step of handoff “sales-to-ops” is “opened”",
    );
    // A send-back says why.
    let text = v2_with(", reason = \"Budget has no contingency\"", "");
    assert_error(
        &only_error(&text),
        line_of(&text, "kind = \"sent_back\"", 1),
        "engagement[0].step[4].kind",
        "Say why it is sent back.",
    );
}

#[test]
fn a_step_names_its_handoff_item_person_and_time_properly() {
    let text = v2_with("item = \"Scope\"", "item = \"Scoop\"");
    assert_error(
        &only_error(&text),
        line_of(&text, "item = \"Scoop\"", 1),
        "engagement[0].step[1].item",
        "“Scoop” is not on this handoff's checklist (expected one of: “Scope”, “Budget”)",
    );
    let text = v2_with(", item = \"Scope\"", "");
    assert_error(
        &only_error(&text),
        line_of(&text, "09:00:00Z", 1),
        "engagement[0].step[1].item",
        "a “ticked” step needs the checklist item",
    );
    let text = v2_with(
        "kind = \"submitted\", at = 2026-01-05T10:00:00Z, by = \"sam\"",
        "kind = \"submitted\", at = 2026-01-05T10:00:00Z, by = \"sam\", item = \"Scope\"",
    );
    assert_error(
        &only_error(&text),
        line_of(&text, "2026-01-05T10:00:00Z", 1),
        "engagement[0].step[3].item",
        "“item” goes with a ticked or unticked step only",
    );
    let text = v2_with(
        "at = 2026-01-05T10:00:00Z, by = \"sam\"",
        "at = 2026-01-05T10:00:00Z",
    );
    assert_error(
        &only_error(&text),
        line_of(&text, "2026-01-05T10:00:00Z", 1),
        "engagement[0].step[3].by",
        "a “submitted” step needs who took it",
    );
    let text = v2_with(
        "at = 2026-01-05T10:00:00Z, by = \"sam\"",
        "at = 2026-01-05T10:00:00Z, by = \"sal\"",
    );
    assert_error(
        &only_error(&text),
        line_of(&text, "by = \"sal\"", 1),
        "engagement[0].step[3].by",
        "unknown person “sal”",
    );
    let text = v2_with("at = 2026-01-05T12:00:00Z", "at = 2026-01-05 noon");
    let syntax = errors(&text);
    assert_eq!(syntax[0].key, "toml", "{}", show(&syntax));
    let text = v2_with("at = 2026-01-05T12:00:00Z", "at = 2026-01-05T12:00:00");
    assert_error(
        &only_error(&text),
        line_of(&text, "at = 2026-01-05T12:00:00,", 1),
        "engagement[0].step[4].at",
        "expected a date and time with its offset (RFC 3339)",
    );
    let text = v2_with(
        "{ handoff = \"sales-to-ops\", kind = \"opened\"",
        "{ handoff = \"sales-to-client\", kind = \"opened\"",
    );
    let e = errors(&text);
    assert_error(
        &e[0],
        line_of(&text, "sales-to-client", 1),
        "engagement[0].step[0].handoff",
        "unknown handoff type “sales-to-client”",
    );
}

#[test]
fn a_deliverable_belongs_to_a_whygo_and_is_listed_once() {
    let text = v2_with(
        "whygo = \"sales-1\"\ntitle = \"Pricing sheet\"",
        "whygo = \"sales-9\"\ntitle = \"Pricing sheet\"",
    );
    assert_error(
        &only_error(&text),
        line_of(&text, "whygo = \"sales-9\"", 1),
        "deliverable[0].whygo",
        "unknown WhyGO “sales-9”",
    );
    let text = v2_with(
        "owner = \"sam\"\ndue = \"End of Q1\"",
        "owner = \"sal\"\ndue = \"End of Q1\"",
    );
    assert_error(
        &only_error(&text),
        line_of(&text, "owner = \"sal\"", 1),
        "deliverable[0].owner",
        "unknown person “sal”",
    );
    let text = v2_with("title = \"Partner list\"", "title = \"pricing sheet\"");
    assert_error(
        &only_error(&text),
        line_of(&text, "title = \"pricing sheet\"", 1),
        "deliverable[1].title",
        "already listed in deliverable[0]",
    );
    let text = v2_with("due = 2026-06-30", "due = 2026-06-31");
    assert_eq!(errors(&text)[0].key, "toml");
    let text = v2_with("done = 2026-03-20", "done = \"soon\"");
    assert_error(
        &only_error(&text),
        line_of(&text, "done = \"soon\"", 1),
        "deliverable[0].done",
        "expected a date written YYYY-MM-DD",
    );
}

#[test]
fn a_dependency_takes_a_state_and_an_owner_who_exists() {
    let text = v2_with(
        "due = \"Per project\"",
        "due = \"Per project\"\nstate = \"on_track\"\nowner = \"sam\"",
    );
    let wb = parse("acme.toml", &text).unwrap_or_else(|e| panic!("{}", show(&e)));
    assert_eq!(
        (
            wb.dependencies[0].state,
            wb.dependencies[0].owner.as_deref()
        ),
        (DependencyState::OnTrack, Some("sam"))
    );
    let text = v2_with(
        "due = \"Per project\"",
        "due = \"Per project\"\nstate = \"late\"",
    );
    assert_error(
        &only_error(&text),
        line_of(&text, "state = \"late\"", 1),
        "dependency[0].state",
        "\"open\", \"on_track\", \"at_risk\", \"done\"",
    );
    let text = v2_with(
        "due = \"Per project\"",
        "due = \"Per project\"\nowner = \"sal\"",
    );
    assert_error(
        &only_error(&text),
        line_of(&text, "owner = \"sal\"", 1),
        "dependency[0].owner",
        "unknown person “sal”",
    );
}

#[test]
fn an_outcome_source_reads_names_what_exists_and_takes_no_actuals() {
    let deals = "targets = [\"1\", \"2\", \"3\", \"4\"]\n\n[[signoff]]";
    let source = |words: &str| {
        v2_with(
            deals,
            &format!("targets = [\"1\", \"2\", \"3\", \"4\"]\nsource = \"{words}\"\n\n[[signoff]]"),
        )
        .replacen(
            "[[actual]]\noutcome = \"deals\"",
            "[[actual]]\noutcome = \"revenue\"",
            1,
        )
        .replacen("value = \"1\"", "value = \"$1M\"", 1)
    };
    for ok in [
        "handoff-compliance:sales-to-ops",
        "first-pass-rate",
        "active-engagements:client",
        "closing-reports:sales-to-ops",
        "onboarding-days",
        "outcome:revenue",
    ] {
        let wb = parse("acme.toml", &source(ok)).unwrap_or_else(|e| panic!("{ok}: {}", show(&e)));
        assert_eq!(wb.outcome("deals").unwrap().1.source.as_deref(), Some(ok));
    }
    for (bad, message) in [
        ("revenue", "\"revenue\" is not a source"),
        (
            "handoff-compliance:sales-to-opps",
            "unknown handoff type “sales-to-opps”",
        ),
        ("active-engagements:talent", "unknown cycle “talent”"),
        ("outcome:profit", "unknown outcome “profit”"),
        ("outcome:deals", "cannot take its actuals from itself"),
    ] {
        let text = source(bad);
        assert_error(
            &only_error(&text),
            line_of(&text, "source = ", 1),
            "whygo[1].outcome[0].source",
            message,
        );
    }
    // Two outcomes reading each other never reach a check-in.
    let text = source("outcome:revenue").replacen(
        "targets = [\"$1M\", \"$2M\", \"$3M\", \"$4M\"]",
        "targets = [\"$1M\", \"$2M\", \"$3M\", \"$4M\"]\nsource = \"outcome:deals\"",
        1,
    );
    let errors = errors(&text);
    assert!(
        errors.iter().any(|e| e
            .message
            .contains("outcome sources form a loop: revenue → deals → revenue")),
        "{}",
        show(&errors)
    );
    // A computed outcome takes no check-ins: the actual is the error.
    let text = v2_with(
        deals,
        "targets = [\"1\", \"2\", \"3\", \"4\"]\nsource = \"handoff-compliance:sales-to-ops\"\n\n[[signoff]]",
    );
    assert_error(
        &only_error(&text),
        line_of(&text, "outcome = \"deals\"", 1),
        "actual[0].outcome",
        "is computed from its source “handoff-compliance:sales-to-ops”",
    );
}

#[test]
fn the_documented_operations_example_parses_after_the_small_example() {
    let block = |n: usize| {
        let mut at = 0;
        for _ in 0..n {
            at += DOC[at..].find("```toml\n").expect("a toml example") + "```toml\n".len();
        }
        let len = DOC[at..].find("```").expect("the example's end");
        &DOC[at..at + len]
    };
    let text = format!(
        "{}{}",
        block(1).replacen("workbook = 1", "workbook = 2", 1),
        block(2)
    );
    let wb = parse("docs/workbook.md", &text).unwrap_or_else(|e| panic!("{}", show(&e)));
    assert_eq!(wb.engagements.len(), 1);
    assert_eq!(wb.engagements[0].steps.len(), 8);
    assert_eq!(wb.deliverables.len(), 1);
    let (handoffs, problems) = crate::domain::operations::from_workbook::handoffs(&wb);
    assert!(problems.is_empty(), "{problems:?}");
    let state = handoffs[0].state(
        &crate::domain::operations::Sla::within_hours(48),
        chrono::DateTime::parse_from_rfc3339("2026-03-01T00:00:00Z")
            .unwrap()
            .to_utc(),
    );
    assert_eq!(
        state.standing,
        crate::domain::operations::Standing::Compliant,
        "sent back once, accepted complete 34 h 30 min after the trigger"
    );
}

#[test]
fn cycles_are_unique_and_a_step_takes_a_type_of_its_engagements_cycle() {
    let text = v2_with(
        "[[engagement]]",
        "[[cycle]]\nkey = \"client\"\nname = \"Again\"\n\n[[engagement]]",
    );
    assert_error(
        &only_error(&text),
        line_of(&text, "key = \"client\"", 2),
        "cycle[1].key",
        "duplicate cycle key “client”",
    );
    // A talent type used in a client engagement.
    let talent = "[[cycle]]\nkey = \"talent\"\nname = \"Talent\"\n\n[[handoff_type]]\nkey = \"tier-4-to-5\"\ncycle = \"talent\"\nnumber = 1\nname = \"Tier 4 → 5\"\nfrom = \"ops\"\nto = \"sales\"\ntrigger = \"Matched\"\nopener = \"manual\"\nsla = \"answer within 72 hrs of receipt\"\nchecklist = [\"Certified\"]\n\n[[engagement]]";
    let text = v2_with("[[engagement]]", talent).replacen(
        "{ handoff = \"sales-to-ops\", kind = \"opened\", at = 2026-01-05T00:00:00Z },",
        "{ handoff = \"tier-4-to-5\", kind = \"opened\", at = 2026-01-05T00:00:00Z },\n    { handoff = \"sales-to-ops\", kind = \"opened\", at = 2026-01-05T00:00:00Z },",
        1,
    );
    assert_error(
        &only_error(&text),
        line_of(&text, "tier-4-to-5\", kind = \"opened\"", 1),
        "engagement[0].step[0].handoff",
        "handoff type “tier-4-to-5” belongs to the cycle “talent”, not to this engagement's cycle “client”",
    );
}

#[test]
fn a_steps_extra_fields_belong_to_its_kind() {
    let text = v2_with(
        "kind = \"submitted\", at = 2026-01-05T10:00:00Z, by = \"sam\"",
        "kind = \"submitted\", at = 2026-01-05T10:00:00Z, by = \"sam\", reason = \"why not\"",
    );
    assert_error(
        &only_error(&text),
        line_of(&text, "reason = \"why not\"", 1),
        "engagement[0].step[3].reason",
        "“reason” goes with a sent_back step only",
    );
    let needed = "{ handoff = \"sales-to-ops\", kind = \"needed_by\", at = 2026-01-05T08:00:00Z, by = \"sam\" },";
    let text = v2_with(
        "    { handoff = \"sales-to-ops\", kind = \"submitted\", at = 2026-01-05T10:00:00Z",
        &format!(
            "    {needed}\n    {{ handoff = \"sales-to-ops\", kind = \"submitted\", at = 2026-01-05T10:00:00Z"
        ),
    );
    assert_error(
        &only_error(&text),
        line_of(&text, "kind = \"needed_by\"", 1),
        "engagement[0].step[3].needed_by",
        "a needed_by step needs the date",
    );
    let text = v2_with(
        "name = \"Launch films\"",
        &format!("name = \"{}\"", "x".repeat(201)),
    );
    assert_error(
        &only_error(&text),
        line_of(&text, "xxxxx", 1),
        "engagement[0].name",
        "at most 200 characters",
    );
}

// ---------------------------------------------------------------------------
// Version 2: what an export writes that the app holds (issue 14)
// ---------------------------------------------------------------------------

#[test]
fn version_2_may_leave_out_the_texts_the_admin_pages_may_leave_empty() {
    // A person's title, a handoff type's trigger and SLA words (its hours
    // give the SLA), a dependency's deliverable.
    let text = v2_with("title = \"Head of Sales\"\n", "")
        .replacen("trigger = \"Contract signed\"\n", "", 1)
        .replacen("sla = \"48 hours after signature\"\n", "", 1)
        .replacen("deliverable = \"Contract package\"\n", "", 1);
    let wb = parse("acme.toml", &text).unwrap_or_else(|e| panic!("{}", show(&e)));
    let sam = wb.person("sam").expect("sam");
    assert_eq!(sam.title, "");
    let t = &wb.handoff_types[0];
    assert_eq!(
        (t.trigger.as_str(), t.sla.as_str(), t.sla_hours),
        ("", "", Some(48))
    );
    assert_eq!(wb.dependencies[0].deliverable, "");
    // Version 1 still asks for them.
    let e = only_error(&with("trigger = \"Contract signed\"\n", ""));
    assert_eq!(e.key, "handoff_type[0].trigger", "{e}");
}

#[test]
fn a_version_2_handoff_type_needs_sla_words_or_hours() {
    let text = v2_with("sla_hours = 48\nsla = \"48 hours after signature\"\n", "");
    let e = only_error(&text);
    assert_error(
        &e,
        line_of(&text, "[[handoff_type]]", 1),
        "handoff_type[0].sla",
        "needs its SLA",
    );
}

#[test]
fn a_version_2_handoff_type_may_have_no_checklist_yet() {
    // Without the engagement, whose steps tick its items.
    let text = v2_with("checklist = [\"Scope\", \"Budget\"]", "checklist = []");
    let start = text.find("[[engagement]]").expect("engagement");
    let end = text.find("[[deliverable]]").expect("deliverable");
    let text = format!("{}{}", &text[..start], &text[end..]);
    let wb = parse("acme.toml", &text).unwrap_or_else(|e| panic!("{}", show(&e)));
    assert!(wb.handoff_types[0].checklist.is_empty());
}

#[test]
fn version_2_reads_the_settings_people_and_approvals_the_app_changes() {
    let text = v2_with(
        "signers = [\"ceo\"]\n",
        "signers = [\"ceo\"]\nindividuals_visible_to_all = true\nmax_individual_whygos = 5\n",
    )
    .replacen(
        "reports_to = \"ceo\"\n",
        "reports_to = \"ceo\"\nactive = false\n",
        1,
    )
    .replacen(
        "ladders_to = [\"company-1\"]\n",
        "ladders_to = [\"company-1\"]\napproved_by_plan = false\n",
        1,
    );
    let wb = parse("acme.toml", &text).unwrap_or_else(|e| panic!("{}", show(&e)));
    assert_eq!(wb.organization.individuals_visible_to_all, Some(true));
    assert_eq!(wb.organization.max_individual_whygos, Some(5));
    assert!(!wb.person("sam").expect("sam").active);
    assert!(
        wb.person("ceo").expect("ceo").active,
        "active unless written"
    );
    assert!(!wb.whygo("sales-1").expect("sales-1").approved_by_plan);
    assert!(wb.whygo("company-1").expect("company-1").approved_by_plan);

    let text = v2_with(
        "signers = [\"ceo\"]\n",
        "signers = [\"ceo\"]\nmax_individual_whygos = 21\n",
    );
    let e = only_error(&text);
    assert_error(
        &e,
        line_of(&text, "max_individual_whygos", 1),
        "organization.max_individual_whygos",
        "from 1 to 20, found 21",
    );
    // Version 1 knows none of them.
    let text = with(
        "reports_to = \"ceo\"\n",
        "reports_to = \"ceo\"\nactive = false\n",
    );
    let e = only_error(&text);
    assert!(e.message.contains("is a `workbook = 2` key"), "{e}");
}

#[test]
fn only_a_company_or_department_whygo_says_whether_the_plan_approves_it() {
    let individual = "\n[[whygo]]\nkey = \"sam-1\"\nlevel = \"individual\"\nperson = \"sam\"\nnumber = 1\ntitle = \"Close\"\nwhy = \"Deals.\"\ngoal = \"Close one.\"\nladders_to = [\"sales-1\"]\napproved_by_plan = false\n\n[[whygo.outcome]]\nkey = \"sam-deals\"\nname = \"Deals\"\ntargets = [\"1\", \"1\", \"1\", \"1\"]\n\n[[whygo.outcome]]\nkey = \"sam-calls\"\nname = \"Calls\"\ntargets = [\"9\", \"9\", \"9\", \"9\"]\n";
    let text = format!("{}{individual}", v2());
    let e = only_error(&text);
    assert_error(
        &e,
        line_of(&text, "approved_by_plan = false", 1),
        "whygo[2].approved_by_plan",
        "only a company or department WhyGO",
    );
}

#[test]
fn a_step_names_who_took_it_by_person_or_by_label_not_both() {
    let step = "by = \"sam\", item = \"Scope\" }";
    let text = v2_with(
        step,
        "by_label = \"guest@acme.example\", item = \"Scope\" }",
    );
    let wb = parse("acme.toml", &text).unwrap_or_else(|e| panic!("{}", show(&e)));
    let s = &wb.engagements[0].steps[1];
    assert_eq!(
        (s.by.as_deref(), s.by_label.as_deref()),
        (None, Some("guest@acme.example"))
    );
    let (handoffs, problems) = crate::domain::operations::from_workbook::handoffs(&wb);
    assert!(problems.is_empty(), "{problems:?}");
    assert_eq!(handoffs[0].steps[1].by, "guest@acme.example");

    let text = v2_with(
        step,
        "by = \"sam\", by_label = \"guest@acme.example\", item = \"Scope\" }",
    );
    let e = only_error(&text);
    assert_eq!(e.key, "engagement[0].step[1].by_label", "{e}");
    assert!(e.message.contains("not both"), "{e}");
}

#[test]
fn an_engagement_keeps_the_checklist_its_handoff_opened_with() {
    // The type now asks for one item; the handoff opened with two.
    let text = v2_with(
        "checklist = [\"Scope\", \"Budget\"]",
        "checklist = [\"Scope\"]",
    )
    .replacen(
        "demo = true\n",
        "demo = true\nchecklists = { sales-to-ops = [\"Scope\", \"Budget\"] }\n",
        1,
    );
    let wb = parse("acme.toml", &text).unwrap_or_else(|e| panic!("{}", show(&e)));
    let (handoffs, problems) = crate::domain::operations::from_workbook::handoffs(&wb);
    assert!(problems.is_empty(), "{problems:?}");
    assert_eq!(handoffs[0].checklist, ["Scope", "Budget"]);
    // Without it, "Budget" is not on the checklist.
    let text = text.replacen(
        "checklists = { sales-to-ops = [\"Scope\", \"Budget\"] }\n",
        "",
        1,
    );
    assert!(
        only_error(&text)
            .message
            .contains("“Budget” is not on this handoff's checklist")
    );
    // Only for a type of its cycle.
    let text = v2_with(
        "demo = true\n",
        "demo = true\nchecklists = { nowhere = [\"Scope\"] }\n",
    );
    let e = only_error(&text);
    assert_error(
        &e,
        line_of(&text, "checklists = ", 1),
        "engagement[0].checklists.nowhere",
        "unknown handoff type “nowhere”",
    );
}
