//! Issue 10, security and reliability: each test here failed before its fix.
//! `docs/security.md` names the test behind every item.

use crate::common::{Client, DEMO_PASSWORD, app, demo_db, signed_in};

// ----- 1. open redirect -----

#[tokio::test]
async fn next_is_followed_only_to_a_same_site_path_and_never_answers_500() {
    let db = demo_db().await;
    let mut kevin = signed_in(&db, "kevin").await;
    for next in [
        "/%09/evil.example",
        "/%0a/evil.example",
        "/%0d/evil.example",
        "/%0d%0aSet-Cookie:x=1",
        "%2F%2Fevil.example",
        "/%5Cevil.example",
        "/%20/evil.example",
    ] {
        let res = kevin.get(&format!("/login?next={next}")).await;
        res.expect_status(303);
        assert_eq!(res.location.as_deref(), Some("/"), "next={next}");
    }
    let res = kevin.get("/login?next=/kartel/sync").await;
    assert_eq!(res.location.as_deref(), Some("/kartel/sync"));

    // Through the form: what the hidden field carries is checked again.
    let mut c = Client::new(app(&db));
    let form = c.get("/login?next=/%09/evil.example").await;
    form.expect_status(200);
    assert!(
        form.body.contains("name=\"next\" value=\"/\""),
        "{}",
        form.body
    );
    let res = c
        .post(
            "/login",
            &[
                ("email", "kevin@kartel.example"),
                ("password", DEMO_PASSWORD),
                ("next", "/\t/evil.example"),
            ],
        )
        .await;
    res.expect_status(303);
    assert_eq!(res.location.as_deref(), Some("/"));
}

// ----- 6. --trust-proxy -----

/// A client behind `--trust-proxy` whose requests arrive through our proxy
/// from `address`, with `spoofed` written by the client in front of it.
fn behind_proxy(db: &crate::common::TestDb, spoofed: &str, address: &str) -> Client {
    let mut settings = whygo::http::Settings::new(std::path::PathBuf::from("static"));
    settings.trust_proxy = true;
    let mut c = Client::new(whygo::http::app(db.app_pool.clone(), settings));
    c.headers.push((
        "x-forwarded-for".to_owned(),
        format!("{spoofed}, {address}"),
    ));
    c
}

#[tokio::test]
async fn behind_a_proxy_the_address_is_the_hop_the_proxy_added_not_the_spoofed_one() {
    let db = demo_db().await;
    let mut c = behind_proxy(&db, "6.6.6.6", "203.0.113.7");
    c.get("/login").await.expect_status(200);
    c.post(
        "/login",
        &[
            ("email", "wayan@kartel.example"),
            ("password", "guess-guess"),
        ],
    )
    .await
    .expect_status(401);
    let recorded: Vec<String> = sqlx::query_scalar("select address from sign_in_attempts")
        .fetch_all(&db.pool)
        .await
        .expect("attempts");
    assert_eq!(recorded, ["203.0.113.7"]);
}

// ----- 9. bad input never answers 500 -----

/// Every GET page, as the demo's admin (who may open all of them).
pub(crate) const GET_ROUTES: &[&str] = &[
    "/",
    "/login",
    "/account/password",
    "/admin/tenants/new",
    "/kartel",
    "/kartel/sync",
    "/kartel/sync.md",
    "/kartel/outcomes.csv",
    "/kartel/escalations?department=production&page=1",
    "/kartel/alignment",
    "/kartel/org",
    "/kartel/approvals",
    "/kartel/cascade",
    "/kartel/engagements",
    "/kartel/dependencies",
    "/kartel/dependencies/new",
    "/kartel/whygos/generative-2/deliverables/new",
    "/kartel/checkin",
    "/kartel/checkin/preview?outcome=plat-security-controls&quarter=4&value=1",
    "/kartel/report.json",
    "/kartel/departments/generative",
    "/kartel/departments/generative/outcomes.csv",
    "/kartel/people/trent",
    "/kartel/whygos/company-1",
    "/kartel/whygos/company-1/outcomes.csv",
    "/kartel/whygos/company-1/history.csv",
    "/kartel/whygos/company-1/edit",
    "/kartel/whygos/new",
    "/kartel/admin",
    "/kartel/admin/people",
    "/kartel/admin/people/new",
    "/kartel/admin/people/trent",
    "/kartel/admin/departments",
    "/kartel/admin/departments/new",
    "/kartel/admin/departments/generative",
    "/kartel/admin/handoffs",
    "/kartel/admin/handoffs/new",
    "/kartel/admin/handoffs/sales-to-production",
    "/kartel/admin/members",
    "/kartel/admin/settings",
    "/kartel/admin/notifications",
    "/kartel/admin/sso",
    "/kartel/admin/audit",
    "/kartel/api-tokens",
    "/kartel/admin/api-tokens",
    "/kartel/admin/webhooks",
    "/kartel/admin/webhooks/new",
    "/api/docs",
    "/api/v1/openapi.json",
    "/kartel/admin/audit.csv",
    "/kartel/admin/export",
];

