//! What people do, in a real browser: each journey clicks and types like a
//! person and asserts what the page shows.

use crate::harness::run;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_person_signs_in_and_a_wrong_password_says_so() {
    run("sign_in", |b| async move {
        b.visit("/").await;
        assert!(b.path().await.starts_with("/login"), "{}", b.path().await);
        b.fill("Email", "kevin@kartel.example").await;
        b.fill("Password", "not the password").await;
        b.press("Sign in").await;
        b.sees("That email and password do not match an account.").await;
        b.accessible("the sign-in form with its message").await;
        b.fill("Password", crate::common::DEMO_PASSWORD).await;
        b.press("Sign in").await;
        assert_eq!(b.path().await, "/kartel");
        b.sees("Kevin Reilly").await;
    })
    .await;
}
