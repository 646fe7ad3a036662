//! Signing in and out, sessions, CSRF, limits, passwords and one-time links.

use crate::common::{Client, DEMO_PASSWORD, TestDb, app, demo_db, signed_in};

#[tokio::test]
async fn a_member_signs_in_sees_their_organization_and_signs_out() {
    let db = demo_db().await;
    let mut c = Client::new(app(&db));
    let form = c.get("/login").await;
    form.expect_status(200);
    assert!(form.body.contains("<label for=\"email\">Email</label>"));
    let res = c
        .post(
            "/login",
            &[
                ("email", "kevin@kartel.example"),
                ("password", DEMO_PASSWORD),
                ("next", "/kartel"),
            ],
        )
        .await;
    res.expect_status(303);
    assert_eq!(res.location.as_deref(), Some("/kartel"));
    let page = c.get("/kartel").await;
    page.expect_status(200);
    assert!(
        page.body.contains("Kevin Reilly · Leader"),
        "the layout names who is signed in"
    );

    let out = c.post("/logout", &[]).await;
    out.expect_status(303);
    assert_eq!(out.location.as_deref(), Some("/login"));
    let after = c.get("/kartel").await;
    after.expect_status(303);
    assert!(
        after
            .location
            .as_deref()
            .is_some_and(|l| l.starts_with("/login"))
    );
}

#[tokio::test]
async fn a_wrong_password_is_refused_and_the_email_is_kept() {
    let db = demo_db().await;
    let mut c = Client::new(app(&db));
    c.get("/login").await;
    let anonymous = c.cookie.clone();
    let res = c
        .post(
            "/login",
            &[
                ("email", "kevin@kartel.example"),
                ("password", "not the password"),
            ],
        )
        .await;
    res.expect_status(401);
    assert!(
        res.body
            .contains("That email and password do not match an account.")
    );
    assert!(
        res.body.contains("value=\"kevin@kartel.example\""),
        "what was typed is kept"
    );
    assert_eq!(c.cookie, anonymous, "no new session");
    c.get("/kartel").await.expect_status(303);

    // An unknown email gets the same answer.
    let res = c
        .post(
            "/login",
            &[
                ("email", "nobody@kartel.example"),
                ("password", "whatever-long"),
            ],
        )
        .await;
    res.expect_status(401);
    assert!(
        res.body
            .contains("That email and password do not match an account.")
    );
}

#[tokio::test]
async fn repeated_failures_lock_that_address_out_of_the_account_even_with_the_right_password() {
    let db = demo_db().await;
    let mut c = Client::new(app(&db));
    c.get("/login").await;
    for _ in 0..whygo::http::auth::MAX_FAILURES_PER_PAIR {
        c.post(
            "/login",
            &[
                ("email", "wayan@kartel.example"),
                ("password", "guess-guess"),
            ],
        )
        .await
        .expect_status(401);
    }
    let res = c
        .post(
            "/login",
            &[
                ("email", "wayan@kartel.example"),
                ("password", DEMO_PASSWORD),
            ],
        )
        .await;
    res.expect_status(429);
    assert!(
        res.body
            .contains("Too many failed sign-ins for this account from your address"),
        "{}",
        res.body
    );
    // Another account is not affected.
    let mut other = Client::new(app(&db));
    other.login("kevin@kartel.example", DEMO_PASSWORD).await;
}

#[tokio::test]
async fn many_failures_from_one_address_across_accounts_slow_that_address_down() {
    let db = demo_db().await;
    // A spray of failures on other accounts, as if from one address.
    sqlx::query(
        "insert into sign_in_attempts (email, address, succeeded)
         select 'someone' || i || '@kartel.example', '203.0.113.7', false
         from generate_series(1, $1) i",
    )
    .bind(i32::try_from(whygo::http::auth::MAX_FAILURES_PER_ADDRESS).unwrap_or(i32::MAX))
    .execute(&db.pool)
    .await
    .expect("attempts");
    let mut settings = whygo::http::Settings::new(std::path::PathBuf::from("static"));
    settings.trust_proxy = true;
    let mut c = Client::new(whygo::http::app(db.app_pool.clone(), settings));
    c.headers
        .push(("x-forwarded-for".to_owned(), "203.0.113.7".to_owned()));
    c.get("/login").await;
    let res = c
        .post(
            "/login",
            &[
                ("email", "kevin@kartel.example"),
                ("password", DEMO_PASSWORD),
            ],
        )
        .await;
    res.expect_status(429);
    assert!(res.body.contains("from your network"), "{}", res.body);
}

