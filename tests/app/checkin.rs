//! My check-in over HTTP on the demo: the form, saving (and what the other
//! pages make of it at once), every kind of bad value, the preview with and
//! without JavaScript, the quarters open on a date, who may enter what, CSRF.

use serde_json::Value;

use crate::common::{Client, TestDb, app, demo_db, signed_in, signed_in_on};

const AS_OF: &str = "2026-11-21";

/// What askama makes of text in HTML.
fn html(s: &str) -> String {
    s.replace('&', "&#38;")
        .replace('<', "&#60;")
        .replace('>', "&#62;")
        .replace('"', "&#34;")
        .replace('\'', "&#39;")
}

async fn count(db: &TestDb, table: &str) -> i64 {
    sqlx::query_scalar(&format!("select count(*) from {table}"))
        .fetch_one(&db.pool)
        .await
        .expect("count")
}

/// (actuals, audit entries): what a refused request must leave unchanged.
async fn written(db: &TestDb) -> (i64, i64) {
    (count(db, "actuals").await, count(db, "audit_log").await)
}

/// The report's view of one outcome's quarter, as of `as_of`.
async fn quarter(c: &mut Client, outcome: &str, q: u64, as_of: &str) -> Value {
    let res = c.get(&format!("/kartel/report.json?as_of={as_of}")).await;
    res.expect_status(200);
    let report: Value = serde_json::from_str(&res.body).expect("report JSON");
    report["whygos"]
        .as_array()
        .into_iter()
        .flatten()
        .flat_map(|w| w["outcomes"].as_array().into_iter().flatten())
        .filter(|o| o["key"] == outcome)
        .flat_map(|o| o["quarters"].as_array().into_iter().flatten())
        .find(|x| x["quarter"] == q)
        .cloned()
        .unwrap_or_else(|| panic!("{outcome} Q{q} is in the report"))
}

async fn checkin_page(c: &mut Client, as_of: &str) -> crate::common::Response {
    let res = c.get(&format!("/kartel/checkin?as_of={as_of}")).await;
    res.expect_status(200);
    res
}

#[tokio::test]
async fn the_form_lists_every_outcome_wayan_owns_with_target_expected_and_last_actual() {
    let db = demo_db().await;
    let mut wayan = signed_in(&db, "wayan").await;
    let page = checkin_page(&mut wayan, AS_OF).await;
    let body = &page.body;
    for text in [
        "My check-in",
        "Q4 FY2026",
        "Scale Through Disciplined Handoffs",
        "Active client engagements",
        "Case study packages delivered",
        "Production Margin",
        "Expected today",
        "<dd>49.1%</dd>",
        "name=\"value-4-prod-case-studies\"",
        "name=\"note-4-prod-case-studies\"",
        "placeholder=\"e.g. 40%\"",
        "<script src=\"/static/checkin.js\" defer></script>",
        "name=\"action\" value=\"preview\"",
        "name=\"csrf_token\"",
    ] {
        assert!(body.contains(text), "missing {text:?}");
    }
    // A stage outcome gets the ladder as a select; Ben's outcome is not Wayan's.
    assert!(body.contains("<select id=\"value-4-prod-producer-jd\""));
    assert!(body.contains("<option value=\"Done\">Done</option>"));
    assert!(
        !body.contains("value-4-prod-nps"),
        "Ben owns the NPS outcome"
    );
    // Active clients are computed from the engagements: listed, no field.
    assert!(!body.contains("name=\"value-4-prod-active-clients\""));
    assert!(!body.contains("value-3-"), "Q3 closed on Oct 14");
    // The last actual and its date (Production's margin, expected 49.1%
    // today: active clients are computed from the engagements and have no
    // check-ins).
    let plan_actual: (String, chrono::NaiveDate) = sqlx::query_as(
        "select a.value, a.entered_on from actuals a join outcomes o on o.id = a.outcome_id
         where o.key = 'prod-margin' and a.quarter = 4 and a.entered_on <= '2026-11-21'
         order by a.entered_on desc, a.seq desc limit 1",
    )
    .fetch_one(&db.pool)
    .await
    .expect("the demo has a Q4 actual");
    assert!(
        body.contains(&plan_actual.1.format("%-d %b %Y").to_string()),
        "the last actual's date"
    );
    // No inline script or style anywhere.
    assert!(!body.contains("<script>") && !body.contains(" style="));
}

