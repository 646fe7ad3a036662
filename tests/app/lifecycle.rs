//! The WhyGO lifecycle through HTTP: the individual cascade (propose, submit,
//! return with a comment, revise, resubmit, approve) with the pages following
//! each step and every refusal; sign-offs and amendments of department
//! WhyGOs with both paces; concurrent edits that lose nothing; validation of
//! every form; and another tenant's keys answering 404.

use crate::common::{Client, Response, TestDb, app, demo_db, signed_in};
use whygo::domain::permissions::Role;

const PASSWORD: &str = "a long test password";

/// Signs in as a demo person who has no account in the demo (Fill, Luke,
/// Ben, Brandon…), creating one linked to their person.
async fn as_person(db: &TestDb, key: &str, role: Role) -> Client {
    let email = format!("{key}@kartel.example");
    let hash = whygo::auth::password::hash(PASSWORD).expect("hash");
    let name = format!("{}{} (test)", key[..1].to_uppercase(), &key[1..]);
    let created = whygo::db::admin_cli::create_user(
        &db.app_pool,
        &whygo::db::admin_cli::NewUser {
            email: &email,
            name: &name,
            password_hash: &hash,
            installation_admin: false,
            tenant: Some("kartel"),
            role,
            person: Some(key),
        },
    )
    .await
    .expect("query");
    // The demo ships accounts for some people (Luke, Fill): use those.
    let password = match created {
        Ok(()) => PASSWORD,
        Err(_) => crate::common::DEMO_PASSWORD,
    };
    let mut c = Client::new(app(db));
    c.login(&email, password).await;
    // A page of the organization: its CSRF token is the session's.
    c.get("/kartel").await.expect_status(200);
    c
}

/// A refusal by the permission table (not the CSRF guard).
fn forbidden(res: &Response) {
    res.expect_status(403);
    assert!(
        !res.body.contains("This form expired"),
        "refused by the CSRF guard, not the permission table"
    );
}

fn unescape(s: &str) -> String {
    s.replace("&#34;", "\"")
        .replace("&quot;", "\"")
        .replace("&#x27;", "'")
        .replace("&#39;", "'")
        .replace("&#60;", "<")
        .replace("&#62;", ">")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&#38;", "&")
        .replace("&amp;", "&")
}

fn attr(tag: &str, name: &str) -> Option<String> {
    let key = format!(" {name}=\"");
    let at = tag.find(&key)? + key.len();
    let end = at + tag[at..].find('"')?;
    Some(unescape(&tag[at..end]))
}

/// The fields a browser would send for the POST form with this action, as
/// the page filled them in (text, hidden, ticked boxes and radios, textareas,
/// selected options); the CSRF token is left to the client.
pub(crate) fn form_fields(body: &str, action: &str) -> Vec<(String, String)> {
    let start = body
        .find(&format!("method=\"post\" action=\"{action}\""))
        .unwrap_or_else(|| panic!("no form posting to {action} in:\n{body}"));
    let form = &body[start..];
    let form = &form[..form.find("</form>").expect("form end")];
    let mut out = Vec::new();
    let mut rest = form;
    let mut select: Option<String> = None;
    while let Some(i) = rest.find('<') {
        rest = &rest[i..];
        let end = rest.find('>').expect("tag end");
        let tag = &rest[..=end];
        if tag.starts_with("<input") {
            let kind = attr(tag, "type").unwrap_or_default();
            if let Some(name) = attr(tag, "name") {
                let ticked = tag.contains(" checked");
                let keep = match kind.as_str() {
                    "checkbox" | "radio" => ticked,
                    _ => true,
                };
                if keep && name != "csrf_token" {
                    out.push((name, attr(tag, "value").unwrap_or_default()));
                }
            }
        } else if tag.starts_with("<textarea") {
            let name = attr(tag, "name").unwrap_or_default();
            let after = &rest[end + 1..];
            let close = after.find("</textarea>").expect("textarea end");
            out.push((name, unescape(&after[..close])));
        } else if tag.starts_with("<select") {
            select = attr(tag, "name");
        } else if tag.starts_with("</select") {
            select = None;
        } else if tag.starts_with("<option") && tag.contains(" selected") {
            if let Some(name) = &select {
                out.push((name.clone(), attr(tag, "value").unwrap_or_default()));
            }
        }
        rest = &rest[end + 1..];
    }
    out
}

/// Sets the first field of that name (adding it when absent).
pub(crate) fn set(fields: &mut Vec<(String, String)>, name: &str, value: &str) {
    match fields.iter_mut().find(|(k, _)| k == name) {
        Some(f) => f.1 = value.to_owned(),
        None => fields.push((name.to_owned(), value.to_owned())),
    }
}

fn get<'a>(fields: &'a [(String, String)], name: &str) -> &'a str {
    fields
        .iter()
        .find(|(k, _)| k == name)
        .map_or("", |(_, v)| v.as_str())
}

pub(crate) async fn post_fields(
    c: &mut Client,
    path: &str,
    fields: &[(String, String)],
) -> Response {
    let refs: Vec<(&str, &str)> = fields
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    c.post(path, &refs).await
}

/// The hidden version of a form on the page, by its action.
fn version_in(body: &str, action: &str) -> String {
    get(&form_fields(body, action), "version").to_owned()
}

async fn status_of(db: &TestDb, key: &str) -> (String, i32) {
    sqlx::query_as("select status, version from whygos where key = $1")
        .bind(key)
        .fetch_one(&db.pool)
        .await
        .expect("whygo")
}

async fn count(db: &TestDb, sql: &str) -> i64 {
    sqlx::query_scalar(sql)
        .fetch_one(&db.pool)
        .await
        .expect("count")
}

/// The table row of the page about `name` (from its link to the end of the row).
fn row_of<'a>(body: &'a str, name: &str) -> &'a str {
    let at = body
        .find(&format!(">{name}</a>"))
        .unwrap_or_else(|| panic!("no row for {name}"));
    let rest = &body[at..];
    &rest[..rest.find("</tr>").unwrap_or(rest.len())]
}

/// Trent's proposal, as typed into the new-WhyGO form.
fn proposal() -> Vec<(String, String)> {
    [
        ("title", "Reproducible batch runs"),
        (
            "why",
            "Failed batches cost the pod hours every week & nobody knows why.",
        ),
        (
            "goal",
            "Make every batch run reproducible on the first try.",
        ),
        ("ladder", "generative-1"),
        ("ladder", "generative-3"),
        ("primary", "generative-3"),
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
        ("o2_name", ""),
    ]
    .iter()
    .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
    .collect()
}

