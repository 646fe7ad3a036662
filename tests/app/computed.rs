//! Computed outcomes against a real database: an outcome whose source is a
//! handoff type's compliance (or active engagements, or another outcome)
//! takes its values from the records as they stood on the as-of day, the
//! pages show it as computed, and the check-in takes no value for it.
//!
//! Handoff steps are stamped with the database's clock, so the dates here
//! are relative to the real today.

use chrono::{Duration, NaiveDate, Utc};

use whygo::app::Actor;
use whygo::app::operations::{self as ops, EngagementInput, Move, Saved};
use whygo::db::plan::{Scope, TenantRow};
use whygo::domain::calendar::{FiscalYear, Quarter};
use whygo::domain::operations::sources::end_of_day;
use whygo::domain::operations::{Instant, Selection, Source, active_engagements, compliance};
use whygo::domain::plan::{Outcome, Plan};

use crate::common::{TestDb, demo_db, service_actor, signed_in_on, without_demo_engagements};

const H1: &str = "sales-to-production";
const COMPLIANCE: &str = "prod-handoff-1";

fn today() -> NaiveDate {
    Utc::now().date_naive()
}

async fn actor(db: &TestDb, who: &str) -> Actor {
    service_actor(db, &format!("{who}@kartel.example"), "kartel").await
}

/// Emmet of Sales (the demo's Sales people have no sign-in).
async fn sales(db: &TestDb) -> Actor {
    crate::common::service_account(
        db,
        "kartel",
        "emmet",
        whygo::domain::permissions::Role::Member,
    )
    .await
}

async fn set_source(db: &TestDb, outcome: &str, words: &str) {
    let n = sqlx::query("update outcomes set source = $2 where key = $1")
        .bind(outcome)
        .bind(words)
        .execute(&db.pool)
        .await
        .expect("update")
        .rows_affected();
    assert_eq!(n, 1, "outcome {outcome}");
}

async fn tenant(db: &TestDb) -> TenantRow {
    whygo::db::plan::tenant_by_slug(&db.app_pool, "kartel")
        .await
        .expect("query")
        .expect("kartel")
}

async fn plan(db: &TestDb, as_of: NaiveDate) -> Plan {
    whygo::db::plan::load_scoped(&db.app_pool, &tenant(db).await, as_of, Scope::All)
        .await
        .expect("plan")
}

fn outcome<'a>(plan: &'a Plan, key: &str) -> &'a Outcome {
    plan.whygos
        .iter()
        .flat_map(|w| &w.outcomes)
        .find(|o| o.key == key)
        .unwrap_or_else(|| panic!("no outcome {key}"))
}

/// The value pacing reads for quarter `q` as of `as_of`.
fn value(plan: &Plan, key: &str, q: Quarter, as_of: NaiveDate) -> Option<String> {
    outcome(plan, key)
        .counting_actual(q, as_of)
        .map(|a| a.value.clone())
}

fn year(plan: &Plan) -> FiscalYear {
    plan.tenant.fiscal_year()
}

async fn create(db: &TestDb, who: &Actor, key: &str, sow: NaiveDate) {
    let input = EngagementInput {
        key: key.to_owned(),
        name: format!("Engagement {key}"),
        client: "Acme".to_owned(),
        vertical: "Retail".to_owned(),
        producer: "veronica".to_owned(),
        account_manager: "emmet".to_owned(),
        sow_signed: sow.to_string(),
        ..EngagementInput::default()
    };
    match ops::create_engagement(&db.app_pool, who, &input).await {
        Ok(Saved::Saved { .. }) => {}
        Ok(Saved::Invalid(e)) => panic!("refused with messages: {e:?}"),
        Err(e) => panic!("refused: {e:?}"),
    }
}

async fn go(db: &TestDb, who: &Actor, engagement: &str, mv: Move) {
    match ops::take(&db.app_pool, who, engagement, H1, mv).await {
        Ok(Ok(_)) => {}
        other => panic!("{engagement}: {other:?}"),
    }
}

/// Sales ticks #1 of `engagement` in full and submits it.
async fn submit(db: &TestDb, sales: &Actor, engagement: &str) {
    for i in 0..4 {
        go(db, sales, engagement, Move::Tick(i)).await;
    }
    go(db, sales, engagement, Move::Submit).await;
}

/// What the figure says on the records as of `at`, as the board reads them.
async fn figure(db: &TestDb, kevin: &Actor, year: FiscalYear, q: Quarter, at: Instant) -> String {
    let loaded = ops::records(&db.app_pool, kevin, at)
        .await
        .expect("records");
    let sel = Selection::handoff_type(H1).due_in(year, q);
    compliance(&loaded.records(), &sel, at).sentence
}

