//! The command line as a user runs it: the real binary against a test database.

use std::process::{Command, Output};

use crate::common::TestDb;

fn whygo(db: &TestDb, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_whygo"))
        .args(args)
        .env("DATABASE_URL", &db.url)
        .env("RUST_LOG", "warn")
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("run whygo")
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

async fn tenants(db: &TestDb) -> i64 {
    sqlx::query_scalar("select count(*) from tenants")
        .fetch_one(&db.pool)
        .await
        .expect("count")
}

#[tokio::test]
async fn a_malformed_workbook_is_refused_with_its_line_and_nothing_is_written() {
    let db = TestDb::new().await;
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("broken.toml");
    // Valid start, then an unknown manager on line 12.
    std::fs::write(
        &file,
        "workbook = 1\n\n[organization]\nname = \"Acme\"\nslug = \"acme\"\nfiscal_year_start = \"2026-01-01\"\n\n[[person]]\nkey = \"ann\"\nname = \"Ann\"\ntitle = \"CEO\"\nreports_to = \"bob\"\n",
    )
    .expect("write");
    let out = whygo(&db, &["load", file.to_str().expect("utf-8 path")]);
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "stderr: {stderr}");
    assert!(
        stderr.contains("broken.toml:12:"),
        "names the file and line: {stderr}"
    );
    assert!(stderr.contains("bob"), "names what is wrong: {stderr}");
    assert!(stderr.contains("nothing was written"), "{stderr}");
    assert_eq!(tenants(&db).await, 0);

    // A TOML syntax error is reported the same way.
    std::fs::write(&file, "workbook = 1\n[organization\nname = \"x\"\n").expect("write");
    let out = whygo(&db, &["load", file.to_str().expect("utf-8 path")]);
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "stderr: {stderr}");
    assert!(stderr.contains("broken.toml:2:"), "{stderr}");
    assert_eq!(tenants(&db).await, 0);
}

#[tokio::test]
async fn load_then_report_prints_the_weekly_report_as_json_and_markdown() {
    let db = TestDb::new().await;
    let out = whygo(&db, &["load", "seeds/kartel-2026.toml"]);
    assert!(out.status.success(), "load failed: {}", text(&out.stderr));
    assert!(
        text(&out.stdout).contains("created"),
        "{}",
        text(&out.stdout)
    );

    let out = whygo(
        &db,
        &[
            "report",
            "--tenant",
            "kartel",
            "--as-of",
            "2026-11-21",
            "--format",
            "json",
        ],
    );
    assert!(out.status.success(), "report failed: {}", text(&out.stderr));
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
    assert_eq!(report["tenant"], "kartel");
    assert_eq!(report["as_of"], "2026-11-21");
    assert_eq!(report["quarter"], 4);
    assert!(report["company"]["credit"].is_number());
    let statuses: Vec<String> = report["whygos"]
        .as_array()
        .expect("whygos")
        .iter()
        .flat_map(|w| w["outcomes"].as_array().cloned().unwrap_or_default())
        .filter_map(|o| o["quarters"][3]["status"].as_str().map(str::to_owned))
        .collect();
    for s in ["+", "~", "-", "missing", "none"] {
        assert!(
            statuses.iter().any(|x| x == s),
            "the demo shows {s} in Q4: {statuses:?}"
        );
    }
    let dept_keys: Vec<&str> = report["departments"]
        .as_array()
        .expect("departments")
        .iter()
        .filter_map(|d| d["key"].as_str())
        .collect();
    for d in ["sales", "production", "generative", "community", "platform"] {
        assert!(dept_keys.contains(&d), "{d} has a pace: {dept_keys:?}");
    }

    let out = whygo(
        &db,
        &[
            "report",
            "--tenant",
            "kartel",
            "--as-of",
            "2026-11-21",
            "--format",
            "markdown",
        ],
    );
    assert!(out.status.success(), "report failed: {}", text(&out.stderr));
    let md = text(&out.stdout);
    for heading in [
        "# Weekly WhyGO report: Kartel AI",
        "## Pace",
        "- **Company KPIs** (the company WhyGOs' own pace): [",
        "- **Whole plan** (every approved company and department WhyGO): [",
        "## Departments",
        "## Company WhyGOs",
        "cascade pace [",
        "## Department WhyGOs",
        "## Escalations [-]",
        "## Needs attention [~]",
        "## Missing check-ins",
    ] {
        assert!(md.contains(heading), "missing {heading:?} in:\n{md}");
    }
    assert!(md.contains("Saturday 21 November 2026"), "{md}");
    assert!(md.contains("| Production |"), "{md}");
}

