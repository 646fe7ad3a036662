//! The company dashboard: the same pacing as the report, shown with text.

use axum::http::StatusCode;
use chrono::NaiveDate;

use crate::common::{Client, app, demo_db, signed_in};

#[tokio::test]
async fn the_dashboard_shows_every_status_with_text_for_the_demo() {
    let db = demo_db().await;
    let page = signed_in(&db, "kevin")
        .await
        .get("/kartel?as_of=2026-11-21")
        .await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(
        page.headers["content-type"]
            .to_str()
            .unwrap_or_default()
            .starts_with("text/html")
    );
    let body = &page.body;
    for text in [
        "[+]",
        "[~]",
        "[-]",
        "needs check-in",
        "Outcomes off pace",
        "Cascade",
        "Escalations",
        "Needs attention",
        "Missing check-ins",
    ] {
        assert!(body.contains(text), "the dashboard shows {text:?}");
    }
    for title in [
        "Product-Market Fit",
        "Operational Excellence",
        "Talent Engine",
        "Enterprise Platform",
    ] {
        assert!(
            body.contains(title),
            "company WhyGO {title:?} is on the dashboard"
        );
    }
    assert!(body.contains("Saturday 21 November 2026"));
}

/// The demo's report as of 2026-11-21 (every WhyGO).
async fn demo_report(db: &crate::common::TestDb) -> whygo::domain::report::Report {
    let as_of = NaiveDate::from_ymd_opt(2026, 11, 21).expect("date");
    let tenant = whygo::db::plan::tenant_by_slug(&db.pool, "kartel")
        .await
        .expect("query")
        .expect("kartel");
    let plan = whygo::db::plan::load(&db.pool, &tenant, as_of)
        .await
        .expect("plan");
    whygo::domain::report::build(&plan, as_of)
}

fn escape(text: &str) -> String {
    text.replace('&', "&#38;")
        .replace('<', "&#60;")
        .replace('>', "&#62;")
}

/// The part of `body` from the element with `id` to the element with `next`.
fn section<'a>(body: &'a str, id: &str, next: &str) -> &'a str {
    body.split(&format!("id=\"{id}\""))
        .nth(1)
        .and_then(|s| s.split(&format!("id=\"{next}\"")).next())
        .unwrap_or_else(|| panic!("a section {id:?}"))
}

/// The keys of the report's department WhyGOs.
fn department_whygos(r: &whygo::domain::report::Report) -> std::collections::HashSet<&str> {
    r.whygos
        .iter()
        .filter(|w| w.level == whygo::domain::plan::Level::Department)
        .map(|w| w.key.as_str())
        .collect()
}

#[tokio::test]
async fn the_dashboard_lists_the_company_escalations_in_full_and_counts_the_departments() {
    let db = demo_db().await;
    let report = demo_report(&db).await;
    let page = signed_in(&db, "kevin")
        .await
        .get("/kartel?as_of=2026-11-21")
        .await;
    page.expect_status(200);

    // Company outcomes off pace: every one, in full.
    let escalations = section(&page.body, "escalations", "departments");
    let company: Vec<_> = report
        .escalations
        .iter()
        .filter(|a| a.department.is_none())
        .collect();
    assert_eq!(
        escalations.matches("<th scope=\"row\">").count(),
        company.len()
    );
    for a in &company {
        assert!(
            escalations.contains(&escape(&a.outcome_name)),
            "company escalation {:?} is listed",
            a.outcome_name
        );
    }

    // Department outcomes: counted by department, the report's counts.
    let dept_whygos = department_whygos(&report);
    let counts = section(&page.body, "departments", "attention");
    let mut rows = 0;
    for d in &report.departments {
        let count = |list: &[whygo::domain::report::Attention]| {
            list.iter()
                .filter(|a| {
                    a.department.as_deref() == Some(d.key.as_str())
                        && dept_whygos.contains(a.whygo.as_str())
                })
                .count()
        };
        let (off, slight, missing) = (
            count(&report.escalations),
            count(&report.needs_attention),
            count(&report.missing),
        );
        let link = format!("department={}\">", d.key);
        if off + slight + missing == 0 {
            assert!(!counts.contains(&link), "{} has nothing to list", d.key);
            continue;
        }
        rows += 1;
        let row = counts
            .split(&format!("/kartel/departments/{}?", d.key))
            .nth(1)
            .and_then(|s| s.split("</tr>").next())
            .unwrap_or_else(|| panic!("a row for {}", d.key));
        // The counts: the row's numeric cells.
        let cells: Vec<&str> = row
            .split("<td class=\"num\">")
            .skip(1)
            .map(|c| c.split("</td>").next().unwrap_or_default())
            .collect();
        assert_eq!(
            cells[0..3],
            [off.to_string(), slight.to_string(), missing.to_string()],
            "{}: off pace, slightly off, missing",
            d.key
        );
        assert!(row.contains(&link), "{} links to its list", d.key);
    }
    assert!(rows > 0, "the demo has department outcomes to look at");
    // No department outcome is listed one by one on the dashboard any more:
    // the company's, and only those.
    let attention = section(&page.body, "attention", "missing");
    let company_attention = report
        .needs_attention
        .iter()
        .filter(|a| a.department.is_none())
        .count();
    assert!(
        report.needs_attention.len() > company_attention,
        "the demo has department outcomes slightly off pace"
    );
    assert_eq!(
        attention.matches("<th scope=\"row\">").count(),
        company_attention
    );
}