#[tokio::test]
async fn compliance_is_computed_from_the_handoffs_and_past_days_replay_exactly() {
    let db = demo_db().await;
    // From an empty board: only this test's engagements are counted.
    without_demo_engagements(&db).await;
    set_source(&db, COMPLIANCE, "handoff-compliance:sales-to-production").await;
    set_source(&db, "prod-active-clients", "active-engagements").await;
    let (ben, wayan, kevin) = (
        sales(&db).await,
        actor(&db, "wayan").await,
        actor(&db, "kevin").await,
    );
    let today = today();
    let yesterday = today - Duration::days(1);
    // "late": #1 opened three days ago, due yesterday at 00:00, not
    // accepted. "on-time": signed today.
    create(&db, &ben, "late", today - Duration::days(3)).await;
    create(&db, &ben, "on-time", today).await;

    let before = plan(&db, yesterday).await;
    let fy = year(&before);
    let qy = fy.headline_quarter(yesterday);
    let qt = fy.headline_quarter(today);
    let yesterday_value = value(&before, COMPLIANCE, qy, yesterday);
    let yesterday_sentence = figure(&db, &kevin, fy, qy, end_of_day(yesterday)).await;
    let o = outcome(&before, COMPLIANCE);
    assert_eq!(
        o.explanation(qy).map(|e| e.sentence.clone()),
        Some(yesterday_sentence.clone())
    );
    if fy.headline_quarter(today - Duration::days(3)) == qy {
        // As of the end of yesterday, "late" is late: counted, not met.
        assert_eq!(yesterday_value.as_deref(), Some("0%"));
        assert!(
            yesterday_sentence.starts_with("0 of 1 handoffs #1"),
            "{yesterday_sentence}"
        );
    }

    // Both run through: "on-time" accepted at once, "late" sent back once
    // and accepted two days late.
    submit(&db, &ben, "on-time").await;
    go(&db, &wayan, "on-time", Move::Accept).await;
    submit(&db, &ben, "late").await;
    go(
        &db,
        &wayan,
        "late",
        Move::SendBack("The budget is a guess".into()),
    )
    .await;
    go(&db, &ben, "late", Move::Submit).await;
    go(&db, &wayan, "late", Move::Accept).await;

    let now = plan(&db, today).await;
    let at = Utc::now();
    let sentence = figure(&db, &kevin, fy, qt, at).await;
    let o = outcome(&now, COMPLIANCE);
    let e = o.explanation(qt).expect("this quarter explained");
    assert_eq!(e.sentence, sentence);
    assert_eq!(
        e.link,
        format!(
            "/engagements/handoffs?type={H1}&quarter={}&as_of={today}&figure=compliance",
            qt.number()
        )
    );
    if fy.headline_quarter(today - Duration::days(1))
        == fy.headline_quarter(today + Duration::days(2))
    {
        // "on-time" met, "late" breached.
        assert_eq!(value(&now, COMPLIANCE, qt, today).as_deref(), Some("50%"));
        assert!(sentence.starts_with("1 of 2 handoffs #1"), "{sentence}");
    }
    let a = o.counting_actual(qt, today).expect("a computed actual");
    assert_eq!((a.date, a.by.as_deref()), (today, None));
    assert_eq!(a.note, sentence);

    // Active engagements, as the figure counts them.
    let loaded = ops::records(&db.app_pool, &kevin, at)
        .await
        .expect("records");
    let active = active_engagements(&loaded.records(), None, at);
    assert_eq!(
        value(&now, "prod-active-clients", qt, today),
        Some(active.value().to_string())
    );

    // Yesterday replays as it stood, whatever happened since.
    let again = plan(&db, yesterday).await;
    assert_eq!(value(&again, COMPLIANCE, qy, yesterday), yesterday_value);
    assert_eq!(
        outcome(&again, COMPLIANCE)
            .explanation(qy)
            .map(|e| e.sentence.clone()),
        Some(yesterday_sentence)
    );
    // A quarter not started has no value and no explanation.
    if let Some(next) = qt.next() {
        assert!(outcome(&now, COMPLIANCE).explanation(next).is_none());
    }
}

