//! The alignment tree and the org chart open collapsed below the department
//! level: each node counts what is beneath it and links to the same page with
//! that node open (`?open=KEY`), so both stay small whatever the size of the
//! organization and work without JavaScript.

use crate::common::{Client, TestDb, demo_db, signed_in};

const AS_OF: &str = "2026-11-21";

/// Adds `n` approved individual WhyGOs of Veronica's laddering to
/// `production-1`, each with one outcome: the even ones checked in for Q4
/// (on pace), the odd ones not (needs check-in).
async fn add_individual_whygos(db: &TestDb, n: i32) {
    sqlx::query(
        "insert into whygos (tenant_id, id, cycle_id, key, level, department_id, person_id, owner_id, title, status)
         select p.tenant_id, gen_random_uuid(), (select id from cycles limit 1), 'extra-' || i, 'individual',
                p.department_id, p.id, p.id, 'Extra individual WhyGO ' || i, 'approved'
         from people p, generate_series(1, $1) i where p.key = 'veronica'",
    )
    .bind(n)
    .execute(&db.pool)
    .await
    .expect("whygos");
    sqlx::query(
        "insert into whygo_links (tenant_id, child_id, parent_id, is_primary)
         select c.tenant_id, c.id, p.id, true
         from whygos c, whygos p where c.key like 'extra-%' and p.key = 'production-1'",
    )
    .execute(&db.pool)
    .await
    .expect("links");
    sqlx::query(
        "insert into outcomes (tenant_id, id, whygo_id, key, name, targets)
         select w.tenant_id, gen_random_uuid(), w.id, 'o-' || w.key, 'Extra outcome', array['2', '4', '6', '8']
         from whygos w where w.key like 'extra-%'",
    )
    .execute(&db.pool)
    .await
    .expect("outcomes");
    sqlx::query(
        "insert into actuals (tenant_id, id, outcome_id, quarter, value, entered_on)
         select o.tenant_id, gen_random_uuid(), o.id, q, (q * 2)::text, make_date(2026, q * 3, 20)
         from outcomes o, generate_series(1, 3) q where o.key like 'o-extra-%'",
    )
    .execute(&db.pool)
    .await
    .expect("actuals");
    sqlx::query(
        "insert into actuals (tenant_id, id, outcome_id, quarter, value, entered_on)
         select o.tenant_id, gen_random_uuid(), o.id, 4, '8', date '2026-11-20'
         from outcomes o where o.key like 'o-extra-%' and substring(o.key from 9)::int % 2 = 0",
    )
    .execute(&db.pool)
    .await
    .expect("actuals");
}

/// The target of the link whose text starts with `text` (as the page
/// writes it, HTML-escaped), as a path to GET.
fn href_of(body: &str, text: &str) -> String {
    let at = body
        .find(&format!("\">{text}"))
        .unwrap_or_else(|| panic!("no link {text:?} in:\n{body}"));
    let start = body[..at]
        .rfind("href=\"")
        .unwrap_or_else(|| panic!("no href before {text:?}"))
        + "href=\"".len();
    body[start..at].replace("&#38;", "&")
}

async fn get_ok(c: &mut Client, path: &str) -> String {
    let page = c.get(path).await;
    page.expect_status(200);
    page.body
}

#[tokio::test]
async fn the_alignment_tree_counts_what_ladders_to_a_department_whygo_and_opens_it_on_request() {
    let db = demo_db().await;
    let mut kevin = signed_in(&db, "kevin").await;
    let tree = get_ok(&mut kevin, &format!("/kartel/alignment?as_of={AS_OF}")).await;
    // Company and department WhyGOs as before.
    assert!(tree.contains("#1 Product-Market Fit Across Verticals"));
    assert!(tree.contains("#1 Role Definition &#38; Scale Readiness"));
    // Trent's (submitted) and Brandon's (draft) WhyGOs both ladder to
    // generative-1: counted there, not listed.
    assert!(
        tree.contains("2 individual WhyGOs ladder here: <span class=\"counts\">0 [+] on pace · 0 [~] slightly off pace · 0 [-] off pace · 0 needs check-in · 2 not scored</span>."),
        "{tree}"
    );
    assert!(!tree.contains("Workflow Engineer Playbook and Batch Tooling"));
    assert!(!tree.contains("/kartel/whygos/trent-1"));
    let open = href_of(
        &tree,
        "Show the 2 individual WhyGOs under #1 Role Definition &#38; Scale Readiness",
    );
    assert_eq!(
        open,
        format!("/kartel/alignment?as_of={AS_OF}&open=generative-1")
    );

    // Following the link lists them under generative-1, as the tree did.
    let opened = get_ok(&mut kevin, &open).await;
    for text in [
        "<a href=\"/kartel/whygos/trent-1?as_of=2026-11-21\">#1 Workflow Engineer Playbook and Batch Tooling</a> <span class=\"muted\">— · Trent Hunter</span>",
        // Brandon's ladders to generative-2 first.
        "<a href=\"/kartel/whygos/brandon-1?as_of=2026-11-21\">#1 Clean Data, Evaluated Models</a> <span class=\"muted\">— · Brandon Valedez · secondary link</span>",
        "<span class=\"badge\">submitted</span>",
        "<span class=\"badge\">draft</span>",
    ] {
        assert!(opened.contains(text), "{text:?} in:\n{opened}");
    }
    // Only that node is open; its link now folds it again.
    let back = href_of(
        &opened,
        "Hide the 2 individual WhyGOs under #1 Role Definition &#38; Scale Readiness",
    );
    assert_eq!(back, format!("/kartel/alignment?as_of={AS_OF}"));
    assert!(opened.contains("Show 1 individual WhyGO under #2 Technical Excellence"));
    // generative-1 sits under two company WhyGOs: open in both places.
    assert_eq!(
        opened.matches("/kartel/whygos/trent-1?").count(),
        2,
        "{opened}"
    );
}

