//! Reminders, escalations, snoozes and the weekly digest, sent through a
//! real SMTP server (aiosmtpd, `tests/smtp/sink.py`) that the test starts on
//! a free port: the assertions read the messages it received. The clock is
//! the runner's (`run_due(now)`); the demo's check-in day is Friday
//! 20 November 2026 (reminded Thursday 19th, the manager told Saturday 21st,
//! the department head Monday 23rd, the digest Monday 23rd).

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

use chrono::{DateTime, Utc};
use serde_json::Value;
use whygo::jobs::Runner;
use whygo::notify::{self, Mailer, Notifier};

use crate::common::*;

fn at(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s)
        .expect("a test instant")
        .with_timezone(&Utc)
}

const THURSDAY: &str = "2026-11-19T09:00:00Z";
const SATURDAY: &str = "2026-11-21T09:00:00Z";
const MONDAY: &str = "2026-11-23T09:00:00Z";
const PUBLIC: &str = "https://whygo.example";

/// The Python that has aiosmtpd: the system's, or the venv `.ci/run` makes
/// when the system's Python is externally managed. A missing one fails the
/// test saying what to install.
fn python() -> PathBuf {
    let venv = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/ci-venv/bin/python3");
    for candidate in [PathBuf::from("python3"), venv] {
        let ok = Command::new(&candidate)
            .args(["-c", "import aiosmtpd"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success());
        if ok {
            return candidate;
        }
    }
    panic!(
        "the SMTP sink needs aiosmtpd: `pip install aiosmtpd` (or run .ci/run, which installs it)"
    );
}

/// A real SMTP server writing what it receives to a folder.
struct Sink {
    child: Child,
    port: u16,
    /// Taken by [`Sink::stop`].
    dir: Option<tempfile::TempDir>,
}

impl Sink {
    /// On a free port.
    fn start() -> Sink {
        Sink::on(0, tempfile::tempdir().expect("a folder for the mail"))
    }

    fn on(port: u16, dir: tempfile::TempDir) -> Sink {
        let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/smtp/sink.py");
        let mut child = Command::new(python())
            .arg(&script)
            .arg(dir.path())
            .arg(port.to_string())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("start the SMTP sink");
        // It prints its port once it accepts connections.
        let mut line = String::new();
        let out = child.stdout.take().expect("the sink's output");
        std::io::BufRead::read_line(&mut std::io::BufReader::new(out), &mut line)
            .expect("the sink's port");
        let port = line.trim().parse().expect("a port number");
        Sink {
            child,
            port,
            dir: Some(dir),
        }
    }

    /// Stops the server (nothing listens on its port any more) and hands
    /// back its folder.
    fn stop(mut self) -> (u16, tempfile::TempDir) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let dir = self.dir.take().expect("the sink's folder");
        (self.port, dir)
    }

    /// Every message received, oldest first.
    fn messages(&self) -> Vec<Mail> {
        read_messages(self.dir.as_ref().expect("the sink's folder").path())
    }
}

impl Drop for Sink {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[derive(Clone, Debug)]
struct Mail {
    rcpt: Vec<String>,
    to: String,
    subject: String,
    content_type: String,
    text: String,
    html: String,
}

fn read_messages(dir: &Path) -> Vec<Mail> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .expect("the mail folder")
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    files.sort();
    files
        .iter()
        .map(|p| {
            let v: Value = serde_json::from_str(&std::fs::read_to_string(p).expect("a message"))
                .expect("json");
            let s = |k: &str| v[k].as_str().unwrap_or_default().replace("\r\n", "\n");
            Mail {
                rcpt: v["rcpt_to"]
                    .as_array()
                    .map(|a| {
                        a.iter()
                            .filter_map(|x| x.as_str().map(str::to_owned))
                            .collect()
                    })
                    .unwrap_or_default(),
                to: s("to"),
                subject: s("subject"),
                content_type: s("content_type"),
                text: s("text"),
                html: s("html"),
            }
        })
        .collect()
}

/// The messages to `who` (a demo person key).
fn to<'a>(mails: &'a [Mail], who: &str) -> Vec<&'a Mail> {
    let address = format!("{who}@kartel.example");
    mails
        .iter()
        .filter(|m| m.rcpt == [address.clone()])
        .collect()
}

fn notifier(db: &TestDb, port: u16) -> Notifier {
    let mailer = Mailer::new(
        Some(&format!("smtp://127.0.0.1:{port}")),
        Some("whygo <whygo@kartel.example>"),
        PUBLIC,
    )
    .expect("the mailer");
    Notifier::new(db.app_pool.clone(), mailer)
}

fn runner(db: &TestDb, port: u16) -> Runner {
    notify::register(Runner::new(db.app_pool.clone()), notifier(db, port))
}

async fn run(r: &Runner, now: &str) -> whygo::jobs::RunSummary {
    r.run_due(at(now)).await.expect("the jobs run")
}

