//! Issue 14, parts 4 and 5: downloads for people (CSV of outcome tables and
//! the audit log, the weekly report as markdown) and operations (request
//! ids, `/metrics`).

use std::process::Command;

use crate::common::{Client, DEMO_PASSWORD, Response, TODAY, app, demo_db, signed_in};

fn csv_rows(res: &Response) -> Vec<Vec<String>> {
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .from_reader(res.body.as_bytes());
    reader
        .records()
        .map(|r| r.expect("a CSV record").iter().map(str::to_owned).collect())
        .collect()
}

fn expect_download(res: &Response, content_type: &str, filename_part: &str) {
    res.expect_status(200);
    assert_eq!(res.headers["content-type"], content_type);
    let disposition = res.headers["content-disposition"]
        .to_str()
        .expect("ASCII disposition");
    assert!(
        disposition.starts_with("attachment; filename=\"") && disposition.contains(filename_part),
        "{disposition}"
    );
}

/// The outcome names of the dashboard's "Company WhyGOs" tables, in order.
fn company_outcome_names(html: &str) -> Vec<String> {
    let section = html
        .split("<h2 id=\"company-whygos\">")
        .nth(1)
        .expect("the company WhyGOs section");
    section
        .split("<th scope=\"row\">")
        .skip(1)
        .filter_map(|s| s.split("</th>").next())
        .map(|s| {
            s.replace("&amp;", "&")
                .replace("&#39;", "'")
                .replace("&quot;", "\"")
        })
        .collect()
}

#[tokio::test]
async fn the_dashboard_csv_has_the_rows_of_the_dashboards_outcome_tables() {
    let db = demo_db().await;
    let mut kevin = signed_in(&db, "kevin").await;
    let page = kevin.get("/kartel?as_of=2026-11-21").await;
    page.expect_status(200);
    assert!(
        page.body
            .contains("href=\"/kartel/outcomes.csv?as_of=2026-11-21\" download>Download CSV"),
        "a download link beside the table"
    );
    let names = company_outcome_names(&page.body);
    assert!(names.len() >= 4, "{names:?}");

    let res = kevin.get("/kartel/outcomes.csv?as_of=2026-11-21").await;
    expect_download(
        &res,
        "text/csv; charset=utf-8",
        "kartel-company-outcomes-2026-11-21.csv",
    );
    let rows = csv_rows(&res);
    assert_eq!(rows[0][..3], ["WhyGO", "Outcome", "Owner"]);
    assert_eq!(rows[0].len(), 15, "{:?}", rows[0]);
    let csv_names: Vec<String> = rows[1..].iter().map(|r| r[1].clone()).collect();
    assert_eq!(csv_names, names, "the CSV's outcomes are the page's");
    // Statuses are words, as the chips' labels; a quarter ahead has none.
    assert!(
        rows[1..]
            .iter()
            .any(|r| r[14] == "on pace" || r[14] == "slightly off pace" || r[14] == "off pace"),
        "{rows:?}"
    );
    assert!(rows[1..].iter().all(|r| r.len() == 15));
}

/// The outcome names of the `<table class="outcomes">` tables between
/// `from` and `to` in `html`, in order.
fn outcome_table_names(html: &str, from: &str, to: &str) -> Vec<String> {
    let section = html.split(from).nth(1).expect("the section");
    let section = section.split(to).next().unwrap_or(section);
    section
        .split("<table class=\"outcomes\">")
        .skip(1)
        .flat_map(|t| {
            let t = t.split("</table>").next().unwrap_or(t);
            t.split("<th scope=\"row\">")
                .skip(1)
                .filter_map(|s| s.split("</th>").next())
                .map(|s| {
                    s.replace("&amp;", "&")
                        .replace("&#38;", "&")
                        .replace("&#39;", "'")
                })
                .collect::<Vec<_>>()
        })
        .collect()
}

