//! Operations as writes: creating and editing an engagement (which opens the
//! handoffs its key dates trigger) and every move on a handoff (tick, untick,
//! submit, resubmit, accept, send back, the needed-by date, opening a manual
//! one). Each is one tenant transaction: permission table, domain rule,
//! write, audit, typed answer.
//!
//! No lost update: a move locks its handoff's row before it reads the steps
//! and asks [`Handoff::record`] whether the move is allowed now, so of two
//! people acting at once the second sees the first's step and is answered
//! with the domain's sentence ("It is already accepted."). An edit locks its
//! engagement the same way.

use chrono::{Datelike, NaiveDate};
use sqlx::{PgConnection, PgPool};

use super::{Actor, FieldErrors, Refused};
use crate::db::operations::{self as store, EngagementFields, Loaded, StepBy};
use crate::db::{self, audit};
use crate::domain::keys::{check_key, check_len, check_text};
use crate::domain::operations::{
    Cycle, Engagement, EngagementStatus, Handoff, HandoffType, Instant, KeyDate, Opener, Phase,
    Step, StepKind,
};
use crate::domain::permissions::{Action, Org};

/// Longest name, client or vertical; longest send-back reason.
const MAX_TEXT: usize = 200;
const MAX_REASON: usize = 5000;

/// An engagement's form as typed. Empty dates and owners mean none; an empty
/// status means active, an empty cycle the client cycle. A missing field
/// reads as empty, so a form posted without one is answered by its message.
#[derive(Clone, Debug, Default, serde::Deserialize)]
#[serde(default)]
pub struct EngagementInput {
    /// Ignored by an edit (a key never changes: links use it).
    pub key: String,
    pub name: String,
    pub client: String,
    pub vertical: String,
    pub cycle: String,
    /// Person keys.
    pub producer: String,
    pub account_manager: String,
    /// YYYY-MM-DD, by [`KeyDate`]: `sow_signed`, `pod_started`, `delivered`, `closed`.
    pub sow_signed: String,
    pub pod_started: String,
    pub delivered: String,
    pub closed: String,
    pub status: String,
}

impl EngagementInput {
    fn date(&self, k: KeyDate) -> &str {
        match k {
            KeyDate::SowSigned => &self.sow_signed,
            KeyDate::PodStarted => &self.pod_started,
            KeyDate::Delivered => &self.delivered,
            KeyDate::Closed => &self.closed,
        }
    }

    fn cycle_key(&self) -> &str {
        match self.cycle.trim() {
            "" => "client",
            c => c,
        }
    }
}

/// What saving an engagement did.
#[derive(Clone, Debug)]
pub enum Saved {
    /// Saved; these handoff types (keys) opened because a key date was set.
    Saved { key: String, opened: Vec<String> },
    /// Nothing written: the messages go next to their fields (named as in
    /// [`EngagementInput`]), the form keeps what was typed.
    Invalid(FieldErrors),
}

/// Why a handoff move was not made (a storage failure, a permission refusal
/// or a missing handoff is the outer [`Refused`]).
#[derive(Clone, Debug)]
pub enum Declined {
    /// Not a move the handoff allows now: the domain's sentence.
    NotNow(String),
    /// A field of the move is wrong (`reason`, `item`, `needed_by`).
    Invalid(FieldErrors),
}

/// A move's answer.
pub type Answer<T> = Result<Result<T, Declined>, Refused>;

/// A move on a handoff.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Move {
    /// The sender ticks checklist item `n` (0-based).
    Tick(usize),
    Untick(usize),
    /// The sender hands it over (again, after a send-back).
    Submit,
    /// The receiver accepts it.
    Accept,
    /// The receiver returns it, saying why.
    SendBack(String),
    /// The sender sets the date it is needed by (starts a lead-time clock).
    NeededBy(NaiveDate),
}

impl Move {
    fn kind(&self) -> StepKind {
        match self {
            Move::Tick(i) => StepKind::Ticked(*i),
            Move::Untick(i) => StepKind::Unticked(*i),
            Move::Submit => StepKind::Submitted,
            Move::Accept => StepKind::Accepted,
            Move::SendBack(reason) => StepKind::SentBack(reason.trim().to_owned()),
            Move::NeededBy(d) => StepKind::NeededBy(*d),
        }
    }

    /// The receiver's moves; the rest are the sender's.
    fn by_receiver(&self) -> bool {
        matches!(self, Move::Accept | Move::SendBack(_))
    }
}

