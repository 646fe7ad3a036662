//! The machine API (issue 14) over HTTP on the demo: tokens made and revoked
//! on their pages, scopes, refusals, last use and audit; every endpoint of
//! the OpenAPI document against another organization; visibility; the
//! idempotent batch of actuals; validation as JSON; paging; the rate limit;
//! the document itself; and the example script of docs/api.md against a
//! real server.

use std::path::PathBuf;

use axum::Router;
use axum::body::Body;
use axum::http::{HeaderMap, StatusCode};
use http_body_util::BodyExt as _;
use serde_json::{Value, json};
use tower::ServiceExt as _;
use uuid::Uuid;

use crate::common::{Client, TestDb, app, demo_db, load_acme, signed_in};

/// An API answer: status, headers and the body as JSON (a string when not JSON).
struct Answer {
    status: StatusCode,
    headers: HeaderMap,
    json: Value,
}

impl Answer {
    fn expect(&self, status: u16) -> &Self {
        assert_eq!(
            self.status.as_u16(),
            status,
            "unexpected status; body: {}",
            self.json
        );
        self
    }
}

async fn call(
    app: &Router,
    method: &str,
    path: &str,
    token: Option<&str>,
    body: Option<&Value>,
    headers: &[(&str, &str)],
) -> Answer {
    let mut req = axum::http::Request::builder().method(method).uri(path);
    if let Some(t) = token {
        req = req.header("authorization", format!("Bearer {t}"));
    }
    if body.is_some() {
        req = req.header("content-type", "application/json");
    }
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    let body = body.map_or_else(Body::empty, |b| Body::from(b.to_string()));
    let res = app
        .clone()
        .oneshot(req.body(body).expect("request"))
        .await
        .expect("the router answers");
    let status = res.status();
    let headers = res.headers().clone();
    let bytes = res.into_body().collect().await.expect("body").to_bytes();
    let text = String::from_utf8_lossy(&bytes).into_owned();
    let json = serde_json::from_str(&text).unwrap_or(Value::String(text));
    Answer {
        status,
        headers,
        json,
    }
}

async fn get(app: &Router, path: &str, token: &str) -> Answer {
    call(app, "GET", path, Some(token), None, &[]).await
}

async fn post(
    app: &Router,
    path: &str,
    token: &str,
    body: &Value,
    headers: &[(&str, &str)],
) -> Answer {
    call(app, "POST", path, Some(token), Some(body), headers).await
}

/// The token a page shows once.
fn token_in(body: &str) -> Option<String> {
    body.match_indices("whygo_").find_map(|(at, _)| {
        let token = body.get(at..at + 6 + 64)?;
        token[6..]
            .bytes()
            .all(|b| b.is_ascii_hexdigit())
            .then(|| token.to_owned())
    })
}

/// Makes a token on the member's own page, as a person would.
async fn make_token(c: &mut Client, name: &str, scope: &str) -> String {
    c.get("/kartel/api-tokens").await.expect_status(200);
    let res = c
        .post(
            "/kartel/api-tokens",
            &[("name", name), ("scope", scope), ("expires", "90")],
        )
        .await;
    res.expect_status(201);
    token_in(&res.body).unwrap_or_else(|| panic!("the page shows the token:\n{}", res.body))
}

/// A token of `email` in `slug`, made in storage (for accounts that do not
/// sign in).
async fn stored_token(
    db: &TestDb,
    slug: &str,
    account: Uuid,
    kind: whygo::db::api_tokens::Kind,
    role: Option<whygo::domain::permissions::Role>,
) -> String {
    let tenant: Uuid = sqlx::query_scalar("select id from tenants where slug = $1")
        .bind(slug)
        .fetch_one(&db.pool)
        .await
        .expect("tenant");
    let (_, token) = whygo::db::api_tokens::create(
        &db.pool,
        tenant,
        &whygo::db::api_tokens::NewToken {
            name: "test",
            kind,
            account,
            role,
            scope: whygo::db::api_tokens::Scope::ReadWrite,
            expires_at: None,
        },
    )
    .await
    .expect("token");
    token
}

async fn count(db: &TestDb, sql: &str) -> i64 {
    sqlx::query_scalar(sql)
        .fetch_one(&db.pool)
        .await
        .expect("count")
}

/// Wayan's read-write token and the app.
async fn wayan(db: &TestDb) -> (Router, String) {
    let mut c = signed_in(db, "wayan").await;
    let token = make_token(&mut c, "push", "read-write").await;
    (app(db), token)
}