/// The key of Trent's outcome in the demo (he co-owns the Kartel Labs tools).
async fn trents_outcome(db: &TestDb) -> String {
    sqlx::query_scalar(
        "select o.key from outcomes o join outcome_owners oo on oo.outcome_id = o.id
         join people p on p.id = oo.person_id join whygos w on w.id = o.whygo_id
         where p.key = 'trent' and w.status = 'approved' order by o.key limit 1",
    )
    .fetch_one(&db.pool)
    .await
    .expect("Trent's outcome")
}

/// Trent checks in on `day` through the form, as he would.
async fn trent_checks_in(db: &TestDb, day: &str) {
    let key = trents_outcome(db).await;
    let mut trent = signed_in_on(db, "trent", day).await;
    let page = trent.get("/kartel/checkin").await;
    page.expect_status(200);
    let marker = "name=\"submission\" value=\"";
    let from = page.body.find(marker).expect("a submission token") + marker.len();
    let token = page.body[from..]
        .split('"')
        .next()
        .unwrap_or_default()
        .to_owned();
    let value = format!("value-4-{key}");
    let note = format!("note-4-{key}");
    let saved = trent
        .post(
            "/kartel/checkin",
            &[
                ("submission", token.as_str()),
                (value.as_str(), "1"),
                (
                    note.as_str(),
                    "Batch tooling slipped behind the playbook; back on it this week.",
                ),
                ("action", "save"),
            ],
        )
        .await;
    saved.expect_status(303);
}

async fn audit_count(db: &TestDb, entity: &str, action: &str) -> i64 {
    sqlx::query_scalar("select count(*) from audit_log where entity = $1 and action = $2")
        .bind(entity)
        .bind(action)
        .fetch_one(&db.pool)
        .await
        .expect("audit entries")
}

#[tokio::test]
async fn a_reminder_goes_out_the_day_before_the_check_in_day_with_the_outcomes_and_a_link() {
    let db = demo_db().await;
    let sink = Sink::start();
    let r = runner(&db, sink.port);

    // Wednesday, and Thursday before the send hour: nothing yet.
    run(&r, "2026-11-18T09:00:00Z").await;
    run(&r, "2026-11-19T07:55:00Z").await;
    assert!(sink.messages().is_empty(), "{:?}", sink.messages());

    run(&r, THURSDAY).await;
    let mails = sink.messages();
    let trent = to(&mails, "trent");
    assert_eq!(trent.len(), 1, "{trent:?}");
    let m = trent[0];
    assert!(
        m.to.contains("Trent Hunter") && m.to.contains("<trent@kartel.example>"),
        "{}",
        m.to
    );
    assert_eq!(m.subject, "Check-in due Friday 20 November: 1 outcome");
    assert_eq!(m.content_type, "multipart/alternative");
    let outcome = "Kartel Labs: Team-built tools (optimize role + Pod 2 onboarding)";
    for part in [&m.text, &m.html] {
        assert!(part.contains(outcome), "{part}");
        assert!(
            part.contains("https://whygo.example/kartel/checkin"),
            "{part}"
        );
        assert!(part.contains("[-] off pace"), "the status in words: {part}");
    }
    assert!(
        m.html
            .contains("href=\"https://whygo.example/kartel/checkin\"")
    );
    assert!(m.html.starts_with("<!DOCTYPE html>"));

    // Wayan owns seven outcomes with nothing entered this week.
    let wayan = to(&mails, "wayan");
    assert_eq!(wayan.len(), 1);
    assert_eq!(
        wayan[0].subject,
        "Check-in due Friday 20 November: 7 outcomes"
    );
    assert!(wayan[0].text.contains("Production Margin"));
    // Kevin owns no outcome: no reminder. Fill has Trent's proposal to approve.
    assert!(to(&mails, "kevin").is_empty());
    let fill = to(&mails, "fill");
    let waiting: Vec<&&Mail> = fill
        .iter()
        .filter(|m| m.subject.starts_with("Waiting"))
        .collect();
    assert_eq!(waiting.len(), 1, "{fill:?}");
    assert_eq!(waiting[0].subject, "Waiting for you: 1 approval");
    assert!(
        waiting[0]
            .text
            .contains("Workflow Engineer Playbook and Batch Tooling")
    );
    assert!(waiting[0].text.contains("proposed by Trent Hunter"));
    assert!(
        waiting[0]
            .html
            .contains("https://whygo.example/kartel/whygos/trent-1")
    );

    // Each message sent is in the audit log: recipient, kind, subject.
    assert_eq!(audit_count(&db, "email", "send").await, mails.len() as i64);
    let (key, after): (String, Value) = sqlx::query_as(
        "select entity_key, after from audit_log where entity = 'email' and entity_key = 'trent@kartel.example'",
    )
    .fetch_one(&db.pool)
    .await
    .expect("Trent's message in the audit log");
    assert_eq!(key, "trent@kartel.example");
    assert_eq!(after["kind"], "checkin");
    assert_eq!(
        after["subject"],
        "Check-in due Friday 20 November: 1 outcome"
    );
    assert!(after.get("html").is_none() && after.get("text").is_none());

    // The admin page lists it.
    let mut zac = signed_in_on(&db, "zac", "2026-11-19").await;
    let page = zac.get("/kartel/admin/notifications").await;
    page.expect_status(200);
    assert!(
        page.body
            .contains("Check-in due Friday 20 November: 1 outcome")
    );

    // Later the same day, and the next day: not again.
    run(&r, "2026-11-19T17:00:00Z").await;
    run(&r, "2026-11-20T09:00:00Z").await;
    assert_eq!(sink.messages().len(), mails.len());
}