/// A move made.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Moved {
    /// When the step was stamped (the database's clock).
    pub at: Instant,
    /// The handoff's phase after it.
    pub phase: Phase,
    /// Handoff types (keys) of the engagement this move opened (the next
    /// handoff of the cycle, on acceptance).
    pub opened: Vec<String>,
}

/// The org facts the operations actions need: heads and who works where,
/// read in the acting transaction.
async fn org(conn: &mut PgConnection, actor: &Actor) -> sqlx::Result<Org> {
    let (heads, member_of) = store::departments_of_people(conn, actor.tenant.id).await?;
    Ok(Org {
        heads,
        member_of,
        individuals_visible_to_all: actor.tenant.individuals_visible_to_all,
        ..Org::default()
    })
}

/// The departments that run a cycle's engagements: both ends of its first
/// handoff (Sales and Production for the client cycle). None for an unknown
/// cycle, which leaves the decision to leaders. Pages ask it too, to show
/// the create and edit links only to those the permission table allows.
pub fn running_departments(cycle: Option<&Cycle>) -> Vec<String> {
    cycle
        .and_then(|c| c.types().first())
        .map(|t| vec![t.from.clone(), t.to.clone()])
        .unwrap_or_default()
}

fn step_by(actor: &Actor) -> StepBy<'_> {
    StepBy {
        person: actor.person.as_ref().map(|p| p.id),
        account: Some(actor.account),
        label: &actor.email,
    }
}

/// The form read and checked: what will be written, or messages by field.
struct Checked {
    engagement: Engagement,
    vertical: String,
    producer: Option<(String, uuid::Uuid)>,
    account_manager: Option<(String, uuid::Uuid)>,
}

impl Checked {
    fn fields(&self) -> EngagementFields<'_> {
        let e = &self.engagement;
        EngagementFields {
            name: &e.name,
            client: &e.client,
            vertical: &self.vertical,
            cycle_key: &e.cycle,
            producer: self.producer.as_ref().map(|p| p.1),
            account_manager: self.account_manager.as_ref().map(|p| p.1),
            sow_signed: e.sow_signed,
            pod_started: e.pod_started,
            delivered: e.delivered,
            closed: e.closed,
            status: e.status,
        }
    }

    /// The audit log's picture of it.
    fn json(&self) -> serde_json::Value {
        let e = &self.engagement;
        serde_json::json!({
            "name": e.name, "client": e.client, "vertical": self.vertical, "cycle": e.cycle,
            "producer": self.producer.as_ref().map(|p| &p.0),
            "account_manager": self.account_manager.as_ref().map(|p| &p.0),
            "sow_signed": e.sow_signed, "pod_started": e.pod_started,
            "delivered": e.delivered, "closed": e.closed, "status": e.status.as_str(),
        })
    }
}

fn row_json(r: &store::EngagementRow) -> serde_json::Value {
    serde_json::json!({
        "name": r.name, "client": r.client, "vertical": r.vertical, "cycle": r.cycle_key,
        "producer": r.producer, "account_manager": r.account_manager,
        "sow_signed": r.sow_signed, "pod_started": r.pod_started,
        "delivered": r.delivered, "closed": r.closed, "status": r.status,
    })
}

/// The field a problem of [`Engagement::check`] belongs to: the later date
/// of two out of order ("Pod started (…) is before SOW signed (…)"), the
/// closed date for a closed or lost engagement without one.
fn date_field(problem: &str) -> &'static str {
    KeyDate::ALL
        .into_iter()
        .find(|k| {
            let label = k.label();
            problem
                .get(..label.len())
                .is_some_and(|p| p.eq_ignore_ascii_case(label))
        })
        .map_or(KeyDate::Closed.as_str(), KeyDate::as_str)
}