#[tokio::test]
async fn a_token_made_on_the_page_is_shown_once_stored_as_a_hash_audited_and_revoked() {
    let db = demo_db().await;
    let mut trent = signed_in(&db, "trent").await;
    let page = trent.get("/kartel/api-tokens").await;
    page.expect_status(200);
    assert!(page.body.contains("My API tokens") && page.body.contains("No token yet."));
    let token = make_token(&mut trent, "weekly CSV push", "read").await;
    assert_eq!(token.len(), 70);

    // Only the hash is kept; the list names it by its prefix, never whole.
    let stored: Vec<(Vec<u8>, String)> =
        sqlx::query_as("select token_hash, prefix from api_tokens")
            .fetch_all(&db.pool)
            .await
            .expect("tokens");
    assert_eq!(stored.len(), 1);
    assert_eq!(stored[0].0, whygo::auth::token::sha256(&token));
    assert!(token[6..].starts_with(&stored[0].1));
    let dump: String = sqlx::query_scalar("select string_agg(t::text, ' ') from api_tokens t")
        .fetch_one(&db.pool)
        .await
        .expect("dump");
    assert!(
        !dump.contains(&token[6..]),
        "the token itself is not stored"
    );
    let list = trent.get("/kartel/api-tokens").await;
    assert!(!list.body.contains(&token), "shown once only");
    assert!(
        list.body.contains("weekly CSV push")
            && list.body.contains(&format!("whygo_{}…", stored[0].1))
    );
    assert_eq!(
        count(&db, "select count(*) from audit_log where entity = 'api token' and action = 'create' and actor = 'trent@kartel.example'").await,
        1
    );

    // The token opens the API; revoked on the page, it no longer does.
    let app = app(&db);
    get(&app, "/api/v1/kartel", &token).await.expect(200);
    let id: Uuid = sqlx::query_scalar("select id from api_tokens")
        .fetch_one(&db.pool)
        .await
        .expect("id");
    let res = trent
        .post(&format!("/kartel/api-tokens/{}/revoke", id.simple()), &[])
        .await;
    res.expect_status(303);
    let answer = get(&app, "/api/v1/kartel", &token).await;
    answer.expect(401);
    assert!(
        answer.json["error"]
            .as_str()
            .is_some_and(|e| e.contains("revoked")),
        "{}",
        answer.json
    );
    assert!(answer.headers.get("www-authenticate").is_some());
    assert_eq!(
        count(
            &db,
            "select count(*) from audit_log where entity = 'api token' and action = 'revoke'"
        )
        .await,
        1
    );

    // Another member cannot revoke it (404, as if it did not exist), nor see it.
    let token2 = make_token(&mut trent, "second", "read").await;
    let id2: Uuid = sqlx::query_scalar("select id from api_tokens where name = 'second'")
        .fetch_one(&db.pool)
        .await
        .expect("id");
    let mut wayan = signed_in(&db, "wayan").await;
    wayan.get("/kartel/api-tokens").await;
    let res = wayan
        .post(&format!("/kartel/api-tokens/{}/revoke", id2.simple()), &[])
        .await;
    res.expect_status(404);
    assert!(
        !wayan
            .get("/kartel/api-tokens")
            .await
            .body
            .contains("second")
    );
    get(&app, "/api/v1/kartel", &token2).await.expect(200);
    // An admin sees every token and revokes any.
    let mut zac = signed_in(&db, "zac").await;
    let admin = zac.get("/kartel/admin/api-tokens").await;
    admin.expect_status(200);
    assert!(admin.body.contains("second") && admin.body.contains("trent@kartel.example"));
    zac.post(
        &format!("/kartel/admin/api-tokens/{}/revoke", id2.simple()),
        &[],
    )
    .await
    .expect_status(303);
    get(&app, "/api/v1/kartel", &token2).await.expect(401);
    // A member may not open the admin page.
    wayan
        .get("/kartel/admin/api-tokens")
        .await
        .expect_status(403);
}

#[tokio::test]
async fn a_bad_token_form_keeps_what_was_typed_and_says_why() {
    let db = demo_db().await;
    let mut trent = signed_in(&db, "trent").await;
    trent.get("/kartel/api-tokens").await;
    let res = trent
        .post(
            "/kartel/api-tokens",
            &[("name", "  "), ("scope", "everything"), ("expires", "7")],
        )
        .await;
    res.expect_status(422);
    for text in [
        "Enter a name for the token.",
        "Choose read, or read and write.",
        "Choose when the token expires.",
    ] {
        assert!(res.body.contains(text), "missing {text}");
    }
    assert_eq!(count(&db, "select count(*) from api_tokens").await, 0);
}

