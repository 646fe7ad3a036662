//! The company dashboard: the same pacing as the report, shown with text.

use axum::http::StatusCode;
use chrono::NaiveDate;

use crate::common::{app, get, kartel_db};

#[tokio::test]
async fn the_dashboard_shows_every_status_with_text_for_the_demo() {
    let db = kartel_db().await;
    let page = get(&app(&db), "/kartel?as_of=2026-11-21").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.content_type.starts_with("text/html"));
    let body = &page.body;
    for text in [
        "[+]",
        "[~]",
        "[-]",
        "needs check-in",
        "Company pace",
        "Escalations",
        "Needs attention",
        "Missing check-ins",
    ] {
        assert!(body.contains(text), "the dashboard shows {text:?}");
    }
    for title in [
        "Product-Market Fit",
        "Operational Excellence",
        "Talent Engine",
        "Enterprise Platform",
    ] {
        assert!(
            body.contains(title),
            "company WhyGO {title:?} is on the dashboard"
        );
    }
    assert!(body.contains("Saturday 21 November 2026"));
}

#[tokio::test]
async fn the_dashboard_lists_exactly_the_reports_escalations() {
    let db = kartel_db().await;
    let as_of = NaiveDate::from_ymd_opt(2026, 11, 21).expect("date");
    let tenant = whygo::db::plan::tenant_by_slug(&db.pool, "kartel")
        .await
        .expect("query")
        .expect("kartel");
    let plan = whygo::db::plan::load(&db.pool, &tenant, as_of)
        .await
        .expect("plan");
    let report = whygo::domain::report::build(&plan, as_of);
    assert!(!report.escalations.is_empty(), "the demo has escalations");

    let page = get(&app(&db), "/kartel?as_of=2026-11-21").await;
    let escalations = page
        .body
        .split("id=\"escalations\"")
        .nth(1)
        .and_then(|s| s.split("id=\"attention\"").next())
        .expect("an escalations section");
    let rows = escalations.matches("<th scope=\"row\">").count();
    assert_eq!(rows, report.escalations.len());
    for a in &report.escalations {
        let escaped = a
            .outcome_name
            .replace('&', "&#38;")
            .replace('<', "&#60;")
            .replace('>', "&#62;");
        assert!(
            escalations.contains(&a.outcome_name) || escalations.contains(&escaped),
            "escalation {:?} is listed",
            a.outcome_name
        );
    }
}

#[tokio::test]
async fn the_report_json_endpoint_matches_the_report() {
    let db = kartel_db().await;
    let page = get(&app(&db), "/kartel/report.json?as_of=2026-11-21").await;
    assert_eq!(page.status, StatusCode::OK);
    let json: serde_json::Value = serde_json::from_str(&page.body).expect("JSON");
    assert_eq!(json["quarter"], 4);
    assert!(["+", "~", "-"].contains(&json["company"]["status"].as_str().unwrap_or("")));
}

#[tokio::test]
async fn an_unreadable_date_keeps_what_was_typed_and_says_why() {
    let db = kartel_db().await;
    let page = get(&app(&db), "/kartel?as_of=2026-13-45").await;
    assert_eq!(
        page.status,
        StatusCode::OK,
        "bad input is not an error page"
    );
    assert!(
        page.body.contains("value=\"2026-13-45\""),
        "the typed value is kept"
    );
    assert!(page.body.contains("is not a date: use YYYY-MM-DD"));
    assert!(page.body.contains("aria-invalid=\"true\""));
}

#[tokio::test]
async fn an_unknown_organization_is_not_found() {
    let db = kartel_db().await;
    let page = get(&app(&db), "/nobody").await;
    assert_eq!(page.status, StatusCode::NOT_FOUND);
    assert!(page.body.contains("Not found"));
    let page = get(&app(&db), "/nobody/report.json").await;
    assert_eq!(page.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn health_checks_the_database() {
    let db = kartel_db().await;
    let page = get(&app(&db), "/healthz").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("\"database\":\"ok\""));
    db.pool.close().await;
    let page = get(&app(&db), "/healthz").await;
    assert_eq!(page.status, StatusCode::SERVICE_UNAVAILABLE);
}

#[tokio::test]
async fn the_home_page_lists_organizations_and_css_is_served() {
    let db = kartel_db().await;
    let page = get(&app(&db), "/").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("href=\"/kartel\""));
    assert!(page.body.contains("Kartel AI"));
    let css = get(&app(&db), "/static/app.css").await;
    assert_eq!(css.status, StatusCode::OK);
    assert!(css.body.contains(".chip"));
}