/// Reads every field of the form, collecting a message per bad field.
async fn check(
    conn: &mut PgConnection,
    tenant: uuid::Uuid,
    key: &str,
    input: &EngagementInput,
    errors: &mut FieldErrors,
) -> sqlx::Result<Checked> {
    errors.check(
        "name",
        check_text(&input.name, MAX_TEXT, "the engagement's name"),
    );
    errors.check("client", check_text(&input.client, MAX_TEXT, "the client"));
    errors.check("vertical", check_len(&input.vertical, MAX_TEXT));
    let mut dates = [None; 4];
    for (slot, k) in dates.iter_mut().zip(KeyDate::ALL) {
        let typed = input.date(k).trim();
        if typed.is_empty() {
            continue;
        }
        match NaiveDate::parse_from_str(typed, "%Y-%m-%d") {
            // Four-digit years, as YYYY-MM-DD says (and the database's
            // timestamps hold: a far year would fail there, not here).
            Ok(d) if (1000..=9999).contains(&d.year()) => *slot = Some(d),
            _ => errors.add(
                k.as_str(),
                format!(
                    "Enter the date {} as YYYY-MM-DD, e.g. 2026-03-15.",
                    k.label()
                ),
            ),
        }
    }
    let status = match input.status.trim() {
        "" => EngagementStatus::Active,
        s => EngagementStatus::parse(s).unwrap_or_else(|| {
            errors.add("status", "Choose active, closed or lost.");
            EngagementStatus::Active
        }),
    };
    let owners = [
        ("producer", input.producer.trim()),
        ("account_manager", input.account_manager.trim()),
    ];
    let wanted: Vec<&str> = owners
        .iter()
        .map(|o| o.1)
        .filter(|k| !k.is_empty())
        .collect();
    let ids = if wanted.is_empty() {
        Default::default()
    } else {
        store::person_ids(conn, tenant, &wanted).await?
    };
    let mut found = owners.map(|(field, k)| {
        if k.is_empty() {
            return None;
        }
        match ids.get(k) {
            Some(id) => Some((k.to_owned(), *id)),
            None => {
                errors.add(
                    field,
                    format!("No one in this organization has the key “{k}”."),
                );
                None
            }
        }
    });
    let [sow_signed, pod_started, delivered, closed] = dates;
    let engagement = Engagement {
        key: key.to_owned(),
        name: input.name.trim().to_owned(),
        client: input.client.trim().to_owned(),
        cycle: input.cycle_key().to_owned(),
        sow_signed,
        pod_started,
        delivered,
        closed,
        status,
    };
    for problem in engagement.check() {
        errors.add(date_field(&problem), format!("{problem}."));
    }
    Ok(Checked {
        engagement,
        vertical: input.vertical.trim().to_owned(),
        producer: found[0].take(),
        account_manager: found[1].take(),
    })
}

/// Opens every handoff of the cycle whose trigger is a key date the
/// engagement now has, unless the engagement has one of that type already
/// (a handoff opens once). Opened at the start of that day (UTC), as the
/// domain's `trigger_instant` says, so its SLA clock runs from the date.
async fn open_triggered(
    conn: &mut PgConnection,
    actor: &Actor,
    engagement_id: uuid::Uuid,
    engagement: &Engagement,
    cycle: &Cycle,
) -> sqlx::Result<Vec<String>> {
    let tenant = actor.tenant.id;
    let have = store::opened_types(conn, tenant, engagement_id).await?;
    let mut opened = Vec::new();
    for t in cycle.types() {
        if have.contains(&t.key) || !matches!(t.opener, Opener::On(_)) {
            continue;
        }
        let Some(at) = t.trigger_instant(engagement, None) else {
            continue;
        };
        if open_one(conn, actor, engagement_id, &engagement.key, t, at).await? {
            opened.push(t.key.clone());
        }
    }
    Ok(opened)
}

/// Opens one handoff at `at` with its audit entry; `false` when it was open.
async fn open_one(
    conn: &mut PgConnection,
    actor: &Actor,
    engagement_id: uuid::Uuid,
    engagement_key: &str,
    t: &HandoffType,
    at: Instant,
) -> sqlx::Result<bool> {
    let tenant = actor.tenant.id;
    let opened =
        store::open_handoff(conn, tenant, engagement_id, &t.key, at, step_by(actor)).await?;
    if opened {
        audit::record(
            &mut *conn,
            tenant,
            actor.who(),
            "open",
            "handoff",
            &format!("{engagement_key}/{}", t.key),
            None,
            Some(serde_json::json!({"opened_at": at, "trigger": t.opener.words()})),
        )
        .await?;
    }
    Ok(opened)
}

