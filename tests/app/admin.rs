//! The admin area: every role against every admin action, and the browser flows.

use uuid::Uuid;

use crate::common::{Client, Response, TestDb, app, demo_db, signed_in};

/// Everything the admin area can change, as one value: equal before and
/// after means nothing was written (audit entries included).
async fn fingerprint(db: &TestDb) -> String {
    sqlx::query_scalar(
        "select md5(concat_ws('|',
            (select string_agg(x::text, ',' order by x.id) from tenants x),
            (select string_agg(x::text, ',' order by x.tenant_id, x.id) from people x),
            (select string_agg(x::text, ',' order by x.tenant_id, x.id) from departments x),
            (select string_agg(x::text, ',' order by x.tenant_id, x.account_id) from memberships x),
            (select string_agg(x::text, ',' order by x.tenant_id, x.id) from account_links x),
            (select string_agg(x::text, ',' order by x.tenant_id, x.id) from cycles x),
            (select string_agg(x::text, ',' order by x.id) from accounts x),
            (select count(*)::text from audit_log)))",
    )
    .fetch_one(&db.pool)
    .await
    .expect("fingerprint")
}

async fn account_id(db: &TestDb, email: &str) -> Uuid {
    sqlx::query_scalar("select id from accounts where email = $1")
        .bind(email)
        .fetch_one(&db.pool)
        .await
        .unwrap_or_else(|e| panic!("no account {email}: {e}"))
}

async fn holds(db: &TestDb, sql: &str) -> bool {
    sqlx::query_scalar(sql)
        .fetch_one(&db.pool)
        .await
        .unwrap_or_else(|e| panic!("{sql}: {e}"))
}

async fn count(db: &TestDb, sql: &str) -> i64 {
    sqlx::query_scalar(sql)
        .fetch_one(&db.pool)
        .await
        .unwrap_or_else(|e| panic!("{sql}: {e}"))
}

/// The first one-time link `/{tenant}/{kind}/{token}` on a page.
fn link_in(body: &str, prefix: &str) -> Option<String> {
    let at = body.find(prefix)?;
    let rest = &body[at..];
    let end = rest
        .find(|c: char| !(c.is_ascii_alphanumeric() || c == '/' || c == '-'))
        .unwrap_or(rest.len());
    Some(rest[..end].to_owned()).filter(|l| l.len() > prefix.len())
}

/// Whether a page shows `message` as the field error of `field`, and marks
/// the field invalid.
fn field_error(body: &str, field: &str, message: &str) -> bool {
    let marker = format!("id=\"{field}-error\">");
    let shown = body
        .find(&marker)
        .map(|at| &body[at + marker.len()..])
        .and_then(|rest| rest.split("</p>").next())
        .is_some_and(|text| text.contains(message));
    shown && body.contains("aria-invalid=\"true\"")
}

const NOT_ALLOWED: &str = "Your role in this organization does not allow that";

