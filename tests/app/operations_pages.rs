//! The engagement pages over HTTP (issue 11): the list and the board, one
//! engagement with its handoffs, and the handoff moves posted from its forms,
//! on the demo; the engagement forms, the list's filters, the board's figures
//! and the handoff list they link to. Most engagements are created through
//! the service layer; the forms and moves go through the pages as a person
//! would.

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
pub(crate) async fn with_engagement() -> (TestDb, Client) {
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

pub(crate) fn move_path(m: &str) -> String {
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
    // Each step's time is a valid HTML datetime: at most three digits of a
    // second (the database stamps microseconds).
    let stamps: Vec<&str> = page
        .body
        .split("datetime=\"")
        .skip(1)
        .filter_map(|rest| rest.split('"').next())
        .collect();
    assert!(stamps.len() >= 5, "{stamps:?}");
    for t in stamps {
        let fraction = t
            .split('.')
            .nth(1)
            .map_or(0, |f| f.trim_end_matches('Z').len());
        assert!(t.ends_with('Z') && fraction <= 3, "{t}");
    }
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
    // #1's clock now says when it was accepted against its deadline.
    let one = &page.body[page
        .body
        .find("id=\"handoff-sales-to-production\"")
        .unwrap_or(0)..];
    let one = &one[..one
        .find("id=\"handoff-production-to-generative\"")
        .unwrap_or(one.len())];
    assert!(one.contains(", deadline "), "{one}");
    assert!(!one.contains("to be accepted by"), "{one}");
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
        cell.contains("due in 22 d"),
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
    let paths = [
        "/kartel/engagements",
        "/kartel/engagements/e-1",
        "/kartel/engagements?status=active&department=generative&as_of=2026-11-21",
        "/kartel/engagements/handoffs?type=sales-to-production&quarter=4&figure=compliance",
        "/kartel/engagements/handoffs?from=sales&to=production&figure=first-pass&as_of=2026-11-21",
        "/kartel/engagements/new",
        "/kartel/engagements/e-1/edit",
    ];
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

// ---------------------------------------------------------------------------
// Creating and editing engagements in the browser.
// ---------------------------------------------------------------------------

/// What askama makes of text in HTML.
fn html(s: &str) -> String {
    s.replace('&', "&#38;")
        .replace('<', "&#60;")
        .replace('>', "&#62;")
        .replace('"', "&#34;")
        .replace('\'', "&#39;")
}

/// The new-engagement form's fields, with these changed.
fn fields<'a>(changes: &[(&'a str, &'a str)]) -> Vec<(&'a str, &'a str)> {
    let mut all = vec![
        ("key", "globex-launch"),
        ("name", "Globex launch"),
        ("client", "Globex"),
        ("vertical", "Healthcare"),
        ("cycle", "client"),
        ("producer", "veronica"),
        ("account_manager", "emmet"),
        ("sow_signed", ""),
        ("pod_started", ""),
        ("delivered", ""),
        ("closed", ""),
        ("status", "active"),
    ];
    for (k, v) in changes {
        match all.iter_mut().find(|(f, _)| f == k) {
            Some(slot) => slot.1 = v,
            None => all.push((k, v)),
        }
    }
    all
}

fn days_ago(n: i64) -> String {
    (today() - chrono::Duration::days(n)).to_string()
}

async fn audit_count(db: &TestDb, action: &str, entity: &str, key: &str) -> i64 {
    sqlx::query_scalar(
        "select count(*) from audit_log where action = $1 and entity = $2 and entity_key = $3",
    )
    .bind(action)
    .bind(entity)
    .bind(key)
    .fetch_one(&db.pool)
    .await
    .expect("count")
}

/// The instant the handoff `handoff` of `engagement` opened, as stored.
async fn opened_at(db: &TestDb, engagement: &str, handoff: &str) -> Option<String> {
    sqlx::query_scalar(
        "select to_char(s.at at time zone 'utc', 'YYYY-MM-DD HH24:MI') from handoff_steps s
         join handoffs h on h.id = s.handoff_id
         join engagements e on e.id = h.engagement_id
         join handoff_types t on t.id = h.handoff_type_id
         where e.key = $1 and t.key = $2 and s.kind = 'opened'",
    )
    .bind(engagement)
    .bind(handoff)
    .fetch_optional(&db.pool)
    .await
    .expect("query")
}

#[tokio::test]
async fn an_engagement_is_created_through_the_form_and_opens_its_first_handoff() {
    let db = demo_db().await;
    account(&db, "kartel", "emmet", Role::Member).await;
    let mut emmet = signed_in(&db, "emmet").await;
    let list = emmet.get("/kartel/engagements").await;
    assert!(
        list.body.contains("href=\"/kartel/engagements/new\""),
        "Sales sees the link"
    );
    let form = emmet.get("/kartel/engagements/new").await;
    form.expect_status(200);
    for text in [
        "<label for=\"name\">Name</label>",
        "<label for=\"key\">Key</label>",
        "<label for=\"cycle\">Handoff cycle</label>",
        "<option value=\"client\" selected>",
        "<label for=\"producer\">Producer</label>",
        "<option value=\"veronica\">Veronica Diaz</option>",
        "<label for=\"sow_signed\">SOW signed</label>",
        "type=\"date\" id=\"closed\"",
        "<option value=\"active\" selected>",
        "name=\"csrf_token\"",
    ] {
        assert!(form.body.contains(text), "missing {text:?}:\n{}", form.body);
    }
    let sow = days_ago(1);
    let res = emmet
        .post(
            "/kartel/engagements/new",
            &fields(&[("sow_signed", sow.as_str())]),
        )
        .await;
    res.expect_status(303);
    assert_eq!(
        res.location.as_deref(),
        Some("/kartel/engagements/globex-launch")
    );
    let page = emmet.get("/kartel/engagements/globex-launch").await;
    page.expect_status(200);
    for text in [
        "Globex launch",
        "Healthcare",
        "Veronica Diaz",
        "Emmet Reilly",
        "href=\"/kartel/engagements/globex-launch/edit\"",
        "due in ",
    ] {
        assert!(page.body.contains(text), "missing {text:?}:\n{}", page.body);
    }
    assert_eq!(
        opened_at(&db, "globex-launch", H1).await,
        Some(format!("{sow} 00:00")),
        "the SOW date opened #1 at the start of its day"
    );
    assert_eq!(
        audit_count(&db, "create", "engagement", "globex-launch").await,
        1
    );
    assert_eq!(
        audit_count(&db, "open", "handoff", &format!("globex-launch/{H1}")).await,
        1
    );
}

#[tokio::test]
async fn a_bad_engagement_form_comes_back_with_its_messages_and_what_was_typed() {
    let db = demo_db().await;
    let emmet = account(&db, "kartel", "emmet", Role::Member).await;
    create(&db, &emmet, ENG, "Acme rebrand").await;
    let mut c = signed_in(&db, "emmet").await;
    c.get("/kartel/engagements/new").await.expect_status(200);
    let before = crate::common::content_fingerprint(&db, &["sessions"]).await;
    let res = c
        .post(
            "/kartel/engagements/new",
            &fields(&[
                ("key", "Not A Key!"),
                ("name", "   "),
                ("client", "Globex <Corp>"),
                ("producer", "nobody-here"),
                ("sow_signed", "2026-02-30"),
                ("pod_started", "next week"),
                ("closed", "+262142-01-01"),
                ("status", "paused"),
            ]),
        )
        .await;
    res.expect_status(422);
    for (field, message) in [
        ("key", "Use lowercase letters"),
        ("name", "Enter the engagement's name."),
        (
            "producer",
            "No one in this organization has the key “nobody-here”.",
        ),
        ("sow_signed", "Enter the date SOW signed as YYYY-MM-DD"),
        ("pod_started", "as YYYY-MM-DD"),
        ("closed", "as YYYY-MM-DD"),
        ("status", "Choose active, closed or lost."),
    ] {
        let p = format!("<p class=\"field-error\" id=\"{field}-error\">");
        let at = res
            .body
            .find(&p)
            .unwrap_or_else(|| panic!("no message for {field}:\n{}", res.body));
        assert!(
            res.body[at..]
                .split("</p>")
                .next()
                .unwrap_or_default()
                .contains(&html(message)),
            "{field}: {message}"
        );
        assert!(
            res.body
                .contains(&format!("aria-describedby=\"{field}-error\""))
                || res.body.contains(&format!(" {field}-error\"")),
            "{field} points at its message"
        );
    }
    for typed in [
        "value=\"Not A Key!\"",
        "value=\"Globex &#60;Corp&#62;\"",
        "value=\"2026-02-30\"",
        "value=\"next week\"",
        "value=\"+262142-01-01\"",
    ] {
        assert!(res.body.contains(typed), "kept {typed}:\n{}", res.body);
    }
    assert!(res.body.contains("Nothing was saved"));
    // A key taken, and the key of the handoff list's address.
    for (key, message) in [
        (ENG, "exists already"),
        ("handoffs", "one of whygo's own addresses"),
    ] {
        let res = c
            .post("/kartel/engagements/new", &fields(&[("key", key)]))
            .await;
        res.expect_status(422);
        assert!(res.body.contains(&html(message)), "{key}:\n{}", res.body);
    }
    assert_eq!(
        crate::common::content_fingerprint(&db, &["sessions"]).await,
        before,
        "nothing was written"
    );
}

#[tokio::test]
async fn only_those_the_permission_table_allows_see_and_use_the_engagement_forms() {
    let (db, _) = with_engagement().await;
    let edit = format!("/kartel/engagements/{ENG}/edit");
    // Production's head and a leader may; Platform and an admin may not.
    for who in ["wayan", "kevin"] {
        let mut c = signed_in(&db, who).await;
        let list = c.get("/kartel/engagements").await;
        assert!(list.body.contains("/kartel/engagements/new\""), "{who}");
        let page = c.get(&format!("/kartel/engagements/{ENG}")).await;
        assert!(page.body.contains(&format!("href=\"{edit}\"")), "{who}");
        c.get("/kartel/engagements/new").await.expect_status(200);
        c.get(&edit).await.expect_status(200);
    }
    // Niels works in Platform, which runs no cycle (Generative does: it
    // receives the talent cycle's first handoff, so Trent may).
    account(&db, "kartel", "niels", Role::Member).await;
    let before = crate::common::content_fingerprint(&db, &["sessions", "sign_in_attempts"]).await;
    for who in ["niels", "zac"] {
        let mut c = signed_in(&db, who).await;
        let list = c.get("/kartel/engagements").await;
        list.expect_status(200);
        assert!(!list.body.contains("/kartel/engagements/new\""), "{who}");
        let page = c.get(&format!("/kartel/engagements/{ENG}")).await;
        assert!(!page.body.contains(&edit), "{who}");
        c.get("/kartel/engagements/new").await.expect_status(403);
        c.get(&edit).await.expect_status(403);
        c.post(
            "/kartel/engagements/new",
            &fields(&[("key", "sneaky"), ("sow_signed", "2026-03-02")]),
        )
        .await
        .expect_status(403);
        c.post(&edit, &fields(&[("name", "Renamed")]))
            .await
            .expect_status(403);
    }
    assert_eq!(
        crate::common::content_fingerprint(&db, &["sessions", "sign_in_attempts"]).await,
        before,
        "nothing was written"
    );
    let mut kevin = signed_in(&db, "kevin").await;
    kevin
        .get("/kartel/engagements/nope/edit")
        .await
        .expect_status(404);
}

#[tokio::test]
async fn an_edit_saves_audits_and_a_key_date_moves_its_handoff_until_someone_acts_on_it() {
    let (db, mut emmet) = with_engagement().await;
    let edit = format!("/kartel/engagements/{ENG}/edit");
    let form = emmet.get(&edit).await;
    form.expect_status(200);
    let sow = today().to_string();
    for text in [
        "value=\"Acme rebrand\"",
        &format!("value=\"{sow}\""),
        "<option value=\"veronica\" selected>",
        "<code>acme-rebrand</code>",
    ] {
        assert!(form.body.contains(text), "missing {text:?}:\n{}", form.body);
    }
    assert!(!form.body.contains("id=\"key\""), "the key does not change");
    // No one has acted on #1: correcting the SOW date moves it.
    let earlier = days_ago(3);
    let res = emmet
        .post(
            &edit,
            &fields(&[
                ("name", "Acme rebrand 2026"),
                ("vertical", "Retail"),
                ("sow_signed", earlier.as_str()),
            ]),
        )
        .await;
    res.expect_status(303);
    assert_eq!(
        res.location.as_deref(),
        Some(format!("/kartel/engagements/{ENG}").as_str())
    );
    assert_eq!(
        opened_at(&db, ENG, H1).await,
        Some(format!("{earlier} 00:00"))
    );
    assert_eq!(audit_count(&db, "edit", "engagement", ENG).await, 1);
    assert_eq!(
        audit_count(&db, "withdraw", "handoff", &format!("{ENG}/{H1}")).await,
        1
    );
    let page = emmet.get(&format!("/kartel/engagements/{ENG}")).await;
    assert!(page.body.contains("Acme rebrand 2026"));
    assert!(page.body.contains("late by "), "3 days past a 48 h SLA");

    // Once the sender has ticked, the date stays: the message is by the
    // field, what was typed is kept, nothing is written.
    emmet
        .post(
            &format!("/kartel/engagements/{ENG}/handoffs/{H1}/tick"),
            &[("item", "0")],
        )
        .await
        .expect_status(303);
    emmet.get(&edit).await.expect_status(200);
    let before = crate::common::content_fingerprint(&db, &["sessions"]).await;
    let res = emmet
        .post(
            &edit,
            &fields(&[("name", "Acme rebrand 2026"), ("sow_signed", sow.as_str())]),
        )
        .await;
    res.expect_status(422);
    assert!(
        res.body
            .contains(&html(&format!("so the date stays {earlier}"))),
        "{}",
        res.body
    );
    assert!(res.body.contains("id=\"sow_signed-error\""));
    assert!(res.body.contains(&format!("value=\"{sow}\"")));
    assert_eq!(
        crate::common::content_fingerprint(&db, &["sessions"]).await,
        before
    );
    // Other fields still save, the date unchanged.
    emmet
        .post(
            &edit,
            &fields(&[
                ("name", "Acme rebrand 2026"),
                ("sow_signed", earlier.as_str()),
                ("pod_started", sow.as_str()),
            ]),
        )
        .await
        .expect_status(303);
    assert_eq!(
        opened_at(&db, ENG, H1).await,
        Some(format!("{earlier} 00:00"))
    );
}

// ---------------------------------------------------------------------------
// Filters, figures, the handoff list, as-of replay.
// ---------------------------------------------------------------------------

/// Four engagements of the client cycle, as of today: `met-one` (#1
/// accepted complete today), `late-one` (signed 10 days ago, #1 never
/// submitted, one item ticked today), `due-one` (signed today) and
/// `lost-one` (signed 10 days ago, lost yesterday). Returns the database.
async fn four_engagements() -> TestDb {
    let db = demo_db().await;
    without_demo_engagements(&db).await;
    let emmet = account(&db, "kartel", "emmet", Role::Member).await;
    let wayan = actor(&db, "wayan@kartel.example", "kartel").await;
    let make = |key: &'static str, vertical: &'static str, producer: &'static str, sow: String| {
        EngagementInput {
            vertical: vertical.to_owned(),
            producer: producer.to_owned(),
            sow_signed: sow,
            ..input(key, &key.replace('-', " "), today())
        }
    };
    let lost = EngagementInput {
        status: "lost".to_owned(),
        closed: days_ago(1),
        ..make("lost-one", "Retail", "veronica", days_ago(10))
    };
    for e in [
        make("met-one", "Retail", "veronica", today().to_string()),
        make("late-one", "Healthcare", "wayan", days_ago(10)),
        make("due-one", "Retail", "veronica", today().to_string()),
        lost,
    ] {
        match ops::create_engagement(&db.app_pool, &emmet, &e).await {
            Ok(Saved::Saved { .. }) => {}
            other => panic!("{}: {other:?}", e.key),
        }
    }
    for item in 0..4 {
        ops::tick(&db.app_pool, &emmet, "met-one", H1, item)
            .await
            .expect("query")
            .expect("ticked");
    }
    ops::submit(&db.app_pool, &emmet, "met-one", H1)
        .await
        .expect("query")
        .expect("submitted");
    ops::accept(&db.app_pool, &wayan, "met-one", H1)
        .await
        .expect("query")
        .expect("accepted");
    ops::tick(&db.app_pool, &emmet, "late-one", H1, 0)
        .await
        .expect("query")
        .expect("ticked");
    db
}

