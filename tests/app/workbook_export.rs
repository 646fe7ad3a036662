//! The workbook export (issue 14, part 3): `whygo export` and the admin
//! download write the whole organization so that loading the file into an
//! empty database and exporting again gives the same bytes.

use std::process::{Command, Output};
use std::time::Instant;

use whygo::db::load::{apply, check};

use crate::common::{self, KARTEL, TestDb, kartel_db, signed_in};

/// The organization `slug` of `db` as the export writes it.
async fn export(db: &TestDb, slug: &str) -> String {
    let wb = whygo::db::export::by_slug(&db.app_pool, slug)
        .await
        .expect("read the organization")
        .unwrap_or_else(|| panic!("no organization {slug}"));
    whygo::domain::workbook::write(&wb).expect("write the workbook")
}

/// Loads `text` into a fresh database, as `whygo load` would.
async fn load_into_fresh(name: &str, text: &str) -> TestDb {
    let wb = match check(name, text) {
        Ok(wb) => wb,
        Err(errors) => {
            let shown: Vec<String> = errors.iter().take(10).map(ToString::to_string).collect();
            panic!("{name} is refused:\n{}", shown.join("\n"));
        }
    };
    let db = TestDb::new().await;
    apply(&db.app_pool, &wb, name)
        .await
        .unwrap_or_else(|e| panic!("load {name}: {e:#}"));
    db
}

/// The first line where two texts differ, to say what broke.
fn first_difference(a: &str, b: &str) -> String {
    let (mut la, mut lb) = (a.lines(), b.lines());
    for n in 1.. {
        match (la.next(), lb.next()) {
            (Some(x), Some(y)) if x == y => continue,
            (None, None) => return "no difference".to_owned(),
            (x, y) => return format!("line {n}:\n  first:  {x:?}\n  second: {y:?}"),
        }
    }
    unreachable!()
}

fn assert_same(first: &str, second: &str) {
    assert!(
        first == second,
        "the second export differs from the first at {}",
        first_difference(first, second)
    );
}

/// The weekly report as JSON, the view every page's pacing comes from.
async fn report(db: &TestDb, slug: &str, as_of: &str) -> serde_json::Value {
    let tenant = whygo::db::plan::tenant_by_slug(&db.app_pool, slug)
        .await
        .expect("query")
        .expect("the organization");
    let as_of = as_of.parse().expect("date");
    let plan = whygo::db::plan::load(&db.app_pool, &tenant, as_of)
        .await
        .expect("the plan");
    serde_json::to_value(whygo::domain::report::build(&plan, as_of)).expect("json")
}

fn count(text: &str, header: &str) -> usize {
    text.lines().filter(|l| *l == header).count()
}

#[tokio::test]
async fn the_kartel_demo_exported_loads_into_an_empty_database_and_exports_the_same_bytes() {
    let original = kartel_db().await;
    let first = export(&original, "kartel").await;

    // Everything the demo holds is in the file.
    let demo = check("kartel-2026.toml", KARTEL).expect("the demo is valid");
    for (header, n) in [
        ("[[department]]", demo.departments.len()),
        ("[[person]]", demo.people.len()),
        ("[[whygo]]", demo.whygos.len()),
        ("[[whygo.outcome]]", demo.outcomes().count()),
        ("[[signoff]]", demo.signoffs.len()),
        ("[[handoff_type]]", demo.handoff_types.len()),
        ("[[engagement]]", demo.engagements.len()),
        ("[[dependency]]", demo.dependencies.len()),
        ("[[deliverable]]", demo.deliverables.len()),
        ("[[actual]]", demo.actuals.len()),
        (
            "[[person.kpi]]",
            demo.people.iter().map(|p| p.kpis.len()).sum(),
        ),
    ] {
        assert_eq!(count(&first, header), n, "{header} in:\n{first}");
    }
    let steps: usize = demo.engagements.iter().map(|e| e.steps.len()).sum();
    assert_eq!(first.matches("{ handoff = ").count(), steps);
    assert!(first.contains("targets = [\"Baseline\", \"Track\", \"Track\", \"Target 4:1\"]"));

    let copy = load_into_fresh("kartel-plan.toml", &first).await;
    let second = export(&copy, "kartel").await;
    assert_same(&first, &second);

    // And it is the same organization: every status of the weekly report.
    for as_of in ["2026-05-15", "2026-11-21"] {
        assert_eq!(
            report(&copy, "kartel", as_of).await,
            report(&original, "kartel", as_of).await,
            "the reports of {as_of} differ"
        );
    }
}