#[tokio::test]
async fn the_individual_cascade_runs_from_draft_through_a_return_to_approval() {
    let db = demo_db().await;
    let mut trent = signed_in(&db, "trent").await;
    let mut kevin = signed_in(&db, "kevin").await;
    let mut fill = as_person(&db, "fill", Role::Member).await;
    let mut brandon = as_person(&db, "brandon", Role::Member).await;

    // Before: nobody's individual WhyGO is approved.
    let cascade = kevin.get("/kartel/cascade").await;
    cascade.expect_status(200);
    assert!(cascade.body.contains("WhyGO: 0 of "), "{}", cascade.body);
    assert!(row_of(&cascade.body, "Trent Hunter").contains("Submitted, waiting"));

    // The form, pre-filled from two suggested KPIs.
    let form = trent.get("/kartel/whygos/new?from_kpi=1&from_kpi=3").await;
    form.expect_status(200);
    let fields = form_fields(&form.body, "/kartel/whygos/new");
    assert_eq!(get(&fields, "o0_name"), "Role Playbook");
    assert_eq!(get(&fields, "o0_q4"), "Completed and approved");
    assert_eq!(get(&fields, "o1_name"), "System reproducibility");
    assert_eq!(
        get(&fields, "o1_owners"),
        "trent",
        "owners default to the person"
    );
    assert!(form.body.contains("Kartel Labs tool"), "the pick list");

    // Draft.
    let res = post_fields(&mut trent, "/kartel/whygos/new", &proposal()).await;
    res.expect_status(303);
    assert_eq!(
        res.location.as_deref(),
        Some("/kartel/whygos/trent-2?done=created#lifecycle")
    );
    assert_eq!(status_of(&db, "trent-2").await, ("draft".to_owned(), 1));
    let links: Vec<(String, bool)> = sqlx::query_as(
        "select p.key, l.is_primary from whygo_links l join whygos c on c.id = l.child_id
         join whygos p on p.id = l.parent_id where c.key = 'trent-2' order by l.position",
    )
    .fetch_all(&db.pool)
    .await
    .expect("links");
    assert_eq!(
        links,
        [
            ("generative-3".to_owned(), true),
            ("generative-1".to_owned(), false)
        ],
        "the primary first"
    );
    let page = trent
        .get("/kartel/whygos/trent-2?done=created#lifecycle")
        .await;
    page.expect_status(200);
    assert!(page.body.contains("id=\"lifecycle\""));
    assert!(page.body.contains("Saved as a draft"));
    assert!(page.body.contains("Created as a draft"));
    assert!(page.body.contains("/kartel/whygos/trent-2/edit"));
    assert!(page.body.contains("Submit for approval"));
    let cascade = kevin.get("/kartel/cascade").await;
    assert!(
        row_of(&cascade.body, "Trent Hunter")
            .contains("Reproducible batch runs</a> <span class=\"muted\">(draft)")
    );

    // Submitted: now the owner may not edit it, nor approve it.
    let v = version_in(&page.body, "/kartel/whygos/trent-2/submit");
    trent
        .post("/kartel/whygos/trent-2/submit", &[("version", &v)])
        .await
        .expect_status(303);
    assert_eq!(status_of(&db, "trent-2").await.0, "submitted");
    let page = trent.get("/kartel/whygos/trent-2").await;
    assert!(page.body.contains("Submitted for approval"));
    assert!(page.body.contains("draft → submitted"));
    assert!(!page.body.contains("/kartel/whygos/trent-2/edit\""));
    let refused = trent.get("/kartel/whygos/trent-2/edit").await;
    forbidden(&refused);
    assert!(refused.body.contains("waiting for your manager"));
    let mut edit = proposal();
    set(&mut edit, "version", &v);
    set(&mut edit, "title", "Sneaky change");
    post_fields(&mut trent, "/kartel/whygos/trent-2/edit", &edit)
        .await
        .expect_status(403);
    forbidden(
        &trent
            .post("/kartel/whygos/trent-2/approve", &[("version", &v)])
            .await,
    );
    // A peer does not even see it; a leader outside the chain sees it but
    // may not decide; nor may they edit it.
    brandon
        .post("/kartel/whygos/trent-2/approve", &[("version", &v)])
        .await
        .expect_status(404);
    kevin.get("/kartel/whygos/trent-2").await.expect_status(200);
    forbidden(
        &kevin
            .post("/kartel/whygos/trent-2/approve", &[("version", &v)])
            .await,
    );
    forbidden(&kevin.get("/kartel/whygos/trent-2/edit").await);
    assert_eq!(status_of(&db, "trent-2").await, ("submitted".to_owned(), 1));

    // The manager's approvals list it; a return needs a comment.
    let list = fill.get("/kartel/approvals").await;
    list.expect_status(200);
    assert!(list.body.contains("Reproducible batch runs"));
    assert!(
        list.body.contains("Workflow Engineer Playbook"),
        "trent-1 too"
    );
    assert!(
        !brandon
            .get("/kartel/approvals")
            .await
            .body
            .contains("Reproducible batch runs")
    );
    let empty = fill
        .post(
            "/kartel/whygos/trent-2/return",
            &[("version", &v), ("comment", "   "), ("next", "approvals")],
        )
        .await;
    empty.expect_status(422);
    assert!(empty.body.contains("id=\"comment-error\""));
    assert!(empty.body.contains("Say what to change"));
    assert_eq!(status_of(&db, "trent-2").await.0, "submitted");
    let comment = "Add a Q1 milestone you can show at demo day.";
    let res = fill
        .post(
            "/kartel/whygos/trent-2/return",
            &[("version", &v), ("comment", comment), ("next", "approvals")],
        )
        .await;
    res.expect_status(303);
    assert_eq!(
        res.location.as_deref(),
        Some("/kartel/approvals?done=returned")
    );
    assert_eq!(status_of(&db, "trent-2").await.0, "changes_requested");
    let page = trent.get("/kartel/whygos/trent-2").await;
    assert!(page.body.contains("changes requested"));
    assert!(page.body.contains(comment), "the comment reaches the owner");
    assert!(page.body.contains("submitted → changes requested"));
    let cascade = kevin.get("/kartel/cascade").await;
    assert!(row_of(&cascade.body, "Trent Hunter").contains("(changes requested)"));

    // Revised and resubmitted.
    let form = trent.get("/kartel/whygos/trent-2/edit").await;
    form.expect_status(200);
    let mut fields = form_fields(&form.body, "/kartel/whygos/trent-2/edit");
    assert_eq!(get(&fields, "title"), "Reproducible batch runs");
    assert_eq!(
        get(&fields, "why"),
        "Failed batches cost the pod hours every week & nobody knows why."
    );
    set(&mut fields, "o0_q1", "Demo");
    set(&mut fields, "note", "Q1 milestone added");
    post_fields(&mut trent, "/kartel/whygos/trent-2/edit", &fields)
        .await
        .expect_status(303);
    assert_eq!(
        status_of(&db, "trent-2").await,
        ("changes_requested".to_owned(), 2)
    );
    trent
        .post("/kartel/whygos/trent-2/submit", &[("version", "2")])
        .await
        .expect_status(303);

    // Approved by the manager; it now counts in Trent's pace.
    sqlx::query(
        "insert into actuals (tenant_id, id, outcome_id, quarter, value, entered_on)
         select o.tenant_id, gen_random_uuid(), o.id, 4, '8', '2026-11-15'
         from outcomes o join whygos w on w.id = o.whygo_id
         where w.key = 'trent-2' and o.name = 'Workflows documented'",
    )
    .execute(&db.pool)
    .await
    .expect("an actual");
    let dept = kevin
        .get("/kartel/departments/generative?as_of=2026-11-21")
        .await;
    let row = row_of(&dept.body, "Trent Hunter");
    assert!(
        row.contains("not scored") && !row.contains("chip on"),
        "not in force yet, no pace: {row}"
    );
    let list = fill.get("/kartel/approvals").await;
    let v = version_in(&list.body, "/kartel/whygos/trent-2/approve");
    assert_eq!(v, "2");
    let res = fill
        .post(
            "/kartel/whygos/trent-2/approve",
            &[("version", &v), ("next", "approvals")],
        )
        .await;
    res.expect_status(303);
    assert_eq!(status_of(&db, "trent-2").await.0, "approved");
    let page = trent.get("/kartel/whygos/trent-2").await;
    assert!(page.body.contains("Approved: in force"));
    for step in [
        "Created as a draft",
        "Edited: version 2",
        "Returned for changes",
        "Approved",
        "submitted → approved",
        "Q1 milestone added",
    ] {
        assert!(page.body.contains(step), "history shows {step}");
    }
    let dept = kevin
        .get("/kartel/departments/generative?as_of=2026-11-21")
        .await;
    let row = row_of(&dept.body, "Trent Hunter");
    assert!(
        row.contains("class=\"pace\"") && row.contains("chip on"),
        "{row}"
    );
    let cascade = kevin.get("/kartel/cascade?as_of=2026-11-21").await;
    let row = row_of(&cascade.body, "Trent Hunter");
    assert!(
        row.contains(">Approved<") && row.contains("chip on"),
        "{row}"
    );
    assert!(cascade.body.contains("WhyGO: 1 of "), "one person approved");

    // A member who may not see Trent's WhyGOs sees his state and counts,
    // not the titles.
    let mut wayan = signed_in(&db, "wayan").await;
    let cascade = wayan.get("/kartel/cascade").await;
    cascade.expect_status(200);
    let row = row_of(&cascade.body, "Trent Hunter");
    assert!(
        row.contains(">Approved<") && row.contains("1 approved, 1 submitted"),
        "{row}"
    );
    assert!(!cascade.body.contains("Reproducible batch runs"));
    assert!(!cascade.body.contains("Workflow Engineer Playbook"));
    assert!(
        cascade.body.contains("WhyGO: 1 of "),
        "counts are for everyone"
    );

    // Every move is in the audit log.
    let audited = count(
        &db,
        "select count(*) from audit_log where entity = 'whygo' and entity_key = 'trent-2'",
    )
    .await;
    assert_eq!(
        audited, 6,
        "create, submit, return, update, submit, approve"
    );
}

