//! The webhook admin pages: the form's refusals, the secret shown once and
//! never again (not on the pages, not in the audit log), edit, rotate,
//! disable (which stops queued deliveries), redeliver, the test event,
//! delete; admins only; another organization's endpoints are 404 and never
//! receive this organization's events.

use uuid::Uuid;

use crate::common::{demo_db, load_acme, signed_in};
use crate::webhooks_receiver::{Receiver, add_endpoint, count, deliveries_in, run, runner, verify};

async fn audit_text(db: &crate::common::TestDb) -> String {
    sqlx::query_scalar(
        "select coalesce(string_agg(concat_ws(' ', action, entity, entity_key, before::text, after::text), E'\\n'), '')
         from audit_log",
    )
    .fetch_one(&db.pool)
    .await
    .expect("audit log")
}

#[tokio::test]
async fn a_bad_endpoint_form_says_why_next_to_the_field_keeps_what_was_typed_and_writes_nothing() {
    let db = demo_db().await;
    let mut zac = signed_in(&db, "zac").await;
    let form = zac.get("/kartel/admin/webhooks/new").await;
    form.expect_status(200);
    assert!(
        form.body
            .contains("http:// only to localhost, 127.0.0.1 or [::1] (for testing)")
    );
    for (url, events, field, says) in [
        (
            "ftp://example.com/hook",
            vec!["actual.added"],
            "url-error",
            "are not accepted",
        ),
        (
            "http://example.com/hook",
            vec!["actual.added"],
            "url-error",
            "Use https://",
        ),
        (
            "https://10.1.2.3/hook",
            vec!["actual.added"],
            "url-error",
            "private",
        ),
        (
            "https://169.254.169.254/latest",
            vec!["actual.added"],
            "url-error",
            "private",
        ),
        (
            "https://user:pw@example.com/",
            vec!["actual.added"],
            "url-error",
            "password",
        ),
        (
            "https://example.com/hook",
            vec![],
            "events-error",
            "at least one",
        ),
        (
            "https://example.com/hook",
            vec!["user.deleted"],
            "events-error",
            "from the list",
        ),
    ] {
        let mut fields = vec![("url", url), ("description", "Typed <b>here</b>")];
        fields.extend(events.iter().map(|e| ("events", *e)));
        let res = zac.post("/kartel/admin/webhooks/new", &fields).await;
        res.expect_status(422);
        let at = res
            .body
            .find(&format!("id=\"{field}\""))
            .unwrap_or_else(|| panic!("{url}: a message at {field}:\n{}", res.body));
        assert!(res.body[at..].contains(says), "{url}: {says}");
        assert!(
            res.body.contains("Typed &#60;b&#62;here&#60;/b&#62;"),
            "typed text kept, escaped"
        );
        if field == "url-error" {
            assert!(res.body.contains("aria-invalid=\"true\""));
        }
    }
    assert_eq!(
        count(&db, "select count(*) from webhook_endpoints").await,
        0
    );
    assert_eq!(
        count(
            &db,
            "select count(*) from audit_log where entity = 'webhook endpoint'"
        )
        .await,
        0
    );
}

