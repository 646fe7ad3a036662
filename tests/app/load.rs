//! `whygo load`: the workbook written into the database, idempotently.

use whygo::db::load::{apply, check};

use crate::common::{KARTEL, TestDb, content_fingerprint, kartel_db};

async fn count(db: &TestDb, table: &str) -> i64 {
    sqlx::query_scalar(&format!("select count(*) from {table}"))
        .fetch_one(&db.pool)
        .await
        .expect("count")
}

#[tokio::test]
async fn the_kartel_workbook_loads_the_whole_organization() {
    let db = kartel_db().await;
    assert_eq!(count(&db, "tenants").await, 1);
    assert_eq!(count(&db, "people").await, 22);
    assert_eq!(count(&db, "whygos where level = 'company'").await, 4);
    let heads: Vec<(String, String)> = sqlx::query_as(
        "select d.key, p.key from departments d join people p on p.tenant_id = d.tenant_id and p.id = d.head_id
         order by d.key",
    )
    .fetch_all(&db.pool)
    .await
    .expect("heads");
    for (dept, head) in [
        ("production", "wayan"),
        ("generative", "fill"),
        ("sales", "ben"),
        ("platform", "niels"),
    ] {
        assert!(
            heads.contains(&(dept.to_owned(), head.to_owned())),
            "{dept} should be headed by {head}: {heads:?}"
        );
    }
    // Noah reports to Veronica, as in the org chart.
    let manager: String = sqlx::query_scalar(
        "select m.key from people p join people m on m.tenant_id = p.tenant_id and m.id = p.reports_to_id
         where p.key = 'noah'",
    )
    .fetch_one(&db.pool)
    .await
    .expect("noah's manager");
    assert_eq!(manager, "veronica");
    // Targets are stored exactly as written.
    let targets: Vec<Vec<String>> = sqlx::query_scalar("select targets from outcomes order by key")
        .fetch_all(&db.pool)
        .await
        .expect("targets");
    assert!(targets.contains(&vec!["6-8".into(), "12".into(), "16".into(), "20".into()]));
    assert!(targets.contains(&vec![
        "Baseline".into(),
        "Track".into(),
        "Track".into(),
        "Target 4:1".into()
    ]));
    assert!(count(&db, "actuals").await > 50);
    assert_eq!(
        count(&db, "handoff_types").await,
        5,
        "the client cycle's four and Tier 4 → 5"
    );
    assert!(count(&db, "dependencies").await > 5);
}

#[tokio::test]
async fn loading_the_same_workbook_twice_changes_nothing() {
    let db = kartel_db().await;
    let audit_before = count(&db, "audit_log").await;
    let actuals_before = count(&db, "actuals").await;
    let stamps_before: Vec<(String, chrono::DateTime<chrono::Utc>, i32)> =
        sqlx::query_as("select key, updated_at, version from whygos order by key")
            .fetch_all(&db.pool)
            .await
            .expect("stamps");

    let wb = check("kartel-2026.toml", KARTEL).expect("valid");
    let summary = apply(&db.pool, &wb, "test").await.expect("second load");

    assert!(
        summary.changed_nothing(),
        "second load changed something: {summary}"
    );
    assert!(summary.unchanged > 0);
    assert_eq!(i64::from(summary.actuals_already_stored), actuals_before);
    assert_eq!(
        count(&db, "audit_log").await,
        audit_before,
        "nothing new is audited"
    );
    assert_eq!(count(&db, "actuals").await, actuals_before);
    let stamps_after: Vec<(String, chrono::DateTime<chrono::Utc>, i32)> =
        sqlx::query_as("select key, updated_at, version from whygos order by key")
            .fetch_all(&db.pool)
            .await
            .expect("stamps");
    assert_eq!(stamps_before, stamps_after);
}

