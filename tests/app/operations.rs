//! Engagements and handoffs through the service layer (`app::operations`)
//! against a real database: the demo's client cycle run end to end by the
//! departments that send and receive, the figures over what was stored, a
//! replay as of an earlier instant, two people acting at once, and every
//! refusal leaving nothing written.

use chrono::{Duration, NaiveDate, Utc};

use whygo::app::operations::{self as ops, Declined, EngagementInput, Move, Moved, Saved};
use whygo::app::{Actor, Refused};
use whygo::domain::operations::{
    Fault, Instant, Phase, Selection, Standing, compliance, first_pass_rate,
};
use whygo::domain::permissions::Role;

use crate::common::{TestDb, demo_db, load_acme, without_demo_engagements};

const ENG: &str = "acme-rebrand";
const H1: &str = "sales-to-production";
const H2: &str = "production-to-generative";
const H3: &str = "generative-to-production";
const H4: &str = "production-to-sales";

/// The service layer's actor for an account of organization `slug`.
async fn actor(db: &TestDb, email: &str, slug: &str) -> Actor {
    crate::common::service_actor(db, email, slug).await
}

async fn account_for(db: &TestDb, slug: &str, person: &str, role: Role) -> Actor {
    crate::common::service_account(db, slug, person, role).await
}

/// The demo with its accounts, and Emmet of Sales.
struct Demo {
    db: TestDb,
    emmet: Actor,
    wayan: Actor,
    fill: Actor,
    trent: Actor,
    kevin: Actor,
    zac: Actor,
}

async fn demo() -> Demo {
    let db = demo_db().await;
    without_demo_engagements(&db).await;
    let emmet = account_for(&db, "kartel", "emmet", Role::Member).await;
    let mut people = Vec::new();
    for who in ["wayan", "fill", "trent", "kevin", "zac"] {
        people.push(actor(&db, &format!("{who}@kartel.example"), "kartel").await);
    }
    let [wayan, fill, trent, kevin, zac] = <[Actor; 5]>::try_from(people).expect("five actors");
    Demo {
        db,
        emmet,
        wayan,
        fill,
        trent,
        kevin,
        zac,
    }
}

fn today() -> NaiveDate {
    Utc::now().date_naive()
}

fn engagement(key: &str, sow: NaiveDate) -> EngagementInput {
    EngagementInput {
        key: key.to_owned(),
        name: "Acme rebrand".to_owned(),
        client: "Acme".to_owned(),
        vertical: "Retail".to_owned(),
        producer: "veronica".to_owned(),
        account_manager: "emmet".to_owned(),
        sow_signed: sow.to_string(),
        ..EngagementInput::default()
    }
}

fn saved(r: Result<Saved, Refused>) -> Vec<String> {
    match r {
        Ok(Saved::Saved { opened, .. }) => opened,
        Ok(Saved::Invalid(e)) => panic!("refused with messages: {e:?}"),
        Err(e) => panic!("refused: {e:?}"),
    }
}

fn moved(r: ops::Answer<Moved>) -> Moved {
    match r {
        Ok(Ok(m)) => m,
        Ok(Err(d)) => panic!("declined: {d:?}"),
        Err(e) => panic!("refused: {e:?}"),
    }
}

fn not_now(r: ops::Answer<Moved>) -> String {
    match r {
        Ok(Err(Declined::NotNow(why))) => why,
        other => panic!("expected a sentence, got {other:?}"),
    }
}

async fn go(d: &Demo, who: &Actor, handoff: &str, mv: Move) -> Moved {
    moved(ops::take(&d.db.app_pool, who, ENG, handoff, mv).await)
}

async fn count(db: &TestDb, table: &str) -> i64 {
    sqlx::query_scalar(&format!("select count(*) from {table}"))
        .fetch_one(&db.pool)
        .await
        .expect("count")
}

/// (engagements, handoffs, steps, audit entries): what a refusal leaves as it was.
async fn written(db: &TestDb) -> [i64; 4] {
    [
        count(db, "engagements").await,
        count(db, "handoffs").await,
        count(db, "handoff_steps").await,
        count(db, "audit_log").await,
    ]
}

async fn load(d: &Demo, as_of: Instant) -> whygo::db::operations::Loaded {
    ops::records(&d.db.app_pool, &d.kevin, as_of)
        .await
        .expect("records")
}

