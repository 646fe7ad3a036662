//! Issue 10, kept closed: hostile input over HTTP against the real router and
//! mutated workbooks against the loader. Deterministic (fixed lists, a fixed
//! seed), no network. Figures of the last run are in `docs/security.md`.

use std::fmt::Write as _;

use crate::common::{
    Client, TestDb, app, content_fingerprint, demo_db, route_matches, signed_in, source_routes,
};

// ----------------------------------------------------------------------------
// Hostile values
// ----------------------------------------------------------------------------

/// A payload that would run script if a page wrote it out unescaped; every
/// one carries a marker of its own.
fn xss(n: usize) -> Vec<String> {
    vec![
        format!("<script>alert(\"xss{n}a\")</script>"),
        format!("\"><script>alert(\"xss{n}b\")</script>"),
        format!("'><img src=x onerror=alert('xss{n}c')>"),
        format!("</textarea><script>alert(\"xss{n}d\")</script>"),
        format!("<svg onload=alert(\"xss{n}e\")>"),
        format!("javascript:alert(\"xss{n}f\")"),
    ]
}

/// What must never be in a body: the payloads' markup, unescaped.
const REFLECTED: &[&str] = &[
    "<script>alert(",
    "<img src=x onerror=",
    "<svg onload=",
    "href=\"javascript:",
    "src=\"javascript:",
    "action=\"javascript:",
];

/// Every hostile value, as it goes into a URL or a form body: bytes that
/// cannot be in a URL are percent-encoded, `%` is kept as written (so the
/// invalid escapes below arrive as written).
fn hostile() -> Vec<String> {
    let mut v: Vec<String> = [
        // NUL and other control characters, raw and escaped.
        "%00",
        "a%00b",
        "\u{1}\u{2}\u{7}\u{8}\u{1b}[31m\u{7f}",
        "\r\n\t",
        "%0d%0aSet-Cookie:%20planted=1",
        "%0a%0dLocation:%20https://evil.example",
        // Invalid UTF-8 and broken escapes.
        "%ff%fe",
        "%c3%28",
        "%e2%82",
        "%ed%a0%80",
        "%f4%90%80%80",
        "%c0%af",
        "%2",
        "%zz",
        "%%",
        "100%",
        // SQL-ish.
        "' OR '1'='1",
        "'; drop table people; --",
        "\\' or 1=1 --",
        "1; select pg_sleep(5)",
        "$1",
        "%25' or ''='",
        "\"",
        "'",
        "\\",
        // Huge, negative and odd numbers.
        "99999999999999999999999999999",
        "-9223372036854775809",
        "9223372036854775807",
        "18446744073709551616",
        "4294967296",
        "1e308",
        "1e999",
        "-1e999",
        "NaN",
        "inf",
        "-0",
        "0x7fffffff",
        "-1",
        "0",
        "5",
        // Dates at and past the edges of what chrono and whygo read.
        "-262143-01-01",
        "262142-12-31",
        "%2B262142-12-31",
        "+262142-12-31",
        "0000-01-01",
        "-0001-12-31",
        "0999-12-31",
        "9999-12-31",
        "99999-01-01",
        "2026-02-30",
        "2026-13-01",
        "2026-11-21T00:00:00Z",
        // Unicode: right-to-left override, zero-width, BOM, combining marks,
        // full-width brackets, the last code point.
        "\u{202e}fdp.exe\u{202c}",
        "a\u{200b}b\u{200d}c\u{feff}",
        "e\u{301}\u{301}\u{301}\u{301}",
        "\u{fffd}",
        "\u{ff1c}script\u{ff1e}alert(1)\u{ff1c}/script\u{ff1e}",
        "\u{10ffff}",
        "\u{1d573}\u{1d58a}",
        // Path traversal.
        "../../../../etc/passwd",
        "..%2f..%2f..%2fCargo.toml",
        "%2e%2e%2f%2e%2e%2fCargo.toml",
        "..\\..\\windows\\win.ini",
        "....//....//etc/passwd",
        "..",
        // Template and markup oddities, empty-ish values.
        "{{ 7*7 }}",
        "${7*7}",
        "<!--",
        "",
        " ",
        "null",
        "[]",
    ]
    .iter()
    .map(|s| (*s).to_owned())
    .collect();
    // Very long strings.
    v.push("A".repeat(10_000));
    v.push("\u{e9}".repeat(4_000));
    v.push("9".repeat(5_000));
    v.push("\u{1f680}".repeat(2_000));
    for (n, p) in xss(0).into_iter().enumerate() {
        v.push(p.replace("xss0", &format!("xss{n}")));
    }
    v.iter().map(|s| encode(s)).collect()
}

