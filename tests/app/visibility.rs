//! Who may see an individual WhyGO, over every route that returns plan data:
//! a viewer outside the owner's reporting chain (and not a leader or admin)
//! never finds its key, title, outcomes or numbers in any body, HTML or
//! JSON. The plan is filtered once where it is loaded
//! (`Plan::visible_to`), so a new page or endpoint cannot forget.

use crate::common::{Client, demo_db, member_without_person, signed_in};

const AS_OF: &str = "2026-11-21";

/// What would give away Trent's and Brandon's individual WhyGOs (Trent's is
/// submitted, Brandon's a draft; both report to Fill).
const SECRETS: &[&str] = &[
    "trent-1",
    "Workflow Engineer Playbook and Batch Tooling",
    "trent-playbook",
    "System reproducibility (first-run success rate)",
    "trent-first-run",
    "brandon-1",
    "Clean Data, Evaluated Models",
    "LoRA models evaluated on the grid before deployment",
    "brandon-eval-coverage",
    "Training sets rejected for poisoning after training",
];

/// Every GET route that reads the plan, with Kartel's keys, and with the
/// hidden WhyGOs' own keys where a route takes one.
fn routes() -> Vec<String> {
    [
        "/kartel",
        "/kartel/sync",
        "/kartel/escalations",
        "/kartel/escalations?department=generative",
        "/kartel/report.json",
        "/kartel/alignment",
        "/kartel/alignment?open=generative-1",
        "/kartel/alignment?open=generative-2",
        "/kartel/alignment?open=generative-3",
        "/kartel/alignment?open=trent-1",
        "/kartel/org",
        "/kartel/org?open=fill",
        "/kartel/org?open=trent",
        "/kartel/cascade",
        "/kartel/approvals",
        "/kartel/api-tokens",
        "/kartel/checkin",
        "/kartel/whygos/new",
        "/kartel/departments/generative",
        "/kartel/departments/production",
        "/kartel/people/trent",
        "/kartel/people/brandon",
        "/kartel/people/fill",
        "/kartel/whygos/generative-1",
        "/kartel/whygos/generative-2",
        "/kartel/whygos/generative-3",
        "/kartel/whygos/company-2",
        "/kartel/whygos/trent-1",
        "/kartel/whygos/brandon-1",
        "/kartel/whygos/brandon-1/outcomes.csv",
        "/kartel/whygos/brandon-1/history.csv",
        "/kartel/whygos/trent-1/history.csv",
        "/kartel/outcomes.csv",
        "/kartel/sync.md",
        "/kartel/departments/generative/outcomes.csv",
        "/kartel/whygos/trent-1/edit",
        "/kartel/checkin/preview?outcome=trent-playbook&quarter=4&value=Approved",
        "/kartel/engagements/no-such-engagement/edit",
        "/kartel/engagements/new",
        "/kartel/engagements/handoffs",
        "/kartel/engagements",
        "/kartel/engagements/no-such-engagement",
        "/kartel/dependencies",
        "/kartel/dependencies/new",
        "/kartel/dependencies/00000000-0000-0000-0000-000000000000/edit",
        "/kartel/whygos/trent-1/deliverables/new",
        "/kartel/whygos/trent-1/deliverables/00000000-0000-0000-0000-000000000000/edit",
        // One-time link pages read no plan; listed so every route is tried.
        "/kartel/invite/no-such-token",
        "/kartel/reset/no-such-token",
        // Single sign-on's pages read no plan either (404 without SSO).
        "/kartel/sso",
        "/kartel/sso/callback",
    ]
    .iter()
    .map(|r| {
        let sep = if r.contains('?') { '&' } else { '?' };
        format!("{r}{sep}as_of={AS_OF}")
    })
    .collect()
}

async fn leaks(c: &mut Client) -> Vec<String> {
    let mut found = Vec::new();
    for path in routes() {
        let res = c.get(&path).await;
        assert!(
            res.status.as_u16() < 500,
            "{path} answered {}: {}",
            res.status,
            res.body
        );
        for secret in SECRETS {
            if res.body.contains(secret) {
                found.push(format!("{path} ({}) shows {secret:?}", res.status));
            }
        }
    }
    found
}

#[tokio::test]
async fn no_route_shows_an_individual_whygo_to_a_viewer_who_may_not_see_it() {
    let db = demo_db().await;
    // Wayan heads Production: a member outside Trent's and Brandon's chain.
    let mut wayan = signed_in(&db, "wayan").await;
    let found = leaks(&mut wayan).await;
    assert!(found.is_empty(), "wayan:\n{}", found.join("\n"));
    // A member with no person of their own.
    let mut guest = member_without_person(&db, "guest@kartel.example").await;
    let found = leaks(&mut guest).await;
    assert!(found.is_empty(), "guest:\n{}", found.join("\n"));
}