#[tokio::test]
async fn a_post_without_the_csrf_token_is_refused_and_changes_nothing() {
    let db = demo_db().await;
    let mut c = signed_in(&db, "kevin").await;
    let res = c.post_raw("/logout", &[]).await;
    res.expect_status(403);
    assert!(
        res.body
            .contains("This form expired or did not come from whygo")
    );
    let res = c
        .post_raw("/logout", &[("csrf_token", "0123456789abcdef")])
        .await;
    res.expect_status(403);
    c.get("/kartel").await.expect_status(200);

    // Signing in needs the token too: a login form posted from elsewhere fails.
    let mut stranger = Client::new(app(&db));
    let res = stranger
        .post_raw(
            "/login",
            &[
                ("email", "kevin@kartel.example"),
                ("password", DEMO_PASSWORD),
            ],
        )
        .await;
    res.expect_status(403);
    assert!(stranger.cookie.is_none());
}

#[tokio::test]
async fn signing_in_replaces_the_session_id_so_a_planted_one_is_useless() {
    let db = demo_db().await;
    // An anonymous session (sign-in forms no longer make them, but rows of
    // older versions may remain) planted in the victim's browser.
    let (planted, _) = whygo::db::accounts::create_session(&db.app_pool, None)
        .await
        .expect("an anonymous session");
    let mut victim = Client::new(app(&db));
    victim.cookie = Some(planted.clone());
    victim.login("trent@kartel.example", DEMO_PASSWORD).await;
    let after = victim.cookie.clone().expect("a session");
    assert_ne!(planted, after, "a new id at sign-in");

    // The attacker who knew the planted cookie is not signed in.
    let mut attacker = Client::new(app(&db));
    attacker.cookie = Some(planted);
    let res = attacker.get("/kartel").await;
    res.expect_status(303);
    let stored: i64 = sqlx::query_scalar("select count(*) from sessions where id = $1")
        .bind(after.split('.').next().unwrap_or_default())
        .fetch_one(&db.pool)
        .await
        .expect("count");
    assert_eq!(stored, 1);
    let secrets_in_clear: i64 =
        sqlx::query_scalar("select count(*) from sessions where encode(secret_hash, 'hex') = $1")
            .bind(after.split('.').nth(1).unwrap_or_default())
            .fetch_one(&db.pool)
            .await
            .expect("count");
    assert_eq!(secrets_in_clear, 0, "only a hash of the secret is stored");
}

#[tokio::test]
async fn the_session_cookie_is_http_only_lax_and_secure_over_https() {
    let db = demo_db().await;
    let mut c = Client::new(app(&db));
    let res = c.get("/login").await;
    let cookie = res.set_cookie.first().expect("a session cookie");
    assert!(cookie.contains("HttpOnly"), "{cookie}");
    assert!(cookie.contains("SameSite=Lax"), "{cookie}");
    assert!(!cookie.contains("Secure"), "plain http: {cookie}");

    let mut https = Client::new(app(&db));
    https
        .headers
        .push(("x-forwarded-proto".to_owned(), "https".to_owned()));
    let res = https.get("/login").await;
    assert!(res.set_cookie.first().is_some_and(|c| c.contains("Secure")));
}

#[tokio::test]
async fn every_page_carries_the_security_headers() {
    let db = demo_db().await;
    let mut c = signed_in(&db, "kevin").await;
    for path in ["/login", "/kartel", "/nowhere"] {
        let res = c.get(path).await;
        let csp = res.headers["content-security-policy"]
            .to_str()
            .unwrap_or_default();
        assert!(csp.contains("frame-ancestors 'none'"), "{path}: {csp}");
        assert!(
            csp.contains("script-src 'self'") && !csp.contains("unsafe-inline"),
            "{path}: {csp}"
        );
        assert_eq!(res.headers["x-content-type-options"], "nosniff", "{path}");
        assert_eq!(res.headers["referrer-policy"], "same-origin", "{path}");
        assert!(!res.body.contains("<script>"), "{path}: no inline script");
    }
}

