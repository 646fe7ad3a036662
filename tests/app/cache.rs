//! The plan cache (src/http/cache.rs) and the data version it is keyed on
//! (migration 0010): every write moves the version in its own transaction,
//! so a page shows it at once, on this app server and on any other sharing
//! the database; an unchanged page is served without reading its plan again.

use crate::common::{Client, KARTEL, TestDb, demo_db, kartel_db, signed_in};

const AS_OF: &str = "2026-11-21";

/// The statements of the dashboard's read of the cascade's progress
/// (`db::lifecycle::cascade_inputs`), beside its plan.
const DASHBOARD_CASCADE_READS: usize = 4;

/// The statement that reads what waits for the viewer, for the navigation
/// (`whygo_waiting`, src/http/nav.rs): once per viewer and structure
/// version, on the first page a viewer opens (here, the dashboard).
const NAV_READ: usize = 1;

async fn version(db: &TestDb, slug: &str) -> i64 {
    sqlx::query_scalar("select data_version from tenants where slug = $1")
        .bind(slug)
        .fetch_one(&db.pool)
        .await
        .expect("the tenant's data version")
}

/// The dashboard's "needs attention" and escalation lists, where a check-in
/// that brings an outcome back on pace takes it out.
async fn dashboard(c: &mut Client) -> String {
    let res = c.get(&format!("/kartel?as_of={AS_OF}")).await;
    res.expect_status(200);
    res.body.clone()
}

/// Wayan checks in Production Margin on pace (the demo has it `[~]`, 47%
/// against 49.1% expected) and follows the redirect.
async fn wayan_checks_in(wayan: &mut Client) {
    wayan
        .get(&format!("/kartel/checkin?as_of={AS_OF}"))
        .await
        .expect_status(200);
    let res = wayan
        .post(
            &format!("/kartel/checkin?as_of={AS_OF}"),
            &[
                ("value-4-prod-margin", "50%"),
                ("note-4-prod-margin", "Freelancers released."),
                ("action", "save"),
            ],
        )
        .await;
    res.expect_status(303);
    let to = res.location.clone().expect("a redirect");
    wayan.get(&to).await.expect_status(200);
}

/// The status of Production Margin in Q4 in `report.json`.
async fn margin_q4(c: &mut Client) -> String {
    let res = c.get(&format!("/kartel/report.json?as_of={AS_OF}")).await;
    res.expect_status(200);
    let report: serde_json::Value = serde_json::from_str(&res.body).expect("report JSON");
    report["whygos"]
        .as_array()
        .into_iter()
        .flatten()
        .flat_map(|w| w["outcomes"].as_array().into_iter().flatten())
        .filter(|o| o["key"] == "prod-margin")
        .flat_map(|o| o["quarters"].as_array().into_iter().flatten())
        .find(|x| x["quarter"] == 4)
        .and_then(|x| x["status"].as_str())
        .unwrap_or_else(|| panic!("prod-margin Q4 in the report: {}", res.body))
        .to_owned()
}

/// Production's outcomes that need attention: the dashboard counts them by
/// department and lists them on the escalations page, built from the same
/// cached plan as the dashboard.
async fn production_escalations(c: &mut Client) -> String {
    let res = c
        .get(&format!(
            "/kartel/escalations?as_of={AS_OF}&department=production"
        ))
        .await;
    res.expect_status(200);
    res.body
}

#[tokio::test]
async fn a_check_in_shows_on_the_dashboard_right_after_its_redirect() {
    let db = demo_db().await;
    let mut wayan = signed_in(&db, "wayan").await;
    let before = dashboard(&mut wayan).await;
    let listed = production_escalations(&mut wayan).await;
    assert!(listed.contains("Production Margin"), "{listed}");
    // Served from the cache the second time, and the same page.
    assert_eq!(dashboard(&mut wayan).await, before);

    wayan_checks_in(&mut wayan).await;

    assert_ne!(dashboard(&mut wayan).await, before, "the counts moved");
    let listed = production_escalations(&mut wayan).await;
    assert!(
        !listed.contains("Production Margin"),
        "the check-in put it on pace: {listed}"
    );
    let sync = wayan.get(&format!("/kartel/sync?as_of={AS_OF}")).await;
    sync.expect_status(200);
    assert!(sync.body.contains("Freelancers released."), "{}", sync.body);
}