/// One admin request: what is sent, and what shows it worked for an admin.
struct Case {
    method: &'static str,
    path: String,
    form: Vec<(&'static str, String)>,
    /// For a GET: text the page shows. For a POST: text of the answer (a
    /// one-time link), or empty after a redirect.
    shows: &'static str,
    /// For a POST: SQL that is true once the change is in the database.
    changed: &'static str,
}

fn get(path: &str, shows: &'static str) -> Case {
    Case {
        method: "GET",
        path: path.to_owned(),
        form: Vec::new(),
        shows,
        changed: "",
    }
}

fn post(
    path: &str,
    form: &[(&'static str, &str)],
    shows: &'static str,
    changed: &'static str,
) -> Case {
    Case {
        method: "POST",
        path: path.to_owned(),
        form: form.iter().map(|(k, v)| (*k, (*v).to_owned())).collect(),
        shows,
        changed,
    }
}

/// A Kartel webhook endpoint with one attempt of one event in its log, so
/// the webhook routes that name an endpoint or an event have one.
const HOOK: &str = "0190a000-0000-7000-8000-00000000e001";
const HOOK_EVENT: &str = "0190a000-0000-7000-8000-00000000e002";

async fn webhook_with_a_delivery(db: &TestDb) {
    for sql in [
        "insert into webhook_endpoints (tenant_id, id, url, events, secret)
         select id, $1::uuid, 'https://hooks.example.com/kartel', array['actual.added'],
                'whsec_C2FVsBQIhrscChlQIMV+b5sSYspob7oD' from tenants where slug = 'kartel'",
        "insert into webhook_events (tenant_id, id, type, payload)
         select id, $2::uuid, 'actual.added', '{}' from tenants where slug = 'kartel'",
        "insert into webhook_deliveries (tenant_id, id, endpoint_id, event_id, attempt, at, duration_ms, status, delivered)
         select id, gen_random_uuid(), $1::uuid, $2::uuid, 1, now(), 12, 204, true from tenants where slug = 'kartel'",
    ] {
        sqlx::query(sql)
            .bind(HOOK)
            .bind(HOOK_EVENT)
            .execute(&db.pool)
            .await
            .unwrap_or_else(|e| panic!("{sql}: {e}"));
    }
}

/// Every admin route, in an order an admin can run them one after another.
async fn every_admin_action(db: &TestDb) -> Vec<Case> {
    let trent = account_id(db, "trent@kartel.example").await;
    let wayan = account_id(db, "wayan@kartel.example").await;
    webhook_with_a_delivery(db).await;
    let hook = format!("/kartel/admin/webhooks/{HOOK}");
    vec![
        get("/kartel/admin", "Admin of Kartel AI"),
        get("/kartel/admin/people", "Wayan Palmieri"),
        get("/kartel/admin/people/new", "Add a person"),
        post(
            "/kartel/admin/people/new",
            &[("key", "ann-lee"), ("name", "Ann Lee"), ("title", "Producer"), ("department", "production"), ("manager", "wayan")],
            "",
            "select exists (select 1 from people p join people m on m.id = p.reports_to_id
                            where p.key = 'ann-lee' and p.name = 'Ann Lee' and m.key = 'wayan')",
        ),
        get("/kartel/admin/people/ann-lee", "Ann Lee"),
        post(
            "/kartel/admin/people/ann-lee",
            &[("name", "Ann Lee"), ("title", "Lead Producer"), ("department", "production"), ("manager", "wayan")],
            "",
            "select exists (select 1 from people where key = 'ann-lee' and title = 'Lead Producer')",
        ),
        post(
            "/kartel/admin/people/ann-lee/invite",
            &[("role", "member"), ("email", "ann@kartel.example")],
            "/kartel/invite/",
            "select exists (select 1 from account_links l join people p on p.id = l.person_id
                            where l.kind = 'invite' and p.key = 'ann-lee' and l.email = 'ann@kartel.example')",
        ),
        post(
            "/kartel/admin/people/ann-lee/deactivate",
            &[],
            "",
            "select exists (select 1 from people where key = 'ann-lee' and not active)",
        ),
        post(
            "/kartel/admin/people/ann-lee/reactivate",
            &[],
            "",
            "select exists (select 1 from people where key = 'ann-lee' and active)",
        ),
        get("/kartel/admin/departments", "Production"),
        get("/kartel/admin/departments/new", "Add a department"),
        post(
            "/kartel/admin/departments/new",
            &[("key", "finance"), ("name", "Finance"), ("head", "kevin")],
            "",
            "select exists (select 1 from departments d join people h on h.id = d.head_id
                            where d.key = 'finance' and h.key = 'kevin')",
        ),
        get("/kartel/admin/departments/finance", "Finance"),
        post(
            "/kartel/admin/departments/finance",
            &[("name", "Finance and Legal"), ("head", "luke")],
            "",
            "select exists (select 1 from departments d join people h on h.id = d.head_id
                            where d.key = 'finance' and d.name = 'Finance and Legal' and h.key = 'luke')",
        ),
        get("/kartel/admin/handoffs", "Sales → Production"),
        get("/kartel/admin/handoffs/new", "Add a handoff type"),
        post(
            "/kartel/admin/handoffs/new",
            &[("key", "mentor-review"), ("cycle", "mentoring"), ("number", "1"), ("name", "Mentor review"), ("from", "community"), ("to", "generative"), ("trigger", "Artist certified"), ("opener", "manual"), ("sla", "answer within 72 hours of receipt"), ("sla_hours", ""), ("checklist", "Portfolio\nCertification")],
            "",
            "select exists (select 1 from handoff_types where key = 'mentor-review' and cycle_key = 'mentoring'
                            and checklist = array['Portfolio', 'Certification'] and opener = 'manual')",
        ),
        get("/kartel/admin/handoffs/mentor-review", "Mentor review"),
        post(
            "/kartel/admin/handoffs/mentor-review",
            &[("cycle", "mentoring"), ("number", "1"), ("name", "Mentor review"), ("from", "community"), ("to", "generative"), ("trigger", "Artist certified"), ("opener", "manual"), ("sla", "answer within 48 hours of receipt"), ("sla_hours", ""), ("checklist", "Portfolio")],
            "",
            "select exists (select 1 from handoff_types where key = 'mentor-review' and sla like '%48 hours%')",
        ),
        post(
            "/kartel/admin/handoffs/mentor-review/delete",
            &[],
            "",
            "select not exists (select 1 from handoff_types where key = 'mentor-review')",
        ),
        get("/kartel/admin/members", "trent@kartel.example"),
        post(
            &format!("/kartel/admin/members/{trent}/role"),
            &[("role", "leader")],
            "",
            "select exists (select 1 from memberships m join accounts a on a.id = m.account_id
                            where a.email = 'trent@kartel.example' and m.role = 'leader')",
        ),
        post(
            &format!("/kartel/admin/members/{trent}/reset"),
            &[],
            "/kartel/reset/",
            "select exists (select 1 from account_links l join accounts a on a.id = l.account_id
                            where l.kind = 'reset' and a.email = 'trent@kartel.example')",
        ),
        post(
            &format!("/kartel/admin/members/{wayan}/remove"),
            &[],
            "",
            "select not exists (select 1 from memberships m join accounts a on a.id = m.account_id
                                where a.email = 'wayan@kartel.example')",
        ),
        get("/kartel/admin/settings", "Carry last quarter"),
        post(
            "/kartel/admin/settings",
            &[
                ("name", "Kartel AI"),
                ("fiscal_year_start", "2026-01-01"),
                ("on_pace", "0.95"),
                ("slightly_off", "0.75"),
                ("carry_days", "10"),
                ("individuals_visible_to_all", "on"),
                ("max_individual_whygos", "5"),
            ],
            "",
            "select exists (select 1 from tenants where slug = 'kartel' and on_pace = 0.95 and slightly_off = 0.75
                            and carry_days = 10 and individuals_visible_to_all and max_individual_whygos = 5)",
        ),
        get("/kartel/admin/webhooks", "https://hooks.example.com/kartel"),
        get("/kartel/admin/webhooks/new", "Add an endpoint"),
        post(
            "/kartel/admin/webhooks/new",
            &[("url", "https://hooks.example.com/new"), ("events", "handoff.late")],
            "id=\"webhook-secret\"",
            "select exists (select 1 from webhook_endpoints where url = 'https://hooks.example.com/new')",
        ),
        get(&hook, "Delivery log"),
        get(&format!("{hook}/edit"), "Edit the endpoint"),
        post(
            &format!("{hook}/edit"),
            &[("url", "https://hooks.example.com/kartel"), ("description", "CRM sync"), ("events", "actual.added")],
            "",
            "select exists (select 1 from webhook_endpoints where description = 'CRM sync')",
        ),
        post(
            &format!("{hook}/disable"),
            &[],
            "",
            "select exists (select 1 from webhook_endpoints where url = 'https://hooks.example.com/kartel' and not enabled)",
        ),
        post(
            &format!("{hook}/enable"),
            &[],
            "",
            "select exists (select 1 from webhook_endpoints where url = 'https://hooks.example.com/kartel' and enabled)",
        ),
        post(
            &format!("{hook}/rotate"),
            &[],
            "id=\"webhook-secret\"",
            "select exists (select 1 from webhook_endpoints where secret_rotated_at is not null)",
        ),
        post(
            &format!("{hook}/test"),
            &[],
            "",
            "select exists (select 1 from webhook_events where type = 'webhook.test')",
        ),
        post(
            &format!("{hook}/redeliver"),
            &[("event", HOOK_EVENT)],
            "",
            "select exists (select 1 from jobs where kind = 'webhook.deliver'
                            and payload->>'event' = '0190a000-0000-7000-8000-00000000e002')",
        ),
        post(
            &format!("{hook}/delete"),
            &[],
            "",
            "select not exists (select 1 from webhook_endpoints where url = 'https://hooks.example.com/kartel')",
        ),
        get("/kartel/admin/notifications", "Check-in day"),
        post(
            "/kartel/admin/notifications",
            &[
                ("reminders_enabled", "on"),
                ("checkin_weekday", "4"),
                ("reminder_lead_days", "2"),
                ("escalate_manager_days", "1"),
                ("escalate_head_days", "2"),
                ("digest_weekday", "1"),
                ("digest_recipients", "leaders_and_heads"),
                ("send_hour", "9"),
            ],
            "",
            "select exists (select 1 from notification_settings s join tenants t on t.id = s.tenant_id
                            where t.slug = 'kartel' and s.checkin_weekday = 4 and not s.digest_enabled
                              and s.digest_recipients = 'leaders_and_heads' and s.send_hour = 9)",
        ),
        get("/kartel/admin/audit", "Audit log"),
        get(
            "/kartel/admin/audit.csv",
            "Entry,When,Who,Action,Entity,Key,Changes",
        ),
        get("/kartel/admin/export", "slug = \"kartel\""),
        get("/admin/tenants/new", "Create an organization"),
        post(
            "/admin/tenants/new",
            &[("name", "Acme"), ("slug", "acme"), ("fiscal_year_start", "2026-04-01")],
            "",
            "select exists (select 1 from tenants t
                            join memberships m on m.tenant_id = t.id and m.role = 'admin'
                            join accounts a on a.id = m.account_id and a.email = 'zac@kartel.example'
                            join cycles c on c.tenant_id = t.id and c.starts_on = '2026-04-01'
                            where t.slug = 'acme' and t.name = 'Acme')",
        ),
    ]
}

