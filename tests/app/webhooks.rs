//! Webhooks end to end on the demo: a check-in (the page and the API), an
//! approval and a late handoff become events, written with the change;
//! the job queue delivers them to a receiver the test starts, signed per the
//! Standard Webhooks specification (verified with the official library), and
//! retries a failed delivery with the same id and a fresh signature.

use serde_json::{Value, json};

use crate::common::{demo_db, signed_in};
use crate::webhooks_receiver::{
    Received, Receiver, add_endpoint, count, deliveries_in, run, runner, verify,
};

const AS_OF: &str = "2026-11-21";

/// Wayan's Production margin: 47% against 49.1% expected is `[~]`; 50%
/// makes it `[+]` (tests/app/checkin.rs).
async fn check_in_margin(db: &crate::common::TestDb, value: &str) {
    let mut wayan = signed_in(db, "wayan").await;
    wayan
        .get(&format!("/kartel/checkin?as_of={AS_OF}"))
        .await
        .expect_status(200);
    let res = wayan
        .post(
            "/kartel/checkin",
            &[
                ("value-4-prod-margin", value),
                ("note-4-prod-margin", "Freelancers released."),
                ("action", "save"),
            ],
        )
        .await;
    res.expect_status(303);
}

#[tokio::test]
async fn a_check_in_is_delivered_signed_and_retried_after_a_failure_with_the_same_id() {
    let db = demo_db().await;
    let receiver = Receiver::start(true).await;
    let (runner, clock) = runner(&db);
    let mut zac = signed_in(&db, "zac").await;
    let (endpoint, secret) = add_endpoint(
        &mut zac,
        &receiver.url,
        &["actual.added", "outcome.status_changed"],
    )
    .await;

    // A refused check-in writes no event and queues nothing.
    let mut wayan = signed_in(&db, "wayan").await;
    wayan.get("/kartel/checkin").await.expect_status(200);
    wayan
        .post("/kartel/checkin", &[("value-4-prod-margin", "lots")])
        .await
        .expect_status(422);
    assert_eq!(count(&db, "select count(*) from webhook_events").await, 0);

    check_in_margin(&db, "50%").await;
    // Written with the check-in: two events, one delivery job each.
    assert_eq!(count(&db, "select count(*) from webhook_events").await, 2);
    assert_eq!(
        count(
            &db,
            "select count(*) from jobs where kind = 'webhook.deliver' and state = 'queued'"
        )
        .await,
        2
    );

    let first_at = clock.catch_up();
    let summary = run(&runner, &clock).await;
    assert_eq!(summary.retried, 2, "{summary:?}");
    let first = receiver.received();
    assert_eq!(first.len(), 2);
    let mut types: Vec<String> = first.iter().map(Received::event_type).collect();
    types.sort();
    assert_eq!(types, ["actual.added", "outcome.status_changed"]);
    for r in &first {
        assert_eq!(r.status, 500);
        assert_eq!(r.header("content-type"), "application/json");
        assert!(r.header("webhook-id").starts_with("msg_"));
        assert_eq!(
            r.header("webhook-timestamp"),
            first_at.timestamp().to_string()
        );
        assert!(r.header("webhook-signature").starts_with("v1,"));
        verify(&secret, &r.headers, &r.body)
            .unwrap_or_else(|e| panic!("the official library verifies it: {e}"));
        // A changed body, or another secret, does not verify.
        let tampered = String::from_utf8(r.body.clone())
            .expect("utf-8")
            .replace("50%", "90%");
        assert_ne!(tampered.as_bytes(), r.body.as_slice());
        assert!(verify(&secret, &r.headers, tampered.as_bytes()).is_err());
        let other = "whsec_C2FVsBQIhrscChlQIMV+b5sSYspob7oD";
        assert!(verify(other, &r.headers, &r.body).is_err());
    }

    // The payloads: the recommended shape, what was entered, the pace.
    let body = |t: &str| -> Value {
        first
            .iter()
            .find(|r| r.event_type() == t)
            .map(Received::json)
            .expect("that event")
    };
    let added = body("actual.added");
    assert!(
        added["timestamp"]
            .as_str()
            .is_some_and(|t| t.ends_with('Z'))
    );
    let d = &added["data"];
    assert_eq!(d["organization"]["slug"], "kartel");
    assert_eq!(d["outcome"]["key"], "prod-margin");
    assert_eq!(d["whygo"]["key"], "production-2");
    assert_eq!(d["quarter"], 4);
    assert_eq!(d["value"], "50%");
    assert_eq!(d["note"], "Freelancers released.");
    assert_eq!(d["entered_on"], AS_OF);
    assert_eq!(d["entered_by"]["key"], "wayan");
    assert_eq!(d["source"], "web");
    assert_eq!(d["pace"]["status"], "+");
    assert_eq!(d["link"], "/kartel/whygos/production-2");
    let moved = body("outcome.status_changed");
    let d = &moved["data"];
    assert_eq!(d["outcome"]["key"], "prod-margin");
    assert_eq!(d["before"]["status"], "~");
    assert_eq!(d["before"]["actual"], "47%");
    assert_eq!(d["after"]["status"], "+");
    assert_eq!(d["after"]["actual"], "50%");
    assert!(
        d["after"]["explanation"]
            .as_str()
            .is_some_and(|e| !e.is_empty())
    );

    // Not yet due: the first retry waits 5 s.
    clock.advance(2);
    run(&runner, &clock).await;
    assert_eq!(receiver.received().len(), 2);
    assert_eq!(deliveries_in(&db, "queued").await, 2);

    let retry_at = clock.advance(4);
    let summary = run(&runner, &clock).await;
    assert_eq!(summary.retried, 0, "{summary:?}");
    assert_eq!(deliveries_in(&db, "done").await, 2);
    let all = receiver.received();
    assert_eq!(all.len(), 4);
    for again in &all[2..] {
        assert_eq!(again.status, 204);
        let before = first
            .iter()
            .find(|r| r.header("webhook-id") == again.header("webhook-id"))
            .expect("the retry carries the first attempt's webhook-id");
        assert_eq!(again.body, before.body, "the same message");
        assert_eq!(
            again.header("webhook-timestamp"),
            retry_at.timestamp().to_string()
        );
        assert_ne!(
            again.header("webhook-signature"),
            before.header("webhook-signature")
        );
        verify(&secret, &again.headers, &again.body).expect("the retry verifies");
    }
    clock.advance(3600);
    run(&runner, &clock).await;
    assert_eq!(receiver.received().len(), 4, "delivered: nothing left");

    // The delivery log shows both attempts of each event.
    let page = zac.get(&format!("/kartel/admin/webhooks/{endpoint}")).await;
    page.expect_status(200);
    let log = page.body.split("Delivery log").nth(1).expect("the log");
    assert_eq!(log.matches("500 Internal Server Error").count(), 2, "{log}");
    assert_eq!(log.matches("204 delivered").count(), 2, "{log}");
    for r in &first {
        assert_eq!(
            log.matches(r.header("webhook-id")).count(),
            2,
            "both attempts name the event"
        );
    }
    let next = (first_at + chrono::Duration::seconds(5))
        .format("%-d %b %Y, %H:%M:%S")
        .to_string();
    assert!(
        log.contains(&next),
        "the failed attempts name their retry: {next}\n{log}"
    );
    assert!(log.contains("(4 in all)"));
    // The audit log has each message sent, once (not the failed attempts
    // that were retried), and no secret.
    let sent: Vec<(String, serde_json::Value)> = sqlx::query_as(
        "select actor, after from audit_log where entity = 'webhook' and action = 'send' order by seq",
    )
    .fetch_all(&db.pool)
    .await
    .expect("audit");
    assert_eq!(sent.len(), 2, "{sent:?}");
    for (actor, after) in &sent {
        assert_eq!(actor, "whygo webhooks");
        assert_eq!(after["attempt"], 2);
        assert_eq!(after["status"], 204);
        assert!(
            first
                .iter()
                .any(|r| r.header("webhook-id") == after["webhook_id"]),
            "{after}"
        );
    }
    let failed: i64 = sqlx::query_scalar(
        "select count(*) from audit_log where entity = 'webhook' and action = 'fail'",
    )
    .fetch_one(&db.pool)
    .await
    .expect("audit");
    assert_eq!(failed, 0, "retried attempts are not audited as failures");

    // A value that keeps the pace sends actual.added only.
    check_in_margin(&db, "51%").await;
    clock.catch_up();
    run(&runner, &clock).await;
    let last = receiver.received();
    assert_eq!(last.len(), 5);
    assert_eq!(last[4].event_type(), "actual.added");
    assert_eq!(last[4].json()["data"]["value"], "51%");
}