/// Percent-encodes what a URL cannot carry, keeping `%` and `/` as written.
fn encode(s: &str) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        let keep = b.is_ascii_alphanumeric() || b"-._~%/!$'()*,;:@".contains(&b);
        if keep {
            out.push(char::from(b));
        } else {
            let _ = write!(out, "%{b:02X}");
        }
    }
    out
}

// ----------------------------------------------------------------------------
// Routes
// ----------------------------------------------------------------------------

/// Every GET page, with the demo's keys (the same list as the hostile-date
/// test uses; checked against the routers' source below).
fn get_routes() -> Vec<&'static str> {
    let mut v = crate::security::GET_ROUTES.to_vec();
    v.extend([
        "/kartel/engagements/no-such-engagement/edit",
        "/kartel/engagements/new",
        "/kartel/engagements/handoffs",
        "/kartel/invite/no-such-token",
        "/kartel/reset/no-such-token",
        // No single sign-on in the demo: both answer 404.
        "/kartel/sso",
        "/kartel/sso/callback?code=c&state=s",
        "/kartel/engagements/no-such-engagement",
        "/kartel/dependencies/00000000-0000-0000-0000-000000000000/edit",
        "/kartel/whygos/generative-2/deliverables/00000000-0000-0000-0000-000000000000/edit",
        "/healthz",
        "/metrics",
        "/kartel/admin/webhooks/00000000000000000000000000000000",
        "/kartel/admin/webhooks/00000000000000000000000000000000/edit",
    ]);
    v
}

/// Query parameters the pages read, and one none reads.
const PARAMS: &[&str] = &[
    "as_of",
    "quarter",
    "next",
    "from_kpi",
    "outcome",
    "value",
    "saved",
    "done",
    "department",
    "page",
    "zzz",
];

/// A POST form: who sends it, where, and the fields a real form would carry.
struct Form {
    who: &'static str,
    path: String,
    fields: Vec<(&'static str, String)>,
}

fn form(who: &'static str, path: &str, fields: &[(&'static str, &str)]) -> Form {
    Form {
        who,
        path: path.to_owned(),
        fields: fields.iter().map(|(k, v)| (*k, (*v).to_owned())).collect(),
    }
}

