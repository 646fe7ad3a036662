//! What the webhook tests share: a receiver (a tiny axum server on a free
//! port of 127.0.0.1, started by the test) that records every request and
//! fails the first attempt of each message, the job runner with a clock the
//! test sets, the admin's form, and the independent verification of a
//! signature with the official `standardwebhooks` crate.

use std::collections::HashSet;
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use chrono::{DateTime, Utc};
use serde_json::Value;
use whygo::app::webhooks::Webhooks;
use whygo::jobs::Runner;

use crate::common::{Client, TestDb};

/// One request the receiver got.
#[derive(Clone, Debug)]
pub struct Received {
    pub headers: HeaderMap,
    pub body: Vec<u8>,
    /// What it answered.
    pub status: u16,
}

impl Received {
    pub fn header(&self, name: &str) -> &str {
        self.headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_else(|| panic!("the request has a {name} header: {:?}", self.headers))
    }

    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body).expect("the body is JSON")
    }

    pub fn event_type(&self) -> String {
        self.json()["type"].as_str().unwrap_or_default().to_owned()
    }
}

#[derive(Clone, Default)]
struct Log {
    requests: Arc<Mutex<Vec<Received>>>,
    /// webhook-ids answered once already.
    seen: Arc<Mutex<HashSet<String>>>,
    /// Answer 500 to the first attempt of each message (else 204 always).
    fail_first: bool,
}

/// A receiver listening on `url`.
pub struct Receiver {
    pub url: String,
    log: Log,
}

async fn hook(State(log): State<Log>, headers: HeaderMap, body: Bytes) -> StatusCode {
    let id = headers
        .get("webhook-id")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    let first = log.seen.lock().expect("lock").insert(id);
    let status = if log.fail_first && first {
        StatusCode::INTERNAL_SERVER_ERROR
    } else {
        StatusCode::NO_CONTENT
    };
    log.requests.lock().expect("lock").push(Received {
        headers,
        body: body.to_vec(),
        status: status.as_u16(),
    });
    status
}

impl Receiver {
    /// Starts a receiver on a free port; `fail_first`: answer 500 to the
    /// first attempt of each message, 204 to the next.
    pub async fn start(fail_first: bool) -> Receiver {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind a free port");
        let addr = listener.local_addr().expect("address");
        let log = Log {
            fail_first,
            ..Log::default()
        };
        let app = Router::new()
            .route("/hook", post(hook))
            .with_state(log.clone());
        tokio::spawn(async move {
            axum::serve(listener, app)
                .await
                .expect("the receiver serves");
        });
        Receiver {
            url: format!("http://127.0.0.1:{}/hook", addr.port()),
            log,
        }
    }

    /// Every request so far, in order.
    pub fn received(&self) -> Vec<Received> {
        self.log.requests.lock().expect("lock").clone()
    }
}

/// The test's clock: deliveries stamp it, scans judge by it, and the test
/// runs the due jobs at it.
#[derive(Clone)]
pub struct TestClock(Arc<Mutex<DateTime<Utc>>>);

impl TestClock {
    pub fn now(&self) -> DateTime<Utc> {
        *self.0.lock().expect("lock")
    }

    pub fn set(&self, t: DateTime<Utc>) {
        *self.0.lock().expect("lock") = t;
    }

    /// A second past the real time (or past the test's, if that is later):
    /// what the check-in just queued (at the database's clock) is due.
    pub fn catch_up(&self) -> DateTime<Utc> {
        let t = self.now().max(Utc::now()) + chrono::Duration::seconds(1);
        self.set(t);
        t
    }

    pub fn advance(&self, seconds: i64) -> DateTime<Utc> {
        let t = self.now() + chrono::Duration::seconds(seconds);
        self.set(t);
        t
    }
}

/// The job runner with the webhook handlers, on the test's clock (starting
/// now, the real time: receivers check a timestamp against their own clock).
pub fn runner(db: &TestDb) -> (Runner, TestClock) {
    let clock = TestClock(Arc::new(Mutex::new(Utc::now())));
    let read = clock.clone();
    let webhooks = Webhooks::new(db.app_pool.clone())
        .expect("the HTTP client")
        .with_clock(Arc::new(move || read.now()));
    let runner = whygo::app::webhooks::register(Runner::new(db.app_pool.clone()), webhooks);
    (runner, clock)
}

/// Runs the jobs due at the clock's time.
pub async fn run(runner: &Runner, clock: &TestClock) -> whygo::jobs::RunSummary {
    runner.run_due(clock.now()).await.expect("run the due jobs")
}

/// Verifies a request as a receiver would, with the official Standard
/// Webhooks library (not whygo's code).
pub fn verify(secret: &str, headers: &HeaderMap, body: &[u8]) -> Result<(), String> {
    let hook = standardwebhooks::Webhook::new(secret).map_err(|e| e.to_string())?;
    hook.verify(body, headers).map_err(|e| e.to_string())
}

/// Text between `start` and the next `end` after it.
fn between<'a>(body: &'a str, start: &str, end: &str) -> Option<&'a str> {
    let at = body.find(start)? + start.len();
    let to = at + body[at..].find(end)?;
    Some(&body[at..to])
}

/// The admin adds an endpoint through the form; its id and the secret the
/// answer shows once.
pub async fn add_endpoint(admin: &mut Client, url: &str, events: &[&str]) -> (String, String) {
    admin
        .get("/kartel/admin/webhooks/new")
        .await
        .expect_status(200);
    let mut fields = vec![("url", url), ("description", "Test receiver")];
    fields.extend(events.iter().map(|e| ("events", *e)));
    let res = admin.post("/kartel/admin/webhooks/new", &fields).await;
    res.expect_status(201);
    let secret = between(&res.body, "<code id=\"webhook-secret\">", "</code>")
        .unwrap_or_else(|| panic!("the answer shows the secret:\n{}", res.body))
        .to_owned();
    let id = between(&res.body, "/kartel/admin/webhooks/", "/edit")
        .expect("the answer links the endpoint's edit form")
        .to_owned();
    (id, secret)
}

/// Delivery jobs in `state` (queued, done, failed).
pub async fn deliveries_in(db: &TestDb, state: &str) -> i64 {
    sqlx::query_scalar("select count(*) from jobs where kind = 'webhook.deliver' and state = $1")
        .bind(state)
        .fetch_one(&db.pool)
        .await
        .expect("count jobs")
}

/// Rows of a table of the test database.
pub async fn count(db: &TestDb, sql: &str) -> i64 {
    sqlx::query_scalar(sql)
        .fetch_one(&db.pool)
        .await
        .unwrap_or_else(|e| panic!("{sql}: {e}"))
}