#[tokio::test]
async fn a_departments_csv_has_the_outcomes_of_its_pages_tables() {
    let db = demo_db().await;
    let mut wayan = signed_in(&db, "wayan").await;
    let page = wayan.get("/kartel/departments/production").await;
    page.expect_status(200);
    assert!(
        page.body
            .contains("href=\"/kartel/departments/production/outcomes.csv?as_of=2026-11-21\" download>Download CSV")
    );
    let names = outcome_table_names(&page.body, "<h2 id=\"whygos\">", "<h2 id=\"people\">");
    assert!(!names.is_empty());
    let res = wayan
        .get("/kartel/departments/production/outcomes.csv")
        .await;
    expect_download(
        &res,
        "text/csv; charset=utf-8",
        "kartel-production-outcomes-2026-11-21.csv",
    );
    let rows = csv_rows(&res);
    let csv_names: Vec<String> = rows[1..].iter().map(|r| r[1].clone()).collect();
    assert_eq!(csv_names, names);
    wayan
        .get("/kartel/departments/no-such-department/outcomes.csv")
        .await
        .expect_status(404);
}

#[tokio::test]
async fn a_whygos_csvs_have_its_quarters_and_its_history_of_actuals() {
    let db = demo_db().await;
    let mut kevin = signed_in(&db, "kevin").await;
    let page = kevin.get("/kartel/whygos/company-1").await;
    page.expect_status(200);
    assert!(
        page.body
            .contains("href=\"/kartel/whygos/company-1/history.csv?as_of=2026-11-21\" download>")
    );
    let outcomes = page.body.matches("<table class=\"quarters\">").count();
    let history: usize = page
        .body
        .split("<table class=\"history\">")
        .skip(1)
        .map(|t| {
            t.split("</table>")
                .next()
                .unwrap_or_default()
                .matches("<tr><td>")
                .count()
        })
        .sum();
    assert!(outcomes > 0 && history > 0, "{outcomes} {history}");

    let res = kevin.get("/kartel/whygos/company-1/outcomes.csv").await;
    expect_download(
        &res,
        "text/csv; charset=utf-8",
        "kartel-company-1-outcomes-2026-11-21.csv",
    );
    let rows = csv_rows(&res);
    assert_eq!(rows.len() - 1, outcomes * 4, "four quarters an outcome");

    let res = kevin.get("/kartel/whygos/company-1/history.csv").await;
    expect_download(
        &res,
        "text/csv; charset=utf-8",
        "kartel-company-1-history-2026-11-21.csv",
    );
    let rows = csv_rows(&res);
    assert_eq!(
        rows[0],
        [
            "Outcome", "Quarter", "Value", "Date", "By", "Note", "Counts"
        ]
    );
    assert_eq!(rows.len() - 1, history, "one row per actual on the page");

    // Brandon's individual WhyGO is hidden from Trent (a peer): here as on
    // its page.
    let mut trent = signed_in(&db, "trent").await;
    for path in [
        "/kartel/whygos/brandon-1",
        "/kartel/whygos/brandon-1/outcomes.csv",
        "/kartel/whygos/brandon-1/history.csv",
    ] {
        trent.get(path).await.expect_status(404);
    }
}

#[tokio::test]
async fn csv_cells_are_quoted_and_text_a_spreadsheet_would_run_is_guarded() {
    let db = demo_db().await;
    sqlx::query(
        "update outcomes set name = '=HYPERLINK(\"http://evil.example\",\"x\"), \"quoted\"' \
         where id = (select o.id from outcomes o join whygos w on w.id = o.whygo_id \
         where w.key = 'company-1' order by o.position limit 1)",
    )
    .execute(&db.pool)
    .await
    .expect("rename an outcome");
    let mut kevin = signed_in(&db, "kevin").await;
    let res = kevin.get("/kartel/outcomes.csv").await;
    res.expect_status(200);
    assert!(
        res.body
            .contains("\"'=HYPERLINK(\"\"http://evil.example\"\",\"\"x\"\"), \"\"quoted\"\"\""),
        "{}",
        res.body
    );
    let rows = csv_rows(&res);
    assert!(
        rows.iter()
            .any(|r| r[1] == "'=HYPERLINK(\"http://evil.example\",\"x\"), \"quoted\""),
        "{rows:?}"
    );
    assert!(
        !rows.iter().flatten().any(|c| c.starts_with('=')),
        "a cell starts with '='"
    );
}