/// The state of handoff `t` of ENG as of `as_of`, if it exists.
async fn state(
    d: &Demo,
    t: &str,
    as_of: Instant,
) -> Option<whygo::domain::operations::HandoffState> {
    let loaded = load(d, as_of).await;
    let records = loaded.records();
    let e = records.engagement(ENG).expect("the engagement");
    records
        .board_row(e, as_of)
        .into_iter()
        .find(|(ty, _)| ty.key == t)
        .and_then(|(_, s)| s)
}

/// Sales creates ENG, signed today; handoff #1 is open.
async fn started(d: &Demo) {
    let opened =
        saved(ops::create_engagement(&d.db.app_pool, &d.emmet, &engagement(ENG, today())).await);
    assert_eq!(opened, [H1]);
}

/// #1 ticked in full and submitted by Sales.
async fn submitted(d: &Demo) -> Moved {
    started(d).await;
    for i in 0..4 {
        go(d, &d.emmet, H1, Move::Tick(i)).await;
    }
    go(d, &d.emmet, H1, Move::Submit).await
}

#[tokio::test]
async fn an_engagement_created_by_sales_opens_handoff_one_on_its_sow_date() {
    let d = demo().await;
    started(&d).await;
    let now = Utc::now();
    let loaded = load(&d, now).await;
    let records = loaded.records();
    let row = loaded.rows.iter().find(|r| r.key == ENG).expect("stored");
    assert_eq!(row.producer.as_deref(), Some("veronica"));
    assert_eq!(row.account_manager.as_deref(), Some("emmet"));
    assert_eq!(row.vertical, "Retail");
    let e = records.engagement(ENG).expect("the engagement");
    assert_eq!(e.sow_signed, Some(today()));
    let board = records.board_row(e, now);
    let cells: Vec<(&str, Option<Standing>)> = board
        .iter()
        .map(|(t, s)| (t.key.as_str(), s.as_ref().map(|s| s.standing)))
        .collect();
    assert_eq!(cells.len(), 4);
    let first = board[0].1.as_ref().expect("#1 is open");
    assert_eq!(first.label_of_standing(), "due");
    assert_eq!(
        first.opened_at,
        Some(whygo::domain::operations::start_of_day(today()))
    );
    assert!(cells[1..].iter().all(|(_, s)| s.is_none()), "{cells:?}");
    // Written with its audit entries: the engagement and the opening.
    let audit: Vec<(String, String, String)> = sqlx::query_as(
        "select action, entity, entity_key from audit_log where entity in ('engagement', 'handoff')
         and actor <> 'demo workbook' order by seq",
    )
    .fetch_all(&d.db.pool)
    .await
    .expect("audit");
    assert_eq!(
        audit,
        [
            ("create".into(), "engagement".into(), ENG.into()),
            ("open".into(), "handoff".into(), format!("{ENG}/{H1}")),
        ]
    );

    // Production and leaders manage engagements too; Generative and an
    // admin do not.
    let mut edit = engagement(ENG, today());
    edit.vertical = "Fashion".into();
    assert!(saved(ops::edit_engagement(&d.db.app_pool, &d.wayan, ENG, &edit).await).is_empty());
    assert!(saved(ops::edit_engagement(&d.db.app_pool, &d.kevin, ENG, &edit).await).is_empty());
    for who in [&d.trent, &d.zac] {
        let before = written(&d.db).await;
        assert!(matches!(
            ops::edit_engagement(&d.db.app_pool, who, ENG, &edit).await,
            Err(Refused::Forbidden)
        ));
        assert!(matches!(
            ops::create_engagement(&d.db.app_pool, who, &engagement("other", today())).await,
            Err(Refused::Forbidden)
        ));
        assert_eq!(written(&d.db).await, before);
    }
}

/// A board cell's one word, for readable assertions.
trait Label {
    fn label_of_standing(&self) -> &'static str;
}

impl Label for whygo::domain::operations::HandoffState {
    fn label_of_standing(&self) -> &'static str {
        self.standing.label()
    }
}

