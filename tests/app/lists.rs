//! The organization-wide lists at scale: the cascade's progress (by
//! department once the organization is large), "My approvals" (only what
//! waits for the viewer) and `report.json` (a page of WhyGOs at a time).
//! Each test grows the demo by 300 people with a submitted individual WhyGO
//! each, and checks the content and that the statements do not grow.

use std::collections::BTreeSet;

use chrono::NaiveDate;

use crate::common::{TestDb, demo_db, signed_in};
use crate::pages::queries_per_page_as;

const AS_OF: &str = "2026-11-21";
const EXTRA: usize = 300;

/// 300 more people in Production: the first 150 report to Wayan, each of
/// the others to one of the first 150. Each has an individual WhyGO,
/// submitted, laddering to Production's first WhyGO, with two outcomes they
/// own and three quarters of actuals. Production gets 120 more department
/// WhyGOs, approved, each with an outcome; each of the first 150 people a
/// second individual WhyGO, approved, laddering to one of them, so
/// department WhyGOs with a cascade pace come after the first page of
/// `report.json`.
async fn grow(db: &TestDb) {
    for sql in [
        "insert into people (tenant_id, id, key, name, title, department_id, reports_to_id)
         select t.id, gen_random_uuid(), 'extra' || i, 'Extra Person ' || i, 'Producer', d.id,
                (select id from people where key = 'wayan')
         from tenants t, departments d, generate_series(1, 150) i
         where t.slug = 'kartel' and d.key = 'production'",
        "insert into people (tenant_id, id, key, name, title, department_id, reports_to_id)
         select t.id, gen_random_uuid(), 'extra' || i, 'Extra Person ' || i, 'Associate', d.id,
                (select id from people where key = 'extra' || (i - 150))
         from tenants t, departments d, generate_series(151, 300) i
         where t.slug = 'kartel' and d.key = 'production'",
        "insert into whygos (tenant_id, id, cycle_id, key, level, person_id, owner_id, number, title, why, goal, status)
         select p.tenant_id, gen_random_uuid(), (select w.cycle_id from whygos w where w.key = 'production-1'),
                p.key || '-1', 'individual', p.id, p.id, 1, 'Plan of ' || p.name, 'Because', 'More', 'submitted'
         from people p where p.key like 'extra%'",
        "insert into whygo_links (tenant_id, child_id, parent_id, is_primary)
         select w.tenant_id, w.id, (select id from whygos where key = 'production-1'), true
         from whygos w where w.key like 'extra%'",
        "insert into outcomes (tenant_id, id, whygo_id, key, name, targets, position)
         select w.tenant_id, gen_random_uuid(), w.id, w.key || '-o' || n, 'Outcome ' || n || ' of ' || w.key,
                array['2', '4', '6', '8'], n
         from whygos w, generate_series(1, 2) n where w.key like 'extra%'",
        "insert into outcome_owners (tenant_id, outcome_id, person_id)
         select o.tenant_id, o.id, w.person_id
         from outcomes o join whygos w on w.tenant_id = o.tenant_id and w.id = o.whygo_id
         where w.key like 'extra%'",
        "insert into whygos (tenant_id, id, cycle_id, key, level, department_id, owner_id, number, title, status)
         select w.tenant_id, gen_random_uuid(), w.cycle_id, 'dept-extra' || k, 'department', w.department_id,
                w.owner_id, 10 + k, 'Extra department WhyGO ' || k, 'approved'
         from whygos w, generate_series(1, 120) k where w.key = 'production-1'",
        "insert into whygos (tenant_id, id, cycle_id, key, level, person_id, owner_id, number, title, why, goal, status)
         select p.tenant_id, gen_random_uuid(), (select w.cycle_id from whygos w where w.key = 'production-1'),
                p.key || '-2', 'individual', p.id, p.id, 2, 'Second plan of ' || p.name, 'Because', 'More', 'approved'
         from people p where p.key ~ '^extra[0-9]+$' and substring(p.key from 6)::int <= 150",
        "insert into whygo_links (tenant_id, child_id, parent_id, is_primary)
         select w.tenant_id, w.id,
                (select id from whygos where key = 'dept-extra' || (substring(w.key from 6 for length(w.key) - 7)::int % 120 + 1)),
                true
         from whygos w where w.key ~ '^extra[0-9]+-2$'",
        "insert into outcomes (tenant_id, id, whygo_id, key, name, targets)
         select w.tenant_id, gen_random_uuid(), w.id, w.key || '-o', 'Outcome of ' || w.key, array['2', '4', '6', '8']
         from whygos w where w.key like 'dept-extra%' or w.key ~ '^extra[0-9]+-2$'",
        "insert into outcome_owners (tenant_id, outcome_id, person_id)
         select o.tenant_id, o.id, coalesce(w.person_id, w.owner_id)
         from outcomes o join whygos w on w.tenant_id = o.tenant_id and w.id = o.whygo_id
         where w.key like 'dept-extra%' or w.key ~ '^extra[0-9]+-2$'",
        "insert into actuals (tenant_id, id, outcome_id, quarter, value, entered_on)
         select o.tenant_id, gen_random_uuid(), o.id, q, (q * 2 - (abs(hashtext(o.key)) % 3))::text,
                make_date(2026, q * 3, 20)
         from outcomes o, generate_series(1, 4) q
         where o.key like 'extra%' or o.key like 'dept-extra%'",
    ] {
        sqlx::query(sql).execute(&db.pool).await.expect(sql);
    }
}

