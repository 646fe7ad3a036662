//! Refusals as the reader expects them: an address whose query string cannot
//! be read answers the site's 400 page (never axum's plain text), and the
//! JSON routes answer every error as JSON with the right status.

use serde_json::Value;

use crate::common::{Client, app, demo_db, signed_in};

fn content_type(res: &crate::common::Response) -> String {
    res.headers
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned()
}

/// The JSON error of a response: its status, and `error` and `field`.
fn json_error(res: &crate::common::Response, status: u16) -> (String, Option<String>) {
    assert_eq!(res.status.as_u16(), status, "{}", res.body);
    assert!(
        content_type(res).starts_with("application/json"),
        "{}: {}",
        content_type(res),
        res.body
    );
    let v: Value = serde_json::from_str(&res.body).expect("a JSON body");
    let error = v["error"].as_str().expect("an error sentence").to_owned();
    assert!(!error.is_empty());
    (error, v["field"].as_str().map(str::to_owned))
}

/// Appends a query to a route that may have one.
fn with_query(route: &str, query: &str) -> String {
    let sep = if route.contains('?') { '&' } else { '?' };
    format!("{route}{sep}{query}")
}

#[tokio::test]
async fn a_duplicated_parameter_answers_the_sites_400_page_on_every_html_page() {
    let db = demo_db().await;
    let mut zac = signed_in(&db, "zac").await;
    let mut refused = Vec::new();
    for route in crate::security::GET_ROUTES {
        let path = with_query(route, "as_of=2026-11-21&as_of=2026-11-22");
        let res = zac.get(&path).await;
        let kind = content_type(&res);
        assert!(
            !kind.starts_with("text/plain"),
            "{path}: a plain-text answer: {}",
            res.body
        );
        assert!(
            !res.body.contains("Failed to deserialize") && !res.body.contains("duplicate field"),
            "{path}: the deserializer's words: {}",
            res.body
        );
        if res.status.as_u16() != 400 {
            continue;
        }
        refused.push(*route);
        if kind.starts_with("application/json") {
            let (error, field) = json_error(&res, 400);
            assert_eq!(field.as_deref(), Some("as_of"), "{path}");
            assert!(error.contains("“as_of” twice"), "{path}: {error}");
            continue;
        }
        assert!(kind.starts_with("text/html"), "{path}: {kind}");
        for text in [
            "<title>That address cannot be read · whygo</title>",
            "The address gives “as_of” twice (“2026-11-21” and “2026-11-22”): give it once, e.g. ?as_of=2026-11-21.",
            "Open the page without them",
        ] {
            assert!(
                res.body.contains(text),
                "{path}: no {text:?} in\n{}",
                res.body
            );
        }
        let base = route.split('?').next().unwrap_or(route);
        assert!(
            res.body.contains(&format!("<a href=\"{base}\">")),
            "{path}: a link to the page without its query"
        );
    }
    for page in [
        "/kartel",
        "/kartel/sync",
        "/kartel/alignment",
        "/kartel/org",
        "/kartel/cascade",
        "/kartel/engagements",
        "/kartel/dependencies",
        "/kartel/checkin",
        "/kartel/report.json",
        "/kartel/departments/generative",
        "/kartel/people/trent",
        "/kartel/whygos/company-1",
    ] {
        assert!(refused.contains(&page), "{page} reads as_of: {refused:?}");
    }
    // Other parameters too, and a page that reads none still answers.
    let res = zac.get("/kartel?quarter=1&quarter=2").await;
    res.expect_status(400);
    assert!(res.body.contains("The address gives “quarter” twice"));
    let res = zac.get("/login?next=/kartel&next=/kartel/sync").await;
    assert_ne!(res.status.as_u16(), 500);
    assert!(!content_type(&res).starts_with("text/plain"));
    zac.get("/kartel/admin?zzz=1&zzz=2")
        .await
        .expect_status(200);
}

#[tokio::test]
async fn an_unreadable_date_reshows_the_page_with_a_message_where_a_duplicate_is_refused() {
    let db = demo_db().await;
    let mut kevin = signed_in(&db, "kevin").await;
    let res = kevin.get("/kartel?as_of=banana").await;
    res.expect_status(200);
    assert!(
        res.body
            .contains("“banana” is not a date: use YYYY-MM-DD. Showing today instead.")
    );
    assert!(
        res.body.contains("value=\"banana\""),
        "what was typed is kept"
    );
}

#[tokio::test]
async fn a_form_sent_with_a_field_twice_is_refused_with_a_page_not_plain_text() {
    let db = demo_db().await;
    let mut zac = signed_in(&db, "zac").await;
    zac.get("/kartel/admin/departments/new")
        .await
        .expect_status(200);
    let res = zac
        .post(
            "/kartel/admin/departments/new",
            &[("key", "a"), ("key", "b"), ("name", "Twice")],
        )
        .await;
    res.expect_status(400);
    assert!(content_type(&res).starts_with("text/html"));
    assert!(
        res.body
            .contains("This form sent “key” twice, so it was not saved."),
        "{}",
        res.body
    );
}