#[tokio::test]
async fn the_counts_on_a_department_whygo_give_each_pace_in_words() {
    let db = demo_db().await;
    add_individual_whygos(&db, 20).await;
    let mut kevin = signed_in(&db, "kevin").await;
    let tree = get_ok(&mut kevin, &format!("/kartel/alignment?as_of={AS_OF}")).await;
    assert!(
        tree.contains("20 individual WhyGOs ladder here: <span class=\"counts\">10 [+] on pace · 0 [~] slightly off pace · 0 [-] off pace · 10 needs check-in</span>."),
        "{tree}"
    );
    assert!(!tree.contains("Extra individual WhyGO"));
    let opened = get_ok(
        &mut kevin,
        &href_of(
            &tree,
            "Show the 20 individual WhyGOs under #1 Scale Through Disciplined Handoffs",
        ),
    )
    .await;
    for i in 1..=20 {
        assert!(
            opened.contains(&format!(
                "/kartel/whygos/extra-{i}?as_of=2026-11-21\">Extra individual WhyGO {i}</a>"
            )),
            "extra-{i}"
        );
    }
    // Each listed with its own status, as text.
    assert_eq!(
        opened
            .matches(
                "title=\"needs check-in\">needs check-in</span> <a href=\"/kartel/whygos/extra-"
            )
            .count(),
        // production-1 is under two company WhyGOs.
        2 * 10
    );
}

#[tokio::test]
async fn individual_whygos_laddering_straight_to_a_company_whygo_are_counted_on_it() {
    let db = demo_db().await;
    sqlx::query(
        "insert into whygos (tenant_id, id, cycle_id, key, level, department_id, person_id, owner_id, title, status)
         select p.tenant_id, gen_random_uuid(), (select id from cycles limit 1), 'noah-1', 'individual',
                p.department_id, p.id, p.id, 'Shadow Every Client Shoot', 'submitted'
         from people p where p.key = 'noah'",
    )
    .execute(&db.pool)
    .await
    .expect("whygo");
    sqlx::query(
        "insert into whygo_links (tenant_id, child_id, parent_id, is_primary)
         select c.tenant_id, c.id, p.id, true
         from whygos c, whygos p where c.key = 'noah-1' and p.key = 'company-3'",
    )
    .execute(&db.pool)
    .await
    .expect("link");
    let mut kevin = signed_in(&db, "kevin").await;
    let tree = get_ok(&mut kevin, &format!("/kartel/alignment?as_of={AS_OF}")).await;
    assert!(
        tree.contains("1 individual WhyGO ladders here: <span class=\"counts\">0 [+] on pace · 0 [~] slightly off pace · 0 [-] off pace · 0 needs check-in · 1 not scored</span>."),
        "{tree}"
    );
    assert!(!tree.contains("Shadow Every Client Shoot"));
    let opened = get_ok(
        &mut kevin,
        &href_of(&tree, "Show 1 individual WhyGO under #3 Talent Engine"),
    )
    .await;
    assert!(opened.contains(
        "<a href=\"/kartel/whygos/noah-1?as_of=2026-11-21\">Shadow Every Client Shoot</a> <span class=\"muted\">— · Noah Shields</span>"
    ), "{opened}");
    // The department WhyGOs under company-3 are still there, still folded.
    assert!(opened.contains("#1 Role Definition &#38; Scale Readiness"));
    assert!(!opened.contains("Workflow Engineer Playbook and Batch Tooling"));
}

