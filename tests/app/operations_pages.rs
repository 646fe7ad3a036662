//! The engagement pages over HTTP (issue 11): the list and the board, one
//! engagement with its handoffs, and the handoff moves posted from its forms,
//! on the demo. Engagements are created through the service layer (there is
//! no form for them yet); moves go through the pages as a person would.

use chrono::{NaiveDate, Utc};

use whygo::app::Actor;
use whygo::app::operations::{self as ops, EngagementInput, Saved};
use whygo::domain::permissions::Role;

use crate::common::{
    Client, DEMO_PASSWORD, TestDb, app, demo_db, load_acme, signed_in, without_demo_engagements,
};

const ENG: &str = "acme-rebrand";
const H1: &str = "sales-to-production";

/// The service layer's actor for an account of organization `slug`.
async fn actor(db: &TestDb, email: &str, slug: &str) -> Actor {
    crate::common::service_actor(db, email, slug).await
}

/// An account for `person` of `slug` that signs in with the demo password
/// (the demo has no account in Sales), as `{person}@{slug}.example`.
async fn account(db: &TestDb, slug: &str, person: &str, role: Role) -> Actor {
    let email = format!("{person}@{slug}.example");
    let hash = whygo::auth::password::hash(DEMO_PASSWORD).expect("hash");
    whygo::db::admin_cli::create_user(
        &db.app_pool,
        &whygo::db::admin_cli::NewUser {
            email: &email,
            name: person,
            password_hash: &hash,
            installation_admin: false,
            tenant: Some(slug),
            role,
            person: Some(person),
        },
    )
    .await
    .expect("query")
    .expect("created");
    actor(db, &email, slug).await
}

fn today() -> NaiveDate {
    Utc::now().date_naive()
}

fn input(key: &str, name: &str, sow: NaiveDate) -> EngagementInput {
    EngagementInput {
        key: key.to_owned(),
        name: name.to_owned(),
        client: "Acme".to_owned(),
        vertical: "Retail".to_owned(),
        producer: "veronica".to_owned(),
        account_manager: "emmet".to_owned(),
        sow_signed: sow.to_string(),
        ..EngagementInput::default()
    }
}

async fn create(db: &TestDb, by: &Actor, key: &str, name: &str) {
    match ops::create_engagement(&db.app_pool, by, &input(key, name, today())).await {
        Ok(Saved::Saved { .. }) => {}
        other => panic!("not created: {other:?}"),
    }
}

/// The demo with Emmet (Sales) signed in and ENG created by him, signed
/// today, so handoff #1 is open and due.
async fn with_engagement() -> (TestDb, Client) {
    let db = demo_db().await;
    without_demo_engagements(&db).await;
    let emmet = account(&db, "kartel", "emmet", Role::Member).await;
    create(&db, &emmet, ENG, "Acme rebrand").await;
    let c = signed_in(&db, "emmet").await;
    (db, c)
}

/// The board's cell of ENG for handoff #1: the text of its `<td>`.
fn board_cell(body: &str) -> String {
    let link = format!("/kartel/engagements/{ENG}#handoff-{H1}");
    let at = body
        .find(&link)
        .unwrap_or_else(|| panic!("no board cell for {H1}:\n{body}"));
    let start = body[..at].rfind("<td").unwrap_or(at);
    let end = at + body[at..].find("</td>").unwrap_or(0);
    body[start..end].to_owned()
}

fn move_path(m: &str) -> String {
    format!("/kartel/engagements/{ENG}/handoffs/{H1}/{m}")
}

#[tokio::test]
async fn the_pages_render_for_the_demo_and_an_empty_list_says_so() {
    let db = demo_db().await;
    // The demo's invented engagements are listed, each linking its page.
    let mut kevin = signed_in(&db, "kevin").await;
    let page = kevin.get("/kartel/engagements").await;
    page.expect_status(200);
    assert!(page.body.contains("Cinder Studios"), "a demo engagement");
    kevin
        .get("/kartel/engagements/cinder-titles")
        .await
        .expect_status(200);
    without_demo_engagements(&db).await;
    for who in ["kevin", "wayan", "trent", "zac"] {
        let mut c = signed_in(&db, who).await;
        let page = c.get("/kartel/engagements").await;
        page.expect_status(200);
        assert!(page.body.contains("No engagements yet."), "{who}");
        assert!(page.body.contains("No active engagements"), "{who}");
        assert!(
            page.body.contains("href=\"/kartel/engagements\""),
            "{who}: the navigation links the page"
        );
        c.get("/kartel/engagements/nope").await.expect_status(404);
    }
}

