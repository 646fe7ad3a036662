//! Single sign-on against a real OpenID provider (tests/oidc/provider.js,
//! node-oidc-provider) started by each test: an admin sets it up through the
//! admin page, people sign in through the provider, and each bad answer is
//! refused: a tampered state, a wrong nonce, an unverified email, a used or
//! expired code, another organization's state, another browser.

use crate::common::{Client, DEMO_PASSWORD, Response, TestDb, app, demo_db, load_acme, signed_in};
use crate::oidc_provider::{
    APP_HOST, Browser, CLIENT, Provider, SECRET, SHORT_CLIENT, SHORT_SECRET,
};

/// A client of the test app as the provider's redirect URIs know it.
fn visitor(db: &TestDb) -> Client {
    let mut c = Client::new(app(db));
    c.headers.push(("host".to_owned(), APP_HOST.to_owned()));
    c
}

/// What the admin form takes.
struct Setup<'a> {
    client_id: &'a str,
    secret: &'a str,
    sso_only: bool,
    jit: bool,
}

impl Default for Setup<'_> {
    fn default() -> Self {
        Setup {
            client_id: CLIENT,
            secret: SECRET,
            sso_only: false,
            jit: false,
        }
    }
}

/// An admin of `slug` (signed in, with the app's host) sets single sign-on
/// up through the admin page.
async fn configure(admin: &mut Client, slug: &str, issuer: &str, s: Setup<'_>) -> Response {
    admin
        .get(&format!("/{slug}/admin/sso"))
        .await
        .expect_status(200);
    let mut fields = vec![
        ("enabled", "on"),
        ("provider_name", "Test IdP"),
        ("issuer", issuer),
        ("client_id", s.client_id),
        ("client_secret", s.secret),
    ];
    if s.sso_only {
        fields.push(("sso_only", "on"));
    }
    if s.jit {
        fields.push(("jit_membership", "on"));
    }
    admin.post(&format!("/{slug}/admin/sso"), &fields).await
}

/// Zac, Kartel's admin, sets Kartel's single sign-on up.
async fn kartel_sso(db: &TestDb, provider: &Provider, s: Setup<'_>) {
    let mut zac = signed_in(db, "zac").await;
    zac.headers.push(("host".to_owned(), APP_HOST.to_owned()));
    let res = configure(&mut zac, "kartel", &provider.issuer, s).await;
    res.expect_status(303);
    assert_eq!(
        res.location.as_deref(),
        Some("/kartel/admin/sso?done=saved")
    );
}

/// Leaves whygo for the provider from the organization's sign-in page: the
/// authorization URL. Keeps the attempt's browser cookie in the client.
async fn leave(c: &mut Client, slug: &str) -> String {
    c.get(&format!("/{slug}/sso")).await.expect_status(200);
    let res = c
        .post(
            &format!("/{slug}/sso/start"),
            &[("next", &format!("/{slug}"))],
        )
        .await;
    res.expect_status(303);
    let bound = res
        .set_cookie
        .iter()
        .find_map(|c| c.strip_prefix("whygo_sso="))
        .and_then(|v| v.split(';').next())
        .expect("the attempt's browser cookie")
        .to_owned();
    c.headers
        .retain(|(k, v)| !(k == "cookie" && v.starts_with("whygo_sso=")));
    c.headers
        .push(("cookie".to_owned(), format!("whygo_sso={bound}")));
    res.location.clone().expect("the provider's address")
}

/// The whole way to the provider and back: the callback path and query.
async fn through_provider(
    c: &mut Client,
    provider: &Provider,
    slug: &str,
    account: &str,
) -> String {
    let authorize = leave(c, slug).await;
    assert!(
        authorize.starts_with(&format!("{}/auth?", provider.issuer)),
        "{authorize}"
    );
    for part in [
        "response_type=code",
        "code_challenge_method=S256",
        "code_challenge=",
        "state=",
        "nonce=",
        "scope=openid+email+profile",
    ] {
        assert!(authorize.contains(part), "{part} in {authorize}");
    }
    let callback = Browser::default()
        .sign_in(&provider.issuer, &authorize, account)
        .await;
    assert!(
        callback.starts_with(&format!("/{slug}/sso/callback?code=")),
        "{callback}"
    );
    callback
}