/// An API write through a token is an `actual.added` too (source `api`),
/// one event per value of a batch.
#[tokio::test]
async fn values_posted_through_the_api_are_sent_one_event_each() {
    use axum::body::Body;
    use http_body_util::BodyExt as _;
    use tower::ServiceExt as _;

    let db = demo_db().await;
    let receiver = Receiver::start(false).await;
    let (runner, clock) = runner(&db);
    let mut zac = signed_in(&db, "zac").await;
    let (_, secret) = add_endpoint(&mut zac, &receiver.url, &["actual.added"]).await;

    let mut wayan = signed_in(&db, "wayan").await;
    wayan.get("/kartel/api-tokens").await.expect_status(200);
    let res = wayan
        .post(
            "/kartel/api-tokens",
            &[("name", "push"), ("scope", "read-write"), ("expires", "90")],
        )
        .await;
    res.expect_status(201);
    let token = res
        .body
        .match_indices("whygo_")
        .find_map(|(at, _)| {
            let t = res.body.get(at..at + 70)?;
            t[6..]
                .bytes()
                .all(|b| b.is_ascii_hexdigit())
                .then(|| t.to_owned())
        })
        .expect("the page shows the token");
    let app = crate::common::app(&db);
    for body in [
        json!({"outcome": "prod-case-studies", "value": "8"}),
        json!({"actuals": [
            {"outcome": "prod-margin", "value": "48%"},
            {"outcome": "prod-on-time", "value": "94%"}
        ]}),
    ] {
        let req = axum::http::Request::post("/api/v1/kartel/actuals")
            .header("authorization", format!("Bearer {token}"))
            .header("content-type", "application/json")
            .body(Body::from(body.to_string()))
            .expect("request");
        let res = app.clone().oneshot(req).await.expect("answer");
        let status = res.status();
        let text = res.into_body().collect().await.expect("body").to_bytes();
        assert_eq!(status.as_u16(), 201, "{}", String::from_utf8_lossy(&text));
    }
    clock.catch_up();
    run(&runner, &clock).await;
    let got = receiver.received();
    assert_eq!(got.len(), 3);
    let mut outcomes: Vec<String> = got
        .iter()
        .map(|r| {
            verify(&secret, &r.headers, &r.body).expect("verifies");
            let d = r.json()["data"].clone();
            assert_eq!(d["source"], "api");
            assert_eq!(d["entered_by"]["key"], "wayan");
            d["outcome"]["key"].as_str().unwrap_or_default().to_owned()
        })
        .collect();
    outcomes.sort();
    assert_eq!(
        outcomes,
        ["prod-case-studies", "prod-margin", "prod-on-time"]
    );
}