#[tokio::test]
async fn the_four_handoffs_run_through_sender_and_receiver_and_the_figures_count_them() {
    let d = demo().await;
    submitted(&d).await;
    // #1: Production sends it back, Sales fixes the budget and resubmits.
    let back = go(
        &d,
        &d.wayan,
        H1,
        Move::SendBack("The budget has no contingency.".into()),
    )
    .await;
    assert_eq!(back.phase, Phase::SentBack);
    go(&d, &d.emmet, H1, Move::Untick(3)).await;
    go(&d, &d.emmet, H1, Move::Tick(3)).await;
    go(&d, &d.emmet, H1, Move::Submit).await;
    let accepted = go(&d, &d.wayan, H1, Move::Accept).await;
    assert_eq!(accepted.phase, Phase::Accepted);
    assert_eq!(accepted.opened, [H2], "#2 opens when #1 is accepted");

    // #2: Production sets the date the pod is needed by, ticks, submits;
    // Generative accepts, which opens #3.
    go(
        &d,
        &d.wayan,
        H2,
        Move::NeededBy(today() + Duration::days(30)),
    )
    .await;
    for i in 0..4 {
        go(&d, &d.wayan, H2, Move::Tick(i)).await;
    }
    go(&d, &d.wayan, H2, Move::Submit).await;
    assert_eq!(go(&d, &d.fill, H2, Move::Accept).await.opened, [H3]);

    // #3: Generative submits with one item unticked and Production accepts
    // it anyway: breached (incomplete). Nothing opens: #4 waits for delivery.
    go(&d, &d.trent, H3, Move::Tick(0)).await;
    go(&d, &d.trent, H3, Move::Submit).await;
    assert!(go(&d, &d.wayan, H3, Move::Accept).await.opened.is_empty());

    // Delivered: saving the date opens #4, which Production hands to Sales.
    let mut delivered = engagement(ENG, today());
    delivered.pod_started = today().to_string();
    delivered.delivered = today().to_string();
    let opened = saved(ops::edit_engagement(&d.db.app_pool, &d.wayan, ENG, &delivered).await);
    assert_eq!(opened, [H4]);
    for i in 0..3 {
        go(&d, &d.wayan, H4, Move::Tick(i)).await;
    }
    go(&d, &d.wayan, H4, Move::Submit).await;
    go(&d, &d.emmet, H4, Move::Accept).await;

    let now = Utc::now();
    let loaded = load(&d, now).await;
    let records = loaded.records();
    let e = records.engagement(ENG).expect("the engagement");
    let standings: Vec<&str> = records
        .board_row(e, now)
        .iter()
        .map(|(_, s)| s.as_ref().map_or("none", |s| s.standing.label()))
        .collect();
    assert_eq!(standings, ["done", "done", "breached", "done"]);
    let h3 = state(&d, H3, now).await.expect("#3");
    assert_eq!(
        h3.faults,
        [Fault::Incomplete(vec!["Submitted in platform".into()])]
    );
    let h1 = state(&d, H1, now).await.expect("#1");
    assert_eq!(h1.submissions, 2);
    assert_eq!(h1.sent_back.len(), 1);
    assert_eq!(h1.sent_back[0].1, "The budget has no contingency.");

    let all = compliance(&records, &Selection::all(), now);
    assert_eq!(all.percent, Some(75.0));
    assert_eq!(
        all.sentence,
        "3 of 4 handoffs accepted complete within their SLA = 75%"
    );
    let first = compliance(&records, &Selection::handoff_type(H1), now);
    assert_eq!(
        first.sentence,
        "1 of 1 handoffs #1 accepted complete within 48 h = 100%"
    );
    let pass = first_pass_rate(&records, &Selection::all(), now);
    assert_eq!(pass.percent, Some(75.0), "{}", pass.sentence);
    let pair = compliance(
        &records,
        &Selection::departments("generative", "production"),
        now,
    );
    assert_eq!(pair.percent, Some(0.0), "{}", pair.sentence);

    // Who took each step is the person, by key.
    let by: Vec<(String, String)> = sqlx::query_as(
        "select s.kind, p.key from handoff_steps s join people p on p.tenant_id = s.tenant_id and p.id = s.by_person_id
         where s.kind in ('sent_back', 'accepted') order by s.seq",
    )
    .fetch_all(&d.db.pool)
    .await
    .expect("steps");
    assert_eq!(
        by,
        [
            ("sent_back".into(), "wayan".into()),
            ("accepted".into(), "wayan".into()),
            ("accepted".into(), "fill".into()),
            ("accepted".into(), "wayan".into()),
            ("accepted".into(), "emmet".into()),
        ]
    );
}