fn param<'a>(query: &'a str, name: &str) -> &'a str {
    query
        .split(['?', '&'])
        .find_map(|p| p.strip_prefix(&format!("{name}=")))
        .unwrap_or_else(|| panic!("no {name} in {query}"))
}

async fn audit_after(db: &TestDb, action: &str) -> Vec<(String, String, String)> {
    sqlx::query_as(
        "select actor, entity_key, coalesce(after::text, '') from audit_log where action = $1 order by seq",
    )
    .bind(action)
    .fetch_all(&db.pool)
    .await
    .expect("audit")
}

/// Whether the client opens Kartel's dashboard (signed in as a member).
async fn opens_kartel(c: &mut Client) -> bool {
    c.get("/kartel").await.status.as_u16() == 200
}

#[tokio::test]
async fn a_member_signs_in_through_the_provider_and_lands_on_the_dashboard_with_a_new_session() {
    let db = demo_db().await;
    let provider = Provider::start(&["kartel"]).await;
    kartel_sso(&db, &provider, Setup::default()).await;

    // The sign-in page offers Kartel's button.
    let mut c = visitor(&db);
    let login = c.get("/login").await;
    login.expect_status(200);
    assert!(
        login.body.contains("Sign in to Kartel AI with Test IdP")
            && login.body.contains("action=\"/kartel/sso/start\""),
        "{}",
        login.body
    );
    // Signed in as Kevin by password first: SSO must not keep that session.
    c.login("kevin@kartel.example", DEMO_PASSWORD).await;
    let kevins = c.cookie.clone().expect("kevin's session");

    // Trent's provider account says Trent@Kartel.example: case does not matter.
    let callback = through_provider(&mut c, &provider, "kartel", "trent").await;
    let res = c.get(&callback).await;
    res.expect_status(303);
    assert_eq!(res.location.as_deref(), Some("/kartel"));
    let session = c.cookie.clone().expect("a session");
    assert_ne!(session, kevins, "a new session id, not the one before");
    let page = c.get("/kartel").await;
    page.expect_status(200);
    assert!(
        page.body.contains("Trent Hunter · Member"),
        "signed in as Trent"
    );
    // Kevin's session is gone.
    let mut old = visitor(&db);
    old.cookie = Some(kevins);
    old.get("/kartel").await.expect_status(303);

    // Audited, without tokens; the attempt is used up.
    let audited = audit_after(&db, "sign in").await;
    assert_eq!(audited.len(), 1, "{audited:?}");
    assert_eq!(audited[0].0, "Trent@Kartel.example");
    assert!(audited[0].2.contains("single sign-on") && audited[0].2.contains(&provider.issuer));
    let code = param(&callback, "code");
    let all: String = sqlx::query_scalar("select coalesce(string_agg(after::text || coalesce(before::text, ''), ' '), '') from audit_log")
        .fetch_one(&db.pool)
        .await
        .expect("audit");
    assert!(!all.contains(code) && !all.contains(SECRET));
    let left: i64 = sqlx::query_scalar("select count(*) from sso_attempts")
        .fetch_one(&db.pool)
        .await
        .expect("count");
    assert_eq!(left, 0);
}

#[tokio::test]
async fn an_email_in_the_id_token_itself_signs_in_too() {
    let db = demo_db().await;
    let provider = Provider::start_with(&["kartel"], true).await;
    kartel_sso(&db, &provider, Setup::default()).await;
    let mut c = visitor(&db);
    let callback = through_provider(&mut c, &provider, "kartel", "wayan-verified").await;
    c.get(&callback).await.expect_status(303);
    let page = c.get("/kartel").await;
    page.expect_status(200);
    assert!(page.body.contains("Wayan Palmieri"), "signed in as Wayan");
    // And an unverified one in the ID token is refused as well.
    let mut c = visitor(&db);
    let callback = through_provider(&mut c, &provider, "kartel", "unverified").await;
    c.get(&callback).await.expect_status(403);
}