/// The first `title = "..."` of a [[whygo]] table, for editing a copy of the demo.
fn edited_kartel() -> String {
    let mut text = KARTEL.to_owned();
    let start = text.find("[[whygo]]").expect("a whygo table");
    let title_at = start + text[start..].find("title = \"").expect("a title") + "title = \"".len();
    let title_end = title_at + text[title_at..].find('"').expect("closing quote");
    text.replace_range(title_at..title_end, "Renamed in the workbook");
    // One new actual, appended.
    let first_outcome_key = {
        let o = text.find("[[whygo.outcome]]").expect("an outcome");
        let k = o + text[o..].find("key = \"").expect("outcome key") + "key = \"".len();
        let e = k + text[k..].find('"').expect("closing quote");
        text[k..e].to_owned()
    };
    let first_person = {
        let p = text.find("[[person]]").expect("a person");
        let k = p + text[p..].find("key = \"").expect("person key") + "key = \"".len();
        let e = k + text[k..].find('"').expect("closing quote");
        text[k..e].to_owned()
    };
    let value = first_value(&text, &first_outcome_key);
    format!(
        "{text}\n[[actual]]\noutcome = \"{first_outcome_key}\"\nquarter = 4\nvalue = \"{value}\"\ndate = 2026-11-20\nby = \"{first_person}\"\nnote = \"added by the edit test\"\n"
    )
}

/// A value that fits the outcome: the latest one the demo already has for it.
fn first_value(text: &str, outcome: &str) -> String {
    let needle = format!("outcome = \"{outcome}\"");
    let at = text
        .rfind(&needle)
        .expect("the outcome has an actual in the demo");
    let v = at + text[at..].find("value = \"").expect("value") + "value = \"".len();
    let e = v + text[v..].find('"').expect("closing quote");
    text[v..e].to_owned()
}

#[tokio::test]
async fn an_edited_workbook_updates_in_place_and_appends_only_new_actuals() {
    let db = kartel_db().await;
    let ids_before: Vec<(String, uuid::Uuid)> =
        sqlx::query_as("select key, id from whygos order by key")
            .fetch_all(&db.pool)
            .await
            .expect("ids");
    let actuals_before = count(&db, "actuals").await;

    let wb = check("kartel-2026.toml", &edited_kartel()).expect("the edit is valid");
    let summary = apply(&db.pool, &wb, "test").await.expect("load the edit");

    assert_eq!(summary.created, 0, "{summary}");
    assert_eq!(summary.updated, 1, "{summary}");
    assert_eq!(summary.actuals_added, 1, "{summary}");
    assert_eq!(count(&db, "actuals").await, actuals_before + 1);
    let ids_after: Vec<(String, uuid::Uuid)> =
        sqlx::query_as("select key, id from whygos order by key")
            .fetch_all(&db.pool)
            .await
            .expect("ids");
    assert_eq!(ids_before, ids_after, "updated in place, same ids");
    let renamed: (String, i32) =
        sqlx::query_as("select title, version from whygos where title = 'Renamed in the workbook'")
            .fetch_one(&db.pool)
            .await
            .expect("the renamed WhyGO");
    assert_eq!(renamed.1, 2, "an edit bumps the version");
    let audited: i64 = sqlx::query_scalar(
        "select count(*) from audit_log where action = 'update' and entity = 'whygo'
         and after->>'title' = 'Renamed in the workbook'",
    )
    .fetch_one(&db.pool)
    .await
    .expect("audit");
    assert_eq!(audited, 1);
}