/// An edit changed (or cleared) a key date that opened a handoff. While no
/// one has acted on that handoff (its only step is its opening), it is
/// withdrawn (deleted with that step; the audit log keeps it) and
/// [`open_triggered`] opens it again at the new date, so a mistyped SOW
/// date can be corrected. Once someone has ticked, submitted or answered
/// it, its SLA clock has been run against: the date stays, and the message
/// goes next to the field. Handoffs are locked first, so a move cannot land
/// on one between the check and the withdrawal.
async fn withdraw_moved(
    conn: &mut PgConnection,
    actor: &Actor,
    row: &store::EngagementRow,
    before: &Engagement,
    after: &Engagement,
    cycle: &Cycle,
) -> sqlx::Result<Result<(), FieldErrors>> {
    let moved: Vec<(&HandoffType, KeyDate)> = cycle
        .types()
        .iter()
        .filter_map(|t| match t.opener {
            Opener::On(k) if before.date(k) != after.date(k) => Some((t, k)),
            _ => None,
        })
        .collect();
    if moved.is_empty() {
        return Ok(Ok(()));
    }
    let tenant = actor.tenant.id;
    let handoffs = store::lock_handoffs_of(conn, tenant, row.id).await?;
    let ids: Vec<uuid::Uuid> = handoffs.iter().map(|h| h.0).collect();
    let acted = store::acted_on(conn, tenant, &ids).await?;
    let mut errors = FieldErrors::default();
    let mut withdraw = Vec::new();
    for (t, k) in moved {
        let Some((id, _)) = handoffs.iter().find(|(_, key)| *key == t.key) else {
            continue;
        };
        if acted.contains(id) {
            let was = before
                .date(k)
                .map_or_else(|| "empty".to_owned(), |d| d.to_string());
            errors.add(
                k.as_str(),
                format!(
                    "Handoff {} opened on this date and has steps since: its SLA clock runs from it, so the date stays {was}.",
                    t.label()
                ),
            );
        } else {
            withdraw.push((*id, t, k));
        }
    }
    if !errors.is_empty() {
        return Ok(Err(errors));
    }
    for (id, t, k) in withdraw {
        store::delete_handoff(conn, tenant, id).await?;
        audit::record(
            &mut *conn,
            tenant,
            actor.who(),
            "withdraw",
            "handoff",
            &format!("{}/{}", row.key, t.key),
            Some(serde_json::json!({ k.as_str(): before.date(k) })),
            Some(serde_json::json!({
                k.as_str(): after.date(k),
                "why": "the key date that opened it changed before anyone acted on it",
            })),
        )
        .await?;
    }
    Ok(Ok(()))
}

/// Creates an engagement of `input.cycle` (the client cycle by default) and
/// opens the handoffs its key dates trigger, in one transaction. Allowed to
/// the departments that run the cycle and to leaders.
#[tracing::instrument(skip_all, fields(tenant = %actor.tenant.slug, actor = %actor.email, key = %input.key))]
pub async fn create_engagement(
    pool: &PgPool,
    actor: &Actor,
    input: &EngagementInput,
) -> Result<Saved, Refused> {
    let tenant = actor.tenant.id;
    let mut tx = db::begin_tenant(pool, tenant).await?;
    let org = org(&mut tx, actor).await?;
    let cycles = store::cycles(&mut tx, tenant).await?;
    let cycle = cycles.iter().find(|c| c.key == input.cycle_key());
    let runs = running_departments(cycle);
    actor.require(Action::ManageEngagements { departments: &runs }, &org)?;
    let key = input.key.trim();
    let mut errors = FieldErrors::default();
    errors.check("key", check_key(key));
    if key == "handoffs" {
        // `/{tenant}/engagements/handoffs` is the list of handoffs a figure counts.
        errors.add(
            "key",
            "“handoffs” is one of whygo's own addresses: choose another key.",
        );
    }
    if cycle.is_none() {
        errors.add(
            "cycle",
            format!("There is no handoff cycle “{}”.", input.cycle_key()),
        );
    }
    let checked = check(&mut tx, tenant, key, input, &mut errors).await?;
    let Some(cycle) = cycle.filter(|_| errors.is_empty()) else {
        return Ok(Saved::Invalid(errors));
    };
    let Some(id) = store::insert_engagement(&mut tx, tenant, key, &checked.fields()).await? else {
        errors.add(
            "key",
            format!("An engagement with the key “{key}” exists already: choose another key."),
        );
        return Ok(Saved::Invalid(errors));
    };
    audit::record(
        &mut *tx,
        tenant,
        actor.who(),
        "create",
        "engagement",
        key,
        None,
        Some(checked.json()),
    )
    .await?;
    let opened = open_triggered(&mut tx, actor, id, &checked.engagement, cycle).await?;
    tx.commit().await?;
    tracing::info!(?opened, "engagement created");
    Ok(Saved::Saved {
        key: key.to_owned(),
        opened,
    })
}