#[tokio::test]
async fn a_tampered_state_is_refused_and_signs_nobody_in() {
    let db = demo_db().await;
    let provider = Provider::start(&["kartel"]).await;
    kartel_sso(&db, &provider, Setup::default()).await;
    let mut c = visitor(&db);
    let callback = through_provider(&mut c, &provider, "kartel", "trent").await;
    let state = param(&callback, "state");
    let mut tampered = state.to_owned();
    let last = if tampered.ends_with('A') { 'B' } else { 'A' };
    tampered.pop();
    tampered.push(last);
    let res = c.get(&callback.replace(state, &tampered)).await;
    res.expect_status(400);
    assert!(
        res.body.contains("This sign-in could not be checked"),
        "{}",
        res.body
    );
    assert!(res.body.contains("Nobody was signed in"));
    assert_eq!(c.cookie, None, "no session");
    assert!(!opens_kartel(&mut c).await);
    // No state at all, likewise.
    let res = c.get("/kartel/sso/callback?code=x").await;
    res.expect_status(400);
}

#[tokio::test]
async fn an_id_token_for_another_nonce_is_refused() {
    let db = demo_db().await;
    let provider = Provider::start(&["kartel"]).await;
    kartel_sso(&db, &provider, Setup::default()).await;
    let mut c = visitor(&db);
    let callback = through_provider(&mut c, &provider, "kartel", "trent").await;
    // The provider signed an ID token for the nonce whygo sent; whygo now
    // expects another one, as if the token had been issued to another
    // sign-in and replayed into this one.
    let changed = sqlx::query("update sso_attempts set nonce = 'a-nonce-of-another-sign-in'")
        .execute(&db.pool)
        .await
        .expect("swap the nonce");
    assert_eq!(changed.rows_affected(), 1);
    let res = c.get(&callback).await;
    res.expect_status(401);
    assert!(res.body.contains("did not pass whygo"), "{}", res.body);
    assert_eq!(c.cookie, None);
    let refused = audit_after(&db, "refuse sign-in").await;
    assert_eq!(refused.len(), 1, "{refused:?}");
    assert!(refused[0].2.contains("nonce"), "{refused:?}");
}

#[tokio::test]
async fn an_unverified_email_is_refused() {
    let db = demo_db().await;
    let provider = Provider::start(&["kartel"]).await;
    kartel_sso(
        &db,
        &provider,
        Setup {
            jit: true,
            ..Setup::default()
        },
    )
    .await;
    let mut c = visitor(&db);
    // The provider vouches for wayan@kartel.example, a member, but has
    // not verified it.
    let callback = through_provider(&mut c, &provider, "kartel", "unverified").await;
    let res = c.get(&callback).await;
    res.expect_status(403);
    assert!(
        res.body.contains("Your email is not verified"),
        "{}",
        res.body
    );
    assert_eq!(c.cookie, None);
    let refused = audit_after(&db, "refuse sign-in").await;
    assert_eq!(refused.len(), 1);
    assert_eq!(refused[0].1, "wayan@kartel.example");
    assert!(refused[0].2.contains("email not verified"));
}

#[tokio::test]
async fn a_code_used_once_is_refused_the_second_time() {
    let db = demo_db().await;
    let provider = Provider::start(&["kartel"]).await;
    kartel_sso(&db, &provider, Setup::default()).await;
    let mut c = visitor(&db);
    let callback = through_provider(&mut c, &provider, "kartel", "trent").await;
    // The attempt as it was, so the same code can be brought back to a
    // live attempt (whygo would refuse the used state before the provider
    // could refuse the code).
    let kept: Vec<(Vec<u8>,)> = sqlx::query_as("select state_hash from sso_attempts")
        .fetch_all(&db.pool)
        .await
        .expect("attempt");
    assert_eq!(kept.len(), 1);
    sqlx::query("create table kept_attempt as select * from sso_attempts")
        .execute(&db.pool)
        .await
        .expect("keep");
    c.get(&callback).await.expect_status(303);
    let first = c.cookie.clone();

    // The same state again: used up.
    let again = c.get(&callback).await;
    again.expect_status(400);
    // The attempt put back: now the provider refuses the used code.
    sqlx::query("insert into sso_attempts select * from kept_attempt")
        .execute(&db.pool)
        .await
        .expect("put back");
    let replay = c.get(&callback).await;
    replay.expect_status(401);
    assert!(
        replay.body.contains("the code was used or expired"),
        "{}",
        replay.body
    );
    assert_eq!(c.cookie, first, "no new session");
    let refused = audit_after(&db, "refuse sign-in").await;
    assert!(
        refused.iter().any(|r| r.2.contains("invalid_grant")),
        "the provider's refusal is recorded: {refused:?}"
    );
}