#[tokio::test]
async fn unknown_revoked_expired_missing_and_former_members_tokens_answer_401_and_each_use_is_counted()
 {
    let db = demo_db().await;
    let (app, token) = wayan(&db).await;
    for (auth, why) in [
        (None, "Send an API token"),
        (Some(format!("whygo_{}", "0".repeat(64))), "not known"),
        (Some("not-a-token".to_owned()), "not known"),
    ] {
        let a = call(&app, "GET", "/api/v1/kartel", auth.as_deref(), None, &[]).await;
        a.expect(401);
        assert!(
            a.json["error"].as_str().is_some_and(|e| e.contains(why)),
            "{}",
            a.json
        );
    }
    // Every use moves "last used" and the count.
    let before: (Option<chrono::DateTime<chrono::Utc>>, i64) =
        sqlx::query_as("select last_used_at, uses from api_tokens")
            .fetch_one(&db.pool)
            .await
            .expect("row");
    assert_eq!(before, (None, 0));
    get(&app, "/api/v1/kartel", &token).await.expect(200);
    get(&app, "/api/v1/kartel/people", &token).await.expect(200);
    let after: (Option<chrono::DateTime<chrono::Utc>>, i64) =
        sqlx::query_as("select last_used_at, uses from api_tokens")
            .fetch_one(&db.pool)
            .await
            .expect("row");
    assert!(after.0.is_some());
    assert_eq!(after.1, 2);

    sqlx::query("update api_tokens set expires_at = now() - interval '1 day'")
        .execute(&db.pool)
        .await
        .expect("expire");
    let a = get(&app, "/api/v1/kartel", &token).await;
    a.expect(401);
    assert!(
        a.json["error"]
            .as_str()
            .is_some_and(|e| e.contains("expired")),
        "{}",
        a.json
    );
    let uses: i64 = count(&db, "select uses from api_tokens").await;
    assert_eq!(uses, 2, "a refused token's use is not counted");

    // A member removed from the organization: their tokens stop at once.
    sqlx::query("update api_tokens set expires_at = null")
        .execute(&db.pool)
        .await
        .expect("renew");
    get(&app, "/api/v1/kartel", &token).await.expect(200);
    sqlx::query("delete from memberships where account_id = (select id from accounts where email = 'wayan@kartel.example')")
        .execute(&db.pool)
        .await
        .expect("remove");
    let a = get(&app, "/api/v1/kartel", &token).await;
    a.expect(401);
    assert!(
        a.json["error"]
            .as_str()
            .is_some_and(|e| e.contains("no longer a member")),
        "{}",
        a.json
    );
}

#[tokio::test]
async fn a_read_token_reads_and_is_refused_writes_a_read_write_token_writes() {
    let db = demo_db().await;
    let mut c = signed_in(&db, "wayan").await;
    let read = make_token(&mut c, "reader", "read").await;
    let write = make_token(&mut c, "writer", "read-write").await;
    let app = app(&db);
    let me = get(&app, "/api/v1/kartel", &read).await;
    me.expect(200);
    assert_eq!(me.json["token"]["scope"], "read");
    assert_eq!(me.json["token"]["person"], "wayan");
    let body = json!({"outcome": "prod-case-studies", "quarter": 4, "value": "7"});
    let a = post(&app, "/api/v1/kartel/actuals", &read, &body, &[]).await;
    a.expect(403);
    assert!(
        a.json["error"]
            .as_str()
            .is_some_and(|e| e.contains("may only read"))
    );
    assert_eq!(
        count(&db, "select count(*) from actuals where source = 'api'").await,
        0
    );
    let a = post(&app, "/api/v1/kartel/actuals", &write, &body, &[]).await;
    a.expect(201);
    assert_eq!(a.json["saved"], 1);
    assert_eq!(a.json["actuals"][0]["value"], "7");
    assert_eq!(
        count(&db, "select count(*) from actuals where source = 'api'").await,
        1
    );
    // Audited, naming the token it came through.
    assert_eq!(
        count(&db, "select count(*) from audit_log where entity = 'actual' and actor = 'wayan@kartel.example (API token “writer”)'").await,
        1
    );
}

/// Every operation of the OpenAPI document: (method, path pattern).
fn operations() -> Vec<(String, String)> {
    let doc: Value = serde_json::to_value(whygo::http::api::openapi()).expect("document");
    let mut out = Vec::new();
    for (path, item) in doc["paths"].as_object().expect("paths") {
        for method in ["get", "post"] {
            if item.get(method).is_some() {
                out.push((method.to_uppercase(), path.clone()));
            }
        }
    }
    out
}

/// A pattern filled in with `tenant` and keys that exist in Kartel.
fn fill(pattern: &str, tenant: &str) -> String {
    pattern
        .replace("{tenant}", tenant)
        .replace("/departments/{key}", "/departments/production")
        .replace("/people/{key}", "/people/wayan")
        .replace("/whygos/{key}", "/whygos/production-2")
        .replace("/engagements/{key}", "/engagements/{engagement}")
        .replace("{type}", "sales-to-production")
        .replace("{move}", "submit")
}

/// A demo engagement with a handoff #1 (Sales → Production).
async fn demo_engagement(db: &TestDb) -> String {
    sqlx::query_scalar(
        "select e.key from handoffs h
         join engagements e on e.tenant_id = h.tenant_id and e.id = h.engagement_id
         join handoff_types t on t.tenant_id = h.tenant_id and t.id = h.handoff_type_id
         where t.key = 'sales-to-production' order by e.key limit 1",
    )
    .fetch_one(&db.pool)
    .await
    .expect("a demo engagement with handoff #1")
}