#[tokio::test]
async fn a_check_in_made_on_another_app_server_shows_at_once_on_one_that_cached_the_page() {
    let db = demo_db().await;
    // Two routers on one database, each with its own cache: Kevin's, and
    // the one Wayan checks in on.
    let mut kevin = signed_in(&db, "kevin").await;
    let mut wayan = signed_in(&db, "wayan").await;
    let before = dashboard(&mut kevin).await;
    assert!(
        production_escalations(&mut kevin)
            .await
            .contains("Production Margin")
    );
    assert_eq!(margin_q4(&mut kevin).await, "~");
    // Both are in Kevin's server's cache now.
    assert_eq!(dashboard(&mut kevin).await, before);

    wayan_checks_in(&mut wayan).await;

    assert_ne!(dashboard(&mut kevin).await, before, "the counts moved");
    let listed = production_escalations(&mut kevin).await;
    assert!(!listed.contains("Production Margin"), "{listed}");
    assert_eq!(margin_q4(&mut kevin).await, "+");
}

#[tokio::test]
async fn an_unchanged_page_is_served_again_without_reading_its_plan() {
    let db = demo_db().await;
    let dash = format!("/kartel?as_of={AS_OF}");
    let org = format!("/kartel/org?as_of={AS_OF}");
    let alignment = format!("/kartel/alignment?as_of={AS_OF}");
    let counts =
        crate::pages::queries_per_page(&db, &[&dash, &dash, &dash, &org, &alignment]).await;
    // The first request reads the plan (BEGIN, the tenant setting, one
    // query per table, the computed outcomes' records, COMMIT); the next
    // is the rendered page, after the one statement that reads the
    // session, the membership and the data version together.
    let (first, cached) = (counts[0], counts[1]);
    assert!(first >= cached + 9, "{counts:?}");
    assert_eq!(cached, 1, "only the session and tenancy: {counts:?}");
    assert_eq!(counts[2], cached, "{counts:?}");
    // The org chart reads the whole plan; the alignment tree is rendered
    // anew from the plan the org chart left in the plan cache. The
    // dashboard also reads the cascade's progress (a tenant transaction:
    // the signers and the individual WhyGOs' states), and, as the first
    // page this viewer opens, what waits for them (kept for the others).
    assert_eq!(
        counts[3] + DASHBOARD_CASCADE_READS + NAV_READ,
        first,
        "{counts:?}"
    );
    assert_eq!(counts[4], cached, "{counts:?}");
}

#[tokio::test]
async fn a_check_in_admin_edit_and_handoff_move_each_move_the_version_once() {
    let db = demo_db().await;
    let acme = whygo::db::load::check("acme.toml", crate::common::ACME).expect("valid");
    whygo::db::load::apply(&db.app_pool, &acme, "test")
        .await
        .expect("a second tenant");
    let v0 = version(&db, "kartel").await;
    let acme0 = version(&db, "acme").await;

    let mut wayan = signed_in(&db, "wayan").await;
    wayan_checks_in(&mut wayan).await;
    let v1 = version(&db, "kartel").await;
    // The actual, its audit entry and the submission token: one transaction,
    // one step.
    assert_eq!(v1, v0 + 1);

    let mut zac = signed_in(&db, "zac").await;
    zac.get("/kartel/admin/people/new").await.expect_status(200);
    zac.post(
        "/kartel/admin/people/new",
        &[
            ("key", "ann-lee"),
            ("name", "Ann Lee"),
            ("title", "Producer"),
            ("department", "production"),
            ("manager", "wayan"),
        ],
    )
    .await
    .expect_status(303);
    assert_eq!(version(&db, "kartel").await, v1 + 1);

    // Another tenant's version never moved.
    assert_eq!(version(&db, "acme").await, acme0);
}

#[tokio::test]
async fn a_handoff_move_moves_the_version() {
    let (db, mut emmet) = crate::operations_pages::with_engagement().await;
    let before = version(&db, "kartel").await;
    emmet
        .get(&format!("/kartel/engagements/{}", "acme-rebrand"))
        .await
        .expect_status(200);
    emmet
        .post(
            &crate::operations_pages::move_path("tick"),
            &[("item", "0")],
        )
        .await
        .expect_status(303);
    assert_eq!(version(&db, "kartel").await, before + 1);
}