#[tokio::test]
async fn an_expired_code_is_refused() {
    let db = demo_db().await;
    let provider = Provider::start(&["kartel"]).await;
    kartel_sso(
        &db,
        &provider,
        Setup {
            client_id: SHORT_CLIENT,
            secret: SHORT_SECRET,
            ..Setup::default()
        },
    )
    .await;
    let mut c = visitor(&db);
    let callback = through_provider(&mut c, &provider, "kartel", "trent").await;
    // This client's codes live one second at the provider: waiting is the
    // only faithful way to let one expire.
    tokio::time::sleep(std::time::Duration::from_millis(2100)).await;
    let res = c.get(&callback).await;
    res.expect_status(401);
    assert_eq!(c.cookie, None);
    let refused = audit_after(&db, "refuse sign-in").await;
    assert!(
        refused.iter().any(|r| r.2.contains("invalid_grant")),
        "{refused:?}"
    );
}

#[tokio::test]
async fn a_callback_in_another_browser_or_after_ten_minutes_is_refused() {
    let db = demo_db().await;
    let provider = Provider::start(&["kartel"]).await;
    kartel_sso(&db, &provider, Setup::default()).await;
    let mut c = visitor(&db);
    let callback = through_provider(&mut c, &provider, "kartel", "trent").await;
    // Someone else's browser opens the address (a login CSRF).
    let mut other = visitor(&db);
    let res = other.get(&callback).await;
    res.expect_status(400);
    assert_eq!(other.cookie, None);
    // The attempt was taken by that try: the right browser cannot use it now.
    c.get(&callback).await.expect_status(400);

    // Too slow at the provider.
    let callback = through_provider(&mut c, &provider, "kartel", "trent").await;
    sqlx::query("update sso_attempts set expires_at = now() - interval '1 second'")
        .execute(&db.pool)
        .await
        .expect("age");
    let res = c.get(&callback).await;
    res.expect_status(400);
    assert!(res.body.contains("took too long"), "{}", res.body);
    assert_eq!(c.cookie, None);
}

#[tokio::test]
async fn sso_only_refuses_the_password_of_members_but_not_of_installation_admins() {
    let db = demo_db().await;
    let provider = Provider::start(&["kartel"]).await;
    kartel_sso(
        &db,
        &provider,
        Setup {
            sso_only: true,
            ..Setup::default()
        },
    )
    .await;

    let mut c = visitor(&db);
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
    res.expect_status(403);
    assert!(
        res.body.contains("signs in with single sign-on only")
            && res.body.contains("Sign in to Kartel AI with Test IdP"),
        "{}",
        res.body
    );
    assert_eq!(c.cookie, None);
    // A wrong password is still just wrong (nothing said about SSO).
    let res = c
        .post(
            "/login",
            &[
                ("email", "kevin@kartel.example"),
                ("password", "not it at all"),
            ],
        )
        .await;
    res.expect_status(401);
    assert!(!res.body.contains("single sign-on only"));

    // Zac administers the installation: his password still works.
    let mut zac = visitor(&db);
    zac.login("zac@kartel.example", DEMO_PASSWORD).await;
    zac.get("/kartel").await.expect_status(200);

    // Kevin gets in through the provider.
    let callback = through_provider(&mut c, &provider, "kartel", "kevin").await;
    c.get(&callback).await.expect_status(303);
    c.get("/kartel").await.expect_status(200);

    // Turned off again, the password works again.
    let mut zac_admin = signed_in(&db, "zac").await;
    zac_admin
        .headers
        .push(("host".to_owned(), APP_HOST.to_owned()));
    configure(
        &mut zac_admin,
        "kartel",
        &provider.issuer,
        Setup {
            secret: "",
            ..Setup::default()
        },
    )
    .await
    .expect_status(303);
    let mut again = visitor(&db);
    again.login("kevin@kartel.example", DEMO_PASSWORD).await;
}