#[tokio::test]
async fn wayan_checks_in_and_the_pages_show_the_new_status_at_once() {
    let db = demo_db().await;
    let mut wayan = signed_in(&db, "wayan").await;
    let before = quarter(&mut wayan, "prod-margin", 4, AS_OF).await;
    assert_eq!(before["status"], "~", "the demo has 47% against 49.1%");
    let (actuals, audits) = written(&db).await;

    checkin_page(&mut wayan, AS_OF).await;
    let res = wayan
        .post(
            &format!("/kartel/checkin?as_of={AS_OF}"),
            &[
                ("value-4-prod-margin", "50%"),
                ("note-4-prod-margin", "Freelancers released."),
                ("value-4-prod-on-time", " 94% "),
                ("note-4-prod-on-time", ""),
                ("value-4-prod-case-studies", ""),
                ("action", "save"),
            ],
        )
        .await;
    res.expect_status(303);
    let to = res.location.clone().expect("a redirect");
    assert_eq!(to, format!("/kartel/checkin?saved=2&as_of={AS_OF}"));
    let confirm = wayan.get(&to).await;
    confirm.expect_status(200);
    assert!(confirm.body.contains("2 check-ins saved."));

    assert_eq!(written(&db).await, (actuals + 2, audits + 2));
    let row: (i16, String, String, chrono::NaiveDate, String, String) = sqlx::query_as(
        "select a.quarter, a.value, a.note, a.entered_on, a.source, p.key from actuals a
         join outcomes o on o.id = a.outcome_id join people p on p.id = a.entered_by
         where o.key = 'prod-margin' order by a.seq desc limit 1",
    )
    .fetch_one(&db.pool)
    .await
    .expect("the new actual");
    assert_eq!(
        row,
        (
            4,
            "50%".to_owned(),
            "Freelancers released.".to_owned(),
            chrono::NaiveDate::from_ymd_opt(2026, 11, 21).expect("date"),
            "web".to_owned(),
            "wayan".to_owned()
        )
    );
    let on_time: String = sqlx::query_scalar(
        "select a.value from actuals a join outcomes o on o.id = a.outcome_id
         where o.key = 'prod-on-time' order by a.seq desc limit 1",
    )
    .fetch_one(&db.pool)
    .await
    .expect("on-time");
    assert_eq!(on_time, "94%", "stored trimmed, as written");
    let audit: (String, String, String, Value) = sqlx::query_as(
        "select action, entity, entity_key, after from audit_log where entity = 'actual' order by seq desc limit 1",
    )
    .fetch_one(&db.pool)
    .await
    .expect("audit");
    assert_eq!(audit.0, "append");
    assert_eq!(audit.2, "prod-on-time");
    assert_eq!(audit.3["quarter"], 4);
    assert_eq!(audit.3["value"], "94%");
    assert_eq!(audit.3["note"], "");

    // The report, the WhyGO page and the dashboard all see it.
    let after = quarter(&mut wayan, "prod-margin", 4, AS_OF).await;
    assert_eq!(after["status"], "+");
    assert_eq!(after["actual"], "50%");
    let explanation = after["explanation"].as_str().expect("explanation");
    let page = wayan
        .get(&format!("/kartel/whygos/production-2?as_of={AS_OF}"))
        .await;
    page.expect_status(200);
    assert!(
        page.body
            .contains(&format!("<strong>Q4:</strong> {}", html(explanation)))
    );
    assert!(
        page.body.contains("Freelancers released."),
        "the history shows the note"
    );
    let dashboard = wayan
        .get(&format!("/kartel/departments/production?as_of={AS_OF}"))
        .await;
    dashboard.expect_status(200);
    assert!(
        dashboard.body.contains(&html(explanation)),
        "the department page's cell explains the new status"
    );
    // The check-in itself shows the new last actual and status.
    let again = checkin_page(&mut wayan, AS_OF).await;
    assert!(again.body.contains("Freelancers released.") || again.body.contains(">50% <"));
}

/// Posts one bad row beside a good one and checks: 422, the message next to
/// the field, everything typed kept, nothing written.
async fn refused(
    db: &TestDb,
    c: &mut Client,
    fields: &[(&str, &str)],
    field_id: &str,
    message: &str,
) {
    let before = written(db).await;
    checkin_page(c, AS_OF).await;
    let mut all = vec![
        ("value-4-prod-on-time", "97%"),
        ("note-4-prod-on-time", "kept note"),
    ];
    all.extend_from_slice(fields);
    let res = c
        .post(&format!("/kartel/checkin?as_of={AS_OF}"), &all)
        .await;
    assert_eq!(res.status.as_u16(), 422, "{fields:?}: {}", res.body);
    let error = format!("id=\"{field_id}-error\">{}", html(message));
    assert!(
        res.body.contains(&error),
        "{fields:?}: expected {error:?} in\n{}",
        res.body
    );
    assert!(res.body.contains("Nothing was saved"));
    assert!(res.body.contains("value=\"97%\""), "the good row is kept");
    assert!(res.body.contains(">kept note</textarea>"));
    for (name, value) in fields {
        if name.starts_with("value-") && !value.is_empty() {
            assert!(
                res.body.contains(&format!("value=\"{}\"", html(value)))
                    || res
                        .body
                        .contains(&format!("value=\"{}\" selected", html(value))),
                "{name}: what was typed is kept"
            );
        }
    }
    assert_eq!(written(db).await, before, "{fields:?}: nothing was written");
}

