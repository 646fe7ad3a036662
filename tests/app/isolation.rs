//! Tenant isolation over every route: another organization's slug, keys,
//! account ids and tokens answer 404, and no foreign data is in the body.

use crate::common::{Client, TestDb, app, demo_db, signed_in};

/// The demo plus Acme, whose admin Ann belongs to Acme only and Zac (Kartel's
/// admin) to both. Returns foreign ids: Kevin's account id, a Kartel invite
/// token and a Kartel reset token.
async fn two_tenants() -> (TestDb, String, String, String) {
    let db = demo_db().await;
    crate::common::load_acme(&db).await;
    let hash = whygo::auth::password::hash("ann's long password").expect("hash");
    let ann = whygo::db::admin_cli::NewUser {
        email: "ann@acme.example",
        name: "Ann Acme",
        password_hash: &hash,
        installation_admin: false,
        tenant: Some("acme"),
        role: whygo::domain::permissions::Role::Admin,
        person: Some("ann"),
    };
    whygo::db::admin_cli::create_user(&db.app_pool, &ann)
        .await
        .expect("query")
        .expect("ann");
    sqlx::query(
        "insert into memberships (tenant_id, account_id, role)
         select t.id, a.id, 'admin' from tenants t, accounts a where t.slug = 'acme' and a.email = 'zac@kartel.example'",
    )
    .execute(&db.pool)
    .await
    .expect("zac joins acme");
    let (kevin, invite, reset) = crate::common::one_time_links(&db, "kevin@kartel.example").await;
    (db, kevin.to_string(), invite, reset)
}