#[tokio::test]
async fn an_actual_that_does_not_fit_its_outcome_is_refused_with_its_line() {
    // A stage that is not on the ladder, and text where a number is expected.
    let stage_outcome = {
        let at = KARTEL.find("\"MVP\"").expect("a stage target in the demo");
        let o = KARTEL[..at]
            .rfind("[[whygo.outcome]]")
            .expect("its outcome");
        let k = o + KARTEL[o..].find("key = \"").expect("key") + "key = \"".len();
        let e = k + KARTEL[k..].find('"').expect("quote");
        KARTEL[k..e].to_owned()
    };
    let number_outcome = {
        // (Production's "6-8" active clients are computed from engagements now.)
        let at = KARTEL.find("\"8+\"").expect("a numeric target in the demo");
        let o = KARTEL[..at]
            .rfind("[[whygo.outcome]]")
            .expect("its outcome");
        let k = o + KARTEL[o..].find("key = \"").expect("key") + "key = \"".len();
        let e = k + KARTEL[k..].find('"').expect("quote");
        KARTEL[k..e].to_owned()
    };
    let base_lines = KARTEL.lines().count();
    let text = format!(
        "{KARTEL}\n[[actual]]\noutcome = \"{stage_outcome}\"\nquarter = 1\nvalue = \"Shipped-ish\"\ndate = 2026-03-01\nby = \"kevin\"\n\n[[actual]]\noutcome = \"{number_outcome}\"\nquarter = 1\nvalue = \"lots\"\ndate = 2026-03-01\nby = \"kevin\"\n"
    );
    let errors = check("bad.toml", &text).expect_err("refused");
    assert_eq!(errors.len(), 2, "{errors:?}");
    let shown: Vec<String> = errors.iter().map(ToString::to_string).collect();
    assert_eq!(errors[0].line, base_lines + 5, "{shown:?}");
    assert!(
        shown[0].starts_with(&format!("bad.toml:{}:", base_lines + 5)),
        "{shown:?}"
    );
    assert!(shown[0].contains("Shipped-ish"), "{shown:?}");
    assert_eq!(errors[1].line, base_lines + 12, "{shown:?}");
    assert!(shown[1].contains("lots"), "{shown:?}");
}

#[tokio::test]
async fn a_negative_count_or_duration_in_a_workbook_is_refused_with_its_line() {
    let base_lines = KARTEL.lines().count();
    let text = format!(
        "{KARTEL}\n[[actual]]\noutcome = \"prod-producer-onboarding\"\nquarter = 2\nvalue = \"-2 weeks\"\ndate = 2026-05-01\nby = \"wayan\"\n\n[[actual]]\noutcome = \"prod-case-studies\"\nquarter = 1\nvalue = \"-1\"\ndate = 2026-03-01\nby = \"wayan\"\n"
    );
    let errors = check("negative.toml", &text).expect_err("refused");
    let shown: Vec<String> = errors.iter().map(ToString::to_string).collect();
    assert_eq!(errors.len(), 2, "{shown:?}");
    assert_eq!(errors[0].line, base_lines + 5, "{shown:?}");
    assert!(
        shown[0].contains("a duration cannot be negative, got “-2 weeks”"),
        "{shown:?}"
    );
    assert_eq!(errors[1].line, base_lines + 12, "{shown:?}");
    assert!(
        shown[1].contains("a count cannot be negative, got “-1”"),
        "{shown:?}"
    );
}

#[tokio::test]
async fn a_garbage_target_in_a_workbook_is_refused_naming_the_outcome_and_quarter() {
    let at = KARTEL
        .find("key = \"prod-margin\"")
        .expect("Production's margin");
    let targets = at + KARTEL[at..].find("targets = ").expect("its targets");
    let line = KARTEL[..targets].lines().count() + 1;
    let end = targets + KARTEL[targets..].find('\n').expect("line end");
    let text = format!(
        "{}targets = [\"40%\", \"45%\", \"1e6\", \"abc%%\"]{}\n[[actual]]\noutcome = \"prod-case-studies\"\nquarter = 1\nvalue = \"12,5\"\ndate = 2026-03-01\nby = \"wayan\"\n",
        &KARTEL[..targets],
        &KARTEL[end..]
    );
    let errors = check("garbage.toml", &text).expect_err("refused");
    let shown: Vec<String> = errors.iter().map(ToString::to_string).collect();
    assert_eq!(errors.len(), 2, "{shown:?}");
    assert_eq!(errors[0].line, line, "{shown:?}");
    assert!(
        shown[0].contains("targets[2]: outcome “prod-margin”, Q3 target: “1e6”: whygo does not read scientific notation"),
        "{shown:?}"
    );
    assert!(
        shown[1].contains("targets[3]: outcome “prod-margin”, Q4 target: “abc%%” is a word"),
        "{shown:?}"
    );
    // With the targets fixed, the actual's decimal comma is refused.
    let text = text.replace("\"1e6\", \"abc%%\"", "\"48%\", \"50%\"");
    let errors = check("garbage.toml", &text).expect_err("refused");
    let shown: Vec<String> = errors.iter().map(ToString::to_string).collect();
    assert_eq!(errors.len(), 1, "{shown:?}");
    assert!(
        shown[0].contains("“12,5”: write decimals with a point, 12.5"),
        "{shown:?}"
    );
    assert!(check("kartel-2026.toml", KARTEL).is_ok(), "the demo loads");
}