/// The keys of the proposals an approvals page lists.
fn proposals(body: &str) -> BTreeSet<String> {
    body.split("id=\"proposal-")
        .skip(1)
        .filter_map(|s| s.split('"').next())
        .map(str::to_owned)
        .collect()
}

/// Every page of `who`'s approvals, joined: the list is paged (20 a page),
/// so the pages are followed through their "next" links.
async fn approvals_pages(db: &TestDb, who: &str) -> String {
    let mut client = signed_in(db, who).await;
    let mut path = "/kartel/approvals".to_owned();
    let mut all = String::new();
    for _ in 0..100 {
        let page = client.get(&path).await;
        page.expect_status(200);
        all.push_str(&page.body);
        let next = page
            .body
            .split("\" rel=\"next\"")
            .next()
            .filter(|before| before.len() < page.body.len())
            .and_then(|before| before.rsplit("href=\"").next())
            .map(|href| href.replace("&amp;", "&"));
        match next {
            Some(href) => path = href,
            None => return all,
        }
    }
    panic!("{who}'s approvals: more than 100 pages");
}

/// What the permission table says `who` may approve: the submitted
/// individual WhyGOs of the plan whose owner they manage.
async fn approvable(db: &TestDb, who: &str) -> BTreeSet<String> {
    use whygo::domain::permissions::{Action, Actor, Role, can};
    use whygo::domain::plan::{Approval, Level};
    let tenant = whygo::db::plan::tenant_by_slug(&db.app_pool, "kartel")
        .await
        .expect("query")
        .expect("kartel");
    // The approvals page reads the plan of "today" (the tests' pinned day).
    let today = NaiveDate::from_ymd_opt(2026, 11, 21).expect("date");
    let plan = whygo::db::plan::load(&db.app_pool, &tenant, today)
        .await
        .expect("plan");
    let org = plan.org();
    let actor = Actor {
        role: Role::Member,
        person: Some(who.to_owned()),
    };
    plan.whygos
        .iter()
        .filter(|w| w.level == Level::Individual && w.status == Approval::Submitted)
        .filter(|w| {
            w.person
                .as_deref()
                .is_some_and(|owner| can(&actor, Action::ApproveIndividual { owner }, &org))
        })
        .map(|w| w.key.clone())
        .collect()
}

#[tokio::test]
async fn my_approvals_lists_exactly_what_the_permission_table_lets_me_approve() {
    let small = demo_db().await;
    let big = demo_db().await;
    grow(&big).await;
    for db in [&small, &big] {
        for who in ["kevin", "luke", "wayan", "fill", "trent", "zac"] {
            let pages = approvals_pages(db, who).await;
            assert_eq!(
                proposals(&pages),
                approvable(db, who).await,
                "{who}'s approvals"
            );
        }
    }
    // Wayan manages all 300, 150 of them through another extra person.
    let wayan = approvals_pages(&big, "wayan").await;
    assert_eq!(proposals(&wayan).len(), EXTRA);
    let one = wayan
        .split("id=\"proposal-extra151-1\"")
        .nth(1)
        .and_then(|s| s.split("</article>").next())
        .expect("extra151's proposal");
    for shown in [
        "Plan of Extra Person 151",
        "Extra Person 151, Associate",
        "reports to Extra Person 1",
        "Outcome 1 of extra151-1",
        "Outcome 2 of extra151-1",
        "/kartel/whygos/production-1\">#1 ",
    ] {
        assert!(one.contains(shown), "{shown} in {one}");
    }
    // Luke (above Wayan) sees them too; Fill (elsewhere) does not.
    let luke = approvals_pages(&big, "luke").await;
    assert!(proposals(&luke).contains("extra300-1"));
    let fill = signed_in(&big, "fill").await.get("/kartel/approvals").await;
    assert!(!fill.body.contains("extra"));
}