#[tokio::test]
async fn a_workbook_reload_moves_the_version_only_when_it_changes_something() {
    let db = kartel_db().await;
    let loaded = version(&db, "kartel").await;
    assert!(loaded > 0, "the first load wrote the plan");

    let same = whygo::db::load::check("kartel-2026.toml", KARTEL).expect("valid");
    whygo::db::load::apply(&db.app_pool, &same, "test")
        .await
        .expect("reload");
    assert_eq!(
        version(&db, "kartel").await,
        loaded,
        "nothing changed, nothing to rebuild"
    );

    let edited = KARTEL.replacen(
        "name = \"Production Margin\"",
        "name = \"Production Margin (gross)\"",
        1,
    );
    let wb = whygo::db::load::check("kartel-2026.toml", &edited).expect("valid");
    whygo::db::load::apply(&db.app_pool, &wb, "test")
        .await
        .expect("load the edit");
    assert_eq!(version(&db, "kartel").await, loaded + 1);
}

#[tokio::test]
async fn settings_bulk_writes_and_rollbacks_move_the_version_as_their_transaction_does() {
    let db = demo_db().await;
    let v0 = version(&db, "kartel").await;

    // The tenant's own settings are page data.
    sqlx::query("update tenants set on_pace = 0.95 where slug = 'kartel'")
        .execute(&db.pool)
        .await
        .expect("settings");
    assert_eq!(version(&db, "kartel").await, v0 + 1);

    // Many rows over several statements in one transaction: one step.
    let mut tx = db.pool.begin().await.expect("begin");
    for q in 1..=3 {
        sqlx::query(
            "insert into actuals (tenant_id, id, outcome_id, quarter, value, entered_on)
             select o.tenant_id, gen_random_uuid(), o.id, $1, '1', date '2026-11-20'
             from outcomes o join tenants t on t.id = o.tenant_id where t.slug = 'kartel'",
        )
        .bind(q)
        .execute(&mut *tx)
        .await
        .expect("actuals");
    }
    tx.commit().await.expect("commit");
    assert_eq!(version(&db, "kartel").await, v0 + 2);

    // Rolled back: the version goes back with the rows.
    let mut tx = db.pool.begin().await.expect("begin");
    sqlx::query("delete from comments")
        .execute(&mut *tx)
        .await
        .expect("delete");
    sqlx::query("update people set title = title || '!'")
        .execute(&mut *tx)
        .await
        .expect("update");
    tx.rollback().await.expect("rollback");
    assert_eq!(version(&db, "kartel").await, v0 + 2);
}

/// Two clients on one app (one page cache), signed in as `a` and `b`.
async fn sharing_one_app(db: &TestDb, a: &str, b: &str) -> (Client, Client) {
    let app = crate::common::app(db);
    let mut first = Client::new(app.clone());
    first
        .login(&format!("{a}@kartel.example"), crate::common::DEMO_PASSWORD)
        .await;
    let mut second = Client::new(app);
    second
        .login(&format!("{b}@kartel.example"), crate::common::DEMO_PASSWORD)
        .await;
    (first, second)
}

#[tokio::test]
async fn a_cached_page_carries_each_sessions_own_csrf_token() {
    let db = demo_db().await;
    // Kevin signed in twice: one account, two sessions, two tokens.
    let (mut one, mut two) = sharing_one_app(&db, "kevin", "kevin").await;
    let page = format!("/kartel?as_of={AS_OF}");
    let first = one.get(&page).await;
    first.expect_status(200);
    let second = two.get(&page).await;
    second.expect_status(200);
    let (t1, t2) = (
        crate::common::csrf_in(&first.body).expect("a sign-out form"),
        crate::common::csrf_in(&second.body).expect("a sign-out form"),
    );
    assert_ne!(t1, t2, "two sessions");
    assert_eq!(Some(&t1), one.csrf.as_ref());
    assert_eq!(Some(&t2), two.csrf.as_ref());
    // Apart from the token, the second is the first page, from the cache.
    assert_eq!(first.body.replace(&t1, ""), second.body.replace(&t2, ""));
    // And the token works: the second session signs out with it.
    let out = two.post("/logout", &[]).await;
    assert_eq!(out.status.as_u16(), 303, "{}", out.body);
}