/// (method, route pattern, concrete path) for every tenant route, with the
/// foreign keys filled in for `slug`.
fn routes(
    slug: &str,
    account: &str,
    invite: &str,
    reset: &str,
) -> Vec<(&'static str, &'static str, String)> {
    vec![
        ("GET", "/{tenant}", format!("/{slug}")),
        ("GET", "/{tenant}/sync", format!("/{slug}/sync")),
        ("GET", "/{tenant}/sync.md", format!("/{slug}/sync.md")),
        (
            "GET",
            "/{tenant}/outcomes.csv",
            format!("/{slug}/outcomes.csv"),
        ),
        (
            "GET",
            "/{tenant}/escalations",
            format!("/{slug}/escalations?department=production&page=1"),
        ),
        (
            "GET",
            "/{tenant}/report.json",
            format!("/{slug}/report.json"),
        ),
        ("GET", "/{tenant}/alignment", format!("/{slug}/alignment")),
        ("GET", "/{tenant}/org", format!("/{slug}/org")),
        (
            "GET",
            "/{tenant}/departments/{key}",
            format!("/{slug}/departments/production"),
        ),
        (
            "GET",
            "/{tenant}/departments/{key}/outcomes.csv",
            format!("/{slug}/departments/production/outcomes.csv"),
        ),
        (
            "GET",
            "/{tenant}/people/{key}",
            format!("/{slug}/people/wayan"),
        ),
        (
            "GET",
            "/{tenant}/whygos/{key}",
            format!("/{slug}/whygos/production-1"),
        ),
        (
            "GET",
            "/{tenant}/whygos/{key}/outcomes.csv",
            format!("/{slug}/whygos/production-1/outcomes.csv"),
        ),
        (
            "GET",
            "/{tenant}/whygos/{key}/history.csv",
            format!("/{slug}/whygos/production-1/history.csv"),
        ),
        (
            "POST",
            "/{tenant}/whygos/{key}/comments",
            format!("/{slug}/whygos/production-1/comments"),
        ),
        ("GET", "/{tenant}/checkin", format!("/{slug}/checkin")),
        ("POST", "/{tenant}/checkin", format!("/{slug}/checkin")),
        (
            "POST",
            "/{tenant}/checkin/snooze",
            format!("/{slug}/checkin/snooze"),
        ),
        (
            "GET",
            "/{tenant}/checkin/preview",
            format!("/{slug}/checkin/preview?outcome=prod-active-clients&quarter=4&value=1"),
        ),
        ("GET", "/{tenant}/whygos/new", format!("/{slug}/whygos/new")),
        (
            "POST",
            "/{tenant}/whygos/new",
            format!("/{slug}/whygos/new"),
        ),
        (
            "GET",
            "/{tenant}/whygos/{key}/edit",
            format!("/{slug}/whygos/production-1/edit"),
        ),
        (
            "POST",
            "/{tenant}/whygos/{key}/edit",
            format!("/{slug}/whygos/production-1/edit"),
        ),
        (
            "POST",
            "/{tenant}/whygos/{key}/submit",
            format!("/{slug}/whygos/trent-1/submit"),
        ),
        (
            "POST",
            "/{tenant}/whygos/{key}/approve",
            format!("/{slug}/whygos/trent-1/approve"),
        ),
        (
            "POST",
            "/{tenant}/whygos/{key}/return",
            format!("/{slug}/whygos/trent-1/return"),
        ),
        (
            "POST",
            "/{tenant}/whygos/{key}/signoff",
            format!("/{slug}/whygos/production-1/signoff"),
        ),
        ("GET", "/{tenant}/approvals", format!("/{slug}/approvals")),
        (
            "GET",
            "/{tenant}/engagements",
            format!("/{slug}/engagements"),
        ),
        (
            "GET",
            "/{tenant}/engagements/new",
            format!("/{slug}/engagements/new"),
        ),
        (
            "POST",
            "/{tenant}/engagements/new",
            format!("/{slug}/engagements/new"),
        ),
        (
            "GET",
            "/{tenant}/engagements/handoffs",
            format!("/{slug}/engagements/handoffs?figure=compliance"),
        ),
        (
            "GET",
            "/{tenant}/engagements/{key}",
            format!("/{slug}/engagements/kartel-engagement"),
        ),
        (
            "GET",
            "/{tenant}/engagements/{key}/edit",
            format!("/{slug}/engagements/kartel-engagement/edit"),
        ),
        (
            "POST",
            "/{tenant}/engagements/{key}/edit",
            format!("/{slug}/engagements/kartel-engagement/edit"),
        ),
        (
            "POST",
            "/{tenant}/engagements/{key}/handoffs/{handoff}/{move}",
            format!("/{slug}/engagements/kartel-engagement/handoffs/sales-to-production/submit"),
        ),
        // Commitments: a nil id stands for a dependency or deliverable id
        // (another tenant's real ids: tests/app/commitments.rs).
        (
            "GET",
            "/{tenant}/dependencies",
            format!("/{slug}/dependencies"),
        ),
        (
            "GET",
            "/{tenant}/dependencies/new",
            format!("/{slug}/dependencies/new"),
        ),
        (
            "POST",
            "/{tenant}/dependencies/new",
            format!("/{slug}/dependencies/new"),
        ),
        (
            "GET",
            "/{tenant}/dependencies/{id}/edit",
            format!("/{slug}/dependencies/{}/edit", uuid::Uuid::nil()),
        ),
        (
            "POST",
            "/{tenant}/dependencies/{id}/edit",
            format!("/{slug}/dependencies/{}/edit", uuid::Uuid::nil()),
        ),
        (
            "GET",
            "/{tenant}/whygos/{key}/deliverables/new",
            format!("/{slug}/whygos/generative-2/deliverables/new"),
        ),
        (
            "POST",
            "/{tenant}/whygos/{key}/deliverables/new",
            format!("/{slug}/whygos/generative-2/deliverables/new"),
        ),
        (
            "GET",
            "/{tenant}/whygos/{key}/deliverables/{id}/edit",
            format!(
                "/{slug}/whygos/generative-2/deliverables/{}/edit",
                uuid::Uuid::nil()
            ),
        ),
        (
            "POST",
            "/{tenant}/whygos/{key}/deliverables/{id}/edit",
            format!(
                "/{slug}/whygos/generative-2/deliverables/{}/edit",
                uuid::Uuid::nil()
            ),
        ),
        (
            "POST",
            "/{tenant}/whygos/{key}/deliverables/{id}/done",
            format!(
                "/{slug}/whygos/generative-2/deliverables/{}/done",
                uuid::Uuid::nil()
            ),
        ),
        (
            "POST",
            "/{tenant}/whygos/{key}/deliverables/{id}/undone",
            format!(
                "/{slug}/whygos/generative-2/deliverables/{}/undone",
                uuid::Uuid::nil()
            ),
        ),
        ("GET", "/{tenant}/cascade", format!("/{slug}/cascade")),
        ("GET", "/{tenant}/admin", format!("/{slug}/admin")),
        (
            "GET",
            "/{tenant}/admin/people",
            format!("/{slug}/admin/people"),
        ),
        (
            "GET",
            "/{tenant}/admin/people/new",
            format!("/{slug}/admin/people/new"),
        ),
        (
            "POST",
            "/{tenant}/admin/people/new",
            format!("/{slug}/admin/people/new"),
        ),
        (
            "GET",
            "/{tenant}/admin/people/{key}",
            format!("/{slug}/admin/people/wayan"),
        ),
        (
            "POST",
            "/{tenant}/admin/people/{key}",
            format!("/{slug}/admin/people/wayan"),
        ),
        (
            "POST",
            "/{tenant}/admin/people/{key}/deactivate",
            format!("/{slug}/admin/people/wayan/deactivate"),
        ),
        (
            "POST",
            "/{tenant}/admin/people/{key}/reactivate",
            format!("/{slug}/admin/people/wayan/reactivate"),
        ),
        (
            "POST",
            "/{tenant}/admin/people/{key}/invite",
            format!("/{slug}/admin/people/wayan/invite"),
        ),
        (
            "GET",
            "/{tenant}/admin/departments",
            format!("/{slug}/admin/departments"),
        ),
        (
            "GET",
            "/{tenant}/admin/departments/new",
            format!("/{slug}/admin/departments/new"),
        ),
        (
            "POST",
            "/{tenant}/admin/departments/new",
            format!("/{slug}/admin/departments/new"),
        ),
        (
            "GET",
            "/{tenant}/admin/departments/{key}",
            format!("/{slug}/admin/departments/production"),
        ),
        (
            "POST",
            "/{tenant}/admin/departments/{key}",
            format!("/{slug}/admin/departments/production"),
        ),
        (
            "GET",
            "/{tenant}/admin/handoffs",
            format!("/{slug}/admin/handoffs"),
        ),
        (
            "GET",
            "/{tenant}/admin/handoffs/new",
            format!("/{slug}/admin/handoffs/new"),
        ),
        (
            "POST",
            "/{tenant}/admin/handoffs/new",
            format!("/{slug}/admin/handoffs/new"),
        ),
        (
            "GET",
            "/{tenant}/admin/handoffs/{key}",
            format!("/{slug}/admin/handoffs/sales-to-production"),
        ),
        (
            "POST",
            "/{tenant}/admin/handoffs/{key}",
            format!("/{slug}/admin/handoffs/sales-to-production"),
        ),
        (
            "POST",
            "/{tenant}/admin/handoffs/{key}/delete",
            format!("/{slug}/admin/handoffs/sales-to-production/delete"),
        ),
        (
            "GET",
            "/{tenant}/admin/members",
            format!("/{slug}/admin/members"),
        ),
        (
            "POST",
            "/{tenant}/admin/members/{account}/role",
            format!("/{slug}/admin/members/{account}/role"),
        ),
        (
            "POST",
            "/{tenant}/admin/members/{account}/remove",
            format!("/{slug}/admin/members/{account}/remove"),
        ),
        (
            "POST",
            "/{tenant}/admin/members/{account}/reset",
            format!("/{slug}/admin/members/{account}/reset"),
        ),
        (
            "GET",
            "/{tenant}/admin/settings",
            format!("/{slug}/admin/settings"),
        ),
        (
            "POST",
            "/{tenant}/admin/settings",
            format!("/{slug}/admin/settings"),
        ),
        (
            "GET",
            "/{tenant}/admin/notifications",
            format!("/{slug}/admin/notifications"),
        ),
        (
            "POST",
            "/{tenant}/admin/notifications",
            format!("/{slug}/admin/notifications"),
        ),
        (
            "GET",
            "/{tenant}/admin/audit",
            format!("/{slug}/admin/audit"),
        ),
        ("GET", "/{tenant}/admin/sso", format!("/{slug}/admin/sso")),
        ("POST", "/{tenant}/admin/sso", format!("/{slug}/admin/sso")),
        // Single sign-on's public pages answer 404 while the organization
        // offers none (tests/app/sso.rs checks them with it on).
        ("GET", "/{tenant}/sso", format!("/{slug}/sso")),
        ("POST", "/{tenant}/sso/start", format!("/{slug}/sso/start")),
        (
            "GET",
            "/{tenant}/sso/callback",
            format!("/{slug}/sso/callback?code=c&state=s"),
        ),
        ("GET", "/{tenant}/api-tokens", format!("/{slug}/api-tokens")),
        (
            "POST",
            "/{tenant}/api-tokens",
            format!("/{slug}/api-tokens"),
        ),
        // A Kartel id in the token's place: no token of the path's tenant.
        (
            "POST",
            "/{tenant}/api-tokens/{id}/revoke",
            format!("/{slug}/api-tokens/{account}/revoke"),
        ),
        (
            "GET",
            "/{tenant}/admin/api-tokens",
            format!("/{slug}/admin/api-tokens"),
        ),
        (
            "POST",
            "/{tenant}/admin/api-tokens",
            format!("/{slug}/admin/api-tokens"),
        ),
        (
            "POST",
            "/{tenant}/admin/api-tokens/{id}/revoke",
            format!("/{slug}/admin/api-tokens/{account}/revoke"),
        ),
        // Webhooks; a Kartel id in the endpoint's place.
        (
            "GET",
            "/{tenant}/admin/webhooks",
            format!("/{slug}/admin/webhooks"),
        ),
        (
            "GET",
            "/{tenant}/admin/webhooks/new",
            format!("/{slug}/admin/webhooks/new"),
        ),
        (
            "POST",
            "/{tenant}/admin/webhooks/new",
            format!("/{slug}/admin/webhooks/new"),
        ),
        (
            "GET",
            "/{tenant}/admin/webhooks/{id}",
            format!("/{slug}/admin/webhooks/{account}"),
        ),
        (
            "GET",
            "/{tenant}/admin/webhooks/{id}/edit",
            format!("/{slug}/admin/webhooks/{account}/edit"),
        ),
        (
            "POST",
            "/{tenant}/admin/webhooks/{id}/edit",
            format!("/{slug}/admin/webhooks/{account}/edit"),
        ),
        (
            "POST",
            "/{tenant}/admin/webhooks/{id}/enable",
            format!("/{slug}/admin/webhooks/{account}/enable"),
        ),
        (
            "POST",
            "/{tenant}/admin/webhooks/{id}/disable",
            format!("/{slug}/admin/webhooks/{account}/disable"),
        ),
        (
            "POST",
            "/{tenant}/admin/webhooks/{id}/rotate",
            format!("/{slug}/admin/webhooks/{account}/rotate"),
        ),
        (
            "POST",
            "/{tenant}/admin/webhooks/{id}/delete",
            format!("/{slug}/admin/webhooks/{account}/delete"),
        ),
        (
            "POST",
            "/{tenant}/admin/webhooks/{id}/test",
            format!("/{slug}/admin/webhooks/{account}/test"),
        ),
        (
            "POST",
            "/{tenant}/admin/webhooks/{id}/redeliver",
            format!("/{slug}/admin/webhooks/{account}/redeliver"),
        ),
        (
            "GET",
            "/{tenant}/admin/audit.csv",
            format!("/{slug}/admin/audit.csv"),
        ),
        (
            "GET",
            "/{tenant}/admin/export",
            format!("/{slug}/admin/export"),
        ),
        (
            "GET",
            "/{tenant}/invite/{token}",
            format!("/{slug}/invite/{invite}"),
        ),
        (
            "POST",
            "/{tenant}/invite/{token}",
            format!("/{slug}/invite/{invite}"),
        ),
        (
            "GET",
            "/{tenant}/reset/{token}",
            format!("/{slug}/reset/{reset}"),
        ),
        (
            "POST",
            "/{tenant}/reset/{token}",
            format!("/{slug}/reset/{reset}"),
        ),
    ]
}