/// Edits the engagement `key` (its key and cycle stay) and opens the
/// handoffs a newly set key date triggers. A key date changed after its
/// handoff opened moves that handoff only while no one has acted on it
/// (`withdraw_moved`); after that the date stays.
#[tracing::instrument(skip_all, fields(tenant = %actor.tenant.slug, actor = %actor.email, %key))]
pub async fn edit_engagement(
    pool: &PgPool,
    actor: &Actor,
    key: &str,
    input: &EngagementInput,
) -> Result<Saved, Refused> {
    let tenant = actor.tenant.id;
    let mut tx = db::begin_tenant(pool, tenant).await?;
    let row = store::lock_engagement(&mut tx, tenant, key)
        .await?
        .ok_or(Refused::NotFound)?;
    let org = org(&mut tx, actor).await?;
    let cycles = store::cycles(&mut tx, tenant).await?;
    let cycle = cycles.iter().find(|c| c.key == row.cycle_key);
    let runs = running_departments(cycle);
    actor.require(Action::ManageEngagements { departments: &runs }, &org)?;
    let mut errors = FieldErrors::default();
    if !input.cycle.trim().is_empty() && input.cycle.trim() != row.cycle_key {
        errors.add(
            "cycle",
            "An engagement stays in the cycle it was created in.",
        );
    }
    let input = EngagementInput {
        cycle: row.cycle_key.clone(),
        ..input.clone()
    };
    let checked = check(&mut tx, tenant, &row.key, &input, &mut errors).await?;
    let Some(cycle) = cycle.filter(|_| errors.is_empty()) else {
        if cycle.is_none() {
            // Its cycle's types were removed: nothing can be checked against it.
            return Err(Refused::NotFound);
        }
        return Ok(Saved::Invalid(errors));
    };
    let before = row.domain()?;
    if let Err(errors) =
        withdraw_moved(&mut tx, actor, &row, &before, &checked.engagement, cycle).await?
    {
        return Ok(Saved::Invalid(errors));
    }
    store::update_engagement(&mut tx, tenant, row.id, &checked.fields()).await?;
    audit::record(
        &mut *tx,
        tenant,
        actor.who(),
        "edit",
        "engagement",
        &row.key,
        Some(row_json(&row)),
        Some(checked.json()),
    )
    .await?;
    let opened = open_triggered(&mut tx, actor, row.id, &checked.engagement, cycle).await?;
    tx.commit().await?;
    tracing::info!(?opened, "engagement edited");
    Ok(Saved::Saved {
        key: row.key,
        opened,
    })
}

/// Checks the fields a move carries before anything is locked for long.
fn check_move(mv: &Move, checklist: &[String]) -> FieldErrors {
    let mut errors = FieldErrors::default();
    match mv {
        Move::SendBack(reason) => {
            if reason.trim().is_empty() {
                errors.add(
                    "reason",
                    "Say why it is sent back: the reason goes to the sender with the handoff.",
                );
            } else {
                errors.check("reason", check_len(reason, MAX_REASON));
            }
        }
        Move::Tick(i) | Move::Untick(i) if *i >= checklist.len() => {
            errors.add("item", "There is no such checklist item.");
        }
        _ => {}
    }
    errors
}