#[tokio::test]
async fn the_audit_csv_is_the_audit_pages_entries_for_admins_only() {
    let db = demo_db().await;
    let mut zac = signed_in(&db, "zac").await;
    let page = zac.get("/kartel/admin/audit").await;
    page.expect_status(200);
    assert!(
        page.body
            .contains("href=\"/kartel/admin/audit.csv\" download>Download CSV")
    );
    let on_page = page.body.matches("<tr id=\"entry-").count();
    assert!(on_page > 0);

    let res = zac.get("/kartel/admin/audit.csv").await;
    expect_download(&res, "text/csv; charset=utf-8", "kartel-audit-");
    let rows = csv_rows(&res);
    assert_eq!(
        rows[0],
        ["Entry", "When", "Who", "Action", "Entity", "Key", "Changes"]
    );
    // The whole log, not the page: more entries than a page holds first.
    assert_eq!(on_page, 50, "the demo's log fills a page");
    let total: i64 = sqlx::query_scalar(
        "select count(*) from audit_log where tenant_id = (select id from tenants where slug = 'kartel')",
    )
    .fetch_one(&db.pool)
    .await
    .expect("count");
    assert!(total > 50, "the demo's log is longer than a page: {total}");
    assert_eq!(
        i64::try_from(rows.len() - 1).unwrap(),
        total,
        "one row per entry of the whole log"
    );
    let seqs: Vec<i64> = rows[1..].iter().map(|r| r[0].parse().unwrap()).collect();
    assert!(
        seqs.windows(2).all(|w| w[0] > w[1]),
        "newest first, each once"
    );
    let first_seq = &rows[1][0];
    assert!(
        page.body
            .contains(&format!("<tr id=\"entry-{first_seq}\">")),
        "the newest entry first, as the page"
    );

    // A member may not read the log, in either form.
    let mut trent = signed_in(&db, "trent").await;
    trent.get("/kartel/admin/audit").await.expect_status(403);
    trent
        .get("/kartel/admin/audit.csv")
        .await
        .expect_status(403);
}

#[tokio::test]
async fn another_organizations_downloads_answer_404() {
    let db = demo_db().await;
    crate::common::load_acme(&db).await;
    let mut kevin = signed_in(&db, "kevin").await;
    for path in [
        "/acme/outcomes.csv",
        "/acme/sync.md",
        "/acme/admin/audit.csv",
    ] {
        kevin.get(path).await.expect_status(404);
    }
    let mut visitor = Client::new(app(&db));
    let res = visitor.get("/kartel/outcomes.csv").await;
    assert_eq!(res.status.as_u16(), 303, "a visitor is sent to sign in");
}