async fn send(c: &mut Client, case: &Case) -> Response {
    let fields: Vec<(&str, &str)> = case.form.iter().map(|(k, v)| (*k, v.as_str())).collect();
    match case.method {
        "GET" => c.get(&case.path).await,
        _ => c.post(&case.path, &fields).await,
    }
}

/// Whether a route pattern such as `/{tenant}/admin/people/{key}` matches a path.
fn matches(pattern: &str, path: &str) -> bool {
    let p: Vec<&str> = pattern.split('/').collect();
    let a: Vec<&str> = path.split('/').collect();
    p.len() == a.len()
        && p.iter()
            .zip(&a)
            .all(|(p, a)| (p.starts_with('{') && p.ends_with('}')) || p == a)
}

#[tokio::test]
async fn the_table_of_admin_actions_covers_every_admin_route() {
    let db = demo_db().await;
    let cases = every_admin_action(&db).await;
    let router = include_str!("../../src/http/admin/mod.rs");
    // The quoted strings of the router's source (every other piece).
    let routes: Vec<&str> = router
        .split('"')
        .skip(1)
        .step_by(2)
        .filter(|s| s.starts_with('/') && s.contains("admin"))
        .collect();
    assert!(routes.len() >= 15, "found the routes: {routes:?}");
    for route in routes {
        assert!(
            cases.iter().any(|c| matches(route, &c.path)),
            "no case in every_admin_action for {route}"
        );
    }
}

#[tokio::test]
async fn only_an_admin_may_open_any_admin_page_or_post_any_admin_action() {
    let db = demo_db().await;
    let cases = every_admin_action(&db).await;

    for who in ["kevin", "wayan", "trent"] {
        let mut c = signed_in(&db, who).await;
        // A page of the organization, for the session's CSRF token.
        c.get("/kartel").await.expect_status(200);
        let before = fingerprint(&db).await;
        for case in &cases {
            let res = send(&mut c, case).await;
            assert_eq!(
                res.status.as_u16(),
                403,
                "{who}: {} {} answered {}:\n{}",
                case.method,
                case.path,
                res.status,
                res.body
            );
            assert!(
                res.body.contains(NOT_ALLOWED),
                "{who}: {} {}: refused by the permission table, not by something else:\n{}",
                case.method,
                case.path,
                res.body
            );
        }
        assert_eq!(fingerprint(&db).await, before, "{who} changed nothing");
    }

    let mut zac = signed_in(&db, "zac").await;
    zac.get("/kartel").await.expect_status(200);
    for case in &cases {
        let before = fingerprint(&db).await;
        let res = send(&mut zac, case).await;
        let status = res.status.as_u16();
        if case.method == "GET" {
            assert_eq!(status, 200, "GET {}:\n{}", case.path, res.body);
        } else {
            assert!(
                // 201: a webhook endpoint made, its secret shown once.
                status == 303 || status == 200 || status == 201,
                "POST {} answered {status}:\n{}",
                case.path,
                res.body
            );
            assert!(
                holds(&db, case.changed).await,
                "POST {}: the change is not in the database",
                case.path
            );
            assert_ne!(fingerprint(&db).await, before, "POST {} wrote", case.path);
        }
        assert!(
            res.body.contains(case.shows),
            "{} {}: expected {:?} in:\n{}",
            case.method,
            case.path,
            case.shows,
            res.body
        );
        if let Some(to) = &res.location {
            let next = zac.get(to).await;
            assert!(
                next.status.is_success(),
                "after {} {}: {to} answered {}",
                case.method,
                case.path,
                next.status
            );
        }
    }
    // Every change is in the audit log with who made it.
    let by_zac = count(
        &db,
        "select count(*) from audit_log where actor = 'zac@kartel.example'
         and actor_account_id = (select id from accounts where email = 'zac@kartel.example')",
    )
    .await;
    assert!(by_zac >= 12, "audit entries by zac: {by_zac}");
}