#[tokio::test]
async fn the_check_in_shows_a_computed_outcome_without_a_field_and_refuses_a_value() {
    let db = demo_db().await;
    // No engagements, so no handoff #1 is due this quarter.
    without_demo_engagements(&db).await;
    set_source(&db, COMPLIANCE, "handoff-compliance:sales-to-production").await;
    let today = today();
    let day = today.to_string();
    let q = year(&plan(&db, today).await)
        .headline_quarter(today)
        .number();
    let mut wayan = signed_in_on(&db, "wayan", &day).await;
    let page = wayan.get("/kartel/checkin").await;
    page.expect_status(200);
    let field = format!("name=\"value-{q}-{COMPLIANCE}\"");
    assert!(
        !page.body.contains(&field),
        "no field for a computed outcome"
    );
    assert!(
        page.body.contains("Computed: no handoffs #1 due in Q"),
        "the sentence: {}",
        page.body
    );
    assert!(
        page.body.contains(&format!(
            "href=\"/kartel/engagements/handoffs?type={H1}&#38;quarter={q}"
        )),
        "the link: {}",
        page.body
    );
    assert!(
        page.body.contains("computed: no value yet"),
        "instead of needs check-in"
    );
    // Outcomes checked in keep their fields.
    assert!(
        page.body
            .contains(&format!("name=\"value-{q}-prod-margin\""))
    );

    // The preview behind the form's script says so too.
    let preview = wayan
        .get(&format!(
            "/kartel/checkin/preview?outcome={COMPLIANCE}&quarter={q}&value=95%25&as_of={day}"
        ))
        .await;
    preview.expect_status(200);
    assert!(preview.body.contains("is computed"), "{}", preview.body);

    let count = || async {
        let n: i64 = sqlx::query_scalar("select count(*) from actuals")
            .fetch_one(&db.pool)
            .await
            .expect("count");
        n
    };
    let before = count().await;
    let name = format!("value-{q}-{COMPLIANCE}");
    let other = format!("value-{q}-prod-margin");
    let res = wayan
        .post(
            "/kartel/checkin",
            &[
                (name.as_str(), "95%"),
                (other.as_str(), "90%"),
                ("action", "save"),
            ],
        )
        .await;
    res.expect_status(422);
    assert!(
        res.body
            .contains("is computed (handoff-compliance:sales-to-production)"),
        "the message"
    );
    assert!(res.body.contains("value=\"90%\""), "what was typed is kept");
    assert_eq!(count().await, before, "nothing written");
}

#[tokio::test]
async fn an_outcome_copies_another_ones_check_ins_and_a_chain_or_a_missing_key_gives_none() {
    let db = demo_db().await;
    let as_of = NaiveDate::from_ymd_opt(2026, 11, 21).expect("date");
    set_source(&db, COMPLIANCE, "handoff-compliance:sales-to-production").await;
    // A copy of Production's margin, a check-in of another WhyGO
    // (production-2).
    set_source(&db, "prod-handoff-2", "outcome:prod-margin").await;
    set_source(&db, "prod-handoff-3", "outcome:prod-handoff-1").await;
    set_source(&db, "prod-closing-reports", "outcome:no-such-outcome").await;
    let p = plan(&db, as_of).await;
    let original = outcome(&p, "prod-margin");
    assert!(!original.is_computed());
    assert!(
        !original.actuals.is_empty(),
        "the demo has check-ins for it"
    );
    let copy = outcome(&p, "prod-handoff-2");
    assert_eq!(copy.actuals, original.actuals);
    let e = copy.explanation(Quarter::Q4).expect("Q4 explained");
    assert_eq!(e.link, "/whygos/production-2");
    assert!(e.sentence.contains("“Production Margin”"), "{}", e.sentence);
    assert_eq!(
        e.value,
        original
            .counting_actual(Quarter::Q4, as_of)
            .map(|a| a.value.clone())
    );

    let chain = outcome(&p, "prod-handoff-3");
    assert!(chain.actuals.is_empty());
    assert!(
        chain
            .explanation(Quarter::Q4)
            .is_some_and(|e| e.sentence.contains("itself computed"))
    );
    let missing = outcome(&p, "prod-closing-reports");
    assert!(missing.actuals.is_empty());
    assert!(
        missing
            .explanation(Quarter::Q1)
            .is_some_and(|e| e.sentence.contains("no outcome “no-such-outcome”"))
    );

    // Scoped to one WhyGO, the copy still reads its original (another
    // WhyGO's outcome need not be loaded).
    let tenant = tenant(&db).await;
    let scoped =
        whygo::db::plan::load_scoped(&db.app_pool, &tenant, as_of, Scope::WhyGo("production-1"))
            .await
            .expect("plan");
    assert_eq!(outcome(&scoped, "prod-handoff-2").actuals, original.actuals);
}