#[tokio::test]
async fn a_missed_check_in_goes_to_the_manager_then_to_the_department_head() {
    let db = demo_db().await;
    // Trent reports to Ahmed for this test, so his manager is not the head
    // of his department (Fill).
    sqlx::query(
        "update people set reports_to_id = (select id from people where key = 'ahmed') where key = 'trent'",
    )
    .execute(&db.pool)
    .await
    .expect("a new manager");
    let sink = Sink::start();
    let r = runner(&db, sink.port);
    run(&r, THURSDAY).await;
    let reminded = sink.messages().len();

    // Saturday, a day after the check-in day: the manager.
    run(&r, SATURDAY).await;
    let mails = sink.messages();
    let ahmed: Vec<&Mail> = to(&mails, "ahmed")
        .into_iter()
        .filter(|m| m.subject.starts_with("Missed"))
        .collect();
    assert_eq!(ahmed.len(), 1, "{:?}", to(&mails, "ahmed"));
    assert_eq!(
        ahmed[0].subject,
        "Missed check-in of Friday 20 November: Trent Hunter"
    );
    for part in [&ahmed[0].text, &ahmed[0].html] {
        assert!(part.contains("Trent Hunter"));
        assert!(part.contains("Kartel Labs: Team-built tools"));
        assert!(part.contains("https://whygo.example/kartel/people/trent"));
    }
    assert!(
        ahmed[0]
            .text
            .contains("still missing 1 day after the check-in day"),
        "{}",
        ahmed[0].text
    );
    // Fill hears of his own reports, not (yet) of Trent.
    let fill_saturday: Vec<&Mail> = to(&mails, "fill")
        .into_iter()
        .filter(|m| m.subject.starts_with("Missed"))
        .collect();
    assert_eq!(fill_saturday.len(), 1);
    assert!(
        !fill_saturday[0].text.contains("Trent"),
        "{}",
        fill_saturday[0].text
    );
    assert!(fill_saturday[0].subject.contains("Sean Geisterfer"));

    // Sunday: nothing new.
    run(&r, "2026-11-22T09:00:00Z").await;
    let sunday = sink.messages().len();
    assert_eq!(sunday, mails.len());
    assert!(sunday > reminded);

    // Monday, three days after: the head of Generative, about everyone of
    // his department still missing, Trent included; Ahmed gets no second one.
    run(&r, MONDAY).await;
    let mails = sink.messages();
    let heads: Vec<&Mail> = mails
        .iter()
        .filter(|m| m.subject.starts_with("Still no check-in"))
        .collect();
    let fill: Vec<&&Mail> = heads
        .iter()
        .filter(|m| m.rcpt == ["fill@kartel.example"])
        .collect();
    assert_eq!(fill.len(), 1, "{heads:?}");
    assert!(
        fill[0]
            .subject
            .starts_with("Still no check-in 3 days after Friday 20 November: ")
    );
    assert!(fill[0].subject.contains("Trent Hunter"));
    assert!(
        fill[0].text.contains("As head of Generative"),
        "{}",
        fill[0].text
    );
    assert!(fill[0].html.contains("Kartel Labs: Team-built tools"));
    assert_eq!(
        to(&mails, "ahmed")
            .iter()
            .filter(|m| m.subject.contains("Trent"))
            .count(),
        1,
        "the manager is told once"
    );
    assert_eq!(audit_count(&db, "email", "send").await, mails.len() as i64);
}