#[tokio::test]
async fn an_admin_adds_a_person_invites_them_and_they_sign_in_to_their_organization_only() {
    let db = demo_db().await;
    let mut zac = signed_in(&db, "zac").await;
    // A second organization exists, which the new person must not see.
    zac.get("/admin/tenants/new").await.expect_status(200);
    zac.post(
        "/admin/tenants/new",
        &[
            ("name", "Acme"),
            ("slug", "acme"),
            ("fiscal_year_start", "2026-01-01"),
        ],
    )
    .await
    .expect_status(303);

    let form = zac.get("/kartel/admin/people/new").await;
    form.expect_status(200);
    assert!(form.body.contains("<label for=\"manager\">"));
    let res = zac
        .post(
            "/kartel/admin/people/new",
            &[
                ("key", "ann-lee"),
                ("name", "Ann Lee"),
                ("title", "Producer"),
                ("department", "production"),
                ("manager", "wayan"),
            ],
        )
        .await;
    res.expect_status(303);
    assert_eq!(
        res.location.as_deref(),
        Some("/kartel/admin/people/ann-lee?done=created")
    );
    let page = zac.get("/kartel/admin/people/ann-lee?done=created").await;
    page.expect_status(200);
    assert!(page.body.contains("Person added."), "{}", page.body);

    let members = zac.get("/kartel/admin/members").await;
    assert!(members.body.contains("id=\"invite-ann-lee\""));
    let res = zac
        .post(
            "/kartel/admin/people/ann-lee/invite",
            &[("role", "member"), ("email", "ann@kartel.example")],
        )
        .await;
    res.expect_status(200);
    assert!(res.body.contains("Invitation for Ann Lee as Member"));
    assert_eq!(res.headers["cache-control"], "no-store");
    let link = link_in(&res.body, "/kartel/invite/").expect("the invitation link is shown");
    assert!(res.body.contains("Invitation pending until"));
    let token = link.trim_start_matches("/kartel/invite/");
    let stored: i64 = sqlx::query_scalar(
        "select count(*) from account_links where encode(token_hash, 'hex') = $1",
    )
    .bind(token)
    .fetch_one(&db.pool)
    .await
    .expect("count");
    assert_eq!(stored, 0, "only a hash of the token is stored");

    let mut ann = Client::new(app(&db));
    let join = ann.get(&link).await;
    join.expect_status(200);
    assert!(
        join.body
            .contains("You are invited as <strong>Ann Lee</strong>")
    );
    assert!(join.body.contains("value=\"ann@kartel.example\""));
    let res = ann
        .post(
            &link,
            &[
                ("email", "ann@kartel.example"),
                ("name", "Ann Lee"),
                ("password", "production-2026"),
                ("confirm", "production-2026"),
            ],
        )
        .await;
    res.expect_status(303);
    assert_eq!(res.location.as_deref(), Some("/kartel"));

    let dashboard = ann.get("/kartel").await;
    dashboard.expect_status(200);
    assert!(
        dashboard.body.contains("Ann Lee · Member"),
        "{}",
        dashboard.body
    );
    assert!(dashboard.body.contains("Kartel AI"));
    let picker = ann.get("/").await;
    assert_eq!(
        picker.location.as_deref(),
        Some("/kartel"),
        "one organization: straight there"
    );
    let other = ann.get("/acme").await;
    other.expect_status(404);
    assert!(!other.body.contains("Acme"));
    ann.get("/kartel/admin").await.expect_status(403);

    // Signing in again works with the chosen password.
    let mut again = Client::new(app(&db));
    again.login("ann@kartel.example", "production-2026").await;
    assert!(again.get("/kartel").await.body.contains("Ann Lee · Member"));
}

#[tokio::test]
async fn a_duplicate_person_key_is_refused_next_to_the_key_and_nothing_is_written() {
    let db = demo_db().await;
    let mut zac = signed_in(&db, "zac").await;
    zac.get("/kartel/admin/people/new").await.expect_status(200);
    let before = fingerprint(&db).await;
    let res = zac
        .post(
            "/kartel/admin/people/new",
            &[
                ("key", "wayan"),
                ("name", "Someone Else"),
                ("title", "Intern"),
                ("department", "sales"),
                ("manager", "ben"),
            ],
        )
        .await;
    res.expect_status(422);
    assert!(
        field_error(&res.body, "key", "The key “wayan” is taken"),
        "{}",
        res.body
    );
    assert!(
        res.body.contains("value=\"Someone Else\""),
        "the name is kept"
    );
    assert!(res.body.contains("value=\"Intern\""), "the title is kept");
    assert!(
        res.body.contains("value=\"sales\" selected"),
        "the department is kept"
    );
    assert!(
        res.body.contains("value=\"ben\" selected"),
        "the manager is kept"
    );
    assert_eq!(fingerprint(&db).await, before);

    // A malformed key too, and a department of no one.
    let res = zac
        .post(
            "/kartel/admin/people/new",
            &[("key", "Ann Lee"), ("name", ""), ("department", "nowhere")],
        )
        .await;
    res.expect_status(422);
    assert!(field_error(&res.body, "key", "Use lowercase letters"));
    assert!(field_error(&res.body, "name", "Enter a name."));
    assert!(field_error(
        &res.body,
        "department",
        "Choose a department from the list."
    ));
    assert_eq!(fingerprint(&db).await, before);
}

#[tokio::test]
async fn a_manager_that_would_make_a_reporting_loop_or_is_the_person_is_refused() {
    let db = demo_db().await;
    let mut zac = signed_in(&db, "zac").await;
    let form = zac.get("/kartel/admin/people/luke").await;
    form.expect_status(200);
    assert!(
        !form.body.contains("<option value=\"luke\""),
        "not their own manager"
    );
    let before = fingerprint(&db).await;

    // trent -> fill -> luke: luke reporting to trent closes a loop.
    let res = zac
        .post(
            "/kartel/admin/people/luke",
            &[
                ("name", "Luke Peterson"),
                ("title", "President"),
                ("department", "executive"),
                ("manager", "trent"),
            ],
        )
        .await;
    res.expect_status(422);
    assert!(
        field_error(
            &res.body,
            "manager",
            "Trent Hunter reports to Luke Peterson"
        ),
        "{}",
        res.body
    );
    assert!(
        res.body.contains("value=\"trent\" selected"),
        "the choice is kept"
    );
    assert!(
        res.body.contains("value=\"President\""),
        "the title typed is kept"
    );

    let res = zac
        .post(
            "/kartel/admin/people/luke",
            &[
                ("name", "Luke Peterson"),
                ("title", ""),
                ("department", "executive"),
                ("manager", "luke"),
            ],
        )
        .await;
    res.expect_status(422);
    assert!(field_error(
        &res.body,
        "manager",
        "A person cannot be their own manager."
    ));
    assert_eq!(fingerprint(&db).await, before, "nothing written");

    // A manager who is fine is saved.
    let res = zac
        .post(
            "/kartel/admin/people/luke",
            &[
                ("name", "Luke Peterson"),
                ("title", "President & Co-Founder"),
                ("department", "executive"),
                ("manager", "kevin"),
            ],
        )
        .await;
    res.expect_status(303);
    assert!(
        holds(
            &db,
            "select exists (select 1 from people p join people m on m.id = p.reports_to_id
                   where p.key = 'luke' and m.key = 'kevin')"
        )
        .await
    );
}