/// The benchmark's generator (bench/generate_workbook.py) at `people`.
fn generated_workbook(people: u32) -> String {
    let out = Command::new("python3")
        .arg(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/bench/generate_workbook.py"
        ))
        .args(["--people", &people.to_string()])
        .output()
        .expect("run python3 bench/generate_workbook.py (Python 3.11+ is needed)");
    assert!(
        out.status.success(),
        "the generator failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("the generator writes UTF-8")
}

#[tokio::test]
async fn the_generated_large_workbook_exported_loads_back_and_exports_the_same_bytes() {
    let started = Instant::now();
    let text = generated_workbook(2000);
    let original = load_into_fresh("bigco.toml", &text).await;
    let loaded = started.elapsed();
    let first = export(&original, "bigco").await;
    let exported = started.elapsed() - loaded;
    assert_eq!(count(&first, "[[person]]"), 2000);
    assert_eq!(
        count(&first, "[[actual]]"),
        text.lines().filter(|l| *l == "[[actual]]").count(),
        "every check-in is written"
    );

    original.drop_now().await;
    let copy = load_into_fresh("bigco-plan.toml", &first).await;
    let second = export(&copy, "bigco").await;
    copy.drop_now().await;
    assert_same(&first, &second);
    eprintln!(
        "bigco round trip: load {loaded:?}, export {exported:?}, in all {:?} ({} lines)",
        started.elapsed(),
        first.lines().count()
    );
}

/// Changes the app makes that the demo workbook does not have: settings, a
/// deactivated person with no title, amendments waiting for sign-offs, a
/// check-in note of several lines with quotes, a dependency and a handoff
/// type with the fields their forms may leave empty, a step taken by an
/// account that is no person, a checklist edited after handoffs opened.
async fn change_in_the_app(db: &TestDb) {
    let statements = [
        // The demo's handoffs #1 keep the four items they opened with.
        "update handoff_types set checklist = array['Milestones', 'Timeline', 'Risks']
         where key = 'sales-to-production'",
        "update tenants set individuals_visible_to_all = true, max_individual_whygos = 5,
                on_pace = 0.95, carry_days = 10",
        "update people set active = false, title = '' where key = 'noah'",
        // Edited after the workbook: a version nobody has signed yet.
        "update whygos set version = version + 1 where key in ('generative-1', 'sales-1')",
        r#"insert into actuals (tenant_id, id, outcome_id, quarter, value, note, entered_on, entered_by, source)
           select o.tenant_id, gen_random_uuid(), o.id, 4, a.value,
                  E'Slipped: the "Q4" push\nmoved to January \\ see the plan', date '2026-11-20', a.entered_by, 'web'
           from outcomes o join actuals a on a.outcome_id = o.id
           where o.key = 'co-nps' order by a.seq desc limit 1"#,
        "insert into dependencies (tenant_id, id, from_department_id, on_department_id, need, position)
         select d.tenant_id, gen_random_uuid(), d.id, o.id, 'Quarterly headcount plan', 100
         from departments d, departments o where d.key = 'sales' and o.key = 'platform'",
        "insert into handoff_types (tenant_id, id, key, number, name, from_department_id, to_department_id,
                                    sla_hours, cycle_key, opener)
         select d.tenant_id, gen_random_uuid(), 'mentor-review', 1, 'Mentor review', d.id, o.id, 72,
                'mentoring', 'manual'
         from departments d, departments o where d.key = 'community' and o.key = 'generative'",
        "insert into engagements (tenant_id, id, key, name, client, sow_signed, demo)
         select id, gen_random_uuid(), 'guest-visit', 'Guest visit', 'Walk-in', date '2026-11-02', false
         from tenants where slug = 'kartel'",
        "insert into handoffs (tenant_id, id, engagement_id, handoff_type_id, started_at, checklist)
         select e.tenant_id, gen_random_uuid(), e.id, t.id, timestamptz '2026-11-02 00:00:00+00', t.checklist
         from engagements e, handoff_types t where e.key = 'guest-visit' and t.key = 'sales-to-production'",
        "insert into handoff_steps (tenant_id, id, handoff_id, at, by_label, kind)
         select h.tenant_id, gen_random_uuid(), h.id, timestamptz '2026-11-02 00:00:00+00', '', 'opened'
         from handoffs h join engagements e on e.id = h.engagement_id where e.key = 'guest-visit'",
        "insert into handoff_steps (tenant_id, id, handoff_id, at, by_label, kind, item)
         select h.tenant_id, gen_random_uuid(), h.id, timestamptz '2026-11-03 09:15:30.123456+00',
                'guest@kartel.example', 'ticked', 1
         from handoffs h join engagements e on e.id = h.engagement_id where e.key = 'guest-visit'",
    ];
    for sql in statements {
        sqlx::query(sql)
            .execute(&db.pool)
            .await
            .unwrap_or_else(|e| panic!("{sql}: {e}"));
    }
}