/// Takes one move on the handoff of type `handoff_type` of engagement
/// `engagement`: locks the handoff, checks the permission (sender's moves:
/// the sending department; accept and send back: the receiving one), replays
/// its steps, asks the domain whether the move is allowed now, and appends
/// the step stamped with the database's clock, with its audit entry. An
/// acceptance opens the next handoff of the cycle (one that opens on the
/// previous acceptance) at the same instant.
#[tracing::instrument(skip_all, fields(tenant = %actor.tenant.slug, actor = %actor.email, %engagement, %handoff_type, ?mv))]
pub async fn take(
    pool: &PgPool,
    actor: &Actor,
    engagement: &str,
    handoff_type: &str,
    mv: Move,
) -> Answer<Moved> {
    let tenant = actor.tenant.id;
    let mut tx = db::begin_tenant(pool, tenant).await?;
    let locked = store::lock_handoff(&mut tx, tenant, engagement, handoff_type)
        .await?
        .ok_or(Refused::NotFound)?;
    let cycles = store::cycles(&mut tx, tenant).await?;
    let (cycle, t) = cycles
        .iter()
        .find_map(|c| c.get(handoff_type).map(|t| (c, t)))
        .ok_or(Refused::NotFound)?;
    let org = org(&mut tx, actor).await?;
    let action = if mv.by_receiver() {
        Action::ReceiveHandoff { to: &t.to }
    } else {
        Action::SendHandoff { from: &t.from }
    };
    actor.require(action, &org)?;
    let errors = check_move(&mv, &locked.checklist);
    if !errors.is_empty() {
        return Ok(Err(Declined::Invalid(errors)));
    }
    let mut handoff = Handoff {
        steps: store::steps(&mut tx, tenant, locked.id).await?,
        ..Handoff::new(engagement, handoff_type, locked.checklist.clone())
    };
    let before = handoff.phase();
    let at = store::clock(&mut tx).await?;
    // A key date in the future opens its handoff then: until that instant
    // it is not open, whatever its stored steps say.
    if let Some(opens) = handoff
        .steps
        .iter()
        .find(|s| s.kind == StepKind::Opened)
        .map(|s| s.at)
        .filter(|opens| *opens > at)
    {
        return Ok(Err(Declined::NotNow(format!(
            "It is not open yet: it opens on {}.",
            opens.format("%-d %b %Y")
        ))));
    }
    let kind = mv.kind();
    let by = actor
        .person_key()
        .map_or_else(|| actor.email.clone(), str::to_owned);
    if let Err(why) = handoff.record(Step {
        at,
        by,
        kind: kind.clone(),
    }) {
        return Ok(Err(Declined::NotNow(why.to_owned())));
    }
    let after = handoff.phase();
    store::append_step(&mut tx, tenant, locked.id, at, step_by(actor), &kind).await?;
    let mut details = serde_json::json!({"phase": after.words(), "at": at});
    match &kind {
        StepKind::Ticked(i) | StepKind::Unticked(i) => {
            details["item"] = locked.checklist.get(*i).cloned().into();
        }
        StepKind::SentBack(reason) => details["reason"] = reason.clone().into(),
        StepKind::NeededBy(d) => details["needed_by"] = d.to_string().into(),
        _ => {}
    }
    audit::record(
        &mut *tx,
        tenant,
        actor.who(),
        kind.verb(),
        "handoff",
        &format!("{engagement}/{handoff_type}"),
        Some(serde_json::json!({"phase": before.words()})),
        Some(details),
    )
    .await?;
    let mut opened = Vec::new();
    if kind == StepKind::Accepted {
        for next in cycle.types().iter().filter(|n| {
            n.opener == Opener::PreviousAccepted
                && cycle.previous(&n.key).is_some_and(|p| p.key == t.key)
        }) {
            if open_one(&mut tx, actor, locked.engagement_id, engagement, next, at).await? {
                opened.push(next.key.clone());
            }
        }
    }
    tx.commit().await?;
    tracing::info!(?after, ?opened, "handoff step taken");
    Ok(Ok(Moved {
        at,
        phase: after,
        opened,
    }))
}

/// The sender ticks checklist item `item` (0-based).
pub async fn tick(
    pool: &PgPool,
    actor: &Actor,
    engagement: &str,
    handoff_type: &str,
    item: usize,
) -> Answer<Moved> {
    take(pool, actor, engagement, handoff_type, Move::Tick(item)).await
}

/// The sender unticks checklist item `item`.
pub async fn untick(
    pool: &PgPool,
    actor: &Actor,
    engagement: &str,
    handoff_type: &str,
    item: usize,
) -> Answer<Moved> {
    take(pool, actor, engagement, handoff_type, Move::Untick(item)).await
}

/// The sender hands it over: the first time, or again after a send-back
/// (the domain tells the two apart from the steps, so this is also resubmit).
pub async fn submit(
    pool: &PgPool,
    actor: &Actor,
    engagement: &str,
    handoff_type: &str,
) -> Answer<Moved> {
    take(pool, actor, engagement, handoff_type, Move::Submit).await
}

/// The receiver accepts it; the next handoff of the cycle opens.
pub async fn accept(
    pool: &PgPool,
    actor: &Actor,
    engagement: &str,
    handoff_type: &str,
) -> Answer<Moved> {
    take(pool, actor, engagement, handoff_type, Move::Accept).await
}