/// Fields that would change something if a handler accepted the request.
const FORM: &[(&str, &str)] = &[
    ("key", "intruder"),
    ("name", "Intruder"),
    ("title", "Intruder"),
    ("role", "admin"),
    ("email", "intruder@example.com"),
    ("on_pace", "1"),
    ("slightly_off", "0.5"),
    ("carry_days", "14"),
    ("fiscal_year_start", "2026-01-01"),
    ("max_individual_whygos", "3"),
    ("new", "intruder password"),
    ("confirm", "intruder password"),
    ("password", "intruder password"),
];

const FOREIGN: &[&str] = &[
    "Kartel",
    "Wayan",
    "Palmieri",
    "Production",
    "kevin@kartel.example",
    "Noah",
];

async fn fingerprint(db: &TestDb) -> Vec<i64> {
    let mut v = Vec::new();
    for t in [
        "tenants",
        "people",
        "departments",
        "memberships",
        "accounts",
        "audit_log",
        "account_links",
    ] {
        v.push(
            sqlx::query_scalar(&format!("select count(*) from {t}"))
                .fetch_one(&db.pool)
                .await
                .expect("count"),
        );
    }
    let updated: i64 = sqlx::query_scalar(
        "select count(*) from people where name = 'Intruder' or title = 'Intruder' or key = 'intruder'",
    )
    .fetch_one(&db.pool)
    .await
    .expect("count");
    v.push(updated);
    v
}

