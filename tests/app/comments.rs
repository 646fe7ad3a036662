//! Comments on the WhyGO page: posting (on the WhyGO or one of its outcomes),
//! validation next to the field, the visibility of an individual WhyGO's
//! comments, CSRF, and one query for the whole list.

use crate::common::{TestDb, demo_db, signed_in};

const PAGE: &str = "/kartel/whygos/production-1";
const POST: &str = "/kartel/whygos/production-1/comments";

async fn comments(db: &TestDb) -> (i64, i64) {
    let c = sqlx::query_scalar("select count(*) from comments")
        .fetch_one(&db.pool)
        .await
        .expect("count");
    let a = sqlx::query_scalar("select count(*) from audit_log where entity = 'comment'")
        .fetch_one(&db.pool)
        .await
        .expect("count");
    (c, a)
}

#[tokio::test]
async fn a_comment_is_posted_on_the_whygo_or_an_outcome_and_listed_with_its_author() {
    let db = demo_db().await;
    let mut kevin = signed_in(&db, "kevin").await;
    let page = kevin.get(PAGE).await;
    page.expect_status(200);
    assert!(page.body.contains("id=\"comments\""));
    assert!(page.body.contains("No comments yet."));
    assert!(page.body.contains(&format!("action=\"{POST}#comments\"")));
    assert!(
        page.body
            .contains("<option value=\"prod-active-clients\">Active client engagements</option>")
    );

    let res = kevin
        .post(
            POST,
            &[
                ("body", "  Great quarter so far.\nKeep going.  "),
                ("outcome", ""),
            ],
        )
        .await;
    res.expect_status(303);
    assert_eq!(
        res.location.as_deref(),
        Some("/kartel/whygos/production-1#comments")
    );
    let mut wayan = signed_in(&db, "wayan").await;
    wayan.get(PAGE).await.expect_status(200);
    wayan
        .post(
            POST,
            &[
                ("body", "Two pilots <b>signed</b> & one pending."),
                ("outcome", "prod-active-clients"),
            ],
        )
        .await
        .expect_status(303);
    assert_eq!(comments(&db).await, (2, 2));

    let page = kevin.get(PAGE).await;
    page.expect_status(200);
    assert!(page.body.contains("Comments (2)"));
    assert!(
        page.body.contains("Great quarter so far.\nKeep going.</p>"),
        "stored trimmed"
    );
    assert!(page.body.contains("Kevin Reilly"));
    assert!(page.body.contains("Wayan Palmieri</a>"));
    assert!(
        page.body
            .contains("on the outcome <em>Active client engagements</em>")
    );
    assert!(
        page.body
            .contains("Two pilots &#60;b&#62;signed&#60;/b&#62; &#38; one pending."),
        "escaped"
    );
    // Oldest first.
    let first = page.body.find("Great quarter").expect("first");
    let second = page.body.find("Two pilots").expect("second");
    assert!(first < second);

    let author: String = sqlx::query_scalar(
        "select p.key from comments c join people p on p.id = c.author_id
         join outcomes o on o.id = c.outcome_id where o.key = 'prod-active-clients'",
    )
    .fetch_one(&db.pool)
    .await
    .expect("the outcome comment");
    assert_eq!(author, "wayan");
    let audit: (String, String, serde_json::Value) = sqlx::query_as(
        "select action, entity_key, after from audit_log where entity = 'comment' order by seq desc limit 1",
    )
    .fetch_one(&db.pool)
    .await
    .expect("audit");
    assert_eq!(audit.0, "create");
    assert_eq!(audit.1, "production-1");
    assert_eq!(audit.2["outcome"], "prod-active-clients");
}

#[tokio::test]
async fn a_comment_as_of_a_date_comes_back_to_that_date() {
    let db = demo_db().await;
    let mut wayan = signed_in(&db, "wayan").await;
    let page = wayan.get(&format!("{PAGE}?as_of=2026-11-21")).await;
    assert!(
        page.body.contains(&format!(
            "action=\"{POST}?as_of=2026-11-21&#38;quarter=4#comments\""
        )) || page
            .body
            .contains(&format!("action=\"{POST}?as_of=2026-11-21#comments\""))
    );
    let res = wayan
        .post(
            &format!("{POST}?as_of=2026-11-21"),
            &[("body", "Replayed.")],
        )
        .await;
    res.expect_status(303);
    assert_eq!(
        res.location.as_deref(),
        Some("/kartel/whygos/production-1?as_of=2026-11-21#comments")
    );
}