#[tokio::test]
async fn every_endpoint_refuses_another_organizations_rows_with_404() {
    let db = demo_db().await;
    load_acme(&db).await;
    let engagement = demo_engagement(&db).await;
    let (app, kartel) = wayan(&db).await;
    let ann =
        crate::common::service_account(&db, "acme", "ann", whygo::domain::permissions::Role::Admin)
            .await;
    let acme = stored_token(
        &db,
        "acme",
        ann.account,
        whygo::db::api_tokens::Kind::Personal,
        None,
    )
    .await;
    let before =
        crate::common::content_fingerprint(&db, &["api_tokens", "sessions", "sign_in_attempts"])
            .await;
    let ops = operations();
    assert!(ops.len() >= 15, "{ops:?}");
    for (method, pattern) in &ops {
        let kartel_path = fill(pattern, "kartel").replace("{engagement}", &engagement);
        let body = if pattern.ends_with("/actuals") {
            json!({"outcome": "acme-shipped", "quarter": 4, "value": "3"})
        } else if pattern.ends_with("/comments") {
            json!({"body": "hi"})
        } else {
            json!({})
        };
        let send = |path: String, token: String| {
            let app = app.clone();
            let method = method.clone();
            let body = body.clone();
            async move {
                call(
                    &app,
                    &method,
                    &path,
                    Some(&token),
                    (method == "POST").then_some(&body),
                    &[],
                )
                .await
            }
        };
        // Kartel's token on Acme's address, and Acme's token on Kartel's.
        let a = send(
            fill(pattern, "acme").replace("{engagement}", &engagement),
            kartel.clone(),
        )
        .await;
        assert_eq!(
            a.status,
            StatusCode::NOT_FOUND,
            "{method} {pattern} with Kartel's token on acme: {}",
            a.json
        );
        let a = send(kartel_path.clone(), acme.clone()).await;
        assert_eq!(
            a.status,
            StatusCode::NOT_FOUND,
            "{method} {pattern} with Acme's token on kartel: {}",
            a.json
        );
        assert!(a.json["error"].is_string(), "JSON error: {}", a.json);
        // Acme's token on its own address with Kartel's keys: not found either.
        if pattern.contains("{key}") {
            let a = send(
                fill(pattern, "acme").replace("{engagement}", &engagement),
                acme.clone(),
            )
            .await;
            assert_eq!(
                a.status,
                StatusCode::NOT_FOUND,
                "{method} {pattern}: Kartel's key in Acme: {}",
                a.json
            );
        }
    }
    assert_eq!(
        before,
        crate::common::content_fingerprint(&db, &["api_tokens", "sessions", "sign_in_attempts"])
            .await,
        "nothing was written"
    );
}

#[tokio::test]
async fn a_token_sees_only_what_its_person_sees_on_the_pages() {
    let db = demo_db().await;
    let (app, wayan) = wayan(&db).await;
    // Trent's individual WhyGO: Wayan is not in his chain.
    let mut w = signed_in(&db, "wayan").await;
    w.get("/kartel/whygos/trent-1").await.expect_status(404);
    get(&app, "/api/v1/kartel/whygos/trent-1", &wayan)
        .await
        .expect(404);
    get(&app, "/api/v1/kartel/whygos/trent-1/comments", &wayan)
        .await
        .expect(404);
    let list = get(&app, "/api/v1/kartel/whygos?person=trent", &wayan).await;
    list.expect(200);
    assert_eq!(list.json["total"], 0, "{}", list.json);
    let all = get(&app, "/api/v1/kartel/whygos?per_page=200", &wayan).await;
    let keys: Vec<&str> = all.json["items"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|w| w["key"].as_str())
        .collect();
    assert!(
        !keys.contains(&"trent-1") && keys.contains(&"production-2"),
        "{keys:?}"
    );
    let report = get(&app, "/api/v1/kartel/report", &wayan).await;
    report.expect(200);
    assert!(!report.json.to_string().contains("trent-1"));
    // Trent's own token, and Fill's (his manager), see it.
    let mut trent = signed_in(&db, "trent").await;
    let own = make_token(&mut trent, "mine", "read").await;
    let one = get(&app, "/api/v1/kartel/whygos/trent-1", &own).await;
    one.expect(200);
    assert_eq!(one.json["person"], "trent");
    assert!(one.json["outcomes"][0]["history"].is_array());
    // The audit log is for admins only.
    get(&app, "/api/v1/kartel/audit", &wayan).await.expect(403);
    let mut zac = signed_in(&db, "zac").await;
    let admin = make_token(&mut zac, "audit", "read").await;
    let log = get(&app, "/api/v1/kartel/audit?per_page=2", &admin).await;
    log.expect(200);
    assert_eq!(log.json["items"].as_array().map(Vec::len), Some(2));
    let next = log.json["next"].as_str().expect("a next page").to_owned();
    let older = get(&app, &next, &admin).await;
    older.expect(200);
    assert!(older.json["items"][0]["seq"].as_i64() < log.json["items"][1]["seq"].as_i64());
}