#[tokio::test]
async fn only_the_owner_edits_and_the_cap_is_enforced() {
    let db = demo_db().await;
    let mut trent = signed_in(&db, "trent").await;
    let mut wayan = signed_in(&db, "wayan").await;
    let mut fill = as_person(&db, "fill", Role::Member).await;

    // One's own page offers to propose; another's does not.
    let me = trent.get("/kartel/people/trent").await;
    assert!(me.body.contains("href=\"/kartel/whygos/new\""));
    let other = wayan.get("/kartel/people/trent").await;
    assert!(!other.body.contains("href=\"/kartel/whygos/new\""));

    // brandon-1 is a draft: its manager sees it but may not edit it; a
    // member elsewhere does not see it at all.
    forbidden(&fill.get("/kartel/whygos/brandon-1/edit").await);
    let page = fill.get("/kartel/whygos/brandon-1").await;
    page.expect_status(200);
    assert!(!page.body.contains("/kartel/whygos/brandon-1/edit\""));
    wayan
        .get("/kartel/whygos/brandon-1/edit")
        .await
        .expect_status(404);
    wayan.get("/kartel").await.expect_status(200);
    wayan
        .post("/kartel/whygos/brandon-1/submit", &[("version", "1")])
        .await
        .expect_status(404);
    // Trent may not edit company or department WhyGOs.
    forbidden(&trent.get("/kartel/whygos/company-1/edit").await);
    forbidden(&trent.get("/kartel/whygos/generative-1/edit").await);
    trent.get("/kartel").await.expect_status(200);
    forbidden(
        &trent
            .post("/kartel/whygos/generative-1/signoff", &[("version", "1")])
            .await,
    );

    // The cap: 2 here; Trent has trent-1, so one more and then no more.
    sqlx::query("update tenants set max_individual_whygos = 2 where slug = 'kartel'")
        .execute(&db.pool)
        .await
        .expect("cap");
    trent.get("/kartel/whygos/new").await.expect_status(200);
    post_fields(&mut trent, "/kartel/whygos/new", &proposal())
        .await
        .expect_status(303);
    let page = trent.get("/kartel/whygos/new").await;
    page.expect_status(200);
    assert!(page.body.contains("the organization allows 2"));
    assert!(!page.body.contains("name=\"title\""), "no form at the cap");
    let before = count(&db, "select count(*) from whygos").await;
    let refused = post_fields(&mut trent, "/kartel/whygos/new", &proposal()).await;
    refused.expect_status(422);
    assert!(refused.body.contains("the organization allows 2"));
    assert!(
        refused.body.contains("Reproducible batch runs"),
        "what was typed is kept"
    );
    assert_eq!(count(&db, "select count(*) from whygos").await, before);
}

#[tokio::test]
async fn every_form_says_what_is_wrong_next_to_the_field_and_writes_nothing() {
    let db = demo_db().await;
    let mut trent = signed_in(&db, "trent").await;
    let mut kevin = signed_in(&db, "kevin").await;
    let picked = trent
        .get("/kartel/whygos/new?from_kpi=99&from_kpi=one")
        .await;
    picked.expect_status(200);
    assert!(
        picked
            .body
            .contains("There is no suggested KPI “99”, “one”")
    );
    trent.get("/kartel/whygos/new").await.expect_status(200);
    let before = count(&db, "select count(*) from whygos").await;
    let long = "9".repeat(101);
    let bad: Vec<(&str, &str)> = vec![
        ("title", "  "),
        ("why", "Typed why & kept"),
        ("goal", ""),
        ("ladder", "no-such-whygo"),
        ("o0_name", ""),
        ("o0_q1", "5"),
        ("o1_name", "Kept outcome name"),
        ("o1_q2", &long),
        ("o1_owners", "nobody-here"),
    ];
    let res = trent.post("/kartel/whygos/new", &bad).await;
    res.expect_status(422);
    for field in ["title", "goal", "ladder", "o0_name", "o1_q2", "o1_owners"] {
        assert!(
            res.body.contains(&format!("id=\"{field}-error\"")),
            "message next to {field}"
        );
    }
    assert!(res.body.contains("Typed why &#38; kept"));
    assert!(res.body.contains("Kept outcome name"));
    assert!(res.body.contains("Nothing was saved"));
    assert_eq!(count(&db, "select count(*) from whygos").await, before);

    // Too few outcomes, and none with a target.
    let res = trent
        .post(
            "/kartel/whygos/new",
            &[
                ("title", "T"),
                ("why", "W"),
                ("goal", "G"),
                ("ladder", "generative-1"),
                ("o0_name", "Only one"),
            ],
        )
        .await;
    res.expect_status(422);
    assert!(res.body.contains("id=\"outcomes-error\""));
    assert!(res.body.contains("id=\"o0_q1-error\""));

    // The edit form of a department WhyGO: an emptied goal.
    let form = kevin.get("/kartel/whygos/sales-1/edit").await;
    form.expect_status(200);
    let mut fields = form_fields(&form.body, "/kartel/whygos/sales-1/edit");
    let goal = get(&fields, "goal").to_owned();
    set(&mut fields, "goal", "");
    set(&mut fields, "title", "A new title that is not saved");
    let res = post_fields(&mut kevin, "/kartel/whygos/sales-1/edit", &fields).await;
    res.expect_status(422);
    assert!(res.body.contains("id=\"goal-error\""));
    assert!(res.body.contains("A new title that is not saved"));
    let (title, stored_goal): (String, String) =
        sqlx::query_as("select title, goal from whygos where key = 'sales-1'")
            .fetch_one(&db.pool)
            .await
            .expect("sales-1");
    assert_ne!(title, "A new title that is not saved");
    assert_eq!(stored_goal, goal);
    // Removing an outcome that has actuals would lose them: refused.
    set(&mut fields, "goal", &goal);
    set(&mut fields, "o0_remove", "on");
    let res = post_fields(&mut kevin, "/kartel/whygos/sales-1/edit", &fields).await;
    res.expect_status(422);
    assert!(res.body.contains("id=\"o0_remove-error\""));
    assert!(res.body.contains("removing it would lose them"));

    // Unreadable form values never make a 500.
    let res = kevin
        .post(
            "/kartel/whygos/sales-1/edit",
            &[
                ("version", "not a number"),
                ("o999999999999999999999_name", "x"),
            ],
        )
        .await;
    assert_eq!(res.status.as_u16(), 409, "an unknown version is refused");
    let res = kevin
        .post("/kartel/whygos/sales-1/signoff", &[("version", "x")])
        .await;
    assert_eq!(res.status.as_u16(), 409);

    // A draft whose targets can never be scored is not submitted.
    let res = trent
        .post(
            "/kartel/whygos/new",
            &[
                ("title", "Unscored"),
                ("why", "W"),
                ("goal", "G"),
                ("ladder", "generative-1"),
                ("o0_name", "A"),
                ("o0_q1", "TBD"),
                ("o1_name", "B"),
                ("o1_q4", "Track"),
            ],
        )
        .await;
    res.expect_status(303);
    let page = trent.get("/kartel/whygos/trent-2").await;
    assert!(
        page.body.contains("never show a pace"),
        "a note, not an error"
    );
    let res = trent
        .post("/kartel/whygos/trent-2/submit", &[("version", "1")])
        .await;
    res.expect_status(422);
    assert!(res.body.contains("can be scored"));
    assert_eq!(status_of(&db, "trent-2").await.0, "draft");
}