/// The benchmark's generator (bench/generate_workbook.py) at a small size.
fn generated_workbook(people: u32, seed: u32) -> String {
    let out = std::process::Command::new("python3")
        .arg(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/bench/generate_workbook.py"
        ))
        .args(["--people", &people.to_string(), "--seed", &seed.to_string()])
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
async fn the_generated_benchmark_workbook_loads_in_file_order_and_reloads_unchanged() {
    let text = generated_workbook(50, 1);
    let wb = match check("bigco-small.toml", &text) {
        Ok(wb) => wb,
        Err(errors) => {
            let shown: Vec<String> = errors.iter().take(10).map(ToString::to_string).collect();
            panic!("the generated workbook is refused:\n{}", shown.join("\n"));
        }
    };
    let outcomes = wb.whygos.iter().map(|w| w.outcomes.len()).sum::<usize>();
    assert_eq!(wb.people.len(), 50);
    assert_eq!(wb.whygos.len(), 175, "3.5 WhyGOs per person");
    assert_eq!(outcomes, 500, "10 outcomes per person");
    assert!(wb.actuals.len() > 1000, "a year of check-ins");

    let db = TestDb::new().await;
    let summary = apply(&db.app_pool, &wb, "test").await.expect("load");
    assert_eq!(
        summary.actuals_added as usize,
        wb.actuals.len(),
        "{summary}"
    );
    assert_eq!(count(&db, "outcomes").await as usize, outcomes);
    let owners: usize = wb
        .whygos
        .iter()
        .flat_map(|w| &w.outcomes)
        .map(|o| o.owners.len())
        .sum();
    assert_eq!(count(&db, "outcome_owners").await as usize, owners);
    // The planner's statistics were refreshed after the bulk load, by the
    // app's own role (which does not own the tables): a table never
    // analyzed has reltuples -1.
    let analyzed: f32 =
        sqlx::query_scalar("select reltuples from pg_class where relname = 'actuals'")
            .fetch_one(&db.pool)
            .await
            .expect("statistics");
    assert!(
        analyzed >= wb.actuals.len() as f32 * 0.9,
        "actuals analyzed: {analyzed}"
    );

    // Actuals are appended in file order (the order breaks ties on a date).
    let stored: Vec<(String, String, chrono::NaiveDate)> = sqlx::query_as(
        "select o.key, a.value, a.entered_on from actuals a
         join outcomes o on o.tenant_id = a.tenant_id and o.id = a.outcome_id order by a.seq",
    )
    .fetch_all(&db.pool)
    .await
    .expect("actuals");
    let written: Vec<(String, String, chrono::NaiveDate)> = wb
        .actuals
        .iter()
        .map(|a| (a.outcome.clone(), a.value.clone(), a.date))
        .collect();
    assert!(stored == written, "actuals are not stored in file order");

    // Owners keep their order, and every row compares equal on a second load.
    let audit_before = count(&db, "audit_log").await;
    let again = apply(&db.app_pool, &wb, "test").await.expect("second load");
    assert!(
        again.changed_nothing(),
        "second load changed something: {again}"
    );
    assert_eq!(count(&db, "audit_log").await, audit_before);
}

// ---------------------------------------------------------------------------
// Workbook format 2: the operations tables
// ---------------------------------------------------------------------------