#[tokio::test]
async fn the_sync_markdown_download_is_what_the_cli_prints_for_the_same_date() {
    let db = demo_db().await;
    let mut kevin = signed_in(&db, "kevin").await;
    let page = kevin.get(&format!("/kartel/sync?as_of={TODAY}")).await;
    page.expect_status(200);
    assert!(page.body.contains(&format!(
        "href=\"/kartel/sync.md?as_of={TODAY}\" download data-copy>Download markdown"
    )));
    assert!(
        page.body
            .contains("<script src=\"/static/copy.js\" defer></script>")
    );

    let res = kevin.get(&format!("/kartel/sync.md?as_of={TODAY}")).await;
    expect_download(
        &res,
        "text/markdown; charset=utf-8",
        "kartel-weekly-report-2026-11-21.md",
    );
    let out = Command::new(env!("CARGO_BIN_EXE_whygo"))
        .args([
            "report", "--tenant", "kartel", "--as-of", TODAY, "--format", "markdown",
        ])
        .env("DATABASE_URL", &db.url)
        .env("RUST_LOG", "warn")
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("run whygo");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let cli = String::from_utf8(out.stdout).expect("UTF-8");
    assert!(cli.starts_with("# Weekly WhyGO report: "), "{cli}");
    let differs = res
        .body
        .lines()
        .zip(cli.lines())
        .find(|(web, cli)| web != cli);
    assert_eq!(differs, None, "the first line that differs (web, CLI)");
    assert_eq!(res.body, cli, "the download is the CLI's text");
}

// ----- request ids -----

/// Everything logged while it is alive.
#[derive(Clone, Default)]
struct Captured(std::sync::Arc<std::sync::Mutex<Vec<u8>>>);

impl std::io::Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        if let Ok(mut v) = self.0.lock() {
            v.extend_from_slice(buf);
        }
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> tracing_subscriber::fmt::MakeWriter<'a> for Captured {
    type Writer = Captured;
    fn make_writer(&'a self) -> Captured {
        self.clone()
    }
}

#[tokio::test]
async fn every_answer_carries_a_request_id_that_error_pages_and_log_lines_quote() {
    let db = demo_db().await;
    let log = Captured::default();
    let subscriber = tracing_subscriber::fmt()
        .json()
        .with_max_level(tracing::Level::TRACE)
        .with_writer(log.clone())
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);

    let mut kevin = signed_in(&db, "kevin").await;
    let ok = kevin.get("/kartel").await;
    ok.expect_status(200);
    let id = ok.headers["x-request-id"]
        .to_str()
        .expect("ASCII")
        .to_owned();
    assert_eq!(id.len(), 36, "a UUID: {id}");

    let missing = kevin.get("/kartel/whygos/no-such-whygo").await;
    missing.expect_status(404);
    let id = missing.headers["x-request-id"]
        .to_str()
        .expect("ASCII")
        .to_owned();
    assert!(
        missing
            .body
            .contains(&format!("Reference: <code>{id}</code>")),
        "{}",
        missing.body
    );
    let text = String::from_utf8_lossy(&log.0.lock().expect("log").clone()).into_owned();
    assert!(
        text.lines()
            .any(|l| l.contains(&format!("\"request_id\":\"{id}\""))),
        "no log line names {id}:\n{text}"
    );

    // A JSON error names it too.
    kevin
        .headers
        .push(("accept".to_owned(), "application/json".to_owned()));
    let missing = kevin.get("/kartel/whygos/no-such-whygo").await;
    missing.expect_status(404);
    let body: serde_json::Value = serde_json::from_str(&missing.body).expect("JSON");
    assert_eq!(
        body["reference"].as_str(),
        missing.headers["x-request-id"].to_str().ok(),
        "{body}"
    );

    // A proxy's own id is kept; one that could forge log text is replaced.
    let mut c = Client::new(app(&db));
    c.headers
        .push(("x-request-id".to_owned(), "edge-42.a_b".to_owned()));
    let res = c.get("/login").await;
    assert_eq!(res.headers["x-request-id"], "edge-42.a_b");
    let mut c = Client::new(app(&db));
    c.headers
        .push(("x-request-id".to_owned(), "x\" forged=\"1".to_owned()));
    let res = c.get("/login").await;
    let id = res.headers["x-request-id"].to_str().expect("ASCII");
    assert_eq!(id.len(), 36, "replaced by a UUID: {id}");
}

// ----- /metrics -----