#[tokio::test]
async fn a_replay_as_of_an_earlier_instant_ignores_later_steps() {
    let d = demo().await;
    let submit = submitted(&d).await;
    let accepted = go(&d, &d.wayan, H1, Move::Accept).await;
    assert!(accepted.at > submit.at);

    let then = state(&d, H1, submit.at).await.expect("#1");
    assert_eq!(then.phase, Phase::Submitted);
    assert_eq!(then.label_of_standing(), "due");
    let now = state(&d, H1, accepted.at).await.expect("#1");
    assert_eq!(now.phase, Phase::Accepted);
    assert_eq!(now.label_of_standing(), "done");
    // #2 opened at the acceptance: as of the submission it was not open.
    assert_eq!(
        state(&d, H2, submit.at).await.map(|s| s.standing),
        Some(Standing::NotOpened)
    );
    assert_eq!(
        state(&d, H2, accepted.at).await.map(|s| s.opened_at),
        Some(Some(accepted.at))
    );
    // The day before the SOW was signed, #1 was not open either, and
    // nothing was counted.
    let eve = whygo::domain::operations::start_of_day(today()) - Duration::seconds(1);
    assert_eq!(
        state(&d, H1, eve).await.map(|s| s.standing),
        Some(Standing::NotOpened)
    );
    let loaded = load(&d, eve).await;
    assert_eq!(
        compliance(&loaded.records(), &Selection::all(), eve).percent,
        None
    );
    // Only the steps up to the instant are loaded.
    let steps: usize = load(&d, submit.at)
        .await
        .handoffs
        .iter()
        .map(|h| h.steps.len())
        .sum();
    assert_eq!(steps, 6, "opened, four ticks, submitted");
}