#[tokio::test]
async fn bad_pacing_thresholds_are_refused_next_to_the_field_and_nothing_is_written() {
    let db = demo_db().await;
    let mut zac = signed_in(&db, "zac").await;
    let form = zac.get("/kartel/admin/settings").await;
    form.expect_status(200);
    assert!(form.body.contains("value=\"Kartel AI\""));
    let before = fingerprint(&db).await;
    let res = zac
        .post(
            "/kartel/admin/settings",
            &[
                ("name", "Kartel AI"),
                ("fiscal_year_start", "2026-01-01"),
                ("on_pace", "0.8"),
                ("slightly_off", "0.9"),
                ("carry_days", "14"),
                ("max_individual_whygos", "3"),
            ],
        )
        .await;
    res.expect_status(422);
    assert!(
        field_error(
            &res.body,
            "slightly_off",
            "at most the on-pace threshold (0.8)"
        ),
        "{}",
        res.body
    );
    assert!(res.body.contains("value=\"0.9\""), "what was typed is kept");

    let res = zac
        .post(
            "/kartel/admin/settings",
            &[
                ("name", ""),
                ("fiscal_year_start", "next year"),
                ("on_pace", "1.5"),
                ("slightly_off", "lots"),
                ("carry_days", "-3"),
                ("max_individual_whygos", "21"),
            ],
        )
        .await;
    res.expect_status(422);
    assert!(field_error(&res.body, "carry_days", "from 0 to 92"));
    assert!(res.body.contains("value=\"-3\""));
    assert!(field_error(&res.body, "on_pace", "at most 1"));
    assert!(field_error(&res.body, "slightly_off", "Enter a number"));
    assert!(field_error(&res.body, "fiscal_year_start", "YYYY-MM-DD"));
    assert!(field_error(&res.body, "max_individual_whygos", "1 to 20"));
    assert!(field_error(&res.body, "name", "Enter the organization"));
    assert!(res.body.contains("value=\"next year\""));
    assert_eq!(fingerprint(&db).await, before, "nothing written");

    // Good values are saved and confirmed after the redirect.
    let res = zac
        .post(
            "/kartel/admin/settings",
            &[
                ("name", "Kartel AI"),
                ("fiscal_year_start", "2026-01-01"),
                ("on_pace", "0.9"),
                ("slightly_off", "0.9"),
                ("carry_days", "0"),
                ("max_individual_whygos", "3"),
            ],
        )
        .await;
    res.expect_status(303);
    let to = res.location.clone().expect("a redirect");
    assert!(zac.get(&to).await.body.contains("Settings saved."));
}

#[tokio::test]
async fn a_taken_or_reserved_slug_is_refused_next_to_the_slug() {
    let db = demo_db().await;
    let mut zac = signed_in(&db, "zac").await;
    zac.get("/admin/tenants/new").await.expect_status(200);
    let before = fingerprint(&db).await;
    let res = zac
        .post(
            "/admin/tenants/new",
            &[
                ("name", "Kartel Two"),
                ("slug", "kartel"),
                ("fiscal_year_start", "2026-01-01"),
            ],
        )
        .await;
    res.expect_status(422);
    assert!(
        field_error(
            &res.body,
            "slug",
            "“kartel” is taken by another organization"
        ),
        "{}",
        res.body
    );
    assert!(
        res.body.contains("value=\"Kartel Two\""),
        "the name is kept"
    );
    assert!(res.body.contains("value=\"kartel\""), "the slug is kept");
    let res = zac
        .post(
            "/admin/tenants/new",
            &[
                ("name", "Admin"),
                ("slug", "admin"),
                ("fiscal_year_start", "2026-01-01"),
            ],
        )
        .await;
    res.expect_status(422);
    assert!(field_error(
        &res.body,
        "slug",
        "own addresses: choose another"
    ));
    assert_eq!(fingerprint(&db).await, before, "nothing written");
}

#[tokio::test]
async fn the_audit_log_shows_who_changed_what_from_old_to_new() {
    let db = demo_db().await;
    let mut zac = signed_in(&db, "zac").await;
    zac.get("/kartel/admin/people/trent")
        .await
        .expect_status(200);
    let res = zac
        .post(
            "/kartel/admin/people/trent",
            &[
                ("name", "Trent Hunter"),
                ("title", "Senior Workflow Engineer"),
                ("department", "generative"),
                ("manager", "fill"),
            ],
        )
        .await;
    res.expect_status(303);
    let saved = zac.get(res.location.as_deref().unwrap_or_default()).await;
    assert!(saved.body.contains("Saved."));

    let log = zac.get("/kartel/admin/audit").await;
    log.expect_status(200);
    let row = log
        .body
        .split("<tr id=\"entry-")
        .nth(1)
        .expect("the newest entry first");
    assert!(row.contains("<td>zac@kartel.example</td>"), "{row}");
    assert!(row.contains("<td>update</td>"), "{row}");
    assert!(row.contains("<td>person</td>"), "{row}");
    assert!(row.contains("<td>trent</td>"), "{row}");
    assert!(
        row.contains("<li>title: Workflow Engineer → Senior Workflow Engineer</li>"),
        "{row}"
    );
    assert!(!row.contains("name:"), "only what changed: {row}");

    // Paging: older entries come from the workbook load.
    let older = zac.get("/kartel/admin/audit?before=2").await;
    older.expect_status(200);
    assert!(older.body.contains("<tr id=\"entry-1\""));
    assert!(!older.body.contains("entry-2\""));
    zac.get("/kartel/admin/audit?before=x")
        .await
        .expect_status(400);
}