fn app_with_token(db: &crate::common::TestDb, token: &str) -> axum::Router {
    let mut settings = whygo::http::Settings::new(std::path::PathBuf::from("static"));
    settings.today = TODAY.parse().ok();
    settings.metrics_token = Some(whygo::http::metrics::MetricsToken(token.to_owned()));
    whygo::http::app(db.app_pool.clone(), settings)
}

#[tokio::test]
async fn metrics_are_off_without_a_token() {
    let db = demo_db().await;
    let mut c = Client::new(app(&db));
    c.headers
        .push(("authorization".to_owned(), "Bearer anything".to_owned()));
    c.get("/metrics").await.expect_status(404);
}

#[tokio::test]
async fn metrics_need_the_token_and_count_requests_by_route_not_path() {
    let db = demo_db().await;
    let router = app_with_token(&db, "s3cret-metrics-token");
    let mut kevin = Client::new(router.clone());
    kevin.login("kevin@kartel.example", DEMO_PASSWORD).await;
    kevin
        .get("/kartel/whygos/company-1")
        .await
        .expect_status(200);
    kevin.get("/kartel/sync").await.expect_status(200);

    let mut scraper = Client::new(router.clone());
    scraper.get("/metrics").await.expect_status(401);
    scraper
        .headers
        .push(("authorization".to_owned(), "Bearer wrong".to_owned()));
    let res = scraper.get("/metrics").await;
    res.expect_status(401);
    assert_eq!(res.headers["www-authenticate"], "Bearer");

    // A job waiting since a minute ago, and one that failed.
    let due = chrono::Utc::now() - chrono::Duration::seconds(60);
    whygo::jobs::enqueue(
        &db.app_pool,
        &whygo::jobs::NewJob::new(None, "email.send", serde_json::json!({})).at(due),
    )
    .await
    .unwrap();
    sqlx::query("insert into jobs (id, kind, run_at, state) values (gen_random_uuid(), 'webhook.deliver', now(), 'failed')")
        .execute(&db.pool)
        .await
        .unwrap();
    let mut scraper = Client::new(router);
    scraper.headers.push((
        "authorization".to_owned(),
        "Bearer s3cret-metrics-token".to_owned(),
    ));
    let res = scraper.get("/metrics").await;
    res.expect_status(200);
    assert!(
        res.headers["content-type"]
            .to_str()
            .is_ok_and(|t| t.starts_with("text/plain; version=0.0.4")),
        "{:?}",
        res.headers["content-type"]
    );
    let body = &res.body;
    assert!(
        body.contains(
            "whygo_http_requests_total{route=\"/{tenant}/whygos/{key}\",status=\"200\"} 1"
        ),
        "{body}"
    );
    assert!(
        body.contains("whygo_http_request_duration_seconds_bucket{route=\"/{tenant}/sync\""),
        "{body}"
    );
    assert!(!body.contains("company-1"), "a raw path became a label");
    assert!(body.contains("whygo_db_pool_connections "), "{body}");
    assert!(body.contains("whygo_db_pool_idle_connections "), "{body}");
    assert!(body.contains("whygo_report_build_seconds_count "), "{body}");
    let builds: u64 = body
        .lines()
        .find_map(|l| l.strip_prefix("whygo_report_build_seconds_count "))
        .and_then(|n| n.trim().parse().ok())
        .expect("a count of report builds");
    assert!(builds >= 1, "the pages built a report: {body}");
    assert!(
        body.contains("whygo_jobs{kind=\"email.send\",state=\"queued\"} 1"),
        "{body}"
    );
    assert!(
        body.contains("whygo_jobs{kind=\"webhook.deliver\",state=\"failed\"} 1"),
        "{body}"
    );
    let waited: f64 = body
        .lines()
        .find_map(|l| l.strip_prefix("whygo_jobs_oldest_due_seconds "))
        .and_then(|n| n.trim().parse().ok())
        .expect("the oldest due job's wait");
    assert!((59.0..600.0).contains(&waited), "{waited}");
}