#[tokio::test]
async fn sign_offs_freeze_a_department_whygo_and_an_amendment_needs_them_again() {
    let db = demo_db().await;
    let mut kevin = signed_in(&db, "kevin").await;
    let mut wayan = signed_in(&db, "wayan").await;
    let mut luke = as_person(&db, "luke", Role::Leader).await;
    let mut ben = as_person(&db, "ben", Role::Member).await;

    // sales-1 as a workbook declaring it `submitted` loads it: not approved
    // with the plan, no sign-off yet, so an edit is a plain edit.
    sqlx::query(
        "update whygos set status = 'submitted', plan_approved_version = null where key = 'sales-1'",
    )
    .execute(&db.pool)
    .await
    .expect("sales-1 submitted");
    let page = kevin.get("/kartel/whygos/sales-1").await;
    assert!(page.body.contains("Waiting for sign-off of version"));
    let form = kevin.get("/kartel/whygos/sales-1/edit").await;
    let mut fields = form_fields(&form.body, "/kartel/whygos/sales-1/edit");
    let v0: i32 = get(&fields, "version").parse().expect("version");
    set(&mut fields, "why", "Sharper why.");
    post_fields(&mut kevin, "/kartel/whygos/sales-1/edit", &fields)
        .await
        .expect_status(303);
    let v1 = v0 + 1;
    assert_eq!(status_of(&db, "sales-1").await.1, v1);

    // The CEO, the President and the head sign; Wayan is not a signer.
    wayan.get("/kartel/whygos/sales-1").await.expect_status(200);
    forbidden(
        &wayan
            .post(
                "/kartel/whygos/sales-1/signoff",
                &[("version", &v1.to_string())],
            )
            .await,
    );
    for c in [&mut kevin, &mut luke] {
        let page = c.get("/kartel/whygos/sales-1").await;
        let v = version_in(&page.body, "/kartel/whygos/sales-1/signoff");
        c.post("/kartel/whygos/sales-1/signoff", &[("version", &v)])
            .await
            .expect_status(303);
    }
    let page = kevin.get("/kartel/whygos/sales-1").await;
    assert!(page.body.contains("Waiting for sign-off"));
    assert!(page.body.contains("Ben"), "waiting for the head");
    let page = ben.get("/kartel/whygos/sales-1").await;
    let v = version_in(&page.body, "/kartel/whygos/sales-1/signoff");
    ben.post("/kartel/whygos/sales-1/signoff", &[("version", &v)])
        .await
        .expect_status(303);
    let page = ben.get("/kartel/whygos/sales-1").await;
    assert!(
        page.body
            .contains(&format!("Signed off: version {v1} is in force")),
        "{}",
        page.body
    );
    assert!(!page.body.contains("/kartel/whygos/sales-1/signoff\""));

    // An amendment: a new version, the signed one kept, both paces shown.
    let form = kevin.get("/kartel/whygos/sales-1/edit").await;
    assert!(form.body.contains("Saving makes an amendment"));
    let mut fields = form_fields(&form.body, "/kartel/whygos/sales-1/edit");
    let old_name = get(&fields, "o0_name").to_owned();
    let old_q4 = get(&fields, "o0_q4").to_owned();
    set(&mut fields, "o0_q4", "999");
    set(&mut fields, "title", "Land enterprise clients, amended");
    set(&mut fields, "note", "Board asked for a stretch target");
    let res = post_fields(&mut kevin, "/kartel/whygos/sales-1/edit", &fields).await;
    res.expect_status(303);
    assert!(
        res.location
            .as_deref()
            .is_some_and(|l| l.contains("done=amended"))
    );
    let v2 = v1 + 1;
    assert_eq!(status_of(&db, "sales-1").await.1, v2);
    let page = kevin.get("/kartel/whygos/sales-1?as_of=2026-11-21").await;
    page.expect_status(200);
    assert!(page.body.contains("Amendment pending"));
    assert!(page.body.contains(&format!("Amended: version {v2}")));
    assert!(page.body.contains("Board asked for a stretch target"));
    assert!(
        page.body
            .contains(&format!("Outcome “{old_name}”: Q4 target"))
    );
    assert!(page.body.contains(&format!(
        "<td class=\"old\">{old_q4}</td><td class=\"new\">999</td>"
    )));
    assert!(page.body.contains("Against the amended targets"));
    assert!(page.body.contains("Against the signed targets"));
    assert!(page.body.contains("Status against signed targets"));
    let kept = count(
        &db,
        &format!(
            "select count(*) from whygo_versions v join whygos w on w.id = v.whygo_id
             where w.key = 'sales-1' and v.version = {v1} and v.snapshot->>'title' <> 'Land enterprise clients, amended'"
        ),
    )
    .await;
    assert_eq!(kept, 1, "the signed version's snapshot is kept");
    let list = luke.get("/kartel/approvals").await;
    assert!(
        list.body
            .contains(&format!("an amendment of a signed version ({v1})"))
    );

    // A sign-off of the old version no longer counts; a stale form is refused.
    let res = luke
        .post(
            "/kartel/whygos/sales-1/signoff",
            &[("version", &v1.to_string())],
        )
        .await;
    res.expect_status(409);
    assert!(res.body.contains(&format!("now at version {v2}")));
    for c in [&mut kevin, &mut luke, &mut ben] {
        c.post(
            "/kartel/whygos/sales-1/signoff",
            &[("version", &v2.to_string())],
        )
        .await
        .expect_status(303);
    }
    let page = kevin.get("/kartel/whygos/sales-1").await;
    assert!(
        page.body
            .contains(&format!("Signed off: version {v2} is in force"))
    );
    assert!(!page.body.contains("Amendment pending"));
}

#[tokio::test]
async fn leaders_edit_company_whygos_which_the_tenants_signers_sign_off() {
    let db = demo_db().await;
    let mut kevin = signed_in(&db, "kevin").await;
    let mut wayan = signed_in(&db, "wayan").await;
    let mut luke = as_person(&db, "luke", Role::Leader).await;
    forbidden(&wayan.get("/kartel/whygos/company-2/edit").await);
    // Approved with the plan: in force, nobody's sign-off missing.
    let page = kevin.get("/kartel/whygos/company-2").await;
    assert!(page.body.contains("in force since the plan was loaded"));
    assert!(!page.body.contains("has not signed"), "{}", page.body);
    assert!(!page.body.contains("/kartel/whygos/company-2/signoff\""));
    let form = kevin.get("/kartel/whygos/company-2/edit").await;
    form.expect_status(200);
    assert!(form.body.contains("Saving makes an amendment"));
    assert!(
        form.body.contains("Yours too"),
        "Kevin signs his own amendment"
    );
    assert!(
        !form.body.contains("name=\"ladder\""),
        "company WhyGOs ladder to nothing"
    );
    let mut fields = form_fields(&form.body, "/kartel/whygos/company-2/edit");
    set(&mut fields, "goal", "A sharper company goal.");
    let res = post_fields(&mut kevin, "/kartel/whygos/company-2/edit", &fields).await;
    res.expect_status(303);
    assert!(
        res.location
            .as_deref()
            .is_some_and(|l| l.contains("done=amended"))
    );
    let v = status_of(&db, "company-2").await.1.to_string();
    wayan
        .get("/kartel/whygos/company-2")
        .await
        .expect_status(200);
    forbidden(
        &wayan
            .post("/kartel/whygos/company-2/signoff", &[("version", &v)])
            .await,
    );
    for c in [&mut kevin, &mut luke] {
        c.get("/kartel/whygos/company-2").await.expect_status(200);
        c.post("/kartel/whygos/company-2/signoff", &[("version", &v)])
            .await
            .expect_status(303);
    }
    let page = kevin.get("/kartel/whygos/company-2").await;
    assert!(
        page.body
            .contains(&format!("Signed off: version {v} is in force"))
    );
    assert!(
        page.body.contains(&format!("Signed off version {v}")),
        "in the history"
    );
    let form = kevin.get("/kartel/whygos/company-2/edit").await;
    assert!(form.body.contains("Saving makes an amendment"));
}

