//! Test harness: one PostgreSQL for the whole run (the embedded launcher when
//! DATABASE_URL is unset, the given server otherwise), one template database
//! migrated once, and a fresh database cloned from it for every test.

use std::path::PathBuf;
use std::sync::OnceLock;

use axum::Router;
use axum::body::Body;
use http_body_util::BodyExt as _;
use sqlx::{Connection as _, PgPool};
use tower::ServiceExt as _;
use uuid::Uuid;

use whygo::db::embedded::{EmbeddedOptions, EmbeddedPostgres};

struct Server {
    /// URL of the server's maintenance database ("postgres").
    admin_url: String,
    template: String,
    /// Databases on a server we do not own are dropped after each test.
    external: bool,
}

/// Kept for the whole run: the launcher's postmaster dies with this process.
static EMBEDDED: OnceLock<EmbeddedPostgres> = OnceLock::new();
static SERVER: OnceLock<Result<Server, String>> = OnceLock::new();

fn server() -> &'static Server {
    let s = SERVER.get_or_init(|| {
        // Set up on a thread of its own with its own runtime: tests each run
        // their own runtime, and this must outlive any one of them.
        std::thread::spawn(setup)
            .join()
            .unwrap_or_else(|_| Err("test database setup panicked".to_owned()))
    });
    match s {
        Ok(s) => s,
        Err(e) => panic!("cannot set up the test database: {e}"),
    }
}

fn setup() -> Result<Server, String> {
    let (admin_url, external) = match std::env::var("DATABASE_URL").ok().filter(|u| !u.is_empty()) {
        Some(url) => (with_database(&url, "postgres"), true),
        None => {
            let dir = test_cluster_dir();
            let pg = EmbeddedPostgres::start(&EmbeddedOptions {
                dir,
                durable: false,
            })
            .map_err(|e| e.to_string())?;
            let url = pg.url("postgres");
            let _ = EMBEDDED.set(pg);
            (url, false)
        }
    };
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| e.to_string())?;
    let template = rt
        .block_on(make_template(&admin_url))
        .map_err(|e| format!("{e:#}"))?;
    Ok(Server {
        admin_url,
        template,
        external,
    })
}

/// A folder per run in the system's temp dir (which the unprivileged user
/// running PostgreSQL can always enter, unlike a clone under a private home),
/// cleaning up the folders of earlier runs whose process is gone.
fn test_cluster_dir() -> PathBuf {
    let base = std::env::temp_dir();
    if let Ok(entries) = std::fs::read_dir(&base) {
        for e in entries.flatten() {
            let name = e.file_name();
            let pid: Option<i32> = name
                .to_str()
                .and_then(|s| s.strip_prefix("whygo-test-pg-"))
                .and_then(|s| s.parse().ok());
            // SAFETY: kill with signal 0 only checks whether the process exists.
            if pid.is_some_and(|p| unsafe { libc::kill(p, 0) } != 0) {
                let _ = std::fs::remove_dir_all(e.path());
            }
        }
    }
    base.join(format!("whygo-test-pg-{}", std::process::id()))
}

/// A fresh folder in the system's temp dir that PostgreSQL's user may enter.
pub fn data_dir(prefix: &str) -> tempfile::TempDir {
    let dir = tempfile::Builder::new()
        .prefix(prefix)
        .tempdir()
        .expect("a temp dir");
    use std::os::unix::fs::PermissionsExt as _;
    std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755)).expect("chmod");
    dir
}

fn with_database(url: &str, db: &str) -> String {
    // postgres://user@host:port/db?params -> replace the path.
    let (base, query) = match url.split_once('?') {
        Some((b, q)) => (b, Some(q)),
        None => (url, None),
    };
    let scheme_end = base.find("://").map_or(0, |i| i + 3);
    let path_start = base[scheme_end..]
        .find('/')
        .map_or(base.len(), |i| scheme_end + i);
    let mut out = format!("{}/{}", &base[..path_start], db);
    if let Some(q) = query {
        out.push('?');
        out.push_str(q);
    }
    out
}