async fn kartel_tenant(db: &TestDb) -> uuid::Uuid {
    sqlx::query_scalar("select id from tenants where slug = 'kartel'")
        .fetch_one(&db.pool)
        .await
        .expect("the kartel tenant")
}

/// Everything the app reads of operations, long after the demo's last step.
async fn stored_operations(db: &TestDb) -> whygo::db::operations::Loaded {
    let tenant = kartel_tenant(db).await;
    let mut conn = db.pool.acquire().await.expect("a connection");
    let far = chrono::DateTime::parse_from_rfc3339("2030-01-01T00:00:00Z")
        .expect("time")
        .to_utc();
    whygo::db::operations::load(&mut conn, tenant, far)
        .await
        .expect("load operations")
}

#[tokio::test]
async fn the_operations_tables_of_the_demo_read_back_as_written() {
    use whygo::domain::operations::from_workbook::Operations;
    let db = kartel_db().await;
    let wb = check("kartel-2026.toml", KARTEL).expect("valid");
    let written = Operations::of(&wb).expect("operations");
    let stored = stored_operations(&db).await;

    // Cycles and their types: keys, numbers, departments, openers, SLAs,
    // checklists. (Cycle names are not stored: the app names a cycle after
    // its key.)
    let types = |cycles: &[whygo::domain::operations::Cycle]| {
        cycles
            .iter()
            .map(|c| (c.key.clone(), c.types().to_vec()))
            .collect::<Vec<_>>()
    };
    assert_eq!(types(&stored.cycles), types(&written.cycles));
    assert_eq!(stored.cycles.len(), 2);

    // Engagements, in key order, with the fields pages show.
    let mut engagements = written.engagements.clone();
    engagements.sort_by(|a, b| a.key.cmp(&b.key));
    assert_eq!(stored.engagements, engagements);
    assert_eq!(stored.engagements.len(), 28);
    for row in &stored.rows {
        let e = wb
            .engagements
            .iter()
            .find(|e| e.key == row.key)
            .expect("written");
        assert_eq!(
            (&row.vertical, &row.producer, &row.account_manager),
            (&e.vertical, &e.producer, &e.account_manager),
            "{}",
            row.key
        );
    }
    let demo: i64 = sqlx::query_scalar("select count(*) from engagements where demo")
        .fetch_one(&db.pool)
        .await
        .expect("demo rows");
    assert_eq!(demo, 28, "every invented engagement is marked as demo data");

    // Every handoff with every step: when, who, what.
    let key = |h: &whygo::domain::operations::Handoff| {
        let number = written
            .cycles
            .iter()
            .find_map(|c| c.get(&h.handoff_type))
            .map_or(0, |t| t.number);
        (h.engagement.clone(), number)
    };
    let mut handoffs = written.handoffs.clone();
    handoffs.sort_by_key(key);
    assert_eq!(stored.handoffs.len(), handoffs.len());
    for (s, w) in stored.handoffs.iter().zip(&handoffs) {
        assert_eq!(s, w, "handoff {}/{}", w.engagement, w.handoff_type);
    }
    let steps: i64 = sqlx::query_scalar("select count(*) from handoff_steps")
        .fetch_one(&db.pool)
        .await
        .expect("steps");
    let written_steps: usize = wb.engagements.iter().map(|e| e.steps.len()).sum();
    assert_eq!(steps as usize, written_steps);

    // Deliverables, dependency state and owner, outcome sources, openers.
    type DeliverableRow = (
        String,
        String,
        Option<String>,
        String,
        Option<chrono::NaiveDate>,
    );
    let deliverables: Vec<DeliverableRow> = sqlx::query_as(
        "select w.key, d.title, p.key, d.due, d.done_on from deliverables d
             join whygos w on w.tenant_id = d.tenant_id and w.id = d.whygo_id
             left join people p on p.tenant_id = d.tenant_id and p.id = d.owner_id
             order by d.position",
    )
    .fetch_all(&db.pool)
    .await
    .expect("deliverables");
    let written_deliverables: Vec<_> = wb
        .deliverables
        .iter()
        .map(|d| {
            (
                d.whygo.clone(),
                d.title.clone(),
                d.owner.clone(),
                d.due.clone(),
                d.done,
            )
        })
        .collect();
    assert_eq!(deliverables, written_deliverables);
    assert_eq!(deliverables.len(), 11);

    let dependencies: Vec<(String, String, String, String, Option<String>)> = sqlx::query_as(
        "select f.key, o.key, d.need, d.state, p.key from dependencies d
         join departments f on f.tenant_id = d.tenant_id and f.id = d.from_department_id
         join departments o on o.tenant_id = d.tenant_id and o.id = d.on_department_id
         left join people p on p.tenant_id = d.tenant_id and p.id = d.owner_id
         order by d.position",
    )
    .fetch_all(&db.pool)
    .await
    .expect("dependencies");
    let written_dependencies: Vec<_> = wb
        .dependencies
        .iter()
        .map(|d| {
            (
                d.from.clone(),
                d.on.clone(),
                d.need.clone(),
                d.state.as_str().to_owned(),
                d.owner.clone(),
            )
        })
        .collect();
    assert_eq!(dependencies, written_dependencies);

    let sources: Vec<(String, String)> =
        sqlx::query_as("select key, source from outcomes where source is not null order by key")
            .fetch_all(&db.pool)
            .await
            .expect("sources");
    let mut written_sources: Vec<(String, String)> = wb
        .outcomes()
        .filter_map(|(_, o)| o.source.clone().map(|s| (o.key.clone(), s)))
        .collect();
    written_sources.sort();
    assert_eq!(sources, written_sources);
    assert_eq!(sources.len(), 8);
    let computed_actuals: i64 = sqlx::query_scalar(
        "select count(*) from actuals a join outcomes o on o.tenant_id = a.tenant_id and o.id = a.outcome_id
         where o.source is not null",
    )
    .fetch_one(&db.pool)
    .await
    .expect("actuals");
    assert_eq!(computed_actuals, 0, "computed outcomes take no check-ins");

    let openers: Vec<(String, String, Option<String>)> = sqlx::query_as(
        "select key, cycle_key, opener from handoff_types order by cycle_key, number",
    )
    .fetch_all(&db.pool)
    .await
    .expect("openers");
    assert_eq!(
        openers,
        [
            ("sales-to-production", "client", Some("sow_signed")),
            ("production-to-generative", "client", Some("previous")),
            ("generative-to-production", "client", Some("previous")),
            ("production-to-sales", "client", Some("delivered")),
            ("tier-4-to-5", "talent", Some("manual")),
        ]
        .map(|(k, c, o)| (k.to_owned(), c.to_owned(), o.map(str::to_owned)))
    );
}