/// The lifecycle section of a WhyGO page (to its end).
fn lifecycle_section(body: &str) -> &str {
    let at = body
        .find("id=\"lifecycle\"")
        .unwrap_or_else(|| panic!("no lifecycle section in:\n{body}"));
    let rest = &body[at..];
    &rest[..rest.find("</section>").unwrap_or(rest.len())]
}

/// The "Sign-offs waiting for you" section of an approvals page.
fn signoffs_waiting(body: &str) -> &str {
    let at = body
        .find("id=\"signoffs-waiting\"")
        .unwrap_or_else(|| panic!("no sign-off list in:\n{body}"));
    let rest = &body[at..];
    &rest[..rest.find("</section>").unwrap_or(rest.len())]
}

/// The navigation's "My approvals" link.
fn nav_approvals(body: &str) -> &str {
    let at = body
        .find("href=\"/kartel/approvals\"")
        .unwrap_or_else(|| panic!("no approvals link in:\n{body}"));
    let rest = &body[at..];
    &rest[..rest.find("</a>").unwrap_or(rest.len())]
}

/// The demo's company and department WhyGOs without a `[[signoff]]` row
/// (Production's and Generative's have theirs: 18 rows).
const LOADED_APPROVED: [&str; 12] = [
    "company-1",
    "company-2",
    "company-3",
    "company-4",
    "sales-1",
    "sales-2",
    "sales-3",
    "community-1",
    "community-2",
    "platform-1",
    "platform-2",
    "platform-3",
];

#[tokio::test]
async fn whygos_the_demo_loads_approved_wait_for_nobodys_sign_off() {
    let db = demo_db().await;
    // No sign-off row is made up: only the workbook's own.
    assert_eq!(count(&db, "select count(*) from signoffs").await, 18);
    assert_eq!(
        count(
            &db,
            "select count(*) from whygos where plan_approved_version = version
             and level in ('company', 'department')"
        )
        .await,
        i64::try_from(LOADED_APPROVED.len()).expect("small"),
        "the 18 company and department WhyGOs but the six signed"
    );
    let mut kevin = signed_in(&db, "kevin").await;
    let mut luke = as_person(&db, "luke", Role::Leader).await;
    for c in [&mut kevin, &mut luke] {
        let list = c.get("/kartel/approvals").await;
        list.expect_status(200);
        let waiting = signoffs_waiting(&list.body);
        assert!(
            waiting.contains("Sign-offs waiting for you (0)"),
            "{waiting}"
        );
        for key in LOADED_APPROVED {
            assert!(!waiting.contains(&format!("/whygos/{key}#")), "{key}");
        }
    }
    // What the navigation counts: nothing for Kevin; for Luke, Trent's
    // submitted WhyGO (Luke is up Trent's chain), nothing to sign.
    let dash = kevin.get("/kartel").await;
    assert!(
        !nav_approvals(&dash.body).contains("nav-count"),
        "{}",
        nav_approvals(&dash.body)
    );
    let dash = luke.get("/kartel").await;
    let nav = nav_approvals(&dash.body);
    assert!(
        nav.contains("My approvals <span class=\"nav-count\">(1)</span>"),
        "{nav}"
    );
    assert!(
        nav.contains("1 to approve") && !nav.contains("sign-off"),
        "{nav}"
    );

    for key in ["company-1", "sales-1", "platform-2"] {
        let page = kevin.get(&format!("/kartel/whygos/{key}")).await;
        page.expect_status(200);
        let section = lifecycle_section(&page.body);
        assert!(
            section.contains("<span class=\"state approved\">approved</span>"),
            "{section}"
        );
        assert!(
            section.contains("in force since the plan was loaded"),
            "{section}"
        );
        assert!(section.contains("no sign-off recorded in whygo"));
        assert!(!section.to_lowercase().contains("waiting"), "{section}");
        assert!(!section.contains("/signoff\""), "no sign-off button");
    }
    // The department page says how it was approved, not "none yet".
    let dept = kevin.get("/kartel/departments/sales").await;
    assert!(
        dept.body
            .contains("approved with the plan loaded from the workbook"),
        "{}",
        dept.body
    );
    // A sign-off posted anyway is declined: nothing waits for it.
    let res = kevin
        .post("/kartel/whygos/sales-1/signoff", &[("version", "1")])
        .await;
    res.expect_status(409);
    assert!(res.body.contains("waits for nobody"), "{}", res.body);
    assert_eq!(count(&db, "select count(*) from signoffs").await, 18);

    // Loading the same workbook again changes nothing.
    let before = count(
        &db,
        "select coalesce(sum(plan_approved_version), 0) + sum(version) from whygos",
    )
    .await;
    let text = std::fs::read_to_string("seeds/kartel-2026.toml").expect("the demo workbook");
    let wb = whygo::db::load::check("seeds/kartel-2026.toml", &text).expect("valid");
    let summary = whygo::db::load::apply(&db.app_pool, &wb, "test")
        .await
        .expect("reload");
    assert!(summary.changed_nothing(), "{summary}");
    assert_eq!(
        count(
            &db,
            "select coalesce(sum(plan_approved_version), 0) + sum(version) from whygos"
        )
        .await,
        before
    );
    assert_eq!(count(&db, "select count(*) from signoffs").await, 18);
}

#[tokio::test]
async fn a_head_amending_a_whygo_the_plan_approved_is_told_it_waits_for_his_own_signature() {
    let db = demo_db().await;
    let mut ben = as_person(&db, "ben", Role::Member).await;
    let mut kevin = signed_in(&db, "kevin").await;
    let mut luke = as_person(&db, "luke", Role::Leader).await;

    // Ben heads Sales: his edit of sales-1 is an amendment of version 1.
    let form = ben.get("/kartel/whygos/sales-1/edit").await;
    form.expect_status(200);
    assert!(form.body.contains("in force since the plan was loaded"));
    assert!(form.body.contains("Saving makes an amendment"));
    assert!(form.body.contains("Yours too"), "{}", form.body);
    let mut fields = form_fields(&form.body, "/kartel/whygos/sales-1/edit");
    set(&mut fields, "o0_q4", "999");
    set(&mut fields, "note", "A bigger pipeline");
    let res = post_fields(&mut ben, "/kartel/whygos/sales-1/edit", &fields).await;
    res.expect_status(303);
    assert!(
        res.location
            .as_deref()
            .is_some_and(|l| l.contains("done=amended"))
    );
    let v = status_of(&db, "sales-1").await.1;
    assert_eq!(v, 2);

    // Ben's page: it waits for him, his own edit needs his signature, and
    // for whom else.
    let page = ben.get("/kartel/whygos/sales-1").await;
    let section = lifecycle_section(&page.body);
    assert!(section.contains("Amendment pending"), "{section}");
    assert!(
        section.contains("Waiting for your sign-off of version 2."),
        "{section}"
    );
    assert!(section.contains("You made this amendment: your own edit still needs your signature."));
    assert!(section.contains("It also waits for Kevin Reilly and Luke Peterson."));
    assert!(section.contains("/kartel/whygos/sales-1/signoff\""));
    assert!(section.contains("version 1, in force since the plan was loaded"));
    assert!(
        section.contains(
            "Amendment: version 2 against the approved version 1 (approved with the plan"
        ),
        "{section}"
    );
    let list = ben.get("/kartel/approvals").await;
    let waiting = signoffs_waiting(&list.body);
    assert!(
        waiting.contains("Sign-offs waiting for you (1)"),
        "{waiting}"
    );
    assert!(waiting.contains("your own edit still needs your signature"));
    assert!(nav_approvals(&list.body).contains("(1)"));
    assert!(nav_approvals(&list.body).contains("1 waiting for your sign-off"));

    // Every required signer: the CEO, the President and the head.
    for c in [&mut kevin, &mut luke] {
        let page = c.get("/kartel/whygos/sales-1").await;
        let section = lifecycle_section(&page.body);
        assert!(
            section.contains("Waiting for your sign-off of version 2."),
            "{section}"
        );
        assert!(!section.contains("You made this"));
        let list = c.get("/kartel/approvals").await;
        let waiting = signoffs_waiting(&list.body);
        assert!(
            waiting.contains("Sign-offs waiting for you (1)"),
            "{waiting}"
        );
        assert!(waiting.contains("/kartel/whygos/sales-1#lifecycle"));
        assert!(waiting.contains("in force since the plan was loaded"));
    }
    for c in [&mut ben, &mut kevin] {
        c.post("/kartel/whygos/sales-1/signoff", &[("version", "2")])
            .await
            .expect_status(303);
    }
    let page = luke.get("/kartel/whygos/sales-1").await;
    let section = lifecycle_section(&page.body);
    assert!(
        section.contains(
            "Waiting for your sign-off of version 2. Yours is the last one it waits for."
        ),
        "{section}"
    );
    luke.post("/kartel/whygos/sales-1/signoff", &[("version", "2")])
        .await
        .expect_status(303);
    let page = ben.get("/kartel/whygos/sales-1").await;
    let section = lifecycle_section(&page.body);
    assert!(
        section.contains("Signed off: version 2 is in force"),
        "{section}"
    );
    assert!(!section.contains("Waiting for your sign-off"));
    let list = ben.get("/kartel/approvals").await;
    assert!(signoffs_waiting(&list.body).contains("Sign-offs waiting for you (0)"));
    assert!(!nav_approvals(&list.body).contains("nav-count"));
}