async fn make_template(admin_url: &str) -> anyhow::Result<String> {
    // Named after the migrations, so a changed schema gets a new template.
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for m in whygo::db::MIGRATOR.iter() {
        for b in m.checksum.iter() {
            h = (h ^ u64::from(*b)).wrapping_mul(0x100_0000_01b3);
        }
    }
    let name = format!("whygo_tpl_{h:016x}");
    let mut admin = sqlx::PgConnection::connect(admin_url).await?;
    let exists: bool =
        sqlx::query_scalar("select exists (select 1 from pg_database where datname = $1)")
            .bind(&name)
            .fetch_one(&mut admin)
            .await?;
    if !exists {
        let building = format!("{name}_{}", std::process::id());
        sqlx::query(&format!("drop database if exists \"{building}\""))
            .execute(&mut admin)
            .await?;
        sqlx::query(&format!("create database \"{building}\""))
            .execute(&mut admin)
            .await?;
        let pool = PgPool::connect(&with_database(admin_url, &building)).await?;
        whygo::db::MIGRATOR.run(&pool).await?;
        pool.close().await;
        // Renaming last: a template that exists is always fully migrated.
        sqlx::query(&format!(
            "alter database \"{building}\" rename to \"{name}\""
        ))
        .execute(&mut admin)
        .await?;
    }
    admin.close().await?;
    Ok(name)
}

/// A fresh database for one test, dropped afterwards on a server we don't own.
pub struct TestDb {
    /// Connected as the tables' owner: for setting up and checking rows.
    pub pool: PgPool,
    /// Connected as the application (`whygo_app`, row-level security on).
    pub app_pool: PgPool,
    pub url: String,
    name: String,
}

impl TestDb {
    pub async fn new() -> TestDb {
        let server = server();
        let name = format!("t_{}", Uuid::new_v4().simple());
        let mut admin = sqlx::PgConnection::connect(&server.admin_url)
            .await
            .expect("connect to the test server");
        sqlx::query(&format!(
            "create database \"{name}\" template \"{}\"",
            server.template
        ))
        .execute(&mut admin)
        .await
        .expect("clone the template database");
        let _ = admin.close().await;
        let url = with_database(&server.admin_url, &name);
        let pool = PgPool::connect(&url)
            .await
            .expect("connect to the test database");
        let app_pool = whygo::db::connect(&url)
            .await
            .expect("connect as the application");
        TestDb {
            pool,
            app_pool,
            url,
            name,
        }
    }
}

impl TestDb {
    /// Drops the database now rather than with the run's cluster: for the
    /// tests whose databases are large (the generated 2,000-person
    /// organization is about 250 MB), so a run's temp space stays small.
    pub async fn drop_now(self) {
        self.pool.close().await;
        self.app_pool.close().await;
        let mut admin = sqlx::PgConnection::connect(&server().admin_url)
            .await
            .expect("connect to the test server");
        sqlx::query(&format!(
            "drop database if exists \"{}\" with (force)",
            self.name
        ))
        .execute(&mut admin)
        .await
        .expect("drop the test database");
        let _ = admin.close().await;
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        let server = server();
        if !server.external {
            return; // the whole cluster goes away with the run
        }
        // The pools' sockets belong to the test's runtime, which is blocked
        // here: `with (force)` ends those connections from the server's side
        // instead of closing the pools from another runtime (a deadlock).
        let (admin_url, name) = (server.admin_url.clone(), self.name.clone());
        let _ = std::thread::spawn(move || {
            let Ok(rt) = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
            else {
                return;
            };
            rt.block_on(async move {
                if let Ok(mut c) = sqlx::PgConnection::connect(&admin_url).await {
                    let _ =
                        sqlx::query(&format!("drop database if exists \"{name}\" with (force)"))
                            .execute(&mut c)
                            .await;
                }
            });
        })
        .join();
    }
}

pub const KARTEL: &str = include_str!("../../seeds/kartel-2026.toml");

/// A test database with the Kartel demo loaded.
pub async fn kartel_db() -> TestDb {
    let db = TestDb::new().await;
    let wb =
        whygo::db::load::check("kartel-2026.toml", KARTEL).expect("the demo workbook is valid");
    whygo::db::load::apply(&db.app_pool, &wb, "test")
        .await
        .expect("load the demo");
    db
}

/// Removes the demo's invented engagements (and with them their handoffs
/// and steps), for tests that follow an engagement of their own from an
/// empty board.
pub async fn without_demo_engagements(db: &TestDb) {
    sqlx::query("delete from engagements where demo")
        .execute(&db.pool)
        .await
        .expect("remove the demo engagements");
}

/// The date the tests replay: the server's "today" of [`app`], so a test
/// reads the same on any day it runs.
pub const TODAY: &str = "2026-11-21";

pub fn app(db: &TestDb) -> Router {
    app_on(db, TODAY)
}

/// The app with its clock pinned to `today` (YYYY-MM-DD).
pub fn app_on(db: &TestDb, today: &str) -> Router {
    let mut settings =
        whygo::http::Settings::new(PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("static"));
    settings.today = today.parse().ok();
    whygo::http::app(db.app_pool.clone(), settings)
}