#[tokio::test]
async fn the_open_link_keeps_the_date_and_quarter_of_the_page() {
    let db = demo_db().await;
    let mut kevin = signed_in(&db, "kevin").await;
    let tree = get_ok(
        &mut kevin,
        &format!("/kartel/alignment?as_of={AS_OF}&quarter=3"),
    )
    .await;
    let open = href_of(
        &tree,
        "Show the 2 individual WhyGOs under #1 Role Definition &#38; Scale Readiness",
    );
    assert_eq!(
        open,
        format!("/kartel/alignment?as_of={AS_OF}&quarter=3&open=generative-1")
    );
    let opened = get_ok(&mut kevin, &open).await;
    assert!(opened.contains("Q3 FY2026"));
    assert!(opened.contains("/kartel/whygos/trent-1?as_of=2026-11-21&#38;quarter=3"));
    let chart = get_ok(&mut kevin, &format!("/kartel/org?as_of={AS_OF}&quarter=3")).await;
    assert_eq!(
        href_of(&chart, "Show the 3 direct reports of Wayan Palmieri"),
        format!("/kartel/org?as_of={AS_OF}&quarter=3&open=wayan")
    );
}

#[tokio::test]
async fn opening_an_unknown_or_hidden_key_is_not_found() {
    let db = demo_db().await;
    let mut kevin = signed_in(&db, "kevin").await;
    for path in [
        "/kartel/alignment?open=nope",
        "/kartel/alignment?open=GENERATIVE-1",
        // An individual WhyGO opens nothing: its page is /whygos/KEY.
        "/kartel/alignment?open=trent-1",
        "/kartel/org?open=nope",
        "/kartel/org?open=generative-1",
    ] {
        kevin.get(path).await.expect_status(404);
    }
    // An empty `open` is no `open`.
    kevin
        .get("/kartel/alignment?open=")
        .await
        .expect_status(200);
    kevin.get("/kartel/org?open=").await.expect_status(200);
}

#[tokio::test]
async fn opening_a_node_shows_no_individual_whygo_its_viewer_may_not_see() {
    let db = demo_db().await;
    // Wayan heads Production: Trent's and Brandon's WhyGOs are not his to see.
    let mut wayan = signed_in(&db, "wayan").await;
    wayan
        .get(&format!("/kartel/alignment?as_of={AS_OF}&open=trent-1"))
        .await
        .expect_status(404);
    let tree = get_ok(&mut wayan, &format!("/kartel/alignment?as_of={AS_OF}")).await;
    // Nothing he may see ladders to generative-1: no count, no link.
    assert!(!tree.contains("open=generative-1"), "{tree}");
    assert!(!tree.contains("individual WhyGOs ladder here"), "{tree}");
    for key in ["generative-1", "generative-2", "generative-3"] {
        let opened = get_ok(
            &mut wayan,
            &format!("/kartel/alignment?as_of={AS_OF}&open={key}"),
        )
        .await;
        for secret in [
            "trent-1",
            "Workflow Engineer Playbook and Batch Tooling",
            "brandon-1",
            "Clean Data, Evaluated Models",
        ] {
            assert!(!opened.contains(secret), "open={key} shows {secret:?}");
        }
    }
    // Fill, their manager, sees them counted and listed.
    let mut fill = signed_in(&db, "fill").await;
    let tree = get_ok(&mut fill, &format!("/kartel/alignment?as_of={AS_OF}")).await;
    let opened = get_ok(
        &mut fill,
        &href_of(
            &tree,
            "Show the 2 individual WhyGOs under #1 Role Definition &#38; Scale Readiness",
        ),
    )
    .await;
    assert!(opened.contains("Workflow Engineer Playbook and Batch Tooling"));
}

