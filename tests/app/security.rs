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