#[tokio::test]
async fn without_just_in_time_membership_an_unknown_email_is_told_to_ask_for_an_invitation() {
    let db = demo_db().await;
    let provider = Provider::start(&["kartel"]).await;
    kartel_sso(&db, &provider, Setup::default()).await;
    let mut c = visitor(&db);
    let callback = through_provider(&mut c, &provider, "kartel", "newcomer").await;
    let res = c.get(&callback).await;
    res.expect_status(403);
    assert!(
        res.body.contains("Ask your admin for an invitation"),
        "{}",
        res.body
    );
    assert_eq!(c.cookie, None);
    let accounts: i64 =
        sqlx::query_scalar("select count(*) from accounts where email = 'newcomer@kartel.example'")
            .fetch_one(&db.pool)
            .await
            .expect("count");
    assert_eq!(accounts, 0, "no account made");
}

#[tokio::test]
async fn with_just_in_time_membership_a_verified_unknown_email_becomes_a_member() {
    let db = demo_db().await;
    let provider = Provider::start(&["kartel"]).await;
    kartel_sso(
        &db,
        &provider,
        Setup {
            jit: true,
            ..Setup::default()
        },
    )
    .await;
    let mut c = visitor(&db);
    let callback = through_provider(&mut c, &provider, "kartel", "newcomer").await;
    let res = c.get(&callback).await;
    res.expect_status(303);
    let page = c.get("/kartel").await;
    page.expect_status(200);
    assert!(
        page.body.contains("Nina Newcomer · Member"),
        "{}",
        page.body
    );
    let (role, person, hash): (String, Option<uuid::Uuid>, Option<String>) = sqlx::query_as(
        "select m.role, m.person_id, a.password_hash from memberships m join accounts a on a.id = m.account_id
         where a.email = 'newcomer@kartel.example'",
    )
    .fetch_one(&db.pool)
    .await
    .expect("the new member");
    assert_eq!((role.as_str(), person, hash), ("member", None, None));
    let joined = audit_after(&db, "create").await;
    assert!(
        joined
            .iter()
            .any(|(_, key, after)| key == "newcomer@kartel.example"
                && after.contains("just-in-time")),
        "{joined:?}"
    );
    // Zac reaches the whole installation: never signed in by an
    // organization's provider, just-in-time or not.
    let mut z = visitor(&db);
    let callback = through_provider(&mut z, &provider, "kartel", "zac").await;
    let res = z.get(&callback).await;
    res.expect_status(403);
    assert!(
        res.body.contains("Sign in with your password"),
        "{}",
        res.body
    );
}

#[tokio::test]
async fn another_organizations_state_settings_and_secret_are_never_used() {
    let db = demo_db().await;
    load_acme(&db).await;
    let provider = Provider::start(&["kartel", "acme"]).await;
    kartel_sso(&db, &provider, Setup::default()).await;
    // Acme has single sign-on of its own, with the other client.
    let acme: uuid::Uuid = sqlx::query_scalar("select id from tenants where slug = 'acme'")
        .fetch_one(&db.pool)
        .await
        .expect("acme");
    let kartel: uuid::Uuid = sqlx::query_scalar("select id from tenants where slug = 'kartel'")
        .fetch_one(&db.pool)
        .await
        .expect("kartel");
    sqlx::query(
        "insert into sso_settings (tenant_id, enabled, issuer, client_id, client_secret) values ($1, true, $2, $3, $4)",
    )
    .bind(acme)
    .bind(&provider.issuer)
    .bind(SHORT_CLIENT)
    .bind(SHORT_SECRET)
    .execute(&db.pool)
    .await
    .expect("acme's settings");

    let mut c = visitor(&db);
    let callback = through_provider(&mut c, &provider, "kartel", "trent").await;
    // Kartel's state and code brought to Acme's callback.
    let res = c.get(&callback.replacen("/kartel/", "/acme/", 1)).await;
    res.expect_status(400);
    assert_eq!(c.cookie, None);
    // Kartel's attempt is untouched by that: it still signs Trent in at Kartel.
    c.get(&callback).await.expect_status(303);
    c.get("/kartel").await.expect_status(200);

    // In the database, as the application: Acme's transaction sees no
    // Kartel attempt, setting or secret.
    let mut tx = whygo::db::begin_tenant(&db.app_pool, acme)
        .await
        .expect("tx");
    through_provider(&mut visitor(&db), &provider, "kartel", "trent").await;
    let seen: i64 = sqlx::query_scalar("select count(*) from sso_attempts")
        .fetch_one(&mut *tx)
        .await
        .expect("count");
    assert_eq!(seen, 0);
    let secret: Option<String> = sqlx::query_scalar("select whygo_sso_client_secret($1)")
        .bind(kartel)
        .fetch_one(&mut *tx)
        .await
        .expect("secret");
    assert_eq!(secret, None, "Kartel's secret is not Acme's to read");
    let settings: Vec<(String,)> = sqlx::query_as("select client_id from sso_settings")
        .fetch_all(&mut *tx)
        .await
        .expect("settings");
    assert_eq!(settings, vec![(SHORT_CLIENT.to_owned(),)]);
    tx.rollback().await.expect("rollback");
}

