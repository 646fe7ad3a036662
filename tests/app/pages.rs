//! Every dashboard page, for each role, on the demo: content, statuses, the
//! explanations in words, visibility of individual WhyGOs, and a query count
//! that does not grow with the organization.

use chrono::NaiveDate;
use tracing_subscriber::layer::SubscriberExt as _;

use crate::common::{TestDb, demo_db, signed_in};

const AS_OF: &str = "2026-11-21";
const ROLES: [&str; 4] = ["kevin", "wayan", "trent", "zac"];

/// What askama makes of text in HTML.
fn html(s: &str) -> String {
    s.replace('&', "&#38;")
        .replace('<', "&#60;")
        .replace('>', "&#62;")
        .replace('"', "&#34;")
        .replace('\'', "&#39;")
}

async fn report(db: &TestDb) -> (whygo::domain::plan::Plan, whygo::domain::report::Report) {
    let as_of = NaiveDate::parse_from_str(AS_OF, "%Y-%m-%d").expect("date");
    let tenant = whygo::db::plan::tenant_by_slug(&db.app_pool, "kartel")
        .await
        .expect("query")
        .expect("kartel");
    let plan = whygo::db::plan::load(&db.app_pool, &tenant, as_of)
        .await
        .expect("plan");
    let r = whygo::domain::report::build(&plan, as_of);
    (plan, r)
}

#[tokio::test]
async fn every_page_renders_for_every_role_with_the_demos_content() {
    let db = demo_db().await;
    let (_, r) = report(&db).await;
    for who in ROLES {
        let mut c = signed_in(&db, who).await;
        let pages = [
            (
                format!("/kartel?as_of={AS_OF}"),
                vec![
                    "Company KPIs",
                    "Outcomes off pace",
                    "Departments",
                    "Escalations",
                ],
            ),
            (
                format!("/kartel/sync?as_of={AS_OF}"),
                vec![
                    "weekly leadership sync",
                    "What changed since Saturday 14 November",
                    "Missing check-ins",
                ],
            ),
            (
                format!("/kartel/departments/production?as_of={AS_OF}"),
                vec![
                    "Scale Through Disciplined Handoffs",
                    "Veronica Diaz",
                    "What Production needs from others",
                    "Sign-offs:",
                ],
            ),
            (
                format!("/kartel/people/wayan?as_of={AS_OF}"),
                vec![
                    "SVP, Head of Production",
                    "Luke Peterson",
                    "Veronica Diaz",
                    "Active client engagements",
                    "6-8",
                ],
            ),
            (
                format!("/kartel/whygos/production-1?as_of={AS_OF}"),
                vec![
                    "Why",
                    "Goal",
                    "Ladders up to",
                    "How the status is worked out",
                    "History of actuals",
                    "<svg",
                ],
            ),
            (
                format!("/kartel/alignment?as_of={AS_OF}"),
                vec![
                    "Product-Market Fit Across Verticals",
                    "Company WhyGOs nothing ladders to",
                ],
            ),
            (
                format!("/kartel/org?as_of={AS_OF}"),
                vec![
                    "Org chart",
                    "Kevin Reilly",
                    "Wayan Palmieri",
                    "4 people beneath",
                    "Show the 3 direct reports of Wayan Palmieri",
                ],
            ),
            // Opened down to Noah, who reports to Veronica.
            (
                format!("/kartel/org?as_of={AS_OF}&open=veronica"),
                vec!["Org chart", "Kevin Reilly", "Veronica Diaz", "Noah Shields"],
            ),
        ];
        for (path, texts) in pages {
            let page = c.get(&path).await;
            page.expect_status(200);
            for t in texts {
                assert!(page.body.contains(t), "{who} on {path}: missing {t:?}");
            }
            for chip in ["[+]", "[~]", "[-]"] {
                assert!(
                    page.body.contains(chip),
                    "{who} on {path}: statuses are shown as text ({chip})"
                );
            }
            assert!(
                page.body.contains("Q4 FY2026"),
                "{who} on {path}: the quarter is in the navigation"
            );
        }
        // The sync lists exactly the report's escalations.
        let sync = c.get(&format!("/kartel/sync?as_of={AS_OF}")).await;
        for a in &r.escalations {
            assert!(
                sync.body.contains(&html(&a.outcome_name)),
                "{who}: escalation {}",
                a.outcome_name
            );
        }
    }
}