async fn post_forms(db: &TestDb) -> Vec<Form> {
    let trent: uuid::Uuid =
        sqlx::query_scalar("select id from accounts where email = 'trent@kartel.example'")
            .fetch_one(&db.pool)
            .await
            .expect("trent");
    let version: i32 = sqlx::query_scalar("select version from whygos where key = 'trent-1'")
        .fetch_one(&db.pool)
        .await
        .expect("trent-1");
    let company: i32 = sqlx::query_scalar("select version from whygos where key = 'company-1'")
        .fetch_one(&db.pool)
        .await
        .expect("company-1");
    let (version, company) = (version.to_string(), company.to_string());
    let dependency: uuid::Uuid =
        sqlx::query_scalar("select id from dependencies where need like 'Platform for credits%'")
            .fetch_one(&db.pool)
            .await
            .expect("a demo dependency");
    let dependency = format!("/kartel/dependencies/{dependency}/edit");
    let dependency_form: &[(&str, &str)] = &[
        ("from", "community"),
        ("on", "generative"),
        ("need", "Platform for credits, challenges, tier progression"),
        ("deliverable", "Community Ecosystem MVP"),
        ("owner", "fill"),
        ("due", "Q1"),
        ("criteria", "Live by Q1"),
        ("state", "at_risk"),
        ("seen", ""),
    ];
    let member = format!("/kartel/admin/members/{trent}");
    let whygo: &[(&str, &str)] = &[
        ("title", "Reproducible batch runs"),
        ("why", "Failed batches cost hours."),
        ("goal", "Reproducible on the first try."),
        ("ladder", "generative-1"),
        ("primary", "generative-1"),
        ("o0_name", "Batch tool shipped"),
        ("o0_q1", "Draft"),
        ("o0_q2", "MVP"),
        ("o0_q3", "v1.0"),
        ("o0_q4", "v1.0"),
        ("o1_name", "Workflows documented"),
        ("o1_q1", "2"),
        ("o1_q2", "4"),
        ("o1_q3", "6"),
        ("o1_q4", "8"),
    ];
    let mut edit: Vec<(&str, &str)> = whygo.to_vec();
    edit.push(("version", &company));
    vec![
        form(
            "wayan",
            "/kartel/checkin",
            &[
                ("value-4-prod-active-clients", "19"),
                ("note-4-prod-active-clients", "Two pilots signed."),
                ("value-4-prod-margin", "47%"),
                ("action", "save"),
            ],
        ),
        form(
            "wayan",
            "/kartel/checkin",
            &[("value-4-prod-active-clients", "19"), ("action", "preview")],
        ),
        form(
            "trent",
            "/kartel/checkin/snooze",
            &[("reason", "On leave this week")],
        ),
        form("trent", "/kartel/whygos/new", whygo),
        form("kevin", "/kartel/whygos/company-1/edit", &edit),
        form(
            "trent",
            "/kartel/whygos/company-1/comments",
            &[("body", "Looks right."), ("outcome", "")],
        ),
        form(
            "wayan",
            "/kartel/engagements/new",
            &[
                ("key", "fuzzed"),
                ("name", "Fuzzed"),
                ("client", "Acme"),
                ("vertical", "Retail"),
                ("cycle", "client"),
                ("producer", "wayan"),
                ("account_manager", ""),
                ("sow_signed", "2026-03-02"),
                ("pod_started", ""),
                ("delivered", ""),
                ("closed", ""),
                ("status", "active"),
            ],
        ),
        form(
            "wayan",
            "/kartel/engagements/no-such-engagement/handoffs/sales-to-production/send-back",
            &[("reason", "The budget is missing.")],
        ),
        form("fill", "/kartel/dependencies/new", dependency_form),
        form("fill", &dependency, dependency_form),
        form(
            "fill",
            "/kartel/whygos/generative-2/deliverables/new",
            &[
                ("title", "QC process documented"),
                ("owner", "fill"),
                ("due", "End of Q1"),
                ("done_on", ""),
            ],
        ),
        form(
            "trent",
            "/kartel/whygos/trent-1/submit",
            &[("version", &version)],
        ),
        form(
            "fill",
            "/kartel/whygos/trent-1/approve",
            &[
                ("version", &version),
                ("comment", ""),
                ("next", "approvals"),
            ],
        ),
        form(
            "fill",
            "/kartel/whygos/trent-1/return",
            &[
                ("version", &version),
                ("comment", "Tighten the outcomes."),
                ("next", ""),
            ],
        ),
        form(
            "kevin",
            "/kartel/whygos/company-1/signoff",
            &[("version", &company), ("comment", "")],
        ),
        form(
            "zac",
            "/kartel/admin/people/new",
            &[
                ("key", "ann-lee"),
                ("name", "Ann Lee"),
                ("title", "Producer"),
                ("department", "production"),
                ("manager", "wayan"),
            ],
        ),
        form(
            "zac",
            "/kartel/admin/people/brandon",
            &[
                ("name", "Brandon"),
                ("title", "Engineer"),
                ("department", "generative"),
                ("manager", "fill"),
            ],
        ),
        form("zac", "/kartel/admin/people/brandon/deactivate", &[]),
        form("zac", "/kartel/admin/people/brandon/reactivate", &[]),
        form(
            "zac",
            "/kartel/admin/people/brandon/invite",
            &[("role", "member"), ("email", "brandon@kartel.example")],
        ),
        form(
            "zac",
            "/kartel/admin/departments/new",
            &[("key", "finance"), ("name", "Finance"), ("head", "kevin")],
        ),
        form(
            "zac",
            "/kartel/admin/departments/production",
            &[("name", "Production"), ("head", "wayan")],
        ),
        form(
            "zac",
            "/kartel/admin/handoffs/new",
            &[
                ("key", "tier-4-to-5"),
                ("cycle", "talent"),
                ("number", "1"),
                ("name", "Tier 4 → 5"),
                ("from", "community"),
                ("to", "generative"),
                ("trigger", "Certified"),
                ("opener", "manual"),
                ("sla", "answer within 72 hours of receipt"),
                ("sla_hours", ""),
                ("checklist", "Portfolio"),
            ],
        ),
        form(
            "zac",
            "/kartel/admin/handoffs/sales-to-production",
            &[
                ("cycle", "client"),
                ("number", "1"),
                ("name", "Sales → Production"),
                ("from", "sales"),
                ("to", "production"),
                ("trigger", "SOW signed"),
                ("opener", ""),
                ("sla", "SOW package within 48 hrs of signature"),
                ("sla_hours", "48"),
                ("checklist", "Milestones\nBudget"),
            ],
        ),
        form("zac", "/kartel/admin/handoffs/no-such-type/delete", &[]),
        form(
            "trent",
            "/kartel/api-tokens",
            &[
                ("name", "weekly push"),
                ("scope", "read"),
                ("expires", "30"),
            ],
        ),
        form(
            "trent",
            "/kartel/api-tokens/00000000000000000000000000000000/revoke",
            &[],
        ),
        form(
            "zac",
            "/kartel/admin/api-tokens",
            &[
                ("name", "warehouse"),
                ("scope", "read-write"),
                ("expires", "never"),
                ("role", "leader"),
            ],
        ),
        form(
            "zac",
            "/kartel/admin/api-tokens/00000000000000000000000000000000/revoke",
            &[],
        ),
        form(
            "zac",
            "/kartel/admin/webhooks/new",
            &[
                ("url", "https://hooks.example.com/whygo"),
                ("description", "CRM sync"),
                ("events", "actual.added"),
            ],
        ),
        form(
            "zac",
            "/kartel/admin/webhooks/00000000000000000000000000000000/edit",
            &[
                ("url", "https://hooks.example.com/whygo"),
                ("description", "CRM sync"),
                ("events", "actual.added"),
            ],
        ),
        form(
            "zac",
            "/kartel/admin/webhooks/00000000000000000000000000000000/enable",
            &[],
        ),
        form(
            "zac",
            "/kartel/admin/webhooks/00000000000000000000000000000000/disable",
            &[],
        ),
        form(
            "zac",
            "/kartel/admin/webhooks/00000000000000000000000000000000/rotate",
            &[],
        ),
        form(
            "zac",
            "/kartel/admin/webhooks/00000000000000000000000000000000/delete",
            &[],
        ),
        form(
            "zac",
            "/kartel/admin/webhooks/00000000000000000000000000000000/test",
            &[],
        ),
        form(
            "zac",
            "/kartel/admin/webhooks/00000000000000000000000000000000/redeliver",
            &[("event", "00000000000000000000000000000000")],
        ),
        form("zac", &format!("{member}/role"), &[("role", "member")]),
        form("zac", &format!("{member}/reset"), &[]),
        form("zac", &format!("{member}/remove"), &[]),
        form(
            "zac",
            "/kartel/admin/settings",
            &[
                ("name", "Kartel AI"),
                ("fiscal_year_start", "2026-01-01"),
                ("on_pace", "1.0"),
                ("slightly_off", "0.8"),
                ("carry_days", "14"),
                ("max_individual_whygos", "3"),
            ],
        ),
        // Single sign-on left off, so saving reads no provider.
        form(
            "zac",
            "/kartel/admin/sso",
            &[
                ("provider_name", "Okta"),
                ("issuer", "https://id.example"),
                ("client_id", "whygo"),
                ("client_secret", "a secret"),
            ],
        ),
        form("", "/kartel/sso/start", &[("next", "/kartel")]),
        form(
            "zac",
            "/kartel/admin/notifications",
            &[
                ("reminders_enabled", "on"),
                ("checkin_weekday", "5"),
                ("reminder_lead_days", "1"),
                ("escalate_manager_days", "1"),
                ("escalate_head_days", "3"),
                ("digest_enabled", "on"),
                ("digest_weekday", "1"),
                ("digest_recipients", "leaders"),
                ("send_hour", "8"),
            ],
        ),
        form(
            "zac",
            "/admin/tenants/new",
            &[
                ("name", "Acme"),
                ("slug", "acme"),
                ("fiscal_year_start", "2026-04-01"),
            ],
        ),
        form(
            "trent",
            "/account/password",
            &[
                ("current", "not the password"),
                ("new", "a long new password"),
                ("confirm", "a long new password"),
            ],
        ),
        form(
            "",
            "/login",
            &[
                ("email", "kevin@kartel.example"),
                ("password", "wrong password"),
                ("next", "/kartel"),
            ],
        ),
        form(
            "",
            "/kartel/invite/no-such-token",
            &[
                ("email", "x@kartel.example"),
                ("name", "X"),
                ("password", "a long password"),
                ("confirm", "a long password"),
            ],
        ),
        form(
            "",
            "/kartel/reset/no-such-token",
            &[("new", "a long password"), ("confirm", "a long password")],
        ),
    ]
}