#[tokio::test]
async fn the_client_secret_is_never_shown_logged_in_the_audit_or_readable_by_the_app() {
    let db = demo_db().await;
    let provider = Provider::start(&["kartel"]).await;
    let mut zac = signed_in(&db, "zac").await;
    zac.headers.push(("host".to_owned(), APP_HOST.to_owned()));
    let form = zac.get("/kartel/admin/sso").await;
    form.expect_status(200);
    assert!(
        form.body.contains("http://whygo.test/kartel/sso/callback"),
        "the redirect URI to register"
    );
    assert!(form.body.contains("No secret is set yet."));
    configure(&mut zac, "kartel", &provider.issuer, Setup::default())
        .await
        .expect_status(303);
    let page = zac.get("/kartel/admin/sso?done=saved").await;
    page.expect_status(200);
    assert!(page.body.contains("A secret is set."));
    assert!(!page.body.contains(SECRET), "the secret is not in the page");
    // A refused save shows what was typed, but not the secret.
    let refused = zac
        .post(
            "/kartel/admin/sso",
            &[
                ("enabled", "on"),
                ("issuer", "http://login.example.com"),
                ("client_id", CLIENT),
                ("client_secret", "a-new-secret-typed-in-4711"),
            ],
        )
        .await;
    refused.expect_status(422);
    assert!(
        refused.body.contains("The issuer must use https://"),
        "{}",
        refused.body
    );
    assert!(refused.body.contains("value=\"http://login.example.com\""));
    assert!(!refused.body.contains("a-new-secret-typed-in-4711"));
    // A new secret is recorded as changed.
    configure(
        &mut zac,
        "kartel",
        &provider.issuer,
        Setup {
            secret: "another-secret-1234",
            ..Setup::default()
        },
    )
    .await
    .expect_status(303);
    let audit = zac.get("/kartel/admin/audit").await;
    audit.expect_status(200);
    assert!(audit.body.contains("single sign-on"));
    assert!(audit.body.contains("changed"), "{}", audit.body);
    let csv = zac.get("/kartel/admin/audit.csv").await;
    for text in [&audit.body, &csv.body] {
        assert!(!text.contains(SECRET) && !text.contains("another-secret-1234"));
    }
    let rows: String = sqlx::query_scalar("select string_agg(coalesce(before::text, '') || after::text, ' ') from audit_log where entity = 'single sign-on'")
        .fetch_one(&db.pool)
        .await
        .expect("audit");
    assert!(
        !rows.contains(SECRET) && !rows.contains("another-secret-1234"),
        "{rows}"
    );
    assert!(rows.contains("\"client_secret\": \"changed\""), "{rows}");
    // The application's role cannot read the column.
    let kartel: uuid::Uuid = sqlx::query_scalar("select id from tenants where slug = 'kartel'")
        .fetch_one(&db.pool)
        .await
        .expect("kartel");
    let mut tx = whygo::db::begin_tenant(&db.app_pool, kartel)
        .await
        .expect("tx");
    let read = sqlx::query_scalar::<_, String>("select client_secret from sso_settings")
        .fetch_one(&mut *tx)
        .await;
    assert!(read.is_err(), "whygo_app may not select client_secret");
}

