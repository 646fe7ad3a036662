//! Dependencies, deliverables and the weekly sync's lists (issue 11, items
//! 6-8) through the real router on the demo, at the pinned date
//! `common::TODAY` (2026-11-21): who may do what (403 for the rest, 404 for
//! what they may not see), the matrix's counts, late dependencies and
//! overdue deliverables on the department and sync pages, late and breached
//! handoffs on the sync as of its date, bad input kept, the audit written,
//! and a fixed number of statements per page.

use chrono::NaiveDate;
use uuid::Uuid;

use whygo::app::Actor;
use whygo::app::commitments::{self as svc, DeliverableInput, DependencyInput, Saved};
use whygo::app::operations::{self as ops, EngagementInput};
use whygo::domain::permissions::Role;

use crate::common::{Client, DEMO_PASSWORD, TestDb, app, demo_db, load_acme, signed_in};

async fn actor(db: &TestDb, who: &str) -> Actor {
    crate::common::service_actor(db, &format!("{who}@kartel.example"), "kartel").await
}

/// The id of the demo's dependency whose need starts with `need`.
async fn dependency_id(db: &TestDb, need: &str) -> Uuid {
    sqlx::query_scalar("select id from dependencies where need like $1 || '%'")
        .bind(need)
        .fetch_one(&db.pool)
        .await
        .expect("the demo's dependency")
}

/// "Platform for credits, challenges, tier progression": Community needs it
/// from Generative by the end of Q1; the demo has it done, owned by Fill.
const PLATFORM: &str = "Platform for credits";

/// The state and owner's key of dependency `id`.
async fn state_and_owner(db: &TestDb, id: Uuid) -> (String, Option<String>) {
    sqlx::query_as(
        "select d.state, p.key from dependencies d left join people p on p.id = d.owner_id where d.id = $1",
    )
    .bind(id)
    .fetch_one(&db.pool)
    .await
    .expect("row")
}

async fn count(db: &TestDb, sql: &str) -> i64 {
    sqlx::query_scalar(sql)
        .fetch_one(&db.pool)
        .await
        .expect("count")
}

fn edit_form<'a>(state: &'a str, owner: &'a str) -> Vec<(&'a str, &'a str)> {
    vec![
        ("from", "community"),
        ("on", "generative"),
        ("need", "Platform for credits, challenges, tier progression"),
        ("deliverable", "Community Ecosystem MVP"),
        ("owner", owner),
        ("due", "Q1"),
        ("criteria", "Live by Q1 (with Fill)"),
        ("state", state),
    ]
}

#[tokio::test]
async fn the_heads_of_its_two_departments_leaders_and_admins_edit_a_dependency() {
    let db = demo_db().await;
    let id = dependency_id(&db, PLATFORM).await;
    let path = format!("/kartel/dependencies/{id}/edit");
    assert_eq!(
        state_and_owner(&db, id).await,
        ("done".to_owned(), Some("fill".to_owned())),
        "the demo's"
    );
    // Wayan heads Production, Trent only works in Generative.
    let mut refused = Vec::new();
    for who in ["wayan", "trent"] {
        refused.push(signed_in(&db, who).await);
    }
    let before = crate::common::content_fingerprint(&db, &["sessions"]).await;
    for c in &mut refused {
        c.get(&path).await.expect_status(403);
        c.get("/kartel/dependencies").await.expect_status(200);
        c.post(&path, &edit_form("open", ""))
            .await
            .expect_status(403);
    }
    assert_eq!(
        crate::common::content_fingerprint(&db, &["sessions"]).await,
        before,
        "a refused edit writes nothing"
    );
    for (who, state) in [("fill", "at_risk"), ("kevin", "on_track"), ("zac", "done")] {
        let mut c = signed_in(&db, who).await;
        let form = c.get(&path).await;
        form.expect_status(200);
        assert!(form.body.contains("Platform for credits"), "{who}");
        let res = c.post(&path, &edit_form(state, "fill")).await;
        res.expect_status(303);
        assert_eq!(
            res.location.as_deref(),
            Some(
                format!("/kartel/dependencies?from=community&on=generative#dependency-{id}")
                    .as_str()
            )
        );
        assert_eq!(
            state_and_owner(&db, id).await,
            (state.to_owned(), Some("fill".to_owned())),
            "{who}"
        );
    }
    let audited = count(
        &db,
        "select count(*) from audit_log where entity = 'dependency' and action = 'edit'",
    )
    .await;
    assert_eq!(audited, 3, "every change is audited");
    let (before, after): (serde_json::Value, serde_json::Value) = sqlx::query_as(
        "select before, after from audit_log where entity = 'dependency' and action = 'edit' order by seq limit 1",
    )
    .fetch_one(&db.pool)
    .await
    .expect("audit");
    assert_eq!(before["state"], "done");
    assert_eq!(after["state"], "at_risk");
}