#[tokio::test]
async fn every_kind_of_bad_value_is_explained_next_to_its_field_and_nothing_is_written() {
    let db = demo_db().await;
    let mut wayan = signed_in(&db, "wayan").await;
    // Text for a number.
    refused(
        &db,
        &mut wayan,
        &[("value-4-prod-case-studies", "lots")],
        "value-4-prod-case-studies",
        "Expected a number such as 12, 12.5 or 1,000, got “lots”.",
    )
    .await;
    // A stage that is not on the ladder.
    refused(
        &db,
        &mut wayan,
        &[("value-4-prod-producer-jd", "Shipped")],
        "value-4-prod-producer-jd",
        "“Shipped” is not a stage of this outcome (Done).",
    )
    .await;
    // A unit the outcome is not measured in, and one nobody knows.
    refused(
        &db,
        &mut wayan,
        &[("value-4-prod-margin", "19 days")],
        "value-4-prod-margin",
        "Expected a percentage such as 45% or 12.5%, got “19 days”, a duration.",
    )
    .await;
    refused(
        &db,
        &mut wayan,
        &[("value-4-prod-margin", "45 widgets")],
        "value-4-prod-margin",
        "Expected a percentage such as 45% or 12.5%, got “45 widgets”.",
    )
    .await;
    // Off pace without a note: the note is the escalation reason.
    refused(
        &db,
        &mut wayan,
        &[
            ("value-4-prod-case-studies", "3"),
            ("note-4-prod-case-studies", "   "),
        ],
        "note-4-prod-case-studies",
        "Enter a note: an outcome off pace needs its reason before it can be saved.",
    )
    .await;
    // A note with no value.
    refused(
        &db,
        &mut wayan,
        &[("note-4-prod-margin", "forgot the number")],
        "value-4-prod-margin",
        "Enter the value this note goes with, or clear the note.",
    )
    .await;
    // Counts and durations cannot be negative.
    refused(
        &db,
        &mut wayan,
        &[("value-4-prod-producer-onboarding", "-2 days")],
        "value-4-prod-producer-onboarding",
        "A duration cannot be negative, got “-2 days”.",
    )
    .await;
    refused(
        &db,
        &mut wayan,
        &[("value-4-prod-case-studies", "-3")],
        "value-4-prod-case-studies",
        "A count cannot be negative, got “-3”.",
    )
    .await;
    // Too long a value.
    let long = "9".repeat(201);
    refused(
        &db,
        &mut wayan,
        &[("value-4-prod-case-studies", long.as_str())],
        "value-4-prod-case-studies",
        "Keep the value to 200 characters (this is 201).",
    )
    .await;
}

#[tokio::test]
async fn garbage_values_are_refused_saying_which_forms_are_accepted_and_nothing_is_written() {
    let db = demo_db().await;
    let mut wayan = signed_in(&db, "wayan").await;
    let count = "value-4-prod-case-studies";
    let weeks = "value-4-prod-producer-onboarding";
    for (field, typed, message) in [
        (
            count,
            "abc%%",
            "Expected a number such as 12, 12.5 or 1,000, got “abc%%”.",
        ),
        (
            count,
            "abc",
            "Expected a number such as 12, 12.5 or 1,000, got “abc”.",
        ),
        (
            count,
            "$",
            "Expected a number such as 12, 12.5 or 1,000, got “$”.",
        ),
        (count, "-5", "A count cannot be negative, got “-5”."),
        (
            count,
            "1e6",
            "“1e6”: whygo does not read scientific notation: write 1,000,000 or 1M.",
        ),
        (
            count,
            "12,5",
            "“12,5”: write decimals with a point, 12.5 (a comma separates thousands, as in 1,000).",
        ),
        (
            count,
            "12345678901234567",
            "“12345678901234567”: the number is too large: whygo reads numbers up to 1,000,000,000,000,000 (15 zeros).",
        ),
        (weeks, "-5", "A duration cannot be negative, got “-5”."),
        (
            weeks,
            "$",
            "Expected a duration with its unit, such as 19 days, 3 weeks or 36 hours, got “$”.",
        ),
        (
            weeks,
            "5",
            "“5” needs its unit: write 5 weeks, 5 days or 5 hours.",
        ),
        (
            "value-4-prod-margin",
            "abc%%",
            "Expected a percentage such as 45% or 12.5%, got “abc%%”.",
        ),
    ] {
        refused(&db, &mut wayan, &[(field, typed)], field, message).await;
    }
    // The JSON preview says the same, and so the page's script.
    let res = wayan
        .get(&format!(
            "/kartel/checkin/preview?outcome=prod-case-studies&quarter=4&as_of={AS_OF}&value=12%2C5"
        ))
        .await;
    res.expect_status(200);
    let answer: Value = serde_json::from_str(&res.body).expect("JSON");
    assert_eq!(answer["ok"], false);
    assert_eq!(
        answer["error"],
        "“12,5”: write decimals with a point, 12.5 (a comma separates thousands, as in 1,000)."
    );
}

#[tokio::test]
async fn the_form_says_which_forms_are_accepted_and_no_example_is_above_its_target() {
    let db = demo_db().await;
    let mut wayan = signed_in(&db, "wayan").await;
    let page = checkin_page(&mut wayan, AS_OF).await;
    let body = &page.body;
    assert!(
        body.contains(&html(whygo::domain::target_rules::NUMBER_FORMS)),
        "the number forms are on the form"
    );
    // Each example is drawn from the row's own target, in its unit.
    for (row, example, hint) in [
        (
            "prod-margin",
            "40%",
            "Enter a percentage such as 40%; the % sign may be left out. Target: 50%.",
        ),
        ("prod-on-time", "72%", "Target: 90%+."),
        (
            "prod-case-studies",
            "6",
            "Enter a number such as 6. Target: 8+.",
        ),
        (
            "prod-producer-onboarding",
            "2 weeks",
            "Enter a duration with its unit (days, weeks, hours) such as 2 weeks. Target: 3 weeks.",
        ),
        ("prod-client-ratio", "3.2:1", "Target: Target 4:1."),
    ] {
        let field = format!("id=\"value-4-{row}\"");
        let at = body
            .find(&field)
            .unwrap_or_else(|| panic!("{row} has a field"));
        let rest = &body[at..];
        assert!(
            rest.contains(&format!("placeholder=\"e.g. {}\"", html(example))),
            "{row}: e.g. {example}"
        );
        let id = format!("id=\"hint-4-{row}\">");
        let hint_at = rest.find(&id).unwrap_or_else(|| panic!("{row} has a hint"));
        let shown = &rest[hint_at + id.len()..];
        let shown = &shown[..shown.find("</p>").unwrap_or(0)];
        assert!(shown.contains(&html(hint)), "{row}: {shown}");
    }
}