#[tokio::test]
async fn what_the_app_changed_is_exported_and_survives_the_round_trip() {
    let original = kartel_db().await;
    change_in_the_app(&original).await;
    let first = export(&original, "kartel").await;
    for expected in [
        "on_pace = 0.95\ncarry_days = 10\n",
        "individuals_visible_to_all = true\nmax_individual_whygos = 5\n",
        "key = \"noah\"\nname = \"Noah",
        "active = false",
        "approved_by_plan = false",
        "need = \"Quarterly headcount plan\"\ndue = \"—\"\n",
        "[[cycle]]\nkey = \"mentoring\"",
        "checklist = []",
        "by_label = \"guest@kartel.example\", item = \"Timeline\"",
        "checklist = [\"Milestones\", \"Timeline\", \"Risks\"]",
        "checklists = { sales-to-production = [\"Milestones\", \"Timeline\", \"Staffing plan\", \"Budget\"] }",
        "at = 2026-11-03T09:15:30.123456Z",
    ] {
        assert!(first.contains(expected), "{expected:?} is not in:\n{first}");
    }
    // The note keeps its quotes, line break and backslash (a TOML
    // multi-line literal string: nothing to escape).
    assert!(
        first.contains("Slipped: the \"Q4\" push\nmoved to January \\ see the plan"),
        "{first}"
    );
    // Noah has no title now; the two amended WhyGOs wait for sign-offs.
    let noah = &first[first.find("key = \"noah\"").expect("noah")..];
    let noah = &noah[..noah.find("\n\n").expect("end of noah's table")];
    assert!(!noah.contains("title"), "{noah}");
    assert_eq!(first.matches("approved_by_plan = false").count(), 2);

    let copy = load_into_fresh("kartel-plan.toml", &first).await;
    let second = export(&copy, "kartel").await;
    assert_same(&first, &second);
    // Loading it again changes nothing (the new keys compare equal).
    let wb = check("kartel-plan.toml", &first).expect("valid");
    let again = apply(&copy.app_pool, &wb, "test").await.expect("reload");
    assert!(again.changed_nothing(), "{again}");

    // The copy holds what the app changed, as the app stores it.
    let facts: (bool, String, bool, i32) = sqlx::query_as(
        "select p.active, p.title, t.individuals_visible_to_all, t.max_individual_whygos
         from people p join tenants t on t.id = p.tenant_id where p.key = 'noah'",
    )
    .fetch_one(&copy.pool)
    .await
    .expect("noah");
    assert_eq!(facts, (false, String::new(), true, 5));
    let waiting: Vec<(String, Option<i32>, i64)> = sqlx::query_as(
        "select w.key, w.plan_approved_version,
                (select count(*) from signoffs s where s.whygo_id = w.id)
         from whygos w where w.key in ('generative-1', 'sales-1') order by w.key",
    )
    .fetch_all(&copy.pool)
    .await
    .expect("the amended WhyGOs");
    assert_eq!(
        waiting,
        [
            ("generative-1".to_owned(), None, 0),
            ("sales-1".to_owned(), None, 0)
        ],
        "neither is in force: both wait for every sign-off"
    );
    let step: (Option<uuid::Uuid>, String) = sqlx::query_as(
        "select s.by_person_id, s.by_label from handoff_steps s where s.kind = 'ticked'
         and s.handoff_id in (select h.id from handoffs h join engagements e on e.id = h.engagement_id
                              where e.key = 'guest-visit')",
    )
    .fetch_one(&copy.pool)
    .await
    .expect("the guest's tick");
    assert_eq!(step, (None, "guest@kartel.example".to_owned()));
    // Each handoff keeps the checklist it opened with.
    let checklists = |db: &TestDb| {
        let pool = db.pool.clone();
        async move {
            sqlx::query_as::<_, (String, Vec<String>)>(
                "select e.key, h.checklist from handoffs h
                 join engagements e on e.id = h.engagement_id
                 join handoff_types t on t.id = h.handoff_type_id
                 where t.key = 'sales-to-production' order by e.key",
            )
            .fetch_all(&pool)
            .await
            .expect("checklists")
        }
    };
    let stored = checklists(&copy).await;
    assert_eq!(stored, checklists(&original).await);
    assert!(stored.iter().any(|(_, c)| c.len() == 4) && stored.iter().any(|(_, c)| c.len() == 3));
}