#[tokio::test]
async fn each_explanation_on_a_whygo_page_is_the_pacing_modules() {
    let db = demo_db().await;
    let (plan, _) = report(&db).await;
    let as_of = NaiveDate::parse_from_str(AS_OF, "%Y-%m-%d").expect("date");
    let fy = plan.tenant.fiscal_year();
    let mut c = signed_in(&db, "kevin").await;
    let (mut checked, mut computed) = (0, 0);
    for w in plan
        .whygos
        .iter()
        .filter(|w| w.level != whygo::domain::plan::Level::Individual)
    {
        let page = c
            .get(&format!("/kartel/whygos/{}?as_of={AS_OF}", w.key))
            .await;
        page.expect_status(200);
        for o in &w.outcomes {
            let eval = whygo::domain::pacing::evaluate(
                &o.spec(),
                &o.entries(),
                &fy,
                as_of,
                &plan.tenant.rules(),
            );
            for q in eval.quarters.iter().filter(|q| q.judged) {
                // A computed outcome's quarter says first how its value was
                // reached, then (once it has one) pacing's explanation.
                let line = match o.explanation(q.quarter) {
                    Some(note) => {
                        computed += 1;
                        let records = if note.link.is_empty() {
                            String::new()
                        } else {
                            format!(
                                " (<a href=\"{}\">see the records</a>)",
                                html(&format!("/kartel{}", note.link))
                            )
                        };
                        let pacing = if q.status == whygo::domain::pacing::Status::Missing {
                            String::new()
                        } else {
                            format!(" {}", html(&q.explanation))
                        };
                        format!(
                            "<strong>{}:</strong> Computed: {}{records}.{pacing}</li>",
                            q.quarter,
                            html(&note.sentence)
                        )
                    }
                    None => format!("<strong>{}:</strong> {}", q.quarter, html(&q.explanation)),
                };
                assert!(page.body.contains(&line), "{} {}: {line}", w.key, o.key);
                checked += 1;
            }
        }
    }
    assert!(checked > 200, "checked {checked} explanations");
    assert!(
        computed > 20,
        "checked {computed} computed outcomes' quarters"
    );
}

#[tokio::test]
async fn an_example_explanation_reads_as_the_design_says() {
    let db = demo_db().await;
    let mut c = signed_in(&db, "kevin").await;
    let page = c
        .get(&format!("/kartel/whygos/production-1?as_of={AS_OF}"))
        .await;
    assert!(
        page.body.contains("expected 18.3 by Nov 21 (straight line from the Q3 target 16 on Sep 30 to the Q4 target 20 on Dec 31); actual 17 = 93% -&#62; [~]"),
        "{}",
        page.body
    );
    // The design's own example: the CEO's "$7M by EOY", written `—, —, —, $7M`.
    let page = c
        .get(&format!("/kartel/whygos/company-1?as_of={AS_OF}"))
        .await;
    assert!(
        page.body.contains("expected $6.2M by Nov 21 (straight line from $0 on Jan 1 to the Q4 target $7M on Dec 31); actual $5.9M = 95% -&#62; [~]"),
        "{}",
        page.body
    );
}

#[tokio::test]
async fn individual_whygos_are_seen_by_the_person_leaders_and_admins_only() {
    let db = demo_db().await;
    let path = format!("/kartel/whygos/trent-1?as_of={AS_OF}");
    // The alignment tree lists it under generative-1 once that is opened.
    let opened = format!("/kartel/alignment?as_of={AS_OF}&open=generative-1");
    for who in ["trent", "kevin", "zac"] {
        let mut c = signed_in(&db, who).await;
        let page = c.get(&path).await;
        page.expect_status(200);
        assert!(page.body.contains("Individual WhyGO"), "{who}");
        let tree = c.get(&opened).await;
        tree.expect_status(200);
        assert!(
            tree.body
                .contains("Workflow Engineer Playbook and Batch Tooling"),
            "{who}"
        );
    }
    // Wayan is not in Trent's reporting chain and only a member.
    let mut wayan = signed_in(&db, "wayan").await;
    let page = wayan.get(&path).await;
    page.expect_status(404);
    let person = wayan
        .get(&format!("/kartel/people/trent?as_of={AS_OF}"))
        .await;
    person.expect_status(200);
    assert!(
        person
            .body
            .contains("Individual WhyGOs are visible to the person")
    );
    assert!(
        !person
            .body
            .contains("Workflow Engineer Playbook and Batch Tooling")
    );
    for tree in [format!("/kartel/alignment?as_of={AS_OF}"), opened] {
        let tree = wayan.get(&tree).await;
        tree.expect_status(200);
        assert!(
            !tree
                .body
                .contains("Workflow Engineer Playbook and Batch Tooling")
        );
    }

    // When the organization opens individual WhyGOs to everyone, Wayan sees it.
    sqlx::query("update tenants set individuals_visible_to_all = true where slug = 'kartel'")
        .execute(&db.pool)
        .await
        .expect("setting");
    wayan.get(&path).await.expect_status(200);
}