#[tokio::test]
async fn the_secret_is_shown_once_never_on_pages_or_in_the_audit_log_and_every_change_is_audited() {
    let db = demo_db().await;
    let receiver = Receiver::start(false).await;
    let (runner, clock) = runner(&db);
    let mut zac = signed_in(&db, "zac").await;
    let home = zac.get("/kartel/admin").await;
    assert!(
        home.body.contains("href=\"/kartel/admin/webhooks\""),
        "linked from the admin home"
    );

    let (id, secret) =
        add_endpoint(&mut zac, &receiver.url, &["actual.added", "handoff.late"]).await;
    assert!(secret.starts_with("whsec_"));
    let stored: String = sqlx::query_scalar("select secret from webhook_endpoints")
        .fetch_one(&db.pool)
        .await
        .expect("stored");
    assert_eq!(stored, secret);
    let list = zac.get("/kartel/admin/webhooks").await;
    list.expect_status(200);
    assert!(list.body.contains(&receiver.url));
    assert!(list.body.contains("actual.added, handoff.late"));
    assert!(
        !list.body.contains(&secret[6..]),
        "the list never shows the secret"
    );
    let page = zac.get(&format!("/kartel/admin/webhooks/{id}")).await;
    page.expect_status(200);
    assert!(
        !page.body.contains(&secret[6..]),
        "nor does the endpoint's page"
    );

    // Edit: the form holds what is stored; saving a change is audited.
    let edit = zac.get(&format!("/kartel/admin/webhooks/{id}/edit")).await;
    edit.expect_status(200);
    assert!(edit.body.contains("value=\"Test receiver\""));
    let res = zac
        .post(
            &format!("/kartel/admin/webhooks/{id}/edit"),
            &[
                ("url", receiver.url.as_str()),
                ("description", "CRM sync"),
                ("events", "actual.added"),
            ],
        )
        .await;
    res.expect_status(303);
    assert_eq!(
        res.location.as_deref(),
        Some(format!("/kartel/admin/webhooks/{id}?done=saved").as_str())
    );
    let events: Vec<String> = sqlx::query_scalar("select events from webhook_endpoints")
        .fetch_one(&db.pool)
        .await
        .expect("events");
    assert_eq!(events, ["actual.added"]);

    // Rotate: a new secret, shown once, signs from now on.
    let page = zac.get(&format!("/kartel/admin/webhooks/{id}")).await;
    page.expect_status(200);
    let rotated = zac
        .post(&format!("/kartel/admin/webhooks/{id}/rotate"), &[])
        .await;
    rotated.expect_status(200);
    assert_eq!(
        rotated
            .headers
            .get("cache-control")
            .and_then(|v| v.to_str().ok()),
        Some("no-store")
    );
    let at = rotated
        .body
        .find("whsec_")
        .expect("the new secret is shown");
    let new_secret: String = rotated.body[at..]
        .chars()
        .take_while(|c| *c != '<')
        .collect();
    assert_ne!(new_secret, secret);
    let again = zac.get(&format!("/kartel/admin/webhooks/{id}")).await;
    assert!(!again.body.contains(&new_secret[6..]), "shown only once");

    // The test event goes to this endpoint, signed with the new secret.
    zac.post(&format!("/kartel/admin/webhooks/{id}/test"), &[])
        .await
        .expect_status(303);
    clock.catch_up();
    run(&runner, &clock).await;
    let got = receiver.received();
    assert_eq!(got.len(), 1);
    assert_eq!(got[0].event_type(), "webhook.test");
    verify(&new_secret, &got[0].headers, &got[0].body).expect("signed with the new secret");
    assert!(
        verify(&secret, &got[0].headers, &got[0].body).is_err(),
        "not the old one"
    );

    // Disable, enable, delete.
    for (path, done) in [("disable", "disabled"), ("enable", "enabled")] {
        let res = zac
            .post(&format!("/kartel/admin/webhooks/{id}/{path}"), &[])
            .await;
        res.expect_status(303);
        assert!(
            res.location
                .as_deref()
                .is_some_and(|l| l.ends_with(&format!("done={done}")))
        );
    }
    let res = zac
        .post(&format!("/kartel/admin/webhooks/{id}/delete"), &[])
        .await;
    res.expect_status(303);
    zac.get(&format!("/kartel/admin/webhooks/{id}"))
        .await
        .expect_status(404);
    assert_eq!(
        count(&db, "select count(*) from webhook_endpoints").await,
        0
    );
    assert_eq!(
        count(&db, "select count(*) from webhook_deliveries").await,
        0,
        "its log with it"
    );

    let audit = audit_text(&db).await;
    for action in [
        "create",
        "update",
        "rotate secret",
        "send test event",
        "disable",
        "enable",
        "delete",
    ] {
        assert!(
            audit
                .lines()
                .any(|l| l.starts_with(&format!("{action} webhook endpoint"))),
            "{action} is audited:\n{audit}"
        );
    }
    assert!(
        audit.contains("\"secret\": \"set\"") && audit.contains("\"secret\": \"rotated\""),
        "{audit}"
    );
    for s in [&secret, &new_secret] {
        assert!(!audit.contains(&s[6..]), "no secret in the audit log");
    }
}