/// The demo with its demo accounts, as `whygo serve` creates it.
pub async fn demo_db() -> TestDb {
    let db = TestDb::new().await;
    whygo::server::load_demo_if_empty(&db.app_pool)
        .await
        .expect("load the demo");
    db
}

pub const DEMO_PASSWORD: &str = whygo::server::DEMO_PASSWORD;

/// A browser stand-in: keeps the session cookie (and the anonymous CSRF
/// cookie), follows no redirects, and sends the CSRF token of the last page
/// it saw with every form.
pub struct Client {
    app: Router,
    pub cookie: Option<String>,
    /// The anonymous visitor's CSRF cookie (`whygo_csrf`), when set.
    pub csrf_cookie: Option<String>,
    pub csrf: Option<String>,
    pub headers: Vec<(String, String)>,
}

pub struct Response {
    pub status: axum::http::StatusCode,
    pub body: String,
    pub location: Option<String>,
    pub set_cookie: Vec<String>,
    pub headers: axum::http::HeaderMap,
}

impl Response {
    /// Fails with the body when the status is not the expected one.
    pub fn expect_status(&self, status: u16) -> &Self {
        assert_eq!(
            self.status.as_u16(),
            status,
            "unexpected status; body:\n{}",
            self.body
        );
        self
    }
}

pub fn csrf_in(body: &str) -> Option<String> {
    let at = body.find("name=\"csrf_token\" value=\"")? + "name=\"csrf_token\" value=\"".len();
    let end = at + body[at..].find('"')?;
    Some(body[at..end].to_owned())
}

impl Client {
    pub fn new(app: Router) -> Client {
        Client {
            app,
            cookie: None,
            csrf_cookie: None,
            csrf: None,
            headers: Vec::new(),
        }
    }

    async fn send(&mut self, req: axum::http::request::Builder, body: Body) -> Response {
        let mut req = req;
        let mut cookies = Vec::new();
        if let Some(c) = &self.cookie {
            cookies.push(format!("whygo_session={c}"));
        }
        if let Some(c) = &self.csrf_cookie {
            cookies.push(format!("whygo_csrf={c}"));
        }
        if !cookies.is_empty() {
            req = req.header("cookie", cookies.join("; "));
        }
        for (k, v) in &self.headers {
            req = req.header(k.as_str(), v.as_str());
        }
        let res = self
            .app
            .clone()
            .oneshot(req.body(body).expect("request"))
            .await
            .expect("the router answers");
        let status = res.status();
        let headers = res.headers().clone();
        let set_cookie: Vec<String> = headers
            .get_all("set-cookie")
            .iter()
            .filter_map(|v| v.to_str().ok().map(str::to_owned))
            .collect();
        for c in &set_cookie {
            if let Some(v) = c.strip_prefix("whygo_session=") {
                let value = v.split(';').next().unwrap_or_default();
                self.cookie = (!value.is_empty()).then(|| value.to_owned());
            }
            if let Some(v) = c.strip_prefix("whygo_csrf=") {
                let value = v.split(';').next().unwrap_or_default();
                self.csrf_cookie = (!value.is_empty()).then(|| value.to_owned());
            }
        }
        let location = headers
            .get("location")
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        let bytes = res.into_body().collect().await.expect("body").to_bytes();
        let body = String::from_utf8_lossy(&bytes).into_owned();
        if let Some(token) = csrf_in(&body) {
            self.csrf = Some(token);
        }
        Response {
            status,
            body,
            location,
            set_cookie,
            headers,
        }
    }

    pub async fn get(&mut self, path: &str) -> Response {
        self.send(axum::http::Request::get(path), Body::empty())
            .await
    }

    /// POSTs a form with the CSRF token of the last page seen.
    pub async fn post(&mut self, path: &str, fields: &[(&str, &str)]) -> Response {
        let mut all: Vec<(&str, &str)> = fields.to_vec();
        let token = self.csrf.clone().unwrap_or_default();
        all.push(("csrf_token", &token));
        self.post_raw(path, &all).await
    }

    /// POSTs exactly these fields (no CSRF token added).
    pub async fn post_raw(&mut self, path: &str, fields: &[(&str, &str)]) -> Response {
        let body = serde_urlencoded::to_string(fields).expect("form encoding");
        self.send(
            axum::http::Request::post(path)
                .header("content-type", "application/x-www-form-urlencoded"),
            Body::from(body),
        )
        .await
    }