#[tokio::test]
async fn a_check_in_stops_the_escalation() {
    let db = demo_db().await;
    let sink = Sink::start();
    let r = runner(&db, sink.port);
    run(&r, THURSDAY).await;
    assert_eq!(to(&sink.messages(), "trent").len(), 1, "reminded");

    // Trent checks in on Friday, the check-in day. The outcome is the
    // team's (Fill's reports co-own it): one actual checks it in for all.
    trent_checks_in(&db, "2026-11-20").await;
    run(&r, SATURDAY).await;
    run(&r, MONDAY).await;
    let mails = sink.messages();
    let escalations: Vec<&Mail> = mails
        .iter()
        .filter(|m| m.subject.starts_with("Missed") || m.subject.starts_with("Still"))
        .collect();
    // Others still missed it (Luke hears of Fill, the head of Platform of
    // his people), none of those who own the outcome Trent checked in.
    assert!(escalations.len() >= 2, "{escalations:?}");
    assert!(
        escalations
            .iter()
            .any(|m| m.rcpt == ["luke@kartel.example"])
    );
    for m in &escalations {
        for name in ["Trent", "Sean Geisterfer", "Ahmed Yakout"] {
            assert!(!m.subject.contains(name), "{}", m.subject);
            assert!(!m.text.contains(name), "{}", m.text);
        }
    }
    assert!(
        to(&mails, "fill")
            .iter()
            .all(|m| !m.subject.starts_with("Missed")),
        "none of Fill's reports is missing"
    );
    assert_eq!(to(&mails, "trent").len(), 1, "nothing more to Trent");
}

#[tokio::test]
async fn a_snoozed_week_sends_no_reminder_and_the_manager_gets_the_reason() {
    let db = demo_db().await;
    let mut trent = signed_in_on(&db, "trent", "2026-11-18").await;
    let page = trent.get("/kartel/checkin").await;
    page.expect_status(200);
    assert!(
        page.body.contains("Snooze this week’s reminders"),
        "the form"
    );
    assert!(page.body.contains("check-in day Friday 20 November"));

    // A reason is required: 422, the message next to the field, nothing written.
    let empty = trent
        .post("/kartel/checkin/snooze", &[("reason", "   ")])
        .await;
    empty.expect_status(422);
    assert!(empty.body.contains("id=\"snooze-error\""));
    assert!(empty.body.contains("Say why"));
    assert_eq!(audit_count(&db, "checkin_snooze", "create").await, 0);
    let long = "x".repeat(501);
    trent
        .post("/kartel/checkin/snooze", &[("reason", long.as_str())])
        .await
        .expect_status(422);

    let done = trent
        .post(
            "/kartel/checkin/snooze",
            &[("reason", "On leave until 27 November")],
        )
        .await;
    done.expect_status(303);
    assert_eq!(done.location.as_deref(), Some("/kartel/checkin?snoozed=1"));
    let page = trent.get("/kartel/checkin?snoozed=1").await;
    assert!(page.body.contains("This week’s reminders are snoozed"));
    assert!(page.body.contains("“On leave until 27 November”"));
    let (key, after): (String, Value) = sqlx::query_as(
        "select entity_key, after from audit_log where entity = 'checkin_snooze' and action = 'create'",
    )
    .fetch_one(&db.pool)
    .await
    .expect("the snooze in the audit log");
    assert_eq!(key, "trent 2026-11-20");
    assert_eq!(after["reason"], "On leave until 27 November");

    // An account that is no person has nothing to snooze.
    let mut nobody = member_without_person(&db, "guest@kartel.example").await;
    nobody.get("/kartel/checkin").await;
    nobody
        .post("/kartel/checkin/snooze", &[("reason", "away")])
        .await
        .expect_status(403);

    let sink = Sink::start();
    let r = runner(&db, sink.port);
    run(&r, THURSDAY).await;
    assert!(to(&sink.messages(), "trent").is_empty(), "no reminder");
    assert!(
        !to(&sink.messages(), "sean").is_empty(),
        "the others are reminded"
    );

    run(&r, SATURDAY).await;
    let mails = sink.messages();
    let fill: Vec<&Mail> = to(&mails, "fill")
        .into_iter()
        .filter(|m| m.subject.starts_with("Missed"))
        .collect();
    assert_eq!(fill.len(), 1);
    assert!(
        !fill[0].subject.contains("Trent"),
        "not escalated: {}",
        fill[0].subject
    );
    for part in [&fill[0].text, &fill[0].html] {
        assert!(part.contains("Snoozed this week"), "{part}");
        assert!(part.contains("On leave until 27 November"), "{part}");
    }
    run(&r, MONDAY).await;
    for m in sink
        .messages()
        .iter()
        .filter(|m| m.subject.starts_with("Still"))
    {
        assert!(
            !m.text.contains("Trent"),
            "the head is not told: {}",
            m.text
        );
    }
}