async fn request(c: &mut Client, method: &str, path: &str) -> crate::common::Response {
    // Load a page of one's own first so the CSRF token is current: the
    // request must reach the handler, not stop at the CSRF guard.
    c.get("/acme").await.expect_status(200);
    if method == "GET" {
        c.get(path).await
    } else {
        c.post(path, FORM).await
    }
}

#[tokio::test]
async fn another_tenants_slug_keys_ids_and_tokens_answer_404_with_no_foreign_data() {
    let (db, kevin, invite, reset) = two_tenants().await;
    let before = fingerprint(&db).await;
    let mut ann = Client::new(app(&db));
    ann.login("ann@acme.example", "ann's long password").await;
    let mut zac = signed_in(&db, "zac").await;

    // Ann belongs to Acme only: every Kartel route is not found for her
    // (but Kartel's one-time links, which open for whoever holds them).
    for (method, pattern, path) in routes("kartel", &kevin, &invite, &reset) {
        if pattern.contains("{token}") {
            continue;
        }
        let res = request(&mut ann, method, &path).await;
        assert_eq!(
            res.status.as_u16(),
            404,
            "ann {method} {path}: {}",
            res.body
        );
        for f in FOREIGN {
            assert!(!res.body.contains(f), "ann {method} {path} shows {f}");
        }
    }
    // Kartel's keys, account ids and tokens inside Acme's paths: not found,
    // for Acme's admin and for an admin of both organizations alike.
    let slugged = routes("acme", &kevin, &invite, &reset);
    for (who, c) in [("ann", &mut ann), ("zac", &mut zac)] {
        for (method, pattern, path) in &slugged {
            if !pattern.contains("{key}")
                && !pattern.contains("{account}")
                && !pattern.contains("{id}")
                && !pattern.contains("{token}")
            {
                continue;
            }
            let res = request(c, method, path).await;
            assert_eq!(
                res.status.as_u16(),
                404,
                "{who} {method} {path}: {}",
                res.body
            );
            for f in FOREIGN {
                assert!(!res.body.contains(f), "{who} {method} {path} shows {f}");
            }
        }
    }
    assert_eq!(fingerprint(&db).await, before, "nothing was written");
    // The requests were real: Ann's own organization answers.
    ann.get("/acme/whygos/acme-1").await.expect_status(200);
    ann.get("/acme/people/bob").await.expect_status(200);
}