#[tokio::test]
async fn a_page_cached_for_one_viewer_is_never_served_to_another() {
    let db = demo_db().await;
    // Fill manages Trent, so he sees Trent's individual WhyGO; Wayan does
    // not. Fill's pages are rendered first, on the same app.
    let (mut fill, mut wayan) = sharing_one_app(&db, "fill", "wayan").await;
    for path in [
        "/kartel/people/trent",
        "/kartel/alignment",
        "/kartel/report.json",
        "/kartel/departments/generative",
        "/kartel/whygos/generative-1",
    ] {
        let path = format!("{path}?as_of={AS_OF}");
        let shown = fill.get(&path).await;
        shown.expect_status(200);
        let for_wayan = wayan.get(&path).await;
        assert!(for_wayan.status.as_u16() < 500, "{path}");
        for secret in ["trent-1", "Workflow Engineer Playbook and Batch Tooling"] {
            assert!(
                !for_wayan.body.contains(secret),
                "{path} shows Wayan {secret}"
            );
        }
    }
    // The one that names it for Fill did.
    let person = fill
        .get(&format!("/kartel/people/trent?as_of={AS_OF}"))
        .await;
    assert!(
        person
            .body
            .contains("Workflow Engineer Playbook and Batch Tooling")
    );
}

/// The two numbers a page as of a date is keyed on (migration 0011).
async fn versions(db: &TestDb, as_of: &str) -> (i64, i64, i64) {
    sqlx::query_as(
        "select t.data_version, t.structure_version,
                (select coalesce(max(av.data_version), 0) from actual_versions av
                 where av.tenant_id = t.id and av.entered_on <= $1::date)
         from tenants t where t.slug = 'kartel'",
    )
    .bind(as_of)
    .fetch_one(&db.pool)
    .await
    .expect("versions")
}

#[tokio::test]
async fn a_check_in_moves_what_its_date_reads_and_nothing_before_it() {
    let db = demo_db().await;
    let yesterday = "2026-11-20";
    let (v0, s0, y0) = versions(&db, yesterday).await;
    assert_eq!(s0, v0, "the demo's load is structure");

    // Wayan's check-in is dated today (2026-11-21 on this server).
    let mut wayan = signed_in(&db, "wayan").await;
    wayan_checks_in(&mut wayan).await;
    let (v1, s1, y1) = versions(&db, yesterday).await;
    let (_, _, t1) = versions(&db, AS_OF).await;
    assert_eq!(v1, v0 + 1);
    assert_eq!(s1, s0, "new actuals are not structure");
    assert_eq!(y1, y0, "nothing dated yesterday or before");
    assert_eq!(t1, v1, "today's pages read it");

    // Anything else is structure: a comment, here.
    let mut kevin = signed_in(&db, "kevin").await;
    kevin
        .get(&format!("/kartel/whygos/production-1?as_of={AS_OF}"))
        .await
        .expect_status(200);
    kevin
        .post(
            &format!("/kartel/whygos/production-1/comments?as_of={AS_OF}"),
            &[("body", "Margin looks better.")],
        )
        .await
        .expect_status(303);
    let (v2, s2, _) = versions(&db, yesterday).await;
    assert_eq!((v2, s2), (v1 + 1, v1 + 1));

    // A transaction that adds actuals and then changes structure is one
    // step of both; the settings row moves both too.
    let mut tx = db.pool.begin().await.expect("begin");
    sqlx::query(
        "insert into actuals (tenant_id, id, outcome_id, quarter, value, entered_on)
         select o.tenant_id, gen_random_uuid(), o.id, 4, '1', date '2026-11-01'
         from outcomes o join tenants t on t.id = o.tenant_id where t.slug = 'kartel' and o.key = 'prod-margin'",
    )
    .execute(&mut *tx)
    .await
    .expect("an actual");
    sqlx::query("update people set title = title || '!' where key = 'wayan'")
        .execute(&mut *tx)
        .await
        .expect("a title");
    tx.commit().await.expect("commit");
    let (v3, s3, y3) = versions(&db, yesterday).await;
    assert_eq!((v3, s3, y3), (v2 + 1, v2 + 1, v2 + 1));
    sqlx::query("update tenants set carry_days = carry_days + 1 where slug = 'kartel'")
        .execute(&db.pool)
        .await
        .expect("settings");
    let (v4, s4, _) = versions(&db, yesterday).await;
    assert_eq!((v4, s4), (v3 + 1, v3 + 1));
}