#[tokio::test]
async fn two_servers_and_two_scans_send_each_message_once() {
    let db = demo_db().await;
    let sink = Sink::start();
    let (a, b) = (runner(&db, sink.port), runner(&db, sink.port));
    let (x, y) = tokio::join!(a.run_due(at(THURSDAY)), b.run_due(at(THURSDAY)));
    x.expect("server a");
    y.expect("server b");
    // A scan again, at another instant of the same day, by a third server.
    let again = notifier(&db, sink.port)
        .scan(at("2026-11-19T10:30:00Z"))
        .await
        .expect("a scan");
    assert_eq!(again.queued, 0, "every message was queued already");
    run(&runner(&db, sink.port), "2026-11-19T10:30:00Z").await;

    let mails = sink.messages();
    assert!(mails.len() >= 15, "{}", mails.len());
    let mut seen = std::collections::HashSet::new();
    for m in &mails {
        assert!(
            seen.insert((m.rcpt.clone(), m.subject.clone())),
            "sent twice: {:?} {}",
            m.rcpt,
            m.subject
        );
    }
    let jobs: i64 = sqlx::query_scalar("select count(*) from jobs where kind = 'email.send'")
        .fetch_one(&db.pool)
        .await
        .expect("jobs");
    assert_eq!(jobs, mails.len() as i64);
    assert_eq!(audit_count(&db, "email", "send").await, mails.len() as i64);
}

#[tokio::test]
async fn a_message_the_server_could_not_take_is_sent_on_a_later_try() {
    let db = demo_db().await;
    // A port where nothing listens: a sink started and stopped.
    let (port, dir) = Sink::start().stop();
    let r = runner(&db, port);
    let first = run(&r, THURSDAY).await;
    assert!(first.retried >= 15, "{first:?}");
    assert_eq!(first.done, 1, "only the scan: {first:?}");
    assert!(read_messages(dir.path()).is_empty());
    assert_eq!(audit_count(&db, "email", "send").await, 0);
    let (state, error): (String, Option<String>) = sqlx::query_as(
        "select state, last_error from jobs where kind = 'email.send' order by id limit 1",
    )
    .fetch_one(&db.pool)
    .await
    .expect("a job");
    assert_eq!(state, "queued");
    assert!(error.is_some_and(|e| !e.is_empty()));
    // The admin page shows them waiting, with the error.
    let mut zac = signed_in_on(&db, "zac", "2026-11-19").await;
    let page = zac.get("/kartel/admin/notifications").await;
    assert!(page.body.contains("1 of 8"), "attempts shown");

    // Not before the backoff's five seconds.
    let early = run(&r, "2026-11-19T09:00:03Z").await;
    assert_eq!(early.ran(), 0, "{early:?}");
    // The server is back: the next try delivers every message, once.
    let sink = Sink::on(port, dir);
    let later = run(&r, "2026-11-19T09:00:10Z").await;
    assert_eq!(later.done, first.retried, "{later:?}");
    let mails = sink.messages();
    assert_eq!(mails.len(), first.retried);
    assert_eq!(to(&mails, "trent").len(), 1);
    assert_eq!(audit_count(&db, "email", "send").await, mails.len() as i64);
}

#[tokio::test]
async fn with_email_off_nothing_is_queued_and_the_admin_page_says_so() {
    let db = demo_db().await;
    let off = Notifier::new(db.app_pool.clone(), Mailer::off(PUBLIC));
    let s = off.scan(at(THURSDAY)).await.expect("a scan");
    assert_eq!(s.queued, 0);
    let jobs: i64 = sqlx::query_scalar("select count(*) from jobs where kind = 'email.send'")
        .fetch_one(&db.pool)
        .await
        .expect("jobs");
    assert_eq!(jobs, 0);
    let mut zac = signed_in(&db, "zac").await;
    let page = zac.get("/kartel/admin/notifications").await;
    page.expect_status(200);
    assert!(page.body.contains("Email is off on this installation"));
    assert!(page.body.contains("WHYGO_SMTP_URL"));
}