#[tokio::test]
async fn values_are_accepted_as_people_write_them() {
    let db = demo_db().await;
    let mut wayan = signed_in(&db, "wayan").await;
    checkin_page(&mut wayan, AS_OF).await;
    let (actuals, _) = written(&db).await;
    let res = wayan
        .post(
            &format!("/kartel/checkin?as_of={AS_OF}"),
            &[
                ("value-4-prod-margin", "49.5%"),
                ("value-4-prod-job-requests", "1,000"),
                ("value-4-prod-producer-onboarding", "2 weeks"),
                ("value-4-prod-client-ratio", "3.9:1"),
                ("value-4-prod-producer-jd", "done"),
                ("value-4-prod-case-studies", "7"),
            ],
        )
        .await;
    res.expect_status(303);
    assert_eq!(written(&db).await.0, actuals + 6);
    let jd: String = sqlx::query_scalar(
        "select a.value from actuals a join outcomes o on o.id = a.outcome_id
         where o.key = 'prod-producer-jd' order by a.seq desc limit 1",
    )
    .fetch_one(&db.pool)
    .await
    .expect("stage");
    assert_eq!(jd, "Done", "a stage is stored as the ladder spells it");
    let onboarding = quarter(&mut wayan, "prod-producer-onboarding", 4, AS_OF).await;
    assert_eq!(onboarding["actual"], "2 weeks");
    assert_eq!(onboarding["status"], "+", "14 days against at most 21");
    let jobs = quarter(&mut wayan, "prod-job-requests", 4, AS_OF).await;
    assert_eq!(jobs["actual"], "1,000");
    assert_eq!(jobs["status"], "+", "1,000 read as a thousand");
}

#[tokio::test]
async fn an_outcome_of_someone_else_or_of_another_tenant_is_refused_and_nothing_is_written() {
    let db = demo_db().await;
    crate::common::load_acme(&db).await;
    let mut wayan = signed_in(&db, "wayan").await;
    let before = written(&db).await;
    let path = format!("/kartel/checkin?as_of={AS_OF}");

    // Ben's NPS outcome: the permission table says no.
    checkin_page(&mut wayan, AS_OF).await;
    let res = wayan
        .post(
            &path,
            &[
                ("value-4-prod-case-studies", "9"),
                ("value-4-prod-nps", "45"),
            ],
        )
        .await;
    res.expect_status(403);
    // Another tenant's outcome key, and one nobody has: not found.
    for key in ["acme-shipped", "no-such-outcome"] {
        checkin_page(&mut wayan, AS_OF).await;
        let field = format!("value-4-{key}");
        let res = wayan
            .post(&path, &[("value-4-prod-case-studies", "9"), (&field, "3")])
            .await;
        res.expect_status(404);
        assert!(!res.body.contains("Acme") && !res.body.contains("Releases shipped"));
    }
    // Wayan's own outcome, but a quarter that is not open: a message, 422.
    checkin_page(&mut wayan, AS_OF).await;
    let res = wayan
        .post(
            &path,
            &[
                ("value-4-prod-case-studies", "9"),
                ("value-2-prod-case-studies", "4"),
            ],
        )
        .await;
    res.expect_status(422);
    assert!(
        res.body.contains(
            "“Case study packages delivered”, Q2: not open for check-in as of 21 Nov 2026"
        )
    );
    assert!(res.body.contains("value=\"9\""), "what was typed is kept");
    assert_eq!(written(&db).await, before, "nothing was written");

    // The JSON preview refuses the same way.
    let res = wayan
        .get(&format!(
            "/kartel/checkin/preview?outcome=prod-nps&quarter=4&value=45&as_of={AS_OF}"
        ))
        .await;
    res.expect_status(403);
    let res = wayan
        .get(&format!(
            "/kartel/checkin/preview?outcome=acme-shipped&quarter=4&value=3&as_of={AS_OF}"
        ))
        .await;
    res.expect_status(404);
    assert!(!res.body.contains("Releases shipped"));
}

#[tokio::test]
async fn the_preview_button_shows_the_status_the_save_then_produces_and_writes_nothing() {
    let db = demo_db().await;
    let mut wayan = signed_in(&db, "wayan").await;
    let before = written(&db).await;
    checkin_page(&mut wayan, AS_OF).await;
    let path = format!("/kartel/checkin?as_of={AS_OF}");
    let fields = [
        ("value-4-prod-margin", "47%"),
        ("note-4-prod-margin", ""),
        ("value-4-prod-case-studies", "1"),
        ("note-4-prod-case-studies", ""),
    ];
    let mut preview_fields = fields.to_vec();
    preview_fields.push(("action", "preview"));
    let preview = wayan.post(&path, &preview_fields).await;
    preview.expect_status(200);
    assert_eq!(written(&db).await, before, "a preview writes nothing");
    assert!(
        preview
            .body
            .contains("Preview only: nothing was saved yet.")
    );
    assert!(
        preview.body.contains("value=\"47%\""),
        "the values are kept"
    );
    // [~] asks for blockers; [-] says the note is required, without an error yet.
    assert!(preview.body.contains(
        "Slightly off pace: what is blocking this, and what will you do to catch up? (optional)"
    ));
    assert!(
        preview
            .body
            .contains("Off pace: say why in the note (required).")
    );
    assert!(!preview.body.contains("field-error"));

    // Saving the [-] value without a note is refused; with one, saved.
    let refused = wayan.post(&path, &fields).await;
    refused.expect_status(422);
    assert!(
        refused
            .body
            .contains("id=\"note-4-prod-case-studies-error\"")
    );
    assert_eq!(written(&db).await, before);
    let mut with_note = fields.to_vec();
    with_note[3] = (
        "note-4-prod-case-studies",
        "Two packages waiting on client approval.",
    );
    wayan.post(&path, &with_note).await.expect_status(303);

    // The statuses and explanations the preview showed are the saved ones.
    for (key, status) in [("prod-margin", "~"), ("prod-case-studies", "-")] {
        let q = quarter(&mut wayan, key, 4, AS_OF).await;
        assert_eq!(q["status"], status, "{key}");
        let explanation = q["explanation"].as_str().expect("explanation");
        assert!(
            preview.body.contains(&format!(
                "<span class=\"preview-explanation\">{}</span>",
                html(explanation)
            )),
            "{key}: the preview said {explanation:?}"
        );
    }
    // An off-pace outcome with its note is on the sync's escalation list.
    let sync = wayan.get(&format!("/kartel/sync?as_of={AS_OF}")).await;
    assert!(
        sync.body
            .contains("Two packages waiting on client approval.")
    );
}

