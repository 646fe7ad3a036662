//! What people do, in a real browser: each journey clicks and types like a
//! person (fields found by their label, buttons by their text, links by
//! theirs) and asserts what the page shows.

use crate::harness::{Browser, run};

/// The WhyGO key in a path such as `/kartel/whygos/trent-2?done=created`.
fn whygo_key(path: &str) -> String {
    path.trim_start_matches("/kartel/whygos/")
        .split(['?', '#', '/'])
        .next()
        .unwrap_or_default()
        .to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_person_signs_in_and_a_wrong_password_says_so() {
    run("sign_in", |b| async move {
        b.visit("/").await;
        assert!(
            b.path().await.starts_with("/login"),
            "a visitor is sent to sign in, not to {}",
            b.path().await
        );
        b.fill("Email", "kevin@kartel.example").await;
        b.fill("Password", "not the password").await;
        b.press("Sign in").await;
        b.sees("That email and password do not match an account.")
            .await;
        assert_eq!(
            Browser::value_of(&b.field("Email").await).await,
            "kevin@kartel.example",
            "the email typed is kept"
        );
        b.accessible("the sign-in form with its message").await;

        b.fill("Password", crate::common::DEMO_PASSWORD).await;
        b.press("Sign in").await;
        assert_eq!(
            b.path().await,
            "/kartel",
            "one organization: straight to it"
        );
        b.sees("Kevin Reilly · Leader").await;
        b.sees("Kartel AI").await;

        b.press("Sign out").await;
        b.visit("/kartel").await;
        assert!(
            b.path().await.starts_with("/login"),
            "signed out: {}",
            b.path().await
        );
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_check_in_previews_as_you_type_saves_a_good_value_and_explains_a_bad_one() {
    run("check_in", |b| async move {
        b.sign_in("wayan").await;
        b.follow("My check-in").await;
        b.sees("My check-in").await;
        b.sees("Production Margin").await;

        // The JavaScript preview follows what is typed.
        let margin = "New Q4 actual for Production Margin";
        let field = b.field(margin).await;
        let row = field
            .attr("data-row")
            .await
            .ok()
            .flatten()
            .expect("the value field names its row");
        let preview = format!("preview-{row}");
        assert_eq!(
            b.text_of(&preview).await,
            "",
            "no preview before anything is typed"
        );
        Browser::type_into(&field, "60%", margin).await;
        b.until("the preview of 60%", || {
            let b = b.clone();
            let preview = preview.clone();
            async move { b.text_of(&preview).await.contains("[+]") }
        })
        .await;
        let said = b.text_of(&preview).await;
        assert!(said.starts_with("With this value:"), "{said}");
        assert!(
            said.contains("60%"),
            "the explanation uses the value: {said}"
        );
        Browser::type_into(&field, "20%", margin).await;
        b.until("the preview of 20% (off pace)", || {
            let b = b.clone();
            let preview = preview.clone();
            async move { b.text_of(&preview).await.contains("[-]") }
        })
        .await;
        let prompt = b.text_of(&format!("prompt-{row}")).await;
        assert!(
            prompt.contains("required"),
            "off pace asks for a note: {prompt:?}"
        );
        Browser::type_into(&field, "lots", margin).await;
        b.until("the preview of a value that cannot be read", || {
            let b = b.clone();
            let preview = preview.clone();
            async move {
                let t = b.text_of(&preview).await;
                !t.is_empty() && !t.contains("[-]") && !t.contains("With this value")
            }
        })
        .await;
        b.accessible("the check-in with a live preview").await;

        // A good value, saved, is on the page after the save.
        Browser::type_into(&field, "50%", margin).await;
        b.fill("Note for Production Margin", "Freelancers released.")
            .await;
        b.press("Save check-in").await;
        b.sees("1 check-in saved.").await;
        let saved_row = b.text_of(&format!("row-{row}")).await;
        assert!(
            saved_row.contains("50%"),
            "the row shows the new actual:\n{saved_row}"
        );
        assert_eq!(
            Browser::value_of(&b.field(margin).await).await,
            "",
            "the form is ready for the next check-in"
        );

        // A bad value: the message next to the field, what was typed kept.
        let cases = "New Q4 actual for Case study packages delivered";
        b.fill(cases, "lots").await;
        b.press("Save check-in").await;
        b.sees("Nothing was saved").await;
        let field = b.field(cases).await;
        assert_eq!(
            Browser::value_of(&field).await,
            "lots",
            "what was typed is kept"
        );
        assert_eq!(
            field.attr("aria-invalid").await.ok().flatten().as_deref(),
            Some("true")
        );
        let described = field
            .attr("aria-describedby")
            .await
            .ok()
            .flatten()
            .unwrap_or_default();
        let error_id = described
            .split_whitespace()
            .find(|id| id.ends_with("-error"))
            .unwrap_or_else(|| panic!("the field points at no message: {described:?}"))
            .to_owned();
        let message = b.text_of(&error_id).await;
        assert!(
            message.contains("lots"),
            "the message says what is wrong with what was typed: {message:?}"
        );
        // Next to the field: in the same row of the form, right after it.
        let row = field
            .attr("data-row")
            .await
            .ok()
            .flatten()
            .expect("the row");
        let row_text = b.text_of(&format!("row-{row}")).await;
        assert!(row_text.contains(&message), "{row_text}");
        b.accessible("the check-in refused with a message").await;
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_individual_whygo_is_proposed_returned_resubmitted_and_approved() {
    run("cascade", |b| async move {
        // Trent proposes.
        b.sign_in("trent").await;
        b.follow("Me").await;
        b.follow("Propose an individual WhyGO").await;
        b.fill("Title", "Reproducible batch runs").await;
        b.fill("Why", "Failed batches cost the pod hours every week.")
            .await;
        b.fill(
            "Goal",
            "Make every batch run reproducible on the first try.",
        )
        .await;
        let ladder = b.field("#1 Role Definition & Scale Readiness").await;
        ladder.click().await.expect("tick the ladder");
        let primary = b
            .field("primary link: #1 Role Definition & Scale Readiness")
            .await;
        primary.click().await.expect("choose the primary");
        let first = b.by_id("o0").await;
        let name = b.field_in(Some(&first), "Name").await;
        Browser::type_into(&name, "Workflows documented", "the outcome's name").await;
        for (q, v) in [("Q1", "2"), ("Q2", "4"), ("Q3", "6"), ("Q4", "8")] {
            let t = b.field_in(Some(&first), &format!("{q} target")).await;
            Browser::type_into(&t, v, q).await;
        }
        let second = b.by_id("o1").await;
        let name = b.field_in(Some(&second), "Name").await;
        Browser::type_into(&name, "Batch tool shipped", "the outcome's name").await;
        for (q, v) in [
            ("Q1", "Draft"),
            ("Q2", "MVP"),
            ("Q3", "v1.0"),
            ("Q4", "v1.0"),
        ] {
            let t = b.field_in(Some(&second), &format!("{q} target")).await;
            Browser::type_into(&t, v, q).await;
        }
        b.press("Save as draft").await;
        b.sees("Saved as a draft").await;
        let key = whygo_key(&b.path().await);
        assert!(key.starts_with("trent-"), "{}", b.path().await);
        b.press("Submit for approval").await;
        b.sees("Submitted for approval").await;

        // Fill, his manager, returns it with a reason. The navigation
        // counts what waits for him: this one and the demo's trent-1.
        b.sign_in("fill").await;
        b.follow("My approvals (2): 2 to approve").await;
        b.sees("Reproducible batch runs").await;
        let card = format!("proposal-{key}");
        let scope = b.by_id(&card).await;
        let comment = b
            .field_in(
                Some(&scope),
                "Or return it for changes, saying what should change",
            )
            .await;
        Browser::type_into(
            &comment,
            "Add a Q1 milestone you can show at demo day.",
            "the return comment",
        )
        .await;
        b.press_in(&card, "Return for changes").await;
        b.sees("Returned").await;

        // Trent reads why on his dashboard, revises and resubmits.
        b.sign_in("trent").await;
        b.visit("/kartel").await;
        b.sees("Your WhyGO “Reproducible batch runs” was returned for changes by Fill Isgro")
            .await;
        b.sees("My approvals (1)").await;
        b.follow("“Reproducible batch runs”").await;
        b.sees("asked for changes").await;
        b.sees("Add a Q1 milestone you can show at demo day.").await;
        b.follow("Edit").await;
        let first = b.by_id("o0").await;
        let q1 = b.field_in(Some(&first), "Q1 target").await;
        Browser::type_into(&q1, "3", "Q1 target").await;
        b.fill("What changed and why (optional)", "Q1 milestone added")
            .await;
        b.press("Save").await;
        b.press("Submit for approval").await;
        b.sees("Submitted for approval").await;

        // Fill approves.
        b.sign_in("fill").await;
        b.follow("My approvals (2): 2 to approve").await;
        b.press_in(&card, "Approve").await;
        b.sees("Approved").await;
        b.does_not_see("Reproducible batch runs").await;

        // Trent sees it in force, with its history.
        b.sign_in("trent").await;
        b.visit(&format!("/kartel/whygos/{key}")).await;
        b.sees("Approved: in force").await;
        b.sees("Returned for changes").await;
        b.sees("Q1 milestone added").await;
        b.accessible("an approved individual WhyGO").await;
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_department_head_amends_a_signed_whygo_and_the_signers_sign_it_off() {
    run("amendment", |b| async move {
        b.sign_in("wayan").await;
        b.visit("/kartel/departments/production").await;
        b.follow("#1 Scale Through Disciplined Handoffs").await;
        let page = b.path().await;
        b.sees("Signed off: version").await;
        b.follow("Edit").await;
        b.sees("Saving makes an amendment").await;
        let first = b.by_id("o0").await;
        let q4 = b.field_in(Some(&first), "Q4 target").await;
        assert_eq!(Browser::value_of(&q4).await, "20");
        Browser::type_into(&q4, "40", "Q4 target").await;
        b.fill(
            "What changed and why (optional)",
            "Two new pods from January",
        )
        .await;
        b.press("Save").await;
        b.sees("Amendment pending").await;
        b.sees("Outcome “Active client engagements”: Q4 target")
            .await;
        b.sees("Against the signed targets").await;
        b.accessible("a WhyGO with an amendment pending").await;

        // The three signers: the CEO, the President and the department head.
        b.sees("waits for sign-off by Kevin Reilly, Luke Peterson and Wayan Palmieri")
            .await;
        // His own amendment still needs his signature, and the page says so.
        b.sees("Waiting for your sign-off of version 2. You made this amendment: your own edit still needs your signature. It also waits for Kevin Reilly and Luke Peterson.")
            .await;
        for (who, name) in [
            ("wayan", "Wayan Palmieri"),
            ("kevin", "Kevin Reilly"),
            ("luke", "Luke Peterson"),
        ] {
            b.sign_in(who).await;
            b.visit(&page).await;
            b.sees(&format!("{name} (you): signed version 1")).await;
            b.press("Sign off version 2").await;
            b.sees(&format!("{name} (you): signed version 2")).await;
        }
        b.sees("is in force").await;
        b.does_not_see("Amendment pending").await;
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_admin_invites_a_member_who_follows_the_link_and_lands_signed_in() {
    run("invite", |b| async move {
        b.sign_in("zac").await;
        b.follow("Kartel AI").await;
        b.follow("Admin").await;
        b.follow("Members and roles").await;
        let invite = b.by_id("invite-noah").await;
        let role = b.field_in(Some(&invite), "Role").await;
        role.select_by_label("Member").await.expect("choose Member");
        let email = b.field_in(Some(&invite), "Email (optional)").await;
        Browser::type_into(&email, "noah@kartel.example", "the email").await;
        b.press_in("invite-noah", "Create invitation link").await;
        b.sees("Invitation for").await;
        let link = b
            .text()
            .await
            .lines()
            .map(str::trim)
            .find(|l| l.starts_with("/kartel/invite/"))
            .unwrap_or_else(|| panic!("no invitation link shown"))
            .to_owned();
        b.accessible("the members page showing a new invitation")
            .await;

        // Noah opens the link, chooses a password and is in.
        b.sign_out().await;
        b.visit(&link).await;
        b.sees("You are invited as").await;
        assert_eq!(
            Browser::value_of(&b.field("Email").await).await,
            "noah@kartel.example"
        );
        b.fill("Your name", "Noah Test").await;
        b.fill("Choose a password", "noah-joins-2026").await;
        b.fill("The password again", "noah-joins-2026").await;
        b.accessible("the invitation form").await;
        b.press("Join Kartel AI").await;
        assert_eq!(b.path().await, "/kartel");
        b.sees("Noah Test · Member").await;

        // The link works once.
        b.sign_out().await;
        b.visit(&link).await;
        b.does_not_see("You are invited as").await;
    })
    .await;
}