#[tokio::test]
async fn the_admin_form_checks_the_issuer_and_the_provider_before_saving() {
    let db = demo_db().await;
    let mut zac = signed_in(&db, "zac").await;
    zac.headers.push(("host".to_owned(), APP_HOST.to_owned()));
    // Nobody listens on port 9 here: discovery fails, the message sits next
    // to the issuer, nothing is written.
    let res = configure(&mut zac, "kartel", "http://127.0.0.1:9", Setup::default()).await;
    res.expect_status(422);
    assert!(
        res.body.contains("id=\"issuer-error\"")
            && res
                .body
                .contains("could not reach http://127.0.0.1:9/.well-known/openid-configuration"),
        "{}",
        res.body
    );
    let rows: i64 = sqlx::query_scalar("select count(*) from sso_settings")
        .fetch_one(&db.pool)
        .await
        .expect("count");
    assert_eq!(rows, 0);
    // SSO only without SSO.
    zac.get("/kartel/admin/sso").await;
    let res = zac
        .post(
            "/kartel/admin/sso",
            &[
                ("issuer", "https://id.example"),
                ("client_id", CLIENT),
                ("client_secret", SECRET),
                ("sso_only", "on"),
            ],
        )
        .await;
    res.expect_status(422);
    assert!(res.body.contains("id=\"sso_only-error\""), "{}", res.body);
    // Leaders are no admins.
    let mut kevin = signed_in(&db, "kevin").await;
    kevin.get("/kartel/admin/sso").await.expect_status(403);
    // No button on the sign-in page, and no SSO page, while it is not set.
    let mut v = visitor(&db);
    assert!(!v.get("/login").await.body.contains("/sso/start"));
    v.get("/kartel/sso").await.expect_status(404);
}

#[tokio::test]
async fn failed_callbacks_and_pending_starts_are_limited_per_address() {
    let db = demo_db().await;
    // The provider is never reached in this test: settings as stored.
    let kartel: uuid::Uuid = sqlx::query_scalar("select id from tenants where slug = 'kartel'")
        .fetch_one(&db.pool)
        .await
        .expect("kartel");
    sqlx::query(
        "insert into sso_settings (tenant_id, enabled, issuer, client_id, client_secret) values ($1, true, 'http://127.0.0.1:9', 'whygo', 'x')",
    )
    .bind(kartel)
    .execute(&db.pool)
    .await
    .expect("settings");
    let mut c = visitor(&db);
    // Five forged callbacks from one address, as five wrong passwords...
    for i in 0..5 {
        let res = c
            .get(&format!("/kartel/sso/callback?code=c&state=forged-{i}"))
            .await;
        res.expect_status(400);
    }
    // ...and the sixth is not even looked at.
    let res = c.get("/kartel/sso/callback?code=c&state=forged-6").await;
    res.expect_status(429);
    assert!(res.body.contains("Too many"), "{}", res.body);

    // A flood of starts stops at the bound of pending sign-ins per address
    // (the tests' requests come from "unknown").
    sqlx::query(
        "insert into sso_attempts (tenant_id, state_hash, browser_hash, nonce, pkce_verifier, redirect_uri, address, expires_at)
         select $1, sha256(g::text::bytea), '\\x00', 'n', 'v', 'r', 'unknown', now() + interval '5 minutes'
         from generate_series(1, $2) g",
    )
    .bind(kartel)
    .bind(i32::try_from(whygo::db::sso::MAX_PENDING_PER_ADDRESS).expect("small"))
    .execute(&db.pool)
    .await
    .expect("pending attempts");
    c.get("/kartel/sso").await.expect_status(200);
    let res = c.post("/kartel/sso/start", &[("next", "/kartel")]).await;
    res.expect_status(429);
    assert!(
        res.body.contains("Too many sign-ins under way"),
        "{}",
        res.body
    );
}

#[tokio::test]
async fn an_answer_naming_another_issuer_is_refused() {
    let db = demo_db().await;
    let provider = Provider::start(&["kartel"]).await;
    kartel_sso(&db, &provider, Setup::default()).await;
    let mut c = visitor(&db);
    let callback = through_provider(&mut c, &provider, "kartel", "trent").await;
    // RFC 9207: the provider names itself in `iss`; a mix-up shows there.
    let iss = param(&callback, "iss");
    let res = c
        .get(&callback.replace(iss, "https%3A%2F%2Fevil.example"))
        .await;
    res.expect_status(400);
    assert!(res.body.contains("another provider"), "{}", res.body);
    assert_eq!(c.cookie, None);
}