#[tokio::test]
async fn an_engagement_created_through_the_service_is_listed_and_due_on_the_board() {
    let (_db, mut emmet) = with_engagement().await;
    let list = emmet.get("/kartel/engagements").await;
    list.expect_status(200);
    for text in [
        "Acme rebrand",
        "Retail",
        "Veronica",
        "Client cycle: 1 active engagement",
        "#1 Sales → Production",
        "#4 Production → Sales",
    ] {
        assert!(list.body.contains(text), "missing {text:?}:\n{}", list.body);
    }
    let cell = board_cell(&list.body);
    assert!(cell.contains("standing due"), "{cell}");
    assert!(cell.contains("due in "), "the clock in words: {cell}");
    assert!(cell.contains("0 of 4 ticked"), "{cell}");
    assert!(list.body.contains("not opened yet"), "#2 to #4");

    let page = emmet.get(&format!("/kartel/engagements/{ENG}")).await;
    page.expect_status(200);
    for text in [
        "Acme rebrand",
        "SOW package within 48 hrs of signature",
        "within 48 h of the trigger",
        "to be accepted by",
        "Milestones",
        "[ ] not ticked",
        "opened",
        &format!("action=\"{}\"", move_path("tick")),
        &format!("action=\"{}\"", move_path("submit")),
        "name=\"csrf_token\"",
    ] {
        assert!(page.body.contains(text), "missing {text:?}:\n{}", page.body);
    }
    // The sender sees no receiver's forms.
    assert!(!page.body.contains(&move_path("accept")));
}

#[tokio::test]
async fn a_handoff_runs_through_the_forms_and_the_board_changes() {
    let (db, mut emmet) = with_engagement().await;
    emmet
        .get(&format!("/kartel/engagements/{ENG}"))
        .await
        .expect_status(200);
    for i in ["0", "1", "2", "3"] {
        let res = emmet.post(&move_path("tick"), &[("item", i)]).await;
        res.expect_status(303);
        assert_eq!(
            res.location.as_deref(),
            Some(format!("/kartel/engagements/{ENG}#handoff-{H1}").as_str())
        );
    }
    // A ticked item offers its untick; a tampered item is refused by the field.
    let page = emmet.get(&format!("/kartel/engagements/{ENG}")).await;
    assert!(page.body.contains("[x] ticked"));
    assert!(page.body.contains(&move_path("untick")));
    let bad = emmet.post(&move_path("tick"), &[("item", "9")]).await;
    bad.expect_status(422);
    assert!(bad.body.contains("There is no such checklist item."));
    emmet
        .post(&move_path("submit"), &[])
        .await
        .expect_status(303);
    // Submitted twice: the domain's sentence, 409.
    let twice = emmet.post(&move_path("submit"), &[]).await;
    twice.expect_status(409);
    assert!(
        twice
            .body
            .contains("It is already submitted and waiting for the receiver"),
        "{}",
        twice.body
    );

    // Wayan (Production) answers: a send-back needs a reason, kept as typed.
    let mut wayan = signed_in(&db, "wayan").await;
    let page = wayan.get(&format!("/kartel/engagements/{ENG}")).await;
    assert!(page.body.contains(&move_path("accept")));
    assert!(
        page.body
            .contains("<label for=\"reason-sales-to-production\">")
    );
    assert!(!page.body.contains(&move_path("tick")), "not the sender");
    let missing = wayan
        .post(&move_path("send-back"), &[("reason", "   ")])
        .await;
    missing.expect_status(422);
    assert!(
        missing.body.contains("Say why it is sent back"),
        "{}",
        missing.body
    );
    assert!(missing.body.contains("aria-invalid=\"true\""));
    wayan
        .post(&move_path("accept"), &[])
        .await
        .expect_status(303);

    let list = wayan.get("/kartel/engagements").await;
    let cell = board_cell(&list.body);
    assert!(cell.contains("standing done"), "{cell}");
    assert!(
        cell.contains("done: accepted complete within SLA"),
        "{cell}"
    );
    // The acceptance opened #2, now open for Production.
    let page = wayan.get(&format!("/kartel/engagements/{ENG}")).await;
    assert!(page.body.contains("accepted"));
    assert!(
        page.body
            .contains("/handoffs/production-to-generative/submit"),
        "#2 is Production's to send"
    );
    let again = wayan.post(&move_path("accept"), &[]).await;
    again.expect_status(409);
    assert!(again.body.contains("It is already accepted."));

    // #2 runs on a lead time: no clock until its needed-by date is set; a
    // date that does not read stays in its field with the message.
    let h2 = format!("/kartel/engagements/{ENG}/handoffs/production-to-generative/needed-by");
    assert!(
        page.body
            .contains("<label for=\"needed-by-production-to-generative\">")
    );
    let bad = wayan.post(&h2, &[("needed_by", "next month")]).await;
    bad.expect_status(422);
    assert!(
        bad.body
            .contains("Enter the date it is needed by as YYYY-MM-DD")
    );
    assert!(bad.body.contains("value=\"next month\""));
    let needed = (today() + chrono::Duration::days(30)).to_string();
    wayan
        .post(&h2, &[("needed_by", &needed)])
        .await
        .expect_status(303);
    let list = wayan.get("/kartel/engagements").await;
    let cell = list
        .body
        .split("#handoff-production-to-generative\">")
        .nth(1)
        .and_then(|rest| rest.split("</td>").next())
        .unwrap_or_default();
    assert!(
        cell.contains(">due</span>") && cell.contains("due in 22 d"),
        "needed in 30 days with 7 days' lead: due in 22 d and some hours: {cell}"
    );
}