#[tokio::test]
async fn a_report_for_an_unknown_organization_says_so() {
    let db = TestDb::new().await;
    let out = whygo(
        &db,
        &["report", "--tenant", "nobody", "--as-of", "2026-11-21"],
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("no organization with the slug “nobody”"),
        "{}",
        text(&out.stderr)
    );
}

fn whygo_with_stdin(db: &TestDb, args: &[&str], stdin: &str) -> Output {
    use std::io::Write as _;
    let mut child = Command::new(env!("CARGO_BIN_EXE_whygo"))
        .args(args)
        .env("DATABASE_URL", &db.url)
        .env("RUST_LOG", "warn")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("run whygo");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(stdin.as_bytes())
        .expect("write the password");
    child.wait_with_output().expect("whygo finishes")
}

#[tokio::test]
async fn tenant_and_user_create_make_an_organization_someone_can_sign_in_to() {
    let db = crate::common::demo_db().await;
    let out = whygo(
        &db,
        &[
            "tenant",
            "create",
            "--slug",
            "acme",
            "--name",
            "Acme Corp",
            "--fiscal-year-start",
            "2026-04-01",
        ],
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(text(&out.stdout).contains("created the organization Acme Corp (/acme)"));
    let start: chrono::NaiveDate =
        sqlx::query_scalar("select fiscal_year_start from tenants where slug = 'acme'")
            .fetch_one(&db.pool)
            .await
            .expect("acme");
    assert_eq!(start.to_string(), "2026-04-01");

    let again = whygo(
        &db,
        &["tenant", "create", "--slug", "acme", "--name", "Other"],
    );
    assert_eq!(again.status.code(), Some(2));
    assert!(
        text(&again.stderr).contains("exists already"),
        "{}",
        text(&again.stderr)
    );
    let bad = whygo(
        &db,
        &["tenant", "create", "--slug", "Not Valid", "--name", "X"],
    );
    assert_eq!(bad.status.code(), Some(2));
    assert!(text(&bad.stderr).contains("is not a valid slug"));

    let out = whygo_with_stdin(
        &db,
        &[
            "user",
            "create",
            "--email",
            "ann@acme.example",
            "--name",
            "Ann Admin",
            "--password-stdin",
            "--tenant",
            "acme",
            "--role",
            "admin",
        ],
        "ann's long password\n",
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(text(&out.stdout).contains("created the account ann@acme.example, admin of acme"));

    // Kartel's person key in another organization is refused.
    let out = whygo_with_stdin(
        &db,
        &[
            "user",
            "create",
            "--email",
            "x@acme.example",
            "--name",
            "X",
            "--password-stdin",
            "--tenant",
            "acme",
            "--person",
            "kevin",
        ],
        "another long password\n",
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("no person with the key “kevin” in acme"),
        "{}",
        text(&out.stderr)
    );
    let short = whygo_with_stdin(
        &db,
        &[
            "user",
            "create",
            "--email",
            "y@acme.example",
            "--name",
            "Y",
            "--password-stdin",
        ],
        "short\n",
    );
    assert_eq!(short.status.code(), Some(1));
    assert!(
        text(&short.stderr).contains("Use at least 10 characters"),
        "{}",
        text(&short.stderr)
    );

    // Ann signs in and lands in her organization only.
    let mut ann = crate::common::Client::new(crate::common::app(&db));
    ann.login("ann@acme.example", "ann's long password").await;
    let home = ann.get("/").await;
    assert_eq!(home.location.as_deref(), Some("/acme"));
    ann.get("/kartel").await.expect_status(404);
}