#[tokio::test]
async fn the_json_preview_answers_what_the_save_then_produces() {
    let db = demo_db().await;
    let mut wayan = signed_in(&db, "wayan").await;
    let before = written(&db).await;
    let url = |value: &str| {
        format!(
            "/kartel/checkin/preview?outcome=prod-case-studies&quarter=4&as_of={AS_OF}&value={}",
            serde_urlencoded::to_string([("v", value)])
                .expect("encode")
                .trim_start_matches("v=")
                .to_owned()
        )
    };
    let res = wayan.get(&url("3")).await;
    res.expect_status(200);
    assert!(
        res.headers
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.starts_with("application/json"))
    );
    let answer: Value = serde_json::from_str(&res.body).expect("JSON");
    assert_eq!(answer["ok"], true);
    assert_eq!(answer["status"], "-");
    assert_eq!(answer["chip"], "[-]");
    assert_eq!(answer["label"], "off pace");
    assert_eq!(answer["note"], "required");
    assert!(
        answer["prompt"]
            .as_str()
            .is_some_and(|p| p.contains("required"))
    );
    let said = answer["explanation"]
        .as_str()
        .expect("explanation")
        .to_owned();

    let bad: Value = serde_json::from_str(&wayan.get(&url("lots")).await.body).expect("JSON");
    assert_eq!(bad["ok"], false);
    assert_eq!(
        bad["error"],
        "Expected a number such as 12, 12.5 or 1,000, got “lots”."
    );
    let on: Value = serde_json::from_str(&wayan.get(&url("1,000")).await.body).expect("JSON");
    assert_eq!(on["status"], "+");
    assert_eq!(on["note"], "optional");
    assert_eq!(written(&db).await, before, "previews write nothing");

    checkin_page(&mut wayan, AS_OF).await;
    wayan
        .post(
            &format!("/kartel/checkin?as_of={AS_OF}"),
            &[
                ("value-4-prod-case-studies", "3"),
                (
                    "note-4-prod-case-studies",
                    "Five packages slipped to January.",
                ),
            ],
        )
        .await
        .expect_status(303);
    let q = quarter(&mut wayan, "prod-case-studies", 4, AS_OF).await;
    assert_eq!(q["status"], "-");
    assert_eq!(q["explanation"], said.as_str());
}

#[tokio::test]
async fn the_previous_quarter_stays_open_for_the_first_two_weeks_of_a_quarter() {
    let db = demo_db().await;
    let mut wayan = signed_in(&db, "wayan").await;

    let early = checkin_page(&mut wayan, "2026-10-05").await;
    assert!(early.body.contains("Q3 FY2026") && early.body.contains("Q4 FY2026"));
    assert!(early.body.contains("name=\"value-3-prod-case-studies\""));
    assert!(early.body.contains("name=\"value-4-prod-case-studies\""));
    assert!(
        early
            .body
            .contains("its actuals can be entered until 14 Oct 2026")
    );

    let later = checkin_page(&mut wayan, "2026-10-20").await;
    assert!(later.body.contains("Q4 FY2026"));
    assert!(!later.body.contains("Q3 FY2026"));
    assert!(!later.body.contains("value-3-"));

    // After the year's end, its Q4 stays open two weeks, then nothing is.
    let new_year = checkin_page(&mut wayan, "2027-01-05").await;
    assert!(new_year.body.contains("name=\"value-4-prod-case-studies\""));
    assert!(new_year.body.contains("Q4 ended on 31 Dec 2026"));
    let closed = checkin_page(&mut wayan, "2027-02-01").await;
    assert!(
        closed
            .body
            .contains("No quarter is open for check-in on 1 Feb 2027")
    );
    assert!(!closed.body.contains("value-4-"));

    // A late Q3 entry is saved for Q3, entered on the server's date.
    let before = written(&db).await;
    let mut on_oct_5 = signed_in_on(&db, "wayan", "2026-10-05").await;
    on_oct_5.get("/kartel/checkin").await.expect_status(200);
    on_oct_5
        .post("/kartel/checkin", &[("value-3-prod-case-studies", "7")])
        .await
        .expect_status(303);
    let (q, on): (i16, chrono::NaiveDate) =
        sqlx::query_as("select quarter, entered_on from actuals order by seq desc limit 1")
            .fetch_one(&db.pool)
            .await
            .expect("row");
    assert_eq!((q, on.to_string()), (3, "2026-10-05".to_owned()));
    assert_eq!(written(&db).await.0, before.0 + 1);
    // On Oct 20 the same entry is refused.
    let mut on_oct_20 = signed_in_on(&db, "wayan", "2026-10-20").await;
    on_oct_20.get("/kartel/checkin").await.expect_status(200);
    let res = on_oct_20
        .post("/kartel/checkin", &[("value-3-prod-case-studies", "7")])
        .await;
    res.expect_status(422);
    assert!(
        res.body
            .contains("Q3: not open for check-in as of 20 Oct 2026")
    );
    assert_eq!(written(&db).await.0, before.0 + 1);
}