    /// Signs in through the form, as a person would; panics if it fails.
    pub async fn login(&mut self, email: &str, password: &str) {
        self.get("/login").await.expect_status(200);
        let res = self
            .post("/login", &[("email", email), ("password", password)])
            .await;
        assert_eq!(
            res.status.as_u16(),
            303,
            "sign-in as {email} failed:\n{}",
            res.body
        );
    }
}

/// A client signed in to the demo as `who` (a person key: kevin, wayan, trent, zac).
pub async fn signed_in(db: &TestDb, who: &str) -> Client {
    signed_in_on(db, who, TODAY).await
}

/// [`signed_in`] on a server whose clock says `today`.
pub async fn signed_in_on(db: &TestDb, who: &str, today: &str) -> Client {
    let mut c = Client::new(app_on(db, today));
    c.login(&format!("{who}@kartel.example"), DEMO_PASSWORD)
        .await;
    c
}

/// A second organization, for isolation tests: Ann (CEO, department head,
/// signer) and Bob who reports to her, one company WhyGO with one outcome.
pub const ACME: &str = r#"workbook = 1

[organization]
name = "Acme Corp"
slug = "acme"
fiscal_year_start = "2026-01-01"
signers = ["ann"]

[[department]]
key = "eng"
name = "Engineering"
head = "ann"

[[person]]
key = "ann"
name = "Ann Acme"
title = "CEO"
department = "eng"
role = "leader"

[[person]]
key = "bob"
name = "Bob Acme"
title = "Engineer"
department = "eng"
reports_to = "ann"

[[whygo]]
key = "acme-1"
level = "company"
owner = "ann"
number = 1
title = "Ship the thing"
why = "Customers wait."
goal = "Ship it."

[[whygo.outcome]]
key = "acme-shipped"
name = "Releases shipped"
owners = ["ann"]
targets = ["1", "2", "3", "4"]
"#;

/// Loads [`ACME`] beside whatever the database holds.
pub async fn load_acme(db: &TestDb) {
    let wb = whygo::db::load::check("acme.toml", ACME).expect("valid");
    whygo::db::load::apply(&db.app_pool, &wb, "test")
        .await
        .expect("load acme");
}

/// A Kartel member whose account is linked to no person, signed in.
pub async fn member_without_person(db: &TestDb, email: &str) -> Client {
    let password = "a long enough password";
    let hash = whygo::auth::password::hash(password).expect("hash");
    whygo::db::admin_cli::create_user(
        &db.app_pool,
        &whygo::db::admin_cli::NewUser {
            email,
            name: "Guest",
            password_hash: &hash,
            installation_admin: false,
            tenant: Some("kartel"),
            role: whygo::domain::permissions::Role::Member,
            person: None,
        },
    )
    .await
    .expect("query")
    .expect("created");
    let mut c = Client::new(app(db));
    c.login(email, password).await;
    c
}

// ----- Helpers of the regression suites (issue 10: fuzz, CSRF matrix) -----

impl Client {
    /// POSTs `body` as an urlencoded form, byte for byte (no CSRF token
    /// added): for bytes no `&str` can hold, such as invalid UTF-8.
    pub async fn post_bytes(&mut self, path: &str, body: Vec<u8>) -> Response {
        self.send(
            axum::http::Request::post(path)
                .header("content-type", "application/x-www-form-urlencoded"),
            Body::from(body),
        )
        .await
    }
}

/// Every (method, pattern) the routers in `src/http` register, read from
/// their source (`.route("/pattern", get(…).post(…))`), so a table over
/// routes can check that it misses none.
pub fn source_routes() -> Vec<(&'static str, String)> {
    fn walk(dir: &std::path::Path, out: &mut Vec<PathBuf>) {
        if let Ok(entries) = std::fs::read_dir(dir) {
            for e in entries.flatten() {
                let p = e.path();
                if p.is_dir() {
                    walk(&p, out);
                } else if p.extension().is_some_and(|x| x == "rs") {
                    out.push(p);
                }
            }
        }
    }
    let mut files = Vec::new();
    walk(
        &PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("src/http"),
        &mut files,
    );
    files.sort();
    let mut routes = Vec::new();
    for file in files {
        let Ok(text) = std::fs::read_to_string(&file) else {
            continue;
        };
        let flat: String = text.split_whitespace().collect::<Vec<_>>().join(" ");
        for part in flat.split(".route(").skip(1) {
            let Some(pattern) = part.split('"').nth(1) else {
                continue;
            };
            if !pattern.starts_with('/') {
                continue;
            }
            let handlers = part.split(')').take(3).collect::<Vec<_>>().join(")");
            for (verb, method) in [("get(", "GET"), ("post(", "POST")] {
                if handlers.contains(verb) {
                    routes.push((method, pattern.to_owned()));
                }
            }
        }
    }
    routes
}