/// The demo with one more step on Cinder Studios' open handoff #1, after
/// its last (three of its four items ticked).
fn kartel_with_one_more_step(kind_and_more: &str) -> String {
    let anchor =
        "kind = \"ticked\", at = 2026-11-20T06:30:00Z, by = \"emmet\", item = \"Staffing plan\" },";
    assert_eq!(KARTEL.matches(anchor).count(), 1, "Cinder's last step");
    KARTEL.replacen(
        anchor,
        &format!("{anchor}\n    {{ handoff = \"sales-to-production\", {kind_and_more} }},"),
        1,
    )
}

#[tokio::test]
async fn a_reloaded_history_appends_the_new_steps_and_keeps_those_taken_in_the_app() {
    let db = kartel_db().await;
    let cinder = |loaded: &whygo::db::operations::Loaded| {
        loaded
            .handoffs
            .iter()
            .find(|h| h.engagement == "cinder-titles")
            .map(|h| h.steps.len())
    };
    assert_eq!(cinder(&stored_operations(&db).await), Some(4));

    // The file goes on: the new step is appended, nothing else changes.
    let text = kartel_with_one_more_step(
        "kind = \"ticked\", at = 2026-11-20T10:00:00Z, by = \"emmet\", item = \"Budget\"",
    );
    let wb = check("kartel-2026.toml", &text).expect("valid");
    let summary = apply(&db.app_pool, &wb, "test").await.expect("reload");
    assert_eq!((summary.created, summary.updated), (0, 1), "{summary}");
    assert_eq!(cinder(&stored_operations(&db).await), Some(5));

    // Loading the older file again keeps the step (as one taken in the app
    // after a load would be kept): the file is a beginning of the history.
    let wb = check("kartel-2026.toml", KARTEL).expect("valid");
    let summary = apply(&db.app_pool, &wb, "test")
        .await
        .expect("reload the old file");
    assert!(summary.changed_nothing(), "{summary}");
    assert_eq!(cinder(&stored_operations(&db).await), Some(5));
}