#[tokio::test]
async fn a_head_creates_dependencies_of_their_own_department_only() {
    let db = demo_db().await;
    let mut trent = signed_in(&db, "trent").await;
    trent.get("/kartel/dependencies").await.expect_status(200);
    trent
        .get("/kartel/dependencies/new")
        .await
        .expect_status(403);
    let new = [
        ("from", "generative"),
        ("on", "platform"),
        ("need", "GPU quota for bulk runs"),
        ("deliverable", "Quota in place"),
        ("owner", "fill"),
        ("due", "2026-12-15"),
        ("criteria", "No queue over 1 h"),
        ("state", "on_track"),
    ];
    trent
        .post("/kartel/dependencies/new", &new)
        .await
        .expect_status(403);
    let mut fill = signed_in(&db, "fill").await;
    let page = fill.get("/kartel/dependencies").await;
    assert!(
        page.body.contains("/kartel/dependencies/new"),
        "the link is shown to a head"
    );
    fill.get("/kartel/dependencies/new")
        .await
        .expect_status(200);
    // Not his department at either end: refused.
    let theirs = [
        ("from", "production"),
        ("on", "platform"),
        ("need", "Render farm"),
    ];
    fill.post("/kartel/dependencies/new", &theirs)
        .await
        .expect_status(403);
    let res = fill.post("/kartel/dependencies/new", &new).await;
    res.expect_status(303);
    let list = fill
        .get("/kartel/dependencies?from=generative&on=platform")
        .await;
    assert!(list.body.contains("GPU quota for bulk runs"));
    assert!(list.body.contains("on track, due 15 Dec 2026"));
    assert_eq!(
        count(
            &db,
            "select count(*) from audit_log where entity = 'dependency' and action = 'create' and actor = 'fill@kartel.example'"
        )
        .await,
        1
    );
    // The same need twice between the same departments: a message, kept.
    let again = fill.post("/kartel/dependencies/new", &new).await;
    again.expect_status(422);
    assert!(
        again
            .body
            .contains("already have a dependency with this need")
    );
}

#[tokio::test]
async fn a_bad_dependency_form_comes_back_with_its_messages_and_what_was_typed() {
    let db = demo_db().await;
    let id = dependency_id(&db, PLATFORM).await;
    let mut fill = signed_in(&db, "fill").await;
    fill.get("/kartel/dependencies").await.expect_status(200);
    let before = crate::common::content_fingerprint(&db, &["sessions"]).await;
    let res = fill
        .post(
            &format!("/kartel/dependencies/{id}/edit"),
            &[
                ("from", "community"),
                ("on", "generative"),
                ("need", "   "),
                ("deliverable", "Community Ecosystem MVP, typed"),
                ("owner", "nobody-here"),
                ("due", "2026-02-30"),
                ("criteria", ""),
                ("state", "blocked"),
            ],
        )
        .await;
    res.expect_status(422);
    for message in [
        "Enter what is needed.",
        "No one in this organization has the key “nobody-here”.",
        "“2026-02-30” is not a date or a quarter",
        "Choose open, on track, at risk or done.",
    ] {
        assert!(res.body.contains(message), "{message}:\n{}", res.body);
    }
    assert!(res.body.contains("value=\"2026-02-30\""), "typed due kept");
    assert!(
        res.body.contains("Community Ecosystem MVP, typed"),
        "typed deliverable kept"
    );
    assert!(res.body.contains("aria-invalid=\"true\""));
    // Moving it between departments Fill heads neither of: a message.
    let mut moved = edit_form("open", "");
    moved[0] = ("from", "production");
    moved[1] = ("on", "platform");
    let res = fill
        .post(&format!("/kartel/dependencies/{id}/edit"), &moved)
        .await;
    res.expect_status(422);
    assert!(res.body.contains("between departments you head"));
    assert_eq!(
        crate::common::content_fingerprint(&db, &["sessions"]).await,
        before,
        "nothing written"
    );
}