fn end_of(day: NaiveDate) -> chrono::DateTime<Utc> {
    day.and_hms_micro_opt(23, 59, 59, 999_999)
        .expect("time")
        .and_utc()
}

/// The part of a page from the element with `id` to the end of its section.
fn section<'a>(body: &'a str, id: &str) -> &'a str {
    let at = body
        .find(&format!("id=\"{id}\""))
        .unwrap_or_else(|| panic!("no #{id}:\n{body}"));
    let rest = &body[at..];
    &rest[..rest.find("</section>").unwrap_or(rest.len())]
}

#[tokio::test]
async fn the_boards_figures_are_the_domains_on_the_same_records_and_link_to_their_handoffs() {
    use whygo::domain::calendar::FiscalYear;
    use whygo::domain::operations::{Selection, compliance, first_pass_rate, onboarding_days};
    let db = four_engagements().await;
    let kevin_actor = actor(&db, "kevin@kartel.example", "kartel").await;
    let mut kevin = signed_in(&db, "kevin").await;
    let day = today();
    let page = kevin.get(&format!("/kartel/engagements?as_of={day}")).await;
    page.expect_status(200);
    let at = end_of(day);
    let loaded = ops::records(&db.app_pool, &kevin_actor, at)
        .await
        .expect("records");
    let records = loaded.records();
    let year = FiscalYear::new(NaiveDate::from_ymd_opt(2026, 1, 1).expect("date"));
    let q = year.headline_quarter(day);
    let h1 = Selection::handoff_type(H1);
    let pair = Selection::departments("sales", "production");
    let expected = [
        (
            compliance(&records, &h1.clone().due_in(year, q), at).sentence,
            format!(
                "handoffs?type={H1}&quarter={}&figure=compliance&as_of={day}",
                q.number()
            ),
        ),
        (
            compliance(&records, &h1, at).sentence,
            format!("handoffs?type={H1}&figure=compliance&as_of={day}"),
        ),
        (
            first_pass_rate(&records, &h1.clone().due_in(year, q), at).sentence,
            format!(
                "handoffs?type={H1}&quarter={}&figure=first-pass&as_of={day}",
                q.number()
            ),
        ),
        (
            compliance(&records, &pair.clone().due_in(year, q), at).sentence,
            format!(
                "handoffs?from=sales&to=production&quarter={}&figure=compliance&as_of={day}",
                q.number()
            ),
        ),
        (
            compliance(&records, &Selection::engagement("late-one"), at).sentence,
            format!("handoffs?engagement=late-one&figure=compliance&as_of={day}"),
        ),
        (
            onboarding_days(&records, None, at).sentence,
            format!("/kartel/engagements?as_of={day}"),
        ),
    ];
    for (sentence, link) in expected {
        assert!(
            page.body.contains(&html(&sentence)),
            "missing {sentence:?}:\n{}",
            page.body
        );
        assert!(page.body.contains(&html(&link)), "missing link {link}");
    }
    // On these records: #1 to date is 1 met of 2 counted (late-one is late),
    // due-one pending, lost-one withdrawn.
    assert_eq!(
        compliance(&records, &h1, at).sentence,
        "1 of 2 handoffs #1 accepted complete within 48 h = 50%; 1 more not settled yet, 1 withdrawn (engagement lost)"
    );
    // The board has the engagement's compliance as a column.
    let board = section(&page.body, "board-heading");
    assert!(board.contains("Compliance<span class=\"column-note\">its handoffs to date"));
    assert!(board.contains(">0%<"), "late-one: 0 of 1:\n{board}");
    assert!(board.contains(">100%<"), "met-one: 1 of 1");
}