#[tokio::test]
async fn a_history_that_contradicts_the_stored_one_refuses_the_whole_load() {
    let db = kartel_db().await;
    let text = kartel_with_one_more_step(
        "kind = \"ticked\", at = 2026-11-20T10:00:00Z, by = \"emmet\", item = \"Budget\"",
    );
    let wb = check("kartel-2026.toml", &text).expect("valid");
    apply(&db.app_pool, &wb, "test").await.expect("load");
    let before = content_fingerprint(&db, &[]).await;

    // Another step where the stored one is, and a renamed client besides.
    let text = kartel_with_one_more_step(
        "kind = \"unticked\", at = 2026-11-20T11:00:00Z, by = \"emmet\", item = \"Timeline\"",
    )
    .replacen(
        "client = \"Cinder Studios\"",
        "client = \"Cinder Studios Ltd\"",
        1,
    );
    let wb = check("kartel-2026.toml", &text).expect("valid");
    let err = apply(&db.app_pool, &wb, "test")
        .await
        .expect_err("the histories disagree");
    let shown = format!("{err:#}");
    assert!(
        shown.contains("cinder-titles/sales-to-production") && shown.contains("append-only"),
        "{shown}"
    );
    assert_eq!(
        content_fingerprint(&db, &[]).await,
        before,
        "nothing is half-written"
    );
}

/// A version-1 workbook with a handoff type and a dependency.
const V1: &str = r#"workbook = 1

[organization]
name = "Acme Corp"
slug = "acme"
fiscal_year_start = "2026-01-01"
signers = ["ann"]

[[department]]
key = "sales"
name = "Sales"
head = "ann"

[[department]]
key = "ops"
name = "Operations"

[[person]]
key = "ann"
name = "Ann Acme"
title = "CEO"
department = "sales"
role = "leader"

[[whygo]]
key = "acme-1"
level = "company"
owner = "ann"
number = 1
title = "Ship the thing"
why = "Customers wait."
goal = "Ship it."

[[whygo.outcome]]
key = "acme-shipped"
name = "Releases shipped"
targets = ["1", "2", "3", "4"]

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
"#;

#[tokio::test]
async fn a_version_1_workbook_leaves_what_the_app_set_on_operations_alone() {
    let db = TestDb::new().await;
    let wb = check("acme.toml", V1).expect("the version-1 workbook");
    assert_eq!(wb.version, 1);
    apply(&db.app_pool, &wb, "test").await.expect("load");
    // The app sets a dependency's state and owner, and a type's opener.
    sqlx::query("update dependencies set state = 'at_risk'")
        .execute(&db.pool)
        .await
        .expect("state");
    sqlx::query("update handoff_types set opener = 'manual'")
        .execute(&db.pool)
        .await
        .expect("opener");
    let summary = apply(&db.app_pool, &wb, "test").await.expect("reload");
    assert!(summary.changed_nothing(), "{summary}");
    let kept: Vec<(String,)> = sqlx::query_as(
        "select state from dependencies union all select coalesce(opener, '') from handoff_types",
    )
    .fetch_all(&db.pool)
    .await
    .expect("kept");
    assert_eq!(
        kept,
        [("at_risk".to_owned(),), ("manual".to_owned(),)],
        "a version-1 file says nothing of these"
    );
}