#[tokio::test]
async fn an_admin_downloads_the_workbook_and_no_one_else_does() {
    let db = common::demo_db().await;
    let expected = export(&db, "kartel").await;

    let mut zac = signed_in(&db, "zac").await;
    let home = zac.get("/kartel/admin").await;
    home.expect_status(200);
    assert!(
        home.body.contains("href=\"/kartel/admin/export\""),
        "the admin home links the download:\n{}",
        home.body
    );
    let res = zac.get("/kartel/admin/export").await;
    res.expect_status(200);
    let header = |name: &str| {
        res.headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned()
    };
    assert_eq!(header("content-type"), "application/toml; charset=utf-8");
    assert_eq!(
        header("content-disposition"),
        "attachment; filename=\"kartel-plan.toml\""
    );
    assert_eq!(header("cache-control"), "no-store");
    assert_same(&expected, &res.body);

    // Leaders, department heads and members: refused by the permission table.
    for who in ["kevin", "wayan", "trent"] {
        let mut c = signed_in(&db, who).await;
        let res = c.get("/kartel/admin/export").await;
        res.expect_status(403);
        assert!(
            !res.body.contains("[organization]"),
            "{who} got the workbook"
        );
    }
    // Signed out: to the sign-in page.
    let mut visitor = common::Client::new(common::app(&db));
    let res = visitor.get("/kartel/admin/export").await;
    assert_eq!(res.status.as_u16(), 303, "{}", res.body);
    assert!(!res.body.contains("[organization]"));

    // Another organization's admin: not found, as any of Kartel's pages.
    common::load_acme(&db).await;
    let password = "a long enough password";
    let hash = whygo::auth::password::hash(password).expect("hash");
    whygo::db::admin_cli::create_user(
        &db.app_pool,
        &whygo::db::admin_cli::NewUser {
            email: "ann@acme.example",
            name: "Ann",
            password_hash: &hash,
            installation_admin: false,
            tenant: Some("acme"),
            role: whygo::domain::permissions::Role::Admin,
            person: Some("ann"),
        },
    )
    .await
    .expect("query")
    .expect("created");
    let mut ann = common::Client::new(common::app(&db));
    ann.login("ann@acme.example", password).await;
    ann.get("/acme/admin/export").await.expect_status(200);
    let res = ann.get("/kartel/admin/export").await;
    res.expect_status(404);
    assert!(!res.body.contains("Kartel"), "{}", res.body);
    // Her own download holds her organization only.
    let own = ann.get("/acme/admin/export").await;
    assert!(own.body.contains("slug = \"acme\""));
    assert!(!own.body.contains("kartel"), "{}", own.body);
}

fn whygo_cli(db: &TestDb, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_whygo"))
        .args(args)
        .env("DATABASE_URL", &db.url)
        .env("RUST_LOG", "warn")
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("run whygo")
}

#[tokio::test]
async fn whygo_export_prints_the_workbook_and_refuses_an_unknown_organization() {
    let db = kartel_db().await;
    let out = whygo_cli(&db, &["export", "--tenant", "kartel"]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "export failed: {stderr}");
    assert!(stderr.is_empty(), "nothing but the workbook: {stderr}");
    let printed = String::from_utf8(out.stdout).expect("UTF-8");
    assert_same(&export(&db, "kartel").await, &printed);

    // The file loads with `whygo load` into another database.
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("plan.toml");
    std::fs::write(&file, &printed).expect("write the plan");
    let other = TestDb::new().await;
    let out = whygo_cli(&other, &["load", file.to_str().expect("a UTF-8 path")]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let again = whygo_cli(&other, &["export", "--tenant", "kartel"]);
    assert!(again.status.success());
    assert_same(&printed, &String::from_utf8_lossy(&again.stdout));

    let out = whygo_cli(&db, &["export", "--tenant", "nowhere"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(out.stdout.is_empty(), "no workbook for an unknown slug");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("no organization with the slug “nowhere”"),
        "{stderr}"
    );
}