#[tokio::test]
async fn another_organizations_people_and_members_are_not_found_from_this_one() {
    let db = demo_db().await;
    let mut zac = signed_in(&db, "zac").await;
    zac.get("/admin/tenants/new").await.expect_status(200);
    let res = zac
        .post(
            "/admin/tenants/new",
            &[
                ("name", "Acme Rockets"),
                ("slug", "acme"),
                ("fiscal_year_start", "2026-01-01"),
            ],
        )
        .await;
    res.expect_status(303);
    assert_eq!(res.location.as_deref(), Some("/acme/admin?done=created"));
    let home = zac.get("/acme/admin?done=created").await;
    home.expect_status(200);
    assert!(home.body.contains("The organization is created"));

    // Acme gets a department and a person, and the person an account of acme only.
    zac.post(
        "/acme/admin/departments/new",
        &[("key", "rockets"), ("name", "Rocketry"), ("head", "")],
    )
    .await
    .expect_status(303);
    zac.post(
        "/acme/admin/people/new",
        &[
            ("key", "wile"),
            ("name", "Wile Coyote"),
            ("title", "Genius"),
            ("department", "rockets"),
            ("manager", ""),
        ],
    )
    .await
    .expect_status(303);
    let res = zac
        .post(
            "/acme/admin/people/wile/invite",
            &[("role", "admin"), ("email", "")],
        )
        .await;
    res.expect_status(200);
    let link = link_in(&res.body, "/acme/invite/").expect("a link");
    let mut wile = Client::new(app(&db));
    wile.get(&link).await.expect_status(200);
    wile.post(
        &link,
        &[
            ("email", "wile@acme.example"),
            ("name", "Wile Coyote"),
            ("password", "super-genius"),
            ("confirm", "super-genius"),
        ],
    )
    .await
    .expect_status(303);
    let wile_account = account_id(&db, "wile@acme.example").await;

    // Zac, admin of both: acme's keys and accounts are not found under kartel.
    zac.get("/kartel").await.expect_status(200);
    let before = fingerprint(&db).await;
    for path in [
        "/kartel/admin/people/wile",
        "/kartel/admin/departments/rockets",
    ] {
        let res = zac.get(path).await;
        res.expect_status(404);
        assert!(
            !res.body.contains("Wile") && !res.body.contains("Rocketry"),
            "{path}: {}",
            res.body
        );
    }
    let member_paths = [
        format!("/kartel/admin/members/{wile_account}/role"),
        format!("/kartel/admin/members/{wile_account}/remove"),
        format!("/kartel/admin/members/{wile_account}/reset"),
    ];
    for path in &member_paths {
        let res = zac.post(path, &[("role", "member")]).await;
        res.expect_status(404);
        assert!(!res.body.contains("wile@acme.example"), "{path}");
    }
    for path in [
        "/kartel/admin/people/wile",
        "/kartel/admin/people/wile/deactivate",
        "/kartel/admin/people/wile/reactivate",
        "/kartel/admin/people/wile/invite",
        "/kartel/admin/departments/rockets",
    ] {
        let res = zac
            .post(
                path,
                &[("name", "Taken Over"), ("role", "member"), ("head", "")],
            )
            .await;
        res.expect_status(404);
        assert!(!res.body.contains("Wile"), "{path}");
    }
    // Acme's keys in kartel's forms: refused, nothing of acme shown.
    let res = zac
        .post(
            "/kartel/admin/people/new",
            &[
                ("key", "spy"),
                ("name", "Spy"),
                ("department", "rockets"),
                ("manager", "wile"),
            ],
        )
        .await;
    res.expect_status(422);
    assert!(field_error(
        &res.body,
        "department",
        "Choose a department from the list."
    ));
    assert!(field_error(
        &res.body,
        "manager",
        "Choose a manager from the list."
    ));
    assert!(!res.body.contains("Wile Coyote") && !res.body.contains("Rocketry"));
    let res = zac
        .post(
            "/kartel/admin/departments/new",
            &[("key", "spies"), ("name", "Spies"), ("head", "wile")],
        )
        .await;
    res.expect_status(422);
    assert!(field_error(
        &res.body,
        "head",
        "Choose a head from the list."
    ));
    // Kartel's people list and audit log hold nothing of acme.
    let people = zac.get("/kartel/admin/people").await;
    assert!(!people.body.contains("Wile"));
    let members = zac.get("/kartel/admin/members").await;
    assert!(!members.body.contains("wile@acme.example"));
    let log = zac.get("/kartel/admin/audit").await;
    assert!(!log.body.contains("wile") && !log.body.contains("acme"));
    assert_eq!(fingerprint(&db).await, before, "nothing written");

    // A member of one organization only: the other answers 404.
    wile.get("/acme/admin/people/wile").await.expect_status(200);
    let res = wile.get("/kartel/admin/people/trent").await;
    res.expect_status(404);
    assert!(!res.body.contains("Trent"));
    wile.get("/kartel/admin").await.expect_status(404);
    let mut trent = signed_in(&db, "trent").await;
    trent.get("/acme/admin").await.expect_status(404);
    trent
        .get("/acme/admin/people/wile")
        .await
        .expect_status(404);
}

#[tokio::test]
async fn the_last_admin_cannot_demote_or_remove_or_deactivate_themselves() {
    let db = demo_db().await;
    let zac_id = account_id(&db, "zac@kartel.example").await;
    let mut zac = signed_in(&db, "zac").await;
    zac.get("/kartel/admin/members").await.expect_status(200);
    let before = fingerprint(&db).await;

    let res = zac
        .post(
            &format!("/kartel/admin/members/{zac_id}/role"),
            &[("role", "member")],
        )
        .await;
    res.expect_status(422);
    assert!(
        field_error(
            &res.body,
            &format!("role-{zac_id}"),
            "zac@kartel.example is the last admin of Kartel AI"
        ),
        "{}",
        res.body
    );
    let res = zac
        .post(&format!("/kartel/admin/members/{zac_id}/remove"), &[])
        .await;
    res.expect_status(422);
    assert!(res.body.contains("is the last admin of Kartel AI"));
    let res = zac.post("/kartel/admin/people/zac/deactivate", &[]).await;
    res.expect_status(422);
    assert!(
        res.body.contains("is the last admin of Kartel AI"),
        "{}",
        res.body
    );
    assert_eq!(fingerprint(&db).await, before, "nothing written");
    assert!(
        holds(
            &db,
            "select exists (select 1 from memberships m join accounts a on a.id = m.account_id
                   where a.email = 'zac@kartel.example' and m.role = 'admin')"
        )
        .await
    );

    // With a second admin, zac may step down, and the admin area closes to him.
    let kevin_id = account_id(&db, "kevin@kartel.example").await;
    zac.post(
        &format!("/kartel/admin/members/{kevin_id}/role"),
        &[("role", "admin")],
    )
    .await
    .expect_status(303);
    let res = zac
        .post(
            &format!("/kartel/admin/members/{zac_id}/role"),
            &[("role", "member")],
        )
        .await;
    res.expect_status(303);
    assert_eq!(res.location.as_deref(), Some("/kartel"));
    zac.get("/kartel/admin").await.expect_status(403);
}