#[tokio::test]
async fn changing_the_password_checks_the_current_one_and_signs_out_other_sessions() {
    let db = demo_db().await;
    let mut laptop = signed_in(&db, "trent").await;
    let mut phone = signed_in(&db, "trent").await;
    laptop.get("/account/password").await.expect_status(200);
    let res = laptop
        .post(
            "/account/password",
            &[("current", "wrong"), ("new", "short"), ("confirm", "other")],
        )
        .await;
    res.expect_status(422);
    assert!(res.body.contains("That is not your current password."));
    assert!(res.body.contains("Use at least 10 characters."));
    assert!(res.body.contains("The two new passwords differ."));

    let res = laptop
        .post(
            "/account/password",
            &[
                ("current", DEMO_PASSWORD),
                ("new", "a much longer one"),
                ("confirm", "a much longer one"),
            ],
        )
        .await;
    res.expect_status(200);
    assert!(res.body.contains("Your password is changed."));
    laptop.get("/kartel").await.expect_status(200);
    phone.get("/kartel").await.expect_status(303);

    let mut again = Client::new(app(&db));
    again.get("/login").await;
    again
        .post(
            "/login",
            &[
                ("email", "trent@kartel.example"),
                ("password", DEMO_PASSWORD),
            ],
        )
        .await
        .expect_status(401);
    again
        .login("trent@kartel.example", "a much longer one")
        .await;
}

async fn kartel_tenant(db: &TestDb) -> uuid::Uuid {
    sqlx::query_scalar("select id from tenants where slug = 'kartel'")
        .fetch_one(&db.pool)
        .await
        .expect("kartel")
}

#[tokio::test]
async fn an_invitation_creates_an_account_for_the_person_once() {
    let db = demo_db().await;
    let tenant = kartel_tenant(&db).await;
    let person: uuid::Uuid = sqlx::query_scalar("select id from people where key = 'marc'")
        .fetch_one(&db.pool)
        .await
        .expect("marc");
    let token = whygo::db::links::create_invite(
        &db.pool,
        tenant,
        person,
        whygo::domain::permissions::Role::Member,
        Some("marc@kartel.example"),
        None,
    )
    .await
    .expect("invite");
    let path = format!("/kartel/invite/{token}");
    let mut c = Client::new(app(&db));
    let form = c.get(&path).await;
    form.expect_status(200);
    assert!(
        form.body
            .contains("You are invited as <strong>Marc Donhue</strong>")
    );

    let res = c
        .post(
            &path,
            &[
                ("email", "marc@kartel.example"),
                ("name", "Marc Donhue"),
                ("password", "short"),
                ("confirm", "short"),
            ],
        )
        .await;
    res.expect_status(422);
    assert!(res.body.contains("Use at least 10 characters."));
    assert!(res.body.contains("value=\"Marc Donhue\""));

    let res = c
        .post(
            &path,
            &[
                ("email", "marc@kartel.example"),
                ("name", "Marc Donhue"),
                ("password", "preditor-2026"),
                ("confirm", "preditor-2026"),
            ],
        )
        .await;
    res.expect_status(303);
    assert_eq!(res.location.as_deref(), Some("/kartel"));
    let page = c.get("/kartel").await;
    page.expect_status(200);
    assert!(page.body.contains("Marc Donhue · Member"));

    // Used once: the link is dead now.
    let mut other = Client::new(app(&db));
    let res = other.get(&path).await;
    res.expect_status(400);
    assert!(res.body.contains("has been used or has expired"));
    // A made-up token is simply not found.
    other.get("/kartel/invite/0000").await.expect_status(404);
}

#[tokio::test]
async fn a_reset_link_sets_a_new_password_and_signs_the_account_out() {
    let db = demo_db().await;
    let tenant = kartel_tenant(&db).await;
    let account: uuid::Uuid =
        sqlx::query_scalar("select id from accounts where email = 'wayan@kartel.example'")
            .fetch_one(&db.pool)
            .await
            .expect("wayan");
    let mut wayan = signed_in(&db, "wayan").await;
    let token = whygo::db::links::create_reset(&db.pool, tenant, account, None)
        .await
        .expect("reset");
    let path = format!("/kartel/reset/{token}");
    let mut c = Client::new(app(&db));
    assert!(
        c.get(&path)
            .await
            .body
            .contains("For wayan@kartel.example.")
    );
    let res = c
        .post(
            &path,
            &[("new", "production-2026"), ("confirm", "production-2026")],
        )
        .await;
    res.expect_status(200);
    assert!(res.body.contains("is set"));
    wayan.get("/kartel").await.expect_status(303);
    let mut again = Client::new(app(&db));
    again.login("wayan@kartel.example", "production-2026").await;
    c.get(&path).await.expect_status(400);
}
