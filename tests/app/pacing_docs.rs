//! docs/pacing.md quotes what `whygo report` says of the Kartel demo. This
//! reads every quoted example from the page and checks it against the real
//! binary's JSON report on the same date, so the documentation cannot drift
//! from the code.

use std::collections::BTreeMap;
use std::process::Command;

use serde_json::Value;

use crate::common::{TestDb, kartel_db};

const PAGE: &str = include_str!("../../docs/pacing.md");

/// One quoted example: the marker's words and the quoted line after it.
struct Example {
    kind: &'static str,
    args: Vec<String>,
    quote: String,
}

fn examples() -> Vec<Example> {
    let lines: Vec<&str> = PAGE.lines().collect();
    let mut found = Vec::new();
    for (i, line) in lines.iter().enumerate() {
        let Some(body) = line
            .strip_prefix("<!-- ")
            .and_then(|l| l.strip_suffix(" -->"))
        else {
            continue;
        };
        let (kind, rest) = match body.split_once(": ") {
            Some(("example", rest)) => ("example", rest),
            Some(("pace", rest)) => ("pace", rest),
            _ => continue,
        };
        let quote = lines
            .get(i + 1)
            .and_then(|l| l.strip_prefix("> "))
            .unwrap_or_else(|| panic!("line {}: a marker is followed by a “> ” quote", i + 2));
        found.push(Example {
            kind,
            args: rest.split_whitespace().map(str::to_owned).collect(),
            quote: quote.to_owned(),
        });
    }
    found
}

fn report(db: &TestDb, as_of: &str) -> Value {
    let out = Command::new(env!("CARGO_BIN_EXE_whygo"))
        .args([
            "report", "--tenant", "kartel", "--as-of", as_of, "--format", "json",
        ])
        .env("DATABASE_URL", &db.url)
        .env("RUST_LOG", "warn")
        .output()
        .expect("run whygo report");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("the report is JSON")
}

/// "[~] 84%", as a roll-up's status and credit read on a page.
fn pace_words(v: &Value) -> String {
    let chip = match v["status"].as_str() {
        Some("+") => "[+]",
        Some("~") => "[~]",
        Some("-") => "[-]",
        Some("missing") => "needs check-in",
        _ => "not scored",
    };
    match v["credit"].as_f64() {
        Some(c) => format!("{chip} {:.0}%", c * 100.0),
        None => format!("{chip} —"),
    }
}

fn explanation(r: &Value, outcome: &str, quarter: &str) -> String {
    let q: usize = quarter
        .trim_start_matches('Q')
        .parse()
        .expect("a quarter such as Q4");
    r["whygos"]
        .as_array()
        .expect("whygos")
        .iter()
        .flat_map(|w| w["outcomes"].as_array().cloned().unwrap_or_default())
        .find(|o| o["key"] == outcome)
        .and_then(|o| {
            o["quarters"][q - 1]["explanation"]
                .as_str()
                .map(str::to_owned)
        })
        .unwrap_or_else(|| panic!("no outcome {outcome} in the report"))
}

#[tokio::test]
async fn every_example_in_the_pacing_guide_is_what_whygo_report_says() {
    let db = kartel_db().await;
    let examples = examples();
    assert!(
        examples.iter().filter(|e| e.kind == "example").count() >= 10,
        "the guide quotes an example for each rule"
    );
    let mut reports: BTreeMap<String, Value> = BTreeMap::new();
    for e in &examples {
        let date = e.args[0].clone();
        let r = reports
            .entry(date.clone())
            .or_insert_with(|| report(&db, &date));
        let said = match (e.kind, e.args.as_slice()) {
            ("example", [_, outcome, quarter]) => explanation(r, outcome, quarter),
            ("pace", [_, which]) => pace_words(&r[which.as_str()]),
            ("pace", [_, key, part]) => {
                let w = r["whygos"]
                    .as_array()
                    .expect("whygos")
                    .iter()
                    .find(|w| w["key"] == key.as_str())
                    .unwrap_or_else(|| panic!("no WhyGO {key}"));
                match part.as_str() {
                    "own" => pace_words(w),
                    _ => pace_words(&w["cascade"]),
                }
            }
            _ => panic!(
                "a marker reads `example: DATE OUTCOME QN` or `pace: DATE WHICH [own|cascade]`"
            ),
        };
        assert_eq!(said, e.quote, "docs/pacing.md, {} {:?}", e.kind, e.args);
    }
}