#[tokio::test]
async fn another_department_sees_no_move_forms_and_its_posts_are_refused() {
    let (db, _) = with_engagement().await;
    let mut trent = signed_in(&db, "trent").await;
    let page = trent.get(&format!("/kartel/engagements/{ENG}")).await;
    page.expect_status(200);
    assert!(page.body.contains("Acme rebrand"));
    assert!(
        !page.body.contains("/handoffs/"),
        "no move forms for Generative"
    );
    let before = crate::common::content_fingerprint(&db, &["sessions"]).await;
    for (m, form) in [
        ("tick", vec![("item", "0")]),
        ("submit", vec![]),
        ("accept", vec![]),
        ("send-back", vec![("reason", "No.")]),
    ] {
        let res = trent.post(&move_path(m), &form).await;
        res.expect_status(403);
    }
    assert_eq!(
        crate::common::content_fingerprint(&db, &["sessions"]).await,
        before,
        "nothing was written"
    );
    // An unknown move or handoff is not found.
    trent
        .post(&move_path("explode"), &[])
        .await
        .expect_status(404);
    trent
        .post(
            &format!("/kartel/engagements/{ENG}/handoffs/no-such-type/submit"),
            &[],
        )
        .await
        .expect_status(404);
}

#[tokio::test]
async fn another_tenants_engagement_is_not_found() {
    let (db, _) = with_engagement().await;
    load_acme(&db).await;
    account(&db, "acme", "ann", Role::Admin).await;
    let mut ann = Client::new(app(&db));
    ann.login("ann@acme.example", DEMO_PASSWORD).await;
    ann.get("/acme/engagements").await.expect_status(200);
    for path in [
        format!("/acme/engagements/{ENG}"),
        format!("/kartel/engagements/{ENG}"),
        "/kartel/engagements".to_owned(),
    ] {
        let res = ann.get(&path).await;
        res.expect_status(404);
        assert!(!res.body.contains("Acme rebrand"), "{path}");
    }
    let before = crate::common::content_fingerprint(&db, &["sessions"]).await;
    ann.post(
        &format!("/acme/engagements/{ENG}/handoffs/{H1}/submit"),
        &[],
    )
    .await
    .expect_status(404);
    assert_eq!(
        crate::common::content_fingerprint(&db, &["sessions"]).await,
        before
    );
}

#[tokio::test]
async fn the_pages_cost_the_same_statements_whatever_the_number_of_engagements() {
    let paths = ["/kartel/engagements", "/kartel/engagements/e-1"];
    let small = demo_db().await;
    let emmet = account(&small, "kartel", "emmet", Role::Member).await;
    create(&small, &emmet, "e-1", "Engagement 1").await;
    let before = crate::pages::queries_per_page(&small, &paths).await;

    let big = demo_db().await;
    let emmet = account(&big, "kartel", "emmet", Role::Member).await;
    for i in 1..=20 {
        create(&big, &emmet, &format!("e-{i}"), &format!("Engagement {i}")).await;
        for item in 0..2 {
            ops::tick(&big.app_pool, &emmet, &format!("e-{i}"), H1, item)
                .await
                .expect("ticked")
                .expect("allowed");
        }
    }
    let after = crate::pages::queries_per_page(&big, &paths).await;
    assert_eq!(before, after, "statements per page, 1 vs 20 engagements");
    for (path, n) in paths.iter().zip(&before) {
        assert!((5..=15).contains(n), "{path} costs {n} statements");
    }
}