#[tokio::test]
async fn a_batch_sent_twice_with_one_idempotency_key_is_saved_once_and_the_key_with_another_body_is_refused()
 {
    let db = demo_db().await;
    let (app, token) = wayan(&db).await;
    let batch = json!({"actuals": [
        {"outcome": "prod-case-studies", "quarter": 4, "value": "7"},
        {"outcome": "prod-margin", "value": "47%", "note": "Two pods ramping."}
    ]});
    let version = || {
        count(
            &db,
            "select data_version from tenants where slug = 'kartel'",
        )
    };
    let v0 = version().await;
    let key = [("idempotency-key", "week-47")];
    let first = post(&app, "/api/v1/kartel/actuals", &token, &batch, &key).await;
    first.expect(201);
    assert_eq!(first.json["saved"], 2);
    assert_eq!(
        first.json["actuals"][1]["quarter"], 4,
        "the date's quarter by default"
    );
    assert!(first.headers.get("idempotent-replayed").is_none());
    let v1 = version().await;
    assert!(
        v1 > v0,
        "an API write moves the data version as a page write does"
    );
    let again = post(&app, "/api/v1/kartel/actuals", &token, &batch, &key).await;
    again.expect(201);
    assert_eq!(again.json, first.json, "the first answer, again");
    assert_eq!(
        again
            .headers
            .get("idempotent-replayed")
            .and_then(|v| v.to_str().ok()),
        Some("true")
    );
    assert_eq!(
        count(&db, "select count(*) from actuals where source = 'api'").await,
        2
    );
    assert_eq!(version().await, v1, "nothing written");
    let other = json!({"actuals": [{"outcome": "prod-case-studies", "quarter": 4, "value": "8"}]});
    let refused = post(&app, "/api/v1/kartel/actuals", &token, &other, &key).await;
    refused.expect(422);
    assert_eq!(refused.json["field"], "Idempotency-Key");
    assert_eq!(
        count(&db, "select count(*) from actuals where source = 'api'").await,
        2
    );
    // A new key saves anew; the pages show the new actual at once.
    post(
        &app,
        "/api/v1/kartel/actuals",
        &token,
        &other,
        &[("idempotency-key", "week-48")],
    )
    .await
    .expect(201);
    let mut kevin = signed_in(&db, "kevin").await;
    let page = kevin.get("/kartel/whygos/production-2").await;
    page.expect_status(200);
    assert!(
        page.body.contains("Two pods ramping."),
        "the WhyGO page shows the API's actual"
    );
}

#[tokio::test]
async fn bad_values_answer_422_with_each_field_and_the_forms_message_and_nothing_is_written() {
    let db = demo_db().await;
    let (app, token) = wayan(&db).await;
    let written = || count(&db, "select count(*) from actuals");
    let n = written().await;
    let batch = json!({"actuals": [
        {"outcome": "prod-case-studies", "quarter": 4, "value": "lots"},
        {"outcome": "prod-case-studies", "quarter": 3, "value": "-3"},
        {"outcome": "prod-margin", "quarter": 4, "value": "5%"},
        {"outcome": "prod-margin", "quarter": 4, "value": ""}
    ]});
    let a = post(&app, "/api/v1/kartel/actuals", &token, &batch, &[]).await;
    a.expect(422);
    let errors = a.json["errors"].as_array().cloned().unwrap_or_default();
    let fields: Vec<&str> = errors.iter().filter_map(|e| e["field"].as_str()).collect();
    assert_eq!(
        fields,
        [
            "actuals[0].value",
            "actuals[1].quarter",
            "actuals[2].note",
            "actuals[3].value"
        ],
        "{}",
        a.json
    );
    assert_eq!(a.json["field"], "actuals[0].value");
    assert!(
        errors[2]["message"]
            .as_str()
            .is_some_and(|m| m.contains("needs its reason")),
        "{}",
        a.json
    );
    assert_eq!(written().await, n, "all or nothing");

    // Not JSON, a NUL, a wrong type, an unknown field, nobody's outcome.
    let raw = call(
        &app,
        "POST",
        "/api/v1/kartel/actuals",
        Some(&token),
        None,
        &[("content-type", "text/csv")],
    )
    .await;
    raw.expect(415);
    for (body, status, field) in [
        (
            json!({"outcome": "prod-margin", "value": "4\u{0}7%"}),
            400,
            "value",
        ),
        (
            json!({"outcome": "prod-margin", "quarter": "four", "value": "47%"}),
            422,
            "quarter",
        ),
        (
            json!({"outcome": "prod-margin", "value": "47%", "colour": "red"}),
            422,
            "colour",
        ),
        (
            json!({"actuals": [{"outcome": "acme-shipped", "value": "1"}]}),
            422,
            "actuals[0].outcome",
        ),
        (json!({"actuals": []}), 422, "actuals"),
    ] {
        let a = post(&app, "/api/v1/kartel/actuals", &token, &body, &[]).await;
        assert_eq!(a.status.as_u16(), status, "{body}: {}", a.json);
        assert!(a.json["error"].is_string(), "{}", a.json);
        if !field.is_empty() {
            assert_eq!(a.json["field"], field, "{}", a.json);
        }
    }
    // Someone else's outcome: refused by the permission table, as on the form.
    let a = post(
        &app,
        "/api/v1/kartel/actuals",
        &token,
        &json!({"outcome": "gen-labs-tools", "value": "3"}),
        &[],
    )
    .await;
    a.expect(403);
    assert_eq!(written().await, n);
    // Broken JSON says where.
    let req = axum::http::Request::post("/api/v1/kartel/actuals")
        .header("authorization", format!("Bearer {token}"))
        .header("content-type", "application/json")
        .body(Body::from("{\"outcome\": "))
        .expect("request");
    let res = app.clone().oneshot(req).await.expect("answer");
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);
    let bytes = res.into_body().collect().await.expect("body").to_bytes();
    assert!(String::from_utf8_lossy(&bytes).contains("not valid JSON"));
}