#[tokio::test]
async fn unknown_keys_are_not_found() {
    let db = demo_db().await;
    let mut c = signed_in(&db, "kevin").await;
    for path in [
        "/kartel/whygos/nope",
        "/kartel/departments/nope",
        "/kartel/people/nope",
    ] {
        c.get(path).await.expect_status(404);
    }
}

#[tokio::test]
async fn a_quarter_can_be_chosen_and_a_bad_one_is_explained() {
    let db = demo_db().await;
    let mut c = signed_in(&db, "kevin").await;
    let q2 = c.get(&format!("/kartel?as_of={AS_OF}&quarter=2")).await;
    q2.expect_status(200);
    assert!(q2.body.contains("Q2 FY2026"));
    assert!(q2.body.contains("<option value=\"2\" selected>"));
    let bad = c.get(&format!("/kartel?as_of={AS_OF}&quarter=9")).await;
    bad.expect_status(200);
    assert!(bad.body.contains("is not a quarter: choose Q1 to Q4."));
}

thread_local! {
    /// SQL statements sqlx ran on this thread. Each test runs on its own
    /// current-thread runtime, so a test's count is its own.
    static STATEMENTS: std::cell::Cell<usize> = const { std::cell::Cell::new(0) };
}

/// Counts sqlx's statement events into the thread's counter. Installed once,
/// globally: scoped subscribers race with tracing's callsite caches.
struct CountQueries;

/// The statement text of a sqlx query event.
#[derive(Default)]
struct Statement(String);

impl tracing::field::Visit for Statement {
    fn record_str(&mut self, field: &tracing::field::Field, value: &str) {
        if field.name() == "db.statement" || field.name() == "summary" {
            self.0.push_str(value);
        }
    }

    fn record_debug(&mut self, field: &tracing::field::Field, value: &dyn std::fmt::Debug) {
        if field.name() == "db.statement" || field.name() == "summary" {
            use std::fmt::Write as _;
            // Writing to a String cannot fail.
            let _ = write!(self.0, "{value:?}");
        }
    }
}

impl<S: tracing::Subscriber> tracing_subscriber::Layer<S> for CountQueries {
    fn on_event(&self, event: &tracing::Event<'_>, _: tracing_subscriber::layer::Context<'_, S>) {
        if event.metadata().target() != "sqlx::query" {
            return;
        }
        let mut statement = Statement::default();
        event.record(&mut statement);
        // Opening a pooled connection runs `set role`: the pool's business,
        // not the page's.
        if !statement.0.contains("set role") {
            STATEMENTS.with(|c| c.set(c.get() + 1));
        }
    }
}

static COUNTING: std::sync::Once = std::sync::Once::new();

/// The statements one GET of `path` by `c` sends, and the page.
pub async fn statements_of(c: &mut crate::common::Client, path: &str) -> (usize, String) {
    count_statements();
    STATEMENTS.with(|n| n.set(0));
    let res = c.get(path).await;
    res.expect_status(200);
    (STATEMENTS.with(std::cell::Cell::get), res.body.clone())
}

fn count_statements() {
    COUNTING.call_once(|| {
        let _ = tracing::subscriber::set_global_default(
            tracing_subscriber::registry().with(CountQueries),
        );
    });
}

pub async fn queries_per_page(db: &TestDb, paths: &[&str]) -> Vec<usize> {
    queries_per_page_as(db, "kevin", paths).await
}