#[tokio::test]
async fn my_approvals_cost_the_same_statements_with_300_more_proposals() {
    let paths = ["/kartel/approvals"];
    let small = demo_db().await;
    let big = demo_db().await;
    grow(&big).await;
    for who in ["wayan", "luke", "kevin"] {
        let before = queries_per_page_as(&small, who, &paths).await;
        let after = queries_per_page_as(&big, who, &paths).await;
        assert_eq!(before, after, "{who}'s approvals, small vs large");
        // The session and the membership (5), then one transaction.
        assert!(before[0] <= 15, "{who}: {before:?}");
    }
}

#[tokio::test]
async fn a_large_organizations_cascade_lists_departments_and_each_departments_people_apart() {
    let db = demo_db().await;
    grow(&db).await;
    let mut kevin = signed_in(&db, "kevin").await;
    let whole = kevin.get(&format!("/kartel/cascade?as_of={AS_OF}")).await;
    whole.expect_status(200);
    assert!(
        whole.body.contains("too many for one page"),
        "{}",
        whole.body
    );
    // Counts for everyone, no person's line.
    assert!(!whole.body.contains("Extra Person"));
    assert!(!whole.body.contains("class=\"cascade-people\""));
    assert!(
        whole
            .body
            .contains("Leading the company and department WhyGOs")
    );
    let production = format!("/kartel/cascade?as_of={AS_OF}&#38;department=production");
    assert!(
        whole.body.contains(&production),
        "a link to Production's people"
    );
    let row = |body: &str| -> String {
        let at = body.find(">Production</a></th>").expect("Production's row");
        let rest = &body[at..];
        rest[..rest.find("</tr>").unwrap_or(rest.len())].to_owned()
    };
    // 300 extra people and four of the demo's (Wayan heads it); the first
    // 150 extra ones have an approved WhyGO.
    let summary = row(&whole.body);
    assert!(summary.contains("(150 of 304)"), "{summary}");

    let dept = kevin
        .get(&format!(
            "/kartel/cascade?as_of={AS_OF}&department=production"
        ))
        .await;
    dept.expect_status(200);
    assert!(dept.body.contains("People of Production only"));
    assert_eq!(dept.body.matches("<tr class=\"state-").count(), 304);
    assert!(dept.body.contains("Extra Person 300"));
    assert!(
        dept.body.contains("Plan of Extra Person 300"),
        "a leader sees the titles"
    );
    assert!(
        !dept.body.contains("Trent Hunter"),
        "Generative is not listed"
    );
    assert_eq!(row(&dept.body), summary, "the same counts on both pages");

    // A member who may not see them gets states and counts, not titles.
    let mut trent = signed_in(&db, "trent").await;
    let dept = trent
        .get(&format!(
            "/kartel/cascade?as_of={AS_OF}&department=production"
        ))
        .await;
    dept.expect_status(200);
    assert!(dept.body.contains("Extra Person 300"));
    assert!(!dept.body.contains("Plan of Extra Person"));
    assert!(dept.body.contains("1 submitted"));

    kevin
        .get(&format!("/kartel/cascade?as_of={AS_OF}&department=nowhere"))
        .await
        .expect_status(404);
}

#[tokio::test]
async fn the_demos_cascade_still_lists_everyone_on_one_page() {
    let db = demo_db().await;
    let page = signed_in(&db, "kevin")
        .await
        .get(&format!("/kartel/cascade?as_of={AS_OF}"))
        .await;
    page.expect_status(200);
    assert!(!page.body.contains("too many for one page"));
    assert!(
        page.body
            .contains("<a href=\"#cascade-production\">People</a>")
    );
    for name in ["Trent Hunter", "Veronica Diaz", "Matthias"] {
        assert!(page.body.contains(name), "{name}");
    }
}