/// Holds the handoff's row lock in a transaction of its own while `a` and
/// `b` start, so both wait on it and then run one after the other.
async fn race(d: &Demo, a: (&Actor, Move), b: (&Actor, Move)) -> [ops::Answer<Moved>; 2] {
    let mut blocker = d.db.pool.begin().await.expect("begin");
    sqlx::query(
        "select h.id from handoffs h join handoff_types t on t.tenant_id = h.tenant_id and t.id = h.handoff_type_id
         where t.key = $1 for update of h",
    )
    .bind(H1)
    .fetch_all(&mut *blocker)
    .await
    .expect("lock");
    let spawn = |who: &Actor, mv: Move| {
        let (pool, who) = (d.db.app_pool.clone(), who.clone());
        tokio::spawn(async move { ops::take(&pool, &who, ENG, H1, mv).await })
    };
    let (ta, tb) = (spawn(a.0, a.1), spawn(b.0, b.1));
    // Both are waiting on the lock (they cannot finish while it is held).
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    assert!(!ta.is_finished() && !tb.is_finished());
    blocker.commit().await.expect("release");
    [ta.await.expect("task a"), tb.await.expect("task b")]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_receiver_accepting_while_the_sender_unticks_loses_no_update() {
    let d = demo().await;
    submitted(&d).await;
    let [accept, untick] = race(&d, (&d.wayan, Move::Accept), (&d.emmet, Move::Untick(3))).await;
    // Whichever ran first, the handoff was submitted: the untick is refused
    // with the domain's sentence (before the acceptance: the checklist waits
    // for the answer; after it: it is accepted), and the acceptance stands.
    let accepted = moved(accept);
    assert_eq!(accepted.phase, Phase::Accepted);
    let why = not_now(untick);
    assert!(
        why == "It is submitted: the checklist waits for the receiver's answer."
            || why == "It is already accepted.",
        "{why}"
    );
    let h1 = state(&d, H1, Utc::now()).await.expect("#1");
    assert_eq!(h1.label_of_standing(), "done", "accepted complete");
    assert_eq!(
        count(&d.db, "handoff_steps where kind = 'unticked'").await,
        0
    );

    // Two receivers answering at once: exactly one answer is recorded.
    let d = demo().await;
    submitted(&d).await;
    let answers = race(
        &d,
        (&d.wayan, Move::Accept),
        (&d.kevin, Move::SendBack("Missing milestones.".into())),
    )
    .await;
    let [a, b] = answers.map(|r| match r {
        Ok(Ok(m)) => Ok(m.phase),
        Ok(Err(Declined::NotNow(why))) => Err(why),
        other => panic!("{other:?}"),
    });
    match (a, b) {
        (Ok(Phase::Accepted), Err(why)) => assert_eq!(why, "It is already accepted."),
        (Err(why), Ok(Phase::SentBack)) => assert_eq!(why, "It has not been submitted yet."),
        other => panic!("exactly one answer should stand: {other:?}"),
    }
    assert_eq!(
        count(
            &d.db,
            "handoff_steps where kind in ('accepted', 'sent_back')"
        )
        .await,
        1
    );
}

#[tokio::test]
async fn other_departments_other_tenants_and_moves_out_of_turn_write_nothing() {
    let d = demo().await;
    started(&d).await;
    let pool = &d.db.app_pool;
    let before = written(&d.db).await;

    // Generative neither sends #1 nor receives it; Sales does not receive it.
    for (who, mv) in [
        (&d.trent, Move::Tick(0)),
        (&d.trent, Move::Accept),
        (&d.emmet, Move::Accept),
        (&d.fill, Move::Submit),
    ] {
        let r = ops::take(pool, who, ENG, H1, mv.clone()).await;
        assert!(matches!(r, Err(Refused::Forbidden)), "{mv:?}: {r:?}");
    }
    // Out of turn: the domain's sentence.
    assert_eq!(
        not_now(ops::accept(pool, &d.wayan, ENG, H1).await),
        "It has not been submitted yet."
    );
    // Bad fields: a message by field.
    for (who, mv, field) in [
        (&d.wayan, Move::SendBack("   ".into()), "reason"),
        (&d.emmet, Move::Tick(9), "item"),
    ] {
        match ops::take(pool, who, ENG, H1, mv).await {
            Ok(Err(Declined::Invalid(e))) => assert!(e.has(field), "{e:?}"),
            other => panic!("{other:?}"),
        }
    }
    // A handoff that has not opened, and one of no such engagement.
    assert!(matches!(
        ops::tick(pool, &d.wayan, ENG, H2, 0).await,
        Err(Refused::NotFound)
    ));
    assert!(matches!(
        ops::tick(pool, &d.emmet, "no-such-engagement", H1, 0).await,
        Err(Refused::NotFound)
    ));
    assert_eq!(written(&d.db).await, before);

    // Another organization's leader: the engagement does not exist there.
    load_acme(&d.db).await;
    let ann = account_for(&d.db, "acme", "ann", Role::Leader).await;
    let before = written(&d.db).await;
    assert!(matches!(
        ops::edit_engagement(pool, &ann, ENG, &engagement(ENG, today())).await,
        Err(Refused::NotFound)
    ));
    assert!(matches!(
        ops::tick(pool, &ann, ENG, H1, 0).await,
        Err(Refused::NotFound)
    ));
    let theirs = ops::records(pool, &ann, Utc::now()).await.expect("records");
    assert!(theirs.engagements.is_empty() && theirs.handoffs.is_empty());
    assert_eq!(written(&d.db).await, before);
}

#[tokio::test]
async fn a_bad_engagement_form_gets_a_message_per_field_and_writes_nothing() {
    let d = demo().await;
    started(&d).await;
    let before = written(&d.db).await;
    let bad = EngagementInput {
        key: "Not A Key".into(),
        name: " ".into(),
        client: "Acme".into(),
        producer: "nobody".into(),
        sow_signed: "2026-02-01".into(),
        pod_started: "2026-01-20".into(),
        delivered: "31/03/2026".into(),
        status: "won".into(),
        cycle: "tier-9".into(),
        ..EngagementInput::default()
    };
    // An unknown cycle is a leader's question: the form answers them.
    let Ok(Saved::Invalid(e)) = ops::create_engagement(&d.db.app_pool, &d.kevin, &bad).await else {
        panic!("refused with messages");
    };
    for field in [
        "key",
        "name",
        "producer",
        "pod_started",
        "delivered",
        "status",
        "cycle",
    ] {
        assert!(e.has(field), "{field}: {e:?}");
    }
    assert_eq!(
        e.get("pod_started"),
        Some("Pod started (2026-01-20) is before SOW signed (2026-02-01).")
    );
    // A key in use.
    let Ok(Saved::Invalid(e)) =
        ops::create_engagement(&d.db.app_pool, &d.emmet, &engagement(ENG, today())).await
    else {
        panic!("a taken key is refused");
    };
    assert!(
        e.get("key").is_some_and(|m| m.contains("exists already")),
        "{e:?}"
    );
    // A closed engagement without its closed date; a move to another cycle.
    let mut closed = engagement(ENG, today());
    closed.status = "closed".into();
    closed.cycle = "talent".into();
    let Ok(Saved::Invalid(e)) = ops::edit_engagement(&d.db.app_pool, &d.wayan, ENG, &closed).await
    else {
        panic!("refused with messages");
    };
    assert_eq!(
        e.get("closed"),
        Some("A closed engagement needs its closed date.")
    );
    assert!(e.has("cycle"));
    assert_eq!(written(&d.db).await, before);
}