/// The digest of Monday 23 November against the sync page of that day:
/// the same paces and counts, the same escalations, missing check-ins and
/// late handoffs.
#[tokio::test]
async fn the_digest_goes_to_leaders_with_the_sync_pages_figures() {
    let db = demo_db().await;
    let sink = Sink::start();
    let r = runner(&db, sink.port);
    run(&r, MONDAY).await;
    let mails = sink.messages();
    let digests: Vec<&Mail> = mails
        .iter()
        .filter(|m| m.subject.starts_with("Weekly digest"))
        .collect();
    let mut to_whom: Vec<String> = digests.iter().map(|m| m.rcpt.join(",")).collect();
    to_whom.sort();
    assert_eq!(
        to_whom,
        ["kevin@kartel.example", "luke@kartel.example"],
        "leaders"
    );
    let d = digests[0];

    // The sync page of the same day, and the report it is built from.
    let mut kevin = signed_in_on(&db, "kevin", "2026-11-23").await;
    let sync = kevin.get("/kartel/sync?as_of=2026-11-23").await;
    sync.expect_status(200);
    let tenant = whygo::db::plan::tenant_by_slug(&db.app_pool, "kartel")
        .await
        .expect("tenant")
        .expect("kartel");
    let day = "2026-11-23".parse().expect("date");
    let plan =
        whygo::db::plan::load_scoped(&db.app_pool, &tenant, day, whygo::db::plan::Scope::Org)
            .await
            .expect("plan");
    let report = whygo::domain::report::build(&plan, day);

    assert!(
        d.subject.starts_with(&format!(
            "Weekly digest of Kartel AI, Monday 23 November 2026: {} off pace, {} missing",
            report.escalations.len(),
            report.missing.len()
        )),
        "{}",
        d.subject
    );
    let c = &report.company;
    let line = format!(
        "Company KPIs: {} {} ([+] {} · [~] {} · [-] {} · needs check-in {})",
        if c.status.is_scored() {
            format!("{} {}", c.status.chip(), c.status.word())
        } else {
            c.status.chip().to_owned()
        },
        whygo::domain::report::percent(c.credit),
        c.counts.on_pace,
        c.counts.slightly_off,
        c.counts.off_pace,
        c.counts.missing
    );
    assert!(d.text.contains(&line), "{line}\n{}", d.text);
    assert!(
        sync.body
            .contains(&whygo::domain::report::percent(c.credit))
    );
    for dept in &report.departments {
        assert!(
            d.text.contains(&format!("- {}: ", dept.name)),
            "{}",
            dept.name
        );
        assert!(d.html.contains(&html_escape(&dept.name)), "{}", dept.name);
    }
    assert!(!report.escalations.is_empty());
    for a in &report.escalations {
        assert!(
            sync.body.contains(&html_escape(&a.outcome_name)),
            "sync: {}",
            a.outcome_name
        );
        assert!(
            d.text.contains(&a.outcome_name),
            "digest: {}",
            a.outcome_name
        );
        assert!(
            d.html.contains(&html_escape(&a.outcome_name)),
            "digest html: {}",
            a.outcome_name
        );
    }
    for a in &report.missing {
        assert!(sync.body.contains(&html_escape(&a.outcome_name)));
        assert!(
            d.text.contains(&a.outcome_name),
            "missing: {}",
            a.outcome_name
        );
    }
    // Late handoffs: each engagement the sync page lists as late.
    let late = sync
        .body
        .split("id=\"late-handoffs\"")
        .nth(1)
        .and_then(|s| s.split("</section>").next())
        .unwrap_or_default();
    let names: Vec<&str> = late
        .split("<th scope=\"row\"><a href=\"")
        .skip(1)
        .filter_map(|s| s.split('>').nth(1)?.split('<').next())
        .collect();
    assert!(!names.is_empty(), "the demo has late handoffs: {late}");
    for n in &names {
        assert!(d.html.contains(n), "late handoff {n}");
        assert!(d.text.contains(&unescape(n)), "late handoff {n}");
    }
    assert!(
        d.text
            .contains("https://whygo.example/kartel/sync?as_of=2026-11-23")
    );
    assert!(d.html.contains("[-] off pace"), "status in words");

    // Not twice the same Monday; heads too once the settings say so.
    run(&r, "2026-11-23T15:00:00Z").await;
    assert_eq!(
        sink.messages()
            .iter()
            .filter(|m| m.subject.starts_with("Weekly digest"))
            .count(),
        2
    );
    sqlx::query(
        "insert into notification_settings (tenant_id, digest_recipients)
         select id, 'leaders_and_heads' from tenants where slug = 'kartel'",
    )
    .execute(&db.pool)
    .await
    .expect("settings");
    run(&r, "2026-11-30T09:00:00Z").await;
    let next: Vec<String> = sink
        .messages()
        .iter()
        .filter(|m| m.subject.contains("Monday 30 November"))
        .map(|m| m.rcpt.join(","))
        .collect();
    for who in ["kevin", "luke", "wayan", "fill", "ben", "niels"] {
        assert!(
            next.contains(&format!("{who}@kartel.example")),
            "{who}: {next:?}"
        );
    }
    assert!(!next.contains(&"trent@kartel.example".to_owned()));
}

fn html_escape(s: &str) -> String {
    s.replace('&', "&#38;")
        .replace('<', "&#60;")
        .replace('>', "&#62;")
        .replace('\'', "&#39;")
        .replace('"', "&#34;")
}

fn unescape(s: &str) -> String {
    s.replace("&#38;", "&")
        .replace("&#60;", "<")
        .replace("&#62;", ">")
        .replace("&#39;", "'")
        .replace("&#34;", "\"")
}

