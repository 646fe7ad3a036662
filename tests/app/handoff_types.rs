//! The handoff cycles in the admin area: an admin adds, edits and removes
//! handoff types in the browser; bad input comes back next to its field
//! with what was typed; a number taken in the cycle, and removing a type
//! engagements use, are refused with nothing written; a changed checklist
//! applies to handoffs opened afterwards, never to running ones.

use whygo::app::operations::{self as ops, EngagementInput};

use crate::common::{TestDb, demo_db, signed_in};

fn form<'a>(overrides: &[(&'a str, &'a str)]) -> Vec<(&'a str, &'a str)> {
    let mut f = vec![
        ("key", "mentor-review"),
        ("cycle", "mentoring"),
        ("number", "1"),
        ("name", "Mentor review"),
        ("from", "community"),
        ("to", "generative"),
        ("trigger", "Artist certified at Tier 4"),
        ("opener", "manual"),
        ("sla", "answer within 72 hours of receipt"),
        ("sla_hours", ""),
        ("checklist", "Portfolio\nCertification"),
    ];
    for (k, v) in overrides {
        if let Some(slot) = f.iter_mut().find(|(fk, _)| fk == k) {
            slot.1 = v;
        }
    }
    f
}

/// Zac, signed in, holding a page's CSRF token.
async fn admin(db: &TestDb) -> crate::common::Client {
    let mut zac = signed_in(db, "zac").await;
    zac.get("/kartel/admin/handoffs").await.expect_status(200);
    zac
}

async fn count(db: &TestDb, sql: &str) -> i64 {
    sqlx::query_scalar(sql)
        .fetch_one(&db.pool)
        .await
        .expect("count")
}

#[tokio::test]
async fn an_admin_adds_a_cycle_and_sees_it_listed_with_its_sla_in_words() {
    let db = demo_db().await;
    let mut zac = admin(&db).await;
    let res = zac.post("/kartel/admin/handoffs/new", &form(&[])).await;
    res.expect_status(303);
    let page = zac.get("/kartel/admin/handoffs").await;
    page.expect_status(200);
    assert!(
        page.body.contains("Cycle <code>mentoring</code>"),
        "{}",
        page.body
    );
    assert!(page.body.contains("answered within 72 h of receipt"));
    // The client cycle's four types, in order, with their SLAs read.
    let client = page
        .body
        .find("Cycle <code>client</code>")
        .expect("client cycle");
    let one = page.body[client..].find("Sales → Production").expect("#1");
    let four = page.body[client..].find("Production → Sales").expect("#4");
    assert!(one < four);
    assert!(page.body.contains("within 48 h of the trigger"));
    let audit = count(
        &db,
        "select count(*) from audit_log where entity = 'handoff_type' and entity_key = 'mentor-review' and action = 'create'",
    )
    .await;
    assert_eq!(audit, 1);
}

#[tokio::test]
async fn bad_input_comes_back_next_to_each_field_with_what_was_typed() {
    let db = demo_db().await;
    let mut zac = admin(&db).await;
    let res = zac
        .post(
            "/kartel/admin/handoffs/new",
            &form(&[
                ("key", "Tier 4!"),
                ("number", "zero"),
                ("to", "community"),
                ("sla", "as soon as we can"),
            ]),
        )
        .await;
    res.expect_status(422);
    for field in ["key", "number", "to", "sla"] {
        assert!(
            res.body.contains(&format!("id=\"{field}-error\"")),
            "{field}: {}",
            res.body
        );
    }
    assert!(res.body.contains("value=\"as soon as we can\""));
    assert!(res.body.contains("value=\"Tier 4!\""));
    assert!(res.body.contains("Portfolio\nCertification"));
    assert_eq!(
        count(
            &db,
            "select count(*) from handoff_types where cycle_key = 'mentoring'"
        )
        .await,
        0
    );
}

#[tokio::test]
async fn a_number_taken_in_the_cycle_is_refused_and_nothing_changes() {
    let db = demo_db().await;
    let mut zac = admin(&db).await;
    let res = zac
        .post(
            "/kartel/admin/handoffs/new",
            &form(&[("key", "extra"), ("cycle", "client"), ("number", "2")]),
        )
        .await;
    res.expect_status(422);
    assert!(res.body.contains("id=\"number-error\""), "{}", res.body);
    assert!(res.body.contains("#2"));
    // The same number in another cycle is fine.
    zac.post(
        "/kartel/admin/handoffs/new",
        &form(&[("key", "extra"), ("number", "2")]),
    )
    .await
    .expect_status(303);
    // Renumbering #4 onto #3 is refused too.
    let res = zac
        .post(
            "/kartel/admin/handoffs/production-to-sales",
            &form(&[
                ("cycle", "client"),
                ("number", "3"),
                ("name", "Production → Sales"),
                ("from", "production"),
                ("to", "sales"),
                ("opener", ""),
                (
                    "sla",
                    "Closing Report within 5 working days of final delivery",
                ),
            ]),
        )
        .await;
    res.expect_status(422);
    assert_eq!(
        count(
            &db,
            "select number::bigint from handoff_types where key = 'production-to-sales'"
        )
        .await,
        4
    );
}

#[tokio::test]
async fn a_type_in_use_stays_and_a_new_checklist_applies_to_handoffs_opened_after() {
    let db = demo_db().await;
    let emmet = crate::common::service_account(
        &db,
        "kartel",
        "emmet",
        whygo::domain::permissions::Role::Member,
    )
    .await;
    let input = |key: &str| EngagementInput {
        key: key.to_owned(),
        name: key.to_owned(),
        client: "Acme".to_owned(),
        sow_signed: "2026-11-02".to_owned(),
        ..EngagementInput::default()
    };
    ops::create_engagement(&db.app_pool, &emmet, &input("first"))
        .await
        .expect("created");

    let mut zac = admin(&db).await;
    let res = zac
        .post("/kartel/admin/handoffs/sales-to-production/delete", &[])
        .await;
    res.expect_status(422);
    assert!(res.body.contains("Engagements have handoffs of this type"));
    assert_eq!(
        count(
            &db,
            "select count(*) from handoff_types where key = 'sales-to-production'"
        )
        .await,
        1
    );

    zac.post(
        "/kartel/admin/handoffs/sales-to-production",
        &form(&[
            ("cycle", "client"),
            ("number", "1"),
            ("name", "Sales → Production"),
            ("from", "sales"),
            ("to", "production"),
            ("opener", "sow_signed"),
            ("sla", "SOW package within 48 hrs of signature"),
            ("checklist", "Milestones\nBudget\nRisks"),
        ]),
    )
    .await
    .expect_status(303);
    ops::create_engagement(&db.app_pool, &emmet, &input("second"))
        .await
        .expect("created");
    let lists: Vec<(String, Vec<String>)> = sqlx::query_as(
        "select e.key, h.checklist from handoffs h join engagements e on e.id = h.engagement_id
         where e.key in ('first', 'second') order by e.key",
    )
    .fetch_all(&db.pool)
    .await
    .expect("handoffs");
    assert_eq!(lists[0].0, "first");
    assert_eq!(
        lists[0].1.len(),
        4,
        "the running handoff keeps its checklist"
    );
    assert_eq!(lists[1].1, ["Milestones", "Budget", "Risks"]);
}