#[tokio::test]
async fn a_returned_whygo_shows_on_its_owners_dashboard_and_navigation_only() {
    let db = demo_db().await;
    let mut trent = signed_in(&db, "trent").await;
    let mut fill = signed_in(&db, "fill").await;
    // Before: nothing returned (and the dashboard is now cached for Trent).
    let dash = trent.get("/kartel").await;
    assert!(!dash.body.contains("was returned for changes"));
    assert!(!nav_approvals(&dash.body).contains("nav-count"));
    // Fill's navigation counts Trent's submitted WhyGO.
    let dash = fill.get("/kartel").await;
    assert!(
        nav_approvals(&dash.body).contains("(1)"),
        "{}",
        nav_approvals(&dash.body)
    );

    let page = fill.get("/kartel/whygos/trent-1").await;
    let v = version_in(&page.body, "/kartel/whygos/trent-1/return");
    let comment = "Name the three workflows and who reviews each.";
    fill.post(
        "/kartel/whygos/trent-1/return",
        &[("version", &v), ("comment", comment)],
    )
    .await
    .expect_status(303);

    let dash = trent.get("/kartel").await;
    dash.expect_status(200);
    let block = &dash.body[dash
        .body
        .find("class=\"returned-to-you\"")
        .unwrap_or_else(|| panic!("no returned block on Trent's dashboard:\n{}", dash.body))..];
    let block = &block[..block.find("</section>").expect("end")];
    assert!(
        block.contains(
            "<p class=\"warning\">Your WhyGO <a href=\"/kartel/whygos/trent-1#lifecycle\">“Workflow Engineer Playbook and Batch Tooling”</a> was returned for changes by Fill Isgro"
        ),
        "{block}"
    );
    assert!(block.contains(&format!(": {comment}")), "{block}");
    let nav = nav_approvals(&dash.body);
    assert!(
        nav.contains("<span class=\"nav-count\">(1)</span>"),
        "{nav}"
    );
    assert!(
        nav.contains("1 of your WhyGOs returned for changes"),
        "{nav}"
    );
    // On a past date's dashboard too: it is about now, not the date shown.
    let past = trent.get("/kartel?as_of=2026-11-14").await;
    assert!(past.body.contains("was returned for changes by Fill"));
    let list = trent.get("/kartel/approvals").await;
    assert!(list.body.contains("Returned to you for changes (1)"));
    assert!(list.body.contains(comment));

    // Nobody else's dashboard shows it; Fill has nothing left to approve.
    let dash = fill.get("/kartel").await;
    assert!(!dash.body.contains("was returned for changes"));
    assert!(!nav_approvals(&dash.body).contains("nav-count"));

    // Submitted again: gone from Trent's, back in Fill's count.
    let page = trent.get("/kartel/whygos/trent-1").await;
    let v = version_in(&page.body, "/kartel/whygos/trent-1/submit");
    trent
        .post("/kartel/whygos/trent-1/submit", &[("version", &v)])
        .await
        .expect_status(303);
    let dash = trent.get("/kartel").await;
    assert!(!dash.body.contains("was returned for changes"));
    assert!(!nav_approvals(&dash.body).contains("nav-count"));
    let dash = fill.get("/kartel").await;
    assert!(nav_approvals(&dash.body).contains("(1)"));
}

#[tokio::test]
async fn an_amendment_of_a_seeded_signed_whygo_is_paced_against_both_targets() {
    let db = demo_db().await;
    let mut wayan = signed_in(&db, "wayan").await;
    // production-1 was signed by Kevin, Luke and Wayan in the workbook.
    let page = wayan.get("/kartel/whygos/production-1").await;
    assert!(page.body.contains("Signed off: version"));
    let form = wayan.get("/kartel/whygos/production-1/edit").await;
    form.expect_status(200);
    let mut fields = form_fields(&form.body, "/kartel/whygos/production-1/edit");
    // Saved as it came (owners of several, in the list's order): nothing
    // changes, no version, no amendment.
    let before = status_of(&db, "production-1").await;
    let res = post_fields(&mut wayan, "/kartel/whygos/production-1/edit", &fields).await;
    res.expect_status(303);
    assert!(
        res.location
            .as_deref()
            .is_some_and(|l| l.contains("done=unchanged"))
    );
    assert_eq!(status_of(&db, "production-1").await, before);
    assert_eq!(get(&fields, "o0_name"), "Active client engagements");
    assert_eq!(get(&fields, "o0_q4"), "20");
    set(&mut fields, "o0_q4", "40");
    post_fields(&mut wayan, "/kartel/whygos/production-1/edit", &fields)
        .await
        .expect_status(303);
    let page = wayan
        .get("/kartel/whygos/production-1?as_of=2026-11-21")
        .await;
    page.expect_status(200);
    assert!(page.body.contains("Amendment pending"));
    assert!(
        page.body
            .contains("Outcome “Active client engagements”: Q4 target")
    );
    // The doubled target drags the amended pace below the signed one.
    let both = &page.body[page.body.find("class=\"both-paces\"").expect("paces")..];
    let both = &both[..both.find("</p>").expect("end")];
    let credits: Vec<&str> = both
        .split("<strong>")
        .skip(1)
        .map(|s| &s[..s.find('<').unwrap_or(0)])
        .collect();
    assert_eq!(credits.len(), 2, "{both}");
    assert_ne!(credits[0], credits[1], "the two paces differ: {both}");
    assert!(
        page.body
            .contains("<td class=\"old\">20</td><td class=\"new\">40</td>")
    );
    assert!(
        page.body
            .contains("40 <span class=\"muted\">(changed)</span>")
    );
}