#[tokio::test]
async fn an_empty_or_too_long_comment_is_explained_next_to_the_field_and_kept() {
    let db = demo_db().await;
    let mut wayan = signed_in(&db, "wayan").await;
    wayan.get(PAGE).await.expect_status(200);
    let before = comments(&db).await;

    let res = wayan
        .post(POST, &[("body", "  \n "), ("outcome", "")])
        .await;
    res.expect_status(422);
    assert!(
        res.body
            .contains("<p class=\"field-error\" id=\"body-error\">Write your comment first.</p>")
    );
    assert!(res.body.contains("Your comment was not posted"));
    assert!(
        res.body.contains("Scale Through Disciplined Handoffs"),
        "the WhyGO page again"
    );

    let long = "x".repeat(10_001);
    let res = wayan
        .post(
            POST,
            &[("body", long.as_str()), ("outcome", "prod-case-studies")],
        )
        .await;
    res.expect_status(422);
    assert!(
        res.body
            .contains("Keep it to 10,000 characters (this is 10001).")
    );
    assert!(
        res.body.contains(&format!(">{long}</textarea>")),
        "the text is kept"
    );
    assert!(
        res.body
            .contains("<option value=\"prod-case-studies\" selected>"),
        "the outcome chosen is kept"
    );

    // An outcome of another WhyGO.
    let res = wayan
        .post(POST, &[("body", "Hello"), ("outcome", "gen-labs-tools")])
        .await;
    res.expect_status(422);
    assert!(
        res.body.contains(
            "id=\"outcome-error\">Choose one of this WhyGO’s outcomes, or the whole WhyGO."
        )
    );
    assert!(res.body.contains(">Hello</textarea>"));

    // Exactly 10,000 characters (of any script) is fine.
    let max = "é".repeat(10_000);
    wayan
        .post(POST, &[("body", max.as_str())])
        .await
        .expect_status(303);
    assert_eq!(comments(&db).await, (before.0 + 1, before.1 + 1));
}

#[tokio::test]
async fn an_individual_whygos_comments_follow_its_visibility() {
    let db = demo_db().await;
    let page = "/kartel/whygos/trent-1";
    let post = "/kartel/whygos/trent-1/comments";

    let mut trent = signed_in(&db, "trent").await;
    trent.get(page).await.expect_status(200);
    trent
        .post(
            post,
            &[
                ("body", "Playbook draft is in review."),
                ("outcome", "trent-playbook"),
            ],
        )
        .await
        .expect_status(303);
    let mut kevin = signed_in(&db, "kevin").await;
    let seen = kevin.get(page).await;
    seen.expect_status(200);
    assert!(seen.body.contains("Playbook draft is in review."));
    kevin
        .post(post, &[("body", "Looks good, ship it.")])
        .await
        .expect_status(303);
    let seen = trent.get(page).await;
    assert!(seen.body.contains("Looks good, ship it."));
    assert_eq!(comments(&db).await.0, 2);

    // Wayan is not in Trent's chain: he can neither read nor post.
    let mut wayan = signed_in(&db, "wayan").await;
    let res = wayan.get(page).await;
    res.expect_status(404);
    assert!(!res.body.contains("Playbook draft"));
    wayan.get("/kartel").await.expect_status(200);
    let res = wayan.post(post, &[("body", "Let me in")]).await;
    res.expect_status(404);
    assert!(!res.body.contains("Playbook draft"));
    let res = wayan.post(post, &[("body", "")]).await;
    res.expect_status(404);
    assert_eq!(comments(&db).await.0, 2, "nothing was written");

    // Unknown WhyGOs are not found either.
    wayan
        .post("/kartel/whygos/nope/comments", &[("body", "Hi")])
        .await
        .expect_status(404);
}

#[tokio::test]
async fn a_comment_without_the_csrf_token_is_refused() {
    let db = demo_db().await;
    let mut wayan = signed_in(&db, "wayan").await;
    wayan.get(PAGE).await.expect_status(200);
    let res = wayan.post_raw(POST, &[("body", "no token")]).await;
    res.expect_status(403);
    assert_eq!(comments(&db).await, (0, 0));
}

#[tokio::test]
async fn an_account_linked_to_no_person_reads_but_cannot_post() {
    let db = demo_db().await;
    kevin_comments(&db).await;
    let mut guest = crate::common::member_without_person(&db, "guest@kartel.example").await;
    let page = guest.get(PAGE).await;
    page.expect_status(200);
    assert!(page.body.contains("First!"));
    assert!(page.body.contains("Your account is not linked to a person"));
    assert!(!page.body.contains(&format!("action=\"{POST}#comments\"")));
    guest
        .post(POST, &[("body", "anonymous")])
        .await
        .expect_status(403);
    assert_eq!(comments(&db).await.0, 1);
}

async fn kevin_comments(db: &TestDb) {
    let mut kevin = signed_in(db, "kevin").await;
    kevin.get(PAGE).await.expect_status(200);
    kevin
        .post(POST, &[("body", "First!")])
        .await
        .expect_status(303);
}

#[tokio::test]
async fn the_whygo_page_loads_all_its_comments_in_one_query() {
    let paths = ["/kartel/whygos/production-1?as_of=2026-11-21"];
    let few = demo_db().await;
    let before = crate::pages::queries_per_page(&few, &paths).await;
    // 200 comments spread over the WhyGO and each of its outcomes.
    let many = demo_db().await;
    sqlx::query(
        "insert into comments (tenant_id, id, whygo_id, outcome_id, author_id, body)
         select w.tenant_id, gen_random_uuid(), w.id, o.id, p.id, 'Comment ' || i
         from whygos w
         join people p on p.tenant_id = w.tenant_id and p.key = 'wayan'
         cross join generate_series(1, 200) i
         left join lateral (select id from outcomes where whygo_id = w.id order by key offset (i % 8) limit 1) o on true
         where w.key = 'production-1'",
    )
    .execute(&many.pool)
    .await
    .expect("comments");
    let after = crate::pages::queries_per_page(&many, &paths).await;
    assert_eq!(
        before, after,
        "queries for the WhyGO page, 0 vs 200 comments"
    );
    let mut kevin = signed_in(&many, "kevin").await;
    let page = kevin.get(paths[0]).await;
    assert!(page.body.contains("Comments (200)"));
}