#[tokio::test]
async fn lists_are_paged_with_next_previous_and_a_link_header() {
    let db = demo_db().await;
    let (app, token) = wayan(&db).await;
    let first = get(&app, "/api/v1/kartel/people?per_page=5", &token).await;
    first.expect(200);
    let total = first.json["total"].as_u64().expect("total");
    assert!(total > 10, "{}", first.json);
    assert_eq!(first.json["items"].as_array().map(Vec::len), Some(5));
    assert_eq!(first.json["previous"], Value::Null);
    let next = first.json["next"].as_str().expect("next").to_owned();
    assert_eq!(next, "/api/v1/kartel/people?per_page=5&page=2");
    let link = first
        .headers
        .get("link")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    assert!(link.contains("rel=\"next\""), "{link}");
    let second = get(&app, &next, &token).await;
    second.expect(200);
    assert_ne!(
        second.json["items"][0]["key"],
        first.json["items"][0]["key"]
    );
    assert_eq!(
        second.json["previous"],
        "/api/v1/kartel/people?per_page=5&page=1"
    );
    let pages = first.json["pages"].as_u64().expect("pages");
    let after = get(
        &app,
        &format!("/api/v1/kartel/people?per_page=5&page={}", pages + 1),
        &token,
    )
    .await;
    after.expect(404);
    assert_eq!(after.json["field"], "page");
    let bad = get(&app, "/api/v1/kartel/whygos?page=0", &token).await;
    bad.expect(400);
    assert_eq!(bad.json["field"], "page");
    let bad = get(&app, "/api/v1/kartel/whygos?as_of=yesterday", &token).await;
    bad.expect(400);
    assert_eq!(bad.json["field"], "as_of");
    let w = get(
        &app,
        "/api/v1/kartel/whygos?level=department&department=production&as_of=2026-11-21",
        &token,
    )
    .await;
    w.expect(200);
    assert!(
        w.json["items"].as_array().is_some_and(|i| !i.is_empty()
            && i.iter()
                .all(|x| x["level"] == "department" && x["department"] == "production")),
        "{}",
        w.json
    );
    let q = &w.json["items"][0]["outcomes"][0]["quarters"];
    assert_eq!(q.as_array().map(Vec::len), Some(4));
    assert!(q[3]["status"].is_string() && q[3]["explanation"].is_string());
}

#[tokio::test]
async fn over_its_rate_limit_a_token_is_answered_429_with_retry_after() {
    let db = demo_db().await;
    let mut c = signed_in(&db, "wayan").await;
    let token = make_token(&mut c, "busy", "read").await;
    let mut settings =
        whygo::http::Settings::new(PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("static"));
    settings.today = crate::common::TODAY.parse().ok();
    settings.api_rate_limit = 3;
    let app = whygo::http::app(db.app_pool.clone(), settings);
    for _ in 0..3 {
        get(&app, "/api/v1/kartel", &token).await.expect(200);
    }
    let a = get(&app, "/api/v1/kartel", &token).await;
    a.expect(429);
    let retry: u64 = a
        .headers
        .get("retry-after")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse().ok())
        .expect("Retry-After in seconds");
    assert!((1..=60).contains(&retry), "{retry}");
    assert!(
        a.json["error"]
            .as_str()
            .is_some_and(|e| e.contains("Try again in"))
    );
    // Another token of the same person has its own count.
    let other = make_token(&mut c, "calm", "read").await;
    get(&app, "/api/v1/kartel", &other).await.expect(200);
    // When the window has passed, the token is served again.
    sqlx::query(
        "update api_tokens set window_start = now() - interval '61 seconds' where name = 'busy'",
    )
    .execute(&db.pool)
    .await
    .expect("age the window");
    get(&app, "/api/v1/kartel", &token).await.expect(200);
}