#[tokio::test]
async fn those_who_may_see_an_individual_whygo_find_it_in_the_report() {
    let db = demo_db().await;
    // The owner, his manager, a leader and an admin: the table above would
    // find a leak, were one there.
    for who in ["trent", "fill", "kevin", "zac"] {
        let mut c = signed_in(&db, who).await;
        let json = c.get(&format!("/kartel/report.json?as_of={AS_OF}")).await;
        json.expect_status(200);
        assert!(json.body.contains("\"trent-1\""), "{who} sees trent-1");
        let page = c
            .get(&format!("/kartel/whygos/trent-1?as_of={AS_OF}"))
            .await;
        page.expect_status(200);
        assert!(
            page.body
                .contains("Workflow Engineer Playbook and Batch Tooling")
        );
    }
}

#[tokio::test]
async fn a_hidden_whygo_still_counts_unnamed_in_the_cascade_and_its_progress() {
    let db = demo_db().await;
    // Approve Trent's WhyGO so it counts in the cascade paces.
    sqlx::query("update whygos set status = 'approved' where key = 'trent-1'")
        .execute(&db.pool)
        .await
        .expect("approve");
    let cascade_of = |body: &str| -> serde_json::Value {
        let v: serde_json::Value = serde_json::from_str(body).expect("json");
        v["whygos"]
            .as_array()
            .expect("whygos")
            .iter()
            .find(|w| w["key"] == "generative-1")
            .expect("generative-1")["cascade"]
            .clone()
    };
    let path = format!("/kartel/report.json?as_of={AS_OF}");
    let fill = signed_in(&db, "fill").await.get(&path).await;
    let wayan = signed_in(&db, "wayan").await.get(&path).await;
    assert!(!wayan.body.contains("trent-1"));
    // The same cascade pace whoever looks: the viewer changes what is named,
    // not the figures.
    assert_eq!(cascade_of(&fill.body), cascade_of(&wayan.body));
    assert_eq!(cascade_of(&wayan.body)["whygos"], 1);
    // The cascade's progress still counts Trent as approved for Wayan.
    let progress = signed_in(&db, "wayan")
        .await
        .get(&format!("/kartel/cascade?as_of={AS_OF}"))
        .await;
    progress.expect_status(200);
    assert!(!progress.body.contains("Workflow Engineer Playbook"));
    let fills = signed_in(&db, "fill")
        .await
        .get(&format!("/kartel/cascade?as_of={AS_OF}"))
        .await;
    let approved = |body: &str| body.matches("<span class=\"state approved\">").count();
    assert!(approved(&fills.body) > 0);
    assert_eq!(approved(&progress.body), approved(&fills.body));
    assert!(
        progress.body.contains("1 approved"),
        "Trent's line, unnamed"
    );
}

/// Every GET route of an organization, read from the routers' source:
/// `(pattern, file)`. Admin routes are left out on purpose: only admins reach
/// them, and the permission table lets admins see every WhyGO.
fn tenant_get_routes() -> Vec<(String, String)> {
    let root = concat!(env!("CARGO_MANIFEST_DIR"), "/src/http");
    let mut files = vec![std::path::PathBuf::from(root)];
    let mut found = Vec::new();
    while let Some(p) = files.pop() {
        if p.is_dir() {
            for e in std::fs::read_dir(&p).expect("read src/http").flatten() {
                files.push(e.path());
            }
            continue;
        }
        let text = std::fs::read_to_string(&p).unwrap_or_default();
        let mut rest = text.as_str();
        while let Some(at) = rest.find(".route(") {
            rest = &rest[at + ".route(".len()..];
            let Some(open) = rest.find('"') else { break };
            let Some(len) = rest[open + 1..].find('"') else {
                break;
            };
            let pattern = &rest[open + 1..open + 1 + len];
            let after = rest[open + 2 + len..].trim_start_matches([',', ' ', '\n']);
            if pattern.starts_with("/{tenant}")
                && !pattern.starts_with("/{tenant}/admin")
                && after.starts_with("get(")
            {
                found.push((pattern.to_owned(), p.display().to_string()));
            }
        }
    }
    found
}

/// Whether a concrete path (no query) fits a route pattern: `{x}` is one
/// segment.
fn fits(pattern: &str, path: &str) -> bool {
    let (p, s): (Vec<&str>, Vec<&str>) = (pattern.split('/').collect(), path.split('/').collect());
    p.len() == s.len()
        && p.iter()
            .zip(&s)
            .all(|(a, b)| (a.starts_with('{') && !b.is_empty()) || a == b)
}

#[test]
fn the_table_above_covers_every_route_that_reads_the_plan() {
    let routes = tenant_get_routes();
    assert!(routes.len() >= 12, "routes found: {routes:?}");
    let table = routes_table_paths();
    let missing: Vec<String> = routes
        .iter()
        .filter(|(pattern, _)| !table.iter().any(|path| fits(pattern, path)))
        .map(|(pattern, file)| format!("{pattern} ({file})"))
        .collect();
    assert!(
        missing.is_empty(),
        "add these routes to routes() so the leak table tries them:\n{}",
        missing.join("\n")
    );
}

fn routes_table_paths() -> Vec<String> {
    routes()
        .into_iter()
        .map(|r| r.split('?').next().unwrap_or_default().to_owned())
        .collect()
}