#[tokio::test]
async fn notification_settings_are_checked_saved_and_audited() {
    let db = demo_db().await;
    let mut zac = signed_in(&db, "zac").await;
    let page = zac.get("/kartel/admin/notifications").await;
    page.expect_status(200);
    assert!(
        page.body
            .contains("<option value=\"5\" selected>Friday</option>"),
        "check-in on Friday"
    );
    assert!(
        page.body
            .contains("name=\"escalate_head_days\" value=\"3\"")
    );
    let home = zac.get("/kartel/admin").await;
    assert!(home.body.contains("href=\"/kartel/admin/notifications\""));

    let bad = zac
        .post(
            "/kartel/admin/notifications",
            &[
                ("reminders_enabled", "on"),
                ("checkin_weekday", "9"),
                ("reminder_lead_days", "seven"),
                ("escalate_manager_days", "4"),
                ("escalate_head_days", "2"),
                ("digest_enabled", "on"),
                ("digest_weekday", "1"),
                ("digest_recipients", "everyone"),
                ("send_hour", "25"),
            ],
        )
        .await;
    bad.expect_status(422);
    for id in [
        "checkin_weekday-error",
        "reminder_lead_days-error",
        "escalate_head_days-error",
        "digest_recipients-error",
        "send_hour-error",
    ] {
        assert!(bad.body.contains(&format!("id=\"{id}\"")), "{id}");
    }
    assert!(
        bad.body.contains("value=\"seven\""),
        "what was typed is kept"
    );
    assert!(bad.body.contains("enter more days than the manager’s (4)"));
    assert_eq!(audit_count(&db, "notification_settings", "update").await, 0);
    let stored: i64 = sqlx::query_scalar("select count(*) from notification_settings")
        .fetch_one(&db.pool)
        .await
        .expect("rows");
    assert_eq!(stored, 0, "nothing written");

    let good = zac
        .post(
            "/kartel/admin/notifications",
            &[
                ("reminders_enabled", "on"),
                ("checkin_weekday", "3"),
                ("reminder_lead_days", "0"),
                ("escalate_manager_days", "2"),
                ("escalate_head_days", "4"),
                ("digest_weekday", "5"),
                ("digest_recipients", "leaders_heads_and_admins"),
                ("send_hour", "7"),
            ],
        )
        .await;
    good.expect_status(303);
    assert_eq!(
        good.location.as_deref(),
        Some("/kartel/admin/notifications?done=saved")
    );
    let (before, after): (Value, Value) = sqlx::query_as(
        "select before, after from audit_log where entity = 'notification_settings' and action = 'update'",
    )
    .fetch_one(&db.pool)
    .await
    .expect("the change in the audit log");
    assert_eq!(before["checkin_weekday"], 5);
    assert_eq!(after["checkin_weekday"], 3);
    assert_eq!(after["digest_enabled"], false);
    let page = zac.get("/kartel/admin/notifications?done=saved").await;
    assert!(page.body.contains("Notification settings saved."));
    assert!(
        page.body
            .contains("<option value=\"3\" selected>Wednesday</option>")
    );

    // The same again: nothing to save, nothing audited.
    zac.post(
        "/kartel/admin/notifications",
        &[
            ("reminders_enabled", "on"),
            ("checkin_weekday", "3"),
            ("reminder_lead_days", "0"),
            ("escalate_manager_days", "2"),
            ("escalate_head_days", "4"),
            ("digest_weekday", "5"),
            ("digest_recipients", "leaders_heads_and_admins"),
            ("send_hour", "7"),
        ],
    )
    .await
    .expect_status(303);
    assert_eq!(audit_count(&db, "notification_settings", "update").await, 1);

    // The scan follows them: check-in on Wednesday 25th, reminded that day
    // from 07:00; no digest (off).
    let sink = Sink::start();
    let r = runner(&db, sink.port);
    run(&r, "2026-11-24T09:00:00Z").await;
    assert!(
        !sink
            .messages()
            .iter()
            .any(|m| m.subject.starts_with("Check-in due"))
    );
    run(&r, "2026-11-25T06:59:00Z").await;
    assert!(to(&sink.messages(), "trent").is_empty(), "not before 07:00");
    run(&r, "2026-11-25T07:00:00Z").await;
    let mails = sink.messages();
    assert_eq!(
        to(&mails, "trent")[0].subject,
        "Check-in due Wednesday 25 November: 1 outcome"
    );
    run(&r, "2026-11-27T09:00:00Z").await;
    assert!(
        !sink
            .messages()
            .iter()
            .any(|m| m.subject.starts_with("Weekly digest"))
    );

    // Members may not see or change them.
    let mut trent = signed_in(&db, "trent").await;
    trent
        .get("/kartel/admin/notifications")
        .await
        .expect_status(403);
    trent
        .post("/kartel/admin/notifications", &[("checkin_weekday", "1")])
        .await
        .expect_status(403);
}