#[tokio::test]
async fn the_matrix_counts_each_pair_with_its_states_and_lateness_in_words() {
    let db = demo_db().await;
    let mut kevin = signed_in(&db, "kevin").await;
    let page = kevin.get("/kartel/dependencies").await;
    page.expect_status(200);
    // Community needs two things from Generative, due Q1 and Q1-Q3, both
    // past their last day on 21 Nov 2026: the first done (never late), the
    // second at risk, late.
    let cell = "<a href=\"/kartel/dependencies?from=community&#38;on=generative#list\">2: 1 at risk, 1 done; 1 late</a>";
    assert!(page.body.contains(cell), "{}", page.body);
    // Production's two needs from Generative are due "Q1+" and "—": never
    // late, at risk or not.
    assert!(page.body.contains(
        "<a href=\"/kartel/dependencies?from=production&#38;on=generative#list\">2: 1 on track, 1 at risk</a>"
    ));
    // Reopened, the Q1 one is late too.
    let id = dependency_id(&db, PLATFORM).await;
    let fill = actor(&db, "fill").await;
    let input = DependencyInput {
        from: "community".into(),
        on: "generative".into(),
        need: "Platform for credits, challenges, tier progression".into(),
        due: "Q1".into(),
        state: "open".into(),
        ..DependencyInput::default()
    };
    assert!(matches!(
        svc::edit_dependency(&db.app_pool, &fill, id, &input).await,
        Ok(Saved::Saved(_))
    ));
    let page = kevin.get("/kartel/dependencies").await;
    assert!(page.body.contains(">2: 1 open, 1 at risk; 2 late</a>"));
    // Before the end of Q1 nothing there is late.
    let march = kevin.get("/kartel/dependencies?as_of=2026-03-31").await;
    assert!(march.body.contains(">2: 1 open, 1 at risk</a>"));
    assert!(
        march
            .body
            .contains("from=community&#38;on=generative&#38;as_of=2026-03-31#list"),
        "the day asked for stays on the cell's link"
    );
    // The cell's link: the list of that pair only.
    let list = kevin
        .get("/kartel/dependencies?from=community&on=generative")
        .await;
    assert!(
        list.body
            .contains("what Community &#38; Partnerships needs from Generative (2)")
    );
    assert!(
        list.body
            .contains("open, late by 235 days (due 31 Mar 2026)")
    );
    assert!(
        list.body
            .contains("at risk, late by 52 days (due 30 Sep 2026)")
    );
    assert!(!list.body.contains("Capacity data for scaling"));
}