#[tokio::test]
async fn the_org_chart_shows_people_down_to_the_department_heads_and_opens_their_reports() {
    let db = demo_db().await;
    let mut kevin = signed_in(&db, "kevin").await;
    let chart = get_ok(&mut kevin, &format!("/kartel/org?as_of={AS_OF}")).await;
    for head in [
        "Kevin Reilly",
        "Luke Peterson",
        "Ben Kusin",
        "Wayan Palmieri",
        "Fill Isgro",
        "Daniel Kalotov",
        "Niels Hoffmann",
        "Jerry Bellman",
    ] {
        assert!(chart.contains(head), "{head} in:\n{chart}");
    }
    for below in [
        "Veronica Diaz",
        "Noah Shields",
        "Trent Hunter",
        "Zac Bagley",
    ] {
        assert!(!chart.contains(below), "{below} is folded:\n{chart}");
    }
    assert!(chart.contains("4 people beneath"), "{chart}");
    let open = href_of(&chart, "Show the 3 direct reports of Wayan Palmieri");
    assert_eq!(open, format!("/kartel/org?as_of={AS_OF}&open=wayan"));

    // Wayan's direct reports, each with its own count and link.
    let opened = get_ok(&mut kevin, &open).await;
    for report in ["Veronica Diaz", "Estefania Guarderas", "Jason Goldwatch"] {
        assert!(opened.contains(report), "{report}");
    }
    assert!(!opened.contains("Noah Shields"));
    assert!(
        !opened.contains("Trent Hunter"),
        "only Wayan's reports open"
    );
    assert!(opened.contains("1 person beneath"));
    let deeper = get_ok(
        &mut kevin,
        &href_of(&opened, "Show the 1 direct report of Veronica Diaz"),
    )
    .await;
    assert!(deeper.contains(
        "<a href=\"/kartel/people/noah?as_of=2026-11-21\">Noah Shields</a> <span class=\"muted\">Associate Producer · Production</span>"
    ));
    // Wayan's reports stay open on the way down; each fold goes one level up.
    assert!(deeper.contains("Estefania Guarderas"));
    assert_eq!(
        href_of(&deeper, "Hide the 1 direct report of Veronica Diaz"),
        format!("/kartel/org?as_of={AS_OF}&open=wayan")
    );
}

#[tokio::test]
async fn the_org_chart_counts_the_pace_of_the_whygos_beneath_a_person() {
    let db = demo_db().await;
    add_individual_whygos(&db, 20).await;
    let mut kevin = signed_in(&db, "kevin").await;
    let chart = get_ok(&mut kevin, &format!("/kartel/org?as_of={AS_OF}")).await;
    // Veronica's 20 WhyGOs (one outcome each) are beneath Wayan.
    assert!(
        chart.contains("4 people beneath; the outcomes of their WhyGOs: <span class=\"counts\">10 [+] on pace · 0 [~] slightly off pace · 0 [-] off pace · 10 needs check-in</span>."),
        "{chart}"
    );
}

#[tokio::test]
async fn the_collapsed_alignment_tree_does_not_grow_with_the_individual_whygos() {
    let sizes = async |n: i32| {
        let db = demo_db().await;
        add_individual_whygos(&db, n).await;
        let mut kevin = signed_in(&db, "kevin").await;
        let tree = get_ok(&mut kevin, &format!("/kartel/alignment?as_of={AS_OF}")).await;
        let chart = get_ok(&mut kevin, &format!("/kartel/org?as_of={AS_OF}")).await;
        let opened = get_ok(
            &mut kevin,
            &format!("/kartel/alignment?as_of={AS_OF}&open=production-1"),
        )
        .await;
        (tree.len(), chart.len(), opened.len())
    };
    let (tree, chart, _) = sizes(0).await;
    let (tree_200, chart_200, opened_200) = sizes(200).await;
    // Only the counts and one more link (production-1 is under two company
    // WhyGOs) are new: a few hundred bytes, not 200 WhyGOs.
    assert!(
        tree_200 < tree + 1_000,
        "alignment: {tree} bytes, {tree_200} with 200 more individual WhyGOs"
    );
    assert!(
        chart_200 < chart + 500,
        "org chart: {chart} bytes, {chart_200} with 200 more individual WhyGOs"
    );
    // Opened, they are all there.
    assert!(
        opened_200 > tree_200 + 2 * 200 * 100,
        "opened: {opened_200} bytes"
    );
}

#[tokio::test]
async fn a_new_date_keeps_the_node_or_department_the_page_shows() {
    let db = crate::common::demo_db().await;
    let mut kevin = crate::common::signed_in(&db, "kevin").await;
    for (path, kept) in [
        (
            "/kartel/alignment?as_of=2026-11-21&open=production-1",
            "name=\"open\" value=\"production-1\"",
        ),
        (
            "/kartel/org?as_of=2026-11-21&open=wayan",
            "name=\"open\" value=\"wayan\"",
        ),
        (
            "/kartel/cascade?as_of=2026-11-21&department=production",
            "name=\"department\" value=\"production\"",
        ),
    ] {
        let page = kevin.get(path).await;
        page.expect_status(200);
        let form = page
            .body
            .split("class=\"asof-form\"")
            .nth(1)
            .and_then(|f| f.split("</form>").next())
            .unwrap_or_else(|| panic!("{path} has the as-of form"));
        assert!(
            form.contains(&format!("<input type=\"hidden\" {kept}>")),
            "{path}: {form}"
        );
    }
    // Without a node open, nothing is kept.
    let page = kevin.get("/kartel/alignment?as_of=2026-11-21").await;
    assert!(!page.body.contains("type=\"hidden\" name=\"open\""));
}