/// Whether a route pattern such as `/{tenant}/people/{key}` matches a path
/// (its query string ignored).
pub fn route_matches(pattern: &str, path: &str) -> bool {
    let path = path.split('?').next().unwrap_or(path);
    let p: Vec<&str> = pattern.split('/').collect();
    let a: Vec<&str> = path.split('/').collect();
    p.len() == a.len()
        && p.iter()
            .zip(&a)
            .all(|(p, a)| (p.starts_with('{') && p.ends_with('}')) || p == a)
}

/// What every table of the database holds: its name, row count and an md5
/// of its rows in order, for "nothing was written" (tables in `skip` left out).
pub async fn content_fingerprint(db: &TestDb, skip: &[&str]) -> Vec<(String, i64, String)> {
    let tables: Vec<String> = sqlx::query_scalar(
        "select table_name::text from information_schema.tables
         where table_schema = 'public' and table_type = 'BASE TABLE'
           and table_name <> '_sqlx_migrations' order by 1",
    )
    .fetch_all(&db.pool)
    .await
    .expect("tables");
    let mut out = Vec::new();
    for t in tables {
        if skip.contains(&t.as_str()) {
            continue;
        }
        let (n, md5): (i64, Option<String>) = sqlx::query_as(&format!(
            "select count(*), md5(string_agg(r::text, '|' order by r::text)) from \"{t}\" r"
        ))
        .fetch_one(&db.pool)
        .await
        .expect("fingerprint a table");
        out.push((t, n, md5.unwrap_or_default()));
    }
    out
}

/// The service layer's actor for an account of organization `slug`.
pub async fn service_actor(db: &TestDb, email: &str, slug: &str) -> whygo::app::Actor {
    let a = whygo::db::accounts::account_by_email(&db.app_pool, email)
        .await
        .expect("query")
        .unwrap_or_else(|| panic!("an account {email}"));
    let m = whygo::db::accounts::membership(&db.app_pool, a.id, slug)
        .await
        .expect("query")
        .unwrap_or_else(|| panic!("{email} is a member of {slug}"));
    whygo::app::Actor {
        tenant: m.tenant,
        account: a.id,
        email: a.email,
        name: a.name,
        person: m.person,
        role: m.role,
        installation_admin: a.installation_admin,
    }
}

/// An account for person `person` of `slug`, for calling the service layer
/// (e.g. Emmet of Sales, who has no demo sign-in). It never signs in, so its
/// password hash is a placeholder.
pub async fn service_account(
    db: &TestDb,
    slug: &str,
    person: &str,
    role: whygo::domain::permissions::Role,
) -> whygo::app::Actor {
    let email = format!("{person}.ops@{slug}.test");
    whygo::db::admin_cli::create_user(
        &db.app_pool,
        &whygo::db::admin_cli::NewUser {
            email: &email,
            name: person,
            password_hash: "unused",
            installation_admin: false,
            tenant: Some(slug),
            role,
            person: Some(person),
        },
    )
    .await
    .expect("query")
    .expect("created");
    service_actor(db, &email, slug).await
}

/// A live invitation (for Noah, who has no account) and a live reset link
/// for the account `reset_email`, both of the demo's Kartel: the tokens the
/// one-time-link routes need. Returns (account id, invite, reset).
pub async fn one_time_links(db: &TestDb, reset_email: &str) -> (uuid::Uuid, String, String) {
    let kartel: uuid::Uuid = sqlx::query_scalar("select id from tenants where slug = 'kartel'")
        .fetch_one(&db.pool)
        .await
        .expect("kartel");
    let account: uuid::Uuid = sqlx::query_scalar("select id from accounts where email = $1")
        .bind(reset_email)
        .fetch_one(&db.pool)
        .await
        .expect("the account");
    let noah: uuid::Uuid = sqlx::query_scalar("select id from people where key = 'noah'")
        .fetch_one(&db.pool)
        .await
        .expect("noah");
    let invite = whygo::db::links::create_invite(
        &db.pool,
        kartel,
        noah,
        whygo::domain::permissions::Role::Member,
        None,
        None,
    )
    .await
    .expect("invite");
    let reset = whygo::db::links::create_reset(&db.pool, kartel, account, None)
        .await
        .expect("reset");
    (account, invite, reset)
}