#[tokio::test]
async fn the_handoff_list_groups_what_a_figure_counts() {
    use whygo::domain::operations::{Selection, compliance};
    let db = four_engagements().await;
    let kevin_actor = actor(&db, "kevin@kartel.example", "kartel").await;
    let mut kevin = signed_in(&db, "kevin").await;
    let day = today();
    let page = kevin
        .get(&format!(
            "/kartel/engagements/handoffs?type={H1}&as_of={day}&figure=compliance"
        ))
        .await;
    page.expect_status(200);
    let at = end_of(day);
    let loaded = ops::records(&db.app_pool, &kevin_actor, at)
        .await
        .expect("records");
    let sentence = compliance(&loaded.records(), &Selection::handoff_type(H1), at).sentence;
    assert!(page.body.contains(&html(&sentence)), "{}", page.body);
    let groups: Vec<&str> = page
        .body
        .split("<section class=\"handoff-group\"")
        .skip(1)
        .collect();
    assert_eq!(groups.len(), 4, "{}", page.body);
    for (group, (heading, only)) in groups.iter().zip([
        ("Met: accepted complete within the SLA (1)", "met one"),
        (
            "Counted, not met: late, breached, or answered late (1)",
            "late one",
        ),
        ("Pending: on the clock, not counted yet (1)", "due one"),
        ("Withdrawn: not accepted, engagement lost (1)", "lost one"),
    ]) {
        assert!(group.contains(heading), "{heading}:\n{group}");
        for name in ["met one", "late one", "due one", "lost one"] {
            assert_eq!(
                group.contains(&format!(">{name}</a>")),
                name == only,
                "{heading} and {name}:\n{group}"
            );
        }
    }
    assert!(groups[0].contains("done: accepted complete within SLA"));
    assert!(groups[1].contains("late by "));
    assert!(groups[0].contains(&format!(
        "href=\"/kartel/engagements/met-one?as_of={day}#handoff-{H1}\""
    )));

    // First pass: met-one was accepted on its first submission.
    let first = kevin
        .get(&format!(
            "/kartel/engagements/handoffs?type={H1}&figure=first-pass"
        ))
        .await;
    first.expect_status(200);
    assert!(
        first
            .body
            .contains("Met: accepted on the first submission (1)")
    );
    assert!(
        first
            .body
            .contains("1 of 1 accepted handoffs #1 were accepted on first submission = 100%")
    );

    // Values that do not read, or name nothing here: 400 with the reason.
    for (query, message) in [
        ("type=nope", "There is no handoff type “nope” here."),
        ("quarter=7", "“7” is not a quarter: use 1 to 4."),
        ("as_of=yesterday", "“yesterday” is not a date"),
        ("figure=speed", "“speed” is not a figure"),
        ("from=sales", "Give both departments"),
        ("from=sales&to=moon", "There is no department “moon” here."),
        (
            "engagement=acme-nope",
            "There is no engagement “acme-nope” here.",
        ),
        ("figure=closing-reports", "give type and quarter"),
        (
            "type=%3Cb%3Ex%3C/b%3E",
            "There is no handoff type “&#60;b&#62;x&#60;/b&#62;” here.",
        ),
    ] {
        let res = kevin
            .get(&format!("/kartel/engagements/handoffs?{query}"))
            .await;
        res.expect_status(400);
        assert!(
            res.body.contains(message),
            "{query}: {message}\n{}",
            res.body
        );
    }
}