#[tokio::test]
async fn late_dependencies_and_overdue_deliverables_are_on_the_department_and_sync_pages() {
    let db = demo_db().await;
    // The demo's engagements have late handoffs (the sync's list of them is
    // the_sync_lists_late_and_breached_…'s): without them, it says none is.
    crate::common::without_demo_engagements(&db).await;
    let fill = actor(&db, "fill").await;
    let add = |title: &str, due: &str, done: &str| DeliverableInput {
        title: title.into(),
        owner: "fill".into(),
        due: due.into(),
        done_on: done.into(),
        seen: String::new(),
    };
    for input in [
        add("Bulk-run QC checklist in use", "End of Q3", ""),
        add("Zeta tool, done early", "End of Q1", "2026-03-20"),
        add("Yotta report for Q4", "End of Q4", ""),
    ] {
        assert!(matches!(
            svc::add_deliverable(&db.app_pool, &fill, "generative-2", &input).await,
            Ok(Saved::Saved(_))
        ));
    }
    let mut wayan = signed_in(&db, "wayan").await;
    let page = wayan.get("/kartel/departments/generative").await;
    page.expect_status(200);
    // The demo's: Tier 5 roles (Q1-Q3) at risk, late; the credits
    // platform (Q1) done, not late.
    let late = section(&page.body, "late-dependencies");
    assert!(late.contains("Defined roles for Tier 5 talent placement"));
    assert!(
        late.contains("at risk, late by 52 days (due 30 Sep 2026)"),
        "{late}"
    );
    assert!(!late.contains("Platform for credits"), "done: not late");
    let overdue = section(&page.body, "overdue-deliverables");
    assert!(overdue.contains("Bulk-run QC checklist in use"));
    assert!(
        overdue.contains("overdue by 52 days (due 30 Sep 2026)"),
        "{overdue}"
    );
    assert!(
        !overdue.contains("Zeta tool, done early"),
        "done: not overdue"
    );
    assert!(!overdue.contains("Yotta report for Q4"), "not due yet");
    // The demo's Q1 priorities: two still open, the rest done.
    assert!(overdue.contains("1 Playbook approved as onboarding-ready"));
    assert!(overdue.contains("overdue by 235 days (due 31 Mar 2026)"));
    assert!(!overdue.contains("QC process documented and in use"));
    let production = wayan.get("/kartel/departments/production").await;
    let overdue = section(&production.body, "overdue-deliverables");
    assert!(!overdue.contains("Bulk-run QC checklist in use"));
    assert!(overdue.contains("No deliverable of this department is overdue."));

    let sync = wayan.get("/kartel/sync").await;
    sync.expect_status(200);
    let overdue = section(&sync.body, "sync-overdue-deliverables");
    assert!(overdue.contains("overdue by 52 days (due 30 Sep 2026)"));
    assert!(overdue.contains("/kartel/whygos/generative-2#deliverables"));
    let late = section(&sync.body, "sync-late-dependencies");
    assert!(late.contains("at risk, late by 52 days (due 30 Sep 2026)"));
    assert!(!late.contains("Platform for credits"), "done: not late");
    assert!(
        section_of(&sync.body).contains("No handoff is late, and none was breached this quarter.")
    );
    // The sync's date applies to them all: on 30 Sep the Q3 deliverable was
    // still on time (the Q1 ones already overdue) and no dependency late.
    let september = wayan.get("/kartel/sync?as_of=2026-09-30").await;
    let overdue = section(&september.body, "sync-overdue-deliverables");
    assert!(!overdue.contains("Bulk-run QC checklist in use"));
    assert!(overdue.contains("1 Playbook approved as onboarding-ready"));
    let late = section(&september.body, "sync-late-dependencies");
    assert!(late.contains("No dependency is late."), "{late}");
    let october = wayan.get("/kartel/sync?as_of=2026-10-01").await;
    assert!(
        section(&october.body, "sync-late-dependencies")
            .contains("Defined roles for Tier 5 talent placement")
    );
}

#[tokio::test]
async fn the_whygo_owner_its_head_leaders_and_admins_manage_its_deliverables() {
    let db = demo_db().await;
    let new = "/kartel/whygos/generative-2/deliverables/new";
    let form = [
        ("title", "Bulk-run QC dashboard"),
        ("owner", "trent"),
        ("due", "2026-11-01"),
        ("done_on", ""),
    ];
    // Only the rows this test writes: the demo has deliverables (and their
    // audit rows) of its own.
    let mine = "select count(*) from deliverables where title = 'Bulk-run QC dashboard'";
    let (demo, seq): (i64, i64) = sqlx::query_as(
        "select (select count(*) from deliverables), (select coalesce(max(seq), 0) from audit_log)",
    )
    .fetch_one(&db.pool)
    .await
    .expect("counts");
    for who in ["trent", "wayan"] {
        let mut c = signed_in(&db, who).await;
        let page = c.get("/kartel/whygos/generative-2").await;
        assert!(!page.body.contains(new), "{who} sees no add link");
        c.get(new).await.expect_status(403);
        c.post(new, &form).await.expect_status(403);
    }
    assert_eq!(count(&db, "select count(*) from deliverables").await, demo);
    for who in ["fill", "kevin", "zac"] {
        let mut c = signed_in(&db, who).await;
        c.get(new).await.expect_status(200);
        let res = c.post(new, &form).await;
        res.expect_status(303);
        assert_eq!(
            res.location.as_deref(),
            Some("/kartel/whygos/generative-2#deliverables")
        );
    }
    assert_eq!(count(&db, mine).await, 3);
    assert_eq!(
        count(&db, "select count(*) from deliverables").await,
        demo + 3
    );
    let id: Uuid = sqlx::query_scalar(
        "select id from deliverables where title = 'Bulk-run QC dashboard' order by position limit 1",
    )
    .fetch_one(&db.pool)
    .await
    .expect("id");
    let mut fill = signed_in(&db, "fill").await;
    let page = fill.get("/kartel/whygos/generative-2").await;
    assert!(page.body.contains("Bulk-run QC dashboard"));
    assert!(page.body.contains("Trent Hunter"));
    assert!(page.body.contains("overdue by 20 days (due 1 Nov 2026)"));
    let base = format!("/kartel/whygos/generative-2/deliverables/{id}");
    // Trent owns the deliverable but not the WhyGO: no.
    let mut trent = signed_in(&db, "trent").await;
    trent.get("/kartel/whygos/generative-2").await;
    trent
        .post(&format!("{base}/done"), &[])
        .await
        .expect_status(403);
    trent.get(&format!("{base}/edit")).await.expect_status(403);
    trent
        .post(&format!("{base}/edit"), &form)
        .await
        .expect_status(403);
    trent
        .post(&format!("{base}/undone"), &[])
        .await
        .expect_status(403);
    // Done today (the pinned 21 Nov), and undone.
    fill.get("/kartel/whygos/generative-2").await;
    fill.post(&format!("{base}/done"), &[])
        .await
        .expect_status(303);
    let page = fill.get("/kartel/whygos/generative-2").await;
    assert!(
        page.body.contains("done on 21 Nov 2026, 20 days late"),
        "{}",
        page.body
    );
    assert!(page.body.contains("Undo done"));
    fill.post(&format!("{base}/undone"), &[])
        .await
        .expect_status(303);
    let page = fill.get("/kartel/whygos/generative-2").await;
    assert!(page.body.contains("overdue by 20 days (due 1 Nov 2026)"));
    // Edit through the form.
    fill.get(&format!("{base}/edit")).await.expect_status(200);
    fill.post(
        &format!("{base}/edit"),
        &[
            ("title", "Bulk-run QC dashboard v2"),
            ("owner", "fill"),
            ("due", "Q1-Q4"),
            ("done_on", "2026-11-02"),
        ],
    )
    .await
    .expect_status(303);
    let page = fill.get("/kartel/whygos/generative-2").await;
    assert!(page.body.contains("Bulk-run QC dashboard v2"));
    assert!(page.body.contains("done on 2 Nov 2026"));
    let actions: Vec<String> = sqlx::query_scalar(
        "select action from audit_log where entity = 'deliverable' and seq > $1 order by seq",
    )
    .bind(seq)
    .fetch_all(&db.pool)
    .await
    .expect("audit");
    assert_eq!(
        actions,
        ["create", "create", "create", "done", "undone", "edit"]
    );
}