#[tokio::test]
async fn a_save_of_an_older_version_is_refused_and_loses_nothing() {
    let db = demo_db().await;
    let mut kevin = signed_in(&db, "kevin").await;
    let mut wayan = signed_in(&db, "wayan").await;
    let path = "/kartel/whygos/production-2/edit";
    let a = kevin.get(path).await;
    let b = wayan.get(path).await;
    a.expect_status(200);
    b.expect_status(200);
    let mut first = form_fields(&a.body, path);
    let mut second = form_fields(&b.body, path);
    assert_eq!(get(&first, "version"), get(&second, "version"));
    let (_, v): (String, i32) = status_of(&db, "production-2").await;

    set(&mut first, "title", "Kevin's title");
    set(&mut first, "o1_q4", "95%");
    post_fields(&mut kevin, path, &first)
        .await
        .expect_status(303);

    set(&mut second, "goal", "Wayan's goal, typed meanwhile");
    set(&mut second, "o1_q4", "92%");
    let res = post_fields(&mut wayan, path, &second).await;
    res.expect_status(409);
    assert!(
        res.body
            .contains("saved this WhyGO while you were editing it")
    );
    assert!(res.body.contains("Nothing of yours was saved"));
    assert!(
        res.body
            .contains("<td class=\"theirs\">Kevin&#39;s title</td>"),
        "their value beside yours"
    );
    assert!(
        res.body
            .contains("<td class=\"theirs\">95%</td><td class=\"yours\">92%</td>")
    );
    assert!(
        res.body.contains("Wayan&#39;s goal, typed meanwhile"),
        "what was typed is kept"
    );
    let (title, goal): (String, String) =
        sqlx::query_as("select title, goal from whygos where key = 'production-2'")
            .fetch_one(&db.pool)
            .await
            .expect("row");
    assert_eq!(title, "Kevin's title");
    assert_ne!(goal, "Wayan's goal, typed meanwhile");
    assert_eq!(
        status_of(&db, "production-2").await.1,
        v + 1,
        "one save only"
    );
    let target: Vec<String> =
        sqlx::query_scalar("select targets[4] from outcomes where key = 'prod-on-time'")
            .fetch_all(&db.pool)
            .await
            .expect("targets");
    assert_eq!(target, ["95%"]);

    // Having seen the difference, Wayan may save over it deliberately.
    let again = form_fields(&res.body, path);
    assert_eq!(get(&again, "version"), (v + 1).to_string());
    assert_eq!(get(&again, "goal"), "Wayan's goal, typed meanwhile");
    post_fields(&mut wayan, path, &again)
        .await
        .expect_status(303);
    assert_eq!(status_of(&db, "production-2").await.1, v + 2);
}

#[tokio::test]
async fn another_tenants_whygo_keys_answer_404_on_every_lifecycle_route() {
    let db = demo_db().await;
    crate::common::load_acme(&db).await;
    // Kevin leads Acme too, so his own rights would allow these there.
    sqlx::query(
        "insert into memberships (tenant_id, account_id, person_id, role)
         select t.id, a.id, p.id, 'leader' from tenants t, accounts a, people p
         where t.slug = 'acme' and a.email = 'kevin@kartel.example' and p.tenant_id = t.id and p.key = 'ann'",
    )
    .execute(&db.pool)
    .await
    .expect("kevin joins acme");
    let mut kevin = signed_in(&db, "kevin").await;
    kevin
        .get("/acme/whygos/acme-1/edit")
        .await
        .expect_status(200);
    let before = count(&db, "select count(*) from audit_log").await;
    for key in ["production-1", "trent-1", "brandon-1"] {
        kevin
            .get(&format!("/acme/whygos/{key}/edit"))
            .await
            .expect_status(404);
        for action in ["edit", "submit", "approve", "return", "signoff"] {
            kevin.get("/acme/cascade").await.expect_status(200);
            let res = kevin
                .post(
                    &format!("/acme/whygos/{key}/{action}"),
                    &[("version", "1"), ("comment", "x"), ("title", "Intruder")],
                )
                .await;
            assert_eq!(res.status.as_u16(), 404, "{action} {key}: {}", res.body);
            assert!(!res.body.contains("Kartel"));
        }
    }
    // Acme's own pages show nothing of Kartel.
    let cascade = kevin.get("/acme/cascade").await;
    assert!(!cascade.body.contains("Trent"));
    let approvals = kevin.get("/acme/approvals").await;
    assert!(!approvals.body.contains("Production"));
    assert_eq!(count(&db, "select count(*) from audit_log").await, before);
}

/// The done-criterion on the demo as shipped: Trent's submitted
/// WhyGO is in Fill's approvals, Fill approves it, and the pages show it.
#[tokio::test]
async fn in_the_demo_fill_approves_trents_submitted_whygo_and_the_pages_show_it() {
    let db = crate::common::demo_db().await;
    let mut fill = crate::common::signed_in(&db, "fill").await;
    let approvals = fill.get("/kartel/approvals").await;
    approvals.expect_status(200);
    assert!(
        approvals
            .body
            .contains("Workflow Engineer Playbook and Batch Tooling")
    );
    let fields = form_fields(&approvals.body, "/kartel/whygos/trent-1/approve");
    assert!(
        !fields.is_empty(),
        "an approve button for trent-1:\n{}",
        approvals.body
    );
    let res = post_fields(&mut fill, "/kartel/whygos/trent-1/approve", &fields).await;
    assert_eq!(res.status.as_u16(), 303, "{}", res.body);
    assert_eq!(status_of(&db, "trent-1").await.0, "approved");

    let mut trent = crate::common::signed_in(&db, "trent").await;
    let page = trent.get("/kartel/whygos/trent-1").await;
    page.expect_status(200);
    assert!(
        page.body.contains("Fill Isgro"),
        "the approval is in the WhyGO's history"
    );
    let cascade = fill.get("/kartel/cascade").await;
    assert!(
        !cascade.body.contains("0% of people"),
        "the cascade counts it"
    );
}

#[tokio::test]
async fn an_individual_whygo_whose_outcomes_all_belong_to_others_is_refused() {
    let db = demo_db().await;
    let mut trent = signed_in(&db, "trent").await;
    trent.get("/kartel/whygos/new").await.expect_status(200);
    let before = fingerprint(&db).await;
    let mut fields = proposal();
    // Both outcomes owned by Brandon alone: not Trent's WhyGO to propose.
    fields.push(("o0_owners".to_owned(), "brandon".to_owned()));
    fields.push(("o1_owners".to_owned(), "brandon".to_owned()));
    let res = post_fields(&mut trent, "/kartel/whygos/new", &fields).await;
    res.expect_status(422);
    assert!(
        res.body.contains("include Trent Hunter among the owners"),
        "{}",
        res.body
    );
    assert_eq!(fingerprint(&db).await, before, "nothing written");
    // With Trent among the owners it is his to propose.
    fields.push(("o0_owners".to_owned(), "trent".to_owned()));
    fields.push(("o1_owners".to_owned(), "trent".to_owned()));
    let res = post_fields(&mut trent, "/kartel/whygos/new", &fields).await;
    res.expect_status(303);
}

/// Posts `fields` to a WhyGO form and checks the refusal: 422, each
/// `(field, message part)` next to its field, every typed target kept.
async fn refused_targets(
    c: &mut Client,
    path: &str,
    fields: &[(String, String)],
    expected: &[(&str, &str)],
) {
    let res = post_fields(c, path, fields).await;
    assert_eq!(res.status.as_u16(), 422, "{path}: {}", res.body);
    assert!(res.body.contains("Nothing was saved"));
    for (field, part) in expected {
        let id = format!("id=\"{field}-error\">");
        let at = res
            .body
            .find(&id)
            .unwrap_or_else(|| panic!("{path}: no message next to {field} in\n{}", res.body));
        let message = &res.body[at + id.len()..];
        let message = unescape(&message[..message.find("</p>").unwrap_or(0)]);
        assert!(
            message.contains(part),
            "{field}: {message:?} lacks {part:?}"
        );
        let typed = get(fields, field);
        let input = format!("id=\"{field}\" name=\"{field}\" value=\"");
        let at = res
            .body
            .find(&input)
            .unwrap_or_else(|| panic!("no input {field}"));
        let value = &res.body[at + input.len()..];
        assert_eq!(
            unescape(&value[..value.find('"').unwrap_or(0)]),
            typed,
            "{field}: what was typed is kept"
        );
    }
}