#[tokio::test]
async fn the_list_and_board_filter_and_keep_what_was_chosen() {
    let db = four_engagements().await;
    let mut kevin = signed_in(&db, "kevin").await;
    let names = |body: &str| -> Vec<String> {
        let list = section(body, "list-heading");
        ["met one", "late one", "due one", "lost one"]
            .into_iter()
            .filter(|n| list.contains(&format!(">{n}</a>")))
            .map(str::to_owned)
            .collect()
    };
    let all = kevin.get("/kartel/engagements").await;
    assert_eq!(names(&all.body).len(), 4);
    for (query, expected, kept) in [
        (
            "vertical=Healthcare",
            vec!["late one"],
            "<option value=\"Healthcare\" selected>",
        ),
        (
            "status=lost",
            vec!["lost one"],
            "<option value=\"lost\" selected>",
        ),
        (
            "producer=wayan",
            vec!["late one"],
            "<option value=\"wayan\" selected>",
        ),
        (
            "status=active&vertical=Retail",
            vec!["met one", "due one"],
            "<option value=\"active\" selected>",
        ),
    ] {
        let res = kevin.get(&format!("/kartel/engagements?{query}")).await;
        res.expect_status(200);
        assert_eq!(names(&res.body), expected, "{query}");
        assert!(res.body.contains(kept), "{query} keeps {kept}");
        assert!(res.body.contains("Clear the filters"));
    }
    // A department narrows the board to the handoffs it sends or receives.
    let generative = kevin.get("/kartel/engagements?department=generative").await;
    let board = section(&generative.body, "board-heading");
    assert!(board.contains("#2 Production → Generative"), "{board}");
    assert!(board.contains("#3 Generative → Production"));
    assert!(!board.contains("#1 Sales → Production"));
    assert!(!board.contains("#4 Production → Sales"));
    // The board's cells say their standing once (no "NOT OPENED / not opened yet").
    assert!(!board.contains("standing-label"));
    // Values that do not read: by their fields, kept; the page shows the rest.
    let bad = kevin
        .get("/kartel/engagements?status=paused&producer=nobody&department=moon&as_of=soon")
        .await;
    bad.expect_status(422);
    for (field, message) in [
        ("status", "Choose active, not started, closed or lost."),
        ("producer", "No one here has the key “nobody”."),
        ("department", "There is no department “moon”."),
        ("as_of", "“soon” is not a date"),
    ] {
        assert!(
            bad.body.contains(&format!("id=\"{field}-error\"")),
            "{field}:\n{}",
            bad.body
        );
        assert!(bad.body.contains(message), "{message}");
    }
    assert!(bad.body.contains("value=\"soon\""));
    assert_eq!(names(&bad.body).len(), 4);
}