#[tokio::test]
async fn a_bad_deliverable_comes_back_with_its_messages_and_nothing_is_written() {
    let db = demo_db().await;
    let mut fill = signed_in(&db, "fill").await;
    fill.get("/kartel/whygos/generative-2").await;
    let before = crate::common::content_fingerprint(&db, &["sessions"]).await;
    let res = fill
        .post(
            "/kartel/whygos/generative-2/deliverables/new",
            &[
                ("title", "  "),
                ("owner", "fill"),
                ("due", "Q7"),
                ("done_on", "yesterday"),
            ],
        )
        .await;
    res.expect_status(422);
    for message in [
        "Enter what will be delivered.",
        "“Q7” is not a date or a quarter",
        "Enter the day it was done as YYYY-MM-DD",
    ] {
        assert!(res.body.contains(message), "{message}:\n{}", res.body);
    }
    assert!(res.body.contains("value=\"Q7\""));
    assert!(res.body.contains("value=\"yesterday\""));
    let rhythm = fill
        .post(
            "/kartel/whygos/generative-2/deliverables/new",
            &[("title", "Monthly report"), ("due", "Monthly")],
        )
        .await;
    rhythm.expect_status(422);
    assert!(rhythm.body.contains("Write a deadline"));
    assert!(rhythm.body.contains("value=\"Monthly report\""));
    assert_eq!(
        crate::common::content_fingerprint(&db, &["sessions"]).await,
        before
    );
}

#[tokio::test]
async fn an_individual_whygos_deliverables_stay_with_those_who_may_see_it() {
    let db = demo_db().await;
    let trent = actor(&db, "trent").await;
    let input = DeliverableInput {
        title: "Private playbook draft".into(),
        owner: "trent".into(),
        due: "2026-10-01".into(),
        ..DeliverableInput::default()
    };
    assert!(matches!(
        svc::add_deliverable(&db.app_pool, &trent, "trent-1", &input).await,
        Ok(Saved::Saved(_))
    ));
    // Wayan is neither Trent's manager nor a leader: the WhyGO is hidden
    // from him, so its deliverables are not found and not listed.
    let mut wayan = signed_in(&db, "wayan").await;
    wayan
        .get("/kartel/whygos/trent-1/deliverables/new")
        .await
        .expect_status(404);
    for path in ["/kartel/departments/generative", "/kartel/sync"] {
        let page = wayan.get(path).await;
        page.expect_status(200);
        assert!(!page.body.contains("Private playbook draft"), "{path}");
    }
    // Fill (his manager) and Kevin (a leader) see it as overdue.
    for who in ["fill", "kevin"] {
        let mut c = signed_in(&db, who).await;
        for path in ["/kartel/departments/generative", "/kartel/sync"] {
            let page = c.get(path).await;
            assert!(page.body.contains("Private playbook draft"), "{who} {path}");
        }
    }
    let wayan = actor(&db, "wayan").await;
    assert!(matches!(
        svc::add_deliverable(&db.app_pool, &wayan, "trent-1", &input).await,
        Err(whygo::app::Refused::NotFound)
    ));
}