/// The statements of each page, requested in order by `who`.
pub async fn queries_per_page_as(db: &TestDb, who: &str, paths: &[&str]) -> Vec<usize> {
    count_statements();
    let mut c = signed_in(db, who).await;
    let mut counts = Vec::new();
    for path in paths {
        STATEMENTS.with(|n| n.set(0));
        c.get(path).await.expect_status(200);
        counts.push(STATEMENTS.with(std::cell::Cell::get));
    }
    counts
}

#[tokio::test]
async fn a_page_costs_the_same_few_queries_whatever_the_size_of_the_organization() {
    let paths = [
        "/kartel?as_of=2026-11-21",
        "/kartel/sync?as_of=2026-11-21",
        "/kartel/escalations?as_of=2026-11-21&department=production",
        "/kartel/departments/production?as_of=2026-11-21",
        "/kartel/people/wayan?as_of=2026-11-21",
        "/kartel/whygos/production-1?as_of=2026-11-21",
        "/kartel/alignment?as_of=2026-11-21",
        "/kartel/alignment?as_of=2026-11-21&open=production-1",
        "/kartel/org?as_of=2026-11-21&open=veronica",
        "/kartel/cascade?as_of=2026-11-21",
        "/kartel/cascade?as_of=2026-11-21&department=production",
        "/kartel/approvals",
        "/kartel/org?as_of=2026-11-21",
        "/kartel/report.json?as_of=2026-11-21",
    ];
    let small = demo_db().await;
    let before = queries_per_page(&small, &paths).await;

    // The same organization with 300 more people, department WhyGOs,
    // outcomes and actuals.
    let big = demo_db().await;
    sqlx::query(
        "with t as (select id from tenants where slug = 'kartel'),
              d as (select id from departments where key = 'production'),
              c as (select id from cycles limit 1)
         insert into people (tenant_id, id, key, name, title, department_id, reports_to_id)
         select t.id, gen_random_uuid(), 'extra' || i, 'Extra Person ' || i, 'Producer', d.id,
                (select id from people where key = 'wayan')
         from t, d, generate_series(1, 300) i",
    )
    .execute(&big.pool)
    .await
    .expect("people");
    sqlx::query(
        "insert into whygos (tenant_id, id, cycle_id, key, level, department_id, owner_id, number, title, status)
         select p.tenant_id, gen_random_uuid(), (select id from cycles limit 1), 'w-' || p.key, 'department',
                p.department_id, p.id, 100, 'Extra WhyGO of ' || p.name, 'approved'
         from people p where p.key like 'extra%'",
    )
    .execute(&big.pool)
    .await
    .expect("whygos");
    sqlx::query(
        "insert into outcomes (tenant_id, id, whygo_id, key, name, targets)
         select w.tenant_id, gen_random_uuid(), w.id, 'o-' || w.key, 'Extra outcome', array['2', '4', '6', '8']
         from whygos w where w.key like 'w-extra%'",
    )
    .execute(&big.pool)
    .await
    .expect("outcomes");
    sqlx::query(
        "insert into actuals (tenant_id, id, outcome_id, quarter, value, entered_on)
         select o.tenant_id, gen_random_uuid(), o.id, q, (q * 2)::text, make_date(2026, q * 3, 20)
         from outcomes o, generate_series(1, 3) q where o.key like 'o-w-extra%'",
    )
    .execute(&big.pool)
    .await
    .expect("actuals");
    let after = queries_per_page(&big, &paths).await;

    assert_eq!(
        before, after,
        "queries per page, small vs large organization ({paths:?})"
    );
    // Statements, counting BEGIN, COMMIT and the per-transaction tenant
    // setting: the session, the membership, the plan (one query per table),
    // at most two extra reads, and one more transaction for the dated
    // commitments (deliverables; late and overdue lists; the sync's handoffs).
    // The org chart and report.json come after the alignment tree, which
    // read the whole plan of that date: theirs comes from the plan cache, so
    // they cost the one statement that reads the session, the membership
    // and the data version; so do the escalations list, after the
    // dashboard of the same date, and the tree and chart with a node open.
    // The cascade (from the same cached plan) reads the signers besides,
    // and the approvals read only what waits for the viewer, in one
    // transaction. The first page (the dashboard) also reads what waits
    // for the viewer for the navigation's count (one statement,
    // `whygo_waiting`), kept for every later page until the plan's
    // structure changes (src/http/nav.rs).
    for (path, n) in paths.iter().zip(&before) {
        let fewest = if path.contains("/org?")
            || path.contains("&open=")
            || path.contains("/cascade")
            || path.contains("/report.json")
            || path.contains("/escalations")
        {
            1
        } else {
            5
        };
        assert!((fewest..=25).contains(n), "{path} costs {n} statements");
    }
    // Asked again, every page is the rendered page: that one statement.
    let twice: Vec<&str> = paths.iter().chain(&paths).copied().collect();
    let counts = queries_per_page(&big, &twice).await;
    assert_eq!(
        counts[..paths.len()],
        after[..],
        "the first round as before"
    );
    assert!(
        counts[paths.len()..].iter().all(|n| *n == 1),
        "the pages again, from the page cache: {counts:?}"
    );
    assert_eq!(
        before[paths.len() - 2],
        before[paths.len() - 1],
        "org chart and report.json: {before:?}"
    );
}