#[tokio::test]
async fn a_disabled_endpoint_stops_its_queued_deliveries_and_a_redelivery_sends_the_same_id() {
    let db = demo_db().await;
    let receiver = Receiver::start(true).await;
    let (runner, clock) = runner(&db);
    let mut zac = signed_in(&db, "zac").await;
    let (id, secret) = add_endpoint(&mut zac, &receiver.url, &["actual.added"]).await;
    let mut wayan = signed_in(&db, "wayan").await;
    wayan.get("/kartel/checkin").await.expect_status(200);
    wayan
        .post("/kartel/checkin", &[("value-4-prod-case-studies", "8")])
        .await
        .expect_status(303);

    clock.catch_up();
    assert_eq!(
        run(&runner, &clock).await.retried,
        1,
        "the first attempt fails"
    );
    zac.get(&format!("/kartel/admin/webhooks/{id}")).await;
    zac.post(&format!("/kartel/admin/webhooks/{id}/disable"), &[])
        .await
        .expect_status(303);
    clock.advance(10);
    run(&runner, &clock).await;
    assert_eq!(receiver.received().len(), 1, "nothing sent while disabled");
    assert_eq!(deliveries_in(&db, "done").await, 1, "the retry stops");
    assert_eq!(deliveries_in(&db, "queued").await, 0);
    let page = zac.get(&format!("/kartel/admin/webhooks/{id}")).await;
    assert!(
        page.body.contains("not sent: the endpoint is disabled"),
        "{}",
        page.body
    );

    // Enabled again, the admin redelivers the event: the same webhook-id.
    zac.post(&format!("/kartel/admin/webhooks/{id}/enable"), &[])
        .await
        .expect_status(303);
    let event: Uuid = sqlx::query_scalar("select id from webhook_events")
        .fetch_one(&db.pool)
        .await
        .expect("event");
    zac.get(&format!("/kartel/admin/webhooks/{id}")).await;
    let res = zac
        .post(
            &format!("/kartel/admin/webhooks/{id}/redeliver"),
            &[("event", event.simple().to_string().as_str())],
        )
        .await;
    res.expect_status(303);
    clock.catch_up();
    run(&runner, &clock).await;
    let got = receiver.received();
    assert_eq!(got.len(), 2);
    assert_eq!(got[1].status, 204);
    assert_eq!(got[0].header("webhook-id"), got[1].header("webhook-id"));
    verify(&secret, &got[1].headers, &got[1].body).expect("verifies");

    // Redelivering an event never sent to this endpoint is a 404.
    let res = zac
        .post(
            &format!("/kartel/admin/webhooks/{id}/redeliver"),
            &[("event", Uuid::now_v7().simple().to_string().as_str())],
        )
        .await;
    res.expect_status(404);
}

#[tokio::test]
async fn webhook_pages_are_for_admins_only() {
    let db = demo_db().await;
    let mut zac = signed_in(&db, "zac").await;
    let (id, _) = add_endpoint(
        &mut zac,
        "https://hooks.example.com/whygo",
        &["actual.added"],
    )
    .await;
    let mut kevin = signed_in(&db, "kevin").await;
    for path in [
        "/kartel/admin/webhooks".to_owned(),
        "/kartel/admin/webhooks/new".to_owned(),
        format!("/kartel/admin/webhooks/{id}"),
        format!("/kartel/admin/webhooks/{id}/edit"),
    ] {
        let res = kevin.get(&path).await;
        assert_eq!(res.status.as_u16(), 403, "{path}");
    }
    kevin.get("/kartel").await.expect_status(200);
    for action in ["disable", "rotate", "delete", "test"] {
        let res = kevin
            .post(&format!("/kartel/admin/webhooks/{id}/{action}"), &[])
            .await;
        assert_eq!(res.status.as_u16(), 403, "{action}");
    }
    assert_eq!(
        count(&db, "select count(*) from webhook_endpoints where enabled").await,
        1
    );
}