/// `whygo serve` with an SMTP URL holding a password: the log says email is
/// on and through which server, never the password; a URL that does not
/// read stops it at once, naming the variable and not the password.
#[test]
fn serve_logs_whether_email_is_on_without_the_password() {
    use std::io::Read as _;
    let data = data_dir("whygo-mail-");
    let sink = Sink::start();
    let url = format!("smtp://mailer:hunter2-secret@127.0.0.1:{}", sink.port);
    let (mut child, addr) = crate::serve::start_serve_logged(
        data.path(),
        &[
            ("WHYGO_SMTP_URL", url.as_str()),
            ("WHYGO_MAIL_FROM", "whygo <whygo@kartel.example>"),
            ("WHYGO_PUBLIC_URL", "https://whygo.example"),
        ],
    );
    assert!(!addr.is_empty());
    // SAFETY: sending SIGTERM to our own child process.
    let pid = i32::try_from(child.0.id()).expect("pid");
    assert_eq!(unsafe { libc::kill(pid, libc::SIGTERM) }, 0);
    crate::serve::wait_exit(
        &mut child,
        std::time::Duration::from_secs(60),
        "whygo stops",
    );
    let mut log = String::new();
    child
        .0
        .stderr
        .take()
        .expect("the log")
        .read_to_string(&mut log)
        .expect("read the log");
    assert!(log.contains("email is on"), "{log}");
    assert!(log.contains("smtp://mailer:***@127.0.0.1"), "{log}");
    assert!(log.contains("https://whygo.example"), "{log}");
    assert!(!log.contains("hunter2"), "the password in the log: {log}");

    let bad = Command::new(env!("CARGO_BIN_EXE_whygo"))
        .args(["serve", "--addr", "127.0.0.1:0"])
        .env_remove("DATABASE_URL")
        .env("WHYGO_DATA_DIR", data.path())
        .env("WHYGO_SMTP_URL", "smtp//mailer:hunter2-secret@nowhere")
        .output()
        .expect("run whygo serve");
    assert!(!bad.status.success());
    let err = String::from_utf8_lossy(&bad.stderr);
    assert!(err.contains("WHYGO_SMTP_URL"), "{err}");
    assert!(!err.contains("hunter2"), "{err}");
}

/// A WhyGO returned for changes reminds its owner, and a sign-off waiting
/// reminds its signers, on the reminder day, once a week.
#[tokio::test]
async fn returned_whygos_and_waiting_sign_offs_are_reminded_on_the_reminder_day() {
    let db = demo_db().await;
    // Fill returns Trent's proposal, as the approvals page does.
    let mut fill = signed_in_on(&db, "fill", "2026-11-18").await;
    fill.get("/kartel/whygos/trent-1").await.expect_status(200);
    let version: i32 = sqlx::query_scalar("select version from whygos where key = 'trent-1'")
        .fetch_one(&db.pool)
        .await
        .expect("version");
    let comment = "Name the three workflows & who reviews each.";
    fill.post(
        "/kartel/whygos/trent-1/return",
        &[("version", &version.to_string()), ("comment", comment)],
    )
    .await
    .expect_status(303);
    // A new version of Production's first WhyGO, not signed yet: its
    // signers (Kevin, Luke and Wayan, its head) are waited for.
    sqlx::query("update whygos set version = version + 1 where key = 'production-1'")
        .execute(&db.pool)
        .await
        .expect("a new version");

    let sink = Sink::start();
    let r = runner(&db, sink.port);
    run(&r, THURSDAY).await;
    let mails = sink.messages();
    let returned: Vec<&Mail> = to(&mails, "trent")
        .into_iter()
        .filter(|m| m.subject.starts_with("Returned"))
        .collect();
    assert_eq!(returned.len(), 1, "{:?}", to(&mails, "trent"));
    let m = returned[0];
    assert_eq!(
        m.subject,
        "Returned for changes: #1 Workflow Engineer Playbook and Batch Tooling"
    );
    assert!(m.text.contains(comment), "{}", m.text);
    assert!(
        m.html
            .contains("Name the three workflows &#38; who reviews each.")
    );
    assert!(m.text.contains("Returned by Fill Isgro"), "{}", m.text);
    assert!(
        m.html
            .contains("https://whygo.example/kartel/whygos/trent-1")
    );
    // No approval waits for Fill any more.
    assert!(
        !to(&mails, "fill")
            .iter()
            .any(|m| m.subject.contains("approval"))
    );
    for who in ["kevin", "luke", "wayan"] {
        let waiting: Vec<&Mail> = to(&mails, who)
            .into_iter()
            .filter(|m| m.subject.starts_with("Waiting for you"))
            .collect();
        assert_eq!(waiting.len(), 1, "{who}");
        assert_eq!(waiting[0].subject, "Waiting for you: 1 sign-off");
        assert!(waiting[0].text.contains("a department WhyGO"));
        assert!(
            waiting[0]
                .html
                .contains("https://whygo.example/kartel/whygos/production-1")
        );
        assert!(
            waiting[0]
                .text
                .contains("https://whygo.example/kartel/approvals")
        );
    }
    // Once a week.
    run(&r, "2026-11-20T09:00:00Z").await;
    assert_eq!(sink.messages().len(), mails.len());
}