#[tokio::test]
async fn the_previous_years_last_quarter_is_open_in_the_first_two_weeks_of_a_new_cycle() {
    let db = demo_db().await;
    // A 2027 cycle with one approved department WhyGO, one outcome Wayan owns.
    sqlx::query(
        "with t as (select id from tenants where slug = 'kartel'),
              c as (insert into cycles (tenant_id, id, name, starts_on)
                    select t.id, gen_random_uuid(), 'FY2027', '2027-01-01' from t returning tenant_id, id),
              w as (insert into whygos (tenant_id, id, cycle_id, key, level, department_id, owner_id, number, title, status)
                    select c.tenant_id, gen_random_uuid(), c.id, 'production-2027', 'department',
                           (select id from departments where key = 'production'),
                           (select id from people where key = 'wayan'), 1, 'Production 2027', 'approved'
                    from c returning tenant_id, id),
              o as (insert into outcomes (tenant_id, id, whygo_id, key, name, targets)
                    select w.tenant_id, gen_random_uuid(), w.id, 'prod-2027-clients', 'Clients in 2027',
                           array['24', '28', '32', '36'] from w returning tenant_id, id)
         insert into outcome_owners (tenant_id, outcome_id, person_id)
         select o.tenant_id, o.id, (select id from people where key = 'wayan') from o",
    )
    .execute(&db.pool)
    .await
    .expect("a 2027 cycle");
    // The server's clock says 5 January 2027, so that date is not the future.
    let mut settings = whygo::http::Settings::new(std::path::PathBuf::from("static"));
    settings.today = chrono::NaiveDate::from_ymd_opt(2027, 1, 5);
    let mut wayan = Client::new(whygo::http::app(db.app_pool.clone(), settings));
    wayan
        .login("wayan@kartel.example", crate::common::DEMO_PASSWORD)
        .await;
    let page = checkin_page(&mut wayan, "2027-01-05").await;
    assert!(page.body.contains("Q4 FY2026") && page.body.contains("Q1 FY2027"));
    assert!(page.body.contains("name=\"value-4-prod-case-studies\""));
    assert!(page.body.contains("name=\"value-1-prod-2027-clients\""));
    let before = written(&db).await;
    wayan
        .post(
            "/kartel/checkin?as_of=2027-01-05",
            &[
                ("value-4-prod-case-studies", "9"),
                ("value-1-prod-2027-clients", "21"),
            ],
        )
        .await
        .expect_status(303);
    assert_eq!(written(&db).await, (before.0 + 2, before.1 + 2));
    let later = checkin_page(&mut wayan, "2027-01-20").await;
    assert!(!later.body.contains("Q4 FY2026") && later.body.contains("Q1 FY2027"));
}

#[tokio::test]
async fn trent_sees_his_own_proposed_whygo_and_the_tool_he_co_owns() {
    let db = demo_db().await;
    let mut trent = signed_in(&db, "trent").await;
    let page = checkin_page(&mut trent, AS_OF).await;
    for text in [
        "Workflow Engineer Playbook and Batch Tooling",
        "submitted: counts once approved",
        "name=\"value-4-trent-first-run\"",
        "name=\"value-4-trent-playbook\"",
        "name=\"value-4-gen-labs-tools\"",
    ] {
        assert!(page.body.contains(text), "missing {text:?}");
    }
    assert!(!page.body.contains("value-4-prod-"), "not Wayan's outcomes");
    // Brandon's draft is Brandon's.
    assert!(!page.body.contains("brandon-eval-coverage"));
}

#[tokio::test]
async fn people_with_nothing_to_check_in_are_told_why() {
    let db = demo_db().await;
    let mut kevin = signed_in(&db, "kevin").await;
    let page = checkin_page(&mut kevin, AS_OF).await;
    assert!(
        page.body
            .contains("You own no outcomes to check in on for Q4.")
    );
    assert!(
        !page
            .body
            .contains("<form method=\"post\" action=\"/kartel/checkin")
    );
    // A POST finds nothing to save.
    let res = kevin
        .post(
            &format!("/kartel/checkin?as_of={AS_OF}"),
            &[("action", "save")],
        )
        .await;
    res.expect_status(422);

    // An account linked to no person.
    let mut guest = crate::common::member_without_person(&db, "guest@kartel.example").await;
    let page = checkin_page(&mut guest, AS_OF).await;
    assert!(page.body.contains("Your account is not linked to a person"));
    let before = written(&db).await;
    let res = guest
        .post(
            &format!("/kartel/checkin?as_of={AS_OF}"),
            &[("value-4-prod-case-studies", "9")],
        )
        .await;
    res.expect_status(403);
    assert_eq!(written(&db).await, before);
}