const HOSTILE_DATES: &[&str] = &[
    "-262143-01-01",
    "262142-12-31",
    "%2B262142-12-31",
    "-0001-01-01",
    "0000-01-01",
    "99999-01-01",
    "2026-02-30",
    "2026-11-21%00",
    "%00",
];

fn with_param(path: &str, param: &str) -> String {
    let sep = if path.contains('?') { '&' } else { '?' };
    format!("{path}{sep}{param}")
}

#[tokio::test]
async fn hostile_dates_and_nul_bytes_on_every_get_route_never_answer_500() {
    let db = demo_db().await;
    // The admin opens most pages; a leader the ones only leaders may.
    let mut zac = signed_in(&db, "zac").await;
    let mut kevin = signed_in(&db, "kevin").await;
    for route in GET_ROUTES {
        let client = if zac.get(route).await.status.as_u16() < 400 {
            &mut zac
        } else {
            &mut kevin
        };
        let plain = client.get(route).await;
        assert!(plain.status.as_u16() < 400, "{route}: {}", plain.status);
        let mut tries: Vec<String> = HOSTILE_DATES
            .iter()
            .map(|d| with_param(route, &format!("as_of={d}")))
            .collect();
        tries.push(with_param(route, "quarter=%00"));
        tries.push(with_param(route, "next=%00"));
        tries.push(with_param(route, "from_kpi=%00"));
        tries.push(format!("{route}%00"));
        tries.push(format!("{}/%00", route.split('?').next().unwrap_or(route)));
        for path in tries {
            let res = client.get(&path).await;
            let status = res.status.as_u16();
            assert!(status < 500, "{path} answered {status}:\n{}", res.body);
        }
    }
    // The out-of-range date is refused with a message, not silently replaced.
    let res = zac.get("/kartel?as_of=-262143-01-01").await;
    res.expect_status(400);
    assert!(res.body.contains("out of range"), "{}", res.body);
    let res = zac.get("/kartel/people/tr%00ent").await;
    res.expect_status(400);
    assert!(res.body.contains("NUL"), "{}", res.body);
}

#[tokio::test]
async fn a_nul_byte_in_a_form_field_is_refused_with_400_and_nothing_is_written() {
    let db = demo_db().await;
    let mut kevin = signed_in(&db, "kevin").await;
    kevin
        .get("/kartel/whygos/company-1")
        .await
        .expect_status(200);
    let res = kevin
        .post(
            "/kartel/whygos/company-1/comments",
            &[("body", "hello\0world")],
        )
        .await;
    res.expect_status(400);
    assert!(res.body.contains("NUL"), "{}", res.body);
    let comments: i64 = sqlx::query_scalar("select count(*) from comments")
        .fetch_one(&db.pool)
        .await
        .expect("count");
    assert_eq!(comments, 0);

    let mut c = Client::new(app(&db));
    c.get("/login").await.expect_status(200);
    let res = c
        .post(
            "/login",
            &[("email", "kevin@kartel.example\0"), ("password", "x\0y")],
        )
        .await;
    res.expect_status(400);
}

// ----- 10. form caps -----

#[tokio::test]
async fn a_form_over_the_size_or_field_cap_is_refused_before_it_is_parsed() {
    let db = demo_db().await;
    let mut kevin = signed_in(&db, "kevin").await;
    kevin
        .get("/kartel/whygos/company-1/edit")
        .await
        .expect_status(200);

    let many: Vec<(String, String)> = (0..whygo::http::DEFAULT_MAX_FORM_FIELDS + 1)
        .map(|i| ("ladder".to_owned(), format!("w{i}")))
        .collect();
    let fields: Vec<(&str, &str)> = many.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let res = kevin.post("/kartel/whygos/company-1/edit", &fields).await;
    res.expect_status(413);
    assert!(res.body.contains("more fields"), "{}", res.body);

    let long = "x".repeat(whygo::http::DEFAULT_MAX_FORM_BYTES + 1);
    let res = kevin
        .post("/kartel/whygos/company-1/comments", &[("body", &long)])
        .await;
    res.expect_status(413);
    assert!(
        res.body.contains("larger than whygo accepts"),
        "{}",
        res.body
    );

    // Under both caps, the same forms work.
    let res = kevin
        .post("/kartel/whygos/company-1/comments", &[("body", "fine")])
        .await;
    assert!(res.status.as_u16() < 400, "{}", res.body);
}