#[tokio::test]
async fn another_organizations_endpoints_are_404_and_never_receive_this_ones_events() {
    let db = demo_db().await;
    load_acme(&db).await;
    let ours = Receiver::start(false).await;
    let theirs = Receiver::start(false).await;
    let (runner, clock) = runner(&db);
    // Acme's endpoint wants every event.
    let acme_endpoint = Uuid::now_v7();
    sqlx::query(
        "insert into webhook_endpoints (tenant_id, id, url, events, secret)
         select id, $1, $2, array['actual.added', 'outcome.status_changed', 'whygo.approved', 'handoff.late'],
                'whsec_C2FVsBQIhrscChlQIMV+b5sSYspob7oD'
         from tenants where slug = 'acme'",
    )
    .bind(acme_endpoint)
    .bind(&theirs.url)
    .execute(&db.pool)
    .await
    .expect("acme's endpoint");
    let mut zac = signed_in(&db, "zac").await;
    add_endpoint(&mut zac, &ours.url, &["actual.added"]).await;

    // Kartel's admin cannot see or touch Acme's endpoint: 404, unchanged.
    let acme = acme_endpoint.simple().to_string();
    zac.get(&format!("/kartel/admin/webhooks/{acme}"))
        .await
        .expect_status(404);
    zac.get(&format!("/kartel/admin/webhooks/{acme}/edit"))
        .await
        .expect_status(404);
    zac.get("/kartel/admin/webhooks").await.expect_status(200);
    for action in ["disable", "rotate", "test", "delete"] {
        zac.post(&format!("/kartel/admin/webhooks/{acme}/{action}"), &[])
            .await
            .expect_status(404);
    }
    zac.get("/acme/admin/webhooks").await.expect_status(404);
    let list = zac.get("/kartel/admin/webhooks").await;
    assert!(!list.body.contains(&theirs.url));
    assert_eq!(
        count(
            &db,
            "select count(*) from webhook_endpoints where enabled and secret_rotated_at is null"
        )
        .await,
        2,
        "Acme's endpoint is as it was"
    );

    // A Kartel check-in goes to Kartel's endpoint only.
    let mut wayan = signed_in(&db, "wayan").await;
    wayan.get("/kartel/checkin").await.expect_status(200);
    wayan
        .post("/kartel/checkin", &[("value-4-prod-margin", "50%")])
        .await
        .expect_status(303);
    clock.catch_up();
    run(&runner, &clock).await;
    assert_eq!(ours.received().len(), 1);
    assert!(
        theirs.received().is_empty(),
        "Acme receives nothing of Kartel's"
    );
}

/// (address, status, error, delivered, next retry) of an attempt.
type Attempt = (
    String,
    Option<i16>,
    String,
    bool,
    Option<chrono::DateTime<chrono::Utc>>,
);

/// A receiver that is not there is retried and says why; an address that
/// is no longer allowed (written around the form) is never connected to.
#[tokio::test]
async fn an_unreachable_receiver_is_retried_and_a_forbidden_address_is_never_sent_to() {
    let db = demo_db().await;
    let (runner, clock) = runner(&db);
    // A port nobody listens on any more.
    let closed = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        l.local_addr().expect("address").port()
    };
    let mut zac = signed_in(&db, "zac").await;
    let (down, _) = add_endpoint(
        &mut zac,
        &format!("http://127.0.0.1:{closed}/hook"),
        &["actual.added"],
    )
    .await;
    let (inside, _) =
        add_endpoint(&mut zac, "https://hooks.example.com/x", &["actual.added"]).await;
    sqlx::query("update webhook_endpoints set url = 'https://10.0.0.5/hook' where id = $1::uuid")
        .bind(&inside)
        .execute(&db.pool)
        .await
        .expect("an address the form refuses");
    let mut wayan = signed_in(&db, "wayan").await;
    wayan.get("/kartel/checkin").await.expect_status(200);
    wayan
        .post("/kartel/checkin", &[("value-4-prod-margin", "50%")])
        .await
        .expect_status(303);
    let at = clock.catch_up();
    assert_eq!(run(&runner, &clock).await.retried, 1, "the unreachable one");
    let rows: Vec<Attempt> = sqlx::query_as(
        "select e.url, d.status, d.error, d.delivered, d.next_retry_at
             from webhook_deliveries d join webhook_endpoints e on e.id = d.endpoint_id
             order by e.url",
    )
    .fetch_all(&db.pool)
    .await
    .expect("attempts");
    assert_eq!(rows.len(), 2);
    let (_, status, error, delivered, next) = &rows[0];
    assert!(rows[0].0.starts_with("http://127.0.0.1"));
    assert_eq!((*status, *delivered), (None, false));
    assert!(error.starts_with("could not connect"), "{error}");
    assert_eq!(
        next.map(|t| t.timestamp_micros()),
        Some((at + chrono::Duration::seconds(5)).timestamp_micros()),
        "retried after 5 s"
    );
    let (_, status, error, delivered, next) = &rows[1];
    assert_eq!((*status, *delivered, *next), (None, false, None));
    assert!(
        error.starts_with("not sent: 10.0.0.5 is a private"),
        "{error}"
    );
    let page = zac.get(&format!("/kartel/admin/webhooks/{down}")).await;
    assert!(page.body.contains("could not connect"), "the log says why");
}
