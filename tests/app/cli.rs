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
        "## Company pace:",
        "## Departments",
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