#[tokio::test]
async fn the_report_json_answers_every_error_as_json_with_its_status() {
    let db = demo_db().await;
    let mut kevin = signed_in(&db, "kevin").await;
    // A query it cannot read: 400, naming the parameter.
    for (query, field, part) in [
        (
            "as_of=2026-11-21&as_of=2026-11-22",
            "as_of",
            "“as_of” twice",
        ),
        (
            "as_of=banana",
            "as_of",
            "“banana” is not a date: use YYYY-MM-DD.",
        ),
        ("quarter=Q7", "quarter", "“Q7” is not a quarter"),
        ("page=two", "page", "pages are numbered from 1"),
    ] {
        let res = kevin.get(&format!("/kartel/report.json?{query}")).await;
        let (error, f) = json_error(&res, 400);
        assert_eq!(f.as_deref(), Some(field), "{query}");
        assert!(error.contains(part), "{query}: {error}");
        assert!(!error.contains("Showing today"), "{query}: {error}");
    }
    // A page after the last: 404.
    let res = kevin.get("/kartel/report.json?page=99").await;
    let (error, field) = json_error(&res, 404);
    assert!(error.starts_with("There is no page 99"));
    assert_eq!(field.as_deref(), Some("page"));
    // An organization that is not there, or not the reader's: 404.
    crate::common::load_acme(&db).await;
    for path in ["/nope/report.json", "/acme/report.json"] {
        let (error, _) = json_error(&kevin.get(path).await, 404);
        assert!(error.contains("There is nothing here"), "{path}: {error}");
    }
    // A NUL byte, stopped at the door: 400.
    json_error(&kevin.get("/kartel/report.json?as_of=%00").await, 400);
    // Not signed in: 401, not a redirect to the sign-in page.
    let mut anonymous = Client::new(app(&db));
    let res = anonymous.get("/kartel/report.json").await;
    let (error, _) = json_error(&res, 401);
    assert!(error.starts_with("Sign in first"), "{error}");
    assert!(res.location.is_none());
    // A POST without the form's token: 403; a method it does not take: 405.
    let res = kevin.post_raw("/kartel/report.json", &[("a", "b")]).await;
    json_error(&res, 403);
    kevin.get("/kartel").await.expect_status(200);
    let res = kevin.post("/kartel/report.json", &[("a", "b")]).await;
    let (error, _) = json_error(&res, 405);
    assert!(error.contains("does not take that method"), "{error}");
    // And the good answer is still the report.
    let res = kevin.get("/kartel/report.json?as_of=2026-11-21").await;
    res.expect_status(200);
    let v: Value = serde_json::from_str(&res.body).expect("JSON");
    assert_eq!(v["tenant"], "kartel");
}

#[tokio::test]
async fn the_check_in_preview_answers_every_error_as_json() {
    let db = demo_db().await;
    let preview =
        "/kartel/checkin/preview?outcome=prod-margin&quarter=4&as_of=2026-11-21&value=45%25";
    let mut anonymous = Client::new(app(&db));
    let (error, _) = json_error(&anonymous.get(preview).await, 401);
    assert!(error.starts_with("Sign in first"));
    let mut wayan = signed_in(&db, "wayan").await;
    let res = wayan.get(&format!("{preview}&value=46%25")).await;
    let (error, field) = json_error(&res, 400);
    assert_eq!(field.as_deref(), Some("value"));
    assert!(error.contains("“value” twice"), "{error}");
    // Another's outcome: 403; none such: 404 (the endpoint's own answers).
    let res = wayan
        .get("/kartel/checkin/preview?outcome=prod-nps&quarter=4&value=45")
        .await;
    json_error(&res, 403);
    let res = wayan
        .get("/kartel/checkin/preview?outcome=nope&quarter=4&value=45")
        .await;
    json_error(&res, 404);
    // A good one still previews.
    let res = wayan.get(preview).await;
    res.expect_status(200);
    let v: Value = serde_json::from_str(&res.body).expect("JSON");
    assert_eq!(v["ok"], true);
}

#[tokio::test]
async fn a_client_that_asks_for_json_gets_json_errors_anywhere() {
    let db = demo_db().await;
    let mut trent = signed_in(&db, "trent").await;
    trent
        .headers
        .push(("accept".to_owned(), "application/json".to_owned()));
    let (error, _) = json_error(&trent.get("/kartel/admin/people").await, 403);
    assert!(error.contains("does not allow that"), "{error}");
    json_error(&trent.get("/kartel/whygos/no-such-whygo").await, 404);
    // A browser (HTML first) gets the page.
    let mut kevin = signed_in(&db, "kevin").await;
    kevin.headers.push((
        "accept".to_owned(),
        "text/html,application/xhtml+xml,application/json;q=0.9".to_owned(),
    ));
    let res = kevin.get("/kartel/whygos/no-such-whygo").await;
    res.expect_status(404);
    assert!(content_type(&res).starts_with("text/html"));
}

#[tokio::test]
async fn an_address_whose_key_cannot_be_read_answers_the_sites_404_page() {
    let db = demo_db().await;
    let mut zac = signed_in(&db, "zac").await;
    // `%FF` decodes to a byte that is not UTF-8: no key can be it.
    for path in [
        "/kartel/people/%FF",
        "/kartel/whygos/%FF",
        "/kartel/whygos/%FF/edit",
        "/kartel/departments/%FF",
        "/kartel/engagements/%FF",
        "/%FF",
        "/%FF/sync",
    ] {
        let res = zac.get(path).await;
        assert_eq!(res.status.as_u16(), 404, "{path}: {}", res.body);
        assert!(
            content_type(&res).starts_with("text/html"),
            "{path}: {}: {}",
            content_type(&res),
            res.body
        );
        assert!(
            res.body.contains("<main") && !res.body.contains("Invalid URL"),
            "{path}: not the site's page: {}",
            res.body
        );
    }
    // A JSON client gets JSON.
    zac.headers
        .push(("accept".to_owned(), "application/json".to_owned()));
    let (error, _) = json_error(&zac.get("/kartel/whygos/%FF").await, 404);
    assert!(!error.contains("Invalid URL"), "{error}");
}