#[tokio::test]
async fn an_approval_is_sent_once() {
    let db = demo_db().await;
    let receiver = Receiver::start(false).await;
    let (runner, clock) = runner(&db);
    let mut zac = signed_in(&db, "zac").await;
    let (_, secret) = add_endpoint(&mut zac, &receiver.url, &["whygo.approved"]).await;

    // A check-in is no event this endpoint wants: nothing is written for it.
    check_in_margin(&db, "50%").await;
    assert_eq!(count(&db, "select count(*) from webhook_events").await, 0);

    let version: i32 = sqlx::query_scalar("select version from whygos where key = 'trent-1'")
        .fetch_one(&db.pool)
        .await
        .expect("trent-1");
    let mut fill = signed_in(&db, "fill").await;
    fill.get("/kartel/approvals").await.expect_status(200);
    let v = version.to_string();
    fill.post("/kartel/whygos/trent-1/approve", &[("version", v.as_str())])
        .await
        .expect_status(303);
    // Approving again is refused (already approved) and sends nothing more.
    fill.get("/kartel/approvals").await.expect_status(200);
    let again = fill
        .post("/kartel/whygos/trent-1/approve", &[("version", v.as_str())])
        .await;
    assert_ne!(again.status.as_u16(), 303, "{}", again.body);

    clock.catch_up();
    run(&runner, &clock).await;
    clock.advance(600);
    run(&runner, &clock).await;
    let got = receiver.received();
    assert_eq!(got.len(), 1);
    verify(&secret, &got[0].headers, &got[0].body).expect("verifies");
    let b = got[0].json();
    assert_eq!(b["type"], "whygo.approved");
    let d = &b["data"];
    assert_eq!(d["whygo"]["key"], "trent-1");
    assert_eq!(d["whygo"]["level"], "individual");
    assert_eq!(d["whygo"]["person"], "trent");
    assert_eq!(
        d["whygo"]["title"],
        "Workflow Engineer Playbook and Batch Tooling"
    );
    assert_eq!(d["approved_by"]["key"], "fill");
    assert_eq!(d["how"], "approved");
    assert_eq!(d["link"], "/kartel/whygos/trent-1");
}