#[tokio::test]
async fn an_unreadable_stored_source_leaves_the_outcome_checked_in() {
    let db = demo_db().await;
    // Production's margin, checked in: its check-ins still count.
    set_source(&db, "prod-margin", "revenue, roughly").await;
    let as_of = NaiveDate::from_ymd_opt(2026, 11, 21).expect("date");
    let p = plan(&db, as_of).await;
    let o = outcome(&p, "prod-margin");
    assert!(!o.is_computed());
    assert!(!o.actuals.is_empty());
    assert_eq!(
        value(&p, "prod-margin", Quarter::Q4, as_of).as_deref(),
        Some("47%"),
        "the demo's last Q4 check-in"
    );
    let mut kevin = signed_in_on(&db, "kevin", "2026-11-21").await;
    kevin
        .get("/kartel/whygos/production-2?as_of=2026-11-21")
        .await
        .expect_status(200);
    assert!(Source::parse("revenue, roughly").is_err());
}

#[tokio::test]
async fn the_whygo_page_says_an_outcome_is_computed_with_its_sentence_and_link() {
    let db = demo_db().await;
    set_source(&db, COMPLIANCE, "handoff-compliance:sales-to-production").await;
    let ben = sales(&db).await;
    let today = today();
    create(&db, &ben, "late", today - Duration::days(3)).await;
    let day = today.to_string();
    let mut kevin = signed_in_on(&db, "kevin", &day).await;
    let page = kevin
        .get(&format!("/kartel/whygos/production-1?as_of={day}"))
        .await;
    page.expect_status(200);
    assert!(
        page.body.contains(
            "Computed from the records (handoff-compliance:sales-to-production), not checked in."
        ),
        "the source"
    );
    let q = year(&plan(&db, today).await).headline_quarter(today);
    let sentence = outcome(&plan(&db, today).await, COMPLIANCE)
        .explanation(q)
        .map(|e| e.sentence.clone())
        .expect("explained");
    assert!(
        page.body.contains(&format!("Computed: {sentence}")),
        "the sentence {sentence}"
    );
    assert!(
        page.body.contains(&format!(
            "href=\"/kartel/engagements/handoffs?type={H1}&#38;quarter={}&#38;as_of={day}&#38;figure=compliance\"",
            q.number()
        )),
        "the link: {}", page.body
    );
}

#[tokio::test]
async fn pages_with_computed_outcomes_cost_the_same_statements_whatever_the_records() {
    let day = today().to_string();
    let paths: Vec<String> = [
        "/kartel",
        "/kartel/sync",
        "/kartel/departments/production",
        "/kartel/whygos/production-1",
        "/kartel/report.json",
        "/kartel/checkin",
    ]
    .iter()
    .map(|p| format!("{p}?as_of={day}"))
    .collect();
    let paths: Vec<&str> = paths.iter().map(String::as_str).collect();

    let mut counts = Vec::new();
    for n in [1, 12] {
        let db = demo_db().await;
        set_source(&db, COMPLIANCE, "handoff-compliance:sales-to-production").await;
        set_source(&db, "prod-active-clients", "active-engagements").await;
        set_source(&db, "prod-handoff-2", "outcome:prod-active-clients").await;
        set_source(
            &db,
            "prod-closing-reports",
            "closing-reports:production-to-sales",
        )
        .await;
        let (ben, wayan) = (sales(&db).await, actor(&db, "wayan").await);
        for i in 0..n {
            let key = format!("e{i}");
            create(&db, &ben, &key, today() - Duration::days(i % 5)).await;
            submit(&db, &ben, &key).await;
            go(&db, &wayan, &key, Move::Accept).await;
        }
        counts.push(crate::pages::queries_per_page(&db, &paths).await);
    }
    assert_eq!(
        counts[0], counts[1],
        "statements per page, 1 vs 12 engagements ({paths:?})"
    );
    // A page's own statements (18 at most on this branch) and four for
    // the operations records; room for the commitments' transaction.
    for (path, n) in paths.iter().zip(&counts[0]) {
        assert!((5..=30).contains(n), "{path} costs {n} statements");
    }
}