#[tokio::test]
async fn garbage_targets_are_refused_on_the_new_edit_and_amendment_forms_and_good_ones_saved() {
    let db = demo_db().await;
    let mut trent = signed_in(&db, "trent").await;
    trent.get("/kartel/whygos/new").await.expect_status(200);
    let before = fingerprint(&db).await;

    // The new-WhyGO form: a "<10 minutes" outcome with abc, -5 and $.
    let mut fields = proposal();
    set(&mut fields, "o1_name", "Batch turnaround");
    set(&mut fields, "o1_q1", "<10 minutes");
    set(&mut fields, "o1_q2", "abc");
    set(&mut fields, "o1_q3", "-5");
    set(&mut fields, "o1_q4", "$");
    refused_targets(
        &mut trent,
        "/kartel/whygos/new",
        &fields,
        &[
            (
                "o1_q2",
                "“abc” is a word, but this outcome’s other targets are numbers",
            ),
            ("o1_q3", "“-5”: a duration cannot be negative."),
            ("o1_q4", "“$” cannot be read as a target"),
        ],
    )
    .await;
    // Number slips, and a word among stages that is fine.
    set(&mut fields, "o1_q2", "12,5 minutes");
    set(&mut fields, "o1_q3", "1e6 minutes");
    set(&mut fields, "o1_q4", "8 minutes");
    set(&mut fields, "o0_q4", "Whatever comes next");
    refused_targets(
        &mut trent,
        "/kartel/whygos/new",
        &fields,
        &[
            ("o1_q2", "write decimals with a point, 12.5"),
            ("o1_q3", "scientific notation: write 1,000,000 or 1M"),
        ],
    )
    .await;
    assert_eq!(fingerprint(&db).await, before, "nothing written");
    // Good values are saved.
    set(&mut fields, "o1_q2", "9 minutes");
    set(&mut fields, "o1_q3", "12.5 minutes");
    let res = post_fields(&mut trent, "/kartel/whygos/new", &fields).await;
    res.expect_status(303);
    let key = res
        .location
        .as_deref()
        .and_then(|l| l.strip_prefix("/kartel/whygos/"))
        .map(|l| l.split(['?', '/']).next().unwrap_or_default().to_owned())
        .expect("the new WhyGO's page");

    // The edit form of that draft.
    let path = format!("/kartel/whygos/{key}/edit");
    let form = trent.get(&path).await;
    form.expect_status(200);
    let mut fields = form_fields(&form.body, &path);
    let before = fingerprint(&db).await;
    set(&mut fields, "o1_q2", "abc%%");
    refused_targets(
        &mut trent,
        &path,
        &fields,
        &[("o1_q2", "“abc%%” is a word")],
    )
    .await;
    assert_eq!(fingerprint(&db).await, before, "nothing written");
    set(&mut fields, "o1_q2", "7 minutes");
    post_fields(&mut trent, &path, &fields)
        .await
        .expect_status(303);
    let stored: Vec<String> = sqlx::query_scalar(
        "select o.targets from outcomes o join whygos w on w.id = o.whygo_id
         where w.key = $1 and o.name = 'Batch turnaround'",
    )
    .bind(&key)
    .fetch_one(&db.pool)
    .await
    .expect("targets");
    assert_eq!(
        stored,
        ["<10 minutes", "7 minutes", "12.5 minutes", "8 minutes"]
    );

    // The amendment of a signed department WhyGO: abc%% as a Q4 target.
    let mut wayan = signed_in(&db, "wayan").await;
    let path = "/kartel/whygos/production-2/edit";
    let form = wayan.get(path).await;
    form.expect_status(200);
    let mut fields = form_fields(&form.body, path);
    assert_eq!(get(&fields, "o0_name"), "Production Margin");
    let signed = status_of(&db, "production-2").await;
    let before = fingerprint(&db).await;
    let versions = count(&db, "select count(*) from whygo_versions").await;
    set(&mut fields, "o0_q4", "abc%%");
    refused_targets(
        &mut wayan,
        path,
        &fields,
        &[(
            "o0_q4",
            "“abc%%” is a word, but this outcome’s other targets are numbers (“40%”)",
        )],
    )
    .await;
    set(&mut fields, "o0_q4", "50,5%");
    refused_targets(
        &mut wayan,
        path,
        &fields,
        &[("o0_q4", "write decimals with a point, 50.5 (")],
    )
    .await;
    assert_eq!(status_of(&db, "production-2").await, signed, "no amendment");
    assert_eq!(fingerprint(&db).await, before, "nothing written");
    assert_eq!(
        count(&db, "select count(*) from whygo_versions").await,
        versions
    );
    set(&mut fields, "o0_q4", "52%");
    let res = post_fields(&mut wayan, path, &fields).await;
    res.expect_status(303);
    assert!(
        res.location
            .as_deref()
            .is_some_and(|l| l.contains("done=amended")),
        "{:?}",
        res.location
    );
}

/// Row counts of what a proposal writes.
async fn fingerprint(db: &TestDb) -> Vec<i64> {
    let mut v = Vec::new();
    for t in [
        "whygos",
        "outcomes",
        "outcome_owners",
        "whygo_links",
        "whygo_events",
        "audit_log",
    ] {
        v.push(
            sqlx::query_scalar(&format!("select count(*) from {t}"))
                .fetch_one(&db.pool)
                .await
                .expect("count"),
        );
    }
    v
}

/// A manager with many proposals sees them 20 a page, with the count of
/// all and links between the pages; a page past the last is a 404 and a
/// page that is no number a 400.
#[tokio::test]
async fn my_approvals_pages_a_long_list() {
    let db = demo_db().await;
    // 45 submitted copies of Trent's first WhyGO, numbered so each page's
    // first and last can be told apart, after the demo's one submitted.
    sqlx::query(
        "insert into whygos (tenant_id, id, cycle_id, key, level, department_id, person_id,
                             owner_id, title, why, goal, status, version, position)
         select w.tenant_id, gen_random_uuid(), w.cycle_id, 'copy-' || n, w.level,
                w.department_id, w.person_id, w.owner_id,
                'Proposal ' || lpad(n::text, 2, '0'), w.why, w.goal, 'submitted', 1, 100 + n
         from whygos w, generate_series(1, 45) n where w.key = 'trent-1'",
    )
    .execute(&db.pool)
    .await
    .unwrap();
    let mut fill = signed_in(&db, "fill").await;
    let first = fill.get("/kartel/approvals").await;
    first.expect_status(200);
    let count = |body: &str| body.matches("class=\"whygo proposal\"").count();
    assert_eq!(count(&first.body), 20);
    let heading = first
        .body
        .split("<h2 id=\"proposals\">")
        .nth(1)
        .unwrap_or_default();
    assert!(
        heading.starts_with("Individual WhyGOs to approve (46)"),
        "the count is of all: {}",
        &heading[..80.min(heading.len())]
    );
    assert!(first.body.contains("Page 1 of 3"));
    assert!(
        first
            .body
            .contains("href=\"/kartel/approvals?page=2#proposals\" rel=\"next\"")
    );
    assert!(!first.body.contains("rel=\"prev\""));
    assert!(first.body.contains("Proposal 19<") && !first.body.contains("Proposal 20<"));
    let last = fill.get("/kartel/approvals?page=3").await;
    last.expect_status(200);
    assert_eq!(count(&last.body), 6);
    assert!(last.body.contains("Proposal 40<") && !last.body.contains("Proposal 39<"));
    assert!(
        last.body
            .contains("href=\"/kartel/approvals?page=2#proposals\" rel=\"prev\"")
    );
    assert!(!last.body.contains("rel=\"next\""));
    fill.get("/kartel/approvals?page=4")
        .await
        .expect_status(404);
    fill.get("/kartel/approvals?page=zero")
        .await
        .expect_status(400);
    fill.get("/kartel/approvals?page=0")
        .await
        .expect_status(400);
    // The other sections are on every page, whatever the proposals' page.
    let second = fill.get("/kartel/approvals?page=2").await;
    assert_eq!(count(&second.body), 20);
    assert!(second.body.contains("id=\"signoffs-waiting\""));
}