#[tokio::test]
async fn a_late_handoff_is_sent_once_however_many_scans_see_it() {
    let db = demo_db().await;
    let receiver = Receiver::start(false).await;
    let (runner, clock) = runner(&db);
    let mut zac = signed_in(&db, "zac").await;
    let (_, secret) = add_endpoint(&mut zac, &receiver.url, &["handoff.late"]).await;

    // The demo's handoffs as of the replayed week.
    let when = chrono::DateTime::parse_from_rfc3339("2026-11-21T12:00:00Z")
        .expect("date")
        .with_timezone(&chrono::Utc);
    clock.set(when);
    run(&runner, &clock).await;
    let events = count(
        &db,
        "select count(*) from webhook_events where type = 'handoff.late'",
    )
    .await;
    assert!(events > 0, "the demo has late handoffs on 21 November");
    let got = receiver.received();
    assert_eq!(usize::try_from(events).ok(), Some(got.len()));
    let mut seen = std::collections::HashSet::new();
    let mut wayan = signed_in(&db, "wayan").await;
    for r in &got {
        // The receiver checks timestamps against its own clock: this one
        // was stamped on the test's 21 November, so only the signature is
        // checked here, with the library's signing of the same message.
        let hook = standardwebhooks::Webhook::new(&secret).expect("secret");
        let ts: i64 = r.header("webhook-timestamp").parse().expect("timestamp");
        assert_eq!(ts, when.timestamp());
        assert_eq!(
            hook.sign(r.header("webhook-id"), ts, &r.body)
                .expect("sign"),
            r.header("webhook-signature")
        );
        let d = r.json()["data"].clone();
        assert_eq!(r.event_type(), "handoff.late");
        assert!(
            seen.insert((d["engagement"]["key"].clone(), d["handoff"]["type"].clone())),
            "once per handoff"
        );
        assert!(d["late_by"].as_str().is_some_and(|s| !s.is_empty()));
        // The engagement's page says it is late, as of that day.
        let link = d["link"].as_str().expect("link");
        let page = wayan.get(&format!("{link}?as_of={AS_OF}")).await;
        page.expect_status(200);
        assert!(page.body.contains("late by"), "{link} shows a late handoff");
    }

    // The next period's scan, and a second one, find the same handoffs late: nothing new.
    clock.advance(301);
    run(&runner, &clock).await;
    clock.advance(301);
    run(&runner, &clock).await;
    assert_eq!(
        count(
            &db,
            "select count(*) from webhook_events where type = 'handoff.late'"
        )
        .await,
        events
    );
    assert_eq!(receiver.received().len(), got.len());
    assert_eq!(
        count(
            &db,
            "select count(*) from jobs where kind = 'webhooks.scan_late' and state = 'done'"
        )
        .await,
        3,
        "one scan a period"
    );
}