#[tokio::test]
async fn the_escalations_list_pages_a_departments_outcomes_fifty_at_a_time() {
    let db = demo_db().await;
    // Sixty more production WhyGOs whose outcome has no actual: sixty more
    // missing check-ins, so the list has two pages.
    sqlx::query(
        "insert into whygos (tenant_id, id, cycle_id, key, level, department_id, owner_id, number, title, status)
         select t.id, gen_random_uuid(), (select id from cycles where tenant_id = t.id limit 1), 'extra-' || i,
                'department', d.id, (select id from people where key = 'wayan'), 100 + i,
                'Extra WhyGO ' || i, 'approved'
         from tenants t join departments d on d.tenant_id = t.id and d.key = 'production',
              generate_series(1, 60) i
         where t.slug = 'kartel'",
    )
    .execute(&db.pool)
    .await
    .expect("whygos");
    sqlx::query(
        "insert into outcomes (tenant_id, id, whygo_id, key, name, targets)
         select w.tenant_id, gen_random_uuid(), w.id, 'o-' || w.key, 'Extra outcome ' || w.key,
                array['2', '4', '6', '8']
         from whygos w where w.key like 'extra-%'",
    )
    .execute(&db.pool)
    .await
    .expect("outcomes");
    let report = demo_report(&db).await;
    let dept_whygos = department_whygos(&report);
    let expected: Vec<String> = report
        .escalations
        .iter()
        .chain(&report.needs_attention)
        .chain(&report.missing)
        .filter(|a| {
            a.department.as_deref() == Some("production") && dept_whygos.contains(a.whygo.as_str())
        })
        .map(|a| escape(&a.outcome_name))
        .collect();
    assert!(expected.len() > 60, "{} outcomes to list", expected.len());
    assert!(expected.len() <= 100, "{} outcomes to list", expected.len());

    let mut kevin = signed_in(&db, "kevin").await;
    let base = "/kartel/escalations?as_of=2026-11-21&department=production";
    let first = kevin.get(&format!("{base}&page=1")).await;
    first.expect_status(200);
    let second = kevin.get(&format!("{base}&page=2")).await;
    second.expect_status(200);
    let rows = |body: &str| -> Vec<String> {
        body.split("<th scope=\"row\">")
            .skip(1)
            .map(|s| s.split("</th>").next().unwrap_or_default().to_owned())
            .collect()
    };
    let (one, two) = (rows(&first.body), rows(&second.body));
    assert_eq!(one.len(), 50);
    assert_eq!(two.len(), expected.len() - 50);
    let mut seen: Vec<String> = one.iter().chain(&two).cloned().collect();
    let mut want = expected.clone();
    seen.sort();
    want.sort();
    assert_eq!(seen, want, "the two pages list each outcome once");
    // Labelled, with the statuses in words, and the pages linked both ways.
    assert!(first.body.contains("Page 1 of 2"));
    assert!(first.body.contains("needs check-in"));
    assert!(first.body.contains("aria-label=\"Pages of the list\""));
    assert!(first.body.contains("rel=\"next\""));
    assert!(!first.body.contains("rel=\"prev\""));
    assert!(second.body.contains("page=1\" rel=\"prev\""));
    // The dashboard's count links here.
    let dashboard = kevin.get("/kartel?as_of=2026-11-21").await;
    assert!(
        dashboard
            .body
            .contains("/kartel/escalations?as_of=2026-11-21&amp;department=production\">")
    );

    kevin
        .get(&format!("{base}&page=3"))
        .await
        .expect_status(404);
    kevin
        .get(&format!("{base}&page=0"))
        .await
        .expect_status(400);
    kevin
        .get(&format!("{base}&page=x"))
        .await
        .expect_status(400);
    kevin
        .get("/kartel/escalations?department=no-such-department")
        .await
        .expect_status(404);
}