#[tokio::test]
async fn a_past_as_of_day_replays_the_board_as_it_stood() {
    let db = four_engagements().await;
    let mut kevin = signed_in(&db, "kevin").await;
    let late_cell = |body: &str, carry: &str| -> String {
        let link = format!("/kartel/engagements/late-one{carry}#handoff-{H1}");
        let at = body
            .find(&link)
            .unwrap_or_else(|| panic!("no cell:\n{body}"));
        let start = body[..at].rfind("<td").unwrap_or(at);
        body[start..at + body[at..].find("</td>").unwrap_or(0)].to_owned()
    };
    // The end of the day its SOW was signed: #1 due 48 h after its start.
    let then = kevin
        .get(&format!("/kartel/engagements?as_of={}", days_ago(10)))
        .await;
    then.expect_status(200);
    assert!(then.body.contains(&format!(
        "As of the end of {}",
        (today() - chrono::Duration::days(10)).format("%-d %b %Y")
    )));
    let cell = late_cell(&then.body, &format!("?as_of={}", days_ago(10)));
    assert!(
        cell.contains("standing due") && cell.contains("due in 24 h"),
        "{cell}"
    );
    // Yesterday: late, and today's tick not taken yet.
    let yesterday = kevin
        .get(&format!("/kartel/engagements?as_of={}", days_ago(1)))
        .await;
    let cell = late_cell(&yesterday.body, &format!("?as_of={}", days_ago(1)));
    assert!(cell.contains("late by 7 d"), "{cell}");
    assert!(cell.contains("0 of 4 ticked"), "{cell}");
    // Now: the tick counts; met-one and due-one are on the board.
    let now = kevin.get("/kartel/engagements").await;
    let cell = late_cell(&now.body, "");
    assert!(cell.contains("1 of 4 ticked"), "{cell}");
    let board = section(&now.body, "board-heading");
    assert!(board.contains(">met one</a>") && board.contains(">due one</a>"));
    let board = section(&yesterday.body, "board-heading");
    assert!(!board.contains(">met one</a>"), "not signed yet then");
    assert!(
        !board.contains(">lost one</a>"),
        "lost from its closed date, yesterday"
    );
    let board = section(&then.body, "board-heading");
    assert!(board.contains(">lost one</a>"), "active then");

    // The engagement page replays the same day, without the move forms.
    let then = kevin
        .get(&format!(
            "/kartel/engagements/late-one?as_of={}",
            days_ago(10)
        ))
        .await;
    then.expect_status(200);
    assert!(then.body.contains("A replay"), "{}", then.body);
    assert!(then.body.contains("due in 24 h"));
    assert!(!then.body.contains("/handoffs/"), "no move forms");
    assert!(!then.body.contains("ticked “Milestones”"), "ticked today");
    let now = kevin.get("/kartel/engagements/late-one").await;
    assert!(now.body.contains("ticked “Milestones”"));
    assert!(now.body.contains("/handoffs/sales-to-production/untick"));
    kevin
        .get("/kartel/engagements/late-one?as_of=soon")
        .await
        .expect_status(400);
}