#[tokio::test]
async fn a_check_in_without_the_csrf_token_is_refused() {
    let db = demo_db().await;
    let mut wayan = signed_in(&db, "wayan").await;
    checkin_page(&mut wayan, AS_OF).await;
    let before = written(&db).await;
    let res = wayan
        .post_raw(
            &format!("/kartel/checkin?as_of={AS_OF}"),
            &[("value-4-prod-case-studies", "9")],
        )
        .await;
    res.expect_status(403);
    let res = wayan
        .post_raw(
            &format!("/kartel/checkin?as_of={AS_OF}"),
            &[
                ("value-4-prod-case-studies", "9"),
                ("csrf_token", "not-the-token"),
            ],
        )
        .await;
    res.expect_status(403);
    assert_eq!(written(&db).await, before);
}

#[tokio::test]
async fn the_check_in_needs_a_signed_in_member() {
    let db = demo_db().await;
    let mut anonymous = Client::new(app(&db));
    let res = anonymous.get("/kartel/checkin").await;
    res.expect_status(303);
    assert!(res.location.is_some_and(|l| l.starts_with("/login")));
    let mut wayan = signed_in(&db, "wayan").await;
    wayan.get("/nope/checkin").await.expect_status(404);
    // Without as_of the page is today's, and its links carry no date.
    let today = wayan.get("/kartel/checkin").await;
    today.expect_status(200);
    assert!(today.body.contains("action=\"/kartel/checkin\""));
}

#[tokio::test]
async fn the_check_in_script_is_served_and_never_inline() {
    let db = demo_db().await;
    let mut c = signed_in(&db, "wayan").await;
    let js = c.get("/static/checkin.js").await;
    js.expect_status(200);
    assert!(js.body.contains("/checkin/preview") || js.body.contains("data-preview"));
    assert!(!js.body.contains("innerHTML"), "answers are shown as text");
}

#[tokio::test]
async fn the_check_in_costs_the_same_few_queries_however_many_outcomes_one_owns() {
    // Kevin owns no outcome in the demo; give him 120 in an approved WhyGO.
    let paths = ["/kartel/checkin?as_of=2026-11-21"];
    let few = demo_db().await;
    let before = crate::pages::queries_per_page(&few, &paths).await;
    let many = demo_db().await;
    sqlx::query(
        "with w as (insert into whygos (tenant_id, id, cycle_id, key, level, owner_id, number, title, status)
                    select p.tenant_id, gen_random_uuid(), (select id from cycles limit 1), 'kevin-extra',
                           'company', p.id, 99, 'Kevin''s extra WhyGO', 'approved'
                    from people p where p.key = 'kevin' returning tenant_id, id),
              o as (insert into outcomes (tenant_id, id, whygo_id, key, name, targets)
                    select w.tenant_id, gen_random_uuid(), w.id, 'kevin-o' || i, 'Extra outcome ' || i,
                           array['2', '4', '6', '8']
                    from w, generate_series(1, 120) i returning tenant_id, id)
         insert into outcome_owners (tenant_id, outcome_id, person_id)
         select o.tenant_id, o.id, (select id from people where key = 'kevin') from o",
    )
    .execute(&many.pool)
    .await
    .expect("outcomes");
    let after = crate::pages::queries_per_page(&many, &paths).await;
    assert_eq!(before, after, "queries for the check-in, 0 vs 120 rows");
    let mut kevin = signed_in(&many, "kevin").await;
    let page = checkin_page(&mut kevin, AS_OF).await;
    assert!(page.body.contains("name=\"value-4-kevin-o120\""));
}

/// The entry date is the server's: a form posted with another day's
/// `?as_of=` (yesterday's, to backdate history, or a future one) is not saved.
#[tokio::test]
async fn a_check_in_is_entered_on_the_servers_date_never_on_one_the_request_names() {
    let db = demo_db().await;
    let mut wayan = signed_in(&db, "wayan").await;
    let before = written(&db).await;
    for day in ["2026-11-10", "2026-12-11"] {
        checkin_page(&mut wayan, day).await;
        let res = wayan
            .post(
                &format!("/kartel/checkin?as_of={day}"),
                &[
                    ("value-4-prod-case-studies", "9"),
                    ("note-4-prod-case-studies", "Another day."),
                    ("action", "save"),
                ],
            )
            .await;
        res.expect_status(422);
        assert!(
            res.body
                .contains("Check-ins are entered as of today, 21 Nov 2026"),
            "{}",
            res.body
        );
        assert!(res.body.contains("Another day."), "what was typed is kept");
        assert_eq!(written(&db).await, before, "nothing written for {day}");
    }
    // Today's form saves, dated today.
    checkin_page(&mut wayan, AS_OF).await;
    wayan
        .post("/kartel/checkin", &[("value-4-prod-case-studies", "9")])
        .await
        .expect_status(303);
    let on: chrono::NaiveDate =
        sqlx::query_scalar("select entered_on from actuals order by seq desc limit 1")
            .fetch_one(&db.pool)
            .await
            .expect("row");
    assert_eq!(on.to_string(), AS_OF);
}