#[tokio::test]
async fn comments_and_handoff_steps_are_taken_through_the_api_as_the_pages_take_them() {
    let db = demo_db().await;
    crate::common::without_demo_engagements(&db).await;
    let (app, token) = wayan(&db).await;
    let a = post(
        &app,
        "/api/v1/kartel/whygos/production-2/comments",
        &token,
        &json!({"body": "Margin recovers in December.", "outcome": "prod-margin"}),
        &[],
    )
    .await;
    a.expect(201);
    let list = get(&app, "/api/v1/kartel/whygos/production-2/comments", &token).await;
    list.expect(200);
    assert_eq!(
        list.json["items"][0]["body"],
        "Margin recovers in December."
    );
    assert_eq!(list.json["items"][0]["author"], "wayan");
    let a = post(
        &app,
        "/api/v1/kartel/whygos/production-2/comments",
        &token,
        &json!({"body": " ", "outcome": "nope"}),
        &[],
    )
    .await;
    a.expect(422);
    let fields: Vec<&str> = a.json["errors"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|e| e["field"].as_str())
        .collect();
    assert_eq!(fields, ["body", "outcome"]);

    // Ben (Sales) opens an engagement on the page; Wayan (Production)
    // receives handoff #1: it is not submitted yet, so accepting is refused.
    let mut ben = signed_in(&db, "ben").await;
    ben.get("/kartel/engagements/new").await;
    ben.post(
        "/kartel/engagements/new",
        &[
            ("key", "acme-launch"),
            ("name", "Acme launch"),
            ("client", "Acme"),
            ("vertical", "Retail"),
            ("cycle", "client"),
            ("sow_signed", "2026-11-20"),
        ],
    )
    .await
    .expect_status(303);
    let path = "/api/v1/kartel/engagements/acme-launch/handoffs/sales-to-production";
    let a = call(
        &app,
        "POST",
        &format!("{path}/accept"),
        Some(&token),
        None,
        &[],
    )
    .await;
    a.expect(409);
    assert!(
        a.json["error"]
            .as_str()
            .is_some_and(|e| e.contains("not been submitted")),
        "{}",
        a.json
    );
    // Wayan is not of Sales: the sender's steps are refused.
    call(
        &app,
        "POST",
        &format!("{path}/submit"),
        Some(&token),
        None,
        &[],
    )
    .await
    .expect(403);
    let mut b = signed_in(&db, "ben").await;
    let ben_token = make_token(&mut b, "crm", "read-write").await;
    post(
        &app,
        &format!("{path}/tick"),
        &ben_token,
        &json!({"item": 0}),
        &[],
    )
    .await
    .expect(200);
    post(
        &app,
        &format!("{path}/tick"),
        &ben_token,
        &json!({"item": 99}),
        &[],
    )
    .await
    .expect(422);
    call(
        &app,
        "POST",
        &format!("{path}/submit"),
        Some(&ben_token),
        None,
        &[],
    )
    .await
    .expect(200);
    let a = post(
        &app,
        &format!("{path}/send-back"),
        &token,
        &json!({"reason": "Budget missing"}),
        &[],
    )
    .await;
    a.expect(200);
    assert_eq!(a.json["phase"], "sent back");
    let e = get(&app, "/api/v1/kartel/engagements/acme-launch", &token).await;
    e.expect(200);
    let h = &e.json["handoffs"][0];
    assert_eq!(h["phase"], "sent back");
    assert_eq!(h["sent_back"][0]["reason"], "Budget missing");
    assert!(h["steps"].as_array().is_some_and(|s| s.len() >= 4), "{h}");
    assert_eq!(h["checklist"][0]["ticked"], true);
    let page = get(&app, "/api/v1/kartel/engagements", &token).await;
    page.expect(200);
    assert_eq!(page.json["total"], 1);
    // No such step: 404; audited like the page's steps.
    call(
        &app,
        "POST",
        &format!("{path}/explode"),
        Some(&token),
        None,
        &[],
    )
    .await
    .expect(404);
    assert!(
        count(
            &db,
            "select count(*) from audit_log where entity = 'handoff' and actor like '%(API token%'"
        )
        .await
            >= 3
    );
}

#[tokio::test]
async fn a_service_token_acts_with_its_role_and_as_no_person() {
    let db = demo_db().await;
    let mut zac = signed_in(&db, "zac").await;
    zac.get("/kartel/admin/api-tokens").await;
    let res = zac
        .post(
            "/kartel/admin/api-tokens",
            &[
                ("name", "warehouse"),
                ("scope", "read-write"),
                ("expires", "never"),
                ("role", "leader"),
            ],
        )
        .await;
    res.expect_status(201);
    let token = token_in(&res.body).expect("shown once");
    let app = app(&db);
    let me = get(&app, "/api/v1/kartel", &token).await;
    me.expect(200);
    assert_eq!(me.json["token"]["kind"], "service");
    assert_eq!(me.json["token"]["role"], "leader");
    assert_eq!(me.json["token"]["person"], Value::Null);
    // A leader sees every individual WhyGO; a person signs check-ins.
    get(&app, "/api/v1/kartel/whygos/trent-1", &token)
        .await
        .expect(200);
    let a = post(
        &app,
        "/api/v1/kartel/actuals",
        &token,
        &json!({"outcome": "prod-margin", "value": "47%"}),
        &[],
    )
    .await;
    a.expect(403);
    assert!(
        a.json["error"]
            .as_str()
            .is_some_and(|e| e.contains("personal token"))
    );
    // Only admins make service tokens.
    let mut wayan = signed_in(&db, "wayan").await;
    wayan.get("/kartel/api-tokens").await;
    wayan
        .post(
            "/kartel/admin/api-tokens",
            &[
                ("name", "x"),
                ("scope", "read"),
                ("expires", "30"),
                ("role", "admin"),
            ],
        )
        .await
        .expect_status(403);
}