#[tokio::test]
async fn hostile_filter_and_figure_values_answer_no_5xx_and_reflect_no_markup() {
    let db = four_engagements().await;
    let mut kevin = signed_in(&db, "kevin").await;
    let long = "x".repeat(5000);
    let values = [
        "%3Cb%3Emarker%3C%2Fb%3E",
        "%27%3B%20drop%20table%20engagements%3B--",
        "%E2%80%AEevil",
        "-1",
        "99999999999999999999",
        "2026-13-45",
        long.as_str(),
        "%FF%FE",
    ];
    let pages = [
        (
            "/kartel/engagements",
            &["status", "vertical", "producer", "department", "as_of"][..],
        ),
        (
            "/kartel/engagements/handoffs",
            &[
                "type",
                "from",
                "to",
                "engagement",
                "quarter",
                "as_of",
                "figure",
            ][..],
        ),
    ];
    for (path, params) in pages {
        for param in params {
            for value in values {
                let res = kevin.get(&format!("{path}?{param}={value}")).await;
                assert!(
                    res.status.as_u16() < 500,
                    "{path}?{param}={value}: {}",
                    res.status
                );
                assert!(
                    !res.body.contains("<b>marker</b>"),
                    "{path}?{param} reflects markup"
                );
            }
        }
    }
}