/// The write itself checks ownership, in its own transaction: whatever a
/// form let through (or an owner removed since it was shown), an actual is
/// only ever appended by an owner of the outcome.
#[tokio::test]
async fn an_actual_is_appended_only_by_an_owner_of_its_outcome() {
    use whygo::db::checkin::{NewActual, append};
    let db = demo_db().await;
    let tenant: uuid::Uuid = sqlx::query_scalar("select id from tenants where slug = 'kartel'")
        .fetch_one(&db.pool)
        .await
        .expect("kartel");
    let wayan: uuid::Uuid = sqlx::query_scalar("select id from people where key = 'wayan'")
        .fetch_one(&db.pool)
        .await
        .expect("wayan");
    let entry = |key: &str| NewActual {
        outcome_key: key.to_owned(),
        quarter: whygo::domain::calendar::Quarter::Q4,
        value: "7".to_owned(),
        note: String::new(),
    };
    let who = whygo::db::audit::Who {
        account: None,
        label: "test",
    };
    let day = chrono::NaiveDate::from_ymd_opt(2026, 11, 21).expect("date");
    let before = written(&db).await;
    // Revenue is Ben's: refused, with Wayan's own outcome beside it.
    let mut tx = whygo::db::begin_tenant(&db.app_pool, tenant)
        .await
        .expect("tx");
    let refused = append(
        &mut tx,
        tenant,
        who,
        wayan,
        day,
        &[entry("prod-case-studies"), entry("sales-revenue")],
        whygo::db::checkin::Source::Web,
    )
    .await
    .expect("query");
    tx.rollback().await.expect("rollback");
    assert_eq!(refused, None, "nothing is appended for another's outcome");
    assert_eq!(written(&db).await, before);
    // An owner removed after the form was shown is refused too.
    sqlx::query(
        "delete from outcome_owners where person_id = $1
         and outcome_id = (select id from outcomes where key = 'prod-margin')",
    )
    .bind(wayan)
    .execute(&db.pool)
    .await
    .expect("remove wayan as owner");
    let mut tx = whygo::db::begin_tenant(&db.app_pool, tenant)
        .await
        .expect("tx");
    let refused = append(
        &mut tx,
        tenant,
        who,
        wayan,
        day,
        &[entry("prod-margin")],
        whygo::db::checkin::Source::Web,
    )
    .await
    .expect("query");
    assert_eq!(refused, None);
    // His own outcome is appended.
    let saved = append(
        &mut tx,
        tenant,
        who,
        wayan,
        day,
        &[entry("prod-case-studies")],
        whygo::db::checkin::Source::Web,
    )
    .await
    .expect("query");
    tx.commit().await.expect("commit");
    assert_eq!(saved, Some(1));
}

/// The form carries a one-time token: the same form posted twice (a double
/// click, a browser retrying) saves once, and both answers say what it saved.
#[tokio::test]
async fn a_check_in_submitted_twice_is_saved_once() {
    let db = demo_db().await;
    let mut wayan = signed_in(&db, "wayan").await;
    let page = checkin_page(&mut wayan, AS_OF).await;
    let marker = "name=\"submission\" value=\"";
    let at = page.body.find(marker).expect("a submission token") + marker.len();
    let token = page.body[at..]
        .split('"')
        .next()
        .unwrap_or_default()
        .to_owned();
    assert!(token.len() >= 16, "{token}");
    let form = [
        ("submission", token.as_str()),
        ("value-4-prod-case-studies", "9"),
        ("value-4-prod-margin", "47%"),
    ];
    let before = written(&db).await;
    let first = wayan.post("/kartel/checkin", &form).await;
    first.expect_status(303);
    let second = wayan.post("/kartel/checkin", &form).await;
    second.expect_status(303);
    assert_eq!(first.location, second.location, "the same answer: 2 saved");
    assert!(
        first
            .location
            .as_deref()
            .is_some_and(|l| l.contains("saved=2"))
    );
    assert_eq!(
        written(&db).await,
        (before.0 + 2, before.1 + 2),
        "saved once"
    );
    // A new page has a new token, so the next check-in saves again.
    let next = checkin_page(&mut wayan, AS_OF).await;
    assert!(!next.body.contains(&token));
}

/// The check-in reads what its person checks in, not the organization: the
/// WhyGOs holding an outcome they own and their own individual WhyGOs
/// (every one of them, and nothing else), so its cost does not grow with
/// the number of company and department WhyGOs.
#[tokio::test]
async fn the_check_in_reads_only_the_whygos_holding_the_persons_outcomes() {
    use whygo::db::plan::{Scope, load_scoped, tenant_by_slug};
    use whygo::domain::plan::{Level, Plan};
    let db = demo_db().await;
    let tenant = tenant_by_slug(&db.app_pool, "kartel")
        .await
        .expect("query")
        .expect("kartel");
    let as_of = chrono::NaiveDate::from_ymd_opt(2026, 11, 21).expect("date");
    let read = |scope| load_scoped(&db.app_pool, &tenant, as_of, scope);
    let keys = |p: &Plan| -> Vec<String> { p.whygos.iter().map(|w| w.key.clone()).collect() };
    let all = read(Scope::All).await.expect("the whole plan");
    let mut owners: Vec<&str> = all
        .whygos
        .iter()
        .flat_map(|w| &w.outcomes)
        .flat_map(|o| o.owners.iter().map(String::as_str))
        .collect();
    owners.sort_unstable();
    owners.dedup();
    assert!(owners.contains(&"wayan") && owners.len() > 5, "{owners:?}");
    for who in owners {
        let expected: Vec<String> = all
            .whygos
            .iter()
            .filter(|w| {
                w.outcomes.iter().any(|o| o.owners.iter().any(|k| k == who))
                    || (w.level == Level::Individual && w.person.as_deref() == Some(who))
            })
            .map(|w| w.key.clone())
            .collect();
        let owner = read(Scope::Owner(who)).await.expect("the owner's plan");
        assert_eq!(keys(&owner), expected, "{who}");
        let person = read(Scope::Person(who)).await.expect("the person's plan");
        assert!(owner.whygos.len() < person.whygos.len(), "{who}");
    }
}