// ----- 8. session and cookie hygiene -----

#[tokio::test]
async fn cookie_less_sign_in_forms_write_no_session_rows_and_still_sign_in() {
    let db = demo_db().await;
    for _ in 0..50 {
        let mut drive_by = Client::new(app(&db));
        drive_by.get("/login").await.expect_status(200);
    }
    let sessions: i64 = sqlx::query_scalar("select count(*) from sessions")
        .fetch_one(&db.pool)
        .await
        .expect("count");
    assert_eq!(sessions, 0, "GET /login wrote session rows");

    // The anonymous token lives in a cookie of its own, 12 hours long.
    let mut c = Client::new(app(&db));
    let res = c.get("/login").await;
    let cookie = res
        .set_cookie
        .iter()
        .find(|c| c.starts_with("whygo_csrf="))
        .expect("an anonymous CSRF cookie");
    assert!(cookie.contains("Max-Age=43200"), "{cookie}");
    assert!(
        cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax"),
        "{cookie}"
    );
    assert!(c.cookie.is_none(), "no session cookie before signing in");

    // The form's token must match the cookie's: another visitor's token fails.
    let mut other = Client::new(app(&db));
    other.get("/login").await;
    other.csrf.clone_from(&c.csrf);
    other
        .post(
            "/login",
            &[
                ("email", "kevin@kartel.example"),
                ("password", DEMO_PASSWORD),
            ],
        )
        .await
        .expect_status(403);

    c.login("kevin@kartel.example", DEMO_PASSWORD).await;
    let res = c.get("/kartel").await;
    res.expect_status(200);
    let session = c.cookie.clone().expect("a session cookie");
    let set = res.set_cookie.join(" ");
    assert!(set.is_empty(), "pages set no cookie: {set}");
    assert!(!session.is_empty());
}

#[tokio::test]
async fn signed_in_pages_and_the_credential_forms_are_never_cached() {
    let db = demo_db().await;
    let mut anonymous = Client::new(app(&db));
    let res = anonymous.get("/login").await;
    assert_eq!(res.headers["cache-control"], "no-store", "/login");
    let mut kevin = signed_in(&db, "kevin").await;
    for path in [
        "/",
        "/kartel",
        "/kartel/sync",
        "/account/password",
        "/kartel/report.json",
    ] {
        let res = kevin.get(path).await;
        assert_eq!(
            res.headers
                .get("cache-control")
                .and_then(|v| v.to_str().ok()),
            Some("no-store"),
            "{path}"
        );
    }
    let res = kevin.get("/static/style.css").await;
    assert_ne!(
        res.headers
            .get("cache-control")
            .and_then(|v| v.to_str().ok()),
        Some("no-store"),
        "static files may be cached"
    );
}

/// Everything logged while it is alive, at every level.
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

impl Captured {
    fn text(&self) -> String {
        self.0
            .lock()
            .map(|v| String::from_utf8_lossy(&v).into_owned())
            .unwrap_or_default()
    }
}

#[tokio::test]
async fn one_time_link_tokens_never_reach_the_log() {
    let db = demo_db().await;
    let tenant: uuid::Uuid = sqlx::query_scalar("select id from tenants where slug = 'kartel'")
        .fetch_one(&db.pool)
        .await
        .expect("kartel");
    let account: uuid::Uuid =
        sqlx::query_scalar("select id from accounts where email = 'wayan@kartel.example'")
            .fetch_one(&db.pool)
            .await
            .expect("wayan");
    let token = whygo::db::links::create_reset(&db.pool, tenant, account, None)
        .await
        .expect("reset");
    let path = format!("/kartel/reset/{token}");

    let log = Captured::default();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_ansi(false)
        .with_writer(log.clone())
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);
    let mut c = Client::new(app(&db));
    let res = c.get(&path).await;
    res.expect_status(200);
    // A POST that fails the CSRF check is logged, without the token.
    c.post_raw(
        &path,
        &[("new", "production-2026"), ("confirm", "production-2026")],
    )
    .await
    .expect_status(403);
    let text = log.text();
    assert!(
        text.contains("refused a POST without a valid CSRF token"),
        "the refusal is logged:\n{text}"
    );
    assert!(text.contains("/kartel/reset/[redacted]"), "{text}");
    assert!(!text.contains(&token), "the token is in the log:\n{text}");
    assert_eq!(res.headers["cache-control"], "no-store", "the reset page");
}