/// The navigation marks the page's own section, once: a person sees where
/// they are (the review found no current-page mark at all).
#[tokio::test]
async fn the_navigation_marks_the_current_section_and_only_it() {
    let db = demo_db().await;
    let mut zac = signed_in(&db, "zac").await;
    for (path, marked) in [
        ("/kartel", "/kartel"),
        ("/kartel/sync", "/kartel/sync"),
        ("/kartel/alignment", "/kartel/alignment"),
        ("/kartel/org", "/kartel/org"),
        ("/kartel/cascade", "/kartel/cascade"),
        ("/kartel/engagements", "/kartel/engagements"),
        ("/kartel/engagements/handoffs", "/kartel/engagements"),
        ("/kartel/dependencies", "/kartel/dependencies"),
        ("/kartel/checkin", "/kartel/checkin"),
        ("/kartel/approvals", "/kartel/approvals"),
        ("/kartel/people/zac", "/kartel/people/zac"),
        ("/kartel/admin/members", "/kartel/admin"),
    ] {
        let page = zac.get(path).await;
        assert_eq!(page.status.as_u16(), 200, "{path}");
        let nav_start = page.body.find("<nav").expect("a navigation");
        let nav = &page.body
            [nav_start..nav_start + page.body[nav_start..].find("</nav>").expect("closed")];
        let current: Vec<&str> = nav
            .split("<a ")
            .skip(1)
            .filter(|a| a.contains("aria-current=\"page\""))
            .filter_map(|a| a.split('"').nth(1))
            .collect();
        assert_eq!(
            current,
            [marked],
            "{path}: the links marked current: {current:?}"
        );
    }
}

/// Removing a member takes two steps, and the second names who goes: the
/// review found "Remove from Kartel AI" acting on one click.
#[tokio::test]
async fn removing_a_member_asks_first_and_names_who_is_removed() {
    let db = demo_db().await;
    let page = signed_in(&db, "zac")
        .await
        .get("/kartel/admin/members")
        .await;
    assert_eq!(page.status.as_u16(), 200);
    let removes: Vec<&str> = page
        .body
        .split("<details class=\"confirm\"")
        .skip(1)
        .collect();
    assert!(
        removes.len() >= 5,
        "one confirmation per member: {}",
        removes.len()
    );
    for r in &removes {
        let block = &r[..r.find("</details>").expect("closed")];
        let button = block
            .split("<button type=\"submit\" class=\"danger\"")
            .nth(1)
            .expect("a danger button inside the confirmation");
        let words = &button
            [button.find('>').expect("a tag") + 1..button.find("</button>").expect("closed")];
        assert!(
            words.starts_with("Remove ")
                && words.contains('@')
                && words.ends_with("from Kartel AI"),
            "the button names the member: {words}"
        );
    }
    // No form posting to a remove address outside a confirmation.
    let outside = page
        .body
        .split("<details class=\"confirm\"")
        .map(|part| {
            part.split_once("</details>")
                .map_or(part, |(_, after)| after)
        })
        .filter(|part| part.contains("/remove\""))
        .count();
    assert_eq!(outside, 0, "a remove form outside its confirmation");
}