/// Handoff #1 of `key`: its id.
async fn handoff_id(db: &TestDb, key: &str) -> Uuid {
    sqlx::query_scalar(
        "select h.id from handoffs h join engagements e on e.id = h.engagement_id where e.key = $1",
    )
    .bind(key)
    .fetch_one(&db.pool)
    .await
    .expect("handoff #1 opened by the SOW date")
}

/// A step stamped at `at` (steps are append-only and stamped by the
/// database when taken; a test places them in the past directly).
async fn step(db: &TestDb, handoff: Uuid, at: &str, kind: &str) {
    sqlx::query(
        "insert into handoff_steps (tenant_id, id, handoff_id, at, by_label, kind)
         select tenant_id, gen_random_uuid(), id, $2::timestamptz, 'test', $3 from handoffs where id = $1",
    )
    .bind(handoff)
    .bind(at)
    .bind(kind)
    .execute(&db.pool)
    .await
    .expect("step");
}

#[tokio::test]
async fn the_sync_lists_late_and_breached_handoffs_as_of_its_date() {
    let db = demo_db().await;
    let kevin = actor(&db, "kevin").await;
    for (key, name, sow) in [
        ("late-one", "Late One", "2026-11-01"),
        ("breached-one", "Breached One", "2026-10-01"),
        ("on-time-one", "On Time One", "2026-10-05"),
    ] {
        let input = EngagementInput {
            key: key.into(),
            name: name.into(),
            client: format!("{name} Inc"),
            sow_signed: sow.into(),
            ..EngagementInput::default()
        };
        assert!(matches!(
            ops::create_engagement(&db.app_pool, &kevin, &input).await,
            Ok(ops::Saved::Saved { .. })
        ));
    }
    // Breached One: #1 due 3 Oct, submitted on the 10th, accepted on the
    // 11th. On Time One: due 7 Oct, accepted on the 6th, complete.
    let breached = handoff_id(&db, "breached-one").await;
    step(&db, breached, "2026-10-10T09:00:00Z", "submitted").await;
    step(&db, breached, "2026-10-11T09:00:00Z", "accepted").await;
    let on_time = handoff_id(&db, "on-time-one").await;
    for item in 0..4 {
        sqlx::query(
            "insert into handoff_steps (tenant_id, id, handoff_id, at, by_label, kind, item)
             select tenant_id, gen_random_uuid(), id, '2026-10-05T10:00:00Z', 'test', 'ticked', $2 from handoffs where id = $1",
        )
        .bind(on_time)
        .bind(item)
        .execute(&db.pool)
        .await
        .expect("tick");
    }
    step(&db, on_time, "2026-10-06T09:00:00Z", "submitted").await;
    step(&db, on_time, "2026-10-06T10:00:00Z", "accepted").await;

    let mut c = signed_in(&db, "wayan").await;
    let sync = c.get("/kartel/sync").await;
    sync.expect_status(200);
    let section = section(&sync.body, "late-handoffs");
    assert!(section.contains("/kartel/engagements/late-one#handoff-sales-to-production"));
    assert!(section.contains("late by 18 d 23 h"), "{section}");
    assert!(section.contains("/kartel/engagements/breached-one#handoff-sales-to-production"));
    assert!(
        section.contains("breached: accepted 8 d 9 h late"),
        "{section}"
    );
    assert!(!section.contains("On Time One"), "compliant: not listed");
    // As of 5 Oct: Breached One was late then, Late One not yet signed.
    let october = c.get("/kartel/sync?as_of=2026-10-05").await;
    let section5 = section_of(&october.body);
    assert!(section5.contains("Breached One"));
    assert!(section5.contains("late by 71 h"), "{section5}");
    assert!(!section5.contains("Late One"));
    // A breach belongs to the quarter of its acceptance: not Q3's sync.
    let q3 = c.get("/kartel/sync?as_of=2026-11-21&quarter=3").await;
    assert!(!section_of(&q3.body).contains("Breached One"));
}