#[tokio::test]
async fn the_cascade_costs_the_same_statements_whatever_the_size() {
    let paths = [
        "/kartel/cascade?as_of=2026-11-21",
        "/kartel/cascade?as_of=2026-11-21&department=production",
        "/kartel/cascade?as_of=2026-11-21&department=generative",
    ];
    let small = demo_db().await;
    let big = demo_db().await;
    grow(&big).await;
    let before = queries_per_page_as(&small, "kevin", &paths).await;
    let after = queries_per_page_as(&big, "kevin", &paths).await;
    assert_eq!(before, after, "{paths:?}");
}

/// The WhyGOs of the whole report in Q4 as of `AS_OF`, as a leader sees
/// them (all), from the domain.
/// The whole report's WhyGOs and its escalation, needs-attention and
/// missing lists, as JSON.
async fn whole_report_lists(db: &TestDb) -> (Vec<serde_json::Value>, [Vec<serde_json::Value>; 3]) {
    let as_of = NaiveDate::parse_from_str(AS_OF, "%Y-%m-%d").expect("date");
    let tenant = whygo::db::plan::tenant_by_slug(&db.app_pool, "kartel")
        .await
        .expect("query")
        .expect("kartel");
    let plan = whygo::db::plan::load(&db.app_pool, &tenant, as_of)
        .await
        .expect("plan");
    let quarter = whygo::domain::calendar::Quarter::new(4).expect("Q4");
    let r = whygo::domain::report::build_for(&plan, as_of, quarter);
    // Through text, as the pages come: serde_json reads some floats back
    // one unit in the last place off (no `float_roundtrip`).
    fn values<T: serde::Serialize>(items: &[T]) -> Vec<serde_json::Value> {
        items
            .iter()
            .map(|w| json(&serde_json::to_string(w).expect("json")))
            .collect()
    }
    (
        values(&r.whygos),
        [
            values(&r.escalations),
            values(&r.needs_attention),
            values(&r.missing),
        ],
    )
}

fn json(body: &str) -> serde_json::Value {
    serde_json::from_str(body).unwrap_or_else(|e| panic!("{e}: {body}"))
}