#[tokio::test]
async fn last_weeks_pages_stay_cached_while_people_check_in_today() {
    let db = demo_db().await;
    let mut kevin = signed_in(&db, "kevin").await;
    let last_week = "/kartel?as_of=2026-11-14";
    let today = format!("/kartel?as_of={AS_OF}");
    let (_, before) = crate::pages::statements_of(&mut kevin, last_week).await;
    let (_, today_before) = crate::pages::statements_of(&mut kevin, &today).await;

    // On another app server sharing the database.
    let mut wayan = signed_in(&db, "wayan").await;
    wayan_checks_in(&mut wayan).await;

    let (n, after) = crate::pages::statements_of(&mut kevin, last_week).await;
    assert_eq!(n, 1, "last week's page, still the rendered one");
    assert_eq!(after, before);
    let (n, today_after) = crate::pages::statements_of(&mut kevin, &today).await;
    assert!(n > 1, "today's page is built again ({n} statements)");
    assert_ne!(today_after, today_before, "and shows the check-in");
}

#[tokio::test]
async fn after_a_check_in_the_cached_plan_is_brought_up_to_date_not_read_again() {
    let db = demo_db().await;
    let mut kevin = signed_in(&db, "kevin").await;
    let today = format!("/kartel?as_of={AS_OF}");
    let report = format!("/kartel/report.json?as_of={AS_OF}");
    let (first, _) = crate::pages::statements_of(&mut kevin, &today).await;
    crate::pages::statements_of(&mut kevin, &report).await;

    let mut wayan = signed_in(&db, "wayan").await;
    wayan_checks_in(&mut wayan).await;

    // The session, then the day's entries in a tenant transaction: not the
    // plan's one query per table.
    let (n, patched) = crate::pages::statements_of(&mut kevin, &today).await;
    assert!(
        n <= 5 + DASHBOARD_CASCADE_READS && n + 5 < first,
        "brought up to date in {n} ({first} to read it)"
    );
    let (n_report, patched_report) = crate::pages::statements_of(&mut kevin, &report).await;
    assert_eq!(n_report + DASHBOARD_CASCADE_READS, n);
    // What a server that never saw the plan before shows.
    let mut fresh = signed_in(&db, "kevin").await;
    let read = fresh.get(&today).await;
    read.expect_status(200);
    let strip = |s: &str, c: &Client| s.replace(c.csrf.as_deref().unwrap_or("-"), "");
    assert_eq!(strip(&patched, &kevin), strip(&read.body, &fresh));
    let read_report = fresh.get(&report).await;
    assert_eq!(patched_report, read_report.body);
    assert_eq!(margin_q4(&mut kevin).await, "+", "the check-in counts");
}

#[tokio::test]
async fn a_departments_plan_is_kept_and_brought_up_to_date_too() {
    let db = demo_db().await;
    let mut kevin = signed_in(&db, "kevin").await;
    let page = format!("/kartel/departments/production?as_of={AS_OF}");
    let (first, _) = crate::pages::statements_of(&mut kevin, &page).await;
    let (again, _) = crate::pages::statements_of(&mut kevin, &page).await;
    assert_eq!(again, 1, "the rendered page");

    let mut wayan = signed_in(&db, "wayan").await;
    wayan_checks_in(&mut wayan).await;

    // Its plan is brought up to date (the page's own reads of dependencies,
    // sign-offs and deliverables run again): fewer statements than reading it.
    let (n, patched) = crate::pages::statements_of(&mut kevin, &page).await;
    assert!(n + 5 < first, "{n} after the check-in, {first} to read it");
    assert!(patched.contains("Production Margin"));
    let mut fresh = signed_in(&db, "kevin").await;
    let read = fresh.get(&page).await;
    read.expect_status(200);
    let strip = |s: &str, c: &Client| s.replace(c.csrf.as_deref().unwrap_or("-"), "");
    assert_eq!(strip(&patched, &kevin), strip(&read.body, &fresh));
}
