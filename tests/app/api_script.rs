//! docs/api-example.sh, the script docs/api.md shows, run as a reader would
//! run it: against a real `whygo serve` (the binary, on a fresh test
//! database with the demo), with curl and jq. It makes a token on the page,
//! pushes docs/api-example.csv, pushes it again, and reads the report back;
//! the CSV's rows are saved once.

use std::io::{BufRead as _, BufReader};
use std::process::{Command, Stdio};

use crate::common::TestDb;
use crate::serve::Killed;

pub fn run() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("a runtime");
    let db = rt.block_on(TestDb::new());
    let mut server = Killed(
        Command::new(env!("CARGO_BIN_EXE_whygo"))
            .args(["serve", "--addr", "127.0.0.1:0"])
            .env("DATABASE_URL", &db.url)
            // A day of the demo's fiscal year, whatever day the test runs.
            .env("WHYGO_TODAY", crate::common::TODAY)
            .env("RUST_LOG", "warn")
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("start whygo serve"),
    );
    let stdout = server.0.stdout.take().expect("stdout");
    let mut lines = BufReader::new(stdout).lines();
    let addr = lines
        .by_ref()
        .map_while(Result::ok)
        .find_map(|l| {
            l.strip_prefix("whygo is listening on http://")
                .map(|a| a.trim_end_matches('/').to_owned())
        })
        .expect("whygo prints its address");
    // Keep reading its output so the server never blocks on a full pipe.
    std::thread::spawn(move || for _ in lines.by_ref() {});

    let root = env!("CARGO_MANIFEST_DIR");
    let out = {
        Command::new("bash")
            .arg(format!("{root}/docs/api-example.sh"))
            .env("WHYGO_URL", format!("http://{addr}"))
            .env("WHYGO_WEEK", "2026-W47")
            .current_dir(root)
            .output()
            .expect("run docs/api-example.sh")
    };
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(
        out.status.success(),
        "the script failed:\n{stdout}\n{stderr}"
    );
    for line in [
        "token: whygo_",
        "push 1: HTTP 201, saved 3\n",
        "push 2: HTTP 201, saved 3 (replayed: nothing saved again)",
        "report of kartel as of 2026-11-21, Q4",
        "  prod-case-studies: 7 [",
        "  prod-margin: 47% [",
        "  prod-on-time: 88% [",
    ] {
        assert!(
            stdout.contains(line),
            "missing {line:?} in:\n{stdout}\n{stderr}"
        );
    }
    let count = |sql: &str| -> i64 {
        rt.block_on(sqlx::query_scalar(sql).fetch_one(&db.pool))
            .expect("count")
    };
    assert_eq!(
        count("select count(*) from actuals where source = 'api'"),
        3
    );
    drop(server);
}