#[tokio::test]
async fn deactivating_a_person_keeps_them_and_ends_their_accounts_access() {
    let db = demo_db().await;
    let mut zac = signed_in(&db, "zac").await;
    let mut trent = signed_in(&db, "trent").await;
    trent.get("/kartel").await.expect_status(200);
    zac.get("/kartel/admin/people/trent")
        .await
        .expect_status(200);
    let res = zac.post("/kartel/admin/people/trent/deactivate", &[]).await;
    res.expect_status(303);
    let page = zac.get(res.location.as_deref().unwrap_or_default()).await;
    assert!(page.body.contains("Deactivated."));
    assert!(page.body.contains("Reactivate Trent Hunter"));
    trent.get("/kartel").await.expect_status(404);
    assert!(
        holds(
            &db,
            "select exists (select 1 from people where key = 'trent' and not active)"
        )
        .await,
        "the person and their history stay"
    );
    let list = zac.get("/kartel/admin/people").await;
    assert!(list.body.contains("<tr class=\"inactive\">"));
    let log = zac.get("/kartel/admin/audit").await;
    assert!(log.body.contains("<td>deactivate</td>"));
    assert!(
        log.body.contains("<td>trent@kartel.example</td>"),
        "the membership's removal is audited"
    );
}

#[tokio::test]
async fn a_reset_link_made_by_an_admin_sets_a_new_password() {
    let db = demo_db().await;
    let wayan_id = account_id(&db, "wayan@kartel.example").await;
    let mut zac = signed_in(&db, "zac").await;
    zac.get("/kartel/admin/members").await.expect_status(200);
    let res = zac
        .post(&format!("/kartel/admin/members/{wayan_id}/reset"), &[])
        .await;
    res.expect_status(200);
    assert!(
        res.body
            .contains("Password reset link for wayan@kartel.example")
    );
    assert!(res.body.contains("works once, until"));
    let link = link_in(&res.body, "/kartel/reset/").expect("a reset link");
    let again = zac.get("/kartel/admin/members").await;
    assert!(!again.body.contains(&link), "shown once");
    let log = zac.get("/kartel/admin/audit").await;
    assert!(
        !log.body.contains(link.trim_start_matches("/kartel/reset/")),
        "never in the log"
    );

    let mut c = Client::new(app(&db));
    c.get(&link).await.expect_status(200);
    c.post(
        &link,
        &[("new", "production-2027"), ("confirm", "production-2027")],
    )
    .await
    .expect_status(200);
    Client::new(app(&db))
        .login("wayan@kartel.example", "production-2027")
        .await;
}

#[tokio::test]
async fn signed_out_visitors_are_sent_to_sign_in_and_strangers_get_404() {
    let db = demo_db().await;
    let mut c = Client::new(app(&db));
    let res = c.get("/kartel/admin/people").await;
    res.expect_status(303);
    assert!(
        res.location
            .as_deref()
            .is_some_and(|l| l.starts_with("/login?next="))
    );
    let res = c.get("/admin/tenants/new").await;
    res.expect_status(303);
    let mut zac = signed_in(&db, "zac").await;
    zac.get("/nowhere/admin").await.expect_status(404);
    zac.get("/kartel/admin/people/nobody")
        .await
        .expect_status(404);
    zac.get("/kartel/admin/departments/nothing")
        .await
        .expect_status(404);
    zac.get("/kartel").await.expect_status(200);
    zac.post(
        "/kartel/admin/members/not-a-uuid/role",
        &[("role", "admin")],
    )
    .await
    .expect_status(404);
}

#[tokio::test]
async fn an_invitation_with_a_bad_email_or_role_is_refused_next_to_the_field() {
    let db = demo_db().await;
    let mut zac = signed_in(&db, "zac").await;
    zac.get("/kartel/admin/members").await.expect_status(200);
    let before = fingerprint(&db).await;
    let res = zac
        .post(
            "/kartel/admin/people/marc/invite",
            &[("role", "owner"), ("email", "marc at kartel")],
        )
        .await;
    res.expect_status(422);
    assert!(
        field_error(&res.body, "invite-email-marc", "Enter an email address"),
        "{}",
        res.body
    );
    assert!(field_error(
        &res.body,
        "invite-role-marc",
        "Choose admin, leader or member."
    ));
    assert!(
        res.body.contains("value=\"marc at kartel\""),
        "what was typed is kept"
    );
    assert!(!res.body.contains("/kartel/invite/"), "no link");
    // A person who has an account already is not invited again.
    let res = zac
        .post(
            "/kartel/admin/people/trent/invite",
            &[("role", "member"), ("email", "")],
        )
        .await;
    res.expect_status(422);
    assert!(
        res.body
            .contains("Trent Hunter already has an account (trent@kartel.example).")
    );
    assert_eq!(fingerprint(&db).await, before, "nothing written");
}

/// An account of the demo made `role` of acme too (the owner's pool: setup).
async fn join_acme(db: &TestDb, account: Uuid, role: &str) {
    sqlx::query(
        "insert into memberships (tenant_id, account_id, person_id, role)
         select id, $1, null, $2 from tenants where slug = 'acme'",
    )
    .bind(account)
    .bind(role)
    .execute(&db.pool)
    .await
    .expect("join acme");
}

/// A new account, member of acme only, as acme's person `person` (if any).
async fn acme_account(
    db: &TestDb,
    email: &str,
    role: whygo::domain::permissions::Role,
    person: Option<&str>,
    installation_admin: bool,
) -> Uuid {
    let hash = whygo::auth::password::hash(ACME_PASSWORD).expect("hash");
    whygo::db::admin_cli::create_user(
        &db.app_pool,
        &whygo::db::admin_cli::NewUser {
            email,
            name: email,
            password_hash: &hash,
            installation_admin,
            tenant: Some("acme"),
            role,
            person,
        },
    )
    .await
    .expect("query")
    .expect("created");
    account_id(db, email).await
}

const ACME_PASSWORD: &str = "acme's long password";

/// Whether a page shows `message` next to the reset button of `account`.
fn reset_refused(body: &str, account: Uuid, message: &str) -> bool {
    let marker = format!("id=\"reset-{account}-error\">");
    body.find(&marker)
        .map(|at| &body[at + marker.len()..])
        .and_then(|rest| rest.split("</p>").next())
        .is_some_and(|text| text.contains(message))
}

async fn reset_links_and_entries(db: &TestDb) -> (i64, i64) {
    (
        count(
            db,
            "select count(*) from account_links where kind = 'reset'",
        )
        .await,
        count(
            db,
            "select count(*) from audit_log where entity = 'reset link'",
        )
        .await,
    )
}