#[tokio::test]
async fn the_report_json_endpoint_matches_the_report() {
    let db = demo_db().await;
    let page = signed_in(&db, "wayan")
        .await
        .get("/kartel/report.json?as_of=2026-11-21")
        .await;
    assert_eq!(page.status, StatusCode::OK);
    let json: serde_json::Value = serde_json::from_str(&page.body).expect("JSON");
    assert_eq!(json["quarter"], 4);
    assert!(["+", "~", "-"].contains(&json["company"]["status"].as_str().unwrap_or("")));
}

#[tokio::test]
async fn an_unreadable_date_keeps_what_was_typed_and_says_why() {
    let db = demo_db().await;
    let page = signed_in(&db, "kevin")
        .await
        .get("/kartel?as_of=2026-13-45")
        .await;
    assert_eq!(
        page.status,
        StatusCode::OK,
        "bad input is not an error page"
    );
    assert!(
        page.body.contains("value=\"2026-13-45\""),
        "the typed value is kept"
    );
    assert!(page.body.contains("is not a date: use YYYY-MM-DD"));
    assert!(page.body.contains("aria-invalid=\"true\""));
}

#[tokio::test]
async fn an_unknown_organization_is_not_found() {
    let db = demo_db().await;
    let mut kevin = signed_in(&db, "kevin").await;
    let page = kevin.get("/nobody").await;
    assert_eq!(page.status, StatusCode::NOT_FOUND);
    assert!(page.body.contains("Not found"));
    let page = kevin.get("/nobody/report.json").await;
    assert_eq!(page.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn the_dashboard_needs_a_signed_in_member() {
    let db = demo_db().await;
    let page = Client::new(app(&db)).get("/kartel?as_of=2026-11-21").await;
    assert_eq!(page.status, StatusCode::SEE_OTHER);
    assert_eq!(
        page.location.as_deref(),
        Some("/login?next=%2Fkartel%3Fas_of%3D2026-11-21")
    );
    assert!(!page.body.contains("Escalations"));
}

#[tokio::test]
async fn health_checks_the_database() {
    let db = demo_db().await;
    let page = Client::new(app(&db)).get("/healthz").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("\"database\":\"ok\""));
    db.app_pool.close().await;
    let page = Client::new(app(&db)).get("/healthz").await;
    assert_eq!(page.status, StatusCode::SERVICE_UNAVAILABLE);
}

#[tokio::test]
async fn the_home_page_sends_a_member_of_one_organization_there_and_css_is_served() {
    let db = demo_db().await;
    let page = signed_in(&db, "trent").await.get("/").await;
    assert_eq!(page.status, StatusCode::SEE_OTHER);
    assert_eq!(page.location.as_deref(), Some("/kartel"));
    let css = Client::new(app(&db)).get("/static/app.css").await;
    assert_eq!(css.status, StatusCode::OK);
    assert!(css.body.contains(".chip"));
}

#[tokio::test]
async fn a_saturated_database_answers_503_with_retry_after_not_500() {
    let db = demo_db().await;
    let pool = sqlx::postgres::PgPoolOptions::new()
        .max_connections(1)
        .acquire_timeout(std::time::Duration::from_millis(300))
        .after_connect(|conn, _| {
            Box::pin(async move {
                sqlx::query("set role whygo_app").execute(conn).await?;
                Ok(())
            })
        })
        .connect(&db.url)
        .await
        .expect("pool");
    let app = whygo::http::app(
        pool.clone(),
        whygo::http::Settings::new(std::path::PathBuf::from("static")),
    );
    // Signed in first: the sign-in form itself needs no database.
    let mut c = Client::new(whygo::http::app(
        pool.clone(),
        whygo::http::Settings::new(std::path::PathBuf::from("static")),
    ));
    c.login("kevin@kartel.example", crate::common::DEMO_PASSWORD)
        .await;
    let held = pool.acquire().await.expect("the only connection");
    let res = Client::new(app).get("/healthz").await;
    assert_eq!(res.status.as_u16(), 503, "{}", res.body);
    let page = c.get("/kartel").await;
    assert_eq!(page.status.as_u16(), 503, "{}", page.body);
    assert_eq!(page.headers["retry-after"], "5");
    assert!(page.body.contains("Try again in a few seconds"));
    drop(held);
    c.get("/kartel").await.expect_status(200);
}

/// The text of a page with tags and runs of whitespace removed, so a test
/// can read "Own pace [-] 45%" as a person does.
fn words(html: &str) -> String {
    let mut out = String::new();
    let mut in_tag = false;
    for ch in html.chars() {
        match ch {
            '<' => in_tag = true,
            '>' => {
                in_tag = false;
                out.push(' ');
            }
            c if !in_tag => out.push(c),
            _ => {}
        }
    }
    out.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[tokio::test]
async fn pages_show_company_kpis_whole_plan_and_own_and_cascade_pace_labelled() {
    let db = demo_db().await;
    let mut kevin = signed_in(&db, "kevin").await;
    let dashboard = words(&kevin.get("/kartel?as_of=2026-11-21").await.body);
    assert!(
        dashboard.contains("Company KPIs 84% [~] slightly off"),
        "{dashboard}"
    );
    assert!(
        dashboard.contains("Whole plan 88% [~] slightly off"),
        "{dashboard}"
    );
    // The company WhyGO cards carry both paces, labelled.
    assert!(
        dashboard.contains("Own pace [-] off pace 45%"),
        "Talent Engine's own pace: {dashboard}"
    );
    assert!(
        dashboard.contains("Cascade pace of 4 WhyGOs [~] slightly off 92%"),
        "{dashboard}"
    );

    let talent = words(
        &kevin
            .get("/kartel/whygos/company-3?as_of=2026-11-21")
            .await
            .body,
    );
    assert!(talent.contains("Own pace [-] off pace 45%"), "{talent}");
    assert!(
        talent.contains("Cascade pace of 4 WhyGOs [~] slightly off 92%"),
        "{talent}"
    );

    let production = words(
        &kevin
            .get("/kartel/departments/production?as_of=2026-11-21")
            .await
            .body,
    );
    assert!(
        production.contains("Own pace [~] slightly off 98%"),
        "{production}"
    );
    assert!(
        production.contains("Cascade pace nothing approved ladders here yet"),
        "{production}"
    );

    let sync = words(&kevin.get("/kartel/sync?as_of=2026-11-21").await.body);
    assert!(sync.contains("Company KPIs [~] slightly off 84%"), "{sync}");
    assert!(sync.contains("Whole plan [~] slightly off 88%"), "{sync}");
    assert!(sync.contains("#3 Talent Engine [-] off pace 45%"), "{sync}");
    assert!(sync.contains("4 WhyGOs: [~] slightly off 92%"), "{sync}");

    let json: serde_json::Value =
        serde_json::from_str(&kevin.get("/kartel/report.json?as_of=2026-11-21").await.body)
            .expect("json");
    assert_eq!(json["whole_plan"]["status"], "~");
    let talent = json["whygos"]
        .as_array()
        .expect("whygos")
        .iter()
        .find(|w| w["key"] == "company-3")
        .expect("company-3");
    assert_eq!(talent["status"], "-");
    assert_eq!(talent["cascade"]["status"], "~");
    assert_eq!(talent["cascade"]["whygos"], 4);
}

/// One clock: every page without `?as_of=` reads the server's "today",
/// which tests pin, so any date replays the same way everywhere.
#[tokio::test]
async fn every_page_without_a_date_reads_the_one_clock() {
    let db = demo_db().await;
    let mut settings = whygo::http::Settings::new(std::path::PathBuf::from("static"));
    settings.today = NaiveDate::from_ymd_opt(2026, 4, 3);
    let mut kevin = Client::new(whygo::http::app(db.app_pool.clone(), settings));
    kevin
        .login("kevin@kartel.example", crate::common::DEMO_PASSWORD)
        .await;
    for path in [
        "/kartel",
        "/kartel/sync",
        "/kartel/departments/sales",
        "/kartel/people/ben",
        "/kartel/whygos/company-1",
        "/kartel/alignment",
        "/kartel/cascade",
    ] {
        let page = kevin.get(path).await;
        assert_eq!(page.status, StatusCode::OK, "{path}");
        assert!(
            page.body.contains("Friday 3 April 2026") || page.body.contains("value=\"2026-04-03\""),
            "{path} reads the pinned day"
        );
    }
    let json: serde_json::Value =
        serde_json::from_str(&kevin.get("/kartel/report.json").await.body).expect("json");
    assert_eq!(json["as_of"], "2026-04-03");
    assert_eq!(json["quarter"], 2);
}

/// The sync's "New actuals" run newest first by date, not by the text of the
/// date ("Mon 16 Nov" sorts after "Fri 20 Nov" as text).
#[tokio::test]
async fn the_syncs_new_actuals_run_newest_first() {
    let db = demo_db().await;
    for (day, value) in [("2026-11-16", "8"), ("2026-11-20", "9")] {
        let mut wayan = crate::common::signed_in_on(&db, "wayan", day).await;
        wayan.get("/kartel/checkin").await.expect_status(200);
        wayan
            .post("/kartel/checkin", &[("value-4-prod-case-studies", value)])
            .await
            .expect_status(303);
    }
    let mut kevin = signed_in(&db, "kevin").await;
    let sync = kevin.get("/kartel/sync?as_of=2026-11-21").await;
    sync.expect_status(200);
    let table = sync
        .body
        .split("<h3>New actuals</h3>")
        .nth(1)
        .expect("the new actuals");
    // (date, outcome) of each row; the demo has entries of its own.
    let rows: Vec<(&str, &str)> = table
        .split("<tr><td>")
        .skip(1)
        .filter_map(|row| {
            let (date, rest) = row.split_once("</td>")?;
            let name = rest.split_once('>')?.1.split('<').next()?;
            Some((date, name))
        })
        .collect();
    let ours = |day: &str| {
        rows.iter()
            .position(|r| *r == (day, "Case study packages delivered"))
    };
    let fri = ours("Fri 20 Nov").expect("Friday's entry");
    let mon = ours("Mon 16 Nov").expect("Monday's entry");
    assert!(fri < mon, "{rows:?}");
}

#[tokio::test]
async fn the_sync_lists_the_first_fifty_late_dependencies_and_says_how_many_more() {
    let db = demo_db().await;
    let before = signed_in(&db, "kevin")
        .await
        .get("/kartel/sync?as_of=2026-11-21")
        .await;
    before.expect_status(200);
    let listed = |body: &str| {
        body.split("id=\"sync-late-dependencies\"")
            .nth(1)
            .and_then(|s| s.split("</section>").next())
            .map_or(0, |s| s.matches("<tr").count().saturating_sub(1))
    };
    let already = listed(&before.body);
    // Sixty more, due at the end of Q3 and open: late on 21 November.
    sqlx::query(
        "insert into dependencies (tenant_id, id, from_department_id, on_department_id, need, due)
         select t.id, gen_random_uuid(), f.id, o.id, 'Extra need ' || i, 'End of Q3'
         from tenants t
         join departments f on f.tenant_id = t.id and f.key = 'production'
         join departments o on o.tenant_id = t.id and o.key = 'sales',
         generate_series(1, 60) i
         where t.slug = 'kartel'",
    )
    .execute(&db.pool)
    .await
    .expect("dependencies");
    let page = signed_in(&db, "kevin")
        .await
        .get("/kartel/sync?as_of=2026-11-21")
        .await;
    page.expect_status(200);
    assert_eq!(listed(&page.body), 50, "the first fifty");
    assert!(
        page.body
            .contains(&format!("The first 50; {} more are late.", already + 10)),
        "{}",
        page.body
    );
}

/// The first screen's cascade figure counts as the cascade page does: the
/// people (heads and signers apart) with an approved individual WhyGO.
#[tokio::test]
async fn the_dashboard_shows_how_far_the_cascade_has_got() {
    let db = demo_db().await;
    let mut kevin = signed_in(&db, "kevin").await;
    let tile = |body: &str| {
        let text = words(body);
        text.split(" people have an approved individual WhyGO")
            .next()
            .filter(|s| s.len() < text.len())
            .and_then(|s| s.rsplit("Cascade ").next())
            .map_or_else(|| panic!("a cascade figure: {text}"), str::to_owned)
    };
    let before = tile(&kevin.get("/kartel?as_of=2026-11-21").await.body);
    assert_eq!(
        before, "0% 0 of 14",
        "Trent's WhyGO waits, Brandon's is a draft"
    );

    // Trent's WhyGO approved: one of the fourteen.
    let n = sqlx::query(
        "update whygos set status = 'approved'
         where key = 'trent-1' and tenant_id = (select id from tenants where slug = 'kartel')",
    )
    .execute(&db.pool)
    .await
    .expect("approve")
    .rows_affected();
    assert_eq!(n, 1);
    let after = tile(&kevin.get("/kartel?as_of=2026-11-21").await.body);
    assert_eq!(after, "7% 1 of 14");
    let cascade = words(&kevin.get("/kartel/cascade?as_of=2026-11-21").await.body);
    assert!(
        cascade.contains("1 of 14"),
        "the cascade page agrees: {cascade}"
    );
}

/// Every block of the stylesheet closes where it should: an `@media print {`
/// once never closed made the 54 rules after it apply only on paper.
#[test]
fn every_block_of_the_stylesheet_is_closed() {
    let css = std::fs::read_to_string("static/app.css").expect("static/app.css");
    // Comments out (they may hold braces); no string in it holds one.
    let mut text = String::new();
    let mut rest = css.as_str();
    while let Some(start) = rest.find("/*") {
        text.push_str(&rest[..start]);
        let end = rest[start..].find("*/").expect("a comment closed") + start + 2;
        rest = &rest[end..];
    }
    text.push_str(rest);
    let mut depth = 0i32;
    let mut opened_at = Vec::new();
    for (line, l) in text.lines().enumerate() {
        for c in l.chars() {
            match c {
                '{' => {
                    depth += 1;
                    opened_at.push(line + 1);
                }
                '}' => {
                    depth -= 1;
                    opened_at.pop();
                    assert!(depth >= 0, "a `}}` closes nothing (line {})", line + 1);
                }
                _ => {}
            }
        }
        // Only @media and @supports blocks nest; a rule inside a rule would
        // mean a brace is missing.
        assert!(
            depth <= 2,
            "blocks nested three deep at line {}: a `}}` is missing",
            line + 1
        );
    }
    assert_eq!(
        depth, 0,
        "blocks opened at lines {opened_at:?} (without comments) never close"
    );
    // The print rules are for paper only, and there are screen rules after them.
    let print = text.find("@media print").expect("print rules");
    assert!(
        text[print..].matches('}').count() > 2,
        "the print block is the stylesheet's end"
    );
}