#[tokio::test]
async fn report_json_comes_a_page_of_whygos_at_a_time() {
    let db = demo_db().await;
    grow(&db).await;
    let mut kevin = signed_in(&db, "kevin").await;
    let first = kevin
        .get(&format!("/kartel/report.json?as_of={AS_OF}&quarter=4"))
        .await;
    first.expect_status(200);
    let p1 = json(&first.body);
    // The demo's 20 WhyGOs and the 570 extra ones, 100 a page.
    assert_eq!(p1["page"], 1);
    assert_eq!(p1["pages"], 6);
    assert_eq!(p1["per_page"], 100);
    assert_eq!(p1["total_whygos"], 590);
    assert_eq!(p1["whygos"].as_array().map(Vec::len), Some(100));
    assert_eq!(p1["previous"], serde_json::Value::Null);
    let next = format!("/kartel/report.json?as_of={AS_OF}&quarter=4&page=2");
    assert_eq!(p1["next"], next.as_str());
    assert_eq!(
        first.headers.get("link").and_then(|v| v.to_str().ok()),
        Some(format!("<{next}>; rel=\"next\"").as_str())
    );
    // Page 1 keeps the whole report's fields, in full.
    for field in [
        "company",
        "whole_plan",
        "departments",
        "escalations",
        "needs_attention",
        "missing",
    ] {
        assert!(!p1[field].is_null(), "{field} on page 1");
    }
    assert_eq!(p1["quarter"], 4);

    // Following `next` to the end gives every WhyGO and every entry of the
    // three lists once, in order, each exactly as in the whole report.
    let lists = ["escalations", "needs_attention", "missing"];
    let mut all: Vec<serde_json::Value> = Vec::new();
    let mut listed: [Vec<serde_json::Value>; 3] = Default::default();
    let mut page = p1;
    let mut n = 1;
    loop {
        all.extend(page["whygos"].as_array().expect("whygos").iter().cloned());
        for (i, list) in lists.iter().enumerate() {
            let entries = page[*list].as_array().expect("a list on every page");
            assert!(entries.len() <= 100, "{list} on page {n}");
            listed[i].extend(entries.iter().cloned());
        }
        let Some(next) = page["next"].as_str().map(str::to_owned) else {
            break;
        };
        let res = kevin.get(&next).await;
        res.expect_status(200);
        page = json(&res.body);
        n += 1;
        assert_eq!(page["page"], n);
        assert!(page["company"].is_null() && page["departments"].is_null());
        assert_eq!(page["as_of"], AS_OF);
        assert_eq!(page["quarter"], 4);
        let prev = format!("/kartel/report.json?as_of={AS_OF}&quarter=4&page={}", n - 1);
        assert_eq!(page["previous"], prev.as_str());
        let link = res
            .headers
            .get("link")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default();
        assert!(link.contains(&format!("<{prev}>; rel=\"prev\"")), "{link}");
        assert_eq!(link.contains("rel=\"next\""), n < 6, "{link}");
    }
    assert_eq!(n, 6);
    assert_eq!(page["whygos"].as_array().map(Vec::len), Some(90));
    let (whole, whole_lists) = whole_report_lists(&db).await;
    assert_eq!(all.len(), whole.len());
    for (i, (paged, whole)) in all.iter().zip(&whole).enumerate() {
        assert_eq!(paged, whole, "WhyGO {i}");
    }
    for (i, list) in lists.iter().enumerate() {
        assert_eq!(listed[i], whole_lists[i], "{list}");
        assert_eq!(
            page[format!("{list}_total").as_str()].as_u64(),
            Some(whole_lists[i].len() as u64)
        );
    }
    // Department WhyGOs with a cascade pace are on page 2 too.
    assert!(
        all[100..200]
            .iter()
            .any(|w| w["cascade"]["whygos"].as_u64() > Some(0))
    );

    // After the last page: 404; not a page: 400; both say why, in JSON.
    let past = kevin
        .get(&format!("/kartel/report.json?as_of={AS_OF}&page=7"))
        .await;
    past.expect_status(404);
    assert!(
        json(&past.body)["error"]
            .as_str()
            .is_some_and(|e| e.contains("6 pages"))
    );
    for bad in ["0", "-1", "two", "1.5"] {
        let res = kevin.get(&format!("/kartel/report.json?page={bad}")).await;
        res.expect_status(400);
        let message = json(&res.body)["error"]
            .as_str()
            .unwrap_or_default()
            .to_owned();
        assert!(message.contains("numbered from 1"), "{bad}: {message}");
    }
    let res = kevin.get("/kartel/report.json?quarter=Q7").await;
    res.expect_status(400);
    assert!(
        json(&res.body)["error"]
            .as_str()
            .is_some_and(|e| e.contains("Q1 to Q4"))
    );
}

#[tokio::test]
async fn the_demos_report_json_is_one_page() {
    let db = demo_db().await;
    let res = signed_in(&db, "kevin")
        .await
        .get(&format!("/kartel/report.json?as_of={AS_OF}"))
        .await;
    res.expect_status(200);
    let r = json(&res.body);
    assert_eq!(
        (r["page"].clone(), r["pages"].clone()),
        (1.into(), 1.into())
    );
    assert_eq!(r["next"], serde_json::Value::Null);
    assert!(res.headers.get("link").is_none());
    assert_eq!(
        r["whygos"].as_array().map(Vec::len),
        r["total_whygos"].as_u64().map(|n| n as usize)
    );
}

#[tokio::test]
async fn report_json_costs_the_same_statements_on_every_page_whatever_the_size() {
    let small = demo_db().await;
    let big = demo_db().await;
    grow(&big).await;
    let first = format!("/kartel/report.json?as_of={AS_OF}");
    let before = queries_per_page_as(&small, "kevin", &[first.as_str()]).await;
    let pages = [
        first.clone(),
        format!("/kartel/report.json?as_of={AS_OF}&page=2"),
        format!("/kartel/report.json?as_of={AS_OF}&page=4"),
    ];
    let paths: Vec<&str> = pages.iter().map(String::as_str).collect();
    let after = queries_per_page_as(&big, "kevin", &paths).await;
    assert_eq!(before[0], after[0], "page 1, small vs large");
    // Later pages of the same report come from the cached plan.
    assert!(after[1] <= after[0] && after[2] == after[1], "{after:?}");
}