fn section_of(body: &str) -> String {
    section(body, "late-handoffs")
}

/// The `<section>` whose heading has id `id`.
fn section(body: &str, id: &str) -> String {
    let at = body
        .find(&format!("id=\"{id}\""))
        .unwrap_or_else(|| panic!("no section {id}:\n{body}"));
    let end = at + body[at..].find("</section>").unwrap_or(body.len() - at);
    body[at..end].to_owned()
}

#[tokio::test]
async fn another_tenants_dependencies_and_deliverables_are_not_found() {
    let db = demo_db().await;
    load_acme(&db).await;
    let hash = whygo::auth::password::hash(DEMO_PASSWORD).expect("hash");
    whygo::db::admin_cli::create_user(
        &db.app_pool,
        &whygo::db::admin_cli::NewUser {
            email: "ann@acme.example",
            name: "Ann",
            password_hash: &hash,
            installation_admin: false,
            tenant: Some("acme"),
            role: Role::Admin,
            person: Some("ann"),
        },
    )
    .await
    .expect("query")
    .expect("ann");
    let fill = actor(&db, "fill").await;
    let input = DeliverableInput {
        title: "Kartel secret".into(),
        ..DeliverableInput::default()
    };
    let Ok(Saved::Saved(deliverable)) =
        svc::add_deliverable(&db.app_pool, &fill, "generative-2", &input).await
    else {
        panic!("added");
    };
    let dependency = dependency_id(&db, PLATFORM).await;
    let mut ann = Client::new(app(&db));
    ann.login("ann@acme.example", DEMO_PASSWORD).await;
    let page = ann.get("/acme/dependencies").await;
    let before = crate::common::content_fingerprint(&db, &["sessions"]).await;
    page.expect_status(200);
    assert!(!page.body.contains("Platform for credits"));
    for path in [
        format!("/acme/dependencies/{dependency}/edit"),
        format!("/acme/whygos/generative-2/deliverables/{deliverable}/edit"),
        format!("/acme/whygos/acme-1/deliverables/{deliverable}/edit"),
        format!("/kartel/dependencies/{dependency}/edit"),
        "/acme/dependencies/not-a-uuid/edit".to_owned(),
    ] {
        ann.get(&path).await.expect_status(404);
        ann.get("/acme").await;
        let res = ann.post(&path, &edit_form("done", "")).await;
        res.expect_status(404);
        assert!(!res.body.contains("Kartel secret"));
    }
    for path in [
        format!("/acme/whygos/acme-1/deliverables/{deliverable}/done"),
        format!("/acme/whygos/generative-2/deliverables/{deliverable}/undone"),
    ] {
        ann.get("/acme").await;
        ann.post(&path, &[]).await.expect_status(404);
    }
    assert_eq!(
        crate::common::content_fingerprint(&db, &["sessions"]).await,
        before
    );
}

#[tokio::test]
async fn the_pages_cost_the_same_statements_whatever_the_number_of_commitments() {
    let paths = [
        "/kartel/dependencies",
        "/kartel/whygos/generative-2",
        "/kartel/departments/generative",
        "/kartel/sync",
    ];
    let small = demo_db().await;
    let before = crate::pages::queries_per_page(&small, &paths).await;

    let big = demo_db().await;
    let fill = actor(&big, "fill").await;
    let kevin = actor(&big, "kevin").await;
    let day = NaiveDate::from_ymd_opt(2026, 3, 1).expect("date");
    for i in 0..20 {
        let d = DependencyInput {
            from: "generative".into(),
            on: "platform".into(),
            need: format!("Need {i}"),
            owner: "fill".into(),
            due: "Q2".into(),
            ..DependencyInput::default()
        };
        assert!(matches!(
            svc::create_dependency(&big.app_pool, &fill, &d).await,
            Ok(Saved::Saved(_))
        ));
        let x = DeliverableInput {
            title: format!("Deliverable {i}"),
            owner: "fill".into(),
            due: "End of Q2".into(),
            ..DeliverableInput::default()
        };
        assert!(matches!(
            svc::add_deliverable(&big.app_pool, &fill, "generative-2", &x).await,
            Ok(Saved::Saved(_))
        ));
        let e = EngagementInput {
            key: format!("e-{i}"),
            name: format!("Engagement {i}"),
            client: "Client".into(),
            sow_signed: (day + chrono::Duration::days(i)).to_string(),
            ..EngagementInput::default()
        };
        assert!(matches!(
            ops::create_engagement(&big.app_pool, &kevin, &e).await,
            Ok(ops::Saved::Saved { .. })
        ));
    }
    let after = crate::pages::queries_per_page(&big, &paths).await;
    assert_eq!(before, after, "statements per page ({paths:?})");
    for (path, n) in paths.iter().zip(&before) {
        assert!((5..=25).contains(n), "{path} costs {n} statements");
    }
}