/// `path` with hostile `v` in slot `slot` of: each path segment after the
/// first, then the query (`?as_of=`).
fn post_target(path: &str, slot: usize, v: &str) -> Option<String> {
    let segments: Vec<&str> = path.split('/').skip(1).collect();
    if slot < segments.len() {
        // The tenant and keys; fixed words too (an unknown route is a 404).
        let mut s: Vec<String> = segments.iter().map(|s| (*s).to_owned()).collect();
        s[slot] = v.to_owned();
        return Some(format!("/{}", s.join("/")));
    }
    (slot == segments.len()).then(|| format!("{path}?as_of={v}"))
}

fn body_of(
    fields: &[(&'static str, String)],
    hostile: Option<(usize, &str)>,
    csrf: &str,
) -> Vec<u8> {
    let mut parts: Vec<String> = fields
        .iter()
        .enumerate()
        .map(|(i, (k, v))| match hostile {
            Some((at, h)) if at == i => format!("{k}={h}"),
            _ => serde_urlencoded::to_string([(k, v)]).unwrap_or_default(),
        })
        .collect();
    parts.push(format!("csrf_token={csrf}"));
    parts.join("&").into_bytes()
}

#[derive(Default)]
struct Tally {
    sent: usize,
    by_class: [usize; 6],
    failures: Vec<String>,
}

impl Tally {
    fn check(&mut self, what: &str, res: &crate::common::Response) {
        self.sent += 1;
        let status = res.status.as_u16();
        self.by_class[usize::from(status / 100).min(5)] += 1;
        if status >= 500 {
            self.failures.push(format!(
                "{what} answered {status}: {}",
                res.body.chars().take(300).collect::<String>()
            ));
        }
        for r in REFLECTED {
            if res.body.contains(r) {
                let at = res.body.find(r).unwrap_or(0);
                let from = res.body[..at]
                    .char_indices()
                    .rev()
                    .nth(80)
                    .map_or(0, |(i, _)| i);
                self.failures.push(format!(
                    "{what} ({status}) reflects {r:?}: …{}…",
                    res.body[from..].chars().take(200).collect::<String>()
                ));
            }
        }
    }
}

async fn client_for(db: &TestDb, who: &str) -> Client {
    if who.is_empty() {
        let mut c = Client::new(app(db));
        c.get("/login").await.expect_status(200);
        c
    } else {
        let mut c = signed_in(db, who).await;
        c.get("/kartel").await.expect_status(200);
        c
    }
}

#[tokio::test]
async fn two_thousand_hostile_inputs_over_every_route_answer_no_5xx_and_reflect_no_markup() {
    let db = demo_db().await;
    let values = hostile();
    let mut tally = Tally::default();
    let started = std::time::Instant::now();

    // Every GET route × every value, the value in one parameter or path
    // segment, turn by turn (so each value meets each place somewhere).
    let mut zac = client_for(&db, "zac").await;
    let mut kevin = client_for(&db, "kevin").await;
    for (r, route) in get_routes().iter().enumerate() {
        let use_kevin = zac.get(route).await.status.as_u16() >= 400;
        let c = if use_kevin { &mut kevin } else { &mut zac };
        let (base, query) = route.split_once('?').unwrap_or((route, ""));
        let segments: Vec<&str> = base.split('/').skip(1).collect();
        let slots = PARAMS.len() + segments.len();
        for (i, v) in values.iter().enumerate() {
            let slot = (r + i) % slots;
            let path = if slot < PARAMS.len() {
                let sep = if query.is_empty() { "?" } else { "&" };
                let q = if query.is_empty() {
                    String::new()
                } else {
                    format!("?{query}")
                };
                format!("{base}{q}{sep}{}={v}", PARAMS[slot])
            } else {
                let mut s: Vec<String> = segments.iter().map(|s| (*s).to_owned()).collect();
                s[slot - PARAMS.len()] = v.clone();
                let q = if query.is_empty() {
                    String::new()
                } else {
                    format!("?{query}")
                };
                format!("/{}{q}", s.join("/"))
            };
            let res = c.get(&path).await;
            tally.check(&format!("GET {path}"), &res);
        }
    }
    let gets = tally.sent;

    // Files outside static/ are never served, however the path is written.
    let mut anonymous = client_for(&db, "").await;
    for path in [
        "/static/../Cargo.toml",
        "/static/..%2fCargo.toml",
        "/static/%2e%2e/Cargo.toml",
        "/static/%2e%2e%2fCargo.toml",
        "/static/..%5cCargo.toml",
        "/static//etc/passwd",
        "/static/%2fetc%2fpasswd",
        "/static/....//Cargo.toml",
        "/static/style.css%00.toml",
        "/static/%c0%ae%c0%ae/Cargo.toml",
    ] {
        let res = anonymous.get(path).await;
        tally.check(&format!("GET {path}"), &res);
        assert!(
            !res.body.contains("[package]") && !res.body.contains("root:"),
            "{path} served a file outside static/"
        );
    }

    // Every POST form × every value: in a field, a path segment or the query.
    let mut clients: Vec<(&str, Client)> = Vec::new();
    for f in post_forms(&db).await {
        if !clients.iter().any(|(w, _)| *w == f.who) {
            clients.push((f.who, client_for(&db, f.who).await));
        }
    }
    for (r, f) in post_forms(&db).await.iter().enumerate() {
        let Some((_, c)) = clients.iter_mut().find(|(w, _)| *w == f.who) else {
            continue;
        };
        let csrf = c.csrf.clone().unwrap_or_default();
        let segments = f.path.split('/').skip(1).count();
        let slots = f.fields.len() + segments + 1;
        for (i, v) in values.iter().enumerate() {
            let slot = (r + i) % slots;
            let (path, body) = if slot < f.fields.len() {
                (f.path.clone(), body_of(&f.fields, Some((slot, v)), &csrf))
            } else {
                let Some(path) = post_target(&f.path, slot - f.fields.len(), v) else {
                    continue;
                };
                (path, body_of(&f.fields, None, &csrf))
            };
            let res = c.post_bytes(&path, body).await;
            tally.check(&format!("POST {path} (slot {slot})"), &res);
        }
        // Each script payload in every field at once: a form sent back
        // with its messages shows everything that was typed.
        for p in xss(r) {
            let mut all: Vec<(&'static str, String)> =
                f.fields.iter().map(|(k, _)| (*k, p.clone())).collect();
            if all.is_empty() {
                all.push(("comment", p.clone()));
            }
            let res = c.post_bytes(&f.path, body_of(&all, None, &csrf)).await;
            tally.check(&format!("POST {} (script in every field)", f.path), &res);
        }
        // Raw bytes no browser would send, in every field at once.
        let raw: Vec<u8> = f
            .fields
            .iter()
            .flat_map(|(k, _)| {
                let mut b = k.as_bytes().to_vec();
                b.extend_from_slice(b"=\x01\x02\x7f\xff\xfe\xc3(\x1b[0m&");
                b
            })
            .chain(format!("csrf_token={csrf}").into_bytes())
            .collect();
        let res = c.post_bytes(&f.path, raw).await;
        tally.check(&format!("POST {} (raw bytes)", f.path), &res);
    }

    eprintln!(
        "fuzz: {} requests ({gets} GET, {} POST) with {} hostile values in {:.1} s; by class 2xx {} 3xx {} 4xx {} 5xx {}; {} failures",
        tally.sent,
        tally.sent - gets,
        values.len(),
        started.elapsed().as_secs_f64(),
        tally.by_class[2],
        tally.by_class[3],
        tally.by_class[4],
        tally.by_class[5],
        tally.failures.len()
    );
    assert!(
        tally.failures.is_empty(),
        "{} of {} hostile requests failed:\n{}",
        tally.failures.len(),
        tally.sent,
        tally
            .failures
            .iter()
            .take(30)
            .cloned()
            .collect::<Vec<_>>()
            .join("\n")
    );
    assert!(tally.sent >= 2_000, "only {} hostile requests", tally.sent);
    // The requests reached the app: pages and forms still work afterwards.
    zac.get("/kartel").await.expect_status(200);
}

#[test]
fn the_fuzzed_routes_cover_every_route_in_the_routers_source() {
    let posts: Vec<&str> = vec![
        "/kartel/checkin",
        "/kartel/engagements/new",
        "/kartel/engagements/k/edit",
        "/kartel/whygos/new",
        "/kartel/whygos/k/edit",
        "/kartel/whygos/k/comments",
        "/kartel/whygos/k/submit",
        "/kartel/whygos/k/approve",
        "/kartel/whygos/k/return",
        "/kartel/whygos/k/signoff",
        "/kartel/engagements/k/handoffs/h/submit",
        "/kartel/dependencies/new",
        "/kartel/dependencies/i/edit",
        "/kartel/whygos/k/deliverables/new",
        "/kartel/whygos/k/deliverables/i/edit",
        "/kartel/whygos/k/deliverables/i/done",
        "/kartel/whygos/k/deliverables/i/undone",
        "/kartel/admin/people/new",
        "/kartel/admin/people/k",
        "/kartel/admin/people/k/deactivate",
        "/kartel/admin/people/k/reactivate",
        "/kartel/admin/people/k/invite",
        "/kartel/admin/departments/new",
        "/kartel/admin/departments/k",
        "/kartel/admin/handoffs/new",
        "/kartel/admin/handoffs/k",
        "/kartel/admin/handoffs/k/delete",
        "/kartel/admin/members/a/role",
        "/kartel/admin/members/a/reset",
        "/kartel/admin/members/a/remove",
        "/kartel/admin/settings",
        "/kartel/admin/notifications",
        "/kartel/checkin/snooze",
        "/kartel/admin/sso",
        "/kartel/sso/start",
        "/admin/tenants/new",
        "/account/password",
        "/login",
        "/kartel/invite/t",
        "/kartel/reset/t",
        "/kartel/api-tokens",
        "/kartel/api-tokens/i/revoke",
        "/kartel/admin/api-tokens",
        "/kartel/admin/api-tokens/i/revoke",
        "/kartel/admin/webhooks/new",
        "/kartel/admin/webhooks/i/edit",
        "/kartel/admin/webhooks/i/enable",
        "/kartel/admin/webhooks/i/disable",
        "/kartel/admin/webhooks/i/rotate",
        "/kartel/admin/webhooks/i/delete",
        "/kartel/admin/webhooks/i/test",
        "/kartel/admin/webhooks/i/redeliver",
    ];
    let gets = get_routes();
    let mut missing = Vec::new();
    for (method, pattern) in source_routes() {
        let covered = match method {
            "GET" => gets.iter().any(|p| route_matches(&pattern, p)),
            _ => pattern == "/logout" || posts.iter().any(|p| route_matches(&pattern, p)),
        };
        if !covered {
            missing.push(format!("{method} {pattern}"));
        }
    }
    assert!(source_routes().len() >= 40, "{:?}", source_routes());
    assert!(
        missing.is_empty(),
        "routes the fuzz run misses: {missing:?}"
    );
}

// ----------------------------------------------------------------------------
// Workbook fuzz
// ----------------------------------------------------------------------------

const KARTEL: &str = crate::common::KARTEL;

/// xorshift64*: the same mutants on every run.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    fn below(&mut self, n: usize) -> usize {
        usize::try_from(self.next() % u64::try_from(n.max(1)).unwrap_or(1)).unwrap_or(0)
    }
}

/// Replaces the value of the `n`-th `key = value` line with `value`.
fn set_value(lines: &mut [String], n: usize, value: &str) {
    let assignments: Vec<usize> = lines
        .iter()
        .enumerate()
        .filter(|(_, l)| l.contains(" = ") && !l.trim_start().starts_with('#'))
        .map(|(i, _)| i)
        .collect();
    if assignments.is_empty() {
        return;
    }
    let i = assignments[n % assignments.len()];
    if let Some((k, _)) = lines[i].split_once(" = ") {
        lines[i] = format!("{k} = {value}");
    }
}

/// The `n`-th mutant of the demo workbook: one to three mutations.
fn mutant(seed: u64) -> String {
    let mut rng = Rng(seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1);
    let mut text = KARTEL.to_owned();
    for _ in 0..=rng.below(3) {
        let mut lines: Vec<String> = text.lines().map(str::to_owned).collect();
        let n = lines.len();
        let at = rng.below(n);
        let pick = rng.below(16);
        match pick {
            0 => {
                // A byte flipped (invalid UTF-8 read as the loader reads it).
                let mut bytes = text.into_bytes();
                let i = rng.below(bytes.len());
                bytes[i] ^= 1 << rng.below(8);
                text = String::from_utf8_lossy(&bytes).into_owned();
                continue;
            }
            1 => {
                lines.remove(at);
            }
            2 => {
                let l = lines[at].clone();
                lines.insert(at, l);
            }
            3 => lines.swap(at, rng.below(n)),
            4 => set_value(&mut lines, rng.below(n), "42"),
            5 => set_value(&mut lines, rng.below(n), "\"a string\""),
            6 => set_value(&mut lines, rng.below(n), "[1, \"two\", 3.0, true]"),
            7 => set_value(&mut lines, rng.below(n), "{ nested = { deeper = [] } }"),
            8 => {
                let huge = [
                    "99999999999999999999999".to_owned(),
                    "-9223372036854775808".to_owned(),
                    "1e308".to_owned(),
                    "nan".to_owned(),
                    "-262143-01-01".to_owned(),
                    "\"-262143-01-01\"".to_owned(),
                    "\"+262142-12-31\"".to_owned(),
                    format!("\"{}\"", "x".repeat(20_000)),
                    format!("[{}]", vec!["\"a\""; 5_000].join(",")),
                ];
                set_value(&mut lines, rng.below(n), &huge[rng.below(huge.len())]);
            }
            9 => {
                // A NUL (or another control character) inside a string.
                let esc = ["\\u0000", "\\u0007", "\\u001b", "\\u202e", "\\u200b"][rng.below(5)];
                if let Some(q) = lines[at].find('"') {
                    lines[at].insert_str(q + 1, esc);
                } else {
                    set_value(&mut lines, at, &format!("\"x{esc}y\""));
                }
            }
            10 => {
                let heads: Vec<usize> = (0..n).filter(|i| lines[*i].starts_with('[')).collect();
                let h = heads.get(rng.below(heads.len())).copied().unwrap_or(0);
                lines.insert(h + 1, format!("unknown_key_{} = 1", rng.below(1000)));
            }
            11 => {
                let slug = [
                    "admin",
                    "login",
                    "static",
                    "healthz",
                    "",
                    "../x",
                    "Kartel",
                    "a b",
                    "logout",
                    "kartel\\u0000",
                ][rng.below(10)];
                for l in &mut lines {
                    if l.starts_with("slug = ") {
                        *l = format!("slug = \"{slug}\"");
                    }
                }
            }
            12 => {
                let cut = rng.below(text.len());
                let cut = (0..=cut)
                    .rev()
                    .find(|i| text.is_char_boundary(*i))
                    .unwrap_or(0);
                text.truncate(cut);
                continue;
            }
            13 => {
                // A key of the workbook given twice, or a person/key reused.
                let keys: Vec<usize> = (0..n).filter(|i| lines[*i].starts_with("key = ")).collect();
                if let (Some(a), Some(b)) = (
                    keys.get(rng.below(keys.len())).copied(),
                    keys.get(rng.below(keys.len())).copied(),
                ) {
                    lines[a] = lines[b].clone();
                }
            }
            14 => {
                let junk = [
                    "[[",
                    "]]",
                    "= =",
                    "\"",
                    "'''",
                    "[organization]",
                    "[[person]]",
                    "\u{feff}",
                    "\t\t= 1",
                ];
                lines.insert(at, junk[rng.below(junk.len())].to_owned());
            }
            _ => {
                // A reference to something that does not exist.
                let refs = [
                    "reports_to",
                    "department",
                    "head",
                    "owner",
                    "ladders_to",
                    "owners",
                ];
                let r = refs[rng.below(refs.len())];
                if let Some(i) = (0..n)
                    .map(|k| (at + k) % n)
                    .find(|i| lines[*i].starts_with(&format!("{r} = ")))
                {
                    lines[i] = if r == "owners" || r == "ladders_to" {
                        format!("{r} = [\"nobody-{i}\"]")
                    } else {
                        format!("{r} = \"nobody-{i}\"")
                    };
                }
            }
        }
        text = lines.join("\n");
        text.push('\n');
    }
    text
}

const MUTANTS: u64 = 600;

#[test]
fn six_hundred_mutated_workbooks_are_read_without_a_panic() {
    let started = std::time::Instant::now();
    let (mut accepted, mut refused, mut panicked) = (0, 0, Vec::new());
    let mut messages = 0usize;
    for seed in 0..MUTANTS {
        let text = mutant(seed);
        match std::panic::catch_unwind(|| whygo::db::load::check("mutant.toml", &text)) {
            Ok(Ok(_)) => accepted += 1,
            Ok(Err(errors)) => {
                refused += 1;
                messages += errors.len();
                assert!(
                    !errors.is_empty(),
                    "mutant {seed}: refused without a reason"
                );
                for e in &errors {
                    let line = e.to_string();
                    assert!(
                        line.starts_with("mutant.toml:"),
                        "mutant {seed}: a message without its place: {line}"
                    );
                }
            }
            Err(_) => panicked.push(seed),
        }
    }
    eprintln!(
        "workbook fuzz: {MUTANTS} mutants, {accepted} accepted, {refused} refused ({messages} messages), {} panics, {:.1} s",
        panicked.len(),
        started.elapsed().as_secs_f64()
    );
    assert!(
        panicked.is_empty(),
        "the reader panicked on mutants {panicked:?}"
    );
    assert!(
        refused >= 300,
        "the mutants are hostile: {refused} refused of {MUTANTS}"
    );
}

/// Tables the loader never writes to and no request here touches either way.
const NOT_LOADED: &[&str] = &[];

#[tokio::test]
async fn refused_and_failing_workbooks_write_nothing_through_the_cli_or_the_loader() {
    let db = crate::common::kartel_db().await;
    let before = content_fingerprint(&db, NOT_LOADED).await;
    let dir = crate::common::data_dir("whygo-fuzz-wb-");

    // A sample of refused mutants through `whygo load`: refused, nothing written.
    let mut through_cli = 0;
    let mut seed = 0;
    while through_cli < 8 && seed < MUTANTS {
        let text = mutant(seed);
        seed += 1;
        if whygo::db::load::check("m.toml", &text).is_ok() {
            continue;
        }
        let file = dir.path().join(format!("mutant-{seed}.toml"));
        std::fs::write(&file, &text).expect("write the mutant");
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_whygo"))
            .arg("load")
            .arg(&file)
            .env("DATABASE_URL", &db.url)
            .env("RUST_LOG", "error")
            .output()
            .expect("run whygo load");
        assert!(!out.status.success(), "mutant {seed} was loaded");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(stderr.contains("mutant-"), "mutant {seed}: {stderr}");
        through_cli += 1;
    }
    assert_eq!(through_cli, 8);
    assert_eq!(
        content_fingerprint(&db, NOT_LOADED).await,
        before,
        "a refused file wrote"
    );

    // Mutants the reader accepts are applied in turn: each either loads or
    // fails leaving the database exactly as it was (one transaction).
    let (mut applied, mut failed) = (0, 0);
    let mut last = before;
    for seed in 0..MUTANTS {
        if applied + failed >= 12 {
            break;
        }
        let text = mutant(seed);
        let Ok(wb) = whygo::db::load::check("m.toml", &text) else {
            continue;
        };
        if text == KARTEL {
            continue;
        }
        match whygo::db::load::apply(&db.app_pool, &wb, "fuzz").await {
            Ok(_) => {
                applied += 1;
                last = content_fingerprint(&db, NOT_LOADED).await;
            }
            Err(e) => {
                failed += 1;
                assert_eq!(
                    content_fingerprint(&db, NOT_LOADED).await,
                    last,
                    "mutant {seed} failed ({e:#}) and left part of itself behind"
                );
            }
        }
    }
    eprintln!(
        "workbook fuzz: 8 refused files through `whygo load` wrote nothing; {applied} accepted mutants applied, {failed} failed in the database and wrote nothing"
    );
    assert!(applied + failed > 0, "no accepted mutant to apply");
}