// ----- 2. the sign-in limit is atomic -----

/// `n` clients sharing one anonymous visitor's cookie and token: the same
/// browser (and address) sending forms at once.
async fn same_visitor(db: &crate::common::TestDb, n: usize) -> Vec<Client> {
    let mut first = Client::new(app(db));
    first.get("/login").await.expect_status(200);
    (0..n)
        .map(|_| {
            let mut c = Client::new(app(db));
            c.csrf_cookie.clone_from(&first.csrf_cookie);
            c.csrf.clone_from(&first.csrf);
            c
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_guesses_beyond_the_limit_are_refused_before_any_is_checked() {
    let db = demo_db().await;
    let mut tasks = tokio::task::JoinSet::new();
    for mut c in same_visitor(&db, 30).await {
        tasks.spawn(async move {
            c.post(
                "/login",
                &[
                    ("email", "wayan@kartel.example"),
                    ("password", "guess-guess"),
                ],
            )
            .await
            .status
            .as_u16()
        });
    }
    let mut statuses = tasks.join_all().await;
    statuses.sort_unstable();
    let checked = statuses.iter().filter(|s| **s == 401).count();
    let refused = statuses.iter().filter(|s| **s == 429).count();
    assert_eq!(
        (checked, refused),
        (
            usize::try_from(whygo::http::auth::MAX_FAILURES_PER_PAIR).unwrap_or(0),
            30 - usize::try_from(whygo::http::auth::MAX_FAILURES_PER_PAIR).unwrap_or(0)
        ),
        "{statuses:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_right_password_behind_guesses_still_being_checked_does_not_get_in() {
    let db = demo_db().await;
    // One hashing slot, held: admitted guesses wait inside verification.
    let mut settings = whygo::http::Settings::new(std::path::PathBuf::from("static"));
    settings.hasher = whygo::auth::hasher::Hasher::new(1, std::time::Duration::from_secs(60));
    let held = settings.hasher.try_hold().expect("the slot");
    let router = whygo::http::app(db.app_pool.clone(), settings);
    let mut first = Client::new(router.clone());
    first.get("/login").await.expect_status(200);
    let visitor = |router: &axum::Router| {
        let mut c = Client::new(router.clone());
        c.csrf_cookie.clone_from(&first.csrf_cookie);
        c.csrf.clone_from(&first.csrf);
        c
    };
    let mut guesses = tokio::task::JoinSet::new();
    for _ in 0..whygo::http::auth::MAX_FAILURES_PER_PAIR {
        let mut c = visitor(&router);
        guesses.spawn(async move {
            c.post(
                "/login",
                &[
                    ("email", "wayan@kartel.example"),
                    ("password", "guess-guess"),
                ],
            )
            .await
            .status
            .as_u16()
        });
    }
    // Wait until every guess is admitted (recorded, waiting for the slot).
    let started = std::time::Instant::now();
    loop {
        let recorded: i64 = sqlx::query_scalar("select count(*) from sign_in_attempts")
            .fetch_one(&db.pool)
            .await
            .expect("count");
        if recorded == whygo::http::auth::MAX_FAILURES_PER_PAIR {
            break;
        }
        assert!(
            started.elapsed() < std::time::Duration::from_secs(30),
            "the guesses were not recorded before being checked ({recorded} rows)"
        );
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    let mut owner_guess = visitor(&router);
    let res = owner_guess
        .post(
            "/login",
            &[
                ("email", "wayan@kartel.example"),
                ("password", DEMO_PASSWORD),
            ],
        )
        .await;
    res.expect_status(429);
    drop(held);
    let statuses = guesses.join_all().await;
    assert!(statuses.iter().all(|s| *s == 401), "{statuses:?}");
}

// ----- 3. limits that do not hand out lockouts -----

#[tokio::test]
async fn a_guesser_elsewhere_does_not_lock_the_owner_out() {
    let db = demo_db().await;
    let guess = [
        ("email", "wayan@kartel.example"),
        ("password", "guess-guess"),
    ];
    let mut guesser = behind_proxy(&db, "10.9.9.9", "203.0.113.66");
    guesser.get("/login").await;
    for _ in 0..whygo::http::auth::MAX_FAILURES_PER_PAIR {
        guesser.post("/login", &guess).await.expect_status(401);
    }
    guesser.post("/login", &guess).await.expect_status(429);
    // The owner, from an address of their own, signs in.
    let mut owner = behind_proxy(&db, "10.9.9.9", "198.51.100.20");
    owner.login("wayan@kartel.example", DEMO_PASSWORD).await;

    // A guesser with many addresses exhausts the account-wide budget: new
    // addresses are refused, the address the owner signed in from is not.
    sqlx::query(
        "insert into sign_in_attempts (email, address, succeeded)
         select 'wayan@kartel.example', '192.0.2.' || i, false from generate_series(1, $1) i",
    )
    .bind(i32::try_from(whygo::http::auth::MAX_FAILURES_PER_ACCOUNT).unwrap_or(i32::MAX))
    .execute(&db.pool)
    .await
    .expect("attempts");
    let mut stranger = behind_proxy(&db, "10.9.9.9", "192.0.2.250");
    stranger.get("/login").await;
    let res = stranger
        .post(
            "/login",
            &[
                ("email", "wayan@kartel.example"),
                ("password", DEMO_PASSWORD),
            ],
        )
        .await;
    res.expect_status(429);
    assert!(res.body.contains("from elsewhere"), "{}", res.body);
    let mut owner_again = behind_proxy(&db, "10.9.9.9", "198.51.100.20");
    owner_again
        .login("wayan@kartel.example", DEMO_PASSWORD)
        .await;
}

#[tokio::test]
async fn colleagues_behind_one_shared_address_are_not_locked_out_by_a_guesser_among_them() {
    let db = demo_db().await;
    // Kevin signed in from the office before.
    let mut kevin = behind_proxy(&db, "10.0.0.5", "198.51.100.1");
    kevin.login("kevin@kartel.example", DEMO_PASSWORD).await;
    // Someone in the same office sprays guesses over many accounts.
    sqlx::query(
        "insert into sign_in_attempts (email, address, succeeded)
         select 'someone' || i || '@kartel.example', '198.51.100.1', false
         from generate_series(1, $1) i",
    )
    .bind(i32::try_from(whygo::http::auth::MAX_FAILURES_PER_ADDRESS).unwrap_or(i32::MAX))
    .execute(&db.pool)
    .await
    .expect("attempts");
    let mut kevin_again = behind_proxy(&db, "10.0.0.5", "198.51.100.1");
    kevin_again
        .login("kevin@kartel.example", DEMO_PASSWORD)
        .await;
}

// ----- 4. bounded password hashing -----

#[tokio::test]
async fn with_every_hashing_slot_busy_sign_in_answers_503_then_works_once_one_is_free() {
    let db = demo_db().await;
    let mut settings = whygo::http::Settings::new(std::path::PathBuf::from("static"));
    settings.hasher = whygo::auth::hasher::Hasher::new(1, std::time::Duration::from_millis(200));
    let held = settings.hasher.try_hold().expect("the slot");
    let mut c = Client::new(whygo::http::app(db.app_pool.clone(), settings));
    c.get("/login").await.expect_status(200);
    let res = c
        .post(
            "/login",
            &[
                ("email", "kevin@kartel.example"),
                ("password", DEMO_PASSWORD),
            ],
        )
        .await;
    res.expect_status(503);
    assert!(res.headers.contains_key("retry-after"));
    assert!(
        res.body.contains("busier than it can answer"),
        "{}",
        res.body
    );
    let recorded: i64 = sqlx::query_scalar("select count(*) from sign_in_attempts")
        .fetch_one(&db.pool)
        .await
        .expect("count");
    assert_eq!(recorded, 0, "an unchecked attempt is not a failure");
    drop(held);
    c.login("kevin@kartel.example", DEMO_PASSWORD).await;
}

// ----- CSRF, over every POST route -----

/// A concrete path for a route pattern of the demo: keys that exist, an
/// account of the organization, one-time links that work.
fn concrete(pattern: &str, account: &str, invite: &str, reset: &str) -> String {
    let parts: Vec<&str> = pattern.split('/').collect();
    let mut out = Vec::new();
    for (i, p) in parts.iter().enumerate() {
        let before = if i > 0 { parts[i - 1] } else { "" };
        out.push(match (*p, before) {
            ("{tenant}", _) => "kartel".to_owned(),
            ("{key}", "whygos") => "trent-1".to_owned(),
            ("{key}", "people") => "wayan".to_owned(),
            ("{key}", "departments") => "production".to_owned(),
            ("{key}", "engagements") => "no-such-engagement".to_owned(),
            ("{handoff}", "handoffs") => "sales-to-production".to_owned(),
            ("{key}", "handoffs") => "sales-to-production".to_owned(),
            ("{move}", _) => "submit".to_owned(),
            ("{id}", _) => uuid::Uuid::nil().to_string(),
            ("{account}", _) => account.to_owned(),
            ("{token}", "invite") => invite.to_owned(),
            ("{token}", "reset") => reset.to_owned(),
            (p, _) => {
                assert!(!p.starts_with('{'), "no value for {p} in {pattern}");
                p.to_owned()
            }
        });
    }
    out.join("/")
}

/// Fields that would change something wherever a handler accepted them.
const WRITES: &[(&str, &str)] = &[
    ("key", "intruder"),
    ("name", "Intruder"),
    ("title", "Intruder"),
    ("slug", "intruder"),
    ("role", "admin"),
    ("email", "intruder@kartel.example"),
    ("body", "Intruder was here"),
    ("comment", "Intruder was here"),
    ("why", "Intruder"),
    ("goal", "Intruder"),
    ("ladder", "generative-1"),
    ("o0_name", "Intruder"),
    ("o0_q4", "1"),
    ("value-4-prod-case-studies", "99"),
    ("action", "save"),
    ("version", "1"),
    ("on_pace", "1"),
    ("slightly_off", "0.5"),
    ("carry_days", "14"),
    ("fiscal_year_start", "2026-01-01"),
    ("max_individual_whygos", "3"),
    ("current", DEMO_PASSWORD),
    ("new", "intruder password"),
    ("confirm", "intruder password"),
    ("password", DEMO_PASSWORD),
];

/// A way to send a form without the right token: what, whether by the
/// anonymous visitor, and the fields.
type Case<'a> = (&'static str, bool, Vec<(&'a str, String)>);

const CSRF_REFUSAL: &str = "This form expired or did not come from whygo";

#[tokio::test]
async fn every_post_route_refuses_a_missing_wrong_or_foreign_csrf_token_and_writes_nothing() {
    let db = demo_db().await;
    let (trent, invite, reset) = crate::common::one_time_links(&db, "trent@kartel.example").await;

    let posts: Vec<String> = crate::common::source_routes()
        .into_iter()
        .filter(|(m, _)| *m == "POST")
        .map(|(_, p)| p)
        .collect();
    assert!(posts.len() >= 20, "POST routes found: {posts:?}");

    // Zac (admin of everything) and Kevin, signed in; their tokens are real.
    let mut zac = signed_in(&db, "zac").await;
    zac.get("/kartel").await.expect_status(200);
    let mut kevin = signed_in(&db, "kevin").await;
    kevin.get("/kartel").await.expect_status(200);
    let kevins = kevin.csrf.clone().expect("kevin's token");
    let zacs = zac.csrf.clone().expect("zac's token");
    assert_ne!(kevins, zacs);
    // A visitor without a session, with the anonymous cookie and its token.
    let mut visitor = Client::new(app(&db));
    visitor.get("/login").await.expect_status(200);
    let mut other_visitor = Client::new(app(&db));
    other_visitor.get("/login").await.expect_status(200);
    let foreign_anonymous = other_visitor.csrf.clone().expect("a token");

    let before = crate::common::content_fingerprint(&db, &[]).await;
    let mut tried = 0;
    for pattern in &posts {
        let path = concrete(pattern, &trent.to_string(), &invite, &reset);
        let wrong = "0".repeat(zacs.len());
        let with = |token: &str| -> Vec<(&str, String)> {
            WRITES
                .iter()
                .map(|(k, v)| (*k, (*v).to_owned()))
                .chain([("csrf_token", token.to_owned())])
                .collect()
        };
        let cases: Vec<Case> = vec![
            (
                "no token",
                false,
                with("")
                    .into_iter()
                    .filter(|(k, _)| *k != "csrf_token")
                    .collect(),
            ),
            ("an empty token", false, with("")),
            ("a wrong token", false, with(&wrong)),
            ("another session's token", false, with(&kevins)),
            ("a session's token without the session", true, with(&zacs)),
            ("another visitor's token", true, with(&foreign_anonymous)),
        ];
        for (what, anonymous, fields) in cases {
            let client = if anonymous { &mut visitor } else { &mut zac };
            let fields: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
            let res = client.post_raw(&path, &fields).await;
            assert_eq!(
                res.status.as_u16(),
                403,
                "POST {path} with {what} answered {}:\n{}",
                res.status,
                res.body
            );
            assert!(
                res.body.contains(CSRF_REFUSAL),
                "POST {path} with {what}: refused by the CSRF guard:\n{}",
                res.body
            );
            tried += 1;
        }
        // A wrong token in the header counts no more than in the form.
        zac.headers.push(("x-csrf-token".to_owned(), wrong.clone()));
        let fields: Vec<(&str, &str)> = WRITES.to_vec();
        let res = zac.post_raw(&path, &fields).await;
        zac.headers.clear();
        assert_eq!(res.status.as_u16(), 403, "POST {path} with a wrong header");
        tried += 1;
    }
    assert_eq!(
        crate::common::content_fingerprint(&db, &[]).await,
        before,
        "a refused form wrote (sessions included)"
    );
    assert!(tried >= 7 * 20, "{tried} refused requests");

    // The same form with the right token does write: the guard, not the
    // form, refused above.
    let res = zac
        .post(
            "/kartel/whygos/company-1/comments",
            &[("body", "Intruder was here")],
        )
        .await;
    res.expect_status(303);
    assert_ne!(
        crate::common::content_fingerprint(&db, &[]).await,
        before,
        "the fingerprint sees a write"
    );
}

// ----- Authorization: role × action, over HTTP -----

/// What a request must come to: refused by the permission table (403, not
/// the CSRF guard), not found (the viewer may not even see it), or done.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Outcome {
    Forbidden,
    NotFound,
    Allowed,
}

/// Who, method, path, form, and what it must come to.
type Row<'a> = (
    &'static str,
    &'static str,
    String,
    Vec<(&'a str, &'a str)>,
    Outcome,
);

#[tokio::test]
async fn the_authorization_table_holds_over_http_for_every_kind_of_actor() {
    use Outcome::{Allowed, Forbidden, NotFound};
    let db = demo_db().await;
    let version = |key: &'static str| {
        let pool = db.pool.clone();
        async move {
            sqlx::query_scalar::<_, i32>("select version from whygos where key = $1")
                .bind(key)
                .fetch_one(&pool)
                .await
                .expect("a version")
                .to_string()
        }
    };
    let trent1 = version("trent-1").await;
    let company2 = version("company-2").await;
    let generative1 = version("generative-1").await;
    let decide = [
        ("version", trent1.as_str()),
        ("comment", "Tighten it."),
        ("next", ""),
    ];
    let edit_company = [
        ("version", company2.as_str()),
        ("title", "Changed"),
        ("goal", "Changed"),
    ];
    // Admin routes have a table of their own: admin::only_an_admin_may_…
    // (every admin route × leader, member, admin).
    let table: Vec<Row> = vec![
        // An individual WhyGO waiting for its owner's manager (Fill).
        (
            "trent",
            "POST",
            "/kartel/whygos/trent-1/approve".into(),
            decide.to_vec(),
            Forbidden,
        ),
        (
            "kevin",
            "POST",
            "/kartel/whygos/trent-1/approve".into(),
            decide.to_vec(),
            Forbidden,
        ),
        (
            "wayan",
            "POST",
            "/kartel/whygos/trent-1/approve".into(),
            decide.to_vec(),
            NotFound,
        ),
        (
            "trent",
            "POST",
            "/kartel/whygos/trent-1/return".into(),
            decide.to_vec(),
            Forbidden,
        ),
        (
            "kevin",
            "POST",
            "/kartel/whygos/trent-1/return".into(),
            decide.to_vec(),
            Forbidden,
        ),
        (
            "wayan",
            "POST",
            "/kartel/whygos/trent-1/return".into(),
            decide.to_vec(),
            NotFound,
        ),
        (
            "wayan",
            "GET",
            "/kartel/whygos/trent-1".into(),
            vec![],
            NotFound,
        ),
        (
            "trent",
            "GET",
            "/kartel/whygos/trent-1/edit".into(),
            vec![],
            Forbidden,
        ),
        // A draft: its manager sees it but neither edits nor submits it.
        (
            "fill",
            "GET",
            "/kartel/whygos/brandon-1/edit".into(),
            vec![],
            Forbidden,
        ),
        (
            "wayan",
            "GET",
            "/kartel/whygos/brandon-1/edit".into(),
            vec![],
            NotFound,
        ),
        (
            "wayan",
            "POST",
            "/kartel/whygos/brandon-1/submit".into(),
            vec![("version", "1")],
            NotFound,
        ),
        // Company and department WhyGOs: leaders and heads edit, signers sign.
        (
            "trent",
            "GET",
            "/kartel/whygos/company-1/edit".into(),
            vec![],
            Forbidden,
        ),
        (
            "wayan",
            "GET",
            "/kartel/whygos/company-2/edit".into(),
            vec![],
            Forbidden,
        ),
        (
            "wayan",
            "POST",
            "/kartel/whygos/company-2/edit".into(),
            edit_company.to_vec(),
            Forbidden,
        ),
        (
            "trent",
            "GET",
            "/kartel/whygos/generative-1/edit".into(),
            vec![],
            Forbidden,
        ),
        (
            "trent",
            "POST",
            "/kartel/whygos/generative-1/signoff".into(),
            vec![("version", generative1.as_str())],
            Forbidden,
        ),
        (
            "wayan",
            "POST",
            "/kartel/whygos/company-2/signoff".into(),
            vec![("version", company2.as_str())],
            Forbidden,
        ),
        // A check-in of an outcome someone else owns (Wayan's, checked in:
        // not one computed from records, which takes no check-in at all).
        (
            "trent",
            "POST",
            "/kartel/checkin".into(),
            vec![("value-4-prod-case-studies", "99"), ("action", "save")],
            Forbidden,
        ),
        // Installation-wide: only an installation admin creates organizations.
        (
            "kevin",
            "GET",
            "/admin/tenants/new".into(),
            vec![],
            Forbidden,
        ),
        (
            "kevin",
            "POST",
            "/admin/tenants/new".into(),
            vec![
                ("name", "Acme"),
                ("slug", "acme"),
                ("fiscal_year_start", "2026-01-01"),
            ],
            Forbidden,
        ),
        // And what each may do.
        (
            "kevin",
            "GET",
            "/kartel/whygos/company-2/edit".into(),
            vec![],
            Allowed,
        ),
        (
            "fill",
            "GET",
            "/kartel/whygos/generative-1/edit".into(),
            vec![],
            Allowed,
        ),
        (
            "wayan",
            "POST",
            "/kartel/checkin".into(),
            vec![("value-4-prod-case-studies", "9"), ("action", "save")],
            Allowed,
        ),
        (
            "trent",
            "POST",
            "/kartel/whygos/company-1/comments".into(),
            vec![("body", "Agreed.")],
            Allowed,
        ),
        (
            "fill",
            "POST",
            "/kartel/whygos/trent-1/approve".into(),
            decide.to_vec(),
            Allowed,
        ),
    ];
    let mut clients: Vec<(&str, Client)> = Vec::new();
    for (who, ..) in &table {
        if !clients.iter().any(|(w, _)| w == who) {
            let mut c = signed_in(&db, who).await;
            c.get("/kartel").await.expect_status(200);
            clients.push((who, c));
        }
    }
    let mut wrong = Vec::new();
    for (who, method, path, form, expected) in &table {
        let Some((_, c)) = clients.iter_mut().find(|(w, _)| w == who) else {
            continue;
        };
        let before = crate::common::content_fingerprint(&db, &["sessions"]).await;
        let res = if *method == "GET" {
            c.get(path).await
        } else {
            c.post(path, form).await
        };
        let status = res.status.as_u16();
        let got = match status {
            403 if res.body.contains(CSRF_REFUSAL) => None,
            403 => Some(Forbidden),
            404 => Some(NotFound),
            200..=399 => Some(Allowed),
            _ => None,
        };
        if got != Some(*expected) {
            wrong.push(format!(
                "{who} {method} {path}: expected {expected:?}, got {status}"
            ));
        }
        let after = crate::common::content_fingerprint(&db, &["sessions"]).await;
        if *expected != Allowed && after != before {
            wrong.push(format!(
                "{who} {method} {path}: refused, yet something was written"
            ));
        }
        if *expected == Allowed && *method == "POST" && after == before {
            wrong.push(format!(
                "{who} {method} {path}: allowed, yet nothing was written"
            ));
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}