/// The receiver sends it back with `reason` (required).
pub async fn send_back(
    pool: &PgPool,
    actor: &Actor,
    engagement: &str,
    handoff_type: &str,
    reason: &str,
) -> Answer<Moved> {
    take(
        pool,
        actor,
        engagement,
        handoff_type,
        Move::SendBack(reason.to_owned()),
    )
    .await
}

/// The sender sets the date the handoff is needed by (a lead-time SLA's
/// clock runs to that date minus the lead time).
pub async fn set_needed_by(
    pool: &PgPool,
    actor: &Actor,
    engagement: &str,
    handoff_type: &str,
    needed_by: NaiveDate,
) -> Answer<Moved> {
    take(
        pool,
        actor,
        engagement,
        handoff_type,
        Move::NeededBy(needed_by),
    )
    .await
}

/// The sending department opens a handoff whose type opens by hand (the
/// talent cycle's Tier 4 -> 5), stamped with the database's clock. A type
/// with a trigger opens by that trigger only.
#[tracing::instrument(skip_all, fields(tenant = %actor.tenant.slug, actor = %actor.email, %engagement, %handoff_type))]
pub async fn open_by_hand(
    pool: &PgPool,
    actor: &Actor,
    engagement: &str,
    handoff_type: &str,
) -> Answer<Moved> {
    let tenant = actor.tenant.id;
    let mut tx = db::begin_tenant(pool, tenant).await?;
    let row = store::lock_engagement(&mut tx, tenant, engagement)
        .await?
        .ok_or(Refused::NotFound)?;
    let cycles = store::cycles(&mut tx, tenant).await?;
    let t = cycles
        .iter()
        .find(|c| c.key == row.cycle_key)
        .and_then(|c| c.get(handoff_type))
        .ok_or(Refused::NotFound)?;
    let org = org(&mut tx, actor).await?;
    actor.require(Action::SendHandoff { from: &t.from }, &org)?;
    if t.opener != Opener::Manual {
        return Ok(Err(Declined::NotNow(format!(
            "It is not opened by hand: it {}.",
            t.opener.words()
        ))));
    }
    let at = store::clock(&mut tx).await?;
    if !open_one(&mut tx, actor, row.id, &row.key, t, at).await? {
        return Ok(Err(Declined::NotNow("It is already open.".to_owned())));
    }
    tx.commit().await?;
    Ok(Ok(Moved {
        at,
        phase: Phase::Preparing,
        opened: vec![t.key.clone()],
    }))
}

/// The tenant's operations records as of `as_of` (see
/// [`store::load`]): what the board and the figures read. Everyone in the
/// organization may read them, as everyone sees every department.
pub async fn records(pool: &PgPool, actor: &Actor, as_of: Instant) -> Result<Loaded, Refused> {
    let mut tx = db::begin_tenant(pool, actor.tenant.id).await?;
    let loaded = store::load(&mut tx, actor.tenant.id, as_of).await?;
    tx.commit().await?;
    Ok(loaded)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_date_problem_goes_next_to_the_later_date() {
        assert_eq!(
            date_field("Pod started (2026-01-20) is before SOW signed (2026-02-01)"),
            "pod_started"
        );
        assert_eq!(
            date_field("Closed (2026-01-20) is before delivered (2026-02-01)"),
            "closed"
        );
        assert_eq!(
            date_field("A lost engagement needs its closed date"),
            "closed"
        );
    }

    #[test]
    fn a_move_checks_its_fields() {
        let list = vec!["Budget".to_owned()];
        assert!(check_move(&Move::Tick(0), &list).is_empty());
        assert!(check_move(&Move::Untick(1), &list).has("item"));
        assert!(check_move(&Move::SendBack("  ".into()), &list).has("reason"));
        assert!(check_move(&Move::SendBack("x".repeat(5001)), &list).has("reason"));
        assert!(check_move(&Move::SendBack("Budget missing".into()), &list).is_empty());
        assert!(Move::Accept.by_receiver() && Move::SendBack(String::new()).by_receiver());
        assert!(!Move::Submit.by_receiver() && !Move::Tick(0).by_receiver());
    }

    #[test]
    fn the_client_cycle_is_run_by_the_ends_of_its_first_handoff() {
        let client = crate::domain::operations::cycle::tests::client_cycle();
        assert_eq!(running_departments(Some(&client)), ["sales", "production"]);
        assert!(running_departments(None).is_empty());
    }
}