#[tokio::test]
async fn an_admin_cannot_reset_the_password_of_an_account_that_also_belongs_elsewhere() {
    use whygo::domain::permissions::Role;
    let db = demo_db().await;
    crate::common::load_acme(&db).await;
    // Kevin: admin of kartel, and a member of acme too.
    let kevin = account_id(&db, "kevin@kartel.example").await;
    sqlx::query("update memberships set role = 'admin' where account_id = $1")
        .bind(kevin)
        .execute(&db.pool)
        .await
        .expect("kevin admin of kartel");
    join_acme(&db, kevin, "member").await;
    // Ann: admin of acme alone. Root: an installation admin, member of acme alone.
    acme_account(&db, "ann@acme.example", Role::Admin, Some("ann"), false).await;
    let root = acme_account(&db, "root@acme.example", Role::Member, None, true).await;
    let mut ann = Client::new(app(&db));
    ann.login("ann@acme.example", ACME_PASSWORD).await;
    ann.get("/acme/admin/members").await.expect_status(200);
    let before = fingerprint(&db).await;

    // A reset link for kevin would let acme's admin sign in as him and run kartel.
    let res = ann
        .post(&format!("/acme/admin/members/{kevin}/reset"), &[])
        .await;
    res.expect_status(422);
    assert!(
        reset_refused(
            &res.body,
            kevin,
            "kevin@kartel.example also belongs to another organization: only an installation admin can reset its password."
        ),
        "{}",
        res.body
    );
    assert!(
        res.body.contains("Ask an installation admin"),
        "says what to do instead"
    );
    assert!(!res.body.contains("/acme/reset/"), "no link");
    // Nor an installation admin's, though root belongs to acme alone.
    let res = ann
        .post(&format!("/acme/admin/members/{root}/reset"), &[])
        .await;
    res.expect_status(422);
    assert!(
        reset_refused(
            &res.body,
            root,
            "root@acme.example is an installation admin: only an installation admin can reset its password."
        ),
        "{}",
        res.body
    );
    assert!(!res.body.contains("/acme/reset/"), "no link");
    assert_eq!(fingerprint(&db).await, before, "nothing written");
    assert_eq!(reset_links_and_entries(&db).await, (0, 0));
}

#[tokio::test]
async fn an_admin_resets_an_account_of_their_organization_alone_and_an_installation_admin_any() {
    use whygo::domain::permissions::Role;
    let db = demo_db().await;
    crate::common::load_acme(&db).await;
    let kevin = account_id(&db, "kevin@kartel.example").await;
    join_acme(&db, kevin, "member").await;
    acme_account(&db, "ann@acme.example", Role::Admin, Some("ann"), false).await;
    let bob = acme_account(&db, "bob@acme.example", Role::Member, Some("bob"), false).await;
    let mut ann = Client::new(app(&db));
    ann.login("ann@acme.example", ACME_PASSWORD).await;
    ann.get("/acme/admin/members").await.expect_status(200);

    // Bob belongs to acme alone: its admin makes his link, and it works.
    let res = ann
        .post(&format!("/acme/admin/members/{bob}/reset"), &[])
        .await;
    res.expect_status(200);
    assert!(
        res.body
            .contains("Password reset link for bob@acme.example")
    );
    let link = link_in(&res.body, "/acme/reset/").expect("a reset link");
    assert_eq!(reset_links_and_entries(&db).await, (1, 1));
    let mut c = Client::new(app(&db));
    c.get(&link).await.expect_status(200);
    c.post(
        &link,
        &[
            ("new", "bob's new password"),
            ("confirm", "bob's new password"),
        ],
    )
    .await
    .expect_status(200);
    Client::new(app(&db))
        .login("bob@acme.example", "bob's new password")
        .await;

    // Zac, an installation admin and admin of acme too, resets kevin's.
    let zac = account_id(&db, "zac@kartel.example").await;
    join_acme(&db, zac, "admin").await;
    let mut zac = signed_in(&db, "zac").await;
    zac.get("/acme/admin/members").await.expect_status(200);
    let res = zac
        .post(&format!("/acme/admin/members/{kevin}/reset"), &[])
        .await;
    res.expect_status(200);
    assert!(
        res.body
            .contains("Password reset link for kevin@kartel.example")
    );
    assert!(link_in(&res.body, "/acme/reset/").is_some());
    assert_eq!(reset_links_and_entries(&db).await, (2, 2));
}

/// The reset rule is checked again when the link is used: a link an acme
/// admin made for Bob stops working once Bob also belongs to kartel, while
/// an installation admin's link for a multi-organization account works.
#[tokio::test]
async fn a_reset_link_stops_working_once_its_account_reaches_another_organization() {
    use whygo::domain::permissions::Role;
    let db = demo_db().await;
    crate::common::load_acme(&db).await;
    acme_account(&db, "ann@acme.example", Role::Admin, Some("ann"), false).await;
    let bob = acme_account(&db, "bob@acme.example", Role::Member, Some("bob"), false).await;
    let mut ann = Client::new(app(&db));
    ann.login("ann@acme.example", ACME_PASSWORD).await;
    ann.get("/acme/admin/members").await.expect_status(200);
    let res = ann
        .post(&format!("/acme/admin/members/{bob}/reset"), &[])
        .await;
    res.expect_status(200);
    let link = link_in(&res.body, "/acme/reset/").expect("a reset link");
    // Meanwhile Bob joins kartel.
    let kartel: Uuid = sqlx::query_scalar("select id from tenants where slug = 'kartel'")
        .fetch_one(&db.pool)
        .await
        .expect("kartel");
    sqlx::query("insert into memberships (tenant_id, account_id, role) values ($1, $2, 'admin')")
        .bind(kartel)
        .bind(bob)
        .execute(&db.pool)
        .await
        .expect("bob joins kartel");
    let hash_before: Option<String> =
        sqlx::query_scalar("select password_hash from accounts where id = $1")
            .bind(bob)
            .fetch_one(&db.pool)
            .await
            .expect("hash");
    let mut c = Client::new(app(&db));
    c.get(&link).await.expect_status(200);
    let res = c
        .post(
            &link,
            &[
                ("new", "bob's new password"),
                ("confirm", "bob's new password"),
            ],
        )
        .await;
    res.expect_status(400);
    assert!(
        res.body
            .contains("only an installation admin can reset its password"),
        "{}",
        res.body
    );
    let hash_after: Option<String> =
        sqlx::query_scalar("select password_hash from accounts where id = $1")
            .bind(bob)
            .fetch_one(&db.pool)
            .await
            .expect("hash");
    assert_eq!(hash_before, hash_after, "the password is unchanged");
}