#[tokio::test]
async fn the_head_sets_a_source_in_the_edit_form_and_bad_words_get_a_message_next_to_the_field() {
    use crate::lifecycle::{form_fields, post_fields, set};
    let db = demo_db().await;
    // The demo computes #1 compliance: make it a check-in again first.
    sqlx::query("update outcomes set source = null where key = $1")
        .bind(COMPLIANCE)
        .execute(&db.pool)
        .await
        .expect("update");
    let day = today().to_string();
    let action = "/kartel/whygos/production-1/edit";
    let mut wayan = signed_in_on(&db, "wayan", &day).await;
    let form = wayan.get(action).await;
    form.expect_status(200);
    assert!(
        form.body.contains("Leave empty for an outcome checked in."),
        "the hint"
    );
    let mut fields = form_fields(&form.body, action);
    let row = fields
        .iter()
        .find(|(k, v)| k.ends_with("_key") && v == COMPLIANCE)
        .map(|(k, _)| k.trim_end_matches("_key").to_owned())
        .expect("the compliance row");
    let field = format!("{row}_source");
    assert!(fields.iter().any(|(k, v)| *k == field && v.is_empty()));
    let stored = || async {
        let s: Option<String> = sqlx::query_scalar("select source from outcomes where key = $1")
            .bind(COMPLIANCE)
            .fetch_one(&db.pool)
            .await
            .expect("outcome");
        s
    };
    let version = || async {
        let v: i32 = sqlx::query_scalar("select version from whygos where key = 'production-1'")
            .fetch_one(&db.pool)
            .await
            .expect("whygo");
        v
    };
    let before = version().await;

    for (typed, message) in [
        (
            "handoff-compliance:nope",
            "This organization has no handoff type “nope”.",
        ),
        ("revenue", "“revenue” is not a source;"),
        ("outcome:prod-handoff-1", "An outcome cannot copy itself"),
    ] {
        set(&mut fields, &field, typed);
        let res = post_fields(&mut wayan, action, &fields).await;
        res.expect_status(422);
        assert!(res.body.contains(message), "{typed}: {message}");
        assert!(
            res.body
                .contains(&format!("name=\"{field}\" value=\"{typed}\"")),
            "what was typed is kept: {typed}"
        );
        assert_eq!(stored().await, None, "nothing written");
        assert_eq!(version().await, before);
    }

    set(
        &mut fields,
        &field,
        " handoff-compliance : sales-to-production ",
    );
    post_fields(&mut wayan, action, &fields)
        .await
        .expect_status(303);
    assert_eq!(
        stored().await.as_deref(),
        Some("handoff-compliance:sales-to-production")
    );
    assert_eq!(version().await, before + 1);
    // The form shows it back; the outcome is now computed.
    let again = wayan.get(action).await;
    let fields = form_fields(&again.body, action);
    assert!(
        fields
            .iter()
            .any(|(k, v)| *k == field && v == "handoff-compliance:sales-to-production")
    );
    assert!(outcome(&plan(&db, today()).await, COMPLIANCE).is_computed());
    // Emptied, it is checked in again.
    let mut fields = fields;
    set(&mut fields, &field, "");
    post_fields(&mut wayan, action, &fields)
        .await
        .expect_status(303);
    assert_eq!(stored().await, None);
}

/// The part of `body` from the heading of id `from` to that of id `to`.
fn section<'a>(body: &'a str, from: &str, to: &str) -> &'a str {
    let start = body
        .find(&format!("id=\"{from}\""))
        .unwrap_or_else(|| panic!("no {from}"));
    let rest = &body[start..];
    // Past its own heading: `to` may begin like `from`.
    let end = rest[1..]
        .find(&format!("id=\"{to}"))
        .map_or(rest.len(), |i| i + 1);
    &rest[..end]
}

#[tokio::test]
async fn the_sync_reads_a_computed_outcome_as_it_stood_a_week_ago_and_never_asks_to_check_it_in() {
    let db = demo_db().await;
    set_source(&db, COMPLIANCE, "handoff-compliance:sales-to-production").await;
    set_source(
        &db,
        "prod-handoff-2",
        "handoff-compliance:production-to-generative",
    )
    .await;
    let emmet = sales(&db).await;
    let today = today();
    // Opened ten days ago, late since eight days ago, never accepted: 0%
    // all week (when the quarter holds the whole week).
    create(&db, &emmet, "late", today - Duration::days(10)).await;
    let fy = year(&plan(&db, today).await);
    let day = today.to_string();
    let mut kevin = signed_in_on(&db, "kevin", &day).await;
    let page = kevin.get(&format!("/kartel/sync?as_of={day}")).await;
    page.expect_status(200);
    let h1 = "Handoff #1 Compliance (Sales→Prod)";
    let h2 = "Handoff #2 Compliance (Prod→Gen)";
    if fy.headline_quarter(today - Duration::days(8)) == fy.headline_quarter(today) {
        assert!(
            section(&page.body, "escalations", "attention").contains(h1),
            "0% against its target is off pace"
        );
        assert!(
            !section(&page.body, "changes", "missing").contains(h1),
            "the same status a week ago: no change, no new actual"
        );
    }
    // Nothing due of #2: no value, and no one is asked to check it in.
    let missing = section(&page.body, "missing", "nothing-after");
    assert!(!missing.contains(h2), "{missing}");
    assert!(missing.contains("Missing check-ins"));
}