#[test]
fn the_isolation_table_covers_every_tenant_route() {
    let table: Vec<String> = routes("t", "a", "i", "r")
        .into_iter()
        .map(|(m, p, _)| format!("{m} {p}"))
        .collect();
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src/http");
    let mut sources = Vec::new();
    for entry in walk(&dir) {
        if let Ok(text) = std::fs::read_to_string(&entry) {
            sources.push(text);
        }
    }
    let mut missing = Vec::new();
    for text in &sources {
        let flat: String = text.split_whitespace().collect::<Vec<_>>().join(" ");
        for part in flat.split(".route(").skip(1) {
            let Some(pattern) = part.split('"').nth(1) else {
                continue;
            };
            if !pattern.starts_with("/{tenant}") {
                continue;
            }
            let handlers = part.split(')').take(3).collect::<Vec<_>>().join(")");
            for (verb, method) in [("get(", "GET"), ("post(", "POST")] {
                if handlers.contains(verb) && !table.contains(&format!("{method} {pattern}")) {
                    missing.push(format!("{method} {pattern}"));
                }
            }
        }
    }
    assert!(
        missing.is_empty(),
        "routes missing from the isolation table: {missing:?}"
    );
}

fn walk(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    if let Ok(entries) = std::fs::read_dir(dir) {
        for e in entries.flatten() {
            let p = e.path();
            if p.is_dir() {
                out.extend(walk(&p));
            } else if p.extension().is_some_and(|x| x == "rs") {
                out.push(p);
            }
        }
    }
    out
}