#[tokio::test]
async fn marking_done_twice_keeps_the_first_day_and_undoing_an_open_one_writes_nothing() {
    let db = demo_db().await;
    let fill = actor(&db, "fill").await;
    let input = DeliverableInput {
        title: "QC checklist signed off".into(),
        due: "End of Q1".into(),
        ..DeliverableInput::default()
    };
    let Ok(Saved::Saved(id)) =
        svc::add_deliverable(&db.app_pool, &fill, "generative-2", &input).await
    else {
        panic!("added");
    };
    let day = |d: u32| NaiveDate::from_ymd_opt(2026, 4, d);
    // This deliverable's audit rows (the demo's have their own).
    let audit = format!(
        "select count(*) from audit_log where entity = 'deliverable' and entity_key = 'generative-2/{id}'"
    );
    let audit = audit.as_str();
    svc::set_done(&db.app_pool, &fill, "generative-2", id, None)
        .await
        .expect("an open one undone: nothing to do");
    assert_eq!(count(&db, audit).await, 1, "only its creation");
    for d in [3, 9] {
        svc::set_done(&db.app_pool, &fill, "generative-2", id, day(d))
            .await
            .expect("done");
    }
    let done: Option<NaiveDate> =
        sqlx::query_scalar("select done_on from deliverables where id = $1")
            .bind(id)
            .fetch_one(&db.pool)
            .await
            .expect("row");
    assert_eq!(done, day(3), "a double submit keeps the first day");
    assert_eq!(count(&db, audit).await, 2);
    // Another WhyGO's key with this id: not found.
    assert!(matches!(
        svc::set_done(&db.app_pool, &fill, "generative-1", id, None).await,
        Err(whygo::app::Refused::NotFound)
    ));
}

/// The value of the hidden field `name` in a form's HTML.
fn hidden(body: &str, name: &str) -> String {
    let key = format!("name=\"{name}\" value=\"");
    let at = body.find(&key).map(|i| i + key.len()).expect("the field");
    body[at..at + body[at..].find('"').expect("its end")].to_owned()
}

#[tokio::test]
async fn a_save_over_someone_elses_newer_save_is_refused_with_both_kept() {
    let db = demo_db().await;
    let id = dependency_id(&db, PLATFORM).await;
    let path = format!("/kartel/dependencies/{id}/edit");
    let mut fill = signed_in(&db, "fill").await;
    let opened = fill.get(&path).await;
    let seen = hidden(&opened.body, "seen");
    assert!(!seen.is_empty());
    // Kevin saves "on track" while Fill's form is open.
    let mut kevin = signed_in(&db, "kevin").await;
    kevin.get(&path).await;
    kevin
        .post(&path, &edit_form("on_track", "kevin"))
        .await
        .expect_status(303);
    let mut mine = edit_form("at_risk", "fill");
    mine.push(("seen", &seen));
    let res = fill.post(&path, &mine).await;
    res.expect_status(422);
    assert!(
        res.body
            .contains("Someone saved this after you opened the form.")
    );
    assert!(
        res.body.contains("<option value=\"at_risk\" selected>"),
        "Fill's choice kept"
    );
    let state: String = sqlx::query_scalar("select state from dependencies where id = $1")
        .bind(id)
        .fetch_one(&db.pool)
        .await
        .expect("state");
    assert_eq!(state, "on_track", "Kevin's save stands");
    // Saving again, having seen it, goes through.
    let fresh = hidden(&res.body, "seen");
    assert_ne!(fresh, seen);
    let mut again = edit_form("at_risk", "fill");
    again.push(("seen", &fresh));
    fill.post(&path, &again).await.expect_status(303);
}