/// A department WhyGO comes into force with its last required sign-off:
/// one `whygo.approved`, none for the sign-offs before it.
#[tokio::test]
async fn the_last_sign_off_of_a_department_whygo_is_sent_as_its_approval() {
    let db = demo_db().await;
    let receiver = Receiver::start(false).await;
    let (runner, clock) = runner(&db);
    let mut zac = signed_in(&db, "zac").await;
    let (_, secret) = add_endpoint(&mut zac, &receiver.url, &["whygo.approved"]).await;
    // As a workbook declaring it `submitted` loads it: waiting for the CEO,
    // the President and Ben, the head of Sales.
    sqlx::query(
        "update whygos set status = 'submitted', plan_approved_version = null where key = 'sales-1'",
    )
    .execute(&db.pool)
    .await
    .expect("sales-1 submitted");
    let version: i32 = sqlx::query_scalar("select version from whygos where key = 'sales-1'")
        .fetch_one(&db.pool)
        .await
        .expect("sales-1");
    let v = version.to_string();
    for (who, last) in [("kevin", false), ("luke", false), ("ben", true)] {
        let mut c = signed_in(&db, who).await;
        c.get("/kartel/whygos/sales-1").await.expect_status(200);
        c.post("/kartel/whygos/sales-1/signoff", &[("version", v.as_str())])
            .await
            .expect_status(303);
        let events = count(&db, "select count(*) from webhook_events").await;
        assert_eq!(events, i64::from(last), "after {who}'s sign-off");
    }
    clock.catch_up();
    run(&runner, &clock).await;
    let got = receiver.received();
    assert_eq!(got.len(), 1);
    verify(&secret, &got[0].headers, &got[0].body).expect("verifies");
    let d = got[0].json()["data"].clone();
    assert_eq!(d["whygo"]["key"], "sales-1");
    assert_eq!(d["whygo"]["level"], "department");
    assert_eq!(d["whygo"]["version"], version);
    assert_eq!(d["how"], "signed off");
    assert_eq!(d["approved_by"]["key"], "ben");
}

/// `whygo serve`'s worker (`server::job_runner`) runs the webhook jobs, with
/// links on the server's public address.
#[tokio::test]
async fn the_servers_worker_delivers_webhooks() {
    let db = demo_db().await;
    let receiver = Receiver::start(false).await;
    let mut zac = signed_in(&db, "zac").await;
    let (_, secret) = add_endpoint(&mut zac, &receiver.url, &["actual.added"]).await;
    check_in_margin(&db, "50%").await;
    let worker = whygo::server::job_runner(
        &db.app_pool,
        whygo::notify::Mailer::off("https://whygo.example/"),
    );
    worker
        .run_due(chrono::Utc::now() + chrono::Duration::seconds(1))
        .await
        .expect("run");
    let got = receiver.received();
    assert_eq!(got.len(), 1);
    verify(&secret, &got[0].headers, &got[0].body).expect("verifies");
    assert_eq!(got[0].event_type(), "actual.added");
    let body: serde_json::Value = serde_json::from_slice(&got[0].body).expect("JSON");
    let link = body["data"]["link"].as_str().unwrap_or_default();
    assert!(
        link.starts_with("https://whygo.example/kartel/whygos/"),
        "{body}"
    );
}