#[tokio::test]
async fn the_openapi_document_is_valid_openapi_3_1_and_lists_every_api_route() {
    let db = demo_db().await;
    let (app, token) = wayan(&db).await;
    let served = call(&app, "GET", "/api/v1/openapi.json", None, None, &[]).await;
    served.expect(200);
    let doc = served.json;
    assert_eq!(
        doc["openapi"].as_str().map(|v| v.starts_with("3.1")),
        Some(true),
        "{}",
        doc["openapi"]
    );
    let schema: Value = serde_json::from_str(include_str!("fixtures/openapi-3.1-schema.json"))
        .expect("the OpenAPI 3.1 schema");
    let validator = jsonschema::validator_for(&schema).expect("a validator");
    let problems: Vec<String> = validator
        .iter_errors(&doc)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect();
    assert!(
        problems.is_empty(),
        "the document is not valid OpenAPI 3.1: {problems:#?}"
    );
    // Every operation of the document is served: with a token and keys
    // that exist, none answers 404 or 405.
    let engagement = demo_engagement(&db).await;
    let ops = operations();
    for (method, pattern) in &ops {
        let path = fill(pattern, "kartel").replace("{engagement}", &engagement);
        let a = call(
            &app,
            method,
            &path,
            Some(&token),
            (method == "POST").then_some(&json!({})),
            &[],
        )
        .await;
        assert!(
            a.status != StatusCode::NOT_FOUND && a.status != StatusCode::METHOD_NOT_ALLOWED,
            "{method} {pattern} is in the document but answers {}: {}",
            a.status,
            a.json
        );
    }
    // Every /api/ route in the routers' source is in the document (or is
    // the document and its page).
    let documented: Vec<&str> = ops.iter().map(|(_, p)| p.as_str()).collect();
    for (_, route) in crate::common::source_routes() {
        if route.starts_with("/api/") {
            assert!(
                documented.contains(&route.as_str())
                    || route == "/api/v1/openapi.json"
                    || route == "/api/docs",
                "{route} is routed but not documented"
            );
        }
    }
    // And every handler of src/http/api is registered through `routes!`.
    let api_dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("src/http/api");
    let annotated: usize = std::fs::read_dir(&api_dir)
        .expect("src/http/api")
        .flatten()
        .map(|e| {
            std::fs::read_to_string(e.path())
                .unwrap_or_default()
                .matches("#[utoipa::path(")
                .count()
        })
        .sum();
    assert_eq!(
        annotated,
        ops.len(),
        "every #[utoipa::path] handler is in the document"
    );
    // The page reads the document.
    let page = call(&app, "GET", "/api/docs", None, None, &[]).await;
    page.expect(200);
    let html = page.json.as_str().unwrap_or_default().to_owned();
    for (method, pattern) in &ops {
        assert!(
            html.contains(&format!("{method} {pattern}")),
            "the docs page lists {method} {pattern}"
        );
    }
    // The descriptions' markdown `code` is shown as code, not as backticks.
    if let Some(i) = html.find('`') {
        panic!(
            "a backtick left on the docs page: {}",
            &html[i.saturating_sub(200)..(i + 100).min(html.len())]
        );
    }
    assert!(
        html.contains("service token: <code>Authorization: Bearer whygo_…</code>."),
        "{html}"
    );
}

#[tokio::test]
async fn errors_under_the_api_are_json_never_a_page() {
    let db = TestDb::new().await;
    let app = app(&db);
    for (method, path) in [
        ("GET", "/api/v1/kartel/nothing"),
        ("DELETE", "/api/v1/kartel"),
        ("GET", "/api/v1/kartel"),
    ] {
        let a = call(&app, method, path, None, None, &[]).await;
        assert!(a.status.is_client_error(), "{method} {path}");
        assert!(a.json["error"].is_string(), "{method} {path}: {}", a.json);
        assert!(
            a.headers
                .get("content-type")
                .and_then(|v| v.to_str().ok())
                .is_some_and(|v| v.starts_with("application/json"))
        );
    }
    // A session cookie opens nothing under /api, and POSTs need no CSRF token.
    let a = call(
        &app,
        "POST",
        "/api/v1/kartel/actuals",
        None,
        Some(&json!({})),
        &[("cookie", "whygo_session=x.y")],
    )
    .await;
    a.expect(401);
}

#[test]
fn the_example_script_pushes_a_csv_twice_without_duplicates_and_reads_the_report() {
    crate::api_script::run();
}

#[test]
fn the_guide_quotes_the_example_script_as_it_is() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let guide = std::fs::read_to_string(root.join("docs/api.md")).expect("docs/api.md");
    let script = std::fs::read_to_string(root.join("docs/api-example.sh")).expect("the script");
    let csv = std::fs::read_to_string(root.join("docs/api-example.csv")).expect("the CSV");
    assert!(
        guide.contains(script.trim_end()),
        "docs/api.md quotes docs/api-example.sh whole"
    );
    assert!(
        guide.contains(csv.trim_end()),
        "docs/api.md quotes docs/api-example.csv whole"
    );
}