/// A move taken through the pages: who, handoff type, move, form fields.
type PageMove<'a> = (&'a str, &'a str, &'a str, Vec<(&'a str, &'a str)>);

/// Takes the moves through the pages.
async fn moves(clients: &mut [(&str, Client)], engagement: &str, steps: &[PageMove<'_>]) {
    for (who, handoff, m, form) in steps {
        let c = &mut clients
            .iter_mut()
            .find(|(name, _)| name == who)
            .unwrap_or_else(|| panic!("no client {who}"))
            .1;
        c.get(&format!("/kartel/engagements/{engagement}")).await;
        let res = c
            .post(
                &format!("/kartel/engagements/{engagement}/handoffs/{handoff}/{m}"),
                form,
            )
            .await;
        assert_eq!(
            res.status.as_u16(),
            303,
            "{who} {handoff} {m}: {}",
            res.body
        );
    }
}

#[tokio::test]
async fn the_four_handoffs_run_through_the_pages_one_sent_back_and_the_figures_follow() {
    let db = demo_db().await;
    without_demo_engagements(&db).await;
    account(&db, "kartel", "emmet", Role::Member).await;
    let mut clients = vec![
        ("emmet", signed_in(&db, "emmet").await),
        ("wayan", signed_in(&db, "wayan").await),
        ("trent", signed_in(&db, "trent").await),
    ];
    let e = "globex-launch";
    let sow = today().to_string();
    clients[0].1.get("/kartel/engagements/new").await;
    clients[0]
        .1
        .post(
            "/kartel/engagements/new",
            &fields(&[("sow_signed", sow.as_str())]),
        )
        .await
        .expect_status(303);
    let (h1, h2, h3, h4) = (
        H1,
        "production-to-generative",
        "generative-to-production",
        "production-to-sales",
    );
    let needed = (today() + chrono::Duration::days(30)).to_string();
    let tick = |i: &'static str| vec![("item", i)];
    let mut steps: Vec<PageMove> = Vec::new();
    for i in ["0", "1", "2", "3"] {
        steps.push(("emmet", h1, "tick", tick(i)));
    }
    steps.push(("emmet", h1, "submit", vec![]));
    steps.push(("wayan", h1, "accept", vec![]));
    steps.push((
        "wayan",
        h2,
        "needed-by",
        vec![("needed_by", needed.as_str())],
    ));
    for i in ["0", "1", "2"] {
        steps.push(("wayan", h2, "tick", tick(i)));
    }
    steps.push(("wayan", h2, "submit", vec![]));
    steps.push((
        "trent",
        h2,
        "send-back",
        vec![("reason", "Brand context missing")],
    ));
    steps.push(("wayan", h2, "tick", tick("3")));
    steps.push(("wayan", h2, "submit", vec![]));
    steps.push(("trent", h2, "accept", vec![]));
    for i in ["0", "1"] {
        steps.push(("trent", h3, "tick", tick(i)));
    }
    steps.push(("trent", h3, "submit", vec![]));
    steps.push(("wayan", h3, "accept", vec![]));
    moves(&mut clients, e, &steps).await;

    // #4 opens on the delivered date: Sales sets it in the edit form.
    let edit = format!("/kartel/engagements/{e}/edit");
    clients[0].1.get(&edit).await.expect_status(200);
    clients[0]
        .1
        .post(
            &edit,
            &fields(&[
                ("sow_signed", sow.as_str()),
                ("pod_started", sow.as_str()),
                ("delivered", sow.as_str()),
            ]),
        )
        .await
        .expect_status(303);
    let mut last: Vec<PageMove> = Vec::new();
    for i in ["0", "1", "2"] {
        last.push(("wayan", h4, "tick", tick(i)));
    }
    last.push(("wayan", h4, "submit", vec![]));
    last.push(("emmet", h4, "accept", vec![]));
    moves(&mut clients, e, &last).await;

    let page = clients[1].1.get(&format!("/kartel/engagements/{e}")).await;
    assert!(page.body.contains("sent back: “Brand context missing”"));
    assert!(
        page.body.contains(&html(
            "4 of 4 handoffs of Globex launch accepted complete within their SLA = 100%"
        )),
        "the engagement's compliance on its page"
    );
    assert!(page.body.contains(&html(&format!(
        "/kartel/engagements/handoffs?engagement={e}&figure=compliance"
    ))));
    assert_eq!(
        page.body
            .matches("done: accepted complete within SLA")
            .count(),
        4,
        "every handoff compliant:\n{}",
        page.body
    );
    // The board: the engagement's compliance is 4 of 4.
    let list = clients[1].1.get("/kartel/engagements").await;
    let board = section(&list.body, "board-heading");
    assert!(
        board.contains(&html(
            "4 of 4 handoffs of Globex launch accepted complete within their SLA = 100%"
        )),
        "{board}"
    );
    // #2 was accepted on its second submission: not a first pass.
    let first = clients[1]
        .1
        .get(&format!(
            "/kartel/engagements/handoffs?type={h2}&figure=first-pass"
        ))
        .await;
    first.expect_status(200);
    assert!(
        first
            .body
            .contains("0 of 1 accepted handoffs #2 were accepted on first submission = 0%"),
        "{}",
        first.body
    );
    let groups: Vec<&str> = first
        .body
        .split("<section class=\"handoff-group\"")
        .skip(1)
        .collect();
    assert!(groups[1].contains("Counted, not met: accepted after being sent back (1)"));
    assert!(groups[1].contains(">Globex launch</a>"));
    // The average onboarding time counts it: SOW and pod on the same day.
    assert!(
        list.body
            .contains("took 0 days from SOW signed to pod started = 0 days on average")
    );
    assert!(
        section(&list.body, "list-heading").contains("<td>0 days</td>"),
        "the list shows each engagement's onboarding time"
    );
}

#[tokio::test]
async fn a_key_date_edit_and_a_move_at_once_never_lose_the_move() {
    let db = demo_db().await;
    let emmet = account(&db, "kartel", "emmet", Role::Member).await;
    let earlier = days_ago(2);
    for i in 0..6 {
        let key = format!("race-{i}");
        create(&db, &emmet, &key, "Race").await;
        let edit = EngagementInput {
            sow_signed: earlier.clone(),
            ..input(&key, "Race", today())
        };
        let (edited, ticked) = tokio::join!(
            ops::edit_engagement(&db.app_pool, &emmet, &key, &edit),
            ops::tick(&db.app_pool, &emmet, &key, H1, 0)
        );
        let ticks: i64 = sqlx::query_scalar(
            "select count(*) from handoff_steps s join handoffs h on h.id = s.handoff_id
             join engagements e on e.id = h.engagement_id where e.key = $1 and s.kind = 'ticked'",
        )
        .bind(&key)
        .fetch_one(&db.pool)
        .await
        .expect("count");
        let opened = opened_at(&db, &key, H1).await;
        match (edited, ticked) {
            // The edit first: the handoff moved; the tick found it gone, or
            // came after and ticked the moved one.
            (Ok(Saved::Saved { .. }), Err(whygo::app::Refused::NotFound)) => {
                assert_eq!(ticks, 0, "{key}");
                assert_eq!(opened, Some(format!("{earlier} 00:00")), "{key}");
            }
            (Ok(Saved::Saved { .. }), Ok(Ok(_))) => {
                assert_eq!(ticks, 1, "{key}");
                assert_eq!(opened, Some(format!("{earlier} 00:00")), "{key}");
            }
            // The tick first: the date stays, the tick with it.
            (Ok(Saved::Invalid(errors)), Ok(Ok(_))) => {
                assert!(errors.has("sow_signed"), "{key}: {errors:?}");
                assert_eq!(ticks, 1, "{key}");
                assert_eq!(opened, Some(format!("{} 00:00", today())), "{key}");
            }
            other => panic!("{key}: {other:?}"),
        }
    }
}

#[tokio::test]
async fn clearing_the_date_that_opened_an_untouched_handoff_withdraws_it() {
    let (db, mut emmet) = with_engagement().await;
    let edit = format!("/kartel/engagements/{ENG}/edit");
    emmet.get(&edit).await.expect_status(200);
    emmet
        .post(
            &edit,
            &fields(&[("name", "Acme rebrand"), ("sow_signed", "")]),
        )
        .await
        .expect_status(303);
    assert_eq!(opened_at(&db, ENG, H1).await, None, "#1 withdrawn");
    assert_eq!(
        audit_count(&db, "withdraw", "handoff", &format!("{ENG}/{H1}")).await,
        1
    );
    let page = emmet.get(&format!("/kartel/engagements/{ENG}")).await;
    assert!(page.body.contains("not opened yet"));
    assert!(!page.body.contains(&move_path("tick")), "nothing to tick");
    // Set again, it opens again at the date.
    let sow = days_ago(1);
    emmet.get(&edit).await.expect_status(200);
    emmet
        .post(
            &edit,
            &fields(&[("name", "Acme rebrand"), ("sow_signed", sow.as_str())]),
        )
        .await
        .expect_status(303);
    assert_eq!(opened_at(&db, ENG, H1).await, Some(format!("{sow} 00:00")));
}
